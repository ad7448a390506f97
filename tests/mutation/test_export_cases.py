"""The export's guards on six incidents (tests/mutation/handmade.py): every refusal, with
its words, writes nothing; a release that may go writes what the manifest says, and the
log records it. The full scan of public files against the input is tests/test_export.py;
these cases are small so mutation testing can run them per mutant (issue 15).
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from handmade import ROWS, A, B, frame

from crimedash import __version__, schema
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
    assert err.args[0] == (
        "there is no approval: a reviewer must approve the design before it is exported"
    )
    assert err.hint == "give the reviewer's decision (in the app's Export step, or --approved-by)"
    err = refused(data, Design(**GREEN), {"reviewer": "x"}, tmp_path / "b", "got dict")
    assert str(err) == "approval must be an Approval; got dict"


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
    assert err.args[0] == (
        f"the input files changed since the design was assessed (assessed on data x, these "
        f"files are {fp})"
    )
    assert err.hint == "assess the design again on these files and have it approved again"


SEED = DEFAULT_NOISE_SEED


@pytest.mark.parametrize(
    ("design", "match", "message", "hint"),
    [
        (
            Design(references="pseudonym", **GREEN),
            "reference pseudonyms keyed by the default",
            f"this design publishes reference pseudonyms keyed by the default seed ({SEED}): "
            "anyone holding the real numbers and the data could recompute them and link them "
            "back (¶24-25)",
            "set noise_seed to a secret random number; it keys the pseudonyms and stays in "
            "the review record, never in public",
        ),
        (
            Design(counts="noise", **GREEN),
            "adds noise with the default seed",
            f"this design adds noise with the default seed ({SEED}), which anyone can "
            "reproduce: the noise could be subtracted and the exact counts recovered",
            "set noise_seed to a secret random number (in the app's noise settings, or in a "
            "design file for --design); it stays in the review record, never in public",
        ),
    ],
)
def test_the_public_default_seed_is_refused(data, tmp_path, design, match, message, hint):
    assert design.noise_seed == DEFAULT_NOISE_SEED
    err = refused(data, design, APPROVAL, tmp_path / "b", match)
    assert (err.args[0], err.hint) == (message, hint)


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
    assert err.args[0].endswith(
        " Each noisy product of the same incidents adds its epsilon, so together they protect "
        "less than the limit the design sets"
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
    assert err.hint == (
        "publish the products at the same threshold and windows, drop one of them, or give a "
        "justification (--justification TEXT) for publishing anyway"
    )
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
    assert err.args[0].endswith(" Exporting a plan that is not green needs a justification")
    assert err.hint == ("give a justification (--justification TEXT), or publish fewer products")


def test_a_design_that_is_not_green_needs_a_justification(data, tmp_path):
    # one product: the design's own verdict refuses it, not the plan's
    err = refused(data, Design(green_below=1.0), APPROVAL, tmp_path / "b", "needs a justification")
    assert str(err).startswith("this design's verdict is amber")


def test_the_refusal_says_why_a_design_is_red_when_its_score_is_not(data):
    """A verdict made red by the certain share (risk.red_reason) is refused with that
    reason: the score alone would not explain the word "red"."""
    from dataclasses import replace as with_

    a = assess(data.index, Design(), with_what_ifs=False)
    reason = "a neighbour can prove the crime group of 50.0% of incidents at homes"
    with pytest.raises(ExportError) as err:
        APPROVAL.check(with_(a, verdict="red", red_gate=reason, gates=[]))
    assert str(err.value).startswith(f"this design's verdict is red (score {a.score:.0f}/100; ")
    assert reason in str(err.value)
    with pytest.raises(ExportError) as err:  # held at amber by a gate: that is said too
        APPROVAL.check(with_(a, verdict="amber", red_gate="", gates=["a gate", "another"]))
    assert "/100; a gate; another)" in str(err.value)


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


def test_the_review_date_is_checked_against_the_day_of_export(data, tmp_path):
    # an export dated after the approval's next review (2099-01-01) is refused: the
    # approval has lapsed on that day
    refused(
        data,
        Design(**GREEN),
        APPROVAL,
        tmp_path / "b",
        "the next review date must be after today",
        today=date(2099, 6, 1),
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
    assert err.value.args[0] == (
        f"{busy.absolute()} already exists and is not empty; a bundle is never written over another"
    )
    assert err.value.hint == (
        "choose a new folder (for example one per release month), or overwrite it on purpose"
    )
    with pytest.raises(ExportError, match="is not a crimedash bundle") as err:
        export_bundle(data, Design(**GREEN), APPROVAL, busy, overwrite=True)
    assert err.value.hint == "choose a new folder; overwrite only replaces a bundle crimedash wrote"
    assert err.value.args[0] == (
        f"{busy.absolute()} is not a crimedash bundle (it has no {REVIEW_DIR}/{MANIFEST} of "
        f"format {BUNDLE_FORMAT}), so overwrite will not replace it: its files would be lost"
    )
    assert (busy / "mine.txt").read_text() == "keep"


def test_a_release_writes_what_its_manifest_says_and_the_log_records_it(data, tmp_path):
    design = Design(**GREEN)
    log = DesignLog(tmp_path / "designs.sqlite3")
    (tmp_path / "b").mkdir()  # an empty folder may receive a bundle
    out = export_bundle(data, design, APPROVAL, tmp_path / "b", log=log)
    assert out == (tmp_path / "b").absolute()
    manifest = json.loads((out / REVIEW_DIR / MANIFEST).read_text())
    fp = data_fingerprint(data)
    assert manifest["data_fingerprint"] == fp
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
    for f in manifest["review_files"]:  # each with the hash a reviewer can check
        assert f["sha256"] == hashlib.sha256((out / f["path"]).read_bytes()).hexdigest()
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


def test_overwrite_replaces_a_bundle_crimedash_wrote(data, tmp_path):
    out = export_bundle(data, Design(**GREEN), APPROVAL, tmp_path / "b")
    again = replace(APPROVAL, explanation="Second release.")
    export_bundle(data, Design(**GREEN), again, tmp_path / "b", overwrite=True)
    manifest = json.loads((out / REVIEW_DIR / MANIFEST).read_text())
    assert manifest["explanation"] == "Second release."
    assert "Second release." in (out / "public" / "README.txt").read_text()


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
    # and the assessment's findings point the reviewer at them
    assert (
        "1 input rows were rejected on loading (see the rejected-rows file); they are not on "
        "the map." in manifest["assessment"]["findings"]
    )
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
    assert err.value.args[0] == (
        f"the bundle was written to {(tmp_path / 'b').absolute()}, but the design log could "
        "not record the approval: disk full"
    )
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


# --- the release checks: police.uk in the plan, revisions, a series' adaptive units -----


@pytest.fixture(scope="module")
def police_uk(tmp_path_factory):
    """police.uk street files of one snap point (at A): 2 burglaries in January, 5 in
    February, 4 in March. police.uk itself publishes these exact counts by month."""
    folder = tmp_path_factory.mktemp("puk")
    paths = []
    for month, k in {"2024-01": 2, "2024-02": 5, "2024-03": 4}.items():
        path = folder / f"{month}-testshire-street.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(schema.POLICE_UK_COLUMNS)
            for i in range(k):
                w.writerow([f"id{month}{i}", month, "Testshire Police", "Testshire Police",
                            f"{A[1]:.6f}", f"{A[0]:.6f}", "On or near Elm Road", "E01000001",
                            "Testshire 001A", "Burglary", "Under investigation", ""])  # fmt: skip
        paths.append(path)
    return load_dataset(paths)


def test_a_plan_of_police_uk_files_is_judged_beyond_police_uk(police_uk, tmp_path):
    """Monthly at min 3 hides January's 2; with the quarter (11) the plan proves them.
    police.uk already shows January's 2, so beyond it the plan proves nothing and exports
    without a justification; judged without police.uk it is refused."""
    monthly = Design(granularity="h3:7", min_count=3, totals=False, **GREEN)
    quarterly = monthly.with_(frequency="quarterly", time_precision="quarter")
    out = export_bundle(police_uk, monthly, APPROVAL, tmp_path / "b", also=(quarterly,))
    risk = json.loads((out / REVIEW_DIR / MANIFEST).read_text())["release_plan"]["risk"]
    puk = risk["police_uk"]
    assert (puk["proven_homes_by_police_uk_alone"], puk["beyond_cells"]) == (2, 0)
    assert risk["verdict"] == "green"
    alone = monthly.with_(police_uk_baseline=False)
    err = refused(
        police_uk,
        alone,
        APPROVAL,
        tmp_path / "c",
        "1 cells this design leaves out",
        also=(quarterly,),
    )
    assert err.args[0].endswith("Suppression does not hide them once the series is read as a whole")


def test_a_changed_window_is_a_revision_detected_from_the_log(data, tmp_path):
    """The same noisy product exported again after February's shoplifting was withdrawn:
    February changed, so the release is a revision though nobody declared it, spends the
    epsilon again, and says so in the manifest; the log keeps it for later plans."""
    corrected = _load(tmp_path / "corrected", ROWS[:3] + ROWS[4:])
    noisy = Design(counts="noise", noise_seed=77, epsilon=1.0, epsilon_budget=3.0, **GREEN)
    log = DesignLog(tmp_path / "designs.sqlite3")
    approval = replace(APPROVAL, series="monthly")

    def release(dataset, name, approval=approval):
        out = export_bundle(dataset, noisy, approval, tmp_path / name, log=log)
        return json.loads((out / REVIEW_DIR / MANIFEST).read_text())

    # another series of the same product is not this series' history
    other = release(corrected, "other", replace(approval, series="another"))["release_plan"]
    assert other["revision"]["overlapping_windows"] == 0
    first = release(data, "r1")["release_plan"]
    assert (first["revision"]["overlapping_windows"], first["budget"]["spent"]) == (0, 1.0)
    m = release(corrected, "r2")
    plan = m["release_plan"]
    assert plan["revision"]["detected"] and not plan["revision"]["declared"]
    assert plan["revision"]["changed_windows"] == ["2024-02"]
    assert plan["revision"]["overlapping_windows"] == 3
    assert plan["budget"]["spent"] == 2.0
    assert m["approval"]["revision"] is True
    # declared on the same files: nothing changed, but the declaration spends again
    m = release(corrected, "r3", replace(approval, revision=True))["release_plan"]
    assert m["revision"]["declared"] and not m["revision"]["detected"]
    assert m["budget"]["spent"] == 3.0


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """Households files for the six incidents: 50 homes at A and 50 at B (adaptive:40
    makes each place a unit of its own), the same 20 and 20 (too few: one pooled unit),
    and the first plus 30 homes far east, outside both places."""
    folder = tmp_path_factory.mktemp("homes")
    f = frame().drop(columns=["source_file", "source_row"])
    f.to_csv(folder / "incidents.csv", index=False)
    at = pd.DataFrame({"latitude": [A[0], B[0]], "longitude": [A[1], B[1]]})
    far = pd.DataFrame({"latitude": [52.8], "longitude": [0.0], "households": [30]})
    files = {
        "two": at.assign(households=[50, 50]),
        "pooled": at.assign(households=[20, 20]),
        "beyond": pd.concat([at.assign(households=[50, 50]), far]),
    }
    out = {}
    for name, hh in files.items():
        hh.to_csv(folder / f"{name}.csv", index=False)
        out[name] = load_dataset([folder / "incidents.csv"], households=folder / f"{name}.csv")
    return out


def _unit_ids(bundle: Path) -> list[str]:
    features = json.loads((bundle / "public" / "units.geojson").read_text())["features"]
    return sorted(f["properties"]["unit"] for f in features)


def test_a_series_keeps_its_first_adaptive_units(homes, tmp_path):
    adaptive = Design(granularity="adaptive:40", **GREEN)
    log = DesignLog(tmp_path / "designs.sqlite3")
    approval = replace(APPROVAL, series="adaptive")
    first = export_bundle(homes["two"], adaptive, approval, tmp_path / "m1", log=log)
    m = json.loads((first / REVIEW_DIR / MANIFEST).read_text())["release_plan"]
    assert m["units_fixed"] is None and m["units_changed"] is None
    assert len(_unit_ids(first)) == 2
    # fewer homes would pool both places into one unit; the series keeps its two
    assert len(set(apply_design(homes["pooled"].index, adaptive).cell_unit.tolist())) == 1
    later = export_bundle(homes["pooled"], adaptive, approval, tmp_path / "m2", log=log)
    m = json.loads((later / REVIEW_DIR / MANIFEST).read_text())
    assert _unit_ids(later) == _unit_ids(first)
    assert m["public_layer"]["rows"] == 9
    assert m["release_plan"]["units_changed"] is None
    assert m["release_plan"]["units_fixed"]["units"] == 2
    assert m["release_plan"]["units_fixed"]["households_outside"] == 0
    # homes beyond both stored units: their crimes would be counted nowhere
    err = refused(homes["beyond"], adaptive, approval, tmp_path / "m3", "30 households", log=log)
    assert err.args[0].endswith("The series' units cannot place them, so their crimes would be "
                             "counted nowhere")  # fmt: skip
    assert err.hint == (
        "start a new series (--series NAME) with units drawn from these households, or give "
        "a justification (--justification TEXT) to publish without them"
    )
    out = export_bundle(
        homes["beyond"],
        adaptive,
        replace(approval, justification="known"),
        tmp_path / "m4",
        log=log,
    )
    fixed = json.loads((out / REVIEW_DIR / MANIFEST).read_text())["release_plan"]["units_fixed"]
    assert fixed["households_outside"] == 30


def test_a_manifest_names_a_log_that_holds_no_record_of_the_design(data, tmp_path):
    # build_manifest is public: given a log but no design id (nothing recorded yet),
    # it names the log and claims no link of its chain
    design = Design(**GREEN)
    layer = apply_design(data.index, design)
    assessment = assess(data.index, design, rejected_rows=0)
    files = public_files(data, design, APPROVAL, layer)
    log = DesignLog(tmp_path / "designs.sqlite3")
    m = build_manifest(data, design, APPROVAL, assessment, layer, files, "fp", None, log)
    assert m["design_log"] == {"path": str(log.path), "design_id": None, "chain_link": None}


def test_an_export_evaluates_each_product_once(data, tmp_path, monkeypatch):
    """At 60M rows an evaluation is minutes and gigabytes, so the export scores the design
    once, on the layer it publishes, and hands that score to the assessment and the plan;
    the other product is scored once, by the plan."""
    import sys

    from crimedash.risk import evaluate

    scored = []

    def counting(index, design, *args, **kwargs):
        scored.append(design)
        return evaluate(index, design, *args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("crimedash") and getattr(module, "evaluate", None) is evaluate:
            monkeypatch.setattr(module, "evaluate", counting)
    monthly = Design(**GREEN)
    coarse = monthly.with_(granularity="h3:7", time_precision="quarter")  # not a what-if
    export_bundle(data, monthly, APPROVAL, tmp_path / "b", also=(coarse,))
    assert (scored.count(monthly), scored.count(coarse)) == (1, 1)
