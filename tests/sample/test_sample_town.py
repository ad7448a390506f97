"""The town and its people (crimedash/sample/town.py): households shaped like a real town."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import shapely

from crimedash import schema
from crimedash.sample.constants import HOUSEHOLD_COLUMNS, LOCAL_CRS
from crimedash.sample.plan import VenueKind
from crimedash.sample.town import build_city

sys.path.insert(0, str(Path(__file__).resolve().parent))

from samplekit import SMALL, points


def test_households_total_and_shape(households):
    assert tuple(households.columns) == HOUSEHOLD_COLUMNS
    assert 40_000 <= households[schema.HOUSEHOLDS].sum() <= 80_000
    assert (households[schema.HOUSEHOLDS] >= 1).all()
    assert not households.duplicated([schema.LATITUDE, schema.LONGITUDE]).any()
    # Flats (one point, many households), terraces and farms (one household each).
    assert households[schema.HOUSEHOLDS].max() >= 60
    assert (households[schema.HOUSEHOLDS] == 1).mean() > 0.8
    # In England, not at sea.
    assert households[schema.LATITUDE].between(50, 56).all()
    assert households[schema.LONGITUDE].between(-6, 2).all()


def test_the_town_has_places_where_nobody_lives():
    city = build_city(3, SMALL)
    a = city.addresses
    for park in city.parks:
        assert not shapely.contains_xy(park, a.x, a.y).any()
    assert len(city.venues.x) > 0
    assert {str(k) for k in VenueKind} <= set(city.venues.kind)


def test_homes_range_from_a_dense_centre_to_sparse_farms(households):
    """Address points per km² fall from the centre outwards (not uniform noise)."""
    pts = points(households).to_crs(LOCAL_CRS)
    r = np.hypot(pts.geometry.x, pts.geometry.y)
    hh = households[schema.HOUSEHOLDS].to_numpy()
    rings = [(0, 700), (700, 1400), (1400, 2300), (3000, 5000)]
    density = [hh[(r >= r0) & (r < r1)].sum() / (np.pi * (r1**2 - r0**2) / 1e6) for r0, r1 in rings]
    assert density == sorted(density, reverse=True)
    assert density[-1] > 0  # the rural edge is not empty


# --- areas ------------------------------------------------------------------------------
