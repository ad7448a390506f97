"""The atoms table every design reads: incidents grouped once per (unit, window,
category, location type), with the category groups and time windows a design resolves
them to.

Split from `layer` (issue 15): building and caching the atoms is the part of a design
change that scales with incidents; `layer` turns atoms into the published cells and
`disclosure` holds the control steps between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crimedash import categories as C
from crimedash.cancel import checkpoint
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
    "level_keys",
    "narrow",
    "narrow_dtype",
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
    """The time windows of one level: how many there are and the absolute key of the
    first. Incidents' window codes are computed per slice (`codes`), not held: at 60M
    rows a whole column is 0.5 GB, and a store index derives the quarter from the month."""

    level: str
    n: int
    origin: int  # absolute key of code 0
    _index: Index = field(repr=False, compare=False)

    def codes(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """int64 window code, dense from 0, of incidents lo:hi."""
        return level_keys(self._index, self.level, lo, hi) - self.origin

    @property
    def code(self) -> np.ndarray:
        """Every incident's window code (a whole column: prefer `codes` on slices)."""
        return self.codes()


def level_keys(index: Index, level: str, lo: int = 0, hi: int | None = None) -> np.ndarray:
    """The time keys at `level` of incidents lo:hi. An index that derives a level on
    demand (a store's month data: `derive`) derives only the slice asked for."""
    tk = index.time_keys
    derive = getattr(tk, "derive", None)
    if derive is None or level in tk:  # dict's `in` never calls __missing__
        return tk[level][lo:hi]
    return derive(level, tk["month"][lo:hi])


def windows_at(index: Index, level: str) -> Windows:
    origin = index.time_origin[level]
    if not index.n:
        return Windows(level, 1, origin, index)
    tk = index.time_keys
    if getattr(tk, "derive", None) is None or level in tk:
        top = int(tk[level].max())
    else:  # derived levels grow with the month, so the last month gives the last key
        top = int(tk.derive(level, np.array([tk["month"].max()]))[0])
    return Windows(level, top - origin + 1, origin, index)


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
    uwr: np.ndarray  # int64 (multiplied into keys)
    unit: np.ndarray  # int64 (multiplied into keys); == n_units outside every unit
    rwin: np.ndarray  # int64 window code
    cat: np.ndarray  # int32 (`narrow`)
    loc: np.ndarray  # int32
    n: np.ndarray  # int32 incidents (int64 past int32)
    _n_ref: np.ndarray | None = None  # as n

    def n_ref(self, index: Index) -> np.ndarray:
        """Incidents with a reference number per base atom (counted with the atoms,
        slice by slice; computed here only for a Base built without them)."""
        if self._n_ref is None:
            self._n_ref = narrow(
                np.bincount(self.incident_atom, weights=index.has_reference, minlength=len(self.n)),
                len(self.incident_atom),
            )
        return self._n_ref


def base_atoms(index: Index, units: Units, level: str) -> Base:
    key = ("base", str(units.granularity), id(units), level)
    return index.cached(key, lambda: _build_base(index, units, level))


_SLICE = 4_000_000  # incidents grouped at a time: temporaries of one slice, not of all


def _build_base(index: Index, units: Units, level: str) -> Base:
    """A combined (unit, window, category, location) key per incident, grouped into
    sorted atoms with counts. Slice by slice: each slice's atoms are found, then merged
    (summing counts), so the per-incident temporaries (five int64 columns) are those of
    one slice; what is kept per incident is only its atom (int32). At 60M rows the
    one-pass version needed about 2.4 GB of temporaries; this needs about 0.2 GB plus the
    atoms themselves, and gives the same atoms in the same order."""
    win = windows_at(index, level)
    per = len(index.categories) * N_LOC
    space = (units.n + 1) * win.n * per
    n = index.n
    parts = []
    for lo in range(0, max(n, 1), _SLICE):
        checkpoint()  # a slice is seconds at national scale: stale work stops here
        parts.append(_slice_atoms(index, units, win, lo, min(lo + _SLICE, n), per, space))
    if len(parts) == 1:
        keys, counts, refs, inverse = parts[0]
        incident_atom = inverse.astype(np.int32)
    else:
        keys, merged = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
        counts = np.bincount(merged, weights=np.concatenate([p[1] for p in parts]))
        refs = np.bincount(merged, weights=np.concatenate([p[2] for p in parts]))
        counts = counts.astype(np.int64)
        refs = refs.astype(np.int64)
        incident_atom = np.empty(n, dtype=np.int32)
        at = 0
        for p in parts:  # a slice's atom i is merged atom rank[i]
            rank = np.searchsorted(keys, p[0])
            incident_atom[at : at + len(p[3])] = rank[p[3]]
            at += len(p[3])
    uw_atom, catloc = np.divmod(keys, per)
    uwr, first = runs(uw_atom)  # atoms are sorted by key, so (unit, window) runs
    u, w = np.divmod(uw_atom, win.n)
    return Base(
        win,
        units.n,
        len(first),
        incident_atom,
        uwr,
        u,
        w,
        narrow(catloc // N_LOC, len(index.categories)),
        narrow(catloc % N_LOC, N_LOC),
        narrow(counts, n),
        narrow(refs, n),
    )


def narrow(values: np.ndarray, top: int) -> np.ndarray:
    """`values` (known to lie in [-1, top]) as int32: per-atom counts and codes that are
    only gathered by, summed or compared, never multiplied into keys, take half the
    bytes of int64 in every cached block and layer (issue 16: tens of millions of atoms
    at 60M rows). The bound is checked, not assumed: past int32 they stay int64."""
    return values.astype(narrow_dtype(top))


def narrow_dtype(top: int) -> type[np.signedinteger]:
    """The type `narrow` gives values in [-1, top]: int32 unless `top` needs int64."""
    return np.int64 if top >= np.iinfo(np.int32).max else np.int32


def _slice_atoms(
    index: Index, units: Units, win: Windows, lo: int, hi: int, per: int, space: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Atoms of incidents lo:hi: (sorted keys, incidents, incidents with a reference,
    atom per incident). Counted densely when the key space is small enough to mark; only
    when it is not, (unit, window) pairs are ranked first to shrink it."""
    unit = units.incident_unit[lo:hi].astype(np.int64)
    unit[unit < 0] = units.n
    uw = unit * win.n + win.codes(lo, hi)
    del unit
    catloc = index.category_code[lo:hi].astype(np.int64) * N_LOC + index.location_code[lo:hi]
    if space <= DENSE_LIMIT:
        keys, inverse = dense_groups(uw * per + catloc, space)
    else:
        uw_keys, uwr_inc = dense_groups(uw, (units.n + 1) * win.n)
        del uw
        small, inverse = dense_groups(uwr_inc * per + catloc, len(uw_keys) * per)
        rank, cl = np.divmod(small, per)
        keys = uw_keys[rank] * per + cl
    counts = np.bincount(inverse, minlength=len(keys))
    refs = np.bincount(inverse, weights=index.has_reference[lo:hi], minlength=len(keys))
    return keys, counts, refs, inverse


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
    cat: np.ndarray  # int32 category code (the attack simulation reports by category)
    loc: np.ndarray  # int32 location type code
    n: np.ndarray  # int32 incidents (`narrow`: int64 past int32)
    n_ref: np.ndarray  # int32 incidents with a reference number (as n)
    kappa: np.ndarray  # float64 share of the atom's cell the map confirms
    cell: np.ndarray  # int32 index of the atom's published group cell, -1 if none
    n_uw: int  # non-empty (unit, risk window) pairs
    n_units: int
    n_groups: int

    @property
    def shown(self) -> np.ndarray:
        return (self.slot < self.n_groups) & (self.unit < self.n_units)

    @property
    def inside(self) -> np.ndarray:
        return self.unit < self.n_units
