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

While files are read, Arrow allocates from the C library's malloc rather than its
default pool (`loading_memory_pool`): see LOAD_POOL.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

import pyarrow as pa

__all__ = [
    "HASH_BESIDE_BYTES",
    "LOAD_POOL",
    "WORKERS",
    "Outcome",
    "beside",
    "loading_memory_pool",
    "ordered",
    "sha256_beside",
]

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


# Arrow's memory pool while files are loaded: "system" (the C library's malloc),
# "default" (leave Arrow's own), "mimalloc" or "jemalloc". Arrow's default, mimalloc,
# gives freed memory back to the system ~10 ms after it is freed; a loader allocates and
# frees each file's columns in turn, so the same pages were given back and faulted in
# again: 50-60k page faults and 0.4-0.5 s of system time for the 2M national folder,
# against ~20k and 0.1-0.2 s with malloc, which keeps them (CPU 1.78 s against 2.07 s,
# the two alternated in one process). Only the pool new allocations come from changes:
# a buffer is always freed by the pool that made it.
LOAD_POOL = os.environ.get("CRIMEDASH_LOAD_POOL", "system")

_POOLS: dict[str, Callable[[], pa.MemoryPool]] = {
    "system": pa.system_memory_pool,
    "mimalloc": pa.mimalloc_memory_pool,
    "jemalloc": pa.jemalloc_memory_pool,
}
_pool_lock = threading.Lock()
_pool_users = 0
_pool_saved: pa.MemoryPool | None = None


@contextmanager
def loading_memory_pool() -> Iterator[None]:
    """Arrow's default memory pool is LOAD_POOL for the duration of a load.

    Arrow has one default pool for the process, so this is process-wide: loads in
    several threads (two Streamlit sessions) share the change, and the last one to
    finish puts the earlier pool back. An unknown or unavailable pool (jemalloc is
    not in every build) leaves Arrow's default alone."""
    global _pool_users, _pool_saved
    make = _POOLS.get(LOAD_POOL)
    if make is None:
        yield
        return
    with _pool_lock:
        if _pool_users == 0:
            try:
                pool = make()
            except (NotImplementedError, pa.ArrowException):
                pool = None
            if pool is not None:
                _pool_saved = pa.default_memory_pool()
                pa.set_memory_pool(pool)
        _pool_users += 1
    try:
        yield
    finally:
        with _pool_lock:
            _pool_users -= 1
            if _pool_users == 0 and _pool_saved is not None:
                pa.set_memory_pool(_pool_saved)
                _pool_saved = None


# Bytes at least this long are hashed in a thread of their own while the caller parses
# them; shorter ones are hashed at once (a thread hand-off costs more than the hash).
HASH_BESIDE_BYTES = 1 << 18
_hasher: ThreadPoolExecutor | None = None
_hasher_lock = threading.Lock()


def sha256_beside(data: bytes) -> Callable[[], str]:
    """The SHA-256 of `data` (hex), computed beside the caller: returns at once, and the
    returned function gives the digest, waiting for it if need be.

    hashlib lets go of Python's lock on buffers this size, so a file is hashed on one
    core while pyarrow splits it on another: a quarter of a second of the 2M national
    folder's loading no longer comes before its parsing. With one worker (the plain
    loop, CRIMEDASH_LOAD_THREADS=1) nothing runs in a thread."""
    global _hasher
    if WORKERS <= 1 or len(data) < HASH_BESIDE_BYTES:
        digest = hashlib.sha256(data).hexdigest()
        return lambda: digest
    with _hasher_lock:
        if _hasher is None:
            _hasher = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="crimedash-hash")
    future = _hasher.submit(lambda: hashlib.sha256(data).hexdigest())
    return future.result


def beside(fn: Callable[[], R]) -> Callable[[], R]:
    """`fn()` computed in a thread of its own while the caller goes on: returns at once,
    and the returned function gives the result (or raises what `fn` raised), waiting
    for it if need be. With one worker (CRIMEDASH_LOAD_THREADS=1) `fn` runs at once.

    For the end of a load, where two steps that leave Python's lock free (classifying
    the location texts, making the other columns a pandas frame) otherwise ran one
    after the other on one core. The thread starts with an empty contextvars context
    (Python 3.11): `fn` must not rely on one."""
    if WORKERS <= 1:
        try:
            value = fn()
        except Exception as exc:  # raised where the result is asked for, as in a thread
            error = exc

            def fail() -> R:
                raise error

            return fail
        return lambda: value
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crimedash-beside")
    future = pool.submit(fn)
    pool.shutdown(wait=False)  # the thread ends once fn returns

    return future.result
