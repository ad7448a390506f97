"""The public layer: exactly what is published, changed only by named disclosure control."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from enginekit import incidents_frame, make_index
from hypothesis import given, settings
from hypothesis import strategies as st

from crimedash import schema as S
from crimedash.atoms import TOTAL_GROUP
from crimedash.design import Design
from crimedash.index import index_incidents
from crimedash.layer import apply_design


def _frame(rows):
    """Incidents from (category, minutes after 2024-01-01, lat offset m) tuples, all near
    one point, so at H3 res 8 they share a unit."""
    n = len(rows)
    return pd.DataFrame(
        {
            S.INCIDENT_ID: [f"I{i}" for i in range(n)],
            S.REFERENCE: [f"REF{i:04d}" for i in range(n)],
            S.OCCURRED_AT: [
                pd.Timestamp("2024-01-01") + pd.Timedelta(minutes=m) for _, m, _ in rows
            ],
            S.CATEGORY: [c for c, _, _ in rows],
            S.LATITUDE: [52.95 + d / 111_000 for _, _, d in rows],
            S.LONGITUDE: [-1.15] * n,
            S.LOCATION_TYPE: ["residential"] * n,
            S.SOURCE_FILE: "t.csv",
            S.SOURCE_ROW: range(1, n + 1),
        }
    )


def test_counts_by_unit_window_group_with_total():
    rows = [
        ("domestic_abuse", 10, 0),
        ("sexual_offences", 20, 1),
        ("shoplifting", 30, 2),
        ("shoplifting", 60 * 24 * 40, 3),
    ]  # the last one is in February
    index = index_incidents(_frame(rows))
    layer = apply_design(index, Design(granularity="h3:8"))
    f = layer.frame(index)
    assert f[S.UNIT].nunique() == 1
    got = {(w, g): c for w, g, c in zip(f[S.WINDOW], f[S.GROUP], f[S.SHOWN], strict=True)}
    assert got == {
        ("2024-01", "Shoplifting"): 1,
        ("2024-01", "Violence and sexual offences"): 2,
        ("2024-01", TOTAL_GROUP): 3,
        ("2024-02", "Shoplifting"): 1,
        ("2024-02", TOTAL_GROUP): 1,
    }
    assert list(f.columns) == [S.UNIT, S.WINDOW, S.GROUP, S.SHOWN, S.SHOWN_LABEL]


def test_suppression_with_secondary_suppression():
    """Jan: VSO 2 (suppressed under 3), shoplifting 5, total 7. With only VSO suppressed,
    7 - 5 gives it away, so shoplifting is suppressed too; the total stays."""
    rows = [("domestic_abuse", i, 0) for i in range(2)] + [("shoplifting", i, 1) for i in range(5)]
    index = index_incidents(_frame(rows))
    layer = apply_design(index, Design(granularity="h3:8", min_count=3))
    f = layer.frame(index)
    assert f[[S.GROUP, S.SHOWN]].values.tolist() == [[TOTAL_GROUP, 7]]
    assert layer.suppressed_cells == 1 and layer.secondary_suppressed_cells == 1
    # without a published total there is nothing to subtract from
    layer = apply_design(index, Design(granularity="h3:8", min_count=3, totals=False))
    assert layer.frame(index)[[S.GROUP, S.SHOWN]].values.tolist() == [["Shoplifting", 5]]
    assert layer.secondary_suppressed_cells == 0


@pytest.mark.parametrize(
    ("design", "expected"),
    [
        (Design(granularity="h3:8", counts="rounded", round_base=5, totals=False), [(5, "5")]),
        (Design(granularity="h3:8", counts="banded", totals=False), [(6, "6 to 10")]),
        (Design(granularity="h3:8", totals=False), [(7, "7")]),
    ],
)
def test_rounding_and_banding(design, expected):
    index = index_incidents(_frame([("shoplifting", i, 0) for i in range(7)]))
    f = apply_design(index, design).frame(index)
    assert list(zip(f[S.SHOWN], f[S.SHOWN_LABEL], strict=True)) == expected


def test_counts_differ_from_truth_only_through_named_steps():
    index = make_index(11, n=300)
    exact = apply_design(index, Design(granularity="h3:8"))
    assert np.array_equal(exact.cell_shown, exact.cell_true)
    rounded = apply_design(index, Design(granularity="h3:8", counts="rounded"))
    assert np.all(np.abs(rounded.cell_shown - rounded.cell_true) <= 2.5)
    noisy = apply_design(index, Design(granularity="h3:7", counts="noise", noise_seed=5))
    again = apply_design(index, Design(granularity="h3:7", counts="noise", noise_seed=5))
    assert np.array_equal(noisy.cell_shown, again.cell_shown)  # seeded: reproducible
    assert not np.array_equal(noisy.cell_shown, noisy.cell_true)


def test_hidden_groups_and_categories_are_not_published():
    index = make_index(12, n=200)
    layer = apply_design(
        index,
        Design(
            granularity="h3:8",
            hidden_groups=("Shoplifting",),
            categories=("shoplifting", "domestic_abuse"),
        ),
    )
    # one group left: an 'All crime' total would only repeat it, so none is published
    assert set(layer.frame(index)[S.GROUP]) == {"Violence and sexual offences"}


@pytest.mark.parametrize(
    ("mode", "check"),
    [
        (
            "truncated",
            lambda s: (
                s.str.endswith("*").all() and not s.isin([f"REF{i:04d}" for i in range(3)]).any()
            ),
        ),
        ("pseudonym", lambda s: s.str.startswith("P-").all()),
        ("full", lambda s: set(s) == {"REF0000", "REF0001", "REF0002"}),
    ],
)
def test_reference_modes(mode, check):
    index = index_incidents(_frame([("shoplifting", i, 0) for i in range(3)]))
    ack = ("full_references",) if mode == "full" else ()
    layer = apply_design(index, Design(granularity="h3:8", references=mode, acknowledge=ack))
    assert check(layer.references[S.REFERENCE])
    assert apply_design(index, Design(granularity="h3:8")).references is None


def test_public_frame_holds_no_raw_coordinates_or_exact_times():
    index = make_index(13, n=200)
    frame = incidents_frame(np.random.default_rng(13), 200)
    text = (
        apply_design(index, Design(granularity="h3:9", time_precision="month"))
        .frame(index)
        .to_csv(index=False)
    )
    for v in frame[S.LATITUDE].head(50):
        assert f"{v:.5f}" not in text
    assert "T" not in "".join(apply_design(index, Design()).frame(index)[S.WINDOW])


def test_month_precision_data_never_claims_finer_windows():
    index = make_index(14, n=100)
    index.data_precision = S.TimePrecision.MONTH
    layer = apply_design(index, Design(frequency="daily", time_precision="day"))
    assert layer.display_level == "month" and layer.risk_level == "month"
    assert any("month" in n for n in layer.notes)


COUNT_ONLY = [
    {"min_count": 3},
    {"min_count": 2, "totals": False},
    {"counts": "rounded", "round_base": 3},
    {"counts": "banded", "bands": (1, 3, 6)},
    {"counts": "noise", "epsilon": 1.0, "noise_seed": 9},
    {"min_count": 2, "references": "truncated"},
]


@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("change", COUNT_ONLY)
@pytest.mark.parametrize(
    "shape",
    [
        {"granularity": "h3:9", "frequency": "monthly"},
        {"granularity": "h3:9", "frequency": "weekly", "time_precision": "month"},
        {"granularity": "grid:250", "frequency": "daily", "hidden_groups": ("Burglary",)},
    ],
)
def test_a_count_only_change_reuses_the_grouping_and_publishes_the_same(shape, change, keep):
    """A change of how counts are shown reuses the cells before disclosure (cached on the
    index per units, windows and grouping; with `keep`, as in the app, also their
    layout and families for disclosure) and publishes exactly what the same design
    publishes on an index that never saw another design."""
    warm, cold = make_index(5, n=400), make_index(5, n=400)
    warm.keep_alternatives = keep
    first = Design(**shape)
    apply_design(warm, first)
    grouped = [k for k in warm.cache if k[0] == "grouped"]
    assert len(grouped) == 1
    again = apply_design(warm, first.with_(**change))
    assert [k for k in warm.cache if k[0] == "grouped"] == grouped  # reused, not rebuilt
    fresh = apply_design(cold, first.with_(**change))
    for name in ("cell_unit", "cell_window", "cell_group", "cell_shown", "cell_true"):
        a, b = getattr(again, name), getattr(fresh, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    for name in ("unit", "dwin", "slot", "n", "n_ref", "kappa", "cell"):
        a, b = getattr(again.atoms, name), getattr(fresh.atoms, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert again.frame(warm).equals(fresh.frame(cold))
    assert (again.suppressed_cells, again.secondary_suppressed_cells) == (
        fresh.suppressed_cells,
        fresh.secondary_suppressed_cells,
    )


@settings(max_examples=200, deadline=None)
@given(
    g_safe=st.integers(0, 5),
    n_display=st.integers(1, 9),
    cells=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 8), st.integers(0, 5))),
)
def test_decoding_cell_keys_orders_them_by_unit_window_group(g_safe, n_display, cells):
    """The keys' stable sort is the (unit, window, group) lexsort, ties in order."""
    from crimedash.layer import _decode

    cells = [(u, w % n_display, g % (g_safe + 1)) for u, w, g in cells]
    keys = np.array([(u * n_display + w) * (g_safe + 1) + g for u, w, g in cells], dtype=np.int64)
    cg, cu, cw, order = _decode(keys, g_safe, n_display)
    assert [(int(a), int(b), int(c)) for a, b, c in zip(cu, cw, cg, strict=True)] == cells
    assert np.array_equal(order, np.lexsort((cg, cw, cu)))
