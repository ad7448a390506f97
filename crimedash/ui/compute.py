"""Engine calls, cached so a control change recomputes only what changed.

Every result is keyed by the index's fingerprint and the design's JSON (a design is a
value), so going back to an earlier design, or comparing with a pinned one, costs
nothing. The index itself is never hashed: it is passed as an underscore argument.
"""

from __future__ import annotations

import pandas as pd
import pydeck as pdk
import streamlit as st

from crimedash import advice, risk, viz
from crimedash import assessment as assessment_
from crimedash.design import Design
from crimedash.index import Index
from crimedash.ui import state as K

__all__ = [
    "CACHE_ENTRIES",
    "assessment",
    "evaluation",
    "frontier",
    "pair_deck",
    "public_deck",
    "risk_deck",
    "tiles",
]

CACHE_ENTRIES = 64


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _evaluation(fingerprint: str, design_json: str, _index: Index, _design: Design):
    return risk.evaluate(_index, _design)


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _assessment(fingerprint: str, design_json: str, rejected: int, _index: Index, _design: Design):
    # The score alone, on the map's own evaluation: one evaluation per change, not 13.
    # Factors, what-ifs and utility follow from ui.background once the page is drawn.
    return assessment_.assess(
        _index,
        _design,
        rejected_rows=rejected,
        with_what_ifs=False,
        with_utility=False,
        evaluation=evaluation(_index, _design),
    )


@st.cache_resource(max_entries=8, show_spinner="Sweeping designs for the frontier...")
def _frontier(fingerprint: str, design_json: str, _index: Index, _design: Design):
    return advice.frontier(_index, _design)


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _public_deck(
    fingerprint: str,
    design_json: str,
    window: str | None,
    mode: str,
    group: str | None,
    view: tuple,
    _index: Index,
    _design: Design,
) -> pdk.Deck:
    layer = evaluation(_index, _design).layer
    edges, bounds, zoom_offset, nonce, height, tiles = view
    return viz.public_deck(
        _index,
        layer,
        window=window,
        mode=mode,
        group=group,
        edges=None if edges is None else list(edges),
        bounds=bounds,
        zoom_offset=zoom_offset,
        nonce=nonce,
        height_px=height,
        tiles=tiles,
    )


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _risk_deck(
    fingerprint: str,
    design_json: str,
    window: str | None,
    view: tuple,
    _index: Index,
    _design: Design,
) -> pdk.Deck:
    zoom_offset, nonce, height, tiles = view
    return viz.risk_deck(
        _index,
        evaluation(_index, _design),
        window=window,
        zoom_offset=zoom_offset,
        nonce=nonce,
        height_px=height,
        tiles=tiles,
    )


def evaluation(index: Index, design: Design) -> risk.Evaluation:
    return _evaluation(index.fingerprint, design.to_json(), index, design)


def assessment(index: Index, design: Design, rejected_rows: int = 0) -> risk.Assessment:
    return _assessment(index.fingerprint, design.to_json(), rejected_rows, index, design)


def frontier(index: Index, design: Design) -> pd.DataFrame:
    return _frontier(index.fingerprint, design.to_json(), index, design)


def public_deck(
    index: Index,
    design: Design,
    window: str | None,
    mode: str,
    group: str | None,
    edges: tuple[int, ...] | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    zoom_offset: float = 0.0,
    nonce: int = 0,
    height: int = viz.MAP_HEIGHT_PX,
) -> pdk.Deck:
    view = (edges, bounds, zoom_offset, nonce, height, tiles())
    return _public_deck(
        index.fingerprint, design.to_json(), window, mode, group, view, index, design
    )


def risk_deck(
    index: Index,
    design: Design,
    window: str | None,
    zoom_offset: float = 0.0,
    nonce: int = 0,
    height: int = viz.MAP_HEIGHT_PX,
) -> pdk.Deck:
    return _risk_deck(
        index.fingerprint,
        design.to_json(),
        window,
        (zoom_offset, nonce, height, tiles()),
        index,
        design,
    )


def tiles() -> str | None:
    """The base-map tile template the analyst set in the sidebar (checked there), or
    None: maps are drawn without tiles unless a server is named."""
    value = st.session_state.get(K.TILES)
    return value or None


@st.cache_resource(max_entries=8, show_spinner=False)
def _pair_deck(
    fingerprint: str, designs_json: tuple, titles: tuple, view: tuple, _index: Index, _designs
) -> pdk.Deck:
    edges, bounds, zoom_offset, nonce, height, tiles_ = view
    layers = [evaluation(_index, d).layer for d in _designs]
    return viz.pair_deck(
        _index, layers, list(titles), list(edges), bounds, zoom_offset, nonce, height, tiles_
    )


def pair_deck(
    index: Index,
    designs: list[Design],
    titles: list[str],
    edges: tuple[int, ...],
    bounds: tuple[float, float, float, float],
    zoom_offset: float = 0.0,
    nonce: int = 0,
    height: int = viz.MAP_HEIGHT_PX,
) -> pdk.Deck:
    view = (tuple(edges), bounds, zoom_offset, nonce, height, tiles())
    return _pair_deck(
        index.fingerprint,
        tuple(d.to_json() for d in designs),
        tuple(titles),
        view,
        index,
        designs,
    )
