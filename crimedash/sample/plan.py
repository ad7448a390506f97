"""The town plan's vocabulary: rings, kinds of premises and homes, and the City value.

What `town.build_city` fills in; everything later (areas, map points, crimes, the
files) reads a `City` and never changes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

import numpy as np
from shapely.geometry import Polygon

from crimedash.sample.constants import CITY_NAME

__all__ = [
    "CENTRE_NAMES",
    "INNER_STYLES",
    "MEAN_HOUSEHOLD_SIZE",
    "N_ARTERIALS",
    "PARK_TEXT",
    "PLACE_TEXT",
    "R_BOUNDARY",
    "R_CENTRE",
    "R_INNER",
    "R_RING",
    "R_SUBURB",
    "STREET_STEMS",
    "STREET_SUFFIXES",
    "STYLES",
    "SUBURB_STYLES",
    "Addresses",
    "City",
    "HomeStyle",
    "VenueKind",
    "Venues",
    "Zone",
]


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

STREET_STEMS = (  # noqa: SIM905 - a paragraph of words reads better than a list
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
STREET_SUFFIXES = {
    "centre": ("Street", "Gate", "Row", "Lane", "Place", "Walk"),
    "terraced": ("Street", "Road", "Terrace", "Grove", "Place"),
    "suburb": ("Avenue", "Close", "Drive", "Crescent", "Gardens", "Way", "Road", "Rise"),
    "rural": ("Lane", "Road"),
    "arterial": ("Road",),
    "works": ("Way", "Road", "Court"),
}
CENTRE_NAMES = ("High Street", "Bridge Street", "Castle Gate", "Fletcher Gate")


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
