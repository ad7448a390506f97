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

from crimedash.approval import Approval, data_fingerprint
from crimedash.bundlewrite import review_zip_path, zip_path
from crimedash.dataset import Dataset
from crimedash.design import Design
from crimedash.designlog import DesignLog
from crimedash.errors import CrimedashError
from crimedash.export import export_bundle
from crimedash.index import Index
from crimedash.publicfiles import explain
from crimedash.risk import Assessment
from crimedash.ui import fields
from crimedash.ui import state as K
from crimedash.ui.data import session_log_path

__all__ = [
    "CONFIRM_OTHER",
    "CONTACT",
    "DECISION",
    "DECISIONS",
    "DOWNLOAD",
    "DOWNLOAD_REVIEW",
    "EXPLANATION",
    "FORM",
    "FORM_FOR",
    "HISTORY_PICK",
    "JUSTIFICATION",
    "NEXT_REVIEW",
    "NOTICE_CLEARED",
    "PUBLISHER",
    "RATIONALE",
    "RELOAD",
    "RESULT",
    "REVIEWER",
    "ROLE",
    "SHOW_OTHER",
    "SUBMIT",
    "WIDGETS",
    "page",
]

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

SHOW_OTHER = "export_show_other_data"  # list designs logged on other data too
CONFIRM_OTHER = "export_confirm_other_data"  # "yes, load a design made on other data"
FORM_FOR = "export_form_for"  # (design, data) fingerprints the form was filled for
NOTICE_CLEARED = "export_form_cleared"
# the tab's widgets (a click on one is a change, not Back: page.widgets_moved)
WIDGETS = (
    FORM, REVIEWER, ROLE, DECISION, RATIONALE, JUSTIFICATION, PUBLISHER, CONTACT,
    EXPLANATION, NEXT_REVIEW, SUBMIT, DOWNLOAD, DOWNLOAD_REVIEW, HISTORY_PICK, RELOAD,
    SHOW_OTHER, CONFIRM_OTHER,
)  # fmt: skip

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
    _clear_when_design_changes(design, fingerprint)
    _form(data, design, assessment, log, fingerprint)
    _last_result(design)
    if log is not None:
        _history(log, data.index, fingerprint)


def _clear_when_design_changes(design: Design, fingerprint: str) -> None:
    """A reviewer's name, decision and reasons belong to one design on one data set:
    when either changes, the form starts empty (the publisher and contact stay, they
    belong to the organisation). Runs before the form's widgets are drawn."""
    ss = st.session_state
    now = (design.fingerprint(), fingerprint)
    if ss.get(FORM_FOR) not in (None, now):
        for key in (REVIEWER, ROLE, DECISION, RATIONALE, JUSTIFICATION, EXPLANATION):
            ss.pop(key, None)
        ss[NOTICE_CLEARED] = True
    ss[FORM_FOR] = now


def _open_log() -> DesignLog | None:
    """This session's design log, in its own workspace ($CRIMEDASH_LOG, when set, is
    one log the operator chose for every session)."""
    try:
        return DesignLog(session_log_path())
    except CrimedashError as exc:
        st.error(f"The design log cannot be used, so nothing will be recorded: {exc}")
        return None


def _form(
    data: Dataset, design: Design, assessment: Assessment, log: DesignLog | None, fingerprint: str
) -> None:
    if st.session_state.pop(NOTICE_CLEARED, False):
        st.info("The design changed, so the reviewer's decision and reasons were cleared.")
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
    if not str(ss.get(REVIEWER, "")).strip():
        # said here in the form's words (the core's message names the CLI's option)
        st.error("Type the reviewer's name first: a decision must say who made it (¶14).")
        return
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
    ss = st.session_state
    st.subheader("Past designs")
    st.caption(f"Every export and decision is kept in the design log: {log.path}")
    try:  # a row edited outside crimedash is a message, not a traceback
        records = log.list(limit=200)
        designs = {r.id: r.design for r in records}
    except CrimedashError as exc:
        st.error(str(exc))
        return
    here = [r for r in records if r.data_fingerprint == fingerprint]
    other = len(records) - len(here)
    show_other = False
    if other:
        show_other = st.checkbox(
            f"Also list the {other:,} design{'s' if other != 1 else ''} made on other data",
            key=SHOW_OTHER,
            help="Their scores were for other data: reload one only to try it on this data.",
        )
    shown = records if show_other else here
    if not shown:
        st.caption("No designs are logged for this data yet.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "id": r.id,
                    "logged (UTC)": r.created_at[:16].replace("T", " "),
                    "score": round(r.score, 1),
                    "verdict": r.verdict,
                    "status": r.status,
                    "unit": designs[r.id].spatial.describe(),
                    "updated": fields.FREQUENCY_WORDS[designs[r.id].frequency],
                    "counts": fields.COUNT_WORDS[designs[r.id].counts],
                    "data": "this data" if r.data_fingerprint == fingerprint else "OTHER DATA",
                }
                for r in shown
            ]
        ),
        hide_index=True,
    )
    by_id = {r.id: r for r in shown}
    if ss.get(HISTORY_PICK) not in by_id:
        ss.pop(HISTORY_PICK, None)
    pick = st.selectbox(
        "Reload a past design into the controls",
        list(by_id),
        key=HISTORY_PICK,
        format_func=lambda i: (
            f"{i}: {by_id[i].design.spatial.describe()}, "
            f"score {by_id[i].score:.1f}"
            + ("" if by_id[i].data_fingerprint == fingerprint else " (made on other data)")
        ),
    )
    foreign = pick is not None and by_id[pick].data_fingerprint != fingerprint
    if foreign:
        st.warning(
            "This design was made and scored on other data. Its score there says nothing "
            "about this data: loading it scores it again here."
        )
        st.checkbox("I understand; load it for this data", key=CONFIRM_OTHER)
    st.button(
        "Reload this design",
        key=RELOAD,
        on_click=_reload,
        args=(log.path, index),
        disabled=foreign and not ss.get(CONFIRM_OTHER),
    )


def _reload(path: Path, index: Index) -> None:
    """Push a logged design into the controls (a callback: runs before they are drawn)."""
    ss = st.session_state
    design_id = ss.get(HISTORY_PICK)
    try:
        record = DesignLog(path).get(design_id)
        fields.seed(record.design, index)
    except CrimedashError as exc:
        ss[K.NOTICE] = f"Design {design_id} could not be loaded: {exc}"
        return
    ss.pop(CONFIRM_OTHER, None)
    ss[K.NOTICE] = (
        f"Loaded design {design_id} ({record.design.spatial.describe()}) from the design log."
    )
