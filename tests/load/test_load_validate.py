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
