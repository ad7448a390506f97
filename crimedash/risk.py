"""The identifiability model: how likely a published incident is to be tied to the
household involved, by whom, and why.

Three attackers, each from the guidance (docs/identifiability.md has the formulas,
their paragraphs and worked examples):

1. Register linker (¶10, ¶21, ¶36): holds the electoral register; chance 1 / H for an
   incident in a unit of H households.
2. Neighbour with local knowledge (¶34, ¶38): saw the police at a place in the unit
   during the window; chance that the visit was of the published group = the group's
   share of all incidents recorded in that unit and window.
3. Reference-number linker (¶24-25): holds reference numbers with names.

Location type moderates the register linker (¶26-28) through a weight m: what it links
is a place to the people who live there, and a shop or a car park points at nobody in
particular. The neighbour is weighted by sensitivity alone: moderating it per incident
lets merging cells raise the score (the counterexample in tests/test_risk.py), and a
neighbour's local knowledge covers the street and the shop as well as the house (¶38).
Disclosure control enters through what the layer proves (the attack's intervals). Per
incident: r_1 = m * rho_1, r_2 = rho_2, r_3, and r = 1 - prod(1 - r_k).

Headline (one sentence): "the chance that at least one of the three attackers can
link a typical published incident to its household, where incidents are weighted by
the sensitivity of their category (and, for the register linker, the privacy of their
place)". Formally score = 100 * (1 - prod_k (1 - A_k)), A_1 = sum(s * r_1) / sum(s * m)
and A_k = sum(s * r_k) / sum(s) for the other two, over incidents in shown groups. Each
A_k never rises under coarser space or time (proofs in the docs), so neither does the
score.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from crimedash import schema as S
from crimedash.attack import dp_posterior_bound, outcome
from crimedash.attackresult import AttackResult, Outcome, summarise
from crimedash.cancel import checkpoint
from crimedash.design import Design
from crimedash.errors import CrimedashError
from crimedash.index import Index
from crimedash.layer import PublicLayer, apply_design
from crimedash.settings import DEFAULT_LOCATION_WEIGHTS
from crimedash.units import Units

__all__ = [
    "ATTACKER_LABELS",
    "GAIN_POWER",
    "Assessment",
    "Evaluation",
    "attacked_layers",
    "differenced_updates",
    "drivers",
    "evaluate",
    "gate_reasons",
    "headline",
    "linker_chances",
    "location_weights",
    "matrix",
    "realtime",
    "red_reason",
    "unit_risk",
    "verdict",
    "verdict_for",
]

# The neighbour's gain g in [0, 1] counts as g**GAIN_POWER: a proof (g = 1) counts in
# full, a nudge of the odds far less. Any power >= 1 keeps the exact-count score monotone
# under coarsening, because every incident of a (cell, group) weighs the same (its
# group's sensitivity): each cell contributes c * phi(c / T) = T * psi(c / T) with
# psi(x) = x * phi(x) convex, the perspective of a convex function, which is
# subadditive (see the docs). Weighting the neighbour by location
# type as well broke that (stop 23's counterexample in tests/test_risk.py).
GAIN_POWER = 3
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
    attack: AttackResult | None = None  # the simulated attackers on the same layer

    @property
    def published(self) -> np.ndarray:
        return self.kappa > 0


def evaluate(index: Index, design: Design, layer: PublicLayer | None = None) -> Evaluation:
    """Score a design: the public layer plus each incident's identifiability, built on
    what the layer proves (the attack simulation's intervals: one source of truth)."""
    layer = layer or apply_design(index, design)
    at = layer.atoms
    units = layer.units
    m = location_weights(index, design)[at.loc]
    shown = at.shown
    kappa = at.kappa
    gs = np.append(layer.grouping.group_sensitivity, 0.0)
    s = np.where(shown, gs[np.minimum(at.slot, len(gs) - 1)], 0.0)
    checkpoint()
    out = outcome(index, attacked_layers(index, layer))
    checkpoint()
    if realtime(layer):
        out = differenced_updates(out, at.shown)

    # the attack's counts first: the outcome's per-atom arrays (nine, most of them
    # float64) are let go as soon as the two attackers below have read them, so they are
    # never held beside the evaluation's own (issue 16: tens of millions of atoms)
    attack = summarise(
        index,
        out,
        shown_level=layer.display_level if layer.risk_level != layer.display_level else None,
    )

    # the three arrays the attackers below read; the outcome's other six go now
    prior, proven, proven_share = out.prior, out.proven, out.proven_share
    del out

    r1, r2 = linker_chances(index, design, units, at.unit, shown, m, prior, proven, proven_share)
    del prior, proven, proven_share

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
    score, a = headline(
        {
            "denom": (ns * m).sum(),
            "denom_ref": ns.sum(),
            "register": (ns * r1).sum(),
            "neighbour": (ns * r2).sum(),
            "reference": (ns * r3).sum(),
        }
    )
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
        score=score,
        attacker_scores={k: 100.0 * v for k, v in a.items()},
        linkable=float((n * r).sum()),
        households_assumed=units.households_assumed,
        attack=attack,
    )


def realtime(layer: PublicLayer) -> bool:
    """Whether the layer is updated in real time while showing coarser times."""
    return layer.risk_level == "timestamp" and layer.display_level != "timestamp"


def differenced_updates(out: Outcome, shown: np.ndarray) -> Outcome:
    """The outcome of a real-time layer: each update adds a single incident, so
    differencing two updates proves every shown incident's group in its unit (¶34).
    `shown`: the outcome's atoms in a shown group and inside a unit."""
    return replace(
        out,
        proven=shown,
        certain=shown.copy(),
        posterior=np.where(shown, 1.0, 0.0),
        proven_share=np.where(shown, 1.0, 0.0),
    )


def location_weights(index: Index, design: Design) -> np.ndarray:
    """The weight m of each location type code (¶26-28)."""
    lw = dict(DEFAULT_LOCATION_WEIGHTS)
    lw.update(dict(design.location_weights))
    return np.array([lw.get(t, 1.0) for t in index.location_types])


def linker_chances(
    index: Index,
    design: Design,
    units: Units,
    unit: np.ndarray,
    shown: np.ndarray,
    m: np.ndarray,
    prior: np.ndarray,
    proven: np.ndarray,
    proven_share: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """r_1 (register linker) and r_2 (neighbour) of each row, from what the attack
    proves of it. Row by row: a block of rows gets the values the whole layer's rows
    get (`crimedash.score` works a block of units at a time)."""
    # 1. register linker: 1 / H for an incident whose cell the layer proves non-empty
    #    (at least one household: a place where nobody lives points at whoever runs it)
    h = np.append(np.maximum(units.households, 1.0), 1.0)
    #    and what it links is the group, which says only (1 - prior) more than "a crime"
    informative = np.where(shown, np.clip(1.0 - prior, 0.0, 1.0), 0.0)
    rho1 = np.where(shown & proven, informative / h[unit], 0.0)
    if design.counts == "noise":
        total = max(index.total_households, 1.0)  # the register, whatever the units
        rho1 = informative * dp_posterior_bound(1.0 / total, design.epsilon)
    del informative
    r1 = m * rho1
    del rho1

    # 2. neighbour: what the map adds to the wider area's group mix: the share of the
    #    unit and window the layer proves the right group holds (1 where it proves the
    #    group), above the prior
    gain = np.where(
        shown & (prior < 1.0),
        np.maximum(proven_share - prior, 0.0) / np.maximum(1.0 - prior, 1e-12),
        0.0,
    )
    r2 = gain**GAIN_POWER
    return r1, r2


def headline(sums: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The score and each attacker's A_k from the sums over rows of s * n * m ("denom",
    the register linker's: it alone is moderated by location), s * n ("denom_ref", the
    neighbour's and the reference linker's) and s * n * r_k (by attacker)."""
    denom, denom_ref = float(sums["denom"]), float(sums["denom_ref"])
    a = {
        "register": float(sums["register"] / denom) if denom > 0 else 0.0,
        "neighbour": float(sums["neighbour"] / denom_ref) if denom_ref > 0 else 0.0,
        "reference": float(sums["reference"] / denom_ref) if denom_ref > 0 else 0.0,
    }
    score = 100.0 * (1.0 - np.prod([1.0 - v for v in a.values()]))
    return float(np.clip(score, 0.0, 100.0)), a


def attacked_layers(index: Index, layer: PublicLayer) -> list[PublicLayer]:
    """The products an attacker holds once every release of `layer` is out. Releases
    more frequent than the time shown difference into the release window (¶34: a
    monthly map updated weekly reveals each week), so the attacker holds the layer as
    it would be at the release window. Its atoms are the layer's own (both are counted
    at the release window), so the outcome lines up with the layer's rows."""
    if layer.risk_level in (layer.display_level, "timestamp"):
        return [layer]
    design = layer.design.with_(time_precision=layer.risk_level)
    return [apply_design(index, design)]


def unit_risk(
    ev: Evaluation, window_key: int | None = None, units: np.ndarray | None = None
) -> pd.DataFrame:
    """Per unit (in one display window, or all; of `units` only, if given): its most
    exposed published incident's chance r, its published incidents, the group and the
    attacker contributing most. For the analyst's risk view; never published."""
    sel = ev.published & ev.shown
    if window_key is not None:
        sel &= (ev.dwin + ev.layer.display_origin) == window_key
    if units is not None:
        # a lookup table over the wanted codes' range, one pass over the rows, not a sort
        sel &= np.isin(ev.unit, np.asarray(units, dtype=np.int64), kind="table")
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
    attack: dict[str, Any] = field(default_factory=dict)  # AttackResult.to_dict()
    gates: list[str] = field(default_factory=list)  # why a green score is held at amber
    red_gate: str = ""  # why a score under the red line is red (risk.red_reason)

    @property
    def certain_share(self) -> float:
        """Sensitivity-weighted share of incidents at homes whose crime group a neighbour
        can prove from the layer: shown beside the score."""
        return float(self.attack.get("certain_share_weighted", 0.0))

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
            "attack": self.attack,
            "certain_share_weighted": round(self.certain_share, 4),
            "gates": self.gates,
            "red_gate": self.red_gate,
            "design": self.design.to_dict(public=True),
        }


SENTENCE = (
    "The score is the chance that at least one of three attackers (a register linker, a "
    "neighbour, a reference-number linker) learns from the map, beyond what they knew "
    "without it, which household a typical incident happened at or what crime it was, "
    "weighting incidents by the sensitivity of their crime (and, for the register linker, "
    "by how private their place is); 0 means the map adds nothing, 100 that it gives every "
    "incident away."
)


def verdict(ev: Evaluation) -> str:
    """The verdict gates on the tail as well as the average: green only while the
    simulated certain disclosures stay under the design's line and no proven non-empty
    cell lies in a unit below its household line; otherwise at least amber; and red
    when the score or the certain disclosures reach the red line (`red_reason`)."""
    design = ev.layer.design
    if red_reason(ev):
        return "red"
    v = verdict_for(ev.score, design)
    if v == "green" and ev.attack is not None and gate_reasons(ev):
        return "amber"
    return v


def red_reason(ev: Evaluation) -> str:
    """Why a design whose score is under the red line is red all the same ("" if it is
    not, or if its score alone is red): the attack proves the crime group of at least `red_from` per cent of the
    incidents at homes (sensitivity-weighted). The score is an average over every
    published incident, places away from homes included, so a map can give away most
    of the crimes at homes while its average stays amber; the certain share is on the
    same scale (the share of incidents given away), so the reviewer's one red line
    applies to both."""
    a, design = ev.attack, ev.layer.design
    if a is None or verdict_for(ev.score, design) == "red":
        return ""
    share = a.certain_share_weighted
    line = design.red_from
    if share > 0 and 100.0 * share >= line:
        return (
            f"a neighbour can prove the crime group of {share:.1%} of incidents at homes "
            f"(sensitivity-weighted), at or above the red line of {line:g}%"
        )
    return ""


def gate_reasons(ev: Evaluation) -> list[str]:
    """Why a design that scores green is held at amber (empty: nothing holds it)."""
    design = ev.layer.design
    a = ev.attack
    out = []
    if a is None:
        return out
    if a.certain_share_weighted >= design.certain_line:
        out.append(
            f"a neighbour can prove the crime group of {a.certain_share_weighted:.1%} of "
            f"incidents at homes (sensitivity-weighted), at or above the line of "
            f"{design.certain_line:.1%}"
        )
    if a.small_unit_cells:
        out.append(
            f"{a.small_unit_cells:,} published cells are proven non-empty in units of fewer "
            f"than {design.min_households:g} households (¶19, ¶21)"
        )
    return out


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
    w = ev.n * ev.sensitivity * ev.r
    n_codes = layer.units.n + 1
    contrib = np.bincount(ev.unit[sel], weights=w[sel], minlength=n_codes)
    total = max(float(w.sum()), 1e-12)
    # the top units by contribution (ties by code) among those with a published
    # incident shown, picked before the per-unit table: at national scale that table
    # over every unit was a fifth of a repeat's score, for ten rows
    published = np.bincount(ev.unit[sel & ev.published], minlength=n_codes) > 0
    share = contrib / total
    codes = np.flatnonzero(published & (share > 0))
    codes = codes[np.lexsort((codes, -share[codes]))][:top]
    if not published.any():
        return pd.DataFrame(columns=cols)
    if len(codes):
        per = unit_risk(ev, units=codes).set_index("code").loc[codes].reset_index()
    else:  # units published, none contributing: no rows, with the columns' types
        per = pd.DataFrame(
            {"code": codes, "r": np.empty(0), "incidents": np.empty(0, np.int64)}
            | {"group": np.empty(0, np.int64), "attacker": np.empty(0, object)}
        )
    per["contribution"] = share[codes]
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
