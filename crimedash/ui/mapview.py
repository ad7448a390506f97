"""The map panel: the public map (units or heat), the risk view of the same units, and
the public layer as a table, with a release selector, a legend and a plain-words note
of what the map shows and does not (¶23)."""

from __future__ import annotations

import html
import os

import numpy as np
import streamlit as st

from crimedash import schema as S
from crimedash import viz
from crimedash.design import Design
from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.ui import compute
from crimedash.ui import state as K

__all__ = [
    "MAP_HEIGHT",
    "MAX_LISTED_WINDOWS",
    "MODE_WORDS",
    "PLAY_STEP_S",
    "PROJECTOR_MAP_HEIGHT",
    "SMALL_MAP_HEIGHT",
    "TREND_UNITS",
    "VIEWS",
    "basemap_setting",
    "credit",
    "current_zoom",
    "map_notes",
    "pair_map",
    "panel",
    "pick_group",
    "pick_window",
    "playback",
    "png_button",
    "shared_view",
    "trend",
    "zoom_buttons",
]

VIEWS = ("Public map", "Risk view", "Table")
MODE_WORDS = {"units": "Units coloured by count", "heat": "Smooth heat map"}
MAX_LISTED_WINDOWS = 400  # beyond this (real-time releases) pick a window by position
MAP_HEIGHT = 520
SMALL_MAP_HEIGHT = 380  # each of two compared maps
PROJECTOR_MAP_HEIGHT = 400  # with the zoom row, fits 1280x720 beside the score


def basemap_setting() -> None:
    """The analyst's tile server (sidebar): seeded from $CRIMEDASH_TILES, checked here so
    a typo is said, and off when empty. Tiles are fetched by the browser from that
    server, which then learns which area is looked at: name the force's own server."""
    ss = st.session_state
    if K.TILES_INPUT not in ss:
        try:
            ss[K.TILES_INPUT] = viz.tile_template() or ""
        except viz.TileSettingError:
            ss[K.TILES_INPUT] = os.environ.get(viz.TILES_ENV, "")
    with st.expander("Base map", expanded=bool(ss[K.TILES_INPUT])):
        text = st.text_input(
            "Tile server (URL template)",
            key=K.TILES_INPUT,
            placeholder="https://tiles.example.org/{z}/{x}/{y}.png",
            help="An OpenStreetMap-style tile server, ideally your force's own: the "
            "browser asks it for the tiles under the map, so it learns which area you "
            f"look at. Empty: no base map (area outlines and names instead). Default: "
            f"${viz.TILES_ENV}.",
        )
        try:
            ss[K.TILES] = viz.tile_template(text)
        except viz.TileSettingError as e:
            ss[K.TILES] = None
            st.error(str(e))


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
        if not key_suffix:
            _advance(key, labels)
        chosen = st.select_slider("Release (window)", labels, key=key, help=help_)
        if not key_suffix and len(labels) > 1:
            playback(key, labels)
        return chosen
    key = K.WINDOW_POS + key_suffix
    if not isinstance(ss.get(key), int) or not 0 <= ss[key] < len(labels):
        ss[key] = len(labels) - 1
    pos = st.slider(
        f"Release (window): one of {len(labels):,}", 0, len(labels) - 1, key=key, help=help_
    )
    st.caption(f"Window: {labels[pos]}")
    return labels[pos]


PLAY_STEP_S = 1.5  # seconds per release while playing: time to read each map


def _advance(key: str, labels: list[str]) -> None:
    """One step of playback, when the timer asked for it: the next release, and the
    playback stops after the last (runs before the slider is drawn, so it may move it)."""
    ss = st.session_state
    if not ss.pop(K.PLAY_STEP, False) or not ss.get(K.PLAYING):
        return
    i = labels.index(ss[key])
    if i + 1 < len(labels):
        ss[key] = labels[i + 1]
    if i + 2 >= len(labels):
        ss[K.PLAYING] = False


def playback(key: str, labels: list[str]) -> None:
    """Time playback of the releases (as kepler.gl's time slider): Play steps through
    the windows one by one, as the public would see them appear; Stop holds the one
    shown. The step comes from a timed fragment that reruns the page."""
    ss = st.session_state

    def started() -> None:
        if ss.get(K.PLAYING) and ss.get(key) == labels[-1]:
            ss[key] = labels[0]  # from the start when the last one is shown

    st.toggle(
        "Play the releases",
        key=K.PLAYING,
        on_change=started,
        help=f"Step through the releases, one every {PLAY_STEP_S:g} seconds.",
    )
    if ss.get(K.PLAYING):
        ss[K.PLAY_TICKS] = 0  # a whole-page run restarts the clock; only its own reruns step
        _tick()


@st.fragment(run_every=PLAY_STEP_S)
def _tick() -> None:
    """Reruns itself every step while playing; each time it asks the page for the next
    release (the first run, when Play is pressed, only starts the clock)."""
    ss = st.session_state
    if not ss.get(K.PLAYING):
        return
    if ss.get(K.PLAY_TICKS, 0) > 0:
        ss[K.PLAY_STEP] = True
        ss[K.PLAY_TICKS] = 0
        st.rerun(scope="app")
    ss[K.PLAY_TICKS] = 1


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


def current_zoom(key_suffix: str = "") -> tuple[float, int]:
    """(zoom steps, reset count) set by the zoom buttons (they run as callbacks, so the
    values are ready before the map is drawn above them)."""
    ss = st.session_state
    return float(ss.get(K.ZOOM + key_suffix, 0.0)), int(ss.get(K.VIEW_NONCE + key_suffix, 0))


def zoom_buttons(key_suffix: str = "") -> None:
    """Zoom in, zoom out and reset: buttons a keyboard reaches (Tab, Enter), beside the
    map's own wheel, drag and arrow keys (+/- and arrows once the map has focus)."""
    ss = st.session_state
    zoom_key, nonce_key = K.ZOOM + key_suffix, K.VIEW_NONCE + key_suffix
    ss.setdefault(zoom_key, 0.0)
    ss.setdefault(nonce_key, 0)

    def step(by: float) -> None:
        ss[zoom_key] = float(min(8.0, max(-6.0, ss[zoom_key] + by)))

    def reset() -> None:
        ss[zoom_key] = 0.0
        ss[nonce_key] += 1

    c1, c2, c3 = st.columns(3)
    c1.button("+ Zoom in", key=K.ZOOM_IN + key_suffix, on_click=step, args=(1.0,), width="stretch")
    c2.button(
        "- Zoom out", key=K.ZOOM_OUT + key_suffix, on_click=step, args=(-1.0,), width="stretch"
    )
    c3.button(
        "Reset view",
        key=K.ZOOM_RESET + key_suffix,
        icon=":material/center_focus_strong:",
        on_click=reset,
        width="stretch",
        help="Back to the opening view: where most of the data is.",
    )


def png_button(index: Index, design: Design, window: str, group: str | None) -> None:
    """Download the public map as a PNG, drawn on the server from the public layer
    (made only when clicked: a national map takes seconds)."""

    def make() -> bytes:
        return viz.map_png(index, compute.evaluation(index, design).layer, window, group)

    st.download_button(
        "Download this map (PNG)",
        data=make,
        file_name=f"crimedash-map-{design.fingerprint()}-{window}.png".replace(" ", "_"),
        mime="image/png",
        key=K.PNG_BUTTON,
        on_click="ignore",
        icon=":material/download:",
        help="The public map of this release and group with its key, as it would be "
        "published (no base map).",
    )


def credit() -> None:
    """The base map's credit line, when tiles are drawn (OpenStreetMap's licence asks it)."""
    words = viz.attribution(compute.tiles())
    if words:
        st.caption(words)


def map_notes(f: viz.Framing, unit_km2: float | None, what: str = "incidents shown") -> None:
    """The scale in words and the far-away units as a finding."""
    far = viz.far_note(f, what)
    if far:
        st.warning(far)
    st.caption(viz.scale_note(f.view_state, unit_km2))


def panel(index: Index, design: Design, projector: bool = False) -> None:
    """The map, its controls, its legend and what it does and does not show. In
    projector mode the map comes first so that it and the score share the screen."""
    layer = compute.evaluation(index, design).layer
    # The map comes first (its choices below it) so that it shares the first screen
    # with the score; the choices are drawn first in code because the map needs them.
    map_slot, control_slot = st.container(), st.container()
    with control_slot:
        c1, c2 = st.columns([3, 2])
        view = c1.radio(
            "View", VIEWS, key=K.VIEW, horizontal=True, help="The same units, three ways."
        )
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
    height = PROJECTOR_MAP_HEIGHT if projector else MAP_HEIGHT
    with map_slot:
        if view == "Table":
            _table(index, layer, window, height)
            return
    zoom, nonce = current_zoom()
    if view == "Public map":
        mv = viz.map_view(index, layer, window, group)
        f = viz.framing(
            mv.units["lat"], mv.units["lon"], mv.units["value"].to_numpy(), height_px=height
        )
        km2 = _median_km2(layer, mv.codes)
        with map_slot:
            st.pydeck_chart(
                compute.public_deck(
                    index, design, window, mode, group, None, None, zoom, nonce, height
                ),
                height=height,
                alt=f"Public map of {group or 'all crime'} in {window}: "
                f"{design.spatial.describe()}. The same numbers are in the Table view.",
            )
            st.markdown(viz.legend_markdown(mv), unsafe_allow_html=True)
            zoom_buttons()
            credit()
            png_button(index, design, window, group)
        with control_slot:
            trend(index, layer, mv)
            map_notes(f, km2)
            if mode == "heat":
                st.caption(
                    "The heat map smooths these counts over about one unit; its colours "
                    "show where counts are higher, not exact values. Read counts in the "
                    "units or table view."
                )
            with st.container(border=True):
                st.markdown("**What this map shows, and what it does not (¶23)**")
                st.markdown(viz.describe_map(index, layer, mv))
    else:
        with map_slot:
            st.pydeck_chart(
                compute.risk_deck(index, design, window, zoom, nonce, height),
                height=height,
                alt=f"Risk view for {window}: each unit coloured by the chance its most "
                "exposed incident is linked. The riskiest units are listed below the map.",
            )
            st.markdown(
                viz.key_markdown(
                    viz.risk_legend(), "Chance the unit's most exposed incident is linked", True
                ),
                unsafe_allow_html=True,
            )
            zoom_buttons()
            credit()
        with control_slot:
            st.info(
                "Internal view for the analyst and reviewer: it is not published. Hover a "
                "unit to see why it scores as it does (place, size, households, incidents "
                "in the window, group, main attacker)."
            )
            ones, twos = viz.small_cells(layer)
            st.altair_chart(viz.risk_histogram(compute.evaluation(index, design)), width="stretch")
            st.caption(
                f"{ones:,} published cells (unit, window and group) hold a single incident "
                f"and {twos:,} hold two: the first places an attacker looks."
            )


TREND_UNITS = 200  # units offered for a trend: the busiest in the release shown


def trend(index: Index, layer: PublicLayer, mv: viz.MapView) -> None:
    """A unit's shown count over the releases (as police.uk shows for an area), for a
    unit picked by its place: the busiest units of the release on the map."""
    if mv.units.empty:
        return
    top = mv.units.nlargest(TREND_UNITS, "value")
    words = {
        str(u): f"{html.unescape(str(p))} ({lab} shown)"
        for u, p, lab in zip(top[S.UNIT], top["place"], top["label"], strict=True)
    }
    choices = [None, *words]
    if st.session_state.get(K.TREND_UNIT) not in choices:
        st.session_state[K.TREND_UNIT] = None
    unit = st.selectbox(
        "Trend of one unit, release by release",
        choices,
        key=K.TREND_UNIT,
        format_func=lambda u: (
            "(pick a unit: the busiest are listed first)" if u is None else words[u]
        ),
        help="Hover a unit on the map to read its place; pick it here to see its counts "
        "in every release.",
    )
    if unit is not None:
        place = words[unit].rsplit(" (", 1)[0]
        st.altair_chart(viz.trend_chart(layer.frame(index), unit, mv.group, place), width="stretch")


def _median_km2(layer: PublicLayer, codes) -> float | None:
    return float(np.median(layer.units.area_km2[codes])) if len(codes) else None


def _table(index: Index, layer: PublicLayer, window: str, height: int) -> None:
    frame = layer.frame(index)
    st.caption(
        f"The public layer for {window}: one row per unit and group, as it would be "
        "published. Every number is the shown count after disclosure control."
    )
    st.dataframe(frame[frame[S.WINDOW] == window], hide_index=True, width="stretch", height=height)


def pair_map(
    index: Index,
    designs: list[Design],
    titles: list[str],
    edges: tuple[int, ...],
    bounds: tuple[float, float, float, float],
    zoom: float = 0.0,
    nonce: int = 0,
) -> None:
    """Two designs' latest releases in one map with one camera (synced pan and zoom),
    on the shared colour scale and extent, with the one key they share."""
    layers = [compute.evaluation(index, d).layer for d in designs]
    if not all(ly.window_labels() for ly in layers):
        st.caption("A design publishes nothing, so there is no map to compare.")
        return
    st.pydeck_chart(
        compute.pair_deck(index, designs, titles, edges, bounds, zoom, nonce, SMALL_MAP_HEIGHT),
        height=SMALL_MAP_HEIGHT,
        alt="The pinned design's public map (left) and the current design's (right), "
        "latest release, on one colour scale.",
    )
    for title, ly in zip(titles, layers, strict=True):
        mv = viz.map_view(index, ly, edges=list(edges))
        key = viz.legend_markdown(mv).replace("**", f"**{title}: ", 1)
        st.markdown(key, unsafe_allow_html=True)
    credit()


def shared_view(
    index: Index, designs: list[Design]
) -> tuple[tuple[int, ...], tuple[float, float, float, float]]:
    """One colour scale and one opening extent for maps compared side by side, so the
    same colour means the same count and the same place sits in the same spot."""
    layers = [compute.evaluation(index, d).layer for d in designs]
    edges = tuple(viz.shared_edges(index, layers))
    boxes = []
    for ly in layers:
        if ly.window_labels():
            mv = viz.map_view(index, ly)
            boxes.append(viz.framing(mv.units["lat"], mv.units["lon"], mv.units["value"]).bounds)
    bounds = viz.union_bounds(*boxes) if boxes else viz.framing([], []).bounds
    return edges, bounds
