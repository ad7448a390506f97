"""The Parquet reader: typed columns as they are; GeoParquet goes to the GIS reader."""

from __future__ import annotations

import io

import numpy as np

from crimedash.errors import InputError
from crimedash.load.gis import read_gis
from crimedash.load.mapping import ColumnMapping, Resolver
from crimedash.load.sources import Source
from crimedash.load.table import Column, Table

__all__ = ["read_parquet"]


def read_parquet(source: Source, data: bytes, resolve: Resolver) -> tuple[Table, ColumnMapping]:
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
        return read_gis(source, data, resolve)
    table = pf.read()
    if not table.num_rows:
        raise InputError("the file has no rows", file=source.name, hint="pick another file")
    columns = table.column_names
    mapping, include = resolve(list(columns), table.slice(0, 200).to_pandas(), False)
    arrays: dict[str, Column] = {c: table.column(c) for c in include}
    n = table.num_rows
    return Table(list(columns), arrays, np.arange(1, n + 1), n, fmt="parquet"), mapping
