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

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from crimedash import schema as S
from crimedash.design import DEFAULT_LOCATION_WEIGHTS, Design
from crimedash.errors import CrimedashError
from crimedash.index import Index, window_label
from crimedash.layer import PublicLayer, apply_design

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
    """Identifiability of one design, on rows: the layer's atoms (unit, window, group,
    location type), split by whether incidents carry a reference number. Every incident
    in a row gets the same chance r, so a row of n incidents stands for n equal values.
    Internal: never published."""

    layer: PublicLayer
    unit: np.ndarray
    dwin: np.ndarray  # display window code (absolute key = + layer.display_origin)
    slot: np.ndarray  # group code (== n_groups: hidden)
    loc: np.ndarray
    n: np.ndarray  # incidents in the row
    kappa: np.ndarray
    shown: np.ndarray  # bool: in a shown group and inside a unit
    sensitivity: np.ndarray  # s per row (0 where not shown)
    m: np.ndarray  # location weight per row
    r: np.ndarray  # combined chance per incident of the row
    parts: dict[str, np.ndarray]  # r_k per attacker
    score: float
    attacker_scores: dict[str, float]  # A_k * 100
    linkable: float  # expected number of linkable incidents, sum of r
    households_assumed: bool

    @property
    def published(self) -> np.ndarray:
        return self.kappa > 0


def evaluate(index: Index, design: Design, layer: PublicLayer | None = None) -> Evaluation:
    """Score a design: the public layer plus each incident's identifiability."""
    layer = layer or apply_design(index, design)
    at = layer.atoms
    units = layer.units
    lw = dict(DEFAULT_LOCATION_WEIGHTS)
    lw.update(dict(design.location_weights))
    m_by_type = np.array([lw.get(t, 1.0) for t in index.location_types])
    m = m_by_type[at.loc]
    shown = at.shown
    kappa = at.kappa
    gs = np.append(layer.grouping.group_sensitivity, 0.0)
    s = np.where(shown, gs[np.minimum(at.slot, len(gs) - 1)], 0.0)
    eps = design.epsilon if design.counts == "noise" else None

    # 1. register linker: 1 / H (at least one household: a place where nobody lives
    #    still points at whoever runs it)
    h = np.append(np.maximum(units.households, 1.0), 1.0)
    rho1 = np.where(shown, 1.0 / h[at.unit], 0.0)
    if eps is not None:
        rho1 = np.minimum(rho1, dp_posterior_bound(1.0 / max(h[:-1].sum(), 1.0), eps))
    r1 = m * kappa * rho1

    # 2. neighbour: confirmed location-weighted incidents of the group / all recorded
    rho2 = _neighbour(layer, m)
    if eps is not None:
        prior = np.bincount(at.slot, weights=at.n, minlength=at.n_groups + 1) / max(index.n, 1)
        rho2 = np.minimum(rho2, np.where(shown, dp_posterior_bound(prior[at.slot], eps), 0.0))
    r2 = m * kappa * rho2

    # 3. reference linker: only for incidents the map publishes with a reference; rows
    #    are split so every incident of a row has the same r
    chance = REFERENCE_LINK_CHANCE[design.references]
    n = at.n.astype(float)
    cols = [at.unit, at.dwin, at.slot, at.loc, kappa, shown, s, m, r1, r2]
    if chance > 0:
        with_ref = at.n_ref.astype(float)
        cols = [np.concatenate([c, c]) for c in cols]
        n = np.concatenate([n - with_ref, with_ref])
        r3 = np.concatenate([np.zeros(len(at.n)), np.where(kappa > 0, chance, 0.0)])
        keep = n > 0
        cols = [c[keep] for c in cols]
        n, r3 = n[keep], r3[keep]
    else:
        r3 = np.zeros(len(n))
    unit, dwin, slot, loc, kappa, shown, s, m, r1, r2 = cols

    r = 1.0 - (1.0 - r1) * (1.0 - r2) * (1.0 - r3)
    ns = n * s
    denom = float((ns * m).sum())
    denom_ref = float(ns.sum())
    a = {
        "register": float((ns * r1).sum() / denom) if denom > 0 else 0.0,
        "neighbour": float((ns * r2).sum() / denom) if denom > 0 else 0.0,
        "reference": float((ns * r3).sum() / denom_ref) if denom_ref > 0 else 0.0,
    }
    score = 100.0 * (1.0 - np.prod([1.0 - v for v in a.values()]))
    return Evaluation(
        layer=layer,
        unit=unit,
        dwin=dwin,
        slot=slot,
        loc=loc,
        n=n,
        kappa=kappa,
        shown=shown,
        sensitivity=s,
        m=m,
        r=r,
        parts={"register": r1, "neighbour": r2, "reference": r3},
        score=float(np.clip(score, 0.0, 100.0)),
        attacker_scores={k: 100.0 * v for k, v in a.items()},
        linkable=float((n * r).sum()),
        households_assumed=units.households_assumed,
    )


def _neighbour(layer: PublicLayer, m: np.ndarray) -> np.ndarray:
    """rho_2 per atom: C / M, with C the confirmed location-weighted incidents of the
    atom's group in its (unit, window) and M all recorded there, published or not.
    Both sums are one bincount over dense (unit, window[, group]) codes."""
    at = layer.atoms
    shown = at.shown
    if layer.risk_level == "timestamp":
        # real time: every update is one incident, so its window holds only itself
        return np.where(shown & (m > 0), at.kappa, 0.0)
    weight = at.n * m
    all_m = np.bincount(at.uwr, weights=weight * at.inside, minlength=at.n_uw)
    slots = at.n_groups + 1
    gid_g = at.uwr * slots + at.slot
    conf = np.bincount(gid_g, weights=weight * at.kappa * shown, minlength=at.n_uw * slots)
    tot = all_m[at.uwr]
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(shown & (tot > 0), conf[gid_g] / tot, 0.0)
    return np.minimum(rho, 1.0)


def unit_risk(ev: Evaluation, window_key: int | None = None) -> pd.DataFrame:
    """Per unit (in one display window, or all): its most exposed published incident's
    chance r, its published incidents, the group and the attacker contributing most.
    For the analyst's risk view; never published."""
    sel = ev.published & ev.shown
    if window_key is not None:
        sel &= (ev.dwin + ev.layer.display_origin) == window_key
    cols = ["code", "r", "incidents", "group", "attacker"]
    if not sel.any():
        return pd.DataFrame(columns=cols)
    w = ev.n[sel] * ev.sensitivity[sel]
    df = pd.DataFrame(
        {
            "code": ev.unit[sel],
            "r": ev.r[sel],
            "n": ev.n[sel],
            "group": ev.slot[sel],
            "contrib": w * ev.r[sel],
            **{k: w * v[sel] for k, v in ev.parts.items()},
        }
    )
    per = df.groupby("code").agg(r=("r", "max"), incidents=("n", "sum"))
    grp = df.groupby(["code", "group"])["contrib"].sum().reset_index()
    top = grp.sort_values(["code", "contrib", "group"], ascending=[True, False, True])
    per["group"] = top.drop_duplicates("code").set_index("code")["group"]
    per["attacker"] = df.groupby("code")[list(ev.parts)].sum().idxmax(axis=1)
    per["incidents"] = per["incidents"].round().astype(int)
    return per.reset_index()[cols]


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
    # A score that is not a number compares False with every threshold and would read
    # green: refuse it instead of giving a verdict.
    if not (isinstance(score, int | float | np.number) and 0.0 <= float(score) <= 100.0):
        raise CrimedashError(
            f"the identifiability score is {score!r}, not a number from 0 to 100, so no "
            f"verdict can be given",
            hint="check the design's settings are in their documented ranges "
            "(docs/design-settings.md); if they are, this is a bug to report",
        )
    if score >= design.red_from:
        return "red"
    if score >= design.green_below:
        return "amber"
    return "green"


def matrix(ev: Evaluation) -> pd.DataFrame:
    """Published incidents by likelihood (their r) and severity (their sensitivity)."""
    sel = ev.published & ev.shown
    li = np.searchsorted(LIKELIHOOD_EDGES, ev.r[sel], side="right")
    se = np.searchsorted(SEVERITY_EDGES, ev.sensitivity[sel], side="right")
    counts = np.bincount(li * 3 + se, weights=ev.n[sel], minlength=9).reshape(3, 3)
    rows = []
    for i, lik in enumerate(LIKELIHOODS):
        for j, sev in enumerate(SEVERITIES):
            rows.append(
                {
                    "likelihood": lik,
                    "severity": sev,
                    "incidents": round(float(counts[i, j])),
                    "risk": RISK_MATRIX[i][j],
                }
            )
    return pd.DataFrame(rows)


def drivers(index: Index, ev: Evaluation, top: int = 10) -> pd.DataFrame:
    """The units whose incidents contribute most to the score, and why."""
    layer = ev.layer
    cols = [
        S.UNIT,
        "contribution",
        S.HOUSEHOLDS,
        "incidents",
        "top_group",
        "main_attacker",
        "max_r",
    ]
    sel = ev.shown
    if not sel.any():
        return pd.DataFrame(columns=cols)
    per = unit_risk(ev)
    if per.empty:
        return pd.DataFrame(columns=cols)
    w = ev.n * ev.sensitivity * ev.r
    contrib = np.bincount(ev.unit[sel], weights=w[sel], minlength=layer.units.n + 1)
    total = max(float(w.sum()), 1e-12)
    per["contribution"] = contrib[per["code"].to_numpy(np.int64)] / total
    per = (
        per[per["contribution"] > 0]
        .sort_values(["contribution", "code"], ascending=[False, True])
        .head(top)
    )
    codes = per["code"].to_numpy(np.int64)
    return pd.DataFrame(
        {
            S.UNIT: layer.units.labels(index, codes),
            "contribution": per["contribution"].round(4).to_numpy(),
            S.HOUSEHOLDS: np.round(layer.units.households[codes], 1),
            "incidents": per["incidents"].to_numpy(),
            "top_group": [layer.grouping.groups[int(g)] for g in per["group"]],
            "main_attacker": per["attacker"].to_numpy(),
            "max_r": per["r"].round(3).to_numpy(),
        },
        columns=cols,
    )


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
    return replace(a, factors=factors, what_ifs=what_ifs, findings=findings)


def _worst_case(index: Index, ev: Evaluation) -> dict[str, Any]:
    pub = np.flatnonzero(ev.published & ev.shown)
    if not len(pub):
        return {"r": 0.0}
    i = pub[np.lexsort((-ev.sensitivity[pub], -ev.r[pub]))[0]]
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
