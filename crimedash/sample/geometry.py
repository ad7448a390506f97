"""Shapes in local metres, and the one projection from them to the files' WGS84."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import shapely
from numpy.random import Generator
from pyproj import Transformer
from shapely.geometry import Polygon

from crimedash import schema
from crimedash.sample.constants import COORD_DECIMALS, LOCAL_CRS

__all__ = ["ellipse", "geoms_to_lonlat", "lonlat", "polar", "rect", "sector", "warp"]


@lru_cache(maxsize=1)
def _transformer() -> Transformer:
    return Transformer.from_crs(LOCAL_CRS, schema.WGS84, always_xy=True)


def lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres to WGS84, rounded once so every file agrees to the last digit."""
    lon, lat = _transformer().transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, COORD_DECIMALS), np.round(lat, COORD_DECIMALS)


def geoms_to_lonlat(geoms: np.ndarray) -> np.ndarray:
    """Polygons from metres to rounded WGS84; neighbours keep identical shared vertices."""

    def fn(c: np.ndarray) -> np.ndarray:
        return np.column_stack(lonlat(c[:, 0], c[:, 1]))

    out = shapely.set_precision(shapely.transform(geoms, fn), 10.0**-COORD_DECIMALS)
    return shapely.transform(out, lambda c: np.round(c, COORD_DECIMALS))


def polar(r: np.ndarray | float, theta: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(r * np.cos(theta)), np.asarray(r * np.sin(theta))


def sector(r0: float, r1: float, a0: float, a1: float) -> Polygon:
    if a1 < a0:
        a1 += 2 * math.pi
    t = np.linspace(a0, a1, 48)
    outer = np.column_stack(polar(r1, t))
    inner = np.column_stack(polar(r0, t[::-1]))
    return Polygon(np.vstack([outer, inner]))


def rect(cx: float, cy: float, w: float, h: float, angle: float) -> Polygon:
    c, s = math.cos(angle), math.sin(angle)
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    return Polygon(corners @ np.array([[c, s], [-s, c]]) + [cx, cy])


def ellipse(cx: float, cy: float, a: float, b: float, angle: float) -> Polygon:
    t = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    pts = np.column_stack([a * np.cos(t), b * np.sin(t)])
    c, s = math.cos(angle), math.sin(angle)
    return Polygon(pts @ np.array([[c, s], [-s, c]]) + [cx, cy])


def warp(lines: np.ndarray, amp: float, rng: Generator) -> np.ndarray:
    """Bend straight streets into gentle curves, as suburbs are laid out."""
    if amp <= 0 or len(lines) == 0:
        return lines
    ph = rng.uniform(0, 2 * math.pi, 4)
    wl = rng.uniform(300, 520, 2)

    def fn(c: np.ndarray) -> np.ndarray:
        dx = amp * np.sin(2 * math.pi * c[:, 1] / wl[0] + ph[0]) * np.cos(c[:, 0] / 900 + ph[2])
        dy = amp * np.sin(2 * math.pi * c[:, 0] / wl[1] + ph[1]) * np.cos(c[:, 1] / 900 + ph[3])
        return c + np.column_stack([dx, dy])

    return shapely.transform(shapely.segmentize(lines, 20.0), fn)
