"""The police.uk writer (crimedash/sample/police_uk.py, snaps.py, streets.py): police.uk's
columns, month precision and snap points that are never homes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from crimedash import categories, schema
from crimedash import sample as S

sys.path.insert(0, str(Path(__file__).resolve().parent))

from samplekit import SMALL


def test_police_uk_files_have_the_twelve_columns_and_month_precision(police_uk, incidents):
    assert len(police_uk) == 24
    for name, df in police_uk.items():
        month = re.fullmatch(r"(\d{4}-\d{2})-sample-street\.csv", name).group(1)
        assert tuple(df.columns) == schema.POLICE_UK_COLUMNS
        assert (df[S.PUK_MONTH] == month).all()
    allrows = pd.concat(police_uk.values(), ignore_index=True)
    assert len(allrows) == len(incidents)
    assert set(allrows[S.PUK_CRIME_TYPE]) <= set(categories.POLICE_UK_CATEGORIES)
    assert (allrows[S.PUK_REPORTED_BY] == S.FORCE_NAME).all()
    assert (allrows[S.PUK_CONTEXT] == "").all()
    asb = allrows[S.PUK_CRIME_TYPE] == "Anti-social behaviour"
    assert (allrows.loc[asb, S.PUK_CRIME_ID] == "").all()
    assert (allrows.loc[asb, S.PUK_OUTCOME] == "").all()
    assert allrows.loc[~asb, S.PUK_CRIME_ID].str.fullmatch(r"[0-9a-f]{64}").all()
    assert allrows.loc[~asb, S.PUK_CRIME_ID].is_unique
    assert (allrows.loc[~asb, S.PUK_OUTCOME] != "").all()


def test_police_uk_locations_are_snap_points_never_homes(police_uk, households):
    allrows = pd.concat(police_uk.values(), ignore_index=True)
    none = allrows[S.PUK_LOCATION] == S.PUK_NO_LOCATION
    assert 0.002 < none.mean() < 0.03  # about 1%, as police.uk
    assert (allrows.loc[none, [S.PUK_LONGITUDE, S.PUK_LATITUDE, S.PUK_LSOA_CODE]] == "").all().all()
    located = allrows[~none]
    assert located[S.PUK_LOCATION].str.startswith(S.PUK_ON_OR_NEAR).all()
    assert located[S.PUK_LSOA_CODE].str.fullmatch(r"E0199\d{4}").all()
    places = set(located[S.PUK_LOCATION].str.removeprefix(S.PUK_ON_OR_NEAR))
    assert {"Supermarket", "Nightclub", "Park/Open Space", "Shopping Area"} <= places
    homes = set(zip(households[schema.LATITUDE], households[schema.LONGITUDE], strict=True))
    pts = zip(
        located[S.PUK_LATITUDE].astype(float), located[S.PUK_LONGITUDE].astype(float), strict=True
    )
    assert not any(p in homes for p in pts)


def test_each_street_snap_point_covers_at_least_eight_addresses():
    city = S.build_city(5, SMALL)
    snaps = S.build_snap_points(city, S.build_areas(city))
    cover = np.bincount(snaps.address_snap, minlength=len(snaps.x))
    assert (cover[snaps.address_snap] >= S.SNAP_MIN_ADDRESSES).all()
    assert (cover[snaps.kind == S.SnapKind.HOMES] >= S.SNAP_MIN_ADDRESSES).all()
    assert (cover[snaps.kind != S.SnapKind.HOMES] == 0).all()
