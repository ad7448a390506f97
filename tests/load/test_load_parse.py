"""Number and date parsing (crimedash/load/parse.py): strict, and the same in every layout.

Properties over generated dates: any real date written in any accepted layout parses to
itself with the precision the layout gives; an impossible date is bad, never rolled
over into the next month.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from crimedash.load import parse
from crimedash.load.parse import parse_dates, parse_numbers

MOMENTS = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 12, 31))

# layout -> (format, what the parsed value keeps of the moment)
LAYOUTS = {
    "police.uk month": ("%Y-%m", lambda m: m.replace(day=1, hour=0, minute=0, second=0)),
    "iso day": ("%Y-%m-%d", lambda m: m.replace(hour=0, minute=0, second=0)),
    "iso time": ("%Y-%m-%dT%H:%M:%S", lambda m: m),
    "iso space minutes": ("%Y-%m-%d %H:%M", lambda m: m.replace(second=0)),
    "uk day": ("%d/%m/%Y", lambda m: m.replace(hour=0, minute=0, second=0)),
    "uk time": ("%d/%m/%Y %H:%M:%S", lambda m: m),
    "slashed iso": ("%Y/%m/%d", lambda m: m.replace(hour=0, minute=0, second=0)),
}


@settings(max_examples=60, deadline=None)
@given(st.lists(MOMENTS, min_size=1, max_size=30), st.sampled_from(sorted(LAYOUTS)))
def test_every_real_date_parses_to_itself(moments, layout):
    fmt, kept = LAYOUTS[layout]
    moments = [m.replace(microsecond=0) for m in moments]
    parsed = parse_dates(pa.array([m.strftime(fmt) for m in moments]))
    assert not parsed.bad.any() and not parsed.empty.any()
    expected = np.array([kept(m) for m in moments], dtype="datetime64[ns]")
    np.testing.assert_array_equal(parsed.values, expected)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1900, 2100),
    st.integers(1, 12),
    st.integers(29, 35),
    st.sampled_from(["{y:04d}-{m:02d}-{d:02d}", "{d:02d}/{m:02d}/{y:04d}"]),
)
def test_an_impossible_day_is_bad_not_rolled_over(year, month, day, layout):
    text = layout.format(y=year, m=month, d=day)
    try:
        dt.date(year, month, day)
        real = True
    except ValueError:
        real = False
    parsed = parse_dates(pa.array([text]))
    assert bool(parsed.bad[0]) is not real


def test_dates_that_are_not_dates():
    parsed = parse_dates(pa.array(["2024-13", "1899-12-31", "2024-03-01 24:00", "soon", "", " "]))
    assert parsed.bad.tolist() == [True, True, True, True, False, False]
    assert parsed.empty.tolist() == [False, False, False, False, True, True]


_DATE_TEXTS = st.sampled_from(
    [
        "2024-03",
        "2024-3",
        "2024-13",
        "2024-02-29",
        "2023-02-29",
        "31/01/2024",
        "2024-03-01T10:15:00",
        "2024-03-31T01:30:00+01:00",
        "2024-03-01 24:00",
        " 2024-03 ",
        "",
        " ",
        "soon",
        "1899-12",
    ]
)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(_DATE_TEXTS, min_size=1, max_size=6),
    picks=st.lists(st.integers(0, 5), min_size=parse._HEAD_ROWS + 1, max_size=3000),
)
def test_a_column_of_few_dates_parses_as_each_row_would(values, picks):
    """A long column of few distinct texts (police.uk's months) is parsed once per text
    and taken back to the rows: the same values, masks and precisions as row by row."""
    column = pa.array([values[i % len(values)] for i in picks], pa.string())
    once, each = parse_dates(column), parse._parse_each(column)
    for field in ("values", "empty", "bad", "precision", "converted"):
        np.testing.assert_array_equal(getattr(once, field), getattr(each, field))


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), max_size=30))
def test_numbers_written_as_text_parse_to_themselves(values):
    parsed = parse_numbers(pa.array([repr(v) for v in values], pa.string()))
    assert not parsed.bad.any()
    np.testing.assert_array_equal(parsed.values, np.array(values, dtype="float64"))


def test_numbers_that_are_not_numbers():
    parsed = parse_numbers(pa.array(["1.5", " 2 ", "53,45", "", "abc", "inf", "nan", "1e400"]))
    assert parsed.empty.tolist() == [False, False, False, True, False, False, False, False]
    assert parsed.bad.tolist() == [False, False, False, False, True, True, True, True]
    np.testing.assert_array_equal(parsed.values[:3], [1.5, 2.0, 53.45])
