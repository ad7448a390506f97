"""Files read side by side, results taken in order: loading on every core it has.

Reading a file is mostly work that leaves Python's lock free: hashing its bytes
(hashlib), splitting them into columns (pyarrow's CSV reader) and checking whole columns
(pyarrow compute, numpy). Loading police.uk's ~100 files a month one after another kept
one core busy and the other idle, so `ordered` runs a function over the files in a few
threads and hands the results back in the files' order. Everything order-sensitive (the
duplicate check, row counts, progress, which file's error is raised first) stays with
the caller, which sees each result as if the files had been read one by one.

Memory stays bounded: at most `workers + ahead` files are read before the caller has
taken the first of them.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["WORKERS", "Outcome", "ordered"]

T = TypeVar("T")
R = TypeVar("R")

# Threads reading files at once. Two keep both cores of a small machine busy (one
# file's Python steps run while the other's pyarrow and hashlib work); more only add
# memory. CRIMEDASH_LOAD_THREADS=1 reads one file at a time.
WORKERS = max(1, int(os.environ.get("CRIMEDASH_LOAD_THREADS", "0")) or min(2, os.cpu_count() or 1))


@dataclass
class Outcome(Generic[T, R]):
    """One item's result, or the exception reading it raised (raised again by the
    caller only when the item is really used: a duplicate file's error never is)."""

    item: T
    value: R | None = None
    error: BaseException | None = None

    def get(self) -> R:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


def _run(fn: Callable[[T], R], item: T) -> Outcome[T, R]:
    try:
        return Outcome(item, fn(item))
    except Exception as exc:  # handed to the caller, in order, to raise or ignore
        return Outcome(item, error=exc)


def ordered(
    fn: Callable[[T], R], items: Iterable[T], *, workers: int | None = None, ahead: int = 1
) -> Iterator[Outcome[T, R]]:
    """`fn(item)` for every item, computed in `workers` threads, yielded in order.

    With one worker nothing runs in a thread (the plain loop, for debugging and for
    callers that must not start threads)."""
    workers = WORKERS if workers is None else workers
    if workers <= 1:
        for item in items:
            yield _run(fn, item)
        return
    pending: deque[Future[Outcome[T, R]]] = deque()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crimedash-load")
    try:
        for item in items:
            pending.append(pool.submit(_run, fn, item))
            if len(pending) > workers + ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for f in pending:
            f.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
