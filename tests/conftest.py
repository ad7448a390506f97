"""Shared fixtures. Engine tests build tiny seeded data sets (tests/enginekit.py);
tests on the bundled sample city read sample_data/ once per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import Phase, settings

# Properties are about values, not speed (speed is measured by benchmarks/): a deadline
# only turns a busy machine into a flaky failure, so no example has one.
settings.register_profile("crimedash", deadline=None)
# Under mutmut (`make mutants`) a failing property only has to fail: shrinking its example
# takes minutes and ends as a timeout, which holds one of the two workers.
settings.register_profile(
    "mutants", deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate]
)
settings.load_profile("mutants" if "MUTANT_UNDER_TEST" in os.environ else "crimedash")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
# Beside the repo (/work/main -> /work/shared), or wherever CRIMEDASH_REAL_DATA points (a
# worktree elsewhere); never copied into the project.
REAL_DATA = Path(os.environ.get("CRIMEDASH_REAL_DATA") or ROOT.parent / "shared" / "data" / "real")


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real police.uk files beside the project (never copied into it)."""
    if not REAL_DATA.is_dir():
        pytest.skip(
            f"real police.uk data not found at {REAL_DATA} (shared/ is not beside the repo; "
            "set CRIMEDASH_REAL_DATA to its path)"
        )
    return REAL_DATA


@pytest.fixture(scope="session")
def sample_dataset():
    """The bundled sample city, loaded and indexed once for the whole session."""
    from crimedash.dataset import sample_dataset as load

    return load()
