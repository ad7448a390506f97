"""Attack figures for a series of releases on the sample city (issue 11): what an
attacker who keeps every noisy release recovers.

    .venv/bin/python benchmarks/releases.py

Prints, for h3:8 monthly counts with noise (epsilon 1):
- the share of non-zero published cells whose exact count the median of 32 releases
  recovers, when every release draws fresh noise (a new seed each time: the behaviour
  before the noise was keyed to the series) and when the releases share the series key;
- the share of old cells whose value changes when the history is republished with one
  more month (same key);
- for output areas and h3:10, monthly min count 3 published beside quarterly min
  count 3: the share of the monthly map's suppressed incidents at homes the two prove
  non-empty together (the differencing attacker, crimedash/differencing.py), and the
  plan's one score and verdict (crimedash/planrisk.py) against the monthly map's own;
- h3:10 monthly min 3 by category beside an all-crime map of the same hexagons (groups
  read together);
- adaptive:8 units built before and after the last month is added: how many unit ids
  appear or disappear (outlines that move with the data), and with a fifth of the homes
  gone: built from those households, against the series' stored table;
- nested units: output areas monthly min 3 beside neighbourhoods (monthly, quarterly)
  min 3, read together on the output areas (crimedash/nesting.py);
- police.uk's own publication: the sample city's 24 police.uk files, h3:9 and output
  areas monthly min 3 beside quarterly min 3: the plan's score without police.uk, with
  it, and beyond it, and what police.uk alone proves.
Not a timing benchmark: it lives here because it runs on realistic data and prints
figures rather than asserting them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crimedash import schema as S
from crimedash.dataset import load_dataset, sample_dataset
from crimedash.design import Design
from crimedash.differencing import differencing
from crimedash.index import index_incidents
from crimedash.layer import apply_design
from crimedash.plan import Plan, from_police_uk
from crimedash.planrisk import plan_risk
from crimedash.seriesunits import stored_units, unit_table

RELEASES = 32
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


def cells(layer) -> pd.Series:
    """Published group cells keyed (unit, window, group) -> shown count (0 if absent)."""
    key = pd.MultiIndex.from_arrays([layer.cell_unit, layer.cell_window, layer.cell_group])
    return pd.Series(layer.cell_shown, index=key)


def recovered(index, design: Design, seeds: list[int]) -> float:
    """Share of non-zero true cells the per-cell median over releases gets exactly."""
    layers = [apply_design(index, design.with_(noise_seed=s)) for s in seeds]
    truth = pd.Series(
        layers[0].cell_true,
        index=pd.MultiIndex.from_arrays(
            [layers[0].cell_unit, layers[0].cell_window, layers[0].cell_group]
        ),
    )
    truth = truth[truth > 0]
    shown = pd.concat([cells(lay).reindex(truth.index, fill_value=0.0) for lay in layers], axis=1)
    med = np.round(shown.median(axis=1).to_numpy())
    return float((med == truth.to_numpy()).mean())


def main() -> None:
    ds = sample_dataset()
    index = ds.index
    design = Design(granularity="h3:8", counts="noise", epsilon=1.0, noise_seed=1)
    fresh = recovered(index, design, list(range(1, RELEASES + 1)))
    keyed = recovered(index, design, [1] * RELEASES)
    print(f"median of {RELEASES} releases, fresh noise each release: {fresh:.1%} exact")
    print(f"median of {RELEASES} releases, one series key:          {keyed:.1%} exact")

    # republish the history with one more month: do old cells keep their values?
    inc = ds.loaded.incidents
    month = inc[S.OCCURRED_AT].dt.to_period("M")
    last = month.max()
    ctx = {"households": ds.households, "areas": ds.areas}
    before = index_incidents(inc[month < last], time_precision=index.data_precision, **ctx)
    old = cells(apply_design(before, design))
    new = cells(apply_design(index, design))
    both = old.index.intersection(new.index)
    changed = float((old[both] != new[both]).mean()) if len(both) else 0.0
    print(f"old cells whose value changes when a month is added: {changed:.1%}")

    # two products of the same data: monthly and quarterly, both with min count 3
    for granularity in ("areas:output_areas", "h3:10"):
        monthly = Design(granularity=granularity, min_count=3)
        quarterly = monthly.with_(frequency="quarterly", time_precision="quarter")
        risk = plan_risk(index, Plan((monthly, quarterly)))
        d = risk.differencing
        print(
            f"{granularity} monthly min 3 + quarterly min 3: {d.proven_share:.1%} of the "
            f"{d.suppressed_homes:,} suppressed incidents at homes proven "
            f"({d.proven_homes:,}; {d.exact_homes:,} exactly); plan score "
            f"{risk.score:.1f} ({risk.verdict}) against {risk.alone:.1f} for the monthly map"
        )

    # categories beside an all-crime map of the same hexagons
    cats = Design(granularity="h3:10", min_count=3, totals=False)
    everything = cats.with_(grouping=tuple((c, "All crime") for c in index.categories))
    d = differencing(index, [apply_design(index, cats), apply_design(index, everything)])
    print(
        f"h3:10 monthly min 3 by category + an all-crime map: {d.proven_share:.1%} of the "
        f"{d.suppressed_homes:,} suppressed incidents at homes proven ({d.proven_homes:,}; "
        f"{d.exact_homes:,} exactly)"
    )

    # adaptive units before and after a month is added
    adaptive = Design(granularity="adaptive:8")
    ids_before = set(unit_table(before, apply_design(before, adaptive))["ids"])
    ids_after = set(unit_table(index, apply_design(index, adaptive))["ids"])
    print(
        f"adaptive:8 units when a month is added: {len(ids_after - ids_before)} new, "
        f"{len(ids_before - ids_after)} gone, of {len(ids_after):,}"
    )
    fewer_hh = ds.households.sample(frac=0.8, random_state=3)
    fewer = index_incidents(inc, time_precision=index.data_precision, households=fewer_hh)
    table = unit_table(index, apply_design(index, adaptive))
    ids_fewer = set(unit_table(fewer, apply_design(fewer, adaptive))["ids"])
    stored, outside = stored_units(fewer, adaptive, table)
    ids_stored = set(stored.labels(fewer, np.arange(stored.n)))
    print(
        f"adaptive:8 with a fifth of the homes gone: built from those households "
        f"{len(ids_fewer - ids_after)} new, {len(ids_after - ids_fewer)} gone; from the "
        f"series' stored table {len(ids_stored - ids_after)} new, "
        f"{len(ids_after - ids_stored)} gone ({outside:,.0f} households outside)"
    )

    # nested units: output areas beside neighbourhoods
    oa = Design(granularity="areas:output_areas", min_count=3, totals=False)
    for freq, prec in (("monthly", "month"), ("quarterly", "quarter")):
        nb = oa.with_(granularity="areas:neighbourhoods", frequency=freq, time_precision=prec)
        risk = plan_risk(index, Plan((oa, nb)))
        d = risk.differencing
        read = "read together" if d.products == 2 else "not read together (a floor)"
        print(
            f"output areas monthly min 3 + neighbourhoods {freq} min 3 ({read}): "
            f"{d.proven_share:.1%} of the {d.suppressed_homes:,} suppressed incidents at "
            f"homes proven ({d.proven_homes:,}; {d.exact_homes:,} exactly); plan score "
            f"{risk.score:.1f} ({risk.verdict}) against {risk.alone:.1f} alone"
        )

    # police.uk's own publication of the sample city
    puk = load_dataset(
        sorted(str(p) for p in (SAMPLE / "police_uk").glob("*-street.csv")),
        households=str(SAMPLE / "households.csv"),
        areas={"output_areas": str(SAMPLE / "output_areas.geojson")},
    )
    assert from_police_uk(puk.loaded.files)
    for granularity in ("h3:9", "areas:output_areas"):
        monthly = Design(granularity=granularity, min_count=3)
        quarterly = monthly.with_(frequency="quarterly", time_precision="quarter")
        plain = plan_risk(puk.index, Plan((monthly, quarterly)))
        risk = plan_risk(puk.index, Plan((monthly, quarterly), police_uk=True))
        b = risk.police_uk
        print(
            f"police.uk files, {granularity} monthly min 3 + quarterly min 3: without "
            f"police.uk {plain.score:.1f} ({plain.verdict}, {plain.differencing.proven_homes:,} "
            f"proven); with police.uk {b.score_with:.1f}; beyond police.uk "
            f"{b.score_beyond:.1f} ({risk.verdict}); police.uk alone proves "
            f"{b.alone.proven_homes:,} of {b.alone.suppressed_homes:,} suppressed incidents at "
            f"homes ({b.alone.exact_homes:,} exactly), the plan {b.beyond_homes:,} more"
        )


if __name__ == "__main__":
    main()
