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
  appear or disappear (outlines that move with the data).
Not a timing benchmark: it lives here because it runs on realistic data and prints
figures rather than asserting them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimedash import schema as S
from crimedash.dataset import sample_dataset
from crimedash.design import Design
from crimedash.differencing import differencing
from crimedash.index import index_incidents
from crimedash.layer import apply_design
from crimedash.plan import Plan
from crimedash.planrisk import plan_risk
from crimedash.seriesunits import unit_table

RELEASES = 32


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


if __name__ == "__main__":
    main()
