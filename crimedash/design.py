"""A map design: one frozen, hashable value describing what a public crime map shows.

Everything the analyst can change lives here, so a design can be cached on, compared,
shared in a URL, saved as JSON and recorded in the design log. `SETTINGS` is the one
table of options (name, default, allowed values, help with the guidance's paragraph);
the CLI's help, the app's help text and the docs are all generated from it.

Dangerous options are opt-in, as OpenDP's "contrib" features are: a design that
publishes household pins or full reference numbers must name them in `acknowledge`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from itertools import pairwise
from typing import Any

from crimedash.errors import DesignError
from crimedash.schema import LocationType

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
    ),
    Setting(
        "time_precision",
        "month",
        ", ".join(TIME_PRECISIONS),
        "The finest time shown for an incident (¶34). Never finer than the data has. "
        "Choosing a frequency coarser than the time shown raises it to the release "
        "interval (quarterly releases show quarters) unless a precision is also chosen.",
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
        "references",
        "omitted",
        ", ".join(REFERENCE_MODES),
        "Reference numbers on the map: omitted, truncated, fresh pseudonyms per release, "
        "or full (¶24-25).",
    ),
    Setting(
        "sensitivity",
        (),
        "category=weight pairs (0-1)",
        "Overrides of the per-category sensitivity weights (¶20).",
        low=0,
        high=1,
    ),
    Setting(
        "location_weights",
        (),
        "location_type=weight pairs (0-1)",
        "Overrides of how much each kind of place counts (¶26-28).",
        low=0,
        high=1,
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
        "red_from", 50.0, "0-100", "Scores from this are red; between is amber.", low=0, high=100
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
    ),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


# Single numbers checked against their row of SETTINGS (pairs and bands are checked
# item by item the same way).
NUMERIC_SETTINGS = (
    "min_count",
    "round_base",
    "epsilon",
    "epsilon_budget",
    "assumed_households_per_km2",
    "green_below",
    "red_from",
    "high_risk_line",
    "noise_seed",
    "min_unit_area_m2",
    "attendance_rate",
    "certain_line",
    "min_households",
)


def _number(name: str, value: Any, what: str | None = None) -> int | float:
    """A numeric setting as a finite number in its documented range (SETTINGS), or a
    DesignError saying which setting, what was given and what is allowed. Run before
    anything is scored: an epsilon of 1e308, NaN or Infinity would otherwise reach the
    model and give a score that is not a number."""
    s = SETTINGS_BY_NAME[name]
    label = what or name
    allowed = f"{label} must be {_range_words(s)}"
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


def _range_words(s: Setting) -> str:
    """A setting's range in words, from its row of SETTINGS."""
    if s.low_open:
        return f"greater than {s.low:g}" + (f", at most {s.high:g}" if s.high is not None else "")
    if s.high is None:
        return f"{s.low:g} or more"
    if s.whole:
        return f"{s.low:g} or more (at most {s.high:,})"
    return f"between {s.low:g} and {s.high:g}"


@dataclass(frozen=True)
class Granularity:
    kind: str
    param: int | str | None  # resolution, metres, K, or an area layer's name

    def __str__(self) -> str:
        return self.kind if self.param is None else f"{self.kind}:{self.param}"

    def describe(self) -> str:
        if self.kind == "h3":
            return (
                "household pins (H3 resolution 15)"
                if self.param == 15
                else (f"H3 hexagons at resolution {self.param}")
            )
        if self.kind == "grid":
            return f"{self.param} m grid squares"
        if self.kind == "areas":
            return f"areas of the '{self.param}' layer" if self.param else "the uploaded areas"
        return f"adaptive hexagons of at least {self.param} households"


def parse_granularity(text: str) -> Granularity:
    """Parse 'h3:R', 'grid:METRES', 'areas' or 'adaptive:K' with a message naming them."""
    allowed = "granularity must be one of h3:R (R 5-15), grid:METRES, areas[:LAYER], adaptive:K"
    m = re.fullmatch(r"\s*(h3|grid|areas|adaptive)(?::([a-z0-9_\-]+))?\s*", str(text).lower())
    if not m:
        raise DesignError(f"{allowed}; got {text!r}")
    kind, param = m.group(1), m.group(2)
    if kind == "areas":
        return Granularity("areas", param)
    if param is None or not param.isdigit():
        raise DesignError(f"{allowed}; {kind} needs a whole number, got {text!r}")
    value = int(param)
    if kind == "h3" and not H3_MIN <= value <= H3_MAX:
        raise DesignError(f"H3 resolution must be {H3_MIN}-{H3_MAX}; got {value}")
    if kind == "grid" and not 10 <= value <= 100_000:
        raise DesignError(f"grid size must be 10-100000 metres; got {value}")
    if kind == "adaptive" and not 1 <= value <= 100_000:
        raise DesignError(f"adaptive K must be 1-100000 households; got {value}")
    return Granularity(kind, value)


def _pairs(value: Any) -> tuple[tuple[str, Any], ...]:
    """Normalise a mapping or pairs to a sorted tuple of pairs (hashable, order-free)."""
    if value is None:
        return ()
    items = value.items() if isinstance(value, dict) else value
    return tuple(sorted((str(k), v) for k, v in items))


@dataclass(frozen=True)
class Design:
    """What a public crime map shows. Build with `Design(...)`; it validates itself."""

    granularity: str = "h3:8"
    frequency: str = "monthly"
    time_precision: str = "month"
    categories: tuple[str, ...] | None = None
    grouping: tuple[tuple[str, str], ...] = ()
    hidden_groups: tuple[str, ...] = ()
    counts: str = "exact"
    min_count: int = 0
    round_base: int = 5
    bands: tuple[int, ...] = DEFAULT_BANDS
    epsilon: float = 1.0
    epsilon_budget: float = 3.0
    totals: bool = True
    references: str = "omitted"
    sensitivity: tuple[tuple[str, float], ...] = ()
    location_weights: tuple[tuple[str, float], ...] = ()
    assumed_households_per_km2: float = 1500.0
    all_recorded_crime: bool = True
    attendance_rate: float = ATTENDANCE_RATE
    certain_line: float = 0.01
    min_households: float = 10.0
    min_unit_area_m2: float = DEFAULT_MIN_UNIT_AREA_M2
    green_below: float = 20.0
    red_from: float = 50.0
    high_risk_line: float = 0.5
    acknowledge: tuple[str, ...] = ()
    noise_seed: int = 0
    _parsed: Granularity = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "granularity", str(self.granularity).strip().lower())
        set_(self, "_parsed", parse_granularity(self.granularity))
        if self.categories is not None:
            set_(self, "categories", tuple(sorted(set(self.categories))))
        set_(self, "grouping", _pairs(self.grouping))
        set_(self, "hidden_groups", tuple(sorted(set(self.hidden_groups))))
        for name in ("sensitivity", "location_weights"):
            pairs = _pairs(getattr(self, name))
            set_(self, name, tuple((k, _number(name, v, f"weight for {k!r}")) for k, v in pairs))
        bands = self.bands if isinstance(self.bands, list | tuple) else (self.bands,)
        set_(self, "bands", tuple(_number("bands", b, "a band edge") for b in bands))
        set_(self, "acknowledge", tuple(sorted(set(self.acknowledge))))
        for name in NUMERIC_SETTINGS:
            set_(self, name, _number(name, getattr(self, name)))
        if not isinstance(self.totals, bool):
            raise DesignError(f"totals must be true or false; got {self.totals!r}")
        if not isinstance(self.all_recorded_crime, bool):
            raise DesignError(
                f"all_recorded_crime must be true or false; got {self.all_recorded_crime!r}"
            )
        self._validate()

    # -- validation -------------------------------------------------------------------
    def _validate(self) -> None:
        def one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
            if value not in allowed:
                raise DesignError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")

        one_of("frequency", self.frequency, FREQUENCIES)
        one_of("time_precision", self.time_precision, TIME_PRECISIONS)
        one_of("counts", self.counts, COUNT_MODES)
        one_of("references", self.references, REFERENCE_MODES)
        b = self.bands
        if not b or b[0] != 1 or any(x >= y for x, y in pairwise(b)):
            raise DesignError(f"bands must be increasing lower edges starting at 1; got {b}")
        for name, _ in self.location_weights:
            one_of("location type", name, tuple(LocationType))
        if not self.green_below <= self.red_from:
            raise DesignError("thresholds must satisfy 0 <= green_below <= red_from <= 100")
        for name in self.acknowledge:
            one_of("acknowledge", name, DANGEROUS)
        for danger in self.dangers():
            if danger not in self.acknowledge:
                raise DesignError(
                    f"this design uses {danger.replace('_', ' ')}, which the guidance warns "
                    f"against (¶21, ¶24-25)",
                    hint=f"add {danger!r} to acknowledge to trial it on purpose",
                )

    def dangers(self) -> tuple[str, ...]:
        """The dangerous options this design uses (they need acknowledging)."""
        out = []
        g = self._parsed
        if (
            (g.kind == "h3" and g.param >= PIN_H3_RESOLUTION)
            or (g.kind == "grid" and g.param < PIN_GRID_METRES)
            or (g.kind == "adaptive" and self.min_unit_area_m2 < PIN_MIN_AREA_M2)
        ):
            out.append("household_pins")
        if self.references == "full":
            out.append("full_references")
        return tuple(out)

    # -- derived views ----------------------------------------------------------------
    @property
    def spatial(self) -> Granularity:
        return self._parsed

    @property
    def window_level(self) -> str:
        """The attacker's time window: the finer of release interval and shown precision."""
        f = TIME_LEVELS.index(FREQUENCY_LEVEL[self.frequency])
        p = TIME_LEVELS.index(self.time_precision)
        return TIME_LEVELS[min(f, p)]

    def with_(self, **changes: Any) -> Design:
        """A copy with changes; hypothetical designs (what-ifs) acknowledge their dangers."""
        probe = replace(self, **changes, acknowledge=DANGEROUS)
        return replace(
            probe,
            acknowledge=tuple(
                d for d in DANGEROUS if d in probe.dangers() or d in self.acknowledge
            ),
        )

    # -- persistence ------------------------------------------------------------------
    def to_dict(self, *, public: bool = False) -> dict[str, Any]:
        """Plain data; `public=True` leaves out what must never be published (the seed)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        for k, v in out.items():
            if isinstance(v, tuple):
                out[k] = [list(x) if isinstance(x, tuple) else x for x in v]
        if public:
            out.pop("noise_seed")
        return out

    def to_json(self, *, public: bool = False) -> str:
        return json.dumps(self.to_dict(public=public), sort_keys=True, indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Design:
        known = {f.name for f in fields(cls) if f.init}
        unknown = sorted(set(data) - known)
        if unknown:
            raise DesignError(
                f"unknown design setting(s): {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(known))}"
            )
        clean: dict[str, Any] = {}
        for k, v in data.items():
            if isinstance(v, list):
                v = tuple(tuple(x) if isinstance(x, list) else x for x in v)
            clean[k] = v
        try:
            return cls(**clean)
        except TypeError as exc:  # a value of the wrong shape
            raise DesignError(f"design file has a value of the wrong type: {exc}") from exc

    @classmethod
    def from_json(cls, text: str) -> Design:
        def no_constant(name: str) -> Any:
            raise DesignError(
                f"design file holds {name}, which is not a number a design can use",
                hint="give every setting a finite number in its range (see "
                "docs/design-settings.md)",
            )

        try:
            data = json.loads(text, parse_constant=no_constant)
        except json.JSONDecodeError as exc:
            raise DesignError(
                f"design file is not valid JSON (line {exc.lineno}): {exc.msg}"
            ) from exc
        if not isinstance(data, dict):
            raise DesignError("design file must hold a JSON object of settings")
        return cls.from_dict(data)

    def fingerprint(self) -> str:
        """Short stable id of the design (for the log, file names and URLs)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:12]


def settings_table() -> list[dict[str, Any]]:
    """The settings as rows (for docs and help text): name, default, allowed, help."""
    return [asdict(s) for s in SETTINGS]


def settings_markdown() -> str:
    """The settings table as Markdown: docs/design-settings.md is this, verbatim
    (a test keeps them in step)."""
    lines = [
        "# Design settings",
        "",
        "Every setting of a map design, generated from `crimedash.design.SETTINGS` (the same",
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
