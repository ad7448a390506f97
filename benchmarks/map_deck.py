"""The public map's deck at national scale: its JSON's size and the CPU to make it,
beside a baseline in the same process (issue 16, the map after the score).

    .venv/bin/python benchmarks/map_deck.py --store /work/benchcache/store-5M \
        [--kinds h3:8,h3:10,adaptive:40] [--repeat 3]

For each kind of unit, on the store's latest month and the design's default group, as
the app's map worker makes it (`crimedash/ui/deckjob.py`):
- `view_first_s` / `view_s`: `viz.map_view` on first use of the units (adaptive units
  build their outlines then) and again (cached shapes);
- `records_s`: `viz.public_deck` from that view (the layers' records: tooltips escaped);
- `json_s` and `mb`: `viz.deck_json` of that deck, what the browser is sent;
- baseline, same deck, same process, alternated with `json_s`: `stdlib_s`, Python's
  json module writing it compactly with sorted keys (the C encoder; what `deck_json`
  did before orjson), and `json_over_stdlib` the ratio of medians.
CPU seconds (`time.process_time`), medians of `--repeat` rounds: the machine is shared,
and only this thread works. To compare with another checkout's code (before/after), run
the same command with `PYTHONPATH=<that checkout>`; the stdlib baseline keeps the runs
comparable. One JSON line per kind on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from pydeck.bindings.json_tools import default_serialize

from crimedash import viz
from crimedash.design import Design
from crimedash.layer import apply_design
from crimedash.storeindex import open_store

KINDS = ("h3:8", "h3:10", "adaptive:40")


def cpu(fn):
    """(CPU seconds of `fn()`, its result)."""
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def stdlib_json(deck) -> str:
    """The baseline: the json module's C encoder, compact, keys sorted."""
    return json.dumps(deck, sort_keys=True, default=default_serialize, separators=(",", ":"))


def one_kind(index, kind: str, repeat: int) -> dict:
    design = Design(granularity=kind, frequency="monthly", time_precision="month")
    apply_s, layer = cpu(lambda: apply_design(index, design))
    view_first_s, view = cpu(lambda: viz.map_view(index, layer))
    view_s = statistics.median(cpu(lambda: viz.map_view(index, layer))[0] for _ in range(repeat))
    records, ours, base = [], [], []
    text = ""
    for r in range(repeat):
        t, deck = cpu(lambda: viz.public_deck(index, layer, view=view))
        records.append(t)
        # alternate which encoder goes first: the shared machine's load drifts
        for which in ("ours", "base") if r % 2 == 0 else ("base", "ours"):
            if which == "ours":
                t, text = cpu(lambda d=deck: viz.deck_json(d))
                ours.append(t)
            else:
                t, _ = cpu(lambda d=deck: stdlib_json(d))
                base.append(t)
    layers = json.loads(text)["layers"]
    return {
        "kind": kind,
        "units": int(layer.units.n),
        "drawn": len(view.units),
        "apply_s": round(apply_s, 2),
        "view_first_s": round(view_first_s, 2),
        "view_s": round(view_s, 3),
        "records_s": round(statistics.median(records), 3),
        "json_s": round(statistics.median(ours), 3),
        "stdlib_s": round(statistics.median(base), 3),
        "json_over_stdlib": round(statistics.median(ours) / max(statistics.median(base), 1e-9), 3),
        "first_map_s": round(
            view_first_s + statistics.median(records) + statistics.median(ours), 2
        ),
        "mb": round(len(text.encode()) / 1e6, 2),
        "layer_mb": {
            ly["id"]: round(len(json.dumps(ly, separators=(",", ":"))) / 1e6, 2) for ly in layers
        },
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--store", required=True, help="a store built by `crimedash store build`")
    p.add_argument("--kinds", default=",".join(KINDS), help="granularities, comma-separated")
    p.add_argument("--repeat", type=int, default=3, help="rounds per figure; medians count")
    args = p.parse_args(argv)
    open_s, (_, index) = cpu(lambda: open_store(args.store))
    print(f"opened {args.store}: {index.n:,} incidents, {open_s:.1f} CPU-s", file=sys.stderr)
    for kind in [k for k in args.kinds.split(",") if k]:
        rec = {"store": args.store, "incidents": index.n, **one_kind(index, kind, args.repeat)}
        print(json.dumps(rec), flush=True)
        print(
            f"{kind}: {rec['drawn']:,} units drawn, {rec['mb']} MB; view first "
            f"{rec['view_first_s']} s, records {rec['records_s']} s, json {rec['json_s']} s "
            f"(stdlib {rec['stdlib_s']} s, x{rec['json_over_stdlib']})",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
