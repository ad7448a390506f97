"""How much of a layer a minimum-count change touches: the (unit, window) families whose
published cells change, and the atoms in them (what an incremental re-proof would have
to redo; issue 16, lead 1 of stop 23).

    .venv/bin/python benchmarks/changed_families.py --store STORE --kind h3:9

Opens a store (or the national CSVs), publishes a first design (minimum count 3, exact
counts, totals) and each `--to` minimum count, and compares their published cells
family by family: a family is changed when any of its cells (group or total) appears,
goes or shows another count. Rounding, bands or dropping the totals change the interval
of every shown cell or of every absent one, so every family; they are not listed. One
JSON line per change.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repeat import data_args, open_index

from crimedash.design import Design
from crimedash.layer import PublicLayer, apply_design


def changed(before: PublicLayer, after: PublicLayer, n_win: int) -> np.ndarray:
    """Sorted family keys (unit * n_win + window code) whose published cells differ."""
    g = len(before.grouping.groups)

    def fams(layer: PublicLayer) -> np.ndarray:
        return layer.cell_unit * n_win + (layer.cell_window - layer.display_origin)

    def keys(layer: PublicLayer) -> np.ndarray:  # sorted: cells come by unit, window, group
        return fams(layer) * (g + 1) + np.where(layer.cell_group < 0, g, layer.cell_group)

    a, b = keys(before), keys(after)
    at_a = np.minimum(np.searchsorted(a, b), len(a) - 1)
    same_b = (a[at_a] == b) & (before.cell_shown[at_a] == after.cell_shown)
    at_b = np.minimum(np.searchsorted(b, a), len(b) - 1)
    same_a = (b[at_b] == a) & (after.cell_shown[at_b] == before.cell_shown)
    return np.unique(np.concatenate([fams(after)[~same_b], fams(before)[~same_a]]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_args(p)
    p.add_argument("--kind", default="h3:9")
    p.add_argument("--to", default="2,4,5,10", help="minimum counts to change to")
    args = p.parse_args(argv)
    index = open_index(args)
    first = Design(granularity=args.kind, frequency="monthly", min_count=3)
    before = apply_design(index, first)
    at = before.atoms
    n_win = int(at.dwin.max(initial=0)) + 1
    atom_fam = at.unit.astype(np.int64) * n_win + at.dwin
    n_fam = len(np.unique(atom_fam))
    for m in (int(x) for x in args.to.split(",")):
        fam = changed(before, apply_design(index, first.with_(min_count=m)), n_win)
        atoms = int(np.isin(atom_fam, fam).sum())
        rec = {
            "kind": args.kind,
            "min_count": f"3 -> {m}",
            "families": n_fam,
            "changed_families": len(fam),
            "atoms": len(atom_fam),
            "atoms_in_changed": atoms,
            "share_of_atoms": round(atoms / max(len(atom_fam), 1), 3),
        }
        print(json.dumps(rec), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
