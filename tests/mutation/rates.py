"""Kill rate per mutated module, from mutmut's result files under mutants/ (run by
`make mutants` after mutmut; also `.venv/bin/python tests/mutation/rates.py`).

mutmut's own `results` lists survivors one by one; this adds up what the note and
docs/development.md report: killed over checked, per module, and what was not checked.
Not a test module (pytest collects only test_*.py).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KILLED = {1, 3, 36, -24, 24, 152, 255}  # a failing test, pytest's internal error, a timeout
SURVIVED = {0}
NO_TESTS = {5, 33}


def rates(root: Path = ROOT) -> list[tuple[str, Counter]]:
    """(module, counts of killed / survived / no tests / not checked / other) per file."""
    out = []
    for meta in sorted((root / "mutants").rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        c: Counter = Counter()
        for code in codes.values():
            if code is None:
                c["not checked"] += 1
            elif code in KILLED:
                c["killed"] += 1
            elif code in SURVIVED:
                c["survived"] += 1
            elif code in NO_TESTS:
                c["no tests"] += 1
            else:
                c["other"] += 1
        name = meta.relative_to(root / "mutants").as_posix().removesuffix(".py.meta")
        out.append((name.replace("/", "."), c))
    return out


def main() -> int:
    rows = rates()
    if not rows:
        print("no mutmut results under mutants/: run `make mutants` first", file=sys.stderr)
        return 1
    print(f"{'module':<24} {'killed':>7} {'checked':>8} {'rate':>7}  not run")
    for name, c in rows:
        checked = c["killed"] + c["survived"] + c["no tests"] + c["other"]
        rate = f"{100 * c['killed'] / checked:.1f}%" if checked else "-"
        print(f"{name:<24} {c['killed']:>7} {checked:>8} {rate:>7}  {c['not checked']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
