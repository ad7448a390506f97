"""Index a data set once so that every design change is cheap integer work.

Indexing does the slow, per-point work once: metric x/y, integer time keys at every
level, category and location-type codes, and area membership by one spatial join per
area layer. H3 cells are found per resolution on first use (vectorised, with h3ronpy)
and cached, so a design change needs only integer division (grid squares) and
`np.bincount`. Where a point is drawn (H3 cells, published outlines) is `cells.py`;
time windows are `windows.py`; callers import those names from their own modules.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from crimedash import schema as S
from crimedash.cells import (
    FINE_RES,
    drawn_cells,
    latlng_to_cells,
    published_shapes,
)
from crimedash.errors import InputError
from crimedash.households import place_households
from crimedash.schema import LocationType, TimePrecision
from crimedash.settings import H3_MAX, H3_MIN, TIME_LEVELS
from crimedash.windows import time_keys

__all__ = [
    "CACHE_BUDGET_BYTES",
    "DATA_LEVEL",
    "AreaLayer",
    "Index",
    "Progress",
    "ResolutionCodes",
    "data_level",
    "effective_level",
    "hash_categories_and_areas",
    "index_incidents",
    "metric_crs",
]

Progress = Callable[[float, str], None]


# Great Britain in WGS84: inside it, grid squares are Ordnance Survey National Grid
# squares (EPSG:27700), the ones UK analysts already use.
_GB_BOUNDS = (-8.7, 49.8, 1.9, 60.9)

CACHE_BUDGET_BYTES = 2 << 30  # arrays cached per index (see Index.cached)
_CACHE_LOCK = threading.Lock()  # guards every Index's cache dictionaries
_JOIN_SLICE = 2_000_000  # points per spatial-join slice

DATA_LEVEL = {
    TimePrecision.TIMESTAMP: "timestamp",
    TimePrecision.DAY: "day",
    TimePrecision.MONTH: "month",
}


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
    # police.uk's LSOA names (index = code) and int32 code per incident (-1: none), for
    # the analyst's tooltip only; empty when the source had none (or a store was read)
    lsoa_names: tuple[str, ...] = ()
    lsoa_code: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))
    _res: dict[int, ResolutionCodes] = field(default_factory=dict, repr=False)
    # per-design building blocks (spatial units per granularity), filled on first use
    cache: dict = field(default_factory=dict, repr=False)
    _cache_bytes: dict = field(default_factory=dict, repr=False)
    # values put in place for good (`pin`): never dropped, read before `cache`
    _pinned: dict = field(default_factory=dict, repr=False)
    # keep the units and atoms the advice builds for other granularities (the app: the
    # analyst's next change is often one of them, a first use of seconds at national
    # scale), and what a count-only change reuses (`disclosure.Layout`); a batch run
    # (export, assess) lets them go after each alternative, for memory
    keep_alternatives: bool = field(default=False, repr=False)

    def cached(self, key, build):
        """The value cached under `key`, built by `build()` on first use. Designs share
        their building blocks (units per granularity, atoms per window level) this way.

        Bounded: past `CACHE_BUDGET_BYTES` of arrays the least recently used blocks are
        dropped (and rebuilt if asked again). At national density a granularity's atoms
        are ~30 bytes per incident, so what-ifs over five granularities at 60M rows
        would hold ~9 GB; a session of a few million rows never reaches the budget."""
        # The app reads one index from several threads at once (the page's score, the
        # map's deck worker, the what-ifs worker): the dictionaries are changed and
        # walked only under the lock, or one thread's insert breaks another's walk
        # ("dictionary changed size during iteration"). The build runs outside it, so a
        # long build does not hold up other keys (two threads may build one key twice).
        with _CACHE_LOCK:
            hit = self._pinned.get(key)
            if hit is not None:
                return hit
            hit = self.cache.get(key)
            if hit is not None:  # most recently used last
                self.cache[key] = self.cache.pop(key)
                return hit
        hit = build()
        with _CACHE_LOCK:
            self.cache[key] = hit
            self._cache_bytes[key] = _nbytes(hit)
            while sum(self._cache_bytes.values()) > CACHE_BUDGET_BYTES and len(self.cache) > 1:
                oldest = next(iter(self.cache))
                del self.cache[oldest]
                self._cache_bytes.pop(oldest, None)
        return hit

    def pin(self, key, value) -> None:
        """Put `value` under `key` for good: `cached` returns it, and neither the size
        bound nor `drop_cached` drops it. For what is not a function of this index and
        so cannot be rebuilt from it: a series' stored adaptive units (rebuilt from this
        release's households they would be other units, and a reader comparing the
        releases could difference them; `crimedash.seriesunits`)."""
        with _CACHE_LOCK:
            self._pinned[key] = value
            self.cache.pop(key, None)
            self._cache_bytes.pop(key, None)

    def drop_cached(self, kind: str) -> int:
        """Drop every cached block of one kind (keys `(kind, ...)`), returning how many.
        For a caller about to build many blocks it will not reuse (`export_bundle`
        before the advice's other designs): the LRU bound would drop them only after
        the next block is built, so at 60M rows a gigabyte of atoms nobody reads stayed
        resident through the largest alternative. What is pinned (`pin`: a series'
        stored units) is not a block and is never dropped."""
        return self._drop(lambda k: k[0] == kind)

    def drop_granularity(self, granularity: str) -> int:
        """Drop every cached block of one granularity (keys `(kind, granularity, ...)`:
        its units, their centres, atoms and grouped cells), returning how many. For a
        caller done with units it will not read again (the advice after the one factor
        or what-if with those units). What is pinned is never dropped."""
        return self._drop(lambda k: len(k) > 1 and k[1] == granularity)

    def _drop(self, match) -> int:
        """Drop the cached blocks whose (tuple) key `match`es; how many."""
        with _CACHE_LOCK:
            keys = [k for k in self.cache if isinstance(k, tuple) and k and match(k)]
            for k in keys:
                del self.cache[k]
                self._cache_bytes.pop(k, None)
        return len(keys)

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

    @cached_property
    def _place_fine(self) -> np.ndarray:
        """Each place's H3 cell at `FINE_RES`, found once: every resolution is then
        placed from it (`drawn_cells`' `fine`), and H3's search, 1.3 s per resolution
        at 5M places, is made again only for the ~7% of places near a cell's edge."""
        plat, plon, _ = self._places
        return latlng_to_cells(plat, plon, FINE_RES)

    def _build_resolution(self, res: int) -> ResolutionCodes:
        plat, plon, place = self._places
        fine = self._place_fine if res < FINE_RES else None
        # the distinct cells of the places by hash, then sorted (as np.unique gives
        # them), rather than a sort of every point's cell: 0.1 s, not 0.4, at 5M points
        codes, uniq = pd.factorize(drawn_cells(plat, plon, res, fine))
        order = np.argsort(uniq)
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        cells = np.asarray(uniq, dtype=np.uint64)[order]
        code = rank[codes][place]
        inc, hh = code[: self.n], code[self.n :]
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


def metric_crs(lon: np.ndarray, lat: np.ndarray) -> str:
    """The metric CRS for a data set: the British National Grid inside GB, else a local
    transverse Mercator centred on whole degrees (stable for the same region)."""
    if len(lon) and (
        _GB_BOUNDS[0] <= np.nanmedian(lon) <= _GB_BOUNDS[2]
        and _GB_BOUNDS[1] <= np.nanmedian(lat) <= _GB_BOUNDS[3]
    ):
        return S.BRITISH_NATIONAL_GRID
    lon0 = round(float(np.nanmedian(lon))) if len(lon) else 0
    lat0 = round(float(np.nanmedian(lat))) if len(lat) else 0
    return f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m"


def _nbytes(value, depth: int = 0) -> int:
    """Bytes of the numpy arrays a cached block holds (dataclasses, dicts, tuples)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if depth > 3:
        return 0
    if isinstance(value, dict):
        return sum(_nbytes(v, depth + 1) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_nbytes(v, depth + 1) for v in value[:64])
    fields = getattr(value, "__dict__", None)
    if fields is not None and not isinstance(value, Index):
        return sum(_nbytes(v, depth + 1) for v in fields.values())
    return 0


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Metric coordinates in `metric_crs` of the points."""
    crs = metric_crs(lon, lat)
    tr = Transformer.from_crs(S.WGS84, crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), crs


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
        out = np.full(len(lon), -1, dtype=np.int32)
        # in slices: a shapely point is ~100 bytes, so 60M at once would not fit
        for lo in range(0, len(lon), _JOIN_SLICE):
            pts = shapely.points(lon[lo : lo + _JOIN_SLICE], lat[lo : lo + _JOIN_SLICE])
            pairs = tree.query(pts, predicate="intersects")
            # a point on a shared border belongs to the first area (lowest id)
            order = np.lexsort((pairs[1], pairs[0]))
            p, a = pairs[0][order], pairs[1][order]
            first = np.r_[True, p[1:] != p[:-1]] if len(p) else np.array([], dtype=bool)
            out[lo + p[first]] = a[first]
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


def hash_categories_and_areas(
    h: Any, categories: list[str], layers: Mapping[str, AreaLayer], lon: np.ndarray, lat: np.ndarray
) -> tuple[float, float, float, float]:
    """Feed the category names and every area layer's joins into the data fingerprint
    ``h`` and return the incidents' extent: the tail both index builders (frames and
    stores) share, so the two fingerprints cannot drift in what they cover."""
    h.update("\x1f".join(categories).encode())
    for name, layer in sorted(layers.items()):
        h.update(name.encode())
        h.update(layer.incident_area.tobytes())
        h.update(layer.households.tobytes())
    if not len(lon):
        return (0, 0, 0, 0)
    return (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))


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

    lsoa_names, lsoa_code = _lsoa_codes(incidents)

    say(0.55, "Placing households")
    tr = Transformer.from_crs(S.WGS84, crs, always_xy=True)
    hh_points, hh = place_households(households, tr)

    layers: dict[str, AreaLayer] = {}
    for i, (name, gdf) in enumerate((areas or {}).items()):
        say(0.7 + 0.2 * i / max(len(areas), 1), f"Joining incidents to {name}")
        layers[name] = _index_area_layer(name, gdf, lon, lat, hh_points, crs)

    h = hashlib.sha256()
    for arr in (lat, lon, keys["timestamp"], category_code, location_code):
        h.update(np.ascontiguousarray(arr).tobytes())
    for arr in (hh["hh_lat"], hh["hh_lon"], hh["hh_count"]):
        h.update(np.ascontiguousarray(arr).tobytes())
    extent = hash_categories_and_areas(h, categories.tolist(), layers, lon, lat)
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
        **hh,
        has_households=hh_points is not None,
        areas=layers,
        fingerprint=h.hexdigest()[:16],
        extent=extent,
        lsoa_names=lsoa_names,
        lsoa_code=lsoa_code,
    )
    say(1.0, "Indexed")
    return index


def _lsoa_codes(incidents: pd.DataFrame) -> tuple[tuple[str, ...], np.ndarray]:
    """Dense LSOA codes (the loader's Categorical) and their names; none when absent.
    Left out of the fingerprint: nothing published depends on them."""
    if S.LSOA_NAME not in incidents:
        return (), np.empty(0, dtype=np.int32)
    cat = incidents[S.LSOA_NAME].astype("category")
    return tuple(str(c) for c in cat.cat.categories), cat.cat.codes.to_numpy().astype(np.int32)


def data_level(index: Index) -> str:
    """The finest time level the data supports."""
    return DATA_LEVEL[index.data_precision]


def effective_level(index: Index, level: str) -> str:
    """A time level, made no finer than the data has (the model never claims more)."""
    return TIME_LEVELS[max(TIME_LEVELS.index(level), TIME_LEVELS.index(data_level(index)))]
