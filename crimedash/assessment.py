"""The assessment a reviewer reads: the model's score and the simulated attack
(`crimedash.risk`) composed with the advice that evaluates other designs
(`crimedash.advice`). Kept apart so the model never imports the advice and the advice
never imports back: both sit below this module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from crimedash import advice
from crimedash import schema as S
from crimedash.design import Design
from crimedash.index import Index
from crimedash.risk import (
    SENTENCE,
    Assessment,
    Evaluation,
    drivers,
    evaluate,
    gate_reasons,
    matrix,
    red_reason,
    verdict,
    verdict_for,
)
from crimedash.windows import window_label

__all__ = ["advise", "advise_all", "advise_lean", "assess", "with_advice"]


def assess(
    index: Index,
    design: Design,
    *,
    with_what_ifs: bool = True,
    rejected_rows: int = 0,
    evaluation: Evaluation | None = None,
    with_utility: bool = True,
) -> Assessment:
    """The full assessment of a design: score, verdict, breakdown, factors, what-ifs,
    utility and findings. Everything the app shows and the report prints.

    Without what-ifs it costs one evaluation, not 12-13: the app shows that first and
    adds `advise` after (`with_advice`). `evaluation`, when the caller already has the
    design's (the map's), is used instead of evaluating again. Without utility, the
    hot-spot check (an H3 resolution 9 index on first use: 4-5 s at 1M rows) is left to
    `advise_all` too."""
    ev = evaluation if evaluation is not None else evaluate(index, design)
    layer = ev.layer
    pub = ev.published & ev.shown
    high = (
        float(ev.n[pub & (ev.r >= design.high_risk_line)].sum() / ev.n[pub].sum())
        if pub.any()
        else 0.0
    )
    worst = _worst_case(index, ev)
    assumptions = []
    if ev.households_assumed:
        assumptions.append(
            f"No households layer is loaded: every unit is assumed to hold "
            f"{design.assumed_households_per_km2:,.0f} households per km² (¶19). Load "
            f"address points or areas with a households column to replace this."
        )
    assumptions.extend(layer.notes)
    if not design.all_recorded_crime:
        assumptions.append(
            "The data is not all recorded crime in the area, so a neighbour who saw the "
            "police cannot assume the visit is in it: the neighbour's denominator is all "
            f"police attendances, taken as {design.attendance_rate:g} per household per "
            "month (an editable assumption; see docs/identifiability.md)."
        )
    gates = gate_reasons(ev)
    a = Assessment(
        design=design,
        score=ev.score,
        verdict=verdict(ev),
        sentence=SENTENCE,
        incidents=index.n,
        shown_incidents=layer.shown_incidents,
        published_incidents=layer.published_incidents,
        linkable_incidents=ev.linkable,
        high_risk_share=high,
        worst_case=worst,
        attackers=ev.attacker_scores,
        matrix=matrix(ev),
        drivers=drivers(index, ev),
        utility=advice.utility(index, ev) if with_utility else {},
        assumptions=assumptions,
        attack=ev.attack.to_dict() if ev.attack is not None else {},
        gates=gates,
        red_gate=red_reason(ev),
    )
    findings = advice.findings(index, ev, rejected_rows=rejected_rows)
    if a.red_gate:
        findings.insert(
            0, "The score is under the red line but the verdict is red: " + a.red_gate + "."
        )
    elif gates and verdict_for(ev.score, design) == "green":
        findings.insert(
            0, "The score is green but the verdict is held at amber: " + "; ".join(gates) + "."
        )
    a = replace(a, findings=findings)
    if not with_what_ifs:
        return a
    # the advice reads a few numbers of this design, so its evaluation is let go before
    # the other designs are evaluated (unless the caller holds it)
    base = advice.scored(index, ev, a.utility if with_utility else None)
    del ev, layer
    factors, what_ifs = advise(index, design, base)
    return replace(a, factors=factors, what_ifs=what_ifs)


Progress = Callable[[int, int, str], None]


def advise(
    index: Index,
    design: Design,
    ev: Evaluation | advice.Scored,
    *,
    progress: Progress | None = None,
) -> tuple[list[dict], list[dict]]:
    """Factors and what-ifs: 11-12 other designs, each a full evaluation, so 10-20x the
    score itself. `progress(done, total, label)` is called before each; raising
    `Cancelled` from it stops the work there (the app does when the design changes).
    `ev` may be the design's `advice.Scored` numbers instead of its Evaluation, so a
    caller can let the evaluation go first (`export_bundle` does)."""
    ev = advice.scored(index, ev)
    step = None
    if progress is not None:
        total = advice.n_alternatives(index, design, ev)
        done = 0

        def step(label: str) -> None:
            nonlocal done
            progress(done, total, label)
            done += 1

    factors = advice.factors(index, design, ev, step=step)
    what_ifs = advice.what_ifs(index, design, ev, step=step)
    if progress is not None:
        progress(done, total, "done")
    return factors, what_ifs


def advise_lean(index: Index, design: Design, base: advice.Scored) -> tuple[list[dict], list[dict]]:
    """`advise` for a batch run that has let the design's evaluation go (`export`,
    `assess` in the CLI): the design's atoms are dropped from the index's cache first,
    so the first alternatives (other units) are not built beside them; the count-only
    alternatives rebuild them once, and the design's units stay for them (issue 16:
    at 60M rows a gigabyte nobody read stayed resident through the largest one)."""
    for kind in ("base", "grouped"):
        index.drop_cached(kind)
    return advise(index, design, base)


def advise_all(
    index: Index, design: Design, ev: Evaluation, *, progress: Progress | None = None
) -> tuple[list[dict], list[dict], dict[str, float]]:
    """`advise` plus the utility: everything a score-first assessment leaves for later."""
    base = advice.scored(index, ev)  # the utility is worked out once, for both
    factors, what_ifs = advise(index, design, base, progress=progress)
    return factors, what_ifs, dict(base.utility)


def with_advice(
    a: Assessment,
    factors: list[dict],
    what_ifs: list[dict],
    utility: dict[str, float] | None = None,
) -> Assessment:
    """A score-first assessment completed with what was worked out after it."""
    return replace(a, factors=factors, what_ifs=what_ifs, utility=utility or a.utility)


def _most_exposed(r: np.ndarray, s: np.ndarray) -> int:
    """`np.lexsort((-s, -r))[0]`: the first row of highest r, of those the first of
    highest s. In two passes, not a sort: at 5M rows the sort of every published row
    for its first element was 0.05 s of a repeat's score (issue 16). NaN, which
    sorts last, never occurs; should it, the sort decides."""
    if np.isnan(r).any() or np.isnan(s).any():
        return int(np.lexsort((-s, -r))[0])
    top = np.flatnonzero(r == r.max())
    return int(top[np.argmax(s[top])])  # argmax: the first of equals, as a stable sort


def _worst_case(index: Index, ev: Evaluation) -> dict[str, Any]:
    pub = np.flatnonzero(ev.published & ev.shown)
    if not len(pub):
        return {"r": 0.0}
    i = pub[_most_exposed(ev.r[pub], ev.sensitivity[pub])]
    layer = ev.layer
    parts = {k: float(v[i]) for k, v in ev.parts.items()}
    return {
        "r": round(float(ev.r[i]), 4),
        "unit": layer.units.labels(index, np.array([ev.unit[i]]))[0],
        "window": window_label(layer.display_level, int(ev.dwin[i] + layer.display_origin)),
        "group": layer.grouping.groups[int(ev.slot[i])],
        "households": round(float(layer.units.households[ev.unit[i]]), 1),
        S.LOCATION_TYPE: index.location_types[int(ev.loc[i])],
        "main_attacker": max(parts, key=parts.get),
    }
