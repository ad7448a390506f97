"""Index a data set once so that every design change is cheap integer work.

Indexing does the slow, per-point work once: metric x/y, integer time keys at every
level, category and location-type codes, and area membership by one spatial join per
area layer. H3 cells are found per resolution on first use (vectorised, with h3ronpy)
and cached, so a design change needs only integer division (grid squares) and
`np.bincount`.

Counted where drawn: a point belongs to the unit whose *published* shape (the outline
written to the public files, coordinates rounded to `PUBLISHED_DECIMALS`) contains it.
H3's own point-to-cell rule uses great-circle edges and unrounded vertices, while a GIS
draws straight edges between the published vertices, so the few points within a few
centimetres (a metre for resolution 5) of an edge are checked against the published
outline and moved to the neighbour that draws them. (Placing points by the parent of
their resolution-15 cell, as this module once did, put 5-7% of incidents outside the
hexagon they were counted in: H3 children are not inside their parents.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import h3.api.basic_int as h3_int
import numpy as np
import pandas as pd
import shapely
from h3ronpy import vector as _h3_vector
from pyproj import Transformer

from crimedash import schema as S
from crimedash.design import H3_MAX, H3_MIN, TIME_LEVELS
from crimedash.errors import InputError
from crimedash.load.plausible import check_household_total
from crimedash.schema import LocationType, TimePrecision

Progress = Callable[[float, str], None]

PUBLISHED_DECIMALS = 6  # ~0.1 m: every public file and map draws vertices at this precision
_RES_SHIFT = np.uint64(52)
_RES_MASK = np.uint64(0xF) << _RES_SHIFT

# Great Britain in WGS84: inside it, grid squares are Ordnance Survey National Grid
# squares (EPSG:27700), the ones UK analysts already use.
_GB_BOUNDS = (-8.7, 49.8, 1.9, 60.9)

DATA_LEVEL = {
    TimePrecision.TIMESTAMP: "timestamp",
    TimePrecision.DAY: "day",
    TimePrecision.MONTH: "month",
}


def h3_parent(cells: np.ndarray, res: int) -> np.ndarray:
    """Parents of res-15 H3 cells at `res`, by bit work (matches h3.cell_to_parent).

    Clear the resolution nibble (bits 52-55), set the new one, and set every digit
    finer than `res` (3 bits each) to 7, the "unused" digit.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    unused = np.uint64((1 << (3 * (15 - res))) - 1)
    return (cells & ~_RES_MASK) | (np.uint64(res) << _RES_SHIFT) | unused


def published_shapes(geoms: np.ndarray) -> np.ndarray:
    """Shapes as published: coordinates rounded to `PUBLISHED_DECIMALS`, exterior rings
    counter-clockwise and holes clockwise (RFC 7946). Rounding twice changes nothing,
    so membership found on these matches the files exactly."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return geoms
    return shapely.orient_polygons(shapely.transform(geoms, round_published))


def latlng_to_cells(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    """H3 cells at `res` of points, directly at that resolution (vectorised by h3ronpy,
    which agrees with h3.latlng_to_cell; a Python loop over h3 costs ~0.5 s per million)."""
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    lon = np.ascontiguousarray(lon, dtype=np.float64)
    if not len(lat):
        return np.empty(0, dtype=np.uint64)
    return np.asarray(_h3_vector.coordinates_to_cells(lat, lon, res), dtype=np.uint64)


def round_published(xy: np.ndarray) -> np.ndarray:
    """Coordinates as every public file and map writes them."""
    return np.round(xy, PUBLISHED_DECIMALS)


def cell_vertices(cells: np.ndarray) -> np.ndarray:
    """Published outline of H3 cells: (n, V, 2) lon/lat vertices rounded to
    `PUBLISHED_DECIMALS`, counter-clockwise, padded by repeating the last vertex (most
    cells have 6; a cell crossing an icosahedron edge has more)."""
    cells = np.asarray(cells, dtype=np.uint64)
    bounds = [h3_int.cell_to_boundary(c) for c in cells.tolist()]
    width = max((len(b) for b in bounds), default=6)
    out = np.empty((len(cells), width, 2))
    for size in {len(b) for b in bounds}:
        rows = np.array([i for i, b in enumerate(bounds) if len(b) == size], dtype=np.int64)
        ring = np.array([bounds[i] for i in rows.tolist()], dtype=np.float64)[:, :, ::-1]
        out[rows, :size] = ring
        out[rows, size:] = ring[:, -1:]
    out = round_published(out)
    return _counter_clockwise(out)


def _counter_clockwise(rings: np.ndarray) -> np.ndarray:
    """(n, V, 2) rings turned counter-clockwise where they were not (RFC 7946)."""
    x, y = rings[..., 0], rings[..., 1]
    area2 = (x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y).sum(axis=1)
    flip = area2 < 0
    if flip.any():
        rings = rings.copy()
        rings[flip] = rings[flip, ::-1]
    return rings


def in_convex(
    rings: np.ndarray, x: np.ndarray, y: np.ndarray, which: np.ndarray | None = None
) -> np.ndarray:
    """Whether each point (x[i], y[i]) lies inside or on the convex counter-clockwise
    ring `rings[which[i]]` (`rings[i]` without `which`): straight edges in lon/lat, what
    a GIS draws. Chunked so a million points never make more than a few tens of MB of
    temporaries."""
    out = np.empty(len(x), dtype=bool)
    edges = np.roll(rings, -1, axis=1) - rings
    step = 200_000
    for lo in range(0, len(x), step):
        sel = slice(lo, lo + step) if which is None else which[lo : lo + step]
        a, e = rings[sel], edges[sel]
        px = x[lo : lo + step, None] - a[..., 0]
        py = y[lo : lo + step, None] - a[..., 1]
        cross = e[..., 0] * py - e[..., 1] * px
        out[lo : lo + step] = (cross >= 0).all(axis=1)
    return out


def drawn_cells(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    """The H3 cell at `res` whose published hexagon contains each point (see the module
    docstring): H3's cell, unless the point lies just outside its published outline,
    then the neighbour whose outline holds it."""
    cells = latlng_to_cells(lat, lon, res)
    if not len(cells):
        return cells
    uniq, inv = np.unique(cells, return_inverse=True)
    ok = in_convex(cell_vertices(uniq), lon, lat, inv.reshape(-1))
    bad = np.flatnonzero(~ok)
    if len(bad):  # the neighbours of each, tried in one pass, lowest id first
        rings = [sorted(set(h3_int.grid_disk(int(cells[i]), 1)) - {int(cells[i])}) for i in bad]
        owner = np.repeat(bad, [len(r) for r in rings])
        cand = np.array([c for r in rings for c in r], dtype=np.uint64)
        uniq, inv = np.unique(cand, return_inverse=True)
        hit = in_convex(cell_vertices(uniq), lon[owner], lat[owner], inv.reshape(-1))
        # the first hit per point (candidates are grouped by point, in id order)
        seen: set[int] = set()
        for j in np.flatnonzero(hit).tolist():
            if owner[j] not in seen:
                seen.add(int(owner[j]))
                cells[owner[j]] = cand[j]
    return cells


def cells_to_str(cells: np.ndarray) -> list[str]:
    """H3 ids as hex strings (what pydeck's H3HexagonLayer and h3-py expect)."""
    return [format(int(c), "x") for c in cells]


@dataclass
class AreaLayer:
    """One polygon layer (output areas, beats, wards) and incidents' membership in it."""

    name: str
    codes: np.ndarray  # area code labels, index = dense area id
    frame: gpd.GeoDataFrame  # code, geometry (WGS84), households?, residents?
    incident_area: np.ndarray  # int32 dense area id per incident, -1 outside every area
    households: np.ndarray  # float64 per area: from the layer, the points, or None
    households_source: str  # "layer", "points" or "assumed"
    area_km2: np.ndarray  # float64 per area

    @property
    def n(self) -> int:
        return len(self.codes)


@dataclass
class ResolutionCodes:
    """Dense codes at one H3 resolution, shared by incidents and household points."""

    cells: np.ndarray  # uint64 unique cells, sorted; index = dense code
    incident_code: np.ndarray  # int32 per incident
    household_code: np.ndarray  # int32 per household point
    households: np.ndarray  # float64 households per dense code
    incidents: np.ndarray  # int64 incidents per dense code (all categories)
    private_incidents: np.ndarray  # int64 of those at homes or unknown places (¶26-28)


@dataclass
class Index:
    """Everything about one data set that designs are computed from. Build with
    `index_incidents`; treat as read-only."""

    n: int
    lat: np.ndarray  # float64 WGS84 per incident (cells are found from these per resolution)
    lon: np.ndarray
    x: np.ndarray  # float64 metres, in `crs`
    y: np.ndarray
    crs: str
    time_keys: dict[str, np.ndarray]  # level -> int64 key per incident (sortable)
    time_origin: dict[str, int]  # level -> smallest key (to make codes dense)
    data_precision: TimePrecision
    categories: tuple[str, ...]  # index = category code
    category_code: np.ndarray  # int16 per incident
    location_types: tuple[str, ...]
    location_code: np.ndarray  # int8 per incident
    has_reference: np.ndarray  # bool per incident
    references: np.ndarray  # object per incident (only for the public references table)
    occurred_at: np.ndarray  # datetime64[ns] per incident
    hh_lat: np.ndarray  # float64 per household point
    hh_lon: np.ndarray
    hh_count: np.ndarray  # float64 households per point
    hh_x: np.ndarray
    hh_y: np.ndarray
    has_households: bool
    areas: dict[str, AreaLayer]
    fingerprint: str
    extent: tuple[float, float, float, float]  # lon/lat min/max of incidents
    _res: dict[int, ResolutionCodes] = field(default_factory=dict, repr=False)
    # per-design building blocks (spatial units per granularity), filled on first use
    cache: dict = field(default_factory=dict, repr=False)

    def cached(self, key, build):
        """The value cached under `key`, built by `build()` on first use. Designs share
        their building blocks (units per granularity, atoms per window level) this way."""
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = build()
        return hit

    @property
    def total_households(self) -> float:
        return float(self.hh_count.sum())

    def resolution(self, res: int) -> ResolutionCodes:
        """Dense codes at an H3 resolution, built on first use by placing every
        incident and household in the cell whose published hexagon contains it."""
        if res not in self._res:
            self._res[res] = self._build_resolution(res)
        return self._res[res]

    def cells_at(self, res: int) -> tuple[np.ndarray, np.ndarray]:
        """(incident cells, household cells) at `res` as uint64 H3 ids."""
        rc = self.resolution(res)
        return rc.cells[rc.incident_code], rc.cells[rc.household_code]

    @cached_property
    def cell15(self) -> np.ndarray:
        """Resolution-15 cell per incident (about a building)."""
        return self.cells_at(15)[0]

    @cached_property
    def _places(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct (lat, lon) of incidents and households, and each point's place:
        recorded crimes share street points (police.uk snaps them to a few per street),
        so a resolution is found for each place once."""
        lat = np.concatenate([self.lat, self.hh_lat])
        lon = np.concatenate([self.lon, self.hh_lon])
        inv, places = pd.factorize(lat + 1j * lon, sort=False)  # hashing: no sort
        places = np.asarray(places)
        return places.real.copy(), places.imag.copy(), np.asarray(inv, dtype=np.int64)

    def _build_resolution(self, res: int) -> ResolutionCodes:
        plat, plon, place = self._places
        all_cells = drawn_cells(plat, plon, res)[place]
        inc_cells, hh_cells = all_cells[: self.n], all_cells[self.n :]
        cells, inverse = np.unique(np.concatenate([inc_cells, hh_cells]), return_inverse=True)
        inc = inverse[: self.n].astype(np.int32)
        hh = inverse[self.n :].astype(np.int32)
        households = np.bincount(hh, weights=self.hh_count, minlength=len(cells))
        incidents = np.bincount(inc, minlength=len(cells))
        private = np.bincount(inc, weights=self.private_mask, minlength=len(cells))
        return ResolutionCodes(cells, inc, hh, households, incidents, private.astype(np.int64))

    @cached_property
    def private_mask(self) -> np.ndarray:
        """Incidents at a home or an unknown kind of place: the ones that can point at a
        household (¶26-28)."""
        private = [
            i
            for i, t in enumerate(self.location_types)
            if t in (LocationType.RESIDENTIAL, LocationType.UNKNOWN)
        ]
        return np.isin(self.location_code, private)

    def precompute(self, resolutions=range(H3_MIN, H3_MAX + 1)) -> None:
        for r in resolutions:
            self.resolution(r)


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Metric coordinates: the British National Grid inside GB, else a local
    transverse Mercator centred on whole degrees (stable for the same region)."""
    if len(lon) and (
        _GB_BOUNDS[0] <= np.nanmedian(lon) <= _GB_BOUNDS[2]
        and _GB_BOUNDS[1] <= np.nanmedian(lat) <= _GB_BOUNDS[3]
    ):
        crs = S.BRITISH_NATIONAL_GRID
    else:
        lon0 = round(float(np.nanmedian(lon))) if len(lon) else 0
        lat0 = round(float(np.nanmedian(lat))) if len(lat) else 0
        crs = (
            f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m"
        )
    tr = Transformer.from_crs(S.WGS84, crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), crs


def time_keys(occurred: pd.Series | np.ndarray) -> dict[str, np.ndarray]:
    """Integer keys per time level. Weeks are 7-day blocks within a month (days 1-7,
    8-14, 15-21, 22-28, 29-end) so that day < week < month < quarter nest exactly,
    which is what makes 'a longer interval never raises the score' hold."""
    ts = pd.DatetimeIndex(pd.to_datetime(occurred)).as_unit("ns")  # pandas 3 keeps s/us
    ns = ts.asi8
    minutes = ns // 60_000_000_000
    days = ns // 86_400_000_000_000
    month = (ts.year.to_numpy().astype(np.int64) - 1970) * 12 + ts.month.to_numpy() - 1
    week = month * 5 + np.minimum((ts.day.to_numpy() - 1) // 7, 4)
    return {
        "timestamp": minutes.astype(np.int64),
        "day": days.astype(np.int64),
        "week": week.astype(np.int64),
        "month": month.astype(np.int64),
        "quarter": (month // 3).astype(np.int64),
    }


def window_label(level: str, key: int) -> str:
    """Human label of a window key at a level (what the public layer shows)."""
    if level == "timestamp":
        return pd.Timestamp(int(key) * 60_000_000_000).strftime("%Y-%m-%dT%H:%M")
    if level == "day":
        return pd.Timestamp(int(key) * 86_400_000_000_000).strftime("%Y-%m-%d")
    if level == "week":
        m, w = divmod(int(key), 5)
        y, mo = divmod(m, 12)
        start = 1 + 7 * w
        end = f"{start + 6:02d}" if w < 4 else "end"
        return f"{1970 + y}-{mo + 1:02d} days {start:02d}-{end}"
    if level == "month":
        y, mo = divmod(int(key), 12)
        return f"{1970 + y}-{mo + 1:02d}"
    if level == "quarter":
        y, q = divmod(int(key), 4)
        return f"{1970 + y}-Q{q + 1}"
    raise ValueError(level)


def window_bounds(level: str, key: int) -> tuple[str, str]:
    """First and last day of a window (inclusive, ISO 8601 dates): what a public file
    says instead of a label, so any tool can sort, filter and join on it. A window at
    the timestamp level is one minute, given as that minute."""
    if level == "timestamp":
        t = window_label(level, key)
        return t, t
    if level == "day":
        d = window_label(level, key)
        return d, d
    if level == "week":
        m, w = divmod(int(key), 5)
        first = pd.Timestamp(year=1970 + m // 12, month=m % 12 + 1, day=1)
        start = first + pd.Timedelta(days=7 * w)
        end = first + pd.offsets.MonthEnd(0) if w == 4 else start + pd.Timedelta(days=6)
    elif level == "month":
        start = pd.Timestamp(year=1970 + int(key) // 12, month=int(key) % 12 + 1, day=1)
        end = start + pd.offsets.MonthEnd(0)
    elif level == "quarter":
        y, q = divmod(int(key), 4)
        start = pd.Timestamp(year=1970 + y, month=3 * q + 1, day=1)
        end = start + pd.offsets.QuarterEnd(0)
    else:
        raise ValueError(level)
    return start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")


def _household_points(households: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
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


def _index_area_layer(
    name: str,
    areas: gpd.GeoDataFrame,
    inc_lon: np.ndarray,
    inc_lat: np.ndarray,
    hh_points: gpd.GeoDataFrame | None,
    metric_crs: str,
) -> AreaLayer:
    if S.AREA_CODE not in areas:
        raise InputError(
            f"area layer {name!r} has no {S.AREA_CODE!r} column",
            hint="load areas with crimedash.load.load_areas",
        )
    frame = areas.to_crs(S.WGS84).reset_index(drop=True)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty].reset_index(drop=True)
    # members are found in the outlines as published (rounded), so counted where drawn
    frame = frame.set_geometry(published_shapes(frame.geometry.to_numpy()), crs=S.WGS84)
    codes = frame[S.AREA_CODE].astype(str).to_numpy()
    tree = shapely.STRtree(frame.geometry.to_numpy())

    def membership(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        pts = shapely.points(lon, lat)
        pairs = tree.query(pts, predicate="intersects")
        out = np.full(len(lon), -1, dtype=np.int32)
        # a point on a shared border belongs to the first area (lowest id): deterministic
        order = np.lexsort((pairs[1], pairs[0]))
        p, a = pairs[0][order], pairs[1][order]
        first = np.r_[True, p[1:] != p[:-1]] if len(p) else np.array([], dtype=bool)
        out[p[first]] = a[first]
        return out

    incident_area = membership(inc_lon, inc_lat)
    area_km2 = frame.to_crs(metric_crs).geometry.area.to_numpy() / 1e6
    if S.HOUSEHOLDS in frame:
        households = pd.to_numeric(frame[S.HOUSEHOLDS], errors="coerce").fillna(0).to_numpy(float)
        source = "layer"
    elif hh_points is not None:
        hx = hh_points.geometry.x.to_numpy()
        hy = hh_points.geometry.y.to_numpy()
        member = membership(hx, hy)
        ok = member >= 0
        households = np.bincount(
            member[ok], weights=hh_points[S.HOUSEHOLDS].to_numpy()[ok], minlength=len(codes)
        ).astype(float)
        source = "points"
    else:
        households = np.zeros(len(codes))
        source = "assumed"
    return AreaLayer(name, codes, frame, incident_area, households, source, area_km2)


def index_incidents(
    incidents: pd.DataFrame,
    *,
    time_precision: TimePrecision | str = TimePrecision.TIMESTAMP,
    households: gpd.GeoDataFrame | None = None,
    areas: Mapping[str, gpd.GeoDataFrame] | None = None,
    progress: Progress | None = None,
) -> Index:
    """Index incidents (canonical schema) with their context layers, once per data set."""
    say = progress or (lambda f, m: None)
    n = len(incidents)
    lat = incidents[S.LATITUDE].to_numpy(dtype=np.float64)
    lon = incidents[S.LONGITUDE].to_numpy(dtype=np.float64)
    say(0.05, f"Projecting {n:,} incidents")
    x, y, crs = _project(lon, lat)

    say(0.45, "Preparing time keys")
    occurred = incidents[S.OCCURRED_AT]
    keys = time_keys(occurred)
    origin = {lvl: int(k.min()) if n else 0 for lvl, k in keys.items()}

    # hash the text once, then sort the few distinct categories (sorting a million
    # strings took seconds)
    codes, uniq = pd.factorize(incidents[S.CATEGORY].astype(str), sort=False)
    order = np.argsort(np.asarray(uniq, dtype=object).astype(str), kind="stable")
    categories = np.asarray(uniq, dtype=object)[order].astype(str)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    category_code = rank[codes] if len(codes) else np.empty(0, dtype=np.int64)
    loc = (
        incidents[S.LOCATION_TYPE]
        .astype(str)
        .where(
            incidents[S.LOCATION_TYPE].astype(str).isin(list(LocationType)), LocationType.UNKNOWN
        )
    )
    location_types = tuple(LocationType)
    location_code = pd.Categorical(loc, categories=list(location_types)).codes.astype(np.int8)
    refs = incidents[S.REFERENCE]
    has_reference = (refs.notna() & (refs.astype(str).str.strip() != "")).to_numpy()

    say(0.55, "Placing households")
    hh_points = _household_points(households)
    if hh_points is not None:
        hlat = hh_points.geometry.y.to_numpy()
        hlon = hh_points.geometry.x.to_numpy()
        hh_count = hh_points[S.HOUSEHOLDS].to_numpy(dtype=np.float64)
        hx, hy = Transformer.from_crs(S.WGS84, crs, always_xy=True).transform(hlon, hlat)
        hx, hy = np.asarray(hx), np.asarray(hy)
    else:
        hlat = hlon = np.empty(0)
        hh_count = np.empty(0)
        hx = hy = np.empty(0)

    layers: dict[str, AreaLayer] = {}
    for i, (name, gdf) in enumerate((areas or {}).items()):
        say(0.7 + 0.2 * i / max(len(areas), 1), f"Joining incidents to {name}")
        layers[name] = _index_area_layer(name, gdf, lon, lat, hh_points, crs)

    h = hashlib.sha256()
    for arr in (lat, lon, keys["timestamp"], category_code, location_code, hlat, hlon, hh_count):
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update("\x1f".join(categories.tolist()).encode())
    for name, layer in sorted(layers.items()):
        h.update(name.encode())
        h.update(layer.incident_area.tobytes())
        h.update(layer.households.tobytes())
    extent = (
        (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
        if n
        else (0, 0, 0, 0)
    )
    index = Index(
        n=n,
        lat=lat,
        lon=lon,
        x=x,
        y=y,
        crs=crs,
        time_keys=keys,
        time_origin=origin,
        data_precision=TimePrecision(time_precision),
        categories=tuple(categories.tolist()),
        category_code=category_code.astype(np.int16),
        location_types=tuple(str(t) for t in location_types),
        location_code=location_code,
        has_reference=has_reference,
        references=refs.astype(object).to_numpy(),
        occurred_at=pd.to_datetime(occurred).to_numpy().astype("datetime64[ns]"),
        hh_lat=np.asarray(hlat, dtype=np.float64),
        hh_lon=np.asarray(hlon, dtype=np.float64),
        hh_count=hh_count,
        hh_x=hx,
        hh_y=hy,
        has_households=hh_points is not None,
        areas=layers,
        fingerprint=h.hexdigest()[:16],
        extent=extent,
    )
    say(1.0, "Indexed")
    return index


def data_level(index: Index) -> str:
    """The finest time level the data supports."""
    return DATA_LEVEL[index.data_precision]


def effective_level(index: Index, level: str) -> str:
    """A time level, made no finer than the data has (the model never claims more)."""
    return TIME_LEVELS[max(TIME_LEVELS.index(level), TIME_LEVELS.index(data_level(index)))]
