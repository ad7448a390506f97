"""The identifiability model (crimedash.risk) against a plain restatement of its formulas
(docs/identifiability.md), one incident row at a time, on small towns; and the verdict,
the impact matrix, the per-unit view and the drivers worked by hand.

The restatement takes from the attack simulation only what the model documents it uses
(each row's prior, whether its cell is proven, the proven share of its group), so a
changed weight, power, guard or sum in `evaluate` shows as a different number.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from enginekit import make_index
from handmade import town

from crimedash import schema as S
from crimedash.attack import dp_posterior_bound, outcome
from crimedash.design import Design
from crimedash.errors import CrimedashError
from crimedash.layer import apply_design
from crimedash.risk import (
    Assessment,
    attacked_layers,
    drivers,
    evaluate,
    gate_reasons,
    matrix,
    red_reason,
    unit_risk,
    verdict,
    verdict_for,
)
from crimedash.settings import DEFAULT_LOCATION_WEIGHTS

LINK_CHANCE = {"full": 1.0, "truncated": 0.05, "pseudonym": 0.0, "omitted": 0.0}


@pytest.fixture(scope="module")
def city():
    return make_index(5, n=70, n_households=50)


@pytest.fixture(scope="module")
def hand():
    return town()


def restated(index, design):
    """The model's rows and scores, incident row by incident row."""
    layer = apply_design(index, design)
    at = layer.atoms
    if layer.risk_level in (layer.display_level, "timestamp"):
        attacked = [layer]
    else:
        attacked = [apply_design(index, design.with_(time_precision=layer.risk_level))]
    out = outcome(index, attacked)
    proven, share = out.proven.copy(), out.proven_share.copy()
    realtime = layer.risk_level == "timestamp" and layer.display_level != "timestamp"
    weights = dict(DEFAULT_LOCATION_WEIGHTS) | dict(design.location_weights)
    gsens = list(layer.grouping.group_sensitivity)
    households = layer.units.households
    chance = LINK_CHANCE[design.references]
    rows = []
    for i in range(len(at.n)):
        shown = bool(at.shown[i])
        if realtime:
            proven[i] = shown and bool(at.inside[i])
            share[i] = 1.0 if proven[i] else 0.0
        m = weights.get(index.location_types[at.loc[i]], 1.0)
        s = gsens[at.slot[i]] if shown else 0.0
        prior = out.prior[i]
        informative = min(max(1.0 - prior, 0.0), 1.0) if shown else 0.0
        h = max(households[at.unit[i]], 1.0) if at.unit[i] < layer.units.n else 1.0
        if design.counts == "noise":
            rho1 = informative * dp_posterior_bound(
                1.0 / max(index.total_households, 1.0), design.epsilon
            )
        else:
            rho1 = informative / h if shown and proven[i] else 0.0
        gain = max(share[i] - prior, 0.0) / (1.0 - prior) if shown and prior < 1 else 0.0
        r1, r2 = m * rho1, gain**3  # location moderates the register linker only
        n, n_ref = float(at.n[i]), float(at.n_ref[i]) if chance > 0 else 0.0
        published = at.kappa[i] > 0
        for count, r3 in ((n - n_ref, 0.0), (n_ref, chance if published else 0.0)):
            if count > 0:
                rows.append((at.unit[i], at.slot[i], count, s, m, r1, r2, r3, at.kappa[i]))
    frame = pd.DataFrame(rows, columns=["unit", "slot", "n", "s", "m", "r1", "r2", "r3", "k"])
    ns = frame.n * frame.s
    denom, denom_ref = float((ns * frame.m).sum()), float(ns.sum())
    a = {
        "register": float((ns * frame.r1).sum()) / denom if denom > 0 else 0.0,
        "neighbour": float((ns * frame.r2).sum()) / denom_ref if denom_ref > 0 else 0.0,
        "reference": float((ns * frame.r3).sum()) / denom_ref if denom_ref > 0 else 0.0,
    }
    score = 100.0 * (1.0 - math.prod(1.0 - v for v in a.values()))
    frame["r"] = 1 - (1 - frame.r1) * (1 - frame.r2) * (1 - frame.r3)
    return frame, a, score


DESIGNS = [
    Design(),
    Design(granularity="h3:9"),
    Design(min_count=3),
    Design(counts="rounded", granularity="h3:7"),
    Design(counts="banded"),
    Design(counts="noise", noise_seed=3, epsilon=0.7),
    Design(references="truncated"),
    Design(references="full", acknowledge=("full_references",), min_count=2),
    Design(location_weights=(("residential", 0.4), ("public_space", 0.9))),
    Design(sensitivity=(("shoplifting", 1.0),), hidden_groups=("Vehicle crime",)),
    Design(frequency="weekly"),
    Design(frequency="realtime"),
    Design(frequency="realtime", time_precision="timestamp", granularity="h3:7"),
    # shown to the minute, a suppressed update proves nothing: no real-time override
    Design(frequency="realtime", time_precision="timestamp", min_count=2),
    Design(categories=()),  # nothing shown: every attacker's share is 0, not 0/0
    Design(time_precision="quarter", granularity="h3:7"),
]


def _sorted(values):
    return sorted(np.round(np.asarray(values, dtype=float), 12).tolist())


@pytest.mark.parametrize("design", DESIGNS, ids=lambda d: d.fingerprint()[:8])
@pytest.mark.parametrize("where", ["city", "hand"])
def test_evaluate_matches_the_formulas_row_by_row(design, where, city, hand):
    index = city if where == "city" else hand
    ev = evaluate(index, design)
    frame, a, score = restated(index, design)
    assert len(ev.n) == len(frame)
    # the same rows (order aside for the reference split), each with the same chances
    got = list(
        zip(
            ev.unit.tolist(),
            ev.slot.tolist(),
            np.round(ev.n, 9).tolist(),
            np.round(ev.sensitivity, 9).tolist(),
            np.round(ev.m, 9).tolist(),
            np.round(ev.parts["register"], 9).tolist(),
            np.round(ev.parts["neighbour"], 9).tolist(),
            np.round(ev.parts["reference"], 9).tolist(),
            np.round(ev.r, 9).tolist(),
            np.round(ev.kappa, 9).tolist(),
            strict=True,
        )
    )
    want = list(
        zip(
            frame.unit.tolist(),
            frame.slot.tolist(),
            np.round(frame.n, 9).tolist(),
            np.round(frame.s, 9).tolist(),
            np.round(frame.m, 9).tolist(),
            np.round(frame.r1, 9).tolist(),
            np.round(frame.r2, 9).tolist(),
            np.round(frame.r3, 9).tolist(),
            np.round(frame.r, 9).tolist(),
            np.round(frame.k, 9).tolist(),
            strict=True,
        )
    )
    assert sorted(got) == sorted(want)
    assert ev.attacker_scores == pytest.approx({k: 100 * v for k, v in a.items()}, abs=1e-9)
    assert ev.score == pytest.approx(score, abs=1e-9)
    assert ev.linkable == pytest.approx(float((frame.n * frame.r).sum()), abs=1e-9)
    assert (ev.sensitivity[~ev.shown] == 0).all()
    assert ev.published.tolist() == (ev.kappa > 0).tolist()
    assert ev.households_assumed == (not index.has_households)
    assert ev.attack is not None


def test_the_model_says_something_on_these_towns(city, hand):
    # the restatement is only a check if the numbers are not all zero
    assert evaluate(city, Design(granularity="h3:9")).attacker_scores["register"] > 0
    assert evaluate(hand, Design()).attacker_scores["neighbour"] > 0
    full = Design(references="full", acknowledge=("full_references",))
    assert evaluate(city, full).attacker_scores["reference"] == pytest.approx(100.0)
    trunc = evaluate(city, Design(references="truncated"))
    assert trunc.attacker_scores["reference"] == pytest.approx(5.0)
    assert evaluate(city, Design(counts="noise", noise_seed=2)).score > 0


def test_evaluate_reuses_a_given_layer(city):
    design = Design(min_count=2)
    layer = apply_design(city, design)
    assert evaluate(city, design, layer).layer is layer


def test_real_time_updates_prove_every_shown_incident(hand):
    # each update adds one incident: the neighbour learns its group in its unit
    ev = evaluate(hand, Design(frequency="realtime"))
    assert ev.attack is not None
    assert ev.attack.certain == ev.attack.homes > 0
    # a proof counts in full wherever the incident happened (location moderates the
    # register linker only), so the neighbour's part is every shown incident, and the score 100
    assert np.all(ev.parts["neighbour"][ev.shown] == 1.0)
    assert not np.all(ev.m[ev.shown] == 1.0)  # public places among them, weighed the same
    assert ev.attacker_scores["neighbour"] == pytest.approx(100.0)
    assert ev.score == pytest.approx(100.0)


def test_the_attack_says_when_releases_are_finer_than_the_map(city):
    note = (
        "The map is updated weekly but shows months: an attacker who keeps every release "
        "reads each release window by differencing (¶34), and the figures are for that."
    )
    weekly = evaluate(city, Design(frequency="weekly"))
    assert weekly.attack is not None and note in weekly.attack.notes
    monthly = evaluate(city, Design())
    assert monthly.attack is not None
    assert not any("but shows" in n for n in monthly.attack.notes)


def test_the_attacker_holds_the_release_window(city):
    monthly = apply_design(city, Design())
    assert attacked_layers(city, monthly) == [monthly]
    realtime = apply_design(city, Design(frequency="realtime"))
    assert attacked_layers(city, realtime) == [realtime]
    weekly = apply_design(city, Design(frequency="weekly"))
    (held,) = attacked_layers(city, weekly)
    assert held.display_level == "week"
    assert held.design.time_precision == "week"
    assert held.design.granularity == weekly.design.granularity


# --- verdicts --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("score", "want"),
    [(0, "green"), (19.99, "green"), (20, "amber"), (49.9, "amber"), (50, "red"), (100, "red")],
)
def test_verdict_for_the_design_s_lines(score, want):
    assert verdict_for(score, Design()) == want
    assert verdict_for(np.float64(score), Design()) == want


@pytest.mark.parametrize("bad", [float("nan"), -0.01, 100.01, "12", None, float("inf")])
def test_a_score_that_is_not_a_number_from_0_to_100_gets_no_verdict(bad):
    with pytest.raises(CrimedashError, match="not a number from 0 to 100") as err:
        verdict_for(bad, Design())
    assert repr(bad) in str(err.value)
    assert "docs/design-settings.md" in str(err.value.hint)


def _held(city, certain, small):
    ev = evaluate(city, Design(green_below=100, red_from=100, certain_line=0.2))
    assert ev.attack is not None
    return replace(
        ev,
        attack=replace(
            ev.attack, certain_weighted=certain, homes_weighted=1.0, small_unit_cells=small
        ),
    )


def test_gates_at_their_lines(city):
    assert gate_reasons(_held(city, 0.1999, 0)) == []
    assert verdict(_held(city, 0.1999, 0)) == "green"
    (reason,) = gate_reasons(_held(city, 0.2, 0))
    assert reason == (
        "a neighbour can prove the crime group of 20.0% of incidents at homes "
        "(sensitivity-weighted), at or above the line of 20.0%"
    )
    assert verdict(_held(city, 0.2, 0)) == "amber"
    (reason,) = gate_reasons(_held(city, 0.0, 1234))
    assert reason == (
        "1,234 published cells are proven non-empty in units of fewer than 10 households (¶19, ¶21)"
    )
    assert len(gate_reasons(_held(city, 0.5, 2))) == 2
    ev = replace(_held(city, 0.5, 2), attack=None)
    assert gate_reasons(ev) == []
    assert verdict(ev) == "green"


def test_certain_disclosures_at_the_red_line_make_the_verdict_red(city):
    """The red line applies to the attack's certain share too, in per cent: under it the
    design stays where its score and amber gates put it; at it, red, with the reason."""
    red = Design(green_below=50, red_from=50, certain_line=0.2)

    def held(certain):
        e = _held(city, certain, 0)
        # a score of 10: green by the score alone
        return replace(e, layer=replace(e.layer, design=red), score=10.0)

    assert red_reason(held(0.4999)) == ""
    assert verdict(held(0.4999)) == "amber"  # the amber gate: 50% over its 20% line
    assert red_reason(held(0.5)) == (
        "a neighbour can prove the crime group of 50.0% of incidents at homes "
        "(sensitivity-weighted), at or above the red line of 50%"
    )
    assert verdict(held(0.5)) == "red"
    assert verdict(replace(held(0.5), attack=None)) == "green"
    # nothing proven is never red by the share, even with a red line of 0
    zero = _held(city, 0.0, 0)
    zero = replace(zero, layer=replace(zero.layer, design=Design(green_below=0, red_from=0)))
    assert red_reason(zero) == ""


def test_a_gate_never_softens_a_worse_verdict(city):
    ev = evaluate(city, Design(green_below=0, red_from=0, certain_line=0))
    assert verdict(replace(ev, score=0.0)) == "red"
    ev = evaluate(city, Design(green_below=0, red_from=100, certain_line=1))
    assert verdict(replace(ev, score=0.0)) == "amber"


# --- what the analyst reads --------------------------------------------------------------
def _rows(ev, **cols):
    n = len(next(iter(cols.values())))
    base = dict(
        unit=np.zeros(n, dtype=np.int64),
        dwin=np.zeros(n, dtype=np.int64),
        slot=np.zeros(n, dtype=np.int64),
        n=np.ones(n),
        kappa=np.ones(n),
        shown=np.ones(n, dtype=bool),
        sensitivity=np.ones(n),
        r=np.zeros(n),
    )
    base.update(cols)
    parts = base.pop("parts", None) or {
        "register": base["r"],
        "neighbour": np.zeros(n),
        "reference": np.zeros(n),
    }
    return replace(ev, parts=parts, **base)


def test_matrix_by_hand(hand):
    ev = _rows(
        evaluate(hand, Design()),
        r=np.array([0.0, 0.049, 0.05, 0.29, 0.3, 0.9, 0.9]),
        sensitivity=np.array([0.1, 0.3, 0.29, 0.7, 0.69, 1.0, 1.0]),
        n=np.array([1.0, 2, 3, 4, 5, 6, 7.4]),
        kappa=np.array([1.0, 1, 1, 1, 1, 1, 0]),
    )
    got = matrix(ev)
    assert list(got.columns) == ["likelihood", "severity", "incidents", "risk"]
    cells = {(r.likelihood, r.severity): (r.incidents, r.risk) for r in got.itertuples()}
    assert cells == {
        ("remote", "minimal"): (1, "low"),
        ("remote", "significant"): (2, "low"),
        ("remote", "severe"): (0, "medium"),
        ("possible", "minimal"): (3, "low"),
        ("possible", "significant"): (0, "medium"),
        ("possible", "severe"): (4, "high"),
        ("probable", "minimal"): (0, "medium"),
        ("probable", "significant"): (5, "high"),
        ("probable", "severe"): (6, "high"),  # the unpublished 7.4 are not counted
    }
    assert [tuple(r) for r in got[["likelihood", "severity"]].to_numpy()][:3] == [
        ("remote", "minimal"),
        ("remote", "significant"),
        ("remote", "severe"),
    ]


def test_unit_risk_by_hand(hand):
    # unit 0: rows r 0.2 (group 1, 2 incidents) and 0.5 (group 0, 1 incident); unit 1
    # in another window; an unpublished and a hidden row that never count
    ev = _rows(
        evaluate(hand, Design()),
        unit=np.array([0, 0, 1, 0, 0]),
        dwin=np.array([0, 0, 2, 0, 0]),
        slot=np.array([1, 0, 2, 2, 2]),
        n=np.array([2.0, 1.0, 3.0, 5.0, 5.0]),
        r=np.array([0.2, 0.5, 0.1, 0.9, 0.9]),
        kappa=np.array([1.0, 1.0, 1.0, 0.0, 1.0]),
        shown=np.array([True, True, True, True, False]),
        sensitivity=np.array([1.0, 1.0, 1.0, 1.0, 0.0]),
        parts={
            "register": np.array([0.2, 0.1, 0.0, 0.9, 0.9]),
            "neighbour": np.array([0.0, 0.4, 0.1, 0.0, 0.0]),
            "reference": np.zeros(5),
        },
    )
    got = unit_risk(ev)
    assert list(got.columns) == ["code", "r", "incidents", "group", "attacker"]
    assert got.to_dict(orient="list") == {
        "code": [0, 1],
        "r": [0.5, 0.1],
        "incidents": [3, 3],
        # unit 0: group 0 carries 1 x 0.5 = 0.5 of the score, group 1 2 x 0.2 = 0.4
        "group": [0, 2],
        # unit 0: register 2 x 0.2 + 1 x 0.1 = 0.5 > neighbour 1 x 0.4
        "attacker": ["register", "neighbour"],
    }
    one = unit_risk(ev, window_key=ev.layer.display_origin + 2)
    assert one["code"].tolist() == [1]
    empty = unit_risk(ev, window_key=ev.layer.display_origin + 7)
    assert empty.empty and list(empty.columns) == ["code", "r", "incidents", "group", "attacker"]


def test_unit_risk_breaks_a_tie_by_the_first_group(hand):
    ev = _rows(
        evaluate(hand, Design()),
        slot=np.array([2, 1]),
        r=np.array([0.3, 0.3]),
        n=np.array([1.4, 1.4]),
    )
    got = unit_risk(ev)
    assert got["group"].tolist() == [1]
    assert got["incidents"].tolist() == [3]  # 2.8 rounded


def test_drivers_rank_units_by_their_share_of_the_score(city):
    ev = evaluate(city, Design(granularity="h3:9"))
    got = drivers(city, ev, top=3)
    assert list(got.columns) == [
        S.UNIT,
        "contribution",
        S.HOUSEHOLDS,
        "incidents",
        "top_group",
        "main_attacker",
        "max_r",
    ]
    w = ev.n * ev.sensitivity * ev.r
    share = pd.Series(w).groupby(ev.unit).sum() / w.sum()
    share = share[share > 0].sort_values(ascending=False, kind="stable")
    top = share.head(3)
    assert len(got) == 3
    assert got["contribution"].tolist() == pytest.approx(top.round(4).tolist())
    units = ev.layer.units
    codes = top.index.to_numpy()
    assert got[S.UNIT].tolist() == units.labels(city, codes)
    assert got[S.HOUSEHOLDS].tolist() == np.round(units.households[codes], 1).tolist()
    per = unit_risk(ev).set_index("code")
    assert got["incidents"].tolist() == per.loc[codes, "incidents"].tolist()
    assert got["max_r"].tolist() == per.loc[codes, "r"].round(3).tolist()
    assert got["main_attacker"].tolist() == per.loc[codes, "attacker"].tolist()
    groups = ev.layer.grouping.groups
    assert got["top_group"].tolist() == [groups[int(g)] for g in per.loc[codes, "group"]]
    assert len(drivers(city, ev)) == min(10, len(share))


def test_drivers_of_a_layer_with_nothing_to_drive(hand):
    ev = evaluate(hand, Design(min_count=50, totals=False))
    assert drivers(hand, ev).empty
    hidden = evaluate(hand, Design(categories=()))
    assert drivers(hand, hidden).empty
    assert drivers(hand, hidden).columns[0] == S.UNIT


def test_the_assessment_record_s_words_and_rounding():
    a = Assessment(
        design=Design(),
        score=12.3456,
        verdict="green",
        sentence="s",
        incidents=10,
        shown_incidents=9,
        published_incidents=8,
        linkable_incidents=1.23456,
        high_risk_share=0.123456,
        worst_case={"w": 1},
        attackers={"register": 1.2345},
        matrix=pd.DataFrame({"a": [1]}),
        drivers=pd.DataFrame({"b": [2]}),
        utility={"u": 0.123456, "k": 3},
        attack={"certain_share_weighted": 0.0123456},
        gates=["g"],
    )
    assert a.certain_share == 0.0123456
    assert a.to_dict() == {
        "score": 12.35,
        "verdict": "green",
        "sentence": "s",
        "incidents": 10,
        "shown_incidents": 9,
        "published_incidents": 8,
        "linkable_incidents": 1.235,
        "high_risk_share": 0.1235,
        "worst_case": {"w": 1},
        "attackers": {"register": 1.23},
        "matrix": [{"a": 1}],
        "drivers": [{"b": 2}],
        "factors": [],
        "what_ifs": [],
        "utility": {"u": 0.1235, "k": 3},
        "findings": [],
        "assumptions": [],
        "attack": {"certain_share_weighted": 0.0123456},
        "certain_share_weighted": 0.0123,
        "gates": ["g"],
        "red_gate": "",
        "design": Design().to_dict(public=True),
    }
    assert replace(a, attack={}).certain_share == 0.0
