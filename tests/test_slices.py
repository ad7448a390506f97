"""Atoms grouped slice by slice equal atoms grouped in one pass (issue 16: at 60M rows
the one-pass grouping's per-incident temporaries alone were about 2.4 GB).

`_build_base` groups a few million incidents at a time and merges the slices' atoms;
these tests make the slices tiny so that the sample city is cut in dozens of them, and
check every field of the result against the one-slice build, on both of its counting
paths (marking a small key space, and ranking (unit, window) pairs first)."""

from __future__ import annotations

import numpy as np
import pytest

from crimedash import atoms
from crimedash.design import parse_granularity
from crimedash.units import units_for


def _base(index, granularity: str, level: str) -> atoms.Base:
    units = units_for(index, parse_granularity(granularity), 1000.0)
    return atoms._build_base(index, units, level)


@pytest.mark.parametrize(
    ("granularity", "level"), [("h3:8", "month"), ("h3:9", "week"), ("grid:250", "day")]
)
@pytest.mark.parametrize("dense_limit", [atoms.DENSE_LIMIT, 64])
def test_sliced_atoms_equal_one_pass(sample_dataset, monkeypatch, granularity, level, dense_limit):
    index = sample_dataset.index
    monkeypatch.setattr(atoms, "DENSE_LIMIT", dense_limit)
    whole = _base(index, granularity, level)
    monkeypatch.setattr(atoms, "_SLICE", 997)  # dozens of slices, with ragged ends
    sliced = _base(index, granularity, level)
    assert index.n > 20 * 997
    for name in ("incident_atom", "uwr", "unit", "rwin", "cat", "loc", "n"):
        assert np.array_equal(getattr(sliced, name), getattr(whole, name)), name
    assert sliced.n_uw == whole.n_uw
    assert np.array_equal(sliced.n_ref(index), whole.n_ref(index))
    assert int(sliced.n.sum()) == index.n
    # the atom each incident is counted in holds its own unit, category and location
    assert np.array_equal(sliced.cat[sliced.incident_atom], index.category_code)
    assert np.array_equal(sliced.loc[sliced.incident_atom], index.location_code)
    # references are counted as the incidents that have one
    assert int(sliced.n_ref(index).sum()) == int(index.has_reference.sum())


def test_windows_are_counted_without_a_whole_column(sample_dataset):
    """The window count and origin come from the keys' range; codes are made per slice."""
    index = sample_dataset.index
    for level in ("day", "week", "month", "quarter"):
        w = atoms.windows_at(index, level)
        keys = index.time_keys[level]
        assert (w.origin, w.n) == (int(keys.min()), int(keys.max() - keys.min()) + 1)
        assert np.array_equal(w.codes(10, 500), keys[10:500] - w.origin)


@pytest.mark.parametrize("all_recorded_crime", [True, False])
def test_the_attack_summed_in_family_blocks_equals_one_block(
    sample_dataset, monkeypatch, all_recorded_crime
):
    """The Bayes neighbour's per-family sums, made a block of families at a time, give
    the same outcome bit for bit (each family's sums are its own row's)."""
    from dataclasses import fields

    from crimedash import attack, proof
    from crimedash.design import Design
    from crimedash.layer import apply_design

    index = sample_dataset.index
    design = Design(
        granularity="h3:9",
        frequency="weekly",
        counts="rounded",
        min_count=2,
        all_recorded_crime=all_recorded_crime,
    )
    layer = apply_design(index, design)
    whole = attack.outcome(index, [layer])
    monkeypatch.setattr(proof, "FAMILY_BLOCK", 5)
    blocked = attack.outcome(index, [layer])
    for f in fields(whole):
        a, b = getattr(whole, f.name), getattr(blocked, f.name)
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b), f.name
    assert (whole.posterior > 0).any()


# --- the attack a block of whole units at a time ------------------------------------------
from enginekit import make_index  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

BLOCKED_DESIGNS = st.sampled_from(
    [
        {"granularity": "h3:9", "frequency": "monthly"},
        {"granularity": "h3:10", "frequency": "daily", "min_count": 2},
        {"granularity": "h3:9", "frequency": "weekly", "time_precision": "month", "min_count": 3},
        {"granularity": "h3:10", "frequency": "monthly", "counts": "rounded", "round_base": 3},
        {"granularity": "h3:9", "frequency": "monthly", "counts": "banded", "bands": (1, 3, 6)},
        {"granularity": "h3:9", "frequency": "monthly", "min_count": 2, "totals": False},
        {"granularity": "h3:9", "frequency": "monthly", "all_recorded_crime": False},
        {"granularity": "grid:250", "frequency": "monthly", "min_count": 2},
        {"granularity": "h3:9", "counts": "noise", "epsilon": 1.0, "noise_seed": 11},
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), block=st.integers(1, 40), control=BLOCKED_DESIGNS)
def test_the_attack_in_blocks_of_units_equals_one_pass(seed, block, control):
    """Every atom's outcome depends only on its own (unit, window) family's published
    cells and on what is known before the map (the wider area's group mix), so the
    attack run a few atoms' worth of whole units at a time gives, bit for bit, what one
    pass over the layer gives, and so does the score built on it."""
    from dataclasses import fields

    from crimedash import attack
    from crimedash.design import Design
    from crimedash.layer import apply_design
    from crimedash.risk import attacked_layers, evaluate

    index = make_index(seed, n=150)
    design = Design(**control)
    layers = attacked_layers(index, apply_design(index, design))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(attack, "_ATOM_BLOCK", 1 << 40)
        whole = attack.outcome(index, layers)
        whole_ev = evaluate(index, design, layers[0] if len(layers) == 1 else None)
        assert len(attack._blocks(layers, attack._ATOM_BLOCK)) == 1
        m.setattr(attack, "_ATOM_BLOCK", block)
        blocked = attack.outcome(index, layers)
        blocked_ev = evaluate(index, design, layers[0] if len(layers) == 1 else None)
        blocks = attack._blocks(layers, block)
    # the blocks cover the atoms once, in order, and never split a unit
    at = layers[0].atoms
    assert [b[0] for b in blocks] == [0] + [b[1] for b in blocks[:-1]]
    assert blocks[-1][1] == len(at.n)
    for a0, _ in blocks[1:]:
        assert at.unit[a0] != at.unit[a0 - 1]
    for f in fields(whole):
        a, b = getattr(whole, f.name), getattr(blocked, f.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b), f.name
    assert blocked_ev.score == whole_ev.score
    assert blocked_ev.attack == whole_ev.attack
    for name, part in whole_ev.parts.items():
        assert np.array_equal(blocked_ev.parts[name], part), name
