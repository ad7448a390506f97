"""Timing one call the same way in every benchmark: each figure is the best or the median
of `repeat` runs in this process, beside a baseline timed by the same function."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ["best", "median"]


def _runs(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times, out


def best(fn: Callable[[], Any], repeat: int) -> float:
    """The fastest of `repeat` runs, in seconds: the floor, least disturbed by load."""
    return min(_runs(fn, repeat)[0])


def median(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The median of `repeat` runs, in seconds, and the last run's result."""
    times, out = _runs(fn, repeat)
    return statistics.median(times), out
