"""The dashboard's Publication tab through streamlit's AppTest: past releases of the
series come from the design log, the plan is read as an attacker holding all of it, and
the noise budget warns before it is exceeded."""

from __future__ import annotations

from pathlib import Path

import pytest
from appkit import start

from crimedash.approval import Approval
from crimedash.design import Design
from crimedash.designlog import DesignLog
from crimedash.export import export_bundle
from crimedash.ui import publication as P
from crimedash.ui import query

pytestmark = pytest.mark.xdist_group("app")

APPROVAL = Approval(
    reviewer="Sam Reviewer",
    publisher="Ashbourne Vale Council",
    contact="crime-maps@ashbourne.example",
    justification="Tested on purpose.",
    next_review="2099-01-01",
)


@pytest.fixture
def log_path(monkeypatch, tmp_path: Path) -> Path:
    path = tmp_path / "designs.sqlite3"
    monkeypatch.setenv("CRIMEDASH_LOG", str(path))
    return path


def test_an_empty_log_says_this_is_the_first_release(log_path: Path) -> None:
    at = start()
    assert not at.exception, [e.message for e in at.exception]
    text = " ".join(c.value for c in at.caption)
    assert "this would be its first release" in text
    assert "adds no noise, so no privacy budget applies" in text


def test_the_series_is_read_with_what_it_already_published(sample_dataset, log_path: Path):
    """One quarterly release of the sample city is in the log; the design on the page
    (monthly) is read together with it, and the plan's one verdict is shown."""
    quarterly = Design(granularity="h3:8", frequency="quarterly", time_precision="quarter")
    export_bundle(
        sample_dataset, quarterly, APPROVAL, log_path.parent / "q1", log=DesignLog(log_path)
    )
    at = start()
    assert not at.exception, [e.message for e in at.exception]
    assert any("1 approved in the design log" in m.value for m in at.markdown)
    at.button(key=P.READ).click().run()
    assert not at.exception, [e.message for e in at.exception]
    said = [m.value for m in (*at.success, *at.warning, *at.error)]
    assert any(s.startswith("Release plan: 2 products read together score") for s in said)


def test_the_budget_warns_before_it_is_exceeded(sample_dataset, log_path: Path) -> None:
    """A noisy monthly release with epsilon 1 is public; the page's design is a noisy
    quarterly product with epsilon 1.5 under a budget of 3: 2.5 of 3 is past the 80%
    warning line, and the page says so before any export is tried."""
    monthly = Design(granularity="h3:8", counts="noise", epsilon=1.0, noise_seed=81_818_181)
    export_bundle(
        sample_dataset, monthly, APPROVAL, log_path.parent / "m1", log=DesignLog(log_path)
    )
    page_design = monthly.with_(frequency="quarterly", time_precision="quarter", epsilon=1.5)
    at = start(query.design_to_params(page_design))
    assert not at.exception, [e.message for e in at.exception]
    warned = [w.value for w in at.warning if w.value.startswith("Privacy budget")]
    assert warned and "epsilon 2.5 spent" in warned[0] and "83% of the budget" in warned[0]
    assert not any(e.value.startswith("Privacy budget") for e in at.error)


def _police_uk_page(paths: list[str]) -> None:
    from crimedash.dataset import load_dataset
    from crimedash.design import Design
    from crimedash.ui import publication

    design = Design(granularity="h3:7", min_count=3, totals=False)
    publication.page(load_dataset(paths), design)


def test_police_uk_files_show_the_plan_with_and_beyond_police_uk(log_path: Path) -> None:
    """Three months of the sample city's police.uk files: the tab says police.uk's own
    publication is read with the plan, and on the button shows both scores."""
    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parents[1] / "sample_data" / "police_uk"
    paths = sorted(str(p) for p in root.glob("2024-0[1-3]-sample-street.csv"))
    at = AppTest.from_function(_police_uk_page, args=(paths,), default_timeout=240).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("judged on what it proves beyond it" in c.value for c in at.caption)
    at.button(key=P.READ).click().run()
    assert not at.exception, [e.message for e in at.exception]
    shown = {m.label: float(m.value) for m in at.metric}
    assert shown["Plan score with police.uk"] > shown["Plan score beyond police.uk"]
    assert any("police.uk alone proves" in m.value for m in at.markdown)
