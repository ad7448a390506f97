"""A design is a validated, hashable value that round-trips through JSON."""

from __future__ import annotations

import pytest

from crimedash.design import Design, parse_granularity
from crimedash.errors import CrimedashError, DesignError
from crimedash.settings import SETTINGS, settings_table


def test_design_is_hashable_and_round_trips():
    d = Design(
        granularity="grid:250",
        frequency="weekly",
        time_precision="week",
        hidden_groups=("Drugs",),
        sensitivity={"drugs": 0.3},
        min_count=3,
    )
    assert hash(d) == hash(Design.from_json(d.to_json()))
    assert Design.from_json(d.to_json()) == d
    assert {d: 1}[Design.from_dict(d.to_dict())] == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"granularity": "hex"}, "granularity must be one of h3:R"),
        ({"granularity": "h3:4"}, "H3 resolution must be 5-15"),
        ({"granularity": "grid"}, "needs a whole number"),
        ({"frequency": "hourly"}, "frequency must be one of realtime, daily"),
        ({"time_precision": "second"}, "time_precision must be one of timestamp"),
        ({"counts": "fuzzy"}, "counts must be one of exact, rounded, banded, noise"),
        ({"references": "some"}, "references must be one of omitted"),
        ({"min_count": -1}, "min_count must be 0 or more"),
        ({"epsilon": 0}, "epsilon must be greater than 0"),
        ({"bands": (2, 5)}, "bands must be increasing lower edges starting at 1"),
        ({"sensitivity": {"drugs": 2}}, "between 0 and 1"),
        ({"location_weights": {"moon": 0.5}}, "location type must be one of"),
        ({"green_below": 60, "red_from": 50}, "thresholds"),
    ],
)
def test_validation_names_the_allowed_values(changes, message):
    with pytest.raises(DesignError, match=message):
        Design(**changes)


@pytest.mark.parametrize(
    ("changes", "danger"),
    [
        ({"granularity": "h3:15"}, "household_pins"),
        ({"granularity": "grid:10"}, "household_pins"),
        ({"references": "full"}, "full_references"),
    ],
)
def test_dangerous_options_need_acknowledging(changes, danger):
    with pytest.raises(DesignError) as err:
        Design(**changes)
    assert danger in str(err.value)  # the hint says what to add
    assert Design(**changes, acknowledge=(danger,)).dangers() == (danger,)


def test_errors_are_both_crimedash_and_builtin():
    with pytest.raises(ValueError):
        Design(frequency="x")
    with pytest.raises(CrimedashError):
        Design(frequency="x")


def test_window_is_finer_of_interval_and_precision():
    assert Design(frequency="monthly", time_precision="day").window_level == "day"
    assert Design(frequency="daily", time_precision="month").window_level == "day"
    assert Design(frequency="quarterly", time_precision="quarter").window_level == "quarter"


def test_public_dict_never_holds_the_seed():
    d = Design(counts="noise", noise_seed=987654321)
    assert "987654321" not in str(d.to_dict(public=True))
    assert d.to_dict()["noise_seed"] == 987654321


def test_bad_design_files_say_what_is_wrong():
    with pytest.raises(DesignError, match="not valid JSON"):
        Design.from_json("{oops")
    with pytest.raises(DesignError, match="unknown design setting"):
        Design.from_json('{"colour": "red"}')


def test_what_if_copies_acknowledge_their_own_dangers():
    d = Design().with_(granularity="h3:15")
    assert d.acknowledge == ("household_pins",)
    assert Design().with_(granularity="h3:7").acknowledge == ()


def test_settings_table_covers_every_design_field():
    names = {s.name for s in SETTINGS}
    assert names == set(Design().to_dict())
    assert all(row["help"] for row in settings_table())
    assert parse_granularity("areas:output_areas").param == "output_areas"


def test_settings_doc_is_generated_from_the_table():
    from pathlib import Path

    from crimedash.settings import settings_markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "design-settings.md"
    assert doc.read_text() == settings_markdown(), "regenerate docs/design-settings.md"


@pytest.mark.parametrize(
    ("frequency", "precision", "shown"),
    [
        ("quarterly", "month", "quarter"),  # a quarterly map shows quarters (¶34)
        ("monthly", "month", "month"),
        ("weekly", "month", "month"),  # the time shown stays coarser than the interval
        ("daily", "day", "day"),
        ("quarterly", "day", "quarter"),
        ("realtime", "week", "week"),
    ],
)
def test_one_frequency_rule_for_app_and_cli(frequency, precision, shown):
    from crimedash.settings import precision_for_frequency

    assert precision_for_frequency(frequency, precision) == shown


def test_the_cli_help_says_what_frequency_does_to_the_time_shown():
    from crimedash.settings import SETTINGS_BY_NAME

    assert "quarterly releases show quarters" in SETTINGS_BY_NAME["time_precision"].help
