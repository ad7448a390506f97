"""`PairwiseSum` adds a column given piece by piece exactly as numpy sums it whole: the
score worked out a block of units at a time (`crimedash.score`) keeps `evaluate`'s
numbers to the last bit only if it does."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crimedash.pairwise import PairwiseSum


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 5000),
    cuts=st.lists(st.integers(0, 5000), max_size=12),
    leaf=st.sampled_from([128, 200, 1024]),
    seed=st.integers(0, 2**32 - 1),
)
def test_pairwise_sum_is_numpys_sum(n, cuts, leaf, seed):
    """Any cut of the column into pieces, given in any order, sums to `column.sum()`."""
    rng = np.random.default_rng(seed)
    column = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
    edges = sorted({0, n, *(c for c in cuts if c <= n)})
    pieces = list(itertools.pairwise(edges))
    rng.shuffle(pieces)
    total = PairwiseSum(n, leaf)
    for a, b in pieces:
        total.put(a, column[a:b])
    assert total.value() == column.sum()


def test_a_pairwise_sum_needs_every_value():
    total = PairwiseSum(300, 128)
    total.put(0, np.ones(299))
    with pytest.raises(ValueError, match="not every value"):
        total.value()
    with pytest.raises(ValueError, match="outside"):
        total.put(299, np.ones(2))
