"""Validation: a parsed table becomes canonical incidents plus rejected rows.

Every check runs over whole columns; a row gets one rejection, for the first problem
found (location before date), so `kept + rejected == read` holds per file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crimedash import categories, schema
from crimedash.load.location_types import classify_columns, classify_locations
from crimedash.load.locations import check_coordinates, check_points
from crimedash.load.mapping import ColumnMapping, norm
from crimedash.load.parse import UK_TIME_ZONE, parse_dates, precision_of
from crimedash.load.plausible import (
    after_release_month,
    future_dates,
    release_month,
    swap_if_axes_swapped,
)
from crimedash.load.table import Column, Rejector, Table, as_text, distinct, repeat
from crimedash.schema import LocationType, TimePrecision

__all__ = [
    "LSOA_NAME_COLUMN",
    "UNKNOWN_CATEGORY",
    "FileCheck",
    "Part",
    "Segment",
    "classify_parts",
    "validate_files",
    "validate_incidents",
]


# police.uk's `LSOA name` column (normalised as mapping.norm spells it): kept as context
# for the analyst's map tooltip, never a mapped field and never published.
LSOA_NAME_COLUMN = "lsoa name"

# A row with no category at all is kept under this value (and counted in the summary).
UNKNOWN_CATEGORY = "unknown"


@dataclass
class Part:
    incidents: pa.Table
    rejected: pa.Table  # REJECTED_SCHEMA: made a frame once, for all the files
    precision: TimePrecision | None
    unrecognised_location: dict[str, int]
    rows_read: int
    findings: list[str] = field(default_factory=list)
    # The location_type column still holds the rows' location texts, dictionary-encoded,
    # to be classified with other files' by `classify_parts`.
    pending_locations: bool = False


def validate_incidents(
    table: Table, mapping: ColumnMapping, name: str, id_prefix: str, *, classify: bool = True
) -> Part:
    """Check every row at once; keep the good ones in canonical form, reject the rest.

    A row gets one rejection, for the first problem found (location before date).
    `id_prefix` names the file in derived incident ids ("<file>:<row>") for rows the
    source gave no id (police.uk gives none; its Crime ID is a reference).
    With `classify=False` the location texts are left for `classify_parts`, which
    classifies many files' distinct texts at once.
    """
    one = Segment(name, id_prefix, table.n, table.rows_read, list(table.findings))
    part, (check,) = _validate(table, mapping, [one], classify)
    part.findings = check.findings
    return part


@dataclass
class Segment:
    """One file's records in a table that may hold several files' (`validate_files`):
    its name, the prefix of its derived ids, how many records it has there (they
    follow the previous file's), how many rows it had, and what its reader found."""

    name: str
    id_prefix: str
    records: int
    rows_read: int
    findings: list[str]


@dataclass
class FileCheck:
    """What validation found in one file of several: what a file summary reports."""

    rows_kept: int
    rows_rejected: int
    precision: TimePrecision | None
    findings: list[str]


def validate_files(
    table: Table, mapping: ColumnMapping, segments: Sequence[Segment]
) -> tuple[Part, list[FileCheck]]:
    """`validate_incidents` of several files read with one mapping, their records one
    after the other in `table`: every check over all their rows at once, and what is
    per file (row numbers and names in rejections and ids, the plausibility findings,
    the time precision) per segment. The Part's rows and rejections are the files'
    parts one after the other; location texts are left for `classify_parts`.

    Each file cost about a millisecond of Python in the checks whatever its size; a
    national folder is hundreds of files with one header. The reader's own rejections
    are not merged here: a table with any is validated alone."""
    if table.rejected or sum(s.records for s in segments) != table.n:
        raise ValueError("validate_files takes records only, as many as the segments say")
    return _validate(table, mapping, segments, classify=False)


def _validate(
    table: Table, mapping: ColumnMapping, segments: Sequence[Segment], classify: bool
) -> tuple[Part, list[FileCheck]]:
    single = len(segments) == 1
    if single:
        rejector = Rejector(segments[0].name, table.rows, table.rejected)
    else:  # rejections numbered by position, given their file and row at the end
        rejector = Rejector("", np.arange(table.n, dtype=np.int64))
    reject = rejector.reject

    # --- location ------------------------------------------------------------------
    if table.geometry is not None:
        lon, lat = check_points(table.geometry, rejector)
    else:
        grid = not mapping.has_lonlat
        xcol, ycol = (
            (mapping.easting, mapping.northing) if grid else (mapping.longitude, mapping.latitude)
        )
        assert xcol is not None and ycol is not None
        lon, lat = check_coordinates(table, xcol, ycol, grid=grid, rejector=rejector)

    # --- date ----------------------------------------------------------------------
    assert mapping.occurred_at is not None
    date_raw = table.arrays[mapping.occurred_at]
    dates = parse_dates(date_raw)
    reject(dates.empty, mapping.occurred_at, date_raw, schema.REASON_MISSING_DATE)
    reject(dates.bad, mapping.occurred_at, date_raw, schema.REASON_BAD_DATE)

    # --- plausibility, per file: against the country and the rest of the file -------
    kept = rejector.kept
    today = dt.datetime.now(ZoneInfo(UK_TIME_ZONE)).date()
    bounds = np.cumsum([0, *(s.records for s in segments)])
    checks: list[FileCheck] = []
    for seg, lo, hi in zip(segments, bounds[:-1], bounds[1:], strict=True):
        at = slice(int(lo), int(hi))
        seg_kept, seg_rows = kept[at], table.rows[at]
        findings = list(seg.findings)
        if table.geometry is not None or mapping.has_lonlat:
            new_lon, new_lat, swapped = swap_if_axes_swapped(lon[at], lat[at], seg_kept)
            if swapped and single:
                lon, lat = new_lon, new_lat
            elif swapped:  # copies first: the new columns are views of each other's
                new_lon, new_lat = new_lon.copy(), new_lat.copy()
                lon, lat = np.array(lon), np.array(lat)
                lon[at], lat[at] = new_lon, new_lat
            findings += [swapped] if swapped else []
        values = dates.values[at]
        late = future_dates(values, seg_kept, seg_rows, today)
        month = release_month(seg.name)
        if late is None and month is not None:
            late = after_release_month(values, seg_kept, seg_rows, month)
        findings += [late] if late else []
        if dates.converted is not None and (zoned := int((dates.converted[at] & seg_kept).sum())):
            findings.append(
                f"{zoned:,} times carried a time-zone offset and were converted to UK local "
                f"time ({UK_TIME_ZONE})"
            )
        seg_dates = replace(
            dates,
            values=values,
            empty=dates.empty[at],
            bad=dates.bad[at],
            precision=dates.precision[at],
            converted=None,
        )
        kept_here = int(seg_kept.sum())
        checks.append(
            FileCheck(
                kept_here, seg.records - kept_here, precision_of(seg_dates, seg_kept), findings
            )
        )

    # --- kept rows -----------------------------------------------------------------
    every = bool(kept.all())  # most files: then no column is copied to drop rows
    keep = pa.array(kept)
    rows = table.rows if every else table.rows[kept]
    k = int(kept.sum())

    def kept_text(col: str | None) -> Column | None:
        if col is None:
            return None
        text = as_text(table.arrays[col])
        return text if every else text.filter(keep)

    def kept_distinct(col: str) -> tuple[pa.Array, pa.Array]:
        """`distinct(kept_text(col))`, but hashing the whole column and dropping rows
        from its codes: filtering the strings first copied every kept string of a file
        with one rejected row (most of police.uk's), to hash them once after."""
        uniques, codes = distinct(as_text(table.arrays[col]))
        if every:
            return uniques, codes
        # the kept rows' values, in the order they first appear among the kept rows
        used = pc.dictionary_encode(codes.filter(keep))
        return uniques.take(used.dictionary), used.indices

    if mapping.category is not None:
        category = _map_unique(kept_distinct(mapping.category), _category_of)
    else:
        category = repeat(UNKNOWN_CATEGORY, k)

    unrecognised_location: dict[str, int] = {}
    pending = False
    if mapping.location_type is not None:
        uniques, codes = kept_distinct(mapping.location_type)
        loc_text = pa.DictionaryArray.from_arrays(codes, uniques)
        if classify:
            location_type, unrecognised_location = classify_locations(loc_text)
        else:
            location_type, pending = loc_text, True
    else:
        location_type = repeat(LocationType.UNKNOWN.value, k)

    ref_text = kept_text(mapping.reference)
    if ref_text is not None:
        reference = _blank_as_null(_trimmed(ref_text))
    else:
        reference = pa.nulls(k, pa.string())

    # each file's kept rows, one file after another
    kept_bounds = np.cumsum([0, *(c.rows_kept for c in checks)])
    id_text = kept_text(mapping.incident_id)
    if id_text is not None:
        id_text = _trimmed(id_text)
    no_id = None if id_text is None else pc.equal(id_text, "")
    if no_id is None or pc.any(no_id).as_py():
        derived = _per_file(
            [
                _derived_ids(seg.id_prefix, rows[lo:hi])
                for seg, lo, hi in zip(segments, kept_bounds[:-1], kept_bounds[1:], strict=True)
            ]
        )
        incident_id = derived if no_id is None else pc.if_else(no_id, derived, id_text)
    else:
        incident_id = id_text

    columns = {
        schema.INCIDENT_ID: incident_id,
        schema.REFERENCE: reference,
        schema.OCCURRED_AT: pa.array(
            dates.values if every else dates.values[kept], pa.timestamp("ns")
        ),
        schema.CATEGORY: category,
        schema.LATITUDE: pa.array(lat if every else lat[kept], pa.float64()),
        schema.LONGITUDE: pa.array(lon if every else lon[kept], pa.float64()),
        schema.LOCATION_TYPE: location_type,
        schema.SOURCE_FILE: _per_file(
            [repeat(s.name, c.rows_kept) for s, c in zip(segments, checks, strict=True)]
        ),
        schema.SOURCE_ROW: pa.array(rows, pa.int64()),
    }
    lsoa = [c for c in table.arrays if norm(c) == LSOA_NAME_COLUMN]
    if lsoa:  # dictionary-encoded: a few thousand names, never a string per row
        columns[schema.LSOA_NAME] = _names(*kept_distinct(lsoa[0]))
    incidents = pa.table(columns)

    rejected = rejector.table()
    if single:
        checks[0].rows_rejected = len(rejected)
    else:
        rejected = _placed(rejected, segments, bounds, table.rows)
    precisions = [c.precision for c in checks if c.precision is not None]
    part = Part(
        incidents,
        rejected,
        max(precisions, key=lambda p: p.rank) if precisions else None,
        unrecognised_location,
        sum(s.rows_read for s in segments),
        [],
        pending,
    )
    return part, checks


def _per_file(arrays: list[pa.Array]) -> pa.Array:
    return arrays[0] if len(arrays) == 1 else pa.concat_arrays(arrays)


def _placed(
    rejected: pa.Table, segments: Sequence[Segment], bounds: np.ndarray, rows: np.ndarray
) -> pa.Table:
    """Rejections numbered by position in a table of several files, given each its
    file and its row in that file (in position order: file by file, row by row)."""
    at = rejected.column(schema.REJ_ROW).to_numpy()
    which = np.searchsorted(bounds, at, side="right") - 1
    names = pa.array([s.name for s in segments], pa.string())
    files = names.take(pa.array(which.astype(np.int32)))
    out = rejected.set_column(0, schema.REJ_FILE, files)
    return out.set_column(1, schema.REJ_ROW, pa.array(rows[at], pa.int64()))


# Every row number of this many digits or fewer, as ASCII digits, one row each: a
# derived id's digits are looked up, not worked out (1.1 MB for the 6-digit table).
_DIGITS: dict[int, np.ndarray] = {}
_DIGITS_MAX_WIDTH = 6
_POWERS = 10 ** np.arange(19, dtype=np.int64)


def _digit_table(width: int) -> np.ndarray:
    table = _DIGITS.get(width)
    if table is None:
        numbers = np.arange(10**width, dtype=np.int64)
        table = np.empty((len(numbers), width), dtype=np.uint8)
        for j in range(width):
            table[:, j] = (numbers // _POWERS[width - 1 - j]) % 10 + ord("0")
        _DIGITS[width] = table
    return table


def _derived_ids(prefix: str, rows: np.ndarray) -> pa.Array:
    """ "<prefix>:<row>" for each row: the ids of rows their file gave none (police.uk's).

    The same strings as `binary_join_element_wise(prefix, cast(rows, string), ":")`, but
    written straight into the array's buffer: rows come in ascending order, so the ids
    with as many digits as each other are one run of equal-length strings, a matrix
    whose first columns are the prefix and whose last are the row's digits (looked up).
    Any other order, or more than 2 GB of ids, goes through Arrow as before."""
    rows = np.asarray(rows, dtype=np.int64)
    head = np.frombuffer(f"{prefix}:".encode(), dtype=np.uint8)
    n, p = len(rows), len(head)
    ascending = n == 0 or (rows[0] >= 1 and bool((rows[1:] > rows[:-1]).all()))
    width = np.searchsorted(_POWERS, rows, side="right")  # digits of each row number
    total = n * p + int(width.sum())
    if not ascending or total >= 2**31:
        return pc.binary_join_element_wise(prefix, pc.cast(pa.array(rows), pa.string()), ":")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(width + p, out=offsets[1:])
    data = np.empty(total, dtype=np.uint8)
    bounds = np.searchsorted(width, np.arange(1, len(_POWERS) + 2), side="left")
    for w in range(1, len(_POWERS) + 1):
        lo, hi = int(bounds[w - 1]), int(bounds[w])
        if lo == hi:
            continue
        block = data[offsets[lo] : offsets[hi]].reshape(hi - lo, p + w)
        block[:, :p] = head
        numbers = rows[lo:hi]
        if w <= _DIGITS_MAX_WIDTH:
            block[:, p:] = _digit_table(w)[numbers]
        else:
            for j in range(w):
                block[:, p + j] = (numbers // _POWERS[w - 1 - j]) % 10 + ord("0")
    buffers = [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.string(), n, buffers, null_count=0)


def classify_parts(parts: Sequence[Part]) -> list[Part]:
    """The parts with their location types classified, each distinct text of all the
    files once (`classify_columns`); parts already classified are returned as they are."""
    pending = [p for p in parts if p.pending_locations]
    column = schema.LOCATION_TYPE
    classified = iter(classify_columns([p.incidents[column] for p in pending]))
    out = []
    for p in parts:
        if not p.pending_locations:
            out.append(p)
            continue
        types, unknown = next(classified)
        at = p.incidents.schema.get_field_index(column)
        incidents = p.incidents.set_column(at, column, types)
        out.append(
            replace(p, incidents=incidents, unrecognised_location=unknown, pending_locations=False)
        )
    return out


def _names(uniques: pa.Array, codes: pa.Array) -> pa.DictionaryArray:
    """Place names trimmed, blank ones null, dictionary-encoded: each row hashed once
    (`distinct`, giving `uniques` and `codes`) and the few thousand distinct names
    trimmed (names equal once trimmed merged)."""
    trimmed = pc.utf8_trim_whitespace(uniques)
    trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    merged = pc.dictionary_encode(trimmed)  # a null name stays a null index
    return pa.DictionaryArray.from_arrays(merged.indices.take(codes), merged.dictionary)


def _chunks(text: Column) -> list[pa.Array]:
    return text.chunks if isinstance(text, pa.ChunkedArray) else [text]


def _rechunk(text: Column, chunks: list[pa.Array]) -> Column:
    """`chunks` in the shape `text` came in (one array, or chunked)."""
    if isinstance(text, pa.ChunkedArray):
        return pa.chunked_array(chunks, pa.string())
    return chunks[0]


def _offsets_and_bytes(text: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """A string array's offsets (for its own slice) and byte buffer, read in place; None
    for any other type or an array with nulls."""
    if text.type != pa.string() or text.null_count:
        return None
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
    return offsets, data if data is not None else np.zeros(0, dtype=np.uint8)


def _trimmed(text: Column) -> Column:
    """`pc.utf8_trim_whitespace(text)`, but the column itself when no value can need it.

    A value needs trimming only if its first or last byte may be whitespace: a control
    byte, a space, or any byte of a non-ASCII character (Unicode has spaces such as
    U+00A0). Those bytes are looked up from the offsets (two reads a row), so police.uk's
    64-character Crime IDs are not copied, 130 MB for 2 million rows, to change nothing.
    """
    for chunk in _chunks(text):
        parts = _offsets_and_bytes(chunk)
        if parts is None:
            return pc.utf8_trim_whitespace(text)
        offsets, data = parts
        filled = np.flatnonzero(np.diff(offsets))
        if not len(filled):
            continue
        ends = data[offsets[filled]], data[offsets[filled + 1] - 1]
        if any(((b <= 0x20) | (b >= 0x7F)).any() for b in ends):
            return pc.utf8_trim_whitespace(text)
    return text


def _blank_as_null(text: Column) -> Column:
    """Blank values ("") as nulls: the same strings with a validity bitmap made from the
    offsets, rather than `if_else`'s copy of every string."""
    out = []
    for chunk in _chunks(text):
        parts = _offsets_and_bytes(chunk)
        if parts is None:
            return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        filled = np.diff(parts[0]) > 0
        if filled.all():
            out.append(chunk)
            continue
        bits = np.zeros(chunk.offset + len(chunk), dtype=bool)
        bits[chunk.offset :] = filled
        validity = pa.py_buffer(np.packbits(bits, bitorder="little"))
        buffers = chunk.buffers()
        out.append(
            pa.Array.from_buffers(
                pa.string(),
                len(chunk),
                [validity, buffers[1], buffers[2]],
                null_count=int(len(chunk) - filled.sum()),
                offset=chunk.offset,
            )
        )
    return _rechunk(text, out)


@lru_cache(maxsize=4096)
def _category_of(text: str) -> str:
    """Remembered: police.uk's fourteen crime types come again in every file."""
    if not text.strip():
        return UNKNOWN_CATEGORY
    return categories.canonical_category(text)[0]


def _map_unique(encoded: tuple[pa.Array, pa.Array], fn: Callable[[str], str]) -> pa.Array:
    """Apply fn to each distinct value once (a column has few distinct values), given
    the values and each row's position among them (`distinct`: one hashing pass)."""
    uniques, codes = encoded
    mapped = pa.array([fn(v) for v in uniques.to_pylist()], pa.string())
    return mapped.take(codes)
