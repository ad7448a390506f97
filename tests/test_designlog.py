"""The design log: what it records, that approvals are append-only, and that it survives
the app and the CLI writing at once and a kill in the middle of a write."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from crimedash.approval import Approval
from crimedash.design import Design
from crimedash.designlog import DesignLog
from crimedash.errors import DesignLogError
from crimedash.logfile import ENV_VAR, default_path

ROOT = Path(__file__).resolve().parents[1]

# An assessment as the log stores it (the log takes `Assessment.to_dict()` or this).
ASSESSMENT = {"score": 42.5, "verdict": "amber", "findings": ["a finding (¶34)"]}
APPROVAL = Approval(
    reviewer="Sam Reviewer",
    role="Data protection officer",
    publisher="Testshire Council",
    contact="maps@testshire.example",
    justification="weekly updates are needed for the safer-streets campaign",
    next_review=date(2099, 1, 1),
)


@pytest.fixture
def log(tmp_path: Path) -> DesignLog:
    return DesignLog(tmp_path / "log.sqlite3")


def test_records_an_assessed_design_and_reads_it_back(log: DesignLog) -> None:
    design = Design(granularity="h3:7", frequency="weekly", time_precision="week", noise_seed=7)
    design_id = log.record_assessment(design, ASSESSMENT, "data-1")
    rec = log.get(design_id)
    assert rec.design == design  # the full design, seed included, for reloading
    assert rec.design.noise_seed == 7
    assert (rec.fingerprint, rec.data_fingerprint) == (design.fingerprint(), "data-1")
    assert (rec.score, rec.verdict, rec.status) == (42.5, "amber", "assessed")
    assert rec.assessment == ASSESSMENT
    assert [r.id for r in log.list()] == [design_id]
    assert log.list()[0].assessment is None  # the list stays light


def test_same_design_same_data_same_result_is_logged_once(log: DesignLog) -> None:
    """The app may assess one design many times; the log keeps one row for it."""
    design = Design()
    first = log.record_assessment(design, ASSESSMENT, "data-1")
    assert log.record_assessment(design, ASSESSMENT, "data-1") == first
    assert log.record_assessment(design, ASSESSMENT, "data-2") != first  # other data
    assert log.record_assessment(Design(min_count=3), ASSESSMENT, "data-1") != first
    assert len(log.list()) == 3


def test_approvals_are_appended_with_the_latest_decision_winning(log: DesignLog) -> None:
    design_id = log.record_assessment(Design(), ASSESSMENT, "data-1")
    rejected = Approval(**{**APPROVAL.to_dict(), "decision": "reject"})
    log.record_approval(design_id, rejected, None)
    assert log.get(design_id).status == "rejected"
    log.record_approval(design_id, APPROVAL, "/tmp/bundle")
    rec = log.get(design_id)
    assert [a.decision for a in rec.approvals] == ["reject", "approve"]
    assert rec.status == "approved"
    assert rec.approvals[-1].bundle_path == "/tmp/bundle"
    assert Approval.from_dict(rec.approvals[-1].approval) == APPROVAL


def test_approval_of_an_unknown_design_is_refused(log: DesignLog) -> None:
    with pytest.raises(DesignLogError, match="no design 99"):
        log.record_approval(99, APPROVAL, None)
    with pytest.raises(DesignLogError, match="no design 5"):
        log.get(5)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE approvals SET decision = 'reject'",
        "UPDATE approvals SET reviewer = 'someone else'",
        "DELETE FROM approvals",
        "UPDATE designs SET score = 0",
        "DELETE FROM designs",
    ],
)
def test_records_cannot_be_changed_or_deleted(log: DesignLog, sql: str) -> None:
    """Triggers in the file itself refuse, whatever program opens it."""
    design_id = log.record_assessment(Design(), ASSESSMENT, "data-1")
    log.record_approval(design_id, APPROVAL, None)
    con = sqlite3.connect(log.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute(sql)
    con.close()
    assert log.get(design_id).approvals[0].decision == "approve"


def test_file_is_in_wal_mode_and_sound(log: DesignLog) -> None:
    con = sqlite3.connect(log.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    assert log.integrity_check() == "ok"


def test_default_path_follows_the_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "from-env.sqlite3"))
    assert default_path() == tmp_path / "from-env.sqlite3"
    assert DesignLog().path == tmp_path / "from-env.sqlite3"
    monkeypatch.delenv(ENV_VAR)
    assert default_path().name == "designs.sqlite3"
    assert "crimedash" in str(default_path())


def test_a_file_that_is_not_a_log_gives_an_actionable_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-log.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DesignLogError, match="--log"):
        DesignLog(bad)


def test_threads_writing_at_once_lose_nothing(log: DesignLog) -> None:
    """Streamlit reruns in threads; one DesignLog is shared by them."""
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(15):
                did = log.record_assessment(Design(min_count=k * 100 + i), ASSESSMENT, f"t{k}")
                log.record_approval(did, APPROVAL, None)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    records = log.list(limit=1000)
    assert len(records) == 60
    assert all(len(r.approvals) == 1 for r in records)


WRITER = textwrap.dedent(
    """
    import sys
    from crimedash.design import Design
    from crimedash.designlog import DesignLog

    class Approval:  # what record_approval reads (the real one imports the whole engine)
        reviewer, role, decision = "R", "", "approve"

        def to_dict(self):
            return {"reviewer": self.reviewer, "decision": self.decision}

    path, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    log = DesignLog(path)
    ap = Approval()
    assessment = {"score": 10.0, "verdict": "green", "pad": "x" * 20000}
    i = 0
    while n < 0 or i < n:
        did = log.record_assessment(Design(min_count=i), assessment, f"{tag}-{i}")
        log.record_approval(did, ap, None)
        print(did, flush=True)
        i += 1
    """
)


def _writer(path: Path, tag: str, n: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), tag, str(n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    """The app and the CLI at once: two processes, each waiting its turn."""
    path = tmp_path / "log.sqlite3"
    procs = [_writer(path, tag, 60) for tag in ("app", "cli")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    log = DesignLog(path)
    records = log.list(limit=1000)
    assert len(records) == 120
    assert {r.data_fingerprint.split("-")[0] for r in records} == {"app", "cli"}
    assert all(len(r.approvals) == 1 for r in records)
    assert log.integrity_check() == "ok"


def test_a_kill_during_writes_leaves_a_sound_log(tmp_path: Path) -> None:
    """SIGKILL a process in the middle of a write loop: the file opens, passes SQLite's
    integrity check, and holds only whole records (every approval has its design)."""
    path = tmp_path / "log.sqlite3"
    proc = _writer(path, "killed", -1)
    seen = 0
    deadline = time.monotonic() + 60
    while seen < 20 and time.monotonic() < deadline:  # let it get well into the loop
        if proc.stdout.readline():
            seen += 1
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert seen == 20, proc.stderr.read()

    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    orphans = con.execute(
        "SELECT COUNT(*) FROM approvals WHERE design_id NOT IN (SELECT id FROM designs)"
    ).fetchone()[0]
    assert orphans == 0
    for (body,) in con.execute("SELECT assessment_json FROM designs"):
        assert json.loads(body)["verdict"] == "green"  # no torn rows
    con.close()
    log = DesignLog(path)  # and it can be written again
    assert len(log.list(limit=1000)) >= 20
    log.record_assessment(Design(granularity="h3:6"), ASSESSMENT, "after")


def test_the_log_lives_in_the_workspace_not_the_users_folder(monkeypatch, tmp_path: Path) -> None:
    """One log per project folder (or $CRIMEDASH_WORKSPACE), not one per OS user that
    every clone shares."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("CRIMEDASH_WORKSPACE", str(tmp_path / "ws"))
    assert default_path() == tmp_path / "ws" / "designs.sqlite3"
    monkeypatch.delenv("CRIMEDASH_WORKSPACE")
    monkeypatch.chdir(tmp_path)
    assert default_path() == tmp_path / ".crimedash" / "designs.sqlite3"
