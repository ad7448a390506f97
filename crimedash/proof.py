"""What a published layer proves: an interval [lo, hi] for the true count of every
(unit, window, group) cell and for each (unit, window) total, derived only from what is
public (the shown counts and the published rules). The attack simulation
(`crimedash.attack`) and the score (`crimedash.risk`) both read these intervals, so
there is one source of truth for what disclosure control hides.

Per cell: exact [n, n]; absent: zero, or suppressed under the minimum count, or (when
totals are published) possibly a secondary suppression of any size; rounded to base b:
[ceil(s - b/2), ceil(s + b/2) - 1]; banded: the band's edges; noisy: [0, inf). The
published total then tightens the cells it sums, to a fixpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crimedash.cancel import checkpoint
from crimedash.layer import PublicLayer

__all__ = [
    "FAMILY_BLOCK",
    "FamilySums",
    "Proof",
    "Rules",
    "family_sums",
    "prove",
]


@dataclass(frozen=True)
class Rules:
    """The published rules of a product: what a reader of the layer is told."""

    counts: str
    min_count: int
    round_base: int
    bands: tuple[int, ...]
    totals: bool  # an 'All crime' total per (unit, window) is published
    epsilon: float
    n_groups: int

    @classmethod
    def of(cls, layer: PublicLayer) -> Rules:
        d = layer.design
        n_groups = len(layer.grouping.groups)
        return cls(
            d.counts, d.min_count, d.round_base, d.bands, d.totals and n_groups > 1, d.epsilon,
            n_groups,
        )  # fmt: skip

    def absent_hi(self) -> float:
        """Largest true count a cell left off the layer may hold."""
        if self.counts == "noise":
            return np.inf
        if self.totals and self.min_count > 0 and self.n_groups > 1:
            return np.inf  # it may be a secondary suppression of any size
        hi = max(self.min_count - 1, 0)
        if self.counts == "rounded":
            hi = max(hi, int(np.ceil(self.round_base / 2)) - 1)
        return float(hi)

    def shown_interval(self, shown: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[lo, hi] of the true count of a published cell from its shown value."""
        s = shown.astype(float)
        floor = float(max(self.min_count, 1))  # a published cell passed suppression
        if self.counts == "noise":
            return np.zeros(len(s)), np.full(len(s), np.inf)
        if self.counts == "rounded":
            b = self.round_base
            lo = np.ceil(s - b / 2)
            hi = np.ceil(s + b / 2) - 1
            return np.maximum(lo, floor), hi
        if self.counts == "banded":
            edges = np.asarray(self.bands, dtype=float)
            k = np.searchsorted(edges, s, side="right") - 1
            upper = np.append(edges[1:] - 1, np.inf)
            return np.maximum(edges[k], floor), upper[k]
        return s, s.copy()


@dataclass(frozen=True)
class Proof:
    """What a layer proves per family (unit, display window): an interval per group
    and for the family's total of shown groups. Family keys are unit * n_windows +
    window code."""

    keys: np.ndarray  # int64 sorted family keys
    lo: np.ndarray  # (F, G)
    hi: np.ndarray  # (F, G), np.inf where unbounded
    total_lo: np.ndarray  # (F,)
    total_hi: np.ndarray
    sums: FamilySums  # of lo and hi per family


@dataclass(frozen=True)
class FamilySums:
    """Per family, over its groups' proven intervals: the midpoints summed (the lower
    bound where a cell is unbounded), the finite upper bounds summed, and how many are
    unbounded. What the Bayes neighbour reads of a family (`crimedash.attack`)."""

    mid: np.ndarray
    fin: np.ndarray
    n_inf: np.ndarray  # int64


FAMILY_BLOCK = 1 << 18  # families summed at a time: (block, groups) temporaries


def family_sums(lo: np.ndarray, hi: np.ndarray) -> FamilySums:
    """`FamilySums` of a (families x groups) table, a block of families at a time."""
    f = len(lo)
    mid, fin, n_inf = np.empty(f), np.empty(f), np.empty(f, dtype=np.int64)
    for b in range(0, f, FAMILY_BLOCK):
        blk = slice(b, b + FAMILY_BLOCK)
        inf_b = np.isinf(hi[blk])
        mid[blk] = np.where(inf_b, lo[blk], (lo[blk] + hi[blk]) / 2).sum(axis=1)
        fin[blk] = np.where(inf_b, 0.0, hi[blk]).sum(axis=1)
        n_inf[blk] = inf_b.sum(axis=1)
    return FamilySums(mid, fin, n_inf)


def prove(
    cell_family: np.ndarray,
    cell_group: np.ndarray,
    cell_shown: np.ndarray,
    rules: Rules,
    families: np.ndarray,
    rounds: int = 6,
) -> Proof:
    """Intervals proven by the published cells alone (cell_group -1 = the total), for
    every family in `families` (sorted, unique; families with no published cell get
    the intervals of absent cells). The total constraint is propagated until nothing
    changes.

    Worked on the published cells, not on a (families x groups) table: at national
    scale a family publishes one or two of its 14 groups (at 5M rows, h3:8, 250k group
    cells in 7.3M family-group slots), and every absent cell of a family starts with the
    same interval [0, absent_hi] and so ends the first round with the same one. So the
    first round is per-cell and per-family arithmetic (sums by `np.bincount`), and the
    table is written once at the end, for the attack that reads it. Every quantity is a
    whole number or inf, so the sums are exact in any order and the result is bit for
    bit the plain dense propagation's (tests/test_proof.py holds that reference)."""
    g = max(rules.n_groups, 1)
    f = len(families)
    absent = rules.absent_hi()
    t_lo = np.zeros(f)
    t_hi = np.full(f, np.inf)
    if rules.totals and rules.counts != "noise":
        t_hi[:] = absent  # an absent total: suppressed or zero
    fi = np.searchsorted(families, cell_family)
    clo, chi = rules.shown_interval(cell_shown)
    grp = cell_group >= 0
    tot = ~grp
    t_lo[fi[tot]] = clo[tot]
    t_hi[fi[tot]] = chi[tot]
    cf, cg, lo_c, hi_c = _last_of_each(fi[grp], cell_group[grp], clo[grp], chi[grp], g)
    n_lo_a, n_hi_a = np.zeros(f), np.full(f, absent)  # each family's absent cells
    sums = _Sums.of(cf, lo_c, hi_c, f, g, absent)
    if rules.totals and rounds >= 1:
        # only families with something unsure can learn from their total
        open_ = (
            ((sums.n_absent > 0) & (absent != 0))
            | (np.bincount(cf, weights=lo_c != hi_c, minlength=f) > 0)
            | (t_lo != t_hi)
        )
        checkpoint()
        new = _sparse_round(sums, cf, lo_c, hi_c, t_lo, t_hi, absent)
        nc_lo, nc_hi, nt_lo, nt_hi, na_lo, na_hi, settled = new
        keep_c = open_[cf]
        lo_c, hi_c = np.where(keep_c, nc_lo, lo_c), np.where(keep_c, nc_hi, hi_c)
        t_lo, t_hi = np.where(open_, nt_lo, t_lo), np.where(open_, nt_hi, t_hi)
        n_lo_a, n_hi_a = np.where(open_, na_lo, n_lo_a), np.where(open_, na_hi, n_hi_a)
        rows = np.flatnonzero(open_ & ~settled)  # only an unsound layer leaves any
    elif rules.totals:  # no rounds asked for: the intervals as shown
        rows = np.zeros(0, dtype=np.int64)
    else:
        t_lo = sums.lo
        t_hi = np.where(sums.n_inf > 0, np.inf, sums.hi_fin)
        rows = np.zeros(0, dtype=np.int64)
    lo = np.repeat(n_lo_a, g).reshape(f, g)
    hi = np.repeat(n_hi_a, g).reshape(f, g)
    lo[cf, cg] = lo_c
    hi[cf, cg] = hi_c
    summed = _sparse_sums(cf, lo_c, hi_c, n_lo_a, n_hi_a, sums.n_absent)
    if rules.totals and rounds > 1 and len(rows):
        _more_rounds(lo, hi, t_lo, t_hi, rows, rounds - 1)
        again = family_sums(lo[rows], hi[rows])  # the few rows later rounds rewrote
        summed.mid[rows], summed.fin[rows], summed.n_inf[rows] = again.mid, again.fin, again.n_inf
    return Proof(families, lo, hi, t_lo, t_hi, summed)


def _sparse_sums(cf, lo_c, hi_c, lo_a, hi_a, n_absent) -> FamilySums:
    """`family_sums` from the published cells and each family's absent cells: half
    and whole numbers, so exactly the table's sums."""
    f = len(lo_a)

    def per_family(on_cells: np.ndarray, on_absent: np.ndarray) -> np.ndarray:
        total = np.bincount(cf, weights=on_cells, minlength=f).astype(float, copy=False)
        return total + n_absent * on_absent

    inf_c, inf_a = np.isinf(hi_c), np.isinf(hi_a)
    return FamilySums(
        per_family(
            np.where(inf_c, lo_c, (lo_c + hi_c) / 2), np.where(inf_a, lo_a, (lo_a + hi_a) / 2)
        ),
        per_family(np.where(inf_c, 0.0, hi_c), np.where(inf_a, 0.0, hi_a)),
        per_family(inf_c, inf_a).astype(np.int64),
    )


def _last_of_each(cf, cg, lo_c, hi_c, g):
    """The published group cells, one per (family, group): where a layer names a cell
    twice the last one stands, as when they were written into a table in order."""
    flat = cf.astype(np.int64) * g + cg
    if len(flat) < 2 or bool((flat[1:] > flat[:-1]).all()):
        return cf, cg, lo_c, hi_c
    _, first_of_reversed = np.unique(flat[::-1], return_index=True)
    last = len(flat) - 1 - first_of_reversed
    return cf[last], cg[last], lo_c[last], hi_c[last]


@dataclass(frozen=True)
class _Sums:
    """Per family: its cells' lower bounds summed, its finite upper bounds summed and
    how many upper bounds are unbounded, the absent cells (each [0, absent_hi])
    included; and how many cells it leaves absent."""

    lo: np.ndarray
    hi_fin: np.ndarray
    n_inf: np.ndarray
    n_absent: np.ndarray

    @classmethod
    def of(cls, cf, lo_c, hi_c, f: int, g: int, absent: float) -> _Sums:
        n_absent = g - np.bincount(cf, minlength=f)
        inf_c = np.isinf(hi_c)
        # float even with no cells (bincount of nothing is an integer array)
        s_lo = np.bincount(cf, weights=lo_c, minlength=f).astype(float, copy=False)
        s_hi = np.bincount(cf, weights=np.where(inf_c, 0.0, hi_c), minlength=f).astype(
            float, copy=False
        )
        n_inf = np.bincount(cf, weights=inf_c, minlength=f).astype(np.int64)
        if np.isinf(absent):
            n_inf += n_absent
        else:
            s_hi += n_absent * absent
        return cls(s_lo, s_hi, n_inf, n_absent)


def _sparse_round(sums: _Sums, cf, lo_c, hi_c, t_lo, t_hi, absent: float):
    """`_round` on every family, from the published cells and one absent cell per
    family: the new intervals of the published cells, of the totals and of each
    family's absent cells, and which families were consistent before it."""
    s_lo, s_hi_fin, n_inf = sums.lo, sums.hi_fin, sums.n_inf
    s_hi = np.where(n_inf > 0, np.inf, s_hi_fin)
    bad = (lo_c > hi_c) | (lo_c < 0)  # absent cells, [0, absent_hi], never are
    cells_ok = np.bincount(cf, weights=bad, minlength=len(s_lo)) == 0
    settled = (t_lo <= t_hi) & (t_lo <= s_hi) & (s_lo <= t_hi) & cells_ok
    nt_lo = np.maximum(t_lo, s_lo)
    nt_hi = np.minimum(t_hi, s_hi)
    c_lo, c_hi = _cell_round(lo_c, hi_c, s_lo[cf], s_hi_fin[cf], n_inf[cf], nt_lo[cf], nt_hi[cf])
    a_lo, a_hi = _cell_round(
        np.zeros(len(s_lo)), np.full(len(s_lo), absent), s_lo, s_hi_fin, n_inf, nt_lo, nt_hi
    )
    return c_lo, c_hi, nt_lo, nt_hi, a_lo, a_hi, settled


def _cell_round(lo, hi, s_lo, s_hi_fin, n_inf, nt_lo, nt_hi):
    """One cell's new interval from its family's sums and new total: `_round`'s
    arithmetic for one column."""
    inf = np.isinf(hi)
    others_inf = (n_inf - inf) > 0
    others_hi = np.where(others_inf, np.inf, s_hi_fin - np.where(inf, 0.0, hi))
    others_lo = s_lo - lo
    with np.errstate(invalid="ignore"):
        n_lo = np.maximum(lo, np.where(others_inf, 0.0, nt_lo - others_hi))
        n_hi = np.minimum(hi, nt_hi - others_lo)
    return n_lo, np.maximum(n_hi, n_lo)


def _more_rounds(lo, hi, t_lo, t_hi, rows, rounds: int) -> None:
    """Rounds after the first for the families it did not settle (see `_propagate`),
    in place."""
    for _ in range(rounds):
        if not len(rows):
            break
        checkpoint()
        old = (lo[rows], hi[rows], t_lo[rows], t_hi[rows])
        new = _tighten(*old)
        moved = (
            (new[0] != old[0]).any(axis=1)
            | (new[1] != old[1]).any(axis=1)
            | (new[2] != old[2])
            | (new[3] != old[3])
        )
        if not moved.any():
            break
        rows = rows[moved]
        lo[rows], hi[rows], t_lo[rows], t_hi[rows] = (a[moved] for a in new)


def _propagate(lo, hi, t_lo, t_hi, rounds):
    """Sum constraint T = sum_g x_g over intervals, to a fixpoint (`rounds` bounds it).

    One round is the fixpoint for every family whose intervals are consistent: each
    cell's interval is non-empty and the total's interval meets the cells' sums
    ([t_lo, t_hi] and [sum lo, sum hi] overlap). The round first sets the total to
    [max(t_lo, sum lo), min(t_hi, sum hi)], which is then exactly the set of totals some
    choice of cells in their intervals reaches, then each cell to
    [max(lo_g, T_lo - sum of the others' hi), min(hi_g, T_hi - sum of the others' lo)],
    exactly the values cell g takes in some such choice (a sum of intervals is an
    interval; counts are never below 0, which the others' unbounded case relies on). Every new interval is the projection of the same non-empty set of
    solutions, and propagation never cuts a solution out, so a second round cannot
    narrow anything: the plain loop's confirming round would change nothing. Counts are
    whole numbers (or inf), so the float arithmetic is exact. A published layer is always
    consistent (the true counts are a solution), so at national scale the second round
    over ~1M families x 14 groups is skipped; only inconsistent families (never from a
    sound layer) go on round by round, as in the plain every-family loop, which
    `tests/test_proof.py` checks this equals."""
    if rounds < 1:
        return lo.copy(), hi.copy(), t_lo.copy(), t_hi.copy()
    # the inputs are never written: the first round makes new arrays, later rounds
    # write into those
    checkpoint()  # a round is seconds at national scale: stale work stops here
    *new, settled = _round(lo, hi, t_lo, t_hi)
    lo, hi, t_lo, t_hi = new
    rows = np.flatnonzero(~settled)  # families one round may not have settled
    _more_rounds(lo, hi, t_lo, t_hi, rows, rounds - 1)
    return lo, hi, t_lo, t_hi


def _tighten(lo, hi, t_lo, t_hi):
    """One round of the sum constraint: the total from the cells, each cell from the
    total and the others."""
    return _round(lo, hi, t_lo, t_hi)[:4]


def _round(lo, hi, t_lo, t_hi):
    """`_tighten`, plus which families were consistent before it (so it settled them:
    see `_propagate`)."""
    s_lo = lo.sum(axis=1)
    inf_g = np.isinf(hi)
    n_inf = inf_g.sum(axis=1)
    hi_fin = np.where(inf_g, 0.0, hi)
    s_hi_fin = hi_fin.sum(axis=1)
    s_hi = np.where(n_inf > 0, np.inf, s_hi_fin)
    # consistent counts (never below 0): one round is their fixpoint (see _propagate)
    cells_ok = ((lo <= hi) & (lo >= 0)).all(axis=1)
    settled = (t_lo <= t_hi) & (t_lo <= s_hi) & (s_lo <= t_hi) & cells_ok
    nt_lo = np.maximum(t_lo, s_lo)
    nt_hi = np.minimum(t_hi, s_hi)
    # others' upper sum without cell g: infinite if another cell is unbounded
    others_inf = (n_inf[:, None] - inf_g) > 0
    others_hi = np.where(others_inf, np.inf, s_hi_fin[:, None] - hi_fin)
    others_lo = s_lo[:, None] - lo
    with np.errstate(invalid="ignore"):
        n_lo = np.maximum(lo, np.where(others_inf, 0.0, nt_lo[:, None] - others_hi))
        n_hi = np.minimum(hi, nt_hi[:, None] - others_lo)
    n_hi = np.maximum(n_hi, n_lo)  # guards float noise; a sound layer never crosses
    return n_lo, n_hi, nt_lo, nt_hi, settled
