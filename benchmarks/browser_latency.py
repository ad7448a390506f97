"""How long a control change takes to show its score in a real browser, at national
scale (issue 16: within 1 s of any change, first use included; 0.3 s for a repeat).

Builds (or reuses) the national-shaped files of `national_data.py`, keeps them in a
temporary workspace as an upload, starts `streamlit run app.py` on them
(`?data=upload:<key>`, as a refreshed page would), opens headless Debian Chromium and
changes each kind of control the way an analyst does, timing per change:
- `score_s`: from the change to the score's value changing on the page;
- `idle_s`: from the change to the run's end (map, every tab, factors and what-ifs),
  if it ends within `--settle` seconds; the next change comes then either way (an
  analyst does not wait for the what-ifs; a change cuts them short).
*First* is the first design on a kind of unit (its units and atoms are built then);
*repeat* is another design on units already built. A screenshot of the page after
the last change goes to `--shots` (look at it). Baseline, in this process: DuckDB
grouping the same rows by (500 m cell, month, category), the count every design makes.

    .venv/bin/python benchmarks/browser_latency.py --rows 5000000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browserkit import (  # the shared browser kit lives beside the tests
    MAP_CANVAS,
    RUNNING,
    SCORE,
    choose,
    chromium,
    score_shown,
    score_text,
    streamlit_server,
    wait_score_change,
)

LOAD_TIMEOUT_MS = 1_800_000  # loading and indexing 5M rows on 2 busy cores


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_role("spinbutton", name=label).first
    box.fill(str(value))
    box.press("Enter")


def h3_step(page, up: bool = True) -> None:
    """Move the H3 slider one step with the keyboard, as a person would."""
    handle = page.get_by_role("slider", name="Hexagon size").first
    handle.focus()
    handle.press("ArrowRight" if up else "ArrowLeft")


# (what, how, use): each step changes the score; "first" meets a kind of unit for the
# first time, "repeat" is another design on units already built.
STEPS = [
    ("h3:8 -> h3:9", lambda p: h3_step(p, True), "first"),
    ("h3:9 min count 3", lambda p: set_number(p, "Suppress cells", 3), "repeat"),
    ("h3:9 -> h3:8, min 3", lambda p: h3_step(p, False), "repeat"),
    ("grid squares", lambda p: choose(p, "Kind of unit", "Grid squares"), "first"),
    ("grid min count 5", lambda p: set_number(p, "Suppress cells", 5), "repeat"),
    ("adaptive hexagons", lambda p: choose(p, "Kind of unit", "Adaptive hexagons"), "first"),
    ("adaptive min count 0", lambda p: set_number(p, "Suppress cells", 0), "repeat"),
    ("hexagons again", lambda p: choose(p, "Kind of unit", "Hexagons (H3)"), "repeat"),
]


def upload_link(files: list[Path], workspace: Path) -> str:
    """Keep the files in a session's workspace as the app keeps an upload; return the
    link's query (`?data=<key>&ws=<session>`): since issue 13 a data set is served only
    to the session whose workspace holds it, so a link naming the data alone opens the
    sample city."""
    from crimedash import workspace as ws
    from crimedash.ui.data import DATA_PARAM, UPLOAD_PREFIX, WORKSPACE_PARAM, Uploads

    incidents = tuple((f.name, f.read_bytes()) for f in files)
    key = Uploads(incidents=incidents).key()
    os.environ[ws.ENV_VAR] = str(workspace)
    session = ws.new_session_id()
    folder = ws.session_folder(session)
    ws.save_files(key.removeprefix(UPLOAD_PREFIX), {"incidents": list(incidents)}, {}, folder)
    return f"?{DATA_PARAM}={key}&{WORKSPACE_PARAM}={session}"


def duckdb_baseline(files: list[Path], repeat: int = 3) -> dict:
    """The same rows counted by DuckDB in this process: read once, then a GROUP BY on
    (~500 m cell, month, category) timed (median of `repeat`)."""
    import duckdb

    con = duckdb.connect()
    t0 = time.perf_counter()
    con.execute(
        'CREATE TABLE t AS SELECT Month AS month, "Crime type" AS cat, Latitude AS lat, '
        "Longitude AS lon FROM read_csv_auto(?, union_by_name=true) WHERE Latitude IS NOT NULL",
        [[str(f) for f in files]],
    )
    read_s = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        con.execute(
            "SELECT floor(lat / 0.0045) AS y, floor(lon / 0.0073) AS x, month, cat, count(*) "
            "FROM t GROUP BY ALL"
        ).fetchall()
        times.append(time.perf_counter() - t0)
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    return {
        "duckdb_read_s": round(read_s, 2),
        "duckdb_group_s": round(statistics.median(times), 3),
        "duckdb_rows": rows,
    }


# The run is over when nothing on the page is stale (greyed, from the run before), no
# progress bar is waiting on factors and what-ifs, and Streamlit's status is gone.
IDLE_JS = """(running) => !document.querySelector("[data-stale='true']")
    && !document.body.innerText.includes("Working out what moves the score")
    && !document.querySelector(running)"""


def wait_running_gone(page, timeout_ms: int) -> None:
    page.wait_for_timeout(150)
    page.wait_for_function(IDLE_JS, arg=RUNNING, timeout=timeout_ms, polling=100)


def run(rows: int, shots: Path, step_timeout_s: float, settle_s: float, attach: str) -> dict:
    import national_data

    files = sorted(national_data.build(rows).rglob("*.csv"))
    record: dict = {"rows": rows, "files": len(files), "settle_s": settle_s}
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="crimedash-bench-ws-") as ws,
        tempfile.TemporaryDirectory() as profile,
        contextlib.ExitStack() as stack,
    ):
        if attach:  # a server already holding the data (its store is process-wide)
            url = attach
        else:
            link = upload_link(files, Path(ws))
            url = stack.enter_context(streamlit_server(workspace=Path(ws))) + link
        page = stack.enter_context(chromium(Path(profile)))
        t0 = time.perf_counter()
        page.goto(url, timeout=LOAD_TIMEOUT_MS)
        page.locator(MAP_CANVAS).first.wait_for(timeout=LOAD_TIMEOUT_MS)
        page.locator(SCORE).first.wait_for(timeout=LOAD_TIMEOUT_MS)
        record["open_score_s"] = round(time.perf_counter() - t0, 1)
        # the app says what it holds: never time the sample city by mistake
        held = re.search(r"([\d,]+) incidents from", page.inner_text("body"))
        record["incidents_held"] = int(held.group(1).replace(",", "")) if held else 0
        if record["incidents_held"] < rows // 2:
            raise SystemExit(f"the app holds {record['incidents_held']:,} incidents, not ~{rows:,}")
        wait_running_gone(page, LOAD_TIMEOUT_MS)
        record["open_idle_s"] = round(time.perf_counter() - t0, 1)
        for what, act, use in STEPS:
            before = score_shown(page)
            t0 = time.perf_counter()
            act(page)
            try:
                wait_score_change(page, before, timeout_ms=int(step_timeout_s * 1000))
                t_score = round(time.perf_counter() - t0, 3)
            except Exception:  # the score did not move (or took too long): say so
                t_score = None
            # the next change comes after at most `settle_s` more: an analyst does not
            # wait for the what-ifs, and a change must cut them short
            try:
                wait_running_gone(page, int(settle_s * 1000))
                t_idle = round(time.perf_counter() - t0, 3)
            except Exception:
                t_idle = None
            results.append(
                {
                    "change": what,
                    "use": use,
                    "score": score_text(page),
                    "score_s": t_score,
                    "idle_s": t_idle,
                }
            )
            print(json.dumps(results[-1]), flush=True)
        shots.mkdir(parents=True, exist_ok=True)
        shot = shots / f"browser-latency-{rows}.png"
        page.screenshot(path=str(shot), full_page=False)
        record["screenshot"] = str(shot)
    record["changes"] = results
    # after the browser part, so the app had the machine to itself while timed
    record.update(duckdb_baseline(files))
    for use in ("first", "repeat"):
        got = [r["score_s"] for r in results if r["use"] == use and r["score_s"] is not None]
        if got:
            record[f"{use}_score_median_s"] = round(statistics.median(got), 3)
            record[f"{use}_score_max_s"] = round(max(got), 3)
            record[f"{use}_score_over_duckdb"] = round(
                statistics.median(got) / record["duckdb_group_s"], 1
            )
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument(
        "--shots", type=Path, default=Path(tempfile.gettempdir()) / "crimedash-shots"
    )
    parser.add_argument("--step-timeout", type=float, default=300.0)
    parser.add_argument(
        "--settle", type=float, default=30.0, help="longest wait for the run's end per change"
    )
    parser.add_argument("--attach", default="", help="URL of a running app holding the data")
    args = parser.parse_args()
    rec = run(args.rows, args.shots, args.step_timeout, args.settle, args.attach)
    print(f"{'change':<24} {'use':<7} {'score':>6} {'score_s':>8} {'idle_s':>8}")
    for r in rec["changes"]:
        print(
            f"{r['change']:<24} {r['use']:<7} {r['score']:>6} {r['score_s']!s:>8} {r['idle_s']!s:>8}"
        )
    print(json.dumps({k: v for k, v in rec.items() if k != "changes"}))


if __name__ == "__main__":
    main()
