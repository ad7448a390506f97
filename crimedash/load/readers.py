"""The reader registry: one small table from a sniffed format to the reader for it.

Formats share every stage but this one, so a new format is one reader (bytes and a
`Resolver` in, a `Table` and the mapping used out) and one line here.
"""

from __future__ import annotations

from collections.abc import Callable

from crimedash.load.delimited import read_delimited
from crimedash.load.gis import read_gis
from crimedash.load.mapping import ColumnMapping, Resolver
from crimedash.load.parquet import read_parquet
from crimedash.load.sources import Source
from crimedash.load.table import Table

__all__ = ["READERS", "Reader", "read_table"]

Reader = Callable[[Source, bytes, Resolver], tuple[Table, ColumnMapping]]

# Keyed by what `sniff.detect_format` names a file.
READERS: dict[str, Reader] = {
    "csv": read_delimited,
    "geo": read_gis,
    "parquet": read_parquet,
}


def read_table(
    fmt: str, source: Source, data: bytes, resolve: Resolver
) -> tuple[Table, ColumnMapping]:
    """Read one source with the reader its sniffed format names."""
    return READERS[fmt](source, data, resolve)
