"""The proof's propagation on national-shaped data: the active-set loop against the
plain every-family loop it replaced, in one process on the same layer.

    .venv/bin/python benchmarks/proof.py --rows 1000000 --kind grid:500

Builds the national data set (`national_data.py`), evaluates one design (totals
published and a minimum count, so most families have suppressed cells and something to
learn from their total), then times `proof.prove` as the attack runs it, with
`proof._propagate` as it is and with the plain loop (every family, every round: the
definition `tests/test_proof.py` checks it against). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national_data import build
from timing import best

from crimedash import proof
from crimedash.design import Design
from crimedash.index import index_incidents
from crimedash.layer import apply_design
from crimedash.load import load_incidents


def plain(lo, hi, t_lo, t_hi, rounds):
    """Every family, every round, until nothing changes (the loop before stop 19)."""
    for _ in range(rounds):
        n_lo, n_hi, nt_lo, nt_hi = proof._tighten(lo, hi, t_lo, t_hi)
        same = (n_lo, n_hi, nt_lo, nt_hi), (lo, hi, t_lo, t_hi)
        if all(np.array_equal(a, b) for a, b in zip(*same, strict=True)):
            break
        lo, hi, t_lo, t_hi = n_lo, n_hi, nt_lo, nt_hi
    return lo, hi, t_lo, t_hi


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--kind", default="grid:500")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    loaded = load_incidents([build(args.rows)])
    index = index_incidents(loaded.incidents, time_precision=loaded.time_precision)
    del loaded
    design = Design(granularity=args.kind, frequency="monthly", time_precision="month")
    layer = apply_design(index, design.with_(min_count=3))
    n_win = int((layer.cell_window - layer.display_origin).max()) + 1
    fam = layer.cell_unit * n_win + (layer.cell_window - layer.display_origin)
    families = np.unique(fam)
    rules = proof.Rules.of(layer)

    def run() -> proof.Proof:
        return proof.prove(fam, layer.cell_group, layer.cell_shown, rules, families)

    new = run()
    now = best(run, args.repeat)
    kept = proof._propagate
    proof._propagate = plain
    try:
        old = run()
        before = best(run, args.repeat)
    finally:
        proof._propagate = kept
    for a, b in ((new.lo, old.lo), (new.hi, old.hi), (new.total_lo, old.total_lo)):
        np.testing.assert_array_equal(a, b)  # the same proof, or the timing means nothing
    rec = {
        "rows": args.rows,
        "kind": args.kind,
        "families": len(families),
        "groups": rules.n_groups,
        "prove_plain_s": round(before, 3),
        "prove_active_set_s": round(now, 3),
        "speedup": round(before / max(now, 1e-9), 2),
    }
    print(json.dumps(rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
