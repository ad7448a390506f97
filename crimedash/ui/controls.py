"""The design controls: every setting of a `Design` as a labelled widget.

Widgets are the source of truth while the analyst works; a design from elsewhere (the
link, a design file, a what-if, a new data set) is pushed into them by `seed`, which
writes their session-state keys before they are drawn. Help texts come from
`design.SETTINGS` (the one table of options), so the app, the CLI and the docs agree.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from crimedash import categories as C
from crimedash.design import (
    COUNT_MODES,
    DANGEROUS,
    DEFAULT_LOCATION_WEIGHTS,
    FREQUENCIES,
    GRANULARITY_KINDS,
    H3_MAX,
    H3_MIN,
    REFERENCE_MODES,
    SETTINGS_BY_NAME,
    TIME_PRECISIONS,
    Design,
    precision_for_frequency,
)
from crimedash.errors import DesignError
from crimedash.index import Index, data_level
from crimedash.schema import LOCATION_TYPES
from crimedash.ui import state as K

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


# --- drawing ---------------------------------------------------------------------------------
def _frequency_changed() -> None:
    """A new release frequency raises the time shown to its interval when that is
    coarser, exactly as the CLI's --frequency does (`design.precision_for_frequency`)."""
    ss = st.session_state
    ss[K.TIME_PRECISION] = precision_for_frequency(ss[K.FREQUENCY], ss[K.TIME_PRECISION])


def draw(index: Index) -> Design | None:
    """Draw every control; return the design they describe, or None (with the reason in
    state) when it is not valid yet, for example an unacknowledged danger."""
    ss = st.session_state
    applied: Design = ss[K.APPLIED_DESIGN]
    version = ss[K.EDITOR_VERSION]

    st.subheader("Where: spatial unit")
    st.radio(
        "Kind of unit",
        GRANULARITY_KINDS,
        key=K.GRAN_KIND,
        format_func=KIND_WORDS.get,
        help=helptext("granularity"),
    )
    kind = ss[K.GRAN_KIND]
    st.slider(
        "Hexagon size: H3 resolution (higher is smaller; 15 is a household pin, ¶21)",
        H3_MIN,
        H3_MAX,
        key=K.H3_RES,
        disabled=kind != "h3",
        help="Resolution 7 is about 5 km², 8 about 0.7 km², 9 about 0.1 km², 10 about "
        "0.015 km² (a street block), 13 about one building. " + helptext("granularity"),
    )
    st.number_input(
        "Grid square size (metres)",
        min_value=10,
        max_value=100_000,
        step=50,
        key=K.GRID_M,
        disabled=kind != "grid",
        help="Squares of the British National Grid (or a local metric grid abroad); "
        "under 20 m is a household pin (¶21, ¶35).",
    )
    areas = list(index.areas) or [NO_AREAS]
    if ss.get(K.AREA_LAYER) not in areas:
        ss[K.AREA_LAYER] = areas[0]
    st.selectbox(
        "Area layer",
        areas,
        key=K.AREA_LAYER,
        disabled=kind != "areas" or not index.areas,
        help="Output areas, beats or wards from the Data tab (¶16: larger areas, lower risk).",
    )
    st.number_input(
        "Adaptive: households each unit must cover (K)",
        min_value=1,
        max_value=100_000,
        step=10,
        key=K.ADAPTIVE_K,
        disabled=kind != "adaptive",
        help="The finest hexagons in which every published unit covers at least K "
        "households (¶19: more households, lower risk). A census output area holds 40 or more.",
    )

    if "household_pins" in dangers_of({"granularity": _granularity(ss)}):
        st.checkbox(
            "I am trialling household pins on purpose (the guidance does not favour them, ¶21)",
            key=K.ACK_PINS,
            help="Dangerous options need an explicit step, as OpenDP's 'contrib' features do.",
        )

    st.subheader("What: crime categories")
    cat_table = st.data_editor(
        category_table(applied, index),
        key=f"{K.CATEGORY_TABLE}_{version}",
        hide_index=True,
        disabled=[COL_CATEGORY, COL_LABEL],
        column_order=[COL_LABEL, COL_SHOWN, COL_GROUP, COL_SENS],
        width="stretch",
        column_config={
            COL_SHOWN: st.column_config.CheckboxColumn(help=helptext("categories")),
            COL_GROUP: st.column_config.TextColumn(help=helptext("grouping")),
            COL_SENS: st.column_config.NumberColumn(
                min_value=0.0, max_value=1.0, step=0.05, help=helptext("sensitivity")
            ),
        },
    )
    groups = sorted({str(g) for g in cat_table[COL_GROUP] if isinstance(g, str) and g.strip()})
    ss[K.HIDDEN_GROUPS] = [g for g in ss.get(K.HIDDEN_GROUPS, []) if g in groups]
    st.multiselect(
        "Groups left off the map",
        groups,
        key=K.HIDDEN_GROUPS,
        help=helptext("hidden_groups"),
    )

    st.subheader("When: updates and time shown")
    st.radio(
        "Update frequency",
        FREQUENCIES,
        key=K.FREQUENCY,
        format_func=FREQUENCY_WORDS.get,
        horizontal=True,
        help=helptext("frequency"),
        on_change=_frequency_changed,
    )
    st.radio(
        "Time shown for each incident",
        TIME_PRECISIONS,
        key=K.TIME_PRECISION,
        format_func=PRECISION_WORDS.get,
        horizontal=True,
        help=helptext("time_precision"),
    )
    finest = data_level(index)
    st.caption(
        f"The data gives times to the {'minute' if finest == 'timestamp' else finest}; "
        "finer choices show no more. A neighbour "
        "comparing releases tells apart windows of the finer of the update interval and "
        "the time shown (¶34)."
    )

    st.subheader("How counts are shown")
    st.radio(
        "Counts",
        COUNT_MODES,
        key=K.COUNTS,
        format_func=COUNT_WORDS.get,
        horizontal=True,
        help=helptext("counts"),
    )
    counts = ss[K.COUNTS]
    st.number_input(
        "Suppress cells with fewer incidents than (0: none)",
        min_value=0,
        max_value=1000,
        key=K.MIN_COUNT,
        help=helptext("min_count"),
    )
    st.number_input(
        "Round counts to the nearest",
        min_value=2,
        max_value=1000,
        key=K.ROUND_BASE,
        disabled=counts != "rounded",
        help=helptext("round_base"),
    )
    st.text_input(
        "Bands: lower edges",
        key=K.BANDS,
        disabled=counts != "banded",
        help=helptext("bands") + " Like the guidance's map key (1 to 2, 3 to 5, ...).",
    )
    st.number_input(
        "Noise: epsilon (smaller is more private)",
        min_value=0.01,
        max_value=20.0,
        step=0.1,
        key=K.EPSILON,
        disabled=counts != "noise",
        help=helptext("epsilon"),
    )
    st.number_input(
        "Noise: seed (kept in the review record, never published)",
        min_value=0,
        step=1,
        key=K.NOISE_SEED,
        disabled=counts != "noise",
        help=helptext("noise_seed"),
    )
    st.number_input(
        "Noise: privacy budget of the series (total epsilon)",
        min_value=0.01,
        max_value=100.0,
        step=0.5,
        key=K.EPSILON_BUDGET,
        disabled=counts != "noise",
        help=helptext("epsilon_budget"),
    )
    st.checkbox("Publish an 'All crime' total per unit", key=K.TOTALS, help=helptext("totals"))

    st.subheader("Reference numbers")
    st.radio(
        "Reference numbers on the map",
        REFERENCE_MODES,
        key=K.REFERENCES,
        format_func=REFERENCE_WORDS.get,
        help=helptext("references"),
    )
    if "full_references" in dangers_of({"references": ss[K.REFERENCES]}):
        st.checkbox(
            "I am trialling full reference numbers on purpose (¶24-25)",
            key=K.ACK_REFERENCES,
            help="Insurers and councils hold numbers with names (¶25).",
        )

    with st.expander("Sensitivity of places and review thresholds"):
        places = st.data_editor(
            location_table(applied),
            key=f"{K.LOCATION_TABLE}_{version}",
            hide_index=True,
            disabled=[COL_PLACE],
            width="stretch",
            column_config={
                COL_PLACE: st.column_config.SelectboxColumn(
                    options=[str(t) for t in LOCATION_TYPES], help="¶26-28"
                ),
                COL_WEIGHT: st.column_config.NumberColumn(
                    min_value=0.0, max_value=1.0, step=0.05, help=helptext("location_weights")
                ),
            },
        )
        st.caption(
            "Places: "
            + "; ".join(f"{k} = {v}" for k, v in LOCATION_WORDS.items())
            + ". A weight says how much an incident there points at a person (¶26-28)."
        )
        st.number_input(
            "Assumed households per km² (used only without a households layer)",
            min_value=1.0,
            max_value=100_000.0,
            step=100.0,
            key=K.ASSUMED_DENSITY,
            disabled=index.has_households,
            help=helptext("assumed_households_per_km2"),
        )
        st.number_input(
            "Smallest adaptive unit (m²)",
            min_value=1.0,
            max_value=10_000_000.0,
            step=1000.0,
            key=K.MIN_UNIT_AREA,
            help=helptext("min_unit_area_m2"),
        )
        st.number_input(
            "Green below score",
            0.0,
            100.0,
            step=1.0,
            key=K.GREEN_BELOW,
            help=helptext("green_below"),
        )
        st.number_input(
            "Red from score", 0.0, 100.0, step=1.0, key=K.RED_FROM, help=helptext("red_from")
        )
        st.slider(
            "High-risk line (chance of being linked)",
            0.05,
            1.0,
            step=0.05,
            key=K.HIGH_RISK_LINE,
            help=helptext("high_risk_line"),
        )
        st.number_input(
            "Green only while certain disclosures stay below (share)",
            0.0,
            1.0,
            step=0.005,
            format="%.3f",
            key=K.CERTAIN_LINE,
            help=helptext("certain_line"),
        )
        st.number_input(
            "Green only with no published cell in units under (households)",
            0.0,
            10_000.0,
            step=1.0,
            key=K.MIN_HOUSEHOLDS,
            help=helptext("min_households"),
        )
        st.checkbox(
            "The data holds all recorded crime (a police.uk all-category download does)",
            key=K.ALL_RECORDED,
            help=helptext("all_recorded_crime"),
        )
        st.number_input(
            "Police attendances per household per month (partial extracts only)",
            0.001,
            10.0,
            step=0.005,
            format="%.3f",
            key=K.ATTENDANCE_RATE,
            disabled=bool(ss.get(K.ALL_RECORDED, True)),
            help=helptext("attendance_rate"),
        )

    try:
        data = fields_from_widgets(ss, cat_table, places)
        dangers = dangers_of(data)
    except DesignError as exc:
        ss[K.DESIGN_ERROR] = str(exc)
        return None
    try:
        design = build_design(
            data,
            {
                "household_pins": "household_pins" in dangers and ss.get(K.ACK_PINS),
                "full_references": "full_references" in dangers and ss.get(K.ACK_REFERENCES),
            },
        )
    except DesignError as exc:
        ss[K.DESIGN_ERROR] = str(exc)
        return None
    ss.pop(K.DESIGN_ERROR, None)
    return design
