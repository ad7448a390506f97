"""What the design log's safety checks cost, against reading the latest designs.

    .venv/bin/python benchmarks/designlog.py --designs 300 --assessment-kb 50

Builds a log of N assessed designs (every other one approved), each with an assessment
of about K kilobytes (a real assessment with factors, what-ifs, drivers and findings is
tens of kilobytes), then times, in this process:

- `open`: the first `DesignLog(path)` of a process, which checks the whole file
  (SQLite's quick_check) before trusting it;
- `reopen`: a later `DesignLog(path)` on the unchanged file (the app opens the log on
  every rerun of the Export tab);
- `verify`: `crimedash designs verify` (the hash chain over every record);
- `list`: `log.list(limit=50)`, the baseline: what the Export tab and `designs list`
  always did.

The last line printed is a JSON object with each time in seconds and each as a ratio
against `list`. With --repeat N each is timed N times and the fastest run is reported
(the machine may be busy).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from pathlib import Path

from timing import best


def build(path: Path, designs: int, assessment_kb: int) -> None:
    """A log of `designs` records written through the log itself (so the chain is real),
    with fsyncs off while building: only the reading side is measured."""
    from crimedash import designlog
    from crimedash.design import Design

    log = designlog.DesignLog(path)
    pad = "x" * (assessment_kb * 1024)
    real = designlog.DesignLog._connect

    def fast(self):  # building only: no fsync per record
        cm = real(self)
        con = cm.__enter__()
        con.execute("PRAGMA synchronous = OFF")

        class Wrap:
            def __enter__(self_inner):
                return con

            def __exit__(self_inner, *exc):
                return cm.__exit__(*exc)

        return Wrap()

    designlog.DesignLog._connect = fast
    try:
        for i in range(designs):
            did = log.record_assessment(
                Design(min_count=i), {"score": 10.0, "verdict": "green", "pad": pad}, f"d{i}"
            )
            if i % 2 == 0:
                log.record_approval(did, {"reviewer": "R", "role": "", "decision": "approve"}, None)
    finally:
        designlog.DesignLog._connect = real
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=300)
    ap.add_argument("--assessment-kb", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from crimedash import designlog, logfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "designs.sqlite3"
        build(path, args.designs, args.assessment_kb)
        size_mb = path.stat().st_size / 1e6

        def first_open() -> None:
            logfile._SOUND.clear()  # as a new process would
            designlog.DesignLog(path)

        open_s = best(first_open, args.repeat)
        log = designlog.DesignLog(path)
        reopen_s = best(lambda: designlog.DesignLog(path), args.repeat)
        verify_s = best(log.verify, args.repeat)
        list_s = best(lambda: log.list(limit=50), args.repeat)
    result = {
        "designs": args.designs,
        "file_mb": round(size_mb, 1),
        "list_s": round(list_s, 5),
        "open_s": round(open_s, 5),
        "reopen_s": round(reopen_s, 6),
        "verify_s": round(verify_s, 4),
        "open_ratio": round(open_s / list_s, 2),
        "reopen_ratio": round(reopen_s / list_s, 3),
        "verify_ratio": round(verify_s / list_s, 1),
    }
    print(
        f"{args.designs} designs ({size_mb:.1f} MB): list(50) {list_s * 1000:.1f} ms; "
        f"first open {open_s * 1000:.1f} ms ({result['open_ratio']}x); reopen "
        f"{reopen_s * 1000:.2f} ms ({result['reopen_ratio']}x); verify {verify_s:.2f} s "
        f"({result['verify_ratio']}x)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
