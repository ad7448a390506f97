"""The CSV reader: police.uk downloads, force extracts, anything saved as CSV or TSV.

The hot path for the common case. pyarrow splits the bytes into string columns (only
the mapped ones are converted); rows it cannot split, and physical lines too long to be
a record, are rejected with their row numbers rather than failing the whole file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from crimedash import schema
from crimedash.errors import ColumnMappingError, InputError
from crimedash.load.locations import coordinate_limits
from crimedash.load.mapping import ColumnMapping, LazySample, Resolver
from crimedash.load.sniff import UTF8_BOM
from crimedash.load.sources import Source
from crimedash.load.table import MAX_VALUE_CHARS, WHOLE_ROW, Column, Table, rejections

__all__ = ["BLOCK_SIZE", "MAX_COLUMNS", "MAX_LINE_BYTES", "read_delimited"]


# One physical line longer than this is rejected before parsing ("line too long"): no
# incident record is anywhere near it, and pyarrow cannot split a row larger than a block.
MAX_LINE_BYTES = 1 << 20
# pyarrow parses in blocks of this size; it must exceed MAX_LINE_BYTES.
BLOCK_SIZE = 4 << 20
_DELIMITERS = (",", "\t", ";", "|")
_LONG_LINE_SENTINEL = "\x01crimedash:line-too-long\x01"
_UNDECODABLE_SENTINEL = "\x01crimedash:undecodable\x01"
# A header naming more columns than this is refused: no incident table has thousands of
# columns, and pyarrow's cost grows with each.
MAX_COLUMNS = 2000


def _decode_header(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def _from_utf16(data: bytes, name: str) -> bytes:
    """UTF-16 text (Excel's "Unicode text") as UTF-8; a file cut short or holding a lone
    surrogate is refused with the row where the text breaks."""
    try:
        return data.decode("utf-16").encode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start - exc.start % 2].decode("utf-16", errors="replace")
        row = good.count("\n")  # the header is line 0, so this is the data row
        why = (
            "it ends in the middle of a character (cut short?)"
            if "truncated" in exc.reason
            else "it holds a broken character (a lone surrogate)"
        )
        raise InputError(
            f"the file is UTF-16 text but {why}",
            file=name,
            row=row if row > 0 else None,
            hint="export the file again, preferably as CSV UTF-8",
        ) from exc


def _is_utf8(data: bytes) -> bool:
    """Whether the bytes are valid UTF-8, checked by Arrow without decoding them in
    Python (tens of milliseconds for 100 MB; ASCII in a few)."""
    if data.isascii():
        return True
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    blob = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        blob.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _transcode_lines(
    data: bytes, newline: bytes, sentinel: bytes
) -> tuple[bytes, str, list[str], str]:
    """Decode each line that is not ASCII as UTF-8, else as Windows-1252, and return
    UTF-8 bytes: the encoding name, the text of the lines neither can decode (each
    replaced by `sentinel`, a record rejected after parsing, so it keeps its row
    number) and a finding that says what was done. Only lines with a byte >= 0x80 are
    looked at, found with numpy, so the Python loop is over those alone."""
    buf = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(buf == newline[0])
    lines = np.unique(np.searchsorted(breaks, np.flatnonzero(buf >= 0x80)))
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(buf)]))
    pieces: list[bytes] = []
    pos, utf8, cp1252 = 0, 0, 0
    bad: list[str] = []
    for i in lines:
        lo, hi = int(starts[i]), int(ends[i])
        line = data[lo:hi]
        try:
            line.decode("utf-8")
            utf8 += 1
            continue
        except UnicodeDecodeError:
            pass
        try:
            text = line.decode("cp1252").encode("utf-8")
            cp1252 += 1
        except UnicodeDecodeError:
            if i == 0:  # the header: its names were read already, as best they could be
                text = line.decode("cp1252", errors="replace").encode("utf-8")
            else:
                text = sentinel
                bad.append(line.decode("cp1252", errors="replace"))
        pieces += [data[pos:lo], text]
        pos = hi
    pieces.append(data[pos:])
    encoding = "cp1252" if not utf8 else "utf-8+cp1252"
    notes = []
    if utf8 and cp1252:
        notes.append(
            f"{cp1252:,} lines are Windows-1252 text among {utf8:,} UTF-8 lines; each was "
            "decoded in its own encoding"
        )
    if bad:
        notes.append(f"{len(bad):,} rows are neither UTF-8 nor Windows-1252 text and were rejected")
    return b"".join(pieces), encoding, bad, "; ".join(notes)


def _split_header(text: str, suffix: str) -> tuple[list[str], str, dict[str, list[str]]]:
    """Column names and delimiter from the header line ('auto delimiter'), and the
    names written more than once with the names their copies were given."""
    if suffix in {".tsv", ".tab"}:
        candidates: Iterable[str] = ("\t",)
    elif suffix == ".psv":
        candidates = ("|",)
    else:
        candidates = _DELIMITERS
    best: tuple[list[str], str] = ([text], ",")
    for delim in candidates:
        try:
            names = next(csv.reader([text], delimiter=delim), [])
        except csv.Error:  # e.g. one "column" longer than csv's field limit
            continue
        if len(names) > len(best[0]):
            best = (names, delim)
    names, delim = best
    # Blank and repeated names become unique, so every column can be named in a mapping.
    out: list[str] = []
    taken: set[str] = set()  # a set, not `out`: a header may have 100,000 names
    repeated: dict[str, list[str]] = {}
    for i, raw in enumerate(names):
        name = raw.strip() or f"column {i + 1}"
        base, k = name, 2
        while name in taken:
            name, k = f"{base}.{k}", k + 1
        if name != base:
            repeated.setdefault(base, []).append(name)
        out.append(name)
        taken.add(name)
    return out, delim, repeated


def _refuse_repeated_names(
    repeated: dict[str, list[str]], include: list[str], mapping: ColumnMapping, name: str
) -> None:
    """Two columns with one name (say both `latitude`) make any use of that name a
    guess: refuse, like any ambiguous mapping, naming the column and its copies.

    `_split_header` renamed the copies `latitude.2`, `latitude.3`, ...; choosing one of
    those explicitly is how a person settles it.
    """
    for col in include:
        copies = repeated.get(col)
        if not copies:
            continue
        fields = [f for f, c in mapping.items() if c == col] or [col]
        raise ColumnMappingError(
            f"{len(copies) + 1} columns are named {col!r}; crimedash cannot tell which one "
            f"holds the {fields[0]}",
            file=name,
            candidates={f: (col, *copies) for f in fields},
            hint=f"rename the columns in the file, or choose one with --map "
            f"{fields[0]}={copies[0]} (the copies are numbered in order: {', '.join(copies)})",
        )


def _long_lines(data: bytes, newline: int) -> list[tuple[int, int]]:
    """(start, end) of physical lines longer than MAX_LINE_BYTES, end excluding '\\n'.

    A line that long holds a whole window of half that size with no line break in it;
    when every such window has one (a few `find`s, each stopping at the first break),
    there is none and the file is not scanned. Otherwise it is scanned in chunks, so a
    100 MB file costs a few tens of milliseconds and no large temporary arrays.
    """
    sep = bytes([newline])
    half = MAX_LINE_BYTES // 2
    if all(data.find(sep, lo, lo + half) >= 0 for lo in range(0, len(data) - half + 1, half)):
        return []
    buf = np.frombuffer(data, dtype=np.uint8)
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


def read_delimited(source: Source, data: bytes, resolve: Resolver) -> tuple[Table, ColumnMapping]:
    """Parse delimited text into string columns, rejecting rows that cannot be split.

    `resolve(columns, sample, False)` decides the mapping once the header and a sample of rows
    are known, and names the columns to read (the others are never converted).
    """
    name = source.name
    encoding = "utf-8"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = _from_utf16(data, name)
        encoding = "utf-16"
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
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
    columns, delim, repeated = _split_header(
        _decode_header(header_bytes).strip("\r\n"), source.suffix
    )
    if len(columns) == 1:
        raise InputError(
            "this does not look like a table: its first line has no commas, tabs or "
            f"semicolons between column names (it reads {columns[0][:60]!r})",
            file=name,
            hint="give a CSV whose first line names the columns, e.g. "
            "occurred_at,category,latitude,longitude",
        )
    if len(columns) > MAX_COLUMNS:
        raise InputError(
            f"the first line names {len(columns):,} columns; crimedash reads tables of at "
            f"most {MAX_COLUMNS:,}",
            file=name,
            hint="keep only the columns the map needs (location, date, category, ...)",
        )
    if end < 0 or re.compile(rb"\S").search(data, end + 1) is None:
        raise InputError(
            "the file has a header but no data rows",
            file=name,
            hint="check the export or download finished, or pick another file",
        )
    findings: list[str] = []
    undecodable: list[str] = []
    if not _is_utf8(data):
        # Windows-1252 (Excel's "CSV") or a file that mixes it with UTF-8 rows (two
        # exports pasted together): each line is decoded in its own encoding.
        data, encoding, undecodable, note = _transcode_lines(
            data, newline, delim.join([_UNDECODABLE_SENTINEL] * len(columns)).encode()
        )
        if note:
            findings.append(note)

    # Mapping: by name, helped by a small sample of values (x/y, candidate columns).
    sample_end = data.rfind(newline, 0, 65536) if len(data) > 65536 else len(data)
    head_bytes = data[: max(sample_end, end + 1)]

    def sample_frame() -> pd.DataFrame:
        sample_tbl, _ = _parse_csv(head_bytes, columns, delim, None, name, lenient=True)
        return pd.DataFrame(
            {c: sample_tbl.column(c).to_numpy(zero_copy_only=False) for c in columns},
            dtype=object,
        )

    mapping, include = resolve(columns, LazySample(sample_frame), False)  # type: ignore[arg-type]
    _refuse_repeated_names(repeated, include, mapping, name)

    # Physical lines longer than MAX_LINE_BYTES are replaced by a sentinel record (the
    # sentinel in every column) so they keep their place and their row number.
    long = _long_lines(data, newline[0])
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
        numbers = [] if long or undecodable else _coordinate_columns(mapping, include)
        table, invalid = _parse_csv(data, columns, delim, include, name, numbers=numbers)
        plain = bool(numbers) and _plain_coordinates(table, mapping)
        if numbers and not plain:
            table, invalid = _parse_csv(data, columns, delim, include, name)
    except (_Utf8Error, UnicodeDecodeError) as exc:  # not expected after _transcode_lines
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
            rejections(name, bad_lines, WHOLE_ROW, [t for _, t in invalid], schema.REASON_MALFORMED)
        )

    arrays: dict[str, Column] = {c: table.column(c) for c in include}
    for sentinel, values, reason in (
        (_LONG_LINE_SENTINEL, long_values, schema.REASON_LINE_TOO_LONG),
        (_UNDECODABLE_SENTINEL, undecodable, schema.REASON_UNDECODABLE),
    ):
        if not values or not include:
            continue
        hit = pc.equal(arrays[include[0]], sentinel).to_numpy(zero_copy_only=False)
        rejected.append(rejections(name, rows[hit], WHOLE_ROW, values[: int(hit.sum())], reason))
        keep = pa.array(~hit)
        arrays = {c: a.filter(keep) for c, a in arrays.items()}
        rows = rows[~hit]
    table_out = Table(
        columns,
        arrays,
        rows,
        n + len(invalid),
        rejected,
        encoding=encoding,
        findings=findings,
        plain_numbers=frozenset(numbers) if plain else frozenset(),
    )
    return table_out, mapping


class _Utf8Error(Exception):
    """pyarrow found bytes that are not UTF-8 (try Windows-1252)."""


def _coordinate_columns(mapping: ColumnMapping, include: list[str]) -> list[str]:
    """The two coordinate columns, to be read as numbers by the CSV reader itself."""
    pair = (
        (mapping.longitude, mapping.latitude)
        if mapping.has_lonlat
        else (mapping.easting, mapping.northing)
    )
    if None in pair or pair[0] == pair[1] or not set(pair) <= set(include):
        return []
    return [c for c in pair if c is not None]


def _plain_coordinates(table: pa.Table, mapping: ColumnMapping) -> bool:
    """Whether every coordinate read as a number is finite and in range, so that the
    rows' checks need no text: else the file is read again with coordinates as text,
    because a rejection quotes the value as the file wrote it ("95.000000", not 95.0)."""
    grid = not mapping.has_lonlat
    xcol, ycol = (
        (mapping.easting, mapping.northing) if grid else (mapping.longitude, mapping.latitude)
    )
    for col, (lo, hi) in zip((xcol, ycol), coordinate_limits(grid), strict=True):
        values = table.column(col)
        if not pa.types.is_floating(values.type):
            return False
        numbers = values.to_numpy(zero_copy_only=False)  # null (empty) -> NaN
        written = np.asarray(values.is_valid().to_numpy(zero_copy_only=False))
        with np.errstate(invalid="ignore"):
            plain = (numbers >= lo) & (numbers <= hi)  # False for NaN and infinities
        if not np.array_equal(plain, written):
            return False
    return True


def _parse_csv(
    data: bytes,
    columns: list[str],
    delim: str,
    include: list[str] | None,
    name: str,
    *,
    lenient: bool = False,
    encoding: str = "utf8",
    numbers: Sequence[str] = (),
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Parse CSV bytes (header line included) into string columns.

    Returns the table and the rows pyarrow could not split, as (physical line number,
    text). Multi-threaded first for a file of several blocks; single-threaded again only
    when some rows were bad, because only then does pyarrow report their line numbers. `lenient` (for the
    mapping sample) never raises: a sample that cannot be parsed is just empty.

    `numbers` (the coordinates) are converted to float64 by the reader while it splits
    the bytes, on its threads, an empty value becoming null: checking them as text was
    a copy and three passes over every row. A value that is not a plain number fails
    that conversion, and the file is read again with every column as text.
    """
    include = include if include is not None else columns
    types = {c: pa.float64() if c in numbers else pa.string() for c in include}

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
                column_types=types,
                include_columns=include,
                # text is never null; an empty number is (quoted or not: police.uk
                # quotes every field)
                strings_can_be_null=False,
                null_values=[""],
                quoted_strings_can_be_null=bool(numbers),
                check_utf8=True,
            ),
        )
        return table, invalid

    try:
        # A file of one block (police.uk's are 1-3 MB) is parsed by one thread however
        # many it is offered: the pool's hand-offs are only overhead, the loader's own
        # threads read files side by side, and single-threaded pyarrow numbers bad rows
        # itself, so they need no second pass.
        table, invalid = run(len(data) > BLOCK_SIZE)
        if invalid and any(num is None for num, _ in invalid):
            table, invalid = run(False)
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if numbers:  # a coordinate that is not a plain number: read it as text
            return _parse_csv(
                data, columns, delim, include, name, lenient=lenient, encoding=encoding
            )
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
