"""The workspace: one folder that holds what an analyst's work needs to survive a
refresh or a restart, kept apart per project rather than per operating-system user.

Where: `$CRIMEDASH_WORKSPACE` if set, else `.crimedash/` in the folder crimedash is run
from (so each clone, each project folder, has its own). It holds the design log
(`designs.sqlite3`, unless `$CRIMEDASH_LOG` names another file), export bundles, and
uploaded data kept by its fingerprint so that a page refresh can load it again (the
page's URL carries only the fingerprint, never the data).

The CLI works in that folder. The app gives each browser session a workspace of its
own, `sessions/<id>/` inside it, laid out the same way (its own design log, bundles and
uploads): one server serves many analysts, and one analyst's uploads and unapproved
drafts are not another's business. The id is 128 random bits, made by crimedash and
carried in the page's URL (`?ws=`), so a refresh finds the session's work again and a
link shares the workspace only when someone sends it; it cannot be guessed or chosen,
and it is never a path. The CLI reads a session's log with
`--log .crimedash/sessions/<id>/designs.sqlite3`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

from crimedash.errors import InputError

__all__ = [
    "DEFAULT_FOLDER",
    "ENV_VAR",
    "SESSIONS",
    "UPLOADS",
    "holds",
    "is_session_id",
    "load_files",
    "new_session_id",
    "root",
    "save_files",
    "session_folder",
]

ENV_VAR = "CRIMEDASH_WORKSPACE"
DEFAULT_FOLDER = ".crimedash"
UPLOADS = "uploads"
SESSIONS = "sessions"
_KEY = re.compile(r"^[0-9a-f]{8,64}$")  # a fingerprint: never a path
_SESSION = re.compile(r"^[0-9a-f]{32}$")  # 128 random bits, as made by new_session_id


def root() -> Path:
    """The workspace folder (not created until something is written)."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else Path.cwd() / DEFAULT_FOLDER


def new_session_id() -> str:
    """A new browser session's workspace id: 128 random bits, so nobody reaches a
    workspace without being sent its link."""
    return secrets.token_hex(16)


def is_session_id(value: object) -> bool:
    """Whether `value` is a workspace id as crimedash makes them (never a path, a
    name or a shorter, guessable word)."""
    return isinstance(value, str) and bool(_SESSION.match(value))


def session_folder(session_id: str) -> Path:
    """The folder of one session's workspace (not created until something is written):
    `sessions/<id>/` in the workspace, with its own log, bundles and uploads."""
    if not is_session_id(session_id):
        raise InputError(
            f"{session_id!r} is not a workspace id made by crimedash",
            hint="open the app without ws= in the link to start a new workspace",
        )
    return root() / SESSIONS / session_id


def _folder(key: str, base: Path | None) -> Path:
    if not _KEY.match(key):
        raise InputError(
            f"{key!r} is not a data fingerprint",
            hint="use a link made by crimedash, or load the files again",
        )
    return (root() if base is None else base) / UPLOADS / key


def _safe_name(name: str) -> str:
    """A file name kept for its extension and its words, never for its folders."""
    base = Path(str(name).replace("\\", "/")).name
    return re.sub(r"[^A-Za-z0-9._ -]", "_", base)[:120] or "file"


def save_files(
    key: str,
    files: dict[str, list[tuple[str, bytes]]],
    extra: dict,
    base: Path | None = None,
) -> Path:
    """Keep uploaded files under their fingerprint: role -> [(name, bytes)], plus
    `extra` (small JSON, e.g. a column mapping), in the workspace `base` (a session's
    folder; the workspace root when None). Writing the same key twice is a no-op."""
    folder = _folder(key, base)
    manifest = folder / "manifest.json"
    if manifest.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    listed: dict[str, list[dict[str, str]]] = {}
    for role, items in files.items():
        for i, (name, data) in enumerate(items):
            stored = f"{role}-{i}-{_safe_name(name)}"
            (folder / stored).write_bytes(data)
            listed.setdefault(role, []).append({"name": str(name), "stored": stored})
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps({"files": listed, "extra": extra}, indent=1))
    tmp.replace(manifest)  # written last: a folder without it is incomplete
    return folder


def holds(key: str, base: Path | None = None) -> bool:
    """Whether the workspace `base` keeps the files of this fingerprint (complete):
    the app serves a data set held in memory only to sessions whose workspace has it."""
    try:
        return (_folder(key, base) / "manifest.json").is_file()
    except InputError:
        return False


def load_files(
    key: str, base: Path | None = None
) -> tuple[dict[str, list[tuple[str, bytes]]], dict] | None:
    """The files kept under a fingerprint in the workspace `base` (the root when
    None), or None when there are none."""
    folder = _folder(key, base)
    manifest = folder / "manifest.json"
    if not manifest.exists():
        return None
    meta = json.loads(manifest.read_text())
    files = {
        role: [(f["name"], (folder / f["stored"]).read_bytes()) for f in items]
        for role, items in meta["files"].items()
    }
    return files, meta.get("extra", {})
