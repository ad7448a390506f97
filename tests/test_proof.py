"""The proof's total propagation: the active-set loop (only families that still move
are worked on) must give exactly what the plain loop over every family gives, and the
proof worked on the published cells (`prove`) exactly what the plain propagation over a
(families x groups) table gives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crimedash.proof import Rules, _propagate, _tighten, family_sums, prove


def plain(lo, hi, t_lo, t_hi, rounds):
    """The sum constraint applied to every family each round, stopping when nothing
    changes: the definition the active-set loop must match."""
    for _ in range(rounds):
        n_lo, n_hi, nt_lo, nt_hi = _tighten(lo, hi, t_lo, t_hi)
        if all(
            np.array_equal(a, b) for a, b in ((n_lo, lo), (n_hi, hi), (nt_lo, t_lo), (nt_hi, t_hi))
        ):
            break
        lo, hi, t_lo, t_hi = n_lo, n_hi, nt_lo, nt_hi
    return lo, hi, t_lo, t_hi


def test_tighten_worked_example():
    # two groups, one shown exactly (3), the other suppressed [0, inf); total shown as 5:
    # the other must be exactly 2, and the total stays 5
    lo, hi, t_lo, t_hi = _tighten(
        np.array([[3.0, 0.0]]), np.array([[3.0, np.inf]]), np.array([5.0]), np.array([5.0])
    )
    assert lo.tolist() == [[3.0, 2.0]] and hi.tolist() == [[3.0, 2.0]]
    assert (t_lo.tolist(), t_hi.tolist()) == ([5.0], [5.0])


bound = st.one_of(st.integers(0, 6).map(float), st.just(np.inf))


@st.composite
def families(draw):
    f = draw(st.integers(1, 12))
    g = draw(st.integers(1, 4))
    lo = np.array(draw(st.lists(st.integers(0, 4), min_size=f * g, max_size=f * g)), float)
    extra = np.array(draw(st.lists(bound, min_size=f * g, max_size=f * g)))
    t_lo = np.array(draw(st.lists(st.integers(0, 12), min_size=f, max_size=f)), float)
    t_extra = np.array(draw(st.lists(bound, min_size=f, max_size=f)))
    return lo.reshape(f, g), (lo + extra).reshape(f, g), t_lo, t_lo + t_extra


@settings(max_examples=200)
@given(families(), st.integers(1, 6))
def test_active_set_equals_plain_loop(fam, rounds):
    lo, hi, t_lo, t_hi = fam
    want = plain(lo, hi, t_lo, t_hi, rounds)
    got = _propagate(lo, hi, t_lo, t_hi, rounds)
    for w, g in zip(want, got, strict=True):
        np.testing.assert_array_equal(g, w)


any_bound = st.one_of(st.integers(-2, 9).map(float), st.just(np.inf))


@st.composite
def any_families(draw):
    """Families with no promise of consistency: a cell's or the total's interval may be
    empty, or the total may miss the cells' sums (a sound layer never gives these)."""
    f = draw(st.integers(1, 10))
    g = draw(st.integers(1, 4))
    lo = np.array(draw(st.lists(st.integers(-1, 6), min_size=f * g, max_size=f * g)), float)
    hi = np.array(draw(st.lists(any_bound, min_size=f * g, max_size=f * g)))
    t_lo = np.array(draw(st.lists(st.integers(-1, 14), min_size=f, max_size=f)), float)
    t_hi = np.array(draw(st.lists(any_bound, min_size=f, max_size=f)))
    return lo.reshape(f, g), hi.reshape(f, g), t_lo, t_hi


@settings(max_examples=300)
@given(any_families(), st.integers(1, 6))
def test_one_round_loop_equals_plain_loop_on_any_family(fam, rounds):
    """Families one round settles skip the confirming round; the rest go on round by
    round. Either way the result is the plain loop's, consistent or not."""
    lo, hi, t_lo, t_hi = fam
    want = plain(lo, hi, t_lo, t_hi, rounds)
    got = _propagate(lo, hi, t_lo, t_hi, rounds)
    for w, g in zip(want, got, strict=True):
        np.testing.assert_array_equal(g, w)


@settings(max_examples=300)
@given(families())
def test_one_round_is_the_fixpoint_of_a_consistent_family(fam):
    """Where the total's interval meets the cells' sums (as in every published layer:
    the true counts are a solution), a second round changes nothing: each new interval
    is already the projection of the solutions (the argument in `_propagate`)."""
    lo, hi, t_lo, t_hi = fam
    once = _tighten(lo, hi, t_lo, t_hi)
    twice = _tighten(*once)
    consistent = (t_lo <= hi.sum(axis=1)) & (lo.sum(axis=1) <= t_hi)
    for a, b in zip(once, twice, strict=True):
        np.testing.assert_array_equal(
            b.reshape(len(t_lo), -1)[consistent], a.reshape(len(t_lo), -1)[consistent]
        )


def dense_prove(cell_family, cell_group, cell_shown, rules: Rules, families, rounds=6):
    """The definition `prove` must match: every (family, group) slot in a table, the
    published cells written in order (the last of a slot named twice stands), each
    family with something unsure propagated by the plain dense rounds."""
    g, f = max(rules.n_groups, 1), len(families)
    lo, hi = np.zeros((f, g)), np.full((f, g), rules.absent_hi())
    t_lo, t_hi = np.zeros(f), np.full(f, np.inf)
    if rules.totals and rules.counts != "noise":
        t_hi[:] = rules.absent_hi()
    fi = np.searchsorted(families, cell_family)
    clo, chi = rules.shown_interval(cell_shown)
    grp = cell_group >= 0
    for i in np.flatnonzero(grp):  # in order, one by one
        lo[fi[i], cell_group[i]], hi[fi[i], cell_group[i]] = clo[i], chi[i]
    for i in np.flatnonzero(~grp):
        t_lo[fi[i]], t_hi[fi[i]] = clo[i], chi[i]
    if not rules.totals:
        return lo, hi, lo.sum(axis=1), hi.sum(axis=1)
    sel = np.flatnonzero((lo != hi).any(axis=1) | (t_lo != t_hi))
    if len(sel):
        got = plain(lo[sel], hi[sel], t_lo[sel], t_hi[sel], rounds)
        lo[sel], hi[sel], t_lo[sel], t_hi[sel] = got
    return lo, hi, t_lo, t_hi


def assert_same_proof(got, want) -> None:
    """The same intervals bit for bit, and the per-family sums made from the cells are
    the table's."""
    for name, w in zip(("lo", "hi", "total_lo", "total_hi"), want, strict=True):
        np.testing.assert_array_equal(getattr(got, name), w, err_msg=name)
    table = family_sums(want[0], want[1])
    for name in ("mid", "fin", "n_inf"):
        np.testing.assert_array_equal(getattr(got.sums, name), getattr(table, name), err_msg=name)
    assert got.sums.n_inf.dtype == table.n_inf.dtype


@st.composite
def published(draw):
    """Published cells of a few families under any rules: totals or not, cells named
    twice, shown values that no sound layer gives (so later rounds run too)."""
    n_groups = draw(st.integers(1, 4))
    rules = Rules(
        counts=draw(st.sampled_from(["exact", "rounded", "banded", "noise"])),
        min_count=draw(st.integers(0, 4)),
        round_base=draw(st.integers(2, 5)),
        bands=(0, 1, 5, 10),
        totals=draw(st.booleans()) and n_groups > 1,
        epsilon=1.0,
        n_groups=n_groups,
    )
    families = np.unique(np.array(draw(st.lists(st.integers(0, 30), min_size=1, max_size=8))))
    n = draw(st.integers(0, 20))
    fam = np.array(draw(st.lists(st.sampled_from(families.tolist()), min_size=n, max_size=n)))
    group = np.array(draw(st.lists(st.integers(-1, n_groups - 1), min_size=n, max_size=n)))
    shown = np.array(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)), dtype=float)
    order = np.argsort(fam * (n_groups + 1) + group + 1, kind="stable")
    if draw(st.booleans()):  # layers come sorted; the proof must not rely on it
        fam, group, shown = fam[order], group[order], shown[order]
    return fam.astype(np.int64), group.astype(np.int64), shown, rules, families


@settings(max_examples=400, deadline=None)
@given(published(), st.integers(0, 6))
def test_the_proof_from_the_cells_equals_the_dense_table(cells, rounds):
    fam, group, shown, rules, families = cells
    got = prove(fam, group, shown, rules, families, rounds=rounds)
    assert_same_proof(got, dense_prove(fam, group, shown, rules, families, rounds=max(rounds, 0)))


@pytest.mark.parametrize("counts", ["exact", "rounded", "banded", "noise"])
@pytest.mark.parametrize("totals", [True, False])
def test_a_layer_s_proof_equals_the_dense_table(sample_dataset, counts, totals):
    """On a real layer (the sample city, fine units, weekly): thousands of families, a
    few published cells each."""
    from crimedash.design import Design
    from crimedash.layer import apply_design

    index = sample_dataset.index
    design = Design(granularity="h3:9", frequency="weekly", counts=counts, min_count=3)
    layer = apply_design(index, design.with_(totals=totals))
    n_win = int((layer.cell_window - layer.display_origin).max()) + 1
    fam = layer.cell_unit.astype(np.int64) * n_win + (layer.cell_window - layer.display_origin)
    families = np.unique(np.concatenate([fam, fam + 1]))  # some with no cell at all
    rules = Rules.of(layer)
    got = prove(fam, layer.cell_group, layer.cell_shown, rules, families)
    assert len(families) > 1000 and (got.lo != got.hi).any()
    assert_same_proof(got, dense_prove(fam, layer.cell_group, layer.cell_shown, rules, families))
