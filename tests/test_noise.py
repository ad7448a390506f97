"""Noise fixed for the life of a series (crimedash/noise.py): keeping releases, or
republishing the history, gives an attacker nothing that one release did not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from enginekit import households_frame, incidents_frame, square_areas

from crimedash import noise
from crimedash import schema as S
from crimedash.design import Design
from crimedash.index import index_incidents
from crimedash.layer import apply_design

NOISY = dict(counts="noise", epsilon=1.0, noise_seed=4242)


def _cells(layer) -> dict[tuple[int, int, int], float]:
    return {
        (u, w, g): s
        for u, w, g, s in zip(
            layer.cell_unit.tolist(),
            layer.cell_window.tolist(),
            layer.cell_group.tolist(),
            layer.cell_shown.tolist(),
            strict=True,
        )
    }


def _by_label(layer, index) -> dict[tuple[str, str, str], float]:
    f = layer.frame(index)
    return dict(zip(zip(f[S.UNIT], f[S.WINDOW], f[S.GROUP], strict=True), f[S.SHOWN], strict=True))


@pytest.fixture(scope="module")
def history():
    """Six months of incidents, and the same data with a seventh month added."""
    rng = np.random.default_rng(3)
    inc = incidents_frame(rng, 600)
    hh = households_frame(rng, 200)
    areas = {"fine": square_areas(0.01)}
    extra = incidents_frame(np.random.default_rng(4), 100)
    extra[S.OCCURRED_AT] = pd.Timestamp("2024-07-03") + pd.to_timedelta(np.arange(100), unit="h")
    extra[S.INCIDENT_ID] = [f"J{i:05d}" for i in range(100)]
    more = pd.concat([inc, extra], ignore_index=True)
    return (
        index_incidents(inc, households=hh, areas=areas),
        index_incidents(more, households=hh, areas=areas),
    )


@pytest.mark.parametrize("granularity", ["h3:8", "grid:500", "areas:fine", "adaptive:5"])
def test_adding_a_month_changes_no_old_cell(history, granularity):
    """Republishing the history with a new month: every cell of the old months has the
    value it had (before, 63% of old cells got new noise)."""
    old_index, new_index = history
    design = Design(granularity=granularity, **NOISY)
    old = _by_label(apply_design(old_index, design), old_index)
    new = _by_label(apply_design(new_index, design), new_index)
    assert any(w.startswith("2024-07") for _, w, _ in new)  # the new month is there
    shared = [k for k in old if not k[1].startswith("2024-07")]
    assert shared
    assert all(new[k] == old[k] for k in shared)
    # and nothing published before vanished (a cell dropped would be a change too)
    assert set(shared) <= set(new)


def test_the_same_cell_gives_the_same_value_in_every_release(history):
    """32 releases of one series are 32 copies of one release: their median is that
    release, so averaging recovers nothing more."""
    index, _ = history
    design = Design(granularity="h3:8", **NOISY)
    first = _cells(apply_design(index, design))
    for _ in range(3):
        index.cache.clear()  # rebuilt from scratch, as a later export would
        assert _cells(apply_design(index, design)) == first


def test_a_new_series_key_draws_new_noise(history):
    index, _ = history
    a = apply_design(index, Design(granularity="h3:8", **NOISY))
    b = apply_design(index, Design(granularity="h3:8", **{**NOISY, "noise_seed": 4243}))
    assert not np.array_equal(a.cell_shown, b.cell_shown)


def test_a_revised_count_is_redrawn_not_shifted():
    """A cell whose true count changes gets an independent draw, so the difference of
    two releases is not the revision itself; the same count gives the same value."""
    u = noise.keyed(1, ["h3:abc"])
    g = noise.keyed(1, ["group:Burglary"])
    zero = np.zeros(1000, dtype=np.int64)
    same = noise.cell_noise(u, zero, "month", np.arange(1000), g, zero, 0.5, np.full(1000, 3))
    again = noise.cell_noise(u, zero, "month", np.arange(1000), g, zero, 0.5, np.full(1000, 3))
    revised = noise.cell_noise(u, zero, "month", np.arange(1000), g, zero, 0.5, np.full(1000, 4))
    assert np.array_equal(same, again)
    assert (same != revised).mean() > 0.5  # most draws differ: not "old + 1"
    assert np.corrcoef(same, revised)[0, 1] < 0.1


@pytest.mark.parametrize("epsilon", [0.25, 1.0, 3.0])
def test_each_draw_is_two_sided_geometric(epsilon):
    """Over many cells the noise has the discrete Laplace law of one release:
    P(0) = (1 - a) / (1 + a) and E|N| = 2a / (1 - a^2), a = e^-epsilon."""
    n = 200_000
    u = noise.keyed(9, [f"h3:{i:x}" for i in range(n // 100)])
    g = noise.keyed(9, ["group:x"])
    unit = np.repeat(np.arange(n // 100), 100)
    draw = noise.cell_noise(
        u, unit, "month", np.tile(np.arange(100), n // 100), g, np.zeros(n, int), epsilon,
        np.zeros(n, dtype=np.int64),
    )  # fmt: skip
    a = np.exp(-epsilon)
    assert (draw == 0).mean() == pytest.approx((1 - a) / (1 + a), abs=0.01)
    assert np.abs(draw).mean() == pytest.approx(2 * a / (1 - a**2), rel=0.03)
    assert abs(draw.mean()) < 0.05
