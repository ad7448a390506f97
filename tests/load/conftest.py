"""Fixtures for the loader's tests: binary formats written from tiny literal frames."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadkit import POLICE_UK

from crimedash import schema


def _points_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "occurred": pd.to_datetime(
                ["2024-03-01 10:00", "2024-03-02 11:30", "2024-03-03 00:00"]
            ),
            "offence": ["Robbery", "Drugs", "Shoplifting"],
        },
        geometry=[shapely.Point(-2.30, 53.45), shapely.Point(-2.31, 53.46), None],
        crs=schema.WGS84,
    )


@pytest.fixture
def gpkg(tmp_path: Path) -> Path:
    path = tmp_path / "incidents.gpkg"
    _points_frame().to_file(path, driver="GPKG")
    return path


@pytest.fixture
def geoparquet(tmp_path: Path) -> Path:
    path = tmp_path / "incidents.parquet"
    _points_frame().to_parquet(path)
    return path


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "plain.parquet"
    pd.DataFrame(
        {
            "lat": [53.45, 53.46, 99.0],
            "lon": [-2.30, -2.31, -2.32],
            "date": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03"]),
            "category": ["robbery", "drugs", "drugs"],
        }
    ).to_parquet(path)
    return path


@pytest.fixture
def police_uk_zip(tmp_path: Path) -> Path:
    """Like police.uk's download: a folder named after the month inside the zip."""
    path = tmp_path / "download.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for f in sorted(POLICE_UK.iterdir()):
            zf.write(f, f"2024-02/{f.name}")
    return path
