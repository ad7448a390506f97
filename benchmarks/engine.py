"""How fast is a design change? Index N incidents once, then time design changes
(public layer + score) against a DuckDB GROUP BY over the same integer columns, run in
the same process on the same data.

    python benchmarks/engine.py --rows 1000000

Prints progress, then as its last line a JSON object:
{"rows", "index_s", "recompute_ms", "baseline_ms", "ratio", "peak_rss_mb", ...}
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time

import duckdb
import numpy as np
import pyarrow as pa
from timing import median

from crimedash.atoms import resolve_grouping, windows_at
from crimedash.design import Design
from crimedash.index import index_incidents
from crimedash.layer import apply_design
from crimedash.load import load_households
from crimedash.risk import evaluate
from crimedash.sample import generate_incidents_frame, sample_paths

DESIGNS = (
    Design(granularity="h3:8", frequency="monthly", time_precision="month"),
    Design(granularity="h3:8", frequency="weekly", time_precision="week"),
    Design(granularity="h3:9", frequency="monthly", time_precision="month", min_count=3),
    Design(granularity="h3:7", frequency="quarterly", time_precision="quarter", counts="banded"),
    Design(
        granularity="h3:8",
        frequency="monthly",
        time_precision="month",
        hidden_groups=("Violence and sexual offences",),
    ),
    Design(granularity="grid:500", frequency="monthly", time_precision="month"),
    Design(granularity="adaptive:40", frequency="monthly", time_precision="month"),
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def duckdb_baseline(index, design: Design, repeat: int) -> float:
    """DuckDB counting the same (unit, window, group) integer keys the engine counts."""
    layer = apply_design(index, design)
    grouping = resolve_grouping(index, design)
    g = grouping.group_of_category[index.category_code].astype(np.int32)
    w = windows_at(index, layer.display_level).code.astype(np.int32)
    table = pa.table({"u": layer.units.incident_unit.astype(np.int32), "w": w, "g": g})
    con = duckdb.connect()
    con.register("t", table)
    query = "SELECT u, w, g, count(*) FROM t WHERE g >= 0 AND u >= 0 GROUP BY u, w, g"
    con.execute(query).fetchall()  # warm
    secs, _ = median(lambda: con.sql(query).to_arrow_table(), repeat)
    return secs


def h3_placement(index, res: int, repeat: int) -> dict[str, float]:
    """Seconds to place every incident and household at one H3 resolution: crimedash's
    way (vectorised, checked against the drawn hexagon) against a Python loop over
    h3.latlng_to_cell at that resolution (also counted where drawn, less the edge check)
    and the old way (the parent of a resolution-15 cell, which put 5-7% of incidents
    outside their hexagon), in the same process on the same points."""
    import h3.api.basic_int as h3_int

    from crimedash.cells import h3_parent

    lat = np.concatenate([index.lat, index.hh_lat]).tolist()
    lon = np.concatenate([index.lon, index.hh_lon]).tolist()

    def loop(r):
        to_cell = h3_int.latlng_to_cell
        return np.fromiter(
            (to_cell(a, b, r) for a, b in zip(lat, lon, strict=True)),
            np.uint64,
            len(lat),
        )

    def ours():
        index._res.pop(res, None)
        index.__dict__.pop("_places", None)  # nothing reused from an earlier resolution
        return index.resolution(res)

    return {
        "crimedash_s": round(median(ours, repeat)[0], 2),
        "loop_at_res_s": round(median(lambda: loop(res), repeat)[0], 2),
        "old_parent_of_res15_s": round(median(lambda: h3_parent(loop(15), res), repeat)[0], 2),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    say(f"generating {args.rows:,} incidents from the sample city model")
    frame = generate_incidents_frame(args.rows, args.seed)
    households = load_households(sample_paths()["households"])
    t = time.perf_counter()
    index = index_incidents(frame, households=households)
    index_s = time.perf_counter() - t
    del frame
    say(f"indexed in {index_s:.2f} s")

    # Units of a granularity are built once and cached on the index, on first use (H3
    # cells are found per resolution then). "first use" is what the analyst waits for
    # the first time each design's granularity is chosen. "cold" rebuilds the per-design atoms from the million incidents each time
    # (what a change of granularity or frequency costs); "warm" reuses them (what a
    # change of categories, counts, references or weights costs).
    t = time.perf_counter()
    for d in DESIGNS:
        evaluate(index, d)
    first_use_s = time.perf_counter() - t
    say(f"first use of the designs' units: {first_use_s:.2f} s")

    def cold(d: Design):
        for key in [k for k in index.cache if isinstance(k, tuple) and k[0] == "base"]:
            del index.cache[key]
        return evaluate(index, d)

    per_design, per_design_warm = {}, {}
    for d in DESIGNS:
        name = f"{d.granularity} {d.frequency} {d.counts} min{d.min_count}" + (
            " hide " + ",".join(d.hidden_groups) if d.hidden_groups else ""
        )
        per_design[name] = round(1000 * median(lambda d=d: cold(d), args.repeat)[0], 1)
        evaluate(index, d)
        per_design_warm[name] = round(
            1000 * median(lambda d=d: evaluate(index, d), args.repeat)[0], 1
        )
    for k, v in per_design.items():
        say(f"  {k:<60} cold {v:7.1f} ms   warm {per_design_warm[k]:6.1f} ms")
    recompute_ms = statistics.median(per_design.values())
    baseline_ms = 1000 * statistics.median(duckdb_baseline(index, d, args.repeat) for d in DESIGNS)
    placement = h3_placement(index, 9, max(1, args.repeat // 2))
    say(f"placing points at H3 resolution 9: {placement}")
    t = time.perf_counter()
    from crimedash.assessment import assess

    assess(index, DESIGNS[0])
    assess_s = time.perf_counter() - t
    say(f"full assessment with factors and what-ifs: {assess_s:.2f} s")
    result = {
        "rows": args.rows,
        "index_s": round(index_s, 2),
        "first_use_s": round(first_use_s, 2),
        "index_and_first_use_s": round(index_s + first_use_s, 2),
        "recompute_ms": round(recompute_ms, 1),
        "baseline_ms": round(baseline_ms, 1),
        "ratio": round(recompute_ms / baseline_ms, 2),
        "peak_rss_mb": round(peak_rss_mb(), 0),
        "recompute_max_ms": max(per_design.values()),
        "recompute_warm_ms": statistics.median(per_design_warm.values()),
        "assess_with_what_ifs_s": round(assess_s, 2),
        "h3_placement_res9": placement,
        "h3_placement_ratio_vs_old": round(
            placement["crimedash_s"] / placement["old_parent_of_res15_s"], 2
        ),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
