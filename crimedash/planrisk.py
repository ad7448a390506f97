"""One score and one verdict for a whole release plan.

An attacker holds every product of a series (ICO guidance ¶34: each release is read with
the ones before it), so a release is judged by what the plan as a whole gives away, not
by its own map alone. The plan's score is

    max over products of the product's own score
    + 100 x (incidents at homes in cells the design under review suppressed that the
             products read together prove non-empty) / (incidents at homes it shows)

The first term is what the most revealing single map gives; the second is what only the
combination gives (`crimedash.differencing`), on the same 0-100 scale as the score's
certain-disclosure share. Both terms only grow when a product or release is added (the
maximum over more products; more constraints only narrow the attacker's intervals), so
adding a release never lowers the plan's score, which a property test checks.

The verdict is the worst of: the verdict of the plan's score under the design's own
thresholds, every product's own verdict (with its gates), amber when the products read
together prove a cell the design suppressed, and red when the noise spent over the plan
exceeds the design's budget. Export refuses a plan that is not green without a
justification, exactly as it does a single design.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crimedash.design import Design
from crimedash.differencing import HOMES, Differencing, differencing
from crimedash.index import Index
from crimedash.layer import PublicLayer, apply_design
from crimedash.plan import Budget, Plan, budget
from crimedash.risk import evaluate, verdict, verdict_for

__all__ = ["PlanRisk", "plan_risk"]

RANK = {"green": 0, "amber": 1, "red": 2}


@dataclass(frozen=True)
class PlanRisk:
    """The plan's score (0-100), verdict and the reasons behind them."""

    score: float
    verdict: str
    alone: float  # the design under review's own score
    products: list[dict[str, Any]]  # each distinct product: design, score, verdict
    differencing: Differencing
    budget: Budget
    reasons: list[str] = field(default_factory=list)

    @property
    def n_products(self) -> int:
        return len(self.products)

    def sentence(self) -> str:
        if self.n_products < 2:
            return (
                f"Release plan: this product alone is public; the plan's score is its own, "
                f"{self.score:.0f} ({self.verdict})."
            )
        out = (
            f"Release plan: {self.n_products} products read together score "
            f"{self.score:.0f} out of 100 ({self.verdict}), against {self.alone:.0f} for "
            "this product alone."
        )
        if self.reasons:
            out += " Held by: " + "; ".join(self.reasons) + "."
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 2),
            "verdict": self.verdict,
            "alone": round(self.alone, 2),
            "products": self.products,
            "reasons": self.reasons,
            "sentence": self.sentence(),
        }


def _worse(a: str, b: str) -> str:
    return a if RANK[a] >= RANK[b] else b


def _homes_shown(index: Index, layer: PublicLayer) -> int:
    """Incidents at homes the layer shows (in a shown group, inside a unit)."""
    at = layer.atoms
    home = np.array([t in HOMES for t in index.location_types] + [False])
    return int(at.n[at.shown & home[np.minimum(at.loc, len(home) - 1)]].sum())


def plan_risk(
    index: Index, plan: Plan, layers: dict[Design, PublicLayer] | None = None
) -> PlanRisk:
    """Score the plan as one publication. `layers` holds products already built (by
    design); identical products are scored once (a republished product adds nothing an
    attacker lacks)."""
    layers = dict(layers or {})
    designs = list(dict.fromkeys(plan.products))
    built = [layers.get(d) or apply_design(index, d) for d in designs]
    rows = []
    worst = "green"
    scores = []
    for i, (d, lay) in enumerate(zip(designs, built, strict=True)):
        ev = evaluate(index, d, lay)
        v = verdict(ev)
        scores.append(float(ev.score))
        worst = _worse(worst, v)
        rows.append(
            {
                "product": "under review" if i == 0 else f"product {i + 1}",
                "design": d.fingerprint(),
                "granularity": d.granularity,
                "window": d.window_level,
                "score": round(float(ev.score), 2),
                "verdict": v,
            }
        )
    together = differencing(index, built)
    homes = _homes_shown(index, built[0])
    extra = 100.0 * together.proven_homes / homes if homes else 0.0
    score = min(100.0, max(scores) + extra)
    design = plan.design
    reasons = []
    v = _worse(verdict_for(score, design), worst)
    if RANK[worst] > RANK[verdict_for(score, design)]:
        held = [r["product"] for r in rows if r["verdict"] == worst]
        reasons.append(f"{worst} on its own: {', '.join(held)}")
    if together.proven_cells:
        reasons.append(
            f"the products read together prove {together.proven_cells:,} cells this design "
            "suppressed"
        )
        v = _worse(v, "amber")
    spend = budget(plan)
    if spend.exceeded:
        reasons.append("the noise spent over the plan exceeds the design's budget")
        v = "red"
    return PlanRisk(score, v, scores[0], rows, together, spend, reasons)
