"""Disclosure control's suppression (crimedash.disclosure.disclose): primary suppression
under min_count, then secondary suppression so no suppressed cell can be recovered by
subtracting the published cells of its (unit, window) family from the published total.

Checked two ways on random families: against a plain re-statement of the documented
rule (a loop per family, independent of the vectorised code), and by the attacker's own
arithmetic on what is published. Written for mutation testing (issue 15): the layer's
tests let 18 one-line changes of the secondary step through (which cell is chosen, the
count of secondary suppressions, the total's own suppression).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from crimedash.design import Design
from crimedash.disclosure import disclose


@st.composite
def families(draw):
    """Group cells and totals of a few (unit, window) families: each family has some
    groups with counts, and maybe a total (its groups' sum, or more when groups are
    hidden from the map)."""
    n_groups = draw(st.integers(1, 4))
    n_fam = draw(st.integers(1, 6))
    gk, gtrue, tk, ttrue = [], [], [], []
    for f in range(n_fam):
        groups = draw(st.lists(st.integers(0, n_groups - 1), min_size=1, unique=True))
        counts = [draw(st.integers(1, 8)) for _ in groups]
        gk += [f * n_groups + g for g in groups]
        gtrue += counts
        if draw(st.booleans()):
            tk.append(f)
            # the total counts every incident, hidden groups' too, so it may exceed the sum
            ttrue.append(sum(counts) + draw(st.integers(0, 4)))
    with_totals = bool(tk)
    return (
        n_groups,
        np.array(gk, dtype=np.int64),
        np.array(gtrue, dtype=np.int64),
        np.array(tk, dtype=np.int64) if with_totals else None,
        np.array(ttrue, dtype=np.int64) if with_totals else None,
    )


def expected_suppression(n_groups, gk, gtrue, tk, ttrue, m):
    """The documented rule, one family at a time: suppress under m; where a family with
    a total has exactly one suppressed cell, suppress its smallest other group cell (by
    count, then group); if the total is then the only other published cell, suppress
    it too. Returns the suppressed group keys, the suppressed total keys and how many
    were suppressed by the second and third steps."""
    groups = {int(k): int(t) for k, t in zip(gk, gtrue, strict=True)}
    totals = {} if tk is None else {int(k): int(t) for k, t in zip(tk, ttrue, strict=True)}
    sup_g = {k for k, t in groups.items() if t < m}
    sup_t = {k for k, t in totals.items() if t < m}
    extra = 0
    for fam in totals:
        cells = sorted(k for k in groups if k // n_groups == fam)
        n_sup = sum(k in sup_g for k in cells) + (fam in sup_t)
        if n_sup == 1:
            others = [k for k in cells if k not in sup_g]
            if others:
                sup_g.add(min(others, key=lambda k: (groups[k], k)))
                extra += 1
        n_sup = sum(k in sup_g for k in cells) + (fam in sup_t)
        if n_sup == 1 and fam not in sup_t:
            sup_t.add(fam)
            extra += 1
    return sup_g, sup_t, extra


@settings(max_examples=150)
@given(families(), st.integers(1, 6))
def test_suppression_follows_the_documented_rule(data, m):
    n_groups, gk, gtrue, tk, ttrue = data
    _, true, _, published, kappa, n_primary, n_secondary = disclose(
        Design(min_count=m), gk, gtrue, tk, ttrue, n_groups
    )
    n = len(gk)
    sup_g, sup_t, extra = expected_suppression(n_groups, gk, gtrue, tk, ttrue, m)
    assert {int(k) for k, p in zip(gk, published[:n], strict=True) if not p} == sup_g
    if tk is not None:
        assert {int(k) for k, p in zip(tk, published[n:], strict=True) if not p} == sup_t
    assert n_secondary == extra
    primary = int((gtrue < m).sum()) + (0 if tk is None else int((ttrue < m).sum()))
    assert n_primary == primary
    assert np.array_equal(true[:n], gtrue)
    # published group cells say their own count, suppressed ones nothing (kappa 0)
    assert np.all(kappa[published[:n]] == 1.0)
    assert np.all(kappa[~published[:n]] == 0.0)


@settings(max_examples=150)
@given(families(), st.integers(2, 6))
def test_no_suppressed_cell_is_recovered_from_its_published_total(data, m):
    """The attacker's arithmetic: with a family's total published, the cells it does not
    show add up to total minus the shown ones; that must never be a single cell."""
    n_groups, gk, gtrue, tk, ttrue = data
    _, _, _, published, _, _, _ = disclose(Design(min_count=m), gk, gtrue, tk, ttrue, n_groups)
    if tk is None:
        return
    n = len(gk)
    for j, fam in enumerate(tk):
        if not published[n + j]:
            continue
        hidden = [i for i in range(n) if gk[i] // n_groups == fam and not published[i]]
        assert len(hidden) != 1, f"family {fam}: one cell hidden behind a published total"


def test_without_totals_nothing_is_suppressed_twice():
    gk = np.array([0, 1, 2, 3], dtype=np.int64)  # two families of two groups
    gtrue = np.array([1, 5, 2, 9], dtype=np.int64)
    *_, n_primary, n_secondary = disclose(Design(min_count=3), gk, gtrue, None, None, 2)
    assert (n_primary, n_secondary) == (2, 0)


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(st.integers(0, 30), max_size=40),
    picks=st.lists(st.integers(0, 39), max_size=12),
    strays=st.lists(st.integers(0, 35), max_size=3),
)
def test_families_without_a_sort_equal_np_unique(cells, picks, strays):
    """Secondary suppression finds each cell's (unit, window) family from the layout
    `disclose` builds (group cells sorted, then totals sorted) without sorting; any
    other layout (a total with no group cell, unsorted keys) takes np.unique. Either
    way the families and each cell's family are np.unique's."""
    from crimedash.disclosure import _families

    g = np.sort(np.array(cells, dtype=np.int64))
    chosen = [int(g[i % len(g)]) for i in picks] if len(g) else []
    totals = np.unique(np.array(chosen + strays, dtype=np.int64))
    for fam_cells in (g, np.array(cells, dtype=np.int64)):  # sorted, and as drawn
        family = np.concatenate([fam_cells, totals])
        is_total = np.arange(len(family)) >= len(fam_cells)
        codes, inverse = _families(family, is_total)
        want_codes, want_inverse = np.unique(family, return_inverse=True)
        assert np.array_equal(codes, want_codes)
        assert inverse.dtype == want_inverse.dtype
        assert np.array_equal(inverse, want_inverse.ravel())
