"""Fixtures for the sample city's tests (the layout follows crimedash/sample/).

Tests on the committed files read sample_data/ as it is (never regenerate scale 1 here);
tests on the generator use small towns (scale 0.02-0.05), which take about a second.
The committed files are read once per worker (session scope), not once per module.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from samplekit import SMALL

from crimedash.cli import main
from crimedash.sample.constants import sample_paths


@pytest.fixture(scope="session")
def committed() -> dict[str, Path]:
    paths = sample_paths()
    missing = [str(p) for p in paths.values() if not p.exists()]
    assert not missing, (
        f"committed sample missing {missing}; run `crimedash sample --out sample_data`"
    )
    return paths


@pytest.fixture(scope="session")
def households(committed) -> pd.DataFrame:
    return pd.read_csv(committed["households"])


@pytest.fixture(scope="session")
def incidents(committed) -> pd.DataFrame:
    return pd.read_csv(committed["incidents"], keep_default_na=False)


@pytest.fixture(scope="session")
def police_uk(committed) -> dict[str, pd.DataFrame]:
    files = sorted(committed["police_uk_dir"].glob("*.csv"))
    return {f.name: pd.read_csv(f, dtype=str, keep_default_na=False) for f in files}


@pytest.fixture(scope="session")
def small_town(tmp_path_factory) -> Path:
    """A small town generated through the CLI, as a user would."""
    out = tmp_path_factory.mktemp("small_a")
    assert main(["sample", "--out", str(out), "--scale", str(SMALL), "--seed", "11"]) == 0
    return out
