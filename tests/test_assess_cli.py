"""`crimedash assess`: the monthly release must not need a browser. It answers on the
sample's incidents, the sample's police.uk files and the real police.uk files."""

from __future__ import annotations

import json

import pytest

from crimedash.cli import main
from crimedash.sample import sample_paths

KEYS = (
    "score",
    "verdict",
    "incidents",
    "rejected_rows",
    "published_incidents",
    "linkable_incidents",
    "attackers",
    "factors",
    "what_ifs",
)


def _assess(capsys, *args: str) -> dict:
    assert main(["assess", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_assess_sample_incidents_with_context(capsys):
    p = sample_paths()
    out = _assess(
        capsys,
        str(p["incidents"]),
        "--households",
        str(p["households"]),
        "--areas",
        str(p["output_areas"]),
        "--granularity",
        "areas:output_areas",
        "--frequency",
        "monthly",
        "--min-count",
        "3",
    )
    for key in KEYS:
        assert key in out
    assert out["incidents"] > 60_000 and out["rejected_rows"] == 0
    assert out["design"]["min_count"] == 3
    assert set(out["attackers"]) == {"register", "neighbour", "reference"}
    assert out["what_ifs"] and all(w["score"] < out["score"] for w in out["what_ifs"])


def test_assess_sample_police_uk_files_says_month_precision(capsys):
    out = _assess(
        capsys,
        str(sample_paths()["police_uk_dir"]),
        "--granularity",
        "h3:8",
        "--frequency",
        "weekly",
        "--no-what-ifs",
    )
    assert out["data_precision"] == "month"
    assert out["rejected_rows"] > 0  # police.uk's own "No Location" rows
    assert any("month" in note for note in out["assumptions"])
    assert any("assumed" in note for note in out["assumptions"])  # no households layer


def test_assess_prints_for_people(capsys):
    assert (
        main(["assess", str(sample_paths()["incidents"]), "--granularity", "h3:7", "--no-what-ifs"])
        == 0
    )
    text = capsys.readouterr().out
    assert "Identifiability score:" in text and "Register linker" in text


@pytest.mark.real_data
@pytest.mark.parametrize(
    "relative",
    [
        "police_uk/city-of-london",
        "police_uk/greater-manchester/trafford_burglary_2016-02_2019-01.csv",
    ],
)
def test_assess_real_police_uk_files(capsys, real_data, relative):
    args = [str(real_data / relative), "--granularity", "h3:8", "--no-what-ifs"]
    if "trafford" in relative:
        args += [
            "--areas",
            str(real_data / "trafford" / "trafford_oa_2021.geojson"),
            "--granularity",
            "areas",
        ]
    out = _assess(capsys, *args)
    assert out["data_precision"] == "month"
    assert 0 <= out["score"] <= 100
    assert out["incidents"] > 5000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--granularity", "hex"], "granularity must be one of"),
        (["--granularity", "h3:15"], "household pins"),
        (["--references", "full"], "full references"),
    ],
)
def test_bad_designs_exit_1_with_a_message(capsys, args, message):
    assert main(["assess", str(sample_paths()["incidents"]), *args]) == 1
    assert message in capsys.readouterr().err


def test_missing_file_exits_1(capsys, tmp_path):
    assert main(["assess", str(tmp_path / "nope.csv")]) == 1
    assert "nope.csv" in capsys.readouterr().err


def test_the_json_score_is_the_assessments_score(capsys):
    """The printed numbers are the model's, rounded to two decimals, not a constant or a
    coarser rounding (mutation testing found `round(score, 2)` could become `round(2)`,
    a score of 2 for every design, and no test noticed)."""
    from pathlib import Path

    from crimedash.assessment import assess
    from crimedash.dataset import load_dataset
    from crimedash.design import Design

    generic = str(Path(__file__).parent / "data" / "load" / "generic.csv")
    a = assess(load_dataset([generic]).index, Design(), with_what_ifs=False)
    assert round(a.score, 3) != round(a.score, 2)  # more decimals than shown: rounding shows
    out = _assess(capsys, generic, "--no-what-ifs")
    assert out["score"] == round(a.score, 2)
    assert out["attackers"] == {k: round(v, 2) for k, v in a.attackers.items()}
