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
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import streamlit as st

from crimedash import dataset as D
from crimedash import workspace
from crimedash.errors import ColumnMappingError, CrimedashError
from crimedash.load import ColumnMapping
from crimedash.ui import state as K

__all__ = [
    "AREA_TYPES",
    "DATA_PARAM",
    "INCIDENT_TYPES",
    "SAMPLE_KEY",
    "SAMPLE_LABEL",
    "SERVER_DATA_ENV",
    "STORE_PREFIX",
    "STORE_SIZE",
    "UPLOAD_PREFIX",
    "WORKSPACE_PARAM",
    "Progress",
    "Upload",
    "Uploads",
    "back_to_sample",
    "current",
    "default_key",
    "get_dataset",
    "handle_store",
    "handle_upload",
    "injected",
    "keep",
    "load_uploads",
    "open_store",
    "paragraphs",
    "restore",
    "sample",
    "server_stores",
    "session_log_path",
    "show_load_error",
    "start_from_link",
    "store_label",
    "workspace_folder",
]

SAMPLE_KEY = "sample"
UPLOAD_PREFIX = "upload:"
STORE_PREFIX = "store:"  # ?data=store:<name>: a store the operator offers (CRIMEDASH_DATA)
SERVER_DATA_ENV = "CRIMEDASH_DATA"
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
        # the advice's other units stay cached: switching to one is then not a first use
        store[key].index.keep_alternatives = True
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
    if not (key and key.startswith((UPLOAD_PREFIX, STORE_PREFIX))):
        key = default_key()
    ss[K.DATASET_KEY] = key
    ss[K.DATASET_LABEL] = _labels().get(key, SAMPLE_LABEL)


def server_stores() -> dict[str, Path]:
    """The stores the operator offers to every session, by name: $CRIMEDASH_DATA names a
    store (`crimedash store build`) or a folder of them. The browser only ever picks a
    name from this list, so no path typed in a page reaches the server's disk."""
    from crimedash.storeindex import is_store

    root = os.environ.get(SERVER_DATA_ENV, "").strip()
    if not root:
        return {}
    base = Path(root).expanduser()
    if is_store(base):
        return {base.name: base}
    if not base.is_dir():
        return {}
    return {p.name: p for p in sorted(base.iterdir()) if is_store(p)}


def default_key() -> str:
    """What a new session opens: the operator's store when $CRIMEDASH_DATA names exactly
    one (an analyst's year, indexed once per server), else the sample city."""
    stores = server_stores()
    return STORE_PREFIX + next(iter(stores)) if len(stores) == 1 else SAMPLE_KEY


def open_store(name: str, progress: Progress | None = None) -> D.Dataset:
    """A store the operator offers, indexed once per server process and then shared by
    every session (reopening it is a dictionary look-up)."""
    path = server_stores().get(name)
    if path is None:
        from crimedash.errors import InputError

        raise InputError(
            f"no store called {name!r} is offered by this server",
            hint=f"the operator sets {SERVER_DATA_ENV} to a store or a folder of stores",
        )
    key = STORE_PREFIX + name
    ds = get_dataset(key, lambda p: D.load_dataset(path, progress=p), progress)
    _labels()[key] = store_label(name, ds)
    return ds


def store_label(name: str, ds: D.Dataset) -> str:
    return f"the store {name} on the server ({ds.index.n:,} incidents)"


def handle_store(name: str) -> bool:
    """Open a server store and make it current; on failure keep the previous data and
    say why (a damaged store names its file and what is wrong)."""
    ss = st.session_state
    try:
        with st.status(f"Opening the store {name}", expanded=True) as status:
            bar = st.progress(0.0)
            ds = open_store(name, lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
            status.update(label=f"Opened the store {name}", state="complete", expanded=False)
    except CrimedashError as exc:
        ss[K.LOAD_ERROR] = str(exc)
        return False
    key = STORE_PREFIX + name
    ss[K.DATASET_KEY] = key
    ss[K.DATASET_LABEL] = store_label(name, ds)
    for k in (K.LOAD_ERROR, K.PENDING_UPLOAD, K.MAPPING_CANDIDATES, K.MAPPING_FILE):
        ss.pop(k, None)
    ss[K.SEEDED] = False  # categories and area layers changed: re-seed the controls
    return True


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
        or (key.startswith(STORE_PREFIX) and key.removeprefix(STORE_PREFIX) in server_stores())
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
    if key.startswith(STORE_PREFIX) and _reachable(key):
        if key in store:
            return get_dataset(key, lambda p: store[key])  # most recently used
        if handle_store(key.removeprefix(STORE_PREFIX)):
            return store[key]
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
