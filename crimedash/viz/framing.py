"""Where the camera looks: the opening view of a map, the far-away units reported as a
finding rather than fitted, a scale in words and a scale bar drawn on the map.

The camera is placed from unit centres, never from incidents' own coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pydeck as pdk

from crimedash.viz.places import _km2_words
from crimedash.viz.style import COORD_DECIMALS, MAP_HEIGHT_PX, MAP_WIDTH_PX

__all__ = [
    "FAR_SPANS",
    "FRAME_PAD",
    "FRAME_QUANTILE",
    "MIN_SPAN_DEG",
    "SCALE_BAR_PX",
    "Framing",
    "far_note",
    "framing",
    "metres_per_pixel",
    "scale_bar_layers",
    "scale_note",
    "union_bounds",
]


@dataclass(frozen=True)
class Framing:
    """Where a map opens: the box that holds most of what is drawn, and what lies far
    outside it (reported, not fitted: one incident recorded in Wales must not shrink a
    London map to a few pixels)."""

    view_state: pdk.ViewState
    bounds: tuple[float, float, float, float]  # lat0, lat1, lon0, lon1 of the opening view
    far_units: int  # units whose centre is outside `bounds`
    far_weight: float  # what they hold (incidents shown)
    far_km: float  # how far the farthest one is from the box's centre


FRAME_QUANTILE = 0.02  # the core of the data: its central 96% by weight ...
FAR_SPANS = 1.5  # ... and a unit further than 1.5 core spans beyond it is "far"
FRAME_PAD = 0.05  # the view holds every unit that is not far, plus 5% on each side
MIN_SPAN_DEG = 0.01  # ~1 km: never zoom closer than this at opening


def _wquantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    return float(x[order][min(np.searchsorted(cw, q * cw[-1]), len(x) - 1)])


def framing(
    lat: np.ndarray,
    lon: np.ndarray,
    weights: np.ndarray | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    zoom_offset: float = 0.0,
    nonce: int = 0,
    height_px: int = MAP_HEIGHT_PX,
) -> Framing:
    """The opening view: every unit except the far-away ones (beyond 1.5 spans of the
    weighted 2nd-98th percentile box of unit centres), unless `bounds` is given
    (compared maps share one). `zoom_offset` comes from the zoom buttons; `nonce` from
    the reset button (deck.gl re-applies a view only when its numbers change, so each
    reset moves it by a hair)."""
    lat = np.asarray(lat, float)
    lon = np.asarray(lon, float)
    w = np.ones(len(lat)) if weights is None else np.maximum(np.asarray(weights, float), 0.0)
    if bounds is None:
        if not len(lat):
            return Framing(
                pdk.ViewState(latitude=54.0, longitude=-2.0, zoom=5),
                (49.9, 58.7, -6.4, 1.8),
                0,
                0.0,
                0.0,
            )
        ww = np.maximum(w, 1e-9)
        la0, la1 = _wquantile(lat, ww, FRAME_QUANTILE), _wquantile(lat, ww, 1 - FRAME_QUANTILE)
        lo0, lo1 = _wquantile(lon, ww, FRAME_QUANTILE), _wquantile(lon, ww, 1 - FRAME_QUANTILE)
        reach_la = max(la1 - la0, MIN_SPAN_DEG) * FAR_SPANS
        reach_lo = max(lo1 - lo0, MIN_SPAN_DEG) * FAR_SPANS
        near = (
            (lat >= la0 - reach_la)
            & (lat <= la1 + reach_la)
            & (lon >= lo0 - reach_lo)
            & (lon <= lo1 + reach_lo)
        )
        nla, nlo = lat[near], lon[near]
        la0, la1, lo0, lo1 = nla.min(), nla.max(), nlo.min(), nlo.max()
        pad_la = max(la1 - la0, MIN_SPAN_DEG) * FRAME_PAD
        pad_lo = max(lo1 - lo0, MIN_SPAN_DEG) * FRAME_PAD
        bounds = (
            float(la0 - pad_la),
            float(la1 + pad_la),
            float(lo0 - pad_lo),
            float(lo1 + pad_lo),
        )
    la0, la1, lo0, lo1 = bounds
    far = (lat < la0) | (lat > la1) | (lon < lo0) | (lon > lo1)
    mid_la, mid_lo = (la0 + la1) / 2, (lo0 + lo1) / 2
    far_km = 0.0
    if far.any():
        dy = (lat[far] - mid_la) * 111.2
        dx = (lon[far] - mid_lo) * 111.2 * math.cos(math.radians(mid_la))
        far_km = float(np.hypot(dx, dy).max())
    span_lon = max(lo1 - lo0, MIN_SPAN_DEG)
    span_lat = max(la1 - la0, MIN_SPAN_DEG)
    # deck.gl's Web Mercator world is 512 px wide at zoom 0
    z_lon = math.log2(MAP_WIDTH_PX * 360 / (512 * span_lon))
    z_lat = math.log2(height_px * 360 * math.cos(math.radians(mid_la)) / (512 * span_lat))
    zoom = max(3.0, min(16.0, min(z_lon, z_lat))) + zoom_offset
    hair = 1e-7 * (nonce % 2)
    view = pdk.ViewState(
        latitude=round(mid_la, 4) + hair,
        longitude=round(mid_lo, 4) + hair,
        zoom=round(max(1.0, min(18.0, zoom)), 2) + hair,
        min_zoom=1,
        max_zoom=18,
    )
    return Framing(view, bounds, int(far.sum()), float(w[far].sum()), far_km)


def union_bounds(*bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """One box holding several (two compared maps open on the same extent)."""
    return (
        min(b[0] for b in bounds),
        max(b[1] for b in bounds),
        min(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )


def metres_per_pixel(view: pdk.ViewState) -> float:
    return 40_075_016.7 * math.cos(math.radians(view.latitude)) / (512 * 2**view.zoom)


def scale_note(view: pdk.ViewState, unit_km2: float | None = None) -> str:
    """The scale in words for the opening view, beside the bar drawn on the map
    (`scale_bar_layers`), with a typical unit's area."""
    bar = _nice_metres(metres_per_pixel(view) * 100)
    length = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m"
    px = round(bar / metres_per_pixel(view))
    text = f"Scale at the opening view: {px} pixels ≈ {length}."
    if unit_km2:
        text += f" A typical unit covers {_km2_words(unit_km2)}."
    # the bar is drawn on the ground: say why it grows with a wheel zoom
    return text + " The bar on the map is drawn on the ground, so it stays true as you zoom."


def _nice_metres(m: float) -> float:
    """The 1, 2 or 5 x 10^k metres nearest to ``m``: a length a reader takes in at once."""
    k = 10 ** math.floor(math.log10(m))
    return min((1, 2, 5, 10), key=lambda n: abs(math.log10(m / (n * k)))) * k


SCALE_BAR_PX = 4  # the bar's thickness on screen, at every zoom


def scale_bar_layers(view: pdk.ViewState, height_px: int = MAP_HEIGHT_PX) -> list[pdk.Layer]:
    """A scale bar drawn in the map's own coordinates: a line of a round length (about
    100 pixels at the opening view) centred at the bottom of the opening view, with its
    length written above it. Being drawn on the ground, it stays true at every zoom (it grows and
    shrinks with the map), which a bar in screen pixels cannot be without a deck.gl
    widget that Streamlit's deck.gl does not register. Centred, it is on screen at
    opening in any map wider than itself (a corner placement fell off the 404-pixel
    map of a 1280-pixel page); the zoom buttons redraw it at a round length for the
    new zoom.

    Its thickness is in screen pixels. pydeck turns every string argument into a
    JavaScript expression, so `width_units="pixels"` reached deck.gl as a function,
    which it read as metres: the bar once drew as a block the map's whole height. The
    enumerated settings are therefore set on the layer after it is made."""
    mpp = metres_per_pixel(view)
    metres = _nice_metres(100 * mpp)
    m_per_deg_lat = 111_320.0
    m_per_deg_lon = m_per_deg_lat * math.cos(math.radians(view.latitude))
    lon0 = view.longitude - metres / 2 / m_per_deg_lon
    lat0 = view.latitude - (height_px / 2 - 28) * mpp / m_per_deg_lat
    lon1 = lon0 + metres / m_per_deg_lon
    words = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    d = COORD_DECIMALS
    bar = [{"path": [[round(lon0, d), round(lat0, d)], [round(lon1, d), round(lat0, d)]]}]
    label = [{"text": words, "lon": round(view.longitude, d), "lat": round(lat0, d)}]
    path = pdk.Layer(
        "PathLayer",
        data=bar,
        id="scale-bar",
        get_path="path",
        get_color=[30, 30, 30, 255],
        get_width=SCALE_BAR_PX,
        width_min_pixels=SCALE_BAR_PX,
        width_max_pixels=SCALE_BAR_PX,
        cap_rounded=False,
        pickable=False,
    )
    path.width_units = "pixels"
    text = pdk.Layer(
        "TextLayer",
        data=label,
        id="scale-bar-words",
        get_position=["lon", "lat"],
        get_text="text",
        get_size=14,
        get_color=[30, 30, 30, 255],
        get_pixel_offset=[0, -6],
        background=True,
        get_background_color=[255, 255, 255, 220],
        pickable=False,
    )
    text.get_text_anchor = "middle"
    text.get_alignment_baseline = "bottom"
    return [path, text]


def far_note(f: Framing, what: str = "incidents shown") -> str:
    """The far-away units as a finding (empty when there are none)."""
    if not f.far_units:
        return ""
    return (
        f"{f.far_units:,} unit{'s' if f.far_units != 1 else ''} holding {f.far_weight:,.0f} "
        f"{what} lie{'s' if f.far_units == 1 else ''} outside this view, up to "
        f"{f.far_km:,.0f} km from its centre (recorded far from the rest of the data). "
        "Zoom out to see them, or read them in the Table view."
    )
