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


@pytest.mark.parametrize("counts", ["exact", "rounded", "banded"])
def test_proofs_propagated_in_blocks_equal_one_block(sample_dataset, monkeypatch, counts):
    """Each (unit, window) family's total is its own constraint, so propagating the
    proofs a block of families at a time proves exactly what one pass proves."""
    from dataclasses import fields

    from crimedash import attack, proof
    from crimedash.design import Design
    from crimedash.layer import apply_design

    index = sample_dataset.index
    design = Design(granularity="h3:9", frequency="weekly", counts=counts, min_count=3)
    layer = apply_design(index, design)
    whole = attack.outcome(index, [layer])
    monkeypatch.setattr(proof, "_BLOCK", 7)
    blocked = attack.outcome(index, [layer])
    assert layer.atoms.n_uw > 50 * 7
    for f in fields(whole):
        a, b = getattr(whole, f.name), getattr(blocked, f.name)
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b), f.name
    assert whole.proven.any()


@pytest.mark.parametrize("all_recorded_crime", [True, False])
def test_the_attack_summed_in_family_blocks_equals_one_block(
    sample_dataset, monkeypatch, all_recorded_crime
):
    """The Bayes neighbour's per-family sums, made a block of families at a time, give
    the same outcome bit for bit (each family's sums are its own row's)."""
    from dataclasses import fields

    from crimedash import attack
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
    monkeypatch.setattr(attack, "_FAMILY_BLOCK", 5)
    blocked = attack.outcome(index, [layer])
    for f in fields(whole):
        a, b = getattr(whole, f.name), getattr(blocked, f.name)
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b), f.name
    assert (whole.posterior > 0).any()
