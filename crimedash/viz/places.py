"""Shapes and words of units: the outlines a deck draws and the place, size and
households a tooltip shows. Never a raw H3 or grid id alone: an analyst reads places.
"""

from __future__ import annotations

import weakref
from itertools import pairwise

import h3ronpy
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from crimedash import schema as S
from crimedash.cells import cells_to_str
from crimedash.index import Index
from crimedash.viz.style import COORD_DECIMALS

__all__ = [
    "base_hexagons",
    "households_words",
    "most_common",
    "place_names",
    "unit_place",
]


def _add_shapes(frame: pd.DataFrame, index: Index, units, codes: np.ndarray) -> str:
    """Give each unit its shape: an H3 id for plain hexagons; for an adaptive unit the
    ids of the base-resolution hexagons it is the union of (deck.gl's H3ClusterLayer
    draws their union's outline, the shape its incidents were counted in); else
    polygon rings. Returns the kind drawn ("h3", "h3cluster" or "polygon").

    An adaptive unit's outline, built here with shapely, was 11-17 s of a national
    map's first use and its vertices 45 MB of JSON at 1M rows; its hexagons' ids are
    a third of a second and two thirds of the bytes (`benchmarks/map_deck.py`). A unit
    is never drawn as its own coarser hexagon: H3 children are not inside their parent."""
    if units.granularity.kind == "h3":
        frame["hex"] = cells_to_str(units.h3_cells[codes])
        return "h3"
    if units.granularity.kind == "adaptive":
        frame["hexagons"] = base_hexagons(units, codes)
        return "h3cluster"
    frame["polygon"] = _rings(units.geometries(index, codes))
    return "polygon"


def base_hexagons(units, codes: np.ndarray) -> list[list[str]]:
    """Each adaptive unit's base-resolution H3 cells as hex ids, in one vectorised pass
    (h3ronpy): a pool's member cells or the unit's own cell, each taken down to the base
    resolution, where incidents and households are placed."""
    codes = np.asarray(codes, dtype=np.int64)
    if not len(codes):
        return []
    pools = units.residual[codes]
    parts = [
        units.residual_members[c] if pool else np.array([cell], dtype=np.uint64)
        for c, pool, cell in zip(
            codes.tolist(), pools.tolist(), units.h3_cells[codes].tolist(), strict=True
        )
    ]
    sizes = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    owner = np.repeat(np.arange(len(parts)), sizes)
    children = pa.array(
        h3ronpy.change_resolution_list(pa.array(np.concatenate(parts)), units.base_resolution)
    )
    ids = pa.array(h3ronpy.cells_to_string(children.flatten())).to_pylist()
    per_part = np.diff(children.offsets.to_numpy())
    per_unit = np.bincount(owner, weights=per_part, minlength=len(parts)).astype(np.int64)
    bounds = np.r_[0, np.cumsum(per_unit)].tolist()
    return [ids[a:b] for a, b in pairwise(bounds)]


def _rings(geoms: np.ndarray) -> list[list[list[list[float]]]]:
    """Each shape as a list of exterior rings ([[lon, lat], ...]); multipolygons keep
    every part so one unit stays one row (one tooltip). Coordinates are taken for all
    shapes at once (per-shape access took seconds for 50k grid squares)."""
    geoms = np.asarray(geoms, dtype=object)
    ok = np.array([g is not None for g in geoms], dtype=bool)
    out: list[list] = [[] for _ in range(len(geoms))]
    if not ok.any():
        return out
    parts, owner = shapely.get_parts(geoms[ok], return_index=True)
    keep = ~shapely.is_empty(parts)
    parts, owner = parts[keep], np.flatnonzero(ok)[owner[keep]]
    xy, ring = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    xy = np.round(xy, COORD_DECIMALS).tolist()
    bounds = np.r_[0, np.flatnonzero(np.diff(ring)) + 1, len(ring)].tolist()
    for k, g in enumerate(owner.tolist()):
        out[g].append(xy[bounds[k] : bounds[k + 1]])
    return out


def _explode(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per polygon part (PolygonLayer draws one ring per row)."""
    if frame.empty:
        return frame.assign(polygon=[])
    return frame.explode("polygon", ignore_index=True).dropna(subset=["polygon"])


def _name_column(frame: pd.DataFrame) -> str | None:
    """The column of an area layer that holds place names (LSOA21NM, ward_name, name)."""
    for col in frame.columns:
        c = str(col).lower()
        if col != S.GEOMETRY and (c.endswith(("nm", "name")) or c in ("name", "label")):
            return col
    return None


def _area_names(
    index: Index, layer_name: str, ids: np.ndarray, with_codes: bool = True
) -> list[str]:
    """Areas' names ('Trafford 012A (E01006123)'; the name alone without `with_codes`),
    or their codes where the layer names none."""
    area = index.areas[layer_name]
    col = _name_column(area.frame)
    codes = area.codes[ids]
    if col is None:
        return [str(c) for c in codes]
    names = area.frame[col].astype(str).to_numpy()[ids]
    return [
        (f"{n} ({c})" if with_codes else n) if n and n != c else str(c)
        for n, c in zip(names, codes, strict=True)
    ]


def _latlon_words(lat: float, lon: float) -> str:
    return f"around {abs(lat):.3f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.3f}° {'E' if lon >= 0 else 'W'}"


# Above this many (unit, LSOA) pairs the counts are taken over the pairs present (a
# sort) instead of a dense bincount: 50k grid squares x 35k LSOAs nationally is 1.75e9.
_DENSE_PAIRS = 1 << 24


def most_common(unit: np.ndarray, code: np.ndarray, n_units: int, n_codes: int) -> np.ndarray:
    """For each unit, the code most of its incidents have (-1 where none has one); ties
    go to the lower code. Vectorised: one bincount (or unique) over unit x code."""
    ok = (unit >= 0) & (code >= 0)
    key = unit[ok].astype(np.int64) * n_codes + code[ok]
    if n_units * n_codes <= _DENSE_PAIRS:
        counts = np.bincount(key, minlength=n_units * n_codes).reshape(n_units, n_codes)
        best = counts.argmax(axis=1)
        return np.where(counts[np.arange(n_units), best] > 0, best, -1)
    pairs, counts = np.unique(key, return_counts=True)
    owner, what = pairs // n_codes, pairs % n_codes
    order = np.lexsort((what, -counts, owner))  # per unit: most incidents, then lowest code
    first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]] if len(order) else order
    out = np.full(n_units, -1, dtype=np.int64)
    out[owner[first]] = what[first]
    return out


def _modal_lsoa(index: Index, units) -> np.ndarray:
    """Each unit's modal LSOA code, cached on the index beside the units: at 5M
    incidents it takes 0.3-1 s, and the preview redraws on every widget change. The
    cache holds a weak reference to the units, so a units object rebuilt after eviction
    (which may reuse the old one's id) never reads another's answer."""
    key = ("lsoa_mode", id(units))

    def build() -> tuple[weakref.ref, np.ndarray]:
        return weakref.ref(units), most_common(
            units.incident_unit, index.lsoa_code, len(units.area_km2), len(index.lsoa_names)
        )

    owner, best = index.cached(key, build)
    if owner() is not units:
        index.cache.pop(key, None)
        owner, best = index.cached(key, build)
    return best


def _lsoa_words(index: Index, units, codes: np.ndarray) -> list[str | None]:
    """'mostly in Trafford 012A': the LSOA (police.uk's own column) most of each unit's
    incidents were snapped into; None for a unit with none or data without LSOA names.
    Only the analyst's preview shows this: the public export never reads it."""
    if not index.lsoa_names or len(index.lsoa_code) != len(units.incident_unit):
        return [None] * len(codes)
    best = _modal_lsoa(index, units)[codes]
    names = index.lsoa_names
    return [f"mostly in {names[b]}" if b >= 0 else None for b in best.tolist()]


def place_names(index: Index, units, codes: np.ndarray, lat, lon) -> list[str]:
    """A place a person can recognise for each unit: an area unit's own name, else the
    loaded area that holds the unit's centre, else the police.uk LSOA most of its
    incidents fall in, else where its centre is in degrees. Never the raw H3 or grid id
    alone."""
    codes = np.asarray(codes, dtype=np.int64)
    if not len(codes):
        return []
    if units.granularity.kind == "areas":
        return _area_names(index, units.area_layer, codes)
    fallback = [
        lsoa or _latlon_words(a, b)
        for lsoa, a, b in zip(_lsoa_words(index, units, codes), lat, lon, strict=True)
    ]
    if not index.areas:
        return fallback
    name = min(index.areas, key=lambda n: index.areas[n].n)  # the layer named on the map
    geoms = index.areas[name].frame.geometry.to_numpy()
    pairs = shapely.STRtree(geoms).query(shapely.points(lon, lat), predicate="intersects")
    hit = np.full(len(codes), -1)
    hit[pairs[0][::-1]] = pairs[1][::-1]  # the first area when several hold the centre
    out = list(fallback)
    found = np.flatnonzero(hit >= 0)
    for i, nm in zip(found, _area_names(index, name, hit[found]), strict=True):
        out[i] = f"in {nm}"
    return out


def _km2_words(km2: float) -> str:
    return f"{km2:,.0f} km²" if km2 >= 10 else f"{km2:.2f} km²" if km2 >= 0.1 else f"{km2:.3f} km²"


def households_words(households: float, assumed: bool = False) -> str:
    """'95 households' (never '95.0'); '(assumed)' when from a density, not a layer."""
    n = round(float(households))
    return f"{n:,} household{'' if n == 1 else 's'}" + (" (assumed)" if assumed else "")


def _add_words(frame: pd.DataFrame, index: Index, units, codes, lat, lon) -> None:
    """Tooltip text for each unit: its place, its size and its households (escaped)."""
    codes = np.asarray(codes, dtype=np.int64)
    frame["place"] = place_names(index, units, codes, lat, lon)
    frame["size"] = [_km2_words(k) for k in units.area_km2[codes]]
    frame["households"] = [
        households_words(h, units.households_assumed) for h in units.households[codes]
    ]
    frame["unit_id"] = frame[S.UNIT]


def unit_place(index: Index, units, unit: str) -> str:
    """The place words of one unit named by its public id (the worst case's unit), so a
    caption reads 'in Sampleton 001A' rather than '891f1d48863ffff'. Falls back to the
    id when the unit is not one of `units` (a design changed under the caption)."""
    codes = np.arange(len(units.area_km2), dtype=np.int64)
    hit = np.flatnonzero(np.asarray(units.labels(index, codes), dtype=object) == unit)
    if not len(hit):
        return f"in unit {unit}"
    lat, lon = units.centres(index, hit[:1])
    place = place_names(index, units, hit[:1], lat, lon)[0]
    return place if place.startswith(("in ", "around ", "mostly in ")) else f"in {place}"
