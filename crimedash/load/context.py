"""Context layers: households (address points or counted polygons) and areas.

They share the incident loader's sources, sniffing, readers and parsers; what differs
is the rule for a bad row. A household with a bad location or count is rejected and
listed (nothing dropped unseen); an area is a unit the map publishes, so a bad one
refuses the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crimedash import schema
from crimedash.errors import ColumnMappingError, InputError
from crimedash.load.delimited import read_delimited
from crimedash.load.gis import read_geodataframe, repair_polygons, to_wgs84
from crimedash.load.locations import check_coordinates
from crimedash.load.mapping import LOCATION_FIELDS, ColumnMapping, find_column, guess_mapping
from crimedash.load.parse import parse_numbers
from crimedash.load.plausible import check_household_total, swap_if_axes_swapped
from crimedash.load.sniff import detect_format
from crimedash.load.sources import PathOrUpload, Source, single_source
from crimedash.load.table import Column, Rejector

__all__ = ["MAX_AREA_COUNTS", "MAX_HOUSEHOLDS_PER_FEATURE", "load_areas", "load_households"]


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


_HOUSEHOLD_NAMES = _names(
    "households|household count|households count|hh|dwellings|addresses|address count|count"
)
_RESIDENT_NAMES = _names("residents|population|usual residents|persons|people")
_NAME_MAX = 80  # characters of a place name kept for a map label
_AREA_CODE_NAMES = _names(
    "code|area code|areacode|oa21cd|oa11cd|lsoa21cd|lsoa11cd|msoa21cd|msoa11cd|ward code"
    "|wd22cd|wd23cd|lad22cd|lad23cd|geo code|geography code|id|name|area name"
)


# The most households one address point or one polygon of the households layer may
# claim. A UK output area holds ~125 households and a ward rarely 15,000; polygons are
# spread into one point per household, so 200,000,000 in one polygon would allocate
# gigabytes, and 1e19 would wrap int64. Above it the row is rejected as implausible.
MAX_HOUSEHOLDS_PER_FEATURE = 20_000
# The most households / residents one area of an areas layer may claim: above the
# largest UK region (London: ~3.5 million households, ~9 million residents). Larger is
# a typo or a sentinel value, refused rather than weighting the map.
MAX_AREA_COUNTS = {schema.HOUSEHOLDS: 5_000_000, schema.RESIDENTS: 12_000_000}


def _counts(values: Column, ceiling: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole non-negative counts (0 where not one), which values are not whole
    non-negative numbers, and which are above `ceiling`.

    The ceiling is checked on the floats, before any cast, so 1e19 is refused as too
    many instead of wrapping to -9,223,372,036,854,775,808.
    """
    nums = parse_numbers(values)
    v = nums.values
    with np.errstate(invalid="ignore"):
        bad = nums.empty | nums.bad | (v < 0) | (np.floor(v) != v)
        too_many = ~bad & (v > ceiling)
    return np.where(bad | too_many, 0, v).astype("int64"), bad, too_many


def _as_strings(values: pd.Series) -> pa.Array:
    """A GIS attribute column as text, as a CSV would have given it."""
    return pa.array(values.astype("str").fillna(""), pa.string())


def load_households(path_or_upload: PathOrUpload) -> Any:
    """Households as a GeoDataFrame (WGS84) with a `households` column.

    Address points (CSV with latitude/longitude or easting/northing, or a GIS file of
    points) count 1 household each unless a households column says otherwise; polygons
    must carry a households column and are kept as they are. Rows with a bad location
    or count are left out and listed in `gdf.attrs["rejected"]` (REJECTED_COLUMNS), with
    `gdf.attrs["rows_read"]`, so nothing is dropped unseen.
    """
    import geopandas as gpd

    source = single_source(path_or_upload)
    data = source.read()
    fmt = detect_format(source, data)
    name = source.name
    if fmt == "csv":
        return _households_from_csv(source, data)
    findings: list[str] = []
    gdf = to_wgs84(read_geodataframe(source, data), name, findings)
    rejector = Rejector(name, np.arange(1, len(gdf) + 1))
    hh_col = find_column([str(c) for c in gdf.columns], _HOUSEHOLD_NAMES)
    geoms = gdf.geometry
    missing = (geoms.isna() | geoms.is_empty).to_numpy()
    rejector.reject(missing, schema.GEOMETRY, [""] * len(gdf), schema.REASON_NO_LOCATION)
    fixed, repaired, failed = repair_polygons(geoms)
    broken = np.zeros(len(gdf), dtype=bool)
    broken[failed] = True
    rejector.reject(broken, schema.GEOMETRY, [""] * len(gdf), schema.REASON_INVALID_GEOMETRY)
    if len(repaired):
        findings.append(
            f"{len(repaired):,} invalid polygons (e.g. row {int(repaired[0]) + 1}) were "
            "repaired with make_valid"
        )
    kinds = set(geoms[~missing].geom_type)
    if hh_col is None:
        if kinds - {"Point", "MultiPoint"}:
            raise ColumnMappingError(
                "polygons need a households column (how many households each holds)",
                file=name,
                candidates={schema.HOUSEHOLDS: tuple(str(c) for c in gdf.columns)},
                hint="add a 'households' column, or give address points instead",
            )
        counts = np.ones(len(gdf), dtype="int64")
    else:
        text = _as_strings(gdf[hh_col])
        counts, bad, too_many = _counts(text, MAX_HOUSEHOLDS_PER_FEATURE)
        rejector.reject(bad, hh_col, text, schema.REASON_BAD_COUNT)
        rejector.reject(too_many, hh_col, text, schema.REASON_IMPLAUSIBLE_COUNT)
    keep = rejector.kept
    check_household_total(counts[keep], name, rejector.rows[keep])  # before any spreading
    out = gpd.GeoDataFrame(
        {schema.HOUSEHOLDS: counts[keep]},
        geometry=fixed[keep],
        crs=schema.WGS84,
    )
    out.attrs["rejected"] = rejector.frame()
    out.attrs["rows_read"] = len(gdf)
    out.attrs["findings"] = findings
    return out


def _households_from_csv(source: Source, data: bytes) -> Any:
    import geopandas as gpd

    name = source.name
    hh_col: str | None = None

    def resolve(
        columns: list[str], sample: pd.DataFrame, has_geometry: bool
    ) -> tuple[ColumnMapping, list[str]]:
        nonlocal hh_col
        mapping = guess_mapping(columns, sample)[0]
        if not (mapping.has_lonlat or mapping.has_grid):
            raise ColumnMappingError(
                "cannot tell which columns hold the address location "
                f"(columns found: {', '.join(columns)})",
                file=name,
                candidates={"latitude": tuple(columns), "longitude": tuple(columns)},
                hint="name the columns latitude and longitude (or easting and northing)",
            )
        hh_col = find_column(columns, _HOUSEHOLD_NAMES)
        location = [c for f, c in mapping.items() if f in LOCATION_FIELDS]
        return mapping, location + ([hh_col] if hh_col else [])

    table, used = read_delimited(source, data, resolve)
    rejector = Rejector(name, table.rows, table.rejected)
    grid = not used.has_lonlat
    xcol, ycol = (used.easting, used.northing) if grid else (used.longitude, used.latitude)
    assert xcol is not None and ycol is not None
    lon, lat = check_coordinates(table, xcol, ycol, grid=grid, rejector=rejector)
    findings = list(table.findings)
    if not grid:
        lon, lat, swapped = swap_if_axes_swapped(lon, lat, rejector.kept)
        findings += [swapped] if swapped else []
    counts = np.ones(table.n, dtype="int64")
    if hh_col is not None:
        counts, bad, too_many = _counts(table.arrays[hh_col], MAX_HOUSEHOLDS_PER_FEATURE)
        rejector.reject(bad, hh_col, table.arrays[hh_col], schema.REASON_BAD_COUNT)
        rejector.reject(too_many, hh_col, table.arrays[hh_col], schema.REASON_IMPLAUSIBLE_COUNT)
    keep = rejector.kept
    check_household_total(counts[keep], name, rejector.rows[keep])
    out = gpd.GeoDataFrame(
        {schema.HOUSEHOLDS: counts[keep]},
        geometry=gpd.points_from_xy(lon[keep], lat[keep]),
        crs=schema.WGS84,
    )
    out.attrs["rejected"] = rejector.frame()
    out.attrs["rows_read"] = table.rows_read
    out.attrs["findings"] = findings
    return out


def load_areas(path_or_upload: PathOrUpload, code_column: str | None = None) -> Any:
    """Areas (output areas, neighbourhoods, wards) as a GeoDataFrame in WGS84.

    Columns: `code`, `geometry`, plus `households` / `residents` / `name` (place names)
    when the file has them.
    Reads GeoJSON, GeoPackage, GeoParquet or a zipped shapefile. The code column is
    `code_column` when given, else found by name (code, area_code, OA21CD, LSOA21CD,
    ..., name). Codes must be unique and every area must have a polygon: areas are the
    units a map publishes, so a bad one is a whole-file problem, not a row to drop.
    """
    import geopandas as gpd

    source = single_source(path_or_upload)
    data = source.read()
    name = source.name
    fmt = detect_format(source, data)
    if fmt == "csv":
        raise InputError(
            "areas need boundaries (polygons), and a CSV has none",
            file=name,
            hint="give a GeoJSON, GeoPackage or zipped shapefile of the areas",
        )
    gdf = read_geodataframe(source, data)
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    geoms = gdf.geometry
    missing = (geoms.isna() | geoms.is_empty).to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0]) + 1
        raise InputError(
            f"{int(missing.sum())} area(s) have no boundary",
            file=name,
            row=row,
            column=schema.GEOMETRY,
            hint="remove or fix the areas without geometry",
        )
    not_polygon = ~geoms.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not_polygon.any():
        row = int(np.flatnonzero(not_polygon)[0]) + 1
        raise InputError(
            f"areas must be polygons, but feature {row} is a {geoms.iloc[row - 1].geom_type}",
            file=name,
            row=row,
            column=schema.GEOMETRY,
            hint="give the area boundaries, not points or lines",
        )
    if code_column is not None:
        if code_column not in gdf.columns:
            raise InputError(
                f"there is no column {code_column!r} (columns: {', '.join(columns)})",
                file=name,
                column=code_column,
                hint="check the spelling, including capitals",
            )
        code_col = code_column
    else:
        code_col = find_column(columns, _AREA_CODE_NAMES) or _find_code_like(columns)
        if code_col is None:
            raise ColumnMappingError(
                f"cannot tell which column holds the area code (columns: {', '.join(columns)})",
                file=name,
                candidates={schema.AREA_CODE: tuple(columns)},
                hint="choose the code column (e.g. --code-column OA21CD)",
            )
    codes = gdf[code_col].astype("str").str.strip()
    blank = (codes == "") | gdf[code_col].isna().to_numpy()
    dup = codes.duplicated(keep=False) & ~blank
    if blank.any() or dup.any():
        bad = blank | dup
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InputError(
            f"area codes must be present and unique; {int(blank.sum())} blank and "
            f"{int(dup.sum())} repeated (e.g. {codes[bad].iloc[0]!r})",
            file=name,
            row=row,
            column=code_col,
            hint="choose a column with one unique code per area",
        )
    findings: list[str] = []
    gdf = to_wgs84(gdf, name, findings)
    geometry = _repaired_areas(gdf.geometry, codes, name, findings)
    out = gpd.GeoDataFrame(
        {schema.AREA_CODE: codes.to_numpy()}, geometry=geometry, crs=schema.WGS84
    )
    out.attrs["findings"] = findings
    for target, names in (
        (schema.HOUSEHOLDS, _HOUSEHOLD_NAMES),
        (schema.RESIDENTS, _RESIDENT_NAMES),
    ):
        col = find_column([c for c in columns if c != code_col], names)
        if col is None:
            continue
        text = _as_strings(gdf[col])
        counts, bad, too_many = _counts(text, MAX_AREA_COUNTS[target])
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{target} must be whole non-negative numbers; got {text[first].as_py()!r}",
                file=name,
                row=first + 1,
                column=col,
                hint=f"fix the {col} column",
            )
        if too_many.any():
            first = int(np.flatnonzero(too_many)[0])
            raise InputError(
                f"an area claims {text[first].as_py()} {target}, more than any UK area holds "
                f"(at most {MAX_AREA_COUNTS[target]:,})",
                file=name,
                row=first + 1,
                column=col,
                hint=f"fix the {col} column (a typo, or a placeholder such as 99999999?)",
            )
        out[target] = counts
    name_col = _place_name_column([c for c in columns if c != code_col])
    if name_col is not None:
        out[schema.AREA_NAME] = _place_names(gdf[name_col])
    return out[[c for c in out.columns if c != schema.GEOMETRY] + [schema.GEOMETRY]]


def _place_name_column(columns: Sequence[str]) -> str | None:
    """The column naming each place (name, LSOA21NM, ward_name, label), if any: the map
    labels areas by it, since a code such as E01006123 means nothing to the public."""
    for col in columns:
        c = col.lower()
        if c in ("name", "label") or c.endswith(("nm", "name")):
            return col
    return None


def _place_names(values: pd.Series) -> np.ndarray:
    """Names as short plain text: a missing one is empty (the map falls back to the
    code), and an overlong one is cut, since it is drawn on the map as a label."""
    text = values.astype("string").fillna("").str.strip().str.slice(0, _NAME_MAX)
    return text.to_numpy(dtype=object)


def _repaired_areas(geoms: Any, codes: pd.Series, name: str, findings: list[str]) -> np.ndarray:
    """Area boundaries with invalid ones repaired (and said so); one that cannot be
    repaired into a polygon refuses the file, since an area is a unit the map publishes."""
    import shapely

    fixed, repaired, failed = repair_polygons(geoms)
    if len(failed):
        i = int(failed[0])
        raise InputError(
            f"{len(failed)} area boundary(ies) are invalid and cannot be repaired into a "
            f"polygon (e.g. {codes.iloc[i]!r}: {shapely.is_valid_reason(geoms.iloc[i])})",
            file=name,
            row=i + 1,
            column=schema.GEOMETRY,
            hint="fix the boundary in QGIS (Vector > Geometry Tools > Check Validity)",
        )
    if len(repaired):
        i = int(repaired[0])
        findings.append(
            f"{len(repaired):,} area boundaries were invalid (e.g. {codes.iloc[i]!r}: "
            f"{shapely.is_valid_reason(geoms.iloc[i])}) and were repaired with make_valid"
        )
    return fixed


def _find_code_like(columns: Sequence[str]) -> str | None:
    """An ONS-style code column such as OA21CD or LSOA11CD."""
    hits = [c for c in columns if re.fullmatch(r"[a-z]+\d{2}cd", c.lower())]
    return hits[0] if len(hits) == 1 else None
