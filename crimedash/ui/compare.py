"""Pin a design and compare it with the current one side by side (two maps, two
scores), and the privacy-utility frontier with both marked."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crimedash import categories as C
from crimedash import viz
from crimedash.design import Design
from crimedash.errors import DesignError
from crimedash.index import Index
from crimedash.settings import FREQUENCIES, TIME_LEVELS
from crimedash.ui import compute, fields, mapview, score
from crimedash.ui import state as K

__all__ = [
    "SETTING_WORDS",
    "SUFFIX",
    "differences",
    "frontier_page",
    "frontier_pick",
    "page",
    "pin",
    "pin_buttons",
    "sentence",
    "unpin",
    "value_words",
]


def pin(design: Design) -> None:
    st.session_state[K.PINNED] = design


def unpin() -> None:
    st.session_state.pop(K.PINNED, None)


def pin_buttons(design: Design) -> None:
    """Pin the current design (kept while the analyst tries others)."""
    pinned = st.session_state.get(K.PINNED)
    c1, c2 = st.columns(2)
    c1.button(
        "Pin this design",
        key=K.PIN_BUTTON,
        on_click=pin,
        args=(design,),
        help="Keep this design to compare side by side while you try others.",
        width="stretch",
    )
    if pinned is not None:
        c2.button("Unpin", key=K.UNPIN_BUTTON, on_click=unpin, width="stretch")


def page(index: Index, design: Design, rejected_rows: int) -> None:
    pinned: Design | None = st.session_state.get(K.PINNED)
    if pinned is None:
        st.info(
            "Pin a design (button beside the score) to compare it here with the one you are trying."
        )
        return
    changes = differences(pinned, design)
    if changes:
        st.markdown("**What differs:** " + sentence(changes))
    else:
        st.caption("The current design is the pinned one.")
    edges, bounds = mapview.shared_view(index, [pinned, design])
    zoom, nonce = mapview.current_zoom(SUFFIX)
    st.caption(
        "Both maps are drawn in one map, side by side (pinned on the left), on one colour "
        "scale and one extent: the same colour means the same count, and dragging, the "
        "wheel and the zoom buttons move both together."
    )
    pair = (("Pinned design", pinned), ("Current design", design))
    left, right = st.columns(2)
    for col, (title, d) in zip((left, right), pair, strict=True):
        with col:
            st.subheader(title)
            a = compute.assessment(index, d, rejected_rows)
            score.headline(a, None, label=f"Identifiability score ({title.lower()})")
            st.caption(f"{d.spatial.describe()}.")
    mapview.pair_map(index, [d for _, d in pair], [t for t, _ in pair], edges, bounds, zoom, nonce)
    mapview.zoom_buttons(SUFFIX)
    if changes:
        st.dataframe(
            pd.DataFrame([{"Setting": k, "Pinned": a, "Current": b} for k, a, b in changes]),
            hide_index=True,
            width="stretch",
        )


SUFFIX = "_compare"

SETTING_WORDS = {
    "granularity": "Spatial unit",
    "categories": "Categories shown",
    "grouping": "Groups on the map",
    "sensitivity": "Category sensitivity",
    "hidden_groups": "Groups left off the map",
    "frequency": "Update frequency",
    "time_precision": "Time shown",
    "counts": "Counts",
    "min_count": "Suppression",
    "round_base": "Rounding",
    "bands": "Bands",
    "epsilon": "Noise strength (epsilon)",
    "totals": "Totals published",
    "references": "Reference numbers",
    "location_weights": "Place weights",
    "assumed_households_per_km2": "Assumed households per km²",
    "green_below": "Green below",
    "red_from": "Red from",
    "high_risk_line": "High-risk line",
    "acknowledge": "Dangerous options acknowledged",
}


def value_words(d: Design, name: str) -> str:
    """A design setting's value in the words the controls use (never a code)."""
    v = getattr(d, name)
    if name == "granularity":
        return d.spatial.describe()
    if name == "frequency":
        return fields.FREQUENCY_WORDS[v]
    if name == "time_precision":
        return fields.PRECISION_WORDS[v]
    if name == "counts":
        return fields.COUNT_WORDS[v]
    if name == "references":
        return fields.REFERENCE_WORDS[v]
    if name == "categories":
        return "all categories" if v is None else ", ".join(C.label(c) for c in v) or "none"
    if name == "min_count":
        return f"cells under {v} incidents hidden" if v else "none"
    if name == "totals":
        return "yes" if v else "no"
    if name == "grouping":
        return ", ".join(f"{C.label(c)} in {g}" for c, g in v) or "police.uk groups"
    if name == "sensitivity":
        return ", ".join(f"{C.label(c)} {s:g}" for c, s in v) or "defaults"
    if name == "location_weights":
        return ", ".join(f"{fields.LOCATION_WORDS.get(p, p)} {w:g}" for p, w in v) or "defaults"
    if isinstance(v, tuple):
        return ", ".join(map(str, v)) or "none"
    return f"{v:g}" if isinstance(v, float) else str(v)


def differences(a: Design, b: Design) -> list[tuple[str, str, str]]:
    """(setting, value in a, value in b) for each setting that differs, in words."""
    da, db = a.to_dict(public=True), b.to_dict(public=True)
    return [
        (SETTING_WORDS.get(k, k), value_words(a, k), value_words(b, k))
        for k in da
        if k != "noise_seed" and da[k] != db[k]
    ]


def sentence(changes: list[tuple[str, str, str]]) -> str:
    """The differences as one sentence a workshop can read aloud."""
    parts = [f"{k.lower()} is {b} instead of {a}" for k, a, b in changes]
    return "in the current design, " + "; ".join(parts) + "."


def frontier_page(index: Index, design: Design, rejected_rows: int) -> None:
    st.caption(
        "Score against detail for a sweep of unit kinds and update frequencies (the rest "
        "of the design kept). Designs on the dashed line are efficient: none is both "
        "safer and more detailed."
    )
    if not st.toggle("Compute the frontier (evaluates about 40 designs)", key=K.SHOW_FRONTIER):
        return
    df = compute.frontier(index, design)
    current = viz.design_point(compute.assessment(index, design, rejected_rows))
    pinned = st.session_state.get(K.PINNED)
    pin_point = (
        viz.design_point(compute.assessment(index, pinned, rejected_rows))
        if pinned is not None
        else None
    )
    st.caption("Click a design's point to apply it; Undo (or the browser's Back) returns.")

    def picked() -> None:
        state = st.session_state.get(K.FRONTIER_CHART) or {}
        chosen = frontier_pick(design, state.get("selection") or {})
        if chosen is not None and chosen != design:
            score.apply(chosen, index)

    st.altair_chart(
        viz.frontier_chart(df, current=current, pinned=pin_point, selectable=True),
        width="stretch",
        key=K.FRONTIER_CHART,
        on_select=picked,
        selection_mode=viz.FRONTIER_PICK,
    )
    with st.expander("The swept designs as a table"):
        st.dataframe(df, hide_index=True, width="stretch")


def frontier_pick(design: Design, selection: dict) -> Design | None:
    """The design a click on the frontier picks: the current design with the clicked
    point's unit kind and frequency, and the time shown at that frequency's interval,
    exactly as the frontier swept it (`advice.frontier`). None when nothing is picked
    or the pick is not a valid design (then the controls stay as they are)."""
    rows = selection.get(viz.FRONTIER_PICK) or []
    if not rows or not isinstance(rows[0], dict):
        return None
    gran, freq = rows[0].get("granularity"), rows[0].get("frequency")
    if freq not in FREQUENCIES or not isinstance(gran, str):
        return None
    try:
        return design.with_(
            granularity=gran, frequency=freq, time_precision=TIME_LEVELS[FREQUENCIES.index(freq)]
        )
    except DesignError:
        return None
