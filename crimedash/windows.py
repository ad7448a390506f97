"""Time windows: integer keys per level, their labels and their bounds.

Split out of `index.py` (issue 15): how an instant becomes a window key, and a key a
label or a pair of ISO dates, is the same for an in-memory index, a store read month by
month and the public files, so it lives apart from any of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["time_keys", "window_bounds", "window_days", "window_label"]


def time_keys(occurred: pd.Series | np.ndarray) -> dict[str, np.ndarray]:
    """Integer keys per time level. Weeks are 7-day blocks within a month (days 1-7,
    8-14, 15-21, 22-28, 29-end) so that day < week < month < quarter nest exactly,
    which is what makes 'a longer interval never raises the score' hold."""
    ts = pd.DatetimeIndex(pd.to_datetime(occurred)).as_unit("ns")  # pandas 3 keeps s/us
    ns = ts.asi8
    minutes = ns // 60_000_000_000
    days = ns // 86_400_000_000_000
    month = (ts.year.to_numpy().astype(np.int64) - 1970) * 12 + ts.month.to_numpy() - 1
    week = month * 5 + np.minimum((ts.day.to_numpy() - 1) // 7, 4)
    return {
        "timestamp": minutes.astype(np.int64),
        "day": days.astype(np.int64),
        "week": week.astype(np.int64),
        "month": month.astype(np.int64),
        "quarter": (month // 3).astype(np.int64),
    }


def window_label(level: str, key: int) -> str:
    """Human label of a window key at a level (what the public layer shows)."""
    if level == "timestamp":
        return pd.Timestamp(int(key) * 60_000_000_000).strftime("%Y-%m-%dT%H:%M")
    if level == "day":
        return pd.Timestamp(int(key) * 86_400_000_000_000).strftime("%Y-%m-%d")
    if level == "week":
        m, w = divmod(int(key), 5)
        y, mo = divmod(m, 12)
        start = 1 + 7 * w
        end = f"{start + 6:02d}" if w < 4 else "end"
        return f"{1970 + y}-{mo + 1:02d} days {start:02d}-{end}"
    if level == "month":
        y, mo = divmod(int(key), 12)
        return f"{1970 + y}-{mo + 1:02d}"
    if level == "quarter":
        y, q = divmod(int(key), 4)
        return f"{1970 + y}-Q{q + 1}"
    raise ValueError(level)


def window_bounds(level: str, key: int) -> tuple[str, str]:
    """First and last day of a window (inclusive, ISO 8601 dates): what a public file
    says instead of a label, so any tool can sort, filter and join on it. A window at
    the timestamp level is one minute, given as that minute."""
    if level == "timestamp":
        t = window_label(level, key)
        return t, t
    if level == "day":
        d = window_label(level, key)
        return d, d
    if level == "week":
        m, w = divmod(int(key), 5)
        first = pd.Timestamp(year=1970 + m // 12, month=m % 12 + 1, day=1)
        start = first + pd.Timedelta(days=7 * w)
        end = first + pd.offsets.MonthEnd(0) if w == 4 else start + pd.Timedelta(days=6)
    elif level == "month":
        start = pd.Timestamp(year=1970 + int(key) // 12, month=int(key) % 12 + 1, day=1)
        end = start + pd.offsets.MonthEnd(0)
    elif level == "quarter":
        y, q = divmod(int(key), 4)
        start = pd.Timestamp(year=1970 + y, month=3 * q + 1, day=1)
        end = start + pd.offsets.QuarterEnd(0)
    else:
        raise ValueError(level)
    return start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")


def window_days(level: str, keys: np.ndarray) -> np.ndarray:
    """How many days each window at a level spans (a minute is 1/1440 of one): the
    calendar's own lengths, so that the windows of a finer level add up to exactly the
    window of a coarser one they nest in (a month's five weeks are 7+7+7+7 and the rest;
    a quarter its three months). Anything charged per day of a window (a partial
    extract's expected police visits) is then additive over time, which is what keeps
    'a longer interval never raises the score' true for it."""
    keys = np.asarray(keys, dtype=np.int64)
    if level == "timestamp":
        return np.full(len(keys), 1.0 / 1440.0)
    if level == "day":
        return np.ones(len(keys))

    def month_days(m: np.ndarray) -> np.ndarray:
        start = m.astype("datetime64[M]")
        return ((start + 1).astype("datetime64[D]") - start.astype("datetime64[D]")).astype(float)

    if level == "week":
        m, w = np.divmod(keys, 5)
        return np.where(w < 4, 7.0, month_days(m) - 28.0)
    if level == "month":
        return month_days(keys)
    if level == "quarter":
        return month_days(keys * 3) + month_days(keys * 3 + 1) + month_days(keys * 3 + 2)
    raise ValueError(level)
