"""Where a crimedash command's resident memory peaks: run it in this process while a
thread samples the RSS (from /proc) and the main thread's crimedash frames every 20 ms.

memray's high-water mark was no help for `export`: vl_convert's JavaScript engine and
pyarrow map tens of GB of address space they never touch, so the "peak" was a
reservation, not memory. RSS is what `/usr/bin/time -v` and the 8 GB target count.

    nice -n 5 .venv/bin/python benchmarks/rss_trace.py export STORE --granularity h3:7 ...

Prints the peak RSS with the stack it was reached in, and the highest RSS seen in each
stage (the outermost crimedash frames below the command), in order of first sight.
"""

from __future__ import annotations

import sys
import threading
import time

INTERVAL = 0.02


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def _stack(frame) -> list[str]:
    out = []
    while frame is not None:
        code = frame.f_code
        if "crimedash" in code.co_filename and "benchmarks" not in code.co_filename:
            name = code.co_filename.rsplit("crimedash/", 1)[-1]
            out.append(f"{name}:{code.co_name}:{frame.f_lineno}")
        frame = frame.f_back
    return out[::-1]


def main() -> None:
    from crimedash.cli import main as cli_main

    main_id = threading.get_ident()
    peak = [0, []]
    stages: dict[str, int] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss = _rss_bytes()
            frame = sys._current_frames().get(main_id)
            stack = _stack(frame) if frame is not None else []
            stage = " > ".join(s.rsplit(":", 1)[0] for s in stack[2:5]) or "(outside)"
            stages[stage] = max(stages.get(stage, 0), rss)
            if rss > peak[0]:
                peak[0], peak[1] = rss, stack
            time.sleep(INTERVAL)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    start = time.perf_counter()
    try:
        code = cli_main(sys.argv[1:])
    finally:
        stop.set()
        t.join()
    print(f"wall {time.perf_counter() - start:.1f} s, peak RSS {peak[0] / 1e9:.3f} GB at:")
    for s in peak[1]:
        print("   ", s)
    print("highest RSS per stage:")
    for stage, rss in stages.items():
        print(f"  {rss / 1e9:7.3f} GB  {stage}")
    sys.exit(code)


if __name__ == "__main__":
    main()
