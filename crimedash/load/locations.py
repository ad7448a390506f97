"""Locations: the coordinate ranges and the one conversion from the national grid."""

from __future__ import annotations

import numpy as np

from crimedash import schema

__all__ = ["BNG_EASTING", "BNG_NORTHING", "grid_to_wgs84"]


# British National Grid's extent in metres (with a margin): how x/y columns are told
# apart from degrees, and the range a grid coordinate must fall in.
BNG_EASTING = (0.0, 700_000.0)
BNG_NORTHING = (0.0, 1_300_000.0)


def grid_to_wgs84(
    easting: np.ndarray, northing: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    t = Transformer.from_crs(schema.BRITISH_NATIONAL_GRID, schema.WGS84, always_xy=True)
    lon = np.full(len(easting), np.nan)
    lat = np.full(len(easting), np.nan)
    if ok.any():
        lon[ok], lat[ok] = t.transform(easting[ok], northing[ok])
    return lon, lat
