"""The CSV reader: police.uk downloads, force extracts, anything saved as CSV or TSV.

The hot path for the common case. pyarrow splits the bytes into string columns (only
the mapped ones are converted); rows it cannot split, and physical lines too long to be
a record, are rejected with their row numbers rather than failing the whole file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from crimedash import schema
from crimedash.errors import InputError
from crimedash.load.mapping import ColumnMapping, Resolver
from crimedash.load.sniff import UTF8_BOM
from crimedash.load.sources import Source
from crimedash.load.table import MAX_VALUE_CHARS, WHOLE_ROW, Column, Table, rejections

__all__ = ["BLOCK_SIZE", "MAX_LINE_BYTES", "read_delimited"]


# One physical line longer than this is rejected before parsing ("line too long"): no
# incident record is anywhere near it, and pyarrow cannot split a row larger than a block.
MAX_LINE_BYTES = 1 << 20
# pyarrow parses in blocks of this size; it must exceed MAX_LINE_BYTES.
BLOCK_SIZE = 4 << 20
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


def read_delimited(source: Source, data: bytes, resolve: Resolver) -> tuple[Table, ColumnMapping]:
    """Parse delimited text into string columns, rejecting rows that cannot be split.

    `resolve(columns, sample, False)` decides the mapping once the header and a sample of rows
    are known, and names the columns to read (the others are never converted).
    """
    name = source.name
    encoding = "utf-8"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = data.decode("utf-16").encode("utf-8")
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
    mapping, include = resolve(columns, sample, False)

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
            rejections(name, bad_lines, WHOLE_ROW, [t for _, t in invalid], schema.REASON_MALFORMED)
        )

    arrays: dict[str, Column] = {c: table.column(c) for c in include}
    if long_values:
        hit = pc.equal(arrays[include[0]], _LONG_LINE_SENTINEL).to_numpy(zero_copy_only=False)
        rejected.append(
            rejections(
                name,
                rows[hit],
                WHOLE_ROW,
                long_values[: int(hit.sum())],
                schema.REASON_LINE_TOO_LONG,
            )
        )
        keep = pa.array(~hit)
        arrays = {c: a.filter(keep) for c, a in arrays.items()}
        rows = rows[~hit]
    table_out = Table(columns, arrays, rows, n + len(invalid), rejected, encoding=encoding)
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
