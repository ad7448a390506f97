"""The version floors in pyproject.toml are the versions `make test-lowest` runs on.

constraints-lowest.txt pins the lowest versions the floors allow (uv's lowest-direct
resolution); a floor raised or added without regenerating it would leave
`make test-lowest` checking versions nobody promises, so this fails until
`make constraints-lowest.txt` is run. Reads files only: no network, no install.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

# A direct dependency pinned above its own floor, because another requirement raises
# it: the floor stays as what crimedash itself needs, and the pin says why it is higher.
RAISED_BY_OTHERS = {
    "altair": "streamlit 1.55 requires altair >= 5.5",
}


def direct_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]
    ]


def lowest_pins() -> dict[str, Version]:
    text = (ROOT / "constraints-lowest.txt").read_text()
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)$", text, flags=re.M)
    return {canonicalize_name(name): Version(v) for name, v in pins}


def test_every_direct_dependency_is_pinned_at_its_floor():
    pins = lowest_pins()
    for req in direct_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, (
            f"{name} is not in constraints-lowest.txt: run make constraints-lowest.txt"
        )
        assert pins[name] in req.specifier, f"{name}=={pins[name]} is outside {req.specifier}"
        floors = [Version(s.version) for s in req.specifier if s.operator == ">="]
        if floors and name not in RAISED_BY_OTHERS:
            # the first release at the floor's precision (pytest-xdist 3.6 is 3.6.1)
            floor = max(floors)
            assert pins[name].release[: len(floor.release)] == floor.release, (
                f"{name} is pinned at {pins[name]} but its floor is {floor}: run "
                "make constraints-lowest.txt (or say in RAISED_BY_OTHERS what raises it)"
            )


def test_the_raised_ones_are_still_raised():
    """An entry of RAISED_BY_OTHERS whose pin fell back to the floor is stale."""
    pins = lowest_pins()
    floors = {
        canonicalize_name(r.name): max(
            Version(s.version) for s in r.specifier if s.operator == ">="
        )
        for r in direct_requirements()
        if any(s.operator == ">=" for s in r.specifier)
    }
    for name in RAISED_BY_OTHERS:
        assert pins[name] > floors[name], (
            f"{name} is at its floor now; drop it from RAISED_BY_OTHERS"
        )
