"""Spatial units of a design: which unit each incident falls in, and each unit's
households, area, label and shape.

Units nest where the guidance's argument needs them to (¶16: larger areas, lower
risk): an H3 cell's parent is found by bit work on its id, grid squares share one
origin so a square of 2M metres is exactly four of M, and adaptive units are H3 cells
of mixed resolution chosen top-down. Units are cached on the index per granularity,
so only the first use of a granularity pays for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import h3
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from crimedash import schema as S
from crimedash.design import H3_MAX, Granularity
from crimedash.errors import DesignError
from crimedash.index import Index, cells_to_str, h3_parent

ADAPTIVE_BASE_RESOLUTION = 5  # ~250 km2: coarser than any city a map covers


@dataclass(frozen=True)
class Units:
    """The spatial units of one granularity over one index."""

    granularity: Granularity
    incident_unit: np.ndarray  # int32 unit per incident; -1 where outside every unit
    n: int
    households: np.ndarray  # float64 per unit (from the layer/points, or assumed)
    households_assumed: bool
    area_km2: np.ndarray  # float64 per unit
    h3_cells: np.ndarray | None = None  # uint64 per unit (h3, adaptive)
    grid_xy: np.ndarray | None = None  # int64 (n, 2) lower-left corner in metres (grid)
    area_layer: str | None = None

    def labels(self, index: Index, codes: np.ndarray) -> list[str]:
        """Public ids of units: H3 ids as hex, grid squares as 'E..N..', area codes."""
        codes = np.asarray(codes, dtype=np.int64)
        kind = self.granularity.kind
        if kind in ("h3", "adaptive"):
            return cells_to_str(self.h3_cells[codes])
        if kind == "grid":
            m = self.granularity.param
            xy = self.grid_xy[codes]
            return [f"{m}m_E{x}N{y}" for x, y in xy.tolist()]
        return index.areas[self.area_layer].codes[codes].tolist()

    def centres(self, index: Index, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit centres (lat, lon) in WGS84: where a heat map places a unit's count."""
        codes = np.asarray(codes, dtype=np.int64)
        kind = self.granularity.kind
        if kind in ("h3", "adaptive"):
            ll = np.array([h3.cell_to_latlng(c) for c in cells_to_str(self.h3_cells[codes])])
            ll = ll.reshape(-1, 2)
            return ll[:, 0], ll[:, 1]
        if kind == "grid":
            half = self.granularity.param / 2
            xy = self.grid_xy[codes].astype(float) + half
            lon, lat = Transformer.from_crs(index.crs, S.WGS84, always_xy=True).transform(
                xy[:, 0], xy[:, 1]
            )
            return np.asarray(lat), np.asarray(lon)
        geoms = index.areas[self.area_layer].frame.geometry.to_numpy()[codes]
        pts = shapely.point_on_surface(geoms)
        return shapely.get_y(pts), shapely.get_x(pts)

    def geometries(self, index: Index, codes: np.ndarray) -> np.ndarray:
        """Unit shapes as shapely polygons in WGS84 (for GeoJSON and the map)."""
        codes = np.asarray(codes, dtype=np.int64)
        kind = self.granularity.kind
        if kind in ("h3", "adaptive"):
            return np.array(
                [
                    shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)])
                    for c in cells_to_str(self.h3_cells[codes])
                ],
                dtype=object,
            )
        if kind == "grid":
            m = self.granularity.param
            xy = self.grid_xy[codes].astype(float)
            corners = np.stack([xy, xy + [m, 0], xy + [m, m], xy + [0, m], xy], axis=1).reshape(
                -1, 2
            )
            lon, lat = Transformer.from_crs(index.crs, S.WGS84, always_xy=True).transform(
                corners[:, 0], corners[:, 1]
            )
            ring = np.stack([lon, lat], axis=1).reshape(-1, 5, 2)
            return shapely.polygons(ring)
        return index.areas[self.area_layer].frame.geometry.to_numpy()[codes]


def units_for(index: Index, granularity: Granularity, density_per_km2: float) -> Units:
    """Units of a granularity over an index (cached on the index)."""
    key = ("units", str(granularity), density_per_km2 if not index.has_households else None)
    cached = index.cache.get(key)
    if cached is None:
        cached = _build(index, granularity, density_per_km2)
        index.cache[key] = cached
    return cached


def _build(index: Index, g: Granularity, density: float) -> Units:
    if g.kind == "h3":
        rc = index.resolution(g.param)
        area = np.full(len(rc.cells), h3.average_hexagon_area(g.param, unit="km^2"))
        hh = rc.households if index.has_households else density * area
        return Units(
            g,
            rc.incident_code,
            len(rc.cells),
            hh,
            not index.has_households,
            area,
            h3_cells=rc.cells,
        )
    if g.kind == "grid":
        return _grid(index, g, density)
    if g.kind == "areas":
        return _areas(index, g, density)
    return _adaptive(index, g, density)


def _grid(index: Index, g: Granularity, density: float) -> Units:
    m = float(g.param)
    ix = np.floor(index.x / m).astype(np.int64)
    iy = np.floor(index.y / m).astype(np.int64)
    hx = np.floor(index.hh_x / m).astype(np.int64)
    hy = np.floor(index.hh_y / m).astype(np.int64)
    # pack (ix, iy) into one int64 (offsets keep both halves non-negative)
    off = 1 << 30
    key = (ix + off) << 31 | (iy + off)
    hkey = (hx + off) << 31 | (hy + off)
    uniq, inverse = np.unique(np.concatenate([key, hkey]), return_inverse=True)
    inc = inverse[: index.n].astype(np.int32)
    hhc = inverse[index.n :]
    xy = np.stack(
        [((uniq >> 31) - off) * int(m), ((uniq & ((1 << 31) - 1)) - off) * int(m)], axis=1
    )
    area = np.full(len(uniq), (m / 1000.0) ** 2)
    if index.has_households:
        hh = np.bincount(hhc, weights=index.hh_count, minlength=len(uniq)).astype(float)
    else:
        hh = density * area
    return Units(g, inc, len(uniq), hh, not index.has_households, area, grid_xy=xy)


def _areas(index: Index, g: Granularity, density: float) -> Units:
    if not index.areas:
        raise DesignError(
            "granularity 'areas' needs an areas layer, and none is loaded",
            hint="load output areas, beats or wards (GeoJSON, GeoPackage or zipped shapefile)",
        )
    name = g.param
    if name is None:
        name = next(iter(index.areas))
    if name not in index.areas:
        raise DesignError(f"no area layer called {name!r}; loaded: {', '.join(index.areas)}")
    layer = index.areas[name]
    assumed = layer.households_source == "assumed"
    hh = density * layer.area_km2 if assumed else layer.households
    return Units(g, layer.incident_area, layer.n, hh, assumed, layer.area_km2, area_layer=name)


def _adaptive(index: Index, g: Granularity, density: float) -> Units:
    """H3 cells of mixed resolution, as fine as possible while every unit that holds
    an incident covers at least K households.

    Top-down from resolution 5: a cell is split into its children when every child
    that holds any incident has at least K households (children with no incidents
    never publish, so they do not block a split). Each incident belongs to exactly one
    unit, the deepest cell reached, so the units partition space. A base cell with
    fewer than K households is kept whole: nothing coarser exists (reported as such).
    """
    k = float(g.param)
    levels = list(range(ADAPTIVE_BASE_RESOLUTION, H3_MAX + 1))
    rcs = {r: index.resolution(r) for r in levels}

    def households(r: int) -> np.ndarray:
        rc = rcs[r]
        if index.has_households:
            return rc.households
        return np.full(len(rc.cells), density * h3.average_hexagon_area(r, unit="km^2"))

    active = np.ones(len(rcs[levels[0]].cells), dtype=bool)
    is_unit: dict[int, np.ndarray] = {}
    for r in levels:
        if r == H3_MAX:
            is_unit[r] = active
            break
        child = rcs[r + 1]
        parent_of_child = np.searchsorted(rcs[r].cells, h3_parent(child.cells, r))
        child_bad = (households(r + 1) < k) & (child.incidents > 0)
        split = np.bincount(parent_of_child, weights=child_bad, minlength=len(active)) == 0
        is_unit[r] = active & ~split
        active = (active & split)[parent_of_child]

    unit = np.full(index.n, -1, dtype=np.int64)
    hh_unit = np.full(len(index.hh_count), -1, dtype=np.int64)
    cells, area, hh = [], [], []
    offset = 0
    for r in levels:
        flags = is_unit[r]
        rank = np.cumsum(flags) - 1 + offset
        rc = rcs[r]
        sel = flags[rc.incident_code]
        unit[sel] = rank[rc.incident_code[sel]]
        hsel = flags[rc.household_code]
        hh_unit[hsel] = rank[rc.household_code[hsel]]
        cells.append(rc.cells[flags])
        area.append(np.full(int(flags.sum()), h3.average_hexagon_area(r, unit="km^2")))
        hh.append(households(r)[flags])
        offset += int(flags.sum())
    return Units(
        g,
        unit.astype(np.int32),
        offset,
        np.concatenate(hh),
        not index.has_households,
        np.concatenate(area),
        h3_cells=np.concatenate(cells),
    )


def unit_table(units: Units, index: Index, codes: np.ndarray) -> pd.DataFrame:
    """Units as a small frame: id, households, area (for tooltips and reports)."""
    codes = np.asarray(codes, dtype=np.int64)
    return pd.DataFrame(
        {
            S.UNIT: units.labels(index, codes),
            S.HOUSEHOLDS: units.households[codes],
            "area_km2": units.area_km2[codes],
        }
    )
