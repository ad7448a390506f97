"""Every command in README.md and docs/*.md runs, as datasette tests its documentation.

A newcomer's first hour is copying these commands; an example that no longer works
(an option renamed, a rule tightened) must fail the suite, not the newcomer. Shell
blocks (```sh, ```bash, ```shell, ```console) are read in order, continuation lines
joined, comments dropped; each `crimedash` command runs in a scratch folder that holds
the sample city as `sample_data/`, with its own design log, and must exit 0. A command
that cannot run here is listed in NOT_RUN with the reason, and a listed command that is
no longer in the docs fails too, so the list cannot go stale.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from crimedash.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_FENCE = re.compile(r"^```(?:sh|bash|shell|console)\s*\n(.*?)^```", re.MULTILINE | re.DOTALL)

# Commands the docs show that this suite cannot run, and why.
NOT_RUN = {
    "make run": "serves the app until stopped; tests/test_browser.py drives the same app",
    "make test": "is this suite",
    # benchmarks take minutes on national-shaped data; `make bench` is how they run
    "make bench-national": "a benchmark at 1M and 5M rows (minutes); not a test",
    "make bench": "every benchmark, national ones at 1M and 5M rows (minutes); not a test",
    ".venv/bin/python benchmarks/national.py --rows 5000000 --kinds h3:8,grid:500": (
        "a benchmark at 5M rows (minutes); not a test"
    ),
    ".venv/bin/python benchmarks/profile_change.py --rows 5000000 --kind h3:8": (
        "a profile at 5M rows (minutes); not a test"
    ),
    "make bench-browser": "starts the app on 5M rows in Chromium (many minutes); not a test",
    "make test-lowest": "builds a second venv and runs tests on it (minutes); .ci/run runs it",
    "make constraints-lowest.txt": "asks the package index; tests/test_version_floors.py "
    "checks its result",
    "make mutants 'MUTANTS=crimedash.risk.*'": (
        "mutation testing (minutes per function); not a test"
    ),
    ".venv/bin/python tests/mutation/rates.py": (
        "reads a mutmut run's results; tests/mutation/test_rates.py tests it"
    ),
    ".venv/bin/python benchmarks/store.py --rows 5000000": (
        "builds a 5M-row store (minutes); tests/test_store.py tests the store on small files"
    ),
}

pytestmark = pytest.mark.xdist_group("docs_commands")


def commands(path: Path) -> list[str]:
    """The commands in a Markdown file's shell blocks, one string each."""
    out: list[str] = []
    for block in SHELL_FENCE.findall(path.read_text(encoding="utf-8")):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip().removeprefix("$ ")
            words = shlex.split(line, comments=True)
            if words:
                out.append(shlex.join(words))
    return out


def test_the_docs_hold_commands_and_the_not_run_list_is_current():
    found = [c for path in DOCS for c in commands(path)]
    assert any(c.startswith("crimedash export") for c in found)
    assert any(c.startswith("crimedash load") for c in found)
    stale = set(NOT_RUN) - set(found)
    assert not stale, f"NOT_RUN lists commands no longer in the docs: {sorted(stale)}"
    unknown = [c for c in found if c not in NOT_RUN and not c.startswith("crimedash ")]
    assert not unknown, f"commands this test does not know how to run: {unknown}"


@pytest.mark.parametrize(
    "path", [p for p in DOCS if set(commands(p)) - set(NOT_RUN)], ids=lambda p: p.name
)
def test_every_documented_command_runs(path: Path, tmp_path: Path, monkeypatch, capsys):
    to_run = [c for c in commands(path) if c not in NOT_RUN]
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRIMEDASH_LOG", str(tmp_path / "designs.sqlite3"))
    for command in to_run:
        code = main(shlex.split(command)[1:])
        err = capsys.readouterr().err
        assert code == 0, f"{path.name}: `{command}` exited {code}:\n{err}"
