"""Plausibility: locations and dates checked against the country and against the rest.

A row can be well formed and still wrong in a way nobody notices: latitude and
longitude swapped for a whole file (every point in the Indian Ocean), one swapped row
among thousands that stretches the extent across a continent, incidents dated in 2031.
Each check here looks at whole columns of the rows already kept and returns a finding
in words (what was seen, how many rows, an example) for `LoadResult.findings`; only a
file whose axes are swapped in (almost) every row is changed, and that is said.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np

from crimedash.errors import InputError

__all__ = [
    "MAX_HOUSEHOLDS_PER_LAYER",
    "UK_BOUNDS",
    "after_release_month",
    "check_household_total",
    "far_from_the_rest",
    "future_dates",
    "release_month",
    "swap_if_axes_swapped",
]


# Longitude and latitude of the United Kingdom with a margin (Scilly to Shetland,
# Lough Erne to Lowestoft): the country a crimedash map is of.
UK_BOUNDS = (-8.7, 49.8, 1.9, 60.9)
# Rows further than this from the median point, and further than FAR_SPREAD times the
# distance within which 99% of rows lie, are "far from the rest".
FAR_KM = 50.0
FAR_SPREAD = 5.0
_KM_PER_DEGREE = 111.2
# Where the shape of the data is estimated (the centre, the 99% radius, the share in
# the UK), an even sample of this many rows says it as well as a million and costs a
# tenth: these checks run on every load, which is benchmarked.
_SAMPLE = 100_000


def _even_sample(idx: np.ndarray) -> np.ndarray:
    return idx[:: max(1, len(idx) // _SAMPLE)]


def _in_uk(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = UK_BOUNDS
    with np.errstate(invalid="ignore"):
        return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def swap_if_axes_swapped(
    lon: np.ndarray, lat: np.ndarray, kept: np.ndarray
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Longitude and latitude, swapped back when the file has them the wrong way round.

    Swapped means: fewer than 10% of kept points lie in the UK as written and more
    than 90% do once latitude and longitude trade places (lat -0.4, lon 52.8 is off
    Somalia; lon -0.4, lat 52.8 is Lincolnshire). A file of another country is left
    alone. Returns the finding, or None when nothing was changed.
    """
    idx = np.flatnonzero(kept)
    n = len(idx)
    if n == 0:
        return lon, lat, None
    some = _even_sample(idx)
    as_given = _in_uk(lon[some], lat[some]).mean()
    swapped = _in_uk(lat[some], lon[some]).mean()
    if as_given >= 0.1 or swapped <= 0.9:
        return lon, lat, None
    i = int(idx[0])
    finding = (
        f"latitude and longitude are swapped: {swapped:.0%} of {n:,} points lie in the UK "
        f"only with the columns exchanged (e.g. latitude {lat[i]:g}, longitude {lon[i]:g}); "
        "read exchanged"
    )
    return lat, lon, finding


def far_from_the_rest(lon: np.ndarray, lat: np.ndarray, where: Callable[[int], str]) -> str | None:
    """A finding for points far from all the others, or None.

    "Far" is both more than FAR_KM from the median point and more than FAR_SPREAD
    times the radius holding 99% of points, so a national file is not flagged for
    covering the country while one swapped row in a town's file is. Such rows stay
    loaded (a crime recorded elsewhere is real), but they stretch the map's extent, so
    the finding counts them, gives an example and says which look swapped. `where`
    names point i for the example (e.g. "file.csv row 12"); called once.
    """
    n = len(lon)
    if n < 20:  # too few points to say what "the rest" is
        return None
    some = _even_sample(np.arange(n))
    cx, cy = float(np.median(lon[some])), float(np.median(lat[some]))
    scale = np.cos(np.radians(cy))
    spread = _KM_PER_DEGREE * np.hypot((lon[some] - cx) * scale, lat[some] - cy)
    limit = max(FAR_KM, FAR_SPREAD * float(np.percentile(spread, 99)))
    # Every point against the limit in squared degrees, in place: no square root and
    # two temporaries over a million rows.
    d2 = lon - cx
    d2 *= scale
    np.square(d2, out=d2)
    dy = lat - cy
    np.square(dy, out=dy)
    d2 += dy
    far = np.flatnonzero(d2 > (limit / _KM_PER_DEGREE) ** 2)
    if not len(far):
        return None
    x, y = lon[far], lat[far]
    swapped_km = _KM_PER_DEGREE * np.hypot((y - cx) * scale, x - cy)
    looks_swapped = int((swapped_km <= limit).sum())
    text = (
        f"{len(far):,} of {n:,} rows lie far from the rest (more than {limit:,.0f} km "
        f"from the median point; e.g. {where(int(far[0]))}: latitude {y[0]:g}, "
        f"longitude {x[0]:g}); they are kept but widen the map's extent"
    )
    if looks_swapped:
        text += (
            f"; {looks_swapped:,} of them would lie among the rest with latitude and "
            "longitude exchanged"
        )
    return text + ". Check them"


def future_dates(
    values: np.ndarray, kept: np.ndarray, rows: np.ndarray, today: dt.date
) -> str | None:
    """A finding for kept rows dated after `today`, or None: a crime map reports what
    happened, so a date in the future is a typo or a placeholder (2031, 2099)."""
    limit = np.datetime64(today + dt.timedelta(days=1), "ns")
    with np.errstate(invalid="ignore"):
        late = kept & (values >= limit)
    count = int(late.sum())
    if not count:
        return None
    first = int(np.flatnonzero(late)[0])
    latest = values[late].max().astype("datetime64[s]").item()
    return (
        f"{count:,} rows are dated after today ({today.isoformat()}), e.g. row "
        f"{int(rows[first])} and the latest {latest:%Y-%m-%d}; they are kept, but check the dates"
    )


_POLICE_UK_MONTH = re.compile(r"(?:^|[/\\])(\d{4})-(\d{2})-[^/\\]*-street\.csv$", re.IGNORECASE)


def release_month(name: str) -> tuple[int, int] | None:
    """The month a police.uk file was published for, from its name
    (`2024-03-city-of-london-street.csv`), or None for any other file."""
    m = _POLICE_UK_MONTH.search(name)
    return (int(m.group(1)), int(m.group(2))) if m else None


def after_release_month(
    values: np.ndarray, kept: np.ndarray, rows: np.ndarray, month: tuple[int, int]
) -> str | None:
    """A finding for kept rows dated after the month a police.uk file is for: each
    monthly file holds only its own month, so a later date was edited in or misread."""
    year, mon = month
    end = np.datetime64(f"{year + mon // 12:04d}-{mon % 12 + 1:02d}-01", "ns")
    with np.errstate(invalid="ignore"):
        late = kept & (values >= end)
    count = int(late.sum())
    if not count:
        return None
    return (
        f"{count:,} rows are dated after {year:04d}-{mon:02d}, the month this police.uk file "
        f"is for (e.g. row {int(rows[np.flatnonzero(late)[0]])}); they are kept, but check them"
    )


# The most households one households layer may hold in all: above the United Kingdom's
# ~28.4 million (ONS, 2021-22). Each row is capped at MAX_HOUSEHOLDS_PER_FEATURE (20,000)
# by the loader, but 10,000 polygons at that cap would still be spread into 200 million
# points (gigabytes) before anything is scored; a layer claiming more households than
# the country has is a wrong column (residents, an area code) or a forged file.
MAX_HOUSEHOLDS_PER_LAYER = 30_000_000


def check_household_total(
    counts: np.ndarray, name: str | None, rows: np.ndarray | None = None, what: str = "rows"
) -> None:
    """Refuse a households layer whose counts add up to more than any UK layer could
    hold, before anything is allocated for them. `counts` are the kept rows' whole
    counts, `rows` their row numbers in the file (1-based; positions when None);
    `name` is the file, `what` says what the rows are (rows, polygons).

    Raises InputError naming the file, the total, the number of rows and the largest
    row, so the analyst can see which column or rows to check.
    """
    counts = np.asarray(counts)
    if not len(counts):
        return
    # float sums cannot wrap; every value is already finite and non-negative
    total = float(np.sum(counts, dtype=np.float64))
    if total <= MAX_HOUSEHOLDS_PER_LAYER:
        return
    biggest = int(np.argmax(counts))
    row = int(rows[biggest]) if rows is not None else biggest + 1
    raise InputError(
        f"the {len(counts):,} {what} claim {total:,.0f} households in all, more than a "
        f"households layer may hold ({MAX_HOUSEHOLDS_PER_LAYER:,}: the United Kingdom has "
        f"about 28 million); the largest, row {row:,}, claims {counts[biggest]:,.0f}",
        file=name,
        hint="check that the households column counts households (not residents or an "
        "area code), or load the households of the area the map covers",
    )
