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

When the incidents came from police.uk street-level files (`Plan.police_uk`), police.uk
has already published them: exact counts per snap point, month and crime type, which the
attacker sums into the design's units (`plan.police_uk_product`). ICO guidance ¶17 and
¶36-37 ask the publisher to weigh other public sources; police.uk is the first of them.
Read naively it proves every cell any design suppresses, so every plan would be red
whatever the design did. So two figures are kept:

- with police.uk: the score above with police.uk read as one more product;
- beyond police.uk: the same score counting only the incidents at homes the plan proves
  that police.uk alone does not (combination minus police.uk alone, by the same
  attacker), which is what publishing this plan adds and what the verdict judges.

The analyst turns the baseline off with the design setting `police_uk_baseline`.

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

from crimedash.design import TIME_LEVELS, Design
from crimedash.differencing import HOMES, Differencing, differencing, pinned
from crimedash.index import Index
from crimedash.layer import PublicLayer, apply_design
from crimedash.plan import Budget, Plan, budget, police_uk_product
from crimedash.risk import evaluate, verdict, verdict_for

__all__ = ["PlanRisk", "PoliceUkBaseline", "plan_risk"]

RANK = {"green": 0, "amber": 1, "red": 2}


@dataclass(frozen=True)
class PoliceUkBaseline:
    """The plan read with police.uk's own publication, and what it proves beyond it."""

    score_with: float  # the plan's score with police.uk read as one more product
    score_beyond: float  # the plan's score counting only what police.uk does not prove
    together: Differencing  # every product and police.uk, read together
    alone: Differencing  # police.uk alone, about this design's left-out cells

    @property
    def beyond_homes(self) -> int:
        return max(self.together.proven_homes - self.alone.proven_homes, 0)

    @property
    def beyond_exact(self) -> int:
        return max(self.together.exact_homes - self.alone.exact_homes, 0)

    @property
    def beyond_cells(self) -> int:
        return max(self.together.proven_cells - self.alone.proven_cells, 0)

    def sentence(self) -> str:
        out = (
            f"police.uk already publishes these incidents (exact counts per snap point, month "
            f"and crime type; ICO guidance ¶36-37): read with it, the plan scores "
            f"{self.score_with:.0f}, since police.uk alone proves {self.alone.proven_homes:,} "
            f"of this design's {self.alone.suppressed_homes:,} suppressed incidents at homes "
            f"({self.alone.exact_homes:,} exactly)."
        )
        if self.beyond_homes:
            return out + (
                f" Beyond police.uk the plan proves {self.beyond_homes:,} more in "
                f"{self.beyond_cells:,} cells ({self.beyond_exact:,} exactly): "
                f"score {self.score_beyond:.0f}."
            )
        return out + (
            f" Beyond police.uk the plan proves nothing more: score {self.score_beyond:.0f}, "
            "its products' own scores."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "score_with_police_uk": round(self.score_with, 2),
            "score_beyond_police_uk": round(self.score_beyond, 2),
            "proven_homes_with_police_uk": self.together.proven_homes,
            "proven_homes_by_police_uk_alone": self.alone.proven_homes,
            "exact_homes_by_police_uk_alone": self.alone.exact_homes,
            "beyond_homes": self.beyond_homes,
            "beyond_exact_homes": self.beyond_exact,
            "beyond_cells": self.beyond_cells,
            "suppressed_homes": self.alone.suppressed_homes,
            "sentence": self.sentence(),
        }


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
    police_uk: PoliceUkBaseline | None = None  # when police.uk's publication is read too

    @property
    def n_products(self) -> int:
        return len(self.products)

    def sentence(self) -> str:
        if self.police_uk is not None:
            others = self.n_products - 1
            what = "this product" + (f" and {others} other(s)" if others else "")
            out = (
                f"Release plan: {what} beside police.uk's own publication score "
                f"{self.score:.0f} out of 100 ({self.verdict}) beyond police.uk, "
                f"{self.police_uk.score_with:.0f} with it, against {self.alone:.0f} for this "
                "product alone."
            )
            if self.reasons:
                out += " Held by: " + "; ".join(self.reasons) + "."
            return out
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
            "police_uk": self.police_uk.to_dict() if self.police_uk else None,
            "sentence": self.sentence(),
        }


def _worse(a: str, b: str) -> str:
    return a if RANK[a] >= RANK[b] else b


def _homes_shown(index: Index, layer: PublicLayer) -> int:
    """Incidents at homes the layer shows (in a shown group, inside a unit)."""
    at = layer.atoms
    home = np.array([t in HOMES for t in index.location_types] + [False])
    return int(at.n[at.shown & home[np.minimum(at.loc, len(home) - 1)]].sum())


def _police_uk_reading(
    index: Index, plan: Plan, built: list[PublicLayer]
) -> tuple[Differencing, Differencing]:
    """(every product with police.uk, police.uk alone) about the design's left-out cells.

    police.uk's product is exact per (unit, month, crime type). When the data say no
    more than the month (police.uk files never do), every unknown the attacker has about
    any product of these files is such a count or a sum of them, so police.uk alone
    pins them all (`differencing.pinned`): no interval reasoning is needed, and a plan
    of one product (every `assess` of police.uk files) costs one pass over its atoms, not
    a fixpoint over every unit, month and crime type. Finer data take the full attacker."""
    level = str(getattr(index.data_precision, "value", index.data_precision))
    if level in TIME_LEVELS and TIME_LEVELS.index(level) >= TIME_LEVELS.index("month"):
        alone = pinned(index, built[0])
        together = Differencing(
            len(built) + 1,
            alone.suppressed_homes,
            alone.proven_homes,
            alone.exact_homes,
            alone.proven_cells,
            [],
        )
        return together, alone
    puk = apply_design(index, police_uk_product(plan.design, index.categories))
    together = differencing(index, [*built, puk])
    return together, differencing(index, [built[0], puk], use_first=False)


def plan_risk(
    index: Index,
    plan: Plan,
    layers: dict[Design, PublicLayer] | None = None,
    scored_already: dict[Design, tuple[float, str]] | None = None,
) -> PlanRisk:
    """Score the plan as one publication. `layers` holds products already built and
    `scored_already` their (score, verdict), by design, so a caller that has just scored
    the design does not pay for it twice; identical products are scored once (a
    republished product adds nothing an attacker lacks)."""
    layers = dict(layers or {})
    known = dict(scored_already or {})
    designs = list(dict.fromkeys(plan.products))
    built = [layers.get(d) or apply_design(index, d) for d in designs]
    rows = []
    worst = "green"
    scores = []
    for i, (d, lay) in enumerate(zip(designs, built, strict=True)):
        if d in known:
            own, v = known[d]
        else:
            ev = evaluate(index, d, lay)
            own, v = float(ev.score), verdict(ev)
        scores.append(float(own))
        worst = _worse(worst, v)
        rows.append(
            {
                "product": "under review" if i == 0 else f"product {i + 1}",
                "design": d.fingerprint(),
                "granularity": d.granularity,
                "window": d.window_level,
                "score": round(float(own), 2),
                "verdict": v,
            }
        )
    together = differencing(index, built)
    homes = _homes_shown(index, built[0])

    def scored(proven: int) -> float:
        return min(100.0, max(scores) + (100.0 * proven / homes if homes else 0.0))

    score = scored(together.proven_homes)
    proven_cells = together.proven_cells
    baseline = None
    if plan.with_police_uk:
        with_puk, alone = _police_uk_reading(index, plan, built)
        baseline = PoliceUkBaseline(scored(with_puk.proven_homes), 0.0, with_puk, alone)
        baseline = PoliceUkBaseline(
            baseline.score_with, scored(baseline.beyond_homes), with_puk, alone
        )
        score, proven_cells = baseline.score_beyond, baseline.beyond_cells
    design = plan.design
    reasons = []
    v = _worse(verdict_for(score, design), worst)
    if RANK[worst] > RANK[verdict_for(score, design)]:
        held = [r["product"] for r in rows if r["verdict"] == worst]
        reasons.append(f"{worst} on its own: {', '.join(held)}")
    if proven_cells:
        reasons.append(
            f"the products read together prove {proven_cells:,} cells this design "
            "suppressed" + (" that police.uk alone does not" if baseline else "")
        )
        v = _worse(v, "amber")
    spend = budget(plan)
    if spend.exceeded:
        reasons.append("the noise spent over the plan exceeds the design's budget")
        v = "red"
    return PlanRisk(score, v, scores[0], rows, together, spend, reasons, baseline)
