"""The release plan (crimedash/plan.py): the privacy budget is spent over every product
and release of a series, and the export refuses to go beyond it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from crimedash.approval import Approval
from crimedash.bundlewrite import MANIFEST
from crimedash.design import Design
from crimedash.designlog import DesignLog
from crimedash.errors import ExportError
from crimedash.export import export_bundle
from crimedash.plan import Plan, budget, series_products

KEY = 55_555_555
MONTHLY = Design(granularity="h3:7", counts="noise", epsilon=1.0, noise_seed=KEY)
QUARTERLY = MONTHLY.with_(frequency="quarterly", time_precision="quarter")
APPROVAL = Approval(
    reviewer="Sam Reviewer",
    publisher="Testshire Council",
    contact="crime-maps@testshire.example",
    justification="Tested on purpose.",
    series="monthly burglary map",
)


@pytest.mark.parametrize(
    ("products", "spent"),
    [
        ((MONTHLY,), 1.0),  # one product: its epsilon
        ((MONTHLY, MONTHLY), 1.0),  # republished with the same key: repeats, costs 0
        ((MONTHLY, MONTHLY.with_(min_count=3)), 1.0),  # same values, fewer shown
        ((MONTHLY, QUARTERLY), 2.0),  # new cells of the same incidents: 1 + 1
        ((MONTHLY, MONTHLY.with_(noise_seed=KEY + 1)), 2.0),  # a new key is fresh noise
        ((MONTHLY, QUARTERLY.with_(epsilon=0.5), MONTHLY), 1.5),  # 1 + 0.5 + 0
        ((MONTHLY, Design(granularity="h3:7")), math.inf),  # exact counts: no bound
    ],
    ids=["one", "republished", "threshold", "quarterly", "new key", "mixed", "exact"],
)
def test_budget_composes_over_distinct_noisy_products(products, spent):
    b = budget(Plan(products))
    assert b.spent == spent
    assert b.exceeded == (spent > MONTHLY.epsilon_budget)


def test_adding_a_product_never_lowers_the_spend():
    """Sequential composition only adds: a longer plan spends at least as much."""
    candidates = [MONTHLY, QUARTERLY, MONTHLY.with_(noise_seed=7), QUARTERLY.with_(epsilon=0.3)]
    for k in range(1, len(candidates)):
        assert (
            budget(Plan(tuple(candidates[: k + 1]))).spent
            >= budget(Plan(tuple(candidates[:k]))).spent
        )


def test_a_revision_spends_its_epsilon_again():
    """Republishing the same cells costs nothing; revising them (new true counts, so new
    keyed noise on the same incidents) spends the epsilon once per revision, wherever
    the revision stands in the plan."""
    assert budget(Plan((MONTHLY, MONTHLY))).spent == 1.0
    assert budget(Plan((MONTHLY, MONTHLY), revised=(True,))).spent == 2.0
    assert budget(Plan((MONTHLY, MONTHLY), revised=(False, True))).spent == 2.0
    assert budget(Plan((MONTHLY, MONTHLY, MONTHLY), revised=(True, False, True))).spent == 3.0
    row = budget(Plan((MONTHLY, MONTHLY), revised=(True,))).products[0]
    assert row["charged"] == 1.0 and "revision" in row["why"]


def test_revisions_in_the_log_are_charged(sample_dataset, tmp_path: Path):
    """A monthly release, then a revision of it: 2 of a budget of 2. A second revision
    would make 3 and is refused; a plain republication still costs nothing."""
    log = DesignLog(tmp_path / "log.sqlite3")
    design = MONTHLY.with_(epsilon_budget=2.0)
    export_bundle(sample_dataset, design, APPROVAL, tmp_path / "m1", log=log)
    revised = Approval(**{**APPROVAL.to_dict(), "revision": True})
    r1 = export_bundle(sample_dataset, design, revised, tmp_path / "r1", log=log)
    m = json.loads((r1 / "review" / MANIFEST).read_text())
    assert m["release_plan"]["budget"]["spent"] == 2.0
    assert m["approval"]["revision"] is True
    with pytest.raises(ExportError, match=r"epsilon 3 spent .* limit of 2"):
        export_bundle(sample_dataset, design, revised, tmp_path / "r2", log=log)
    again = export_bundle(sample_dataset, design, APPROVAL, tmp_path / "m2", log=log)
    m2 = json.loads((again / "review" / MANIFEST).read_text())
    assert m2["release_plan"]["budget"]["spent"] == 2.0  # the logged revision still counts


def test_the_budget_warns_before_it_is_exceeded():
    b = budget(Plan((MONTHLY.with_(epsilon_budget=2.5), QUARTERLY)))
    assert b.warn and not b.exceeded
    assert "spent" in b.sentence() and "limit of 2.5" in b.sentence()
    assert not budget(Plan((Design(),))).noisy  # no noise, no budget


def test_the_log_knows_what_the_series_published(sample_dataset, tmp_path: Path):
    """A quarterly release after two monthly ones: the monthly republication costs
    nothing, the quarterly adds its epsilon, and a third new product is refused."""
    log = DesignLog(tmp_path / "log.sqlite3")
    first = export_bundle(sample_dataset, MONTHLY, APPROVAL, tmp_path / "m1", log=log)
    export_bundle(sample_dataset, MONTHLY, APPROVAL, tmp_path / "m2", log=log)
    assert series_products(log, APPROVAL.series) == [MONTHLY, MONTHLY]
    assert series_products(log, "another series") == []
    m1 = json.loads((first / "review" / MANIFEST).read_text())
    assert m1["release_plan"]["budget"]["spent"] == 1.0
    q = export_bundle(sample_dataset, QUARTERLY, APPROVAL, tmp_path / "q", log=log)
    mq = json.loads((q / "review" / MANIFEST).read_text())
    assert mq["release_plan"]["budget"]["spent"] == 2.0  # quarterly 1 + monthly 1 (+0 + 0)
    assert "Privacy budget" in (q / "review" / "report.md").read_text()
    weekly = MONTHLY.with_(frequency="weekly", time_precision="week", epsilon=1.5)
    with pytest.raises(ExportError, match=r"epsilon 3\.5 spent .* limit of 3"):
        export_bundle(sample_dataset, weekly, APPROVAL, tmp_path / "w", log=log)
    assert not (tmp_path / "w").exists()  # refused before anything was written
    # another series starts its own budget
    other = Approval(**{**APPROVAL.to_dict(), "series": "weekly map"})
    export_bundle(sample_dataset, weekly, other, tmp_path / "w2", log=log)


def test_export_refuses_a_release_that_proves_what_the_series_suppressed(
    sample_dataset, tmp_path: Path
):
    """Output areas monthly min 3 is public; the same data quarterly min 3 would prove
    some suppressed monthly cells, so it needs the reviewer's justification, and the
    review record says what the combination reveals."""
    log = DesignLog(tmp_path / "log.sqlite3")
    monthly = Design(granularity="areas:output_areas", min_count=3)
    quarterly = monthly.with_(frequency="quarterly", time_precision="quarter")
    export_bundle(sample_dataset, monthly, APPROVAL, tmp_path / "m", log=log)
    silent = Approval(**{**APPROVAL.to_dict(), "justification": ""})
    with pytest.raises(ExportError, match="cells this design leaves out are proven non-empty"):
        export_bundle(sample_dataset, quarterly, silent, tmp_path / "q", log=log)
    with pytest.raises(ExportError, match="proven non-empty"):  # --also without the log
        export_bundle(sample_dataset, monthly, silent, tmp_path / "q", also=[quarterly])
    out = export_bundle(sample_dataset, quarterly, APPROVAL, tmp_path / "q", log=log)
    m = json.loads((out / "review" / MANIFEST).read_text())
    diff = m["release_plan"]["differencing"]
    assert diff["products"] == 2 and diff["proven_cells"] > 0
    assert diff["sentence"] in (out / "review" / "report.md").read_text()
    # a new series holds only its own releases
    fresh = Approval(**{**silent.to_dict(), "series": "quarterly only"})
    with pytest.raises(ExportError, match="verdict is"):
        export_bundle(sample_dataset, quarterly, fresh, tmp_path / "q2", log=log)
