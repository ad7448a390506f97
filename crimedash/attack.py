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

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crimedash.categories import label as category_label
from crimedash.design import Design
from crimedash.errors import DesignError
from crimedash.index import Index
from crimedash.layer import PublicLayer, apply_design
from crimedash.proof import Rules, prove

__all__ = [
    "AttackResult",
    "Outcome",
    "attack",
    "dp_posterior_bound",
    "outcome",
    "summarise",
]

REGISTER_KS = (1, 5, 10)
BAYES_LINE = 0.95  # a neighbour "knows" when the right group's posterior reaches this
# months per display window, for the attendance denominator of a partial extract
WINDOW_MONTHS = {"timestamp": 1 / 43_200, "day": 1 / 30.4, "week": 7 / 30.4, "month": 1.0}
WINDOW_MONTHS["quarter"] = 3.0


def dp_posterior_bound(prior: np.ndarray | float, epsilon: float) -> np.ndarray:
    """Largest posterior an attacker with prior p can reach from an epsilon-DP release:
    p e^eps / (1 - p + p e^eps)."""
    p = np.asarray(prior, dtype=float)
    e = np.exp(epsilon)
    return p * e / (1.0 - p + p * e)


@dataclass(frozen=True)
class Outcome:
    """Per atom (the layer's rows of equal incidents): what the attackers get."""

    layer: PublicLayer
    target: np.ndarray  # bool: incidents at homes inside a unit
    proven: np.ndarray  # bool: the atom's cell is proven non-empty
    certain: np.ndarray  # bool: the neighbour proves the atom's group
    posterior: np.ndarray  # float: the Bayes neighbour's posterior on the right group
    proven_share: np.ndarray  # float: the right group's proven share, at least
    prior: np.ndarray  # float: the right group's share of the wider area
    households: np.ndarray  # float: households in the atom's unit
    weight: np.ndarray  # float: sensitivity of the atom's category
    n: np.ndarray


@dataclass(frozen=True)
class AttackResult:
    """What each attacker gets against the published products, counted over incidents
    at homes (plain and sensitivity-weighted), with sentences a reviewer reads."""

    homes: int  # incidents at homes inside units (the denominator)
    homes_weighted: float
    certain: int
    certain_weighted: float
    bayes: int
    bayes_weighted: float
    register: dict[int, int]  # k -> incidents proven in units of at most k households
    register_weighted: dict[int, float]
    by_group: list[dict[str, Any]]
    by_category: list[dict[str, Any]]
    sentences: list[str]
    small_unit_cells: int = 0  # proven non-empty cells in units below min_households
    proven: int = 0  # incidents at homes in cells proven non-empty (any unit size)
    notes: list[str] = field(default_factory=list)

    @property
    def certain_share(self) -> float:
        return self.certain / self.homes if self.homes else 0.0

    @property
    def certain_share_weighted(self) -> float:
        return self.certain_weighted / self.homes_weighted if self.homes_weighted else 0.0

    @property
    def bayes_share_weighted(self) -> float:
        return self.bayes_weighted / self.homes_weighted if self.homes_weighted else 0.0

    def register_share(self, k: int) -> float:
        return self.register[k] / self.homes if self.homes else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "homes": self.homes,
            "homes_weighted": round(self.homes_weighted, 2),
            "certain": self.certain,
            "certain_weighted": round(self.certain_weighted, 2),
            "certain_share": round(self.certain_share, 4),
            "certain_share_weighted": round(self.certain_share_weighted, 4),
            "bayes": self.bayes,
            "bayes_weighted": round(self.bayes_weighted, 2),
            "bayes_share_weighted": round(self.bayes_share_weighted, 4),
            "register": {str(k): v for k, v in self.register.items()},
            "register_share": {str(k): round(self.register_share(k), 4) for k in self.register},
            "register_weighted": {str(k): round(v, 2) for k, v in self.register_weighted.items()},
            "by_group": self.by_group,
            "by_category": self.by_category,
            "sentences": self.sentences,
            "small_unit_cells": self.small_unit_cells,
            "proven": self.proven,
            "notes": self.notes,
        }


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


def outcome(index: Index, layers: list[PublicLayer]) -> Outcome:
    """Run the attackers over atoms: the proofs from every product (intersected), then
    the ground truth of each atom looked up in them."""
    if not layers:
        raise DesignError("attack needs at least one published product")
    _compatible(layers)
    layer = layers[0]
    design = layer.design
    at = layer.atoms
    n_groups = len(layer.grouping.groups)
    inside = at.inside
    # display window codes of atoms and of published cells, in one space
    n_win = int(max(at.dwin.max(initial=0), 0)) + 1
    for lay in layers:
        if len(lay.cell_window):
            n_win = max(n_win, int((lay.cell_window - lay.display_origin).max()) + 1)
    atom_fam = at.unit * n_win + at.dwin
    cell_fams = [lay.cell_unit * n_win + (lay.cell_window - lay.display_origin) for lay in layers]
    families = _families(atom_fam[inside], cell_fams)
    lo = hi = t_lo = t_hi = None
    for lay, cf in zip(layers, cell_fams, strict=True):
        p = prove(cf, lay.cell_group, lay.cell_shown, Rules.of(lay), families)
        if lo is None:
            lo, hi, t_lo, t_hi = p.lo, p.hi, p.total_lo, p.total_hi
        else:
            lo, hi = np.maximum(lo, p.lo), np.minimum(hi, p.hi)
            t_lo, t_hi = np.maximum(t_lo, p.total_lo), np.minimum(t_hi, p.total_hi)

    # the wider area's group mix: what is known without the map (hidden slot last)
    mix = np.bincount(at.slot, weights=at.n, minlength=n_groups + 1).astype(float)
    mix /= max(mix.sum(), 1.0)
    shown_mass = mix[:n_groups].sum()
    hidden_share = mix[n_groups] / shown_mass if shown_mass > 0 else np.inf

    # the Bayes neighbour's expected counts: the prior's count, clipped to the proof
    mid = np.where(np.isinf(hi), lo, (lo + hi) / 2).sum(axis=1)
    n_hat = np.clip(np.maximum(mid, 1.0), t_lo, np.maximum(t_hi, 1.0))
    cond = np.zeros(max(n_groups, 1))  # the prior within the shown groups
    if shown_mass > 0:
        cond[:n_groups] = mix[:n_groups] / shown_mass
    x_hat = np.clip(n_hat[:, None] * cond[None, :], lo, hi)
    denom = x_hat.sum(axis=1) + n_hat * hidden_share
    households = np.append(layer.units.households, 0.0)
    months = WINDOW_MONTHS[layer.display_level]

    target = inside & (at.slot < n_groups + 1) & _home(index, at.loc)
    fam_i = np.searchsorted(families, atom_fam)
    fam_i = np.where(inside, np.minimum(fam_i, len(families) - 1), 0)
    slot_safe = np.minimum(at.slot, max(n_groups - 1, 0))
    shown = at.slot < n_groups
    own_lo = np.where(shown, lo[fam_i, slot_safe], 0.0) if n_groups else np.zeros(len(at.n))
    # every other group proven zero: the sum of the others' upper bounds is 0
    inf = np.isinf(hi)
    fin_sum = np.where(inf, 0.0, hi).sum(axis=1)[fam_i]
    own_hi = np.where(shown, hi[fam_i, slot_safe], 0.0)
    others_inf = inf.sum(axis=1)[fam_i] - (shown & np.isinf(own_hi)) > 0
    others_hi = np.where(others_inf, np.inf, fin_sum - np.where(np.isinf(own_hi), 0.0, own_hi))
    # the share of the unit and window the right group is proven to hold, at least:
    # its lower bound over the others' upper bounds (what the score is built on; it can
    # only fall as intervals widen, so stricter control never raises it)
    low_denom = (own_lo + others_hi) * (1.0 + (hidden_share if np.isfinite(hidden_share) else 0))
    proven = shown & inside & (own_lo >= 1)
    certain = proven & (others_hi == 0) & (mix[n_groups] == 0)
    d = denom[fam_i]
    if not design.all_recorded_crime:
        attend = households[at.unit] * design.attendance_rate * months
        certain &= own_lo >= attend
        d = np.maximum(d, attend)
    with np.errstate(divide="ignore", invalid="ignore"):
        post = np.where(shown & inside & (d > 0), x_hat[fam_i, slot_safe] / d, 0.0)
    post = np.minimum(post, 1.0)
    known = mix[:n_groups]
    if not design.all_recorded_crime:
        # without the map a neighbour knows the group's share of all police visits in
        # the wider area, not of this extract: the extract over every attendance
        months_span = float(np.ptp(index.time_keys["month"]) + 1) if index.n else 1.0
        register = max(
            [index.total_households, float(layer.units.households.sum())]
            + [float(np.nansum(a.households)) for a in index.areas.values()]
        )
        visits = register * design.attendance_rate * months_span
        known = known * min(1.0, float(at.n.sum()) / max(visits, 1.0))
    prior = np.append(known, 1.0)[np.minimum(at.slot, n_groups)]
    if design.counts == "noise":
        post = np.minimum(post, dp_posterior_bound(prior, design.epsilon))
        certain[:] = False
        proven[:] = False
    post = np.where(certain, 1.0, post)
    if not design.all_recorded_crime:
        low_denom = np.maximum(low_denom, attend)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(proven & (low_denom > 0), own_lo / low_denom, 0.0)
    share = np.where(certain, 1.0, np.minimum(share, 1.0))
    weight = layer.grouping.category_sensitivity[at.cat]
    return Outcome(
        layer=layer,
        target=target,
        proven=proven,
        certain=certain,
        posterior=np.where(shown, post, 0.0),
        proven_share=np.where(shown, share, 0.0),
        prior=prior,
        households=households[at.unit],
        weight=weight,
        n=at.n.astype(float),
    )


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


def summarise(index: Index, out: Outcome, *, shown_level: str | None = None) -> AttackResult:
    """Count what each attacker gets over incidents at homes. `shown_level`: the time the
    published map shows when the attacker reads finer release windows by differencing."""
    layer = out.layer
    at = layer.atoms
    t = out.target
    n = out.n * t
    w = n * out.weight
    gain = out.prior < BAYES_LINE  # learning a group the wider area already names is no gain
    certain = out.certain & gain
    bayes = (out.posterior >= BAYES_LINE) & gain
    register = {k: out.proven & (out.households <= k) for k in REGISTER_KS}
    groups = (*layer.grouping.groups, "(not shown)")
    slot = np.minimum(at.slot, len(groups) - 1)

    def per(key: np.ndarray, names, sel) -> list[dict[str, Any]]:
        size = len(names)
        tot = np.bincount(key, weights=n, minlength=size)
        got = np.bincount(key, weights=n * sel, minlength=size)
        bay = np.bincount(key, weights=n * bayes, minlength=size)
        reg = np.bincount(key, weights=n * register[10], minlength=size)
        rows = [
            {
                "name": names[i],
                "homes": int(tot[i]),
                "certain": int(got[i]),
                "bayes": int(bay[i]),
                "register_10": int(reg[i]),
            }
            for i in range(size)
            if tot[i] > 0
        ]
        return sorted(rows, key=lambda r: (-r["certain"], -r["bayes"], r["name"]))

    by_group = per(slot, groups, certain)
    cat_names = [category_label(c) for c in index.categories]
    by_category = per(at.cat.astype(np.int64), cat_names, certain)
    goc = layer.grouping.group_of_category
    for row in by_category:
        g = int(goc[cat_names.index(row["name"])])
        row["group"] = layer.grouping.groups[g] if g >= 0 else "(not shown)"
    notes = []
    if not layer.design.all_recorded_crime:
        notes.append(
            "The data is not all recorded crime, so the neighbour's denominator is every "
            f"police attendance: {layer.design.attendance_rate:g} per household per month "
            "(an editable assumption)."
        )
    if shown_level:
        notes.append(
            f"The map is updated {layer.design.frequency} but shows {shown_level}s: "
            "an attacker who keeps every release reads each release window by differencing "
            "(¶34), and the figures are for that."
        )
    if layer.units.households_assumed:
        notes.append(
            "No households layer is loaded: the register linker uses assumed household "
            "counts, so its figures are only as good as that assumption (¶19)."
        )
    result = AttackResult(
        homes=int(n.sum()),
        homes_weighted=float(w.sum()),
        certain=int((n * certain).sum()),
        certain_weighted=float((w * certain).sum()),
        bayes=int((n * bayes).sum()),
        bayes_weighted=float((w * bayes).sum()),
        register={k: int((n * v).sum()) for k, v in register.items()},
        register_weighted={k: float((w * v).sum()) for k, v in register.items()},
        by_group=by_group,
        by_category=by_category,
        sentences=[],
        small_unit_cells=_small_unit_cells(out),
        proven=int((n * out.proven).sum()),
        notes=notes,
    )
    return _with_sentences(result, layer)


def _small_unit_cells(out: Outcome) -> int:
    """Published cells proven non-empty in a unit below the design's household line."""
    at = out.layer.atoms
    small = out.proven & out.target & (out.households < out.layer.design.min_households)
    if not small.any():
        return 0
    return len(np.unique(at.cell[small & (at.cell >= 0)]))


def _with_sentences(r: AttackResult, layer: PublicLayer) -> AttackResult:
    s = [
        f"Of {r.homes:,} incidents at homes, a neighbour who saw the police call could prove "
        f"the crime group of {r.certain:,} ({r.certain_share:.1%}; "
        f"{r.certain_share_weighted:.1%} weighted by sensitivity) from the published map alone."
    ]
    for row in r.by_category[:3]:
        if row["certain"]:
            what = row["group"].lower()
            whose = "" if row["group"] == row["name"] else f" {row['name'].lower()}"
            s.append(
                f"A neighbour who saw the police call could tell it was {what} for "
                f"{row['certain']:,}{whose} incidents."
            )
    if r.bayes > r.certain:
        s.append(
            f"Reading the counts as odds, a neighbour would be at least {BAYES_LINE:.0%} sure "
            f"of the right group for {r.bayes:,} incidents."
        )
    if r.register[10]:
        s.append(
            f"{r.register[10]:,} incidents are in cells proven non-empty in units of 10 "
            f"households or fewer ({r.register[1]:,} in single-household units), so the "
            "address register narrows them to a handful of homes."
        )
    else:
        s.append("No published cell narrows an incident at a home to 10 households or fewer.")
    return AttackResult(**{**r.__dict__, "sentences": s})
