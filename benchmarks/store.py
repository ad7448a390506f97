"""Out of core: build the on-disk store from N national-shaped rows, then the atoms
table by month partition, with time and peak memory, beside DuckDB on the same files.

    .venv/bin/python benchmarks/store.py --rows 5000000

Each stage runs in a fresh child process so its peak RSS is its own: `store_s` /
`store_rss_mb` (`crimedash.store.build_store` over the police.uk-shaped CSVs),
`atoms_s` / `atoms_rss_mb` (`crimedash.storeread.atoms` with 500 m British National Grid
squares, one month at a time), and the baseline `duckdb_s` / `duckdb_rss_mb` (DuckDB
reading the same CSVs and grouping by a ~500 m cell, month, crime type and location),
and for scale `load_s` / `load_rss_mb`: `load_incidents` of the same files in memory.
`pyarrow_s` is pyarrow's CSV reader on the same files (the loading target is at most 2x
it: `ratio_pyarrow`), and `index_s` / `h3_8_s` / `index_rss_mb` index the store month
by month (`crimedash.storeindex`) and place every incident at h3:8.
The 60M-row target of issue 16 is 8 GB peak and 5 minutes for load + index.

The store is written under `--out` (default: a temporary folder, removed afterwards
unless --keep), never into the shared data cache. `*_cpu_s` are each stage's CPU
seconds (all its threads), steadier than wall time on a shared machine, and `load_avg`
the machine's 1-minute load average at the start.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national_data import build


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    """CPU seconds of this process so far, every thread (loader, Parquet, pyarrow)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _store(src: str, out: str, q) -> None:
    from crimedash.store import build_store

    t, c = time.perf_counter(), _cpu_s()
    s = build_store([src], out)
    q.put(
        {
            "store_s": time.perf_counter() - t,
            "store_cpu_s": _cpu_s() - c,
            "store_rss_mb": _peak_mb(),
            "kept": s.rows_kept,
            "rejected": s.rows_rejected,
            "read": s.rows_read,
            "months": len(s.months),
        }
    )


def _atoms(out: str, q) -> None:
    import numpy as np
    from pyproj import Transformer

    from crimedash.storeread import atoms

    tr = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

    def grid500(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        x, y = tr.transform(lon, lat)
        return (np.floor(np.asarray(y) / 500) * 10_000 + np.floor(np.asarray(x) / 500)).astype(
            np.int64
        )

    t = time.perf_counter()
    table = atoms(out, grid500)
    q.put(
        {
            "atoms_s": time.perf_counter() - t,
            "atoms_rss_mb": _peak_mb(),
            "atoms": table.num_rows,
            "atoms_total": int(table["n"].to_numpy().sum()),
        }
    )


def _load(src: str, q) -> None:
    from crimedash.load import load_incidents

    t = time.perf_counter()
    n = len(load_incidents([src]).incidents)
    q.put({"load_s": time.perf_counter() - t, "load_rss_mb": _peak_mb(), "load_kept": n})


def _pyarrow(src: str, q) -> None:
    """The yardstick of issue 16's loading target: pyarrow's CSV reader on the same
    files, every column as text (the loader reads them so), nothing validated."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from crimedash import schema

    opts = pacsv.ConvertOptions(column_types=dict.fromkeys(schema.POLICE_UK_COLUMNS, pa.string()))
    t, c = time.perf_counter(), _cpu_s()
    n = sum(
        pacsv.read_csv(f, convert_options=opts).num_rows for f in sorted(Path(src).rglob("*.csv"))
    )
    q.put(
        {
            "pyarrow_s": time.perf_counter() - t,
            "pyarrow_cpu_s": _cpu_s() - c,
            "pyarrow_rss_mb": _peak_mb(),
            "pyarrow_rows": n,
        }
    )


def _index(out: str, q) -> None:
    """Index the store month by month (what `crimedash assess STORE` does first), then
    place every incident at h3:8 (what its first design needs)."""
    from crimedash.storeindex import index_store

    t, c = time.perf_counter(), _cpu_s()
    index, _ = index_store(out)
    mid = time.perf_counter()
    cells = len(index.resolution(8).cells)
    q.put(
        {
            "index_s": mid - t,
            "h3_8_s": time.perf_counter() - mid,
            "index_cpu_s": _cpu_s() - c,
            "index_rss_mb": _peak_mb(),
            "h3_8_cells": cells,
        }
    )


def _duckdb(src: str, q) -> None:
    import duckdb

    query = f"""
        SELECT floor(TRY_CAST(Latitude AS DOUBLE) * 222) AS y,
               floor(TRY_CAST(Longitude AS DOUBLE) * 140) AS x,
               Month, "Crime type", Location, count(*)
        FROM read_csv('{src}/*/*.csv', header=true, all_varchar=true)
        WHERE TRY_CAST(Latitude AS DOUBLE) IS NOT NULL
        GROUP BY ALL"""
    t = time.perf_counter()
    rows = len(duckdb.connect().sql(query).fetchall())
    q.put({"duckdb_s": time.perf_counter() - t, "duckdb_rss_mb": _peak_mb(), "duckdb_groups": rows})


def _run(target, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=5_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--keep", action="store_true", help="keep the store afterwards")
    p.add_argument(
        "--out", type=Path, help="folder to build the store in (default: a temporary one)"
    )
    p.add_argument("--skip-index", action="store_true", help="skip indexing the store")
    p.add_argument(
        "--skip-load", action="store_true", help="skip load_incidents (it needs ~0.42 GB/M rows)"
    )
    p.add_argument("--skip-atoms", action="store_true", help="skip storeread.atoms (500 m squares)")
    p.add_argument("--skip-duckdb", action="store_true", help="skip the DuckDB baseline")
    args = p.parse_args(argv)
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=build, args=(args.rows, args.seed))
    child.start()
    child.join()
    src = build(args.rows, args.seed)
    parent = args.out or Path(tempfile.mkdtemp(prefix="crimedash-store-"))
    out = parent / f"store-{args.rows}-s{args.seed}"
    rec: dict = {"stage": "store", "rows": args.rows, "load_avg": round(os.getloadavg()[0], 1)}
    rec.update(_run(_pyarrow, str(src)))
    rec.update(_run(_store, str(src), str(out)))
    rec["ratio_pyarrow"] = round(rec["store_s"] / rec["pyarrow_s"], 2)
    rec["ratio_pyarrow_cpu"] = round(rec["store_cpu_s"] / rec["pyarrow_cpu_s"], 2)
    if not args.skip_index:
        rec.update(_run(_index, str(out)))
        rec["load_index_s"] = rec["store_s"] + rec["index_s"] + rec["h3_8_s"]
    if not args.skip_atoms:
        rec.update(_run(_atoms, str(out)))
    if not args.skip_duckdb:
        rec.update(_run(_duckdb, str(src)))
        rec["ratio_duckdb"] = round(
            (rec["store_s"] + rec.get("atoms_s", rec.get("index_s", 0.0))) / rec["duckdb_s"], 2
        )
    if not args.skip_load:
        rec.update(_run(_load, str(src)))
        rec["ratio_load"] = round(rec["store_s"] / rec["load_s"], 2)
    rec = {k: round(v, 2) if isinstance(v, float) else v for k, v in rec.items()}
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
        if args.out is None:
            shutil.rmtree(parent, ignore_errors=True)
    print(json.dumps(rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
