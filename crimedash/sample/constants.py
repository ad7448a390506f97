"""The sample city's fixed facts: its name, place, period, sizes and file names."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from crimedash import schema
from crimedash.errors import InputError

__all__ = [
    "CENTRE_LAT",
    "CENTRE_LON",
    "CITY_NAME",
    "COORD_DECIMALS",
    "DEFAULT_SEED",
    "FILE_NAMES",
    "FORCE_NAME",
    "HOUSEHOLD_COLUMNS",
    "INCIDENTS_PER_HOUSEHOLD",
    "LOCAL_CRS",
    "MAX_SCALE",
    "NEIGHBOURHOOD_MAX_HOUSEHOLDS",
    "NEIGHBOURHOOD_MIN_HOUSEHOLDS",
    "NO_LOCATION_SHARE",
    "OA_MAX_HOUSEHOLDS",
    "OA_MIN_HOUSEHOLDS",
    "OA_TARGET_HOUSEHOLDS",
    "PERIOD_END",
    "PERIOD_START",
    "POLICE_UK_SUFFIX",
    "PUK_CONTEXT",
    "PUK_CRIME_ID",
    "PUK_CRIME_TYPE",
    "PUK_FALLS_WITHIN",
    "PUK_LATITUDE",
    "PUK_LOCATION",
    "PUK_LONGITUDE",
    "PUK_LSOA_CODE",
    "PUK_LSOA_NAME",
    "PUK_MONTH",
    "PUK_NO_LOCATION",
    "PUK_ON_OR_NEAR",
    "PUK_OUTCOME",
    "PUK_REPORTED_BY",
    "README_NAME",
    "SAMPLE_DIR",
    "SAMPLE_INCIDENT_COLUMNS",
    "SNAP_MIN_ADDRESSES",
    "SNAP_TARGET_ADDRESSES",
    "check_scale",
    "sample_paths",
]


_PACKAGE = Path(__file__).resolve().parents[1]


def _sample_dir() -> Path:
    """An installed wheel carries the city inside the package (pyproject's force-include);
    a checkout keeps it beside the package, in the repository's sample_data/."""
    inside = _PACKAGE / "sample_data"
    return inside if inside.is_dir() else _PACKAGE.parent / "sample_data"


SAMPLE_DIR = _sample_dir()
"""The committed sample city (generated with DEFAULT_SEED at scale 1)."""

DEFAULT_SEED = 2024
CITY_NAME = "Ashbourne Vale"  # fictional
FORCE_NAME = "Sample Constabulary"  # fictional
CENTRE_LAT, CENTRE_LON = 52.80, -0.45  # open country in south Lincolnshire: no real town
LOCAL_CRS = (
    f"+proj=tmerc +lat_0={CENTRE_LAT} +lon_0={CENTRE_LON} +k=1 +x_0=0 +y_0=0 "
    "+ellps=WGS84 +units=m +no_defs"
)
PERIOD_START = np.datetime64("2024-01-01")
PERIOD_END = np.datetime64("2026-01-01")  # exclusive: two whole years
COORD_DECIMALS = 6

INCIDENTS_PER_HOUSEHOLD = 1.0  # over the two years: ~65,000 incidents at scale 1
OA_MIN_HOUSEHOLDS = 40  # census output areas hold at least 40 households
OA_MAX_HOUSEHOLDS = 250
OA_TARGET_HOUSEHOLDS = 150  # groups of 75-150 before the Voronoi cells even them out
NEIGHBOURHOOD_MAX_HOUSEHOLDS = 900
NEIGHBOURHOOD_MIN_HOUSEHOLDS = 300
SNAP_MIN_ADDRESSES = 8  # police.uk: every map point covers at least eight addresses
SNAP_TARGET_ADDRESSES = 20
NO_LOCATION_SHARE = 0.01  # police.uk publishes about 1% of rows without a location
MAX_SCALE = 20.0

# File names inside a sample folder; keys are what sample_paths() returns.
FILE_NAMES = {
    "incidents": "incidents.csv",
    "households": "households.csv",
    "output_areas": "output_areas.geojson",
    "neighbourhoods": "neighbourhoods.geojson",
    "police_uk_dir": "police_uk",
}
README_NAME = "README.md"
POLICE_UK_SUFFIX = "-sample-street.csv"

SAMPLE_INCIDENT_COLUMNS = (
    schema.INCIDENT_ID,
    schema.REFERENCE,
    schema.OCCURRED_AT,
    schema.CATEGORY,
    schema.LATITUDE,
    schema.LONGITUDE,
    schema.LOCATION_TYPE,
)
HOUSEHOLD_COLUMNS = (schema.LATITUDE, schema.LONGITUDE, schema.HOUSEHOLDS)

(
    PUK_CRIME_ID,
    PUK_MONTH,
    PUK_REPORTED_BY,
    PUK_FALLS_WITHIN,
    PUK_LONGITUDE,
    PUK_LATITUDE,
    PUK_LOCATION,
    PUK_LSOA_CODE,
    PUK_LSOA_NAME,
    PUK_CRIME_TYPE,
    PUK_OUTCOME,
    PUK_CONTEXT,
) = schema.POLICE_UK_COLUMNS

# police.uk's words for rows it publishes without a map point, and its "On or near" prefix.
PUK_NO_LOCATION = "No Location"
PUK_ON_OR_NEAR = "On or near "


def sample_paths(root: Path | str = SAMPLE_DIR) -> dict[str, Path]:
    """Where each file of a sample city lives (the committed one unless `root` is given)."""
    root = Path(root)
    return {key: root / name for key, name in FILE_NAMES.items()}


def check_scale(scale: float) -> None:
    if not (isinstance(scale, int | float) and 0 < scale <= MAX_SCALE and math.isfinite(scale)):
        raise InputError(
            f"scale must be a number above 0 and at most {MAX_SCALE:g}; got {scale!r}",
            hint="use --scale 1 for the committed sample, or 0.05 for a quick small town",
        )
