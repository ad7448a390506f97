"""The proof on national-shaped data: worked from the published cells (`proof.prove`)
against the (families x groups) table it replaced (stop 21's prove: every slot of the
table, the active-set propagation), in one process on the same layer.

    .venv/bin/python benchmarks/proof.py --rows 1000000 --kind grid:500
    .venv/bin/python benchmarks/proof.py --store STORE --kind h3:8

Builds the national data set (`national_data.py`) or opens a store, evaluates one design
(totals published and a minimum count, so most families have suppressed cells and
something to learn from their total), then times both ways to prove the layer, checks
they prove the same intervals bit for bit, and prints one JSON line (wall and CPU
seconds, best of `--repeat`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repeat import clocks, data_args, open_index

from crimedash import proof
from crimedash.design import Design
from crimedash.layer import apply_design


def table(cell_family, cell_group, cell_shown, rules: proof.Rules, families) -> proof.Proof:
    """Stop 21's prove: a (families x groups) table, then the sum constraint over every
    family with something unsure, and the per-family sums the attack read of it."""
    g, f = max(rules.n_groups, 1), len(families)
    lo, hi = np.zeros((f, g)), np.full((f, g), rules.absent_hi())
    t_lo, t_hi = np.zeros(f), np.full(f, np.inf)
    if rules.totals and rules.counts != "noise":
        t_hi[:] = rules.absent_hi()
    fi = np.searchsorted(families, cell_family)
    clo, chi = rules.shown_interval(cell_shown)
    grp = cell_group >= 0
    lo[fi[grp], cell_group[grp]] = clo[grp]
    hi[fi[grp], cell_group[grp]] = chi[grp]
    t_lo[fi[~grp]] = clo[~grp]
    t_hi[fi[~grp]] = chi[~grp]
    if rules.totals:
        sel = (lo != hi).any(axis=1) | (t_lo != t_hi)
        lo[sel], hi[sel], t_lo[sel], t_hi[sel] = proof._propagate(
            lo[sel], hi[sel], t_lo[sel], t_hi[sel], 6
        )
    else:
        t_lo, t_hi = lo.sum(axis=1), hi.sum(axis=1)
    # the family sums stop 21's attack made from the table itself
    return proof.Proof(families, lo, hi, t_lo, t_hi, proof.family_sums(lo, hi))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_args(p, rows=1_000_000)
    p.add_argument("--kind", default="grid:500")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    index = open_index(args)
    design = Design(granularity=args.kind, frequency="monthly", time_precision="month")
    layer = apply_design(index, design.with_(min_count=3))
    n_win = int((layer.cell_window - layer.display_origin).max()) + 1
    fam = layer.cell_unit.astype(np.int64) * n_win + (layer.cell_window - layer.display_origin)
    families = np.unique(fam)
    rules = proof.Rules.of(layer)
    cells = (fam, layer.cell_group, layer.cell_shown, rules, families)
    new, old = proof.prove(*cells), table(*cells)
    for name in ("lo", "hi", "total_lo", "total_hi"):  # the same proof, or timing means nothing
        np.testing.assert_array_equal(getattr(new, name), getattr(old, name), err_msg=name)
    del new, old
    now = clocks(lambda: proof.prove(*cells), args.repeat)
    before = clocks(lambda: table(*cells), args.repeat)
    rec = {
        "incidents": index.n,
        "kind": args.kind,
        "families": len(families),
        "groups": rules.n_groups,
        "group_cells": int((layer.cell_group >= 0).sum()),
        "table_s": round(before[0], 3),
        "table_cpu_s": round(before[1], 3),
        "cells_s": round(now[0], 3),
        "cells_cpu_s": round(now[1], 3),
        "speedup_cpu": round(before[1] / max(now[1], 1e-9), 2),
    }
    print(json.dumps(rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
