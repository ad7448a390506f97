"""Location types: how private a kind of place is (¶26-28), read from its text."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crimedash.schema import LocationType

__all__ = ["PLACE_TYPES", "classify_locations", "infer_location_type", "unrecognised_counts"]


# are named after a kind of place; this table says how private each kind is (¶26-28):
# premises run by an organisation are non-residential, places open to all comers are
# public space. Anything else stays unknown: a street name is never guessed from.
PLACE_TYPES: dict[str, LocationType] = {
    # premises: a business or institution, not a home (¶27)
    "supermarket": LocationType.NON_RESIDENTIAL,
    "petrol station": LocationType.NON_RESIDENTIAL,
    "nightclub": LocationType.NON_RESIDENTIAL,
    "pub": LocationType.NON_RESIDENTIAL,
    "public house": LocationType.NON_RESIDENTIAL,
    "bar": LocationType.NON_RESIDENTIAL,
    "shop": LocationType.NON_RESIDENTIAL,
    "hospital": LocationType.NON_RESIDENTIAL,
    "school": LocationType.NON_RESIDENTIAL,
    "further/higher educational building": LocationType.NON_RESIDENTIAL,
    "theatre/concert hall": LocationType.NON_RESIDENTIAL,
    "theatre": LocationType.NON_RESIDENTIAL,
    "conference/exhibition centre": LocationType.NON_RESIDENTIAL,
    "police station": LocationType.NON_RESIDENTIAL,
    "prison": LocationType.NON_RESIDENTIAL,
    "motorway service area": LocationType.NON_RESIDENTIAL,
    "race track": LocationType.NON_RESIDENTIAL,
    "theme/adventure park": LocationType.NON_RESIDENTIAL,
    # open to all comers (¶28)
    "park/open space": LocationType.PUBLIC_SPACE,
    "park": LocationType.PUBLIC_SPACE,
    "parking area": LocationType.PUBLIC_SPACE,
    "car park": LocationType.PUBLIC_SPACE,
    "shopping area": LocationType.PUBLIC_SPACE,
    "sports/recreation area": LocationType.PUBLIC_SPACE,
    "pedestrian subway": LocationType.PUBLIC_SPACE,
    "bus/coach station": LocationType.PUBLIC_SPACE,
    "bus station": LocationType.PUBLIC_SPACE,
    "train station": LocationType.PUBLIC_SPACE,
    "railway station": LocationType.PUBLIC_SPACE,
    "ferry terminal": LocationType.PUBLIC_SPACE,
    "airport/airfield": LocationType.PUBLIC_SPACE,
}

# What a location-type column may say, beyond the kinds of place above.
_TYPE_WORDS: dict[str, LocationType] = {
    **{t.value.replace("_", " "): t for t in LocationType},
    "home": LocationType.RESIDENTIAL,
    "dwelling": LocationType.RESIDENTIAL,
    "house": LocationType.RESIDENTIAL,
    "flat": LocationType.RESIDENTIAL,
    "domestic": LocationType.RESIDENTIAL,
    "private dwelling": LocationType.RESIDENTIAL,
    "nonresidential": LocationType.NON_RESIDENTIAL,
    "commercial": LocationType.NON_RESIDENTIAL,
    "business": LocationType.NON_RESIDENTIAL,
    "premises": LocationType.NON_RESIDENTIAL,
    "retail": LocationType.NON_RESIDENTIAL,
    "licensed premises": LocationType.NON_RESIDENTIAL,
    "public": LocationType.PUBLIC_SPACE,
    "public place": LocationType.PUBLIC_SPACE,
    "street": LocationType.PUBLIC_SPACE,
    "open space": LocationType.PUBLIC_SPACE,
    "": LocationType.UNKNOWN,
    "no location": LocationType.UNKNOWN,
}

_ON_OR_NEAR = re.compile(r"^on or near\s+", re.IGNORECASE)
# police.uk names railway/Underground points "Leeds (Station)", "Waterloo (Lu Station)".
_STATION_POINT = re.compile(r"\((?:[a-z]+ )?station\)$")
_POLICE_STATION_POINT = re.compile(r"\bpolice station$")


def _place_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower()).strip()


def infer_location_type(text: str) -> tuple[LocationType, bool]:
    """Kind of place a location text names, and whether the text was understood.

    Understood means: a location-type word (residential, commercial, ...), a kind of
    place in PLACE_TYPES, or police.uk's "On or near <street>" (understood, and
    deliberately unknown: a street does not say whether a home was involved).
    """
    is_police_uk = bool(_ON_OR_NEAR.match(text))
    key = _place_key(_ON_OR_NEAR.sub("", text))
    if key in PLACE_TYPES:
        return PLACE_TYPES[key], True
    if key in _TYPE_WORDS:
        return _TYPE_WORDS[key], True
    if _STATION_POINT.search(key):
        return LocationType.PUBLIC_SPACE, True
    if _POLICE_STATION_POINT.search(key):
        return LocationType.NON_RESIDENTIAL, True
    return LocationType.UNKNOWN, is_police_uk


def unrecognised_counts(text: pa.Array) -> dict[str, int]:
    counts = pc.value_counts(text)
    out: dict[str, int] = {}
    for value, count in zip(
        counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
    ):
        if not infer_location_type(value)[1]:
            out[value] = count
    return out


# police.uk repeats the same location texts every month ("On or near High Street"), and
# a national store reads thousands of files: classifying each distinct text once per
# process, not once per file (it was 28-44% of loading a month of police.uk files).
# text -> (location type value, understood): plain strings, so a warm lookup is one dict
# probe (the enum's .value and a cache wrapper per distinct text per file cost more than
# reading the file). Cleared when it grows past this many texts (hostile input).
_CLASSIFIED: dict[str, tuple[str, bool]] = {}
_CLASSIFIED_MAX = 1 << 20


def classify_locations(text: pa.Array) -> tuple[pa.Array, dict[str, int]]:
    """The location type of every value of `text` and the counts of values not
    understood, each distinct text classified once per process (police.uk repeats its
    location texts in every month's file)."""
    uniques = pc.unique(text)
    values = uniques.to_pylist()
    if len(_CLASSIFIED) > _CLASSIFIED_MAX:
        _CLASSIFIED.clear()
    kinds: list[str] = []
    understood: list[bool] = []
    for v in values:
        hit = _CLASSIFIED.get(v)
        if hit is None:
            kind, ok = infer_location_type(v)
            hit = _CLASSIFIED[v] = (kind.value, ok)
        kinds.append(hit[0])
        understood.append(hit[1])
    idx = pc.index_in(text, value_set=uniques).to_numpy(zero_copy_only=False)
    types = pa.array(kinds, pa.string()).take(pa.array(idx))
    counts = np.bincount(idx, minlength=len(values)) if len(idx) else np.zeros(len(values), int)
    unknown = {
        v: int(c) for v, c, ok in zip(values, counts.tolist(), understood, strict=True) if not ok
    }
    return types, unknown
