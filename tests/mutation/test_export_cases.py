"""The export's guards on six incidents (tests/mutation/handmade.py): every refusal, with
its words, writes nothing; a release that may go writes what the manifest says, and the
log records it. The full scan of public files against the input is tests/test_export.py;
these cases are small so mutation testing can run them per mutant (issue 15).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from handmade import ROWS, A, frame

from crimedash import __version__
from crimedash import report as _report  # noqa: F401  (imported before forking: see below)
from crimedash.approval import DEFAULT_NOISE_SEED, Approval, data_fingerprint
from crimedash.assessment import assess
from crimedash.bundlewrite import BUNDLE_FORMAT, MANIFEST, REVIEW_DIR
from crimedash.dataset import load_dataset
from crimedash.design import Design
from crimedash.designlog import DesignLog
from crimedash.errors import DesignLogError, ExportError
from crimedash.export import build_manifest, export_bundle
from crimedash.layer import apply_design
from crimedash.publicfiles import explain, public_files

# The report module (altair, vl-convert) is imported here, at collection, so mutmut's fork
# server holds it and no mutant pays for the import.
GREEN = dict(green_below=100.0, red_from=100.0, certain_line=1.0, min_households=0.0)
APPROVAL = Approval(
    reviewer="Sam Reviewer",
    role="Data protection officer",
    publisher="Testshire Council",
    contact="maps@testshire.example",
    rationale="Counts by hexagon and month.",
    next_review=date(2099, 1, 1),
)


def _load(folder: Path, rows=ROWS):
    folder.mkdir(parents=True, exist_ok=True)
    f = frame(rows).drop(columns=["source_file", "source_row"])
    f.to_csv(folder / "incidents.csv", index=False)
    return load_dataset([folder / "incidents.csv"])


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return _load(tmp_path_factory.mktemp("hand"))


@pytest.fixture(scope="module")
def proving(tmp_path_factory):
    """One burglary in January and three in February at the same place: a monthly map at
    min count 2 hides January, a quarterly one shows 4, and 4 - 3 proves the 1."""
    rows = [(A, "2024-01-05 10:00", "burglary_residential", "residential")] + [
        (A, f"2024-02-0{d} 10:00", "burglary_residential", "residential") for d in (1, 2, 3)
    ]
    return _load(tmp_path_factory.mktemp("proving"), rows)


def refused(data, design, approval, out, match, **kwargs):
    with pytest.raises(ExportError, match=match) as err:
        export_bundle(data, design, approval, out, **kwargs)
    assert not out.exists()
    return err.value


def test_no_approval_no_export(data, tmp_path):
    err = refused(data, Design(**GREEN), None, tmp_path / "b", "there is no approval")
    assert "--approved-by" in err.hint
    err = refused(data, Design(**GREEN), {"reviewer": "x"}, tmp_path / "b", "got dict")
    assert str(err).startswith("approval must be an Approval")


def test_a_rejected_design_is_not_exported(data, tmp_path):
    refused(data, Design(**GREEN), replace(APPROVAL, decision="reject"), tmp_path / "b", "rejected")


def test_drifted_inputs_are_refused(data, tmp_path):
    fp = data_fingerprint(data)
    err = refused(
        data,
        Design(**GREEN),
        APPROVAL,
        tmp_path / "b",
        f"assessed on data x, these files are {fp}",
        assessed_fingerprint="x",
    )
    assert "assess the design again" in err.hint


@pytest.mark.parametrize(
    ("design", "match"),
    [
        (Design(references="pseudonym", **GREEN), "reference pseudonyms keyed by the default"),
        (Design(counts="noise", **GREEN), "adds noise with the default seed"),
    ],
)
def test_the_public_default_seed_is_refused(data, tmp_path, design, match):
    assert design.noise_seed == DEFAULT_NOISE_SEED
    err = refused(data, design, APPROVAL, tmp_path / "b", match)
    assert "noise_seed" in err.hint
    assert f"({DEFAULT_NOISE_SEED})" in str(err)


def test_the_noise_budget_is_refused_past_its_limit(data, tmp_path):
    noisy = Design(counts="noise", noise_seed=77, epsilon=1.0, epsilon_budget=1.5, **GREEN)
    err = refused(
        data,
        noisy,
        APPROVAL,
        tmp_path / "b",
        "Each noisy product",
        also=(noisy.with_(granularity="h3:7"),),
    )
    assert err.hint == (
        "publish fewer noisy products of this series, reuse the series' noise key and cells "
        "(a republished cell costs nothing), lower epsilon, or raise epsilon_budget on purpose"
    )


def test_a_proof_from_two_products_needs_a_justification(proving, tmp_path):
    monthly = Design(min_count=2, **GREEN)
    quarterly = monthly.with_(time_precision="quarter")
    err = refused(
        proving,
        monthly,
        APPROVAL,
        tmp_path / "b",
        "Suppression does not hide them once the series is read",
        also=(quarterly,),
    )
    assert "--justification" in err.hint
    out = export_bundle(
        proving,
        monthly,
        replace(APPROVAL, justification="needed"),
        tmp_path / "ok",
        also=(quarterly,),
    )
    plan = json.loads((out / REVIEW_DIR / MANIFEST).read_text())["release_plan"]
    assert plan["differencing"]["proven_cells"] == 1
    assert len(plan["products"]) == 2


def test_a_plan_that_is_not_green_needs_a_justification(data, tmp_path):
    main = Design(**GREEN)
    other = Design(time_precision="quarter", green_below=10.0)  # scores 17 here: amber
    err = refused(
        data, main, APPROVAL, tmp_path / "b", "Exporting a plan that is not green", also=(other,)
    )
    assert "publish fewer products" in err.hint


def test_a_design_that_is_not_green_needs_a_justification(data, tmp_path):
    # one product: the design's own verdict refuses it, not the plan's
    err = refused(data, Design(green_below=1.0), APPROVAL, tmp_path / "b", "needs a justification")
    assert str(err).startswith("this design's verdict is amber")


def test_a_green_plan_of_two_products_needs_no_justification(data, tmp_path):
    # both green and nothing proven: the plan passes, and the next check (a review date
    # in the past) is the one that refuses
    monthly = Design(**GREEN)
    past = replace(APPROVAL, next_review=date(2000, 1, 1))
    refused(
        data,
        monthly,
        past,
        tmp_path / "b",
        "the next review date must be after today",
        also=(monthly.with_(time_precision="quarter"),),
    )


def test_an_occupied_target_is_refused(data, tmp_path):
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ExportError, match="exists and is not a folder") as err:
        export_bundle(data, Design(**GREEN), APPROVAL, file)
    assert err.value.hint == "choose a new --out folder"
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("keep")
    with pytest.raises(ExportError, match="already exists and is not empty") as err:
        export_bundle(data, Design(**GREEN), APPROVAL, busy)
    assert "overwrite it" in err.value.hint
    with pytest.raises(ExportError, match="is not a crimedash bundle") as err:
        export_bundle(data, Design(**GREEN), APPROVAL, busy, overwrite=True)
    assert err.value.hint == "choose a new folder; overwrite only replaces a bundle crimedash wrote"
    assert (busy / "mine.txt").read_text() == "keep"


def test_a_release_writes_what_its_manifest_says_and_the_log_records_it(data, tmp_path):
    design = Design(**GREEN)
    log = DesignLog(tmp_path / "designs.sqlite3")
    (tmp_path / "b").mkdir()  # an empty folder may receive a bundle
    out = export_bundle(data, design, APPROVAL, tmp_path / "b", log=log)
    assert out == (tmp_path / "b").absolute()
    manifest = json.loads((out / REVIEW_DIR / MANIFEST).read_text())
    fp = data_fingerprint(data)
    plan = manifest["release_plan"]
    assert plan["series"] == f"data:{fp}"
    assert plan["products"] == [design.to_dict()]
    assert plan["units_changed"] is None
    assert plan["budget"]["exceeded"] is False
    assert manifest["approval"]["series"] == f"data:{fp}"
    assert manifest["approval"]["explanation"] == explain(design, apply_design(data.index, design))
    assert manifest["report_warnings"] == []
    # the review files are listed with their hashes; no rejected rows, no rejected file
    listed = [f["path"] for f in manifest["review_files"]]
    assert listed == [f"{REVIEW_DIR}/report.html", f"{REVIEW_DIR}/report.md"]
    assert sorted(p.name for p in (out / REVIEW_DIR).iterdir()) == [
        "manifest.json",
        "report.html",
        "report.md",
    ]
    for f in manifest["public_files"]:
        assert (out / f["path"]).stat().st_size == f["bytes"]
    assert manifest["design_log"]["path"] == str(log.path)
    design_id = manifest["design_log"]["design_id"]
    assert isinstance(design_id, int)
    assert manifest["design_log"]["chain_link"] == log.chain_link(design_id)


def test_rejected_rows_and_given_words_in_the_review_record(tmp_path):
    # one export for two promises (each full export renders a report, the slow part)
    folder = tmp_path / "in"
    folder.mkdir()
    f = frame().drop(columns=["source_file", "source_row"])
    f["latitude"] = f["latitude"].astype(object)
    f.loc[0, "latitude"] = "not a number"
    f.to_csv(folder / "incidents.csv", index=False)
    data = load_dataset([folder / "incidents.csv"])
    assert data.rejected_rows == 1
    approval = replace(APPROVAL, explanation="Our own words.", series="mine")
    out = export_bundle(data, Design(**GREEN), approval, tmp_path / "b")
    manifest = json.loads((out / REVIEW_DIR / MANIFEST).read_text())
    # the rejected rows are in the review record, listed last, and never public
    assert [f["path"] for f in manifest["review_files"]][-1] == f"{REVIEW_DIR}/rejected_rows.csv"
    assert (out / REVIEW_DIR / "rejected_rows.csv").read_text().count("\n") == 2
    assert not any("rejected" in p.name for p in (out / "public").iterdir())
    # the reviewer's own words are kept, in the record and in the public README
    assert manifest["approval"]["explanation"] == "Our own words."
    assert manifest["explanation"] == "Our own words."
    assert manifest["release_plan"]["series"] == "mine"
    assert "Our own words." in (out / "public" / "README.txt").read_text()


def test_a_log_that_cannot_record_says_the_bundle_was_written(data, tmp_path, monkeypatch):
    log = DesignLog(tmp_path / "designs.sqlite3")

    def broken(*args, **kwargs):
        raise DesignLogError("disk full")

    monkeypatch.setattr(DesignLog, "record_approval", broken)
    with pytest.raises(DesignLogError, match="the bundle was written to") as err:
        export_bundle(data, Design(**GREEN), APPROVAL, tmp_path / "b", log=log)
    assert "disk full" in str(err.value)
    assert err.value.hint == (
        "record it again with the same approval, or keep the bundle's manifest as the record"
    )
    assert isinstance(err.value.__cause__, DesignLogError)
    assert (tmp_path / "b" / REVIEW_DIR / MANIFEST).is_file()


def test_the_manifest_by_hand(data):
    design = Design(min_count=2, **GREEN)
    layer = apply_design(data.index, design)
    assessment = assess(data.index, design, rejected_rows=0)
    approval = replace(APPROVAL, series="s")
    files = public_files(data, design, approval, layer)
    m = build_manifest(data, design, approval, assessment, layer, files, "fp")
    assert m["format"] == BUNDLE_FORMAT
    assert m["crimedash_version"] == __version__
    assert m["exported_at"].endswith("+00:00") and "." not in m["exported_at"]
    assert m["design_fingerprint"] == design.fingerprint()
    assert m["design"] == design.to_dict()
    assert m["data_fingerprint"] == "fp"
    assert m["inputs"] == json.loads(json.dumps(m["inputs"]))
    assert m["inputs"][0]["rows"] == 6
    d = m["data"]
    assert (d["incidents"], d["rows_read"], d["households_loaded"], d["area_layers"]) == (
        6,
        6,
        False,
        [],
    )
    assert d["data_time_precision"] == str(data.index.data_precision)
    assert m["public_layer"] == {
        "rows": len(layer.cell_unit),
        "units": 1,
        "windows": ["2024-01"],
        "display_level": "month",
        "published_incidents": 0,
        "suppressed_cells": 7,
        "secondary_suppressed_cells": 1,
        "outside_units": 0,
    }
    assert m["assessment"]["score"] == round(assessment.score, 2)
    assert m["approval"] == approval.to_dict()
    assert m["explanation"] == explain(design, layer)
    assert [f["path"] for f in m["public_files"]] == [f.path for f in files]
    assert all(
        f["sha256"] == g.sha256 and f["bytes"] == len(g.data) and f["rows"] == g.rows
        for f, g in zip(m["public_files"], files, strict=True)
    )
    assert m["design_log"] is None
