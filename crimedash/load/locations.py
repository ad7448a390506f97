"""Locations: one validator for coordinates, shared by incidents and households.

A location is the thing a crime map must not get wrong, so every layer that carries
points (incidents, address points) checks them the same way, in the same order, with
the same reasons: no location at all, a coordinate that is not a number, a coordinate
out of range (degrees, or British National Grid metres); and a GIS feature that has no
geometry or is not a point. Grid references become WGS84 here and nowhere else.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crimedash import schema
from crimedash.load.parse import parse_numbers
from crimedash.load.table import Rejector, Table

__all__ = [
    "BNG_EASTING",
    "BNG_NORTHING",
    "GEOM_MISSING",
    "GEOM_NOT_POINT",
    "GEOM_OK",
    "check_coordinates",
    "check_points",
    "coordinate_limits",
    "grid_to_wgs84",
]


# British National Grid's extent in metres (with a margin): how x/y columns are told
# apart from degrees, and the range a grid coordinate must fall in.
BNG_EASTING = (0.0, 700_000.0)
BNG_NORTHING = (0.0, 1_300_000.0)
_LONGITUDE = (-180.0, 180.0)
_LATITUDE = (-90.0, 90.0)

# What is wrong with a GIS feature as an incident location (see gis.point_coordinates).
GEOM_OK, GEOM_MISSING, GEOM_NOT_POINT = 0, 1, 2


_PER_THREAD = threading.local()


def _grid_transformer() -> Any:
    """Built once per thread: a pyproj Transformer costs ~20 ms to build and nothing to
    reuse, but is not safe to share between threads (files are read side by side)."""
    transformer = getattr(_PER_THREAD, "grid", None)
    if transformer is None:
        from pyproj import Transformer

        transformer = Transformer.from_crs(
            schema.BRITISH_NATIONAL_GRID, schema.WGS84, always_xy=True
        )
        _PER_THREAD.grid = transformer
    return transformer


def grid_to_wgs84(
    easting: np.ndarray, northing: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of the rows in `ok` (NaN elsewhere)."""
    lon = np.full(len(easting), np.nan)
    lat = np.full(len(easting), np.nan)
    if ok.any():
        lon[ok], lat[ok] = _grid_transformer().transform(easting[ok], northing[ok])
    return lon, lat


def coordinate_limits(grid: bool) -> tuple[tuple[float, float], tuple[float, float]]:
    """The (low, high) of x and of y: British National Grid metres, or degrees."""
    return (BNG_EASTING, BNG_NORTHING) if grid else (_LONGITUDE, _LATITUDE)


def check_coordinates(
    table: Table, xcol: str, ycol: str, *, grid: bool, rejector: Rejector
) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude and latitude from two coordinate columns; bad rows rejected.

    `xcol`/`ycol` hold longitude/latitude in degrees, or with `grid` easting/northing
    in British National Grid metres. Rows are rejected, first reason wins, for: both
    empty (no location), either empty or not a finite number (bad coordinate), either
    outside its range (out of range). Returned values are NaN for rejected rows.
    """
    xlim, ylim = coordinate_limits(grid)
    xraw, yraw = table.arrays[xcol], table.arrays[ycol]
    if {xcol, ycol} <= table.plain_numbers:
        # The reader found every written value a finite number in range: only empty
        # ones (null, NaN here) can be rejected, by the same rules in the same order.
        x = xraw.to_numpy(zero_copy_only=False)
        y = yraw.to_numpy(zero_copy_only=False)
        xempty, yempty = np.isnan(x), np.isnan(y)
        rejector.reject(xempty & yempty, xcol, xraw, schema.REASON_NO_LOCATION)
        rejector.reject(xempty, xcol, xraw, schema.REASON_BAD_COORDINATE)
        rejector.reject(yempty, ycol, yraw, schema.REASON_BAD_COORDINATE)
        return grid_to_wgs84(x, y, rejector.kept) if grid else (x, y)
    xs, ys = parse_numbers(xraw), parse_numbers(yraw)
    rejector.reject(xs.empty & ys.empty, xcol, xraw, schema.REASON_NO_LOCATION)
    for nums, col, raw in ((xs, xcol, xraw), (ys, ycol, yraw)):
        rejector.reject(nums.empty | nums.bad, col, raw, schema.REASON_BAD_COORDINATE)
    for nums, col, raw, (lo, hi) in ((xs, xcol, xraw, xlim), (ys, ycol, yraw, ylim)):
        with np.errstate(invalid="ignore"):
            outside = ~np.isnan(nums.values) & ((nums.values < lo) | (nums.values > hi))
        rejector.reject(outside, col, raw, schema.REASON_OUT_OF_RANGE)
    if grid:
        return grid_to_wgs84(xs.values, ys.values, rejector.kept)
    return xs.values, ys.values


def check_points(
    geometry: tuple[np.ndarray, np.ndarray, np.ndarray], rejector: Rejector
) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of GIS point features (already WGS84); bad rows rejected.

    `geometry` is (lon, lat, problem) as the GIS reader gives it: a feature with no
    geometry has no location, one that is not a point cannot be mapped as an incident,
    and one outside the globe's degrees is out of range.
    """
    lon, lat, problem = geometry
    n = len(lon)
    geo = schema.GEOMETRY
    nothing = pa.nulls(n, pa.string())
    rejector.reject(problem == GEOM_MISSING, geo, nothing, schema.REASON_NO_LOCATION)
    rejector.reject(problem == GEOM_NOT_POINT, geo, nothing, schema.REASON_NOT_A_POINT)
    with np.errstate(invalid="ignore"):
        outside = ~((np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    xy = pc.binary_join_element_wise(
        pc.cast(pa.array(lon), pa.string()), pc.cast(pa.array(lat), pa.string()), " "
    )
    rejector.reject(outside, geo, xy, schema.REASON_OUT_OF_RANGE)
    return lon, lat
