"""Column mapping: which source column holds each canonical field.

Guessed by name (and for x/y by value), overridden by the user's explicit mapping, and
refused with candidate columns when a required field (location, date) cannot be settled:
a wrong location is the worst guess a loader can make.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa

from crimedash.errors import ColumnMappingError, InputError
from crimedash.load.locations import BNG_EASTING, BNG_NORTHING
from crimedash.load.parse import parse_dates

__all__ = [
    "LOCATION_FIELDS",
    "MAPPING_FIELDS",
    "ColumnMapping",
    "LazySample",
    "MappingGuess",
    "Resolver",
    "find_column",
    "guess_mapping",
    "norm",
    "resolve_mapping",
]


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column holds each canonical field (None: not in the source).

    Give `latitude`+`longitude` (WGS84 degrees) or `easting`+`northing` (British
    National Grid metres, EPSG:27700). An explicit mapping passed to `load_incidents`
    always wins over the automatic guess; fields it leaves as None are still guessed.
    """

    latitude: str | None = None
    longitude: str | None = None
    easting: str | None = None
    northing: str | None = None
    occurred_at: str | None = None
    category: str | None = None
    reference: str | None = None
    incident_id: str | None = None
    location_type: str | None = None

    def items(self) -> Iterator[tuple[str, str]]:
        """(field, column) for every field that is mapped."""
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                yield f.name, value

    @classmethod
    def parse(cls, pairs: Iterable[str]) -> ColumnMapping:
        """A mapping from 'field=column' texts (the CLI's --map options)."""
        given: dict[str, str] = {}
        for pair in pairs:
            fld, sep, col = pair.partition("=")
            fld = fld.strip()
            if not sep or not col or fld not in MAPPING_FIELDS:
                raise InputError(
                    f"a mapping must be FIELD=COLUMN with FIELD one of "
                    f"{', '.join(MAPPING_FIELDS)}; got {pair!r}",
                    hint="e.g. --map latitude=Y --map longitude=X --map occurred_at=Date",
                )
            given[fld] = col
        return cls(**given)

    @property
    def has_lonlat(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def has_grid(self) -> bool:
        return self.easting is not None and self.northing is not None


MAPPING_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ColumnMapping))
LOCATION_FIELDS = ("latitude", "longitude", "easting", "northing")


@dataclass(frozen=True)
class MappingGuess:
    """How sure the automatic mapping is.

    `unsure` lists the required fields it could not settle (location, date);
    `candidates` gives, for each of those, the columns a person should choose from;
    `notes` says in words what was decided (e.g. "x/y read as British National Grid").
    """

    unsure: tuple[str, ...] = ()
    candidates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def confident(self) -> bool:
        return not self.unsure


@lru_cache(maxsize=8192)
def norm(name: str) -> str:
    """'Crime.type', 'crime_type' and 'Crime Type ' all become 'crime type'.

    Remembered: every file's header is matched against each field's names, the same
    dozen column names a hundred times a month of police.uk files."""
    return re.sub(r"[^a-z0-9]+", " ", str(name).lower()).strip()


# Names each field is known by, in priority order (normalised with norm). `x`/`y` are
# decided from the values (degrees or grid metres), see guess_mapping.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    fld: tuple(names.split("|"))
    for fld, names in {
        "latitude": "latitude|lat|latitude wgs84|wgs84 latitude|lat wgs84|decimal latitude"
        "|gps latitude",
        "longitude": "longitude|lon|lng|long|longitude wgs84|wgs84 longitude|lon wgs84"
        "|decimal longitude|gps longitude",
        "easting": "easting|eastings|grid easting|os easting|bng easting|x bng",
        "northing": "northing|northings|grid northing|os northing|bng northing|y bng",
        "occurred_at": "occurred at|occurred|occurred on|date occurred|occurrence date"
        "|offence date|offense date|incident date|crime date|committed on|datetime|date time"
        "|timestamp|date|month",
        "category": "category|crime type|crime category|offence|offense|offence type"
        "|offense type|offence category|offence group|crime|classification|type",
        "reference": "reference|crime id|crime reference|crime ref|reference number"
        "|crime number|crime no|urn|crn|ref",
        "incident_id": "incident id|id|incident number|record id|incident",
        "location_type": "location type|place type|premises type|location category|location|place",
    }.items()
}

# How a reader asks for the mapping of one file once its columns and a sample of rows are
# known: `resolve(columns, sample, has_geometry)` returns the mapping and the columns to
# read (the others are never converted). `has_geometry` says the file carries its own
# point geometry (a GIS file), which is its location unless the user maps columns.
Resolver = Callable[[list[str], pd.DataFrame, bool], tuple[ColumnMapping, list[str]]]


class LazySample:
    """A reader's sample of rows, made when the mapping first looks at it: names alone
    settle every field of most files (police.uk's among them), and parsing 64 KB of each
    file into a frame was a twentieth of loading a national folder. Offers what the
    mapping uses of a frame: `sample[column]`, `column in sample` and len."""

    def __init__(self, build: Callable[[], pd.DataFrame]) -> None:
        self._build = build
        self._frame: pd.DataFrame | None = None

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = self._build()
        return self._frame

    def __getitem__(self, column: str) -> pd.Series:
        return self.frame[column]

    def __contains__(self, column: object) -> bool:
        return column in self.frame

    @property
    def built(self) -> bool:
        """Whether the mapping looked at the rows (else the names alone decided it)."""
        return self._frame is not None

    def __len__(self) -> int:
        return len(self.frame)


@dataclass
class _Draft:
    """A mapping being guessed: what is chosen so far, and what could not be settled."""

    columns: list[str]
    chosen: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def by_norm(self, name: str) -> list[str]:
        return [c for c in self.columns if norm(c) == name]

    def take(self, fld: str, hits: list[str]) -> None:
        """One column settles a field; several leave it for a person to choose."""
        if len(hits) == 1:
            self.chosen[fld] = hits[0]
        elif hits:
            self.ambiguous[fld] = tuple(hits)

    def free(self, hits: list[str]) -> list[str]:
        return [c for c in hits if c not in self.chosen.values()]

    @property
    def has_lonlat(self) -> bool:
        return "latitude" in self.chosen and "longitude" in self.chosen

    @property
    def has_grid(self) -> bool:
        return "easting" in self.chosen and "northing" in self.chosen


def guess_mapping(
    columns: Sequence[str], sample: pd.DataFrame | None = None
) -> tuple[ColumnMapping, MappingGuess]:
    """Map source columns to canonical fields by name (and, for x/y, by value).

    `sample` (a few rows of the file, any dtype) lets ambiguous names be settled by their
    values: `x`/`y` holding degrees are longitude/latitude, holding metres in British
    National Grid range they are easting/northing. Returns the mapping and how sure it
    is; `load_incidents` raises `ColumnMappingError` when a required field is unsure.
    """
    draft = _Draft([str(c) for c in columns])
    _match_names(draft)
    _settle_xy(draft, sample)
    if draft.has_lonlat and draft.has_grid:
        draft.notes.append("latitude/longitude used; easting/northing ignored")
        del draft.chosen["easting"], draft.chosen["northing"]
    unsure, candidates = _unsure_fields(draft, sample)
    for fld, hits in draft.ambiguous.items():
        if fld not in draft.chosen and fld not in candidates and fld not in LOCATION_FIELDS:
            draft.notes.append(f"{fld}: several columns could be it ({', '.join(hits)}); none used")
    mapping = ColumnMapping(**draft.chosen)
    return mapping, MappingGuess(tuple(unsure), candidates, tuple(draft.notes))


def _match_names(draft: _Draft) -> None:
    """Choose a column for each field by its known names (_SYNONYMS)."""
    for fld, names in _SYNONYMS.items():
        if fld in LOCATION_FIELDS:
            # A wrong location is the worst guess: two columns that could both be
            # latitude (say "Lat" and "latitude") are for a person to choose between.
            draft.take(fld, draft.free([c for c in draft.columns if norm(c) in names]))
            continue
        for name in names:  # otherwise the first name in priority order wins
            hits = draft.free(draft.by_norm(name))
            if hits:
                draft.take(fld, hits)
                break


def _settle_xy(draft: _Draft, sample: pd.DataFrame | None) -> None:
    """`x`/`y` columns, when nothing else gives the location: degrees or grid metres,
    decided by their values; left for a person when the values do not say."""
    xs, ys = draft.by_norm("x"), draft.by_norm("y")
    if len(xs) != 1 or len(ys) != 1 or draft.has_lonlat or draft.has_grid:
        return
    x, y = xs[0], ys[0]
    kind = _xy_kind(sample, x, y) if sample is not None else None
    if kind == "lonlat":
        draft.chosen["longitude"], draft.chosen["latitude"] = x, y
        draft.notes.append(f"{x}/{y} read as longitude/latitude (degrees)")
    elif kind == "grid":
        draft.chosen["easting"], draft.chosen["northing"] = x, y
        draft.notes.append(f"{x}/{y} read as British National Grid easting/northing")
    else:
        draft.ambiguous.setdefault("latitude", (y,))
        draft.ambiguous.setdefault("longitude", (x,))


def _unsure_fields(
    draft: _Draft, sample: pd.DataFrame | None
) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """The required fields still unsettled, each with the columns to choose from.

    A half-found location (a latitude without its longitude) is dropped whole: a
    person chooses both columns.
    """
    cols = draft.columns
    unsure: list[str] = []
    candidates: dict[str, tuple[str, ...]] = {}
    if not (draft.has_lonlat or draft.has_grid):
        numeric = _numeric_columns(sample, cols) if sample is not None else cols
        for fld in ("latitude", "longitude"):
            unsure.append(fld)
            candidates[fld] = draft.ambiguous.get(fld) or tuple(numeric) or tuple(cols)
        for fld in LOCATION_FIELDS:
            draft.chosen.pop(fld, None)
    if "occurred_at" not in draft.chosen:
        unsure.append("occurred_at")
        candidates["occurred_at"] = draft.ambiguous.get("occurred_at") or _date_like(sample, cols)
    return unsure, candidates


def _sample_numbers(sample: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(sample[column].astype("str").str.strip(), errors="coerce")
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _xy_kind(sample: pd.DataFrame, x: str, y: str) -> str | None:
    """'lonlat', 'grid' or None (cannot tell) from the values of an x/y pair."""
    xv, yv = _sample_numbers(sample, x), _sample_numbers(sample, y)
    ok = np.isfinite(xv) & np.isfinite(yv)
    if not ok.any():
        return None
    xv, yv = xv[ok], yv[ok]
    if (np.abs(xv) <= 180).all() and (np.abs(yv) <= 90).all():
        return "lonlat"
    in_grid = (
        (xv >= BNG_EASTING[0])
        & (xv <= BNG_EASTING[1])
        & (yv >= BNG_NORTHING[0])
        & (yv <= BNG_NORTHING[1])
    )
    if in_grid.all() and np.median(yv) > 1000:
        return "grid"
    return None


def _numeric_columns(sample: pd.DataFrame, cols: Sequence[str]) -> tuple[str, ...]:
    out = []
    for c in cols:
        if c in sample and len(sample) and np.isfinite(_sample_numbers(sample, c)).any():
            out.append(c)
    return tuple(out)


def _date_like(sample: pd.DataFrame | None, cols: Sequence[str]) -> tuple[str, ...]:
    if sample is None or not len(sample):
        return tuple(cols)
    out = []
    for c in cols:
        if c not in sample:
            continue
        parsed = parse_dates(pa.array(sample[c].astype("str").fillna("").tolist()))
        if (~parsed.empty & ~parsed.bad).any():
            out.append(c)
    return tuple(out) or tuple(cols)


def resolve_mapping(
    columns: Sequence[str],
    sample: pd.DataFrame | None,
    explicit: ColumnMapping | None,
    file: str,
    *,
    has_geometry: bool = False,
) -> ColumnMapping:
    """The mapping to use for one file: explicit fields win, the rest are guessed.

    Raises ColumnMappingError (with candidate columns for a form) when a required
    field is neither given nor confidently guessed.
    """
    if explicit is not None:
        for fld, col in explicit.items():
            if col not in columns:
                raise InputError(
                    f"the mapping names column {col!r} for {fld}, but the file has no such "
                    f"column (it has: {', '.join(map(str, columns))})",
                    file=file,
                    column=col,
                    hint="check the spelling, including capitals and spaces",
                )
    guessed, guess = guess_mapping(columns, sample)
    merged = {fld: getattr(guessed, fld) for fld in MAPPING_FIELDS}
    if explicit is not None:
        if any(getattr(explicit, f) is not None for f in LOCATION_FIELDS):
            for f in LOCATION_FIELDS:
                merged[f] = None
        for fld, col in explicit.items():
            # A column the user assigned is not also used for a guessed field.
            for other in MAPPING_FIELDS:
                if merged[other] == col and other != fld:
                    merged[other] = None
            merged[fld] = col
    mapping = ColumnMapping(**merged)
    # A GIS file's own geometry is its location unless the user chose columns instead.
    explicit_location = explicit is not None and any(
        getattr(explicit, f) is not None for f in LOCATION_FIELDS
    )
    geometry_location = has_geometry and not explicit_location
    if geometry_location:
        mapping = replace(mapping, latitude=None, longitude=None, easting=None, northing=None)
    missing: dict[str, tuple[str, ...]] = {}
    if not (mapping.has_lonlat or mapping.has_grid or geometry_location):
        for fld in ("latitude", "longitude"):
            missing[fld] = guess.candidates.get(fld, tuple(columns))
    if mapping.occurred_at is None:
        missing["occurred_at"] = guess.candidates.get("occurred_at", tuple(columns))
    if missing:
        what = " and ".join(
            label
            for key, label in (
                ("latitude", "location (latitude/longitude or easting/northing)"),
                ("occurred_at", "date"),
            )
            if key in missing
        )
        raise ColumnMappingError(
            f"cannot tell which columns hold the {what} "
            f"(columns found: {', '.join(map(str, columns))})",
            file=file,
            candidates=missing,
            hint="choose the columns in the mapping form, or on the command line with "
            "--map latitude=COLUMN --map longitude=COLUMN --map occurred_at=COLUMN",
        )
    return mapping


# police.uk snaps every crime to an anonymous map point and names it "On or near <X>".


def find_column(columns: Sequence[str], names: Sequence[str]) -> str | None:
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(norm(c), c)
    for name in names:
        if name in by_norm:
            return by_norm[name]
    return None
