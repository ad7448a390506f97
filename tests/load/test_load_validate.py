"""Validation (crimedash/load/validate.py): bad rows rejected with their reasons, the rest kept."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from loadkit import DATA, accounted_for

from crimedash import schema
from crimedash.load import (
    UNKNOWN_CATEGORY,
    ColumnMapping,
    load_incidents,
)


def test_formula_text_is_kept_and_neutralised_in_the_rejected_csv(tmp_path: Path):
    path = tmp_path / "formulas.csv"
    path.write_text(
        "occurred_at,category,latitude,longitude\n"
        "2024-03-01,=cmd|' /C calc'!A0,53.45,-2.3\n"
        "2024-03-01,@SUM(A1),=1+1,-2.3\n"
        "2024-03-01,+plus,-200.5,-2.3\n"
    )
    r = load_incidents(path)
    accounted_for(r)
    assert r.incidents[schema.CATEGORY].tolist() == ["=cmd|' /C calc'!A0"]
    back = pd.read_csv(io.BytesIO(r.rejected_csv()), dtype=str)
    assert back[schema.REJ_VALUE].tolist() == ["'=1+1", "-200.5"]  # numbers stay numbers


def test_bad_rows_are_rejected_with_reasons():
    r = load_incidents(DATA / "bad_rows.csv")
    got = r.rejected[[schema.REJ_ROW, schema.REJ_COLUMN, schema.REJ_VALUE, schema.REJ_REASON]]
    assert got.values.tolist() == [
        [2, "latitude", "abc", schema.REASON_BAD_COORDINATE],
        [3, "latitude", "95", schema.REASON_OUT_OF_RANGE],
        [4, "longitude", "", schema.REASON_BAD_COORDINATE],
        [5, "occurred_at", "2024-02-30", schema.REASON_BAD_DATE],
        [6, "occurred_at", "2024-13", schema.REASON_BAD_DATE],
        [7, "occurred_at", "", schema.REASON_MISSING_DATE],
        [8, "", "2024-03-01,Robbery,53.45,-2.30,extra,fields", schema.REASON_MALFORMED],
        [9, "longitude", "", schema.REASON_NO_LOCATION],
        [10, "longitude", "inf", schema.REASON_BAD_COORDINATE],
    ]
    assert r.incidents[schema.SOURCE_ROW].tolist() == [1, 11]


def test_missing_category_column_is_unknown():
    r = load_incidents(DATA / "xy_degrees.csv", mapping=ColumnMapping(category=None))
    assert r.incidents[schema.CATEGORY].tolist() == ["robbery"]
    path_r = load_incidents(("x.csv", b"date,lat,lon\n2024-03,53.4,-2.3\n"))
    assert path_r.incidents[schema.CATEGORY].tolist() == [UNKNOWN_CATEGORY]
    assert path_r.summary()["unrecognised_categories_total"] == 1


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=" \t\x1fab\u00a0\u2003é", max_size=4), max_size=12),
    st.integers(0, 3),
)
def test_trimming_shortcuts_match_arrow_compute(values: list[str], cut: int):
    """The copy-free trim and blank-to-null give what utf8_trim_whitespace and if_else
    give, for slices and chunked columns too."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from crimedash.load.validate import _blank_as_null, _trimmed

    arr = pa.array(values, pa.string())
    for text in (arr, arr.slice(min(cut, len(arr))), pa.chunked_array([arr, arr.slice(1)])):
        want = pc.utf8_trim_whitespace(text)
        want = pc.if_else(pc.equal(want, ""), pa.scalar(None, pa.string()), want)
        got = _blank_as_null(_trimmed(text))
        got.validate(full=True)
        assert got.to_pylist() == want.to_pylist()


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="ab/.-_é名", max_size=8),
    st.sets(st.integers(1, 10**18), max_size=40),
    st.booleans(),
)
def test_derived_ids_match_arrow_join(prefix: str, rows: set[int], shuffled: bool):
    """Ids written into the buffer are the strings Arrow's join gives: rows of every
    digit count (the looked-up widths and the worked-out ones), ascending or not."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from crimedash.load.validate import _derived_ids

    numbers = np.array(sorted(rows), dtype=np.int64)
    if shuffled:
        numbers = numbers[::-1]
    got = _derived_ids(prefix, numbers)
    got.validate(full=True)
    want = pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), ":")
    assert got.equals(want)


@given(st.text(max_size=6), st.integers(0, 300))
def test_repeat_matches_arrow_take(value: str, n: int):
    """A value repeated from its buffers is the array a take of one value gives."""
    import numpy as np
    import pyarrow as pa

    from crimedash.load.table import repeat

    got = repeat(value, n)
    got.validate(full=True)
    assert got.equals(pa.array([value], pa.string()).take(np.zeros(n, dtype=np.int32)))
