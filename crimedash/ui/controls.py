"""The design controls: every setting of a `Design` as a labelled widget.

Widgets are the source of truth while the analyst works; a design from elsewhere (the
link, a design file, a what-if, a new data set) is pushed into them by `seed`, which
writes their session-state keys before they are drawn. Help texts come from
`settings.SETTINGS` (the one table of options), so the app, the CLI and the docs agree.
"""

from __future__ import annotations

import streamlit as st

from crimedash.design import Design
from crimedash.errors import DesignError
from crimedash.index import Index, data_level
from crimedash.schema import LOCATION_TYPES
from crimedash.settings import (
    COUNT_MODES,
    FREQUENCIES,
    GRANULARITY_KINDS,
    H3_MAX,
    H3_MIN,
    REFERENCE_MODES,
    TIME_PRECISIONS,
    precision_for_frequency,
)
from crimedash.ui import state as K
from crimedash.ui.fields import (
    COL_CATEGORY,
    COL_GROUP,
    COL_LABEL,
    COL_PLACE,
    COL_SENS,
    COL_SHOWN,
    COL_WEIGHT,
    COUNT_WORDS,
    FREQUENCY_WORDS,
    KIND_WORDS,
    LOCATION_WORDS,
    NO_AREAS,
    PRECISION_WORDS,
    REFERENCE_WORDS,
    _granularity,
    build_design,
    category_table,
    dangers_of,
    fields_from_widgets,
    helptext,
    location_table,
    table_keys,
)

__all__ = ["draw"]


def _frequency_changed() -> None:
    """A new release frequency raises the time shown to its interval when that is
    coarser, exactly as the CLI's --frequency does (`settings.precision_for_frequency`)."""
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
        key=table_keys(version)[0],
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
    st.checkbox(
        "Judge the plan beyond police.uk's own publication (police.uk files only)",
        key=K.POLICE_UK,
        help=helptext("police_uk_baseline"),
    )

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
            key=table_keys(version)[1],
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
            + ". A weight says how much an incident there points at a person, for the "
            "register linker (¶26-28); the neighbour counts every place alike."
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
            "Red from (score, or % of crimes at homes proven)",
            0.0,
            100.0,
            step=1.0,
            key=K.RED_FROM,
            help=helptext("red_from"),
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
