"""The design's settings table and vocabularies: the one place a setting is spelled.

`SETTINGS` holds every option of a map design (name, default, allowed values, range and
help with the guidance's paragraph). The CLI's options and help, the app's help text,
the docs (docs/design-settings.md) and the report's settings table are generated from
it, and `crimedash.design.Design` validates each numeric setting against its row here, so
a setting added in one place only fails the tests (tests/test_settings_spelling.py).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from crimedash.errors import DesignError
from crimedash.schema import LocationType

__all__ = [
    "ATTENDANCE_RATE",
    "COUNT_MODES",
    "DANGEROUS",
    "DEFAULT_BANDS",
    "DEFAULT_LOCATION_WEIGHTS",
    "DEFAULT_MIN_UNIT_AREA_M2",
    "FREQUENCIES",
    "FREQUENCY_LEVEL",
    "GRANULARITY_KINDS",
    "H3_MAX",
    "H3_MIN",
    "MAX_SEED",
    "NUMERIC_SETTINGS",
    "PIN_GRID_METRES",
    "PIN_H3_RESOLUTION",
    "PIN_MIN_AREA_M2",
    "PRIVATE_SETTINGS",
    "REFERENCE_MODES",
    "SETTINGS",
    "SETTINGS_BY_NAME",
    "TIME_LEVELS",
    "TIME_PRECISIONS",
    "Setting",
    "check_number",
    "precision_for_frequency",
    "range_words",
    "settings_markdown",
    "settings_table",
]

# --- the vocabularies ----------------------------------------------------------------
GRANULARITY_KINDS = ("h3", "grid", "areas", "adaptive")
FREQUENCIES = ("realtime", "daily", "weekly", "monthly", "quarterly")
TIME_PRECISIONS = ("timestamp", "day", "week", "month", "quarter")
COUNT_MODES = ("exact", "rounded", "banded", "noise")
REFERENCE_MODES = ("omitted", "truncated", "pseudonym", "full")

H3_MIN, H3_MAX = 5, 15
PIN_H3_RESOLUTION = 13  # at or above this an H3 cell is about one building (~44 m2)
PIN_GRID_METRES = 20
# an adaptive unit may be as small as the design's minimum area; below this (about a
# house and its garden, or a block of flats) it marks a building
PIN_MIN_AREA_M2 = 1_000.0
DEFAULT_MIN_UNIT_AREA_M2 = 10_000.0  # one hectare: a street block, not a building
DANGEROUS = ("household_pins", "full_references")

# Time levels shared by release frequency and shown precision, finest first. A window
# is the finer of the two (¶34: a map refreshed daily reveals each day by differencing).
TIME_LEVELS = ("timestamp", "day", "week", "month", "quarter")
FREQUENCY_LEVEL = {
    "realtime": "timestamp",
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
}


def precision_for_frequency(frequency: str, time_precision: str) -> str:
    """The time shown once a release frequency is chosen: the chosen precision, or the
    release interval when that is coarser (a quarterly map shows quarters, ¶34). The
    app's frequency control and the CLI's --frequency both apply this one rule."""
    level = FREQUENCY_LEVEL[frequency]
    coarser = TIME_LEVELS.index(level) > TIME_LEVELS.index(time_precision)
    return level if coarser else time_precision


DEFAULT_LOCATION_WEIGHTS: dict[str, float] = {
    LocationType.RESIDENTIAL: 1.0,  # ¶26: a home points at its occupants
    LocationType.UNKNOWN: 1.0,  # unknown is treated as a home: the cautious choice
    LocationType.NON_RESIDENTIAL: 0.3,  # ¶26-27: shops, pubs, schools: far less
    LocationType.PUBLIC_SPACE: 0.1,  # ¶28: car parks, parks, streets: least
}

DEFAULT_BANDS = (1, 3, 6, 11, 21, 51)
# Police attendances per household per month when the data is a partial extract: all
# recorded crime in England and Wales (about 6.6 million a year, about 25 million
# households) is 0.022; rounded down, since fewer visits make each one easier to place.
ATTENDANCE_RATE = 0.02  # shown as "1 to 2", "3 to 5", ... "51 or more"


def range_words(s: Setting) -> str:
    """A setting's range in words, from its row of SETTINGS (the words the refusals have
    always used, so scripts matching them keep working)."""
    if s.low_open:
        return f"greater than {s.low:g}" + (f", at most {s.high:g}" if s.high is not None else "")
    if s.high is None:
        return f"{s.low:g} or more"
    if s.whole:
        return f"{s.low:g} or more (at most {s.high:,})"
    return f"between {s.low:g} and {s.high:g}"


@dataclass(frozen=True)
class Setting:
    """One design setting. A numeric setting has its range here (`low`, `high`, and
    whether `low` itself is allowed): the one place ranges live, used to validate every
    design before anything is scored and to write `allowed` in the docs and help."""

    name: str
    default: Any
    allowed: str
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the value must be greater than `low`, not equal to it
    whole: bool = False  # a whole number
    choices: tuple[str, ...] = ()  # the words a word setting (or each item of a list) may be
    pairs: bool = False  # name=value pairs (a mapping), not a single value or a list
    private: bool = False  # kept in the review record, never published (nor in a link)

    def __post_init__(self) -> None:
        # a single number's `allowed` is written from its range, so the words in the
        # docs and the help cannot drift from what validation enforces
        if self.numeric:
            object.__setattr__(self, "allowed", range_words(self))

    @property
    def numeric(self) -> bool:
        """A single number checked against `low` and `high` (lists and pairs of numbers
        are checked item by item with the same range)."""
        return self.low is not None and isinstance(self.default, int | float)

    @property
    def flag(self) -> str:
        """The setting's command-line option: its name with hyphens."""
        return "--" + self.name.replace("_", "-")


MAX_SEED = 2**63 - 1


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "granularity",
        "h3:8",
        "h3:R (R 5-15), grid:METRES, areas[:LAYER], adaptive:K",
        "Spatial unit. Larger units hold more households, so a crime is harder to tie "
        "to one home (¶16, ¶19). h3:15 is a household pin (¶21). adaptive:K draws the "
        "finest units, unions of H3 cells chosen from households only, that each cover at "
        "least K households and min_unit_area_m2.",
    ),
    Setting(
        "min_unit_area_m2",
        DEFAULT_MIN_UNIT_AREA_M2,
        "square metres, greater than 0",
        "The smallest area an adaptive unit may cover: adaptive units are unions of the "
        "finest H3 cells at least this large, so a block of flats with K households is "
        "never published as a building-sized unit (¶21). Below "
        f"{PIN_MIN_AREA_M2:,.0f} m² it is a household pin and must be acknowledged.",
        low=0,
        high=1e10,
        low_open=True,
    ),
    Setting(
        "frequency",
        "monthly",
        ", ".join(FREQUENCIES),
        "How often the map is updated. Frequent updates let a neighbour match a police "
        "visit to a map entry (¶34).",
        choices=FREQUENCIES,
    ),
    Setting(
        "time_precision",
        "month",
        ", ".join(TIME_PRECISIONS),
        "The finest time shown for an incident (¶34). Never finer than the data has. "
        "Choosing a frequency coarser than the time shown raises it to the release "
        "interval (quarterly releases show quarters) unless a precision is also chosen.",
        choices=TIME_PRECISIONS,
    ),
    Setting(
        "categories",
        None,
        "category codes, or all",
        "Which crime categories appear on the map at all (¶13, ¶20).",
    ),
    Setting(
        "grouping",
        (),
        "category=group pairs",
        "How categories are grouped on the map; police.uk's 14 by default. Broad groups "
        "hide which crime happened (¶20).",
        pairs=True,
    ),
    Setting(
        "hidden_groups",
        (),
        "group names",
        "Groups left off the map (for example, sexual offences: ¶13).",
    ),
    Setting(
        "counts",
        "exact",
        ", ".join(COUNT_MODES),
        "How counts are shown: exact, rounded to a base, banded like the guidance's map "
        "key, or with differential-privacy noise.",
        choices=COUNT_MODES,
    ),
    Setting(
        "min_count",
        0,
        "0-1000000",
        "Suppress any cell with fewer incidents than this (0: no suppression). Cells "
        "whose value could be recovered from a published total are suppressed too.",
        low=0,
        high=1_000_000,
        whole=True,
    ),
    Setting(
        "round_base",
        5,
        "2-1000000",
        "Base counts are rounded to when counts=rounded.",
        low=2,
        high=1_000_000,
        whole=True,
    ),
    Setting(
        "bands",
        DEFAULT_BANDS,
        "increasing lower edges from 1",
        "Band lower edges when counts=banded.",
        low=1,
        high=1_000_000_000,
        whole=True,
    ),
    Setting(
        "epsilon",
        1.0,
        "greater than 0, at most 100",
        "Privacy-loss parameter of the noise when counts=noise: smaller is more private. "
        "Above about 20 the noise protects nothing; above 709 it cannot be computed.",
        low=0,
        high=100,
        low_open=True,
    ),
    Setting(
        "epsilon_budget",
        3.0,
        "greater than 0, at most 100",
        "Total privacy loss allowed per incident over every noisy product and release of "
        "the series (epsilons add up; a release that repeats the same cells with the same "
        "key costs nothing). The assessment warns from four fifths of it; the export refuses beyond it.",
        low=0,
        high=100,
        low_open=True,
    ),
    Setting(
        "totals",
        True,
        "true or false",
        "Publish an 'All crime' total per unit and window beside the groups.",
    ),
    Setting(
        "police_uk_baseline",
        True,
        "true or false",
        "When the incidents came from police.uk street-level files, read every plan with "
        "police.uk's own monthly publication (exact counts per snap point, month and crime "
        "type, already public: ¶17, ¶36-37) and judge the plan on what it proves beyond "
        "it; both figures are shown. false: score the design's own products only.",
    ),
    Setting(
        "references",
        "omitted",
        ", ".join(REFERENCE_MODES),
        "Reference numbers on the map: omitted, truncated, fresh pseudonyms per release, "
        "or full (¶24-25).",
        choices=REFERENCE_MODES,
    ),
    Setting(
        "sensitivity",
        (),
        "category=weight pairs (0-1)",
        "Overrides of the per-category sensitivity weights (¶20).",
        low=0,
        high=1,
        pairs=True,
    ),
    Setting(
        "location_weights",
        (),
        "location_type=weight pairs (0-1)",
        "Overrides of how much each kind of place counts for the register linker (¶26-28).",
        low=0,
        high=1,
        pairs=True,
    ),
    Setting(
        "assumed_households_per_km2",
        1500.0,
        "greater than 0, at most 100000",
        "Used only when no households layer is loaded: an explicit assumption (¶19).",
        low=0,
        high=100_000,
        low_open=True,
    ),
    Setting("green_below", 20.0, "0-100", "Scores below this are green.", low=0, high=100),
    Setting(
        "red_from",
        50.0,
        "0-100",
        "Scores from this are red, and so is a design whose attack proves the crime group of "
        "this per cent of incidents at homes; between is amber.",
        low=0,
        high=100,
    ),
    Setting(
        "all_recorded_crime",
        True,
        "true or false",
        "Whether the data holds every crime recorded in the area (a police.uk "
        "all-category download does). If not (a burglary-only extract, say), a neighbour "
        "who saw the police cannot assume the visit is in the data, and the attendance "
        "rate below stands in for all police visits (¶34, ¶38).",
    ),
    Setting(
        "attendance_rate",
        ATTENDANCE_RATE,
        "greater than 0",
        "Police attendances per household per month, used only when the data is not all "
        "recorded crime. Default: recorded crime in England and Wales, about 6.6 million "
        "a year over about 25 million households (0.022), rounded down, the cautious side.",
        low=0,
        high=1000,
        low_open=True,
    ),
    Setting(
        "certain_line",
        0.01,
        "0-1",
        "Green only while the share of incidents at homes (weighted by sensitivity) whose "
        "crime group a neighbour can prove from the published layer stays below this.",
        low=0,
        high=1,
    ),
    Setting(
        "min_households",
        10.0,
        "0 or more",
        "Green only while no published non-empty cell lies in a unit of fewer households "
        "than this (¶19, ¶21): such a cell narrows an incident to a handful of homes.",
        low=0,
        high=1_000_000,
    ),
    Setting(
        "high_risk_line",
        0.5,
        "greater than 0, at most 1",
        "An incident whose chance of being linked is at least this counts as high risk.",
        low=0,
        high=1,
        low_open=True,
    ),
    Setting(
        "acknowledge",
        (),
        ", ".join(DANGEROUS),
        "Dangerous options must be named here to be used (household pins, full references).",
        choices=DANGEROUS,
    ),
    Setting(
        "noise_seed",
        0,
        f"a whole number 0-{MAX_SEED}",
        "Secret key of the series' noise when counts=noise: the same key gives the same "
        "cell the same value in every release, so keep it for the life of the series. "
        "Kept in the review record, never published.",
        low=0,
        high=MAX_SEED,
        whole=True,
        private=True,
    ),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


# Single numbers checked against their row of SETTINGS (pairs and bands are checked
# item by item the same way).
NUMERIC_SETTINGS = tuple(s.name for s in SETTINGS if s.numeric)
# Never published: left out of the public design, the link and the report.
PRIVATE_SETTINGS = tuple(s.name for s in SETTINGS if s.private)


def check_number(name: str, value: Any, what: str | None = None) -> int | float:
    """A numeric setting as a finite number in its documented range (SETTINGS), or a
    DesignError saying which setting, what was given and what is allowed. Run before
    anything is scored: an epsilon of 1e308, NaN or Infinity would otherwise reach the
    model and give a score that is not a number."""
    s = SETTINGS_BY_NAME[name]
    label = what or name
    allowed = f"{label} must be {range_words(s)}"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DesignError(f"{allowed}; got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise DesignError(f"{allowed}; got {value!r}, which is not a number") from None
    if not math.isfinite(number):
        raise DesignError(f"{allowed}; got {value!r}, which is not a finite number")
    if s.whole:
        if number != int(number):
            raise DesignError(f"{allowed}; got {value!r}, which is not a whole number")
        if isinstance(value, int):
            number = value  # exact, even beyond float precision (seeds)
        elif isinstance(value, str):
            number = int(value.strip()) if value.strip().lstrip("+-").isdigit() else int(number)
        else:
            number = int(number)
    too_low = s.low is not None and (number <= s.low if s.low_open else number < s.low)
    too_high = s.high is not None and number > s.high
    if too_low or too_high:
        raise DesignError(f"{allowed}; got {value!r}")
    return number


def settings_table() -> list[dict[str, Any]]:
    """The settings as rows (for docs and help text): name, default, allowed, help."""
    return [asdict(s) for s in SETTINGS]


def settings_markdown() -> str:
    """The settings table as Markdown: docs/design-settings.md is this, verbatim
    (a test keeps them in step)."""
    lines = [
        "# Design settings",
        "",
        "Every setting of a map design, generated from `crimedash.settings.SETTINGS` (the same",
        "table gives the CLI's `--help` and the app's help text).",
        "",
        "| setting | default | allowed | what it does |",
        "|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = "all" if s.default is None else s.default
        if isinstance(default, tuple):
            default = ", ".join(map(str, default)) or "none"
        lines.append(f"| `{s.name}` | {default} | {s.allowed} | {s.help} |")
    return "\n".join(lines) + "\n"
