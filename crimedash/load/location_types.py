"""Location types: how private a kind of place is (¶26-28), read from its text."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crimedash.load.table import Column, distinct
from crimedash.schema import LocationType

__all__ = [
    "PLACE_TYPES",
    "classify_columns",
    "classify_locations",
    "infer_location_type",
    "unrecognised_counts",
]


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


# Classifying a file's distinct location texts one by one in Python was 28-44% of
# loading a month of police.uk files (a national month has ~80k distinct "On or near"
# texts). ASCII texts (all of police.uk's) are classified by the same rules as
# `infer_location_type` in Arrow compute, all at once; the rest one by one. The
# character class is Python's `\s` over ASCII (RE2's `\s` lacks \v and \x1c-\x1f), so
# both paths give the same answer for any text (a property test holds them together).
_WS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_WS_CLASS = "[\t\n\x0b\x0c\r\x1c-\x1f ]"
_ON_OR_NEAR_RE2 = f"(?i)^on or near{_WS_CLASS}+"
_KINDS = tuple(LocationType)
_KIND_INDEX = {k: i for i, k in enumerate(_KINDS)}
# the place table first, then the type words: as infer_location_type looks them up
_KEY_KIND = {**_TYPE_WORDS, **PLACE_TYPES}
_KEYS = pa.array(list(_KEY_KIND), pa.string())
_KEY_CODES = np.array([_KIND_INDEX[k] for k in _KEY_KIND.values()], dtype=np.int8)
_UNKNOWN = _KIND_INDEX[LocationType.UNKNOWN]


def _classify_ascii(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(kind index, understood) of ASCII texts: infer_location_type, vectorised."""
    police_uk = pc.match_substring_regex(text, _ON_OR_NEAR_RE2).to_numpy(zero_copy_only=False)
    key = pc.replace_substring_regex(text, _ON_OR_NEAR_RE2, "", max_replacements=1)
    key = pc.ascii_lower(pc.ascii_trim(key, _WS))
    key = pc.ascii_trim(pc.replace_substring_regex(key, f"(?:{_WS_CLASS}|[_\\-])+", " "), " ")
    found = pc.index_in(key, value_set=_KEYS).to_numpy(zero_copy_only=False)
    in_table = ~np.isnan(found.astype(float))
    kind = np.full(len(text), _UNKNOWN, dtype=np.int8)
    kind[in_table] = _KEY_CODES[found[in_table].astype(np.int64)]
    rest = ~in_table
    station = pc.match_substring_regex(key, r"\((?:[a-z]+ )?station\)$").to_numpy(
        zero_copy_only=False
    )
    police = pc.match_substring_regex(key, r"\bpolice station$").to_numpy(zero_copy_only=False)
    is_station = rest & station
    is_police = rest & ~station & police
    kind[is_station] = _KIND_INDEX[LocationType.PUBLIC_SPACE]
    kind[is_police] = _KIND_INDEX[LocationType.NON_RESIDENTIAL]
    understood = in_table | is_station | is_police | police_uk
    return kind, understood


def classify_locations(text: Column) -> tuple[pa.Array, dict[str, int]]:
    """The location type of every value of `text` and the counts of values not
    understood: each distinct text classified once, ASCII ones all at once in Arrow."""
    return classify_columns([text])[0]


def classify_columns(texts: Sequence[Column]) -> list[tuple[pa.Array, dict[str, int]]]:
    """`classify_locations` of several columns (one per file), each distinct text of
    all of them classified once: police.uk repeats most of its location texts every
    month, so a national load has ~8x fewer distinct texts than the files have between
    them (2M rows: 80k against 687k), and classifying was a fifth of loading.

    A column may come dictionary-encoded (as `validate_incidents` leaves it): the
    dictionaries are unified, hashing each file's distinct texts, not its rows."""
    encoded = [
        t if pa.types.is_dictionary(t.type) else pa.DictionaryArray.from_arrays(*_codes(t))
        for t in (_one_chunk(t) for t in texts)
    ]
    out: list[tuple[pa.Array, dict[str, int]]] = []
    group: list[pa.DictionaryArray] = []
    size = 0
    for column in encoded:  # in groups whose distinct texts fit one Arrow string array
        grows = column.dictionary.nbytes
        if group and size + grows > _UNIFY_BYTES:
            out += _classify_unified(group)
            group, size = [], 0
        group.append(column)
        size += grows
    if group:
        out += _classify_unified(group)
    return out


# Distinct texts unified at once, at most (a string array's offsets are 32-bit).
_UNIFY_BYTES = 1 << 30


def _classify_unified(encoded: list[pa.DictionaryArray]) -> list[tuple[pa.Array, dict[str, int]]]:
    unified = pa.chunked_array(encoded, encoded[0].type).unify_dictionaries()
    uniques = unified.chunk(0).dictionary
    kind, understood = _classify(uniques)
    names = pa.array([k.value for k in _KINDS], pa.string())
    out = []
    for chunk in unified.chunks:
        idx = chunk.indices.to_numpy(zero_copy_only=False)
        types = names.take(pa.array(kind[idx] if len(idx) else np.empty(0, dtype=np.int8)))
        # texts not understood, counted from this column's own rows, in the order they
        # first appear in it
        lost, first, counts = np.unique(
            idx[~understood[idx]], return_index=True, return_counts=True
        )
        order = np.argsort(first, kind="stable")
        text = uniques.take(pa.array(lost[order])).to_pylist()
        out.append((types, dict(zip(text, counts[order].tolist(), strict=True))))
    return out


def _one_chunk(text: Column) -> pa.Array:
    if isinstance(text, pa.ChunkedArray):
        if text.num_chunks == 1:
            return text.chunk(0)
        return text.combine_chunks() if text.num_chunks else pa.array([], text.type)
    return text


def _codes(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    uniques, codes = distinct(text)
    return codes, uniques


def _classify(uniques: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(kind index, understood) of distinct texts: ASCII ones at once, others one by one."""
    kind = np.full(len(uniques), _UNKNOWN, dtype=np.int8)
    understood = np.zeros(len(uniques), dtype=bool)
    ascii_ = pc.string_is_ascii(uniques).to_numpy(zero_copy_only=False)
    at = np.flatnonzero(ascii_)
    if len(at):
        kind[at], understood[at] = _classify_ascii(uniques.take(pa.array(at)))
    other = np.flatnonzero(~ascii_)
    for i, v in zip(other.tolist(), uniques.take(pa.array(other)).to_pylist(), strict=True):
        k, ok = infer_location_type(v)
        kind[i], understood[i] = _KIND_INDEX[k], ok
    return kind, understood
