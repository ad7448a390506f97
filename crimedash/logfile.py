"""The design log's file: created whole, checked before use, opened so that readers
never wait for writers and writers wait a bounded time.

Why apart from the records (`crimedash.designlog`): these are the promises about the
file itself (never silently replaced, refused with the reason when damaged, one write
per transaction), which hold whatever is stored in it. The hash chain that makes edits
visible is `crimedash.logchain`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from crimedash.errors import DesignLogError

if TYPE_CHECKING:
    pass

__all__ = [
    "BUSY_TIMEOUT_MS",
    "ENV_VAR",
    "FILE_NAME",
    "SCHEMA_VERSION",
    "LogFile",
    "default_path",
    "link",
]

ENV_VAR = "CRIMEDASH_LOG"
FILE_NAME = "designs.sqlite3"
BUSY_TIMEOUT_MS = 10_000  # a writer waits this long for another, then says so
SCHEMA_VERSION = 2  # 2: the hash chain
_SQLITE_MAGIC = b"SQLite format 3\x00"
_GENESIS = "0" * 64  # the link before the first
# Logs this process found sound: path -> (device, inode, size, mtime) of the main file.
_SOUND: dict[str, tuple[int, int, int, int]] = {}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS designs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL,
    design_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data_fingerprint TEXT NOT NULL,
    score REAL NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('green', 'amber', 'red')),
    assessment_json TEXT NOT NULL,
    crimedash_version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS designs_by_key ON designs (fingerprint, data_fingerprint);
CREATE TABLE IF NOT EXISTS approvals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    design_id INTEGER NOT NULL REFERENCES designs (id),
    created_at TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    role TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    approval_json TEXT NOT NULL,
    bundle_path TEXT
);
CREATE INDEX IF NOT EXISTS approvals_by_design ON approvals (design_id);
CREATE TRIGGER IF NOT EXISTS approvals_no_update BEFORE UPDATE ON approvals
BEGIN SELECT RAISE(ABORT, 'approvals are append-only: add a new approval instead'); END;
CREATE TRIGGER IF NOT EXISTS approvals_no_delete BEFORE DELETE ON approvals
BEGIN SELECT RAISE(ABORT, 'approvals are append-only: they cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS designs_no_update BEFORE UPDATE ON designs
BEGIN SELECT RAISE(ABORT, 'designs are append-only: record a new assessment instead'); END;
CREATE TRIGGER IF NOT EXISTS designs_no_delete BEFORE DELETE ON designs
BEGIN SELECT RAISE(ABORT, 'designs are append-only: they cannot be deleted'); END;
"""
_DESIGN_ROW = (
    "id, fingerprint, design_json, created_at, data_fingerprint, score, verdict, "
    "assessment_json, crimedash_version"
)
_APPROVAL_ROW = "id, design_id, created_at, reviewer, role, decision, approval_json, bundle_path"


# The hash chain (schema 2): one link per design and approval, in the order written.
_CHAIN_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS chain (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('design', 'approval')),
    row_id INTEGER NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (kind, row_id)
)""",
    """CREATE TRIGGER IF NOT EXISTS chain_no_update BEFORE UPDATE ON chain
BEGIN SELECT RAISE(ABORT, 'the chain is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS chain_no_delete BEFORE DELETE ON chain
BEGIN SELECT RAISE(ABORT, 'the chain is append-only'); END""",
)


def _has_chain(con: sqlite3.Connection) -> bool:
    return bool(
        con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chain'"
        ).fetchone()
    )


def _link_hash(prev: str, kind: str, row: tuple) -> str:
    """One link of the chain: the previous link, the record's kind and every column of
    its row, so changing any stored value (or the order) changes every later link."""
    body = json.dumps([prev, kind, *row], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def link(con: sqlite3.Connection, kind: str, row: tuple) -> str:
    """Append the chain link of a record just written; return its hash."""
    prev = con.execute("SELECT hash FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
    new = _link_hash(prev[0] if prev else _GENESIS, kind, row)
    con.execute("INSERT INTO chain (kind, row_id, hash) VALUES (?, ?, ?)", (kind, int(row[0]), new))
    return new


def default_path(workspace_folder: Path | None = None) -> Path:
    """The log's file: $CRIMEDASH_LOG if set, else the one in `workspace_folder` (an app
    session's own workspace), else the workspace's (one log per project folder or
    $CRIMEDASH_WORKSPACE, not one shared by every clone of an OS user)."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    if workspace_folder is not None:
        return workspace_folder / FILE_NAME
    from crimedash import workspace

    return workspace.root() / FILE_NAME


class LogFile:
    """The SQLite file under a design log: opening, checking and transactions."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_path()
        if self.path.exists():
            self._check_file()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DesignLogError(
                f"cannot create the design log's folder {self.path.parent}: {exc.strerror}",
                hint=f"choose another file with --log or the {ENV_VAR} environment variable",
            ) from exc
        self._create()

    def __repr__(self) -> str:
        return f"DesignLog({str(self.path)!r})"

    # -- opening --------------------------------------------------------------------------
    def _refuse(self, what: str) -> DesignLogError:
        return DesignLogError(
            f"the design log {self.path} {what}; it is left as it is, and nothing is recorded",
            hint=f"restore it from a backup, or move it aside and start a new log (--log PATH "
            f"or the {ENV_VAR} environment variable)",
        )

    def _check_file(self) -> None:
        """Refuse a file that is not a sound crimedash log, without writing to it: an
        empty or cut-short file is a log that lost its records, not a new one.

        The full check reads the whole file (about 0.16 s for a 100 MB log), and the app
        opens the log on every rerun, so a file already found sound is not checked again
        until its main file changes (truncating or replacing it always does)."""
        try:
            st = self.path.stat()
            size = st.st_size
            with open(self.path, "rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise self._refuse(f"cannot be read ({exc.strerror})") from exc
        stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if _SOUND.get(str(self.path.absolute())) == stamp:
            return
        if size == 0:
            raise self._refuse(
                "is empty (0 bytes): a crimedash log is never empty once created, so it was "
                "truncated and its records are lost"
            )
        if head != _SQLITE_MAGIC:
            raise self._refuse("is not a crimedash design log (not an SQLite database)")
        try:
            with self._read() as con:
                check = str(con.execute("PRAGMA quick_check").fetchone()[0])
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
                version = None
                if "meta" in tables:
                    row = con.execute(
                        "SELECT value FROM meta WHERE key = 'schema_version'"
                    ).fetchone()
                    version = row[0] if row else None
        except DesignLogError as exc:
            raise self._refuse(f"is damaged (truncated or overwritten): {exc}") from exc
        if check != "ok":
            raise self._refuse(f"is damaged (truncated or overwritten): {check}")
        if not {"meta", "designs", "approvals"} <= tables or version is None:
            raise self._refuse("is an SQLite database but not a crimedash design log")
        if not str(version).isdigit() or int(version) > SCHEMA_VERSION:
            raise self._refuse(
                f"was written by a newer crimedash (log format {version}; this one reads "
                f"up to {SCHEMA_VERSION})"
            )
        _SOUND[str(self.path.absolute())] = stamp

    def _create(self) -> None:
        """Build a new log in a hidden file and link it into place whole, so nobody ever
        sees a half-made log, and two processes creating one at once agree on one."""
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.new-", dir=self.path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            con = sqlite3.connect(tmp, isolation_level=None)
            try:
                con.executescript(
                    "BEGIN;\n"
                    + _SCHEMA
                    + ";\n".join(_CHAIN_SCHEMA)
                    + ";\nINSERT INTO meta (key, value) VALUES "
                    + f"('schema_version', '{SCHEMA_VERSION}');\nCOMMIT;"
                )
                con.execute("PRAGMA journal_mode = WAL")  # kept in the file's header
            finally:
                con.close()
            try:
                os.link(tmp, self.path)  # never replaces a log another process made
            except FileExistsError:
                pass
            except OSError:  # no hard links here: a rename (checked just before)
                if not self.path.exists():
                    os.replace(tmp, self.path)
        except (OSError, sqlite3.Error) as exc:
            raise DesignLogError(
                f"cannot create the design log {self.path}: {exc}",
                hint=f"choose another file with --log or the {ENV_VAR} environment variable",
            ) from exc
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(OSError):
                    os.unlink(f"{tmp}{suffix}")
        self._check_file()

    # -- connections --------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A read-write connection, for writes only."""
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error("opened", exc) from exc
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA synchronous = FULL")  # an approval survives a power cut
            con.execute("PRAGMA foreign_keys = ON")
            yield con
        except sqlite3.Error as exc:
            raise self._error("written", exc) from exc
        finally:
            con.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection: it takes no write lock, so a listing never waits for
        (or blocks) a writer, and cannot change the file whatever it runs."""
        uri = self.path.absolute().as_uri() + "?mode=ro"
        try:
            con = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise self._error("opened", exc) from exc
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            yield con
        except sqlite3.Error as exc:
            raise self._error("read", exc) from exc
        finally:
            con.close()

    def _write(self, con: sqlite3.Connection, fn):
        """Run `fn` in one write transaction (taken at once, so writers queue instead
        of failing on upgrade); roll back on any error."""
        con.execute("BEGIN IMMEDIATE")
        try:
            self._upgrade(con)
            result = fn()
            con.execute("COMMIT")
            return result
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _upgrade(self, con: sqlite3.Connection) -> None:
        """Bring a log of format 1 to 2 inside the current write: add the chain, with a
        link for every record it already holds (the chain protects them from now on)."""
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row and int(row[0]) >= SCHEMA_VERSION:
            return
        for sql in _CHAIN_SCHEMA:
            con.execute(sql)
        rows = [("design", r) for r in con.execute(f"SELECT {_DESIGN_ROW} FROM designs")]
        rows += [("approval", r) for r in con.execute(f"SELECT {_APPROVAL_ROW} FROM approvals")]
        for kind, r in sorted(rows, key=lambda kr: (kr[1][3 if kr[0] == "design" else 2], kr[0])):
            link(con, kind, r)
        con.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )

    def _error(self, what: str, exc: sqlite3.Error) -> DesignLogError:
        if "locked" in str(exc) or "busy" in str(exc):
            return DesignLogError(
                f"the design log {self.path} is busy: another process (an export, the app "
                f"or an sqlite3 shell) has held it for writing for more than "
                f"{BUSY_TIMEOUT_MS / 1000:g} s, so it could not be {what}",
                hint="try again when it has finished; if nothing else is running, close any "
                "sqlite3 shell open on the log",
            )
        return DesignLogError(
            f"the design log {self.path} could not be {what}: {exc}",
            hint=f"check the file is a crimedash design log and writable, or choose another "
            f"with --log or {ENV_VAR}",
        )
