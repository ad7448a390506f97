"""Validation: a parsed table becomes canonical incidents plus rejected rows.

Every check runs over whole columns; a row gets one rejection, for the first problem
found (location before date), so `kept + rejected == read` holds per file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimedash import categories, schema
from crimedash.load.gis import GEOM_MISSING, GEOM_NOT_POINT
from crimedash.load.location_types import infer_location_type, unrecognised_counts
from crimedash.load.locations import BNG_EASTING, BNG_NORTHING, grid_to_wgs84
from crimedash.load.mapping import ColumnMapping
from crimedash.load.parse import parse_dates, parse_numbers, precision_of
from crimedash.load.table import Column, Table, as_text, rejections, repeat, sorted_rejections
from crimedash.schema import LocationType, TimePrecision

__all__ = ["UNKNOWN_CATEGORY", "Part", "validate_incidents"]


# A row with no category at all is kept under this value (and counted in the summary).
UNKNOWN_CATEGORY = "unknown"


@dataclass
class Part:
    incidents: pa.Table
    rejected: pd.DataFrame
    precision: TimePrecision | None
    unrecognised_location: dict[str, int]
    rows_read: int


def validate_incidents(table: Table, mapping: ColumnMapping, name: str, id_prefix: str) -> Part:
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
            rejected.append(rejections(name, table.rows[idx], column, vals, reason))
            first_fail[new] = True

    # --- location ------------------------------------------------------------------
    if table.geometry is not None:
        lon, lat, problem = table.geometry
        geo = schema.GEOMETRY
        reject(problem == GEOM_MISSING, geo, pa.nulls(n, pa.string()), schema.REASON_NO_LOCATION)
        reject(problem == GEOM_NOT_POINT, geo, pa.nulls(n, pa.string()), schema.REASON_NOT_A_POINT)
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
            xlim, ylim = BNG_EASTING, BNG_NORTHING
        assert xcol is not None and ycol is not None
        xs, ys = parse_numbers(table.arrays[xcol]), parse_numbers(table.arrays[ycol])
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
            lon, lat = grid_to_wgs84(lon, lat, ~first_fail)

    # --- date ----------------------------------------------------------------------
    assert mapping.occurred_at is not None
    date_raw = table.arrays[mapping.occurred_at]
    dates = parse_dates(date_raw)
    reject(dates.empty, mapping.occurred_at, date_raw, schema.REASON_MISSING_DATE)
    reject(dates.bad, mapping.occurred_at, date_raw, schema.REASON_BAD_DATE)

    # --- kept rows -----------------------------------------------------------------
    kept = ~first_fail
    keep = pa.array(kept)
    rows = table.rows[kept]
    k = int(kept.sum())

    def kept_text(col: str | None) -> Column | None:
        return None if col is None else as_text(table.arrays[col]).filter(keep)

    if mapping.category is not None:
        category = _map_unique(kept_text(mapping.category), _category_of)
    else:
        category = repeat(UNKNOWN_CATEGORY, k)

    unrecognised_location: dict[str, int] = {}
    if mapping.location_type is not None:
        loc_text = kept_text(mapping.location_type)
        assert loc_text is not None
        location_type = _map_unique(loc_text, lambda t: infer_location_type(t)[0].value)
        unrecognised_location = unrecognised_counts(loc_text)
    else:
        location_type = repeat(LocationType.UNKNOWN.value, k)

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
            schema.SOURCE_FILE: repeat(name, k),
            schema.SOURCE_ROW: pa.array(rows, pa.int64()),
        }
    )
    rej = sorted_rejections(rejected)
    return Part(incidents, rej, precision_of(dates, kept), unrecognised_location, table.rows_read)


def _category_of(text: str) -> str:
    if not text.strip():
        return UNKNOWN_CATEGORY
    return categories.canonical_category(text)[0]


def _map_unique(text: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    """Apply fn to each distinct value once (a column has few distinct values)."""
    uniques = pc.unique(text)
    mapped = pa.array([fn(v) for v in uniques.to_pylist()], pa.string())
    return mapped.take(pc.index_in(text, value_set=uniques))
