"""The page's worker threads, stopped and joined before the interpreter shuts down.

The what-ifs and the map's deck run in daemon threads (`background`, `deckjob`): a
server that stops must not wait minutes for work nobody will see. But a daemon thread
still inside compiled code when Python finalises is ended by `pthread_exit` as soon as it
asks for the GIL again, and that unwinding through a C++ frame that catches everything
(GEOS, Arrow) aborts the whole process: "FATAL: exception not rethrown", exit -6, seen
in CI when a script that ran the app (AppTest) returned while the worker still built the
other kinds of unit. So every worker is started here, and at exit (`atexit` runs before
finalisation) each one's stop is called (the what-ifs' cancel, checked inside an
evaluation) and the threads are joined for at most `EXIT_WAIT_S` in all.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable

__all__ = ["EXIT_WAIT_S", "live", "start", "stop_all"]

EXIT_WAIT_S = 30.0  # the longest a stopping process waits for its workers

_LOCK = threading.Lock()
_LIVE: dict[threading.Thread, Callable[[], None] | None] = {}


def start(target: Callable[[], None], name: str, stop: Callable[[], None] | None = None):
    """Run `target` in a daemon thread that is stopped (`stop()`, if given: it must make
    `target` return soon) and joined when the process exits."""

    def run() -> None:
        try:
            target()
        finally:
            with _LOCK:
                _LIVE.pop(threading.current_thread(), None)

    thread = threading.Thread(target=run, name=name, daemon=True)
    with _LOCK:
        _LIVE[thread] = stop
    thread.start()
    return thread


def live() -> list[threading.Thread]:
    """The workers still running."""
    with _LOCK:
        return [t for t in _LIVE if t.is_alive()]


def stop_all(timeout: float = EXIT_WAIT_S) -> list[threading.Thread]:
    """Ask every worker to stop, wait up to `timeout` seconds in all for them to end, and
    return those still running (none, unless a worker ignores its stop)."""
    with _LOCK:
        workers = list(_LIVE.items())
    for _thread, stop in workers:
        if stop is not None:
            stop()
    deadline = time.monotonic() + timeout
    for thread, _stop in workers:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t for t, _ in workers if t.is_alive()]


atexit.register(stop_all)
