"""pydeck decks of the public and risk maps.

A deck never holds a raw incident coordinate: units are drawn as H3 ids, grid or area
polygons, and the heat map is built from unit centres weighted by shown counts. Maps
need no CDN (`map_provider=None`, no map style): a faint context layer (the loaded
areas' outlines with names, or coarse hexagons) stands in for a base map.
"""

from __future__ import annotations

import math
from typing import Any

import h3
import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

from crimedash import schema as S
from crimedash.cancel import checkpoint
from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.risk import ATTACKER_LABELS, Evaluation, unit_risk
from crimedash.textsafe import html_text
from crimedash.viz.framing import framing, metres_per_pixel, scale_bar_layers
from crimedash.viz.places import (
    _add_shapes,
    _add_words,
    _area_names,
    _explode,
    _name_column,
    _rings,
    most_common,
)
from crimedash.viz.style import (
    CONTEXT_COLOUR,
    CONTEXT_RESOLUTION,
    COORD_DECIMALS,
    DEFAULT_PALETTE,
    MAP_HEIGHT_PX,
    RISK_EDGES,
    RISK_PALETTE,
    hex_to_rgba,
    palette_steps,
    risk_legend,
)
from crimedash.viz.tiles import tile_layers
from crimedash.viz.view import ALL_WINDOWS, MODES, MapView, _window_key, map_view, window_choice

__all__ = [
    "CONTEXT_LABEL_MAX",
    "CONTEXT_MAX_SHAPES",
    "CONTEXT_NAMES_ID",
    "CONTROLLER",
    "LABEL_ROOM",
    "SMALL_UNIT_PX",
    "TILE_COVER_WIDTH_PX",
    "TOOLTIP_STYLE",
    "context_labels",
    "context_layers",
    "deck_data",
    "deck_json",
    "deck_records",
    "public_deck",
    "risk_deck",
]

CONTEXT_MAX_SHAPES = 400  # coarser context hexagons beyond this
CONTEXT_LABEL_MAX = 400  # area names offered to the map (the largest areas')
CONTEXT_NAMES_ID = "context-names"
LABEL_ROOM = 1.4  # a name is kept only where it and 40% around it overlap no larger one
TILE_COVER_WIDTH_PX = 1000  # base-map tiles cover the widest map the page draws
SMALL_UNIT_PX = 4.0  # units narrower than this at opening are also drawn as dots


def context_layers(index: Index, lat: np.ndarray, lon: np.ndarray) -> list[pdk.Layer]:
    """A light stand-in for a base map: the outlines of the coarsest loaded area layer
    with their names, or, with no areas, coarse hexagons that hold the published units
    (coarser still when there are many, so a national map is not a grey mesh)."""
    if index.areas:
        name = min(index.areas, key=lambda n: index.areas[n].n)
        area = index.areas[name]
        rings = _rings(area.frame.geometry.to_numpy())
        data = pd.DataFrame({"polygon": [r for parts in rings for r in parts], "name": name})
        layers = [
            pdk.Layer(
                "PolygonLayer",
                data=data,
                id="context-areas",
                get_polygon="polygon",
                filled=False,
                stroked=True,
                get_line_color=CONTEXT_COLOUR,
                line_width_min_pixels=1,
                pickable=False,
            )
        ]
        labels = context_labels(index, name)
        if len(labels):
            layers.append(
                pdk.Layer(
                    "TextLayer",
                    data=labels,
                    id=CONTEXT_NAMES_ID,
                    get_position=["lon", "lat"],
                    get_text="name",
                    get_size=12,
                    get_color=[40, 40, 40, 235],
                    background=True,
                    get_background_color=[255, 255, 255, 190],
                    extensions=[{"@@type": "CollisionFilterExtension"}],
                    get_collision_priority="priority",
                    collision_test_props={"sizeScale": LABEL_ROOM},
                    pickable=False,
                )
            )
        return layers
    if not len(lat):
        return []
    cells = {h3.latlng_to_cell(a, b, CONTEXT_RESOLUTION) for a, b in zip(lat, lon, strict=True)}
    res = CONTEXT_RESOLUTION
    while len(cells) > CONTEXT_MAX_SHAPES and res > 3:
        res -= 2
        cells = {h3.cell_to_parent(c, res) for c in cells}
    return [
        pdk.Layer(
            "H3HexagonLayer",
            data=pd.DataFrame({"hex": sorted(cells)}),
            id="context-hexagons",
            get_hexagon="hex",
            filled=False,
            stroked=True,
            extruded=False,
            get_line_color=CONTEXT_COLOUR,
            line_width_min_pixels=1,
            pickable=False,
        )
    ]


def context_labels(index: Index, name: str) -> pd.DataFrame:
    """Names for the outlines of area layer `name`, one per place, largest areas first,
    each with a collision priority for deck.gl's CollisionFilterExtension.

    Small central areas would pile their names on top of each other, so the browser
    keeps a name only where it does not overlap a larger area's: at the opening view
    that is the big outer areas, and zooming in makes room for the small ones (the
    extension re-tests at every zoom). Names are preferred over codes: the layer's own
    name column, else the police.uk LSOA name most of an area's incidents carry (the
    analyst's files name them; LSOAs are police.uk's own areas), else the code. One
    label per name (the largest area holding it), so nested areas that share an LSOA
    name are not named twice. An area with no name known keeps its code, ranked after
    every named one."""
    area = index.areas[name]
    if not area.n:
        return pd.DataFrame(columns=["name", "lon", "lat", "priority"])
    words = np.asarray(_context_names(index, name), dtype=object)
    coded = words == area.codes.astype(str)  # no name known: shown after every name
    order = np.lexsort((-area.area_km2, coded))
    _, first = np.unique(words[order], return_index=True)
    ids = order[np.sort(first)][:CONTEXT_LABEL_MAX]  # largest first, each name once
    pts = shapely.point_on_surface(area.frame.geometry.to_numpy()[ids])
    n = len(ids)
    return pd.DataFrame(
        {
            "name": words[ids].tolist(),  # drawn as glyphs, never read as HTML
            "lon": np.round(shapely.get_x(pts), 4),
            "lat": np.round(shapely.get_y(pts), 4),
            # deck.gl keeps the higher priority where two collide: 1000 for the largest
            "priority": np.round(1000 - 2000 * np.arange(n) / max(n - 1, 1)).astype(int),
        }
    )


def _context_names(index: Index, name: str) -> list[str]:
    """Each area's label: its name, else its modal police.uk LSOA name, else its code."""
    area = index.areas[name]
    if _name_column(area.frame) is not None:
        return _area_names(index, name, np.arange(area.n), with_codes=False)
    codes = [str(c) for c in area.codes]
    if not index.lsoa_names or len(index.lsoa_code) != len(area.incident_area):
        return codes
    best = index.cached(
        ("area_lsoa_mode", name),
        lambda: most_common(area.incident_area, index.lsoa_code, area.n, len(index.lsoa_names)),
    )
    return [index.lsoa_names[b] if b >= 0 else c for b, c in zip(best.tolist(), codes, strict=True)]


# Columns a deck draws from rather than shows: never escaped (the rest are text a
# tooltip may show, so each value is escaped for HTML first).
_DRAWN_COLUMNS = ("hex", "hexagons", "polygon", "colour", "value", "lat", "lon")


def deck_data(frame: pd.DataFrame) -> pd.DataFrame:
    """A deck layer's data with every shown text escaped for HTML (`textsafe.html_text`);
    numbers stay numbers.

    deck.gl's tooltip puts `{column}` values into the page as HTML, so a group or area
    named `<img src=x onerror=...>` (from a shared link or an areas file) would run as
    script when the analyst hovers a unit. Every tooltip field goes through here."""
    out = frame.copy()
    for col in out.columns:
        if col not in _DRAWN_COLUMNS and not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = _escaped(out[col])
    return out


# Characters `html_text` changes: the five it writes as entities and the control
# characters it drops (RE2's spelling of `textsafe._CONTROL`).
_UNSAFE = "[&<>\"'\\x{00}-\\x{08}\\x{0b}\\x{0c}\\x{0e}-\\x{1f}\\x{7f}-\\x{9f}]"


def _escaped(column: pd.Series) -> np.ndarray:
    """`html_text` of every value, made once per distinct value and only where the text
    has a character to change (found by Arrow's regex over the whole column): a national
    layer's sizes and households words repeat, and its names and ids almost never hold
    one, where a call per value was a second of a map."""
    values = column.to_numpy(dtype=object)
    try:
        codes = pd.factorize(values)[0]
    except TypeError:  # unhashable values (lists): each its own
        codes = np.arange(len(values))
    # a value that is not a string is its own (None and NaN are both NA to pandas,
    # 0.0 and -0.0 one key, and each is written differently)
    odd = np.flatnonzero((codes < 0) | ~np.fromiter(map(_is_str, values), bool, len(values)))
    codes[odd] = codes.max(initial=-1) + 1 + np.arange(len(odd))
    _, first, codes = np.unique(codes, return_index=True, return_inverse=True)
    texts = [v if isinstance(v, str) else str(v) for v in values[first].tolist()]
    checkpoint()
    try:
        flagged = pc.match_substring_regex(pa.array(texts, type=pa.string()), _UNSAFE)
        todo = np.flatnonzero(flagged.to_numpy(zero_copy_only=False)).tolist()
    except (UnicodeError, pa.ArrowException):  # not UTF-8 (a lone surrogate): each checked
        todo = list(range(len(texts)))
    # a column of a national layer with many such texts is seconds of Python: a stale
    # map stops, and a map waiting for the score pauses (`cancel.foreground`), in a slice
    for i in range(0, len(todo), _ESCAPE_SLICE):
        checkpoint()
        for k in todo[i : i + _ESCAPE_SLICE]:
            texts[k] = html_text(texts[k])
    return np.asarray(texts + [""], dtype=object)[:-1][codes]


def _is_str(value: object) -> bool:
    return isinstance(value, str)


_ESCAPE_SLICE = 25_000  # values escaped, or rows made records, between two checkpoints


def deck_records(frame: pd.DataFrame) -> list[dict]:
    """`deck_data(frame)` as the records a deck layer holds: what pydeck makes of a
    frame (`to_dict(orient="records")`, the same values and types), made from the
    columns' Python lists (pandas' `to_dict` was most of a second of a national layer)
    a slice of rows at a time with a checkpoint between, so a stale map can stop and a
    map pause for the score."""
    data = deck_data(frame)
    names = [str(c) for c in data.columns]
    columns = [data[c].to_numpy().tolist() for c in data.columns]
    records: list[dict] = []
    for i in range(0, len(data), _ESCAPE_SLICE):
        checkpoint()
        rows = zip(*(col[i : i + _ESCAPE_SLICE] for col in columns), strict=True)
        records += [dict(zip(names, row, strict=True)) for row in rows]
    return records


def _unit_px(view: pdk.ViewState, km2: np.ndarray) -> float:
    """How wide a typical unit is on screen at the opening view, in pixels."""
    if not len(km2):
        return 0.0
    return math.sqrt(float(np.median(km2))) * 1000 / metres_per_pixel(view)


def _unit_layer(view: MapView, layer_id: str, unit_px: float = 100.0) -> list[pdk.Layer]:
    """The units' fills. When units are only a few pixels wide at the opening view (a
    national month of small hexagons), outlines would hide the fills, so units are drawn
    without them and each also gets a dot at its centre that keeps a visible size."""
    small = unit_px < SMALL_UNIT_PX
    common = dict(
        id=layer_id,
        pickable=True,
        stroked=not small,
        filled=True,
        get_fill_color="colour",
        get_line_color=[255, 255, 255, 160],
        line_width_min_pixels=0.5,
        auto_highlight=True,
    )
    # a pickable unit's record holds what it is drawn from and what its tooltip says,
    # nothing else: its centre, id column, value and class name were a third of a
    # national deck's JSON and no accessor or tooltip reads them
    data = view.units.drop(columns=[c for c in _NOT_IN_RECORDS if c in view.units])
    if view.kind == "h3":
        layers = [
            pdk.Layer(
                "H3HexagonLayer",
                data=deck_records(data),
                get_hexagon="hex",
                extruded=False,
                **common,
            )
        ]
    elif view.kind == "h3cluster":
        # one row per unit: the union of its base hexagons, outlined in the browser
        layers = [
            pdk.Layer("H3ClusterLayer", data=deck_records(data), get_hexagons="hexagons", **common)
        ]
    else:
        layers = [
            pdk.Layer(
                "PolygonLayer", data=deck_records(_explode(data)), get_polygon="polygon", **common
            )
        ]
    if small:
        # markers only (centre and colour): the unit's tooltip is its fill's, under it.
        # Each dot used to carry every tooltip field again, a quarter of a national
        # deck; a layer that is not pickable does not hide the one under it from picking
        dots = view.units[["lon", "lat", "colour"]]
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                data=deck_records(dots),
                id=f"{layer_id}-dots",
                get_position=["lon", "lat"],
                get_fill_color="colour",
                get_radius=1,
                radius_min_pixels=2.5,
                radius_max_pixels=2.5,
                pickable=False,
            )
        )
    return layers


# Columns of a `MapView` a unit layer's records leave out: the centre (the dots' own
# layer has it), the id (the tooltip shows `unit_id`), the value and class name (the
# colour says them; the legend names them).
_NOT_IN_RECORDS = ("lat", "lon", S.UNIT, "value", "class")


# Wheel zoom in small steps, keyboard zoom and pan (arrows, +/-), no rotation.
CONTROLLER = {
    "scrollZoom": {"speed": 0.004, "smooth": False},
    "keyboard": True,
    "doubleClickZoom": True,
    "dragRotate": False,
    "touchRotate": False,
}


def _deck(
    layers: list[pdk.Layer],
    view_state: pdk.ViewState,
    tooltip: Any,
    height_px: int = MAP_HEIGHT_PX,
) -> pdk.Deck:
    # Place names go over the units (under their fills they could not be read), then
    # the scale bar over everything.
    names = [ly for ly in layers if str(ly.id).startswith(CONTEXT_NAMES_ID)]
    rest = [ly for ly in layers if not str(ly.id).startswith(CONTEXT_NAMES_ID)]
    return pdk.Deck(
        layers=[*rest, *names, *scale_bar_layers(view_state, height_px=height_px)],
        initial_view_state=view_state,
        views=[pdk.View(type="MapView", controller=CONTROLLER)],
        # No vendor base map (tiles, when set, are BitmapLayers). Leave map_style at pydeck's "__MAP_STYLE__" sentinel: Streamlit reads
        # it as "no base map", whereas map_style=None makes it fetch Carto's style.
        map_provider=None,
        tooltip=tooltip,
    )


TOOLTIP_STYLE = {"backgroundColor": "#222", "color": "white", "fontSize": "14px"}


def deck_json(deck: pdk.Deck) -> str:
    """The deck's JSON as pydeck makes it (`Deck.to_json`), without its indentation,
    written by orjson. pydeck indents, which makes Python's json module fall back from
    its C encoder to the pure-Python one; even compact, the C encoder was most of a
    national map's CPU once the records were made (192 of 233 CPU-seconds of an
    adaptive:40 deck at 5M rows, docs/scale.md), and orjson writes the same value
    several times faster (`benchmarks/map_deck.py`). The same JSON value, except that
    a NaN is written as null (JSON has no NaN; the json module wrote an invalid token)."""
    return orjson.dumps(deck, default=default_serialize, option=_ORJSON).decode()


_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def public_deck(
    index: Index,
    layer: PublicLayer,
    window: str | None = None,
    mode: str = "units",
    palette: str = DEFAULT_PALETTE,
    group: str | None = None,
    edges: list[int] | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    zoom_offset: float = 0.0,
    nonce: int = 0,
    height_px: int = MAP_HEIGHT_PX,
    tiles: str | None = None,
    view: MapView | None = None,
) -> pdk.Deck:
    """The public map of one release: units coloured by shown count ("units"), or a
    smooth heat map from unit centres weighted by shown counts ("heat"). `edges` and
    `bounds` fix the colour scale and the extent (for comparing two designs fairly).
    `view`: the same arguments' `map_view`, if the caller has it (it is seconds at
    national scale: the app's map worker makes it once for the deck and the legend)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    view = view or map_view(index, layer, window, group, palette, edges=edges)
    checkpoint()  # a stale map being built stops between its stages (ui.deckjob)
    lat, lon = view.units["lat"].to_numpy(), view.units["lon"].to_numpy()
    view_state = framing(
        lat, lon, view.units["value"].to_numpy(), bounds, zoom_offset, nonce, height_px
    ).view_state
    layers = [
        *tile_layers(tiles),
        *context_layers(index, lat, lon),
    ]
    km2 = layer.units.area_km2[view.codes] if len(view.codes) else np.ones(1)
    checkpoint()
    if mode == "units":
        layers += _unit_layer(view, "public-units", _unit_px(view_state, km2))
        what = html_text(f"{view.group}, {view.window}")
        tooltip = {
            "html": f"<b>{{place}}</b><br/>Incidents shown: {{label}} ({what})"
            "<br/>Unit: {size}, {households}<br/><small>Unit id {unit_id}</small>",
            "style": TOOLTIP_STYLE,
        }
    else:
        heat = pdk.Layer(
            "HeatmapLayer",
            data=view.units[["lat", "lon", "value"]],
            id="public-heat",
            get_position=["lon", "lat"],
            get_weight="value",
            radius_pixels=_heat_radius(float(np.median(km2)), view_state),
            intensity=1,
            threshold=0.03,
            color_range=[hex_to_rgba(c, 255)[:3] for c in palette_steps(palette, 6)],
            pickable=False,
        )
        heat.aggregation = "SUM"  # set after: pydeck would pass the string as "@@=SUM"
        layers.append(heat)
        tooltip = False
    return _deck(layers, view_state, tooltip, height_px)


def _heat_radius(unit_km2: float, view: pdk.ViewState) -> int:
    """Heat kernel radius in pixels: about two units across at the opening zoom, so the
    smoothing never claims more precision than the units have."""
    return int(np.clip(2.0 * math.sqrt(unit_km2) * 1000 / metres_per_pixel(view), 10, 250))


def risk_deck(
    index: Index,
    evaluation: Evaluation,
    window: str | None = None,
    zoom_offset: float = 0.0,
    nonce: int = 0,
    height_px: int = MAP_HEIGHT_PX,
    tiles: str | None = None,
) -> pdk.Deck:
    """The same units coloured by identifiability, with a tooltip saying why: the
    place, the unit's size and households, its published incidents in the window, the
    group and the attacker that matter most."""
    layer = evaluation.layer
    units = layer.units
    per = unit_risk(evaluation, None if window == ALL_WINDOWS else _window_key(layer, window))
    codes = per["code"].to_numpy(np.int64)
    colours = palette_steps(RISK_PALETTE, len(RISK_EDGES))
    cls = np.clip(np.searchsorted(RISK_EDGES, per["r"].to_numpy(float), side="right") - 1, 0, None)
    lat, lon = units.centres(index, codes) if len(codes) else (np.empty(0), np.empty(0))
    groups = np.array(layer.grouping.groups, dtype=object)
    frame = pd.DataFrame(
        {
            S.UNIT: units.labels(index, codes),
            "r": per["r"].round(3).to_numpy(),
            "incidents": per["incidents"].astype(int).to_numpy(),
            "group": groups[per["group"].to_numpy(int)] if len(codes) else [],
            "attacker": [ATTACKER_LABELS[a] for a in per["attacker"]],
            "colour": [hex_to_rgba(colours[c], 210) for c in cls.tolist()],
            "lat": np.round(lat, COORD_DECIMALS),
            "lon": np.round(lon, COORD_DECIMALS),
        }
    )
    checkpoint()  # a stale map being built stops between its stages (ui.deckjob)
    _add_words(frame, index, units, codes, lat, lon)
    checkpoint()
    kind = _add_shapes(frame, index, units, codes)
    checkpoint()
    view = MapView(frame, risk_legend(), window_choice(layer, window), "", kind, "", codes)
    view_state = framing(
        lat, lon, frame["incidents"].to_numpy(), None, zoom_offset, nonce, height_px
    ).view_state
    km2 = units.area_km2[codes] if len(codes) else np.ones(1)
    layers = [
        *tile_layers(tiles),
        *context_layers(index, lat, lon),
        *_unit_layer(view, "risk-units", _unit_px(view_state, km2)),
    ]
    tooltip = {
        "html": "<b>{place}</b><br/>Most exposed incident: chance {r} of being linked"
        "<br/>Unit: {size}, {households}<br/>Published incidents in the window: {incidents}"
        "<br/>Group: {group}<br/>Main attacker: {attacker}<br/><small>Unit id {unit_id}</small>",
        "style": TOOLTIP_STYLE,
    }
    return _deck(layers, view_state, tooltip, height_px)
