"""The atoms table every design reads: incidents grouped once per (unit, window,
category, location type), with the category groups and time windows a design resolves
them to.

Split from `layer` (issue 15): building and caching the atoms is the part of a design
change that scales with incidents; `layer` turns atoms into the published cells and
`disclosure` holds the control steps between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crimedash import categories as C
from crimedash.design import Design
from crimedash.index import Index
from crimedash.units import Units, runs
from crimedash.windows import time_keys

__all__ = [
    "DENSE_LIMIT",
    "N_LOC",
    "TOTAL_GROUP",
    "Atoms",
    "Base",
    "Grouping",
    "Windows",
    "base_atoms",
    "dense_groups",
    "incident_catloc",
    "resolve_grouping",
    "window_parent",
    "windows_at",
]

TOTAL_GROUP = "All crime"
DENSE_LIMIT = 1 << 23  # key spaces up to this are counted with bincount, else hashed


@dataclass(frozen=True)
class Grouping:
    """Categories resolved to the groups a design shows."""

    groups: tuple[str, ...]  # index = group code
    group_of_category: np.ndarray  # int16 per category code; -1: not shown
    group_sensitivity: np.ndarray  # float64 per group (its most sensitive category)
    category_sensitivity: np.ndarray  # float64 per category code


def resolve_grouping(index: Index, design: Design) -> Grouping:
    """Apply the design's category choices. A group's sensitivity is that of its most
    sensitive member (¶20): a reader of 'Violence and sexual offences' cannot rule the
    sexual offence out. Using one weight per group also keeps the neighbour attacker's
    sum monotone under coarsening (see docs/identifiability.md)."""
    overrides = dict(design.grouping)
    sens_over = dict(design.sensitivity)
    shown = set(design.categories) if design.categories is not None else None
    names = []
    for cat in index.categories:
        group = overrides.get(cat, C.default_group(cat))
        if (shown is not None and cat not in shown) or group in design.hidden_groups:
            names.append(None)
        else:
            names.append(group)
    groups = tuple(sorted({g for g in names if g is not None}))
    code = {g: i for i, g in enumerate(groups)}
    goc = np.array([code[g] if g is not None else -1 for g in names], dtype=np.int16)
    csens = np.array([sens_over.get(c, C.default_sensitivity(c)) for c in index.categories])
    gsens = np.zeros(len(groups))
    for cat_code, g in enumerate(goc):
        if g >= 0:
            gsens[g] = max(gsens[g], csens[cat_code])
    return Grouping(groups, goc, gsens, csens)


@dataclass(frozen=True)
class Windows:
    level: str
    code: np.ndarray  # int64 per incident, dense from 0
    n: int
    origin: int  # absolute key of code 0


def windows_at(index: Index, level: str) -> Windows:
    keys = index.time_keys[level]
    origin = index.time_origin[level]
    code = keys - origin
    return Windows(level, code, int(code.max()) + 1 if index.n else 1, origin)


def window_parent(index: Index, fine: str, coarse: str) -> np.ndarray:
    """For each window code at a fine level, the code of the coarser window holding it
    (levels nest exactly; see index.time_keys)."""
    wf, wc = windows_at(index, fine), windows_at(index, coarse)
    keys = np.arange(wf.n, dtype=np.int64) + wf.origin
    if fine == "day":
        starts = pd.to_datetime(keys * 86_400_000_000_000)
    elif fine == "week":
        m, w = np.divmod(keys, 5)
        # a week's parent is a month or quarter, so any day of the week will do: day 28
        # stands in for "29-end", which February of a common year does not have
        day = np.minimum(1 + 7 * w, 28)
        starts = pd.to_datetime({"year": 1970 + m // 12, "month": m % 12 + 1, "day": day})
    elif fine == "month":
        starts = pd.to_datetime({"year": 1970 + keys // 12, "month": keys % 12 + 1, "day": 1})
    else:
        raise ValueError(f"no coarser window for {fine}")
    return time_keys(pd.Series(starts))[coarse] - wc.origin


N_LOC = 4  # location types: residential, non_residential, public_space, unknown


def dense_groups(keys: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique keys, inverse) without sorting when the key space is small enough
    to mark (a scatter and a cumulative sum); a hash factorisation otherwise."""
    if not len(keys):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if space <= DENSE_LIMIT:
        present = np.zeros(space, dtype=bool)
        present[keys] = True
        rank = np.cumsum(present, dtype=np.int64) - 1
        return np.flatnonzero(present), rank[keys]
    codes, uniq = pd.factorize(keys, sort=True)
    return np.asarray(uniq, dtype=np.int64), codes.astype(np.int64)


@dataclass
class Base:
    """The incidents of one granularity and window level, grouped once into base atoms:
    non-empty (unit, window, category, location type) with counts, sorted. Cached on the
    index, so a design change that keeps granularity and window level (categories,
    grouping, counts, references, weights) never touches a million incidents again."""

    windows: Windows
    n_units: int
    n_uw: int  # non-empty (unit, window) pairs; uwr below is their rank
    incident_atom: np.ndarray  # int32 base atom per incident
    uwr: np.ndarray
    unit: np.ndarray  # == n_units for incidents outside every unit
    rwin: np.ndarray
    cat: np.ndarray
    loc: np.ndarray
    n: np.ndarray
    _n_ref: np.ndarray | None = None

    def n_ref(self, index: Index) -> np.ndarray:
        """Incidents with a reference number per base atom (only needed when a design
        shows references, so computed on first use)."""
        if self._n_ref is None:
            self._n_ref = np.bincount(
                self.incident_atom, weights=index.has_reference, minlength=len(self.n)
            ).astype(np.int64)
        return self._n_ref


def base_atoms(index: Index, units: Units, level: str) -> Base:
    key = ("base", str(units.granularity), id(units), level)
    return index.cached(key, lambda: _build_base(index, units, level))


def _build_base(index: Index, units: Units, level: str) -> Base:
    """One pass over the incidents: a combined (unit, window, category, location) key,
    grouped densely; only when that key space is too large to mark, (unit, window) pairs
    are ranked first to shrink it."""
    win = windows_at(index, level)
    unit = units.incident_unit.astype(np.int64)
    unit[unit < 0] = units.n
    per = len(index.categories) * N_LOC
    uw = unit * win.n + win.code
    if (units.n + 1) * win.n * per <= DENSE_LIMIT:
        keys, inverse = dense_groups(uw * per + incident_catloc(index), (units.n + 1) * win.n * per)
        uw_atom, catloc = np.divmod(keys, per)
    else:
        uw_keys, uwr_inc = dense_groups(uw, (units.n + 1) * win.n)
        keys, inverse = dense_groups(uwr_inc * per + incident_catloc(index), len(uw_keys) * per)
        rank, catloc = np.divmod(keys, per)
        uw_atom = uw_keys[rank]
    n = np.bincount(inverse, minlength=len(keys)).astype(np.int64)
    uwr, first = runs(uw_atom)  # atoms are sorted by key, so (unit, window) runs
    u, w = np.divmod(uw_atom, win.n)
    return Base(
        win,
        units.n,
        len(first),
        inverse.astype(np.int32),
        uwr,
        u,
        w,
        catloc // N_LOC,
        catloc % N_LOC,
        n,
    )


def incident_catloc(index: Index) -> np.ndarray:
    """Category x location type per incident, one small int (cached on the index)."""
    return index.cached(
        "catloc", lambda: index.category_code.astype(np.int64) * N_LOC + index.location_code
    )


@dataclass(frozen=True)
class Atoms:
    """The design's incidents grouped as finely as the model ever needs: by (unit, risk
    window, category, location type). Within an atom every incident gets the same
    chance of being linked, so the score is computed on atoms, not on each incident."""

    unit: np.ndarray  # int64; == n_units for incidents outside every unit
    rwin: np.ndarray  # int64 risk window code
    dwin: np.ndarray  # int64 display window code
    slot: np.ndarray  # int64 group code; == n_groups for hidden categories
    cat: np.ndarray  # category code (the attack simulation reports by category)
    loc: np.ndarray  # int64 location type code
    n: np.ndarray  # int64 incidents
    n_ref: np.ndarray  # int64 incidents with a reference number
    kappa: np.ndarray  # float64 share of the atom's cell the map confirms
    cell: np.ndarray  # int64 index of the atom's published group cell, -1 if none
    uwr: np.ndarray  # int64 rank of (unit, risk window)
    n_uw: int
    n_units: int
    n_groups: int
    n_rwin: int

    @property
    def shown(self) -> np.ndarray:
        return (self.slot < self.n_groups) & (self.unit < self.n_units)

    @property
    def inside(self) -> np.ndarray:
        return self.unit < self.n_units
