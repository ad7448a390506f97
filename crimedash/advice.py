"""What moves the score: each factor's effect, the single changes that lower it most
(what-ifs), what each costs in utility, findings in plain words, and the
privacy-utility frontier over a sweep of designs.

Every number here comes from evaluating other designs with `risk.evaluate`; nothing
is estimated separately, so a what-if's score is exactly what the design would get.
A what-if is offered only if the simulated attack on it gets no more than on the
current design (`exposes_more`), so a suggestion never steers toward a map that gives
more away even where the score would fall.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crimedash.design import Design
from crimedash.errors import DesignError
from crimedash.findings import findings
from crimedash.index import Index, effective_level
from crimedash.risk import Evaluation
from crimedash.score import Score, score
from crimedash.settings import FREQUENCIES, TIME_LEVELS

__all__ = [
    "FACTOR_LABELS",
    "FRONTIER_FREQUENCIES",
    "FRONTIER_GRANULARITIES",
    "HOTSPOT_RESOLUTION",
    "HOTSPOT_TOP",
    "REFERENCE_STEPS",
    "SUPPRESSION_CAVEAT",
    "Scored",
    "exposes_more",
    "factors",
    "findings",
    "frontier",
    "n_alternatives",
    "scored",
    "utility",
    "what_ifs",
]

HOTSPOT_RESOLUTION = 9  # the fine reference for "do the hot spots survive" (~0.1 km2)
HOTSPOT_TOP = 10


# --- utility -------------------------------------------------------------------------
def utility(index: Index, ev: Evaluation | Score) -> dict[str, float]:
    """What the map still tells the public: how much is published, how detailed it is,
    how far shown counts are from true ones, and whether the hot spots survive."""
    layer = ev.layer
    group_cells = layer.cell_group >= 0
    true = layer.cell_true[group_cells].astype(float)
    shown = layer.cell_shown[group_cells]
    used = np.unique(layer.cell_unit)
    return {
        "share_published": layer.published_incidents / index.n if index.n else 0.0,
        "median_unit_km2": float(np.median(layer.units.area_km2[used])) if len(used) else 0.0,
        "count_error": float(np.abs(shown - true).sum() / true.sum()) if true.sum() else 0.0,
        "hotspots_kept": _hotspots_kept(index, ev),
    }


def _hotspots_kept(index: Index, ev: Evaluation | Score) -> float:
    """Share of the incidents in the top hot spots of a fine reference (H3 res 9, all
    time, true counts) that lie in the design's own top units by shown count."""
    layer = ev.layer
    if not len(layer.cell_unit):
        return 0.0
    units = layer.units.incident_unit
    shown = (layer.grouping.group_of_category[index.category_code] >= 0) & (units >= 0)
    ref = index.resolution(HOTSPOT_RESOLUTION).incident_code
    ref_counts = np.bincount(ref[shown], minlength=int(ref.max()) + 1)
    top_ref = np.argsort(-ref_counts, kind="stable")[:HOTSPOT_TOP]
    is_top_ref = np.zeros(len(ref_counts), dtype=bool)
    is_top_ref[top_ref] = True
    hot = shown & is_top_ref[ref]
    groups = layer.cell_group >= 0
    unit_shown = np.bincount(
        layer.cell_unit[groups], weights=layer.cell_shown[groups], minlength=layer.units.n
    )
    top_units = np.argsort(-unit_shown, kind="stable")[:HOTSPOT_TOP]
    is_top_unit = np.zeros(layer.units.n + 1, dtype=bool)
    is_top_unit[top_units[unit_shown[top_units] > 0]] = True
    kept = hot & is_top_unit[units]
    return float(kept.sum() / hot.sum()) if hot.sum() else 0.0


# --- factors -------------------------------------------------------------------------
FACTOR_LABELS = {
    "granularity": "Granularity (¶16, ¶19, ¶21)",
    "frequency": "Update frequency (¶34)",
    "time_precision": "Time precision (¶34)",
    "categories": "Categories and grouping (¶13, ¶20)",
    "counts": "How counts are shown",
    "references": "Reference numbers (¶24-25)",
}
REFERENCE_STEPS = ("omitted", "pseudonym", "truncated", "full")  # most private first


def _more_revealing(index: Index, design: Design, factor: str) -> dict[str, Any] | None:
    """The next more revealing setting of one factor (None: it is the most revealing),
    so an effect reads as a step a reviewer would weigh: 'monthly instead of weekly'."""
    g = design.spatial
    if factor == "granularity":
        if g.kind == "h3":
            return {"granularity": f"h3:{g.param + 1}"} if g.param < 15 else None
        if g.kind == "grid":
            return {"granularity": f"grid:{g.param // 2}"} if g.param >= 20 else None
        if g.kind == "adaptive":
            return {"granularity": f"adaptive:{g.param // 2}"} if g.param > 1 else None
        return {"granularity": "h3:9"}
    if factor == "frequency":
        i = FREQUENCIES.index(design.frequency)
        return {"frequency": FREQUENCIES[i - 1]} if i > 0 else None
    if factor == "time_precision":
        i = TIME_LEVELS.index(design.time_precision)
        if i == 0 or effective_level(index, TIME_LEVELS[i - 1]) == effective_level(
            index, design.time_precision
        ):
            return None
        return {"time_precision": TIME_LEVELS[i - 1]}
    if factor == "categories":
        if design.categories is None and not design.grouping and not design.hidden_groups:
            return None
        return {"categories": None, "grouping": (), "hidden_groups": ()}
    if factor == "counts":
        if design.counts == "exact" and design.min_count == 0:
            return None
        return {"counts": "exact", "min_count": 0}
    i = REFERENCE_STEPS.index(design.references)
    return {"references": REFERENCE_STEPS[i + 1]} if i + 1 < len(REFERENCE_STEPS) else None


def _describe(design: Design, factor: str) -> str:
    if factor == "granularity":
        return design.spatial.describe()
    if factor == "categories":
        hidden = len(design.hidden_groups) + (0 if design.categories is None else 1)
        return "the chosen categories" if hidden or design.grouping else "all categories"
    if factor == "counts":
        extra = f", suppressed under {design.min_count}" if design.min_count else ""
        return f"{design.counts} counts{extra}"
    if factor == "references":
        return f"references {design.references}"
    return str(getattr(design, factor))


def _try(index: Index, design: Design, **changes: Any) -> tuple[Design, Score] | None:
    """The other design and its score. Scored a block of units at a time (`score`):
    the advice reads only the score, the attack's counts and the layer, so an
    alternative's per-atom arrays are never all held (issue 16: at 60M rows the finer
    hexagons' were export's peak); the numbers are `evaluate`'s."""
    try:
        alt = design.with_(**changes)
        return alt, score(index, alt)
    except DesignError:
        return None


def _done_with_units(index: Index, design: Design, alt: Design) -> None:
    """After a factor or what-if with other units than the design's, drop their cached
    blocks: no other factor or what-if reads them (each other granularity is tried once),
    and the bounded cache would keep them, a gigabyte at 60M rows, through the next
    alternatives until their own blocks pushed them out (issue 16: export's peak). The
    alternative's layer still holds what `utility` reads. An index that keeps its
    alternatives (`Index.keep_alternatives`: the app's) keeps them: there, the next
    change is often one of them."""
    if alt.spatial != design.spatial and not index.keep_alternatives:
        index.drop_granularity(str(alt.spatial))


@dataclass(frozen=True)
class Scored:
    """What the advice reads of the design it advises on: a few numbers, not the
    Evaluation (the layer, its atoms and a dozen per-atom arrays). A caller that has
    published its layer can drop it and still ask for the factors and what-ifs, so the
    other designs are evaluated without the design's own arrays held beside them
    (issue 16: at 60M rows those were gigabytes of `export`'s peak)."""

    score: float
    certain: float  # the attack's sensitivity-weighted certain share (`_certain`)
    narrowed: float  # the attack's share narrowed to 10 households (`_narrowed`)
    top_group: str | None  # the group contributing most (`_top_group`)
    utility: dict[str, float]


def scored(
    index: Index, ev: Evaluation | Scored, utility_of: dict[str, float] | None = None
) -> Scored:
    """The numbers the advice reads of `ev` (`ev` itself if it is already `Scored`).
    `utility_of`, when the caller has `utility(index, ev)` already, is used instead of
    computing it again."""
    if isinstance(ev, Scored):
        return ev
    return Scored(
        score=ev.score,
        certain=_certain(ev),
        narrowed=_narrowed(ev),
        top_group=_top_group(ev),
        utility=dict(utility_of) if utility_of is not None else utility(index, ev),
    )


# Called before each other design is evaluated, with what is about to be tried: the
# app shows progress through it, and a caller cancels by raising from it.
Step = Callable[[str], None]


def n_alternatives(index: Index, design: Design, ev: Evaluation | Scored) -> int:
    """How many other designs `factors` and `what_ifs` evaluate (each a full
    evaluation), so a caller can show progress through them."""
    return len(FACTOR_LABELS) + len(_candidates(index, design, ev))


def factors(
    index: Index, design: Design, ev: Evaluation | Scored, *, step: Step | None = None
) -> list[dict[str, Any]]:
    """Each factor's effect: the score with that factor one step more revealing,
    against the score as designed ("monthly instead of weekly: 48 -> 31").

    Each other design is evaluated inside `_factor`, so its Evaluation is gone before
    the next one is made: two alternatives' arrays are never held at once."""
    out = []
    for factor, label in FACTOR_LABELS.items():
        if step is not None:
            step(label)
        out.append(_factor(index, design, ev.score, factor, label))
    return out


def _factor(index: Index, design: Design, score: float, factor: str, label: str) -> dict:
    changes = _more_revealing(index, design, factor)
    tried = _try(index, design, **changes) if changes else None
    if tried is None:
        return {
            "factor": factor,
            "label": label,
            "from": round(score, 1),
            "to": round(score, 1),
            "effect": 0.0,
            "text": f"{_describe(design, factor)}: already the most revealing",
        }
    alt_design, alt = tried
    _done_with_units(index, design, alt_design)
    return {
        "factor": factor,
        "label": label,
        "from": round(alt.score, 1),
        "to": round(score, 1),
        "effect": round(alt.score - score, 1),
        "text": f"{_describe(design, factor)} instead of "
        f"{_describe(alt_design, factor)}: {alt.score:.0f} → {score:.0f}"
        + (SUPPRESSION_CAVEAT if alt.score < score and design.min_count else ""),
    }


# With suppression, a more revealing setting can score lower: it splits cells until
# they fall under the minimum count and vanish. Say so rather than let it read as safer.
SUPPRESSION_CAVEAT = (
    " (lower only because the finer setting leaves more cells under the minimum count, "
    "so they are suppressed, not because it is safer)"
)


# --- what-ifs ------------------------------------------------------------------------
def _candidates(index: Index, design: Design, ev: Evaluation | Scored) -> list[tuple[str, dict]]:
    g = design.spatial
    out: list[tuple[str, dict]] = []
    if g.kind == "h3" and g.param > 5:
        out.append(
            (
                f"Use larger hexagons (H3 resolution {g.param - 1})",
                {"granularity": f"h3:{g.param - 1}"},
            )
        )
    if g.kind == "grid":
        out.append((f"Use {g.param * 2} m squares", {"granularity": f"grid:{g.param * 2}"}))
    if g.kind == "adaptive":
        out.append(
            (
                f"Adaptive units of at least {g.param * 2} households",
                {"granularity": f"adaptive:{g.param * 2}"},
            )
        )
    if g.kind != "areas":
        for name in index.areas:
            out.append((f"Use the '{name}' areas", {"granularity": f"areas:{name}"}))
    i = FREQUENCIES.index(design.frequency)
    if i + 1 < len(FREQUENCIES):
        nxt = FREQUENCIES[i + 1]
        level = TIME_LEVELS[i + 1]
        change = {"frequency": nxt}
        if TIME_LEVELS.index(design.time_precision) < TIME_LEVELS.index(level):
            change["time_precision"] = level
        out.append((f"Update {nxt} instead of {design.frequency}", change))
    p = TIME_LEVELS.index(design.time_precision)
    if p + 1 < len(TIME_LEVELS) and effective_level(index, TIME_LEVELS[p + 1]) != effective_level(
        index, design.time_precision
    ):
        out.append(
            (f"Show times to the {TIME_LEVELS[p + 1]}", {"time_precision": TIME_LEVELS[p + 1]})
        )
    top = _top_group(ev)
    if top is not None:
        out.append(
            (f"Leave '{top}' off the map (¶13)", {"hidden_groups": (*design.hidden_groups, top)})
        )
    if design.counts != "noise":
        nxt_min = 3 if design.min_count == 0 else design.min_count + 2
        out.append((f"Suppress cells with fewer than {nxt_min} incidents", {"min_count": nxt_min}))
        if design.counts != "banded":
            out.append(("Show counts in bands like the guidance's map key", {"counts": "banded"}))
        out.append(
            ("Add differential-privacy noise (epsilon 1)", {"counts": "noise", "epsilon": 1.0})
        )
    if design.references != "omitted":
        out.append(("Leave reference numbers off (¶24-25)", {"references": "omitted"}))
    return out


def _top_group(ev: Evaluation | Scored) -> str | None:
    if isinstance(ev, Scored):
        return ev.top_group
    sel = ev.shown
    if not sel.any() or len(ev.layer.grouping.groups) < 2:
        return None
    contrib = np.bincount(ev.slot[sel], weights=(ev.n * ev.sensitivity * ev.r)[sel])
    if contrib.max() <= 0:
        return None
    return ev.layer.grouping.groups[int(contrib.argmax())]


def what_ifs(
    index: Index,
    design: Design,
    ev: Evaluation | Scored,
    top: int = 5,
    *,
    step: Step | None = None,
) -> list[dict]:
    """The few single changes that lower the score most, with what each costs.

    Each candidate is evaluated inside `_what_if`, which keeps only its row: the
    candidate's Evaluation is gone before the next one is made."""
    base = scored(index, ev)
    rows = []
    for label, changes in _candidates(index, design, base):
        if step is not None:
            step(label)
        row = _what_if(index, design, base, label, changes)
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda r: (r["score"], r["label"]))
    return rows[:top]


def _what_if(index: Index, design: Design, base: Scored, label: str, changes: dict) -> dict | None:
    tried = _try(index, design, **changes)
    if tried is None:
        return None
    alt_design, alt = tried
    _done_with_units(index, design, alt_design)
    if alt.score >= base.score - 0.05 or exposes_more(alt, base):
        return None
    u = utility(index, alt)
    base_u = base.utility
    return {
        "label": label,
        "changes": {k: (list(v) if isinstance(v, tuple) else v) for k, v in changes.items()},
        "design": alt_design.to_dict(public=True),
        "score": round(alt.score, 1),
        "delta": round(alt.score - base.score, 1),
        "linkable": round(alt.linkable, 2),
        "certain_share": round(_certain(alt), 4),
        "cost": {
            "share_published": round(u["share_published"] - base_u["share_published"], 4),
            "median_unit_km2": round(u["median_unit_km2"], 4),
            "count_error": round(u["count_error"], 4),
            "hotspots_kept": round(u["hotspots_kept"], 3),
        },
        "cost_text": _cost_text(base_u, u),
    }


def _certain(ev: Evaluation | Score | Scored) -> float:
    if isinstance(ev, Scored):
        return ev.certain
    return ev.attack.certain_share_weighted if ev.attack is not None else 0.0


def _narrowed(ev: Evaluation | Score | Scored) -> float:
    if isinstance(ev, Scored):
        return ev.narrowed
    return ev.attack.register_share(10) if ev.attack is not None else 0.0


def exposes_more(alt: Evaluation | Score | Scored, ev: Evaluation | Score | Scored) -> bool:
    """Whether the simulated attack gets more from `alt` than from `ev`: more incidents
    whose group a neighbour proves, or more narrowed to 10 households or fewer. A
    suggestion must never move there, whatever its score."""
    return _certain(alt) > _certain(ev) + 1e-9 or _narrowed(alt) > _narrowed(ev) + 1e-9


def _cost_text(before: dict, after: dict) -> str:
    parts = []
    d = after["share_published"] - before["share_published"]
    if abs(d) >= 0.005:
        parts.append(
            f"{-d:.0%} fewer incidents published" if d < 0 else f"{d:.0%} more incidents published"
        )
    if before["median_unit_km2"] and after["median_unit_km2"] > before["median_unit_km2"] * 1.05:
        parts.append(f"units {after['median_unit_km2'] / before['median_unit_km2']:.1f}x larger")
    if after["count_error"] > before["count_error"] + 0.005:
        parts.append(f"counts off by {after['count_error']:.0%} on average")
    if after["hotspots_kept"] < before["hotspots_kept"] - 0.05:
        parts.append(f"hot spots kept {after['hotspots_kept']:.0%}")
    return "; ".join(parts) or "little lost"


# --- the frontier --------------------------------------------------------------------
FRONTIER_GRANULARITIES = (
    "h3:7",
    "h3:8",
    "h3:9",
    "h3:10",
    "grid:250",
    "grid:500",
    "grid:1000",
    "adaptive:8",
    "adaptive:40",
    "adaptive:200",
)
FRONTIER_FREQUENCIES = ("weekly", "monthly", "quarterly")


def frontier(index: Index, design: Design) -> pd.DataFrame:
    """Score and utility over a sweep of granularities x frequencies (the rest of the
    design kept), with the Pareto-efficient designs flagged."""
    grans = list(FRONTIER_GRANULARITIES) + [f"areas:{n}" for n in index.areas]
    rows = []
    for gran in grans:
        for freq in FRONTIER_FREQUENCIES:
            level = TIME_LEVELS[FREQUENCIES.index(freq)]
            row = _frontier_row(index, design, gran, freq, level)
            if row is not None:
                rows.append(row)
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    # detail is better when units are smaller; efficient = no design both lower-risk
    # and at least as detailed
    df["detail"] = -np.log10(df["median_unit_km2"].clip(lower=1e-9))
    eff = []
    for _, row in df.iterrows():
        dominated = (
            (df["score"] <= row["score"])
            & (df["detail"] >= row["detail"])
            & ((df["score"] < row["score"]) | (df["detail"] > row["detail"]))
        ).any()
        eff.append(not dominated)
    df["efficient"] = eff
    return df.sort_values(["score", "granularity", "frequency"], ignore_index=True)


def _frontier_row(index: Index, design: Design, gran: str, freq: str, level: str) -> dict | None:
    """One point of the sweep; its Evaluation is gone before the next is made."""
    tried = _try(index, design, granularity=gran, frequency=freq, time_precision=level)
    if tried is None:
        return None
    _, alt = tried
    return {
        "granularity": gran,
        "frequency": freq,
        "score": alt.score,
        "linkable": alt.linkable,
        "certain_share": _certain(alt),
        **utility(index, alt),
    }
