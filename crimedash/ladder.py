"""The agreement ladder: designs an analyst would try on the sample city, each scored and
attacked, so the score can be checked against what the attackers actually get.

`crimedash attack --ladder` prints the table that docs/identifiability.md quotes, and a
test checks that the committed table matches and that the score agrees with the
simulation (rank correlation, and no green design that exposes).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crimedash.design import Design
from crimedash.index import Index

__all__ = [
    "CONTROLS",
    "ONE_GROUP",
    "PERIODS",
    "agreement",
    "agreement_markdown",
    "ladder",
    "spearman",
]

PERIODS = {"weekly": "week", "monthly": "month", "quarterly": "quarter"}
CONTROLS: dict[str, dict[str, Any]] = {
    "exact": {},
    "min 3": {"min_count": 3},
    "rounded 5": {"counts": "rounded"},
    "banded": {"counts": "banded"},
    "noise e1": {"counts": "noise", "epsilon": 1.0},
}
ONE_GROUP = "All crime (one group)"


def _design(gran: str, freq: str, control: str, *, one_group: tuple[str, ...] = ()) -> Design:
    extra: dict[str, Any] = dict(CONTROLS[control])
    if one_group:
        extra["grouping"] = {c: ONE_GROUP for c in one_group}
    return Design(granularity=gran, frequency=freq, time_precision=PERIODS[freq], **extra)


def ladder(index: Index) -> list[tuple[str, Design]]:
    """At least 40 designs: exact, suppressed, rounded, banded, noisy; H3, grid, areas,
    adaptive; weekly to quarterly; one group to fine categories."""
    rows: list[tuple[str, Design]] = []
    spaces = ["h3:10", "h3:9", "h3:8", "grid:500", "adaptive:8", "adaptive:40"]
    spaces += [f"areas:{name}" for name in sorted(index.areas)]
    for gran in spaces:
        for control in ("exact", "min 3", "rounded 5", "banded"):
            rows.append((f"{gran} monthly {control}", _design(gran, "monthly", control)))
    for gran in ("h3:9", "adaptive:40"):
        for freq in ("weekly", "quarterly"):
            for control in ("exact", "min 3"):
                rows.append((f"{gran} {freq} {control}", _design(gran, freq, control)))
    for gran in ("h3:8", "h3:7"):
        rows.append((f"{gran} monthly noise e1", _design(gran, "monthly", "noise e1")))
    rows.append(("h3:6 quarterly exact", _design("h3:6", "quarterly", "exact")))
    cats = tuple(index.categories)
    for gran in ("h3:9", "adaptive:8"):
        rows.append(
            (f"{gran} monthly one group", _design(gran, "monthly", "exact", one_group=cats))
        )
    fine = Design(
        granularity="h3:8",
        frequency="monthly",
        time_precision="month",
        grouping={c: c for c in cats},
    )
    rows.append(("h3:8 monthly fine categories", fine))
    rows.append(
        (
            "h3:8 monthly fine categories min 3",
            Design.from_dict({**fine.to_dict(), "min_count": 3}),
        )
    )
    return rows


def agreement(index: Index) -> list[dict[str, Any]]:
    """Each ladder design's score and verdict beside what the simulation proves."""
    from crimedash.risk import evaluate, verdict

    out = []
    for name, design in ladder(index):
        ev = evaluate(index, design)
        a = ev.attack
        out.append(
            {
                "design": name,
                "score": round(ev.score, 1),
                "verdict": verdict(ev),
                "certain_weighted": round(a.certain_share_weighted, 4),
                "certain": a.certain,
                "bayes": a.bayes,
                "register_10": round(a.register_share(10), 4),
            }
        )
    return out


def spearman(x: list[float], y: list[float]) -> float:
    """Spearman's rank correlation (average ranks for ties)."""

    def ranks(v: list[float]) -> np.ndarray:
        a = np.asarray(v, dtype=float)
        order = np.argsort(a, kind="stable")
        r = np.empty(len(a))
        r[order] = np.arange(len(a), dtype=float)
        for value in np.unique(a):
            tie = a == value
            r[tie] = r[tie].mean()
        return r

    rx, ry = ranks(x), ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def agreement_markdown(rows: list[dict[str, Any]]) -> str:
    """The agreement table as Markdown, as docs/identifiability.md quotes it."""
    rho = spearman([r["score"] for r in rows], [r["certain_weighted"] for r in rows])
    lines = [
        f"Spearman rank correlation of the score with the weighted certain share: {rho:.3f} "
        f"over {len(rows)} designs.",
        "",
        "| design | score | verdict | certain (weighted) | certain | Bayes 0.95 | "
        "narrowed to <= 10 households |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['design']} | {r['score']:.1f} | {r['verdict']} | "
            f"{r['certain_weighted']:.2%} | {r['certain']:,} | {r['bayes']:,} | "
            f"{r['register_10']:.2%} |"
        )
    return "\n".join(lines) + "\n"
