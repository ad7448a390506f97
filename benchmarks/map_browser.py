"""How long the map takes to appear in a real browser after a control change, on a
store at national scale (issue 16: the map after the score).

    CRIMEDASH_BENCH_CACHE=/work/benchcache .venv/bin/python benchmarks/map_browser.py \
        --store /work/benchcache/store-5M [--code /work/main] [--shots DIR]

Starts `streamlit run app.py` offering the store (`$CRIMEDASH_DATA`, `?data=store:<name>`),
opens headless Debian Chromium and makes the changes in `STEPS` as an analyst does,
timing each: `score_s`, from the change to the score's value changing; `map_s`, to the
map's new deck being on the page (no "Drawing the map" line, no stale map) and two
animation frames drawn. `--code DIR` runs the server on another checkout's `crimedash`
(`PYTHONPATH`), to time the code before a change on the same store and machine; run
the two alternately. Baseline in this process: DuckDB grouping the store's rows by
(~500 m cell, month, category), the count every design makes. A screenshot of the
page after each change goes to `--shots` (look at them).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_latency import h3_step, set_number
from browserkit import (
    MAP_CANVAS,
    SCORE,
    choose,
    chromium,
    score_shown,
    score_text,
    streamlit_server,
    wait_score_change,
)

OPEN_TIMEOUT_MS = 1_800_000

# (what, how, use): "first" meets a kind of unit (and its map) for the first time
STEPS = [
    ("adaptive hexagons", lambda p: choose(p, "Kind of unit", "Adaptive hexagons"), "first"),
    ("adaptive min count 3", lambda p: set_number(p, "Suppress cells", 3), "repeat"),
    ("hexagons again", lambda p: choose(p, "Kind of unit", "Hexagons (H3)"), "repeat"),
    ("h3 one step finer", lambda p: h3_step(p, True), "first"),
    ("h3 another step finer", lambda p: h3_step(p, True), "first"),
]

# The new map is on the page: no line saying it is still being drawn, no greyed map.
MAP_READY_JS = """() => !document.body.innerText.includes("Drawing the map")
    && !document.querySelector("[data-stale='true'] [data-testid='stDeckGlJsonChart']")
    && document.querySelector("[data-testid='stDeckGlJsonChart'] canvas") !== null"""
FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def duckdb_baseline(store: Path, repeat: int = 3) -> float:
    """Median seconds of DuckDB's GROUP BY (~500 m cell, month, category) of the store."""
    import duckdb

    con = duckdb.connect()
    parquet = str(store / "incidents" / "**" / "*.parquet")
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{parquet}')")
    cols = {r[0] for r in con.execute("DESCRIBE t").fetchall()}
    lat = next(c for c in cols if c.lower() in ("latitude", "lat"))
    lon = next(c for c in cols if c.lower() in ("longitude", "lon"))
    month = next(c for c in cols if c.lower() in ("month", "occurred_at"))
    cat = next(c for c in cols if c.lower() in ("crime type", "category"))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        con.execute(
            f'SELECT floor("{lat}" / 0.0045), floor("{lon}" / 0.0073), "{month}", "{cat}", '
            "count(*) FROM t GROUP BY ALL"
        ).fetchall()
        times.append(time.perf_counter() - t0)
    con.close()
    return statistics.median(times)


def run(store: Path, code: str, shots: Path, timeout_s: float, steps: int) -> dict:
    env = {"CRIMEDASH_DATA": str(store)}
    if code:
        env["PYTHONPATH"] = code
    record: dict = {"store": str(store), "code": code or "this checkout"}
    results = []
    tag = "old" if code else "new"
    shots.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="crimedash-bench-ws-") as ws,
        tempfile.TemporaryDirectory() as profile,
        contextlib.ExitStack() as stack,
    ):
        url = stack.enter_context(streamlit_server(workspace=Path(ws), env=env))
        page = stack.enter_context(chromium(Path(profile)))
        t0 = time.perf_counter()
        page.goto(f"{url}?data=store:{store.name}", timeout=OPEN_TIMEOUT_MS)
        page.locator(SCORE).first.wait_for(timeout=OPEN_TIMEOUT_MS)
        page.locator(MAP_CANVAS).first.wait_for(timeout=OPEN_TIMEOUT_MS)
        page.wait_for_function(MAP_READY_JS, timeout=OPEN_TIMEOUT_MS, polling=100)
        record["open_map_s"] = round(time.perf_counter() - t0, 1)
        for i, (what, act, use) in enumerate(STEPS[:steps]):
            before = score_shown(page)
            t0 = time.perf_counter()
            act(page)
            rec = {"change": what, "use": use, "score_s": None, "map_s": None}
            try:
                wait_score_change(page, before, timeout_ms=int(timeout_s * 1000))
                rec["score_s"] = round(time.perf_counter() - t0, 2)
                page.wait_for_timeout(200)  # the page marks the old map stale first
                page.wait_for_function(MAP_READY_JS, timeout=int(timeout_s * 1000), polling=50)
                page.evaluate(FRAMES_JS)
                rec["map_s"] = round(time.perf_counter() - t0, 2)
            except Exception as exc:  # a step that never finished is a finding
                rec["error"] = str(exc).splitlines()[0]
            rec["score"] = score_text(page)
            shot = shots / f"map-{tag}-{store.name}-{i}.png"
            page.screenshot(path=str(shot), full_page=False)
            rec["screenshot"] = str(shot)
            results.append(rec)
            print(json.dumps(rec), flush=True)
    record["changes"] = results
    record["duckdb_group_s"] = round(duckdb_baseline(store), 3)
    for r in results:
        if r["map_s"] is not None:
            r["map_over_duckdb"] = round(r["map_s"] / record["duckdb_group_s"], 1)
    return record


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--store", type=Path, required=True)
    p.add_argument("--code", default="", help="another checkout whose crimedash the app runs")
    p.add_argument("--shots", type=Path, default=Path(tempfile.gettempdir()) / "crimedash-shots")
    p.add_argument("--timeout", type=float, default=300.0, help="longest wait per change (s)")
    p.add_argument("--steps", type=int, default=len(STEPS), help="only the first N changes")
    args = p.parse_args()
    os.environ.pop("CRIMEDASH_DATA", None)
    rec = run(args.store.resolve(), args.code, args.shots, args.timeout, args.steps)
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
