"""One score and verdict for a whole release plan (crimedash/planrisk.py): hand-checked
on a layer small enough to work out on paper, a property that adding a release never
lowers it, and the export's refusal and report on the sample city."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crimedash import schema as S
from crimedash.approval import Approval
from crimedash.bundlewrite import MANIFEST, REPORT_MD
from crimedash.design import Design
from crimedash.errors import ExportError
from crimedash.export import export_bundle
from crimedash.index import index_incidents
from crimedash.plan import Plan
from crimedash.planrisk import RANK, plan_risk
from crimedash.risk import evaluate

MONTHLY = Design(granularity="h3:7", min_count=3, totals=False)
QUARTERLY = MONTHLY.with_(frequency="quarterly", time_precision="quarter")
ALL_CRIME = (("burglary_residential", "All"), ("anti_social_behaviour", "All"))


def _index(cells: dict[tuple[str, str], int]):
    """Incidents at one home: `cells` maps (month '2024-01', category) to how many."""
    rows = [(m, c) for (m, c), k in cells.items() for _ in range(k)]
    n = len(rows)
    return index_incidents(
        pd.DataFrame(
            {
                S.INCIDENT_ID: [f"I{i}" for i in range(n)],
                S.REFERENCE: [f"R{i}" for i in range(n)],
                S.OCCURRED_AT: [pd.Timestamp(f"{m}-10") for m, _ in rows],
                S.CATEGORY: [c for _, c in rows],
                S.LATITUDE: 52.95,
                S.LONGITUDE: -1.15,
                S.LOCATION_TYPE: "residential",
                S.SOURCE_FILE: "hand.csv",
                S.SOURCE_ROW: np.arange(1, n + 1),
            }
        )
    )


def test_the_plan_adds_what_only_the_combination_proves():
    """Burglaries at one home: January 2, February 5, March 5 (12 shown). Monthly min 3
    alone hides January; with the quarter (12) it is 12 - 5 - 5 = 2. The plan scores
    the worse single map plus 100 x 2/12, and is held at amber for the proven cell."""
    b = "burglary_residential"
    index = _index({("2024-01", b): 2, ("2024-02", b): 5, ("2024-03", b): 5})
    alone = plan_risk(index, Plan((MONTHLY,)))
    assert alone.n_products == 1 and alone.differencing.proven_homes == 0
    assert alone.score == pytest.approx(evaluate(index, MONTHLY).score)
    both = plan_risk(index, Plan((MONTHLY, QUARTERLY)))
    worst_single = max(evaluate(index, d).score for d in (MONTHLY, QUARTERLY))
    assert both.differencing.proven_homes == 2
    assert both.score == pytest.approx(min(100.0, worst_single + 100 * 2 / 12))
    assert both.verdict != "green"
    assert any("prove 1 cells" in r for r in both.reasons)
    assert both.alone == pytest.approx(alone.score)
    # republishing the same product is one product: nothing new for an attacker
    again = plan_risk(index, Plan((MONTHLY, QUARTERLY, MONTHLY)))
    assert again.n_products == 2 and again.score == pytest.approx(both.score)


POOL = [
    MONTHLY,
    QUARTERLY,
    MONTHLY.with_(min_count=2),
    MONTHLY.with_(grouping=ALL_CRIME),
    QUARTERLY.with_(grouping=ALL_CRIME),
    MONTHLY.with_(counts="rounded", round_base=5),
]
MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04"]
CATS = ["burglary_residential", "anti_social_behaviour"]


@settings(max_examples=25)
@given(
    counts=st.lists(st.integers(0, 6), min_size=8, max_size=8),
    order=st.permutations(range(len(POOL))),
    k=st.integers(1, 4),
    police_uk=st.booleans(),
)
def test_adding_a_release_never_lowers_the_combined_risk(counts, order, k, police_uk):
    """Any plan, any further product: the plan's score and verdict never go down (an
    attacker who holds more can prove no less). With police.uk's own publication read
    too (through the full attacker: these incidents are timed finer than the month), the score
    beyond police.uk never goes down either: what police.uk alone proves is fixed by the
    design under review, and the combination only proves more."""
    cells = {
        (m, c): n for (m, c), n in zip([(m, c) for m in MONTHS for c in CATS], counts, strict=True)
    }
    if not any(cells.values()):
        cells[("2024-01", CATS[0])] = 1
    index = _index({key: n for key, n in cells.items() if n})
    plan = tuple(POOL[i] for i in order[: k + 1])
    before = plan_risk(index, Plan(plan[:k], police_uk=police_uk))
    after = plan_risk(index, Plan(plan, police_uk=police_uk))
    assert after.score >= before.score - 1e-9
    assert RANK[after.verdict] >= RANK[before.verdict]
    assert after.differencing.proven_homes >= before.differencing.proven_homes
    if police_uk:
        assert after.police_uk.score_with >= before.police_uk.score_with - 1e-9
        assert after.police_uk.alone == before.police_uk.alone
        assert after.police_uk.beyond_homes >= before.police_uk.beyond_homes


APPROVAL = Approval(
    reviewer="Sam Reviewer",
    publisher="Testshire Council",
    contact="crime-maps@testshire.example",
    next_review="2099-01-01",
)


def test_export_judges_the_plan_and_the_report_shows_it(sample_dataset, tmp_path: Path):
    """Sample city, neighbourhoods monthly plus an all-crime map of the same units: the
    export is refused without a justification when the plan is not green, and with one
    the manifest and the report carry the plan's one score and verdict."""
    design = Design(granularity="areas:neighbourhoods", min_count=3, totals=False)
    also = design.with_(grouping=tuple((c, "All") for c in sample_dataset.index.categories))
    risk = plan_risk(sample_dataset.index, Plan((design, also)))
    assert risk.n_products == 2
    assert risk.differencing.proven_cells > 0 and risk.verdict != "green"
    with pytest.raises(ExportError) as info:
        export_bundle(sample_dataset, design, APPROVAL, tmp_path / "refused", also=[also])
    assert "read together" in str(info.value).lower()
    assert not (tmp_path / "refused").exists()
    ok = APPROVAL.__class__(**{**APPROVAL.to_dict(), "justification": "Tested on purpose."})
    out = export_bundle(sample_dataset, design, ok, tmp_path / "b", also=[also])
    manifest = json.loads((out / "review" / MANIFEST).read_text())
    plan = manifest["release_plan"]["risk"]
    assert plan["verdict"] == risk.verdict and plan["score"] == round(risk.score, 2)
    assert [p["product"] for p in plan["products"]] == ["under review", "product 2"]
    report = (out / "review" / REPORT_MD).read_text()
    assert "Release plan: 2 products read together score" in report
