"""The public layer worked out by hand on six incidents (tests/mutation/handmade.py):
which cells a design publishes, with which counts, windows and groups; what suppression
leaves; how the atoms point at their cells; and the reference numbers each design allows.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import numpy as np
import pandas as pd
import pytest
from handmade import FEB, JAN, MAR, ROWS, UNIT_A, UNIT_B, A, B, frame, town

from crimedash import schema as S
from crimedash.atoms import TOTAL_GROUP
from crimedash.design import Design
from crimedash.index import index_incidents
from crimedash.layer import apply_design

GROUPS = ("Burglary", "Shoplifting", "Vehicle crime")


@pytest.fixture(scope="module")
def index():
    return town()


def rows(layer, index):
    f = layer.frame(index)
    return list(zip(f[S.UNIT], f[S.WINDOW], f[S.GROUP], f[S.SHOWN], f[S.SHOWN_LABEL], strict=True))


# unit A by hand: 2 burglaries and 1 shoplifting in January, 1 shoplifting in February
UNIT_A_ROWS = [
    (UNIT_A, "2024-01", "Burglary", 2, "2"),
    (UNIT_A, "2024-01", "Shoplifting", 1, "1"),
    (UNIT_A, "2024-01", TOTAL_GROUP, 3, "3"),
    (UNIT_A, "2024-02", "Shoplifting", 1, "1"),
    (UNIT_A, "2024-02", TOTAL_GROUP, 1, "1"),
]


def test_exact_monthly_layer_by_hand(index):
    layer = apply_design(index, Design())
    assert layer.grouping.groups == GROUPS
    assert (layer.display_level, layer.risk_level) == ("month", "month")
    assert rows(layer, index) == [
        *UNIT_A_ROWS,
        (UNIT_B, "2024-01", "Vehicle crime", 1, "1"),
        (UNIT_B, "2024-01", TOTAL_GROUP, 1, "1"),
        (UNIT_B, "2024-03", "Vehicle crime", 1, "1"),
        (UNIT_B, "2024-03", TOTAL_GROUP, 1, "1"),
    ]
    assert layer.frame(index)[S.SHOWN].dtype == np.int64  # whole counts, never "2.0"
    assert layer.cell_window.tolist() == [JAN, JAN, JAN, FEB, FEB, JAN, JAN, MAR, MAR]
    assert layer.cell_group.tolist() == [0, 1, -1, 1, -1, 2, -1, 2, -1]
    assert layer.cell_true.tolist() == [2, 1, 3, 1, 1, 1, 1, 1, 1]
    assert layer.display_origin == JAN
    assert layer.windows() == [JAN, FEB, MAR]
    assert layer.window_labels() == ["2024-01", "2024-02", "2024-03"]
    assert (layer.shown_incidents, layer.published_incidents) == (6, 6)
    assert (layer.suppressed_cells, layer.secondary_suppressed_cells) == (0, 0)
    assert layer.outside_units == 0
    assert layer.notes == ()
    assert layer.references is None


def test_every_atom_points_at_its_published_cell(index):
    hidden = Design(categories=("burglary_residential", "shoplifting"))  # vehicles hidden
    for design in (Design(), Design(frequency="weekly"), Design(min_count=2), hidden):
        layer = apply_design(index, design)
        at = layer.atoms
        assert (at.cell >= 0).tolist() == (at.kappa > 0).tolist()
        on = at.cell >= 0
        c = at.cell[on]
        assert layer.cell_unit[c].tolist() == at.unit[on].tolist()
        assert layer.cell_group[c].tolist() == at.slot[on].tolist()
        assert (layer.cell_window[c] - layer.display_origin).tolist() == at.dwin[on].tolist()
        assert int(at.n.sum()) == 6


def test_suppression_with_a_total_by_hand(index):
    # min count 2: unit A's January holds 2 burglaries, 1 shoplifting, total 3; the 1 is
    # hidden, and since 3 - 2 would give it back, the 2 is hidden too. Every other cell
    # is a 1, and so is its total.
    layer = apply_design(index, Design(min_count=2))
    assert rows(layer, index) == [(UNIT_A, "2024-01", TOTAL_GROUP, 3, "3")]
    assert (layer.suppressed_cells, layer.secondary_suppressed_cells) == (7, 1)
    assert (layer.shown_incidents, layer.published_incidents) == (6, 0)
    assert layer.atoms.kappa.tolist() == [0.0] * 5


def test_no_totals_and_one_group_publish_no_total(index):
    layer = apply_design(index, Design(totals=False))
    assert -1 not in layer.cell_group.tolist()
    assert len(layer.cell_group) == 5
    # one shown group: its total would repeat it, so there is none
    one = apply_design(index, Design(categories=("burglary_residential",)))
    assert rows(one, index) == [(UNIT_A, "2024-01", "Burglary", 2, "2")]
    assert (one.shown_incidents, one.published_incidents) == (2, 2)
    assert one.atoms.shown.sum() == 1 and one.atoms.kappa.tolist().count(1.0) == 1


def test_coarser_time_shown_counts_by_quarter(index):
    layer = apply_design(index, Design(time_precision="quarter"))
    assert rows(layer, index) == [
        (UNIT_A, "2024-Q1", "Burglary", 2, "2"),
        (UNIT_A, "2024-Q1", "Shoplifting", 2, "2"),
        (UNIT_A, "2024-Q1", TOTAL_GROUP, 4, "4"),
        (UNIT_B, "2024-Q1", "Vehicle crime", 2, "2"),
        (UNIT_B, "2024-Q1", TOTAL_GROUP, 2, "2"),
    ]
    assert (layer.display_level, layer.risk_level) == ("quarter", "month")
    assert layer.window_labels() == ["2024-Q1"]
    # counted at the month, shown by quarter: the two shoplifting months share a cell
    assert layer.atoms.cell.tolist() == [0, 1, 1, 3, 3]


def test_weekly_releases_of_a_monthly_map_count_by_week_and_show_by_month(index):
    layer = apply_design(index, Design(frequency="weekly"))
    assert (layer.display_level, layer.risk_level) == ("month", "week")
    assert rows(layer, index) == rows(apply_design(index, Design()), index)
    # the two January burglaries fall in different weeks: two atoms, one cell
    assert layer.atoms.cell.tolist() == [0, 0, 1, 3, 5, 7]
    assert layer.atoms.rwin.tolist() != layer.atoms.dwin.tolist()


def test_a_finer_window_than_the_data_holds_is_noted():
    # months only (police.uk): a weekly release cannot show weeks
    index = town(time_precision="month")
    layer = apply_design(index, Design(frequency="weekly", time_precision="week"))
    assert (layer.display_level, layer.risk_level) == ("month", "month")
    assert layer.notes == (
        "The data only says the month of each incident, so windows are months at their "
        "finest, whatever the release frequency (¶34).",
    )


def test_real_time_updates_count_at_the_time_shown(index):
    layer = apply_design(index, Design(frequency="realtime"))
    assert (layer.display_level, layer.risk_level) == ("month", "timestamp")
    assert rows(layer, index) == rows(apply_design(index, Design()), index)


def test_incidents_outside_every_unit_are_counted_and_noted():
    import geopandas as gpd
    import shapely

    area = gpd.GeoDataFrame(
        {S.AREA_CODE: ["A1"]},
        geometry=[shapely.box(-1.16, 52.94, -1.14, 52.96)],  # around unit A only
        crs=S.WGS84,
    )
    index = town(areas={"wards": area})
    layer = apply_design(index, Design(granularity="areas:wards"))
    assert layer.outside_units == 2
    assert layer.notes == ("2 incidents lie outside every unit and are not published.",)
    assert rows(layer, index)[-1] == ("A1", "2024-02", TOTAL_GROUP, 1, "1")
    assert (layer.shown_incidents, layer.published_incidents) == (4, 4)


def test_banded_labels_in_the_public_table(index):
    layer = apply_design(index, Design(counts="banded", time_precision="quarter"))
    assert [r[3:] for r in rows(layer, index)] == [
        (1, "1 to 2"),
        (1, "1 to 2"),
        (3, "3 to 5"),
        (1, "1 to 2"),
        (1, "1 to 2"),
    ]


def test_an_empty_layer_has_an_empty_table():
    index = town()
    layer = apply_design(index, Design(min_count=50))
    f = layer.frame(index)
    assert len(f) == 0
    assert list(f.columns) == [S.UNIT, S.WINDOW, S.GROUP, S.SHOWN, S.SHOWN_LABEL]
    assert layer.windows() == [] and layer.window_labels() == []


def test_noise_layer_points_atoms_at_published_cells():
    index = town()
    layer = apply_design(index, Design(counts="noise", epsilon=3.0, noise_seed=4))
    at = layer.atoms
    # noise: every shown incident counts as published (kappa 1) whatever its cell shows
    assert at.kappa.tolist() == [1.0] * 5
    on = at.cell >= 0
    assert layer.cell_unit[at.cell[on]].tolist() == at.unit[on].tolist()
    assert layer.cell_group[at.cell[on]].tolist() == at.slot[on].tolist()
    assert (layer.cell_shown >= 1).all()
    true_of = {
        (u, w, g): t
        for u, w, g, t in zip(
            layer.cell_unit, layer.cell_window, layer.cell_group, layer.cell_true, strict=True
        )
    }
    assert true_of.get((0, JAN, 0)) in (None, 2)


# --- reference numbers -----------------------------------------------------------------
REFS = [f"CD/24/{i:06d}" for i in range(len(ROWS))]
REF_PLACES = [
    (UNIT_A, "2024-01", "Burglary"),
    (UNIT_A, "2024-01", "Burglary"),
    (UNIT_A, "2024-01", "Shoplifting"),
    (UNIT_A, "2024-02", "Shoplifting"),
    (UNIT_B, "2024-01", "Vehicle crime"),
    (UNIT_B, "2024-03", "Vehicle crime"),
]


def refs(layer) -> list[tuple]:
    r = layer.references
    assert isinstance(r, pd.DataFrame)
    return list(zip(r[S.UNIT], r[S.WINDOW], r[S.GROUP], r[S.REFERENCE], strict=True))


def test_full_references_are_listed_per_published_cell(index):
    layer = apply_design(index, Design(references="full", acknowledge=("full_references",)))
    assert refs(layer) == [(*p, r) for p, r in zip(REF_PLACES, REFS, strict=True)]


def test_truncated_references_keep_the_first_half(index):
    layer = apply_design(index, Design(references="truncated"))
    assert [r[3] for r in refs(layer)] == ["CD/24/******"] * 6
    # an odd length keeps the shorter half; an incident without a number lists nothing
    f = frame(ROWS[:3])
    f[S.REFERENCE] = ["AB123", None, "XY7"]
    layer = apply_design(index_incidents(f), Design(references="truncated"))
    assert [r[3] for r in refs(layer)] == ["AB***", "X**"]


def test_pseudonyms_are_keyed_by_the_seed_and_the_data(index):
    layer = apply_design(index, Design(references="pseudonym", noise_seed=9))
    got = refs(layer)
    secret = f"9:{index.fingerprint}".encode()
    windows = [JAN, JAN, JAN, FEB, JAN, MAR]
    want = {
        "P-" + hmac.new(secret, f"{w}:{r}".encode(), hashlib.sha256).hexdigest()[:10]
        for r, w in zip(REFS, windows, strict=True)
    }
    assert {g[3] for g in got} == want
    assert all(re.fullmatch(r"P-[0-9a-f]{10}", g[3]) for g in got)
    other = apply_design(index, Design(references="pseudonym", noise_seed=10))
    assert not {g[3] for g in refs(other)} & want


def test_references_only_for_published_cells(index):
    layer = apply_design(index, Design(references="truncated", min_count=2, totals=False))
    # min count 2 without totals: only the two January burglaries are published
    assert refs(layer) == [(*REF_PLACES[0], "CD/24/******"), (*REF_PLACES[1], "CD/24/******")]


def test_references_undo_rounding(index):
    layer = apply_design(index, Design(references="truncated", counts="rounded", round_base=5))
    assert layer.notes == (
        "Listing reference numbers shows each cell's exact count, so rounding, banding or "
        "noise no longer hide it.",
    )
    # the published cells (shown 5 for unit A's January total... and the 2 burglaries
    # round to 0): every published incident counts as fully confirmed
    assert set(layer.atoms.kappa.tolist()) <= {0.0, 1.0}
    exact = apply_design(index, Design(references="truncated"))
    assert exact.notes == ()


def test_references_name_area_units_by_their_code():
    import geopandas as gpd
    import shapely

    area = gpd.GeoDataFrame(
        {S.AREA_CODE: ["A1"]},
        geometry=[shapely.box(-1.16, 52.94, -1.14, 52.96)],  # around unit A only
        crs=S.WGS84,
    )
    index = town(areas={"wards": area})
    layer = apply_design(index, Design(granularity="areas:wards", references="truncated"))
    assert [r[0] for r in refs(layer)] == ["A1"] * 4


def test_two_shown_groups_publish_their_total(index):
    # two groups are the fewest that have a total of their own (one group's total would
    # repeat it): unit A's January is 2 burglaries + 1 shoplifting
    layer = apply_design(index, Design(categories=("burglary_residential", "shoplifting")))
    assert rows(layer, index) == UNIT_A_ROWS


def test_an_empty_table_keeps_text_columns():
    # a design that publishes nothing still gives a table of the same kind: unit, window
    # and group are text, never numbers (a number column would not join the units' ids)
    index = town()
    f = apply_design(index, Design(min_count=50)).frame(index)
    for column in (S.UNIT, S.WINDOW, S.GROUP):
        assert not pd.api.types.is_numeric_dtype(f[column]), column
    units = pd.DataFrame({S.UNIT: [UNIT_A, UNIT_B]})
    assert len(f.merge(units, on=S.UNIT)) == 0


def test_without_households_a_unit_holds_the_assumed_density():
    # no households file: each unit is taken to hold the design's assumed households per
    # km² over its area, the figure the score divides by
    index = town()
    layer = apply_design(index, Design(assumed_households_per_km2=500.0))
    assert layer.units.n == 2
    assert layer.units.households.tolist() == pytest.approx((500.0 * layer.units.area_km2).tolist())


def test_the_smallest_adaptive_unit_sets_the_base_resolution():
    # adaptive units are built from H3 cells no smaller than the design's smallest unit
    # area: a larger minimum starts from coarser cells (kept in a series' unit table)
    import geopandas as gpd
    import shapely

    homes = gpd.GeoDataFrame(
        {S.HOUSEHOLDS: [500.0, 500.0]},
        geometry=[shapely.Point(A[1], A[0]), shapely.Point(B[1], B[0])],
        crs=S.WGS84,
    )
    index = town(households=homes)
    base = {
        area: apply_design(
            index, Design(granularity="adaptive:40", min_unit_area_m2=area)
        ).units.base_resolution
        for area in (10_000.0, 5_000_000.0)
    }
    assert base[5_000_000.0] < base[10_000.0]


def test_a_layer_does_not_depend_on_what_the_index_computed_before():
    # the index caches a grouping's cells for count-only changes; noise publishes its
    # own cells, so a noisy layer and an exact one computed in either order on one index
    # are each the layer computed on a fresh index
    exact, noisy = Design(), Design(counts="noise", epsilon=3.0, noise_seed=4)

    def cells(layer):
        return [
            layer.cell_unit.tolist(),
            layer.cell_window.tolist(),
            layer.cell_group.tolist(),
            layer.cell_shown.tolist(),
        ]

    alone = {d: cells(apply_design(town(), d)) for d in (exact, noisy)}
    for order in ((exact, noisy), (noisy, exact)):
        index = town()
        assert [cells(apply_design(index, d)) for d in order] == [alone[d] for d in order]


def test_listed_references_confirm_every_published_incident_and_no_other(index):
    # banded at min count 2 without totals: only unit A's 2 January burglaries are
    # published, shown as "1 to 2" (half confirmed); listing their references confirms
    # them fully, and the suppressed incidents stay unconfirmed
    banded = Design(counts="banded", min_count=2, totals=False)
    assert apply_design(index, banded).atoms.kappa.tolist() == [0.5, 0.0, 0.0, 0.0, 0.0]
    listed = apply_design(index, banded.with_(references="truncated"))
    assert listed.atoms.kappa.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert listed.published_incidents == 2


def test_a_noisy_layer_publishes_noise_not_the_true_counts():
    # epsilon 0.5 over nine true cells: the keyed noise (seed 4) moves some counts, and
    # noise is drawn over its own domain, so cells with no incident appear too; the
    # exact counts are never what a noisy design publishes
    layer = apply_design(town(), Design(counts="noise", epsilon=0.5, noise_seed=4))
    assert (layer.cell_shown != layer.cell_true).any()
    assert 0 in layer.cell_true.tolist()
    assert (layer.cell_shown >= 1).all()


def test_two_unit_sets_of_one_granularity_keep_their_own_cells():
    # without households, adaptive units are drawn from the assumed density: 10 and
    # 100,000 homes per km² give other units under the same name 'adaptive:40'. The
    # index caches each unit set's grouped cells; neither may read the other's
    sparse = Design(granularity="adaptive:40", assumed_households_per_km2=10.0)
    dense = sparse.with_(assumed_households_per_km2=100_000.0)
    alone = {d: rows(apply_design(town(), d), town()) for d in (sparse, dense)}
    assert alone[sparse] != alone[dense]
    index = town()
    assert [rows(apply_design(index, d), index) for d in (sparse, dense)] == [
        alone[sparse],
        alone[dense],
    ]
