"""Writing a bundle all or nothing: the bundle's layout, its zips and the atomic swap.

A bundle appears whole or not at all: it is built in a hidden folder beside `out_dir`
and renamed into place, so a crash or kill mid-export leaves no half-written bundle;
overwrite replaces only a folder that is a crimedash bundle, by swapping the two folders
in one atomic step (Linux renameat2), so a kill at any moment leaves the old or the new
bundle complete at `out_dir`. Kept apart from what is written (`crimedash.export`) so
the file-system promises are read and tested on their own.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from crimedash.errors import ExportError

if TYPE_CHECKING:
    pass

__all__ = [
    "BUNDLE_FORMAT",
    "MANIFEST",
    "PUBLIC_DIR",
    "PUBLIC_README",
    "PUBLIC_ZIP_SUFFIX",
    "REJECTED_CSV",
    "REPORT_HTML",
    "REPORT_MD",
    "REVIEW_DIR",
    "REVIEW_ZIP_SUFFIX",
    "ZIP_DATE",
    "PublicFile",
    "clear_abandoned",
    "is_bundle",
    "json_bytes",
    "plain",
    "review_zip_path",
    "write_atomically",
    "zip_bytes",
    "zip_path",
]


BUNDLE_FORMAT = "crimedash-bundle/1"
PUBLIC_DIR = "public"
REVIEW_DIR = "review"
PUBLIC_README = "README.txt"
MANIFEST = "manifest.json"
REPORT_HTML = "report.html"
REPORT_MD = "report.md"
REJECTED_CSV = "rejected_rows.csv"
PUBLIC_ZIP_SUFFIX = "-public.zip"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no export time inside
REVIEW_ZIP_SUFFIX = "-review-NOT-FOR-PUBLICATION.zip"


@dataclass(frozen=True)
class PublicFile:
    """One file of a bundle: its path inside the bundle, its bytes and (for tables) rows."""

    path: str  # relative to the bundle, with '/'
    data: bytes
    rows: int | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def zip_path(bundle: Path) -> Path:
    """Where the publication zip of a bundle is: inside the bundle folder, named after
    it. It holds `public/` only: this is the file to publish (or hand to the web team)."""
    bundle = Path(bundle)
    return bundle / f"{bundle.name}{PUBLIC_ZIP_SUFFIX}"


def review_zip_path(bundle: Path) -> Path:
    """Where the review record's zip is: `review/` only (manifest with the noise seed,
    report, rejected rows), named so that nobody publishes it by mistake."""
    bundle = Path(bundle)
    return bundle / f"{bundle.name}{REVIEW_ZIP_SUFFIX}"


def is_bundle(folder: Path) -> bool:
    """Whether a folder is a crimedash bundle: it holds a review manifest of our format.
    Only such a folder may be replaced by `overwrite`: anything else is someone's files."""
    try:
        manifest = json.loads((Path(folder) / REVIEW_DIR / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == BUNDLE_FORMAT


def plain(value: Any) -> Any:
    """Plain JSON data (numpy scalars and arrays, dates, paths made plain)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def json_bytes(data: Any) -> bytes:
    return (json.dumps(plain(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# --- writing: all or nothing ---------------------------------------------------------------
def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def zip_bytes(files: list[PublicFile], root: str) -> bytes:
    """The bundle as a zip: entries sorted, fixed timestamps and permissions, so the
    same files always give the same zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(files, key=lambda f: f.path):
            info = zipfile.ZipInfo(f"{root}/{f.path}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, whatever the host
            zf.writestr(info, f.data, compresslevel=9)
    return buf.getvalue()


def clear_abandoned(parent: Path, name: str) -> None:
    """Remove hidden folders of `name` left by exports that were killed: partial new
    bundles, and previous bundles already swapped out of `out_dir`. A previous bundle
    whose `out_dir` is missing (a kill between the two renames of the fallback swap) is
    put back instead, so it is never lost."""
    for kind in ("partial", "old"):
        for path in sorted(parent.glob(f".{glob.escape(name)}.{kind}-*-*")):
            pid = path.name.removeprefix(f".{name}.{kind}-").split("-")[0]
            if not pid.isdigit() or _alive(int(pid)):
                continue
            target = parent / name
            if kind == "old" and not target.exists() and is_bundle(path):
                with contextlib.suppress(OSError):
                    os.replace(path, target)
                    continue
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: leave its folder alone
        return True
    return True


_RENAME_EXCHANGE = 2  # linux/fs.h: swap two paths in one atomic step
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE). False when the
    system or file system cannot, so the caller falls back to two renames."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not supported here
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_into_place(tmp: Path, out_dir: Path, parent: Path) -> Path:
    """Put the new bundle `tmp` at `out_dir`, which holds the previous bundle, so that a
    kill at any moment leaves one of them complete at `out_dir`; return where the
    previous bundle now is (to be removed). With an atomic exchange there is no moment
    without a bundle; without one (not Linux), the previous bundle is first moved to a
    hidden '.NAME.old-PID-*' folder, which the next export puts back if a kill struck
    between the two renames."""
    if _exchange(tmp, out_dir):
        return tmp  # tmp now holds the previous bundle
    old = parent / f".{out_dir.name}.old-{os.getpid()}-{tmp.name.rsplit('-', 1)[-1]}"
    os.replace(out_dir, old)
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        os.replace(old, out_dir)  # put the previous bundle back
        raise
    return old


def write_atomically(out_dir: Path, files: list[PublicFile], overwrite: bool) -> None:
    """Build the bundle in a hidden folder beside `out_dir`, then rename it into place
    (one atomic rename on the same file system), or swap it with the previous bundle
    when overwriting. On any error the hidden folder is removed; a kill leaves only a
    hidden '.NAME.partial-PID-*' folder, never a half bundle, and the next export to
    the same place clears it once that process is gone."""
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        clear_abandoned(parent, out_dir.name)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise ExportError(f"cannot write into {parent}: {exc.strerror}") from exc
    public = [f for f in files if f.path.startswith(f"{PUBLIC_DIR}/")]
    review = [f for f in files if not f.path.startswith(f"{PUBLIC_DIR}/")]
    old: Path | None = None
    try:
        for f in files:
            _write_file(tmp / f.path, f.data)
        _write_file(tmp / zip_path(out_dir).name, zip_bytes(public, out_dir.name))
        _write_file(tmp / review_zip_path(out_dir).name, zip_bytes(review, out_dir.name))
        _fsync_dir(tmp)
        if out_dir.exists() and any(out_dir.iterdir()):
            if not overwrite:  # appeared while we were writing
                raise ExportError(f"{out_dir} appeared while exporting; nothing was written")
            if not is_bundle(out_dir):
                raise ExportError(f"{out_dir} appeared while exporting and is not a bundle")
            old = _swap_into_place(tmp, out_dir, parent)
        else:
            if out_dir.exists():
                out_dir.rmdir()
            os.replace(tmp, out_dir)
        _fsync_dir(parent)
    except BaseException as exc:
        if old is None:
            shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise ExportError(f"could not write the bundle: {exc}; nothing was written") from exc
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
