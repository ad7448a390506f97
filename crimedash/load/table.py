"""A parsed table before validation, and the rejected rows every stage adds to.

Readers produce a `Table` (columns as pyarrow arrays plus the source row of each
record); validators turn row problems into `REJECTED_COLUMNS` rows through `Rejector`,
so every stage counts what it drops in the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimedash import schema

__all__ = [
    "MAX_VALUE_CHARS",
    "REJECTED_SCHEMA",
    "WHOLE_ROW",
    "Column",
    "Rejector",
    "Table",
    "as_frame",
    "as_text",
    "distinct",
    "empty_rejected",
    "rejections",
    "repeat",
    "sorted_rejections",
]


# Rejected values are kept to this many characters so a 5 MB line stays readable.
MAX_VALUE_CHARS = 200
WHOLE_ROW = ""  # the `column` of a rejection that concerns the row, not one field


@dataclass
class Table:
    """Columns as pyarrow arrays (strings from CSV; typed from Parquet/GeoJSON)."""

    columns: list[str]  # every column of the source, for mapping and messages
    arrays: dict[str, pa.Array]  # the columns that were read
    rows: np.ndarray  # 1-based source row of each record
    rows_read: int  # records in the source, including those rejected while reading
    rejected: list[pa.Table] = field(default_factory=list)  # REJECTED_SCHEMA
    geometry: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # lon, lat, problem
    encoding: str | None = None
    fmt: str = "csv"
    # What the reader noticed and did that a person should know (e.g. mixed encodings).
    findings: list[str] = field(default_factory=list)
    # Columns the reader converted to float64 and found finite and in range wherever a
    # value was written (null where none was): their checks need no second look.
    plain_numbers: frozenset[str] = frozenset()

    @property
    def n(self) -> int:
        return len(self.rows)


# The rejected rows as Arrow, until a caller wants them as a frame (`as_frame`): a
# pandas frame per file (and its sort) was a tenth of loading police.uk's files.
REJECTED_SCHEMA = pa.schema(
    [
        (schema.REJ_FILE, pa.string()),
        (schema.REJ_ROW, pa.int64()),
        (schema.REJ_COLUMN, pa.string()),
        (schema.REJ_VALUE, pa.string()),
        (schema.REJ_REASON, pa.string()),
    ]
)


def _clip(values: Any) -> pa.Array:
    """Rejected values as text of at most MAX_VALUE_CHARS characters."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        text = pc.utf8_slice_codeunits(as_text(values), 0, MAX_VALUE_CHARS)
        return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    return pa.array([str(v)[:MAX_VALUE_CHARS] for v in values], pa.string())


def _rejected_table(
    file: str, rows: Any, column: pa.Array, values: pa.Array, reason: pa.Array
) -> pa.Table:
    """A REJECTED_SCHEMA table from whole columns."""
    rows = np.asarray(rows, dtype="int64")
    return pa.Table.from_arrays(
        [repeat(file, len(rows)), pa.array(rows, pa.int64()), column, values, reason],
        schema=REJECTED_SCHEMA,
    )


def rejections(
    file: str, rows: np.ndarray, column: str | Sequence[str], values: Any, reason: str
) -> pa.Table:
    """A REJECTED_SCHEMA table; values are truncated to MAX_VALUE_CHARS."""
    n = len(rows)
    columns = repeat(column, n) if isinstance(column, str) else pa.array(column, pa.string())
    return _rejected_table(file, rows, columns, _clip(values), repeat(reason, n))


def empty_rejected() -> pa.Table:
    return REJECTED_SCHEMA.empty_table()


def as_frame(rejected: pa.Table) -> pd.DataFrame:
    """Rejected rows as the REJECTED_COLUMNS frame a LoadResult carries."""
    return rejected.to_pandas()


Column = pa.Array | pa.ChunkedArray  # pyarrow's CSV reader returns one chunk per block


def as_text(arr: Column) -> Column:
    """Any column as strings, nulls as '' (no copy when it already is)."""
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return pc.fill_null(arr, "") if arr.null_count else arr


def distinct(text: Column) -> tuple[pa.Array, pa.Array]:
    """The distinct values of a column (in order of first appearance) and, per row,
    the position of its value among them: `pc.unique` then `pc.index_in` hash every
    row twice; dictionary-encoding does it once."""
    if isinstance(text, pa.ChunkedArray) and text.num_chunks > 1:
        # Arrow encodes the chunks with one hash table and gives every chunk the whole
        # dictionary: no copy of the strings (combine_chunks) for several files' rows.
        encoded = pc.dictionary_encode(text)
        if encoded.num_chunks:  # none when every chunk was empty
            codes = pa.concat_arrays([chunk.indices for chunk in encoded.chunks])
            return encoded.chunk(0).dictionary, codes
    if isinstance(text, pa.ChunkedArray):
        text = text.chunk(0) if text.num_chunks == 1 else text.combine_chunks()
    encoded = pc.dictionary_encode(text)
    return encoded.dictionary, encoded.indices


def repeat(value: str, n: int) -> pa.Array:
    """A string array of one value n times, without a Python list of n items.

    Built from its buffers (the value's bytes tiled, evenly spaced offsets): a `take`
    of a one-value array did the same through Arrow's general gather, and a national
    load repeats each file's name on every row (2M names of ~40 bytes)."""
    raw = np.frombuffer(value.encode("utf-8"), dtype=np.uint8)
    if n * len(raw) >= _MAX_STRING_BYTES:  # past 32-bit offsets: Arrow says what it does
        return pa.array([value], pa.string()).take(np.zeros(n, dtype=np.int32))
    offsets = np.arange(n + 1, dtype=np.int32) * np.int32(len(raw))
    data = np.tile(raw, n)
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)], null_count=0
    )


# The bytes a `pa.string()` array can hold (its offsets are 32-bit).
_MAX_STRING_BYTES = 2**31 - 1


def sorted_rejections(rejected: Sequence[pa.Table]) -> pa.Table:
    """One file's rejections in row order (a stable sort: one row's stay in order)."""
    parts = [t for t in rejected if t.num_rows]
    if not parts:
        return empty_rejected()
    out = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    rows = out.column(schema.REJ_ROW).to_numpy()
    if len(rows) > 1 and (np.diff(rows) < 0).any():
        out = out.take(pa.array(np.argsort(rows, kind="stable")))
    return out.combine_chunks()


class Rejector:
    """One file's rejections: at most one per row, and the first problem found wins.

    Every validator (incident locations and dates, household locations and counts)
    rejects through one of these, so "kept + rejected == read" is kept in one place
    rather than by each caller filtering out rows an earlier check already rejected.
    """

    def __init__(self, name: str, rows: np.ndarray, rejected: Sequence[pa.Table] = ()) -> None:
        self.name = name
        self.rows = rows  # 1-based source row of each record
        self.failed = np.zeros(len(rows), dtype=bool)
        self._tables = [t for t in rejected if t.num_rows]
        # This file's own rejections, kept as columns and made into one table at the end.
        self._rows: list[np.ndarray] = []
        self._columns: list[pa.Array] = []
        self._values: list[pa.Array] = []
        self._reasons: list[pa.Array] = []

    def reject(self, mask: np.ndarray, column: str, values: Any, reason: str) -> None:
        """Reject the rows in `mask` not already rejected, quoting their `values`."""
        new = mask & ~self.failed
        if not new.any():
            return
        idx = np.flatnonzero(new)
        if isinstance(values, pa.Array | pa.ChunkedArray):
            vals: Any = values.take(pa.array(idx))
        else:
            vals = np.asarray(values, dtype=object)[idx]
        self._rows.append(self.rows[idx])
        self._columns.append(repeat(column, len(idx)))
        self._values.append(_clip(vals))
        self._reasons.append(repeat(reason, len(idx)))
        self.failed |= new

    @property
    def kept(self) -> np.ndarray:
        return ~self.failed

    def table(self) -> pa.Table:
        """Every rejection so far, in row order (REJECTED_SCHEMA)."""
        tables = list(self._tables)
        if self._rows:
            tables.append(
                _rejected_table(
                    self.name,
                    np.concatenate(self._rows),
                    pa.concat_arrays(self._columns),
                    pa.concat_arrays(self._values),
                    pa.concat_arrays(self._reasons),
                )
            )
        return sorted_rejections(tables)

    def frame(self) -> pd.DataFrame:
        """Every rejection so far, in row order (REJECTED_COLUMNS)."""
        return as_frame(self.table())
