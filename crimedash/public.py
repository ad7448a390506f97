"""The public files' contents: a units layer with each shape once, and tables of counts
keyed by unit, window and group, laid out for the tools people open them in.

- `units.geojson` / `units.parquet`: one feature per unit that has a published count
  (id, and for H3 designs `h3_id`), WGS84, written by the one GeoJSON writer
  (`crimedash.geojson`) and as GeoParquet 1.1. A shape is never repeated per window or
  group, so a large-polygon areas layer stays the size of its outlines.
- `counts.csv` / `counts.parquet`: unit, window_start, window_end (ISO dates,
  inclusive), group, count, count_label; categories only.
- `totals.csv` / `totals.parquet`: the 'All crime' total per unit and window, apart from
  the categories, so summing `count` in either table never counts a crime twice.

For H3 designs every table carries `h3_id` (the name kepler.gl recognises as an H3
column), so the counts can be mapped without the shapes. GDAL 3.6 cannot read Parquet,
so the CSV and GeoJSON files are complete on their own.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from crimedash import __version__
from crimedash import schema as S
from crimedash.atoms import TOTAL_GROUP
from crimedash.cells import round_published
from crimedash.geojson import feature_collection
from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.windows import window_bounds, window_label

__all__ = [
    "COUNTS_CSV",
    "COUNTS_PARQUET",
    "FILE_WORDS",
    "REFERENCES_CSV",
    "TOTALS_CSV",
    "TOTALS_PARQUET",
    "UNITS_GEOJSON",
    "UNITS_PARQUET",
    "PublicTables",
    "column_words",
    "geoparquet_bytes",
    "parquet_bytes",
    "public_tables",
    "units_geojson",
]

UNITS_GEOJSON = "units.geojson"
UNITS_PARQUET = "units.parquet"
COUNTS_CSV = "counts.csv"
COUNTS_PARQUET = "counts.parquet"
TOTALS_CSV = "totals.csv"
TOTALS_PARQUET = "totals.parquet"
REFERENCES_CSV = "references.csv"


@dataclass(frozen=True)
class PublicTables:
    """What a design publishes, shaped as the public files hold it."""

    units: pd.DataFrame  # unit (, h3_id): one row per unit with a published count
    shapes: np.ndarray  # the units' published shapes, row for row
    counts: pd.DataFrame  # unit (, h3_id), window_start, window_end, group, count, label
    totals: pd.DataFrame | None  # the same without group, or None without totals
    references: pd.DataFrame | None  # unit (, h3_id), window_start, window_end, group, ref


def public_tables(index: Index, layer: PublicLayer) -> PublicTables:
    """The public layer as a units layer and count tables, in a fixed order (unit,
    window, group), so the same layer always gives the same bytes."""
    is_h3 = layer.units.granularity.kind == "h3"
    uniq, inv = np.unique(layer.cell_unit, return_inverse=True)
    labels = np.array(layer.units.labels(index, uniq), dtype=object)
    order = np.argsort(labels, kind="stable")
    units = pd.DataFrame({S.UNIT: labels[order].astype(str)})
    if is_h3:
        units[S.H3_ID] = units[S.UNIT]
    shapes = layer.units.geometries(index, uniq[order]) if len(uniq) else np.empty(0, object)
    shapes = np.asarray(shapes, dtype=object)

    bounds = {w: window_bounds(layer.display_level, w) for w in layer.windows()}
    wins = layer.cell_window.tolist()
    cells = pd.DataFrame(
        {
            S.UNIT: labels[inv].astype(str) if len(inv) else np.empty(0, dtype=str),
            S.WINDOW_START: [bounds[w][0] for w in wins],
            S.WINDOW_END: [bounds[w][1] for w in wins],
            S.GROUP: np.array((*layer.grouping.groups, TOTAL_GROUP), dtype=object)[layer.cell_group]
            if len(layer.cell_group)
            else np.empty(0, dtype=object),
            S.SHOWN: layer.cell_shown.astype(np.int64),
            S.SHOWN_LABEL: np.asarray(layer.cell_label, dtype=object).astype(str),
        }
    )
    if is_h3:
        cells.insert(1, S.H3_ID, cells[S.UNIT])
    cells = cells.sort_values([S.UNIT, S.WINDOW_START, S.GROUP], kind="stable", ignore_index=True)
    total_rows = _total_rows(layer, cells)
    counts = cells[~total_rows].reset_index(drop=True)
    totals = None
    if layer.design.totals and len(layer.grouping.groups) > 1:
        totals = cells[total_rows].drop(columns=[S.GROUP]).reset_index(drop=True)

    references = None
    if layer.references is not None:
        by_label = {window_label(layer.display_level, w): b for w, b in bounds.items()}
        refs = layer.references
        references = pd.DataFrame(
            {
                S.UNIT: refs[S.UNIT].astype(str),
                S.WINDOW_START: [by_label[w][0] for w in refs[S.WINDOW]],
                S.WINDOW_END: [by_label[w][1] for w in refs[S.WINDOW]],
                S.GROUP: refs[S.GROUP].astype(str),
                S.REFERENCE: refs[S.REFERENCE].astype(str),
            }
        )
        if is_h3:
            references.insert(1, S.H3_ID, references[S.UNIT])
        references = references.sort_values(
            list(references.columns), kind="stable", ignore_index=True
        )
    return PublicTables(units, shapes, counts, totals, references)


def _total_rows(layer: PublicLayer, cells: pd.DataFrame) -> np.ndarray:
    """Rows that are 'All crime' totals. A design may also name a group 'All crime';
    a total is the row of that name only when the design publishes totals."""
    with_totals = layer.design.totals and len(layer.grouping.groups) > 1
    if not with_totals:
        return np.zeros(len(cells), dtype=bool)
    if TOTAL_GROUP not in layer.grouping.groups:
        return (cells[S.GROUP] == TOTAL_GROUP).to_numpy()
    # a group called 'All crime' as well as the total: totals sort last in each family
    family = cells[S.UNIT] + "\x1f" + cells[S.WINDOW_START]
    last = ~family.duplicated(keep="last")
    return ((cells[S.GROUP] == TOTAL_GROUP) & last).to_numpy()


def units_geojson(tables: PublicTables) -> bytes:
    """The units layer as RFC 7946 GeoJSON."""
    return feature_collection(tables.units.to_dict(orient="records"), tables.shapes)


def geoparquet_bytes(frame: pd.DataFrame, geoms: np.ndarray) -> bytes:
    """GeoParquet 1.1 with WKB geometry. Written with pyarrow directly so the file holds
    only what we put there: no pandas metadata, no library versions but ours, and a
    fixed 'geo' block (no CRS given means OGC:CRS84, i.e. WGS84 longitude/latitude)."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms):
        geoms = shapely.orient_polygons(shapely.transform(geoms, round_published))
    wkb = shapely.to_wkb(geoms, byte_order=1, output_dimension=2) if len(geoms) else []
    columns = _arrow_columns(frame)
    columns[S.GEOMETRY] = pa.array(list(wkb), type=pa.binary())
    types = sorted({shapely.get_type_id(g) for g in geoms}) if len(geoms) else []
    names = {3: "Polygon", 6: "MultiPolygon"}
    bounds = shapely.total_bounds(geoms) if len(geoms) else None
    geo = {
        "version": "1.1.0",
        "primary_column": S.GEOMETRY,
        "columns": {
            S.GEOMETRY: {
                "encoding": "WKB",
                "geometry_types": [names.get(t, "Unknown") for t in types],
                **(
                    {"bbox": [float(b) for b in round_published(np.asarray(bounds))]}
                    if bounds is not None and np.isfinite(bounds).all()
                    else {}
                ),
            }
        },
        "creator": {"library": "crimedash", "version": __version__},
    }
    meta = {b"geo": json.dumps(geo, sort_keys=True, separators=(",", ":")).encode()}
    return _parquet(pa.table(columns).replace_schema_metadata(meta))


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A table as plain Parquet (no pandas metadata, so the bytes depend on the data only)."""
    return _parquet(pa.table(_arrow_columns(frame)))


def _arrow_columns(frame: pd.DataFrame) -> dict[str, pa.Array]:
    return {
        c: pa.array(
            frame[c].tolist(),
            type=pa.int64() if pd.api.types.is_integer_dtype(frame[c]) else pa.string(),
        )
        for c in frame.columns
    }


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(
        table,
        buf,
        compression="zstd",
        compression_level=9,
        use_dictionary=True,
        write_statistics=True,
    )
    return buf.getvalue()


FILE_WORDS = {
    UNITS_GEOJSON: "the map's units (one shape each) as GeoJSON, WGS84 longitude/latitude: "
    "opens as it is in QGIS, GDAL/ogr2ogr, geopandas, DuckDB and kepler.gl",
    UNITS_PARQUET: "the same units as GeoParquet",
    COUNTS_CSV: "counts by unit, period and type of crime; join to the units on 'unit'",
    COUNTS_PARQUET: "the same counts as Parquet",
    TOTALS_CSV: f"'{TOTAL_GROUP}' totals by unit and period, kept apart from the types "
    "of crime so that adding up 'count' never counts a crime twice",
    TOTALS_PARQUET: "the same totals as Parquet",
    REFERENCES_CSV: "the reference numbers shown, by unit, period and type",
}


def column_words(kind: str, id_words: str, base_resolution: int | None) -> list[str]:
    """Every public column, explained (the README's 'Columns' section)."""
    unit = f"- {S.UNIT}: the unit's id ({id_words})"
    lines = [unit]
    if kind == "h3":
        lines.append(
            f"- {S.H3_ID}: the same H3 cell id, under the name kepler.gl recognises, so "
            f"the counts can be mapped as hexagons without the shapes"
        )
    if kind == "adaptive":
        lines.append(
            f"  Each adaptive unit is drawn as the union of the H3 resolution "
            f"{base_resolution} cells it is made of: a unit named by one H3 cell covers "
            f"that cell's resolution-{base_resolution} descendants; a unit named "
            f"'<cell>:<digits>' covers the children of that cell whose H3 digit is listed "
            f"(for example ':0356' is children 0, 3, 5 and 6)."
        )
    lines += [
        f"- {S.WINDOW_START}, {S.WINDOW_END}: the first and last day of the period the "
        f"count covers (both included; ISO 8601, YYYY-MM-DD)",
        f"- {S.GROUP}: the type of crime (in {COUNTS_CSV} and {REFERENCES_CSV} only)",
        f"- {S.SHOWN}: the count shown (for a band, its lowest value)",
        f"- {S.SHOWN_LABEL}: the count as shown on the map (a band in words, or the number)",
        f"- {S.REFERENCE}: a crime's reference as the design allows it ({REFERENCES_CSV})",
        f"- {S.GEOMETRY}: the unit's outline (GeoJSON and GeoParquet only): WGS84 "
        f"longitude/latitude to 6 decimal places, outer rings anticlockwise (RFC 7946)",
    ]
    return lines
