"""Number and date parsing, vectorised over whole columns.

Strict on purpose: 2024-02-30 and month 13 are bad dates, not rolled over, and a
coordinate that is not a finite number is bad, not zero. Each parser returns the values
with `empty` and `bad` masks so validators can say which rows failed and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crimedash.load.table import Column, as_text, distinct
from crimedash.schema import TimePrecision

__all__ = ["Dates", "Numbers", "parse_dates", "parse_numbers", "precision_of"]


_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"


@dataclass
class Numbers:
    values: np.ndarray  # float64, NaN where empty or bad
    empty: np.ndarray  # bool
    bad: np.ndarray  # bool: present but not a finite number


def parse_numbers(arr: Column) -> Numbers:
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        # coordinates the CSV reader converted are float64 already: no cast, no copy
        floats = arr if arr.type == pa.float64() else pc.cast(arr, pa.float64())
        values = floats.to_numpy(zero_copy_only=False)
        empty = np.asarray(arr.is_null().to_numpy(zero_copy_only=False))
        bad = ~empty & ~np.isfinite(values)
        return Numbers(np.where(bad, np.nan, values) if bad.any() else values, empty, bad)
    raw = as_text(arr)
    empty = pc.equal(raw, "").to_numpy(zero_copy_only=False)
    try:  # fast path: every value is a plain number (or empty)
        present = pc.if_else(pc.equal(raw, ""), pa.scalar(None, pa.string()), raw)
        values = pc.cast(present if empty.any() else raw, pa.float64())
        values = values.to_numpy(zero_copy_only=False)
        bad = ~empty & ~np.isfinite(values)
        return Numbers(np.where(bad, np.nan, values), empty, bad)
    except pa.ArrowInvalid:
        pass
    text = pc.utf8_trim_whitespace(raw)
    # A decimal comma ("53,45", as European spreadsheets write it) is a decimal point.
    text = pc.replace_substring_regex(text, r"^([+-]?\d+),(\d+)$", r"\1.\2")
    empty = pc.equal(text, "").to_numpy(zero_copy_only=False)
    ok = pc.match_substring_regex(text, _NUMBER)
    values = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    values = values.to_numpy(zero_copy_only=False)
    # "1e400" is written like a number but overflows to infinity: bad, as on the fast path.
    bad = ~empty & (~ok.to_numpy(zero_copy_only=False) | ~np.isfinite(values))
    return Numbers(np.where(bad, np.nan, values), empty, bad)


_ISO_DATE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2})(?:(?:T|\s+)(\d{1,2}):(\d{2})"
    r"(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?)?$"
)
# Where wall-clock times are shown: a time written with an offset (Z, +01:00) is that
# instant in UK local time, as every time without one is taken to be already.
UK_TIME_ZONE = "Europe/London"
# UK order (day first): this is a British tool and force systems write 31/01/2024.
_UK_DATE = re.compile(
    r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?$"
)
# Plausible years: a year outside them is a typo, and datetime64[ns] ends in 2262.
_YEARS = (1900, 2100)
_PREC_MONTH, _PREC_DAY, _PREC_TIME = 0, 1, 2


@dataclass
class Dates:
    values: np.ndarray  # datetime64[ns], NaT where empty or bad
    empty: np.ndarray
    bad: np.ndarray
    precision: np.ndarray  # int8 per row: _PREC_MONTH / _PREC_DAY / _PREC_TIME
    # Rows whose text carried a time-zone offset, converted to UK local time.
    converted: np.ndarray | None = None


def _int_field(struct: Column, i: int) -> np.ndarray:
    f = pc.struct_field(struct, [i])
    f = pc.if_else(pc.equal(f, ""), pa.scalar(None, pa.string()), f)
    return pc.fill_null(pc.cast(f, pa.int64()), -1).to_numpy(zero_copy_only=False)


# Fixed-width ISO layouts read straight from the bytes: (length, separator positions).
# Digits fill every other position; e.g. "2024-03" is 7 bytes with a '-' at 4.
_FIXED_LAYOUTS: dict[int, tuple[int, ...]] = {
    7: (4,),
    10: (4, 7),
    16: (4, 7, 10, 13),
    19: (4, 7, 10, 13, 16),
}
_FIXED_FIELDS = ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))  # y m d H M S


def _fixed_width_parts(text: Column, parts: np.ndarray) -> np.ndarray:
    """Fill `parts` for values in a fixed-width ISO layout; return which were read.

    Reads the string bytes with numpy (no regex): police.uk's "2024-03" and exports'
    "2024-03-01T10:15:00" cost a few milliseconds per million rows. Anything else is
    left for the regular expressions.
    """
    if isinstance(text, pa.ChunkedArray):
        done, start = [], 0
        for chunk in text.chunks:
            done.append(_fixed_width_parts(chunk, parts[:, start : start + len(chunk)]))
            start += len(chunk)
        return np.concatenate(done) if done else np.zeros(0, dtype=bool)
    n = len(text)
    done = np.zeros(n, dtype=bool)
    if text.null_count or not pa.types.is_string(text.type) or not n:
        return done
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset : text.offset + n + 1]
    if text.buffers()[2] is None:
        return done
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)
    lengths = np.diff(offsets)
    for length, seps in _FIXED_LAYOUTS.items():
        idx = np.flatnonzero(lengths == length)
        if not len(idx):
            continue
        if len(idx) == n:  # every value this long: the bytes are an (n, length) matrix
            matrix = data[offsets[0] : offsets[0] + n * length].reshape(n, length)

            def byte(j: int, matrix: np.ndarray = matrix) -> np.ndarray:
                return matrix[:, j]
        else:
            starts = offsets[idx]

            def byte(j: int, starts: np.ndarray = starts) -> np.ndarray:
                return data[starts + j]

        ok = np.ones(len(idx), dtype=bool)
        values: list[np.ndarray] = []
        for j in range(length):
            c = byte(j)
            if j in seps:
                allowed = b"T " if j == 10 else (b"-/" if j in (4, 7) else b":")
                ok &= (c == allowed[0]) | (c == allowed[-1])
                values.append(c)
            else:
                digit = c - np.uint8(48)  # wraps for bytes below '0'
                ok &= digit <= 9
                values.append(digit)
        if length >= 10:
            ok &= values[4] == values[7]  # one date separator, not 2024-03/01
        for f, (lo, hi) in enumerate(_FIXED_FIELDS):
            if hi > length:
                break
            number = np.zeros(len(idx), dtype=np.int64)
            for j in range(lo, hi):
                number = number * 10 + values[j]
            parts[f, idx[ok]] = number[ok]
        done[idx[ok]] = True
    return done


# Days from 1970-01-01 to the first of each month in the plausible years, so a date
# becomes days by one table look-up instead of calendar arithmetic per row.
_MONTH_START_DAYS = (
    np.arange((_YEARS[0] - 1970) * 12, (_YEARS[1] - 1970 + 1) * 12)
    .astype("datetime64[M]")
    .astype("datetime64[D]")
    .astype(np.int64)
)


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


# A text column whose first rows hold at most this share of distinct values is parsed
# once per distinct value: a police.uk file has one month in every row.
_HEAD_ROWS = 1024
_FEW_DISTINCT = 0.1


def parse_dates(arr: Column) -> Dates:
    """Parse dates strictly: 2024-02-30 and month 13 are bad, not rolled over.

    Accepts YYYY-MM (police.uk), YYYY-MM-DD, DD/MM/YYYY, each optionally with a time
    (HH:MM[:SS]). A time with a zone (`Z`, `+01:00`, `-0500`, or a zoned timestamp
    column) is converted to UK local time (Europe/London) and counted in `converted`;
    a time without one is taken as UK local time already.

    Each value is parsed on its own, so a column of few distinct texts (police.uk's
    months) is parsed once per distinct text and the results taken back to the rows.
    """
    if not pa.types.is_string(arr.type) or len(arr) <= _HEAD_ROWS:
        return _parse_each(arr)
    head = pc.count_distinct(arr.slice(0, _HEAD_ROWS), mode="all").as_py()
    if head > _HEAD_ROWS * _FEW_DISTINCT:
        return _parse_each(arr)
    if head == 1 and not arr.null_count:
        # One text in every row (a police.uk file's month): compared, not hashed.
        first = arr[0]
        if pc.all(pc.equal(arr, first)).as_py():
            once = _parse_few(pa.array([first.as_py()], pa.string()))
            n = len(arr)

            def every(values: np.ndarray) -> np.ndarray:
                return np.full(n, values[0], dtype=values.dtype)

            converted = every(once.converted) if once.converted is not None else None
            return Dates(
                every(once.values),
                every(once.empty),
                every(once.bad),
                every(once.precision),
                converted,
            )
    uniques, codes = distinct(as_text(arr))
    once = _parse_few(uniques)
    idx = codes.to_numpy(zero_copy_only=False)
    converted = once.converted[idx] if once.converted is not None else None
    return Dates(once.values[idx], once.empty[idx], once.bad[idx], once.precision[idx], converted)


# The distinct texts of a date column parsed lately, by the texts: police.uk's files
# each hold one month, the same month in every force's file, and parsing it (some
# forty small numpy steps) for each of a national folder's files was per-file overhead.
_FEW: dict[tuple[str, ...], Dates] = {}
_FEW_TEXTS = 16  # a column with more distinct texts is parsed, not looked up
_FEW_MAX = 512


def _parse_few(uniques: pa.Array) -> Dates:
    """`_parse_each(uniques)`, remembered when there are few of them (the result is only
    read: `parse_dates` takes its rows from it)."""
    if len(uniques) > _FEW_TEXTS:
        return _parse_each(uniques)
    key = tuple(uniques.to_pylist())
    once = _FEW.get(key)
    if once is None:
        once = _parse_each(uniques)
        if len(_FEW) >= _FEW_MAX:
            _FEW.clear()
        _FEW[key] = once
    return once


def _parse_each(arr: Column) -> Dates:
    """`parse_dates` row by row (vectorised, no distinct values looked for)."""
    n = len(arr)
    if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
        converted = np.zeros(n, bool)
        if pa.types.is_timestamp(arr.type) and arr.type.tz is not None:
            zoned = pa.timestamp(arr.type.unit, UK_TIME_ZONE)
            arr = pc.local_timestamp(pc.cast(arr, zoned))
            converted = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False))
        values = pc.cast(arr, pa.timestamp("ns")).to_numpy(zero_copy_only=False)
        empty = np.isnat(values)
        prec = _PREC_DAY if pa.types.is_date(arr.type) else _PREC_TIME
        return Dates(values, empty, np.zeros(n, bool), np.full(n, prec, np.int8), converted)
    raw = as_text(arr)
    parts = np.full((6, n), -1, dtype=np.int32)
    offsets = None
    done = _fixed_width_parts(raw, parts)
    if done.all():
        empty = np.zeros(n, dtype=bool)
    else:
        text = pc.utf8_trim_whitespace(raw)
        empty = pc.equal(text, "").to_numpy(zero_copy_only=False)
        rest = ~done & ~empty
        if rest.any():
            iso = pc.extract_regex(text, _named(_ISO_DATE.pattern))
            iso_ok = iso.is_valid().to_numpy(zero_copy_only=False) & rest
            for i in range(6):
                parts[i] = np.where(iso_ok, _int_field(iso, i), parts[i])
            offsets = _zone_offsets(pc.struct_field(iso, [6]), iso_ok)
            rest &= ~iso_ok
        if rest.any():
            uk = pc.extract_regex(text, _named(_UK_DATE.pattern))
            uk_ok = uk.is_valid().to_numpy(zero_copy_only=False) & rest
            order = (2, 1, 0, 3, 4, 5)  # day/month/year -> year/month/day
            for i, j in enumerate(order):
                parts[i] = np.where(uk_ok, _int_field(uk, j), parts[i])
    y, m, d, hh, mm, ss = parts
    has_day = d >= 0
    has_time = hh >= 0
    ok = (y >= _YEARS[0]) & (y <= _YEARS[1]) & (m >= 1) & (m <= 12)
    m_safe = np.where(ok, m, 1)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    days_in_month = _DAYS_IN_MONTH[m_safe] + ((m_safe == 2) & leap)
    ok &= ~has_day | ((d >= 1) & (d <= days_in_month))
    ss = np.where(ss < 0, 0, ss)
    ok &= ~has_time | ((hh <= 23) & (mm <= 59) & (ss <= 59))
    month = np.where(ok, (y - _YEARS[0]) * 12 + m_safe - 1, 0)
    days = _MONTH_START_DAYS[month] + np.where(ok & has_day, d - 1, 0)
    seconds = days * 86400 + np.where(ok & has_time, hh * 3600 + mm * 60 + ss, 0)
    values = (seconds * 1_000_000_000).view("datetime64[ns]")
    values[~ok] = np.datetime64("NaT")
    converted = np.zeros(n, dtype=bool)
    if offsets is not None:
        converted = ok & has_time & (offsets != _NO_ZONE)
        if converted.any():
            values[converted] = _uk_local(values[converted], offsets[converted])
            ok &= ~np.isnat(values)  # a year pushed past the plausible range by the zone
    precision = np.where(has_time, _PREC_TIME, np.where(has_day, _PREC_DAY, _PREC_MONTH))
    return Dates(values, empty, ~empty & ~ok, precision.astype(np.int8), converted)


_NO_ZONE = np.iinfo(np.int32).min


def _zone_offsets(zone: Column, matched: np.ndarray) -> np.ndarray:
    """Seconds east of UTC per row from 'Z', '+01', '+0100' or '+01:00' (vectorised),
    `_NO_ZONE` where the text had no zone."""
    text = pc.fill_null(zone, "")
    digits = pc.replace_substring_regex(text, r"[^0-9]", "")
    hours = pc.utf8_slice_codeunits(digits, 0, 2)
    minutes = pc.utf8_slice_codeunits(digits, 2, 4)
    as_int = [
        pc.fill_null(
            pc.cast(pc.if_else(pc.equal(x, ""), pa.scalar(None, pa.string()), x), pa.int32()), 0
        )
        .to_numpy(zero_copy_only=False)
        .astype(np.int32)
        for x in (hours, minutes)
    ]
    sign = np.where(pc.starts_with(text, "-").to_numpy(zero_copy_only=False), -1, 1)
    seconds = (sign * (as_int[0] * 3600 + as_int[1] * 60)).astype(np.int32)
    has_zone = matched & (pc.utf8_length(text).to_numpy(zero_copy_only=False) > 0)
    return np.where(has_zone, seconds, _NO_ZONE).astype(np.int32)


def _uk_local(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Wall-clock times written at `offsets` (seconds east of UTC) as UK local time."""
    import pandas as pd

    utc = values - offsets.astype("timedelta64[s]")
    local = pd.DatetimeIndex(utc).tz_localize("UTC").tz_convert(UK_TIME_ZONE).tz_localize(None)
    return local.to_numpy(dtype="datetime64[ns]")


def _named(pattern: str) -> str:
    """Give RE2 unnamed groups names (pyarrow's extract_regex needs them)."""
    count = iter(range(100))
    return re.sub(r"\((?!\?)", lambda _: f"(?P<g{next(count)}>", pattern)


def precision_of(dates: Dates, kept: np.ndarray) -> TimePrecision | None:
    """The coarsest precision among kept rows; a time that is always midnight is a day."""
    if not kept.any():
        return None
    prec = dates.precision[kept]
    if (prec == _PREC_MONTH).any():
        return TimePrecision.MONTH
    if (prec == _PREC_DAY).any():
        return TimePrecision.DAY
    values = dates.values[kept]
    if (values == values.astype("datetime64[D]")).all():
        return TimePrecision.DAY
    return TimePrecision.TIMESTAMP
