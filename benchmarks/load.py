"""How fast `load_incidents` reads big CSVs, against pyarrow's CSV reader (issue 16's
yardstick: at most 2x) and plain `pandas.read_csv`, on the same files in one process.

    .venv/bin/python benchmarks/load.py --rows 1000000
    .venv/bin/python benchmarks/load.py --rows 1000000 --national

Without --national: N synthetic incidents (the sample city's columns) are written to one
temporary CSV in a child process, so the generator's memory does not count. With
--national: the police.uk-shaped folder of N national rows (`national_data.py`: one CSV
per force and month, as police.uk publishes them; built once, then cached) is read
instead. Each loader runs `--repeat` times, alternating, and the fastest run of each
counts (the machine may be busy). The last line printed is a JSON object: rows, files,
load_s, pyarrow_s, ratio_pyarrow (load / pyarrow), baseline_s and ratio (pandas: the
figures before issue 16, kept comparable), cpu_load_s / cpu_pyarrow_s (CPU seconds of
the fastest runs, all threads: steadier than wall time on a shared machine), threads
(loader threads, `CRIMEDASH_LOAD_THREADS`), peak_rss_mb (after the first load, before the
baselines) and load_avg (the machine's 1-minute load average at the start).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_incidents(path: str, rows: int, seed: int = 1) -> None:
    """N incidents around a city centre, written as the sample city's incidents.csv."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from crimedash import categories, schema

    try:  # the sample city's generator, when it exists
        from crimedash.sample import generate_incidents_frame  # type: ignore[attr-defined]

        frame = generate_incidents_frame(rows, seed)
        frame.to_csv(path, index=False)
        return
    except ImportError:
        pass
    rng = np.random.default_rng(seed)
    codes = np.array([c.code for c in categories.FINE_CATEGORIES])
    kinds = np.array([t.value for t in schema.LOCATION_TYPES if t != "unknown"])
    start = np.datetime64("2023-01-01T00:00:00")
    seconds = rng.integers(0, 2 * 365 * 86400, rows)
    table = pa.table(
        {
            schema.INCIDENT_ID: pa.array(np.char.add("INC", np.arange(rows).astype(str))),
            schema.REFERENCE: pa.array(
                np.char.add("REF/", rng.integers(1e6, 1e7, rows).astype(str))
            ),
            schema.OCCURRED_AT: pa.array(
                np.datetime_as_string(start + seconds.astype("timedelta64[s]"), unit="s")
            ),
            schema.CATEGORY: pa.array(codes[rng.integers(0, len(codes), rows)]),
            schema.LATITUDE: pa.array(np.round(53.45 + rng.normal(0, 0.03, rows), 6)),
            schema.LONGITUDE: pa.array(np.round(-2.30 + rng.normal(0, 0.05, rows), 6)),
            schema.LOCATION_TYPE: pa.array(kinds[rng.integers(0, len(kinds), rows)]),
        }
    )
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))


def _pyarrow(files: list[Path]) -> int:
    """pyarrow's CSV reader over the same files: every column as text (the loader reads
    them so), nothing checked, nothing hashed: the yardstick of issue 16's target."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rows = 0
    for f in files:
        with open(f, "rb") as fh:
            header = fh.readline().decode("utf-8-sig").strip()
        names = [c.strip('"') for c in header.split(",")]
        opts = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
        rows += pacsv.read_csv(f, convert_options=opts).num_rows
    return rows


def _pandas(files: list[Path]) -> int:
    import pandas as pd

    return sum(len(pd.read_csv(f)) for f in files)


def _best(fn, runs: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of `runs` calls."""
    wall = cpu = float("inf")
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    parser.add_argument(
        "--national", action="store_true", help="the national police.uk-shaped folder"
    )
    args = parser.parse_args(argv)

    from crimedash.load import load_incidents

    try:  # one file at a time before the loader threads (to run older code)
        from crimedash.load.pipeline import WORKERS
    except ImportError:
        WORKERS = 1

    load_avg = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        if args.national:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from national_data import build

            src = build(args.rows, 7)
            files = sorted(src.rglob("*.csv"))
        else:
            src = Path(tmp) / "incidents.csv"
            child = multiprocessing.get_context("spawn").Process(
                target=write_incidents, args=(str(src), args.rows, args.seed)
            )
            child.start()
            child.join()
            if child.exitcode != 0:
                print("could not write the synthetic file", file=sys.stderr)
                return 1
            files = [src]
        size_mb = sum(f.stat().st_size for f in files) / 1e6

        result = load_incidents([str(src)])  # the first run: warm caches, peak memory
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kept, rejected = len(result.incidents), len(result.rejected)
        del result
        load = pyarrow = pandas_ = (float("inf"), float("inf"))
        for _ in range(max(args.repeat, 1)):  # alternating, so both meet the same load
            load = min(load, _best(lambda: load_incidents([str(src)]), 1))
            pyarrow = min(pyarrow, _best(lambda: _pyarrow(files), 1))
        pandas_ = _best(lambda: _pandas(files), 1)

    print(
        f"{len(files)} files, {size_mb:.0f} MB; kept {kept:,}, rejected {rejected:,}",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "rows": args.rows,
                "data": "national" if args.national else "synthetic",
                "files": len(files),
                "load_s": round(load[0], 3),
                "pyarrow_s": round(pyarrow[0], 3),
                "ratio_pyarrow": round(load[0] / pyarrow[0], 2),
                "cpu_load_s": round(load[1], 3),
                "cpu_pyarrow_s": round(pyarrow[1], 3),
                "baseline_s": round(pandas_[0], 3),
                "ratio": round(load[0] / pandas_[0], 3),
                "threads": WORKERS,
                "peak_rss_mb": round(peak_rss_mb, 1),
                "load_avg": round(load_avg, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
