"""The proof's total propagation: the active-set loop (only families that still move
are worked on) must give exactly what the plain loop over every family gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from crimedash.proof import _propagate, _tighten


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
