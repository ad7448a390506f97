"""Two designs on one map, side by side, so panning and zooming move both together.

Streamlit draws each `st.pydeck_chart` as its own deck with its own camera, and pydeck
cannot link two decks (nor give deck.gl the JavaScript `layerFilter` that would keep
each design in its own view of one deck). So both designs go into one deck and one
view: the second design's units, outlines and base map are drawn a fixed distance east
of the first's (the shared extent's width plus a gap), at the same latitudes, so their
shapes and sizes are identical on screen. One camera means every drag, wheel notch and
button moves both maps at once, and the same place sits at the same height in both.
The tooltip names which design a unit belongs to; the shift is only where it is drawn.
"""

from __future__ import annotations

import pandas as pd
import pydeck as pdk

from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.textsafe import html_text
from crimedash.viz.decks import (
    TILE_COVER_WIDTH_PX,
    TOOLTIP_STYLE,
    _deck,
    _unit_layer,
    _unit_px,
    context_layers,
)
from crimedash.viz.framing import framing
from crimedash.viz.places import _rings
from crimedash.viz.style import DEFAULT_PALETTE, MAP_HEIGHT_PX
from crimedash.viz.tiles import bitmap_tile_layers
from crimedash.viz.view import MapView, map_view

__all__ = ["PAIR_GAP", "pair_deck", "pair_offset"]

PAIR_GAP = 0.08  # the gap between the two maps, as a share of the extent's width


def pair_offset(bounds: tuple[float, float, float, float]) -> float:
    """Degrees of longitude between the first design's map and the second's."""
    return (bounds[3] - bounds[2]) * (1 + PAIR_GAP)


def _shift_rings(rings: list, dx: float) -> list:
    return [[[x + dx, y] for x, y in ring] for ring in rings]


def _shifted(layer: pdk.Layer, dx: float, suffix: str) -> pdk.Layer | None:
    """A copy of a context layer drawn `dx` degrees east (None for H3 context hexagons,
    which are drawn by id and cannot move: that map keeps the other's outlines)."""
    rows = [dict(r) for r in (layer.data or [])]
    if any("hex" in r for r in rows):
        return None
    for r in rows:
        if "polygon" in r:
            r["polygon"] = [[x + dx, y] for x, y in r["polygon"]]
        if "lon" in r:
            r["lon"] = r["lon"] + dx
    # the layer's own arguments as given (its attributes hold them already converted)
    return pdk.Layer(layer.type, data=rows, id=f"{layer.id}{suffix}", **layer._kwargs)


def _as_polygons(index: Index, layer: PublicLayer, mv: MapView, dx: float) -> MapView:
    """The view's units as polygon rings moved `dx` east (hexagon ids cannot move)."""
    units = mv.units.copy()
    if mv.kind in ("h3", "h3cluster"):
        geoms = layer.units.geometries(index, mv.codes) if len(mv.codes) else []
        units["polygon"] = _rings(geoms)
        units = units.drop(columns=[c for c in ("hex", "hexagons") if c in units])
    units["polygon"] = [_shift_rings(r, dx) for r in units["polygon"]]
    units["lon"] = units["lon"] + dx
    return MapView(units, mv.legend, mv.window, mv.group, "polygon", mv.note, mv.codes)


def pair_deck(
    index: Index,
    layers: list[PublicLayer],
    titles: list[str],
    edges: list[int],
    bounds: tuple[float, float, float, float],
    zoom_offset: float = 0.0,
    nonce: int = 0,
    height_px: int = MAP_HEIGHT_PX,
    tiles: str | None = None,
    palette: str = DEFAULT_PALETTE,
) -> pdk.Deck:
    """The latest release of each design on one colour scale (`edges`) and one extent
    (`bounds`), side by side in one deck with one camera (see the module's note)."""
    dx = pair_offset(bounds)
    la0, la1, lo0, lo1 = bounds
    whole = (la0, la1, lo0, lo1 + dx * (len(layers) - 1))
    # the pair is drawn about twice as wide as the one map framing assumes: half a step closer
    view_state = framing([], [], None, whole, zoom_offset + 0.5, nonce, height_px).view_state
    drawn: list[pdk.Layer] = []
    labels = []
    for i, (layer, title) in enumerate(zip(layers, titles, strict=True)):
        shift = dx * i
        drawn += bitmap_tile_layers(
            tiles, view_state, TILE_COVER_WIDTH_PX, height_px, shift, f"-pair{i}"
        )
        mv = map_view(index, layer, None, None, palette, edges=edges)
        lat, lon = mv.units["lat"].to_numpy(), mv.units["lon"].to_numpy()
        for c in context_layers(index, lat, lon):
            moved = _shifted(c, shift, f"-pair{i}") if shift else c
            if moved is not None:
                drawn.append(moved)
        moved_view = _as_polygons(index, layer, mv, shift)
        moved_view.units["design"] = title
        km2 = layer.units.area_km2[mv.codes] if len(mv.codes) else [1.0]
        drawn += _unit_layer(
            moved_view, f"pair-{i}-units", _unit_px(view_state, pd.Series(km2).to_numpy())
        )
        labels.append({"name": f"{title}: {mv.window}", "lon": (lo0 + lo1) / 2 + shift, "lat": la1})
    drawn.append(
        pdk.Layer(
            "TextLayer",
            data=pd.DataFrame(labels).assign(name=lambda f: [html_text(n) for n in f["name"]]),
            id="pair-titles",
            get_position=["lon", "lat"],
            get_text="name",
            get_size=15,
            get_color=[20, 20, 20, 255],
            background=True,
            get_background_color=[255, 255, 255, 220],
            get_text_anchor="'middle'",
            get_alignment_baseline="'bottom'",
            pickable=False,
        )
    )
    tooltip = {
        "html": "<b>{design}</b><br/><b>{place}</b><br/>Incidents shown: {label}"
        "<br/>Unit: {size}, {households}",
        "style": TOOLTIP_STYLE,
    }
    return _deck(drawn, view_state, tooltip, height_px)
