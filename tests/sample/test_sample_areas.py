"""The areas (crimedash/sample/areas.py): output areas and neighbourhoods that tile the homes."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pytest

from crimedash import schema
from crimedash.sample.constants import FILE_NAMES, OA_MAX_HOUSEHOLDS, OA_MIN_HOUSEHOLDS

sys.path.insert(0, str(Path(__file__).resolve().parent))

from samplekit import points


@pytest.mark.parametrize("layer", ["output_areas", "neighbourhoods"])
def test_areas_tile_every_household_exactly_once(committed, households, layer):
    areas = gpd.read_file(committed[layer])
    assert {schema.AREA_CODE, schema.HOUSEHOLDS, schema.RESIDENTS} <= set(areas.columns)
    assert areas[schema.AREA_CODE].is_unique
    assert areas.is_valid.all()
    joined = gpd.sjoin(points(households), areas, predicate="within", how="left")
    assert joined.index.is_unique  # no point in two areas
    assert joined[schema.AREA_CODE].notna().all()  # no point in none
    counted = joined.groupby(schema.AREA_CODE)[f"{schema.HOUSEHOLDS}_left"].sum()
    stated = areas.set_index(schema.AREA_CODE)[schema.HOUSEHOLDS]
    assert (counted.reindex(stated.index, fill_value=0) == stated).all()


def test_output_areas_hold_40_to_250_households(committed):
    oa = gpd.read_file(committed["output_areas"])
    assert oa[schema.HOUSEHOLDS].min() >= OA_MIN_HOUSEHOLDS
    assert oa[schema.HOUSEHOLDS].max() <= OA_MAX_HOUSEHOLDS * 1.2
    ratio = oa[schema.RESIDENTS] / oa[schema.HOUSEHOLDS]
    assert ratio.between(1.4, 3.2).all()
    assert oa[schema.AREA_CODE].str.fullmatch(r"SC\d{7}").all()


def test_neighbourhoods_hold_several_hundred_households(committed):
    nb = gpd.read_file(committed["neighbourhoods"])
    assert nb[schema.HOUSEHOLDS].between(300, 900).all()
    assert (nb.geometry.geom_type == "Polygon").all()  # each in one piece
    assert nb[schema.AREA_CODE].str.fullmatch(r"E0199\d{4}").all()


def test_small_town_output_areas_keep_the_minimum(small_town):
    oa = gpd.read_file(small_town / FILE_NAMES["output_areas"])
    assert oa[schema.HOUSEHOLDS].min() >= OA_MIN_HOUSEHOLDS


# --- incidents --------------------------------------------------------------------------
