"""Data in: the sample city at start, uploads of incidents, households and areas, the
column-mapping form, and rejected rows with their reasons.

Loaded data sets live in one process-wide store keyed by the files' hashes (like
`st.cache_resource`, but filled outside the cached call so that progress can be shown
while a big file loads). A failed upload leaves the previous data set in place and says
why in the user's words (`CrimedashError`'s message).

Each browser session works in a workspace of its own (`crimedash.workspace`), named in
the URL by `?ws=`: its uploads are kept there, and a data set in the shared store is
shown only to a session that loaded it or whose workspace keeps its files, so knowing
another session's data fingerprint is not enough to see its data.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import streamlit as st

from crimedash import dataset as D
from crimedash import schema as S
from crimedash import workspace
from crimedash.errors import ColumnMappingError, CrimedashError
from crimedash.load import ColumnMapping
from crimedash.textsafe import csv_bytes, markdown_text
from crimedash.ui import state as K

__all__ = [
    "AREA_TYPES",
    "DATA_PARAM",
    "INCIDENT_TYPES",
    "SAMPLE_KEY",
    "SAMPLE_LABEL",
    "STORE_SIZE",
    "UPLOAD_PREFIX",
    "WORKSPACE_PARAM",
    "Progress",
    "Upload",
    "Uploads",
    "back_to_sample",
    "current",
    "get_dataset",
    "handle_upload",
    "injected",
    "keep",
    "load_uploads",
    "mapping_form",
    "page",
    "paragraphs",
    "restore",
    "sample",
    "session_log_path",
    "show_load_error",
    "start_from_link",
    "workspace_folder",
]

SAMPLE_KEY = "sample"
UPLOAD_PREFIX = "upload:"
DATA_PARAM = "data"  # ?data=upload:<fingerprint>: the uploaded data, kept in the workspace
WORKSPACE_PARAM = "ws"  # ?ws=<id>: the session's workspace (a refresh or a sent link)
SAMPLE_LABEL = "the sample city (Ashbourne Vale, fictional)"
STORE_SIZE = 4  # data sets kept in memory at once (the sample counts as one)
INCIDENT_TYPES = ["csv", "txt", "zip", "geojson", "json", "gpkg", "parquet", "xlsx"]
AREA_TYPES = ["geojson", "json", "gpkg", "parquet", "zip"]

Upload = tuple[str, bytes]
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Uploads:
    """Files given in the Data tab, as (name, bytes)."""

    incidents: tuple[Upload, ...]
    households: Upload | None = None
    areas: tuple[Upload, ...] = ()
    mapping: ColumnMapping | None = field(default=None)

    def key(self) -> str:
        """Cache key: the files' names and contents, and the column mapping."""
        h = hashlib.sha256()
        for role, items in (
            ("incidents", self.incidents),
            ("households", (self.households,) if self.households else ()),
            ("areas", self.areas),
        ):
            for name, data in items:
                h.update(f"{role}\x1f{name}\x1f".encode())
                h.update(hashlib.sha256(data).digest())
        h.update(repr(self.mapping).encode())
        return UPLOAD_PREFIX + h.hexdigest()[:20]

    def label(self) -> str:
        names = [n for n, _ in self.incidents]
        more = f" and {len(names) - 2} more" if len(names) > 2 else ""
        return ", ".join(names[:2]) + more


@st.cache_resource(show_spinner=False)
def _store() -> OrderedDict:
    """Process-wide store of loaded data sets (key -> Dataset), newest last."""
    return OrderedDict()


def get_dataset(key: str, build: Callable[[Progress | None], D.Dataset], progress=None):
    store = _store()
    if key not in store:
        store[key] = build(progress)
        while len(store) > STORE_SIZE:
            oldest = next(k for k in store if k != SAMPLE_KEY)
            store.pop(oldest)
    store.move_to_end(key)
    return store[key]


def sample(progress: Progress | None = None) -> D.Dataset:
    return get_dataset(SAMPLE_KEY, lambda p: D.sample_dataset(progress=p), progress)


def start_from_link() -> None:
    """On a new session, the workspace and the data named in the URL (a refresh keeps
    both); without a workspace id made by crimedash, a new workspace of its own."""
    ss = st.session_state
    if K.WORKSPACE not in ss:
        given = st.query_params.get(WORKSPACE_PARAM)
        ss[K.WORKSPACE] = given if workspace.is_session_id(given) else workspace.new_session_id()
    if K.DATASET_KEY in ss:
        return
    key = st.query_params.get(DATA_PARAM)
    key = key if key and key.startswith(UPLOAD_PREFIX) else SAMPLE_KEY
    ss[K.DATASET_KEY] = key
    ss[K.DATASET_LABEL] = _labels().get(key, SAMPLE_LABEL)


@st.cache_resource(show_spinner=False)
def _labels() -> dict[str, str]:
    """Words for each loaded data set (its files), by key: a new session opened by a
    link names the data it shows, not the sample city."""
    return {SAMPLE_KEY: SAMPLE_LABEL}


def workspace_folder() -> Path:
    """This session's workspace folder (its uploads, design log and bundles)."""
    ss = st.session_state
    if not workspace.is_session_id(ss.get(K.WORKSPACE)):
        ss[K.WORKSPACE] = workspace.new_session_id()
    return workspace.session_folder(ss[K.WORKSPACE])


def session_log_path() -> Path:
    """This session's design log: in its own workspace, or the one log the operator
    chose for every session ($CRIMEDASH_LOG). Every page that reads or writes the log
    opens it here, so no page falls back to a log shared by the whole server."""
    from crimedash.logfile import default_path

    return default_path(workspace_folder())


def _reachable(key: str) -> bool:
    """Whether this session may use the loaded data set `key`: the sample, data it
    loaded itself, or data its workspace keeps (a refresh, a link it was sent)."""
    return (
        key == SAMPLE_KEY
        or key in st.session_state.get(K.OWN_DATA, ())
        or workspace.holds(key.removeprefix(UPLOAD_PREFIX), workspace_folder())
    )


def keep(uploads: Uploads) -> None:
    """Keep the files in the workspace under their fingerprint, so a refresh (or a
    restarted server) can load them again. Failing to keep them is said, not fatal."""
    files = {
        "incidents": list(uploads.incidents),
        "households": [uploads.households] if uploads.households else [],
        "areas": list(uploads.areas),
    }
    mapping = asdict(uploads.mapping) if uploads.mapping is not None else None
    try:
        workspace.save_files(
            uploads.key().removeprefix(UPLOAD_PREFIX),
            files,
            {"mapping": mapping},
            base=workspace_folder(),
        )
    except (OSError, CrimedashError) as exc:
        st.session_state[K.NOTICE] = (
            f"The files are loaded but could not be kept in the workspace ({exc}); a page "
            f"refresh will need them again. Set {workspace.ENV_VAR} to a writable folder."
        )


def restore(key: str) -> Uploads | None:
    """The uploads kept in the workspace under a data key, or None."""
    try:
        found = workspace.load_files(key.removeprefix(UPLOAD_PREFIX), workspace_folder())
    except (OSError, ValueError, KeyError, CrimedashError):
        return None
    if found is None:
        return None
    files, extra = found
    mapping = extra.get("mapping")
    uploads = Uploads(
        incidents=tuple(files.get("incidents", ())),
        households=(files.get("households") or [None])[0],
        areas=tuple(files.get("areas", ())),
        mapping=ColumnMapping(**mapping) if mapping else None,
    )
    return uploads if uploads.key() == key else None  # the files are what the link names


def current() -> D.Dataset:
    """The data set the analyst is working on (the sample city until an upload works)."""
    ss = st.session_state
    key = ss.get(K.DATASET_KEY, SAMPLE_KEY)
    store = _store()
    if key != SAMPLE_KEY and (key not in store or not _reachable(key)):
        # a refresh or a restart: from this session's workspace, never from the store
        # just because another session loaded the data named in the link
        uploads = restore(key)
        if uploads is not None and handle_upload(uploads, keep_files=False):
            ss[K.NOTICE] = f"Loaded {uploads.label()} again from the workspace."
            return store[key]
        ss[K.DATASET_KEY] = SAMPLE_KEY
        ss[K.DATASET_LABEL] = SAMPLE_LABEL
        ss[K.NOTICE] = (
            "The data named in the link is not in this workspace any more; back on the "
            "sample city. Load the files again on the Data tab."
        )
        key = SAMPLE_KEY
    if key == SAMPLE_KEY:
        if SAMPLE_KEY in store:
            return sample()
        st.caption("Loading the sample city (once per server)...")
        bar = st.progress(0.0)
        return sample(lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
    return store[key]


def load_uploads(uploads: Uploads, progress: Progress | None = None) -> D.Dataset:
    """Load and index uploads (raises CrimedashError with a message for the user)."""

    def build(p: Progress | None) -> D.Dataset:
        return D.load_dataset(
            list(uploads.incidents),
            households=uploads.households,
            areas=list(uploads.areas),
            mapping=uploads.mapping,
            progress=p,
        )

    return get_dataset(uploads.key(), build, progress)


def handle_upload(uploads: Uploads, keep_files: bool = True) -> bool:
    """Try to load uploads; on success make them current (and keep their files in the
    workspace), else keep the previous data and record why (a mapping problem opens
    the column-mapping form)."""
    ss = st.session_state
    try:
        with st.status(f"Loading {uploads.label()}", expanded=True) as status:
            bar = st.progress(0.0)
            load_uploads(uploads, lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
            status.update(label=f"Loaded {uploads.label()}", state="complete", expanded=False)
    except ColumnMappingError as exc:
        ss[K.PENDING_UPLOAD] = uploads
        ss[K.MAPPING_CANDIDATES] = {k: list(v) for k, v in exc.candidates.items()}
        ss[K.MAPPING_FILE] = exc.file or uploads.label()
        ss[K.LOAD_ERROR] = str(exc)
        return False
    except CrimedashError as exc:
        ss[K.LOAD_ERROR] = str(exc)
        return False
    if keep_files:
        keep(uploads)
    ss.setdefault(K.OWN_DATA, set()).add(uploads.key())
    ss[K.DATASET_KEY] = uploads.key()
    ss[K.DATASET_LABEL] = _labels()[uploads.key()] = uploads.label()
    for key in (K.LOAD_ERROR, K.PENDING_UPLOAD, K.MAPPING_CANDIDATES, K.MAPPING_FILE):
        ss.pop(key, None)
    ss[K.SEEDED] = False  # categories and area layers changed: re-seed the controls
    return True


def _files(items: Sequence | None) -> tuple[Upload, ...]:
    return tuple((f.name, f.getvalue()) for f in (items or []))


def injected() -> Uploads | None:
    """Uploads put in session state by a test (AppTest cannot drive a file uploader)."""
    raw = st.session_state.pop(K.INJECT_UPLOAD, None)
    if not raw:
        return None
    return Uploads(
        incidents=tuple(raw.get("incidents", ())),
        households=raw.get("households"),
        areas=tuple(raw.get("areas", ())),
    )


def back_to_sample() -> None:
    ss = st.session_state
    ss[K.DATASET_KEY] = SAMPLE_KEY
    ss[K.DATASET_LABEL] = SAMPLE_LABEL
    ss[K.SEEDED] = False
    for key in (K.LOAD_ERROR, K.PENDING_UPLOAD, K.MAPPING_CANDIDATES, K.MAPPING_FILE):
        ss.pop(key, None)


def show_load_error() -> None:
    """A failed upload, said plainly, with what is still loaded."""
    msg = st.session_state.get(K.LOAD_ERROR)
    if msg:
        label = st.session_state.get(K.DATASET_LABEL, SAMPLE_LABEL)
        more = (
            " Choose the columns in the form on the Data tab."
            if st.session_state.get(K.PENDING_UPLOAD) is not None
            else ""
        )
        st.error(
            f"Could not load the upload: {paragraphs(msg)}\n\nStill working on {label}.{more}",
            icon="⚠️",
        )


def paragraphs(message: str) -> str:
    """A CrimedashError's message for markdown: its 'Hint:' on a line of its own."""
    return message.replace("\n", "\n\n")


def page(data: D.Dataset) -> None:
    """The Data tab: what is loaded, its rejected rows, and uploads."""
    ss = st.session_state
    summary = data.loaded.summary()
    label = markdown_text(ss.get(K.DATASET_LABEL, SAMPLE_LABEL), inline=True)  # file names
    st.markdown(f"**Loaded:** {label}")
    cols = st.columns(4)
    cols[0].metric("Incidents kept", f"{summary['rows_kept']:,}")
    rejected = data.input_summary()  # every input: incidents, households, areas
    cols[1].metric("Rows rejected", f"{rejected['rejected_rows']:,}")
    precision = summary["time_precision"]
    cols[2].metric("Times given to the", "minute" if precision == "timestamp" else precision)
    cols[3].metric("Households layer", "loaded" if data.index.has_households else "none")
    st.caption(
        f"Dates {summary['date_min']} to {summary['date_max']}. Area layers: "
        + (", ".join(data.areas) if data.areas else "none")
        + "."
    )
    if not data.index.has_households:
        st.warning(
            "No households layer: household counts are an assumption (¶19). "
            "Upload address points or areas with a households column to replace it."
        )
    if rejected["rejected_rows"]:
        by_input = ", ".join(f"{k}: {n:,}" for k, n in rejected["rejected_by_input"].items() if n)
        with st.expander(f"Rejected rows ({rejected['rejected_rows']:,}; {by_input}) and why"):
            st.dataframe(
                {
                    "reason": list(rejected["rejected_by_reason"]),
                    "rows": list(rejected["rejected_by_reason"].values()),
                },
                hide_index=True,
            )
            st.dataframe(data.rejected.head(2000), hide_index=True, width="stretch")
            st.download_button(
                "Download the rejected rows (CSV)",
                csv_bytes(data.rejected),
                file_name="rejected_rows.csv",
                mime="text/csv",
            )
    if summary["skipped_files"]:
        st.info(
            "Files skipped: " + "; ".join(f"{n} ({why})" for n, why in summary["skipped_files"])
        )
    for finding in summary.get("findings", []):
        st.warning(finding)

    st.subheader("Load your own data")
    st.file_uploader(
        "Incidents: police.uk CSVs or zip, force extracts (CSV, Excel), GeoJSON, "
        "GeoPackage, Parquet; several files at once",
        type=INCIDENT_TYPES,
        accept_multiple_files=True,
        key=K.UP_INCIDENTS,
    )
    st.file_uploader(
        "Households (optional): address points, or polygons with a households column (¶19)",
        type=["csv", "geojson", "json", "gpkg", "parquet", "zip"],
        key=K.UP_HOUSEHOLDS,
    )
    st.file_uploader(
        "Areas (optional): output areas, beats or wards, one layer per file",
        type=AREA_TYPES,
        accept_multiple_files=True,
        key=K.UP_AREAS,
    )
    c1, c2 = st.columns(2)
    if c1.button("Load these files", key=K.LOAD_BUTTON, type="primary"):
        incidents = _files(ss.get(K.UP_INCIDENTS))
        if not incidents:
            ss[K.LOAD_ERROR] = "choose at least one incidents file first."
        else:
            hh = ss.get(K.UP_HOUSEHOLDS)
            uploads = Uploads(
                incidents,
                (hh.name, hh.getvalue()) if hh is not None else None,
                _files(ss.get(K.UP_AREAS)),
            )
            handle_upload(uploads)
        st.rerun()
    if ss.get(K.DATASET_KEY, SAMPLE_KEY) != SAMPLE_KEY:
        c2.button("Back to the sample city", key=K.SAMPLE_BUTTON, on_click=back_to_sample)
    mapping_form()


def mapping_form() -> None:
    """Which column is which, when the loader could not tell with confidence."""
    ss = st.session_state
    pending: Uploads | None = ss.get(K.PENDING_UPLOAD)
    candidates: dict[str, list[str]] | None = ss.get(K.MAPPING_CANDIDATES)
    if pending is None or not candidates:
        return
    st.subheader("Which column is which?")
    st.caption(f"In {ss.get(K.MAPPING_FILE)}, choose the column that holds each field.")
    words = {
        S.LATITUDE: "Latitude (degrees)",
        S.LONGITUDE: "Longitude (degrees)",
        "easting": "Easting (metres, British National Grid)",
        "northing": "Northing (metres, British National Grid)",
        S.OCCURRED_AT: "Date or time of the incident",
    }
    with st.form(K.MAPPING_FORM):
        for fld, cols in candidates.items():
            st.selectbox(words.get(fld, fld), cols, key=K.MAPPING_PREFIX + fld)
        submitted = st.form_submit_button("Load with these columns")
    if submitted:
        mapping = ColumnMapping(**{f: ss[K.MAPPING_PREFIX + f] for f in candidates})
        uploads = Uploads(pending.incidents, pending.households, pending.areas, mapping)
        handle_upload(uploads)
        st.rerun()
