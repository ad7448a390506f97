"""The CLI's conventions (crimedash/cli.py): what a script calling crimedash can rely on.

Exit 0 when done, 1 when crimedash refuses or the data is bad (with the message on
stderr), 2 when the command line itself is wrong; no traceback when the reader of its
output goes away (`| head`); progress only for a person at a terminal unless asked;
help that never prints an empty default.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crimedash.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, build_parser, main

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "load"
GENERIC = str(DATA / "generic.csv")


@pytest.mark.parametrize(
    "argv",
    [[], ["nope"], ["assess"], ["assess", GENERIC, "--frequency", "hourly"], ["load", "--bad"]],
)
def test_a_wrong_command_line_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == EXIT_USAGE == 2
    assert "usage: crimedash" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["load", str(DATA / "empty.csv")],  # bad data
        ["assess", GENERIC, "--granularity", "hex"],  # an invalid design
        ["assess", GENERIC, "--references", "full"],  # a dangerous option, not acknowledged
    ],
)
def test_a_refusal_or_bad_data_exits_1_with_the_reason(argv, capsys):
    assert main(argv) == EXIT_REFUSED == 1
    err = capsys.readouterr().err
    assert err.startswith("crimedash: ") and "Traceback" not in err


def test_done_exits_0(capsys):
    assert main(["load", GENERIC]) == EXIT_OK == 0


def test_a_closed_pipe_is_not_a_traceback():
    """`crimedash ... | head`: the reader leaves before crimedash writes."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "crimedash", "load", GENERIC, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    proc.stdout.close()  # no reader: the first write gets EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == EXIT_REFUSED
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_progress_only_on_a_terminal_unless_asked(capsys):
    assert main(["assess", GENERIC]) == 0  # pytest's stderr is not a terminal
    assert "%]" not in capsys.readouterr().err
    assert main(["assess", GENERIC, "--progress"]) == 0
    assert "[100%]" in capsys.readouterr().err
    assert main(["assess", GENERIC, "--json", "--progress"]) == 0  # asked, so shown
    assert "[100%]" in capsys.readouterr().err


def test_progress_shows_on_a_terminal():
    """Through a pseudo-terminal, as a person running crimedash sees it."""
    pty = pytest.importorskip("pty")
    main_fd, child_fd = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "crimedash", "assess", GENERIC],
            stdout=subprocess.DEVNULL,
            stderr=child_fd,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        os.close(child_fd)
        chunks = []
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main_fd)
    assert proc.returncode == 0
    assert b"[100%]" in b"".join(chunks)


def test_help_never_shows_an_empty_default():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    assert set(subparsers.choices) >= {"assess", "load", "sample", "export", "designs"}
    for name, sub in subparsers.choices.items():
        text = sub.format_help()
        for empty in ("(default: ())", "(default: None)", "(default: [])", "(default: )"):
            assert empty not in text, f"crimedash {name} --help shows {empty}"
