"""Adaptive units fixed for a series once first published (crimedash/seriesunits.py):
the same households give the same units whatever incidents are loaded (a hidden
category, a new month), so the next release exports; a new households file would draw
other units, so a later release is built on the table the series first published (the
same outlines), and only homes outside every stored unit need a justification."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
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
    # another households file would draw other units (they come from households), but
    # the series' stored table is applied instead: the same outlines, nothing refused
    fewer = _ds(files["early"], files["fewer_homes"])
    assert _ids(fewer) != set(table["ids"])  # built from these households: other units
    out = export_bundle(fewer, ADAPTIVE, APPROVAL, tmp_path / "fewer", log=log)
    plan = json.loads((out / "review" / MANIFEST).read_text())["release_plan"]
    assert plan["units_changed"] is None
    assert plan["units_fixed"]["units"] == len(table["ids"])
    assert plan["units_fixed"]["households_outside"] == 0
    now = _shapes(out)
    assert len(shapes.keys() & now.keys()) > 100
    assert all(shapes[u] == now[u] for u in shapes.keys() & now.keys())
    # the series' table stays the first one published
    assert first_table(log, APPROVAL.series, ADAPTIVE)["sha256"] == table["sha256"]
    assert all(KEY in ap.approval for rec in log.list() for ap in rec.approvals)


def test_homes_beyond_the_series_units_are_counted_and_refused(files, tmp_path: Path) -> None:
    """A households file with 200 homes 30 km east of the town: no stored unit holds
    them, so the table cannot place their crimes; refused without a justification,
    counted in the manifest with one."""
    log = DesignLog(tmp_path / "log.sqlite3")
    export_bundle(_ds(files["early"]), ADAPTIVE, APPROVAL, tmp_path / "m1", log=log)
    hh = pd.read_csv(ROOT / "households.csv")
    far = pd.DataFrame({"latitude": [52.8] * 2, "longitude": [0.0, 0.001], "households": [120, 80]})
    path = tmp_path / "households_far.csv"
    pd.concat([hh, far]).to_csv(path, index=False)
    beyond = _ds(files["early"], path)
    with pytest.raises(ExportError, match=r"200 households of this release lie outside"):
        export_bundle(beyond, ADAPTIVE, SILENT, tmp_path / "refused", log=log)
    assert not (tmp_path / "refused").exists()
    out = export_bundle(beyond, ADAPTIVE, APPROVAL, tmp_path / "b", log=log)
    fixed = json.loads((out / "review" / MANIFEST).read_text())["release_plan"]["units_fixed"]
    assert fixed["households_outside"] == 200


def _ids(ds) -> set[str]:
    from crimedash.layer import apply_design

    layer = apply_design(ds.index, ADAPTIVE)
    return set(layer.units.labels(ds.index, np.arange(layer.units.n)))


@pytest.mark.parametrize("granularity", ["adaptive:40", "adaptive:8"])
def test_the_stored_table_rebuilds_the_same_units(sample_dataset, granularity):
    """Units rebuilt from their own table place every incident in the unit of the same id
    and give every unit the same households as the units built from the households."""
    from crimedash.layer import apply_design
    from crimedash.seriesunits import stored_units, unit_table

    index = sample_dataset.index
    design = Design(granularity=granularity, min_count=3)
    built = apply_design(index, design).units
    table = unit_table(index, apply_design(index, design))
    again, outside = stored_units(index, design, table)
    assert outside == 0 and again.n == built.n
    a = np.array(built.labels(index, np.arange(built.n)), dtype=object)
    b = np.array(again.labels(index, np.arange(again.n)), dtype=object)
    assert (built.incident_unit >= 0).all() and (again.incident_unit >= 0).all()
    assert (a[built.incident_unit] == b[again.incident_unit]).all()
    hh_a = dict(zip(a, built.households, strict=True))
    hh_b = dict(zip(b, again.households, strict=True))
    assert hh_a == pytest.approx(hh_b)


def test_the_series_units_survive_a_full_cache(files, tmp_path: Path, monkeypatch) -> None:
    """The index's block cache drops its least recently used blocks past a size bound (at
    national scale every export passes it). The series' stored units are not a block
    that can be rebuilt: rebuilt from this release's households they are other units,
    and a reader comparing releases would difference them. So they are pinned."""
    import crimedash.index as index_module
    from crimedash.risk import evaluate
    from crimedash.seriesunits import fixed_for_series
    from crimedash.units import units_for

    log = DesignLog(tmp_path / "log.sqlite3")
    export_bundle(_ds(files["early"]), ADAPTIVE, APPROVAL, tmp_path / "m1", log=log)
    fewer = _ds(files["early"], files["fewer_homes"])
    fixed = fixed_for_series(log, APPROVAL.series, fewer.index, ADAPTIVE)
    assert fixed is not None
    monkeypatch.setattr(index_module, "CACHE_BUDGET_BYTES", 1)  # only the newest block stays
    for other in (ADAPTIVE.with_(min_count=5), ADAPTIVE.with_(granularity="h3:8")):
        evaluate(fixed.index, other)  # atoms, cells and other units: past the bound
    g, density = ADAPTIVE.spatial, ADAPTIVE.assumed_households_per_km2
    assert units_for(fixed.index, g, density, ADAPTIVE.min_unit_area_m2) is fixed.units
    assert fixed.index.drop_cached("units") == 0  # not a block: dropping blocks keeps them
    assert units_for(fixed.index, g, density, ADAPTIVE.min_unit_area_m2) is fixed.units
