"""Pin a design and compare it with the current one side by side (two maps, two
scores), and the privacy-utility frontier with both marked."""

from __future__ import annotations

import streamlit as st

from crimedash import viz
from crimedash.design import Design
from crimedash.index import Index
from crimedash.ui import compute, mapview, score
from crimedash.ui import state as K


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
    left, right = st.columns(2)
    for col, title, d, suffix in (
        (left, "Pinned design", pinned, "_pinned"),
        (right, "Current design", design, "_current"),
    ):
        with col:
            st.subheader(title)
            a = compute.assessment(index, d, rejected_rows)
            score.headline(a, None, label=f"Identifiability score ({title.lower()})")
            mapview.small_map(index, d, suffix)
            st.caption(_summary(d))
    changed = {
        k: (v, design.to_dict()[k]) for k, v in pinned.to_dict().items() if v != design.to_dict()[k]
    }
    if changed:
        st.markdown("**What differs**")
        st.table({k: {"pinned": str(a), "current": str(b)} for k, (a, b) in changed.items()})
    else:
        st.caption("The current design is the pinned one.")


def _summary(d: Design) -> str:
    return (
        f"{d.spatial.describe()}; updated {d.frequency}; times to the {d.time_precision}; "
        f"{d.counts} counts"
        + (f", suppressed under {d.min_count}" if d.min_count else "")
        + f"; references {d.references}."
    )


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
    st.altair_chart(viz.frontier_chart(df, current=current, pinned=pin_point), width="stretch")
    with st.expander("The swept designs as a table"):
        st.dataframe(df, hide_index=True, width="stretch")
