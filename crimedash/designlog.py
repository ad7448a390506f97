"""The design log: every assessed and approved design, kept in one SQLite file.

Why SQLite: the app and the CLI may write at the same moment (an analyst designing in
the browser while the monthly job exports), and a write may be killed halfway. SQLite in
WAL mode with a busy timeout lets both wait their turn, and every write is one
transaction, so a kill leaves the file as it was before that write or after it, never
between. Approvals are a record of who decided what: triggers make them (and the
designs they refer to) append-only, so no code path can change or delete one.

Where: `DesignLog(path)`, else the `CRIMEDASH_LOG` environment variable, else
`designs.sqlite3` in the workspace (`$CRIMEDASH_WORKSPACE`, else `.crimedash/` in the
folder crimedash runs from; see `crimedash.workspace`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crimedash import __version__
from crimedash.design import Design
from crimedash.errors import DesignLogError

if TYPE_CHECKING:
    from crimedash.export import Approval
    from crimedash.risk import Assessment

ENV_VAR = "CRIMEDASH_LOG"
FILE_NAME = "designs.sqlite3"
BUSY_TIMEOUT_MS = 30_000
SCHEMA_VERSION = 1

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


def default_path() -> Path:
    """The log's file: $CRIMEDASH_LOG if set, else the workspace's (one log per project
    folder or $CRIMEDASH_WORKSPACE, not one shared by every clone of an OS user)."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
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
        return Design.from_json(self.design_json)

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
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DesignLogError(
                f"cannot create the design log's folder {self.path.parent}: {exc.strerror}",
                hint=f"choose another file with --log or the {ENV_VAR} environment variable",
            ) from exc
        with self._connect() as con:
            # one transaction, so two processes opening a new log at once cannot
            # interleave their CREATE statements
            self._retry(
                lambda: con.executescript(
                    "BEGIN IMMEDIATE;\n"
                    + _SCHEMA
                    + "INSERT OR IGNORE INTO meta (key, value) VALUES "
                    + f"('schema_version', '{SCHEMA_VERSION}');\nCOMMIT;"
                )
            )

    def __repr__(self) -> str:
        return f"DesignLog({str(self.path)!r})"

    # -- connections --------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error("open", exc) from exc
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._retry(lambda: con.execute("PRAGMA journal_mode = WAL"))
            con.execute("PRAGMA synchronous = FULL")  # an approval survives a power cut
            con.execute("PRAGMA foreign_keys = ON")
            yield con
        except sqlite3.Error as exc:
            raise self._error("use", exc) from exc
        finally:
            con.close()

    @staticmethod
    def _retry(fn, attempts: int = 50):
        """Run `fn`, waiting out a lock that the busy timeout does not cover (changing
        the journal mode while another process opens the file)."""
        for i in range(attempts):
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or i == attempts - 1:
                    raise
                time.sleep(0.05)
        return None

    def _write(self, con: sqlite3.Connection, fn):
        """Run `fn` in one write transaction (taken at once, so writers queue instead
        of failing on upgrade); roll back on any error."""
        self._retry(lambda: con.execute("BEGIN IMMEDIATE"))
        try:
            result = fn()
            con.execute("COMMIT")
            return result
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _error(self, what: str, exc: sqlite3.Error) -> DesignLogError:
        return DesignLogError(
            f"cannot {what} the design log {self.path}: {exc}",
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
            return int(cur.lastrowid)

        with self._connect() as con:
            return self._write(con, write)

    def record_approval(
        self, design_id: int, approval: Approval, bundle_path: str | os.PathLike[str] | None
    ) -> int:
        """Append a reviewer's decision on a logged design (and where its bundle was
        written, if it was exported); return the approval's id. Never overwrites."""
        body = json.dumps(approval.to_dict(), sort_keys=True, separators=(",", ":"))

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
                    approval.reviewer,
                    approval.role,
                    approval.decision,
                    body,
                    None if bundle_path is None else str(bundle_path),
                ),
            )
            return int(cur.lastrowid)

        with self._connect() as con:
            return self._write(con, write)

    # -- reading ------------------------------------------------------------------------
    _DESIGN_COLUMNS = (
        "id, fingerprint, created_at, data_fingerprint, score, verdict, design_json, "
        "crimedash_version"
    )

    def list(self, limit: int | None = None) -> list[DesignRecord]:
        """Logged designs, newest first, each with its approvals (oldest first)."""
        with self._connect() as con:
            sql = f"SELECT {self._DESIGN_COLUMNS} FROM designs ORDER BY id DESC"
            rows = con.execute(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ())
            rows = rows.fetchall()
            approvals = self._approvals(con, [r[0] for r in rows])
        return [_design(r, approvals.get(r[0], ())) for r in rows]

    def get(self, design_id: int) -> DesignRecord:
        """One logged design with its full assessment and approvals."""
        with self._connect() as con:
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
        return _design(row[:-1], approvals.get(row[0], ()), json.loads(row[-1]))

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
            rec = ApprovalRecord(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7])
            out.setdefault(rec.design_id, []).append(rec)
        return {k: tuple(v) for k, v in out.items()}

    def integrity_check(self) -> str:
        """SQLite's own check of the file ('ok' when sound)."""
        with self._connect() as con:
            return str(con.execute("PRAGMA integrity_check").fetchone()[0])


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
