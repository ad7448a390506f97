"""The design log: every assessed and approved design, kept in one SQLite file.

Why SQLite: the app and the CLI may write at the same moment (an analyst designing in
the browser while the monthly job exports), and a write may be killed halfway. SQLite in
WAL mode with a busy timeout lets both wait their turn, and every write is one
transaction, so a kill leaves the file as it was before that write or after it, never
between. Approvals are a record of who decided what: triggers make them (and the
designs they refer to) append-only, so no code path can change or delete one.

Nothing lost, nothing forged unseen:
- a new log is built in a hidden file and linked into place whole; an existing file
  that is empty, truncated, damaged or not a crimedash log is refused with the reason,
  never silently replaced by a new empty log;
- reads (`list`, `get`, `verify`) open the file read-only, so they never wait for a
  writer; writes wait at most `BUSY_TIMEOUT_MS` and then say who holds the log;
- every design and approval is a link of a hash chain (`chain` table): an edit made
  outside crimedash (the sqlite3 shell with the triggers dropped) is found by
  `verify` (`crimedash designs verify`). The chain is not keyed: someone who rewrites
  every later link can forge it, which is why each bundle's manifest records the
  link of its design (`chain_link`): keep the bundles and the forgery shows.

The log stores plain records: it imports no exporter (an approval is recorded as the
plain data of `Approval.to_dict()`).

Where: `DesignLog(path)`, else the `CRIMEDASH_LOG` environment variable, else
`designs.sqlite3` in the workspace (`$CRIMEDASH_WORKSPACE`, else `.crimedash/` in the
folder crimedash runs from; see `crimedash.workspace`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crimedash import __version__
from crimedash.design import Design
from crimedash.errors import DesignLogError

if TYPE_CHECKING:
    from crimedash.risk import Assessment

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
_DESIGN_ROW = (
    "id, fingerprint, design_json, created_at, data_fingerprint, score, verdict, "
    "assessment_json, crimedash_version"
)
_APPROVAL_ROW = "id, design_id, created_at, reviewer, role, decision, approval_json, bundle_path"


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class ApprovalRecord:
    id: int
    design_id: int
    created_at: str
    reviewer: str
    role: str
    decision: str
    approval: dict[str, Any]
    bundle_path: str | None


@dataclass(frozen=True)
class DesignRecord:
    """One assessed design as logged. `assessment` is filled by `get`, not by `list`."""

    id: int
    fingerprint: str
    created_at: str
    data_fingerprint: str
    score: float
    verdict: str
    design_json: str
    crimedash_version: str
    approvals: tuple[ApprovalRecord, ...] = ()
    assessment: dict[str, Any] | None = None

    @property
    def design(self) -> Design:
        return Design.from_dict(self.design_dict())

    def design_dict(self) -> dict[str, Any]:
        """The design as plain data; a row edited into unreadable JSON is a message."""
        data = _loads(self.design_json, f"design {self.id}'s settings")
        if not isinstance(data, dict):
            raise _edited(f"design {self.id}'s settings are not a JSON object")
        return data

    @property
    def status(self) -> str:
        """'approved', 'rejected' (the latest decision) or 'assessed'."""
        if not self.approvals:
            return "assessed"
        return "approved" if self.approvals[-1].decision == "approve" else "rejected"


class DesignLog:
    """The design log. Cheap to create: each call opens its own short connection, so
    one object may be shared by threads (Streamlit reruns) and processes."""

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
            self._link(con, kind, r)
        con.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )

    @staticmethod
    def _link(con: sqlite3.Connection, kind: str, row: tuple) -> str:
        """Append the chain link of a record just written; return its hash."""
        prev = con.execute("SELECT hash FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
        link = _link_hash(prev[0] if prev else _GENESIS, kind, row)
        con.execute(
            "INSERT INTO chain (kind, row_id, hash) VALUES (?, ?, ?)", (kind, int(row[0]), link)
        )
        return link

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

    # -- writing ------------------------------------------------------------------------
    def record_assessment(
        self, design: Design, assessment: Assessment | dict[str, Any], data_fingerprint: str
    ) -> int:
        """Log an assessed design; return its id. The same design assessed on the same
        data with the same result is logged once (the app may assess it many times)."""
        data = assessment if isinstance(assessment, dict) else assessment.to_dict()
        body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_json_default)
        design_json = design.to_json()
        fp = design.fingerprint()

        def write() -> int:
            row = con.execute(
                "SELECT id FROM designs WHERE fingerprint = ? AND data_fingerprint = ? "
                "AND assessment_json = ? ORDER BY id LIMIT 1",
                (fp, data_fingerprint, body),
            ).fetchone()
            if row:
                return int(row[0])
            cur = con.execute(
                "INSERT INTO designs (fingerprint, design_json, created_at, data_fingerprint, "
                "score, verdict, assessment_json, crimedash_version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fp,
                    design_json,
                    _now(),
                    data_fingerprint,
                    float(data["score"]),
                    str(data["verdict"]),
                    body,
                    __version__,
                ),
            )
            new_id = int(cur.lastrowid)
            row = con.execute(f"SELECT {_DESIGN_ROW} FROM designs WHERE id = ?", (new_id,))
            self._link(con, "design", row.fetchone())
            return new_id

        with self._connect() as con:
            return self._write(con, write)

    def record_approval(
        self,
        design_id: int,
        approval: Mapping[str, Any],
        bundle_path: str | os.PathLike[str] | None,
    ) -> int:
        """Append a reviewer's decision on a logged design (and where its bundle was
        written, if it was exported); return the approval's id. Never overwrites.

        `approval` is plain data (`Approval.to_dict()`: reviewer, role, decision and the
        rest); an object with a `to_dict()` is taken too."""
        data = dict(approval.to_dict() if hasattr(approval, "to_dict") else approval)
        body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        reviewer = str(data.get("reviewer") or "")
        role = str(data.get("role") or "")
        decision = str(data.get("decision") or "")

        def write() -> int:
            if not con.execute("SELECT 1 FROM designs WHERE id = ?", (int(design_id),)).fetchone():
                raise DesignLogError(
                    f"there is no design {design_id} in the design log {self.path}",
                    hint="list the logged designs with `crimedash designs list`",
                )
            cur = con.execute(
                "INSERT INTO approvals (design_id, created_at, reviewer, role, decision, "
                "approval_json, bundle_path) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    int(design_id),
                    _now(),
                    reviewer,
                    role,
                    decision,
                    body,
                    None if bundle_path is None else str(bundle_path),
                ),
            )
            new_id = int(cur.lastrowid)
            row = con.execute(f"SELECT {_APPROVAL_ROW} FROM approvals WHERE id = ?", (new_id,))
            self._link(con, "approval", row.fetchone())
            return new_id

        with self._connect() as con:
            return self._write(con, write)

    # -- reading ------------------------------------------------------------------------
    _DESIGN_COLUMNS = (
        "id, fingerprint, created_at, data_fingerprint, score, verdict, design_json, "
        "crimedash_version"
    )

    def list(self, limit: int | None = None) -> list[DesignRecord]:
        """Logged designs, newest first, each with its approvals (oldest first)."""
        with self._read() as con:
            sql = f"SELECT {self._DESIGN_COLUMNS} FROM designs ORDER BY id DESC"
            rows = con.execute(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ())
            rows = rows.fetchall()
            approvals = self._approvals(con, [r[0] for r in rows])
        return [_design(r, approvals.get(r[0], ())) for r in rows]

    def get(self, design_id: int) -> DesignRecord:
        """One logged design with its full assessment and approvals."""
        with self._read() as con:
            row = con.execute(
                f"SELECT {self._DESIGN_COLUMNS}, assessment_json FROM designs WHERE id = ?",
                (int(design_id),),
            ).fetchone()
            if row is None:
                raise DesignLogError(
                    f"there is no design {design_id} in the design log {self.path}",
                    hint="list the logged designs with `crimedash designs list`",
                )
            approvals = self._approvals(con, [row[0]])
        assessment = _loads(row[-1], f"design {row[0]}'s assessment")
        return _design(row[:-1], approvals.get(row[0], ()), assessment)

    @staticmethod
    def _approvals(
        con: sqlite3.Connection, ids: list[int]
    ) -> dict[int, tuple[ApprovalRecord, ...]]:
        if not ids:
            return {}
        out: dict[int, list[ApprovalRecord]] = {}
        marks = ",".join("?" * len(ids))
        for r in con.execute(
            "SELECT id, design_id, created_at, reviewer, role, decision, approval_json, "
            f"bundle_path FROM approvals WHERE design_id IN ({marks}) ORDER BY id",
            ids,
        ):
            body = _loads(r[6], f"approval {r[0]}")
            rec = ApprovalRecord(r[0], r[1], r[2], r[3], r[4], r[5], body, r[7])
            out.setdefault(rec.design_id, []).append(rec)
        return {k: tuple(v) for k, v in out.items()}

    def integrity_check(self) -> str:
        """SQLite's own check of the file ('ok' when sound)."""
        with self._read() as con:
            return str(con.execute("PRAGMA integrity_check").fetchone()[0])

    def chain_link(self, design_id: int) -> str | None:
        """The chain link of a logged design (the manifest keeps it, so a log rewritten
        later cannot match the bundles exported from it); None in a format-1 log."""
        with self._read() as con:
            if not _has_chain(con):
                return None
            row = con.execute(
                "SELECT hash FROM chain WHERE kind = 'design' AND row_id = ?", (int(design_id),)
            ).fetchone()
        return None if row is None else str(row[0])

    def verify(self) -> dict[str, Any]:
        """Check the file and the hash chain over every design and approval; return what
        was checked (designs, approvals, the last link). Raises DesignLogError naming
        each record changed, added or removed outside crimedash."""
        with self._read() as con:
            check = str(con.execute("PRAGMA integrity_check").fetchone()[0])
            designs = {r[0]: r for r in con.execute(f"SELECT {_DESIGN_ROW} FROM designs")}
            approvals = {r[0]: r for r in con.execute(f"SELECT {_APPROVAL_ROW} FROM approvals")}
            chain = (
                con.execute("SELECT seq, kind, row_id, hash FROM chain ORDER BY seq").fetchall()
                if _has_chain(con)
                else None
            )
        problems: list[str] = []
        if check != "ok":
            problems.append(f"SQLite's integrity check failed: {check}")
        if chain is None:
            if designs or approvals:
                problems.append(
                    "the log has no hash chain yet (written by an older crimedash); the next "
                    "record written adds one"
                )
            chain = []
        tables = {"design": designs, "approval": approvals}
        seen: set[tuple[str, int]] = set()
        prev = _GENESIS
        for seq, kind, row_id, link in chain:
            row = tables.get(kind, {}).get(row_id)
            if row is None:
                problems.append(f"{kind} {row_id} was deleted (link {seq} points at it)")
            elif _link_hash(prev, kind, row) != link:
                problems.append(f"{kind} {row_id} was changed after it was recorded")
            seen.add((kind, row_id))
            prev = link
        for kind, rows in tables.items():
            for row_id in sorted(rows):
                if (kind, row_id) not in seen:
                    problems.append(f"{kind} {row_id} was added outside crimedash (no link)")
        if problems:
            shown = "; ".join(problems[:10]) + (
                f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
            )
            raise DesignLogError(
                f"the design log {self.path} does not verify: {shown}",
                hint="the log was edited outside crimedash: compare it with a backup and with "
                "the manifests of the bundles exported from it (each records its design's "
                "chain link)",
            )
        return {
            "path": str(self.path),
            "designs": len(designs),
            "approvals": len(approvals),
            "last_link": prev if chain else None,
        }


def _design(
    row: tuple, approvals: tuple[ApprovalRecord, ...], assessment: dict | None = None
) -> DesignRecord:
    return DesignRecord(
        id=row[0],
        fingerprint=row[1],
        created_at=row[2],
        data_fingerprint=row[3],
        score=row[4],
        verdict=row[5],
        design_json=row[6],
        crimedash_version=row[7],
        approvals=approvals,
        assessment=assessment,
    )


def _json_default(value: Any) -> Any:
    """numpy scalars (as pandas and the engine give them) as plain numbers."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(f"cannot store {type(value).__name__} in the design log")


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


def _edited(what: str) -> DesignLogError:
    return DesignLogError(
        f"{what}: the log was changed outside crimedash",
        hint="run `crimedash designs verify` to see what changed, and restore the log from a "
        "backup",
    )


def _loads(text: str, what: str) -> Any:
    """JSON stored in the log; a row edited into something unreadable is a message."""
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise _edited(f"{what} in the design log is not readable JSON ({exc})") from None
