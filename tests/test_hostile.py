"""Hostile and messy input (issue 13, outside the loaders): each case as the attacker or
the careless user would try it, with the message or the count it must give.

- secrets stay in review: every file offered for publication is opened and holds no
  noise seed;
- settings out of range (epsilon 710, Infinity, NaN) are refused before scoring, and a
  score that is not a number never gives a verdict;
- every rejected row of every input (households too) is counted everywhere;
- nothing lost: overwrite only replaces a bundle, a kill at any step of an overwrite
  leaves a whole bundle, an empty or cut-short log is refused, the log's hash chain
  finds an edit made with the sqlite3 shell, reads never wait for a writer;
- no script: one payload list through every medium's escaping rule, and through the
  deck, the report, the terminal and every CSV.

The inputs are small files written here (tests/enginekit.py's synthetic city).
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from enginekit import households_frame, incidents_frame
from hypothesis import given
from hypothesis import strategies as st

from crimedash import schema as S
from crimedash.approval import Approval
from crimedash.cli import EXIT_REFUSED, main
from crimedash.dataset import load_dataset
from crimedash.design import Design
from crimedash.designlog import DesignLog
from crimedash.errors import CrimedashError, DesignLogError, ExportError
from crimedash.export import export_bundle

ROOT = Path(__file__).resolve().parents[1]
SEED = 918273645  # distinctive, so a scan can look for it
APPROVAL = Approval(
    reviewer="Sam Reviewer",
    publisher="Testshire Council",
    contact="crime-maps@testshire.example",
    justification="Needed for the test.",
    next_review=date(2099, 1, 1),
)
# Every medium is tested with the same payloads: HTML and script, Markdown links and
# images, terminal escape sequences, spreadsheet formulas, and a name starting with '='.
PAYLOADS = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "[click me](javascript:alert(1))",
    "![tracker](http://evil.example/pixel.png)",
    "\x1b]0;pwned\x07",
    "\x1b[2J\x1b[31mred",
    "=cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil.example")',
)
EXPORT_OPTIONS = [
    "--approved-by",
    "Sam Reviewer",
    "--publisher",
    "Testshire Council",
    "--contact",
    "crime-maps@testshire.example",
    "--justification",
    "Needed for the test.",
    "--next-review",
    "2099-01-01",
]


@pytest.fixture(autouse=True)
def _private_log(monkeypatch, tmp_path_factory) -> None:
    """No test writes to the real user's design log."""
    monkeypatch.setenv("CRIMEDASH_LOG", str(tmp_path_factory.mktemp("log") / "designs.sqlite3"))


BAD_HOUSEHOLDS = ("-5", "NaN", "2.5", "abc", "-1", "1e30x", "two", "-0.5", "3.7", "?")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Incidents (3 rejected rows) and household points with 10 bad counts."""
    folder = tmp_path_factory.mktemp("hostile-inputs")
    rng = np.random.default_rng(13)
    inc = incidents_frame(rng, 300).drop(columns=[S.SOURCE_FILE, S.SOURCE_ROW])
    bad = inc.head(3).copy()
    bad[S.LATITUDE] = ["not a number", "999", ""]
    bad[S.INCIDENT_ID] = ["BAD0", "BAD1", "BAD2"]
    pd.concat([inc, bad]).to_csv(folder / "incidents.csv", index=False)
    hh = households_frame(rng, 200)
    frame = pd.DataFrame(
        {
            "latitude": hh.geometry.y.round(6),
            "longitude": hh.geometry.x.round(6),
            "households": hh[S.HOUSEHOLDS].astype(int).astype(str),
        }
    )
    frame.loc[: len(BAD_HOUSEHOLDS) - 1, "households"] = list(BAD_HOUSEHOLDS)
    frame.to_csv(folder / "households.csv", index=False)
    return {"incidents": folder / "incidents.csv", "households": folder / "households.csv"}


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# === 1. secrets stay in review ===========================================================
def _seed_forms(seed: int) -> list[bytes]:
    """The seed as text and as the 4- and 8-byte integers a binary file could hold."""
    forms = [str(seed).encode()]
    for n in (4, 8):
        forms += [seed.to_bytes(n, "little"), seed.to_bytes(n, "big")]
    return forms


def test_no_file_offered_for_publication_holds_the_seed(inputs, tmp_path: Path, capsys) -> None:
    """Publish the zip the CLI prints and nobody can regenerate the noise: every member
    of it (and every file under public/) is opened and searched for the seed."""
    out = tmp_path / "release"
    code, printed, err = _cli(
        capsys,
        "export",
        inputs["incidents"],
        "--counts",
        "noise",
        "--references",
        "pseudonym",
        "--noise-seed",
        SEED,
        *EXPORT_OPTIONS,
        "--no-log",
        "--out",
        out,
    )
    assert code == 0, err
    (line,) = [x for x in printed.splitlines() if x.startswith("To publish")]
    offered = Path(line.split(": ", 1)[1].strip())
    assert offered.exists() and offered.parent == out
    with zipfile.ZipFile(offered) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    assert members and all(n.startswith("release/public/") for n in members)
    public = {str(p): p.read_bytes() for p in (out / "public").rglob("*") if p.is_file()}
    for name, data in {**members, **public}.items():
        for form in _seed_forms(SEED):
            assert form not in data, f"{name} holds the seed"
    # the review record keeps it, apart and named as such (so the scan above can find it)
    (record,) = [x for x in printed.splitlines() if x.startswith("Review record")]
    review_zip = Path(record.split(": ", 1)[1].strip())
    assert "NOT-FOR-PUBLICATION" in review_zip.name
    with zipfile.ZipFile(review_zip) as zf:
        manifest = json.loads(zf.read("release/review/manifest.json"))
        assert all(n.startswith("release/review/") for n in zf.namelist())
    assert manifest["design"]["noise_seed"] == SEED


# === 2. settings validated before scoring ==================================================
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"counts": "noise", "epsilon": 710, "noise_seed": 5}',
            "epsilon must be greater than 0, at most 100; got 710",
        ),
        (
            '{"counts": "noise", "epsilon": 1e308, "noise_seed": 5}',
            "epsilon must be greater than 0, at most 100",
        ),
        ('{"counts": "noise", "epsilon": Infinity, "noise_seed": 5}', "design file holds Infinity"),
        ('{"epsilon": NaN}', "design file holds NaN"),
        ('{"epsilon": 1e400}', "not a finite number"),
        ('{"assumed_households_per_km2": 1e400}', "not a finite number"),
        ('{"assumed_households_per_km2": 1e9}', "at most 100000"),
        ('{"min_count": 2.5}', "min_count must be 0 or more .*not a whole number"),
        ('{"min_count": "many"}', "not a number"),
        ('{"noise_seed": -1}', "noise_seed must be 0 or more"),
        ('{"noise_seed": 1e30}', "at most 9,223,372,036,854,775,807"),
        ('{"round_base": 1e12}', "round_base must be 2 or more \\(at most 1,000,000\\)"),
        ('{"high_risk_line": 0}', "high_risk_line must be greater than 0"),
        ('{"sensitivity": [["burglary", "high"]]}', "weight for 'burglary' must be between 0"),
        ('{"bands": [1, 3, "x"]}', "a band edge must be"),
        ('{"totals": "no"}', "totals must be true or false"),
    ],
)
def test_a_setting_out_of_its_range_is_refused_before_scoring(
    inputs, tmp_path: Path, capsys, text: str, message: str
) -> None:
    design = tmp_path / "design.json"
    design.write_text(text)
    code, out, err = _cli(capsys, "assess", inputs["incidents"], "--design", design, "--json")
    assert code == EXIT_REFUSED, out
    assert out == ""  # no score was printed
    assert re.search(message, err), err


def test_the_cli_refuses_an_infinite_epsilon(inputs, capsys) -> None:
    code, out, err = _cli(
        capsys, "assess", inputs["incidents"], "--counts", "noise", "--epsilon", "inf"
    )
    assert (code, out) == (EXIT_REFUSED, "")
    assert "epsilon must be greater than 0, at most 100; got inf" in err


@pytest.mark.parametrize("epsilon", ["710", "inf", "nan"])
def test_an_export_with_an_epsilon_out_of_range_is_refused_and_writes_nothing(
    inputs, tmp_path: Path, capsys, epsilon: str
) -> None:
    # Before: a NaN score read green, and the export then failed on the log's
    # constraint or with a traceback.
    out = tmp_path / "release"
    code, _, err = _cli(
        capsys,
        "export",
        inputs["incidents"],
        "--counts",
        "noise",
        "--epsilon",
        epsilon,
        "--noise-seed",
        "5",
        *EXPORT_OPTIONS,
        "--log",
        tmp_path / "designs.sqlite3",
        "--out",
        out,
    )
    assert code == EXIT_REFUSED, err
    assert err.startswith("crimedash: ") and "Traceback" not in err
    assert f"epsilon must be greater than 0, at most 100; got {epsilon}" in err
    assert not out.exists()


@pytest.mark.parametrize("score", [float("nan"), float("inf"), -1.0, 100.5])
def test_a_score_that_is_not_a_number_gives_no_verdict(score: float) -> None:
    from crimedash.risk import verdict_for

    with pytest.raises(CrimedashError, match="no verdict can be given"):
        verdict_for(score, Design())


# === 3. every rejected row of every input is counted ======================================
def test_rejected_household_rows_are_counted_everywhere(inputs, tmp_path: Path, capsys) -> None:
    """10 household rows with counts -5, NaN, 2.5, abc... and 3 bad incident rows: 13
    rejected, by input, in assess --json, the manifest, the report and the CSV."""
    code, out, err = _cli(
        capsys,
        "assess",
        inputs["incidents"],
        "--households",
        inputs["households"],
        "--json",
        "--no-what-ifs",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["rejected_rows"] == 13
    assert result["rejected_by_input"] == {"incidents": 3, "households": 10, "areas": 0}
    assert sum(result["rejected_by_reason"].values()) == 13
    assert any("13 input rows were rejected" in f for f in result["findings"])
    (hh_input,) = [i for i in result["inputs"] if i["role"] == "households"]
    assert (hh_input["rows"], hh_input["kept"], hh_input["rejected"]) == (200, 190, 10)

    ds = load_dataset([inputs["incidents"]], households=inputs["households"])
    bundle = export_bundle(ds, Design(), APPROVAL, tmp_path / "b")
    manifest = json.loads((bundle / "review" / "manifest.json").read_text())
    assert manifest["data"]["rejected_rows"] == 13
    assert manifest["data"]["rejected_by_input"]["households"] == 10
    rows = list(csv.DictReader(io.StringIO((bundle / "review" / "rejected_rows.csv").read_text())))
    assert len(rows) == 13
    hh_values = sorted(r["value"] for r in rows if r["input"] == "households")
    assert hh_values == sorted(BAD_HOUSEHOLDS)  # none is a formula; "-5" stays a number
    report = (bundle / "review" / "report.md").read_text()
    assert "13 input rows were rejected" in report
    assert "households 10" in report


def test_what_the_loaders_noticed_reaches_the_assessment_manifest_and_report(
    tmp_path: Path, capsys
) -> None:
    """Two rows recorded ~300 km from the rest are kept but reported by the loader: the
    finding is repeated in assess (JSON and text), the manifest and the report, so the
    reviewer sees what the map was built on (issue 13: a finding with their count)."""
    rng = np.random.default_rng(21)
    inc = incidents_frame(rng, 300).drop(columns=[S.SOURCE_FILE, S.SOURCE_ROW])
    far = inc.head(2).copy()
    far[S.LATITUDE] = far[S.LATITUDE] - 3.0  # about 330 km south of the rest
    far[S.INCIDENT_ID] = ["FAR0", "FAR1"]
    path = tmp_path / "incidents.csv"
    pd.concat([inc, far]).to_csv(path, index=False)

    code, out, err = _cli(capsys, "assess", path, "--json", "--no-what-ifs")
    assert code == 0, err
    (finding,) = [f for f in json.loads(out)["input_findings"] if "far from the rest" in f]
    assert finding.startswith("incidents: 2 of 302 rows lie far from the rest")
    code, out, err = _cli(capsys, "assess", path, "--no-what-ifs")
    assert code == 0 and "Input findings:" in out and "2 of 302 rows" in out

    bundle = export_bundle(load_dataset([path]), Design(), APPROVAL, tmp_path / "b")
    manifest = json.loads((bundle / "review" / "manifest.json").read_text())
    assert finding in manifest["data"]["input_findings"]
    assert "What the loaders noticed" in (bundle / "review" / "report.md").read_text()
    assert "2 of 302 rows lie far from the rest" in (bundle / "review" / "report.html").read_text()


@pytest.mark.xdist_group("app")
def test_the_app_counts_rejected_household_rows(inputs) -> None:
    """The Data tab's 'Rows rejected' is every input's, and names the households."""
    from appkit import start

    from crimedash.ui import state as K

    upload = {
        "incidents": [("incidents.csv", inputs["incidents"].read_bytes())],
        "households": ("households.csv", inputs["households"].read_bytes()),
    }
    at = start(session={K.INJECT_UPLOAD: upload})
    assert not at.exception, [e.message for e in at.exception]
    rejected = next(m for m in at.metric if m.label == "Rows rejected")
    assert rejected.value == "13"
    assert any("incidents: 3, households: 10" in e.label for e in at.expander)


def test_the_text_summary_says_which_input_rows_were_rejected(inputs, capsys) -> None:
    code, out, err = _cli(
        capsys, "assess", inputs["incidents"], "--households", inputs["households"], "--no-what-ifs"
    )
    assert code == 0, err
    assert "(13 rows rejected, 3 of incidents, 10 of households)" in out


# === 4. nothing lost =========================================================================
@pytest.fixture(scope="module")
def dataset(inputs):
    return load_dataset([inputs["incidents"]])


def test_overwrite_refuses_a_folder_that_is_not_a_bundle(dataset, tmp_path: Path) -> None:
    out = tmp_path / "thesis"
    out.mkdir()
    files = {out / f"chapter{i}.docx": f"chapter {i}".encode() for i in range(6)}
    for path, data in files.items():
        path.write_bytes(data)
    with pytest.raises(ExportError, match="is not a crimedash bundle"):
        export_bundle(dataset, Design(), APPROVAL, out, overwrite=True)
    assert {p: p.read_bytes() for p in out.iterdir()} == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]


KILLED_OVERWRITE = textwrap.dedent(
    """
    import os, sys, time
    from datetime import date
    from crimedash import bundlewrite, export
    from crimedash.dataset import load_dataset
    from crimedash.design import Design

    incidents, out, step, when = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    if step == "no-exchange":  # a system without an atomic exchange: two renames
        bundlewrite._exchange = lambda a, b: False
        step = "replace"

    def pause():
        print("paused", flush=True)
        time.sleep(60)

    owner = bundlewrite if step != "replace" else os
    name = {"write": "_write_file", "exchange": "_exchange", "fsync": "_fsync_dir",
            "rmtree": "shutil", "replace": "replace"}[step]
    if step == "rmtree":
        real_rmtree = bundlewrite.shutil.rmtree
        class Sh:
            def rmtree(self, *a, **k):
                pause()
        bundlewrite.shutil = Sh()
    else:
        real = getattr(owner, name)
        calls = [0]

        def wrapped(*a, **k):
            calls[0] += 1
            nth = {"write": 3, "fsync": 2}.get(step, 1)
            if when == "before" and calls[0] == nth:
                pause()
            result = real(*a, **k)
            if when == "after" and calls[0] == nth:
                pause()
            return result

        setattr(owner, name, wrapped)
    ds = load_dataset([incidents])
    ap = export.Approval(reviewer="R", publisher="P", contact="p@x.example",
                         justification="test", next_review=date(2099, 1, 1))
    export.export_bundle(ds, Design(granularity="h3:7"), ap, out, overwrite=True)
    print("done", flush=True)
    """
)


def _bundle_design(out: Path, name: str | None = None) -> str:
    """The design a complete bundle at `out` holds (every public file checked)."""
    import hashlib

    name = name or out.name
    manifest = json.loads((out / "review" / "manifest.json").read_text())
    for f in manifest["public_files"]:
        assert hashlib.sha256((out / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert (out / f"{name}-public.zip").exists()
    return manifest["design"]["granularity"]


@pytest.mark.parametrize(
    ("step", "when"),
    [
        ("write", "after"),  # halfway through writing the new bundle
        ("exchange", "before"),  # everything written, about to swap
        ("exchange", "after"),  # swapped, the old one not yet removed
        ("fsync", "after"),  # swapped, the parent folder's entry being made durable
        ("rmtree", "before"),  # removing the old bundle
    ],
)
def test_a_kill_at_any_step_of_an_overwrite_leaves_a_whole_bundle(
    inputs, dataset, tmp_path: Path, step: str, when: str
) -> None:
    out = tmp_path / "release"
    export_bundle(dataset, Design(), APPROVAL, out)  # the previous bundle (h3:8)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_OVERWRITE, str(inputs["incidents"]), str(out), step, when],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"},
    )
    line = proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert line.strip() == "paused", proc.stderr.read()
    new = {("exchange", "after"), ("fsync", "after"), ("rmtree", "before")}
    expected = "h3:7" if (step, when) in new else "h3:8"
    assert _bundle_design(out) == expected  # old or new, whole, at --out
    # and the next export clears what the killed one left
    export_bundle(dataset, Design(granularity="h3:6"), APPROVAL, out, overwrite=True)
    assert _bundle_design(out) == "h3:6"
    assert [p.name for p in tmp_path.iterdir()] == ["release"]


def test_without_an_atomic_exchange_a_kill_between_renames_loses_nothing(
    inputs, dataset, tmp_path: Path
) -> None:
    """Where the system cannot swap two folders at once, a kill between the two renames
    leaves the previous bundle in a hidden folder, and the next export puts it back
    before it does anything else."""
    out = tmp_path / "release"
    export_bundle(dataset, Design(), APPROVAL, out)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_OVERWRITE,
            str(inputs["incidents"]),
            str(out),
            "no-exchange",
            "after",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"},
    )
    line = proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert line.strip() == "paused", proc.stderr.read()
    assert not out.exists()
    (old,) = [p for p in tmp_path.iterdir() if p.name.startswith(".release.old-")]
    assert _bundle_design(old, "release") == "h3:8"  # stranded, but whole
    with pytest.raises(ExportError, match="already exists"):  # put back, not overwritten
        export_bundle(dataset, Design(granularity="h3:6"), APPROVAL, out)
    assert _bundle_design(out) == "h3:8"


# --- the design log ------------------------------------------------------------------------
def _three_designs(path: Path) -> DesignLog:
    log = DesignLog(path)
    for k in range(3):
        did = log.record_assessment(Design(min_count=k), {"score": 10.0, "verdict": "green"}, "d")
        log.record_approval(did, APPROVAL.to_dict(), None)
    return log


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("empty", "is empty \\(0 bytes\\)"),
        ("truncated", "is damaged \\(truncated or overwritten\\)"),
        ("text", "is not a crimedash design log \\(not an SQLite database\\)"),
        ("other sqlite", "is an SQLite database but not a crimedash design log"),
    ],
)
def test_a_damaged_log_is_refused_and_never_replaced(
    tmp_path: Path, capsys, damage: str, message: str
) -> None:
    path = tmp_path / "designs.sqlite3"
    if damage == "other sqlite":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE recipes (name TEXT)")
        con.commit()
        con.close()
    elif damage == "text":
        path.write_text("name,score\nx,1\n" * 100)
    else:
        _three_designs(path)
        size = path.stat().st_size
        assert size > 8192
        with open(path, "r+b") as fh:
            fh.truncate(0 if damage == "empty" else size // 2)
    before = path.read_bytes()
    with pytest.raises(DesignLogError, match=message):
        DesignLog(path)
    code, _, err = _cli(capsys, "designs", "list", "--log", path)
    assert code == EXIT_REFUSED and "restore it from a backup" in err
    assert path.read_bytes() == before  # refused, not replaced by a new empty log


def test_an_export_with_a_truncated_log_writes_nothing(inputs, tmp_path: Path, capsys) -> None:
    log = tmp_path / "designs.sqlite3"
    _three_designs(log)
    log.write_bytes(b"")
    code, _, err = _cli(
        capsys,
        "export",
        inputs["incidents"],
        *EXPORT_OPTIONS,
        "--log",
        log,
        "--out",
        tmp_path / "b",
    )
    assert code == EXIT_REFUSED and "is empty (0 bytes)" in err
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("edit", "found"),
    [
        ("UPDATE approvals SET reviewer = 'Someone Else' WHERE id = 2", "approval 2 was changed"),
        ("UPDATE designs SET verdict = 'green', score = 1 WHERE id = 1", "design 1 was changed"),
        ("DELETE FROM approvals WHERE id = 3", "approval 3 was deleted"),
        (
            "INSERT INTO approvals (design_id, created_at, reviewer, role, decision, "
            "approval_json) VALUES (1, '2020', 'X', '', 'approve', '{}')",
            "approval 4 was added outside crimedash",
        ),
    ],
)
def test_designs_verify_finds_an_edit_made_with_the_sqlite3_shell(
    tmp_path: Path, capsys, edit: str, found: str
) -> None:
    path = tmp_path / "designs.sqlite3"
    _three_designs(path)
    code, out, err = _cli(capsys, "designs", "verify", "--log", path)
    assert code == 0, err
    assert "3 designs and 3 approvals, each as recorded" in out
    con = sqlite3.connect(path)  # what someone with the shell would do
    for trigger in ("approvals_no_update", "approvals_no_delete", "designs_no_update"):
        con.execute(f"DROP TRIGGER {trigger}")
    con.execute(edit)
    con.commit()
    con.close()
    code, out, err = _cli(capsys, "designs", "verify", "--log", path)
    assert code == EXIT_REFUSED
    assert found in err


def test_each_bundle_records_its_designs_chain_link(dataset, tmp_path: Path) -> None:
    log = DesignLog(tmp_path / "designs.sqlite3")
    bundle = export_bundle(dataset, Design(), APPROVAL, tmp_path / "b", log=log)
    manifest = json.loads((bundle / "review" / "manifest.json").read_text())
    entry = manifest["design_log"]
    assert entry["chain_link"] == log.chain_link(entry["design_id"])
    assert len(entry["chain_link"]) == 64
    assert log.verify()["approvals"] == 1


def test_a_format_1_log_gains_its_chain_on_the_next_write(tmp_path: Path) -> None:
    """A log written before the chain existed is upgraded, not refused or replaced."""
    path = tmp_path / "designs.sqlite3"
    _three_designs(path)
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER chain_no_delete")
    con.execute("DROP TABLE chain")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    log = DesignLog(path)
    with pytest.raises(DesignLogError, match="no hash chain yet"):
        log.verify()
    log.record_assessment(Design(min_count=9), {"score": 1.0, "verdict": "green"}, "d")
    assert log.verify()["designs"] == 4
    assert len(log.list()) == 4


HOLD_LOCK = textwrap.dedent(
    """
    import sqlite3, sys, time
    con = sqlite3.connect(sys.argv[1], isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO meta (key, value) VALUES ('held', 'yes')")
    print("held", flush=True)
    time.sleep(120)
    """
)
LIST_LOG = textwrap.dedent(
    """
    import sys
    from crimedash import designlog, logfile
    logfile.BUSY_TIMEOUT_MS = 300
    log = designlog.DesignLog(sys.argv[1])
    print(len(log.list()), flush=True)
    try:
        log.record_assessment(designlog.Design(), {"score": 1.0, "verdict": "green"}, "x")
    except designlog.DesignLogError as exc:
        print(str(exc).splitlines()[0], flush=True)
    """
)


def test_reads_never_wait_for_a_writer_and_writes_say_the_log_is_busy(tmp_path: Path) -> None:
    """Another process holds the log in a write transaction (an sqlite3 shell left in
    BEGIN): `designs list` still answers, and a write gives up with a message after
    the busy timeout instead of retrying 50 x 30 s."""
    path = tmp_path / "designs.sqlite3"
    _three_designs(path)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        done = subprocess.run(
            [sys.executable, "-c", LIST_LOG, str(path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=90,  # a hang guard, not a speed claim: main waited 25 minutes
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 0, done.stderr
    listed, busy = done.stdout.splitlines()
    assert listed == "3"
    assert "is busy: another process" in busy and "0.3 s" in busy


def test_the_log_imports_no_exporter() -> None:
    """designlog stores records: it may not import crimedash.export (not even for type
    hints), so the two cannot form an import circle."""
    for name in ("designlog.py", "logfile.py", "logchain.py"):  # the log's three modules
        tree = ast.parse((ROOT / "crimedash" / name).read_text())
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        } | {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
        assert "crimedash.export" not in imported, name
        assert not any(m.startswith("crimedash.ui") for m in imported), name


def test_an_approval_is_logged_from_plain_data(tmp_path: Path) -> None:
    log = DesignLog(tmp_path / "designs.sqlite3")
    did = log.record_assessment(Design(), {"score": 1.0, "verdict": "green"}, "d")
    log.record_approval(did, APPROVAL.to_dict(), "/somewhere")
    (ap,) = log.get(did).approvals
    assert (ap.reviewer, ap.decision, ap.approval["publisher"]) == (
        "Sam Reviewer",
        "approve",
        "Testshire Council",
    )


# === 6. messages, not tracebacks ================================================================
@pytest.mark.parametrize(
    ("edit", "action", "message"),
    [
        (
            "UPDATE designs SET design_json = '{not json' WHERE id = 2",
            "list",
            "design 2's settings",
        ),
        ("UPDATE approvals SET approval_json = 'oops' WHERE id = 1", "list", "approval 1"),
        ("UPDATE designs SET assessment_json = '[' WHERE id = 1", "show", "design 1's assessment"),
    ],
)
def test_a_log_row_with_unreadable_json_gives_a_message(
    tmp_path: Path, capsys, edit: str, action: str, message: str
) -> None:
    path = tmp_path / "designs.sqlite3"
    _three_designs(path)
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER designs_no_update")
    con.execute("DROP TRIGGER approvals_no_update")
    con.execute(edit)
    con.commit()
    con.close()
    args = ["designs", action, "--log", path, "--json"] + (["1"] if action == "show" else [])
    code, _, err = _cli(capsys, *args)
    assert code == EXIT_REFUSED
    assert message in err and "is not readable JSON" in err and "designs verify" in err


# === 5. no script anywhere =========================================================================
_CONTROL = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_medium_has_one_rule_that_defuses_every_payload(payload: str) -> None:
    from crimedash.textsafe import csv_cell, html_text, markdown_text, terminal_text

    html = html_text(payload)
    assert "<" not in html and ">" not in html and '"' not in html
    assert not set(html) & (_CONTROL - {"\t", "\n", "\r"})

    md = markdown_text(payload)
    assert "<" not in md  # no raw HTML, no autolink
    assert "](" not in md.replace("\\](", "")  # no link or image
    assert "\x1b" not in md

    term = terminal_text(payload)
    assert not set(term) & _CONTROL  # ESC and friends shown escaped, never sent

    cell = csv_cell(payload)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell in ("+1",)


@given(st.text())
def test_html_and_terminal_rules_hold_for_any_text(text: str) -> None:
    from crimedash.textsafe import csv_cell, html_text, markdown_text, terminal_text

    assert "<" not in html_text(text) and "<" not in markdown_text(text)
    assert not set(terminal_text(text)) & _CONTROL
    cell = csv_cell(text)
    if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
        float(cell)  # only a plain number keeps its sign


EVIL = "<img src=x onerror=alert(1)>"


def test_a_group_named_as_script_is_escaped_in_the_deck(dataset) -> None:
    """A shared link names a group `<img src=x onerror=...>`: the deck's data and its
    tooltip template hold only escaped text, so hovering runs nothing."""
    from crimedash import categories, viz
    from crimedash.layer import apply_design
    from crimedash.risk import evaluate

    design = Design(grouping={c: EVIL for c in categories.BY_CODE}, totals=False)
    layer = apply_design(dataset.index, design)
    for deck in (
        viz.public_deck(dataset.index, layer, group=EVIL),
        viz.risk_deck(dataset.index, evaluate(dataset.index, design)),
    ):
        # what Streamlit sends to the browser: the deck's JSON and its tooltip template
        text = deck.to_json() + json.dumps(deck._tooltip)
        assert "<img" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text
    legend = viz.legend_markdown(viz.map_view(dataset.index, layer, group=EVIL))
    assert "<img" not in legend


def test_the_report_shows_injected_text_as_text(dataset, tmp_path: Path) -> None:
    approval = Approval(
        reviewer="<img src=x onerror=alert(1)> \x1b]0;pwned\x07",
        role="[click](javascript:alert(1))",
        publisher="<script>alert(1)</script> Council",
        contact="maps@council.example",
        justification="![x](http://evil.example/p.png)\n# Approved by everyone\n<script>x</script>",
        rationale="=cmd|' /C calc'!A0",
        next_review=date(2099, 1, 1),
    )
    bundle = export_bundle(dataset, Design(), approval, tmp_path / "b")
    md = (bundle / "review" / "report.md").read_text()
    page = (bundle / "review" / "report.html").read_text()
    for doc in (md, page):  # (the HTML's own figures are <img alt=...>)
        assert "<img src=x" not in doc and "<script>" not in doc and "\x1b" not in doc
    unescaped = md.replace("\\]", "")  # an escaped bracket closes no link
    assert "](javascript:" not in unescaped and "](http://evil" not in unescaped
    assert "\n# Approved" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in md
    readme = (bundle / "public" / "README.txt").read_text()
    assert "\x1b" not in readme


def test_designs_show_and_list_print_no_escape_sequence(tmp_path: Path, capsys) -> None:
    log = DesignLog(tmp_path / "designs.sqlite3")
    did = log.record_assessment(Design(), {"score": 1.0, "verdict": "green"}, "d")
    log.record_approval(
        did,
        {"reviewer": "Sam\x1b]0;pwned\x07\x1b[2J", "role": "\x9b31m", "decision": "approve"},
        None,
    )
    code, out, err = _cli(capsys, "designs", "show", did, "--log", log.path)
    assert code == 0, err
    assert not set(out) & (_CONTROL - {"\n"})
    assert "Sam\\x1b]0;pwned\\x07\\x1b[2J" in out
    code, out, _ = _cli(capsys, "designs", "list", "--log", log.path)
    assert code == 0 and not set(out) & (_CONTROL - {"\n"})


def test_assess_prints_no_escape_sequence_from_a_design_file(inputs, tmp_path, capsys) -> None:
    """A design file (shared by someone else) names the group with ESC sequences: the
    assessment's text (worst case, findings, factors) shows them escaped."""
    from crimedash import categories

    evil = "\x1b]0;pwned\x07\x1b[2JBurglary"
    design = tmp_path / "design.json"
    design.write_text(json.dumps({"grouping": [[c, evil] for c in categories.BY_CODE]}))
    code, out, err = _cli(capsys, "assess", inputs["incidents"], "--design", design)
    assert code == 0, err
    assert not set(out) & (_CONTROL - {"\n"})
    assert "\\x1b]0;pwned\\x07\\x1b[2JBurglary" in out


def _formula_cells(data: bytes) -> list[str]:
    cells = [c for row in csv.reader(io.StringIO(data.decode())) for c in row]
    out = []
    for c in cells:
        if c.startswith(("=", "+", "-", "@", "\t", "\r")):
            try:
                float(c)
            except ValueError:
                out.append(c)
    return out


def test_every_csv_neutralises_formulas_by_one_rule(tmp_path: Path, capsys) -> None:
    """A file named `=HYPERLINK(...).csv` with formula values in rejected rows: the
    review's rejected_rows.csv and `crimedash load --rejected-out` neutralise every one,
    as the public CSV does."""
    folder = tmp_path / "in"
    folder.mkdir()
    name = folder / "=HYPERLINK(1)-incidents.csv"
    rows = [["occurred_at", "category", "latitude", "longitude"]]
    rows += [[f"2024-03-0{i % 9 + 1}", "burglary", 53.45 + i / 1e4, -2.3] for i in range(40)]
    rows += [["2024-03-01", "burglary", p, -2.3] for p in PAYLOADS]
    with open(name, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    out_csv = tmp_path / "rejected.csv"
    code, _, err = _cli(capsys, "load", name, "--rejected-out", out_csv)
    assert code == 0, err
    data = out_csv.read_bytes()
    assert b"=HYPERLINK(1)-incidents.csv" in data  # the file name is there, quoted
    assert _formula_cells(data) == []
    ds = load_dataset([name])
    bundle = export_bundle(ds, Design(), APPROVAL, tmp_path / "b")
    review = (bundle / "review" / "rejected_rows.csv").read_bytes()
    assert len(list(csv.DictReader(io.StringIO(review.decode())))) == ds.rejected_rows >= 8
    assert _formula_cells(review) == []
    assert _formula_cells((bundle / "public" / "counts.csv").read_bytes()) == []


HOOK_ALERTS = """
window.__alerts = [];
window.alert = (...args) => { window.__alerts.push(String(args[0])); };
"""


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_hovering_a_group_named_as_script_runs_nothing_in_a_real_browser(tmp_path: Path) -> None:
    """The attack as the issue found it: a shared link names every category's group
    `<img src=x onerror=alert(1)>`; the analyst hovers the map in Chromium. The tooltip
    shows the name as text and no alert runs (the base commit ran 22 alerts here)."""
    from urllib.parse import urlencode

    from browserkit import CHROMIUM, MAP_CANVAS, chromium, streamlit_server, wait_idle

    from crimedash import categories
    from crimedash.ui.query import design_to_params

    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    design = Design(grouping={c: EVIL for c in categories.BY_CODE}, totals=False)
    query = urlencode(design_to_params(design))
    with streamlit_server() as url, chromium(tmp_path / "chromium") as page:
        page.add_init_script(HOOK_ALERTS)
        page.goto(f"{url.rstrip('/')}/?{query}")
        canvas = page.locator(MAP_CANVAS).first
        canvas.wait_for(timeout=120_000)
        wait_idle(page)
        page.wait_for_timeout(1500)  # let deck.gl draw
        box = canvas.bounding_box()
        assert box is not None
        shown: list[str] = []
        for fx in np.linspace(0.3, 0.7, 5):
            for fy in np.linspace(0.3, 0.7, 5):
                page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
                page.wait_for_timeout(120)
                tip = page.locator(".deck-tooltip")
                if tip.count() and tip.first.is_visible():
                    shown.append(tip.first.inner_text())
        alerts = page.evaluate("window.__alerts")
    assert shown, "no unit was hovered: the tooltip never appeared"
    assert alerts == []
    assert any(EVIL in text for text in shown)  # the name, shown as text
