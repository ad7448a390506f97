"""Products of nested units read together (crimedash/nesting.py and the differencing
attacker): output areas beside neighbourhoods, each output area inside one neighbourhood.
Hand-checked on squares small enough to work out on paper, then on the sample city."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from crimedash import schema as S
from crimedash.design import Design
from crimedash.differencing import differencing
from crimedash.index import index_incidents
from crimedash.layer import apply_design
from crimedash.nesting import nest_map
from crimedash.plan import Plan
from crimedash.planrisk import plan_risk

D = 0.01  # degrees: squares about 1 km across
FINE = Design(granularity="areas:fine", min_count=3, totals=False)


def _index(coarse_shift: float = 0.0):
    """Two fine squares side by side (west A, east B) and one coarse square over both
    (shifted east by `coarse_shift` of a square, so it need not hold them). January:
    2 burglaries at a home in A, 4 in B."""
    fine = gpd.GeoDataFrame(
        {"code": ["A", "B"], "households": [50, 50]},
        geometry=[box(0, 52, D, 52 + D), box(D, 52, 2 * D, 52 + D)],
        crs="EPSG:4326",
    )
    s = coarse_shift * D
    coarse = gpd.GeoDataFrame(
        {"code": ["N", "M"], "households": [100, 100]},
        geometry=[box(s, 52, 2 * D + s, 52 + D), box(2 * D + s, 52, 4 * D + s, 52 + D)],
        crs="EPSG:4326",
    )
    lon = [D * 0.9] * 2 + [D * 1.5] * 4  # A's two near its east edge, B's four mid-square
    n = len(lon)
    frame = pd.DataFrame(
        {
            S.INCIDENT_ID: [f"I{i}" for i in range(n)],
            S.REFERENCE: [f"R{i}" for i in range(n)],
            S.OCCURRED_AT: pd.Timestamp("2024-01-10"),
            S.CATEGORY: "burglary_residential",
            S.LATITUDE: 52 + D / 2,
            S.LONGITUDE: lon,
            S.LOCATION_TYPE: "residential",
            S.SOURCE_FILE: "hand.csv",
            S.SOURCE_ROW: np.arange(1, n + 1),
        }
    )
    return index_incidents(frame, areas={"fine": fine, "coarse": coarse})


def test_a_coarse_cell_is_the_sum_of_the_fine_cells_inside_it():
    """Fine min 3 hides A's 2 and shows B's 4; the coarse square N shows 6, so A holds
    6 - 4 = 2 exactly. Read either way round, the attacker uses the same sum."""
    index = _index()
    fine = apply_design(index, FINE)
    coarse = apply_design(index, FINE.with_(granularity="areas:coarse"))
    assert nest_map(index, fine.units, coarse.units).tolist() == [0, 0]
    got = differencing(index, [fine, coarse])
    assert (got.suppressed_homes, got.proven_homes, got.exact_homes, got.proven_cells) == (
        2,
        2,
        2,
        1,
    )
    assert "lies inside one of the coarser" in got.notes[0]
    # the coarse map hides nothing here, so nothing is left to prove about it
    assert differencing(index, [coarse, fine]).suppressed_homes == 0


def test_units_that_do_not_nest_are_not_read_together_and_the_figure_is_a_floor():
    """Coarse squares shifted by half a fine square: A lies half in N, half outside, so
    N's count is not A's plus B's and the attacker must not use it."""
    index = _index(coarse_shift=0.5)
    fine = apply_design(index, FINE)
    coarse = apply_design(index, FINE.with_(granularity="areas:coarse"))
    assert nest_map(index, fine.units, coarse.units) is None
    got = differencing(index, [fine, coarse])
    assert got.proven_homes == 0 and got.products == 1
    assert "do not nest" in got.notes[0] and "floor" in got.notes[0]


def test_h3_resolutions_do_not_nest(sample_dataset):
    """A child hexagon crosses its parent's edge: h3:9 beside h3:8 stays a floor."""
    index = sample_dataset.index
    h9 = apply_design(index, Design(granularity="h3:9", min_count=3))
    h8 = apply_design(index, Design(granularity="h3:8", min_count=3))
    assert nest_map(index, h9.units, h8.units) is None


@pytest.mark.parametrize(("frequency", "proven_at_least"), [("monthly", 0.05), ("quarterly", 0.0)])
def test_sample_city_output_areas_beside_neighbourhoods(sample_dataset, frequency, proven_at_least):
    """The sample city's 502 output areas nest in its 126 neighbourhoods: output areas
    monthly min 3 beside neighbourhoods at min 3 are read together, and the plan counts
    what only the combination proves. Every proof is checked against the truth: a cell
    proven non-empty holds an incident at a home."""
    index = sample_dataset.index
    oa = Design(granularity="areas:output_areas", min_count=3, totals=False)
    nb = oa.with_(granularity="areas:neighbourhoods", frequency=frequency,
                  time_precision="quarter" if frequency == "quarterly" else "month")  # fmt: skip
    fine, coarse = apply_design(index, oa), apply_design(index, nb)
    m = nest_map(index, fine.units, coarse.units)
    assert m is not None and (m[np.unique(fine.atoms.unit[fine.atoms.unit >= 0])] >= 0).all()
    got = differencing(index, [fine, coarse])
    assert got.products == 2 and got.proven_homes <= got.suppressed_homes
    assert got.proven_share > proven_at_least
    assert got.exact_homes <= got.proven_homes
    risk = plan_risk(index, Plan((oa, nb)))
    assert risk.differencing.proven_homes == got.proven_homes
    alone = plan_risk(index, Plan((oa,)))
    assert risk.score >= alone.score
