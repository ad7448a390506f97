"""The sample city: a fictional English town with its homes, areas and two years of crime.

The app starts on this city and the tests and benchmarks use it, so it has to look like a
real place rather than uniform noise: a centre of flats, terraced streets, suburbs,
villages and farms, places where nobody lives, and crime with the hot spots, rhythms and
repeat locations an analyst would recognise, including the rare sensitive cases in quiet
streets that the guidance worries about.

One seeded numpy Generator drives everything, and nothing depends on the clock, so the
same seed and scale give byte-identical files. Geometry is built in metres on a local
transverse Mercator projection centred on the town, and turned into WGS84 rounded to six
decimals (about 0.1 m) once, so every file agrees on every coordinate.

`scale` shrinks or grows the town's area (street spacing and house widths stay real), so
households and incidents grow in proportion to it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from numpy.random import PCG64, Generator
from pyproj import Transformer
from shapely.geometry import LineString, Polygon

from crimedash import categories, schema
from crimedash.errors import InputError
from crimedash.schema import LocationType

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
"""The committed sample city (generated with DEFAULT_SEED at scale 1)."""

DEFAULT_SEED = 2024
CITY_NAME = "Ashbourne Vale"  # fictional
FORCE_NAME = "Sample Constabulary"  # fictional
CENTRE_LAT, CENTRE_LON = 52.80, -0.45  # open country in south Lincolnshire: no real town
LOCAL_CRS = (
    f"+proj=tmerc +lat_0={CENTRE_LAT} +lon_0={CENTRE_LON} +k=1 +x_0=0 +y_0=0 "
    "+ellps=WGS84 +units=m +no_defs"
)
PERIOD_START = np.datetime64("2024-01-01")
PERIOD_END = np.datetime64("2026-01-01")  # exclusive: two whole years
COORD_DECIMALS = 6

INCIDENTS_PER_HOUSEHOLD = 1.0  # over the two years: ~65,000 incidents at scale 1
OA_MIN_HOUSEHOLDS = 40  # census output areas hold at least 40 households
OA_MAX_HOUSEHOLDS = 250
OA_TARGET_HOUSEHOLDS = 150  # groups of 75-150 before the Voronoi cells even them out
NEIGHBOURHOOD_MAX_HOUSEHOLDS = 900
NEIGHBOURHOOD_MIN_HOUSEHOLDS = 300
SNAP_MIN_ADDRESSES = 8  # police.uk: every map point covers at least eight addresses
SNAP_TARGET_ADDRESSES = 20
NO_LOCATION_SHARE = 0.01  # police.uk publishes about 1% of rows without a location
MAX_SCALE = 20.0

# File names inside a sample folder; keys are what sample_paths() returns.
FILE_NAMES = {
    "incidents": "incidents.csv",
    "households": "households.csv",
    "output_areas": "output_areas.geojson",
    "neighbourhoods": "neighbourhoods.geojson",
    "police_uk_dir": "police_uk",
}
README_NAME = "README.md"
POLICE_UK_SUFFIX = "-sample-street.csv"

SAMPLE_INCIDENT_COLUMNS = (
    schema.INCIDENT_ID,
    schema.REFERENCE,
    schema.OCCURRED_AT,
    schema.CATEGORY,
    schema.LATITUDE,
    schema.LONGITUDE,
    schema.LOCATION_TYPE,
)
HOUSEHOLD_COLUMNS = (schema.LATITUDE, schema.LONGITUDE, schema.HOUSEHOLDS)

(
    PUK_CRIME_ID,
    PUK_MONTH,
    PUK_REPORTED_BY,
    PUK_FALLS_WITHIN,
    PUK_LONGITUDE,
    PUK_LATITUDE,
    PUK_LOCATION,
    PUK_LSOA_CODE,
    PUK_LSOA_NAME,
    PUK_CRIME_TYPE,
    PUK_OUTCOME,
    PUK_CONTEXT,
) = schema.POLICE_UK_COLUMNS

# police.uk's words for rows it publishes without a map point, and its "On or near" prefix.
PUK_NO_LOCATION = "No Location"
PUK_ON_OR_NEAR = "On or near "


def sample_paths(root: Path | str = SAMPLE_DIR) -> dict[str, Path]:
    """Where each file of a sample city lives (the committed one unless `root` is given)."""
    root = Path(root)
    return {key: root / name for key, name in FILE_NAMES.items()}


# =====================================================================================
# The town plan
# =====================================================================================


class Zone(IntEnum):
    """Rings of the town, from the centre out; crime and homes differ by ring."""

    CENTRE = 0
    INNER = 1  # Victorian terraces and one estate of flats
    SUBURB = 2  # semis, detached, a new-build estate
    RURAL = 3  # villages, farms, country lanes
    NON_RESIDENTIAL = 4  # ring road, industrial estate, retail park roads


class VenueKind(StrEnum):
    """Non-residential premises where incidents happen (¶27: businesses, public bodies)."""

    SHOP = "shop"
    RETAIL_UNIT = "retail_unit"
    SUPERMARKET = "supermarket"
    CONVENIENCE = "convenience_store"
    PETROL = "petrol_station"
    PARKING = "parking"
    PUB = "pub"
    NIGHTCLUB = "nightclub"
    THEATRE = "theatre"
    BUS_STATION = "bus_station"
    RAIL_STATION = "rail_station"
    POLICE_STATION = "police_station"
    HOSPITAL = "hospital"
    UNIVERSITY = "university"
    SPORTS = "sports_ground"
    INDUSTRIAL = "industrial_unit"


# How police.uk names the map point of each kind of premises ("On or near ..."); kinds
# not listed are snapped to the nearest street, as police.uk does for pubs and workshops.
PLACE_TEXT: dict[VenueKind, str] = {
    VenueKind.SHOP: "Shopping Area",
    VenueKind.RETAIL_UNIT: "Shopping Area",
    VenueKind.SUPERMARKET: "Supermarket",
    VenueKind.PETROL: "Petrol Station",
    VenueKind.PARKING: "Parking Area",
    VenueKind.NIGHTCLUB: "Nightclub",
    VenueKind.THEATRE: "Theatre/Concert Hall",
    VenueKind.BUS_STATION: "Bus/Coach Station",
    VenueKind.RAIL_STATION: f"{CITY_NAME} (Station)",
    VenueKind.POLICE_STATION: "Police Station",
    VenueKind.HOSPITAL: "Hospital",
    VenueKind.UNIVERSITY: "Further/Higher Educational Building",
    VenueKind.SPORTS: "Sports/Recreation Area",
}
PARK_TEXT = "Park/Open Space"

# Radii of the plan at scale 1, in metres from the market square.
R_CENTRE, R_INNER, R_SUBURB, R_RING, R_BOUNDARY = 700.0, 1450.0, 2450.0, 2600.0, 5000.0
N_ARTERIALS = 8

# Households per address point are 1 except for flats and a few farms.
MEAN_HOUSEHOLD_SIZE = {Zone.CENTRE: 1.7, Zone.INNER: 2.35, Zone.SUBURB: 2.5, Zone.RURAL: 2.4}


@dataclass(frozen=True)
class HomeStyle:
    """How a kind of street is built: spacing of its streets and of the homes along them."""

    d_main: float  # metres between parallel streets
    d_cross: float  # metres between cross streets
    spacing: float  # metres between address points along a street
    offset: float  # metres from the centre line to the front doors
    cross_homes: bool  # whether cross streets have homes too
    warp: float  # metres of gentle curve (suburbs curve, terraces do not)
    keep: float = 1.0  # share of plots that hold homes (the rest: shops, offices, gaps)
    flats: tuple[float, float, float] | None = None  # lognormal median, sigma, upper clip


STYLES: dict[str, HomeStyle] = {
    "centre": HomeStyle(80, 110, 30, 12, True, 0, keep=0.3, flats=(17, 0.6, 120)),
    "terraced": HomeStyle(66, 230, 5.0, 7, False, 0),
    "estate": HomeStyle(85, 120, 55, 18, True, 0, flats=(18, 0.5, 120)),
    "semis": HomeStyle(100, 210, 10, 14, True, 18),
    "detached": HomeStyle(120, 260, 18, 20, True, 25),
    "new_build": HomeStyle(70, 140, 7.5, 10, True, 35),
    "village": HomeStyle(75, 160, 14, 14, True, 12),
}
INNER_STYLES = ("terraced",) * 6 + ("estate", "terraced")  # by sector, from the east
SUBURB_STYLES = ("semis", "semis", "detached", "semis", "new_build", "semis", "semis", "semis")

_STREET_STEMS = (  # noqa: SIM905 - a paragraph of words reads better than a list
    "Abbey Albert Alder Arkwright Ash Ashby Aspen Baker Balmoral Barley Beacon Beech Bell "
    "Belvoir Birch Bramble Brook Byron Canal Carlton Castle Cedar Chapel Charlotte Chestnut "
    "Church Clay Clover Clumber Colwick Cooper Corn Cotton Cromwell Dale Denton Dove Elm "
    "Elton Falcon Ferry Forge Foston Fox Gamston Glebe Granby Granary Harrow Hastings "
    "Hawthorn Hazel Heron Hickling Hill Holly Juniper Keats Kestrel King Kingsley Lambert "
    "Larch Lark Laurel Lime Linby Linden Long Malt Manor Maple Meadow Mill Milton Mint Moor "
    "Nelson Newland Newton Oak Orchard Osprey Oxford Paddock Pasture Pelham Pinfold Pine "
    "Portland Priory Queen Raleigh Rectory Regent Rope Rose Rowan Sandon Saxon School "
    "Shelley Shire Silver Spring Stafford Stanley Talbot Tanner Tennyson Thistle Tinker "
    "Tower Trinity Union Vernon Vicarage Victoria Walnut Walton Warren Water Weaver Welby "
    "Well Wharf Wheat Whitby Willow Windmill Wolsey Wood Wordsworth Wren Yew York"
).split()
_STREET_SUFFIXES = {
    "centre": ("Street", "Gate", "Row", "Lane", "Place", "Walk"),
    "terraced": ("Street", "Road", "Terrace", "Grove", "Place"),
    "suburb": ("Avenue", "Close", "Drive", "Crescent", "Gardens", "Way", "Road", "Rise"),
    "rural": ("Lane", "Road"),
    "arterial": ("Road",),
    "works": ("Way", "Road", "Court"),
}
_CENTRE_NAMES = ("High Street", "Bridge Street", "Castle Gate", "Fletcher Gate")


@dataclass(frozen=True)
class Addresses:
    """Address points: where households live, sorted by latitude then longitude."""

    x: np.ndarray  # metres east of the centre (local projection)
    y: np.ndarray
    lon: np.ndarray  # WGS84, rounded to COORD_DECIMALS: exactly what the files say
    lat: np.ndarray
    households: np.ndarray
    zone: np.ndarray
    style: np.ndarray  # index into STYLES order, or -1 for farms and arterial homes
    street: np.ndarray  # index into City.street_names
    piece: np.ndarray  # index into City.pieces: the street line the front door faces
    dist: np.ndarray  # metres along that piece


@dataclass(frozen=True)
class Venues:
    """Non-residential premises; `site` groups those that share one police.uk map point."""

    x: np.ndarray
    y: np.ndarray
    kind: np.ndarray  # VenueKind values
    size: np.ndarray  # relative attraction (a big supermarket draws more shoplifting)
    site: np.ndarray


@dataclass(frozen=True)
class City:
    """The town plan in metres: streets, homes, premises, parks and the hot spots."""

    seed: int
    scale: float
    boundary: Polygon
    pieces: np.ndarray  # LineStrings: street centre lines
    piece_street: np.ndarray
    piece_zone: np.ndarray
    street_names: tuple[str, ...]
    street_angle: np.ndarray  # direction of each street, to order its homes along it
    seg: dict[str, np.ndarray]  # the pieces as straight segments: x0 y0 x1 y1 piece len
    addresses: Addresses
    venues: Venues
    parks: np.ndarray  # Polygons
    park_pool: tuple[np.ndarray, np.ndarray, np.ndarray]  # x, y, park index
    night_strip: np.ndarray  # bool per segment: the bars-and-clubs streets
    burglary_hotspots: np.ndarray  # (k, 3): x, y, sigma
    deprivation: np.ndarray  # per address: relative rate of violence and disorder


def _check_scale(scale: float) -> None:
    if not (isinstance(scale, int | float) and 0 < scale <= MAX_SCALE and math.isfinite(scale)):
        raise InputError(
            f"scale must be a number above 0 and at most {MAX_SCALE:g}; got {scale!r}",
            hint="use --scale 1 for the committed sample, or 0.05 for a quick small town",
        )


@lru_cache(maxsize=1)
def _transformer() -> Transformer:
    return Transformer.from_crs(LOCAL_CRS, schema.WGS84, always_xy=True)


def _lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres to WGS84, rounded once so every file agrees to the last digit."""
    lon, lat = _transformer().transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, COORD_DECIMALS), np.round(lat, COORD_DECIMALS)


def _geoms_to_lonlat(geoms: np.ndarray) -> np.ndarray:
    """Polygons from metres to rounded WGS84; neighbours keep identical shared vertices."""

    def fn(c: np.ndarray) -> np.ndarray:
        return np.column_stack(_lonlat(c[:, 0], c[:, 1]))

    out = shapely.set_precision(shapely.transform(geoms, fn), 10.0**-COORD_DECIMALS)
    return shapely.transform(out, lambda c: np.round(c, COORD_DECIMALS))


def _polar(r: np.ndarray | float, theta: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(r * np.cos(theta)), np.asarray(r * np.sin(theta))


def _sector(r0: float, r1: float, a0: float, a1: float) -> Polygon:
    if a1 < a0:
        a1 += 2 * math.pi
    t = np.linspace(a0, a1, 48)
    outer = np.column_stack(_polar(r1, t))
    inner = np.column_stack(_polar(r0, t[::-1]))
    return Polygon(np.vstack([outer, inner]))


def _rect(cx: float, cy: float, w: float, h: float, angle: float) -> Polygon:
    c, s = math.cos(angle), math.sin(angle)
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    return Polygon(corners @ np.array([[c, s], [-s, c]]) + [cx, cy])


def _ellipse(cx: float, cy: float, a: float, b: float, angle: float) -> Polygon:
    t = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    pts = np.column_stack([a * np.cos(t), b * np.sin(t)])
    c, s = math.cos(angle), math.sin(angle)
    return Polygon(pts @ np.array([[c, s], [-s, c]]) + [cx, cy])


def _warp(lines: np.ndarray, amp: float, rng: Generator) -> np.ndarray:
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


class _Builder:
    """Collects streets, homes and premises while the plan is drawn."""

    def __init__(self, rng: Generator) -> None:
        self.rng = rng
        self.names: list[str] = []
        self.kinds: list[str] = []
        self.angles: list[float] = []
        self.used: set[str] = set()
        self.pools: dict[str, list[str]] = {}
        self.pieces: list[LineString] = []
        self.piece_street: list[int] = []
        self.piece_zone: list[int] = []
        self.homes: list[dict[str, np.ndarray]] = []
        self.venues: list[tuple[float, float, VenueKind, float, int]] = []

    def street(self, kind: str, angle: float, name: str | None = None) -> int:
        if name is None:
            pool = self.pools.get(kind)
            if pool is None:
                combos = [f"{s} {x}" for s in _STREET_STEMS for x in _STREET_SUFFIXES[kind]]
                pool = [combos[i] for i in self.rng.permutation(len(combos))]
                self.pools[kind] = pool
            while pool and pool[-1] in self.used:
                pool.pop()
            name = pool.pop() if pool else f"{kind.title()} Road {len(self.names) + 1}"
        self.used.add(name)
        self.names.append(name)
        self.kinds.append(kind)
        self.angles.append(angle)
        return len(self.names) - 1

    def add_pieces(self, lines: np.ndarray, streets: np.ndarray, zone: Zone) -> np.ndarray:
        start = len(self.pieces)
        self.pieces.extend(lines)
        self.piece_street.extend(int(s) for s in streets)
        self.piece_zone.extend([int(zone)] * len(lines))
        return np.arange(start, len(self.pieces))

    def add_homes(
        self,
        pieces: np.ndarray,
        style: str,
        zone: Zone,
        *,
        spacing: float | None = None,
        offset: float | None = None,
        keep: float | None = None,
    ) -> None:
        """Front doors along both sides of each piece, clear of the junctions."""
        st = STYLES[style]
        spacing = spacing or st.spacing
        offset = offset or st.offset
        keep = st.keep if keep is None else keep
        if len(pieces) == 0:
            return
        rng = self.rng
        lines = np.array([self.pieces[i] for i in pieces], dtype=object)
        lengths = shapely.length(lines)
        end_gap = min(10.0, spacing)
        span = np.maximum(lengths - 2 * end_gap, 0)
        n = np.where(lengths > 2 * end_gap, (span // spacing).astype(int) + 1, 0)
        if n.sum() == 0:
            return
        which = np.repeat(np.arange(len(lines)), n)
        k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        start = end_gap + (span - (n - 1) * spacing) / 2
        d = start[which] + k * spacing + rng.uniform(-0.08, 0.08, len(k)) * spacing
        d = np.clip(d, 0.5, lengths[which] - 0.5)
        geo = lines[which]
        a = shapely.get_coordinates(shapely.line_interpolate_point(geo, d - 0.5))
        b = shapely.get_coordinates(shapely.line_interpolate_point(geo, d + 0.5))
        mid = (a + b) / 2
        t = b - a
        t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
        normal = np.column_stack([-t[:, 1], t[:, 0]])
        side = np.concatenate([np.ones(len(d)), -np.ones(len(d))])
        off = offset + rng.uniform(-0.1, 0.1, 2 * len(d)) * offset
        xy = np.vstack([mid, mid]) + normal[np.r_[0 : len(d), 0 : len(d)]] * (side * off)[:, None]
        piece = np.concatenate([pieces[which], pieces[which]])
        dist = np.concatenate([d, d])
        mask = rng.random(len(piece)) < keep
        hh = np.ones(len(piece), dtype=np.int64)
        if st.flats is not None:
            median, sigma, top = st.flats
            hh = np.clip(np.round(rng.lognormal(math.log(median), sigma, len(piece))), 10, top)
        self._append_homes(
            xy[mask], hh[mask].astype(np.int64), piece[mask], dist[mask], zone, style
        )

    def _append_homes(
        self,
        xy: np.ndarray,
        hh: np.ndarray,
        piece: np.ndarray,
        dist: np.ndarray,
        zone: Zone,
        style: str | None,
    ) -> None:
        style_i = list(STYLES).index(style) if style else -1
        self.homes.append(
            {
                "x": xy[:, 0],
                "y": xy[:, 1],
                "households": hh,
                "piece": piece.astype(np.int64),
                "dist": dist,
                "zone": np.full(len(hh), int(zone)),
                "style": np.full(len(hh), style_i),
            }
        )

    def venue(self, x: float, y: float, kind: VenueKind, size: float, site: int) -> None:
        self.venues.append((float(x), float(y), kind, float(size), site))


def _grid(
    b: _Builder,
    area: Polygon,
    theta: float,
    style: str,
    kind: str,
    zone: Zone,
    *,
    homes: bool = True,
    cross_dropout: float = 0.0,
) -> np.ndarray:
    """Streets on a jittered grid clipped to `area`; returns the new pieces' indices."""
    rng = b.rng
    st = STYLES[style]
    if area.is_empty:
        return np.array([], dtype=np.int64)
    c = np.array(area.centroid.coords[0])
    radius = float(np.max(np.hypot(*(shapely.get_coordinates(area) - c).T))) + st.d_main
    u = np.array([math.cos(theta), math.sin(theta)])
    v = np.array([-u[1], u[0]])
    km = math.ceil(radius / st.d_main)
    main_off = (np.arange(-km, km + 1) + rng.uniform(-0.5, 0.5)) * st.d_main
    main_off = main_off + rng.uniform(-0.12, 0.12, len(main_off)) * st.d_main
    kc = math.ceil(radius / st.d_cross)
    cross_off = (np.arange(-kc, kc + 1) + rng.uniform(-0.5, 0.5)) * st.d_cross
    cross_off = cross_off + rng.uniform(-0.15, 0.15, len(cross_off)) * st.d_cross

    mains = [LineString([c + o * v - radius * u, c + o * v + radius * u]) for o in main_off]
    cross, cross_line = [], []
    for j, q in enumerate(cross_off):
        for i in range(len(main_off) - 1):
            if rng.random() < cross_dropout:
                continue  # a cul-de-sac: this stretch of cross street was never built
            cross.append(LineString([c + q * u + main_off[i] * v, c + q * u + main_off[i + 1] * v]))
            cross_line.append(j)
    lines = np.array(mains + cross, dtype=object)
    line_id = np.concatenate([np.arange(len(mains)), len(mains) + np.array(cross_line, int)])
    is_main = line_id < len(mains)
    lines = _warp(lines, st.warp, rng)
    clipped = shapely.intersection(lines, area)
    parts, idx = shapely.get_parts(clipped, return_index=True)
    ok = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) >= 25)
    parts, idx = parts[ok], idx[ok]
    if len(parts) == 0:
        return np.array([], dtype=np.int64)
    # One street per grid line that survived; name them in a stable order.
    lids = line_id[idx]
    streets = {}
    if kind == "centre":  # the main line nearest the middle is the High Street
        order = np.argsort(np.abs(main_off), kind="stable")
        named = [int(i) for i in order if i in set(lids.tolist())]
        for i, nm in zip(named, _CENTRE_NAMES, strict=False):
            streets[i] = b.street(kind, theta, nm)
    for lid in dict.fromkeys(lids.tolist()):
        if lid not in streets:
            ang = theta if lid < len(mains) else theta + math.pi / 2
            streets[lid] = b.street(kind, ang)
    sid = np.array([streets[i] for i in lids.tolist()])
    new = b.add_pieces(parts, sid, zone)
    if homes:
        mains_new = new[is_main[idx]]
        b.add_homes(mains_new, style, zone)
        if st.cross_homes:
            b.add_homes(new[~is_main[idx]], style, zone)
    return new


def build_city(seed: int = DEFAULT_SEED, scale: float = 1.0) -> City:
    """Draw the town plan: streets, homes, premises, parks and hot spots.

    The layout (where the park, the retail park and the estate are) is fixed by design,
    like a real town's; the seed moves the details (angles, streets, homes, names).
    """
    _check_scale(scale)
    return _build_city(int(seed), float(scale))


@lru_cache(maxsize=2)
def _build_city(seed: int, scale: float) -> City:
    rng = Generator(PCG64(seed))
    s = math.sqrt(scale)  # linear factor: households grow with area
    b = _Builder(rng)
    two_pi = 2 * math.pi

    # --- frame: boundary, arterial roads, sectors between them ------------------------
    t = np.linspace(0, two_pi, 160, endpoint=False)
    ph = rng.uniform(0, two_pi, 2)
    rb = R_BOUNDARY * s * (1 + 0.06 * np.sin(3 * t + ph[0]) + 0.03 * np.sin(5 * t + ph[1]))
    boundary = Polygon(np.column_stack(_polar(rb, t)))
    alpha = np.radians(22.5 + 45 * np.arange(N_ARTERIALS) + rng.uniform(-8, 8, N_ARTERIALS))
    mids = (alpha + np.roll(alpha, -1) + np.r_[np.zeros(N_ARTERIALS - 1), two_pi]) / 2

    # --- places where nobody lives ------------------------------------------------------
    def at(r: float, k: int, da: float = 0.0) -> tuple[float, float]:
        x, y = _polar(r * s, mids[k] + da)
        return float(x), float(y)

    rail_y = 550 * s
    railway = LineString([(-R_BOUNDARY * 1.2 * s, rail_y), (R_BOUNDARY * 1.2 * s, rail_y)])
    xr = np.linspace(-R_BOUNDARY * 1.2 * s, R_BOUNDARY * 1.2 * s, 200)
    rph = rng.uniform(0, two_pi)
    river_y = -450 * s + 150 * s * np.sin(xr / (600 * s) + rph) + 60 * s * np.sin(xr / (230 * s))
    river = LineString(np.column_stack([xr, river_y]))
    station = _rect(0.0, rail_y, 250 * s, 70 * s, 0.0)
    market = _rect(0.0, 0.0, 90 * s, 60 * s, float(rng.uniform(0, 1)))
    parks = [
        _ellipse(*at(950, 1), 170 * s, 110 * s, float(mids[1])),  # the town park
        _ellipse(*at(2000, 2), 260 * s, 170 * s, float(rng.uniform(0, 3))),
        _ellipse(*at(1200, 5), 230 * s, 160 * s, float(rng.uniform(0, 3))),
        _ellipse(*at(1750, 6, -0.25), 180 * s, 120 * s, float(rng.uniform(0, 3))),
        shapely.intersection(river.buffer(70 * s), shapely.Point(0, 0).buffer(R_INNER * s)),
    ]
    university = _rect(*at(1650, 3), 650 * s, 420 * s, float(mids[3]))
    hospital = _rect(*at(1900, 4), 260 * s, 200 * s, float(mids[4]))
    retail = _rect(*at(R_RING, 0), 450 * s, 280 * s, float(mids[0]))
    industrial = _rect(2300 * s, 300 * s, 800 * s, 420 * s, 0.0)
    sports = _rect(*at(2200, 6, 0.2), 200 * s, 150 * s, float(mids[6]))
    # School playing fields: open land inside the built-up area.
    fields = [
        _rect(*at(r, k, float(rng.uniform(-0.2, 0.2))), 170 * s, 110 * s, float(rng.uniform(0, 3)))
        for r, k in ((1150, 0), (1300, 7), (2050, 3), (2150, 5), (2000, 7), (1900, 0))
    ]
    no_street = shapely.union_all(
        [*parks, *fields, university, hospital, retail, industrial, sports, station, market]
        + [river.buffer(25 * s), railway.buffer(15)]
    )
    no_home = shapely.union_all([no_street, river.buffer(35 * s), railway.buffer(22)])

    # --- centre ---------------------------------------------------------------------------
    centre_area = shapely.difference(shapely.Point(0, 0).buffer(R_CENTRE * s), no_street)
    theta_c = float(rng.uniform(0, math.pi / 2))
    _grid(b, centre_area, theta_c, "centre", "centre", Zone.CENTRE)

    # --- inner ring and suburbs: one district per sector between arterials -------------
    # Ring edges vary by sector, as a town grows unevenly along its roads.
    r_inner = R_INNER * rng.uniform(0.92, 1.06, N_ARTERIALS)
    r_suburb = R_SUBURB * rng.uniform(0.84, 1.0, N_ARTERIALS)
    for k in range(N_ARTERIALS):
        a0, a1 = alpha[k], alpha[(k + 1) % N_ARTERIALS]
        for r0, r1, styles, kind, zone in (
            (R_CENTRE, r_inner[k], INNER_STYLES, "terraced", Zone.INNER),
            (r_inner[k], r_suburb[k], SUBURB_STYLES, "suburb", Zone.SUBURB),
        ):
            area = _sector(r0 * s, r1 * s, a0, a1).buffer(-28)
            area = shapely.difference(area, no_street)
            theta = float(mids[k] + rng.choice([0, math.pi / 2]) + rng.uniform(-0.25, 0.25))
            dropout = 0.3 if zone == Zone.SUBURB else 0.0
            _grid(b, area, theta, styles[k], kind, zone, cross_dropout=dropout)

    # --- arterial roads with ribbon homes, and the ring road -----------------------------
    for k in range(N_ARTERIALS):
        r = np.linspace(0.8 * R_CENTRE * s, R_BOUNDARY * 1.15 * s, 240)
        wob = 0.05 * np.sin(r / (900 * s) + rng.uniform(0, two_pi))
        line = LineString(np.column_stack(_polar(r, alpha[k] + wob)))
        sid = b.street("arterial", float(alpha[k]))
        for r0, r1, zone, style, kw in (
            (0.8 * R_CENTRE, R_CENTRE, Zone.CENTRE, None, {}),
            (R_CENTRE, R_INNER, Zone.INNER, "terraced", {"spacing": 6.0, "offset": 12.0}),
            (R_INNER, R_SUBURB, Zone.SUBURB, "semis", {"spacing": 12.0, "offset": 18.0}),
            (R_SUBURB, R_RING + 80, Zone.NON_RESIDENTIAL, None, {}),
            (R_RING + 80, 2 * R_BOUNDARY, Zone.RURAL, "village", {"spacing": 30.0, "keep": 0.06}),
        ):
            ring = _sector(r0 * s, r1 * s, 0, two_pi - 1e-9)
            part = shapely.intersection(line, shapely.intersection(ring, boundary.buffer(-20)))
            geoms = [g for g in shapely.get_parts(np.array([part])) if g.length > 20]
            new = b.add_pieces(np.array(geoms, dtype=object), np.full(len(geoms), sid), zone)
            if style:
                b.add_homes(new, style, zone, **kw)
    ring_road = LineString(np.column_stack(_polar(R_RING * s, np.linspace(0, two_pi, 200))))
    b.add_pieces(np.array([ring_road]), [b.street("works", 0.0, "Vale Way")], Zone.NON_RESIDENTIAL)

    # --- villages, lanes and farms ---------------------------------------------------------
    rural_pieces: list[int] = []
    for k in (0, 2, 3, 5, 6):
        r_v = float(rng.uniform(3300, 4200)) * s
        cx, cy = _polar(r_v, mids[k] + rng.uniform(-0.15, 0.15))
        area = shapely.intersection(
            shapely.Point(cx, cy).buffer(max(260 * s, 120)), boundary.buffer(-40)
        )
        _grid(b, area, float(rng.uniform(0, math.pi)), "village", "rural", Zone.RURAL)
        # a lane from the village to the nearer arterial
        ka = k if abs(alpha[k] - mids[k]) < abs(alpha[(k + 1) % N_ARTERIALS] - mids[k]) else k + 1
        ex, ey = _polar(r_v * 0.97, alpha[ka % N_ARTERIALS])
        lane = _warp(np.array([LineString([(cx, cy), (ex, ey)])]), 30, rng)
        rural_pieces += list(b.add_pieces(lane, [b.street("rural", 0.0)], Zone.RURAL))
    for k in (1, 4, 7):  # lanes across the sectors without a village
        r_l = float(rng.uniform(3300, 4400)) * s
        arc = np.linspace(alpha[k], alpha[(k + 1) % N_ARTERIALS] + (two_pi if k == 7 else 0), 40)
        lane = _warp(np.array([LineString(np.column_stack(_polar(r_l, arc)))]), 40, rng)
        lane = shapely.intersection(lane, boundary.buffer(-20))
        rural_pieces += list(b.add_pieces(lane, [b.street("rural", float(mids[k]))], Zone.RURAL))
    rural_pieces += [i for i, z in enumerate(b.piece_zone) if z == Zone.RURAL]
    rural = np.array(sorted(set(rural_pieces)))
    rlines = np.array([b.pieces[i] for i in rural], dtype=object)
    rlen = shapely.length(rlines)
    n_farms = max(3, round(110 * scale))
    pick = rng.choice(len(rural), n_farms, p=rlen / rlen.sum())
    d = rng.uniform(0.05, 0.95, n_farms) * rlen[pick]
    p0 = shapely.get_coordinates(shapely.line_interpolate_point(rlines[pick], d))
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(rlines[pick], d + 1))
    tan = (p1 - p0) / np.maximum(np.hypot(*(p1 - p0).T), 1e-9)[:, None]
    off = rng.uniform(30, 180, n_farms) * rng.choice([-1, 1], n_farms)
    farm_xy = p0 + np.column_stack([-tan[:, 1], tan[:, 0]]) * off[:, None]
    farm_hh = np.where(rng.random(n_farms) < 0.8, 1, rng.integers(2, 4, n_farms))
    b._append_homes(farm_xy, farm_hh, rural[pick], d, Zone.RURAL, None)

    # --- non-residential streets: industrial estate and retail park ------------------------
    ix0, iy0 = 2300 * s, 300 * s
    works = []
    for dy in (-110, 0, 110):
        works.append(LineString([(ix0 - 380 * s, iy0 + dy * s), (ix0 + 380 * s, iy0 + dy * s)]))
    works_pieces = np.concatenate(
        [
            b.add_pieces(np.array([ln]), [b.street("works", 0.0)], Zone.NON_RESIDENTIAL)
            for ln in works
        ]
    )
    rcx, rcy = at(R_RING, 0)
    access = LineString([(rcx, rcy), _polar(R_RING * 0.93 * s, mids[0])])
    b.add_pieces(np.array([access]), [b.street("works", float(mids[0]))], Zone.NON_RESIDENTIAL)

    # --- premises ---------------------------------------------------------------------------
    _place_venues(b, s, mids, works_pieces, retail, university, hospital, sports)

    # --- assemble: homes outside no-home places, deduplicated on their rounded position ----
    homes = {k: np.concatenate([h[k] for h in b.homes]) for k in b.homes[0]}
    keep = ~shapely.contains_xy(no_home, homes["x"], homes["y"])
    keep &= shapely.contains_xy(boundary.buffer(-30), homes["x"], homes["y"])
    homes = {k: v[keep] for k, v in homes.items()}
    lon, lat = _lonlat(homes["x"], homes["y"])
    order = np.lexsort((lon, lat))
    homes = {k: v[order] for k, v in homes.items()}
    lon, lat = lon[order], lat[order]
    first = np.r_[True, (np.diff(lat) != 0) | (np.diff(lon) != 0)]
    group = np.cumsum(first) - 1
    hh = np.bincount(group, weights=homes["households"]).astype(np.int64)
    homes = {k: v[first] for k, v in homes.items()}
    piece_street = np.array(b.piece_street)
    addresses = Addresses(
        x=homes["x"],
        y=homes["y"],
        lon=lon[first],
        lat=lat[first],
        households=hh,
        zone=homes["zone"].astype(np.int8),
        style=homes["style"].astype(np.int8),
        street=piece_street[homes["piece"]],
        piece=homes["piece"],
        dist=homes["dist"],
    )

    pieces = np.array(b.pieces, dtype=object)
    coords, idx = shapely.get_coordinates(pieces, return_index=True)
    same = idx[:-1] == idx[1:]
    seg = {
        "x0": coords[:-1, 0][same],
        "y0": coords[:-1, 1][same],
        "x1": coords[1:, 0][same],
        "y1": coords[1:, 1][same],
        "piece": idx[:-1][same],
    }
    seg["len"] = np.hypot(seg["x1"] - seg["x0"], seg["y1"] - seg["y0"])
    seg["zone"] = np.array(b.piece_zone)[seg["piece"]]

    # Night-time economy: the centre streets around the clubs.
    nx, ny = _polar(260 * s, mids[3])
    mx, my = (seg["x0"] + seg["x1"]) / 2, (seg["y0"] + seg["y1"]) / 2
    night = (np.hypot(mx - nx, my - ny) < max(230 * s, 120)) & (seg["zone"] == Zone.CENTRE)

    # Parks: a pool of points to draw incidents from (about one per 400 m2).
    pool_x, pool_y, pool_p = [], [], []
    for i, park in enumerate(parks):
        x0, y0, x1, y1 = park.bounds
        gx, gy = np.meshgrid(np.arange(x0, x1, 20.0), np.arange(y0, y1, 20.0))
        gx = gx.ravel() + rng.uniform(-8, 8, gx.size)
        gy = gy.ravel() + rng.uniform(-8, 8, gy.size)
        inside = shapely.contains_xy(park, gx, gy)
        pool_x.append(gx[inside])
        pool_y.append(gy[inside])
        pool_p.append(np.full(inside.sum(), i))

    hot = np.array(
        [[*at(2000, 1, 0.2), max(300 * s, 100)], [*at(1900, 5, -0.2), max(280 * s, 100)]]
    )
    depr_zone = np.array([1.3, 1.5, 0.8, 0.5, 1.0])[addresses.zone]
    depr_style = np.where(addresses.style == list(STYLES).index("estate"), 1.4, 1.0)
    depr_style = np.where(addresses.style == list(STYLES).index("detached"), 0.6, depr_style)
    v = b.venues
    return City(
        seed=seed,
        scale=scale,
        boundary=boundary,
        pieces=pieces,
        piece_street=piece_street,
        piece_zone=np.array(b.piece_zone),
        street_names=tuple(b.names),
        street_angle=np.array(b.angles),
        seg=seg,
        addresses=addresses,
        venues=Venues(
            x=np.array([e[0] for e in v]),
            y=np.array([e[1] for e in v]),
            kind=np.array([str(e[2]) for e in v], dtype=object),
            size=np.array([e[3] for e in v]),
            site=np.array([e[4] for e in v]),
        ),
        parks=np.array(parks, dtype=object),
        park_pool=(np.concatenate(pool_x), np.concatenate(pool_y), np.concatenate(pool_p)),
        night_strip=night,
        burglary_hotspots=hot,
        deprivation=depr_zone * depr_style,
    )


def _place_venues(
    b: _Builder,
    s: float,
    mids: np.ndarray,
    works_pieces: np.ndarray,
    retail: Polygon,
    university: Polygon,
    hospital: Polygon,
    sports: Polygon,
) -> None:
    """Shops, bars, the retail park, stations and works, each where a town would have them."""
    rng = b.rng
    pieces = np.array(b.pieces, dtype=object)
    zone = np.array(b.piece_zone)
    V = VenueKind

    def along(mask: np.ndarray, n: int, offset: float) -> np.ndarray:
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return np.zeros((0, 2))
        lens = shapely.length(pieces[idx])
        pick = idx[rng.choice(len(idx), n, p=lens / lens.sum())]
        d = rng.uniform(0.1, 0.9, n) * shapely.length(pieces[pick])
        p0 = shapely.get_coordinates(shapely.line_interpolate_point(pieces[pick], d))
        p1 = shapely.get_coordinates(shapely.line_interpolate_point(pieces[pick], d + 1))
        t = (p1 - p0) / np.maximum(np.hypot(*(p1 - p0).T), 1e-9)[:, None]
        return (
            p0 + np.column_stack([-t[:, 1], t[:, 0]]) * (offset * rng.choice([-1, 1], n))[:, None]
        )

    def inside(poly: Polygon, n: int) -> np.ndarray:
        x0, y0, x1, y1 = poly.bounds
        pts = np.column_stack([rng.uniform(x0, x1, 20 * n), rng.uniform(y0, y1, 20 * n)])
        return pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])][:n]

    mid = np.array(
        [shapely.line_interpolate_point(p, 0.5, normalized=True).coords[0] for p in pieces]
    )
    centre = zone == Zone.CENTRE
    near_core = np.hypot(mid[:, 0], mid[:, 1]) < max(300 * s, 150)
    nx, ny = _polar(260 * s, mids[3])
    near_night = np.hypot(mid[:, 0] - nx, mid[:, 1] - ny) < max(230 * s, 120)
    site = 0
    for x, y in along(centre & near_core, 60, 9):  # the shopping streets share one map point
        b.venue(x, y, V.SHOP, float(rng.lognormal(0, 0.8)), site)
    site += 1
    for kind, n, sz in ((V.NIGHTCLUB, 4, 2.0), (V.PUB, 10, 1.0)):
        for x, y in along(centre & near_night, n, 9):
            b.venue(x, y, kind, sz * float(rng.lognormal(0, 0.4)), site)
            site += 1
    for kind, r, k in (
        (V.THEATRE, 250, 6),
        (V.BUS_STATION, 420, 5),
        (V.POLICE_STATION, 480, 2),
        (V.PARKING, 400, 7),
        (V.PARKING, 450, 1),
        (V.PARKING, 380, 4),
    ):
        x, y = _polar(r * s, mids[k])
        b.venue(float(x), float(y), kind, 1.0, site)
        site += 1
    b.venue(0.0, 550 * s - 30 * s, V.RAIL_STATION, 3.0, site)
    site += 1
    b.venue(0.0 + 80 * s, 550 * s - 40 * s, V.PARKING, 1.0, site)
    site += 1
    # The retail park: units, a big supermarket, its car park and petrol station.
    rc = np.array(retail.centroid.coords[0])
    for x, y in inside(retail, 8):
        b.venue(x, y, V.RETAIL_UNIT, float(rng.lognormal(0, 0.5)), site)
    b.venue(*(rc + [20 * s, -30 * s]), V.SUPERMARKET, 4.0, site + 1)
    b.venue(*(rc + [-40 * s, 50 * s]), V.PARKING, 2.0, site + 2)
    b.venue(*(rc + [90 * s, 80 * s]), V.PETROL, 1.0, site + 3)
    site += 4
    # Along the main roads: supermarkets, petrol stations, pubs, corner shops.
    arterial_streets = [i for i, kind in enumerate(b.kinds) if kind == "arterial"]
    art = (zone != Zone.RURAL) & np.isin(b.piece_street, arterial_streets)
    sub_art = art & (zone == Zone.SUBURB)
    for kind, mask, n, sz in (
        (V.SUPERMARKET, sub_art, 2, 2.0),
        (V.PETROL, sub_art, 3, 1.0),
        (V.PUB, art & (zone != Zone.CENTRE), 12, 0.8),
        (V.CONVENIENCE, (zone == Zone.INNER) | (zone == Zone.SUBURB), 18, 1.0),
    ):
        for x, y in along(mask, n, 14):
            b.venue(x, y, kind, sz * float(rng.lognormal(0, 0.4)), site)
            site += 1
    for kind, poly, n, sz in (
        (V.UNIVERSITY, university, 6, 1.0),
        (V.HOSPITAL, hospital, 1, 3.0),
        (V.SPORTS, sports, 1, 2.0),
    ):
        for x, y in inside(poly, n):
            b.venue(x, y, kind, sz, site)
        site += 1
    works_mask = np.isin(np.arange(len(pieces)), works_pieces)
    for x, y in along(works_mask, 30, 25):
        b.venue(x, y, V.INDUSTRIAL, float(rng.lognormal(0, 0.6)), site)
        site += 1


# =====================================================================================
# Output areas and neighbourhoods
# =====================================================================================


@dataclass(frozen=True)
class Areas:
    """Output areas that tile the town (each >= 40 households) and neighbourhoods of them.

    Geometries are WGS84 with coordinates rounded as written, and the household counts
    are counted from the rounded address points inside them, so a reader of the files
    gets exactly these numbers back.
    """

    oa_geoms: np.ndarray
    oa_codes: tuple[str, ...]
    oa_households: np.ndarray
    oa_residents: np.ndarray
    oa_neighbourhood: np.ndarray
    address_oa: np.ndarray  # per address: index of its output area
    nb_geoms: np.ndarray
    nb_codes: tuple[str, ...]  # doubling as the LSOA codes in the police.uk files
    nb_names: tuple[str, ...]
    nb_households: np.ndarray
    nb_residents: np.ndarray


def _bisect(x: np.ndarray, y: np.ndarray, w: np.ndarray, max_weight: float) -> np.ndarray:
    """Split points into compact groups of at most `max_weight` by halving the longer side.

    Each split balances the weight on its two sides, so groups end up between about a
    third and all of `max_weight`; labels follow the split tree, so neighbours in the
    label order are neighbours on the ground.
    """
    labels = np.zeros(len(x), dtype=np.int64)
    stack = [np.arange(len(x))]
    label = 0
    while stack:
        idx = stack.pop()
        total = w[idx].sum()
        if total <= max_weight or len(idx) < 2:
            labels[idx] = label
            label += 1
            continue
        xs, ys = x[idx], y[idx]
        coord = xs if np.ptp(xs) >= np.ptp(ys) else ys
        order = idx[np.argsort(coord, kind="stable")]
        cum = np.cumsum(w[order])
        k = int(np.argmin(np.abs(2 * cum[:-1] - total))) + 1
        stack.append(order[k:])
        stack.append(order[:k])
    return labels


def _points_in(geoms: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Index of the polygon holding each point; -1 when none, -2 when more than one."""
    tree = shapely.STRtree(geoms)
    pi, gi = tree.query(shapely.points(lon, lat), predicate="within")
    out = np.full(len(lon), -1, dtype=np.int64)
    out[pi] = gi
    hits = np.bincount(pi, minlength=len(lon))
    out[hits > 1] = -2
    return out


def _group_centres(a: Addresses, mask: np.ndarray, target: float) -> np.ndarray:
    """Centres of compact groups of about `target` households among the masked homes."""
    idx = np.flatnonzero(mask)
    g = _bisect(a.x[idx], a.y[idx], a.households[idx].astype(float), target)
    cnt = np.bincount(g)
    return np.column_stack(
        [np.bincount(g, weights=a.x[idx]) / cnt, np.bincount(g, weights=a.y[idx]) / cnt]
    )


def _tile(city: City, centres: np.ndarray) -> tuple[list, np.ndarray, np.ndarray]:
    """Voronoi cells of the centres, clipped to the town; cells over the maximum are split.

    Returns the cells (rounded WGS84), the cell of each address and households per cell.
    """
    a = city.addresses
    for _ in range(8):
        if len(centres) == 1:
            cells = np.array([city.boundary], dtype=object)
        else:
            vor = shapely.voronoi_polygons(
                shapely.multipoints(centres), extend_to=city.boundary, ordered=True
            )
            cells = shapely.intersection(shapely.get_parts(vor), city.boundary)
        polys = list(_geoms_to_lonlat(cells))
        where = _points_in(np.array(polys, dtype=object), a.lon, a.lat)
        if (where < 0).any():
            raise RuntimeError("output areas do not tile the address points (a crimedash bug)")
        hh = np.bincount(where, weights=a.households, minlength=len(polys)).astype(np.int64)
        big = np.flatnonzero(hh > OA_MAX_HOUSEHOLDS)
        if len(big) == 0:
            break
        split = [_group_centres(a, where == i, hh[i] / 2 + 1) for i in big]
        centres = np.vstack([np.delete(centres, big, axis=0), *split])
    return polys, where, hh


def _best_neighbour(geom, polys: list, others: np.ndarray, hh: np.ndarray) -> int:
    """The smallest neighbour sharing an edge with `geom` (ties: the longest edge)."""
    arr = np.array([polys[j] for j in others], dtype=object)
    shared = shapely.length(shapely.intersection(shapely.boundary(geom), shapely.boundary(arr)))
    touching = shared > 0
    if not touching.any():
        return int(others[np.argmin(shapely.distance(geom, arr))])
    cand, edge = others[touching], shared[touching]
    return int(cand[np.lexsort((-edge, hh[cand]))[0]])


def _union_rounded(geoms) -> shapely.Geometry:
    """Union of adjacent rounded polygons, kept on the same 6-decimal grid."""
    u = shapely.set_precision(shapely.coverage_union_all(np.asarray(geoms, dtype=object)), 1e-6)
    return shapely.transform(u, lambda c: np.round(c, COORD_DECIMALS))


def _contiguous(geoms: np.ndarray, nb: np.ndarray, hh: np.ndarray) -> np.ndarray:
    """Move output areas cut off from their neighbourhood into the one they touch most.

    Straight-line halving can leave an area whose centre is on one side of the cut but
    whose land touches only the other side; real neighbourhoods are in one piece.
    """
    nb = nb.copy()
    for _ in range(5):
        moved = False
        for k in range(nb.max() + 1):
            members = np.flatnonzero(nb == k)
            u = shapely.coverage_union_all(geoms[members])
            parts = shapely.get_parts(u)
            if len(parts) < 2:
                continue
            part_of = np.array(
                [
                    int(np.argmax(shapely.intersects(shapely.point_on_surface(geoms[m]), parts)))
                    for m in members
                ]
            )
            weight = np.bincount(part_of, weights=hh[members], minlength=len(parts))
            main = int(np.argmax(weight))
            for m in members[part_of != main]:
                others = np.flatnonzero(nb != k)
                nb_hh = np.bincount(nb, weights=hh)
                arr = geoms[others]
                shared = shapely.length(
                    shapely.intersection(shapely.boundary(geoms[m]), shapely.boundary(arr))
                )
                if (shared > 0).any():
                    best = others[shared > 0][
                        np.lexsort((-shared[shared > 0], nb_hh[nb[others[shared > 0]]]))[0]
                    ]
                    nb[m] = nb[best]
                    moved = True
        if not moved:
            break
    _, nb = np.unique(nb, return_inverse=True)  # renumber in first-seen order of labels
    return nb


def _merge_small(geoms: np.ndarray, nb: np.ndarray, hh: np.ndarray, minimum: int) -> np.ndarray:
    """Merge neighbourhoods under `minimum` households into their smallest neighbour."""
    nb = nb.copy()
    while True:
        totals = np.bincount(nb, weights=hh)
        small = np.flatnonzero((totals > 0) & (totals < minimum))
        if len(small) == 0 or (totals > 0).sum() < 2:
            break
        k = int(small[np.argmin(totals[small])])
        mine = shapely.coverage_union_all(geoms[nb == k])
        labels = np.flatnonzero((totals > 0) & (np.arange(len(totals)) != k))
        unions = [shapely.coverage_union_all(geoms[nb == j]) for j in labels]
        best = _best_neighbour(mine, unions, np.arange(len(labels)), totals[labels])
        nb[nb == k] = labels[best]
    _, nb = np.unique(nb, return_inverse=True)
    return nb


def build_areas(city: City) -> Areas:
    """Output areas as census ones are made: compact groups of homes, at least 40 each.

    Homes are grouped by balanced halving, the groups' centres become Voronoi cells clipped
    to the town boundary (so the areas tile it, fields and parks included; cells over 250
    households are split), and any cell left under 40 households is merged into its
    smallest neighbour. Neighbourhoods are groups of output areas made the same way, kept
    in one piece, with 300-900 households each (they double as police.uk's LSOAs).
    """
    rng = Generator(PCG64([city.seed, 1]))
    a = city.addresses
    polys, where, hh = _tile(city, _group_centres(a, a.households >= 0, OA_TARGET_HOUSEHOLDS))
    alive = np.ones(len(polys), dtype=bool)
    while alive.sum() > 1:
        small = np.flatnonzero(alive & (hh < OA_MIN_HOUSEHOLDS))
        if len(small) == 0:
            break
        i = int(small[np.argmin(hh[small])])
        others = np.flatnonzero(alive)
        others = others[others != i]
        best = _best_neighbour(polys[i], polys, others, hh)
        polys[best] = _union_rounded([polys[best], polys[i]])
        hh[best] += hh[i]
        hh[i] = 0
        alive[i] = False
        where[where == i] = best
    keep = np.flatnonzero(alive)
    remap = np.full(len(polys), -1)
    remap[keep] = np.arange(len(keep))
    oa_geoms = np.array([polys[i] for i in keep], dtype=object)
    oa_hh = hh[keep]
    address_oa = remap[where]

    # Neighbourhoods: halve the output areas (weighted by households) until small enough.
    ox = np.bincount(address_oa, weights=a.x * a.households) / oa_hh
    oy = np.bincount(address_oa, weights=a.y * a.households) / oa_hh
    nb = _bisect(ox, oy, oa_hh.astype(float), NEIGHBOURHOOD_MAX_HOUSEHOLDS)
    nb = _contiguous(oa_geoms, nb, oa_hh)
    nb = _merge_small(oa_geoms, nb, oa_hh, NEIGHBOURHOOD_MIN_HOUSEHOLDS)
    order = np.lexsort((np.arange(len(nb)), nb))  # output areas numbered within neighbourhoods
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    oa_geoms, oa_hh, nb = oa_geoms[order], oa_hh[order], nb[order]
    address_oa = rank[address_oa]

    size = np.vectorize(MEAN_HOUSEHOLD_SIZE.get, otypes=[float])(a.zone)
    people = np.bincount(address_oa, weights=a.households * size, minlength=len(oa_hh))
    oa_res = np.round(people * rng.normal(1.0, 0.03, len(oa_hh))).astype(np.int64)
    n_nb = nb.max() + 1
    nb_geoms = [_union_rounded(oa_geoms[nb == k]) for k in range(n_nb)]
    nb_codes = tuple(f"E0199{k + 1:04d}" for k in range(n_nb))
    nb_names = tuple(f"{CITY_NAME} {k // 4 + 1:03d}{'ABCD'[k % 4]}" for k in range(n_nb))
    return Areas(
        oa_geoms=oa_geoms,
        oa_codes=tuple(f"SC{k + 1:07d}" for k in range(len(oa_hh))),
        oa_households=oa_hh,
        oa_residents=oa_res,
        oa_neighbourhood=nb,
        address_oa=address_oa,
        nb_geoms=np.array(nb_geoms, dtype=object),
        nb_codes=nb_codes,
        nb_names=nb_names,
        nb_households=np.bincount(nb, weights=oa_hh, minlength=n_nb).astype(np.int64),
        nb_residents=np.bincount(nb, weights=oa_res, minlength=n_nb).astype(np.int64),
    )


# =====================================================================================
# police.uk map points
# =====================================================================================


class SnapKind(IntEnum):
    HOMES = 0  # a stretch of street covering at least eight addresses
    STREET = 1  # a street without homes (ring road, industrial estate)
    PLACE = 2  # premises police.uk names by kind ("Supermarket", "Nightclub")
    PARK = 3


@dataclass(frozen=True)
class SnapPoints:
    """police.uk's anonymous map points: every published crime is moved to one of these.

    A point on a residential street stands for at least eight addresses, so a published
    point never picks out one home; premises and parks get their own named points.
    """

    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    name: np.ndarray  # text after "On or near "
    kind: np.ndarray  # SnapKind
    neighbourhood: np.ndarray  # index into Areas.nb_codes (the LSOA)
    address_snap: np.ndarray  # per address: the map point its crimes are published at
    venue_snap: np.ndarray  # per venue


def build_snap_points(city: City, areas: Areas) -> SnapPoints:
    """Map points as police.uk makes them: street stretches of >= 8 addresses, and places.

    Each street's addresses, in order along it, are cut into runs of about 20 (never fewer
    than 8); the run's point sits on the street's centre line at its middle address.
    Addresses on streets too short for a run of 8 join the nearest run on another street.
    """
    a, names = city.addresses, np.array(city.street_names, dtype=object)
    ang = city.street_angle[a.street]
    along = a.x * np.cos(ang) + a.y * np.sin(ang)
    order = np.lexsort((along, a.street))
    st = a.street[order]
    starts = np.r_[0, np.flatnonzero(np.diff(st)) + 1]
    m = np.diff(np.r_[starts, len(st)])
    rank = np.arange(len(st)) - np.repeat(starts, m)
    n_runs = np.maximum(m // SNAP_TARGET_ADDRESSES, 1)
    eligible = np.repeat(m >= SNAP_MIN_ADDRESSES, m)
    run_local = rank * np.repeat(n_runs, m) // np.repeat(m, m)
    run_base = np.cumsum(np.where(m >= SNAP_MIN_ADDRESSES, n_runs, 0)) - np.where(
        m >= SNAP_MIN_ADDRESSES, n_runs, 0
    )
    run = np.where(eligible, np.repeat(run_base, m) + run_local, -1)
    snap_sorted = run
    address_snap = np.empty(len(a.x), dtype=np.int64)
    address_snap[order] = snap_sorted
    n_home = int(run.max()) + 1 if (run >= 0).any() else 0

    if n_home == 0:  # a town too small for a run of 8 on one street: one point for all
        address_snap[:] = 0
        hx, hy = np.array([a.x.mean()]), np.array([a.y.mean()])
        hname = np.array([names[a.street[0]]], dtype=object)
    else:
        # The middle address of each run gives the point on its street's centre line.
        members = order[run >= 0]
        runs = run[run >= 0]
        first = np.r_[0, np.flatnonzero(np.diff(runs)) + 1]
        size = np.diff(np.r_[first, len(runs)])
        middle = members[first + size // 2]
        pts = shapely.line_interpolate_point(city.pieces[a.piece[middle]], a.dist[middle])
        hx, hy = shapely.get_coordinates(pts).T
        hname = names[a.street[middle]]
        orphans = np.flatnonzero(address_snap < 0)
        if len(orphans):
            tree = shapely.STRtree(shapely.points(hx, hy))
            near = tree.query_nearest(shapely.points(a.x[orphans], a.y[orphans]))
            address_snap[orphans[near[0]]] = near[1]

    # Streets without homes: a point every ~250 m.
    homeless = np.setdiff1d(np.arange(len(names)), np.unique(a.street[address_snap >= 0]))
    piece_idx = np.flatnonzero(np.isin(city.piece_street, homeless))
    lengths = shapely.length(city.pieces[piece_idx])
    n_pts = np.maximum(np.round(lengths / 250).astype(int), 1)
    which = np.repeat(piece_idx, n_pts)
    k = np.arange(n_pts.sum()) - np.repeat(np.cumsum(n_pts) - n_pts, n_pts)
    frac = (k + 0.5) / np.repeat(n_pts, n_pts)
    sp = shapely.line_interpolate_point(city.pieces[which], frac, normalized=True)
    sx, sy = shapely.get_coordinates(sp).T if len(which) else (np.zeros(0), np.zeros(0))
    sname = names[city.piece_street[which]]

    # Places: one point per site and kind of premises, named as police.uk names them.
    v = city.venues
    text = np.array([PLACE_TEXT.get(VenueKind(k), "") for k in v.kind], dtype=object)
    named = text != ""
    keys = [(int(site), t) for site, t in zip(v.site[named], text[named], strict=True)]
    uniq = list(dict.fromkeys(keys))
    key_of = {key: i for i, key in enumerate(uniq)}
    place_of = np.array([key_of[key] for key in keys], dtype=np.int64)
    cnt = np.bincount(place_of, minlength=len(uniq))
    px = np.bincount(place_of, weights=v.x[named], minlength=len(uniq)) / np.maximum(cnt, 1)
    py = np.bincount(place_of, weights=v.y[named], minlength=len(uniq)) / np.maximum(cnt, 1)
    pname = np.array([t for _, t in uniq], dtype=object)

    park_pts = shapely.get_coordinates(shapely.point_on_surface(city.parks))
    parts = [
        (hx, hy, hname, SnapKind.HOMES),
        (sx, sy, sname, SnapKind.STREET),
        (px, py, pname, SnapKind.PLACE),
        (park_pts[:, 0], park_pts[:, 1], np.full(len(park_pts), PARK_TEXT, object), SnapKind.PARK),
    ]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    name = np.concatenate([p[2] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), int(p[3])) for p in parts])
    offset = {p[3]: sum(len(q[0]) for q in parts[:i]) for i, p in enumerate(parts)}

    # Premises without a police.uk name (pubs, works, corner shops) use the nearest street.
    venue_snap = np.empty(len(v.x), dtype=np.int64)
    venue_snap[named] = offset[SnapKind.PLACE] + place_of
    if (~named).any():
        venue_snap[~named] = _nearest(x, y, kind <= SnapKind.STREET, v.x[~named], v.y[~named])

    lon, lat = _lonlat(x, y)
    nb = _points_in(areas.nb_geoms, lon, lat)
    lost = nb < 0
    if lost.any():
        tree = shapely.STRtree(areas.nb_geoms)
        nb[lost] = tree.query_nearest(shapely.points(lon[lost], lat[lost]))[1]
    return SnapPoints(
        x=x,
        y=y,
        lon=lon,
        lat=lat,
        name=name,
        kind=kind,
        neighbourhood=nb,
        address_snap=address_snap + offset[SnapKind.HOMES],
        venue_snap=venue_snap,
    )


def _nearest(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, qx: np.ndarray, qy: np.ndarray
) -> np.ndarray:
    """Index (into x, y) of the nearest masked point to each query point."""
    idx = np.flatnonzero(mask)
    tree = shapely.STRtree(shapely.points(x[idx], y[idx]))
    q, t = tree.query_nearest(shapely.points(qx, qy))
    out = np.empty(len(qx), dtype=np.int64)
    out[q] = idx[t]
    return out


# =====================================================================================
# The crime model
# =====================================================================================


class Place(StrEnum):
    """Where an incident happens, which fixes its location type."""

    HOME = "home"  # an address, weighted by households and deprivation
    HOME_QUIET = "home_quiet"  # an address in a quiet suburb, village or farm
    HOME_BURGLARY = "home_burglary"  # an address, with two suburban burglary clusters
    STREET = "street"  # anywhere on the street network, busiest in the centre
    STREET_QUIET = "street_quiet"  # suburban streets and country lanes
    CENTRE = "centre"  # the town centre's streets
    NIGHT_STRIP = "night_strip"  # the streets of bars and clubs
    PARK = "park"
    VENUE = "venue"  # premises, weighted by kind and size


PLACE_LOCATION_TYPE = {
    Place.HOME: LocationType.RESIDENTIAL,
    Place.HOME_QUIET: LocationType.RESIDENTIAL,
    Place.HOME_BURGLARY: LocationType.RESIDENTIAL,
    Place.VENUE: LocationType.NON_RESIDENTIAL,
}  # every other place is public space


class Rhythm(StrEnum):
    """When an incident happens: hour of day, day of week and season together."""

    ANYTIME = "anytime"
    DAYTIME = "daytime"
    EVENING = "evening"
    NIGHT = "night"
    WEEKEND_NIGHT = "weekend_night"  # Friday and Saturday nights out
    OVERNIGHT = "overnight"
    SHOP_HOURS = "shop_hours"
    DARK_EVENING = "dark_evening"  # burglary after dark: long winter evenings
    BUSINESS_NIGHT = "business_night"
    SUMMER_EVENING = "summer_evening"  # anti-social behaviour, Halloween, Bonfire Night


@dataclass(frozen=True)
class Component:
    """One way a category happens: where, when, and how often a place is hit again."""

    category: str
    share: float  # of the category's incidents
    place: Place
    rhythm: Rhythm
    venues: tuple[tuple[VenueKind, float], ...] = ()
    repeat: float = 0.0  # share drawn from a small pool of repeat addresses


# Share of all incidents by category, roughly as English forces record them (ASB included).
CATEGORY_MIX: dict[str, float] = {
    "anti_social_behaviour": 0.19,
    "violence_without_injury": 0.12,
    "violence_with_injury": 0.08,
    "shoplifting": 0.08,
    "stalking_harassment": 0.07,
    "criminal_damage_arson": 0.07,
    "domestic_abuse": 0.06,
    "vehicle_crime": 0.06,
    "other_theft": 0.06,
    "public_order": 0.05,
    "burglary_residential": 0.035,
    "drugs": 0.025,
    "sexual_offences": 0.022,
    "other_crime": 0.02,
    "burglary_non_residential": 0.015,
    "bicycle_theft": 0.015,
    "hate_crime": 0.012,
    "theft_from_the_person": 0.012,
    "robbery": 0.01,
    "possession_of_weapons": 0.008,
}

V, P, R = VenueKind, Place, Rhythm
_C = Component
_NIGHT_OUT = ((V.NIGHTCLUB, 6.0), (V.PUB, 3.0))
_SHOPS = (
    (V.SUPERMARKET, 6.0),
    (V.RETAIL_UNIT, 3.0),
    (V.SHOP, 1.5),
    (V.CONVENIENCE, 2.0),
    (V.PETROL, 1.0),
)
_PUBLIC_BUILDINGS = ((V.RAIL_STATION, 1.0), (V.BUS_STATION, 1.0), (V.HOSPITAL, 1.0))
COMPONENTS: tuple[Component, ...] = (
    # Violence: the night-time economy hot spot, at home, and on the street.
    _C("violence_with_injury", 0.30, P.NIGHT_STRIP, R.WEEKEND_NIGHT),
    _C("violence_with_injury", 0.12, P.VENUE, R.WEEKEND_NIGHT, _NIGHT_OUT),
    _C("violence_with_injury", 0.33, P.HOME, R.EVENING, repeat=0.25),
    _C("violence_with_injury", 0.25, P.STREET, R.ANYTIME),
    _C("violence_without_injury", 0.22, P.NIGHT_STRIP, R.WEEKEND_NIGHT),
    _C("violence_without_injury", 0.13, P.VENUE, R.DAYTIME,
       ((V.SHOP, 1.0), (V.SUPERMARKET, 2.0), (V.PUB, 2.0), (V.UNIVERSITY, 1.0), *_PUBLIC_BUILDINGS)),
    _C("violence_without_injury", 0.40, P.HOME, R.EVENING, repeat=0.25),
    _C("violence_without_injury", 0.25, P.STREET, R.ANYTIME),
    # Domestic abuse: at home with repeat victims, some in quiet streets far from anyone.
    _C("domestic_abuse", 0.80, P.HOME, R.EVENING, repeat=0.4),
    _C("domestic_abuse", 0.12, P.HOME_QUIET, R.EVENING),
    _C("domestic_abuse", 0.08, P.STREET, R.EVENING),
    _C("stalking_harassment", 0.55, P.HOME, R.ANYTIME, repeat=0.45),
    _C("stalking_harassment", 0.15, P.HOME_QUIET, R.ANYTIME),
    _C("stalking_harassment", 0.30, P.STREET, R.ANYTIME),
    # Sexual offences: rare; at home, in quiet streets and parks, and around the clubs.
    _C("sexual_offences", 0.35, P.HOME, R.NIGHT),
    _C("sexual_offences", 0.20, P.HOME_QUIET, R.NIGHT),
    _C("sexual_offences", 0.15, P.STREET_QUIET, R.NIGHT),
    _C("sexual_offences", 0.10, P.PARK, R.EVENING),
    _C("sexual_offences", 0.12, P.NIGHT_STRIP, R.WEEKEND_NIGHT),
    _C("sexual_offences", 0.08, P.VENUE, R.WEEKEND_NIGHT, ((V.NIGHTCLUB, 3.0), (V.UNIVERSITY, 1.0))),
    # Hate crime: in the street and at corner shops, and at homes in quiet streets.
    _C("hate_crime", 0.25, P.STREET, R.ANYTIME),
    _C("hate_crime", 0.15, P.CENTRE, R.DAYTIME),
    _C("hate_crime", 0.25, P.HOME_QUIET, R.ANYTIME, repeat=0.2),
    _C("hate_crime", 0.15, P.HOME, R.ANYTIME),
    _C("hate_crime", 0.20, P.VENUE, R.DAYTIME,
       ((V.CONVENIENCE, 3.0), (V.SHOP, 1.0), (V.PUB, 1.0), (V.UNIVERSITY, 1.0), *_PUBLIC_BUILDINGS)),
    _C("robbery", 0.45, P.STREET, R.NIGHT),
    _C("robbery", 0.25, P.NIGHT_STRIP, R.WEEKEND_NIGHT),
    _C("robbery", 0.30, P.VENUE, R.EVENING,
       ((V.CONVENIENCE, 3.0), (V.PETROL, 2.0), (V.SHOP, 1.0), (V.SUPERMARKET, 1.0))),
    # Burglary: two suburban clusters, after dark in winter.
    _C("burglary_residential", 0.85, P.HOME_BURGLARY, R.DARK_EVENING, repeat=0.08),
    _C("burglary_residential", 0.15, P.HOME, R.DAYTIME),
    _C("burglary_non_residential", 1.0, P.VENUE, R.BUSINESS_NIGHT,
       ((V.INDUSTRIAL, 5.0), (V.SHOP, 2.0), (V.RETAIL_UNIT, 1.0), (V.CONVENIENCE, 2.0),
        (V.PUB, 1.0), (V.SPORTS, 1.0), (V.UNIVERSITY, 1.0), (V.PETROL, 1.0))),
    _C("drugs", 0.45, P.CENTRE, R.EVENING),
    _C("drugs", 0.30, P.STREET, R.EVENING),
    _C("drugs", 0.15, P.PARK, R.EVENING),
    _C("drugs", 0.10, P.HOME, R.DAYTIME),
    _C("possession_of_weapons", 0.35, P.NIGHT_STRIP, R.WEEKEND_NIGHT),
    _C("possession_of_weapons", 0.50, P.STREET, R.NIGHT),
    _C("possession_of_weapons", 0.15, P.VENUE, R.DAYTIME,
       ((V.SHOP, 1.0), (V.SUPERMARKET, 1.0), *_PUBLIC_BUILDINGS)),
    _C("public_order", 0.35, P.NIGHT_STRIP, R.WEEKEND_NIGHT),
    _C("public_order", 0.30, P.STREET, R.EVENING),
    _C("public_order", 0.25, P.VENUE, R.EVENING,
       ((V.PUB, 3.0), (V.NIGHTCLUB, 2.0), (V.SUPERMARKET, 1.0), *_PUBLIC_BUILDINGS)),
    _C("public_order", 0.10, P.HOME, R.EVENING, repeat=0.3),
    _C("criminal_damage_arson", 0.45, P.HOME, R.EVENING, repeat=0.15),
    _C("criminal_damage_arson", 0.35, P.STREET, R.NIGHT),
    _C("criminal_damage_arson", 0.20, P.VENUE, R.BUSINESS_NIGHT,
       ((V.INDUSTRIAL, 2.0), (V.SHOP, 1.0), (V.UNIVERSITY, 1.0), (V.SPORTS, 1.0),
        (V.PARKING, 1.0), (V.CONVENIENCE, 1.0))),
    _C("theft_from_the_person", 0.45, P.CENTRE, R.DAYTIME),
    _C("theft_from_the_person", 0.20, P.NIGHT_STRIP, R.WEEKEND_NIGHT),
    _C("theft_from_the_person", 0.35, P.VENUE, R.DAYTIME,
       ((V.NIGHTCLUB, 2.0), (V.SHOP, 2.0), (V.RAIL_STATION, 2.0), (V.BUS_STATION, 2.0),
        (V.SUPERMARKET, 1.0))),
    _C("vehicle_crime", 0.60, P.STREET, R.OVERNIGHT),
    _C("vehicle_crime", 0.40, P.VENUE, R.DAYTIME,
       ((V.PARKING, 5.0), (V.RAIL_STATION, 2.0), (V.HOSPITAL, 2.0), (V.SUPERMARKET, 1.0),
        (V.SPORTS, 1.0))),
    _C("bicycle_theft", 0.45, P.VENUE, R.DAYTIME,
       ((V.RAIL_STATION, 4.0), (V.UNIVERSITY, 4.0), (V.SHOP, 1.0), (V.HOSPITAL, 1.0),
        (V.SPORTS, 1.0))),
    _C("bicycle_theft", 0.35, P.CENTRE, R.DAYTIME),
    _C("bicycle_theft", 0.20, P.HOME, R.OVERNIGHT),
    # Shoplifting: the retail park's supermarket above all, in opening hours.
    _C("shoplifting", 1.0, P.VENUE, R.SHOP_HOURS, _SHOPS),
    _C("other_theft", 0.40, P.VENUE, R.DAYTIME,
       ((V.SHOP, 1.0), (V.HOSPITAL, 2.0), (V.UNIVERSITY, 2.0), (V.SPORTS, 2.0), (V.PUB, 2.0),
        (V.SUPERMARKET, 1.0), (V.PARKING, 1.0))),
    _C("other_theft", 0.25, P.CENTRE, R.DAYTIME),
    _C("other_theft", 0.25, P.HOME, R.DAYTIME, repeat=0.1),
    _C("other_theft", 0.10, P.PARK, R.DAYTIME),
    # Anti-social behaviour: streets and parks on summer evenings, and neighbour disputes.
    _C("anti_social_behaviour", 0.35, P.STREET, R.SUMMER_EVENING),
    _C("anti_social_behaviour", 0.20, P.PARK, R.SUMMER_EVENING),
    _C("anti_social_behaviour", 0.15, P.CENTRE, R.SUMMER_EVENING),
    _C("anti_social_behaviour", 0.15, P.HOME, R.SUMMER_EVENING, repeat=0.4),
    _C("anti_social_behaviour", 0.15, P.VENUE, R.SUMMER_EVENING,
       ((V.RETAIL_UNIT, 1.0), (V.CONVENIENCE, 3.0), (V.SHOP, 1.0), (V.BUS_STATION, 2.0),
        (V.RAIL_STATION, 1.0), (V.SPORTS, 1.0), (V.PARKING, 1.0))),
    _C("other_crime", 0.45, P.HOME, R.ANYTIME, repeat=0.2),
    _C("other_crime", 0.30, P.STREET, R.ANYTIME),
    _C("other_crime", 0.25, P.VENUE, R.DAYTIME,
       ((V.SHOP, 1.0), (V.INDUSTRIAL, 1.0), (V.POLICE_STATION, 2.0), (V.HOSPITAL, 1.0))),
)  # fmt: skip
del V, P, R


def _component_weights() -> np.ndarray:
    """Share of all incidents that each component draws."""
    mix = np.array([CATEGORY_MIX[c.category] for c in COMPONENTS])
    share = np.array([c.share for c in COMPONENTS])
    total = {}
    for c in COMPONENTS:
        total[c.category] = total.get(c.category, 0.0) + c.share
    w = mix * share / np.array([total[c.category] for c in COMPONENTS])
    return w / w.sum()


# --- time -----------------------------------------------------------------------------

_DAYS = np.arange(PERIOD_START, PERIOD_END)  # datetime64[D]
_HOURS = np.arange(24)
_H = {  # relative incidents by hour of day, midnight first
    "base": [3, 2, 1.5, 1, .8, .8, 1, 1.5, 2.5, 3, 3.5, 4, 4.5, 4.5, 4.5, 5, 5.5, 6, 6, 5.5, 5, 4.5, 4, 3.5],
    "day": [.3, .2, .15, .1, .1, .15, .4, 1, 2, 3, 3.5, 4, 4.5, 4.5, 4.5, 4.5, 4.5, 4, 3, 2, 1.5, 1, .7, .5],
    "evening": [3.5, 2.5, 1.8, 1.2, .8, .6, .6, .8, 1.2, 1.6, 2, 2.4, 2.6, 2.8, 3, 3.4, 4, 5, 6, 7, 7.5, 7.2, 6.2, 5],
    "night": [6, 5, 4, 3, 2, 1, .6, .5, .5, .6, .7, .8, .9, 1, 1.1, 1.3, 1.6, 2, 2.6, 3.4, 4.4, 5.4, 6.2, 6.6],
    "overnight": [7, 7, 6.5, 6, 5, 4, 3, 2, 1.5, 1.2, 1.1, 1, 1, 1, 1, 1.1, 1.3, 1.6, 2, 2.6, 3.4, 4.5, 5.6, 6.5],
    "business_night": [6, 6.5, 6, 5, 4, 2.5, 1.5, 1, .8, .8, .8, .8, .8, .8, .8, .8, .9, 1, 1.2, 1.6, 2.2, 3, 4, 5],
    "asb": [2, 1.5, 1, .6, .4, .3, .4, .6, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5.5, 7, 8, 9, 9.5, 9, 7.5, 5, 3],
    "shop": [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3.5, 4, 4.5, 4.5, 4.5, 4.5, 4, 3, 2, 1, 0, 0, 0],
    "night_out": [14, 13, 9, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 5, 9, 12],
}  # fmt: skip


@cache
def _rhythm_weights(rhythm: Rhythm) -> np.ndarray:
    """Probability of each hour of the two years (day-major), for one rhythm."""
    days = _DAYS.astype(np.int64)
    dow = (days + 3) % 7  # Monday = 0 (1970-01-01 was a Thursday)
    doy = (_DAYS - _DAYS.astype("datetime64[Y]")).astype(np.int64) + 1
    month = _DAYS.astype("datetime64[M]").astype(np.int64) % 12 + 1
    md = month * 100 + (_DAYS - _DAYS.astype("datetime64[M]")).astype(np.int64) + 1

    def season(peak: int, amp: float) -> np.ndarray:
        return 1 + amp * np.cos(2 * math.pi * (doy - peak) / 365.25)

    def hours(name: str) -> np.ndarray:
        return np.asarray(_H[name], dtype=float)[None, :]

    # Sunrise and sunset (local clock time) at about 53 N.
    yearly = np.cos(2 * math.pi * (doy - 172) / 365.25)[:, None]
    sunset, sunrise = 19.0 + 2.75 * yearly, 6.35 - 1.65 * yearly
    clock = _HOURS[None, :] + 0.5
    dark = (clock >= sunset) | (clock <= sunrise)
    weekend = np.isin(dow, (4, 5, 6))[:, None]
    festive = np.isin(md, (1224, 1225, 1226, 1231, 101))[:, None]
    if rhythm == Rhythm.ANYTIME:
        w = season(196, 0.08)[:, None] * hours("base") * np.where(weekend, 1.1, 1.0)
    elif rhythm == Rhythm.DAYTIME:
        w = season(196, 0.05)[:, None] * hours("day") * np.where(dow[:, None] == 6, 0.7, 1.0)
    elif rhythm == Rhythm.EVENING:
        w = season(196, 0.1)[:, None] * hours("evening") * np.where(weekend, 1.25, 1.0)
        w = w * np.where(festive, 1.6, 1.0)
    elif rhythm == Rhythm.NIGHT:
        w = season(196, 0.1)[:, None] * hours("night") * np.where(weekend, 1.3, 1.0)
    elif rhythm == Rhythm.WEEKEND_NIGHT:
        # A night out runs past midnight: 01:00 on Saturday belongs to Friday night.
        night_of = np.where(_HOURS[None, :] < 12, (dow[:, None] - 1) % 7, dow[:, None])
        factor = np.select([np.isin(night_of, (4, 5)), night_of == 3], [1.0, 0.3], default=0.08)
        w = season(196, 0.08)[:, None] * (0.15 * hours("base") + hours("night_out") * factor)
        w = w * np.where(month[:, None] == 12, 1.3, 1.0) * np.where(festive, 1.5, 1.0)
    elif rhythm == Rhythm.OVERNIGHT:
        w = season(15, 0.12)[:, None] * hours("overnight")
    elif rhythm == Rhythm.SHOP_HOURS:
        sunday = dow[:, None] == 6
        open_ = np.where(sunday, (_HOURS >= 10) & (_HOURS < 16), (_HOURS >= 8) & (_HOURS < 21))
        w = hours("shop") * np.where(open_, 1.0, 0.0) * np.where(sunday, 0.7, 1.0) + 0.01
        w = w * np.where(month >= 11, 1.25, 1.0)[:, None]
        w = w * np.where(np.isin(md, (1225, 101)), 0.02, 1.0)[:, None]  # closed
    elif rhythm == Rhythm.DARK_EVENING:
        evening = (_HOURS >= 15) & (_HOURS <= 22)
        w = 0.6 * hours("day") + 4.5 * (dark & evening[None, :]) + 0.6
        w = w * season(15, 0.2)[:, None]
    elif rhythm == Rhythm.BUSINESS_NIGHT:
        w = season(15, 0.15)[:, None] * hours("business_night")
        w = w * np.where(np.isin(dow, (5, 6))[:, None], 1.4, 1.0)
    elif rhythm == Rhythm.SUMMER_EVENING:
        w = season(196, 0.35)[:, None] * hours("asb") * np.where(weekend, 1.2, 1.0)
        summer_evening = ((doy >= 135) & (doy <= 258))[:, None] & ((_HOURS >= 18) & (_HOURS <= 22))
        w = w * np.where(summer_evening, 1.4, 1.0)
        w = w * np.where(np.isin(md, (1031, 1105))[:, None], 3.0, 1.0)  # Halloween, Bonfire Night
    else:  # pragma: no cover - every rhythm is listed above
        raise ValueError(rhythm)
    w = np.broadcast_to(w, (len(_DAYS), 24)).ravel()
    return w / w.sum()


# --- drawing incidents ----------------------------------------------------------------


@dataclass(frozen=True)
class Draw:
    """Incidents as drawn, in time order, before they are written out."""

    minutes: np.ndarray  # since PERIOD_START
    category: np.ndarray  # category codes (str)
    location_type: np.ndarray  # LocationType values (str)
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray  # metres (local projection)
    y: np.ndarray
    address: np.ndarray  # index into City.addresses, or -1
    venue: np.ndarray  # index into City.venues, or -1
    in_park: np.ndarray  # bool


def _choose(rng: Generator, weights: np.ndarray, k: int, repeat: float = 0.0) -> np.ndarray:
    """k draws by weight; a `repeat` share comes from a small pool hit again and again."""
    p = weights / weights.sum()
    out = rng.choice(len(p), k, p=p)
    n_rep = int(rng.binomial(k, repeat)) if repeat > 0 else 0
    if n_rep:
        pool = rng.choice(len(p), max(1, n_rep // 4), p=p)
        zipf = 1.0 / np.arange(1, len(pool) + 1) ** 1.1
        slots = rng.choice(k, n_rep, replace=False)
        out[slots] = pool[rng.choice(len(pool), n_rep, p=zipf / zipf.sum())]
    return out


def _address_weights(city: City, place: Place) -> np.ndarray:
    a = city.addresses
    if place == Place.HOME:
        return a.households * city.deprivation
    if place == Place.HOME_QUIET:  # per address point, not per household: sparse places
        return np.array([0.0, 0.3, 1.0, 4.0, 0.0])[a.zone]
    hx, hy, sigma = city.burglary_hotspots.T
    d2 = (a.x[:, None] - hx) ** 2 + (a.y[:, None] - hy) ** 2
    hot = 1 + 7 * np.exp(-d2 / (2 * sigma**2)).sum(axis=1)
    zone = np.array([0.4, 1.0, 1.2, 0.8, 0.0])[a.zone]
    return a.households * hot * zone


def _segment_weights(city: City, place: Place) -> np.ndarray:
    seg = city.seg
    if place == Place.STREET:
        w = np.array([6.0, 2.0, 1.0, 0.25, 0.6])[seg["zone"]]
    elif place == Place.STREET_QUIET:
        w = np.array([0.0, 0.3, 1.0, 1.5, 0.0])[seg["zone"]]
    elif place == Place.CENTRE:
        w = (seg["zone"] == Zone.CENTRE).astype(float)
    else:
        w = city.night_strip.astype(float)
    return w * seg["len"]


def draw_incidents(city: City, n: int, seed: int) -> Draw:
    """Draw `n` incidents from the town's crime model, in time order.

    Each component of the model (a category at a kind of place in a rhythm) gets its
    share of `n`; locations and times are drawn in whole columns, so a million incidents
    take a few seconds.
    """
    rng = Generator(PCG64([seed, 2]))
    comps = COMPONENTS
    counts = rng.multinomial(n, _component_weights())
    a, v = city.addresses, city.venues
    parts: list[dict[str, np.ndarray]] = []
    for comp, k in zip(comps, counts, strict=True):
        if k == 0:
            continue
        address = np.full(k, -1)
        venue = np.full(k, -1)
        park = np.zeros(k, dtype=bool)
        x = np.full(k, np.nan)
        y = np.full(k, np.nan)
        if comp.place in (Place.HOME, Place.HOME_QUIET, Place.HOME_BURGLARY):
            address = _choose(rng, _address_weights(city, comp.place), k, comp.repeat)
        elif comp.place == Place.VENUE:
            kinds = dict(comp.venues)
            w = np.array([kinds.get(VenueKind(kd), 0.0) for kd in v.kind]) * v.size
            venue = _choose(rng, w, k)
            x, y = v.x[venue], v.y[venue]
        elif comp.place == Place.PARK:
            px, py, _ = city.park_pool
            i = rng.integers(0, len(px), k)
            x = px[i] + rng.uniform(-5, 5, k)
            y = py[i] + rng.uniform(-5, 5, k)
            park[:] = True
        else:
            seg = city.seg
            i = _choose(rng, _segment_weights(city, comp.place), k)
            t = rng.random(k)
            x = seg["x0"][i] + t * (seg["x1"][i] - seg["x0"][i])
            y = seg["y0"][i] + t * (seg["y1"][i] - seg["y0"][i])
        cell = rng.choice(len(_DAYS) * 24, k, p=_rhythm_weights(comp.rhythm))
        minutes = cell * 60 + rng.integers(0, 60, k)
        ltype = PLACE_LOCATION_TYPE.get(comp.place, LocationType.PUBLIC_SPACE)
        parts.append(
            {
                "minutes": minutes,
                "category": np.full(k, comp.category, dtype=object),
                "location_type": np.full(k, str(ltype), dtype=object),
                "x": x,
                "y": y,
                "address": address,
                "venue": venue,
                "in_park": park,
            }
        )
    cols = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    order = np.argsort(cols["minutes"], kind="stable")
    cols = {key: val[order] for key, val in cols.items()}
    at_home = cols["address"] >= 0
    lon, lat = np.empty(len(order)), np.empty(len(order))
    lon[at_home], lat[at_home] = a.lon[cols["address"][at_home]], a.lat[cols["address"][at_home]]
    cols["x"][at_home], cols["y"][at_home] = (
        a.x[cols["address"][at_home]],
        a.y[cols["address"][at_home]],
    )
    lon[~at_home], lat[~at_home] = _lonlat(cols["x"][~at_home], cols["y"][~at_home])
    return Draw(lon=lon, lat=lat, **cols)


def incidents_frame(draw: Draw) -> pd.DataFrame:
    """The drawn incidents in crimedash's canonical incident columns."""
    n = len(draw.minutes)
    occurred = PERIOD_START.astype("datetime64[m]") + draw.minutes.astype("timedelta64[m]")
    year = occurred.astype("datetime64[Y]").astype(np.int64) + 1970
    seq = np.arange(n) - np.searchsorted(year, year, side="left") + 1
    width = max(6, len(str(int(seq.max()))) if n else 6)
    id_width = max(7, len(str(n)))
    ids = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(id_width)
    refs = pd.Series(seq).astype(str).str.zfill(width)
    yy = pd.Series(year % 100).astype(str).str.zfill(2)
    return pd.DataFrame(
        {
            schema.INCIDENT_ID: "INC" + ids,
            schema.REFERENCE: "CD/" + yy + "/" + refs,
            schema.OCCURRED_AT: occurred.astype("datetime64[ns]"),
            schema.CATEGORY: draw.category,
            schema.LATITUDE: draw.lat,
            schema.LONGITUDE: draw.lon,
            schema.LOCATION_TYPE: draw.location_type,
        },
        columns=list(SAMPLE_INCIDENT_COLUMNS),
    )


def generate_incidents_frame(
    n_rows: int, seed: int = DEFAULT_SEED, *, city_seed: int = DEFAULT_SEED
) -> pd.DataFrame:
    """`n_rows` incidents from the sample city's crime model, for benchmarks and tests.

    The town is the committed one (`city_seed`, scale 1), so residential incidents fall on
    the address points in sample_data/households.csv; `seed` only changes the draws. A
    million rows keep the sample's hot spots and rhythms and take a few seconds. Columns
    are the canonical incident columns without provenance (no source_file/source_row).
    """
    if n_rows < 0:
        raise InputError(f"n_rows must be 0 or more; got {n_rows}")
    city = build_city(city_seed, 1.0)
    frame = incidents_frame(draw_incidents(city, max(n_rows, 1), seed))
    return frame.iloc[:n_rows]


# =====================================================================================
# police.uk's view of the same incidents
# =====================================================================================

OUTCOMES = (
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Under investigation",
    "Status update unavailable",
    "Court result unavailable",
    "Awaiting court outcome",
    "Local resolution",
    "Offender given a caution",
    "Further investigation is not in the public interest",
    "Formal action is not in the public interest",
    "Action to be taken by another organisation",
)
_OUTCOME_PROFILES = {  # probabilities over OUTCOMES
    "no_suspect": (0.62, 0.08, 0.05, 0.05, 0.06, 0.03, 0.03, 0.01, 0.03, 0.02, 0.02),
    "victim": (0.12, 0.48, 0.06, 0.05, 0.10, 0.06, 0.04, 0.03, 0.02, 0.02, 0.02),
    "offender": (0.10, 0.12, 0.05, 0.05, 0.25, 0.10, 0.18, 0.08, 0.03, 0.02, 0.02),
}
_NO_SUSPECT = {
    "burglary_residential",
    "burglary_non_residential",
    "vehicle_crime",
    "bicycle_theft",
    "other_theft",
    "theft_from_the_person",
    "criminal_damage_arson",
    "robbery",
}
_OFFENDER = {"drugs", "possession_of_weapons", "shoplifting", "other_crime"}
ASB = "anti_social_behaviour"


def _outcome_profile(category: str) -> str:
    if category in _NO_SUSPECT:
        return "no_suspect"
    return "offender" if category in _OFFENDER else "victim"


def police_uk_frame(
    city: City, areas: Areas, snaps: SnapPoints, draw: Draw, frame: pd.DataFrame, seed: int
) -> pd.DataFrame:
    """The incidents as police.uk publishes them: month, map point, broad type, outcome.

    Crimes get a 64-hex Crime ID; anti-social behaviour gets none and no outcome, as on
    police.uk. About 1% of rows have no location. Rows are sorted by LSOA, place and type
    so that the order within a month says nothing about the day or time.
    """
    rng = Generator(PCG64([seed, 3]))
    n = len(frame)
    snap = np.empty(n, dtype=np.int64)
    home, venue = draw.address >= 0, draw.venue >= 0
    snap[home] = snaps.address_snap[draw.address[home]]
    snap[venue] = snaps.venue_snap[draw.venue[venue]]
    park = draw.in_park
    if park.any():
        snap[park] = _nearest(
            snaps.x, snaps.y, snaps.kind == SnapKind.PARK, draw.x[park], draw.y[park]
        )
    street = ~(home | venue | park)
    if street.any():
        snap[street] = _nearest(
            snaps.x, snaps.y, snaps.kind <= SnapKind.STREET, draw.x[street], draw.y[street]
        )
    no_loc = rng.random(n) < NO_LOCATION_SHARE

    ids = frame[schema.INCIDENT_ID].to_numpy()
    cats = frame[schema.CATEGORY].to_numpy()
    is_asb = cats == ASB
    crime_id = np.array(
        [
            "" if asb else hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()
            for i, asb in zip(ids, is_asb, strict=True)
        ],
        dtype=object,
    )
    months = frame[schema.OCCURRED_AT].to_numpy().astype("datetime64[M]")
    month_text = np.datetime_as_string(months, unit="M")

    # Outcomes: by kind of crime; recent months are more often still under investigation.
    profile = np.array([_outcome_profile(c) for c in cats], dtype=object)
    cum = {k: np.cumsum(p) / np.sum(p) for k, p in _OUTCOME_PROFILES.items()}
    u = rng.random(n)
    outcome_i = np.zeros(n, dtype=np.int64)
    for key, c in cum.items():
        m = profile == key
        outcome_i[m] = np.minimum(np.searchsorted(c, u[m], side="right"), len(OUTCOMES) - 1)
    months_left = (PERIOD_END.astype("datetime64[M]") - months).astype(np.int64)
    pending = rng.random(n) < 0.6 * np.exp(-(months_left - 1) / 2.5)
    outcome_i[pending] = OUTCOMES.index("Under investigation")
    outcome = np.array(OUTCOMES, dtype=object)[outcome_i]
    outcome[is_asb] = ""

    lsoa = snaps.neighbourhood[snap]
    nb_codes = np.array(areas.nb_codes, dtype=object)
    nb_names = np.array(areas.nb_names, dtype=object)
    lon = np.char.mod("%.6f", snaps.lon[snap]).astype(object)
    lat = np.char.mod("%.6f", snaps.lat[snap]).astype(object)
    location = (PUK_ON_OR_NEAR + snaps.name[snap]).astype(object)
    code, name = nb_codes[lsoa], nb_names[lsoa]
    for col in (lon, lat, code, name):
        col[no_loc] = ""
    location[no_loc] = PUK_NO_LOCATION
    out = pd.DataFrame(
        {
            PUK_CRIME_ID: crime_id,
            PUK_MONTH: month_text,
            PUK_REPORTED_BY: FORCE_NAME,
            PUK_FALLS_WITHIN: FORCE_NAME,
            PUK_LONGITUDE: lon,
            PUK_LATITUDE: lat,
            PUK_LOCATION: location,
            PUK_LSOA_CODE: code,
            PUK_LSOA_NAME: name,
            PUK_CRIME_TYPE: [categories.default_group(c) for c in cats],
            PUK_OUTCOME: outcome,
            PUK_CONTEXT: "",
        },
        columns=list(schema.POLICE_UK_COLUMNS),
    )
    # As police.uk: grouped by LSOA, rows without a location last.
    keys = [PUK_MONTH, PUK_LSOA_CODE, PUK_LOCATION, PUK_CRIME_TYPE, PUK_OUTCOME, PUK_CRIME_ID]
    order = np.lexsort([out[k].to_numpy().astype(str) for k in reversed(keys[1:])] + [no_loc])
    order = order[np.argsort(out[PUK_MONTH].to_numpy()[order], kind="stable")]
    return out.iloc[order].reset_index(drop=True)


# =====================================================================================
# Writing the files
# =====================================================================================


def _write_geojson(path: Path, geoms: np.ndarray, props: list[dict], name: str) -> None:
    """GeoJSON by hand, one feature per line: byte-stable and readable in a diff."""
    geoms = shapely.orient_polygons(geoms)  # RFC 7946: exterior rings counter-clockwise
    lines = []
    for g, p in zip(geoms, props, strict=True):
        feature = {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)}
        lines.append(json.dumps(feature, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection", "name": name}, separators=(",", ":"))[:-1]
    path.write_text(head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def _area_props(codes, households, residents) -> list[dict]:
    return [
        {schema.AREA_CODE: c, schema.HOUSEHOLDS: int(h), schema.RESIDENTS: int(r)}
        for c, h, r in zip(codes, households, residents, strict=True)
    ]


def generate_sample(
    out_dir: Path | str, seed: int = DEFAULT_SEED, scale: float = 1.0
) -> dict[str, Path]:
    """Write the sample city into `out_dir`; the same seed and scale give the same bytes.

    Writes households.csv, output_areas.geojson, neighbourhoods.geojson, incidents.csv,
    police_uk/YYYY-MM-sample-street.csv (one per month) and README.md. Returns the paths
    as `sample_paths(out_dir)` does, plus "readme".
    """
    _check_scale(scale)
    out = Path(out_dir)
    paths = sample_paths(out)
    city = build_city(seed, scale)
    areas = build_areas(city)
    snaps = build_snap_points(city, areas)
    n = max(1, round(INCIDENTS_PER_HOUSEHOLD * int(city.addresses.households.sum())))
    draw = draw_incidents(city, n, seed)
    frame = incidents_frame(draw)
    puk = police_uk_frame(city, areas, snaps, draw, frame, seed)

    out.mkdir(parents=True, exist_ok=True)
    a = city.addresses
    households = pd.DataFrame(
        {schema.LATITUDE: a.lat, schema.LONGITUDE: a.lon, schema.HOUSEHOLDS: a.households},
        columns=list(HOUSEHOLD_COLUMNS),
    )
    households.to_csv(paths["households"], index=False, float_format="%.6f", lineterminator="\n")
    written = frame.copy()
    written[schema.OCCURRED_AT] = np.datetime_as_string(
        frame[schema.OCCURRED_AT].to_numpy().astype("datetime64[s]"), unit="s"
    )
    written.to_csv(paths["incidents"], index=False, float_format="%.6f", lineterminator="\n")
    _write_geojson(
        paths["output_areas"],
        areas.oa_geoms,
        _area_props(areas.oa_codes, areas.oa_households, areas.oa_residents),
        "output_areas",
    )
    _write_geojson(
        paths["neighbourhoods"],
        areas.nb_geoms,
        _area_props(areas.nb_codes, areas.nb_households, areas.nb_residents),
        "neighbourhoods",
    )
    puk_dir = paths["police_uk_dir"]
    puk_dir.mkdir(exist_ok=True)
    for old in puk_dir.glob("????-??" + POLICE_UK_SUFFIX):
        old.unlink()  # only our own monthly files, so a smaller scale leaves no stale months
    for month, rows in puk.groupby(PUK_MONTH, sort=True):
        rows.to_csv(puk_dir / f"{month}{POLICE_UK_SUFFIX}", index=False, lineterminator="\r\n")
    paths["readme"] = out / README_NAME
    paths["readme"].write_text(
        _readme(seed, scale, city, areas, snaps, frame, puk), encoding="utf-8"
    )
    return paths


def _readme(
    seed: int,
    scale: float,
    city: City,
    areas: Areas,
    snaps: SnapPoints,
    frame: pd.DataFrame,
    puk: pd.DataFrame,
) -> str:
    a = city.addresses
    cats = frame[schema.CATEGORY].value_counts()
    ltypes = frame[schema.LOCATION_TYPE].value_counts()
    cat_lines = "\n".join(
        f"| `{c}` | {categories.label(c)} | {categories.default_group(c)} | {cats.get(c, 0):,} |"
        for c in (cat.code for cat in categories.FINE_CATEGORIES)
    )
    home_snaps = snaps.kind == SnapKind.HOMES
    cover = np.bincount(snaps.address_snap, minlength=len(snaps.x))[home_snaps]
    n_months = puk[PUK_MONTH].nunique()
    no_loc = int((puk[PUK_LOCATION] == PUK_NO_LOCATION).sum())
    return f"""# The sample city: {CITY_NAME}

{CITY_NAME} is a **fictional** English town of {int(a.households.sum()):,} households
(about {int(areas.oa_residents.sum()):,} residents), placed in open country in south
Lincolnshire (centre {CENTRE_LAT} N, {abs(CENTRE_LON)} W) so that it sits on a real-looking
map without standing on a real town. Every home, street, crime and outcome in this folder
was invented by `crimedash sample` (crimedash/sample.py); none of it describes real people.
The police force, "{FORCE_NAME}", is fictional too.

Regenerate it, byte for byte, with:

    crimedash sample --out sample_data --seed {seed} --scale {scale:g}

## The town

- **Centre** (within ~{R_CENTRE * math.sqrt(scale):.0f} m of the market square): blocks of flats
  (one address point, 10-120 households), shops, the bars-and-clubs streets west of the
  square, the theatre, bus and railway stations, car parks.
- **Inner ring**: Victorian terraced streets (one household per point, ~5 m apart) and one
  estate of flats; the town park, a riverside park and the river.
- **Suburbs**: semi-detached and detached streets, curving, with cul-de-sacs, and a
  new-build estate; a university campus, a hospital, a football ground, school fields.
- **Edge**: a ring road, a retail park (supermarket, units, car park, petrol station), an
  industrial estate by the railway, then villages, farms and country lanes.
- Nobody lives in the parks, fields, campus, hospital, retail park or industrial estate.

Street names are invented ("High Street", "Hawthorn Grove", ...). Coordinates are WGS84
with 6 decimals; metric work uses a local transverse Mercator projection
(`{LOCAL_CRS}`).

## Files

| File | What it holds |
|---|---|
| `households.csv` | `latitude, longitude, households`: {len(a.x):,} address points, {int(a.households.sum()):,} households |
| `output_areas.geojson` | {len(areas.oa_codes):,} output areas tiling the town: `code` (SC0000001...), `households` ({int(areas.oa_households.min())}-{int(areas.oa_households.max())}, never under {OA_MIN_HOUSEHOLDS}), `residents` |
| `neighbourhoods.geojson` | {len(areas.nb_codes):,} neighbourhoods, unions of output areas: `code` (E0199xxxx, also the LSOA code in the police.uk files), `households` ({int(areas.nb_households.min())}-{int(areas.nb_households.max())}), `residents` |
| `incidents.csv` | {len(frame):,} incidents, {PERIOD_START} to {PERIOD_END - 1}: `incident_id, reference, occurred_at, category, latitude, longitude, location_type` |
| `police_uk/YYYY-MM-sample-street.csv` | the same incidents as police.uk would publish them: {n_months} monthly files |

### incidents.csv

The force's own view: exact time (`occurred_at`, ISO date and time to the minute), exact
place, fine category, crime reference (`CD/YY/NNNNNN`) and kind of place:
{ltypes.get("residential", 0):,} residential (at an address point in `households.csv`),
{ltypes.get("non_residential", 0):,} non-residential (shops, pubs, stations, works) and
{ltypes.get("public_space", 0):,} in public space (streets and parks).

| Category | Label | police.uk group (default) | Incidents |
|---|---|---|---|
{cat_lines}

What an analyst should find in it:

- **Hot spots**: violence, public order and robbery in the bars-and-clubs streets on Friday
  and Saturday nights; shoplifting at the retail park's supermarket in opening hours;
  residential burglary clustered in two suburbs.
- **Rhythms**: burglary on dark winter evenings, anti-social behaviour on summer evenings
  (and on Halloween and Bonfire Night), domestic abuse in the evening and over Christmas.
- **Repeat locations**: the same homes for domestic abuse, harassment and neighbour
  disputes; the same shops and venues for shoplifting and violence.
- **Rare sensitive cases** (sexual offences, domestic abuse, hate crime) in quiet suburban
  streets, villages and farms, where one point on a map can point at one household.

### police_uk/

Exactly police.uk's twelve columns, in its order, CRLF line endings. As on police.uk:
month precision only; every crime moved to an anonymous map point ({int(home_snaps.sum()):,}
street points each covering {int(cover.min())}-{int(cover.max())} addresses, plus named points
for premises and parks: "On or near Supermarket", "On or near Nightclub", "On or near
Park/Open Space", ...); `Crime type` is the police.uk group; anti-social behaviour has no
Crime ID and no outcome; {no_loc:,} rows (about 1%) have "No Location". LSOA codes and names
are the neighbourhoods' (E0199xxxx, "{CITY_NAME} 001A"). Rows are sorted by LSOA, place and
type, so their order says nothing about the day.
"""
