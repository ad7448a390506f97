"""A map design: one frozen, hashable value describing what a public crime map shows.

Everything the analyst can change lives here, so a design can be cached on, compared,
shared in a URL, saved as JSON and recorded in the design log. The options themselves
(name, default, allowed values, range, help) are spelled once, in the settings table
`crimedash.settings.SETTINGS`; a design validates itself against it.

Dangerous options are opt-in, as OpenDP's "contrib" features are: a design that
publishes household pins or full reference numbers must name them in `acknowledge`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, fields, replace
from itertools import pairwise
from typing import Any

from crimedash.errors import DesignError
from crimedash.schema import LocationType
from crimedash.settings import (
    ATTENDANCE_RATE,
    DANGEROUS,
    DEFAULT_BANDS,
    DEFAULT_MIN_UNIT_AREA_M2,
    FREQUENCY_LEVEL,
    H3_MAX,
    H3_MIN,
    NUMERIC_SETTINGS,
    PIN_GRID_METRES,
    PIN_H3_RESOLUTION,
    PIN_MIN_AREA_M2,
    PRIVATE_SETTINGS,
    SETTINGS,
    SETTINGS_BY_NAME,
    TIME_LEVELS,
    check_number,
)

__all__ = ["Design", "Granularity", "parse_granularity"]


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
    police_uk_baseline: bool = True
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
            set_(
                self, name, tuple((k, check_number(name, v, f"weight for {k!r}")) for k, v in pairs)
            )
        bands = self.bands if isinstance(self.bands, list | tuple) else (self.bands,)
        set_(self, "bands", tuple(check_number("bands", b, "a band edge") for b in bands))
        set_(self, "acknowledge", tuple(sorted(set(self.acknowledge))))
        for name in NUMERIC_SETTINGS:
            set_(self, name, check_number(name, getattr(self, name)))
        if not isinstance(self.totals, bool):
            raise DesignError(f"totals must be true or false; got {self.totals!r}")
        if not isinstance(self.police_uk_baseline, bool):
            raise DesignError(
                f"police_uk_baseline must be true or false; got {self.police_uk_baseline!r}"
            )
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

        for s in SETTINGS:  # the words each word setting allows, from its row of the table
            if s.choices and not isinstance(s.default, tuple):
                one_of(s.name, getattr(self, s.name), s.choices)
        b = self.bands
        if not b or b[0] != 1 or any(x >= y for x, y in pairwise(b)):
            raise DesignError(f"bands must be increasing lower edges starting at 1; got {b}")
        for name, _ in self.location_weights:
            one_of("location type", name, tuple(LocationType))
        if not self.green_below <= self.red_from:
            raise DesignError("thresholds must satisfy 0 <= green_below <= red_from <= 100")
        for name in self.acknowledge:
            one_of("acknowledge", name, SETTINGS_BY_NAME["acknowledge"].choices)
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
            for name in PRIVATE_SETTINGS:
                out.pop(name)
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
