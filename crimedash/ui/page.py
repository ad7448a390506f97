"""The dashboard page: data in, the design controls, the public map beside its
identifiability score, comparison, frontier and export. Each section is a short
function in its own module; this one only lays them out and keeps the design in the
URL."""

from __future__ import annotations

import copy

import streamlit as st

from crimedash import cancel
from crimedash.design import Design
from crimedash.errors import CrimedashError
from crimedash.index import Index
from crimedash.ui import (
    background,
    compare,
    compute,
    controls,
    data,
    datatab,
    deckjob,
    export_page,
    fields,
    mapview,
    publication,
    query,
    score,
)
from crimedash.ui import state as K

__all__ = [
    "PROJECTOR_PARAM",
    "PROJECTOR_STYLE",
    "STYLE",
    "TABS",
    "TITLE",
    "UNDO_DEPTH",
    "design_file",
    "keep_in_link",
    "link_moved",
    "main",
    "page_values",
    "remember",
    "resolve",
    "seed_from_link",
    "undo_buttons",
    "widgets_moved",
]

TITLE = "crimedash: design a privacy-safe public crime map"
TABS = ("Map and score", "Compare", "Frontier", "Data", "Export", "Publication")
PROJECTOR_PARAM = "projector"  # ?projector=1 opens the page in projector mode

# Key figures wrap rather than end in an ellipsis ("354,..."), at any width.
STYLE = """<style>
[data-testid="stMetricValue"], [data-testid="stMetricValue"] *,
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  overflow: visible !important; text-overflow: clip !important; white-space: normal !important;
  overflow-wrap: break-word;
}
[data-testid="stColumn"] [data-testid="stColumn"] [data-testid="stMetricValue"] {
  font-size: 1.6rem;
}
</style>"""
# Projector mode: large type, little padding, so map and score share a 1280x720 screen.
PROJECTOR_STYLE = """<style>
html { font-size: 18px; }
.block-container, [data-testid="stMainBlockContainer"] {
  padding-top: 3.4rem !important; padding-bottom: 1rem !important;
}
[data-testid="stMetricValue"] { font-size: 2.6rem !important; line-height: 1.1; }
[data-testid="stColumn"] [data-testid="stColumn"] [data-testid="stMetricValue"] {
  font-size: 1.9rem !important;
}
.cd-verdict, .cd-verdict-words { font-size: 1.15rem; }
[data-testid="stHeader"] { height: 2.2rem; }
</style>"""


def main() -> None:
    ss = st.session_state
    deckjob.new_run()
    data.start_from_link()
    # The elements above the tabs are the same on every run (containers filled or not),
    # so the page keeps its shape and nothing below it is rebuilt needlessly.
    progress = st.empty()
    with progress.container():
        uploads = data.injected()
        if uploads is not None:
            data.handle_upload(uploads)
        ds = data.current()
    progress.empty()
    index = ds.index
    if not ss.get(K.SEEDED):
        if ss.get(K.LAST_VALID) is not None:  # new data: keep the design (and its seed)
            fields.seed(ss[K.LAST_VALID], index)
        else:
            seed_from_link(index)
    elif link_moved() and not widgets_moved(index):
        seed_from_link(index)  # the browser's Back or Forward: show the address's design

    if K.PROJECTOR not in ss:
        ss[K.PROJECTOR] = st.query_params.get(PROJECTOR_PARAM) == "1"
    projector = bool(ss[K.PROJECTOR])
    st.html(STYLE + (PROJECTOR_STYLE if projector else ""))
    if projector:  # the title would push the map below the fold at 1280x720
        st.markdown(f"**{TITLE}** · {index.n:,} incidents from {ss[K.DATASET_LABEL]}")
    else:
        st.title(TITLE)
        st.caption(
            f"{index.n:,} incidents from {ss[K.DATASET_LABEL]}. Trial a design on the left: "
            "the public map and its identifiability score move together."
        )
    messages = st.container()

    with st.sidebar:
        sidebar_top = st.container()
        st.toggle(
            "Projector mode (workshop)",
            key=K.PROJECTOR,
            help="Large type; the map and the score with its verdict on one screen "
            "(1280x720 and up). Hide this sidebar with its « button for more room.",
        )
        mapview.basemap_setting()
        st.header("Map design")
        drawn = controls.draw(index)
    ss[K.CONTROLS_SEEN] = fields.control_values(index)
    background.cancel_other(index, drawn)
    # the score first: workers (other sessions' what-ifs, a map still being built, the
    # warm-up of other units) wait at their next checkpoint until it is worked out
    with cancel.foreground():
        design, a, problem = resolve(index, drawn, ds.rejected_rows)
    with st.sidebar:
        design_file(design, index)
    keep_in_link(design)
    remember(design)
    with sidebar_top:
        undo_buttons(index)
    delta = score.track(design, a.score)
    with messages:
        data.show_load_error()
        if problem:
            st.error(
                f"{data.paragraphs(problem)}\n\nThe map and score still show the last valid design."
            )
        notice = ss.pop(K.NOTICE, None)
        if notice:
            st.info(notice)

    # Every tab runs on every rerun: the forms on the Export tab and the choices on the
    # map keep their values only while their widgets are drawn. The key keeps the open
    # tab across reruns.
    tabs = st.tabs(TABS, key=K.TAB)
    with tabs[0]:
        left, right = st.columns([3, 2], gap="medium")
        # The score's column is filled first: it is on screen while the map's deck
        # (seconds at national scale) is still being built beside it.
        with right:
            score.panel(index, design, a, delta)
            advice_slot = st.container()
            compare.pin_buttons(design)
        with left:
            mapview.panel(index, design, projector)
        score.details(background.known(index, design, a))
    with tabs[1]:
        compare.page(index, design, ds.rejected_rows)
    with tabs[2]:
        compare.frontier_page(index, design, ds.rejected_rows)
    with tabs[3]:
        datatab.page(ds)
    with tabs[4]:
        export_page.page(ds, design, background.known(index, design, a))
    with tabs[5]:
        publication.page(ds, design)
    # Then the maps, built in a worker since the score's column was drawn: waiting for
    # them here, a change stops this run at once instead of after a stale deck.
    deckjob.draw_pending()
    # Last: factors and what-ifs, 10-20x the score's work, fill their slot after
    # everything above is on screen (issue 16: the score first).
    background.complete(advice_slot, index, design, a)
    ss[K.PAGE_SEEN] = page_values()


UNDO_DEPTH = 50


def remember(design: Design) -> None:
    """Keep each new design shown, so Undo can go back to it (and a new change after
    an undo forgets what was undone, as in any editor)."""
    ss = st.session_state
    stack: list[Design] = ss.setdefault(K.UNDO, [])
    if not stack or stack[-1] != design:
        stack.append(design)
        del stack[:-UNDO_DEPTH]
        ss[K.REDO] = []


def _undo(index: Index) -> None:
    ss = st.session_state
    stack, redo = ss.get(K.UNDO, []), ss.setdefault(K.REDO, [])
    if len(stack) > 1:
        redo.append(stack.pop())
        fields.seed(stack[-1], index)


def _redo(index: Index) -> None:
    ss = st.session_state
    stack, redo = ss.setdefault(K.UNDO, []), ss.get(K.REDO, [])
    if redo:
        stack.append(redo.pop())
        fields.seed(stack[-1], index)


def undo_buttons(index: Index) -> None:
    ss = st.session_state
    c1, c2 = st.columns(2)
    c1.button(
        "Undo",
        key=K.UNDO_BUTTON,
        on_click=_undo,
        args=(index,),
        disabled=len(ss.get(K.UNDO, [])) < 2,
        help="Back to the design shown before this one.",
        width="stretch",
    )
    c2.button(
        "Redo",
        key=K.REDO_BUTTON,
        on_click=_redo,
        args=(index,),
        disabled=not ss.get(K.REDO),
        help="Forward again to the design you undid.",
        width="stretch",
    )


def seed_from_link(index: Index) -> None:
    """Fill the controls from the page URL (a shared link), or the defaults."""
    try:
        design = query.params_to_design(st.query_params.to_dict())
    except CrimedashError as exc:
        st.session_state[K.NOTICE] = (
            f"The link's design could not be used ({exc}); showing the default design."
        )
        design = Design()
    fields.seed(design, index)


def resolve(index: Index, drawn: Design | None, rejected_rows: int):
    """The design to show, its assessment, and why the controls' design is not shown
    (None when it is). When the controls do not make a valid design (an unacknowledged
    danger, a layer that is not loaded), the last valid one stays on screen."""
    ss = st.session_state
    problem = ss.get(K.DESIGN_ERROR) if drawn is None else None
    candidates = [d for d in (drawn, ss.get(K.LAST_VALID), Design()) if d is not None]
    for i, design in enumerate(candidates):
        try:
            a = compute.assessment(index, design, rejected_rows)
        except CrimedashError as exc:
            if i == 0 and drawn is not None:
                problem = str(exc)
            continue
        ss[K.LAST_VALID] = design
        return design, a, problem
    raise RuntimeError("the default design could not be assessed")  # a bug, not the user's


def keep_in_link(design: Design) -> None:
    """Write the design into the URL so the address bar always shares it, with the
    page's own parameters (projector mode, the uploaded data's key, the session's
    workspace) beside it."""
    params = query.design_to_params(design)
    if st.session_state.get(K.PROJECTOR):
        params[PROJECTOR_PARAM] = "1"
    key = st.session_state.get(K.DATASET_KEY)
    if key and key != data.SAMPLE_KEY:
        params[data.DATA_PARAM] = key
    if st.session_state.get(K.WORKSPACE):  # a refresh finds this session's work again
        params[data.WORKSPACE_PARAM] = st.session_state[K.WORKSPACE]
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state[K.LAST_LINK] = params


def link_moved() -> bool:
    """Whether the address holds a design the page did not write: the analyst went
    Back or Forward (Streamlit adds a history entry per change of the address and
    reruns on Back), so the controls follow the address instead of overwriting it.
    A change of the projector or data parameter alone is not a design change."""
    last = st.session_state.get(K.LAST_LINK)
    if last is None:
        return False
    page_params = (PROJECTOR_PARAM, data.DATA_PARAM)
    now = {k: v for k, v in st.query_params.to_dict().items() if k not in page_params}
    return now != {k: v for k, v in last.items() if k not in page_params}


def widgets_moved(index: Index) -> bool:
    """Whether the analyst moved a widget for this run. A click sent while the last run
    was still sending its new address carries the address before it, which
    `link_moved` cannot tell from Back; but Back moves no widget. Without this, such a
    click (a control, a tab, the map's choices) reverted the controls to the older
    design and a design change was lost (seen in the browser under load: the page went
    back to a link's weekly design after a later change).

    The design controls are compared with their values as the last run drew them, the
    page's other widgets with their values at the end of the last run (a run a change
    cut short leaves an older snapshot: then a Back may be taken for a change, and the
    page keeps its design, never the other way round). A design pushed into the
    controls by a callback (undo, redo, a what-if, a design file) bumps the editors'
    version: that is a move too, whichever controls it changed."""
    ss = st.session_state
    return _moved(ss.get(K.CONTROLS_SEEN), fields.control_values(index)) or _moved(
        ss.get(K.PAGE_SEEN), page_values()
    )


def _moved(seen: dict | None, now: dict) -> bool:
    # only widgets on screen in both: a click moves one that was drawn, while one the
    # last run did not draw may have left the state (Streamlit's clean-up)
    seen = seen or {}
    return any(now[key] != seen[key] for key in now.keys() & seen.keys())


def page_values() -> dict:
    """The page's widgets besides the design controls (`state.PAGE_WIDGETS`, the
    export and publication tabs' `WIDGETS`), copied, and the version of the design last
    pushed into the controls."""
    ss = st.session_state
    named = {*K.PAGE_WIDGETS, *export_page.WIDGETS, *publication.WIDGETS}
    keys = [
        k for k in ss if isinstance(k, str) and (k in named or k.startswith(K.PAGE_WIDGET_PREFIXES))
    ]
    values = {k: copy.deepcopy(ss[k]) for k in keys}
    values[K.EDITOR_VERSION] = ss.get(K.EDITOR_VERSION)
    return values


def design_file(design: Design, index: Index) -> None:
    st.divider()
    st.download_button(
        "Download this design (JSON)",
        design.to_json(),
        file_name=f"design-{design.fingerprint()}.json",
        mime="application/json",
        width="stretch",
    )
    st.file_uploader(
        "Load a design file",
        type=["json"],
        key=K.DESIGN_UPLOAD,
        on_change=_design_uploaded,
        args=(index,),
    )


def _design_uploaded(index: Index) -> None:
    f = st.session_state.get(K.DESIGN_UPLOAD)
    if f is None:
        return
    try:
        design = Design.from_json(f.getvalue().decode("utf-8", errors="replace"))
    except CrimedashError as exc:
        st.session_state[K.NOTICE] = f"That design file could not be used: {exc}"
        return
    fields.seed(design, index)
    st.session_state[K.NOTICE] = f"Loaded the design from {f.name}."
