"""A base map from a tile server the analyst configures (off unless one is set).

An analyst reads a crime map against streets and place names, but crimedash must not
reach a CDN or a map vendor on its own: the map is for data that is not yet public, and
the tile server learns which area is being looked at. So tiles come only from a server
the analyst names, typically the force's own, as an OpenStreetMap-style URL template
(`https://tiles.example.police.uk/{z}/{x}/{y}.png`), set in `$CRIMEDASH_TILES` or in
the app's sidebar. With none set, the map keeps its context drawn from what is loaded
(area outlines with names).

Why one BitmapLayer per tile rather than deck.gl's TileLayer: a TileLayer draws image
tiles only through a `renderSubLayers` JavaScript callback, which pydeck's JSON (and so
`st.pydeck_chart`) cannot carry; without it deck.gl treats each PNG as GeoJSON. So the
tiles a TileLayer would pick are picked here, from the view the map opens on, with a
margin for panning and a coarser ring for zooming out, and each is a BitmapLayer whose
image the browser fetches from the analyst's server. The zoom buttons redraw the deck,
so tiles follow them; the mouse wheel stretches the tiles already there until then.
The server must allow cross-origin reads (`Access-Control-Allow-Origin`), as public
tile servers do, or WebGL cannot draw its images.
"""

from __future__ import annotations

import math
import os
import re
from urllib.parse import urlsplit

import pydeck as pdk

from crimedash.errors import CrimedashError

__all__ = [
    "ATTRIBUTION_ENV",
    "COARSE_STEPS",
    "MARGIN_SCREENS",
    "MAX_TILES",
    "MAX_TILE_ZOOM",
    "TILES_ENV",
    "TILE_OPACITY",
    "TILE_PX",
    "TileSettingError",
    "attribution",
    "tile_bounds",
    "tile_layers",
    "tile_template",
    "tile_url",
    "tiles_for_view",
]

TILES_ENV = "CRIMEDASH_TILES"  # the URL template of the analyst's tile server
ATTRIBUTION_ENV = "CRIMEDASH_TILES_ATTRIBUTION"  # its credit line (OSM's licence asks one)
TILE_PX = 256  # OpenStreetMap-style tiles are 256 px; deck.gl's world is 512 px at zoom 0
MAX_TILE_ZOOM = 19
MARGIN_SCREENS = 0.5  # tiles reach half a map width and height beyond the opening view
COARSE_STEPS = 3  # plus tiles 3 zoom levels coarser over 8x the area, for zooming out
MAX_TILES = 120  # per level: a huge window never asks a server for thousands of tiles
TILE_OPACITY = 0.7  # units stay the figure; streets the ground
_PLACEHOLDER = re.compile(r"\{([a-z]+)\}")


class TileSettingError(CrimedashError, ValueError):
    """The tile server setting cannot be used; the message says what to change."""


def tile_template(value: str | None = None) -> str | None:
    """The tile URL template to use: `value` when given (the sidebar), else
    `$CRIMEDASH_TILES`, else None (no base map). Raises TileSettingError for a template
    a browser could not use, so a typo is said rather than drawing a blank map."""
    text = (os.environ.get(TILES_ENV, "") if value is None else value).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TileSettingError(
            f"the tile server {text!r} is not an http(s) address",
            hint="give a template such as https://tiles.example.org/{z}/{x}/{y}.png",
        )
    names = set(_PLACEHOLDER.findall(text))
    if not {"z", "x", "y"} <= names or names - {"z", "x", "y", "s"}:
        raise TileSettingError(
            f"the tile server template {text!r} must hold {{z}}, {{x}} and {{y}} "
            "(and may hold {s}), and nothing else in braces",
            hint="for example https://tiles.example.org/{z}/{x}/{y}.png",
        )
    return text


def attribution(template: str | None) -> str:
    """The credit line shown under a map drawn on tiles (empty without tiles)."""
    if not template:
        return ""
    credit = os.environ.get(ATTRIBUTION_ENV, "").strip()
    host = urlsplit(template).netloc
    return f"Base map: {credit}" if credit else f"Base map tiles from {host}."


def tile_url(template: str, z: int, x: int, y: int) -> str:
    """One tile's address ({s} takes a, b or c in turn, as OSM-style servers expect)."""
    s = "abc"[(x + y) % 3]
    return (
        template.replace("{z}", str(z))
        .replace("{x}", str(x))
        .replace("{y}", str(y))
        .replace("{s}", s)
    )


def tile_bounds(z: int, x: int, y: int) -> list[float]:
    """[west, south, east, north] of a Web Mercator tile, in degrees."""
    n = 2.0**z

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return [x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)]


def _tile_xy(lat: float, lon: float, z: int) -> tuple[float, float]:
    n = 2.0**z
    lat = max(-85.05, min(85.05, lat))
    r = math.radians(lat)
    return (lon + 180) / 360 * n, (1 - math.asinh(math.tan(r)) / math.pi) / 2 * n


def tiles_for_view(
    view: pdk.ViewState, width_px: int, height_px: int, margin: float = MARGIN_SCREENS
) -> list[tuple[int, int, int]]:
    """The (z, x, y) tiles covering a view and `margin` screens around it, at the zoom
    where one tile pixel is about one screen pixel."""
    z = int(max(0, min(MAX_TILE_ZOOM, round(view.zoom + 1))))  # 512-px world -> 256-px tiles
    cx, cy = _tile_xy(view.latitude, view.longitude, z)
    tile_on_screen = TILE_PX * 2.0 ** (view.zoom + 1 - z)
    half_x = width_px * (0.5 + margin) / tile_on_screen
    half_y = height_px * (0.5 + margin) / tile_on_screen
    n = 2**z
    xs = range(max(0, math.floor(cx - half_x)), min(n - 1, math.floor(cx + half_x)) + 1)
    ys = range(max(0, math.floor(cy - half_y)), min(n - 1, math.floor(cy + half_y)) + 1)
    tiles = [(z, x, y) for y in ys for x in xs]
    if len(tiles) > MAX_TILES:  # nearest the centre first
        tiles.sort(key=lambda t: (t[1] + 0.5 - cx) ** 2 + (t[2] + 0.5 - cy) ** 2)
        tiles = tiles[:MAX_TILES]
    return tiles


def tile_layers(
    template: str | None, view: pdk.ViewState, width_px: int, height_px: int
) -> list[pdk.Layer]:
    """BitmapLayers of the base map under a view (none without a template): a coarse
    ring first (drawn underneath), then the tiles at the view's own detail."""
    if not template:
        return []
    coarse = pdk.ViewState(
        latitude=view.latitude, longitude=view.longitude, zoom=max(0.0, view.zoom - COARSE_STEPS)
    )
    levels = [
        tiles_for_view(coarse, width_px, height_px, 0.0),
        tiles_for_view(view, width_px, height_px),
    ]
    layers = []
    for tiles in levels:
        for z, x, y in tiles:
            layers.append(
                pdk.Layer(
                    "BitmapLayer",
                    id=f"basemap-{z}-{x}-{y}",
                    image=tile_url(template, z, x, y),
                    bounds=tile_bounds(z, x, y),
                    opacity=TILE_OPACITY,
                    pickable=False,
                )
            )
    return layers
