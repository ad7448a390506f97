"""A repeat at national scale: the score after a change of how counts are shown, on units
and atoms already built (issue 16's target: within 0.3 s at 5M rows).

    .venv/bin/python benchmarks/repeat.py --rows 5000000 --kind h3:8
    .venv/bin/python benchmarks/repeat.py --store STORE --kind h3:8

Opens a store (`crimedash store build`) or builds the national data set
(`national_data.py`) and indexes it, evaluates a first design (its units, atoms and
cells before disclosure get built and cached), then times what the page waits on before
the score for each count-only change (minimum count, rounding, bands, no totals):
`risk.evaluate` and the score panel (`assessment.assess` without what-ifs or utility),
the best of `--repeat` runs, each a fresh design. The index keeps what the app's does
(`Index.keep_alternatives`; `--batch`: as export and assess). The baseline, in the same process, is
`np.bincount` on one combined (unit, month, category) key of the same incidents. Each is
timed on the wall clock and in CPU seconds of this process (`cpu_s`: the work is
single-threaded numpy, so on a machine shared by other jobs the CPU time is close to
what a quiet machine's wall clock would show, where the wall clock also counts the
waits for a core). One JSON line per change, then a summary line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


from crimedash.assessment import assess
from crimedash.design import Design
from crimedash.risk import evaluate

CHANGES = {
    "min count 5": {"min_count": 5},
    "min count 2": {"min_count": 2},
    "rounded to 5": {"counts": "rounded", "round_base": 5},
    "bands": {"counts": "banded"},
    "no totals": {"totals": False},
}


def data_args(p: argparse.ArgumentParser, rows: int = 5_000_000) -> None:
    """The options that say which data `open_index` opens: the national set's size and
    seed, or a store folder (shared by the benchmarks that time the core on one)."""
    p.add_argument("--rows", type=int, default=rows)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--store", help="a store folder to open instead of the national CSVs")


def open_index(args: argparse.Namespace):
    if args.store:
        from crimedash.storeindex import index_store

        return index_store(Path(args.store))[0]
    from national_data import build

    from crimedash.index import index_incidents
    from crimedash.load import load_incidents

    loaded = load_incidents([build(args.rows, args.seed)])
    return index_incidents(loaded.incidents, time_precision=loaded.time_precision)


def score(index, design: Design) -> float:
    ev = evaluate(index, design)
    return assess(index, design, with_what_ifs=False, with_utility=False, evaluation=ev).score


def clocks(fn, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of `repeat` runs of `fn`."""
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def bincount_s(index, ev, repeat: int) -> tuple[float, float]:
    unit = ev.layer.units.incident_unit.astype(np.int64)
    month = index.time_keys["month"] - index.time_origin["month"]
    cat = index.category_code.astype(np.int64)
    ok = unit >= 0
    n_w, n_c = int(month.max()) + 1, int(cat.max()) + 1

    def run():
        key = (unit[ok] * n_w + month[ok]) * n_c + cat[ok]
        return np.bincount(key)

    return clocks(run, repeat)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_args(p)
    p.add_argument("--kind", default="h3:8")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument(
        "--batch",
        action="store_true",
        help="score as export and assess do (Index.keep_alternatives off), not as the app",
    )
    args = p.parse_args(argv)
    t = time.perf_counter()
    index = open_index(args)
    opened = time.perf_counter() - t
    # as the app's index (ui/data): it keeps what a count-only change reuses
    index.keep_alternatives = not args.batch
    first = Design(granularity=args.kind, frequency="monthly", min_count=3)
    t = time.perf_counter()
    ev = evaluate(index, first)
    first_s = time.perf_counter() - t
    base = bincount_s(index, ev, args.repeat)
    print(
        json.dumps(
            {
                "incidents": index.n,
                "kind": args.kind,
                "open_s": round(opened, 2),
                "first_s": round(first_s, 3),
                "atoms": len(ev.layer.atoms.n),
                "cells": len(ev.layer.cell_unit),
                "bincount_s": round(base[0], 4),
                "bincount_cpu_s": round(base[1], 4),
            }
        ),
        flush=True,
    )
    del ev
    worst = 0.0
    for label, change in CHANGES.items():
        design = first.with_(**change)
        s, cpu = clocks(lambda d=design: score(index, d), args.repeat)
        worst = max(worst, s)
        rec = {
            "change": label,
            "repeat_s": round(s, 3),
            "cpu_s": round(cpu, 3),
            "x_bincount": round(s / base[0], 1),
            "cpu_x_bincount": round(cpu / base[1], 1),
        }
        print(json.dumps(rec), flush=True)
    print(json.dumps({"summary": True, "worst_repeat_s": round(worst, 3), "target_s": 0.3}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
