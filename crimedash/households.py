"""Where the households are, as weighted points: the denominator every unit's
count of households (and so every ¶26-28 judgement of "how many homes could this be")
is read from. Address points are taken as they are; output-area polygons with a count
are spread as seeded random points inside each polygon, so units of any granularity
can count them. Both index builders (from frames and from a columnar store) place
households here, so a store and its CSVs count the same homes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from crimedash import schema as S
from crimedash.load.plausible import check_household_total

__all__ = ["household_points", "place_households"]


def place_households(
    households: gpd.GeoDataFrame | None, tr: Transformer
) -> tuple[gpd.GeoDataFrame | None, dict[str, np.ndarray]]:
    """The households as points, and the Index's household arrays (degrees, count and
    metric x/y through ``tr``). One place for both builders (frames and stores), so a
    store and its CSVs count the same households in the same units."""
    hh_points = household_points(households)
    if hh_points is None:
        empty = np.empty(0)
        return None, dict(hh_lat=empty, hh_lon=empty, hh_count=empty, hh_x=empty, hh_y=empty)
    hlat = np.asarray(hh_points.geometry.y.to_numpy(), dtype=np.float64)
    hlon = np.asarray(hh_points.geometry.x.to_numpy(), dtype=np.float64)
    hx, hy = tr.transform(hlon, hlat)
    return hh_points, dict(
        hh_lat=hlat,
        hh_lon=hlon,
        hh_count=hh_points[S.HOUSEHOLDS].to_numpy(dtype=np.float64),
        hh_x=np.asarray(hx),
        hh_y=np.asarray(hy),
    )


def household_points(households: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Households as points. Polygons with a households column are spread as evenly
    spaced random points inside each polygon (seeded, so the same every time), so they
    can be counted in units of any granularity."""
    if households is None or len(households) == 0:
        return None
    hh = households.to_crs(S.WGS84) if households.crs is not None else households
    counts = (
        pd.to_numeric(hh[S.HOUSEHOLDS], errors="coerce").fillna(1.0)
        if S.HOUSEHOLDS in hh
        else pd.Series(1.0, index=hh.index)
    )
    is_point = hh.geometry.geom_type == "Point"
    parts = []
    if is_point.any():
        parts.append(
            gpd.GeoDataFrame(
                {S.HOUSEHOLDS: counts[is_point].to_numpy()},
                geometry=hh.geometry[is_point].to_numpy(),
                crs=S.WGS84,
            )
        )
    polys = hh[~is_point]
    if len(polys):
        raw = counts[~is_point].to_numpy(dtype=float)
        # a layer given without the loader (the API) is checked here too: the total
        # is what would be allocated, so it is refused before, not after, a MemoryError
        check_household_total(np.maximum(raw, 0), None, what="polygons")
        n = np.maximum(raw.round(), 0).astype(int)
        rng = np.random.default_rng(20240611)
        pts, weights = [], []
        for geom, k in zip(polys.geometry, n, strict=True):
            if k == 0 or geom is None or geom.is_empty:
                continue
            sample = _sample_in_polygon(geom, k, rng)
            pts.append(sample)
            weights.append(np.ones(len(sample)))
        if pts:
            xy = np.concatenate(pts)
            parts.append(
                gpd.GeoDataFrame(
                    {S.HOUSEHOLDS: np.concatenate(weights)},
                    geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                    crs=S.WGS84,
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else None


def _sample_in_polygon(geom, k: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = geom.bounds
    out: list[np.ndarray] = []
    got = 0
    for _ in range(50):
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(max(2 * k, 16), 2))
        inside = shapely.contains_xy(geom, cand[:, 0], cand[:, 1])
        out.append(cand[inside])
        got += int(inside.sum())
        if got >= k:
            break
    pts = np.concatenate(out)[:k] if got else np.empty((0, 2))
    if len(pts) < k:  # a sliver: put the rest on a point inside it
        rp = geom.representative_point()
        pts = np.vstack([pts, np.tile([rp.x, rp.y], (k - len(pts), 1))])
    return pts
