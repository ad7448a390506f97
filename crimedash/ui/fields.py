"""The design's settings as widget values: the plain words each option is shown with,
the category and place tables, and the two directions between a `Design` and the
widgets' session-state keys (`seed` writes them; `fields_from_widgets` reads them).

Kept apart from the drawing (`controls.draw`) so the mapping both ways can be tested
without drawing, and so the words the analyst reads are in one place.
"""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
import streamlit as st

from crimedash import categories as C
from crimedash.design import Design
from crimedash.errors import DesignError
from crimedash.index import Index
from crimedash.schema import LOCATION_TYPES
from crimedash.settings import DANGEROUS, DEFAULT_LOCATION_WEIGHTS, SETTINGS_BY_NAME
from crimedash.ui import state as K

__all__ = [
    "COL_CATEGORY",
    "COL_GROUP",
    "COL_LABEL",
    "COL_PLACE",
    "COL_SENS",
    "COL_SHOWN",
    "COL_WEIGHT",
    "COUNT_WORDS",
    "FIELD_CONTROLS",
    "FREQUENCY_WORDS",
    "KIND_WORDS",
    "LOCATION_WORDS",
    "NO_AREAS",
    "PRECISION_WORDS",
    "REFERENCE_WORDS",
    "build_design",
    "category_table",
    "control_values",
    "dangers_of",
    "fields_from_widgets",
    "helptext",
    "location_fields",
    "location_table",
    "seed",
    "table_fields",
    "table_keys",
    "widget_values",
]

KIND_WORDS = {
    "h3": "Hexagons (H3)",
    "grid": "Grid squares",
    "areas": "Areas (uploaded polygons)",
    "adaptive": "Adaptive hexagons",
}
FREQUENCY_WORDS = {
    "realtime": "Real time",
    "daily": "Daily",
    "weekly": "Weekly",
    "monthly": "Monthly",
    "quarterly": "Quarterly",
}
PRECISION_WORDS = {
    "timestamp": "Exact time",
    "day": "Day",
    "week": "Week",
    "month": "Month",
    "quarter": "Quarter",
}
COUNT_WORDS = {
    "exact": "Exact",
    "rounded": "Rounded",
    "banded": "Banded (map key)",
    "noise": "Noise (differential privacy)",
}
REFERENCE_WORDS = {
    "omitted": "Left off",
    "truncated": "Truncated",
    "pseudonym": "Fresh pseudonym per release",
    "full": "Full numbers",
}
LOCATION_WORDS = {
    "residential": "Homes",
    "non_residential": "Shops, pubs, schools",
    "public_space": "Streets, parks, car parks",
    "unknown": "Unknown (treated as homes)",
}
NO_AREAS = "(no area layer loaded)"
# category table columns (UI words; the table is the analyst's, not a schema)
COL_CATEGORY, COL_LABEL, COL_SHOWN, COL_GROUP, COL_SENS = (
    "Category",
    "Label",
    "Shown",
    "Group on the map",
    "Sensitivity (0-1)",
)
COL_PLACE, COL_WEIGHT = "Place", "Weight (0-1)"


# Which control sets each design field (a test checks every field has one).
FIELD_CONTROLS: dict[str, tuple[str, ...]] = {
    "granularity": (K.GRAN_KIND, K.H3_RES, K.GRID_M, K.AREA_LAYER, K.ADAPTIVE_K),
    "categories": (K.CATEGORY_TABLE,),
    "grouping": (K.CATEGORY_TABLE,),
    "sensitivity": (K.CATEGORY_TABLE,),
    "hidden_groups": (K.HIDDEN_GROUPS,),
    "frequency": (K.FREQUENCY,),
    "time_precision": (K.TIME_PRECISION,),
    "counts": (K.COUNTS,),
    "min_count": (K.MIN_COUNT,),
    "round_base": (K.ROUND_BASE,),
    "bands": (K.BANDS,),
    "epsilon": (K.EPSILON,),
    "noise_seed": (K.NOISE_SEED,),
    "epsilon_budget": (K.EPSILON_BUDGET,),
    "totals": (K.TOTALS,),
    "police_uk_baseline": (K.POLICE_UK,),
    "references": (K.REFERENCES,),
    "location_weights": (K.LOCATION_TABLE,),
    "assumed_households_per_km2": (K.ASSUMED_DENSITY,),
    "min_unit_area_m2": (K.MIN_UNIT_AREA,),
    "green_below": (K.GREEN_BELOW,),
    "red_from": (K.RED_FROM,),
    "high_risk_line": (K.HIGH_RISK_LINE,),
    "all_recorded_crime": (K.ALL_RECORDED,),
    "attendance_rate": (K.ATTENDANCE_RATE,),
    "certain_line": (K.CERTAIN_LINE,),
    "min_households": (K.MIN_HOUSEHOLDS,),
    "acknowledge": (K.ACK_PINS, K.ACK_REFERENCES),
}


def helptext(name: str) -> str:
    """The settings table's help for a design field (cites the guidance)."""
    s = SETTINGS_BY_NAME[name]
    return f"{s.help} Allowed: {s.allowed}."


# --- design <-> widget values ----------------------------------------------------------------
def widget_values(design: Design, index: Index) -> dict[str, Any]:
    """Session-state values that make the controls show `design`."""
    g = design.spatial
    areas = list(index.areas) or [NO_AREAS]
    values: dict[str, Any] = {
        K.GRAN_KIND: g.kind,
        K.H3_RES: g.param if g.kind == "h3" else 8,
        K.GRID_M: g.param if g.kind == "grid" else 500,
        K.AREA_LAYER: (g.param if g.param in areas else areas[0])
        if g.kind == "areas"
        else areas[0],
        K.ADAPTIVE_K: g.param if g.kind == "adaptive" else 40,
        K.HIDDEN_GROUPS: list(design.hidden_groups),
        K.FREQUENCY: design.frequency,
        K.TIME_PRECISION: design.time_precision,
        K.COUNTS: design.counts,
        K.MIN_COUNT: design.min_count,
        K.ROUND_BASE: design.round_base,
        K.BANDS: ", ".join(str(b) for b in design.bands),
        K.EPSILON: design.epsilon,
        K.NOISE_SEED: design.noise_seed,
        K.EPSILON_BUDGET: design.epsilon_budget,
        K.TOTALS: design.totals,
        K.POLICE_UK: design.police_uk_baseline,
        K.REFERENCES: design.references,
        K.ACK_PINS: "household_pins" in design.acknowledge,
        K.ACK_REFERENCES: "full_references" in design.acknowledge,
        K.ASSUMED_DENSITY: design.assumed_households_per_km2,
        K.MIN_UNIT_AREA: design.min_unit_area_m2,
        K.GREEN_BELOW: design.green_below,
        K.RED_FROM: design.red_from,
        K.HIGH_RISK_LINE: design.high_risk_line,
        K.ALL_RECORDED: design.all_recorded_crime,
        K.ATTENDANCE_RATE: design.attendance_rate,
        K.CERTAIN_LINE: design.certain_line,
        K.MIN_HOUSEHOLDS: design.min_households,
    }
    return values


def control_values(index: Index) -> dict[str, Any]:
    """The design controls' values in session state now (the tables' edits included),
    copied: compared with the last run's, they tell a control change from Back."""
    ss = st.session_state
    version = ss.get(K.EDITOR_VERSION, 0)
    keys = [*widget_values(Design(), index), *table_keys(version)]
    return {key: copy.deepcopy(ss[key]) for key in keys if key in ss}


def table_keys(version: int) -> tuple[str, str]:
    """The session-state keys of the category and place tables' editors (versioned:
    a new version rebuilds them from the applied design)."""
    return f"{K.CATEGORY_TABLE}_{version}", f"{K.LOCATION_TABLE}_{version}"


def category_table(design: Design, index: Index) -> pd.DataFrame:
    """One row per category in the data: shown, its group, its sensitivity (¶13, ¶20)."""
    grouping = dict(design.grouping)
    sens = dict(design.sensitivity)
    shown = set(design.categories) if design.categories is not None else None
    cats = list(index.categories)
    return pd.DataFrame(
        {
            COL_CATEGORY: cats,
            COL_LABEL: [C.label(c) for c in cats],
            COL_SHOWN: [shown is None or c in shown for c in cats],
            COL_GROUP: [grouping.get(c, C.default_group(c)) for c in cats],
            COL_SENS: [float(sens.get(c, C.default_sensitivity(c))) for c in cats],
        }
    )


def table_fields(table: pd.DataFrame) -> dict[str, Any]:
    """Design fields from the category table: only what differs from the defaults is
    recorded, so a design stays short and readable in the link and the log."""
    cats = table[COL_CATEGORY].tolist()
    shown = table[COL_SHOWN].fillna(False).astype(bool).tolist()
    groups = [str(g).strip() if isinstance(g, str) and g.strip() else "" for g in table[COL_GROUP]]
    sens = pd.to_numeric(table[COL_SENS], errors="coerce").tolist()
    return {
        "categories": None
        if all(shown)
        else tuple(c for c, s in zip(cats, shown, strict=True) if s),
        "grouping": tuple(
            (c, g) for c, g in zip(cats, groups, strict=True) if g and g != C.default_group(c)
        ),
        "sensitivity": tuple(
            (c, float(s))
            for c, s in zip(cats, sens, strict=True)
            if s == s and abs(float(s) - C.default_sensitivity(c)) > 1e-9
        ),
    }


def location_table(design: Design) -> pd.DataFrame:
    weights = {**DEFAULT_LOCATION_WEIGHTS, **dict(design.location_weights)}
    return pd.DataFrame(
        {
            COL_PLACE: [str(t) for t in LOCATION_TYPES],
            COL_WEIGHT: [float(weights[t]) for t in LOCATION_TYPES],
        }
    )


def location_fields(table: pd.DataFrame) -> dict[str, Any]:
    pairs = []
    for place, w in zip(
        table[COL_PLACE], pd.to_numeric(table[COL_WEIGHT], errors="coerce"), strict=True
    ):
        if w == w and abs(float(w) - DEFAULT_LOCATION_WEIGHTS[place]) > 1e-9:
            pairs.append((place, float(w)))
    return {"location_weights": tuple(pairs)}


def seed(design: Design, index: Index) -> None:
    """Push a design into the controls (call before they are drawn, or in a callback)."""
    for key, value in widget_values(design, index).items():
        st.session_state[key] = value
    st.session_state[K.APPLIED_DESIGN] = design
    st.session_state[K.EDITOR_VERSION] = st.session_state.get(K.EDITOR_VERSION, 0) + 1
    st.session_state[K.SEEDED] = True
    st.session_state.pop(K.DESIGN_ERROR, None)


def _granularity(ss: Any) -> str:
    kind = ss[K.GRAN_KIND]
    if kind == "h3":
        return f"h3:{int(ss[K.H3_RES])}"
    if kind == "grid":
        return f"grid:{int(ss[K.GRID_M])}"
    if kind == "adaptive":
        return f"adaptive:{int(ss[K.ADAPTIVE_K])}"
    layer = ss[K.AREA_LAYER]
    return "areas" if layer == NO_AREAS else f"areas:{layer}"


def _bands(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in str(text).replace(";", ",").split(",") if x.strip())
    except ValueError as exc:
        raise DesignError(
            f"bands must be whole numbers separated by commas, like 1, 3, 6, 11; got {text!r}"
        ) from exc


def fields_from_widgets(ss: Any, categories: pd.DataFrame, places: pd.DataFrame) -> dict:
    """Every design field from the controls' values (not yet validated)."""
    return {
        "granularity": _granularity(ss),
        **table_fields(categories),
        "hidden_groups": tuple(ss[K.HIDDEN_GROUPS]),
        "frequency": ss[K.FREQUENCY],
        "time_precision": ss[K.TIME_PRECISION],
        "counts": ss[K.COUNTS],
        "min_count": int(ss[K.MIN_COUNT]),
        "round_base": int(ss[K.ROUND_BASE]),
        "bands": _bands(ss[K.BANDS]),
        "epsilon": float(ss[K.EPSILON]),
        "noise_seed": int(ss[K.NOISE_SEED]),
        "epsilon_budget": float(ss[K.EPSILON_BUDGET]),
        "totals": bool(ss[K.TOTALS]),
        "police_uk_baseline": bool(ss[K.POLICE_UK]),
        "references": ss[K.REFERENCES],
        **location_fields(places),
        "assumed_households_per_km2": float(ss[K.ASSUMED_DENSITY]),
        "min_unit_area_m2": float(ss[K.MIN_UNIT_AREA]),
        "green_below": float(ss[K.GREEN_BELOW]),
        "red_from": float(ss[K.RED_FROM]),
        "high_risk_line": float(ss[K.HIGH_RISK_LINE]),
        "all_recorded_crime": bool(ss[K.ALL_RECORDED]),
        "attendance_rate": float(ss[K.ATTENDANCE_RATE]),
        "certain_line": float(ss[K.CERTAIN_LINE]),
        "min_households": float(ss[K.MIN_HOUSEHOLDS]),
    }


def dangers_of(data: dict) -> tuple[str, ...]:
    """The dangerous options a set of fields uses (Design.with_ acknowledges them on a
    probe, so the question can be asked before the analyst has acknowledged)."""
    return Design().with_(**{k: v for k, v in data.items()}).dangers()


def build_design(data: dict, acknowledged: dict[str, bool]) -> Design:
    """The design the controls describe; raises DesignError with the reason."""
    ack = tuple(d for d in DANGEROUS if acknowledged.get(d))
    return Design(**data, acknowledge=ack)
