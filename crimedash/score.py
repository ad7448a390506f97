"""A design's score without its rows: what the advice compares other designs by.

`risk.evaluate` keeps a dozen per-atom arrays (each incident row's chances, weights and
place) because the assessment's breakdown reads them: the drivers, the matrix, the
worst case. The factors, what-ifs and frontier read only the score, the expected
linkable incidents, the attack's counts and the layer (for the utility). `score` works
those out a block of whole units at a time, as the attack already does, so the per-atom
arrays of an alternative are those of one block: at 60M rows the finest alternative
(h3:8, ~1.7x the design's atoms) held gigabytes of them at export's peak (issue 16).

The numbers are `evaluate`'s, bit for bit: each row gets the same arithmetic
(`risk.linker_chances`), the attack's counts are `attackresult.Tally`'s, and every sum
over rows is a `PairwiseSum`, which adds in numpy's own order whatever the blocks
(tests/test_score.py compares with `evaluate` for tiny blocks and one block).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crimedash.attack import outcomes
from crimedash.attackresult import AttackResult, Tally
from crimedash.design import Design
from crimedash.index import Index
from crimedash.layer import PublicLayer, apply_design
from crimedash.pairwise import PairwiseSum
from crimedash.risk import (
    REFERENCE_LINK_CHANCE,
    attacked_layers,
    differenced_updates,
    headline,
    linker_chances,
    location_weights,
    realtime,
)

__all__ = ["BLOCK", "Score", "score"]

BLOCK = 1 << 21  # atoms scored at a time, in whole units (as the attack's blocks)


@dataclass(frozen=True)
class Score:
    """What `evaluate` says of a design, less the per-row arrays: internal, never
    published."""

    layer: PublicLayer
    score: float
    attacker_scores: dict[str, float]  # A_k * 100
    linkable: float  # expected number of linkable incidents, sum of r
    households_assumed: bool
    attack: AttackResult


_SUMS = ("denom", "denom_ref", "register", "neighbour", "reference", "linkable")


def score(
    index: Index, design: Design, layer: PublicLayer | None = None, *, block: int = BLOCK
) -> Score:
    """`evaluate(index, design, layer)`'s score, attacker scores, linkable incidents
    and attack, computed a block of about `block` atoms (whole units) at a time."""
    layer = layer or apply_design(index, design)
    at = layer.atoms
    m_by_type = location_weights(index, design)
    gs = np.append(layer.grouping.group_sensitivity, 0.0)
    chance = REFERENCE_LINK_CHANCE[design.references]
    # the rows `evaluate` sums over: one per atom, or (with references) the atoms'
    # incidents without a reference, then those with one, where there are any
    if chance > 0:
        plain_rows = int(np.count_nonzero(at.n > at.n_ref))
        n_rows = plain_rows + int(np.count_nonzero(at.n_ref > 0))
    else:
        plain_rows = n_rows = len(at.n)
    sums = {k: PairwiseSum(n_rows) for k in _SUMS}
    next_row = [0, plain_rows]  # where the next plain and with-reference rows go
    every_update = realtime(layer)
    attacked = attacked_layers(index, layer)
    tally = Tally(index, attacked[0])  # the attack's counts read the layer it attacked
    for a0, out in outcomes(index, attacked, block):
        a1 = a0 + len(out.n)
        unit, slot = at.unit[a0:a1], at.slot[a0:a1]
        shown = (slot < at.n_groups) & (unit < at.n_units)  # `at.shown`, for the block
        if every_update:  # as in evaluate: differencing two updates proves each incident
            out = differenced_updates(out, shown)
        tally.add(a0, out)
        m = m_by_type[at.loc[a0:a1]]
        s = np.where(shown, gs[np.minimum(slot, len(gs) - 1)], 0.0)
        r1, r2 = linker_chances(
            index, design, layer.units, unit, shown, m, out.prior, out.proven, out.proven_share
        )
        del out
        n = at.n[a0:a1].astype(float)
        if chance > 0:
            with_ref = at.n_ref[a0:a1].astype(float)
            kappa = at.kappa[a0:a1]
            rows = [
                (0, n - with_ref, np.zeros(a1 - a0)),
                (1, with_ref, np.where(kappa > 0, chance, 0.0)),
            ]
        else:
            rows = [(0, n, np.zeros(a1 - a0))]
        for part, n_part, r3 in rows:
            keep = n_part > 0 if chance > 0 else slice(None)
            _add_rows(
                sums, next_row[part], n_part[keep], s[keep], m[keep], r1[keep], r2[keep], r3[keep]
            )
            next_row[part] += len(n_part[keep])
    total, a = headline({k: sums[k].value() for k in _SUMS[:5]})
    return Score(
        layer=layer,
        score=total,
        attacker_scores={k: 100.0 * v for k, v in a.items()},
        linkable=sums["linkable"].value(),
        households_assumed=layer.units.households_assumed,
        attack=tally.result(
            shown_level=layer.display_level if layer.risk_level != layer.display_level else None
        ),
    )


def _add_rows(sums, at_row, n, s, m, r1, r2, r3) -> None:
    """Rows at_row, at_row + 1, ... of each sum, by `evaluate`'s arithmetic."""
    r = 1.0 - (1.0 - r1) * (1.0 - r2) * (1.0 - r3)
    ns = n * s
    for name, values in (
        ("denom", ns * m),
        ("denom_ref", ns),
        ("register", ns * r1),
        ("neighbour", ns * r2),
        ("reference", ns * r3),
        ("linkable", n * r),
    ):
        sums[name].put(at_row, values)
