"""What the simulated attackers get, counted: over incidents at homes, plain and
weighted by sensitivity, by group and by category, with the sentences a reviewer reads.

Split from `attack` (issue 15's ~500 lines): `attack.outcome` says, atom by atom, what
each attacker proves; this module holds that per-atom `Outcome`, adds it up (`summarise`) and words it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crimedash.categories import label as category_label
from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.pairwise import PairwiseSum

__all__ = ["BAYES_LINE", "REGISTER_KS", "AttackResult", "Outcome", "Tally", "summarise"]

REGISTER_KS = (1, 5, 10)
BAYES_LINE = 0.95  # a neighbour "knows" when the right group's posterior reaches this


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


def summarise(index: Index, out: Outcome, *, shown_level: str | None = None) -> AttackResult:
    """Count what each attacker gets over incidents at homes. `shown_level`: the time the
    published map shows when the attacker reads finer release windows by differencing."""
    tally = Tally(index, out.layer)
    tally.add(0, out)
    return tally.result(shown_level=shown_level)


class Tally:
    """`summarise` fed the outcome a block of whole units at a time (`attack.outcomes`),
    so a caller that only needs the counts never holds the whole layer's per-atom
    outcome. The same result as `summarise` on the whole outcome, bit for bit: counts of
    incidents are whole numbers (exact in any order), the sensitivity-weighted sums are
    `PairwiseSum`s (numpy's own order), and a published cell lies in one unit, so cells
    counted per block add up."""

    def __init__(self, index: Index, layer: PublicLayer) -> None:
        self.index, self.layer = index, layer
        n_atoms = len(layer.atoms.n)
        self.groups = (*layer.grouping.groups, "(not shown)")
        self.cat_names = [category_label(c) for c in index.categories]
        self.counts = {k: 0 for k in ("homes", "certain", "bayes", "proven")}
        self.register = {k: 0 for k in REGISTER_KS}
        self.weighted = {k: PairwiseSum(n_atoms) for k in ("homes", "certain", "bayes")}
        self.register_weighted = {k: PairwiseSum(n_atoms) for k in REGISTER_KS}
        self.per_group = np.zeros((4, len(self.groups)))
        self.per_category = np.zeros((4, len(self.cat_names)))
        self.small_unit_cells = 0

    def add(self, a0: int, out: Outcome) -> None:
        """The outcome of atoms a0:a0 + len(out.n) (whole units)."""
        at = self.layer.atoms
        a1 = a0 + len(out.n)
        t = out.target
        n = out.n * t
        w = n * out.weight
        gain = out.prior < BAYES_LINE  # learning a group the wider area already names is no gain
        certain = out.certain & gain
        bayes = (out.posterior >= BAYES_LINE) & gain
        register = {k: out.proven & (out.households <= k) for k in REGISTER_KS}
        # each incidents-times-selection product made once, for its count and both
        # breakdowns (at 5M rows each is a pass over millions of atoms)
        got = {"homes": n, "certain": n * certain, "bayes": n * bayes}
        for name, sel in (("homes", None), ("certain", certain), ("bayes", bayes)):
            self.counts[name] += int(got[name].sum())
            self.weighted[name].put(a0, w if sel is None else w * sel)
        self.counts["proven"] += int((n * out.proven).sum())
        for k, v in register.items():
            got[k] = n * v
            self.register[k] += int(got[k].sum())
            self.register_weighted[k].put(a0, w * v)
        slot = np.minimum(at.slot[a0:a1], len(self.groups) - 1)
        for key, acc in (
            (slot, self.per_group),
            (at.cat[a0:a1].astype(np.int64), self.per_category),
        ):
            size = acc.shape[1]
            for row, name in enumerate(("homes", "certain", "bayes", 10)):
                acc[row] += np.bincount(key, weights=got[name], minlength=size)
        self.small_unit_cells += _small_unit_cells(out, at.cell[a0:a1])

    def result(self, *, shown_level: str | None = None) -> AttackResult:
        layer = self.layer
        by_group = _per(self.per_group, self.groups)
        by_category = _per(self.per_category, self.cat_names)
        goc = layer.grouping.group_of_category
        for row in by_category:
            g = int(goc[self.cat_names.index(row["name"])])
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
                "an attacker who keeps every release reads each release window by "
                "differencing (¶34), and the figures are for that."
            )
        if layer.units.households_assumed:
            notes.append(
                "No households layer is loaded: the register linker uses assumed household "
                "counts, so its figures are only as good as that assumption (¶19)."
            )
        result = AttackResult(
            homes=self.counts["homes"],
            homes_weighted=self.weighted["homes"].value(),
            certain=self.counts["certain"],
            certain_weighted=self.weighted["certain"].value(),
            bayes=self.counts["bayes"],
            bayes_weighted=self.weighted["bayes"].value(),
            register=dict(self.register),
            register_weighted={k: v.value() for k, v in self.register_weighted.items()},
            by_group=by_group,
            by_category=by_category,
            sentences=[],
            small_unit_cells=self.small_unit_cells,
            proven=self.counts["proven"],
            notes=notes,
        )
        return _with_sentences(result, layer)


def _per(acc: np.ndarray, names) -> list[dict[str, Any]]:
    tot, got, bay, reg = acc
    rows = [
        {
            "name": names[i],
            "homes": int(tot[i]),
            "certain": int(got[i]),
            "bayes": int(bay[i]),
            "register_10": int(reg[i]),
        }
        for i in range(len(names))
        if tot[i] > 0
    ]
    return sorted(rows, key=lambda r: (-r["certain"], -r["bayes"], r["name"]))


def _small_unit_cells(out: Outcome, cell: np.ndarray) -> int:
    """Published cells proven non-empty in a unit below the design's household line
    (`cell`: the published cell of each atom of `out`)."""
    small = out.proven & out.target & (out.households < out.layer.design.min_households)
    if not small.any():
        return 0
    return len(np.unique(cell[small & (cell >= 0)]))


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
