"""Disclosure control worked by hand (crimedash.disclosure): the key space, suppression
and its counts, rounding and banding with what each shown count confirms, the words of
a band, and the noise on every cell of the domain.

Small on purpose (issue 15, mutation testing): every case is a few cells with the
arithmetic in the test, so mutmut can run them for each mutant in well under a second.
"""

from __future__ import annotations

import numpy as np
import pytest
from enginekit import make_index

from crimedash import disclosure
from crimedash.atoms import resolve_grouping, windows_at
from crimedash.design import Design
from crimedash.disclosure import count_labels, disclose, noisy_cells, recode
from crimedash.errors import DesignError
from crimedash.layer import apply_design
from crimedash.units import units_for


def test_recode_puts_each_family_total_after_its_groups():
    # 3 groups: group key = family * 3 + group; recoded with 4 slots, the total in slot 3
    assert recode(np.array([0, 2, 4, 8]), 3, False).tolist() == [0, 2, 5, 10]
    assert recode(np.array([0, 1, 2]), 3, True).tolist() == [3, 7, 11]


def _two_families():
    # 2 groups; family 0 holds counts 1 and 5 (total 6), family 1 holds 4 and 6 (total 10)
    gk = np.array([0, 1, 2, 3])
    gtrue = np.array([1, 5, 4, 6])
    return gk, gtrue, np.array([0, 1]), np.array([6, 10])


def test_exact_counts_with_secondary_suppression_by_hand():
    gk, gtrue, tk, ttrue = _two_families()
    keys, true, shown, published, kappa, n_primary, n_secondary = disclose(
        Design(min_count=3), gk, gtrue, tk, ttrue, 2
    )
    # group cells recoded to 0, 1, 3, 4 and totals to 2, 5, in that order
    assert keys.tolist() == [0, 1, 3, 4, 2, 5]
    assert true.tolist() == [1, 5, 4, 6, 6, 10]
    assert shown.tolist() == [1, 5, 4, 6, 6, 10]
    # the 1 is under 3; the total 6 would give it away (6 - 5), so the 5 goes too
    assert published.tolist() == [False, False, True, True, True, True]
    assert (n_primary, n_secondary) == (1, 1)
    # kappa per group cell: what the map confirms of the cell's true count
    assert kappa.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_a_family_with_one_group_hides_its_total_too():
    # one group cell (2, under 3) and a total of 4 (hidden groups count in it): the
    # total alone would give the 2 away (4 minus the hidden groups is not published,
    # but with no other cell to hide, the total itself is hidden)
    keys, _, _, published, kappa, n_primary, n_secondary = disclose(
        Design(min_count=3), np.array([0]), np.array([2]), np.array([0]), np.array([4]), 2
    )
    assert keys.tolist() == [0, 2]
    assert published.tolist() == [False, False]
    assert (n_primary, n_secondary) == (1, 1)
    assert kappa.tolist() == [0.0]


def test_no_threshold_publishes_every_cell_and_suppresses_nothing():
    gk, gtrue, tk, ttrue = _two_families()
    *_, published, kappa, n_primary, n_secondary = disclose(Design(), gk, gtrue, tk, ttrue, 2)
    assert published.all()
    assert (n_primary, n_secondary) == (0, 0)
    assert kappa.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_without_totals_nothing_is_suppressed_a_second_time():
    gk, gtrue, _, _ = _two_families()
    keys, _, _, published, _, n_primary, n_secondary = disclose(
        Design(min_count=3), gk, gtrue, None, None, 2
    )
    assert keys.tolist() == [0, 1, 3, 4]
    assert published.tolist() == [False, True, True, True]
    assert (n_primary, n_secondary) == (1, 0)


def test_a_cell_at_the_threshold_is_published():
    *_, published, _, n_primary, _ = disclose(
        Design(min_count=3), np.array([0, 1]), np.array([3, 2]), None, None, 2
    )
    assert published.tolist() == [True, False]
    assert n_primary == 1


def test_the_secondary_cell_is_the_smallest_then_the_first_group():
    # 3 groups in one family: counts 1 (suppressed), 4, 4; total 9. Both 4s tie, so the
    # first group's is hidden; with counts 1, 5, 4 the 4 is hidden
    tk, ttrue = np.array([0]), np.array([9])
    *_, published, _, _, n_sec = disclose(
        Design(min_count=3), np.array([0, 1, 2]), np.array([1, 4, 4]), tk, ttrue, 3
    )
    assert published.tolist() == [False, False, True, True]
    assert n_sec == 1
    *_, published, _, _, _ = disclose(
        Design(min_count=3), np.array([0, 1, 2]), np.array([1, 5, 4]), tk, np.array([10]), 3
    )
    assert published.tolist() == [False, True, False, True]


def test_rounded_counts_and_what_they_confirm():
    # base 5: 0-2 show 0, 3-7 show 5, 8 shows 10; a shown 5 confirms at least 3 (5 - 2.5
    # rounded up), a shown 10 at least 8
    true = np.array([0, 1, 2, 3, 7, 8])
    _, _, shown, published, kappa, *_ = disclose(
        Design(counts="rounded", round_base=5), np.arange(6), true, None, None, 6
    )
    assert shown.tolist() == [0, 0, 0, 5, 5, 10]
    assert published.tolist() == [False, False, False, True, True, True]
    assert kappa.tolist() == pytest.approx([0, 0, 0, 3 / 3, 3 / 7, 8 / 8])


def test_rounding_to_two_confirms_at_least_one():
    _, _, shown, _, kappa, *_ = disclose(
        Design(counts="rounded", round_base=2), np.arange(2), np.array([1, 3]), None, None, 2
    )
    # 1 -> 2 (half rounds up), confirming at least 1; 3 -> 4, confirming at least 3
    assert shown.tolist() == [2, 4]
    assert kappa.tolist() == [1.0, 1.0]


def test_banded_counts_show_the_band_s_lower_edge():
    # bands 1, 3, 6, 11, 21, 51: 0 shows nothing, 2 -> 1, 3 -> 3, 10 -> 6, 60 -> 51
    true = np.array([0, 2, 3, 10, 60])
    _, _, shown, published, kappa, *_ = disclose(
        Design(counts="banded"), np.arange(5), true, None, None, 5
    )
    assert shown.tolist() == [0, 1, 3, 6, 51]
    assert published.tolist() == [False, True, True, True, True]
    assert kappa.tolist() == pytest.approx([0, 1 / 2, 1, 6 / 10, 51 / 60])


def test_band_words():
    design = Design(counts="banded")
    words = count_labels(design, np.array([1.0, 3.0, 6.0, 11.0, 21.0, 51.0]))
    assert words.tolist() == [
        "1 to 2",
        "3 to 5",
        "6 to 10",
        "11 to 20",
        "21 to 50",
        "51 or more",
    ]
    assert count_labels(Design(), np.array([7.0, 12.0])).tolist() == ["7", "12"]


# --- noise on every cell ---------------------------------------------------------------
@pytest.fixture(scope="module")
def town():
    return make_index(11, n=60, n_households=40)


def _parts(index, design):
    units = units_for(
        index, design.spatial, design.assumed_households_per_km2, design.min_unit_area_m2
    )
    grouping = resolve_grouping(index, design)
    display = windows_at(index, "month")
    return units, grouping, display


def _all_cells(units, grouping, display, count):
    g = len(grouping.groups)
    gk = np.arange(units.n * display.n * g, dtype=np.int64)
    return gk, np.full(len(gk), count, dtype=np.int64)


@pytest.mark.parametrize(("totals", "low", "high"), [(False, 1.2, 2.6), (True, 5.5, 11.0)])
def test_noise_spends_half_of_epsilon_on_each_family_when_totals_are_shown(town, totals, low, high):
    # two-sided geometric noise with parameter a = e^-eps has variance 2a / (1 - a)^2:
    # 1.84 at eps 1 (no totals) and 7.86 at eps 1/2 (each incident counts in its group
    # cell and its total). Counts of 50 keep the noise away from the floor at 0.
    design = Design(granularity="h3:8", counts="noise", epsilon=1.0, noise_seed=7, totals=totals)
    units, grouping, display = _parts(town, design)
    gk, gtrue = _all_cells(units, grouping, display, 50)
    keys, true, shown, published, n_supp, n_sec = noisy_cells(
        town, design, units, grouping, display, gk, gtrue, totals
    )
    g = len(grouping.groups)
    group_cell = keys % (g + 1) < g
    noise = shown[group_cell] - true[group_cell]
    assert len(noise) == len(gk) > 300
    assert low < noise.var() < high
    assert published[group_cell].all() and (n_supp, n_sec) == (0, 0)
    totals_out = keys[~group_cell]
    if totals:
        # one total per (unit, window), its true count the sum of its groups
        assert len(totals_out) == units.n * display.n
        assert (true[~group_cell] == 50 * g).all()
    else:
        assert len(totals_out) == 0


def test_noise_reaches_empty_cells_and_hides_what_it_pushes_under_the_line(town):
    design = Design(granularity="h3:8", counts="noise", epsilon=0.5, noise_seed=3, min_count=3)
    units, grouping, display = _parts(town, design)
    g = len(grouping.groups)
    # two cells with incidents, every other cell of the domain empty
    gk = np.array([0, 5], dtype=np.int64)
    keys, true, shown, published, n_supp, n_sec = noisy_cells(
        town, design, units, grouping, display, gk, np.array([1, 9]), True
    )
    recoded = recode(gk, g, False)
    # a cell with incidents always comes back, published or not, with its true count
    assert np.isin(recoded, keys).all()
    assert true[np.searchsorted(keys, recoded)].tolist() == [1, 9]
    # noise lifted some empty cells over the line: they are published as if counted
    assert (published & (true == 0)).any()
    # everything returned is published or holds incidents
    assert (published | (true > 0)).all()
    assert (shown[published] >= 3).all() and (shown[~published] < 3).all()
    assert n_supp == int(((true > 0) & ~published).sum())
    assert n_sec == 0


def test_noise_publishes_no_zero_even_without_a_threshold(town):
    design = Design(granularity="h3:8", counts="noise", epsilon=2.0, noise_seed=5)
    units, grouping, display = _parts(town, design)
    _, _, shown, published, _, _ = noisy_cells(
        town, design, units, grouping, display, np.array([0, 1]), np.array([1, 1]), False
    )
    assert (shown[published] >= 1).all()
    assert (shown[~published] == 0).all()
    # at eps 2 most empty cells stay at 0: far fewer are published than exist
    assert published.sum() < units.n * display.n * len(grouping.groups) / 2


def test_noise_is_fixed_by_the_seed(town):
    base = Design(granularity="h3:8", counts="noise", epsilon=1.0, noise_seed=21)
    units, grouping, display = _parts(town, base)
    gk, gtrue = _all_cells(units, grouping, display, 20)

    def draw(design):
        return noisy_cells(town, design, units, grouping, display, gk, gtrue, True)[2]

    assert np.array_equal(draw(base), draw(base))
    assert not np.array_equal(draw(base), draw(base.with_(noise_seed=22)))


def test_noise_refuses_a_domain_over_the_limit(town, monkeypatch):
    design = Design(granularity="h3:8", counts="noise", noise_seed=1)
    units, grouping, display = _parts(town, design)
    space = units.n * display.n * (len(grouping.groups) + 1)
    gk, gtrue = np.array([0]), np.array([1])
    monkeypatch.setattr(disclosure, "NOISE_DOMAIN_LIMIT", space)
    noisy_cells(town, design, units, grouping, display, gk, gtrue, True)  # at the limit
    monkeypatch.setattr(disclosure, "NOISE_DOMAIN_LIMIT", space - 1)
    with pytest.raises(DesignError, match=f"this design has {space:,}"):
        noisy_cells(town, design, units, grouping, display, gk, gtrue, True)


def test_one_call_counts_both_kinds_of_secondary_suppression():
    # 2 groups. Family 0: counts 1 and 5, total 6 -> the 5 is hidden too (one secondary).
    # Family 1: one group cell, 2, and a total of 4 (hidden groups count in it) -> the
    # total is hidden too (another). Both in one call: two secondary suppressions.
    *_, published, _, n_primary, n_secondary = disclose(
        Design(min_count=3),
        np.array([0, 1, 2]),
        np.array([1, 5, 2]),
        np.array([0, 1]),
        np.array([6, 4]),
        2,
    )
    assert published.tolist() == [False, False, False, True, False]
    assert (n_primary, n_secondary) == (2, 2)


def test_noise_limit_counts_the_total_slot_only_with_totals(town, monkeypatch):
    design = Design(granularity="h3:8", counts="noise", noise_seed=1)
    units, grouping, display = _parts(town, design)
    without = units.n * display.n * len(grouping.groups)
    monkeypatch.setattr(disclosure, "NOISE_DOMAIN_LIMIT", without)
    gk, gtrue = np.array([0]), np.array([1])
    noisy_cells(town, design, units, grouping, display, gk, gtrue, False)
    with pytest.raises(DesignError) as err:
        noisy_cells(town, design, units, grouping, display, gk, gtrue, True)
    assert err.value.hint == (
        "choose coarser units (H3 9 or coarser, grid 250 m or larger) or a coarser time precision"
    )


def test_noisy_cells_keep_true_counts_as_whole_numbers(town):
    design = Design(granularity="h3:8", counts="noise", noise_seed=8)
    units, grouping, display = _parts(town, design)
    _, true, shown, *_ = noisy_cells(
        town, design, units, grouping, display, np.array([0, 3]), np.array([2, 4]), True
    )
    assert true.dtype.kind == "i"
    assert shown.dtype == np.float64


def test_the_noise_of_a_design_does_not_depend_on_designs_scored_before(town):
    # unit secrets are cached on the index: the cache must tell seeds and unit kinds
    # apart, or a design would reuse another's noise
    from handmade import town as hand_town

    fresh = hand_town()
    seen = hand_town()
    first = Design(counts="noise", noise_seed=5, epsilon=0.5)
    apply_design(seen, first)
    apply_design(seen, first.with_(granularity="h3:7"))
    for design in (first.with_(noise_seed=6), first.with_(granularity="h3:9")):
        a, b = apply_design(fresh, design), apply_design(seen, design)
        assert a.cell_shown.tolist() == b.cell_shown.tolist()
        assert a.cell_unit.tolist() == b.cell_unit.tolist()


def test_nearly_no_noise_publishes_the_exact_layer():
    # at epsilon 100 the geometric noise is 0 with probability 1 - 2e^-100: the noisy
    # layer is the exact one, whatever the groups and totals, so its cells are decoded
    # in the same key space as the exact path's
    from handmade import town as hand_town

    index = hand_town()
    for extra in ({}, {"totals": False}, {"categories": ("shoplifting",)}):
        exact = apply_design(index, Design(**extra))
        noisy = apply_design(index, Design(counts="noise", epsilon=100, noise_seed=2, **extra))
        for name in ("cell_unit", "cell_window", "cell_group", "cell_shown", "cell_true"):
            assert getattr(noisy, name).tolist() == getattr(exact, name).tolist(), name


def test_noise_with_no_group_shown_publishes_nothing():
    # nothing shown: the noise of the one empty slot is not a count of anything (it was
    # published as 'All crime' cells before this test)
    from handmade import town as hand_town

    index = hand_town()
    layer = apply_design(index, Design(counts="noise", categories=(), noise_seed=3, epsilon=0.3))
    assert len(layer.cell_unit) == 0
    assert len(layer.frame(index)) == 0


def test_noise_of_a_cell_is_the_same_in_every_release_of_the_series():
    # the same (unit, month, group) with the same count gets the same noise in a release
    # whose first month is later (window keys are absolute, not codes from the origin)
    from handmade import ROWS
    from handmade import town as hand_town

    design = Design(counts="noise", epsilon=0.2, noise_seed=12, totals=False)

    def cells(index):
        layer = apply_design(index, design)
        f = layer.frame(index)
        return layer, {
            (u, w, g): c for u, w, g, c in zip(f.unit, f.window, f.group, f["count"], strict=True)
        }

    full, a = cells(hand_town())
    later, b = cells(hand_town(rows=[r for r in ROWS if r[1] >= "2024-02"]))
    assert later.display_origin > full.display_origin
    # February's shoplifting and March's vehicle crime hold the same incidents in both
    keys = [k for k in a if k[1] >= "2024-02" and k[2] in ("Shoplifting", "Vehicle crime")]
    assert keys
    assert {k: b.get(k) for k in keys} == {k: a[k] for k in keys}


def test_noise_is_keyed_by_area_codes_not_their_order():
    # areas: a unit's noise follows its code, so a layer listing the same areas in
    # another order gives each area the same noise
    import geopandas as gpd
    import shapely
    from handmade import town as hand_town

    from crimedash import schema as S

    boxes = {
        "A1": shapely.box(-1.16, 52.94, -1.14, 52.96),
        "B1": shapely.box(-1.21, 52.97, -1.19, 52.99),
        "C1": shapely.box(-1.30, 52.90, -1.28, 52.92),
    }

    def layer(order):
        areas = gpd.GeoDataFrame(
            {S.AREA_CODE: order}, geometry=[boxes[c] for c in order], crs=S.WGS84
        )
        index = hand_town(areas={"wards": areas})
        lay = apply_design(
            index, Design(granularity="areas:wards", counts="noise", epsilon=0.2, noise_seed=4)
        )
        f = lay.frame(index)
        return {
            (u, w, g): c for u, w, g, c in zip(f.unit, f.window, f.group, f["count"], strict=True)
        }

    assert layer(["A1", "B1", "C1"]) == layer(["C1", "B1", "A1"])
