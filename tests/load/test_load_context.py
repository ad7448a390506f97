"""Context layers (crimedash/load/context.py): households and areas."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from loadkit import DATA

from crimedash import schema
from crimedash.errors import ColumnMappingError, InputError
from crimedash.load import (
    load_areas,
    load_households,
)


def test_households_from_address_points_csv():
    # 5 rows: two good (1 and 12 households), a negative count, no location, no count.
    hh = load_households(DATA / "households.csv")
    assert hh[schema.HOUSEHOLDS].tolist() == [1, 12]
    assert hh.crs == schema.WGS84 and (hh.geom_type == "Point").all()
    rejected = hh.attrs["rejected"]
    assert rejected[schema.REJ_ROW].tolist() == [3, 4, 5]
    assert rejected[schema.REJ_REASON].tolist() == [
        schema.REASON_BAD_COUNT,
        schema.REASON_NO_LOCATION,
        schema.REASON_BAD_COUNT,
    ]
    assert len(hh) + len(rejected) == hh.attrs["rows_read"] == 5


def test_households_points_default_to_one():
    hh = load_households(DATA / "household_points.geojson")
    assert hh[schema.HOUSEHOLDS].tolist() == [1, 1]


def test_households_as_polygons_keep_their_counts():
    hh = load_households(DATA / "areas.geojson")
    assert hh[schema.HOUSEHOLDS].tolist() == [120, 95]
    assert (hh.geom_type == "Polygon").all()


def test_household_polygons_need_a_count(tmp_path: Path):
    path = tmp_path / "polys.geojson"
    gpd.GeoDataFrame(
        {"name": ["a"]}, geometry=[shapely.box(0, 51, 0.01, 51.01)], crs=schema.WGS84
    ).to_file(path)
    with pytest.raises(ColumnMappingError, match="households column"):
        load_households(path)


def test_households_upload():
    data = (DATA / "households.csv").read_bytes()
    assert load_households(("households.csv", data))[schema.HOUSEHOLDS].sum() == 13


def test_areas_geojson():
    areas = load_areas(DATA / "areas.geojson")
    assert list(areas.columns) == [
        schema.AREA_CODE,
        schema.HOUSEHOLDS,
        schema.RESIDENTS,
        schema.GEOMETRY,
    ]
    assert areas[schema.AREA_CODE].tolist() == ["E00000001", "E00000002"]
    assert areas[schema.RESIDENTS].tolist() == [300, 210]


def test_areas_keep_their_place_names_as_short_plain_text(tmp_path: Path):
    """A name column (here ONS's LSOA21NM) is kept as `name` for the map's labels: a
    missing name is empty (the label falls back to the code), a long one is cut, and
    markup stays text (the map draws it as glyphs; tooltips escape it)."""
    gdf = gpd.GeoDataFrame(
        {
            "LSOA21CD": ["E01000001", "E01000002", "E01000003"],
            "LSOA21NM": [" Camden 001A ", None, "<b>x</b>" * 40],
        },
        geometry=[shapely.box(i, 51, i + 0.01, 51.01) for i in (0.0, 0.1, 0.2)],
        crs=schema.WGS84,
    )
    path = tmp_path / "lsoas.geojson"
    gdf.to_file(path, driver="GeoJSON")
    areas = load_areas(path)
    assert areas[schema.AREA_CODE].tolist() == ["E01000001", "E01000002", "E01000003"]
    names = areas[schema.AREA_NAME].tolist()
    assert names[:2] == ["Camden 001A", ""]
    assert len(names[2]) == 80 and names[2].startswith("<b>x</b>")


@pytest.fixture
def zipped_shapefile(tmp_path: Path) -> Path:
    """Two squares in British National Grid, as a zipped shapefile."""
    gdf = gpd.GeoDataFrame(
        {"LSOA21CD": ["E01000001", "E01000002"], "hh": [500, 600]},
        geometry=[
            shapely.box(530000, 180000, 530500, 180500),
            shapely.box(530500, 180000, 531000, 180500),
        ],
        crs=schema.BRITISH_NATIONAL_GRID,
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_file(folder / "areas.shp")
    path = tmp_path / "areas.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    return path


def test_areas_zipped_shapefile_reprojected(zipped_shapefile: Path):
    areas = load_areas(zipped_shapefile)
    assert areas.crs == schema.WGS84
    assert areas[schema.AREA_CODE].tolist() == ["E01000001", "E01000002"]
    assert areas[schema.HOUSEHOLDS].tolist() == [500, 600]
    minx, miny, maxx, maxy = areas.total_bounds
    assert 51.50 < miny < maxy < 51.52 and -0.13 < minx < maxx < -0.10


def test_areas_upload_and_explicit_code_column(zipped_shapefile: Path):
    areas = load_areas(("areas.zip", zipped_shapefile.read_bytes()), code_column="LSOA21CD")
    assert len(areas) == 2


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "message"),
    [
        ({"label": ["a", "b"]}, {}, ColumnMappingError, "area code"),
        ({"code": ["a", "a"]}, {}, InputError, "unique"),
        ({"code": ["a", "b"]}, {"code_column": "OA"}, InputError, "no column 'OA'"),
        ({"code": ["a", "b"], "households": [10, -1]}, {}, InputError, "whole non-negative"),
    ],
)
def test_bad_areas(tmp_path: Path, frame, kwargs, error, message):
    path = tmp_path / "areas.geojson"
    boxes = [shapely.box(0, 51, 0.01, 51.01), shapely.box(0.01, 51, 0.02, 51.01)]
    gpd.GeoDataFrame(frame, geometry=boxes, crs=schema.WGS84).to_file(path)
    with pytest.raises(error, match=message):
        load_areas(path, **kwargs)


def test_areas_need_polygons():
    with pytest.raises(InputError, match="polygons"):
        load_areas(DATA / "household_points.geojson")
    with pytest.raises(InputError, match="boundaries"):
        load_areas(DATA / "households.csv")
