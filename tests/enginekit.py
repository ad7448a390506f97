"""Small synthetic data sets for engine tests: random but seeded, so a failing
property can be replayed from its seed."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from crimedash import schema as S
from crimedash.index import Index, index_incidents

CATEGORIES = (
    "domestic_abuse",
    "sexual_offences",
    "burglary_residential",
    "shoplifting",
    "vehicle_crime",
    "violence_with_injury",
    "anti_social_behaviour",
)
LOCATIONS = ("residential", "non_residential", "public_space", "unknown")
CENTRE = (52.95, -1.15)


def incidents_frame(rng: np.random.Generator, n: int, spread: float = 0.01) -> pd.DataFrame:
    lat = CENTRE[0] + rng.normal(0, spread, n)
    lon = CENTRE[1] + rng.normal(0, spread * 1.6, n)
    minutes = rng.integers(0, 180 * 24 * 60, n)
    return pd.DataFrame(
        {
            S.INCIDENT_ID: [f"I{i:05d}" for i in range(n)],
            S.REFERENCE: [f"CD/24/{i:06d}" for i in range(n)],
            S.OCCURRED_AT: pd.Timestamp("2024-01-01") + pd.to_timedelta(minutes, unit="min"),
            S.CATEGORY: rng.choice(CATEGORIES, n),
            S.LATITUDE: lat,
            S.LONGITUDE: lon,
            S.LOCATION_TYPE: rng.choice(LOCATIONS, n),
            S.SOURCE_FILE: "synthetic.csv",
            S.SOURCE_ROW: np.arange(1, n + 1),
        }
    )


def households_frame(rng: np.random.Generator, n: int, spread: float = 0.01) -> gpd.GeoDataFrame:
    lat = CENTRE[0] + rng.normal(0, spread, n)
    lon = CENTRE[1] + rng.normal(0, spread * 1.6, n)
    return gpd.GeoDataFrame(
        {S.HOUSEHOLDS: rng.integers(1, 6, n).astype(float)},
        geometry=gpd.points_from_xy(lon, lat),
        crs=S.WGS84,
    )


def square_areas(step: float, merge: int = 1) -> gpd.GeoDataFrame:
    """Squares tiling the synthetic city; `merge` joins k x k squares into one, so the
    merged layer is an exact coarsening of the fine one."""
    lat0, lon0 = CENTRE[0] - 0.08, CENTRE[1] - 0.13
    n = int(np.ceil(0.16 / step))
    rows = []
    for i in range(0, n, merge):
        for j in range(0, n, merge):
            box = shapely.box(
                lon0 + j * step * 1.6,
                lat0 + i * step,
                lon0 + (j + merge) * step * 1.6,
                lat0 + (i + merge) * step,
            )
            rows.append({S.AREA_CODE: f"A{i:03d}_{j:03d}", "geometry": box})
    return gpd.GeoDataFrame(rows, crs=S.WGS84)


def make_index(
    seed: int,
    n: int = 60,
    n_households: int = 80,
    *,
    areas: bool = False,
    households: bool = True,
    frame: pd.DataFrame | None = None,
) -> Index:
    rng = np.random.default_rng(seed)
    inc = frame if frame is not None else incidents_frame(rng, n)
    hh = households_frame(rng, n_households) if households else None
    layers = {"fine": square_areas(0.01), "merged": square_areas(0.01, 2)} if areas else None
    return index_incidents(inc, households=hh, areas=layers)
