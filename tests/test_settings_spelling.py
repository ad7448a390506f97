"""One home for the settings' spellings (issue 15): every setting of a design is spelled
once, in `crimedash.settings.SETTINGS`, and the design's fields, the CLI's options, the
app's controls, the page link, the public design (manifest, report) and the validation
all follow from that row. A setting added in one place only fails here.

Each test goes through the real surface (the CLI's parser, the link's functions, the
design's validation) with a value other than the default, so a setting that a surface
silently ignores fails too, not only one that is missing by name.
"""

from __future__ import annotations

import re

import pytest

from crimedash.cli import build_parser
from crimedash.commands.options import FLAG_ALIASES, design_from_args
from crimedash.design import Design
from crimedash.errors import DesignError
from crimedash.settings import (
    NUMERIC_SETTINGS,
    PRIVATE_SETTINGS,
    SETTINGS,
    SETTINGS_BY_NAME,
)

NAMES = [s.name for s in SETTINGS]

# Settings whose example value cannot be derived from their row (a spatial unit, lists
# and pairs of names): the command-line words and the value the design should then hold.
# A new setting of that shape needs an example here, so it cannot skip these tests.
WORD_EXAMPLES: dict[str, tuple[list[str], object]] = {
    "granularity": (["grid:500"], "grid:500"),
    "categories": (["robbery", "burglary"], ("burglary", "robbery")),
    "grouping": (["burglary=Property"], (("burglary", "Property"),)),
    "hidden_groups": (["Violence", "Other"], ("Other", "Violence")),
    "bands": (["1", "5", "10"], (1, 5, 10)),
    "sensitivity": (["burglary=0.5"], (("burglary", 0.5),)),
    "location_weights": (["public_space=0.5"], (("public_space", 0.5),)),
}


def example(name: str) -> tuple[list[str], object]:
    """Command-line words for a value of the setting other than its default, and that
    value as the design holds it."""
    s = SETTINGS_BY_NAME[name]
    if name in WORD_EXAMPLES:
        return WORD_EXAMPLES[name]
    if isinstance(s.default, bool):
        return [], not s.default  # the flag alone (--x or --no-x) says it
    if s.choices and isinstance(s.default, tuple):
        return [s.choices[-1]], (s.choices[-1],)
    if s.choices:
        word = next(c for c in s.choices if c != s.default)
        return [word], word
    assert s.numeric, f"{name}: add an example to WORD_EXAMPLES"
    value = s.default * 2 if s.default else s.low + 1
    return [str(value)], value


def argv(name: str) -> list[str]:
    s = SETTINGS_BY_NAME[name]
    words, value = example(name)
    if isinstance(s.default, bool):
        return ["--" + ("" if value else "no-") + name.replace("_", "-")]
    return [s.flag, *words]


def test_every_design_field_has_one_row_with_the_same_default():
    """The dataclass's defaults and the table's are both spelled; they must agree (the
    docs and the CLI's help print the table's)."""
    defaults = Design().to_dict()
    assert sorted(defaults) == sorted(NAMES), "SETTINGS and Design's fields differ"
    for s in SETTINGS:
        table = list(s.default) if isinstance(s.default, tuple) else s.default
        assert defaults[s.name] == table, f"{s.name}: Design says {defaults[s.name]!r}"


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_is_a_cli_option_that_reaches_the_design(name):
    args = build_parser().parse_args(["assess", "incidents.csv", *argv(name)])
    design = design_from_args(args)
    _, value = example(name)
    assert getattr(design, name) == value
    assert getattr(Design(), name) != value  # the example really is a change


def test_cli_options_are_the_settings_and_nothing_else():
    """The design group of `assess --help` lists exactly the table's flags (and --design)."""
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices["assess"]
    group = next(g for g in sub._action_groups if g.title == "design")
    flags = {f for a in group._group_actions for f in a.option_strings}
    expected = {"--design"} | {s.flag for s in SETTINGS}
    expected |= {"--no-" + s.flag[2:] for s in SETTINGS if isinstance(s.default, bool)}
    expected |= {f for aliases in FLAG_ALIASES.values() for f in aliases}
    assert flags == expected


def test_the_app_has_a_control_for_every_setting():
    from crimedash.ui.fields import FIELD_CONTROLS

    assert set(FIELD_CONTROLS) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_a_link_carries_every_public_setting_and_no_private_one(name):
    from crimedash.ui.query import design_to_params, params_to_design

    _, value = example(name)
    design = Design.from_dict({**Design().to_dict(), name: value})
    params = design_to_params(design)
    if name in PRIVATE_SETTINGS:
        assert name not in params
        assert getattr(params_to_design(params), name) == getattr(Design(), name)
    else:
        assert set(params) == {name}
        assert params_to_design(params) == design


def test_the_public_design_is_every_setting_but_the_private_ones():
    """What the manifest, the report and the design log's public view print."""
    assert PRIVATE_SETTINGS == ("noise_seed",)
    public = Design().to_dict(public=True)
    assert sorted(public) == sorted(n for n in NAMES if n not in PRIVATE_SETTINGS)


@pytest.mark.parametrize("name", NUMERIC_SETTINGS)
def test_every_range_in_the_table_is_enforced_and_worded_from_it(name):
    s = SETTINGS_BY_NAME[name]
    beyond = [s.high + 1 if s.whole else s.high * 2]
    beyond.append(s.low if s.low_open else s.low - 1)
    for value in beyond:
        with pytest.raises(DesignError, match=re.escape(f"{name} must be {s.allowed}")):
            Design(**{name: value})


@pytest.mark.parametrize("name", [s.name for s in SETTINGS if s.choices])
def test_word_settings_refuse_words_outside_their_choices(name):
    s = SETTINGS_BY_NAME[name]
    value = ("no_such_word",) if isinstance(s.default, tuple) else "no_such_word"
    with pytest.raises(DesignError, match=re.escape(", ".join(s.choices))):
        Design(**{name: value})
    assert s.allowed == ", ".join(s.choices)


def test_numeric_settings_are_every_ranged_single_number():
    """NUMERIC_SETTINGS (what validation checks one by one) is derived, not listed."""
    ranged = {s.name for s in SETTINGS if s.low is not None}
    items = {s.name for s in SETTINGS if s.pairs or isinstance(s.default, tuple)}
    assert set(NUMERIC_SETTINGS) == ranged - items
