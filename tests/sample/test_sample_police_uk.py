"""The police.uk writer (crimedash/sample/police_uk.py, snaps.py, streets.py): police.uk's
columns, month precision and snap points that are never homes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from crimedash import categories, schema
from crimedash.sample.areas import build_areas
from crimedash.sample.constants import (
    FORCE_NAME,
    PUK_CONTEXT,
    PUK_CRIME_ID,
    PUK_CRIME_TYPE,
    PUK_LATITUDE,
    PUK_LOCATION,
    PUK_LONGITUDE,
    PUK_LSOA_CODE,
    PUK_MONTH,
    PUK_NO_LOCATION,
    PUK_ON_OR_NEAR,
    PUK_OUTCOME,
    PUK_REPORTED_BY,
    SNAP_MIN_ADDRESSES,
)
from crimedash.sample.snaps import SnapKind, build_snap_points
from crimedash.sample.town import build_city

sys.path.insert(0, str(Path(__file__).resolve().parent))

from samplekit import SMALL


def test_police_uk_files_have_the_twelve_columns_and_month_precision(police_uk, incidents):
    assert len(police_uk) == 24
    for name, df in police_uk.items():
        month = re.fullmatch(r"(\d{4}-\d{2})-sample-street\.csv", name).group(1)
        assert tuple(df.columns) == schema.POLICE_UK_COLUMNS
        assert (df[PUK_MONTH] == month).all()
    allrows = pd.concat(police_uk.values(), ignore_index=True)
    assert len(allrows) == len(incidents)
    assert set(allrows[PUK_CRIME_TYPE]) <= set(categories.POLICE_UK_CATEGORIES)
    assert (allrows[PUK_REPORTED_BY] == FORCE_NAME).all()
    assert (allrows[PUK_CONTEXT] == "").all()
    asb = allrows[PUK_CRIME_TYPE] == "Anti-social behaviour"
    assert (allrows.loc[asb, PUK_CRIME_ID] == "").all()
    assert (allrows.loc[asb, PUK_OUTCOME] == "").all()
    assert allrows.loc[~asb, PUK_CRIME_ID].str.fullmatch(r"[0-9a-f]{64}").all()
    assert allrows.loc[~asb, PUK_CRIME_ID].is_unique
    assert (allrows.loc[~asb, PUK_OUTCOME] != "").all()


def test_police_uk_locations_are_snap_points_never_homes(police_uk, households):
    allrows = pd.concat(police_uk.values(), ignore_index=True)
    none = allrows[PUK_LOCATION] == PUK_NO_LOCATION
    assert 0.002 < none.mean() < 0.03  # about 1%, as police.uk
    assert (allrows.loc[none, [PUK_LONGITUDE, PUK_LATITUDE, PUK_LSOA_CODE]] == "").all().all()
    located = allrows[~none]
    assert located[PUK_LOCATION].str.startswith(PUK_ON_OR_NEAR).all()
    assert located[PUK_LSOA_CODE].str.fullmatch(r"E0199\d{4}").all()
    places = set(located[PUK_LOCATION].str.removeprefix(PUK_ON_OR_NEAR))
    assert {"Supermarket", "Nightclub", "Park/Open Space", "Shopping Area"} <= places
    homes = set(zip(households[schema.LATITUDE], households[schema.LONGITUDE], strict=True))
    pts = zip(
        located[PUK_LATITUDE].astype(float), located[PUK_LONGITUDE].astype(float), strict=True
    )
    assert not any(p in homes for p in pts)


def test_each_street_snap_point_covers_at_least_eight_addresses():
    city = build_city(5, SMALL)
    snaps = build_snap_points(city, build_areas(city))
    cover = np.bincount(snaps.address_snap, minlength=len(snaps.x))
    assert (cover[snaps.address_snap] >= SNAP_MIN_ADDRESSES).all()
    assert (cover[snaps.kind == SnapKind.HOMES] >= SNAP_MIN_ADDRESSES).all()
    assert (cover[snaps.kind != SnapKind.HOMES] == 0).all()
