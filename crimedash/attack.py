"""Attack the public layer as it would be exported, using only what would be public.

The score is a model; this module is the check on it. Concrete attackers read the
published cells (unit, window, group, shown count, the 'All crime' totals), the
published rules (minimum count, rounding base, bands, whether totals are published,
whether noise was added) and the address register (households per unit), and we count
how many incidents at homes (residential or unknown places, ¶26-28) each one gets:

- register linker (¶10, ¶21, ¶36): the incident's cell is proven non-empty and its unit
  holds at most k households (k = 1, 5, 10), so the incident is narrowed to k homes;
- neighbour who knows the home and the day (¶34, ¶38): from the cells of the unit and
  window, the layer proves the incident's group is at least 1 and every other group 0
  (certain), or a Bayes reading of the intervals puts the right group at 0.95 or more
  while the wider area's group mix (known without the map) put it below 0.95.

The attacker's reasoning is interval arithmetic (`crimedash.proof`): every published
cell gives [lo, hi] from what is shown, and the published totals tighten the cells they
sum, iterated to a fixpoint. `prove` sees only public arrays; the ground truth (which
incident is where) is used afterwards, only to count successes.

`attack` takes a list of published products of the same data so that several releases
can be attacked together (their intervals intersect); today the app and the CLI pass
one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from crimedash import proof
from crimedash.attackresult import BAYES_LINE, AttackResult, Outcome, summarise
from crimedash.cancel import checkpoint
from crimedash.design import Design
from crimedash.errors import DesignError
from crimedash.index import Index
from crimedash.layer import PublicLayer, apply_design
from crimedash.proof import Rules, family_sums, prove
from crimedash.windows import window_days

__all__ = [
    "attack",
    "dp_posterior_bound",
    "outcome",
    "outcomes",
]

# a month's share of a year, in days: turns the attendance rate (per household per
# month) into visits per household per day, so a window is charged by its own length
DAYS_PER_MONTH = 365.25 / 12
# a partial extract's cell can prove an incident's group with certainty only while the
# police visits it does not hold are too few to matter: expected at most 1/0.95 - 1, so
# that even a lone proven incident has a posterior of 0.95 (the Bayes neighbour's line)
OTHER_VISITS_CERTAIN = 1.0 / BAYES_LINE - 1.0


def dp_posterior_bound(prior: np.ndarray | float, epsilon: float) -> np.ndarray:
    """Largest posterior an attacker with prior p can reach from an epsilon-DP release:
    p e^eps / (1 - p + p e^eps)."""
    p = np.asarray(prior, dtype=float)
    e = np.exp(epsilon)
    return p * e / (1.0 - p + p * e)


def _compatible(layers: list[PublicLayer]) -> None:
    first = layers[0]
    for other in layers[1:]:
        same = (
            other.units is first.units
            or str(other.units.granularity) == str(first.units.granularity)
        ) and (other.display_level, other.grouping.groups) == (
            first.display_level,
            first.grouping.groups,
        )
        if not same:
            raise DesignError(
                "products attacked together must share units, windows and groups",
                hint="attack each product on its own; differencing products of different "
                "shapes is not simulated yet",
            )


def _families(atom_fam: np.ndarray, cell_fams: list[np.ndarray]) -> np.ndarray:
    """Sorted unique family keys of the atoms and the published cells. Atoms come sorted
    by unit and window, and every published cell holds atoms (noise aside), so the usual
    case needs no hashing."""
    sorted_ = len(atom_fam) < 2 or bool((np.diff(atom_fam) >= 0).all())
    if sorted_:
        keys = atom_fam[np.r_[True, atom_fam[1:] != atom_fam[:-1]]] if len(atom_fam) else atom_fam
        if all(np.isin(cf, keys, assume_unique=False).all() for cf in cell_fams if len(cf)):
            return keys
    return np.unique(np.concatenate([atom_fam, *cell_fams]))


_ATOM_BLOCK = 1 << 21  # atoms attacked at a time, in whole units (see outcome)


@dataclass(frozen=True)
class _Known:
    """What the attackers know before reading any family: the wider area's group mix
    and the layer's shape. The only quantities an atom's outcome takes from outside its
    own (unit, window) family, so families can be attacked a block at a time."""

    n_win: int
    n_groups: int
    mix: np.ndarray  # share of incidents per slot (hidden slot last)
    hidden_share: float
    cond: np.ndarray  # the prior within the shown groups
    prior_of_slot: np.ndarray  # the right group's known share, per slot
    households: np.ndarray  # per unit, 0 appended for "outside"
    # a partial extract's police visits outside it, expected per household in each
    # display window (by window code; all 0 for all recorded crime)
    other_visits: np.ndarray


def _known(index: Index, layers: list[PublicLayer]) -> _Known:
    layer = layers[0]
    design = layer.design
    at = layer.atoms
    n_groups = len(layer.grouping.groups)
    # display window codes of atoms and of published cells, in one space
    n_win = int(max(at.dwin.max(initial=0), 0)) + 1
    for lay in layers:
        if len(lay.cell_window):
            n_win = max(n_win, int((lay.cell_window - lay.display_origin).max()) + 1)
    # the wider area's group mix: what is known without the map (hidden slot last)
    mix = np.bincount(at.slot, weights=at.n, minlength=n_groups + 1).astype(float)
    mix /= max(mix.sum(), 1.0)
    shown_mass = mix[:n_groups].sum()
    hidden_share = mix[n_groups] / shown_mass if shown_mass > 0 else np.inf
    cond = np.zeros(max(n_groups, 1))
    if shown_mass > 0:
        cond[:n_groups] = mix[:n_groups] / shown_mass
    known = mix[:n_groups]
    other_visits = np.zeros(n_win)
    if not design.all_recorded_crime:
        # without the map a neighbour knows the group's share of all police visits in
        # the wider area, not of this extract: the extract over every attendance
        months_span = float(np.ptp(index.time_keys["month"]) + 1) if index.n else 1.0
        register = max(
            [index.total_households, float(layer.units.households.sum())]
            + [float(np.nansum(a.households)) for a in index.areas.values()]
        )
        visits = register * design.attendance_rate * months_span
        in_extract = min(1.0, float(at.n.sum()) / max(visits, 1.0))
        known = known * in_extract
        # and in a unit and window, the visits the extract does not hold: a household's
        # expected attendances over the window's days, less the extract's share of them.
        # A sum over households and days, so merging units or windows adds them up (the
        # neighbour's denominator stays additive, and coarser never raises the score)
        days = window_days(layer.display_level, np.arange(n_win) + layer.display_origin)
        other_visits = design.attendance_rate / DAYS_PER_MONTH * days * (1.0 - in_extract)
    return _Known(
        n_win,
        n_groups,
        mix,
        float(hidden_share),
        cond,
        np.append(known, 1.0),
        np.append(layer.units.households, 0.0),
        other_visits,
    )


def _blocks(layers: list[PublicLayer], size: int) -> list[tuple[int, int]]:
    """Atom ranges [a0, a1) holding whole units, about `size` atoms each; the atoms
    outside every unit (sorted last) go with the last block. Atoms and cells come
    sorted by unit; should they not be, one block (the whole layer) is exact too."""
    at = layers[0].atoms
    unit = at.unit
    n = len(unit)
    if n <= size or not all(_ascending(lay.cell_unit) for lay in layers) or not _ascending(unit):
        return [(0, n)]
    inside_end = int(np.searchsorted(unit, at.n_units, side="left"))
    starts = np.searchsorted(unit, unit[np.arange(size, inside_end, size)], side="left")
    edges = np.unique(np.concatenate([[0], starts, [n]]))
    edges = edges[(edges == 0) | (edges == n) | ((edges > 0) & (edges < inside_end))]
    return list(zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True))


def _ascending(a: np.ndarray) -> bool:
    return len(a) < 2 or bool((a[1:] >= a[:-1]).all())


def outcome(index: Index, layers: list[PublicLayer]) -> Outcome:
    """Run the attackers over atoms: the proofs from every product (intersected), then
    the ground truth of each atom looked up in them.

    An atom's outcome depends on its own (unit, window) family's cells and on what is
    known before the map (`_Known`), so the atoms are attacked a block of whole units at
    a time: the proofs' (families, groups) intervals and a dozen per-atom temporaries
    are those of one block, not of the layer (at 60M rows each whole-layer temporary
    was hundreds of MB). Every per-atom value is computed by the same arithmetic as in
    one pass, so the outcome is the same bit for bit (tests/test_slices.py)."""
    k = _known_checked(index, layers)
    layer = layers[0]
    n_atoms = len(layer.atoms.n)
    out = {
        "target": np.zeros(n_atoms, dtype=bool),
        "proven": np.zeros(n_atoms, dtype=bool),
        "certain": np.zeros(n_atoms, dtype=bool),
        "posterior": np.zeros(n_atoms),
        "proven_share": np.zeros(n_atoms),
    }
    for a0, a1 in _blocks(layers, _ATOM_BLOCK):
        for name, values in _attack_block(index, layers, k, a0, a1).items():
            out[name][a0:a1] = values
        checkpoint()  # a block is seconds at national scale: stale work stops here
    return _outcome(layer, k, 0, n_atoms, out)


def outcomes(
    index: Index, layers: list[PublicLayer], block: int = _ATOM_BLOCK
) -> Iterator[tuple[int, Outcome]]:
    """`outcome` a block of whole units at a time: (a0, the outcome of atoms a0:a1),
    each the same values as `outcome(...)` has at a0:a1. For a caller that only adds
    the outcome up (`crimedash.score`): the per-atom arrays are then those of one block."""
    k = _known_checked(index, layers)
    for a0, a1 in _blocks(layers, block):
        yield a0, _outcome(layers[0], k, a0, a1, _attack_block(index, layers, k, a0, a1))
        checkpoint()


def _known_checked(index: Index, layers: list[PublicLayer]) -> _Known:
    if not layers:
        raise DesignError("attack needs at least one published product")
    _compatible(layers)
    return _known(index, layers)


def _outcome(layer: PublicLayer, k: _Known, a0: int, a1: int, got: dict) -> Outcome:
    at = layer.atoms
    return Outcome(
        layer=layer,
        **got,
        prior=k.prior_of_slot[np.minimum(at.slot[a0:a1], k.n_groups)],
        households=k.households[at.unit[a0:a1]],
        weight=layer.grouping.category_sensitivity[at.cat[a0:a1]],
        n=at.n[a0:a1].astype(float),
    )


def _attack_block(
    index: Index, layers: list[PublicLayer], k: _Known, a0: int, a1: int
) -> dict[str, np.ndarray]:
    """The outcome of atoms a0:a1 (whole units), from the proofs of their families."""
    layer = layers[0]
    design = layer.design
    full = layer.atoms
    n_groups, n_win = k.n_groups, k.n_win
    unit, dwin, slot = full.unit[a0:a1], full.dwin[a0:a1], full.slot[a0:a1]
    inside = unit < full.n_units
    if a0 == 0 and a1 == len(full.unit):
        cells = [slice(None)] * len(layers)
    else:  # the published cells of the block's units (cells are sorted by unit)
        u0 = int(unit[0])
        u1 = int(unit[inside][-1]) + 1 if inside.any() else u0
        cells = [
            slice(*np.searchsorted(lay.cell_unit, [u0, u1], side="left").tolist()) for lay in layers
        ]
    atom_fam = unit * n_win + dwin
    cell_fams = [
        lay.cell_unit[c] * n_win + (lay.cell_window[c] - lay.display_origin)
        for lay, c in zip(layers, cells, strict=True)
    ]
    families = _families(atom_fam[inside], cell_fams)
    lo = hi = t_lo = t_hi = None
    for lay, cf, c in zip(layers, cell_fams, cells, strict=True):
        p = prove(cf, lay.cell_group[c], lay.cell_shown[c], Rules.of(lay), families)
        if lo is None:
            lo, hi, t_lo, t_hi, sums = p.lo, p.hi, p.total_lo, p.total_hi, p.sums
        else:
            lo, hi = np.maximum(lo, p.lo), np.minimum(hi, p.hi)
            t_lo, t_hi = np.maximum(t_lo, p.total_lo), np.minimum(t_hi, p.total_hi)
            sums = None
    # the Bayes neighbour's expected counts: the prior's count, clipped to the proof.
    # Per family sums over the (families, groups) intervals (one product's come with
    # its proof; intersected products' are summed here), a block of families at a
    # time; the expected counts x_hat are then only made where atoms read them.
    n_fam = len(families)
    if sums is None:
        sums = family_sums(lo, hi)
    mid, fin_sum, n_inf = sums.mid, sums.fin, sums.n_inf
    n_hat = np.clip(np.maximum(mid, 1.0), t_lo, np.maximum(t_hi, 1.0))
    cond, hidden_share = k.cond, k.hidden_share
    x_sum = np.empty(n_fam)
    for b in range(0, n_fam, proof.FAMILY_BLOCK):
        blk = slice(b, b + proof.FAMILY_BLOCK)
        x = n_hat[blk, None] * cond[None, :]
        np.clip(x, lo[blk], hi[blk], out=x)  # in place: a (block, groups) array fewer
        x_sum[blk] = x.sum(axis=1)
    denom = x_sum + n_hat * hidden_share
    households = k.households

    target = inside & (slot < n_groups + 1) & _home(index, full.loc[a0:a1])
    fam_i = _family_of(families, atom_fam)
    fam_i = np.where(inside, np.minimum(fam_i, len(families) - 1), 0)
    slot_safe = np.minimum(slot, max(n_groups - 1, 0))
    shown = slot < n_groups
    # the atom's own cell's interval, read once (random reads of the family table)
    lo_a, hi_a = lo[fam_i, slot_safe], hi[fam_i, slot_safe]
    own_lo = np.where(shown, lo_a, 0.0)
    # every other group proven zero: the sum of the others' upper bounds is 0
    fin_sum = fin_sum[fam_i]
    own_hi = np.where(shown, hi_a, 0.0)
    others_inf = n_inf[fam_i] - (shown & np.isinf(own_hi)) > 0
    others_hi = np.where(others_inf, np.inf, fin_sum - np.where(np.isinf(own_hi), 0.0, own_hi))
    # the share of the unit and window the right group is proven to hold, at least:
    # its lower bound over the others' upper bounds (what the score is built on; it can
    # only fall as intervals widen, so stricter control never raises it)
    low_denom = (own_lo + others_hi) * (1.0 + (hidden_share if np.isfinite(hidden_share) else 0))
    proven = shown & inside & (own_lo >= 1)
    certain = proven & (others_hi == 0) & (k.mix[n_groups] == 0)
    d = denom[fam_i]
    if not design.all_recorded_crime:
        # the police visits of the unit and window the extract does not hold: they add
        # to every denominator, and while they are expected at all the neighbour cannot
        # be sure the visit they saw is among the incidents mapped
        attend = households[unit] * k.other_visits[np.minimum(dwin, n_win - 1)]
        certain &= attend <= OTHER_VISITS_CERTAIN
        d = d + attend
    with np.errstate(divide="ignore", invalid="ignore"):
        x_hat = np.clip(n_hat[fam_i] * cond[slot_safe], lo_a, hi_a)
        post = np.where(shown & inside & (d > 0), x_hat / d, 0.0)
    post = np.minimum(post, 1.0)
    if design.counts == "noise":
        prior = k.prior_of_slot[np.minimum(slot, n_groups)]
        post = np.minimum(post, dp_posterior_bound(prior, design.epsilon))
        certain[:] = False
        proven[:] = False
    post = np.where(certain, 1.0, post)
    if not design.all_recorded_crime:
        low_denom = low_denom + attend
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(proven & (low_denom > 0), own_lo / low_denom, 0.0)
    share = np.where(certain, 1.0, np.minimum(share, 1.0))
    return {
        "target": target,
        "proven": proven,
        "certain": certain,
        "posterior": np.where(shown, post, 0.0),
        "proven_share": np.where(shown, share, 0.0),
    }


def _family_of(families: np.ndarray, atom_fam: np.ndarray) -> np.ndarray:
    """`np.searchsorted(families, atom_fam)`, looked up once per run of equal keys:
    atoms come sorted by family, a handful to a family."""
    n = len(atom_fam)
    if n < 2 or not _ascending(atom_fam):
        return np.searchsorted(families, atom_fam)
    starts = np.flatnonzero(np.r_[True, atom_fam[1:] != atom_fam[:-1]])
    found = np.searchsorted(families, atom_fam[starts])
    return np.repeat(found, np.diff(np.r_[starts, n]))


def _home(index: Index, loc: np.ndarray) -> np.ndarray:
    private = np.array(
        [t in ("residential", "unknown") for t in index.location_types] + [False], dtype=bool
    )
    return private[np.minimum(loc, len(index.location_types))]


def attack(
    index: Index,
    products: list[PublicLayer] | list[Design],
) -> AttackResult:
    """Every attacker against the published products (layers or designs to publish),
    counted over incidents at homes."""
    layers = [p if isinstance(p, PublicLayer) else apply_design(index, p) for p in products]
    out = outcome(index, layers)
    return summarise(index, out)
