"""Shared by the sample city's tests: the small-town scale, the sensitive categories and
two helpers (households as points, a folder as bytes)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from crimedash import schema

SMALL = 0.05
SENSITIVE = {"sexual_offences", "domestic_abuse", "hate_crime"}


def points(df: pd.DataFrame) -> gpd.GeoDataFrame:
    geom = gpd.points_from_xy(df[schema.LONGITUDE], df[schema.LATITUDE])
    return gpd.GeoDataFrame(df, geometry=geom, crs=schema.WGS84)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
