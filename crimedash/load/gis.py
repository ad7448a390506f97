"""The GIS reader: GeoJSON, GeoPackage, zipped shapefiles and GeoParquet, via GDAL.

A GIS file's own geometry is its location unless the user maps coordinate columns;
geometries are reprojected to WGS84 (a file with no CRS is read as degrees or British
National Grid from its numbers) and reduced to one point per feature, with a problem
code for features that have none or are not points.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crimedash import schema
from crimedash.errors import InputError
from crimedash.load.locations import (
    BNG_EASTING,
    BNG_NORTHING,
    GEOM_MISSING,
    GEOM_NOT_POINT,
    GEOM_OK,
)
from crimedash.load.mapping import ColumnMapping, Resolver
from crimedash.load.sources import Source
from crimedash.load.table import Table

__all__ = ["read_geodataframe", "read_gis", "repair_polygons", "to_wgs84"]


def read_geodataframe(source: Source, data: bytes) -> Any:
    """The file's features as a GeoDataFrame; a file GDAL cannot read, or one with no
    features at all, is refused (for incidents, households and areas alike)."""
    import geopandas as gpd
    import pyogrio

    try:
        if data[:4] == b"PAR1":
            gdf = gpd.read_parquet(io.BytesIO(data))
        else:
            with warnings.catch_warnings():
                # GDAL notes that in-memory bytes have no .gpkg extension; harmless.
                warnings.filterwarnings("ignore", "File /vsimem/", RuntimeWarning)
                gdf = pyogrio.read_dataframe(io.BytesIO(data))
    except Exception as exc:  # GDAL's messages are the clearest we have
        raise InputError(
            f"cannot be read as a geographic file ({str(exc).splitlines()[0]})",
            file=source.name,
            hint="check the file opens in QGIS; export it again as GeoJSON or GeoPackage",
        ) from exc
    if not len(gdf):
        raise InputError("the file has no features", file=source.name, hint="pick another file")
    return gdf


def to_wgs84(gdf: Any, name: str, findings: list[str] | None = None) -> Any:
    """Reproject to WGS84, trusting the numbers over the label when they disagree.

    A file with no CRS, or one that says degrees (GeoJSON always does: its standard
    says CRS84, so GDAL labels every GeoJSON so), is read as degrees only if its
    coordinates fit degrees. Coordinates that fit British National Grid metres (how many
    councils export GeoJSON) are read as EPSG:27700 and reprojected, with a finding
    appended to `findings`; coordinates that fit neither are refused with what was seen.
    Reading metres as degrees would put every area off the globe and score 0.
    """
    crs = gdf.crs
    if crs is not None and not crs.is_geographic:
        return gdf.to_crs(schema.WGS84)
    xmin, ymin, xmax, ymax = gdf.total_bounds if len(gdf) else (0, 0, 0, 0)
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():  # no geometry at all
        xmin = ymin = xmax = ymax = 0.0
    label = f"declares {crs.name}" if crs is not None else "names no coordinate system"
    if max(abs(xmin), abs(xmax)) <= 180 and max(abs(ymin), abs(ymax)) <= 90:
        if crs is None:
            return gdf.set_crs(schema.WGS84)
        if crs.to_epsg() == 4326 or crs.equals("OGC:CRS84"):
            return gdf
        return gdf.to_crs(schema.WGS84)
    seen = f"x from {xmin:,.0f} to {xmax:,.0f}, y from {ymin:,.0f} to {ymax:,.0f}"
    if xmin >= 0 and ymin >= 0 and xmax <= BNG_EASTING[1] and ymax <= BNG_NORTHING[1]:
        if findings is not None:
            findings.append(
                f"coordinates are British National Grid metres ({seen}) although the file "
                f"{label}; read as EPSG:27700 and reprojected to WGS84"
            )
        return gdf.set_crs(schema.BRITISH_NATIONAL_GRID, allow_override=True).to_crs(schema.WGS84)
    raise InputError(
        f"the coordinates ({seen}) are neither degrees nor British National Grid metres, "
        f"and the file {label}",
        file=name,
        hint="save it with its coordinate reference system (e.g. EPSG:27700 or EPSG:4326)",
    )


def repair_polygons(geoms: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Invalid polygons (self-intersecting, bow-ties) repaired with `make_valid`.

    Returns the geometries, the indices repaired and the indices that cannot be
    repaired into a polygon (nothing polygonal is left). A map must never publish an
    invalid geometry: viewers draw it wrongly and containment tests give wrong answers.
    """
    import shapely

    arr = np.asarray(geoms.array if hasattr(geoms, "array") else geoms, dtype=object).copy()
    present = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    invalid = np.flatnonzero(present & ~shapely.is_valid(arr))
    failed: list[int] = []
    for i in invalid:  # few: a Python loop over the broken ones only
        fixed = shapely.make_valid(arr[i])
        parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
        polygon = shapely.union_all(parts) if parts else None
        if polygon is None or polygon.is_empty or not polygon.is_valid:
            failed.append(int(i))
        else:
            arr[i] = polygon
    repaired = np.setdiff1d(invalid, failed)
    return arr, repaired, np.array(failed, dtype=np.int64)


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


def read_gis(source: Source, data: bytes, resolve: Resolver) -> tuple[Table, ColumnMapping]:
    gdf = read_geodataframe(source, data)
    name = source.name
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    columns = [str(c) for c in attrs.columns]
    mapping, include = resolve(columns, attrs.head(200), True)
    geometry = None
    findings: list[str] = []
    if not (mapping.has_lonlat or mapping.has_grid):
        gdf = to_wgs84(gdf, name, findings)
        geometry = _point_coordinates(gdf.geometry)
    arrays = _arrow_columns(attrs[include])
    n = len(gdf)
    return (
        Table(
            columns, arrays, np.arange(1, n + 1), n, geometry=geometry, fmt="geo", findings=findings
        ),
        mapping,
    )


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
    problem = np.where(missing, GEOM_MISSING, np.where(is_point, GEOM_OK, GEOM_NOT_POINT))
    ok = problem == GEOM_OK
    lon = np.full(len(arr), np.nan)
    lat = np.full(len(arr), np.nan)
    lon[ok] = shapely.get_x(points[ok])
    lat[ok] = shapely.get_y(points[ok])
    return lon, lat, problem
