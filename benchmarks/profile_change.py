"""Where a control change's time goes, on national-shaped data (cProfile).

    .venv/bin/python benchmarks/profile_change.py --rows 5000000 --kind h3:8

Loads and indexes the national data set (benchmarks/national_data.py), then profiles
one control change as the app runs it (assess + evaluate + the map's deck; see
benchmarks/national.py), first use and then a repeat (min count 3). Prints the functions
with the most time, own and cumulative, each as a share of the change.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import _build_in_child, one_change

from crimedash.design import Design
from crimedash.index import index_incidents
from crimedash.load import load_incidents


def top(profile: cProfile.Profile, key: str, n: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs().sort_stats(key).print_stats(n)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=5_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--kind", default="h3:8")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    root = _build_in_child(args.rows, args.seed)
    loaded = load_incidents([root])
    index = index_incidents(loaded.incidents, time_precision=loaded.time_precision)
    del loaded
    first = Design(granularity=args.kind, frequency="monthly", time_precision="month")
    for use, design in (("first", first), ("repeat", first.with_(min_count=3))):
        prof = cProfile.Profile()
        prof.enable()
        rec = one_change(index, design)
        prof.disable()
        print(f"=== {args.kind} {use}: {rec}")
        print(top(prof, "cumulative", args.top))
        print(top(prof, "tottime", args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
