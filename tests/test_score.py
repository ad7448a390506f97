"""The score worked out a block of units at a time (`crimedash.score`) is `evaluate`'s,
bit for bit (issue 16: the advice scores a dozen other designs, and at 60M rows the
finest one's per-atom arrays were export's peak memory).

The blocks are made tiny so that the sample city is cut in dozens of them; the
designs cover each branch of the row arithmetic: references (rows split by whether they
carry one), noise (the register linker's bound), real-time updates (every update
proven), a partial extract (the attendance denominator) and hidden groups."""

from __future__ import annotations

import pytest

from crimedash import score as score_module
from crimedash.design import Design
from crimedash.risk import evaluate
from crimedash.score import score

DESIGNS = {
    "h3:8 monthly, suppressed": Design(granularity="h3:8", min_count=3),
    "h3:9 weekly, truncated references": Design(
        granularity="h3:9", frequency="weekly", references="truncated"
    ),
    "full references, banded": Design(
        granularity="h3:8", references="full", counts="banded", acknowledge=("full_references",)
    ),
    "noise": Design(granularity="h3:8", counts="noise", epsilon=1.0),
    "real time": Design(granularity="h3:8", frequency="realtime", time_precision="month"),
    "partial extract, grid": Design(granularity="grid:250", all_recorded_crime=False),
    "hidden group, rounded": Design(
        granularity="h3:9", counts="rounded", hidden_groups=("Burglary",)
    ),
}


def _same(index, design: Design, block: int) -> None:
    ev = evaluate(index, design)
    got = score(index, design, ev.layer, block=block)
    assert got.score == ev.score
    assert got.attacker_scores == ev.attacker_scores
    assert got.linkable == ev.linkable
    assert got.households_assumed == ev.households_assumed
    assert got.attack == ev.attack  # every count, weighted sum, row and sentence


@pytest.mark.parametrize("name", list(DESIGNS))
@pytest.mark.parametrize("block", [1, 97, score_module.BLOCK])
def test_score_in_blocks_equals_evaluate(sample_dataset, name, block):
    index = sample_dataset.index
    _same(index, DESIGNS[name], block)


def test_tiny_blocks_cut_the_layer_in_dozens(sample_dataset):
    """The test above really scores block by block: a block holds whole units, and the
    sample's atoms span about a hundred hexagons at h3:8 (four hundred at h3:9)."""
    from crimedash.attack import _blocks
    from crimedash.layer import apply_design

    layer = apply_design(sample_dataset.index, DESIGNS["h3:8 monthly, suppressed"])
    assert len(_blocks([layer], 1)) > 80
    assert len(_blocks([layer], 97)) > 40
