"""The sample city: deterministic, shaped like a real town, and police.uk-shaped output.

Tests on the committed files read sample_data/ as it is (never regenerate scale 1 here);
tests on the generator use small towns (scale 0.02-0.05), which take about a second.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from crimedash import categories, schema
from crimedash import sample as S
from crimedash.cli import main
from crimedash.errors import InputError

SMALL = 0.05
SENSITIVE = {"sexual_offences", "domestic_abuse", "hate_crime"}


# --- fixtures ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def committed() -> dict[str, Path]:
    paths = S.sample_paths()
    missing = [str(p) for p in paths.values() if not p.exists()]
    assert not missing, (
        f"committed sample missing {missing}; run `crimedash sample --out sample_data`"
    )
    return paths


@pytest.fixture(scope="module")
def households(committed) -> pd.DataFrame:
    return pd.read_csv(committed["households"])


@pytest.fixture(scope="module")
def incidents(committed) -> pd.DataFrame:
    return pd.read_csv(committed["incidents"], keep_default_na=False)


@pytest.fixture(scope="module")
def police_uk(committed) -> dict[str, pd.DataFrame]:
    files = sorted(committed["police_uk_dir"].glob("*.csv"))
    return {f.name: pd.read_csv(f, dtype=str, keep_default_na=False) for f in files}


@pytest.fixture(scope="module")
def small_town(tmp_path_factory) -> Path:
    """A small town generated through the CLI, as a user would."""
    out = tmp_path_factory.mktemp("small_a")
    assert main(["sample", "--out", str(out), "--scale", str(SMALL), "--seed", "11"]) == 0
    return out


def _points(df: pd.DataFrame) -> gpd.GeoDataFrame:
    geom = gpd.points_from_xy(df[schema.LONGITUDE], df[schema.LATITUDE])
    return gpd.GeoDataFrame(df, geometry=geom, crs=schema.WGS84)


# --- determinism ------------------------------------------------------------------------
def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_and_scale_give_byte_identical_files(small_town, tmp_path):
    again = S.generate_sample(tmp_path, seed=11, scale=SMALL)
    assert set(again) == {*S.FILE_NAMES, "readme"}
    first, second = _tree(small_town), _tree(tmp_path)
    assert list(first) == list(second)
    differing = [name for name in first if first[name] != second[name]]
    assert not differing


def test_another_seed_gives_another_town(small_town, tmp_path):
    S.generate_sample(tmp_path, seed=12, scale=SMALL)
    name = S.FILE_NAMES["households"]
    assert (tmp_path / name).read_bytes() != (small_town / name).read_bytes()


def test_the_committed_readme_matches_the_generator(committed):
    """The committed files come from the default seed at scale 1 (checked on the README,
    which carries every headline figure, so the check stays quick)."""
    readme = committed["output_areas"].parent / S.README_NAME
    text = readme.read_text()
    assert f"--seed {S.DEFAULT_SEED} --scale 1" in text
    assert "fictional" in text


@pytest.mark.parametrize("scale", [0, -1, float("nan"), S.MAX_SCALE * 2])
def test_a_bad_scale_is_refused_with_a_hint(scale, tmp_path):
    with pytest.raises(InputError, match="scale must be") as err:
        S.generate_sample(tmp_path, scale=scale)
    assert err.value.hint
    assert not any(tmp_path.iterdir())


# --- households -------------------------------------------------------------------------
def test_households_total_and_shape(households):
    assert tuple(households.columns) == S.HOUSEHOLD_COLUMNS
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
    city = S.build_city(3, SMALL)
    a = city.addresses
    for park in city.parks:
        assert not shapely.contains_xy(park, a.x, a.y).any()
    assert len(city.venues.x) > 0
    assert {str(k) for k in S.VenueKind} <= set(city.venues.kind)


def test_homes_range_from_a_dense_centre_to_sparse_farms(households):
    """Address points per km² fall from the centre outwards (not uniform noise)."""
    pts = _points(households).to_crs(S.LOCAL_CRS)
    r = np.hypot(pts.geometry.x, pts.geometry.y)
    hh = households[schema.HOUSEHOLDS].to_numpy()
    rings = [(0, 700), (700, 1400), (1400, 2300), (3000, 5000)]
    density = [hh[(r >= r0) & (r < r1)].sum() / (np.pi * (r1**2 - r0**2) / 1e6) for r0, r1 in rings]
    assert density == sorted(density, reverse=True)
    assert density[-1] > 0  # the rural edge is not empty


# --- areas ------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", ["output_areas", "neighbourhoods"])
def test_areas_tile_every_household_exactly_once(committed, households, layer):
    areas = gpd.read_file(committed[layer])
    assert {schema.AREA_CODE, schema.HOUSEHOLDS, schema.RESIDENTS} <= set(areas.columns)
    assert areas[schema.AREA_CODE].is_unique
    assert areas.is_valid.all()
    joined = gpd.sjoin(_points(households), areas, predicate="within", how="left")
    assert joined.index.is_unique  # no point in two areas
    assert joined[schema.AREA_CODE].notna().all()  # no point in none
    counted = joined.groupby(schema.AREA_CODE)[f"{schema.HOUSEHOLDS}_left"].sum()
    stated = areas.set_index(schema.AREA_CODE)[schema.HOUSEHOLDS]
    assert (counted.reindex(stated.index, fill_value=0) == stated).all()


def test_output_areas_hold_40_to_250_households(committed):
    oa = gpd.read_file(committed["output_areas"])
    assert oa[schema.HOUSEHOLDS].min() >= S.OA_MIN_HOUSEHOLDS
    assert oa[schema.HOUSEHOLDS].max() <= S.OA_MAX_HOUSEHOLDS * 1.2
    ratio = oa[schema.RESIDENTS] / oa[schema.HOUSEHOLDS]
    assert ratio.between(1.4, 3.2).all()
    assert oa[schema.AREA_CODE].str.fullmatch(r"SC\d{7}").all()


def test_neighbourhoods_hold_several_hundred_households(committed):
    nb = gpd.read_file(committed["neighbourhoods"])
    assert nb[schema.HOUSEHOLDS].between(300, 900).all()
    assert (nb.geometry.geom_type == "Polygon").all()  # each in one piece
    assert nb[schema.AREA_CODE].str.fullmatch(r"E0199\d{4}").all()


def test_small_town_output_areas_keep_the_minimum(small_town):
    oa = gpd.read_file(small_town / S.FILE_NAMES["output_areas"])
    assert oa[schema.HOUSEHOLDS].min() >= S.OA_MIN_HOUSEHOLDS


# --- incidents --------------------------------------------------------------------------
def test_incidents_count_columns_and_identifiers(incidents):
    assert tuple(incidents.columns) == S.SAMPLE_INCIDENT_COLUMNS
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
    pts = _points(incidents[incidents[schema.CATEGORY].isin(SENSITIVE)]).to_crs(S.LOCAL_CRS)
    r = np.hypot(pts.geometry.x, pts.geometry.y)
    assert (r > S.R_RING).sum() > 20


def test_generate_incidents_frame_for_benchmarks(households):
    frame = S.generate_incidents_frame(5_000, seed=7)
    assert tuple(frame.columns) == S.SAMPLE_INCIDENT_COLUMNS
    assert len(frame) == 5_000
    assert pd.api.types.is_datetime64_any_dtype(frame[schema.OCCURRED_AT])
    assert frame[schema.OCCURRED_AT].is_monotonic_increasing
    homes = set(zip(households[schema.LATITUDE], households[schema.LONGITUDE], strict=True))
    res = frame[frame[schema.LOCATION_TYPE] == schema.LocationType.RESIDENTIAL]
    assert all(p in homes for p in zip(res[schema.LATITUDE], res[schema.LONGITUDE], strict=True))
    assert S.generate_incidents_frame(5_000, seed=7).equals(frame)
    assert len(S.generate_incidents_frame(0)) == 0


def test_the_crime_model_table_is_complete():
    shares: dict[str, float] = {}
    for c in S.COMPONENTS:
        shares[c.category] = shares.get(c.category, 0.0) + c.share
        assert c.category in categories.BY_CODE
        assert (c.place == S.Place.VENUE) == bool(c.venues)
    assert set(shares) == set(S.CATEGORY_MIX) == {c.code for c in categories.FINE_CATEGORIES}
    assert all(abs(v - 1) < 1e-9 for v in shares.values())


# --- police.uk --------------------------------------------------------------------------
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


def test_sample_paths_name_the_committed_files_and_follow_a_root(committed, tmp_path):
    """Each key of sample_paths() names the committed file that holds what the key says
    (headers and layers checked, not just the names), and a root moves them all."""
    assert set(committed) == {
        "incidents",
        "households",
        "output_areas",
        "neighbourhoods",
        "police_uk_dir",
    }
    header = committed["incidents"].read_text(encoding="utf-8").split("\n", 1)[0]
    assert tuple(header.split(",")) == S.SAMPLE_INCIDENT_COLUMNS
    header = committed["households"].read_text(encoding="utf-8").split("\n", 1)[0]
    assert tuple(header.split(",")) == S.HOUSEHOLD_COLUMNS
    for layer in ("output_areas", "neighbourhoods"):
        gdf = gpd.read_file(committed[layer])
        assert (gdf.geom_type == "Polygon").all() and gdf[schema.AREA_CODE].is_unique
    months = sorted(p.name for p in committed["police_uk_dir"].iterdir())
    assert len(months) == 24 and all(m.endswith(S.POLICE_UK_SUFFIX) for m in months)
    moved = S.sample_paths(tmp_path)
    assert {k: p.relative_to(tmp_path) for k, p in moved.items()} == {
        k: p.relative_to(S.SAMPLE_DIR) for k, p in committed.items()
    }
