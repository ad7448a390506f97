"""Revisions detected from the design log (crimedash/revisions.py): an export of windows
the series already published, with other counts, is a revision whether or not it was
declared; it spends the budget again and the manifest and report say which windows."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from crimedash.approval import Approval
from crimedash.bundlewrite import MANIFEST, REPORT_MD
from crimedash.dataset import load_dataset
from crimedash.design import Design
from crimedash.designlog import DesignLog
from crimedash.export import export_bundle
from crimedash.layer import apply_design
from crimedash.revisions import product_key, window_digests

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "incidents.csv"
NOISY = Design(granularity="h3:7", counts="noise", epsilon=1.0, noise_seed=424_242, totals=False)
APPROVAL = Approval(
    reviewer="Sam Reviewer",
    publisher="Testshire Council",
    contact="crime-maps@testshire.example",
    justification="Tested on purpose.",
    series="monthly map",
)


def _two_versions(tmp_path: Path):
    """2,000 sample incidents over 24 months, and the same with one March 2024 incident
    withdrawn (a correction after the month was published)."""
    rows = pd.read_csv(SAMPLE).sample(2000, random_state=7).sort_values("occurred_at")
    march = rows.index[rows["occurred_at"].str.startswith("2024-03")][0]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    rows.to_csv(a, index=False)
    rows.drop(index=march).to_csv(b, index=False)
    return load_dataset([str(a)]), load_dataset([str(b)])


def _plan(out: Path) -> dict:
    return json.loads((out / "review" / MANIFEST).read_text())["release_plan"]


def test_a_changed_window_is_a_revision_detected_from_the_log(tmp_path: Path):
    first, corrected = _two_versions(tmp_path)
    log = DesignLog(tmp_path / "log.sqlite3")
    p1 = _plan(export_bundle(first, NOISY, APPROVAL, tmp_path / "r1", log=log))
    assert p1["revision"]["overlapping_windows"] == 0 and not p1["revision"]["detected"]
    assert p1["budget"]["spent"] == 1.0
    # the same files again: every window overlaps, none changed, nothing spent again
    p2 = _plan(export_bundle(first, NOISY, APPROVAL, tmp_path / "r2", log=log))
    assert p2["revision"]["overlapping_windows"] == 24 and not p2["revision"]["detected"]
    assert p2["budget"]["spent"] == 1.0
    # one March incident withdrawn, not declared: detected, March only, charged again
    out = export_bundle(corrected, NOISY, APPROVAL, tmp_path / "r3", log=log)
    p3 = _plan(out)
    assert p3["revision"]["detected"] and not p3["revision"]["declared"]
    assert p3["revision"]["changed_windows"] == ["2024-03"]
    assert p3["budget"]["spent"] == 2.0
    manifest = json.loads((out / "review" / MANIFEST).read_text())
    assert manifest["approval"]["revision"] is True  # logged: later plans charge it too
    assert "A revision (detected from the design log)" in (out / "review" / REPORT_MD).read_text()
    # the corrected files again: March now matches what the series last published
    p4 = _plan(export_bundle(corrected, NOISY, APPROVAL, tmp_path / "r4", log=log))
    assert not p4["revision"]["detected"]
    assert p4["budget"]["spent"] == 2.0  # the logged revision still counts


def test_another_product_or_series_is_not_a_revision(tmp_path: Path):
    first, corrected = _two_versions(tmp_path)
    log = DesignLog(tmp_path / "log.sqlite3")
    export_bundle(first, NOISY, APPROVAL, tmp_path / "r1", log=log)
    other = Approval(**{**APPROVAL.to_dict(), "series": "another map"})
    p = _plan(export_bundle(corrected, NOISY, other, tmp_path / "o", log=log))
    assert p["revision"]["overlapping_windows"] == 0 and not p["revision"]["detected"]
    quarterly = NOISY.with_(frequency="quarterly", time_precision="quarter")
    assert product_key(quarterly) != product_key(NOISY)
    p = _plan(export_bundle(corrected, quarterly, APPROVAL, tmp_path / "q", log=log))
    assert not p["revision"]["detected"]  # a new product: read together, not a revision


def test_window_digests_change_only_where_the_cells_do(tmp_path: Path):
    first, corrected = _two_versions(tmp_path)
    exact = Design(granularity="h3:7", totals=False)
    a = window_digests(first.index, apply_design(first.index, exact))["windows"]
    b = window_digests(corrected.index, apply_design(corrected.index, exact))["windows"]
    assert len(a) == len(b) == 24
    assert [w for w in a if a[w] != b[w]] == ["2024-03"]
