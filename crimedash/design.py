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

DEFAULT_BANDS = (1, 3, 6, 11, 21, 51)  # shown as "1 to 2", "3 to 5", ... "51 or more"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    allowed: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "granularity",
        "h3:8",
        "h3:R (R 5-15), grid:METRES, areas[:LAYER], adaptive:K",
        "Spatial unit. Larger units hold more households, so a crime is harder to tie "
        "to one home (¶16, ¶19). h3:15 is a household pin (¶21). adaptive:K uses the "
        "finest H3 cells that each cover at least K households.",
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
        "0 or more",
        "Suppress any cell with fewer incidents than this (0: no suppression). Cells "
        "whose value could be recovered from a published total are suppressed too.",
    ),
    Setting("round_base", 5, "2 or more", "Base counts are rounded to when counts=rounded."),
    Setting(
        "bands",
        DEFAULT_BANDS,
        "increasing lower edges from 1",
        "Band lower edges when counts=banded.",
    ),
    Setting(
        "epsilon",
        1.0,
        "greater than 0",
        "Privacy-loss parameter of the noise when counts=noise: smaller is more private.",
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
    ),
    Setting(
        "location_weights",
        (),
        "location_type=weight pairs (0-1)",
        "Overrides of how much each kind of place counts (¶26-28).",
    ),
    Setting(
        "assumed_households_per_km2",
        1500.0,
        "greater than 0",
        "Used only when no households layer is loaded: an explicit assumption (¶19).",
    ),
    Setting("green_below", 20.0, "0-100", "Scores below this are green."),
    Setting("red_from", 50.0, "0-100", "Scores from this are red; between is amber."),
    Setting(
        "high_risk_line",
        0.5,
        "0-1",
        "An incident whose chance of being linked is at least this counts as high risk.",
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
        "an integer",
        "Seed of the noise when counts=noise; kept in the review record, never published.",
    ),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


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
    totals: bool = True
    references: str = "omitted"
    sensitivity: tuple[tuple[str, float], ...] = ()
    location_weights: tuple[tuple[str, float], ...] = ()
    assumed_households_per_km2: float = 1500.0
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
        set_(self, "sensitivity", tuple((k, float(v)) for k, v in _pairs(self.sensitivity)))
        set_(
            self, "location_weights", tuple((k, float(v)) for k, v in _pairs(self.location_weights))
        )
        set_(self, "bands", tuple(int(b) for b in self.bands))
        set_(self, "acknowledge", tuple(sorted(set(self.acknowledge))))
        set_(self, "min_count", int(self.min_count))
        set_(self, "round_base", int(self.round_base))
        set_(self, "epsilon", float(self.epsilon))
        set_(self, "noise_seed", int(self.noise_seed))
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
        if self.min_count < 0:
            raise DesignError(f"min_count must be 0 or more; got {self.min_count}")
        if self.round_base < 2:
            raise DesignError(f"round_base must be 2 or more; got {self.round_base}")
        b = self.bands
        if not b or b[0] != 1 or any(x >= y for x, y in pairwise(b)):
            raise DesignError(f"bands must be increasing lower edges starting at 1; got {b}")
        if not self.epsilon > 0:
            raise DesignError(f"epsilon must be greater than 0; got {self.epsilon}")
        for name, weight in self.sensitivity + self.location_weights:
            if not 0.0 <= weight <= 1.0:
                raise DesignError(f"weight for {name!r} must be between 0 and 1; got {weight}")
        for name, _ in self.location_weights:
            one_of("location type", name, tuple(LocationType))
        if not self.assumed_households_per_km2 > 0:
            raise DesignError("assumed_households_per_km2 must be greater than 0")
        if not 0 <= self.green_below <= self.red_from <= 100:
            raise DesignError("thresholds must satisfy 0 <= green_below <= red_from <= 100")
        if not 0 < self.high_risk_line <= 1:
            raise DesignError("high_risk_line must be in (0, 1]")
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
        if (g.kind == "h3" and g.param >= PIN_H3_RESOLUTION) or (
            g.kind == "grid" and g.param < PIN_GRID_METRES
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
        try:
            data = json.loads(text)
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
