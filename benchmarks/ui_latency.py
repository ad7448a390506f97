"""How long a control change takes to show in a real browser, on the sample city.

Starts `streamlit run app.py`, opens it in headless Debian Chromium, then clicks
through update frequencies (each click changes the score) and times, per click:
- `score_s`: from the click to the score's text changing on the page;
- `idle_s`: from the click to Streamlit finishing the run (map, charts, what-ifs).
The first round meets each design for the first time (the engine computes it); the
second round meets them again (cached). Prints a table, then one JSON line.

    .venv/bin/python benchmarks/ui_latency.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from browserkit import (  # the shared browser kit lives beside the tests
    MAP_CANVAS,
    choose,
    chromium,
    score_shown,
    score_text,
    streamlit_server,
    wait_idle,
    wait_score_change,
)

# Consecutive entries differ in the window the attacker sees, so every click moves the
# score (monthly and quarterly share month windows while times are shown to the month).
SEQUENCE = ("Weekly", "Daily", "Monthly", "Real time", "Weekly", "Monthly", "Daily", "Weekly")


def run(rounds: int) -> dict:
    results: list[dict] = []
    with (
        tempfile.TemporaryDirectory() as profile,
        streamlit_server() as url,
        chromium(Path(profile)) as page,
    ):
        page.goto(url)
        page.locator(MAP_CANVAS).first.wait_for(timeout=180_000)
        wait_idle(page)
        for rnd in range(rounds):
            choose(page, "Update frequency", "Monthly")  # same start each round
            wait_idle(page)
            for option in SEQUENCE[1:] if rnd == 0 else SEQUENCE:
                before = score_shown(page)
                t0 = time.perf_counter()
                choose(page, "Update frequency", option)
                wait_score_change(page, before)
                t_score = time.perf_counter() - t0
                wait_idle(page)
                t_idle = time.perf_counter() - t0
                results.append(
                    {
                        "round": rnd + 1,
                        "to": option,
                        "score": score_text(page),
                        "score_s": round(t_score, 3),
                        "idle_s": round(t_idle, 3),
                    }
                )
    return summarise(results)


def summarise(results: list[dict]) -> dict:
    print(f"{'round':>5} {'frequency':<10} {'score':>6} {'score_s':>8} {'idle_s':>7}")
    for r in results:
        print(f"{r['round']:>5} {r['to']:<10} {r['score']:>6} {r['score_s']:>8} {r['idle_s']:>7}")
    out: dict = {"changes": len(results)}
    for rnd, name in ((1, "first"), (2, "cached")):
        rows = [r for r in results if r["round"] == rnd]
        if rows:
            out[f"{name}_score_median_s"] = round(statistics.median(r["score_s"] for r in rows), 3)
            out[f"{name}_score_max_s"] = round(max(r["score_s"] for r in rows), 3)
            out[f"{name}_idle_median_s"] = round(statistics.median(r["idle_s"] for r in rows), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(run(args.rounds)))


if __name__ == "__main__":
    main()
