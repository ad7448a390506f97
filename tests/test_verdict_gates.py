"""The verdict's gates (risk.verdict, risk.gate_reasons): a design that scores green is
held at amber while the simulated attack proves too much, and a gate never softens a
worse verdict. The thresholds are the design's own, so each case sets them to put the
score on the side it needs; the index is a small synthetic town (tests/enginekit.py).

Written for mutation testing (issue 15): test_risk's and test_layer's fast tests let
every one-line change of `verdict` through (an `and` made `or`, `==` made `!=`, the
attack check inverted), since none of them put a gated design on each side of the line.
"""

from __future__ import annotations

import pytest
from enginekit import make_index

from crimedash.design import Design
from crimedash.risk import evaluate, gate_reasons, verdict, verdict_for


@pytest.fixture(scope="module")
def index():
    return make_index(3, n=80, n_households=60)


def test_a_green_score_with_a_proof_over_the_line_is_held_at_amber(index):
    # every score is under 100, so green by the score; a certain line of 0 is always met
    ev = evaluate(index, Design(granularity="h3:9", green_below=100, red_from=100, certain_line=0))
    assert verdict_for(ev.score, ev.layer.design) == "green"
    reasons = gate_reasons(ev)
    assert reasons and "prove the crime group" in reasons[0]
    assert verdict(ev) == "amber"


def test_a_green_score_with_nothing_over_the_lines_stays_green(index):
    design = Design(
        granularity="h3:9", green_below=100, red_from=100, certain_line=1, min_households=0
    )
    ev = evaluate(index, design)
    assert ev.attack is not None
    assert ev.attack.certain_share_weighted < 1
    assert gate_reasons(ev) == []
    assert verdict(ev) == "green"


def test_a_gate_never_softens_a_red_score(index):
    # every score is at least 0, so red by the score; the gates hold too
    ev = evaluate(index, Design(granularity="h3:9", green_below=0, red_from=0, certain_line=0))
    assert gate_reasons(ev)
    assert verdict(ev) == "red"


def test_small_units_hold_a_green_score_at_amber(index):
    """The second gate: a proven non-empty cell in a unit of fewer households than
    min_households (here more than any unit holds)."""
    design = Design(
        granularity="h3:9", green_below=100, red_from=100, certain_line=1, min_households=1e6
    )
    ev = evaluate(index, design)
    reasons = gate_reasons(ev)
    assert ev.attack.small_unit_cells > 0
    assert any("proven non-empty in units of fewer than" in r for r in reasons)
    assert verdict(ev) == "amber"


def test_a_certain_share_exactly_on_the_line_holds_the_verdict(index):
    """The line is 'at or above': a share equal to it holds the design at amber."""
    loose = Design(granularity="h3:9", green_below=100, red_from=100, min_households=0)
    share = evaluate(index, loose.with_(certain_line=1)).attack.certain_share_weighted
    assert share > 0
    ev = evaluate(index, loose.with_(certain_line=share))
    assert ev.attack.certain_share_weighted == share
    assert gate_reasons(ev) and verdict(ev) == "amber"
