"""The generator and its files (crimedash/sample/write.py, plan.py): the same seed gives
the same bytes, the committed README matches, bad scales are refused, paths follow a root."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pytest

from crimedash import schema
from crimedash.errors import InputError
from crimedash.sample.constants import (
    DEFAULT_SEED,
    FILE_NAMES,
    HOUSEHOLD_COLUMNS,
    MAX_SCALE,
    POLICE_UK_SUFFIX,
    README_NAME,
    SAMPLE_DIR,
    SAMPLE_INCIDENT_COLUMNS,
    sample_paths,
)
from crimedash.sample.write import generate_sample

sys.path.insert(0, str(Path(__file__).resolve().parent))

from samplekit import SMALL, tree


def test_same_seed_and_scale_give_byte_identical_files(small_town, tmp_path):
    again = generate_sample(tmp_path, seed=11, scale=SMALL)
    assert set(again) == {*FILE_NAMES, "readme"}
    first, second = tree(small_town), tree(tmp_path)
    assert list(first) == list(second)
    differing = [name for name in first if first[name] != second[name]]
    assert not differing


def test_another_seed_gives_another_town(small_town, tmp_path):
    generate_sample(tmp_path, seed=12, scale=SMALL)
    name = FILE_NAMES["households"]
    assert (tmp_path / name).read_bytes() != (small_town / name).read_bytes()


def test_the_committed_readme_matches_the_generator(committed):
    """The committed files come from the default seed at scale 1 (checked on the README,
    which carries every headline figure, so the check stays quick)."""
    readme = committed["output_areas"].parent / README_NAME
    text = readme.read_text()
    assert f"--seed {DEFAULT_SEED} --scale 1" in text
    assert "fictional" in text


@pytest.mark.parametrize("scale", [0, -1, float("nan"), MAX_SCALE * 2])
def test_a_bad_scale_is_refused_with_a_hint(scale, tmp_path):
    with pytest.raises(InputError, match="scale must be") as err:
        generate_sample(tmp_path, scale=scale)
    assert err.value.hint
    assert not any(tmp_path.iterdir())


# --- households -------------------------------------------------------------------------


def test_sample_paths_name_the_committed_files_and_follow_a_root(committed, tmp_path):
    """Each key of sample_paths() names the committed file that holds what the key says
    (headers and layers checked, not just the names), and a root moves them all."""
    assert set(committed) == {
        "incidents",
        "households",
        "output_areas",
        "neighbourhoods",
        "police_uk_dir",
    }
    header = committed["incidents"].read_text(encoding="utf-8").split("\n", 1)[0]
    assert tuple(header.split(",")) == SAMPLE_INCIDENT_COLUMNS
    header = committed["households"].read_text(encoding="utf-8").split("\n", 1)[0]
    assert tuple(header.split(",")) == HOUSEHOLD_COLUMNS
    for layer in ("output_areas", "neighbourhoods"):
        gdf = gpd.read_file(committed[layer])
        assert (gdf.geom_type == "Polygon").all() and gdf[schema.AREA_CODE].is_unique
    months = sorted(p.name for p in committed["police_uk_dir"].iterdir())
    assert len(months) == 24 and all(m.endswith(POLICE_UK_SUFFIX) for m in months)
    moved = sample_paths(tmp_path)
    assert {k: p.relative_to(tmp_path) for k, p in moved.items()} == {
        k: p.relative_to(SAMPLE_DIR) for k, p in committed.items()
    }
