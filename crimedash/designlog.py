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

The file itself (creation, checks, connections, the chain's schema) is `crimedash.logfile`;
checking the chain is `crimedash.logchain`. This module holds the records.

The log stores plain records: it imports no exporter (an approval is recorded as the
plain data of `Approval.to_dict()`).

Where: `DesignLog(path)`, else the `CRIMEDASH_LOG` environment variable, else
`designs.sqlite3` in the workspace (`$CRIMEDASH_WORKSPACE`, else `.crimedash/` in the
folder crimedash runs from; see `crimedash.workspace`).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crimedash import __version__, logchain
from crimedash.design import Design
from crimedash.errors import DesignLogError
from crimedash.logfile import (
    _APPROVAL_ROW,
    _DESIGN_ROW,
    LogFile,
    link,
)

if TYPE_CHECKING:
    from crimedash.risk import Assessment

__all__ = [
    "ApprovalRecord",
    "DesignLog",
    "DesignRecord",
]


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


class DesignLog(LogFile):
    """The design log. Cheap to create: each call opens its own short connection, so
    one object may be shared by threads (Streamlit reruns) and processes."""

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
            link(con, "design", row.fetchone())
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
            link(con, "approval", row.fetchone())
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

    def chain_link(self, design_id: int) -> str | None:
        """The chain link of a logged design (see `crimedash.logchain.chain_link`)."""
        return logchain.chain_link(self, design_id)

    def verify(self) -> dict[str, Any]:
        """Check the file and the hash chain (see `crimedash.logchain.verify`)."""
        return logchain.verify(self)

    def integrity_check(self) -> str:
        """SQLite's own check of the file ('ok' when sound)."""
        with self._read() as con:
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
