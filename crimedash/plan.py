"""A release plan: everything published from one data series, taken as one publication.

A force does not publish one map once. It releases monthly, republishes its history,
and may publish several products of the same data (a monthly map and a quarterly
summary, categories and an all-crime total). An attacker holds all of them, so the
privacy loss of an incident is accounted over every product and release that contains
it (ICO guidance ¶34 on update frequency and differencing).

`Plan` lists the products published together (the design under review first) and the
series they belong to; `series_products` reads from the design log what the series has
already published; `budget` adds up the differential-privacy loss:

- sequential composition: an incident in k noisy products of distinct cells spends the
  sum of their epsilons;
- republication is free: the noise of a cell is fixed for the series (`crimedash.noise`),
  so a product published again with the same series key and the same cells (the same
  granularity, windows, groups, totals and epsilon: one noise shape) repeats values the
  attacker already holds and is counted once;
- a product of the same data without noise (exact, rounded or banded counts) gives no
  differential-privacy bound at all, so the loss is unbounded.

Counted per product, not per incident: every product is taken to contain every incident
(the worst case; a product that hides a category is charged as if it did not), so the
figure is an upper bound.

Revisions are charged again: a release that revises counts the series already published
(`Approval.revision`, `crimedash export --revision`) changes true counts, and the keyed
noise of a cell depends on its true count, so the changed cells draw new noise on the
same incidents. Each revision of a noise shape spends its epsilon once more, whether it
is the release under review or an earlier one in the log.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crimedash import schema
from crimedash.design import Design
from crimedash.errors import DesignError

if TYPE_CHECKING:
    from crimedash.designlog import ApprovalRecord, DesignLog, DesignRecord

__all__ = [
    "WARN_SHARE",
    "Budget",
    "Plan",
    "budget",
    "from_police_uk",
    "noise_shape",
    "police_uk_product",
    "series_approvals",
    "series_plan",
    "series_products",
    "series_releases",
]

WARN_SHARE = 0.8  # the assessment warns once this share of the budget is spent


@dataclass(frozen=True)
class Plan:
    """The products published together from one series: the design under review first,
    then the others (`--also` products, and what the series already published)."""

    products: tuple[Design, ...]
    series: str = ""
    revised: tuple[bool, ...] = ()  # per product: a revision of published counts
    # the incidents came from police.uk street-level files, so police.uk's own monthly
    # publication of them is public too (`from_police_uk`)
    police_uk: bool = False

    def __post_init__(self) -> None:
        if not self.products:
            raise DesignError("a release plan needs at least one product")
        if len(self.revised) > len(self.products):
            raise DesignError("a release plan has more revision marks than products")

    def is_revision(self, i: int) -> bool:
        return i < len(self.revised) and bool(self.revised[i])

    @property
    def design(self) -> Design:
        """The design under review (its budget setting is the one that applies)."""
        return self.products[0]

    def with_products(self, more: list[Design], revised: list[bool] | None = None) -> Plan:
        marks = (*self.revised, *[False] * (len(self.products) - len(self.revised)))
        return Plan(
            (*self.products, *more), self.series, (*marks, *(revised or [])), self.police_uk
        )

    @property
    def with_police_uk(self) -> bool:
        """police.uk's publication is read with the plan: the data came from police.uk
        and the design under review keeps the default `police_uk_baseline`."""
        return self.police_uk and self.design.police_uk_baseline


# police.uk's street-level header, as the loader maps it (time, category, place text)
_POLICE_UK_COLUMNS = {
    schema.OCCURRED_AT: "month",
    schema.CATEGORY: "crime type",
    schema.LOCATION_TYPE: "location",
}


def from_police_uk(files: Iterable[Any]) -> bool:
    """Whether every incident file is a police.uk street-level file: its columns were
    police.uk's (Month, Crime type, Location), or (a store, which keeps no mapping) its
    name is police.uk's `YYYY-MM-<force>-street.csv`. Then police.uk has already
    published these incidents, by snap point, month and crime type."""
    files = list(files)
    if not files:
        return False
    for f in files:
        m = getattr(f, "mapping", None)
        if m is None:
            if not str(f.name).lower().endswith("-street.csv"):
                return False
            continue
        got = {k: str(getattr(m, k) or "").strip().lower() for k in _POLICE_UK_COLUMNS}
        if got != _POLICE_UK_COLUMNS:
            return False
    return True


def police_uk_product(design: Design, categories: Iterable[str]) -> Design:
    """police.uk's own publication of the data as a product of the design's units: exact
    counts per unit, month and crime type, nothing suppressed, no total.

    police.uk publishes every crime at a snap point; each snap point lies in exactly one
    of the design's units, so the attacker sums police.uk's points into the design's
    units and holds the exact count of every (unit, month, crime type). Every cell of
    the design is a sum of those, so this product carries everything police.uk's
    points say about the design's cells, and the differencing attacker reads it as one
    more product of the same units. Only sound when the incidents are police.uk's own
    (`from_police_uk`): a force's exact places may lie in another unit than the snap
    point police.uk shows."""
    cats = sorted(set(categories))
    return Design(
        granularity=design.granularity,
        min_unit_area_m2=design.min_unit_area_m2,
        frequency="monthly",
        time_precision="month",
        grouping=tuple((c, c) for c in cats),
        counts="exact",
        min_count=0,
        totals=False,
        acknowledge=design.acknowledge,
    )


def noise_shape(design: Design) -> tuple:
    """What fixes every noisy value of a product: the series key and the cells. Two
    products of one shape publish the same values, so the second costs nothing."""
    return (
        design.noise_seed,
        design.granularity,
        design.min_unit_area_m2 if design.spatial.kind == "adaptive" else None,
        design.window_level,
        design.time_precision,
        design.categories,
        design.grouping,
        design.hidden_groups,
        design.totals,
        design.epsilon,
    )


@dataclass(frozen=True)
class Budget:
    """The differential-privacy loss per incident over a plan, against the limit."""

    spent: float  # epsilon per incident (an upper bound); inf: no bound
    limit: float
    noisy: bool  # the design under review adds noise (else the budget does not apply)
    products: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exceeded(self) -> bool:
        return self.noisy and self.spent > self.limit + 1e-12

    @property
    def warn(self) -> bool:
        return self.noisy and self.spent >= WARN_SHARE * self.limit

    def sentence(self) -> str:
        if not self.noisy:
            return "The design adds no noise, so no privacy budget applies."
        n = len(self.products)
        what = "this product" if n == 1 else f"these {n} products and releases"
        if math.isinf(self.spent):
            return (
                f"Privacy budget: not bounded. Among {what}, a product publishes counts of "
                "the same incidents without noise, so the noise protects nothing."
            )
        out = (
            f"Privacy budget: epsilon {self.spent:g} spent per incident over {what}, "
            f"of a limit of {self.limit:g}" + (" (exceeded)." if self.exceeded else ".")
        )
        if self.warn and not self.exceeded:
            out += (
                f" Warning: {self.spent / self.limit:.0%} of the budget is spent; another "
                "noisy product of this series may be refused."
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "spent": None if math.isinf(self.spent) else round(self.spent, 6),
            "bounded": not math.isinf(self.spent),
            "limit": self.limit,
            "noisy": self.noisy,
            "exceeded": self.exceeded,
            "products": self.products,
            "sentence": self.sentence(),
        }


def budget(plan: Plan) -> Budget:
    """Sequential composition over the plan's distinct noise shapes (see module doc)."""
    seen: set[tuple] = set()
    spent = 0.0
    rows = []
    for i, d in enumerate(plan.products):
        label = "under review" if i == 0 else f"product {i + 1}"
        if d.counts != "noise":
            spent = math.inf
            rows.append({"product": label, "design": d.fingerprint(), "epsilon": None,
                         "charged": None, "why": f"{d.counts} counts: no noise"})  # fmt: skip
            continue
        shape = noise_shape(d)
        if plan.is_revision(i):
            spent += d.epsilon
            rows.append({"product": label, "design": d.fingerprint(), "epsilon": d.epsilon,
                         "charged": d.epsilon, "why": "a revision: changed cells draw new "
                         "noise on the same incidents"})  # fmt: skip
            continue
        if shape in seen:
            rows.append({"product": label, "design": d.fingerprint(), "epsilon": d.epsilon,
                         "charged": 0.0, "why": "same cells and series key: repeats values "
                         "already public"})  # fmt: skip
            continue
        seen.add(shape)
        spent += d.epsilon
        rows.append({"product": label, "design": d.fingerprint(), "epsilon": d.epsilon,
                     "charged": d.epsilon, "why": "new cells or a new key"})  # fmt: skip
    return Budget(spent, plan.design.epsilon_budget, plan.design.counts == "noise", rows)


def series_approvals(
    records: list[DesignRecord], series: str | None = None
) -> list[tuple[DesignRecord, ApprovalRecord]]:
    """(record, approval) of every export the log records as approved and written, for
    `series` (every series when None), oldest first: what is public. The one rule the
    plan, the budget and the app's Publication tab read."""
    found = [
        (rec, ap)
        for rec in records
        for ap in rec.approvals
        if ap.decision == "approve"
        and ap.bundle_path
        and (series is None or str(ap.approval.get("series") or "") == series)
    ]
    return sorted(found, key=lambda pair: pair[1].id)


def series_releases(log: DesignLog, series: str) -> list[tuple[Design, bool]]:
    """(design, revision) of every export the log records as approved for `series`,
    oldest first: what the series has already made public, and which were revisions."""
    return [
        (rec.design, bool(ap.approval.get("revision")))
        for rec, ap in series_approvals(log.list(), series)
    ]


def series_products(log: DesignLog, series: str) -> list[Design]:
    """Designs the log records as approved and exported for `series`, one per export,
    oldest first: what the series has already made public."""
    return [d for d, _ in series_releases(log, series)]


def series_plan(plan: Plan, log: DesignLog) -> Plan:
    """`plan` with every release the series already published, revisions marked."""
    past = series_releases(log, plan.series)
    return plan.with_products([d for d, _ in past], [r for _, r in past])
