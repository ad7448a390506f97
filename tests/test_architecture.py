"""The shape of the house: a pure core, a thin face."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "crimedash"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


CORE = sorted(p for p in PACKAGE.rglob("*.py") if "ui" not in p.relative_to(PACKAGE).parts)


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_never_imports_streamlit(path):
    assert "streamlit" not in _imports(path), f"{path.name} imports streamlit"


def test_column_names_live_in_schema():
    """Canonical column names are spelt once, in schema.py."""
    # The column mapping's fields are named after the columns they fill, and the sample
    # city writes source files whose headers happen to use the same words.
    allowed = {"schema.py", "load/mapping.py"}
    for path in CORE:
        rel = path.relative_to(PACKAGE)
        if str(rel) in allowed or rel.parts[0] == "sample":
            continue
        text = path.read_text()
        for literal in ('"occurred_at"', '"location_type"', '"incident_id"'):
            assert literal not in text, f"{path.name} spells {literal}; use crimedash.schema"
