"""Adaptive units fixed for a series once first published (crimedash/seriesunits.py):
the same households give the same units whatever incidents are loaded (a hidden
category, a new month), so the next release exports; a new households file moves the
outlines, so the export refuses it without a justification."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from crimedash.approval import Approval
from crimedash.bundlewrite import MANIFEST
from crimedash.dataset import load_dataset
from crimedash.design import Design
from crimedash.designlog import DesignLog
from crimedash.errors import ExportError
from crimedash.export import export_bundle
from crimedash.seriesunits import KEY, first_table

ROOT = Path(__file__).resolve().parents[1] / "sample_data"
ADAPTIVE = Design(granularity="adaptive:40", min_count=3)
APPROVAL = Approval(
    reviewer="Sam Reviewer",
    publisher="Ashbourne Vale Council",
    contact="crime-maps@ashbourne.example",
    justification="Amber accepted for the pilot.",  # adaptive:40 min 3 is amber
    series="adaptive monthly",
    next_review="2099-01-01",
)
SILENT = Approval(**{**APPROVAL.to_dict(), "justification": ""})


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The sample city's first months, the same plus the next month, the same without
    one category, and a households file with a fifth of the homes gone."""
    tmp = tmp_path_factory.mktemp("series")
    inc = pd.read_csv(ROOT / "incidents.csv")
    when = pd.to_datetime(inc["occurred_at"], format="ISO8601", utc=True)
    cut = when.quantile(0.7)
    out = {
        "early": inc[when <= cut],
        "later": inc,
        "hidden": inc[(when <= cut) & (inc["category"] != inc["category"].iloc[0])],
    }
    paths = {}
    for name, frame in out.items():
        paths[name] = tmp / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    hh = pd.read_csv(ROOT / "households.csv")
    paths["fewer_homes"] = tmp / "households_fewer.csv"
    hh.sample(frac=0.8, random_state=3).to_csv(paths["fewer_homes"], index=False)
    return paths


def _shapes(bundle: Path) -> dict[str, str]:
    """unit id -> its outline as published (the GeoJSON geometry, as text)."""
    data = json.loads((bundle / "public" / "units.geojson").read_text())
    return {
        f["properties"]["unit"]: json.dumps(f["geometry"], sort_keys=True) for f in data["features"]
    }


def _ds(incidents: Path, households: Path = ROOT / "households.csv"):
    return load_dataset([incidents], households=households)


def test_the_series_keeps_its_adaptive_units(files, tmp_path: Path) -> None:
    log = DesignLog(tmp_path / "log.sqlite3")
    first = export_bundle(_ds(files["early"]), ADAPTIVE, APPROVAL, tmp_path / "m1", log=log)
    table = first_table(log, APPROVAL.series, ADAPTIVE)
    assert table is not None and len(table["ids"]) > 100
    shapes = _shapes(first)
    # a new month, or a category hidden: the same households, the same units, exported
    for name in ("later", "hidden"):
        out = export_bundle(_ds(files[name]), ADAPTIVE, APPROVAL, tmp_path / name, log=log)
        manifest = json.loads((out / "review" / MANIFEST).read_text())
        assert manifest["release_plan"]["units_changed"] is None
        now = _shapes(out)  # the file lists the units with a published cell
        common = shapes.keys() & now.keys()
        assert len(common) > 100
        assert all(shapes[u] == now[u] for u in common)  # every shared id, the same outline
    # another households file moves the outlines: refused without a justification
    moved = _ds(files["early"], files["fewer_homes"])
    with pytest.raises(ExportError, match=r"adaptive units differ .* \d+ new and \d+ gone"):
        export_bundle(moved, ADAPTIVE, SILENT, tmp_path / "moved", log=log)
    assert not (tmp_path / "moved").exists()
    out = export_bundle(moved, ADAPTIVE, APPROVAL, tmp_path / "moved", log=log)
    changed = json.loads((out / "review" / MANIFEST).read_text())["release_plan"]["units_changed"]
    assert changed["added"] + changed["removed"] > 0
    # the series' table stays the first one published
    assert first_table(log, APPROVAL.series, ADAPTIVE)["sha256"] == table["sha256"]
    assert all(KEY in ap.approval for rec in log.list() for ap in rec.approvals)
