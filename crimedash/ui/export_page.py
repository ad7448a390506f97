"""The Export tab: a reviewer approves (or rejects) the design on screen, crimedash
writes the publication bundle and offers it as a zip; past designs come back from the
design log and can be reloaded into the controls.

Thin by design: the rules (who may export what, what the files hold) live in
`crimedash.export` and `crimedash.designlog`, which the CLI uses too.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from crimedash.dataset import Dataset
from crimedash.design import Design
from crimedash.designlog import DesignLog
from crimedash.errors import CrimedashError
from crimedash.export import (
    Approval,
    data_fingerprint,
    explain,
    export_bundle,
    review_zip_path,
    zip_path,
)
from crimedash.index import Index
from crimedash.risk import Assessment
from crimedash.ui import controls
from crimedash.ui import state as K

# Session-state and widget keys of this tab (all start with "export_").
FORM = "export_form"
REVIEWER = "export_reviewer"
ROLE = "export_role"
DECISION = "export_decision"
RATIONALE = "export_rationale"
JUSTIFICATION = "export_justification"
PUBLISHER = "export_publisher"
CONTACT = "export_contact"
EXPLANATION = "export_explanation"
NEXT_REVIEW = "export_next_review"
SUBMIT = "export_submit"
RESULT = "export_result"  # the last export of this session: design, folder, zip name
DOWNLOAD = "export_download"  # the publication zip: public/ only
DOWNLOAD_REVIEW = "export_download_review"  # the review record: never published
HISTORY_PICK = "export_history_pick"
RELOAD = "export_reload"

DECISIONS = {"approve": "Approve for publication", "reject": "Reject"}


def page(data: Dataset, design: Design, assessment: Assessment) -> None:
    """Export the approved public layer, its report and the review record."""
    st.subheader("Approve and export")
    fingerprint = data_fingerprint(data)
    st.markdown(
        f"Design `{design.fingerprint()}` on data `{fingerprint}` scores "
        f"**{assessment.score:.0f}/100 ({assessment.verdict})**. Exporting writes the "
        "public files (GeoJSON, CSV, GeoParquet and a README naming the publisher) and the "
        "review record (manifest and this privacy impact assessment as a report)."
    )
    if assessment.verdict != "green":
        st.warning(
            f"This design is {assessment.verdict}: the reviewer must justify publishing it "
            "despite the risk, or choose a safer design from the what-ifs."
        )
    log = _open_log()
    _form(data, design, assessment, log, fingerprint)
    _last_result(design)
    if log is not None:
        _history(log, data.index, fingerprint)


def _open_log() -> DesignLog | None:
    try:
        return DesignLog()
    except CrimedashError as exc:
        st.error(f"The design log cannot be used, so nothing will be recorded: {exc}")
        return None


def _form(
    data: Dataset, design: Design, assessment: Assessment, log: DesignLog | None, fingerprint: str
) -> None:
    with st.form(FORM):
        left, right = st.columns(2)
        left.text_input("Reviewer's name", key=REVIEWER)
        right.text_input("Reviewer's role", key=ROLE, placeholder="Data protection officer")
        st.radio(
            "Decision", list(DECISIONS), key=DECISION, format_func=DECISIONS.get, horizontal=True
        )
        st.text_area("Rationale", key=RATIONALE, help="Why this design is right for the public.")
        st.text_area(
            "Justification (required unless the verdict is green)",
            key=JUSTIFICATION,
            help="Why publishing is necessary despite the risk (¶14, ¶18).",
        )
        left, right = st.columns(2)
        left.text_input("Publisher named on the map (¶46)", key=PUBLISHER)
        right.text_input("Contact email for questions and removal requests (¶46)", key=CONTACT)
        st.text_area(
            "What the map shows, for the public (¶23)",
            key=EXPLANATION,
            placeholder=explain(design),
            help="Left empty, the text written from the design is used.",
        )
        st.date_input(
            "Next review (¶14-15, ¶41)",
            value=date.today() + timedelta(days=365),
            min_value=date.today() + timedelta(days=1),
            key=NEXT_REVIEW,
        )
        submitted = st.form_submit_button("Record the decision", key=SUBMIT, type="primary")
    if submitted:
        _submit(data, design, assessment, log, fingerprint)


def _submit(
    data: Dataset, design: Design, assessment: Assessment, log: DesignLog | None, fingerprint: str
) -> None:
    ss = st.session_state
    try:
        approval = Approval(
            reviewer=ss.get(REVIEWER, ""),
            role=ss.get(ROLE, ""),
            decision=ss.get(DECISION, "approve"),
            rationale=ss.get(RATIONALE, ""),
            justification=ss.get(JUSTIFICATION, ""),
            publisher=ss.get(PUBLISHER, ""),
            contact=ss.get(CONTACT, ""),
            explanation=ss.get(EXPLANATION, ""),
            next_review=ss.get(NEXT_REVIEW) or date.today() + timedelta(days=365),
        )
        if approval.decision == "reject":
            if log is not None:
                design_id = log.record_assessment(design, assessment, fingerprint)
                log.record_approval(design_id, approval.to_dict(), None)
            st.info(f"The rejection by {approval.reviewer} is recorded; nothing was exported.")
            return
        with st.spinner("Writing the bundle and its report..."):
            out = export_bundle(
                data,
                design,
                approval,
                _bundle_folder(log, design),
                assessed_fingerprint=fingerprint,
                log=log,
            )
    except CrimedashError as exc:
        st.error(str(exc))
        return
    ss[RESULT] = {"design": design.fingerprint(), "folder": str(out)}


def _bundle_folder(log: DesignLog | None, design: Design) -> Path:
    """A new folder per export, beside the design log (or in the temp folder)."""
    import tempfile

    root = (log.path.parent if log is not None else Path(tempfile.gettempdir())) / "bundles"
    base = f"crime-map-{date.today():%Y-%m-%d}-{design.fingerprint()}"
    out, n = root / base, 1
    while out.exists():
        n += 1
        out = root / f"{base}-{n}"
    return out


def _last_result(design: Design) -> None:
    result = st.session_state.get(RESULT)
    if not result or result["design"] != design.fingerprint():
        return
    folder = Path(result["folder"])
    archive, record = zip_path(folder), review_zip_path(folder)
    if not archive.exists():
        return
    st.success(
        f"Exported to {folder}. Publish only the public files: the first zip holds nothing else."
    )
    st.download_button(
        "Download the public files to publish (zip)",
        archive.read_bytes(),
        file_name=archive.name,
        mime="application/zip",
        key=DOWNLOAD,
        type="primary",
    )
    if record.exists():
        st.download_button(
            "Download the review record: NOT for publication (zip)",
            record.read_bytes(),
            file_name=record.name,
            mime="application/zip",
            key=DOWNLOAD_REVIEW,
            help="The manifest (with the secret noise seed), the report and the rejected "
            "rows: keep them with the publisher, never on the public site.",
        )


def _history(log: DesignLog, index: Index, fingerprint: str) -> None:
    st.subheader("Past designs")
    st.caption(f"Every export and decision is kept in the design log: {log.path}")
    try:  # a row edited outside crimedash is a message, not a traceback
        records = log.list(limit=50)
        designs = {r.id: r.design for r in records}
    except CrimedashError as exc:
        st.error(str(exc))
        return
    if not records:
        st.caption("No designs are logged yet.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "id": r.id,
                    "logged (UTC)": r.created_at[:16].replace("T", " "),
                    "design": r.fingerprint,
                    "score": round(r.score, 1),
                    "verdict": r.verdict,
                    "status": r.status,
                    "unit": designs[r.id].granularity,
                    "frequency": designs[r.id].frequency,
                    "counts": designs[r.id].counts,
                    "data": "this data" if r.data_fingerprint == fingerprint else "other data",
                }
                for r in records
            ]
        ),
        hide_index=True,
    )
    ids = [r.id for r in records]
    st.selectbox(
        "Reload a past design into the controls",
        ids,
        key=HISTORY_PICK,
        format_func=lambda i: f"{i}: {next(r.fingerprint for r in records if r.id == i)}",
    )
    st.button("Reload this design", key=RELOAD, on_click=_reload, args=(log.path, index))


def _reload(path: Path, index: Index) -> None:
    """Push a logged design into the controls (a callback: runs before they are drawn)."""
    ss = st.session_state
    design_id = ss.get(HISTORY_PICK)
    try:
        record = DesignLog(path).get(design_id)
        controls.seed(record.design, index)
    except CrimedashError as exc:
        ss[K.NOTICE] = f"Design {design_id} could not be loaded: {exc}"
        return
    ss[K.NOTICE] = f"Loaded design {design_id} ({record.fingerprint}) from the design log."
