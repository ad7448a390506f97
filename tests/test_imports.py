"""No import circles in crimedash: data flows one way (load -> index -> design -> layer
-> score -> export), and a module that imports one that imports it back has lost that.

The graph is read from the source: every `import` anywhere in a module, lazy ones and
those only for type checkers included, since each is still a dependency (a log that
names the exporter's types depends on the exporter). Circles still being taken apart are listed in KNOWN_CIRCLES with the
issue that removes them; an entry whose circle is gone fails the test too, so the list
is emptied as the work lands.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "crimedash"

# Each entry: the modules of one circle -> who removes it.
KNOWN_CIRCLES: dict[frozenset[str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]


def imported_modules(name: str, path: Path) -> set[str]:
    """The crimedash modules `name` imports (a package's __init__ counts as the package)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from crimedash import schema` imports the module crimedash.schema.
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        found.update(t for t in targets if t in MODULES and t != name)
    return found


def graph() -> dict[str, set[str]]:
    return {name: imported_modules(name, path) for name, path in MODULES.items()}


def circles(edges: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read_from_real_imports():
    """Guards the test below against reading nothing: known one-way edges are found."""
    edges = graph()
    assert "crimedash.load" in edges["crimedash.dataset"]
    assert "crimedash.schema" in edges["crimedash.index"]  # `from crimedash import schema`
    assert "crimedash.commands" in edges["crimedash.cli"]  # a lazy import counts
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {frozenset({"a", "b", "c"})}


def test_no_import_circles():
    found = circles(graph())
    new = [sorted(c) for c in found if c not in KNOWN_CIRCLES]
    assert not new, f"import circles: {new}; make data flow one way (see STYLE.md)"
    gone = [f"{sorted(c)} ({why})" for c, why in KNOWN_CIRCLES.items() if c not in found]
    assert not gone, f"these circles are gone; remove them from KNOWN_CIRCLES: {gone}"


# A package's entry point only runs or names the package.
NO_FACE_NEEDED = {"crimedash", "crimedash.__main__"}
PUBLIC_FACES = [m for m in MODULES if m not in NO_FACE_NEEDED]


def test_every_module_is_checked_for_its_public_face():
    """Guards the test below against checking too little: every module of the core, the
    release modules, the store, the app's face and the pictures are among those checked."""
    assert len(PUBLIC_FACES) > 90  # every module of load/, sample/, commands/, ui/, viz/
    for name in ("crimedash.export", "crimedash.store", "crimedash.ui.page", "crimedash.viz.decks"):
        assert name in PUBLIC_FACES


@pytest.mark.parametrize("name", PUBLIC_FACES)
def test_modules_declare_their_public_face(name):
    """`__all__` lists exactly what a module offers: every name in it exists, and every
    public function or class it defines is in it (or the module says what it offers)."""
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it lacks: {missing}"
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    defined = [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.ClassDef) and not n.name.startswith("_")
    ]
    unlisted = [n for n in defined if n not in module.__all__]
    assert not unlisted, f"{name} defines public {unlisted} but leaves them out of __all__"
