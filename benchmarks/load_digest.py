"""A digest of everything `load_incidents` returns, to show that a change to the loader
left its outputs as they were (issue 16: loading faster must not change what is loaded).

    .venv/bin/python benchmarks/load_digest.py PATH [PATH ...]
    PYTHONPATH=/work/main .venv/bin/python benchmarks/load_digest.py PATH [PATH ...]

Each PATH (a file, a folder, a zip) is loaded on its own; one JSON line per PATH gives a
SHA-256 of the incidents frame (values, column order, dtypes, category order), of the
rejected rows, of the file summaries, skipped files, unrecognised location texts,
findings and time precision. Run it with the old code and the new and compare the lines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

import pandas as pd


def _frame_digest(df: pd.DataFrame) -> str:
    """Values, index, column order, dtypes and each categorical's categories in order."""
    h = hashlib.sha256()
    h.update(repr(list(df.columns)).encode())
    h.update(repr([str(t) for t in df.dtypes]).encode())
    h.update(repr(df.index).encode())
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            h.update(repr(list(s.cat.categories)).encode())
            h.update(s.cat.codes.to_numpy().tobytes())
        else:
            h.update(pd.util.hash_pandas_object(s, index=False).to_numpy().tobytes())
            h.update(repr(s.isna().sum()).encode())
    return h.hexdigest()


def _digest(text: object) -> str:
    return hashlib.sha256(repr(text).encode()).hexdigest()


def digest(path: str) -> dict[str, object]:
    """Every part of one load's result, each as a digest (and a few counts to read)."""
    from crimedash.load import load_incidents

    result = load_incidents([path])
    return {
        "path": path,
        "kept": len(result.incidents),
        "rejected": len(result.rejected),
        "incidents": _frame_digest(result.incidents),
        "rejected_rows": _frame_digest(result.rejected),
        "files": _digest(result.files),
        "skipped": _digest(result.skipped_files),
        "unrecognised": _digest(sorted(result.unrecognised_location_types.items())),
        "findings": _digest(result.findings),
        "time_precision": str(result.time_precision),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    for path in args.paths:
        print(json.dumps(digest(path)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
