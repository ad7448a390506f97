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
    h3_cells: np.ndarray | None = None  # uint64 per unit (h3, adaptive; a pool: its parent)
    residual: np.ndarray | None = None  # bool per unit: an adaptive "rest of the parent" pool
    residual_members: dict | None = None  # pool unit code -> its child cells (uint64)
    grid_xy: np.ndarray | None = None  # int64 (n, 2) lower-left corner in metres (grid)
    area_layer: str | None = None

    def labels(self, index: Index, codes: np.ndarray) -> list[str]:
        """Public ids of units: H3 ids as hex, grid squares as 'E..N..', area codes."""
        codes = np.asarray(codes, dtype=np.int64)
        kind = self.granularity.kind
        if kind in ("h3", "adaptive"):
            labels = cells_to_str(self.h3_cells[codes])
            if self.residual is not None:
                labels = [
                    f"{lab}-rest" if r else lab
                    for lab, r in zip(labels, self.residual[codes].tolist(), strict=True)
                ]
            return labels
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
            ll = np.array([self._centre(int(c)) for c in codes]).reshape(-1, 2)
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

    def _cells_of(self, code: int) -> list[str]:
        """The H3 cells a unit is made of (a pool: its member children)."""
        if self.residual is not None and self.residual[code]:
            return cells_to_str(self.residual_members[code])
        return [format(int(self.h3_cells[code]), "x")]

    def _centre(self, code: int) -> tuple[float, float]:
        pts = np.array([h3.cell_to_latlng(c) for c in self._cells_of(code)])
        return float(pts[:, 0].mean()), float(pts[:, 1].mean())

    def geometries(self, index: Index, codes: np.ndarray) -> np.ndarray:
        """Unit shapes as shapely polygons in WGS84 (for GeoJSON and the map)."""
        codes = np.asarray(codes, dtype=np.int64)
        kind = self.granularity.kind
        if kind in ("h3", "adaptive"):

            def shape(code: int):
                polys = [
                    shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)])
                    for c in self._cells_of(code)
                ]
                return polys[0] if len(polys) == 1 else shapely.union_all(polys)

            return np.array([shape(int(c)) for c in codes], dtype=object)
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
    return index.cached(key, lambda: _build(index, granularity, density_per_km2))


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
    an incident at a home covers at least K households; the units partition space.

    Top-down from resolution 5, each unit cell is split into its seven children. A
    child is fit to stand alone when it holds at least K households, or no incidents
    (it never publishes), or no households and no incident at a home or unknown place
    (a retail park or an industrial estate: nobody lives there to be identified,
    ¶26-28; such a place stays one unit rather than splitting down to single
    buildings). Children that are not fit are pooled into one "rest of the parent" unit;
    when the pool holds fewer than K households, the fit children with the fewest
    households join it until it has K. If even all seven together have fewer than K, the
    parent stays whole. Fit children carry on splitting. A base cell with fewer than K
    households stays whole: nothing coarser exists.
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
    whole: dict[int, np.ndarray] = {}
    residual_of: dict[int, np.ndarray] = {}  # level r+1 -> parent code per child, -1
    terminal: dict[int, np.ndarray] = {}  # level -> cells that stop splitting there
    for r in levels[:-1]:
        child = rcs[r + 1]
        poc = np.searchsorted(rcs[r].cells, h3_parent(child.cells, r))
        hh = households(r + 1)
        nobody_home = (hh == 0) & (child.private_incidents == 0)
        fit = (hh >= k) | (child.incidents == 0) | nobody_home
        in_active = active[poc]
        bad = in_active & ~fit
        n_p = len(active)
        bad_hh = np.bincount(poc, weights=hh * bad, minlength=n_p)
        bad_private = np.bincount(poc, weights=child.private_incidents * bad, minlength=n_p)
        has_bad = np.bincount(poc, weights=bad, minlength=n_p) > 0
        pool_ok = (bad_hh >= k) | ((bad_hh == 0) & (bad_private == 0))
        # fit children join a short pool, fewest households first
        cand = np.flatnonzero(in_active & fit & (has_bad & ~pool_ok)[poc])
        cand = cand[np.lexsort((child.cells[cand], hh[cand], poc[cand]))]
        cum = np.cumsum(hh[cand])
        gid, first = runs(poc[cand])
        before = cum - hh[cand] - (cum[first] - hh[cand][first])[gid] if len(cand) else cum
        join = cand[(bad_hh[poc[cand]] + before) < k]
        pool_hh = bad_hh + np.bincount(poc[join], weights=hh[join], minlength=n_p)
        joined = np.bincount(poc[join], minlength=n_p)
        fit_children = np.bincount(poc, weights=in_active & fit, minlength=n_p)
        stays_whole = has_bad & ~pool_ok & ((pool_hh < k) | (joined >= fit_children))
        whole[r] = active & stays_whole
        split = active & ~stays_whole
        pooled = np.zeros(len(child.cells), dtype=bool)
        pooled[bad & split[poc]] = True
        pooled[join[split[poc[join]]]] = True
        residual_of[r + 1] = np.where(pooled, poc, -1)
        # a place where nobody lives stands alone at the first level it appears, rather
        # than splitting on down to single buildings
        stays = split[poc] & ~pooled & nobody_home & (child.incidents > 0)
        terminal[r + 1] = stays
        active = split[poc] & ~pooled & fit & ~stays
    whole[H3_MAX] = active
    for r, flags in terminal.items():
        whole[r] = whole[r] | flags

    unit = np.full(index.n, -1, dtype=np.int64)
    cells, area, hh_out, is_res, members = [], [], [], [], {}
    offset = 0
    for r in levels:
        rc = rcs[r]
        flags = whole[r]
        rank = np.cumsum(flags) - 1 + offset
        sel = flags[rc.incident_code]
        unit[sel] = rank[rc.incident_code[sel]]
        cells.append(rc.cells[flags])
        area.append(np.full(int(flags.sum()), h3.average_hexagon_area(r, unit="km^2")))
        hh_out.append(households(r)[flags])
        is_res.append(np.zeros(int(flags.sum()), dtype=bool))
        offset += int(flags.sum())
        if r in residual_of:
            res = residual_of[r]
            parents = np.unique(res[res >= 0])
            if len(parents):
                prow = np.full(len(rcs[r - 1].cells), -1, dtype=np.int64)
                prow[parents] = np.arange(len(parents)) + offset
                member = res >= 0
                sel = member[rc.incident_code]
                unit[sel] = prow[res[rc.incident_code[sel]]]
                hh_r = households(r)
                cells.append(rcs[r - 1].cells[parents])
                area.append(
                    np.bincount(prow[res[member]] - offset, minlength=len(parents))
                    * h3.average_hexagon_area(r, unit="km^2")
                )
                hh_out.append(
                    np.bincount(
                        prow[res[member]] - offset, weights=hh_r[member], minlength=len(parents)
                    )
                )
                is_res.append(np.ones(len(parents), dtype=bool))
                for code, child_cell in zip(
                    prow[res[member]].tolist(), rc.cells[member].tolist(), strict=True
                ):
                    members.setdefault(code, []).append(child_cell)
                offset += len(parents)
    return Units(
        g,
        unit.astype(np.int32),
        offset,
        np.concatenate(hh_out),
        not index.has_households,
        np.concatenate(area),
        h3_cells=np.concatenate(cells),
        residual=np.concatenate(is_res),
        residual_members={k: np.array(v, dtype=np.uint64) for k, v in members.items()},
    )


def runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group ids of consecutive equal keys (keys sorted): (group id per row, first row
    of each group). Linear, no sort."""
    if not len(keys):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    start = np.empty(len(keys), dtype=bool)
    start[0] = True
    np.not_equal(keys[1:], keys[:-1], out=start[1:])
    return np.cumsum(start) - 1, np.flatnonzero(start)
