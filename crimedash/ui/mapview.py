"""The map panel: the public map (units or heat), the risk view of the same units, and
the public layer as a table, with a release selector, a legend and a plain-words note
of what the map shows and does not (¶23)."""

from __future__ import annotations

import streamlit as st

from crimedash import schema as S
from crimedash import viz
from crimedash.design import Design
from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.ui import compute
from crimedash.ui import state as K

VIEWS = ("Public map", "Risk view", "Table")
MODE_WORDS = {"units": "Units coloured by count", "heat": "Smooth heat map"}
MAX_LISTED_WINDOWS = 400  # beyond this (real-time releases) pick a window by position
MAP_HEIGHT = 520


def pick_window(layer: PublicLayer, key_suffix: str = "") -> str | None:
    """The release selector over the windows the design would publish."""
    ss = st.session_state
    labels = layer.window_labels()
    if not labels:
        st.caption("This design publishes nothing, so there is no release to show.")
        return None
    help_ = (
        "Each release of the map shows one window; move through them as the public "
        "would see them, release by release (¶34)."
    )
    if len(labels) <= MAX_LISTED_WINDOWS:
        key = K.WINDOW + key_suffix
        if ss.get(key) not in labels:
            ss[key] = labels[-1]
        return st.select_slider("Release (window)", labels, key=key, help=help_)
    key = K.WINDOW_POS + key_suffix
    if not isinstance(ss.get(key), int) or not 0 <= ss[key] < len(labels):
        ss[key] = len(labels) - 1
    pos = st.slider(
        f"Release (window): one of {len(labels):,}", 0, len(labels) - 1, key=key, help=help_
    )
    st.caption(f"Window: {labels[pos]}")
    return labels[pos]


def pick_group(layer: PublicLayer) -> str | None:
    ss = st.session_state
    choices = viz.group_choices(layer)
    if not choices:
        return None
    if ss.get(K.GROUP) not in choices:
        ss[K.GROUP] = choices[0]
    return st.selectbox(
        "Crime group on the map",
        choices,
        key=K.GROUP,
        help="Each group is published separately; 'All crime' is the total per unit.",
    )


def panel(index: Index, design: Design) -> None:
    """The map, its controls, its legend and what it does and does not show."""
    layer = compute.evaluation(index, design).layer
    c1, c2 = st.columns([3, 2])
    view = c1.radio("View", VIEWS, key=K.VIEW, horizontal=True, help="The same units, three ways.")
    mode = c2.radio(
        "Map style",
        viz.MODES,
        key=K.MAP_MODE,
        format_func=MODE_WORDS.get,
        horizontal=True,
        disabled=view != "Public map",
        help="Both are drawn only from the public layer: unit shapes, or unit centres "
        "weighted by shown counts. Never a raw point (¶21-23).",
    )
    window = pick_window(layer)
    group = pick_group(layer) if view == "Public map" else None
    if window is None:
        return
    if view == "Public map":
        st.pydeck_chart(
            compute.public_deck(index, design, window, mode, group),
            height=MAP_HEIGHT,
            alt=f"Public map of {group or 'all crime'} in {window}: "
            f"{design.spatial.describe()}. The same numbers are in the Table view.",
        )
        mv = viz.map_view(index, layer, window, group)
        c1, c2 = st.columns([1, 2])
        c1.markdown(viz.legend_markdown(mv), unsafe_allow_html=True)
        if mode == "heat":
            c1.caption(
                "The heat map smooths these counts over about one unit; its colours "
                "show where counts are higher, not exact values. Read counts in the "
                "units or table view."
            )
        with c2.container(border=True):
            st.markdown("**What this map shows, and what it does not (¶23)**")
            st.markdown(viz.describe_map(index, layer, mv))
    elif view == "Risk view":
        st.pydeck_chart(
            compute.risk_deck(index, design, window),
            height=MAP_HEIGHT,
            alt=f"Risk view for {window}: each unit coloured by the chance its most "
            "exposed incident is linked. The riskiest units are listed below the map.",
        )
        c1, c2 = st.columns([1, 2])
        c1.markdown(
            viz.key_markdown(
                viz.risk_legend(), "Chance the unit's most exposed incident is linked"
            ),
            unsafe_allow_html=True,
        )
        c2.info(
            "Internal view for the analyst and reviewer: it is not published. Hover a "
            "unit to see why it scores as it does (households, incidents in the window, "
            "group, main attacker)."
        )
    else:
        frame = layer.frame(index)
        st.caption(
            f"The public layer for {window}: one row per unit and group, as it would be "
            "published. Every number is the shown count after disclosure control."
        )
        st.dataframe(
            frame[frame[S.WINDOW] == window], hide_index=True, width="stretch", height=MAP_HEIGHT
        )


def small_map(index: Index, design: Design, key_suffix: str) -> None:
    """A compact public map (latest release) for side-by-side comparison."""
    layer = compute.evaluation(index, design).layer
    if not layer.window_labels():
        st.caption("This design publishes nothing.")
        return
    st.pydeck_chart(
        compute.public_deck(index, design, None, "units", None),
        height=380,
        alt=f"Public map of the latest release: {design.spatial.describe()}.",
    )
    mv = viz.map_view(index, layer)
    st.caption(f"{design.spatial.describe()}; latest release {mv.window}; {mv.group}.")
