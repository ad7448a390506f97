"""The crimes: what happens where and when, with hot spots, rhythms and repeat places."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

import numpy as np
import pandas as pd
from numpy.random import PCG64, Generator

from crimedash import schema
from crimedash.errors import InputError
from crimedash.sample.constants import (
    DEFAULT_SEED,
    PERIOD_END,
    PERIOD_START,
    SAMPLE_INCIDENT_COLUMNS,
)
from crimedash.sample.geometry import lonlat
from crimedash.sample.plan import City, VenueKind, Zone
from crimedash.sample.town import build_city
from crimedash.schema import LocationType

__all__ = [
    "CATEGORY_MIX",
    "COMPONENTS",
    "PLACE_LOCATION_TYPE",
    "Component",
    "Draw",
    "Place",
    "Rhythm",
    "draw_incidents",
    "generate_incidents_frame",
    "incidents_frame",
]


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
    lon[~at_home], lat[~at_home] = lonlat(cols["x"][~at_home], cols["y"][~at_home])
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
