"""The identifiability model: how likely a published incident is to be tied to the
household involved, by whom, and why.

Three attackers, each from the guidance (docs/identifiability.md has the formulas,
their paragraphs and worked examples):

1. Register linker (¶10, ¶21, ¶36): holds the electoral register; chance 1 / H for an
   incident in a unit of H households.
2. Neighbour with local knowledge (¶34, ¶38): saw the police at a home in the unit
   during the window; chance that the visit was of the published group = the group's
   share of all incidents recorded in that unit and window (location-weighted).
3. Reference-number linker (¶24-25): holds reference numbers with names.

Location type moderates attackers 1 and 2 (¶26-28) through a weight m, and disclosure
control through kappa, the share of a cell's incidents the map confirms. Per incident:
r_k = m * kappa * rho_k, and r = 1 - prod(1 - r_k).

Headline (one sentence): "the chance that at least one of the three attackers can
link a typical published incident to its household, where incidents are weighted by
the sensitivity of their category and the privacy of their place". Formally
score = 100 * (1 - prod_k (1 - A_k)), A_k = sum(s * r_k) / sum(s * m) over incidents in
shown groups. Each A_k never rises under coarser space or time (proofs in the docs),
so neither does the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crimedash import schema as S
from crimedash.design import DEFAULT_LOCATION_WEIGHTS, Design
from crimedash.index import Index, window_label
from crimedash.layer import PublicLayer, apply_design, windows_at

ATTACKERS = ("register", "neighbour", "reference")
ATTACKER_LABELS = {
    "register": "Register linker (¶10, ¶21, ¶36)",
    "neighbour": "Neighbour with local knowledge (¶34, ¶38)",
    "reference": "Reference-number linker (¶24-25)",
}
# Chance a published reference number links to a named person (¶24-25).
REFERENCE_LINK_CHANCE = {"full": 1.0, "truncated": 0.05, "pseudonym": 0.0, "omitted": 0.0}

# The ICO's impact-assessment scales: likelihood x severity -> low/medium/high.
LIKELIHOODS = ("remote", "possible", "probable")
SEVERITIES = ("minimal", "significant", "severe")
LIKELIHOOD_EDGES = (0.05, 0.3)  # r below 0.05: remote; below 0.3: possible; else probable
SEVERITY_EDGES = (0.3, 0.7)  # sensitivity below 0.3: minimal; below 0.7: significant
RISK_MATRIX = (
    ("low", "low", "medium"),  # remote
    ("low", "medium", "high"),  # possible
    ("medium", "high", "high"),  # probable
)


def dp_posterior_bound(prior: np.ndarray | float, epsilon: float) -> np.ndarray:
    """Largest posterior an attacker with prior p can reach from an epsilon-DP release:
    p e^eps / (1 - p + p e^eps)."""
    p = np.asarray(prior, dtype=float)
    e = np.exp(epsilon)
    return p * e / (1.0 - p + p * e)


@dataclass(frozen=True)
class Evaluation:
    """Per-incident identifiability of one design (internal: never published)."""

    layer: PublicLayer
    r: np.ndarray  # combined chance per incident (0 where not shown)
    parts: dict[str, np.ndarray]  # r_k per attacker
    weight: np.ndarray  # s * m per incident (0 where not shown)
    sensitivity: np.ndarray  # s per incident
    score: float
    attacker_scores: dict[str, float]  # A_k * 100
    linkable: float  # expected number of linkable incidents, sum of r
    households_assumed: bool


def evaluate(index: Index, design: Design, layer: PublicLayer | None = None) -> Evaluation:
    """Score a design: the public layer plus each incident's identifiability."""
    layer = layer or apply_design(index, design)
    units = layer.units
    lw = dict(DEFAULT_LOCATION_WEIGHTS)
    lw.update(dict(design.location_weights))
    m_by_type = np.array([lw.get(t, 1.0) for t in index.location_types])
    m = m_by_type[index.location_code]
    g = layer.incident_group
    shown = g >= 0
    kappa = layer.incident_kappa
    gs = layer.grouping.group_sensitivity
    s = np.where(shown, gs[np.maximum(g, 0)] if len(gs) else 0.0, 0.0)
    unit = layer.incident_unit
    eps = design.epsilon if design.counts == "noise" else None

    # 1. register linker: 1 / H (at least one household: a place where nobody lives
    #    still points at whoever runs it)
    h = np.maximum(units.households, 1.0)
    rho1 = np.where(shown, 1.0 / h[np.maximum(unit, 0)], 0.0)
    if eps is not None:
        rho1 = np.minimum(rho1, dp_posterior_bound(1.0 / max(h.sum(), 1.0), eps))
    r1 = m * kappa * rho1

    # 2. neighbour: confirmed location-weighted incidents of the group / all recorded
    rho2 = _neighbour(index, design, layer, m, kappa)
    if eps is not None:
        prior = _group_prior(index, layer)
        rho2 = np.minimum(rho2, np.where(shown, dp_posterior_bound(prior, eps), 0.0))
    r2 = m * kappa * rho2

    # 3. reference linker: only for incidents the map publishes with a reference
    r3 = np.where((kappa > 0) & index.has_reference, REFERENCE_LINK_CHANCE[design.references], 0.0)

    r = 1.0 - (1.0 - r1) * (1.0 - r2) * (1.0 - r3)
    weight = s * m
    denom = weight.sum()
    denom_ref = s.sum()
    a = {
        "register": float((s * r1).sum() / denom) if denom > 0 else 0.0,
        "neighbour": float((s * r2).sum() / denom) if denom > 0 else 0.0,
        "reference": float((s * r3).sum() / denom_ref) if denom_ref > 0 else 0.0,
    }
    score = 100.0 * (1.0 - np.prod([1.0 - v for v in a.values()]))
    return Evaluation(
        layer=layer,
        r=r,
        parts={"register": r1, "neighbour": r2, "reference": r3},
        weight=weight,
        sensitivity=s,
        score=float(np.clip(score, 0.0, 100.0)),
        attacker_scores={k: 100.0 * v for k, v in a.items()},
        linkable=float(r.sum()),
        households_assumed=units.households_assumed,
    )


def _neighbour(index: Index, design: Design, layer: PublicLayer, m, kappa) -> np.ndarray:
    """rho_2 per incident: C / M, with C the confirmed location-weighted incidents of the
    incident's group in its (unit, window) and M all recorded there, published or not."""
    g = layer.incident_group
    shown = g >= 0
    unit = layer.incident_unit
    inside = unit >= 0
    if layer.risk_level == "timestamp":
        # real time: every update is one incident, so its window holds only itself
        return np.where(shown & (m > 0), kappa, 0.0)
    win = windows_at(index, layer.risk_level)
    n_groups = max(len(layer.grouping.groups), 1)
    uw = np.where(inside, unit * win.n + win.code, 0)
    space = layer.units.n * win.n
    if space * n_groups <= (1 << 23):
        all_m = np.bincount(uw[inside], weights=m[inside], minlength=space)
        key = uw * n_groups + np.maximum(g, 0)
        conf = np.bincount(key[shown], weights=(m * kappa)[shown], minlength=space * n_groups)
        c = conf[key]
        tot = all_m[uw]
    else:
        codes, _ = pd.factorize(uw)
        all_m = np.bincount(codes[inside], weights=m[inside])
        key = codes.astype(np.int64) * n_groups + np.maximum(g, 0)
        kc, _ = pd.factorize(key)
        conf = np.bincount(kc[shown], weights=(m * kappa)[shown], minlength=kc.max() + 1)
        c = conf[kc]
        tot = all_m[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(shown & (tot > 0), c / tot, 0.0)
    return np.minimum(rho, 1.0)


def _group_prior(index: Index, layer: PublicLayer) -> np.ndarray:
    """Each incident's group share across the whole data set: what a neighbour could
    guess without the map (the prior that noise bounds the posterior against)."""
    g = layer.incident_group
    shown = g >= 0
    share = np.bincount(g[shown], minlength=max(len(layer.grouping.groups), 1)) / max(index.n, 1)
    return np.where(shown, share[np.maximum(g, 0)], 0.0)


# --- the assessment a reviewer reads ---------------------------------------------------
@dataclass(frozen=True)
class Assessment:
    design: Design
    score: float
    verdict: str  # green, amber, red
    sentence: str
    incidents: int
    shown_incidents: int
    published_incidents: int
    linkable_incidents: float
    high_risk_share: float
    worst_case: dict[str, Any]
    attackers: dict[str, float]
    matrix: pd.DataFrame  # likelihood x severity: published incidents, risk level
    drivers: pd.DataFrame  # units that drive the score
    factors: list[dict[str, Any]] = field(default_factory=list)
    what_ifs: list[dict[str, Any]] = field(default_factory=list)
    utility: dict[str, float] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 2),
            "verdict": self.verdict,
            "sentence": self.sentence,
            "incidents": self.incidents,
            "shown_incidents": self.shown_incidents,
            "published_incidents": self.published_incidents,
            "linkable_incidents": round(self.linkable_incidents, 3),
            "high_risk_share": round(self.high_risk_share, 4),
            "worst_case": self.worst_case,
            "attackers": {k: round(v, 2) for k, v in self.attackers.items()},
            "matrix": self.matrix.to_dict(orient="records"),
            "drivers": self.drivers.to_dict(orient="records"),
            "factors": self.factors,
            "what_ifs": self.what_ifs,
            "utility": {
                k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.utility.items()
            },
            "findings": self.findings,
            "assumptions": self.assumptions,
            "design": self.design.to_dict(public=True),
        }


SENTENCE = (
    "The score is the chance that at least one of three attackers (a register linker, a "
    "neighbour, a reference-number linker) can tie a typical published incident to its "
    "household, weighting incidents by the sensitivity of their crime and how private "
    "their place is; 0 means no published incident can be linked, 100 that every one can."
)


def verdict_for(score: float, design: Design) -> str:
    if score >= design.red_from:
        return "red"
    if score >= design.green_below:
        return "amber"
    return "green"


def matrix(ev: Evaluation) -> pd.DataFrame:
    """Published incidents by likelihood (their r) and severity (their sensitivity)."""
    sel = ev.layer.incident_kappa > 0
    li = np.searchsorted(LIKELIHOOD_EDGES, ev.r[sel], side="right")
    se = np.searchsorted(SEVERITY_EDGES, ev.sensitivity[sel], side="right")
    counts = np.bincount(li * 3 + se, minlength=9).reshape(3, 3)
    rows = []
    for i, lik in enumerate(LIKELIHOODS):
        for j, sev in enumerate(SEVERITIES):
            rows.append(
                {
                    "likelihood": lik,
                    "severity": sev,
                    "incidents": int(counts[i, j]),
                    "risk": RISK_MATRIX[i][j],
                }
            )
    return pd.DataFrame(rows)


def drivers(index: Index, ev: Evaluation, top: int = 10) -> pd.DataFrame:
    """The units whose incidents contribute most to the score, and why."""
    layer = ev.layer
    unit = layer.incident_unit
    sel = (unit >= 0) & (layer.incident_group >= 0)
    if not sel.any():
        return pd.DataFrame(
            columns=[
                S.UNIT,
                "contribution",
                S.HOUSEHOLDS,
                "incidents",
                "top_group",
                "main_attacker",
                "max_r",
            ]
        )
    u = unit[sel]
    contrib = np.bincount(u, weights=(ev.sensitivity * ev.r)[sel], minlength=layer.units.n)
    counts = np.bincount(u, minlength=layer.units.n)
    best = np.argsort(-contrib, kind="stable")[:top]
    best = best[contrib[best] > 0]
    rows = []
    total = max(float((ev.sensitivity * ev.r).sum()), 1e-12)
    labels = layer.units.labels(index, best)
    for code, lab in zip(best.tolist(), labels, strict=True):
        mask = sel & (unit == code)
        gs = layer.incident_group[mask]
        top_group = layer.grouping.groups[int(np.bincount(gs).argmax())]
        part = {k: float((ev.sensitivity * v)[mask].sum()) for k, v in ev.parts.items()}
        rows.append(
            {
                S.UNIT: lab,
                "contribution": round(float(contrib[code]) / total, 4),
                S.HOUSEHOLDS: round(float(layer.units.households[code]), 1),
                "incidents": int(counts[code]),
                "top_group": top_group,
                "main_attacker": max(part, key=part.get),
                "max_r": round(float(ev.r[mask].max()), 3),
            }
        )
    return pd.DataFrame(rows)


def assess(
    index: Index,
    design: Design,
    *,
    with_what_ifs: bool = True,
    rejected_rows: int = 0,
) -> Assessment:
    """The full assessment of a design: score, verdict, breakdown, factors, what-ifs,
    utility and findings. Everything the app shows and the report prints."""
    from crimedash import advice  # factors and what-ifs evaluate other designs

    ev = evaluate(index, design)
    layer = ev.layer
    pub = layer.incident_kappa > 0
    high = float((ev.r[pub] >= design.high_risk_line).mean()) if pub.any() else 0.0
    worst = _worst_case(index, ev)
    assumptions = []
    if ev.households_assumed:
        assumptions.append(
            f"No households layer is loaded: every unit is assumed to hold "
            f"{design.assumed_households_per_km2:,.0f} households per km² (¶19). Load "
            f"address points or areas with a households column to replace this."
        )
    assumptions.extend(layer.notes)
    a = Assessment(
        design=design,
        score=ev.score,
        verdict=verdict_for(ev.score, design),
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
        utility=advice.utility(index, ev),
        assumptions=assumptions,
    )
    factors = advice.factors(index, design, ev) if with_what_ifs else []
    what_ifs = advice.what_ifs(index, design, ev) if with_what_ifs else []
    findings = advice.findings(index, ev, rejected_rows=rejected_rows)
    return Assessment(
        **{**a.__dict__, "factors": factors, "what_ifs": what_ifs, "findings": findings}
    )


def _worst_case(index: Index, ev: Evaluation) -> dict[str, Any]:
    pub = np.flatnonzero(ev.layer.incident_kappa > 0)
    if not len(pub):
        return {"r": 0.0}
    i = pub[np.argmax(ev.r[pub] * (1 + 1e-9 * ev.sensitivity[pub]))]
    layer = ev.layer
    parts = {k: float(v[i]) for k, v in ev.parts.items()}
    wl = windows_at(index, layer.display_level)
    return {
        "r": round(float(ev.r[i]), 4),
        "unit": layer.units.labels(index, np.array([layer.incident_unit[i]]))[0],
        "window": window_label(layer.display_level, int(wl.code[i] + wl.origin)),
        "group": layer.grouping.groups[int(layer.incident_group[i])],
        "households": round(float(layer.units.households[layer.incident_unit[i]]), 1),
        S.LOCATION_TYPE: index.location_types[int(index.location_code[i])],
        "main_attacker": max(parts, key=parts.get),
    }
