"""Factors, what-ifs, utility and the frontier: every number is another design's
exact score."""

from __future__ import annotations

import pytest
from enginekit import make_index

from crimedash.advice import factors, frontier, utility, what_ifs
from crimedash.design import Design
from crimedash.risk import evaluate


@pytest.fixture(scope="module")
def index():
    return make_index(21, n=500, n_households=300, areas=True)


def test_what_ifs_are_exact_scores_of_single_changes(index):
    design = Design(granularity="h3:10", frequency="weekly", time_precision="week")
    ev = evaluate(index, design)
    rows = what_ifs(index, design, ev)
    assert rows, "a fine weekly design has something to improve"
    assert [r["score"] for r in rows] == sorted(r["score"] for r in rows)
    for row in rows:
        alt = Design.from_dict({**design.to_dict(), **row["changes"]})
        assert evaluate(index, alt).score == pytest.approx(row["score"], abs=0.05)
        assert row["score"] < ev.score
        assert row["cost_text"]


def test_factor_effects_compare_with_the_most_revealing_setting(index):
    design = Design(granularity="h3:8", frequency="quarterly", time_precision="quarter")
    ev = evaluate(index, design)
    by_name = {f["factor"]: f for f in factors(index, design, ev)}
    assert by_name["frequency"]["from"] >= by_name["frequency"]["to"]
    assert "quarterly instead of monthly" in by_name["frequency"]["text"]
    assert by_name["counts"]["effect"] == 0  # exact counts are already the most revealing
    assert "already the most revealing" in by_name["counts"]["text"]


def test_utility_measures(index):
    ev = evaluate(index, Design(granularity="h3:8"))
    u = utility(index, ev)
    assert u["share_published"] == pytest.approx(1.0)
    assert u["count_error"] == 0
    assert 0 <= u["hotspots_kept"] <= 1
    suppressed = utility(index, evaluate(index, Design(granularity="h3:8", min_count=5)))
    assert suppressed["share_published"] < 1
    banded = utility(index, evaluate(index, Design(granularity="h3:8", counts="banded")))
    assert banded["count_error"] > 0


def test_frontier_marks_efficient_designs(index):
    df = frontier(index, Design())
    assert {"granularity", "frequency", "score", "detail", "efficient"} <= set(df.columns)
    assert df["efficient"].any()
    eff = df[df["efficient"]]
    for _, row in eff.iterrows():  # nothing is both lower-risk and more detailed
        better = df[(df["score"] < row["score"]) & (df["detail"] > row["detail"])]
        assert better.empty


def test_no_what_if_moves_to_a_design_the_attack_shows_exposes_more(sample_dataset):
    """On the sample city, from designs analysts end up with, every suggestion lowers
    the score and the simulation gets no more from it (certain or narrowed)."""
    from crimedash.advice import exposes_more

    index = sample_dataset.index
    for design in (
        Design(granularity="h3:10", min_count=3),
        Design(granularity="adaptive:8", frequency="weekly", time_precision="week"),
        Design(granularity="areas:output_areas", counts="banded"),
    ):
        ev = evaluate(index, design)
        for row in what_ifs(index, design, ev):
            alt = evaluate(index, Design.from_dict({**design.to_dict(), **row["changes"]}))
            assert not exposes_more(alt, ev), row["label"]
            assert alt.attack.certain_share_weighted <= ev.attack.certain_share_weighted


def test_advise_reports_each_other_design_and_matches_the_full_assessment(index):
    """Score first, advice after: `advise` on the score's own evaluation gives what
    `assess` gives, and says before each of the other designs what it is trying."""
    from crimedash import advice
    from crimedash.assessment import advise, assess

    design = Design(granularity="h3:10", frequency="weekly", time_precision="week")
    ev = evaluate(index, design)
    seen = []
    got = advise(index, design, ev, progress=lambda d, t, label: seen.append((d, t, label)))
    full = assess(index, design)
    assert got == (full.factors, full.what_ifs)
    total = advice.n_alternatives(index, design, ev)
    assert [d for d, _, _ in seen] == list(range(total + 1))  # each step, then done
    assert {t for _, t, _ in seen} == {total}
    assert seen[-1][2] == "done"


def test_advise_stops_between_evaluations_when_cancelled(index, monkeypatch):
    from crimedash import advice
    from crimedash.assessment import advise
    from crimedash.cancel import Cancelled

    design = Design(granularity="h3:9")
    ev = evaluate(index, design)
    calls = []
    real = advice.score
    monkeypatch.setattr(advice, "score", lambda i, d: calls.append(d) or real(i, d))

    def progress(done, total, label):
        if done == 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        advise(index, design, ev, progress=progress)
    assert len(calls) == 2  # the two started before the cancel, none after


def test_assess_reuses_the_evaluation_it_is_given(index, monkeypatch):
    """The app hands `assess` the map's evaluation: a control change costs one
    evaluation, not two."""
    from crimedash import assessment

    design = Design(granularity="h3:9")
    ev = evaluate(index, design)
    expected = assessment.assess(index, design, with_what_ifs=False)

    def evaluate_again(*_):
        raise AssertionError("evaluated a second time")

    monkeypatch.setattr(assessment, "evaluate", evaluate_again)
    a = assessment.assess(index, design, with_what_ifs=False, evaluation=ev)
    assert (a.score, a.verdict, a.what_ifs, a.factors) == (
        expected.score,
        expected.verdict,
        [],
        [],
    )


def test_the_advice_lets_other_units_go_and_keeps_the_designs():
    """Each other granularity is tried once (a factor or a what-if), so its cached
    blocks are dropped after it; the design's own units stay for the count-only
    alternatives. Only memory changes: the rows are those of a cold cache."""
    design = Design(granularity="h3:9", min_count=3)
    cold = make_index(21, n=500, n_households=300, areas=True)
    index = make_index(21, n=500, n_households=300, areas=True)
    ev = evaluate(index, design)
    assert factors(index, design, ev) == factors(cold, design, evaluate(cold, design))
    assert what_ifs(index, design, ev) == what_ifs(cold, design, evaluate(cold, design))
    tried = {"h3:10", "h3:8", *(f"areas:{name}" for name in index.areas)}
    grans = {k[1] for k in index.cache if isinstance(k, tuple) and len(k) > 1}
    assert "h3:9" in grans
    assert not grans & tried


def test_an_index_that_keeps_alternatives_keeps_their_units():
    """The app's index keeps what the advice built for other granularities (the
    analyst's next change is often one of them); the rows are the same either way."""
    design = Design(granularity="h3:9", min_count=3)
    lean = make_index(21, n=500, n_households=300, areas=True)
    index = make_index(21, n=500, n_households=300, areas=True)
    index.keep_alternatives = True
    ev = evaluate(index, design)
    assert factors(index, design, ev) == factors(lean, design, evaluate(lean, design))
    assert what_ifs(index, design, ev) == what_ifs(lean, design, evaluate(lean, design))
    grans = {k[1] for k in index.cache if isinstance(k, tuple) and len(k) > 1}
    assert {"h3:9", "h3:10", "h3:8"} <= grans
