"""A base map from a tile server the analyst configures (off unless one is set).

An analyst reads a crime map against streets and place names, but crimedash must not
reach a CDN or a map vendor on its own: the map is for data that is not yet public, and
the tile server learns which area is being looked at. So tiles come only from a server
the analyst names, typically the force's own, as an OpenStreetMap-style URL template
(`https://tiles.example.police.uk/{z}/{x}/{y}.png`), set in `$CRIMEDASH_TILES` or in
the app's sidebar. With none set, the map keeps its context drawn from what is loaded
(area outlines with names).

Why a TerrainLayer: deck.gl's TileLayer picks and loads the tiles of whatever the
camera shows (wheel zoom and drag included), but it draws image tiles only through a
`renderSubLayers` JavaScript callback, which pydeck's JSON (and so `st.pydeck_chart`)
cannot carry; without one, deck.gl treats each PNG as GeoJSON and draws nothing. Its
sibling the TerrainLayer is a TileLayer whose tiles are drawn, from JSON alone, as
meshes textured with an image fetched from a `{z}/{x}/{y}` template: exactly a base
map, once every tile's mesh is flat. The mesh is made by loaders.gl's terrain parser,
which deck.gl runs only in a Web Worker fetched from unpkg.com by default. crimedash
never lets the page reach a CDN, so `_FLAT_TILE_WORKER` (below) is the worker, given to
loaders.gl as a `data:` URL: it answers every tile with two flat triangles over the
tile's bounds. The elevation "image" it is handed is a 2-pixel PNG in a `data:` URL
(with the tile's address as its fragment, since deck.gl reads `{x}` and `{y}` there to
know the layer is tiled), so the tile server is asked for each tile once, for its
picture. Compared maps (`viz.pair`) still draw the tiles of their opening view as
BitmapLayers: they place the second map east of the first, and a TileLayer would fetch
the tiles of where the second map is drawn, not of what it shows.

The server must allow cross-origin reads (`Access-Control-Allow-Origin`), as public
tile servers do, or WebGL cannot draw its images.
"""

from __future__ import annotations

import base64
import math
import os
import re
from urllib.parse import urlsplit

import pydeck as pdk

from crimedash.errors import CrimedashError

__all__ = [
    "ATTRIBUTION_ENV",
    "FLAT_TILE_WORKER_URL",
    "MARGIN_SCREENS",
    "MAX_TILES",
    "MAX_TILE_ZOOM",
    "TILES_ENV",
    "TILE_LAYER_ID",
    "TILE_OPACITY",
    "TILE_PX",
    "UNLIT",
    "TileSettingError",
    "attribution",
    "bitmap_tile_layers",
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
MAX_TILES = 120  # per level: a huge window never asks a server for thousands of tiles
# Units stay the figure, streets the ground. deck.gl blends a layer with what is under
# it; in headless Chromium 0.7 let only ~15% of the page through (0.5 lets ~27%), so
# the base map is drawn at 0.5 (tests/test_browser_tiles.py reads the pixels).
TILE_OPACITY = 0.5
# Lit by deck.gl's default light, a textured mesh comes out at ~70% of its colours; a
# material of ambient light alone draws the tiles' own colours (`material=False` does
# not switch the light off in Streamlit's deck.gl).
UNLIT = {"ambient": 1.0, "diffuse": 0.0, "shininess": 1, "specularColor": [0, 0, 0]}
TILE_LAYER_ID = "basemap"

# The Web Worker that makes each tile's mesh (see the module's note): loaders.gl posts
# {source, type: "process", payload: {input, options}} and waits for "done" with the
# result. The mesh is loaders.gl's terrain format (positions, texture coordinates,
# triangles, a bounding box) in the tile's bounds as the TerrainLayer passes them in
# `options.terrain.bounds`; row 0 of the image is the north edge.
_FLAT_TILE_WORKER = """self.onmessage = function (e) {
  var m = e.data;
  if (!m || m.source !== 'loaders.gl' || m.type !== 'process') return;
  var b = m.payload.options.terrain.bounds;
  var p = new Float32Array([b[0], b[3], 0, b[2], b[3], 0, b[0], b[1], 0, b[2], b[1], 0]);
  var t = new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]);
  var i = new Uint32Array([0, 2, 1, 1, 2, 3]);
  var result = {
    loaderData: {header: {}},
    header: {vertexCount: 6, boundingBox: [[b[0], b[1], 0], [b[2], b[3], 0]]},
    mode: 4,
    indices: {value: i, size: 1},
    attributes: {POSITION: {value: p, size: 3}, TEXCOORD_0: {value: t, size: 2}}
  };
  self.postMessage({source: 'loaders.gl', type: 'done', payload: {result: result}},
                   [p.buffer, t.buffer, i.buffer]);
};
"""
FLAT_TILE_WORKER_URL = "data:text/javascript;base64," + base64.b64encode(
    _FLAT_TILE_WORKER.encode()
).decode("ascii")
# Any small PNG: the worker never reads it. The fragment carries the tile's address.
_FLAT_ELEVATION = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAADklEQVR4nGP4"
    "DwQMIAIAf+oP8bCHbLoAAAAASUVORK5CYII=#{z}/{x}/{y}"
)
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


def tile_layers(template: str | None) -> list[pdk.Layer]:
    """The base map under a map (none without a template): one TerrainLayer, flat, that
    loads the tiles of whatever the camera shows, at the detail of its zoom (see the
    module's note), at `TILE_OPACITY`."""
    if not template:
        return []
    layer = pdk.Layer(
        "TerrainLayer",
        id=TILE_LAYER_ID,
        elevation_decoder={"rScaler": 0, "gScaler": 0, "bScaler": 0, "offset": 0},
        tile_size=TILE_PX,
        min_zoom=0,
        max_zoom=MAX_TILE_ZOOM,
        material=UNLIT,
        opacity=TILE_OPACITY,
        load_options={"terrain": {"workerUrl": FLAT_TILE_WORKER_URL}},
        parameters={"depthWriteEnabled": False},  # never hides the units drawn on it
        pickable=False,
    )
    # Set after construction: pydeck turns a string argument into a JavaScript
    # expression ("@@=..."), and a list of strings into one; these are addresses.
    layer.elevation_data = _FLAT_ELEVATION
    layer.texture = _subdomains(template)
    return [layer]


def _subdomains(template: str) -> str | list[str]:
    """deck.gl's templates know {z}, {x} and {y}, not {s}: a template with {s} becomes
    the three addresses, which deck.gl shares out between tiles."""
    if "{s}" not in template:
        return template
    return [template.replace("{s}", s) for s in "abc"]


def bitmap_tile_layers(
    template: str | None,
    view: pdk.ViewState,
    width_px: int,
    height_px: int,
    shift_deg: float = 0.0,
    suffix: str = "",
) -> list[pdk.Layer]:
    """BitmapLayers of the tiles covering a view and a margin around it, drawn
    `shift_deg` east of where they belong (compared maps, see the module's note). One
    level only: two overlapping levels would stack their opacities."""
    if not template:
        return []
    return [
        pdk.Layer(
            "BitmapLayer",
            id=f"{TILE_LAYER_ID}-{z}-{x}-{y}{suffix}",
            image=tile_url(template, z, x, y),
            bounds=[w + shift_deg, s, e + shift_deg, n],
            opacity=TILE_OPACITY,
            pickable=False,
        )
        for z, x, y in tiles_for_view(view, width_px, height_px)
        for w, s, e, n in [tile_bounds(z, x, y)]
    ]
