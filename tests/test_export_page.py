"""The dashboard's Export tab through streamlit's AppTest: a reviewer's approval writes the
bundle and offers the zip, a refusal says why, a rejection is recorded without an
export, and a past design from the log reloads into the controls."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from appkit import start

from crimedash.designlog import DesignLog
from crimedash.ui import export_page as E
from crimedash.ui import state as K

pytestmark = pytest.mark.xdist_group("app")


@pytest.fixture
def log_path(monkeypatch, tmp_path: Path) -> Path:
    path = tmp_path / "designs.sqlite3"
    monkeypatch.setenv("CRIMEDASH_LOG", str(path))
    return path


def fill(at, **values: str):
    fields = {
        E.REVIEWER: "Sam Reviewer",
        E.ROLE: "Data protection officer",
        E.PUBLISHER: "Ashbourne Vale Council",
        E.CONTACT: "crime-maps@ashbourne.example",
        E.JUSTIFICATION: "Monthly hexagons are what residents asked for.",
        **values,
    }
    for key, value in fields.items():
        widget = at.text_area(key=key) if key == E.JUSTIFICATION else at.text_input(key=key)
        widget.input(value)
    return at


def test_an_approval_exports_the_bundle_and_offers_the_zip(log_path: Path) -> None:
    at = start()
    fill(at).button(key=E.SUBMIT).click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("Exported to" in s.value for s in at.success)
    labels = [b.proto.label for b in at.get("download_button") if "(zip)" in b.proto.label]
    # the publication zip first; the review record (with the seed) apart, named as such
    assert labels == [
        "Download the public files to publish (zip)",
        "Download the review record: NOT for publication (zip)",
    ]
    (bundle,) = (log_path.parent / "bundles").iterdir()
    assert (bundle / "public" / "units.geojson").exists()
    with zipfile.ZipFile(bundle / f"{bundle.name}-public.zip") as zf:
        assert {n.split("/")[1] for n in zf.namelist()} == {"public"}
    assert (bundle / f"{bundle.name}-review-NOT-FOR-PUBLICATION.zip").exists()
    (record,) = DesignLog(log_path).list()
    assert record.status == "approved"
    assert record.approvals[0].bundle_path == str(bundle)


def test_a_refused_export_says_why_and_writes_nothing(log_path: Path) -> None:
    at = start()
    fill(at, **{E.CONTACT: "call Sam"}).button(key=E.SUBMIT).click().run()
    assert any("email address" in e.value for e in at.error)
    assert not (log_path.parent / "bundles").exists()


def test_a_rejection_is_recorded_and_a_past_design_reloads(log_path: Path) -> None:
    at = start()
    fill(at)
    at.radio(key=E.DECISION).set_value("reject")
    at.button(key=E.SUBMIT).click().run()
    assert any("rejection" in i.value for i in at.info)
    assert not (log_path.parent / "bundles").exists()
    (record,) = DesignLog(log_path).list()
    assert record.status == "rejected"

    at.radio(key=K.FREQUENCY).set_value("quarterly").run()  # move away, then come back
    assert at.radio(key=K.FREQUENCY).value == "quarterly"
    at.selectbox(key=E.HISTORY_PICK).set_value(record.id)
    at.button(key=E.RELOAD).click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Loaded design" in i.value for i in at.info)
    assert at.radio(key=K.FREQUENCY).value == record.design.frequency


def test_the_form_is_cleared_when_the_design_changes(log_path: Path) -> None:
    at = start()
    fill(at, **{E.CONTACT: "call Sam"})  # refused (no email), but the form is submitted
    at.text_area(key=E.RATIONALE).input("Residents asked for it.")
    at.button(key=E.SUBMIT).click().run()
    assert at.text_input(key=E.REVIEWER).value == "Sam Reviewer"
    at.radio(key=K.FREQUENCY).set_value("quarterly").run()
    assert not at.exception
    assert at.text_input(key=E.REVIEWER).value == ""  # a decision belongs to one design
    assert at.text_area(key=E.RATIONALE).value == ""
    assert at.text_area(key=E.JUSTIFICATION).value == ""
    assert at.text_input(key=E.PUBLISHER).value == "Ashbourne Vale Council"  # the org stays
    assert any("design changed" in i.value for i in at.info)


def test_a_missing_reviewer_is_said_in_the_apps_words(log_path: Path) -> None:
    at = start()
    fill(at, **{E.REVIEWER: ""}).button(key=E.SUBMIT).click().run()
    errors = [e.value for e in at.error]
    assert any("reviewer's name" in e for e in errors), errors
    assert not any("--" in e for e in errors)  # no CLI option as a hint in the app


def test_designs_made_on_other_data_are_hidden_and_need_a_confirmation(log_path: Path) -> None:
    from crimedash.assessment import assess
    from crimedash.design import Design
    from crimedash.ui import data

    log = DesignLog(log_path)
    a = assess(data.sample().index, Design(frequency="weekly"))
    other_id = log.record_assessment(Design(frequency="weekly"), a, "0" * 16)
    at = start()
    picks = [s for s in at.selectbox if s.key == E.HISTORY_PICK]
    assert not picks  # only a design on other data is logged: nothing listed by default
    assert any("No designs are logged for this data" in c.value for c in at.caption)

    at.checkbox(key=E.SHOW_OTHER).check().run()
    at.selectbox(key=E.HISTORY_PICK).set_value(other_id).run()
    assert any("made and scored on other data" in w.value for w in at.warning)
    assert at.button(key=E.RELOAD).disabled
    at.checkbox(key=E.CONFIRM_OTHER).check().run()
    at.button(key=E.RELOAD).click().run()
    assert not at.exception
    assert at.radio(key=K.FREQUENCY).value == "weekly"
