"""Locations (crimedash/load/locations.py): one validator for incidents and households.

Incidents and address points used to check coordinates with two copies of the same
rules; these tests hold the shared validator to saying the same thing for both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from crimedash import schema
from crimedash.load import load_households, load_incidents
from crimedash.load.table import Rejector

# (x, y) pairs written as text, and what each row must become: kept, or rejected for
# the first problem found in the order no location, bad coordinate, out of range.
CASES = [
    ("-2.30", "53.45", None),
    ("-2.30", "abc", ("latitude", schema.REASON_BAD_COORDINATE)),
    ("-2.30", "95", ("latitude", schema.REASON_OUT_OF_RANGE)),
    ("", "53.45", ("longitude", schema.REASON_BAD_COORDINATE)),
    ("", "", ("longitude", schema.REASON_NO_LOCATION)),
    ("inf", "nan", ("longitude", schema.REASON_BAD_COORDINATE)),
    ("-200", "95", ("longitude", schema.REASON_OUT_OF_RANGE)),  # x is checked first
    ("-2,31", "53,46", None),  # decimal commas
]
GRID_CASES = [
    ("383000", "398000", None),
    ("383000", "-5", ("northing", schema.REASON_OUT_OF_RANGE)),
    ("800000", "398000", ("easting", schema.REASON_OUT_OF_RANGE)),
    ("", "", ("easting", schema.REASON_NO_LOCATION)),
    ("E383000", "398000", ("easting", schema.REASON_BAD_COORDINATE)),
]


def _write(tmp_path, name: str, header: str, rows: list[str]) -> str:
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return str(path)


def _expected(cases) -> list[list]:
    return [[i + 1, *bad] for i, (_, _, bad) in enumerate(cases) if bad is not None]


@pytest.mark.parametrize(
    ("cases", "xname", "yname"),
    [(CASES, "longitude", "latitude"), (GRID_CASES, "easting", "northing")],
    ids=["degrees", "grid"],
)
def test_incidents_and_households_reject_the_same_rows_for_the_same_reasons(
    tmp_path, cases, xname, yname
):
    quoted = [f'"{x}","{y}"' for x, y, _ in cases]
    incidents = load_incidents(
        _write(
            tmp_path,
            "incidents.csv",
            f"occurred_at,{xname},{yname}",
            [f"2024-03-01,{q}" for q in quoted],
        )
    )
    households = load_households(_write(tmp_path, "households.csv", f"{xname},{yname}", quoted))
    got_incidents = incidents.rejected[[schema.REJ_ROW, schema.REJ_COLUMN, schema.REJ_REASON]]
    got_households = households.attrs["rejected"][
        [schema.REJ_ROW, schema.REJ_COLUMN, schema.REJ_REASON]
    ]
    assert got_incidents.values.tolist() == _expected(cases)
    assert got_households.values.tolist() == _expected(cases)
    # The kept points are the same places, in WGS84, whichever layer they came in.
    kept = incidents.incidents[[schema.LONGITUDE, schema.LATITUDE]].to_numpy()
    np.testing.assert_allclose(households.get_coordinates().to_numpy(), kept)
    assert ((np.abs(kept[:, 0]) <= 180) & (np.abs(kept[:, 1]) <= 90)).all()


def test_grid_references_land_in_britain(tmp_path):
    hh = load_households(_write(tmp_path, "h.csv", "easting,northing", ["383000,398000"]))
    lon, lat = hh.get_coordinates().iloc[0]
    assert -2.3 < lon < -2.2 and 53.4 < lat < 53.5  # near Manchester, not near (0, 0)


def test_the_first_problem_found_wins_and_each_row_is_rejected_once():
    rejector = Rejector("f.csv", np.array([1, 2, 3, 5]))
    values = pa.array(["a", "b", "c", "d"])
    rejector.reject(np.array([True, True, False, False]), "x", values, "first")
    rejector.reject(np.array([False, True, True, False]), "y", values, "second")
    frame = rejector.frame()
    assert frame[
        [schema.REJ_ROW, schema.REJ_COLUMN, schema.REJ_VALUE, schema.REJ_REASON]
    ].values.tolist() == [
        [1, "x", "a", "first"],
        [2, "x", "b", "first"],
        [3, "y", "c", "second"],
    ]
    assert rejector.kept.tolist() == [False, False, False, True]
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(schema.REJECTED_COLUMNS)
