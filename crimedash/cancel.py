"""Points inside long core work where a caller may stop it (issue 16).

The app works out factors and what-ifs in a worker thread, a dozen evaluations of other
designs; when the analyst changes the design those are no longer wanted, and at national
scale one evaluation is seconds of CPU taken from the new score. The worker stops
between evaluations through its progress callback, and inside one at the
`checkpoint()`s placed between an evaluation's stages. A checkpoint asks the check its
own thread (context) installed with `checked`, so the core needs no extra argument and
the CLI, which installs none, pays a context-variable lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["Cancelled", "checked", "checkpoint"]


class Cancelled(Exception):
    """Raised to stop work nobody waits for any more (a signal, not an error a user acts
    on: outside the `CrimedashError` hierarchy)."""


_CHECK: ContextVar[Callable[[], None] | None] = ContextVar("crimedash_cancel_check", default=None)


def checkpoint() -> None:
    """Stop here (raise `Cancelled`) if the work in this context has been cancelled."""
    check = _CHECK.get()
    if check is not None:
        check()


@contextmanager
def checked(check: Callable[[], None]) -> Iterator[None]:
    """Within this block, every `checkpoint()` in this thread calls `check`, which
    raises `Cancelled` to stop the work."""
    token = _CHECK.set(check)
    try:
        yield
    finally:
        _CHECK.reset(token)
