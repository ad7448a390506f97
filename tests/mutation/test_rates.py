"""tests/mutation/rates.py adds mutmut's result codes up per module the way the note
reports them: a failing test, pytest's internal error and a timeout kill; 0 survives;
no test reaching the mutant counts as checked and not killed."""

from __future__ import annotations

import json

from rates import rates


def test_rates_per_module(tmp_path):
    folder = tmp_path / "mutants" / "crimedash"
    folder.mkdir(parents=True)
    codes = {"a": 1, "b": 3, "c": -24, "d": 0, "e": 33, "f": None, "g": 35}
    (folder / "risk.py.meta").write_text(json.dumps({"exit_code_by_key": codes}))
    ((name, counts),) = rates(tmp_path)
    assert name == "crimedash.risk"
    assert dict(counts) == {
        "killed": 3,
        "survived": 1,
        "no tests": 1,
        "not checked": 1,
        "other": 1,
    }
