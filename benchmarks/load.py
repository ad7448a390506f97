"""How fast `load_incidents` reads a big CSV, against plain `pandas.read_csv`.

    .venv/bin/python benchmarks/load.py --rows 1000000

Writes N synthetic incidents (the sample city's columns) to a temporary CSV in a child
process, so the generator's memory does not count, then loads it with
`load_incidents` and with `pandas.read_csv` in this process. The last line printed is
a JSON object: rows, load_s, baseline_s, ratio (load / baseline) and peak_rss_mb (the
process's peak resident memory after the first load, before the baseline runs). With
--repeat N each is run N times and the fastest run is reported (the machine may be busy).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best counts")
    args = parser.parse_args(argv)

    import pandas as pd

    from crimedash.load import load_incidents

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "incidents.csv")
        child = multiprocessing.get_context("spawn").Process(
            target=write_incidents, args=(path, args.rows, args.seed)
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            print("could not write the synthetic file", file=sys.stderr)
            return 1
        size_mb = Path(path).stat().st_size / 1e6

        load_s = baseline_s = float("inf")
        for run in range(max(args.repeat, 1)):
            t0 = time.perf_counter()
            result = load_incidents(path)
            load_s = min(load_s, time.perf_counter() - t0)
            if run == 0:
                peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            kept, rejected = len(result.incidents), len(result.rejected)
            del result
        for _ in range(max(args.repeat, 1)):
            t0 = time.perf_counter()
            baseline = pd.read_csv(path)
            baseline_s = min(baseline_s, time.perf_counter() - t0)
            del baseline

    print(f"file: {size_mb:.0f} MB; kept {kept:,}, rejected {rejected:,}", file=sys.stderr)
    print(
        json.dumps(
            {
                "rows": args.rows,
                "load_s": round(load_s, 3),
                "baseline_s": round(baseline_s, 3),
                "ratio": round(load_s / baseline_s, 3),
                "peak_rss_mb": round(peak_rss_mb, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
