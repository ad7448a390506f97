"""Points inside long core work where a caller may stop it (issue 16).

The app works out factors and what-ifs in a worker thread, a dozen evaluations of other
designs; when the analyst changes the design those are no longer wanted, and at national
scale one evaluation is seconds of CPU taken from the new score. The worker stops
between evaluations through its progress callback, and inside one at the
`checkpoint()`s placed between an evaluation's stages. A checkpoint asks the check its
own thread (context) installed with `checked`, so the core needs no extra argument and
the CLI, which installs none, pays a context-variable lookup.

A worker's checkpoints also *wait* while a score is being worked out in the foreground
(`foreground`): cancelling stops only work nobody wants, but the app has work it still
wants (another session's what-ifs, the map of a design still shown, the warm-up of
other units) and on 2 cores that work, pure Python for a map's deck, doubled the score's
wall time at national scale (issue 16). The wait is bounded (`PAUSE_MAX_S`), so a
foreground that never ends cannot starve a worker for good, and a worker cancelled
while it waits stops at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["PAUSE_MAX_S", "Cancelled", "checked", "checkpoint", "foreground", "paused"]

PAUSE_MAX_S = 10.0  # the longest one checkpoint waits for the foreground's work
_PAUSE_POLL_S = 0.05  # how often a waiting worker asks whether it was cancelled


class Cancelled(Exception):
    """Raised to stop work nobody waits for any more (a signal, not an error a user acts
    on: outside the `CrimedashError` hierarchy)."""


_CHECK: ContextVar[Callable[[], None] | None] = ContextVar("crimedash_cancel_check", default=None)


_FOREGROUND = threading.Condition()
_busy = 0  # foreground blocks running now, in any thread


def checkpoint() -> None:
    """Stop here (raise `Cancelled`) if the work in this context has been cancelled;
    in a worker (a context with a check installed), first wait while a `foreground`
    block runs. The page's thread and the CLI install no check, so they never wait."""
    check = _CHECK.get()
    if check is None:
        return
    check()
    if _busy:
        _wait(check)


def _wait(check: Callable[[], None]) -> None:
    """Wait (at most `PAUSE_MAX_S`) until no foreground block runs, calling `check`
    every `_PAUSE_POLL_S` so a cancel during the wait stops the work at once."""
    deadline = time.monotonic() + PAUSE_MAX_S
    with _FOREGROUND:
        while _busy and time.monotonic() < deadline:
            _FOREGROUND.wait(_PAUSE_POLL_S)
            check()


@contextmanager
def foreground() -> Iterator[None]:
    """Within this block, workers wait at their next checkpoint: what the user waits
    for (the score after a change) gets the cores. Blocks may nest and run in several
    threads at once (several sessions); workers go on when the last one ends."""
    global _busy
    with _FOREGROUND:
        _busy += 1
    try:
        yield
    finally:
        with _FOREGROUND:
            _busy -= 1
            if not _busy:
                _FOREGROUND.notify_all()


def paused() -> bool:
    """Whether a `foreground` block is running (workers wait at checkpoints)."""
    return _busy > 0


@contextmanager
def checked(check: Callable[[], None]) -> Iterator[None]:
    """Within this block, every `checkpoint()` in this thread calls `check`, which
    raises `Cancelled` to stop the work."""
    token = _CHECK.set(check)
    try:
        yield
    finally:
        _CHECK.reset(token)
