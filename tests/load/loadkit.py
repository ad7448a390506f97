"""Helpers for the loader's tests (crimedash/load/).

The small files in tests/data/load/ are meant to be checked by eye: each test says what
the file holds and what the loader must make of it. Binary formats (GeoPackage,
Parquet, zips) are written from tiny literal frames in fixtures (tests/load/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crimedash import schema
from crimedash.load import LoadResult

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data" / "load"
POLICE_UK = DATA / "police_uk"
JAN = POLICE_UK / "2024-01-testshire-street.csv"
FEB = POLICE_UK / "2024-02-testshire-street.csv"
SAMPLE = TESTS.parent / "sample_data"


def accounted_for(result: LoadResult) -> None:
    """Nothing dropped unseen: per file, kept + rejected == read, one rejection per row."""
    assert len(result.incidents) + len(result.rejected) == result.rows_read
    for f in result.files:
        kept = (result.incidents[schema.SOURCE_FILE] == f.name).sum()
        rejected = result.rejected[result.rejected[schema.REJ_FILE] == f.name]
        assert (kept, len(rejected)) == (f.rows_kept, f.rows_rejected)
        assert f.rows_kept + f.rows_rejected == f.rows_read
        assert not rejected[schema.REJ_ROW].duplicated().any()
        rows = set(
            result.incidents.loc[result.incidents[schema.SOURCE_FILE] == f.name, schema.SOURCE_ROW]
        )
        assert rows.isdisjoint(rejected[schema.REJ_ROW])
    # the canonical columns, then police.uk's LSOA name only as a Categorical (context
    # for the analyst's tooltip, kept when a file had it)
    columns = list(result.incidents.columns)
    assert columns[: len(schema.INCIDENT_COLUMNS)] == list(schema.INCIDENT_COLUMNS)
    assert columns[len(schema.INCIDENT_COLUMNS) :] in ([], [schema.LSOA_NAME])
    if schema.LSOA_NAME in columns:
        assert isinstance(result.incidents[schema.LSOA_NAME].dtype, pd.CategoricalDtype)
    assert list(result.rejected.columns) == list(schema.REJECTED_COLUMNS)
