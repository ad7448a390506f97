"""A parsed table before validation, and the rejected-rows frame every stage adds to.

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
    "WHOLE_ROW",
    "Column",
    "Rejector",
    "Table",
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
    rejected: list[pd.DataFrame] = field(default_factory=list)
    geometry: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # lon, lat, problem
    encoding: str | None = None
    fmt: str = "csv"
    # What the reader noticed and did that a person should know (e.g. mixed encodings).
    findings: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.rows)


def _clip(values: Any) -> list[str]:
    """Rejected values as text of at most MAX_VALUE_CHARS characters."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return pc.utf8_slice_codeunits(as_text(values), 0, MAX_VALUE_CHARS).to_pylist()
    return [str(v)[:MAX_VALUE_CHARS] for v in values]


def _frame(file: list[str], rows: Any, column: list[str], values: list[str], reason: list[str]):
    """A REJECTED_COLUMNS frame from whole columns (one conversion per column)."""
    return pd.DataFrame(
        {
            schema.REJ_FILE: pd.array(file, dtype="str"),
            schema.REJ_ROW: np.asarray(rows, dtype="int64"),
            schema.REJ_COLUMN: pd.array(column, dtype="str"),
            schema.REJ_VALUE: pd.array(values, dtype="str"),
            schema.REJ_REASON: pd.array(reason, dtype="str"),
        }
    )


def rejections(
    file: str, rows: np.ndarray, column: str | Sequence[str], values: Any, reason: str
) -> pd.DataFrame:
    """A REJECTED_COLUMNS frame; values are truncated to MAX_VALUE_CHARS."""
    n = len(rows)
    columns = [column] * n if isinstance(column, str) else list(column)
    return _frame([file] * n, rows, columns, _clip(values), [reason] * n)


def empty_rejected() -> pd.DataFrame:
    return rejections("", np.array([], dtype="int64"), "", [], "")


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
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
    encoded = pc.dictionary_encode(text)
    return encoded.dictionary, encoded.indices


def repeat(value: str, n: int) -> pa.Array:
    """A string array of one value n times, without a Python list of n items."""
    return pa.array([value], pa.string()).take(np.zeros(n, dtype=np.int32))


def sorted_rejections(rejected: list[pd.DataFrame]) -> pd.DataFrame:
    """One file's rejections in row order."""
    if not rejected:
        return empty_rejected()
    out = pd.concat(rejected, ignore_index=True)
    return out.sort_values(schema.REJ_ROW, kind="stable", ignore_index=True)


class Rejector:
    """One file's rejections: at most one per row, and the first problem found wins.

    Every validator (incident locations and dates, household locations and counts)
    rejects through one of these, so "kept + rejected == read" is kept in one place
    rather than by each caller filtering out rows an earlier check already rejected.
    """

    def __init__(self, name: str, rows: np.ndarray, rejected: Sequence[pd.DataFrame] = ()) -> None:
        self.name = name
        self.rows = rows  # 1-based source row of each record
        self.failed = np.zeros(len(rows), dtype=bool)
        self._frames = [f for f in rejected if len(f)]
        # This file's own rejections, kept as plain columns and made into one frame at
        # the end: a pandas frame per check was most of the cost of a clean file.
        self._rows: list[np.ndarray] = []
        self._columns: list[str] = []
        self._values: list[str] = []
        self._reasons: list[str] = []

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
        self._columns += [column] * len(idx)
        self._values += _clip(vals)
        self._reasons += [reason] * len(idx)
        self.failed |= new

    @property
    def kept(self) -> np.ndarray:
        return ~self.failed

    def frame(self) -> pd.DataFrame:
        """Every rejection so far, in row order (REJECTED_COLUMNS)."""
        frames = list(self._frames)
        if self._rows:
            rows = np.concatenate(self._rows)
            n = len(rows)
            frames.append(_frame([self.name] * n, rows, self._columns, self._values, self._reasons))
        return sorted_rejections(frames)
