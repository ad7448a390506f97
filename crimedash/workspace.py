"""The workspace: one folder that holds what an analyst's work needs to survive a
refresh or a restart, kept apart per project rather than per operating-system user.

Where: `$CRIMEDASH_WORKSPACE` if set, else `.crimedash/` in the folder crimedash is run
from (so each clone, each project folder, has its own). It holds the design log
(`designs.sqlite3`, unless `$CRIMEDASH_LOG` names another file), export bundles, and
uploaded data kept by its fingerprint so that a page refresh can load it again (the
page's URL carries only the fingerprint, never the data).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from crimedash.errors import InputError

__all__ = [
    "DEFAULT_FOLDER",
    "ENV_VAR",
    "UPLOADS",
    "load_files",
    "root",
    "save_files",
]

ENV_VAR = "CRIMEDASH_WORKSPACE"
DEFAULT_FOLDER = ".crimedash"
UPLOADS = "uploads"
_KEY = re.compile(r"^[0-9a-f]{8,64}$")  # a fingerprint: never a path


def root() -> Path:
    """The workspace folder (not created until something is written)."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else Path.cwd() / DEFAULT_FOLDER


def _folder(key: str) -> Path:
    if not _KEY.match(key):
        raise InputError(
            f"{key!r} is not a data fingerprint",
            hint="use a link made by crimedash, or load the files again",
        )
    return root() / UPLOADS / key


def _safe_name(name: str) -> str:
    """A file name kept for its extension and its words, never for its folders."""
    base = Path(str(name).replace("\\", "/")).name
    return re.sub(r"[^A-Za-z0-9._ -]", "_", base)[:120] or "file"


def save_files(key: str, files: dict[str, list[tuple[str, bytes]]], extra: dict) -> Path:
    """Keep uploaded files under their fingerprint: role -> [(name, bytes)], plus
    `extra` (small JSON, e.g. a column mapping). Writing the same key twice is a no-op."""
    folder = _folder(key)
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


def load_files(key: str) -> tuple[dict[str, list[tuple[str, bytes]]], dict] | None:
    """The files kept under a fingerprint, or None when there are none."""
    folder = _folder(key)
    manifest = folder / "manifest.json"
    if not manifest.exists():
        return None
    meta = json.loads(manifest.read_text())
    files = {
        role: [(f["name"], (folder / f["stored"]).read_bytes()) for f in items]
        for role, items in meta["files"].items()
    }
    return files, meta.get("extra", {})
