"""How fast is the attack simulation? Index N incidents once, then time the attack on
designs' public layers against building those layers (apply_design), run in the same
process on the same data.

    python benchmarks/attack.py --rows 1000000

Prints progress, then as its last line a JSON object:
{"rows", "attack_ms", "layer_ms", "ratio", ...}
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from timing import median

from crimedash.attack import attack
from crimedash.design import Design
from crimedash.index import index_incidents
from crimedash.layer import apply_design
from crimedash.load import load_households
from crimedash.sample import generate_incidents_frame, sample_paths

DESIGNS = (
    Design(granularity="h3:8", frequency="monthly", time_precision="month"),
    Design(granularity="h3:9", frequency="monthly", time_precision="month", min_count=3),
    Design(granularity="h3:9", frequency="weekly", time_precision="week", counts="rounded"),
    Design(granularity="h3:7", frequency="quarterly", time_precision="quarter", counts="banded"),
    Design(granularity="adaptive:40", frequency="monthly", time_precision="month", min_count=3),
)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    print(f"generating {args.rows:,} incidents", file=sys.stderr, flush=True)
    frame = generate_incidents_frame(args.rows, args.seed)
    index = index_incidents(frame, households=load_households(sample_paths()["households"]))
    del frame
    per = {}
    layer_ms, attack_ms = [], []
    for d in DESIGNS:
        layer = apply_design(index, d)  # warm the units and atoms
        lay = 1000 * median(lambda d=d: apply_design(index, d), args.repeat)[0]
        att = 1000 * median(lambda layer=layer: attack(index, [layer]), args.repeat)[0]
        name = f"{d.granularity} {d.frequency} {d.counts} min{d.min_count}"
        per[name] = {"layer_ms": round(lay, 1), "attack_ms": round(att, 1)}
        print(f"  {name:<45} layer {lay:7.1f} ms  attack {att:7.1f} ms", file=sys.stderr)
        layer_ms.append(lay)
        attack_ms.append(att)
    a, b = statistics.median(attack_ms), statistics.median(layer_ms)
    print(
        json.dumps(
            {
                "rows": args.rows,
                "attack_ms": round(a, 1),
                "layer_ms": round(b, 1),
                "ratio": round(a / b, 2),
                "attack_max_ms": round(max(attack_ms), 1),
                "per_design": per,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
