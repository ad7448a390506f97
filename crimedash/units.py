"""Spatial units of a design: which unit each incident falls in, and each unit's
households, area, label and shape.

Counted where drawn: every kind of unit places an incident in the unit whose published
outline contains it (see `crimedash.index`). H3 cells are found at the design's own
resolution; grid squares by their metric corners, checked against the square as drawn in
longitude/latitude; areas against their published (rounded) outlines; adaptive units are
unions of base H3 cells, so they partition space by construction.

Units nest where the guidance's argument needs them to (¶16: larger areas, lower risk):
grid squares share one origin so a square of 2M metres is exactly four of M. Units are
cached on the index per granularity, so only the first use of a granularity pays for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import h3
import h3.api.basic_int as h3_int
import numpy as np
import shapely
from pyproj import Transformer

from crimedash import schema as S
from crimedash.cancel import checkpoint
from crimedash.cells import (
    cell_centres,
    cell_vertices,
    cells_to_str,
    counter_clockwise,
    h3_parent,
    in_convex,
    round_published,
)
from crimedash.design import Granularity
from crimedash.errors import DesignError
from crimedash.index import Index
from crimedash.settings import H3_MAX, H3_MIN

__all__ = [
    "ADAPTIVE_DEPTH",
    "AREA_MARGIN",
    "Units",
    "adaptive_base_resolution",
    "runs",
    "units_cache_key",
    "units_for",
]

ADAPTIVE_DEPTH = 5  # adaptive units start this many resolutions above the base one
AREA_MARGIN = 0.9  # a base cell's area may fall this far below the one at the data's centre


@dataclass(frozen=True)
class Units:
    """The spatial units of one granularity over one index."""

    granularity: Granularity
    incident_unit: np.ndarray  # int32 unit per incident; -1 where outside every unit
    n: int
    households: np.ndarray  # float64 per unit (from the layer/points, or assumed)
    households_assumed: bool
    area_km2: np.ndarray  # float64 per unit
    h3_cells: np.ndarray | None = None  # uint64 per unit (h3; adaptive: the cell or pool's parent)
    residual: np.ndarray | None = None  # bool per unit: an adaptive pool of a parent's children
    residual_members: dict | None = None  # pool unit code -> its child cells (uint64)
    grid_xy: np.ndarray | None = None  # int64 (n, 2) lower-left corner in metres (grid)
    area_layer: str | None = None
    base_resolution: int | None = None  # adaptive: the H3 resolution units are unions of
    # adaptive units' shapes once built (a unit's outline is its hexagons' union: seconds
    # per map at national scale, and every design on these units draws the same ones)
    _shapes: dict = field(default_factory=dict, compare=False, repr=False)

    def labels(self, index: Index, codes: np.ndarray) -> list[str]:
        """Public ids of units: H3 ids as hex, grid squares as '250m_E..N..', area codes.

        An adaptive unit that is one H3 cell (with all its base-resolution descendants)
        has that cell's id; a pool of some of a parent's seven children is
        '<parent id>:<child digits>', e.g. '891f1d48863ffff:0356' is the children with
        digits 0, 3, 5 and 6 of that cell (h3.cell_to_children lists them in digit
        order). Both are stable: the same households give the same ids."""
        codes = np.asarray(codes, dtype=np.int64)
        kind = self.granularity.kind
        if kind in ("h3", "adaptive"):
            labels = cells_to_str(self.h3_cells[codes])
            if self.residual is not None:
                labels = [
                    f"{lab}:{_digits(self.residual_members[c])}" if r else lab
                    for lab, c, r in zip(
                        labels, codes.tolist(), self.residual[codes].tolist(), strict=True
                    )
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
            lat, lon = index.cached(
                ("unit-centres", str(self.granularity), id(self)), self._centres
            )
            return lat[codes], lon[codes]
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

    def _cells_of(self, code: int) -> list[int]:
        """The H3 cells a unit is made of (a pool: its member children)."""
        if self.residual is not None and self.residual[code]:
            return [int(c) for c in self.residual_members[code]]
        return [int(self.h3_cells[code])]

    def _centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Every unit's centre at once (cached per units): an H3 cell's centre, or the
        mean of a pool's member centres. Vectorised (h3ronpy): one call per unit was
        4.6 s of a 1M-row map (docs/scale.md)."""
        lat, lon = cell_centres(self.h3_cells)
        if self.residual is not None and self.residual.any():
            pools = np.flatnonzero(self.residual)
            members = [np.asarray(self.residual_members[int(c)], dtype=np.uint64) for c in pools]
            sizes = np.array([len(m) for m in members], dtype=np.int64)
            mlat, mlon = cell_centres(np.concatenate(members))
            owner = np.repeat(np.arange(len(pools)), sizes)
            lat[pools] = np.bincount(owner, weights=mlat, minlength=len(pools)) / sizes
            lon[pools] = np.bincount(owner, weights=mlon, minlength=len(pools)) / sizes
        return lat, lon

    def geometries(self, index: Index, codes: np.ndarray) -> np.ndarray:
        """Unit shapes as published: shapely polygons in WGS84, vertices rounded to
        `PUBLISHED_DECIMALS`, exterior rings counter-clockwise. Incidents are placed
        in these exact shapes, so a shape contains every incident counted in it."""
        codes = np.asarray(codes, dtype=np.int64)
        kind = self.granularity.kind
        if kind == "h3":
            return shapely.polygons(cell_vertices(self.h3_cells[codes]))
        if kind == "adaptive":
            return self._cached_adaptive_shapes(codes)
        if kind == "grid":
            return shapely.polygons(
                _square_rings(index, self.granularity.param, self.grid_xy[codes])
            )
        return index.areas[self.area_layer].frame.geometry.to_numpy()[codes]

    def _base_cells(self, code: int) -> list[int]:
        return [
            c
            for cell in self._cells_of(code)
            for c in (
                [cell]
                if h3_int.get_resolution(cell) == self.base_resolution
                else h3_int.cell_to_children(cell, self.base_resolution)
            )
        ]

    def _cached_adaptive_shapes(self, codes: np.ndarray) -> np.ndarray:
        """`_adaptive_shapes`, each unit's built the first time it is asked for."""
        shapes = self._shapes.get("adaptive")
        if shapes is None:
            shapes = self._shapes.setdefault("adaptive", np.full(self.n, None, dtype=object))
        todo = np.unique(codes[np.equal(shapes[codes], None)])
        if len(todo):
            shapes[todo] = self._adaptive_shapes(todo)
        return shapes[codes]

    def _adaptive_shapes(self, codes: np.ndarray) -> np.ndarray:
        """Each unit is the union of its base-resolution hexagons as published (they
        share their rounded vertices exactly, so the union has no slivers or gaps).
        Built in batches, not per unit: every outline in one call, then one union per
        group of units with the same number of hexagons (a 2-D `coverage_union_all`),
        since per-unit shapely calls were 60-80% of an adaptive map."""
        base = [self._base_cells(int(c)) for c in codes.tolist()]
        sizes = np.array([len(b) for b in base], dtype=np.int64)
        out = np.empty(len(codes), dtype=object)
        if not len(codes):
            return out
        polys = shapely.polygons(
            cell_vertices(
                np.fromiter((c for b in base for c in b), dtype=np.uint64, count=int(sizes.sum()))
            )
        )
        start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        for size in np.unique(sizes).tolist():
            rows = np.flatnonzero(sizes == size)
            take = start[rows][:, None] + np.arange(size)
            out[rows] = (
                polys[take[:, 0]] if size == 1 else shapely.coverage_union_all(polys[take], axis=1)
            )
        return shapely.orient_polygons(out)


def _digits(children: np.ndarray) -> str:
    """The child digits of cells (their last used H3 digit), in order."""
    out = []
    for c in np.asarray(children, dtype=np.uint64).tolist():
        r = h3_int.get_resolution(c)
        out.append(str((c >> (3 * (15 - r))) & 7))
    return "".join(sorted(out))


@lru_cache(maxsize=8)
def _to_wgs84(crs: str) -> Transformer:
    """A metric CRS's transformer to WGS84 (building one costs ~0.1 s)."""
    return Transformer.from_crs(crs, S.WGS84, always_xy=True)


def _square_rings(index: Index, m: float, xy: np.ndarray) -> np.ndarray:
    """Grid squares as published: (n, 4, 2) lon/lat corners, rounded, counter-clockwise."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    corners = np.stack([xy, xy + [m, 0], xy + [m, m], xy + [0, m]], axis=1).reshape(-1, 2)
    lon, lat = _to_wgs84(index.crs).transform(corners[:, 0], corners[:, 1])
    rings = round_published(np.stack([lon, lat], axis=1).reshape(-1, 4, 2))
    return counter_clockwise(rings)


def units_for(
    index: Index,
    granularity: Granularity,
    density_per_km2: float,
    min_area_m2: float = 10_000.0,
) -> Units:
    """Units of a granularity over an index (cached on the index). `min_area_m2` is the
    design's smallest adaptive unit; other kinds ignore it."""
    key = _key(index, granularity, density_per_km2, min_area_m2)
    return index.cached(key, lambda: _build(index, granularity, density_per_km2, min_area_m2))


def _key(index: Index, granularity: Granularity, density: float, min_area_m2: float) -> tuple:
    return (
        "units",
        str(granularity),
        density if not index.has_households else None,
        min_area_m2 if granularity.kind == "adaptive" else None,
    )


def units_cache_key(index: Index, design) -> tuple:
    """Where `units_for` caches a design's units on an index: a series' stored adaptive
    units are put there (`crimedash.seriesunits`) so every product uses them."""
    return _key(index, design.spatial, design.assumed_households_per_km2, design.min_unit_area_m2)


def _build(index: Index, g: Granularity, density: float, min_area_m2: float) -> Units:
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
    return _adaptive(index, g, density, min_area_m2)


_OFF = 1 << 30  # keeps both halves of a packed (ix, iy) square key non-negative


def _pack(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    return (ix + _OFF) << 31 | (iy + _OFF)


def _unpack(key: np.ndarray) -> np.ndarray:
    return np.stack([(key >> 31) - _OFF, (key & ((1 << 31) - 1)) - _OFF], axis=1)


def _grid_squares(index: Index, m: float, x, y, lon, lat) -> np.ndarray:
    """Packed (ix, iy) square key of each point: by its metric coordinates, then checked
    against the square as drawn (straight edges between rounded lon/lat corners); the
    few points just outside it go to the neighbouring square that draws them."""
    ix = np.floor(x / m).astype(np.int64)
    iy = np.floor(y / m).astype(np.int64)
    key = _pack(ix, iy)
    if not len(key):
        return key
    sq, inv = np.unique(key, return_inverse=True)
    checkpoint()
    ok = in_convex(_square_rings(index, m, _unpack(sq) * m), lon, lat, inv.reshape(-1))
    bad = np.flatnonzero(~ok)
    if len(bad):  # the eight neighbours of each, in one transform
        steps = np.array([(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy])
        cand = (np.stack([ix[bad], iy[bad]], axis=1)[:, None, :] + steps).reshape(-1, 2)
        hit = in_convex(
            _square_rings(index, m, cand * m), np.repeat(lon[bad], 8), np.repeat(lat[bad], 8)
        ).reshape(-1, 8)
        found = hit.any(axis=1)
        pick = cand.reshape(-1, 8, 2)[np.arange(len(bad)), hit.argmax(axis=1)]
        key[bad[found]] = _pack(pick[found, 0], pick[found, 1])
    return key


def _grid(index: Index, g: Granularity, density: float) -> Units:
    m = float(g.param)
    inc = _grid_squares(index, m, index.x, index.y, index.lon, index.lat)
    checkpoint()
    hh_sq = _grid_squares(index, m, index.hh_x, index.hh_y, index.hh_lon, index.hh_lat)
    uniq, inverse = np.unique(np.concatenate([inc, hh_sq]), return_inverse=True)
    inverse = inverse.reshape(-1)
    hhc = inverse[index.n :]
    xy = _unpack(uniq) * int(m)
    area = np.full(len(uniq), (m / 1000.0) ** 2)
    if index.has_households:
        hh = np.bincount(hhc, weights=index.hh_count, minlength=len(uniq)).astype(float)
    else:
        hh = density * area
    return Units(
        g,
        inverse[: index.n].astype(np.int32),
        len(uniq),
        hh,
        not index.has_households,
        area,
        grid_xy=xy,
    )


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


def adaptive_base_resolution(index: Index, min_area_m2: float) -> int:
    """The finest H3 resolution whose cells are at least `min_area_m2`, judged by the
    cell at the households' centre (the incidents' without households) with a margin
    of `AREA_MARGIN` for cells elsewhere in the data. Adaptive units are unions of cells
    of this resolution, so none is smaller than a cell of it."""
    if index.has_households and len(index.hh_lat):
        lat0, lon0 = float(np.median(index.hh_lat)), float(np.median(index.hh_lon))
    elif index.n:
        lat0, lon0 = float(np.median(index.lat)), float(np.median(index.lon))
    else:
        lat0, lon0 = 51.5, 0.0
    for r in range(H3_MAX, H3_MIN - 1, -1):
        cell = h3_int.latlng_to_cell(lat0, lon0, r)
        if h3_int.cell_area(cell, unit="m^2") * AREA_MARGIN >= min_area_m2:
            return r
    return H3_MIN


def _cover_households(index: Index, top: int) -> np.ndarray:
    """Top-level cells over the households' convex hull, widened by a cell's edge, so
    the units leave no gap inside the data's extent (a top cell where nobody lives is
    one unit). From the households only; without them, from nothing (the top cells are
    then those holding incidents)."""
    if not index.has_households or len(index.hh_lat) < 3:
        return np.empty(0, dtype=np.uint64)
    hull = shapely.convex_hull(shapely.multipoints(np.c_[index.hh_lon, index.hh_lat]))
    reach = 2 * h3.average_hexagon_edge_length(top, unit="km") / 111.0
    area = shapely.buffer(hull, reach)
    ring = [(lat, lon) for lon, lat in area.exterior.coords]
    cells = h3.h3shape_to_cells_experimental(h3.LatLngPoly(ring), top, contain="overlap")
    return np.array(sorted(h3.str_to_int(c) for c in cells), dtype=np.uint64)


def _adaptive(index: Index, g: Granularity, density: float, min_area_m2: float) -> Units:
    """Unions of base H3 cells, as fine as possible while each covers at least K
    households; they partition space, and their shapes depend on households only.

    The base resolution B is the finest whose cells are at least the design's minimum
    area (`adaptive_base_resolution`), so no unit is smaller than a block, however many
    households one address holds. Incidents and households are placed in base cells
    by their published hexagons. Units are then chosen top-down through the H3 index
    hierarchy from resolution B-5 (by cell ids, so every base cell has exactly one
    ancestor at each level): a cell splits into its children when it can; a child
    with at least K households stands alone and may split further; the other
    children (the empty ones included) are pooled into one unit, and when that pool
    holds fewer than K households, the standalone children with fewest households
    join it until it has K. A cell whose pool cannot reach K stays whole. Only a top
    cell may hold fewer than K households (nothing coarser exists).

    No incident decides anything: a hidden category or next month's incidents can add
    a top cell where nobody lives, but never change another unit's shape.
    """
    k = float(g.param)
    base = adaptive_base_resolution(index, min_area_m2)
    top = max(H3_MIN, base - ADAPTIVE_DEPTH)
    rc = index.resolution(base)
    base_cells = rc.cells
    hh_base = rc.households if index.has_households else np.zeros(len(base_cells))
    per_base = density * h3.average_hexagon_area(base, unit="km^2")

    extra = _cover_households(index, top)

    def level(r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        parents = h3_parent(base_cells, r)
        cells = np.union1d(parents, extra) if r == top else np.unique(parents)
        inv = np.searchsorted(cells, parents)
        if index.has_households:
            hh = np.bincount(inv, weights=hh_base, minlength=len(cells))
        else:
            hh = np.full(len(cells), per_base * 7 ** (base - r))
        return cells, inv, hh

    unit_of = np.full(len(base_cells), -1, dtype=np.int64)
    rep: list[np.ndarray] = []
    pool_flags: list[np.ndarray] = []
    members: dict[int, np.ndarray] = {}
    n_units = 0
    cells_r, inv_r, hh_r = level(top)
    active = np.ones(len(cells_r), dtype=bool)
    for r in range(top, base + 1):
        checkpoint()
        if r == base:
            whole = active
            standalone_c = split = None
        else:
            cells_c, inv_c, hh_c = level(r + 1)
            poc = np.searchsorted(cells_r, h3_parent(cells_c, r))
            fit = active[poc] & (hh_c >= k)
            pool_hh = hh_r - np.bincount(poc, weights=hh_c * fit, minlength=len(cells_r))
            # a short pool takes the standalone children with fewest households
            cand = np.flatnonzero(fit)
            cand = cand[np.lexsort((cells_c[cand], hh_c[cand], poc[cand]))]
            join = np.zeros(len(cells_c), dtype=bool)
            if len(cand):
                grp, first = runs(poc[cand])
                cum = np.cumsum(hh_c[cand])
                before = cum - hh_c[cand] - (cum[first] - hh_c[cand][first])[grp]
                join[cand[pool_hh[poc[cand]] + before < k]] = True
            standalone_c = fit & ~join
            pool_final = pool_hh + np.bincount(poc, weights=hh_c * join, minlength=len(cells_r))
            n_alone = np.bincount(poc, weights=standalone_c, minlength=len(cells_r))
            # no pool at all when every child stands alone (a pentagon's sixth is never met)
            whole = active & ((n_alone == 0) | ((pool_final < k) & (n_alone < 7)))
            split = active & ~whole
            standalone_c &= split[poc]
        # whole cells at this level
        ids = np.full(len(cells_r), -1, dtype=np.int64)
        ids[whole] = n_units + np.arange(int(whole.sum()))
        n_units += int(whole.sum())
        rep.append(cells_r[whole])
        pool_flags.append(np.zeros(int(whole.sum()), dtype=bool))
        sel = (unit_of < 0) & (ids[inv_r] >= 0)
        unit_of[sel] = ids[inv_r[sel]]
        if split is None:
            break
        # each split cell's pool: its children that do not stand alone
        alone = set(cells_c[standalone_c].tolist())
        pool_ids = np.full(len(cells_r), -1, dtype=np.int64)
        for i in np.flatnonzero(split).tolist():
            parent = int(cells_r[i])
            rest = [c for c in h3_int.cell_to_children(parent, r + 1) if c not in alone]
            if rest:
                pool_ids[i] = n_units
                members[n_units] = np.array(sorted(rest), dtype=np.uint64)
                rep.append(np.array([parent], dtype=np.uint64))
                pool_flags.append(np.ones(1, dtype=bool))
                n_units += 1
        sel = (unit_of < 0) & split[inv_r] & ~standalone_c[inv_c]
        unit_of[sel] = pool_ids[inv_r[sel]]
        cells_r, inv_r, hh_r, active = cells_c, inv_c, hh_c, standalone_c

    h3_cells = np.concatenate(rep) if rep else np.empty(0, dtype=np.uint64)
    residual = np.concatenate(pool_flags) if pool_flags else np.empty(0, dtype=bool)
    area = np.array(
        [
            sum(h3_int.cell_area(int(c), unit="km^2") for c in members[u])
            if residual[u]
            else h3_int.cell_area(int(h3_cells[u]), unit="km^2")
            for u in range(n_units)
        ]
    )
    if index.has_households:
        households = np.bincount(unit_of, weights=hh_base, minlength=n_units)
    else:
        households = density * area
    return Units(
        g,
        unit_of[rc.incident_code].astype(np.int32),
        n_units,
        households,
        not index.has_households,
        area,
        h3_cells=h3_cells,
        residual=residual,
        residual_members=members,
        base_resolution=base,
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
