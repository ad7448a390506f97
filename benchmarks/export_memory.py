"""Peak memory and wall time of `crimedash export` on a store, for one or more checkouts
of crimedash run one after another (issue 16: export at national scale under 8 GB).

Each run is its own process under `/usr/bin/time -v` ("Maximum resident set size" is
the peak; a process of its own so one run's memory never counts in another's), with
`PYTHONPATH` set to the checkout so an older commit's code can run from this venv:

    git worktree add --detach /work/wt/engine-base 7089ead
    nice -n 5 .venv/bin/python benchmarks/export_memory.py STORE \\
        --code before=/work/wt/engine-base --code after=. --out /tmp/export-bench

The design is the one docs/scale.md measured at 60M rows: h3:7, quarterly, minimum
count 3. Prints one JSON line per run (wall seconds, CPU seconds, peak RSS in GB, the
load average before the run) and, with two or more, each run's ratio to the first.

`--repeat N` runs the checkouts in turn N times (the peak of one export moved by 5-8%
from run to run at 5M rows: loader threads and malloc arenas) and compares the medians.
`--cache-budget-mb` sets `index.CACHE_BUDGET_BYTES` in the exporting process: the
index's cache of blocks is full (2 GiB) at 60M rows but nowhere near it at 5M, so a
budget scaled to the rows (2048 x 5 / 60 = 171 MB at 5M) makes a small store evict as
the national one does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

DESIGN = ["--granularity", "h3:7", "--frequency", "quarterly", "--min-count", "3"]
APPROVAL = [
    "--approved-by",
    "Bench Reviewer",
    "--publisher",
    "Bench Council",
    "--contact",
    "bench@example.org",
    "--justification",
    "benchmark run (issue 16)",
    "--no-log",
    "--no-progress",
]


def _field(text: str, name: str) -> str:
    m = re.search(rf"^\s*{re.escape(name)}.*?: (.+)$", text, re.M)
    if m is None:
        raise SystemExit(f"no '{name}' in /usr/bin/time's output:\n{text[-2000:]}")
    return m.group(1).strip()


def _seconds(clock: str) -> float:
    parts = [float(p) for p in clock.split(":")]
    total = 0.0
    for p in parts:
        total = total * 60 + p
    return total


WRAPPER = (
    "import sys, crimedash.index as I; I.CACHE_BUDGET_BYTES = int(sys.argv.pop(1)); "
    "from crimedash.cli import main; sys.exit(main(sys.argv[1:]))"
)


def run(store: str, code: str, out: Path, extra: list[str], budget_mb: float | None = None) -> dict:
    """One export of `store` with the crimedash found at `code`, in its own process."""
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ, PYTHONPATH=str(Path(code).resolve()))
    load = os.getloadavg()
    cmd = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        *(
            ["-c", WRAPPER, str(int(budget_mb * 2**20))]
            if budget_mb is not None
            else ["-m", "crimedash"]
        ),
        "export",
        store,
        *DESIGN,
        *APPROVAL,
        *extra,
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"export failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    err = done.stderr
    return {
        "code": code,
        "wall_s": round(_seconds(_field(err, "Elapsed (wall clock) time")), 1),
        "cpu_s": round(
            float(_field(err, "User time (seconds)")) + float(_field(err, "System time (seconds)")),
            1,
        ),
        "peak_gb": round(int(_field(err, "Maximum resident set size (kbytes)")) / 1e6, 3),
        "load_before": [round(x, 1) for x in load],
        "bundle": str(out),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store", help="a store folder (crimedash store build ... --out STORE)")
    ap.add_argument(
        "--code",
        action="append",
        required=True,
        metavar="NAME=PATH",
        help="a checkout to run (repeat; the first is the baseline of the ratios)",
    )
    ap.add_argument("--out", required=True, help="folder for the bundles (outside the repo)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each checkout, in turn")
    ap.add_argument(
        "--cache-budget-mb", type=float, help="index.CACHE_BUDGET_BYTES for the export, in MiB"
    )
    ap.add_argument("extra", nargs="*", help="more export options, after --")
    args = ap.parse_args()
    runs: dict[str, list[dict]] = {}
    for _ in range(args.repeat):
        for spec in args.code:
            name, _, path = spec.partition("=")
            out = Path(args.out) / name
            row = {"name": name, **run(args.store, path, out, args.extra, args.cache_budget_mb)}
            if args.cache_budget_mb is not None:
                row["cache_budget_mb"] = args.cache_budget_mb
            print(json.dumps(row), flush=True)
            runs.setdefault(name, []).append(row)
    med = {
        name: {k: statistics.median(r[k] for r in rows) for k in ("peak_gb", "wall_s", "cpu_s")}
        for name, rows in runs.items()
    }
    names = list(med)
    for name in names:
        peaks = sorted(r["peak_gb"] for r in runs[name])
        print(
            f"{name}: median peak {med[name]['peak_gb']:.3f} GB (runs {peaks}), "
            f"median wall {med[name]['wall_s']:.1f} s, median cpu {med[name]['cpu_s']:.1f} s"
        )
    base = med[names[0]]
    for name in names[1:]:
        m = med[name]
        print(
            f"{name} / {names[0]} (medians): peak {m['peak_gb'] / base['peak_gb']:.3f}x, "
            f"wall {m['wall_s'] / base['wall_s']:.3f}x, cpu {m['cpu_s'] / base['cpu_s']:.3f}x"
        )


if __name__ == "__main__":
    main()
