"""Loading and validation: every file an analyst has, into one canonical schema.

Everything downstream (index, design, risk, export) reads `schema.INCIDENT_COLUMNS` and
nothing else, so this module is the one place that knows about police.uk downloads,
force extracts, GeoJSON, GeoPackage, Parquet, encodings and the ways real files go
wrong. Its promises:

- Nothing is dropped silently. Every input row is either kept in
  `LoadResult.incidents` or listed in `LoadResult.rejected` with its file, row, column,
  value and reason, so `rows kept + rows rejected == rows read` for every file.
- A whole-file problem (empty, header only, not a table, no location columns) raises
  one `InputError` naming the file and saying what to do; a row problem rejects that
  row and keeps the rest.
- Time is never claimed finer than the source gives it: police.uk's "2024-03" is month
  precision, recorded in `LoadResult.time_precision`.
- Values a loader does not recognise (a category, a location type) are kept, as
  written or as "unknown", and counted in `LoadResult.summary()`.
- Text is data: a value such as `=HYPERLINK(...)` is stored as the string it is and
  never evaluated; `LoadResult.rejected_csv()` neutralises it for spreadsheets.

The CSV hot path is vectorised: pyarrow parses the bytes into string columns, and
pyarrow compute / numpy validate whole columns at once. Python loops run over files,
over the unique values of a column (a few hundred categories or place names), or over
the rare rows pyarrow could not split; never over all rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from crimedash import categories, schema
from crimedash.errors import ColumnMappingError, InputError
from crimedash.schema import LocationType, TimePrecision

__all__ = [
    "UNKNOWN_CATEGORY",
    "ColumnMapping",
    "FileSummary",
    "LoadResult",
    "MappingGuess",
    "Source",
    "guess_mapping",
    "infer_location_type",
    "load_areas",
    "load_households",
    "load_incidents",
]

# A row with no category at all is kept under this value (and counted in the summary).
UNKNOWN_CATEGORY = "unknown"

# One physical line longer than this is rejected before parsing ("line too long"): no
# incident record is anywhere near it, and pyarrow cannot split a row larger than a block.
MAX_LINE_BYTES = 1 << 20
# pyarrow parses in blocks of this size; it must exceed MAX_LINE_BYTES.
BLOCK_SIZE = 4 << 20
# Rejected values are kept to this many characters so a 5 MB line stays readable.
MAX_VALUE_CHARS = 200
# A zip member larger than this is refused rather than inflated into memory.
MAX_MEMBER_BYTES = 4 << 30

ProgressFn = Callable[[float, str], None]
Upload = tuple[str, bytes]
PathOrUpload = str | os.PathLike[str] | Upload

_UTF8_BOM = b"\xef\xbb\xbf"
_WHOLE_ROW = ""  # the `column` of a rejection that concerns the row, not one field


# ======================================================================================
# Column mapping
# ======================================================================================


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
_LOCATION_FIELDS = ("latitude", "longitude", "easting", "northing")


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


def _norm(name: str) -> str:
    """'Crime.type', 'crime_type' and 'Crime Type ' all become 'crime type'."""
    return re.sub(r"[^a-z0-9]+", " ", str(name).lower()).strip()


# Names each field is known by, in priority order (normalised with _norm). `x`/`y` are
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

# British National Grid's extent in metres (with a margin): how x/y columns are told
# apart from degrees, and the range a grid coordinate must fall in.
_BNG_EASTING = (0.0, 700_000.0)
_BNG_NORTHING = (0.0, 1_300_000.0)


def guess_mapping(
    columns: Sequence[str], sample: pd.DataFrame | None = None
) -> tuple[ColumnMapping, MappingGuess]:
    """Map source columns to canonical fields by name (and, for x/y, by value).

    `sample` (a few rows of the file, any dtype) lets ambiguous names be settled by their
    values: `x`/`y` holding degrees are longitude/latitude, holding metres in British
    National Grid range they are easting/northing. Returns the mapping and how sure it
    is; `load_incidents` raises `ColumnMappingError` when a required field is unsure.
    """
    cols = [str(c) for c in columns]
    by_norm: dict[str, list[str]] = {}
    for c in cols:
        by_norm.setdefault(_norm(c), []).append(c)

    chosen: dict[str, str] = {}
    taken: set[str] = set()
    ambiguous: dict[str, tuple[str, ...]] = {}
    notes: list[str] = []
    for fld, names in _SYNONYMS.items():
        if fld in _LOCATION_FIELDS:
            # A wrong location is the worst guess: two columns that could both be
            # latitude (say "Lat" and "latitude") are for a person to choose between.
            hits = [c for c in cols if _norm(c) in names and c not in taken]
            if len(hits) == 1:
                chosen[fld] = hits[0]
                taken.add(hits[0])
            elif hits:
                ambiguous[fld] = tuple(hits)
            continue
        for name in names:  # otherwise the first name in priority order wins
            hits = [c for c in by_norm.get(name, []) if c not in taken]
            if len(hits) == 1:
                chosen[fld] = hits[0]
                taken.add(hits[0])
                break
            if len(hits) > 1:
                ambiguous[fld] = tuple(hits)
                break

    # x / y: degrees or grid metres, decided by the values.
    xs, ys = by_norm.get("x", []), by_norm.get("y", [])
    has_lonlat = "latitude" in chosen and "longitude" in chosen
    has_grid = "easting" in chosen and "northing" in chosen
    if len(xs) == 1 and len(ys) == 1 and not (has_lonlat or has_grid):
        kind = _xy_kind(sample, xs[0], ys[0]) if sample is not None else None
        if kind == "lonlat":
            chosen["longitude"], chosen["latitude"] = xs[0], ys[0]
            notes.append(f"{xs[0]}/{ys[0]} read as longitude/latitude (degrees)")
        elif kind == "grid":
            chosen["easting"], chosen["northing"] = xs[0], ys[0]
            notes.append(f"{xs[0]}/{ys[0]} read as British National Grid easting/northing")
        else:
            ambiguous.setdefault("latitude", (ys[0],))
            ambiguous.setdefault("longitude", (xs[0],))

    has_lonlat = "latitude" in chosen and "longitude" in chosen
    has_grid = "easting" in chosen and "northing" in chosen
    if has_lonlat and has_grid:
        notes.append("latitude/longitude used; easting/northing ignored")
        chosen.pop("easting")
        chosen.pop("northing")
        has_grid = False

    unsure: list[str] = []
    candidates: dict[str, tuple[str, ...]] = {}
    if not (has_lonlat or has_grid):
        numeric = _numeric_columns(sample, cols) if sample is not None else cols
        for fld in ("latitude", "longitude"):
            chosen.pop(fld, None)
            unsure.append(fld)
            candidates[fld] = ambiguous.get(fld) or tuple(numeric) or tuple(cols)
        for fld in ("easting", "northing"):
            chosen.pop(fld, None)
    if "occurred_at" not in chosen:
        unsure.append("occurred_at")
        candidates["occurred_at"] = ambiguous.get("occurred_at") or _date_like(sample, cols)
    for fld, hits in ambiguous.items():
        if fld not in chosen and fld not in candidates and fld not in _LOCATION_FIELDS:
            notes.append(f"{fld}: several columns could be it ({', '.join(hits)}); none used")
    mapping = ColumnMapping(**chosen)
    return mapping, MappingGuess(tuple(unsure), candidates, tuple(notes))


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
        (xv >= _BNG_EASTING[0])
        & (xv <= _BNG_EASTING[1])
        & (yv >= _BNG_NORTHING[0])
        & (yv <= _BNG_NORTHING[1])
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
        parsed = _parse_dates(pa.array(sample[c].astype("str").fillna("").tolist()))
        if (~parsed.empty & ~parsed.bad).any():
            out.append(c)
    return tuple(out) or tuple(cols)


def _resolve_mapping(
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
        if any(getattr(explicit, f) is not None for f in _LOCATION_FIELDS):
            for f in _LOCATION_FIELDS:
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
        getattr(explicit, f) is not None for f in _LOCATION_FIELDS
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


# ======================================================================================
# Location types
# ======================================================================================

# police.uk snaps every crime to an anonymous map point and names it "On or near <X>".
# Usually X is a street (which says nothing about the kind of place), but some points
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


# ======================================================================================
# Sources: files on disk and in-memory uploads, behind one interface
# ======================================================================================


@dataclass(frozen=True)
class Source:
    """One readable input: a name for messages and a way to get its bytes.

    Files, zip members and Streamlit uploads all become Sources, so every reader below
    works on bytes and never cares where they came from. Bytes are read lazily so a
    police.uk zip holds one member in memory at a time.
    """

    name: str
    read: Callable[[], bytes] = field(repr=False)

    @property
    def suffix(self) -> str:
        return _suffix(self.name)


def _suffix(name: str) -> str:
    lower = name.lower()
    for double in (".geo.parquet", ".geo.json"):
        if lower.endswith(double):
            return double
    return Path(lower).suffix


_TABLE_SUFFIXES = {".csv", ".tsv", ".tab", ".txt", ".psv"}
_GEO_SUFFIXES = {".geojson", ".json", ".geo.json", ".gpkg"}
_PARQUET_SUFFIXES = {".parquet", ".geoparquet", ".geo.parquet", ".pq"}
_INCIDENT_SUFFIXES = _TABLE_SUFFIXES | _GEO_SUFFIXES | _PARQUET_SUFFIXES
# Other files police.uk puts in the same download; they repeat the street-level crimes.
_POLICE_UK_COMPANIONS = re.compile(r"-(outcomes|stop-and-search)\.csv$", re.IGNORECASE)


def _is_upload(item: object) -> bool:
    return (
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], bytes | bytearray | memoryview)
    )


def _hidden(name: str) -> bool:
    parts = Path(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _expand(item: PathOrUpload, skipped: list[tuple[str, str]]) -> list[Source]:
    """Sources for one input item (a file, a folder, a zip, or an upload)."""
    if _is_upload(item):
        name, data = item[0], bytes(item[1])  # type: ignore[index]
        if _suffix(name) == ".zip" or (data[:4] == b"PK\x03\x04" and not _is_xlsx(data)):
            return _zip_sources(name, lambda: io.BytesIO(data), skipped)
        return [Source(name, lambda: data)]
    path = Path(item)  # type: ignore[arg-type]
    if path.is_dir():
        found = sorted(
            p for p in path.rglob("*") if p.is_file() and not _hidden(str(p.relative_to(path)))
        )
        sources = _pick_members(
            [(str(p), p) for p in found], skipped, lambda p: _expand(p, skipped)
        )
        if not sources:
            raise InputError(
                "the folder holds no CSV, GeoJSON, GeoPackage, Parquet or zip file",
                file=str(path),
                hint="check that this is the folder you meant",
            )
        return sources
    if not path.exists():
        raise InputError(
            "no such file or folder", file=str(path), hint="check the path and try again"
        )
    if path.suffix.lower() == ".zip":
        return _zip_sources(str(path), lambda: path, skipped)
    return [Source(str(path), path.read_bytes)]


def _pick_members(
    named: list[tuple[str, Any]],
    skipped: list[tuple[str, str]],
    make: Callable[[Any], list[Source]],
) -> list[Source]:
    """Choose the incident files in a folder or zip; list every other file as skipped."""
    names = [n for n, _ in named]
    police_uk = any(n.lower().endswith("-street.csv") for n in names)
    out: list[Source] = []
    for name, obj in named:
        suffix = _suffix(name)
        if police_uk and _POLICE_UK_COMPANIONS.search(name):
            skipped.append((name, "police.uk outcomes/stop-and-search file (not incidents)"))
        elif suffix in _INCIDENT_SUFFIXES or suffix == ".zip":
            out.extend(make(obj))
        else:
            skipped.append((name, f"not a supported incident format ({suffix or 'no suffix'})"))
    return out


def _zip_sources(
    name: str, opener: Callable[[], Any], skipped: list[tuple[str, str]]
) -> list[Source]:
    try:
        with zipfile.ZipFile(opener()) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir() and not _hidden(i.filename)]
    except zipfile.BadZipFile as exc:
        raise InputError(
            f"is not a readable zip file ({exc})",
            file=name,
            hint="download it again, or unzip it and give the folder",
        ) from exc
    if any(_suffix(i.filename) == ".shp" for i in infos):
        return [Source(name, lambda: _read_all(opener()))]
    infos.sort(key=lambda i: i.filename)

    def member(info: zipfile.ZipInfo) -> list[Source]:
        if info.file_size > MAX_MEMBER_BYTES:
            raise InputError(
                f"zip member {info.filename} unpacks to {info.file_size:,} bytes, more "
                "than crimedash reads from one file",
                file=name,
                hint="split the data into smaller files",
            )

        def read() -> bytes:
            with zipfile.ZipFile(opener()) as zf:
                return zf.read(info)

        full = f"{name}/{info.filename}"
        if _suffix(info.filename) == ".zip":
            return _zip_sources(full, lambda: io.BytesIO(read()), skipped)
        return [Source(full, read)]

    sources = _pick_members([(f"{name}/{i.filename}", i) for i in infos], skipped, member)
    if not sources:
        raise InputError(
            "the zip holds no CSV, GeoJSON, GeoPackage or Parquet file",
            file=name,
            hint="check that this is the police.uk download (or your export) you meant",
        )
    return sources


def _read_all(obj: Any) -> bytes:
    if isinstance(obj, Path):
        return obj.read_bytes()
    return obj.getvalue() if isinstance(obj, io.BytesIO) else obj.read()


def _single_source(path_or_upload: PathOrUpload) -> Source:
    """The one Source for a context layer (a file or an upload; zip = shapefile)."""
    if _is_upload(path_or_upload):
        name, data = path_or_upload[0], bytes(path_or_upload[1])  # type: ignore[index]
        return Source(name, lambda: data)
    path = Path(path_or_upload)  # type: ignore[arg-type]
    if not path.is_file():
        raise InputError("no such file", file=str(path), hint="check the path and try again")
    return Source(str(path), path.read_bytes)


def _is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" and b"[Content_Types].xml" in data[:4096]


# ======================================================================================
# Format detection and whole-file checks
# ======================================================================================


def _control_share(head: bytes) -> float:
    """Share of bytes that are control characters other than tab and line ends: text
    has next to none, binary data plenty."""
    b = np.frombuffer(head, dtype=np.uint8)
    if not len(b):
        return 0.0
    control = ((b < 32) & (b != 9) & (b != 10) & (b != 13)) | (b == 127)
    return float(control.mean())


def _detect_format(source: Source, data: bytes) -> str:
    """'csv', 'geo' (read by GDAL), 'parquet', or raise InputError for what cannot be."""
    name = source.name
    if re.search(rb"\S", data) is None:
        raise InputError(
            "the file is empty", file=name, hint="check the download or export finished"
        )
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:16] == b"SQLite format 3\x00":
        return "geo"
    if data[:4] == b"PK\x03\x04":
        if _is_xlsx(data):
            raise InputError(
                "this is an Excel workbook, not a CSV",
                file=name,
                hint="in Excel use File > Save As > CSV UTF-8, then load the CSV",
            )
        return "geo"  # a zipped shapefile (other zips were expanded already)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(
            "this is an old Excel (.xls) workbook, not a CSV",
            file=name,
            hint="in Excel use File > Save As > CSV UTF-8, then load the CSV",
        )
    head = data[:65536].lstrip(_UTF8_BOM).lstrip()
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "csv"  # UTF-16 text (Excel's "Unicode text"); transcoded in _read_csv
    if b"\x00" in head or _control_share(head) > 0.05:
        raise InputError(
            "this is a binary file, not a text table",
            file=name,
            hint="give a CSV, GeoJSON, GeoPackage or Parquet file",
        )
    if head[:1] in (b"{", b"["):
        if source.suffix in _TABLE_SUFFIXES or b'"type"' not in head[:4096]:
            raise InputError(
                "this is JSON but not GeoJSON (no FeatureCollection)",
                file=name,
                hint="export the data as GeoJSON or CSV",
            )
        return "geo"
    if head[:1] == b"<":
        raise InputError(
            "this looks like a web page or XML document, not a table",
            file=name,
            hint="the download may have failed; download the CSV again",
        )
    if source.suffix in {".gpkg", ".parquet", ".geoparquet", ".geo.parquet", ".pq"}:
        raise InputError(
            f"the name says {source.suffix} but the contents are not",
            file=name,
            hint="check that the file was not renamed or damaged",
        )
    return "csv"


# ======================================================================================
# A parsed table, before validation
# ======================================================================================


@dataclass
class _Table:
    """Columns as pyarrow arrays (strings from CSV; typed from Parquet/GeoJSON)."""

    columns: list[str]  # every column of the source, for mapping and messages
    arrays: dict[str, pa.Array]  # the columns that were read
    rows: np.ndarray  # 1-based source row of each record
    rows_read: int  # records in the source, including those rejected while reading
    rejected: list[pd.DataFrame] = field(default_factory=list)
    geometry: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # lon, lat, problem
    encoding: str | None = None
    fmt: str = "csv"

    @property
    def n(self) -> int:
        return len(self.rows)


def _rejections(
    file: str, rows: np.ndarray, column: str | Sequence[str], values: Any, reason: str
) -> pd.DataFrame:
    """A REJECTED_COLUMNS frame; values are truncated to MAX_VALUE_CHARS."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        values = pc.utf8_slice_codeunits(_as_text(values), 0, MAX_VALUE_CHARS).to_pylist()
    else:
        values = [str(v)[:MAX_VALUE_CHARS] for v in values]
    n = len(rows)
    return pd.DataFrame(
        {
            schema.REJ_FILE: pd.Series([file] * n, dtype="str"),
            schema.REJ_ROW: np.asarray(rows, dtype="int64"),
            schema.REJ_COLUMN: pd.Series(
                [column] * n if isinstance(column, str) else list(column), dtype="str"
            ),
            schema.REJ_VALUE: pd.Series(values, dtype="str"),
            schema.REJ_REASON: pd.Series([reason] * n, dtype="str"),
        }
    )


def _empty_rejected() -> pd.DataFrame:
    return _rejections("", np.array([], dtype="int64"), "", [], "")


Column = pa.Array | pa.ChunkedArray  # pyarrow's CSV reader returns one chunk per block


def _as_text(arr: Column) -> Column:
    """Any column as strings, nulls as '' (no copy when it already is)."""
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return pc.fill_null(arr, "") if arr.null_count else arr


# ======================================================================================
# Delimited text (police.uk, force extracts, anything saved as CSV/TSV)
# ======================================================================================

_DELIMITERS = (",", "\t", ";", "|")
_LONG_LINE_SENTINEL = "\x01crimedash:line-too-long\x01"


def _decode_header(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def _split_header(text: str, suffix: str) -> tuple[list[str], str]:
    """Column names and delimiter from the header line ('auto delimiter')."""
    if suffix in {".tsv", ".tab"}:
        candidates: Iterable[str] = ("\t",)
    elif suffix == ".psv":
        candidates = ("|",)
    else:
        candidates = _DELIMITERS
    best: tuple[list[str], str] = ([text], ",")
    for delim in candidates:
        names = next(csv.reader([text], delimiter=delim), [])
        if len(names) > len(best[0]):
            best = (names, delim)
    names, delim = best
    # Blank and repeated names become unique, so every column can be named in a mapping.
    out: list[str] = []
    for i, raw in enumerate(names):
        name = raw.strip() or f"column {i + 1}"
        base, k = name, 2
        while name in out:
            name, k = f"{base}.{k}", k + 1
        out.append(name)
    return out, delim


def _long_lines(buf: np.ndarray, newline: int) -> list[tuple[int, int]]:
    """(start, end) of physical lines longer than MAX_LINE_BYTES, end excluding '\\n'.

    Scans in chunks so a 100 MB file costs a few tens of milliseconds and no large
    temporary arrays.
    """
    out: list[tuple[int, int]] = []
    chunk = 16 << 20
    line_start = 0
    for lo in range(0, len(buf), chunk):
        nl = np.flatnonzero(buf[lo : lo + chunk] == newline) + lo
        if not len(nl):
            continue
        starts = np.concatenate(([line_start], nl[:-1] + 1))
        long = np.flatnonzero(nl - starts > MAX_LINE_BYTES)
        out.extend((int(starts[i]), int(nl[i])) for i in long)
        line_start = int(nl[-1]) + 1
    if len(buf) - line_start > MAX_LINE_BYTES:
        out.append((line_start, len(buf)))
    return out


Resolver = Callable[[list[str], pd.DataFrame], tuple[ColumnMapping, list[str]]]


def _read_csv(source: Source, data: bytes, resolve: Resolver) -> tuple[_Table, ColumnMapping]:
    """Parse delimited text into string columns, rejecting rows that cannot be split.

    `resolve(columns, sample)` decides the mapping once the header and a sample of rows
    are known, and names the columns to read (the others are never converted).
    """
    name = source.name
    encoding = "utf-8"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = data.decode("utf-16").encode("utf-8")
        encoding = "utf-16"
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
        encoding = "utf-8-sig"
    if data[:1] in (b"\r", b"\n"):  # blank lines before the header
        data = data.lstrip(b"\r\n")
    head = data[:65536]
    newline = b"\n" if b"\n" in head or b"\r" not in head else b"\r"
    end = data.find(newline)
    header_bytes = data if end < 0 else data[:end]
    if len(header_bytes) > MAX_LINE_BYTES:
        raise InputError(
            "the first line is too long to be a header",
            file=name,
            hint="the first line must name the columns",
        )
    columns, delim = _split_header(_decode_header(header_bytes).strip("\r\n"), source.suffix)
    if len(columns) == 1:
        raise InputError(
            "this does not look like a table: its first line has no commas, tabs or "
            f"semicolons between column names (it reads {columns[0][:60]!r})",
            file=name,
            hint="give a CSV whose first line names the columns, e.g. "
            "occurred_at,category,latitude,longitude",
        )
    if end < 0 or re.compile(rb"\S").search(data, end + 1) is None:
        raise InputError(
            "the file has a header but no data rows",
            file=name,
            hint="check the export or download finished, or pick another file",
        )

    # Mapping: by name, helped by a small sample of values (x/y, candidate columns).
    sample_end = data.rfind(newline, 0, 65536) if len(data) > 65536 else len(data)
    sample_tbl, _ = _parse_csv(
        data[: max(sample_end, end + 1)], columns, delim, None, name, lenient=True
    )
    sample = pd.DataFrame({c: sample_tbl.column(c).to_pylist() for c in columns})
    mapping, include = resolve(columns, sample)

    # Physical lines longer than MAX_LINE_BYTES are replaced by a sentinel record (the
    # sentinel in every column) so they keep their place and their row number.
    long = _long_lines(np.frombuffer(data, dtype=np.uint8), newline[0])
    long_values: list[str] = []
    if long:
        sentinel = delim.join([_LONG_LINE_SENTINEL] * len(columns)).encode()
        pieces, pos = [], 0
        for lo, hi in long:
            pieces += [data[pos:lo], sentinel]
            long_values.append(data[lo : lo + MAX_VALUE_CHARS * 4].decode("utf-8", "replace"))
            pos = hi
        pieces.append(data[pos:])
        data = b"".join(pieces)

    try:
        try:
            table, invalid = _parse_csv(data, columns, delim, include, name)
        except _Utf8Error:
            encoding = "cp1252"
            table, invalid = _parse_csv(data, columns, delim, include, name, encoding="cp1252")
    except (_Utf8Error, UnicodeDecodeError) as exc:
        raise InputError(
            "the file is neither UTF-8 nor Windows-1252 text",
            file=name,
            hint="save it again as CSV UTF-8",
        ) from exc

    n = table.num_rows
    rows = np.arange(1, n + 1, dtype="int64")
    rejected: list[pd.DataFrame] = []
    if invalid:
        # Rows pyarrow could not split into the header's columns. pyarrow numbers the
        # records it reads (header = 1, blank lines not counted), so the bad rows take
        # their numbers and the kept records fill the others in order.
        bad_lines = np.array([num for num, _ in invalid], dtype="int64") - 1
        slots = np.setdiff1d(np.arange(1, n + len(invalid) + 1), bad_lines)
        if len(slots) == n:
            rows = slots
        rejected.append(
            _rejections(
                name, bad_lines, _WHOLE_ROW, [t for _, t in invalid], schema.REASON_MALFORMED
            )
        )

    arrays: dict[str, Column] = {c: table.column(c) for c in include}
    if long_values:
        hit = pc.equal(arrays[include[0]], _LONG_LINE_SENTINEL).to_numpy(zero_copy_only=False)
        rejected.append(
            _rejections(
                name,
                rows[hit],
                _WHOLE_ROW,
                long_values[: int(hit.sum())],
                schema.REASON_LINE_TOO_LONG,
            )
        )
        keep = pa.array(~hit)
        arrays = {c: a.filter(keep) for c, a in arrays.items()}
        rows = rows[~hit]
    table_out = _Table(columns, arrays, rows, n + len(invalid), rejected, encoding=encoding)
    return table_out, mapping


class _Utf8Error(Exception):
    """pyarrow found bytes that are not UTF-8 (try Windows-1252)."""


def _parse_csv(
    data: bytes,
    columns: list[str],
    delim: str,
    include: list[str] | None,
    name: str,
    *,
    lenient: bool = False,
    encoding: str = "utf8",
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Parse CSV bytes (header line included) into string columns.

    Returns the table and the rows pyarrow could not split, as (physical line number,
    text). Multi-threaded first; single-threaded again only when some rows were bad,
    because only then does pyarrow report their line numbers. `lenient` (for the
    mapping sample) never raises: a sample that cannot be parsed is just empty.
    """
    include = include if include is not None else columns

    def run(threads: bool) -> tuple[pa.Table, list[tuple[int | None, str]]]:
        invalid: list[tuple[int | None, str]] = []

        def handler(row: Any) -> str:
            invalid.append((row.number, row.text))
            return "skip"

        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(
                column_names=columns,
                skip_rows=1,
                block_size=BLOCK_SIZE,
                use_threads=threads,
                encoding=encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delim,
                newlines_in_values=True,
                invalid_row_handler=handler,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(include, pa.string()),
                include_columns=include,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
        return table, invalid

    try:
        table, invalid = run(True)
        if invalid and any(num is None for num, _ in invalid):
            table, invalid = run(False)
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if lenient:
            if encoding == "utf8" and "utf8" in msg.lower().replace("-", ""):
                return _parse_csv(
                    data, columns, delim, include, name, lenient=True, encoding="cp1252"
                )
            return pa.table({c: pa.array([], pa.string()) for c in include}), []
        if "utf8" in msg.lower().replace("-", ""):
            raise _Utf8Error(msg) from exc
        raise InputError(
            f"the file cannot be read as a table ({msg.splitlines()[0]})",
            file=name,
            hint="check that it is a CSV with one header line; a value with an unclosed "
            'quote (") often causes this',
        ) from exc
    return table, [(num or 0, text) for num, text in invalid]


# ======================================================================================
# GeoJSON / GeoPackage / shapefile / GeoParquet / Parquet
# ======================================================================================


def _read_geodataframe(source: Source, data: bytes) -> Any:
    import geopandas as gpd
    import pyogrio

    try:
        if data[:4] == b"PAR1":
            return gpd.read_parquet(io.BytesIO(data))
        with warnings.catch_warnings():
            # GDAL notes that in-memory bytes have no .gpkg extension; harmless.
            warnings.filterwarnings("ignore", "File /vsimem/", RuntimeWarning)
            return pyogrio.read_dataframe(io.BytesIO(data))
    except Exception as exc:  # GDAL's messages are the clearest we have
        raise InputError(
            f"cannot be read as a geographic file ({str(exc).splitlines()[0]})",
            file=source.name,
            hint="check the file opens in QGIS; export it again as GeoJSON or GeoPackage",
        ) from exc


def _to_wgs84(gdf: Any, name: str) -> Any:
    """Reproject to WGS84; a file with no CRS is taken as WGS84 or, if its numbers are
    grid metres, as British National Grid (shapefiles without a .prj are common)."""
    if gdf.crs is None:
        xmin, ymin, xmax, ymax = gdf.total_bounds if len(gdf) else (0, 0, 0, 0)
        if max(abs(xmin), abs(xmax)) <= 180 and max(abs(ymin), abs(ymax)) <= 90:
            return gdf.set_crs(schema.WGS84)
        if xmin >= 0 and ymin >= 0 and xmax <= _BNG_EASTING[1] and ymax <= _BNG_NORTHING[1]:
            return gdf.set_crs(schema.BRITISH_NATIONAL_GRID).to_crs(schema.WGS84)
        raise InputError(
            "the file says nothing about its coordinate system and its coordinates are "
            "neither degrees nor British National Grid metres",
            file=name,
            hint="save it with a coordinate reference system (e.g. EPSG:4326)",
        )
    if gdf.crs.to_epsg() == 4326 or gdf.crs.equals("OGC:CRS84"):
        return gdf
    return gdf.to_crs(schema.WGS84)


def _arrow_columns(df: pd.DataFrame) -> dict[str, pa.Array]:
    out = {}
    for c in df.columns:
        s = df[c]
        try:
            arr = pa.array(s, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array(s.astype("str"), from_pandas=True)
        out[str(c)] = arr
    return out


def _read_geo(
    source: Source, data: bytes, explicit: ColumnMapping | None
) -> tuple[_Table, ColumnMapping]:
    gdf = _read_geodataframe(source, data)
    name = source.name
    if not len(gdf):
        raise InputError("the file has no features", file=name, hint="pick another file")
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    columns = [str(c) for c in attrs.columns]
    mapping = _resolve_mapping(columns, attrs.head(200), explicit, name, has_geometry=True)
    geometry = None
    if not (mapping.has_lonlat or mapping.has_grid):
        gdf = _to_wgs84(gdf, name)
        geometry = _point_coordinates(gdf.geometry)
    arrays = _arrow_columns(attrs[[c for _, c in mapping.items()]])
    n = len(gdf)
    return (
        _Table(columns, arrays, np.arange(1, n + 1), n, geometry=geometry, fmt="geo"),
        mapping,
    )


_GEOM_OK, _GEOM_MISSING, _GEOM_NOT_POINT = 0, 1, 2


def _point_coordinates(geoms: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lon, lat and a problem code per feature: missing geometry or not a point."""
    import shapely

    arr = np.asarray(geoms.array if hasattr(geoms, "array") else geoms, dtype=object)
    missing = shapely.is_missing(arr) | shapely.is_empty(arr)
    kind = shapely.get_type_id(arr)
    # A multipoint of one point is a point written awkwardly.
    single_multi = (kind == 4) & (shapely.get_num_geometries(arr) == 1)
    points = np.where(single_multi, shapely.get_geometry(arr, 0), arr)
    is_point = (kind == 0) | single_multi
    problem = np.where(missing, _GEOM_MISSING, np.where(is_point, _GEOM_OK, _GEOM_NOT_POINT))
    ok = problem == _GEOM_OK
    lon = np.full(len(arr), np.nan)
    lat = np.full(len(arr), np.nan)
    lon[ok] = shapely.get_x(points[ok])
    lat[ok] = shapely.get_y(points[ok])
    return lon, lat, problem


def _read_parquet(
    source: Source, data: bytes, explicit: ColumnMapping | None
) -> tuple[_Table, ColumnMapping]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(io.BytesIO(data))
    except Exception as exc:
        raise InputError(
            f"cannot be read as Parquet ({str(exc).splitlines()[0]})",
            file=source.name,
            hint="check the file was written completely",
        ) from exc
    if pf.schema_arrow.metadata and b"geo" in pf.schema_arrow.metadata:
        return _read_geo(source, data, explicit)
    table = pf.read()
    if not table.num_rows:
        raise InputError("the file has no rows", file=source.name, hint="pick another file")
    columns = table.column_names
    mapping = _resolve_mapping(columns, table.slice(0, 200).to_pandas(), explicit, source.name)
    arrays: dict[str, Column] = {c: table.column(c) for _, c in mapping.items()}
    n = table.num_rows
    return _Table(list(columns), arrays, np.arange(1, n + 1), n, fmt="parquet"), mapping


# ======================================================================================
# Vectorised value parsing
# ======================================================================================

_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"


@dataclass
class _Numbers:
    values: np.ndarray  # float64, NaN where empty or bad
    empty: np.ndarray  # bool
    bad: np.ndarray  # bool: present but not a finite number


def _parse_numbers(arr: Column) -> _Numbers:
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        empty = np.asarray(arr.is_null().to_numpy(zero_copy_only=False))
        bad = ~empty & ~np.isfinite(values)
        return _Numbers(np.where(bad, np.nan, values), empty, bad)
    raw = _as_text(arr)
    empty = pc.equal(raw, "").to_numpy(zero_copy_only=False)
    try:  # fast path: every value is a plain number (or empty)
        present = pc.if_else(pc.equal(raw, ""), pa.scalar(None, pa.string()), raw)
        values = pc.cast(present if empty.any() else raw, pa.float64())
        values = values.to_numpy(zero_copy_only=False)
        bad = ~empty & ~np.isfinite(values)
        return _Numbers(np.where(bad, np.nan, values), empty, bad)
    except pa.ArrowInvalid:
        pass
    text = pc.utf8_trim_whitespace(raw)
    # A decimal comma ("53,45", as European spreadsheets write it) is a decimal point.
    text = pc.replace_substring_regex(text, r"^([+-]?\d+),(\d+)$", r"\1.\2")
    empty = pc.equal(text, "").to_numpy(zero_copy_only=False)
    ok = pc.match_substring_regex(text, _NUMBER)
    values = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    values = values.to_numpy(zero_copy_only=False)
    bad = ~empty & ~ok.to_numpy(zero_copy_only=False)
    return _Numbers(values, empty, bad)


_ISO_DATE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2})(?:(?:T|\s+)(\d{1,2}):(\d{2})"
    r"(?::(\d{2})(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?$"
)
# UK order (day first): this is a British tool and force systems write 31/01/2024.
_UK_DATE = re.compile(
    r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?$"
)
# Plausible years: a year outside them is a typo, and datetime64[ns] ends in 2262.
_YEARS = (1900, 2100)
_PREC_MONTH, _PREC_DAY, _PREC_TIME = 0, 1, 2


@dataclass
class _Dates:
    values: np.ndarray  # datetime64[ns], NaT where empty or bad
    empty: np.ndarray
    bad: np.ndarray
    precision: np.ndarray  # int8 per row: _PREC_MONTH / _PREC_DAY / _PREC_TIME


def _int_field(struct: Column, i: int) -> np.ndarray:
    f = pc.struct_field(struct, [i])
    f = pc.if_else(pc.equal(f, ""), pa.scalar(None, pa.string()), f)
    return pc.fill_null(pc.cast(f, pa.int64()), -1).to_numpy(zero_copy_only=False)


# Fixed-width ISO layouts read straight from the bytes: (length, separator positions).
# Digits fill every other position; e.g. "2024-03" is 7 bytes with a '-' at 4.
_FIXED_LAYOUTS: dict[int, tuple[int, ...]] = {
    7: (4,),
    10: (4, 7),
    16: (4, 7, 10, 13),
    19: (4, 7, 10, 13, 16),
}
_FIXED_FIELDS = ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))  # y m d H M S


def _fixed_width_parts(text: Column, parts: np.ndarray) -> np.ndarray:
    """Fill `parts` for values in a fixed-width ISO layout; return which were read.

    Reads the string bytes with numpy (no regex): police.uk's "2024-03" and exports'
    "2024-03-01T10:15:00" cost a few milliseconds per million rows. Anything else is
    left for the regular expressions.
    """
    if isinstance(text, pa.ChunkedArray):
        done, start = [], 0
        for chunk in text.chunks:
            done.append(_fixed_width_parts(chunk, parts[:, start : start + len(chunk)]))
            start += len(chunk)
        return np.concatenate(done) if done else np.zeros(0, dtype=bool)
    n = len(text)
    done = np.zeros(n, dtype=bool)
    if text.null_count or not pa.types.is_string(text.type) or not n:
        return done
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset : text.offset + n + 1]
    if text.buffers()[2] is None:
        return done
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)
    lengths = np.diff(offsets)
    for length, seps in _FIXED_LAYOUTS.items():
        idx = np.flatnonzero(lengths == length)
        if not len(idx):
            continue
        if len(idx) == n:  # every value this long: the bytes are an (n, length) matrix
            matrix = data[offsets[0] : offsets[0] + n * length].reshape(n, length)

            def byte(j: int, matrix: np.ndarray = matrix) -> np.ndarray:
                return matrix[:, j]
        else:
            starts = offsets[idx]

            def byte(j: int, starts: np.ndarray = starts) -> np.ndarray:
                return data[starts + j]

        ok = np.ones(len(idx), dtype=bool)
        values: list[np.ndarray] = []
        for j in range(length):
            c = byte(j)
            if j in seps:
                allowed = b"T " if j == 10 else (b"-/" if j in (4, 7) else b":")
                ok &= (c == allowed[0]) | (c == allowed[-1])
                values.append(c)
            else:
                digit = c - np.uint8(48)  # wraps for bytes below '0'
                ok &= digit <= 9
                values.append(digit)
        if length >= 10:
            ok &= values[4] == values[7]  # one date separator, not 2024-03/01
        for f, (lo, hi) in enumerate(_FIXED_FIELDS):
            if hi > length:
                break
            number = np.zeros(len(idx), dtype=np.int64)
            for j in range(lo, hi):
                number = number * 10 + values[j]
            parts[f, idx[ok]] = number[ok]
        done[idx[ok]] = True
    return done


# Days from 1970-01-01 to the first of each month in the plausible years, so a date
# becomes days by one table look-up instead of calendar arithmetic per row.
_MONTH_START_DAYS = (
    np.arange((_YEARS[0] - 1970) * 12, (_YEARS[1] - 1970 + 1) * 12)
    .astype("datetime64[M]")
    .astype("datetime64[D]")
    .astype(np.int64)
)


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _parse_dates(arr: pa.Array) -> _Dates:
    """Parse dates strictly: 2024-02-30 and month 13 are bad, not rolled over.

    Accepts YYYY-MM (police.uk), YYYY-MM-DD, DD/MM/YYYY, each optionally with a time
    (HH:MM[:SS]); a time zone suffix is ignored (times are kept as written).
    """
    n = len(arr)
    if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
        if pa.types.is_timestamp(arr.type) and arr.type.tz is not None:
            arr = pc.local_timestamp(arr)
        values = pc.cast(arr, pa.timestamp("ns")).to_numpy(zero_copy_only=False)
        empty = np.isnat(values)
        prec = _PREC_DAY if pa.types.is_date(arr.type) else _PREC_TIME
        return _Dates(values, empty, np.zeros(n, bool), np.full(n, prec, np.int8))
    raw = _as_text(arr)
    parts = np.full((6, n), -1, dtype=np.int32)
    done = _fixed_width_parts(raw, parts)
    if done.all():
        empty = np.zeros(n, dtype=bool)
    else:
        text = pc.utf8_trim_whitespace(raw)
        empty = pc.equal(text, "").to_numpy(zero_copy_only=False)
        rest = ~done & ~empty
        if rest.any():
            iso = pc.extract_regex(text, _named(_ISO_DATE.pattern))
            iso_ok = iso.is_valid().to_numpy(zero_copy_only=False) & rest
            for i in range(6):
                parts[i] = np.where(iso_ok, _int_field(iso, i), parts[i])
            rest &= ~iso_ok
        if rest.any():
            uk = pc.extract_regex(text, _named(_UK_DATE.pattern))
            uk_ok = uk.is_valid().to_numpy(zero_copy_only=False) & rest
            order = (2, 1, 0, 3, 4, 5)  # day/month/year -> year/month/day
            for i, j in enumerate(order):
                parts[i] = np.where(uk_ok, _int_field(uk, j), parts[i])
    y, m, d, hh, mm, ss = parts
    has_day = d >= 0
    has_time = hh >= 0
    ok = (y >= _YEARS[0]) & (y <= _YEARS[1]) & (m >= 1) & (m <= 12)
    m_safe = np.where(ok, m, 1)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    days_in_month = _DAYS_IN_MONTH[m_safe] + ((m_safe == 2) & leap)
    ok &= ~has_day | ((d >= 1) & (d <= days_in_month))
    ss = np.where(ss < 0, 0, ss)
    ok &= ~has_time | ((hh <= 23) & (mm <= 59) & (ss <= 59))
    month = np.where(ok, (y - _YEARS[0]) * 12 + m_safe - 1, 0)
    days = _MONTH_START_DAYS[month] + np.where(ok & has_day, d - 1, 0)
    seconds = days * 86400 + np.where(ok & has_time, hh * 3600 + mm * 60 + ss, 0)
    values = (seconds * 1_000_000_000).view("datetime64[ns]")
    values[~ok] = np.datetime64("NaT")
    precision = np.where(has_time, _PREC_TIME, np.where(has_day, _PREC_DAY, _PREC_MONTH))
    return _Dates(values, empty, ~empty & ~ok, precision.astype(np.int8))


def _named(pattern: str) -> str:
    """Give RE2 unnamed groups names (pyarrow's extract_regex needs them)."""
    count = iter(range(100))
    return re.sub(r"\((?!\?)", lambda _: f"(?P<g{next(count)}>", pattern)


def _precision_of(dates: _Dates, kept: np.ndarray) -> TimePrecision | None:
    """The coarsest precision among kept rows; a time that is always midnight is a day."""
    if not kept.any():
        return None
    prec = dates.precision[kept]
    if (prec == _PREC_MONTH).any():
        return TimePrecision.MONTH
    if (prec == _PREC_DAY).any():
        return TimePrecision.DAY
    values = dates.values[kept]
    if (values == values.astype("datetime64[D]")).all():
        return TimePrecision.DAY
    return TimePrecision.TIMESTAMP


# ======================================================================================
# Validation: a parsed table -> canonical incidents + rejected rows
# ======================================================================================


@dataclass
class _Part:
    incidents: pa.Table
    rejected: pd.DataFrame
    precision: TimePrecision | None
    unrecognised_location: dict[str, int]
    rows_read: int


def _validate(table: _Table, mapping: ColumnMapping, name: str, id_prefix: str) -> _Part:
    """Check every row at once; keep the good ones in canonical form, reject the rest.

    A row gets one rejection, for the first problem found (location before date).
    `id_prefix` names the file in derived incident ids ("<file>:<row>") for rows the
    source gave no id (police.uk gives none; its Crime ID is a reference).
    """
    n = table.n
    first_fail = np.zeros(n, dtype=bool)
    rejected = list(table.rejected)

    def reject(mask: np.ndarray, column: str, values: Any, reason: str) -> None:
        """Reject rows not already rejected; one rejection per row, first reason wins."""
        new = mask & ~first_fail
        if new.any():
            idx = np.flatnonzero(new)
            if isinstance(values, pa.Array):
                vals: Any = values.take(pa.array(idx))
            else:
                vals = np.asarray(values, dtype=object)[idx]
            rejected.append(_rejections(name, table.rows[idx], column, vals, reason))
            first_fail[new] = True

    # --- location ------------------------------------------------------------------
    if table.geometry is not None:
        lon, lat, problem = table.geometry
        geo = schema.GEOMETRY
        reject(problem == _GEOM_MISSING, geo, pa.nulls(n, pa.string()), schema.REASON_NO_LOCATION)
        reject(problem == _GEOM_NOT_POINT, geo, pa.nulls(n, pa.string()), schema.REASON_NOT_A_POINT)
        with np.errstate(invalid="ignore"):
            out = ~((np.abs(lon) <= 180) & (np.abs(lat) <= 90))
        xy = pc.binary_join_element_wise(
            pc.cast(pa.array(lon), pa.string()), pc.cast(pa.array(lat), pa.string()), " "
        )
        reject(out, geo, xy, schema.REASON_OUT_OF_RANGE)
    else:
        if mapping.has_lonlat:
            xcol, ycol = mapping.longitude, mapping.latitude
            xlim, ylim = (-180.0, 180.0), (-90.0, 90.0)
        else:
            xcol, ycol = mapping.easting, mapping.northing
            xlim, ylim = _BNG_EASTING, _BNG_NORTHING
        assert xcol is not None and ycol is not None
        xs, ys = _parse_numbers(table.arrays[xcol]), _parse_numbers(table.arrays[ycol])
        xraw, yraw = table.arrays[xcol], table.arrays[ycol]
        reject(xs.empty & ys.empty, xcol, xraw, schema.REASON_NO_LOCATION)
        for nums, col, raw in ((xs, xcol, xraw), (ys, ycol, yraw)):
            reject(nums.empty, col, raw, schema.REASON_BAD_COORDINATE)
            reject(nums.bad, col, raw, schema.REASON_BAD_COORDINATE)
        for nums, col, raw, (lo, hi) in ((xs, xcol, xraw, xlim), (ys, ycol, yraw, ylim)):
            with np.errstate(invalid="ignore"):
                reject(
                    ~np.isnan(nums.values) & ((nums.values < lo) | (nums.values > hi)),
                    col,
                    raw,
                    schema.REASON_OUT_OF_RANGE,
                )
        lon, lat = xs.values, ys.values
        if mapping.has_grid:
            lon, lat = _grid_to_wgs84(lon, lat, ~first_fail)

    # --- date ----------------------------------------------------------------------
    assert mapping.occurred_at is not None
    date_raw = table.arrays[mapping.occurred_at]
    dates = _parse_dates(date_raw)
    reject(dates.empty, mapping.occurred_at, date_raw, schema.REASON_MISSING_DATE)
    reject(dates.bad, mapping.occurred_at, date_raw, schema.REASON_BAD_DATE)

    # --- kept rows -----------------------------------------------------------------
    kept = ~first_fail
    keep = pa.array(kept)
    rows = table.rows[kept]
    k = int(kept.sum())

    def kept_text(col: str | None) -> Column | None:
        return None if col is None else _as_text(table.arrays[col]).filter(keep)

    if mapping.category is not None:
        category = _map_unique(kept_text(mapping.category), _category_of)
    else:
        category = _repeat(UNKNOWN_CATEGORY, k)

    unrecognised_location: dict[str, int] = {}
    if mapping.location_type is not None:
        loc_text = kept_text(mapping.location_type)
        assert loc_text is not None
        location_type = _map_unique(loc_text, lambda t: infer_location_type(t)[0].value)
        unrecognised_location = _unrecognised_counts(loc_text)
    else:
        location_type = _repeat(LocationType.UNKNOWN.value, k)

    ref_text = kept_text(mapping.reference)
    if ref_text is not None:
        ref_text = pc.utf8_trim_whitespace(ref_text)
        reference = pc.if_else(pc.equal(ref_text, ""), pa.scalar(None, pa.string()), ref_text)
    else:
        reference = pa.nulls(k, pa.string())

    id_text = kept_text(mapping.incident_id)
    if id_text is not None:
        id_text = pc.utf8_trim_whitespace(id_text)
    no_id = None if id_text is None else pc.equal(id_text, "")
    if no_id is None or pc.any(no_id).as_py():
        derived = pc.binary_join_element_wise(id_prefix, pc.cast(pa.array(rows), pa.string()), ":")
        incident_id = derived if no_id is None else pc.if_else(no_id, derived, id_text)
    else:
        incident_id = id_text

    incidents = pa.table(
        {
            schema.INCIDENT_ID: incident_id,
            schema.REFERENCE: reference,
            schema.OCCURRED_AT: pa.array(dates.values[kept], pa.timestamp("ns")),
            schema.CATEGORY: category,
            schema.LATITUDE: pa.array(lat[kept], pa.float64()),
            schema.LONGITUDE: pa.array(lon[kept], pa.float64()),
            schema.LOCATION_TYPE: location_type,
            schema.SOURCE_FILE: _repeat(name, k),
            schema.SOURCE_ROW: pa.array(rows, pa.int64()),
        }
    )
    rej = _sorted(rejected)
    return _Part(incidents, rej, _precision_of(dates, kept), unrecognised_location, table.rows_read)


def _repeat(value: str, n: int) -> pa.Array:
    """A string array of one value n times, without a Python list of n items."""
    return pa.array([value], pa.string()).take(np.zeros(n, dtype=np.int32))


def _sorted(rejected: list[pd.DataFrame]) -> pd.DataFrame:
    """One file's rejections in row order."""
    if not rejected:
        return _empty_rejected()
    out = pd.concat(rejected, ignore_index=True)
    return out.sort_values(schema.REJ_ROW, kind="stable", ignore_index=True)


def _grid_to_wgs84(
    easting: np.ndarray, northing: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    t = Transformer.from_crs(schema.BRITISH_NATIONAL_GRID, schema.WGS84, always_xy=True)
    lon = np.full(len(easting), np.nan)
    lat = np.full(len(easting), np.nan)
    if ok.any():
        lon[ok], lat[ok] = t.transform(easting[ok], northing[ok])
    return lon, lat


def _category_of(text: str) -> str:
    if not text.strip():
        return UNKNOWN_CATEGORY
    return categories.canonical_category(text)[0]


def _map_unique(text: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    """Apply fn to each distinct value once (a column has few distinct values)."""
    uniques = pc.unique(text)
    mapped = pa.array([fn(v) for v in uniques.to_pylist()], pa.string())
    return mapped.take(pc.index_in(text, value_set=uniques))


def _unrecognised_counts(text: pa.Array) -> dict[str, int]:
    counts = pc.value_counts(text)
    out: dict[str, int] = {}
    for value, count in zip(
        counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
    ):
        if not infer_location_type(value)[1]:
            out[value] = count
    return out


# ======================================================================================
# The result
# ======================================================================================


@dataclass(frozen=True)
class FileSummary:
    """What happened to one input file (zip members count as files)."""

    name: str
    sha256: str
    rows_read: int
    rows_kept: int
    rows_rejected: int
    format: str = "csv"
    encoding: str | None = None
    time_precision: TimePrecision | None = None
    mapping: ColumnMapping | None = None


@dataclass(frozen=True, eq=False)
class LoadResult:
    """Incidents in the canonical schema, every rejected row, and where they came from.

    `incidents` has exactly `schema.INCIDENT_COLUMNS`; `reference` uses pandas' NA-aware
    string dtype so a missing reference shows as <NA>. `time_precision` is the coarsest
    among the inputs: a map must not claim a finer time than its data has.
    """

    incidents: pd.DataFrame
    rejected: pd.DataFrame
    time_precision: TimePrecision
    files: tuple[FileSummary, ...]
    skipped_files: tuple[tuple[str, str], ...] = ()
    unrecognised_location_types: Mapping[str, int] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    def summary(self, top: int = 20) -> dict[str, Any]:
        """Plain-data summary for the CLI, the app and the design log."""
        inc = self.incidents
        cats = inc[schema.CATEGORY].value_counts()
        unrecognised_cats = cats[~cats.index.isin(categories.BY_CODE)]
        loc = inc[schema.LOCATION_TYPE].value_counts()
        dates = inc[schema.OCCURRED_AT]
        extent = None
        if len(inc):
            extent = {
                "lat_min": float(inc[schema.LATITUDE].min()),
                "lat_max": float(inc[schema.LATITUDE].max()),
                "lon_min": float(inc[schema.LONGITUDE].min()),
                "lon_max": float(inc[schema.LONGITUDE].max()),
            }
        fmt = _DATE_FORMATS[self.time_precision]
        unrec_loc = sorted(self.unrecognised_location_types.items(), key=lambda kv: -kv[1])
        return {
            "files": len(self.files),
            "rows_read": self.rows_read,
            "rows_kept": len(inc),
            "rows_rejected": len(self.rejected),
            "rejected_by_reason": {
                str(k): int(v) for k, v in self.rejected[schema.REJ_REASON].value_counts().items()
            },
            "date_min": dates.min().strftime(fmt) if len(inc) else None,
            "date_max": dates.max().strftime(fmt) if len(inc) else None,
            "time_precision": self.time_precision.value,
            "categories": {str(k): int(v) for k, v in cats.items()},
            "unrecognised_categories": {
                str(k): int(v) for k, v in unrecognised_cats.head(top).items()
            },
            "unrecognised_categories_total": int(unrecognised_cats.sum()),
            "location_types": {str(k): int(v) for k, v in loc.items()},
            "unrecognised_location_types": dict(unrec_loc[:top]),
            "unrecognised_location_types_total": sum(self.unrecognised_location_types.values()),
            "extent": extent,
            "skipped_files": [list(s) for s in self.skipped_files],
        }

    def rejected_csv(self) -> bytes:
        """The rejected rows as a UTF-8 CSV, safe to open in a spreadsheet.

        A value starting with = + - @ (not a number) is prefixed with a quote so Excel
        shows it as text instead of running it (CSV injection).
        """
        out = self.rejected.copy()
        values = out[schema.REJ_VALUE].astype("str")
        risky = values.str.match(r"^[=+\-@\t\r]") & ~values.str.match(r"^[+-]?[\d.]")
        out[schema.REJ_VALUE] = values.where(~risky, "'" + values)
        return out.to_csv(index=False).encode("utf-8")


_DATE_FORMATS = {
    TimePrecision.MONTH: "%Y-%m",
    TimePrecision.DAY: "%Y-%m-%d",
    TimePrecision.TIMESTAMP: "%Y-%m-%d %H:%M:%S",
}


# ======================================================================================
# Public entry points
# ======================================================================================


def _as_items(paths: Any) -> list[PathOrUpload]:
    if isinstance(paths, str | os.PathLike) or _is_upload(paths):
        return [paths]
    return list(paths)


def load_incidents(
    paths: Sequence[PathOrUpload] | PathOrUpload,
    *,
    mapping: ColumnMapping | None = None,
    progress: ProgressFn | None = None,
) -> LoadResult:
    """Load incident files (police.uk downloads, force extracts, GIS files) into the
    canonical schema, rejecting bad rows with their reasons.

    `paths` items are files, folders, zips, or `(name, bytes)` uploads. `mapping`
    overrides the automatic column mapping (for every file). `progress(fraction,
    message)` is called as files are read. Raises InputError (or ColumnMappingError)
    for a file that cannot be used at all.
    """
    skipped: list[tuple[str, str]] = []
    sources: list[Source] = []
    for item in _as_items(paths):
        sources.extend(_expand(item, skipped))
    if not sources:
        raise InputError(
            "no incident files were given",
            hint="give one or more CSV, GeoJSON, GeoPackage or Parquet files, a folder or "
            "a police.uk zip",
        )
    id_prefixes = _id_prefixes([s.name for s in sources])
    seen: dict[str, str] = {}
    parts: list[_Part] = []
    summaries: list[FileSummary] = []
    for i, source in enumerate(sources):
        if progress is not None:
            progress(i / len(sources), f"Reading {source.name}")
        data = source.read()
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:  # the same bytes twice (a file given twice) would double count
            skipped.append((source.name, f"identical to {seen[digest]}, loaded once"))
            continue
        seen[digest] = source.name
        fmt = _detect_format(source, data)
        if fmt == "csv":
            table, used = _read_csv(source, data, _incident_resolver(source.name, mapping))
        elif fmt == "parquet":
            table, used = _read_parquet(source, data, mapping)
        else:
            table, used = _read_geo(source, data, mapping)
        del data
        part = _validate(table, used, source.name, id_prefixes[source.name])
        parts.append(part)
        summaries.append(
            FileSummary(
                name=source.name,
                sha256=digest,
                rows_read=part.rows_read,
                rows_kept=part.incidents.num_rows,
                rows_rejected=len(part.rejected),
                format=table.fmt,
                encoding=table.encoding,
                time_precision=part.precision,
                mapping=used,
            )
        )
    if progress is not None:
        progress(1.0, "Done")

    incidents = pa.concat_tables([p.incidents for p in parts]).to_pandas()
    incidents = _canonical_frame(incidents)
    rejected = pd.concat([p.rejected for p in parts], ignore_index=True)
    rejected = rejected.astype({schema.REJ_ROW: "int64"})
    precisions = [p.precision for p in parts if p.precision is not None]
    precision = max(precisions, key=lambda p: p.rank) if precisions else TimePrecision.MONTH
    unrecognised: dict[str, int] = {}
    for p in parts:
        for value, count in p.unrecognised_location.items():
            unrecognised[value] = unrecognised.get(value, 0) + count
    return LoadResult(
        incidents=incidents,
        rejected=rejected[list(schema.REJECTED_COLUMNS)],
        time_precision=precision,
        files=tuple(summaries),
        skipped_files=tuple(skipped),
        unrecognised_location_types=unrecognised,
    )


def _id_prefixes(names: Sequence[str]) -> dict[str, str]:
    """File base names for derived ids (portable across machines), full names where two
    inputs share a base name."""
    base = [Path(n).name for n in names]
    return {n: b if base.count(b) == 1 else n for n, b in zip(names, base, strict=True)}


def _incident_resolver(name: str, explicit: ColumnMapping | None) -> Resolver:
    def resolve(columns: list[str], sample: pd.DataFrame) -> tuple[ColumnMapping, list[str]]:
        mapping = _resolve_mapping(columns, sample, explicit, name)
        return mapping, list(dict.fromkeys(col for _, col in mapping.items()))

    return resolve


def _canonical_frame(df: pd.DataFrame) -> pd.DataFrame:
    df = df[list(schema.INCIDENT_COLUMNS)]
    return df.astype(
        {
            schema.INCIDENT_ID: "str",
            schema.REFERENCE: pd.StringDtype("pyarrow"),
            schema.OCCURRED_AT: "datetime64[ns]",
            schema.CATEGORY: "str",
            schema.LATITUDE: "float64",
            schema.LONGITUDE: "float64",
            schema.LOCATION_TYPE: "str",
            schema.SOURCE_FILE: "str",
            schema.SOURCE_ROW: "int64",
        }
    )


# ======================================================================================
# Context layers: households and areas
# ======================================================================================


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


_HOUSEHOLD_NAMES = _names(
    "households|household count|households count|hh|dwellings|addresses|address count|count"
)
_RESIDENT_NAMES = _names("residents|population|usual residents|persons|people")
_AREA_CODE_NAMES = _names(
    "code|area code|areacode|oa21cd|oa11cd|lsoa21cd|lsoa11cd|msoa21cd|msoa11cd|ward code"
    "|wd22cd|wd23cd|lad22cd|lad23cd|geo code|geography code|id|name|area name"
)


def _find_column(columns: Sequence[str], names: Sequence[str]) -> str | None:
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(_norm(c), c)
    for name in names:
        if name in by_norm:
            return by_norm[name]
    return None


def _counts(
    values: pd.Series, column: str, name: str, rows: np.ndarray
) -> tuple[np.ndarray, pd.DataFrame]:
    """Whole non-negative counts; others become rejections (reason: bad count)."""
    nums = _parse_numbers(pa.array(values.astype("str").fillna(""), pa.string()))
    v = nums.values
    with np.errstate(invalid="ignore"):
        bad = nums.empty | nums.bad | (v < 0) | (np.floor(v) != v)
    rej = _rejections(
        name,
        rows[bad],
        column,
        values.astype("str").fillna("").to_numpy()[bad],
        schema.REASON_BAD_COUNT,
    )
    return np.where(bad, 0, v).astype("int64"), rej


def load_households(path_or_upload: PathOrUpload) -> Any:
    """Households as a GeoDataFrame (WGS84) with a `households` column.

    Address points (CSV with latitude/longitude or easting/northing, or a GIS file of
    points) count 1 household each unless a households column says otherwise; polygons
    must carry a households column and are kept as they are. Rows with a bad location
    or count are left out and listed in `gdf.attrs["rejected"]` (REJECTED_COLUMNS), with
    `gdf.attrs["rows_read"]`, so nothing is dropped unseen.
    """
    import geopandas as gpd

    source = _single_source(path_or_upload)
    data = source.read()
    fmt = _detect_format(source, data)
    name = source.name
    if fmt == "csv":
        return _households_from_csv(source, data)
    gdf = _read_geodataframe(source, data)
    if not len(gdf):
        raise InputError("the file has no features", file=name, hint="pick another file")
    gdf = _to_wgs84(gdf, name)
    rows = np.arange(1, len(gdf) + 1)
    hh_col = _find_column([str(c) for c in gdf.columns], _HOUSEHOLD_NAMES)
    geoms = gdf.geometry
    missing = (geoms.isna() | geoms.is_empty).to_numpy()
    rejected = [
        _rejections(
            name,
            rows[missing],
            schema.GEOMETRY,
            [""] * int(missing.sum()),
            schema.REASON_NO_LOCATION,
        )
    ]
    kinds = set(geoms[~missing].geom_type)
    if hh_col is None:
        if kinds - {"Point", "MultiPoint"}:
            raise ColumnMappingError(
                "polygons need a households column (how many households each holds)",
                file=name,
                candidates={schema.HOUSEHOLDS: tuple(str(c) for c in gdf.columns)},
                hint="add a 'households' column, or give address points instead",
            )
        counts = np.ones(len(gdf), dtype="int64")
    else:
        counts, bad_rej = _counts(gdf[hh_col], hh_col, name, rows)
        bad_rej = bad_rej[~bad_rej[schema.REJ_ROW].isin(rows[missing])]
        rejected.append(bad_rej)
    bad_rows = set(pd.concat(rejected)[schema.REJ_ROW])
    keep = ~np.isin(rows, list(bad_rows))
    out = gpd.GeoDataFrame(
        {schema.HOUSEHOLDS: counts[keep]},
        geometry=geoms[keep].to_numpy(),
        crs=schema.WGS84,
    )
    out.attrs["rejected"] = _sorted(rejected)
    out.attrs["rows_read"] = len(gdf)
    return out


def _households_from_csv(source: Source, data: bytes) -> Any:
    import geopandas as gpd

    name = source.name
    hh_col: str | None = None

    def resolve(columns: list[str], sample: pd.DataFrame) -> tuple[ColumnMapping, list[str]]:
        nonlocal hh_col
        mapping = guess_mapping(columns, sample)[0]
        if not (mapping.has_lonlat or mapping.has_grid):
            raise ColumnMappingError(
                "cannot tell which columns hold the address location "
                f"(columns found: {', '.join(columns)})",
                file=name,
                candidates={"latitude": tuple(columns), "longitude": tuple(columns)},
                hint="name the columns latitude and longitude (or easting and northing)",
            )
        hh_col = _find_column(columns, _HOUSEHOLD_NAMES)
        location = [c for f, c in mapping.items() if f in _LOCATION_FIELDS]
        return mapping, location + ([hh_col] if hh_col else [])

    table, used = _read_csv(source, data, resolve)
    n = table.n
    failed = np.zeros(n, bool)
    rejected = list(table.rejected)
    if used.has_lonlat:
        xcol, ycol, xlim, ylim = used.longitude, used.latitude, (-180, 180), (-90, 90)
    else:
        xcol, ycol, xlim, ylim = used.easting, used.northing, _BNG_EASTING, _BNG_NORTHING
    assert xcol is not None and ycol is not None
    xs, ys = _parse_numbers(table.arrays[xcol]), _parse_numbers(table.arrays[ycol])
    checks = [
        (xs.empty & ys.empty, xcol, schema.REASON_NO_LOCATION),
        (xs.empty | xs.bad, xcol, schema.REASON_BAD_COORDINATE),
        (ys.empty | ys.bad, ycol, schema.REASON_BAD_COORDINATE),
        (~((xs.values >= xlim[0]) & (xs.values <= xlim[1])), xcol, schema.REASON_OUT_OF_RANGE),
        (~((ys.values >= ylim[0]) & (ys.values <= ylim[1])), ycol, schema.REASON_OUT_OF_RANGE),
    ]
    for mask, col, reason in checks:
        new = mask & ~failed
        if new.any():
            idx = np.flatnonzero(new)
            vals = table.arrays[col].take(pa.array(idx))
            rejected.append(_rejections(name, table.rows[idx], col, vals, reason))
            failed |= new
    counts = np.ones(n, dtype="int64")
    if hh_col is not None:
        hh_values = pd.Series(_as_text(table.arrays[hh_col]).to_pylist(), dtype="str")
        counts, bad = _counts(hh_values, hh_col, name, table.rows)
        bad = bad[~bad[schema.REJ_ROW].isin(table.rows[failed])]
        rejected.append(bad)
        failed |= np.isin(table.rows, bad[schema.REJ_ROW].to_numpy())
    keep = ~failed
    lon, lat = xs.values, ys.values
    if used.has_grid:
        lon, lat = _grid_to_wgs84(lon, lat, keep)
    out = gpd.GeoDataFrame(
        {schema.HOUSEHOLDS: counts[keep]},
        geometry=gpd.points_from_xy(lon[keep], lat[keep]),
        crs=schema.WGS84,
    )
    out.attrs["rejected"] = _sorted(rejected)
    out.attrs["rows_read"] = table.rows_read
    return out


def load_areas(path_or_upload: PathOrUpload, code_column: str | None = None) -> Any:
    """Areas (output areas, neighbourhoods, wards) as a GeoDataFrame in WGS84.

    Columns: `code`, `geometry`, plus `households` / `residents` when the file has them.
    Reads GeoJSON, GeoPackage, GeoParquet or a zipped shapefile. The code column is
    `code_column` when given, else found by name (code, area_code, OA21CD, LSOA21CD,
    ..., name). Codes must be unique and every area must have a polygon: areas are the
    units a map publishes, so a bad one is a whole-file problem, not a row to drop.
    """
    import geopandas as gpd

    source = _single_source(path_or_upload)
    data = source.read()
    name = source.name
    fmt = _detect_format(source, data)
    if fmt == "csv":
        raise InputError(
            "areas need boundaries (polygons), and a CSV has none",
            file=name,
            hint="give a GeoJSON, GeoPackage or zipped shapefile of the areas",
        )
    gdf = _read_geodataframe(source, data)
    if not len(gdf):
        raise InputError("the file has no features", file=name, hint="pick another file")
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    geoms = gdf.geometry
    missing = (geoms.isna() | geoms.is_empty).to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0]) + 1
        raise InputError(
            f"{int(missing.sum())} area(s) have no boundary",
            file=name,
            row=row,
            column=schema.GEOMETRY,
            hint="remove or fix the areas without geometry",
        )
    not_polygon = ~geoms.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not_polygon.any():
        row = int(np.flatnonzero(not_polygon)[0]) + 1
        raise InputError(
            f"areas must be polygons, but feature {row} is a {geoms.iloc[row - 1].geom_type}",
            file=name,
            row=row,
            column=schema.GEOMETRY,
            hint="give the area boundaries, not points or lines",
        )
    if code_column is not None:
        if code_column not in gdf.columns:
            raise InputError(
                f"there is no column {code_column!r} (columns: {', '.join(columns)})",
                file=name,
                column=code_column,
                hint="check the spelling, including capitals",
            )
        code_col = code_column
    else:
        code_col = _find_column(columns, _AREA_CODE_NAMES) or _find_code_like(columns)
        if code_col is None:
            raise ColumnMappingError(
                f"cannot tell which column holds the area code (columns: {', '.join(columns)})",
                file=name,
                candidates={schema.AREA_CODE: tuple(columns)},
                hint="choose the code column (e.g. --code-column OA21CD)",
            )
    codes = gdf[code_col].astype("str").str.strip()
    blank = (codes == "") | gdf[code_col].isna().to_numpy()
    dup = codes.duplicated(keep=False) & ~blank
    if blank.any() or dup.any():
        bad = blank | dup
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InputError(
            f"area codes must be present and unique; {int(blank.sum())} blank and "
            f"{int(dup.sum())} repeated (e.g. {codes[bad].iloc[0]!r})",
            file=name,
            row=row,
            column=code_col,
            hint="choose a column with one unique code per area",
        )
    gdf = _to_wgs84(gdf, name)
    out = gpd.GeoDataFrame(
        {schema.AREA_CODE: codes.to_numpy()}, geometry=gdf.geometry.to_numpy(), crs=schema.WGS84
    )
    for target, names in (
        (schema.HOUSEHOLDS, _HOUSEHOLD_NAMES),
        (schema.RESIDENTS, _RESIDENT_NAMES),
    ):
        col = _find_column([c for c in columns if c != code_col], names)
        if col is None:
            continue
        counts, rej = _counts(gdf[col], col, name, np.arange(1, len(gdf) + 1))
        if len(rej):
            first = rej.iloc[0]
            raise InputError(
                f"{target} must be whole non-negative numbers; got {first[schema.REJ_VALUE]!r}",
                file=name,
                row=int(first[schema.REJ_ROW]),
                column=col,
                hint=f"fix the {col} column",
            )
        out[target] = counts
    return out[[c for c in out.columns if c != schema.GEOMETRY] + [schema.GEOMETRY]]


def _find_code_like(columns: Sequence[str]) -> str | None:
    """An ONS-style code column such as OA21CD or LSOA11CD."""
    hits = [c for c in columns if re.fullmatch(r"[a-z]+\d{2}cd", c.lower())]
    return hits[0] if len(hits) == 1 else None
