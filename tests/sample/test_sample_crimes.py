"""The crimes (crimedash/sample/crimes.py): incidents an analyst would recognise."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from crimedash import categories, schema
from crimedash.sample.constants import LOCAL_CRS, SAMPLE_INCIDENT_COLUMNS
from crimedash.sample.crimes import CATEGORY_MIX, COMPONENTS, Place, generate_incidents_frame
from crimedash.sample.plan import R_RING

sys.path.insert(0, str(Path(__file__).resolve().parent))

from samplekit import SENSITIVE, points


def test_incidents_count_columns_and_identifiers(incidents):
    assert tuple(incidents.columns) == SAMPLE_INCIDENT_COLUMNS
    assert 60_000 <= len(incidents) <= 120_000
    assert incidents[schema.INCIDENT_ID].is_unique
    assert incidents[schema.REFERENCE].is_unique
    assert incidents[schema.INCIDENT_ID].str.fullmatch(r"INC\d{7}").all()
    assert incidents[schema.REFERENCE].str.fullmatch(r"CD/2[45]/\d{6}").all()
    when = pd.to_datetime(incidents[schema.OCCURRED_AT], format="%Y-%m-%dT%H:%M:%S")
    assert when.min() >= pd.Timestamp("2024-01-01")
    assert when.max() < pd.Timestamp("2026-01-01")
    assert set(incidents[schema.LOCATION_TYPE]) == {
        schema.LocationType.RESIDENTIAL,
        schema.LocationType.NON_RESIDENTIAL,
        schema.LocationType.PUBLIC_SPACE,
    }


def test_every_fine_category_appears_including_the_sensitive_ones(incidents):
    found = set(incidents[schema.CATEGORY])
    assert found == {c.code for c in categories.FINE_CATEGORIES}
    assert found >= SENSITIVE


def test_residential_incidents_are_at_household_address_points(incidents, households):
    homes = set(zip(households[schema.LATITUDE], households[schema.LONGITUDE], strict=True))
    res = incidents[incidents[schema.LOCATION_TYPE] == schema.LocationType.RESIDENTIAL]
    at = list(zip(res[schema.LATITUDE], res[schema.LONGITUDE], strict=True))
    assert all(p in homes for p in at)
    # Repeat locations: some homes are the scene again and again.
    assert pd.Series(at).value_counts().iloc[0] >= 5


def test_hot_spots_and_rhythms_an_analyst_would_recognise(incidents):
    when = pd.to_datetime(incidents[schema.OCCURRED_AT])
    cat = incidents[schema.CATEGORY]
    violence = when[cat == "violence_with_injury"]
    weekend_night = violence.dt.day_of_week.isin([4, 5, 6]) & (
        (violence.dt.hour >= 21) | (violence.dt.hour < 4)
    )
    assert weekend_night.mean() > 0.3  # 25% of the week's hours hold far more
    shop = when[cat == "shoplifting"]
    assert shop.dt.hour.between(8, 20).mean() > 0.95
    burglary = when[cat == "burglary_residential"].dt.month
    assert burglary.isin([11, 12, 1]).sum() > 1.3 * burglary.isin([5, 6, 7]).sum()
    asb = when[cat == "anti_social_behaviour"].dt.month
    assert asb.isin([6, 7, 8]).sum() > 1.5 * asb.isin([12, 1, 2]).sum()
    # Shoplifting concentrates on a few shops (the retail park's supermarket first).
    sites = incidents[cat == "shoplifting"].groupby([schema.LATITUDE, schema.LONGITUDE]).size()
    assert sites.max() > 0.05 * sites.sum()  # one of ~90 premises takes a twentieth


def test_sensitive_cases_reach_the_quiet_rural_edge(incidents):
    pts = points(incidents[incidents[schema.CATEGORY].isin(SENSITIVE)]).to_crs(LOCAL_CRS)
    r = np.hypot(pts.geometry.x, pts.geometry.y)
    assert (r > R_RING).sum() > 20


def test_generate_incidents_frame_for_benchmarks(households):
    frame = generate_incidents_frame(5_000, seed=7)
    assert tuple(frame.columns) == SAMPLE_INCIDENT_COLUMNS
    assert len(frame) == 5_000
    assert pd.api.types.is_datetime64_any_dtype(frame[schema.OCCURRED_AT])
    assert frame[schema.OCCURRED_AT].is_monotonic_increasing
    homes = set(zip(households[schema.LATITUDE], households[schema.LONGITUDE], strict=True))
    res = frame[frame[schema.LOCATION_TYPE] == schema.LocationType.RESIDENTIAL]
    assert all(p in homes for p in zip(res[schema.LATITUDE], res[schema.LONGITUDE], strict=True))
    assert generate_incidents_frame(5_000, seed=7).equals(frame)
    assert len(generate_incidents_frame(0)) == 0


def test_the_crime_model_table_is_complete():
    shares: dict[str, float] = {}
    for c in COMPONENTS:
        shares[c.category] = shares.get(c.category, 0.0) + c.share
        assert c.category in categories.BY_CODE
        assert (c.place == Place.VENUE) == bool(c.venues)
    assert set(shares) == set(CATEGORY_MIX) == {c.code for c in categories.FINE_CATEGORIES}
    assert all(abs(v - 1) < 1e-9 for v in shares.values())


# --- police.uk --------------------------------------------------------------------------
