"""The police.uk writer: the same incidents as police.uk would publish them."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from numpy.random import PCG64, Generator

from crimedash import categories, schema
from crimedash.sample.areas import Areas
from crimedash.sample.constants import (
    FORCE_NAME,
    NO_LOCATION_SHARE,
    PERIOD_END,
    PUK_CONTEXT,
    PUK_CRIME_ID,
    PUK_CRIME_TYPE,
    PUK_FALLS_WITHIN,
    PUK_LATITUDE,
    PUK_LOCATION,
    PUK_LONGITUDE,
    PUK_LSOA_CODE,
    PUK_LSOA_NAME,
    PUK_MONTH,
    PUK_NO_LOCATION,
    PUK_ON_OR_NEAR,
    PUK_OUTCOME,
    PUK_REPORTED_BY,
)
from crimedash.sample.crimes import Draw
from crimedash.sample.plan import City
from crimedash.sample.snaps import SnapKind, SnapPoints, nearest

__all__ = ["ASB", "OUTCOMES", "police_uk_frame"]


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
        snap[park] = nearest(
            snaps.x, snaps.y, snaps.kind == SnapKind.PARK, draw.x[park], draw.y[park]
        )
    street = ~(home | venue | park)
    if street.any():
        snap[street] = nearest(
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
