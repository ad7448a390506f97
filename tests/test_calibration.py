"""Calibration on the bundled sample city: the orderings the design note asks for."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from crimedash.design import Design, parse_granularity
from crimedash.risk import evaluate, verdict_for
from crimedash.units import units_for

LADDER = [
    (
        "household pins, real time",
        Design(
            granularity="h3:15",
            frequency="realtime",
            time_precision="timestamp",
            acknowledge=("household_pins",),
        ),
    ),
    (
        "adaptive units of 8 households, monthly",
        Design(granularity="adaptive:8", frequency="monthly", time_precision="month"),
    ),
    (
        "output areas (40+ households), monthly",
        Design(granularity="areas:output_areas", frequency="monthly", time_precision="month"),
    ),
    (
        "neighbourhoods (several hundred households), monthly",
        Design(granularity="areas:neighbourhoods", frequency="monthly", time_precision="month"),
    ),
    (
        "neighbourhoods, quarterly",
        Design(granularity="areas:neighbourhoods", frequency="quarterly", time_precision="quarter"),
    ),
]


@pytest.fixture(scope="module")
def ladder(sample_dataset):
    return [(name, design, evaluate(sample_dataset.index, design)) for name, design in LADDER]


def test_household_pins_in_real_time_are_red_and_at_least_90(ladder):
    _, design, ev = ladder[0]
    assert ev.score >= 90
    assert verdict_for(ev.score, design) == "red"


def test_scores_fall_strictly_along_the_ladder(ladder):
    scores = [ev.score for _, _, ev in ladder]
    for (a, _, ea), (b, _, eb) in itertools.pairwise(ladder):
        assert ea.score > eb.score, f"{a} ({ea.score:.1f}) should score above {b} ({eb.score:.1f})"
    assert scores == sorted(scores, reverse=True)


def test_publishing_nothing_scores_zero(sample_dataset):
    index = sample_dataset.index
    everything = tuple(evaluate(index, Design()).layer.grouping.groups)
    ev = evaluate(index, Design(hidden_groups=everything))
    assert ev.score == 0 and ev.linkable == 0


def test_sample_areas_hold_the_households_the_ladder_claims(sample_dataset):
    index = sample_dataset.index
    oa = index.areas["output_areas"].households
    nb = index.areas["neighbourhoods"].households
    assert oa.min() >= 40
    assert np.median(nb) >= 300


@pytest.mark.parametrize("k", [8, 40])
def test_adaptive_units_partition_space_and_hold_k_households(sample_dataset, k):
    index = sample_dataset.index
    units = units_for(index, parse_granularity(f"adaptive:{k}"), 1500.0)
    assert (units.incident_unit >= 0).all()  # every incident in exactly one unit
    assert units.households.sum() == pytest.approx(index.total_households)
    inc = np.bincount(units.incident_unit, minlength=units.n)
    private = np.bincount(units.incident_unit, weights=index.private_mask, minlength=units.n)
    nobody_home = (units.households == 0) & (private == 0)
    short = (inc > 0) & (units.households < k) & ~nobody_home
    # only a whole base cell (nothing coarser exists) may fall short
    assert short.sum() <= 1
