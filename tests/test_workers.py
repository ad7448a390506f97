"""The page's worker threads end before the interpreter does (`crimedash.ui.workers`).

A daemon thread still inside compiled code when Python finalises is ended by
pthread_exit, and unwinding through a C++ frame that catches everything aborts the
process (CI: "FATAL: exception not rethrown", exit -6, after an AppTest run returned
while the what-ifs worker still built other kinds of unit).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from appkit import start

from crimedash.ui import workers

ROOT = Path(__file__).resolve().parents[1]


def test_stop_all_calls_each_stop_and_joins_the_thread():
    stop = threading.Event()
    ended = threading.Event()

    def work() -> None:
        stop.wait(60)
        ended.set()

    thread = workers.start(work, name="test-worker", stop=stop.set)
    assert thread in workers.live() and thread.daemon
    started = time.monotonic()
    assert workers.stop_all(timeout=10) == []
    assert ended.is_set() and not thread.is_alive()
    assert time.monotonic() - started < 5  # stopped by its stop, not by the timeout
    assert thread not in workers.live()


def test_a_worker_that_ignores_its_stop_is_waited_for_no_longer_than_the_timeout():
    release = threading.Event()
    thread = workers.start(lambda: release.wait(60), name="test-stubborn")
    started = time.monotonic()
    assert workers.stop_all(timeout=0.3) == [thread]
    assert time.monotonic() - started < 3
    release.set()
    thread.join(5)
    assert not thread.is_alive()


def test_a_process_waits_for_its_busy_workers_at_exit(tmp_path: Path):
    """Without the exit hook the daemon thread is killed mid-loop and never prints."""
    code = textwrap.dedent(
        """
        import threading
        import numpy as np
        from crimedash.ui import workers
        stop = threading.Event()
        def work():
            rng = np.random.default_rng(0)
            while not stop.is_set():
                np.sort(rng.random(200_000))  # compiled code, the GIL released
            print("worker ended", flush=True)
        workers.start(work, name="busy", stop=stop.set)
        print("main returns", flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.split() == ["main", "returns", "worker", "ended"]


def test_the_apps_what_ifs_worker_stops_when_asked():
    """The sample city's what-ifs, then its other kinds of unit, run in a worker after
    the script returns; its stop (the job's cancel) ends it within seconds."""
    at = start()
    assert not at.exception, [e.message for e in at.exception]
    names = {t.name for t in workers.live()}
    assert names <= {"crimedash-advice", "crimedash-deck"}
    started = time.monotonic()
    assert workers.stop_all(timeout=60) == []
    assert time.monotonic() - started < 30
    assert workers.live() == []
