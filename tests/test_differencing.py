"""The differencing attacker (crimedash/differencing.py): products of the same data
read together, on layers small enough to check on paper, and on the sample city."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crimedash import schema as S
from crimedash.design import Design
from crimedash.differencing import differencing, prove_together
from crimedash.index import index_incidents
from crimedash.layer import apply_design

MONTHLY = Design(granularity="h3:7", min_count=3)
QUARTERLY = MONTHLY.with_(frequency="quarterly", time_precision="quarter")


def _at_one_home(when: list, categories):
    """An index of incidents all at one home, at the times and categories given."""
    n = len(when)
    frame = pd.DataFrame(
        {
            S.INCIDENT_ID: [f"I{i}" for i in range(n)],
            S.REFERENCE: [f"R{i}" for i in range(n)],
            S.OCCURRED_AT: when,
            S.CATEGORY: categories,
            S.LATITUDE: 52.95,
            S.LONGITUDE: -1.15,
            S.LOCATION_TYPE: "residential",
            S.SOURCE_FILE: "hand.csv",
            S.SOURCE_ROW: np.arange(1, n + 1),
        }
    )
    return index_incidents(frame)


def _index(months: dict[str, int], category: str = "burglary_residential"):
    """Burglaries at one home: `months` maps '2024-01' to how many."""
    when = [pd.Timestamp(f"{m}-10") for m, k in months.items() for _ in range(k)]
    return _at_one_home(when, category)


def test_two_products_prove_a_cell_each_suppresses_alone():
    """January 2, February 5, March 5. Monthly with min 3 leaves January out (it may be
    0, 1 or 2); the quarter is published as 12. Together: 12 - 5 - 5 = 2, exactly."""
    index = _index({"2024-01": 2, "2024-02": 5, "2024-03": 5})
    monthly, quarterly = apply_design(index, MONTHLY), apply_design(index, QUARTERLY)
    assert sorted(monthly.cell_shown.tolist()) == [5.0, 5.0] and quarterly.cell_shown.tolist() == [
        12.0
    ]
    alone = differencing(index, [monthly])
    assert (alone.suppressed_homes, alone.proven_homes) == (2, 0)
    both = differencing(index, [monthly, quarterly])
    assert (both.suppressed_homes, both.proven_homes, both.exact_homes) == (2, 2, 2)
    assert both.proven_cells == 1
    lo, hi, *_ = prove_together(index, [monthly, quarterly])
    assert sorted(zip(lo.tolist(), hi.tolist(), strict=True)) == [(2, 2), (5, 5), (5, 5)]


def test_two_suppressed_months_stay_hidden():
    """January 1, February 1, March 5: the quarter (7) minus March (5) leaves 2 for
    January and February together: each may be 0, 1 or 2, none is proven."""
    index = _index({"2024-01": 1, "2024-02": 1, "2024-03": 5})
    both = differencing(index, [apply_design(index, MONTHLY), apply_design(index, QUARTERLY)])
    assert (both.suppressed_homes, both.proven_homes) == (2, 0)


def test_a_quarter_under_the_threshold_proves_nothing():
    index = _index({"2024-01": 1, "2024-02": 1})
    both = differencing(index, [apply_design(index, MONTHLY), apply_design(index, QUARTERLY)])
    assert both.proven_homes == 0


@pytest.mark.parametrize("seed", range(6))
def test_adding_a_product_never_shrinks_what_is_proven(seed):
    """More constraints only narrow intervals: the proven set grows, and every interval
    still holds the truth (the attacker is sound)."""
    rng = np.random.default_rng(seed)
    months = {
        f"2024-{m:02d}": int(k) for m, k in zip(range(1, 7), rng.integers(0, 6, 6), strict=True)
    }
    index = _index({m: k for m, k in months.items() if k})
    products = [
        MONTHLY,
        QUARTERLY,
        MONTHLY.with_(min_count=2),
        MONTHLY.with_(counts="rounded", round_base=3),
    ]
    layers = [apply_design(index, d) for d in products]
    last = -1
    for k in range(1, len(layers) + 1):
        got = differencing(index, layers[:k])
        assert got.proven_homes >= last
        last = got.proven_homes
        lo, hi, key, n_w, g, cls = prove_together(index, layers[:k]) if k > 1 else (None,) * 6
        if lo is not None:
            truth = np.zeros(len(key))
            at = layers[0].atoms
            month = at.dwin  # monthly is the finest level here
            a_key = (at.unit * n_w + month) * g + cls[at.cat]  # g: category classes
            np.add.at(truth, np.searchsorted(key, a_key), at.n)
            assert (lo <= truth).all() and (truth <= hi).all()


def test_sample_city_output_areas_monthly_plus_quarterly(sample_dataset):
    """The issue's figure: output areas monthly min 3 plus quarterly min 3 prove some of
    the incidents at homes the monthly map suppressed (8.0% measured by hand)."""
    index = sample_dataset.index
    monthly = Design(granularity="areas:output_areas", min_count=3)
    quarterly = monthly.with_(frequency="quarterly", time_precision="quarter")
    alone = differencing(index, [apply_design(index, monthly)])
    both = differencing(index, [apply_design(index, monthly), apply_design(index, quarterly)])
    assert alone.proven_homes == 0
    assert both.suppressed_homes == alone.suppressed_homes > 0
    assert 0.02 < both.proven_share < 0.2
    assert both.exact_homes <= both.proven_homes


def test_cli_attack_reads_the_also_products_together(tmp_path, capsys):
    """`crimedash attack ... --also quarterly.json` says what the two products prove."""
    import json
    from pathlib import Path

    from crimedash.cli import main

    root = Path(__file__).resolve().parents[1] / "sample_data"
    quarterly = tmp_path / "quarterly.json"
    quarterly.write_text(
        Design(granularity="areas:output_areas", min_count=3, frequency="quarterly",
               time_precision="quarter").to_json()
    )  # fmt: skip
    args = ["attack", str(root / "incidents.csv"), "--households", str(root / "households.csv")]
    args += ["--areas", str(root / "output_areas.geojson"), "--granularity", "areas:output_areas"]
    args += ["--min-count", "3", "--also", str(quarterly), "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["differencing"]["products"] == 2
    assert out["differencing"]["proven_homes"] > 0
    assert out["budget"]["noisy"] is False
    # one score and verdict for the two products together, above the design's own
    assert len(out["plan"]["products"]) == 2 and out["plan"]["verdict"] != "green"
    assert out["plan"]["score"] >= out["plan"]["alone"]


def _two_categories(burglaries: int, asb: int):
    """`burglaries` burglaries and `asb` anti-social behaviour reports at one home in
    January 2024."""
    when = [pd.Timestamp("2024-01-10")] * (burglaries + asb)
    cats = ["burglary_residential"] * burglaries + ["anti_social_behaviour"] * asb
    return _at_one_home(when, cats)


ALL_CRIME = (("burglary_residential", "All"), ("anti_social_behaviour", "All"))


def test_categories_beside_an_all_crime_map_prove_the_suppressed_category():
    """January: 2 burglaries and 5 anti-social behaviour reports at one home. The map by
    category with min 3 shows ASB 5 and leaves burglary out (0, 1 or 2); an all-crime
    map of the same hexagons shows 7. Read together: burglary = 7 - 5 = 2, exactly. (The
    category map shows no total: with one, its own secondary suppression hides ASB.)"""
    index = _two_categories(2, 5)
    cats = apply_design(index, MONTHLY.with_(totals=False))
    total = apply_design(index, MONTHLY.with_(grouping=ALL_CRIME))
    assert cats.cell_shown.tolist() == [5.0] and total.cell_shown.tolist() == [7.0]
    alone = differencing(index, [cats])
    assert (alone.suppressed_homes, alone.proven_homes) == (2, 0)
    both = differencing(index, [cats, total])
    assert (both.products, both.proven_homes, both.exact_homes, both.proven_cells) == (2, 2, 2, 1)
    assert both.notes == []


def test_an_all_crime_map_under_the_threshold_proves_no_category():
    """1 burglary and 1 ASB report: both category cells and the all-crime cell (2) are
    suppressed at min 3; nothing is proven."""
    index = _two_categories(1, 1)
    cats = apply_design(index, MONTHLY.with_(totals=False))
    both = differencing(index, [cats, apply_design(index, MONTHLY.with_(grouping=ALL_CRIME))])
    assert (both.suppressed_homes, both.proven_homes) == (2, 0)


def test_products_of_other_units_are_named_not_read():
    """Units that differ are not read together: the result says so (a floor), instead of
    silently reporting nothing proven."""
    index = _two_categories(2, 5)
    cats = apply_design(index, MONTHLY.with_(totals=False))
    other = apply_design(index, MONTHLY.with_(granularity="h3:8", grouping=ALL_CRIME))
    got = differencing(index, [cats, other])
    assert got.products == 1 and got.proven_homes == 0
    assert len(got.notes) == 1 and "units differ" in got.notes[0] and "floor" in got.notes[0]
