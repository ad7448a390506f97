"""A first use of H3 units at national scale: placing every place in its drawn cell.

    .venv/bin/python benchmarks/placement.py --rows 5000000 --res 7,8,9,10
    .venv/bin/python benchmarks/placement.py --rows 2000000 --digest

Loads and indexes the national data set (`national_data.py`) as the app does with an
upload, then, per resolution, alternates two ways of placing the index's distinct
places in the cell whose published hexagon contains them (issue 16):
- `search`: H3's point-to-cell search at that resolution for every place, then the
  published-outline check (`cells.drawn_cells` without `fine`, the way before);
- `fine`: from each place's resolution-15 cell, found once (`Index._place_fine`, timed
  apart as `fine_cpu_s`), searching only the places near their cell's edge.
Both must give the same cells (checked on every run). Then the cold first use the page
waits on (`risk.evaluate` and the score panel) on H3 units, on two fresh copies of the
index, one placing each way, alternated. Times are CPU seconds of this process (the
work is single-threaded, so on a quiet machine close to its wall clock); the baseline
is DuckDB's group-by of the same rows by (~500 m cell, month, category) in the same
process, median of 3, on the wall clock (ratios are to it, as the browser benchmark's)
and in CPU seconds (both of its threads).

`--cold` times only the cold first uses, each on a fresh copy of the index placing
the way the code on the path does (the first one pays for `Index._place_fine`), so two
versions of the code can be alternated, one process each:

    PYTHONPATH=<a checkout of main> .venv/bin/python benchmarks/placement.py --cold
    .venv/bin/python benchmarks/placement.py --cold

`--digest` prints one SHA-256 over several designs' published layers, per-row arrays
and scores: run it on two versions of the code (PYTHONPATH) to show they agree.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crimedash.assessment import assess
from crimedash.cells import drawn_cells
from crimedash.design import Design
from crimedash.risk import evaluate

DIGEST_DESIGNS = (
    {"granularity": "h3:7"},
    {"granularity": "h3:8", "min_count": 3},
    {"granularity": "h3:9", "counts": "rounded", "round_base": 5},
    {"granularity": "h3:10"},
    {"granularity": "adaptive:40"},
    {"granularity": "grid:500", "min_count": 5},
)


def cpu(fn) -> tuple[float, Any]:
    c = time.process_time()
    out = fn()
    return time.process_time() - c, out


def first_use(index, design: Design) -> tuple[float, float]:
    """CPU seconds of what the page waits on before the score, and the score."""
    c = time.process_time()
    ev = evaluate(index, design)
    assess(index, design, with_what_ifs=False, with_utility=False, evaluation=ev)
    return time.process_time() - c, ev.score


def open_index(rows: int, seed: int):
    from national_data import build

    from crimedash.index import index_incidents
    from crimedash.load import load_incidents

    loaded = load_incidents([build(rows, seed)])
    index = index_incidents(loaded.incidents, time_precision=loaded.time_precision)
    index.keep_alternatives = True  # as the app's
    return index


def fresh(index):
    """A copy of `index` with nothing placed or cached (the arrays are shared)."""
    copy = dataclasses.replace(index, _res={}, cache={}, _cache_bytes={}, _pinned={})
    copy.keep_alternatives = index.keep_alternatives
    if "_places" in index.__dict__:  # the distinct places are not what is timed
        copy.__dict__["_places"] = index.__dict__["_places"]
    return copy


def duckdb_group_s(index) -> tuple[float, float]:
    import duckdb

    frame = pd.DataFrame(
        {
            "lat": index.lat,
            "lon": index.lon,
            "month": index.time_keys["month"],
            "cat": index.category_code,
        }
    )
    con = duckdb.connect()
    con.register("t", frame)
    times, cpus = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        con.execute(
            "SELECT floor(lat / 0.0045) AS y, floor(lon / 0.0073) AS x, month, cat, count(*) "
            "FROM t GROUP BY ALL"
        ).fetchall()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    con.close()
    return statistics.median(times), statistics.median(cpus)


def _feed(h, value: Any) -> None:
    if isinstance(value, np.ndarray):
        h.update(str(value.dtype).encode())
        if value.dtype == object:
            h.update(repr(value.tolist()).encode())
        else:
            h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, pd.DataFrame | pd.Series):
        h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            h.update(f.name.encode())
            _feed(h, getattr(value, f.name))
    elif isinstance(value, dict):
        for k in sorted(value, key=repr):
            h.update(repr(k).encode())
            _feed(h, value[k])
    elif isinstance(value, list | tuple):
        for v in value:
            _feed(h, v)
    else:
        h.update(repr(value).encode())


def digest(index) -> str:
    h = hashlib.sha256()
    base = Design(granularity="h3:8", frequency="monthly", time_precision="month")
    for change in DIGEST_DESIGNS:
        design = base.with_(**change)
        ev = evaluate(index, design)
        a = assess(index, design, with_what_ifs=False, with_utility=False, evaluation=ev)
        _feed(h, ev.layer.frame(index))
        for name in ("unit", "dwin", "slot", "loc", "n", "kappa", "shown", "r", "parts"):
            _feed(h, getattr(ev, name))
        _feed(h, (ev.score, ev.attacker_scores, ev.linkable, a.score))
        print(json.dumps({"design": change, "score": ev.score}), flush=True)
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=5_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--res", default="7,8,9,10", help="H3 resolutions, comma-separated")
    p.add_argument("--rounds", type=int, default=2, help="alternations of the two ways")
    p.add_argument("--digest", action="store_true", help="print a digest of designs, no timing")
    p.add_argument("--cold", action="store_true", help="only the cold first uses, this code's way")
    args = p.parse_args(argv)
    index = open_index(args.rows, args.seed)
    if args.digest:
        print(json.dumps({"rows": index.n, "digest": digest(index)}))
        return 0
    group_s, group_cpu_s = duckdb_group_s(index)
    resolutions = [int(r) for r in args.res.split(",")]
    if args.cold:
        placed = fresh(index)  # one copy: a resolution's places are found once per index
        print(json.dumps({"rows": index.n, "duckdb_group_s": round(group_s, 3)}), flush=True)
        for res in resolutions:
            design = Design(granularity=f"h3:{res}", frequency="monthly", time_precision="month")
            took, score = first_use(placed, design)
            row = {"cold first use": f"h3:{res}", "cpu_s": round(took, 3)}
            row |= {"score": round(score, 6), "/ duckdb": round(took / group_s, 2)}
            print(json.dumps(row), flush=True)
        return 0
    plat, plon, _ = index._places
    fine_s, fine = cpu(lambda: index._place_fine)
    print(
        json.dumps(
            {
                "rows": index.n,
                "places": len(plat),
                "fine_cpu_s": round(fine_s, 3),
                "duckdb_group_s": round(group_s, 3),
                "duckdb_group_cpu_s": round(group_cpu_s, 3),
            }
        ),
        flush=True,
    )
    for res in resolutions:  # placement alone, the two ways alternated
        got: dict[str, list[float]] = {"search": [], "fine": []}
        for _ in range(args.rounds):
            s, a = cpu(lambda: drawn_cells(plat, plon, res))  # noqa: B023
            f, b = cpu(lambda: drawn_cells(plat, plon, res, fine))  # noqa: B023
            if not np.array_equal(a, b):
                raise SystemExit(f"resolution {res}: the two ways place differently")
            got["search"].append(s)
            got["fine"].append(f)
        best = {k: min(v) for k, v in got.items()}
        print(
            json.dumps(
                {
                    "placement": f"h3:{res}",
                    "search_cpu_s": round(best["search"], 3),
                    "fine_cpu_s": round(best["fine"], 3),
                    "fine / search": round(best["fine"] / best["search"], 2),
                    "same_cells": True,
                }
            ),
            flush=True,
        )
    searching, placing = fresh(index), fresh(index)
    searching.__dict__["_place_fine"] = None  # every resolution by H3's search, as before
    placing.__dict__["_place_fine"] = fine  # found once, timed above
    for res in resolutions:  # the page's cold first use, the two ways alternated
        design = Design(granularity=f"h3:{res}", frequency="monthly", time_precision="month")
        row: dict[str, Any] = {"first use": f"h3:{res}"}
        for name, idx in (("search", searching), ("fine", placing)):
            took, score = first_use(idx, design)
            row[f"{name}_cpu_s"] = round(took, 3)
            row[f"{name}_score"] = round(score, 6)
            row[f"{name} / duckdb"] = round(took / group_s, 2)
        row["fine / search"] = round(row["fine_cpu_s"] / row["search_cpu_s"], 2)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
