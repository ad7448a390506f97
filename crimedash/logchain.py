"""The design log's hash chain: every design and approval is a link, so an edit made
outside crimedash (the sqlite3 shell with the triggers dropped) is found by `verify`.

The chain is not keyed: someone who rewrites every later link can forge it, which is
why each bundle's manifest records the link of its design (`chain_link`): keep the
bundles and the forgery shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crimedash.errors import DesignLogError
from crimedash.logfile import _APPROVAL_ROW, _DESIGN_ROW, _GENESIS, LogFile, _has_chain, _link_hash

if TYPE_CHECKING:
    pass

__all__ = ["chain_link", "verify"]


def chain_link(log: LogFile, design_id: int) -> str | None:
    """The chain link of a logged design (the manifest keeps it, so a log rewritten
    later cannot match the bundles exported from it); None in a format-1 log."""
    with log._read() as con:
        if not _has_chain(con):
            return None
        row = con.execute(
            "SELECT hash FROM chain WHERE kind = 'design' AND row_id = ?", (int(design_id),)
        ).fetchone()
    return None if row is None else str(row[0])


def verify(log: LogFile) -> dict[str, Any]:
    """Check the file and the hash chain over every design and approval; return what
    was checked (designs, approvals, the last link). Raises DesignLogError naming
    each record changed, added or removed outside crimedash."""
    with log._read() as con:
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
            f"the design log {log.path} does not verify: {shown}",
            hint="the log was edited outside crimedash: compare it with a backup and with "
            "the manifests of the bundles exported from it (each records its design's "
            "chain link)",
        )
    return {
        "path": str(log.path),
        "designs": len(designs),
        "approvals": len(approvals),
        "last_link": prev if chain else None,
    }
