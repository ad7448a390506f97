"""Pictures of engine results: pydeck decks and altair charts, as plain values.

The app shows them, the export report renders them offline and a test inspects them,
so nothing here imports streamlit. Every number drawn comes from the engine (the public
layer, the evaluation, the assessment, the frontier); this module only picks colours,
shapes and words.

Two promises a privacy reviewer can check:
- A deck never holds a raw incident coordinate: units are drawn as H3 ids, grid or
  area polygons, and the heat map is built from unit centres weighted by shown counts.
  Even the camera is placed from the units, not from the incidents' extent (whose
  corners would be incidents' own coordinates).
- Maps need no tiles or CDN (`map_provider=None`, no map style): a faint context layer (the loaded
  areas' outlines, or coarse hexagons) stands in for a base map, and the palettes are
  colour-blind-safe sequential steps (viridis, cividis, inferno).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import altair as alt
import h3
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from crimedash import geojson
from crimedash import schema as S
from crimedash.categories import label
from crimedash.design import Design
from crimedash.index import Index, cells_to_str, window_label
from crimedash.layer import TOTAL_GROUP, PublicLayer, count_labels
from crimedash.risk import (
    ATTACKER_LABELS,
    LIKELIHOODS,
    SEVERITIES,
    Assessment,
    Evaluation,
    unit_risk,
)
from crimedash.textsafe import html_text, markdown_text

ALL_WINDOWS = "All windows"  # window=ALL_WINDOWS: every published window together
MODES = ("units", "heat")

# Colour-blind-safe sequential steps (matplotlib's perceptually uniform maps), light to
# dark so that more crime reads as darker on a light page.
# "public" and "risk" are the maps' own: every step keeps at least WCAG's 3:1 non-text
# contrast against the page (no yellow on white, which a projector washes out), and the
# two differ in hue (blue-green against orange-red) so "dark means more crime" and
# "dark means riskier" cannot be confused.
PALETTES: dict[str, tuple[str, ...]] = {
    "public": ("#1f9e89", "#21818e", "#2c6a8e", "#3a528b", "#463681", "#481a6c", "#3b0150"),
    "risk": ("#e6550d", "#d94801", "#cb181d", "#a50f15", "#800026", "#5c0120", "#3b0012"),
    "viridis": ("#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983", "#440154"),
    "cividis": ("#fee838", "#d3c064", "#a59c74", "#7c7b78", "#575c6d", "#233e6c", "#00224e"),
    "inferno": ("#fcffa4", "#fbb61a", "#ed6925", "#bc3754", "#781c6d", "#320a5e", "#000004"),
}
DEFAULT_PALETTE = "public"
RISK_PALETTE = "risk"
# Risk classes of a unit's most exposed incident: the model's likelihood edges
# (remote < 0.05 <= possible < 0.3 <= probable) with finer steps for reading the map.
RISK_EDGES = (0.0, 0.01, 0.05, 0.1, 0.3, 0.5, 0.8)
NICE_EDGES = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000)
MAX_CLASSES = 7
CONTEXT_RESOLUTION = 7  # faint hexagons (~5 km2) drawn when no area layer is loaded
CONTEXT_COLOUR = [90, 90, 90, 140]
MAP_HEIGHT_PX, MAP_WIDTH_PX = 520, 480  # what the dashboard gives a map (narrowest case)
RISK_COLOURS = {"low": "#fde725", "medium": "#ed6925", "high": "#781c6d"}  # inferno steps
# White bold text on these keeps WCAG AA contrast (4.5:1), on a screen and a projector.
VERDICT_COLOURS = {"green": "#1a7431", "amber": "#a35200", "red": "#b2182b"}
COORD_DECIMALS = 6  # ~0.1 m: more than enough to draw a unit's outline
# Chart heights: Streamlit fits a chart's whole height (title and axes included) into
# the height given, so rows get a fixed share plus room for the frame.
CHART_ROW_PX, CHART_FRAME_PX = 34, 90


def hex_to_rgba(colour: str, alpha: int = 200) -> list[int]:
    c = colour.lstrip("#")
    return [int(c[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


def palette_steps(name: str, n: int) -> list[str]:
    """`n` colours spread evenly over a palette (light to dark)."""
    if name not in PALETTES:
        raise ValueError(f"palette must be one of {', '.join(PALETTES)}; got {name!r}")
    steps = PALETTES[name]
    if n <= 1:
        return [steps[len(steps) // 2]]
    idx = np.linspace(0, len(steps) - 1, n).round().astype(int)
    return [steps[i] for i in idx]


# --- what one view of the public layer shows -------------------------------------------
@dataclass(frozen=True)
class MapView:
    """One release of the public layer, ready to draw: a row per unit with its shown
    value and words, the legend, and what was picked (window, group)."""

    units: pd.DataFrame  # unit, value, label, colour (rgba), lat, lon, hex or polygon
    legend: pd.DataFrame  # label, colour (hex), lower
    window: str
    group: str
    kind: str  # "h3" (hexagon ids) or "polygon"
    note: str  # how the value was made when it is not one published cell
    codes: np.ndarray  # dense unit codes of the rows (to fetch shapes; not drawn)


def _window_key(layer: PublicLayer, window: str | None) -> int | None:
    """Absolute window key of a label; None = the latest; ALL_WINDOWS = every window."""
    keys = layer.windows()
    if window == ALL_WINDOWS:
        return None
    if not keys:
        return None
    if window is None:
        return keys[-1]
    labels = layer.window_labels()
    if window not in labels:
        raise ValueError(f"window must be one of {', '.join(labels[:5])}...; got {window!r}")
    return keys[labels.index(window)]


def window_choice(layer: PublicLayer, window: str | None) -> str:
    """The label of the window a view shows (None means the latest)."""
    if window == ALL_WINDOWS:
        return ALL_WINDOWS
    key = _window_key(layer, window)
    return "no window" if key is None else window_label(layer.display_level, key)


def group_choices(layer: PublicLayer) -> list[str]:
    """Groups a map can show: the 'All crime' total (when published) and each group."""
    groups = list(layer.grouping.groups)
    has_total = bool((layer.cell_group == -1).any())
    return ([TOTAL_GROUP] if has_total or len(groups) != 1 else []) + groups


def _edges(values: np.ndarray, layer: PublicLayer) -> list[int]:
    """Class lower edges: the design's bands when counts are banded (the guidance's map
    key), else nice numbers up to the largest value shown."""
    if layer.design.counts == "banded":
        return list(layer.design.bands)
    vmax = float(values.max()) if len(values) else 1.0
    edges = [e for e in NICE_EDGES if e <= max(vmax, 1)]
    if len(edges) > MAX_CLASSES:
        pick = np.linspace(0, len(edges) - 1, MAX_CLASSES).round().astype(int)
        edges = [edges[i] for i in sorted(set(pick.tolist()))]
    return edges


def _class_labels(edges: list[int]) -> list[str]:
    return [
        (f"{lo}" if hi - 1 == lo else f"{lo} to {hi - 1}") if hi is not None else f"{lo} or more"
        for lo, hi in zip(edges, [*edges[1:], None], strict=True)
    ]


def map_view(
    index: Index,
    layer: PublicLayer,
    window: str | None = None,
    group: str | None = None,
    palette: str = DEFAULT_PALETTE,
    edges: list[int] | None = None,
) -> MapView:
    """The units of one release (window) and group with their shown counts and colours.

    `group=None` shows the 'All crime' total where the design publishes it, the only
    group when there is one, else the sum of the groups' shown counts (said in `note`).
    `edges` fixes the class breaks (two compared maps share one colour scale); by
    default they follow this layer's values (see `shared_edges`).
    """
    key = _window_key(layer, window)
    in_window = (
        np.ones(len(layer.cell_window), bool)
        if window == ALL_WINDOWS
        else (layer.cell_window == key)
    )
    groups = layer.grouping.groups
    note = ""
    if group is None:
        group = (
            group_choices(layer)[0] if (layer.cell_group == -1).any() or len(groups) == 1 else None
        )
    if group is None:
        sel = in_window & (layer.cell_group >= 0)
        group = TOTAL_GROUP
        note = "Each unit shows the sum of its groups' shown counts (no total is published)."
    elif group == TOTAL_GROUP and (layer.cell_group == -1).any():
        sel = in_window & (layer.cell_group == -1)
    elif group == TOTAL_GROUP:
        sel = in_window & (layer.cell_group >= 0)
        note = "Each unit shows the sum of its groups' shown counts (no total is published)."
    else:
        if group not in groups:
            raise ValueError(
                f"group must be one of {', '.join(group_choices(layer))}; got {group!r}"
            )
        sel = in_window & (layer.cell_group == groups.index(group))
    if window == ALL_WINDOWS:
        note = (note + " " if note else "") + "Counts are summed over every published window."

    cells = pd.DataFrame(
        {
            "code": layer.cell_unit[sel],
            "value": layer.cell_shown[sel],
            # label only the release shown, not every window's cells (millions at scale)
            "label": count_labels(layer.design, layer.cell_shown[sel]),
        }
    )
    summed = bool(note)
    if summed:
        cells = cells.groupby("code", sort=True, as_index=False).agg(
            value=("value", "sum"), label=("value", lambda v: f"{v.sum():,.0f}")
        )
        if layer.design.counts == "banded":
            cells["label"] = "at least " + cells["label"]
    codes = cells["code"].to_numpy(np.int64)
    values = cells["value"].to_numpy(float)
    edges = list(edges) if edges is not None else _edges(values, layer)
    colours = palette_steps(palette, len(edges))
    cls = np.clip(
        np.searchsorted(np.asarray(edges, float), values, side="right") - 1, 0, len(edges) - 1
    )
    legend = pd.DataFrame({"label": _class_labels(edges), "colour": colours, "lower": edges})

    rgba = np.empty(len(colours), dtype=object)  # one [r, g, b, a] list per class
    for i, c in enumerate(colours):
        rgba[i] = hex_to_rgba(c)
    units = layer.units
    lat, lon = units.centres(index, codes) if len(codes) else (np.empty(0), np.empty(0))
    frame = pd.DataFrame(
        {
            S.UNIT: units.labels(index, codes),
            "value": values,
            "label": cells["label"].astype(str).to_numpy(),
            # per class, then indexed: a per-unit lookup took seconds at 40k units
            "class": legend["label"].to_numpy(dtype=object)[cls],
            "colour": rgba[cls],
            "lat": np.round(lat, COORD_DECIMALS),
            "lon": np.round(lon, COORD_DECIMALS),
        }
    )
    _add_words(frame, index, units, codes, lat, lon)
    kind = _add_shapes(frame, index, units, codes)
    return MapView(frame, legend, window_choice(layer, window), group, kind, note, codes)


def _add_shapes(frame: pd.DataFrame, index: Index, units, codes: np.ndarray) -> str:
    """Give each unit its shape: an H3 id for plain hexagons, else polygon rings
    (adaptive units may pool several cells into one unit). Returns the kind drawn."""
    if units.granularity.kind == "h3":
        frame["hex"] = cells_to_str(units.h3_cells[codes])
        return "h3"
    frame["polygon"] = _rings(units.geometries(index, codes))
    return "polygon"


def _rings(geoms: np.ndarray) -> list[list[list[list[float]]]]:
    """Each shape as a list of exterior rings ([[lon, lat], ...]); multipolygons keep
    every part so one unit stays one row (one tooltip). Coordinates are taken for all
    shapes at once (per-shape access took seconds for 50k grid squares)."""
    geoms = np.asarray(geoms, dtype=object)
    ok = np.array([g is not None for g in geoms], dtype=bool)
    out: list[list] = [[] for _ in range(len(geoms))]
    if not ok.any():
        return out
    parts, owner = shapely.get_parts(geoms[ok], return_index=True)
    keep = ~shapely.is_empty(parts)
    parts, owner = parts[keep], np.flatnonzero(ok)[owner[keep]]
    xy, ring = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    xy = np.round(xy, COORD_DECIMALS).tolist()
    bounds = np.r_[0, np.flatnonzero(np.diff(ring)) + 1, len(ring)].tolist()
    for k, g in enumerate(owner.tolist()):
        out[g].append(xy[bounds[k] : bounds[k + 1]])
    return out


def _explode(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per polygon part (PolygonLayer draws one ring per row)."""
    if frame.empty:
        return frame.assign(polygon=[])
    return frame.explode("polygon", ignore_index=True).dropna(subset=["polygon"])


# --- words a tooltip shows ------------------------------------------------------------
def _name_column(frame: pd.DataFrame) -> str | None:
    """The column of an area layer that holds place names (LSOA21NM, ward_name, name)."""
    for col in frame.columns:
        c = str(col).lower()
        if col != S.GEOMETRY and (c.endswith(("nm", "name")) or c in ("name", "label")):
            return col
    return None


def _area_names(index: Index, layer_name: str, ids: np.ndarray) -> list[str]:
    area = index.areas[layer_name]
    col = _name_column(area.frame)
    codes = area.codes[ids]
    if col is None:
        return [str(c) for c in codes]
    names = area.frame[col].astype(str).to_numpy()[ids]
    return [f"{n} ({c})" if n and n != c else str(c) for n, c in zip(names, codes, strict=True)]


def _latlon_words(lat: float, lon: float) -> str:
    return f"around {abs(lat):.3f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.3f}° {'E' if lon >= 0 else 'W'}"


def place_names(index: Index, units, codes: np.ndarray, lat, lon) -> list[str]:
    """A place a person can recognise for each unit: an area unit's own name, else the
    loaded area that holds the unit's centre, else where its centre is in degrees.
    Never the raw H3 or grid id alone."""
    codes = np.asarray(codes, dtype=np.int64)
    if not len(codes):
        return []
    if units.granularity.kind == "areas":
        return _area_names(index, units.area_layer, codes)
    fallback = [_latlon_words(a, b) for a, b in zip(lat, lon, strict=True)]
    if not index.areas:
        return fallback
    name = min(index.areas, key=lambda n: index.areas[n].n)  # the layer named on the map
    geoms = index.areas[name].frame.geometry.to_numpy()
    pairs = shapely.STRtree(geoms).query(shapely.points(lon, lat), predicate="intersects")
    hit = np.full(len(codes), -1)
    hit[pairs[0][::-1]] = pairs[1][::-1]  # the first area when several hold the centre
    out = list(fallback)
    found = np.flatnonzero(hit >= 0)
    for i, nm in zip(found, _area_names(index, name, hit[found]), strict=True):
        out[i] = f"in {nm}"
    return out


def _km2_words(km2: float) -> str:
    return f"{km2:,.0f} km²" if km2 >= 10 else f"{km2:.2f} km²" if km2 >= 0.1 else f"{km2:.3f} km²"


def households_words(households: float, assumed: bool = False) -> str:
    """'95 households' (never '95.0'); '(assumed)' when from a density, not a layer."""
    n = round(float(households))
    return f"{n:,} household{'' if n == 1 else 's'}" + (" (assumed)" if assumed else "")


def _add_words(frame: pd.DataFrame, index: Index, units, codes, lat, lon) -> None:
    """Tooltip text for each unit: its place, its size and its households (escaped)."""
    codes = np.asarray(codes, dtype=np.int64)
    frame["place"] = place_names(index, units, codes, lat, lon)
    frame["size"] = [_km2_words(k) for k in units.area_km2[codes]]
    frame["households"] = [
        households_words(h, units.households_assumed) for h in units.households[codes]
    ]
    frame["unit_id"] = frame[S.UNIT]


# --- where the camera looks ---------------------------------------------------------
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
    """A scale bar in words for the opening view (deck.gl draws none without tiles)."""
    m = metres_per_pixel(view) * 100
    nice = min((1, 2, 5), key=lambda k: abs(math.log10(m / (k * 10 ** math.floor(math.log10(m))))))
    bar = nice * 10 ** math.floor(math.log10(m))
    length = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m"
    px = round(bar / metres_per_pixel(view))
    text = f"Scale at the opening view: {px} pixels ≈ {length}."
    if unit_km2:
        text += f" A typical unit covers {_km2_words(unit_km2)}."
    return text


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


# --- layers ---------------------------------------------------------------------------
CONTEXT_MAX_SHAPES = 400  # coarser context hexagons beyond this
CONTEXT_LABEL_MAX = 30  # area names drawn (the largest areas')
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
        if area.n:
            # name the largest areas only: small central ones would pile their names up
            ids = np.sort(np.argsort(-area.area_km2, kind="stable")[:CONTEXT_LABEL_MAX])
            pts = shapely.point_on_surface(area.frame.geometry.to_numpy()[ids])
            names = _area_names(index, name, ids)
            layers.append(
                pdk.Layer(
                    "TextLayer",
                    data=pd.DataFrame(
                        {
                            "name": names,
                            "lon": np.round(shapely.get_x(pts), 4),
                            "lat": np.round(shapely.get_y(pts), 4),
                        }
                    ),
                    id="context-names",
                    get_position=["lon", "lat"],
                    get_text="name",
                    get_size=11,
                    get_color=[40, 40, 40, 230],
                    background=True,
                    get_background_color=[255, 255, 255, 170],
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


# Columns a deck draws from rather than shows: never escaped (the rest are text a
# tooltip may show, so each value is escaped for HTML first).
_DRAWN_COLUMNS = ("hex", "polygon", "colour", "value", "lat", "lon")


def deck_data(frame: pd.DataFrame) -> pd.DataFrame:
    """A deck layer's data with every shown text escaped for HTML (`textsafe.html_text`);
    numbers stay numbers.

    deck.gl's tooltip puts `{column}` values into the page as HTML, so a group or area
    named `<img src=x onerror=...>` (from a shared link or an areas file) would run as
    script when the analyst hovers a unit. Every tooltip field goes through here."""
    out = frame.copy()
    for col in out.columns:
        if col not in _DRAWN_COLUMNS and not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = [html_text(v) for v in out[col].tolist()]
    return out


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
    data = view.units.drop(columns=["lat", "lon"])
    if view.kind == "h3":
        layers = [
            pdk.Layer(
                "H3HexagonLayer", data=deck_data(data), get_hexagon="hex", extruded=False, **common
            )
        ]
    else:
        layers = [
            pdk.Layer(
                "PolygonLayer", data=deck_data(_explode(data)), get_polygon="polygon", **common
            )
        ]
    if small:
        dots = view.units.drop(columns=[c for c in ("hex", "polygon") if c in view.units])
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                data=deck_data(dots),
                id=f"{layer_id}-dots",
                get_position=["lon", "lat"],
                get_fill_color="colour",
                get_radius=1,
                radius_min_pixels=2.5,
                radius_max_pixels=2.5,
                pickable=True,
                auto_highlight=True,
            )
        )
    return layers


# Wheel zoom in small steps, keyboard zoom and pan (arrows, +/-), no rotation.
CONTROLLER = {
    "scrollZoom": {"speed": 0.004, "smooth": False},
    "keyboard": True,
    "doubleClickZoom": True,
    "dragRotate": False,
    "touchRotate": False,
}


def _deck(layers: list[pdk.Layer], view_state: pdk.ViewState, tooltip: Any) -> pdk.Deck:
    return pdk.Deck(
        layers=layers,
        initial_view_state=view_state,
        views=[pdk.View(type="MapView", controller=CONTROLLER)],
        # No tiles. Leave map_style at pydeck's "__MAP_STYLE__" sentinel: Streamlit reads
        # it as "no base map", whereas map_style=None makes it fetch Carto's style.
        map_provider=None,
        tooltip=tooltip,
    )


TOOLTIP_STYLE = {"backgroundColor": "#222", "color": "white", "fontSize": "14px"}


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
) -> pdk.Deck:
    """The public map of one release: units coloured by shown count ("units"), or a
    smooth heat map from unit centres weighted by shown counts ("heat"). `edges` and
    `bounds` fix the colour scale and the extent (for comparing two designs fairly)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    view = map_view(index, layer, window, group, palette, edges=edges)
    lat, lon = view.units["lat"].to_numpy(), view.units["lon"].to_numpy()
    view_state = framing(
        lat, lon, view.units["value"].to_numpy(), bounds, zoom_offset, nonce, height_px
    ).view_state
    layers = context_layers(index, lat, lon)
    km2 = layer.units.area_km2[view.codes] if len(view.codes) else np.ones(1)
    if mode == "units":
        layers += _unit_layer(view, "public-units", _unit_px(view_state, km2))
        what = html_text(f"{view.group}, {view.window}")
        tooltip = {
            "html": f"<b>{{place}}</b><br/>Incidents shown: {{label}} ({what})"
            "<br/>Unit: {size}, {households}<br/><small>Unit id {unit_id}</small>",
            "style": TOOLTIP_STYLE,
        }
    else:
        heat = view.units[["lat", "lon", "value"]]
        layers.append(
            pdk.Layer(
                "HeatmapLayer",
                data=heat,
                id="public-heat",
                get_position=["lon", "lat"],
                get_weight="value",
                radius_pixels=_heat_radius(float(np.median(km2)), view_state),
                intensity=1,
                threshold=0.03,
                color_range=[hex_to_rgba(c, 255)[:3] for c in palette_steps(palette, 6)],
                aggregation="SUM",
                pickable=False,
            )
        )
        tooltip = False
    return _deck(layers, view_state, tooltip)


def shared_edges(index: Index, layers: list[PublicLayer], window: str | None = None) -> list[int]:
    """One set of class breaks for several designs' maps: from the largest value any of
    them shows (banded designs keep their bands when all share them)."""
    bands = {tuple(ly.design.bands) for ly in layers if ly.design.counts == "banded"}
    if len(bands) == 1 and all(ly.design.counts == "banded" for ly in layers):
        return list(next(iter(bands)))
    vmax = 1.0
    for ly in layers:
        v = map_view(index, ly, window if window in (None, ALL_WINDOWS) else None).units["value"]
        if len(v):
            vmax = max(vmax, float(v.max()))
    edges = [e for e in NICE_EDGES if e <= vmax]
    if len(edges) > MAX_CLASSES:
        pick = np.linspace(0, len(edges) - 1, MAX_CLASSES).round().astype(int)
        edges = [edges[i] for i in sorted(set(pick.tolist()))]
    return edges


def _heat_radius(unit_km2: float, view: pdk.ViewState) -> int:
    """Heat kernel radius in pixels: about two units across at the opening zoom, so the
    smoothing never claims more precision than the units have."""
    return int(np.clip(2.0 * math.sqrt(unit_km2) * 1000 / metres_per_pixel(view), 10, 250))


def legend(view: MapView) -> pd.DataFrame:
    """The map key as data (label, colour): what each colour means in shown counts."""
    return view.legend[["label", "colour"]].copy()


def legend_markdown(view: MapView, inline: bool = True) -> str:
    """The map key as markdown with coloured squares (no images, works offline); on
    one line under the map by default, so it stays on screen with the map."""
    return key_markdown(view.legend, f"{view.group}, {view.window} (incidents shown)", inline)


def key_markdown(legend: pd.DataFrame, title: str, inline: bool = False) -> str:
    """Any key (label, colour rows) as markdown with coloured squares."""
    rows = [
        f"<span style='white-space:nowrap'><span style='display:inline-block;width:14px;"
        f"height:14px;background:{c};border:1px solid #555;margin-right:6px;"
        f"vertical-align:middle'></span>{markdown_text(lab, inline=True)}</span>"
        for lab, c in zip(legend["label"], legend["colour"], strict=True)
    ]
    sep = " &nbsp; " if inline else "<br/>"
    # shown with HTML allowed: the title holds a group name, so it is escaped
    return f"**{markdown_text(title, inline=True)}**<br/>" + sep.join(rows)


def legend_chart(view: MapView) -> alt.Chart:
    """The map key as a small altair chart (for the report)."""
    data = view.legend.assign(order=range(len(view.legend)))
    return (
        alt.Chart(data, title=f"Incidents shown: {view.group}")
        .mark_square(size=200)
        .encode(
            y=alt.Y("label:N", sort=alt.SortField("order"), title=None),
            color=alt.Color("colour:N", scale=None),
        )
        .properties(width=30)
    )


def describe_map(index: Index, layer: PublicLayer, view: MapView) -> str:
    """What the map shows and what it does not, in plain words (¶23): the unit, the
    window, how counts are shown, and what was left out."""
    d = layer.design
    units = layer.units
    g = units.granularity
    counts = {
        "exact": "exact counts",
        "rounded": f"counts rounded to the nearest {d.round_base}",
        "banded": "counts in bands (" + ", ".join(view.legend["label"]) + ")",
        "noise": f"counts with differential-privacy noise (epsilon {d.epsilon:g})",
    }[d.counts]
    hh = "assumed from a density" if units.households_assumed else "from the households layer"
    shown = [
        f"**Unit:** {g.describe()}. A coloured unit means at least one crime happened "
        f"somewhere inside it, not at its centre or at any one address (¶22-23). "
        f"Households per unit are {hh}.",
        f"**Window:** {view.window} (one {layer.display_level} per release, updated "
        f"{d.frequency})."
        + (
            f" A neighbour comparing releases can tell {_level_words(layer.risk_level)} "
            "apart (¶34)."
            if layer.risk_level != layer.display_level
            else ""
        ),
        f"**Counts:** {counts}; showing {markdown_text(view.group, inline=True)}. "
        f"{view.note}".strip(),
    ]
    left_out = []
    hidden = [
        c
        for c, code in zip(index.categories, layer.grouping.group_of_category, strict=True)
        if code < 0
    ]
    if hidden:
        words = ", ".join(label(c) for c in hidden)
        left_out.append(f"these categories: {markdown_text(words, inline=True)}")
    if d.min_count:
        left_out.append(
            f"cells with fewer than {d.min_count} incidents ({layer.suppressed_cells:,} "
            f"cells, plus {layer.secondary_suppressed_cells:,} that a total would give away)"
        )
    if layer.outside_units:
        left_out.append(f"{layer.outside_units:,} incidents outside every unit")
    left_out.append("exact places, exact times finer than the window, and victims' details")
    if d.references == "omitted":
        left_out.append("reference numbers")
    else:
        shown.append(f"**Reference numbers:** {d.references} (¶24-25).")
    return "\n\n".join([*shown, "**Not shown:** " + "; ".join(left_out) + "."])


def _level_words(level: str) -> str:
    return "single incidents" if level == "timestamp" else f"{level}s"


# --- the risk view ------------------------------------------------------------------------
def risk_deck(
    index: Index,
    evaluation: Evaluation,
    window: str | None = None,
    zoom_offset: float = 0.0,
    nonce: int = 0,
    height_px: int = MAP_HEIGHT_PX,
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
    _add_words(frame, index, units, codes, lat, lon)
    kind = _add_shapes(frame, index, units, codes)
    view = MapView(frame, risk_legend(), window_choice(layer, window), "", kind, "", codes)
    view_state = framing(
        lat, lon, frame["incidents"].to_numpy(), None, zoom_offset, nonce, height_px
    ).view_state
    km2 = units.area_km2[codes] if len(codes) else np.ones(1)
    layers = [
        *context_layers(index, lat, lon),
        *_unit_layer(view, "risk-units", _unit_px(view_state, km2)),
    ]
    tooltip = {
        "html": "<b>{place}</b><br/>Most exposed incident: chance {r} of being linked"
        "<br/>Unit: {size}, {households}<br/>Published incidents in the window: {incidents}"
        "<br/>Group: {group}<br/>Main attacker: {attacker}<br/><small>Unit id {unit_id}</small>",
        "style": TOOLTIP_STYLE,
    }
    return _deck(layers, view_state, tooltip)


def trend_chart(frame: pd.DataFrame, unit: str, group: str, place: str = "") -> alt.Chart:
    """One unit's shown count release by release (as police.uk shows for an area): the
    public layer's own numbers, with a zero for releases where nothing was shown."""
    windows = sorted(frame[S.WINDOW].unique())
    mine = frame[(frame[S.UNIT] == unit) & (frame["group"] == group)]
    counts = mine.groupby(S.WINDOW)["count"].sum().reindex(windows, fill_value=0)
    data = pd.DataFrame({"release": windows, "shown": counts.to_numpy()})
    title = f"{group} shown in {place or unit}, release by release"
    return (
        alt.Chart(data, title=alt.TitleParams(title, anchor="start"))
        .mark_line(point=True, color=PALETTES[DEFAULT_PALETTE][3])
        .encode(
            x=alt.X("release:O", title="Release", sort=windows),
            y=alt.Y("shown:Q", title="Incidents shown"),
            tooltip=[alt.Tooltip("release:O"), alt.Tooltip("shown:Q", title="Shown")],
        )
        .properties(height=220)
    )


def small_cells(layer: PublicLayer) -> tuple[int, int]:
    """Published cells (unit, window, group) that hold exactly one and exactly two
    incidents: the ones an attacker looks at first (ARX reports them as 'uniques')."""
    true = layer.cell_true[layer.cell_group >= 0]
    return int((true == 1).sum()), int((true == 2).sum())


def risk_histogram(evaluation: Evaluation) -> alt.Chart:
    """How many published incidents have each chance of being linked (the score's
    distribution, not only its mean), on the risk view's classes."""
    ok = evaluation.published & evaluation.shown
    r, n = evaluation.r[ok], evaluation.n[ok].astype(float)
    cls = np.clip(np.searchsorted(RISK_EDGES, r, side="right") - 1, 0, len(RISK_EDGES) - 1)
    legend = risk_legend()
    counts = np.bincount(cls, weights=n, minlength=len(RISK_EDGES))
    data = legend.assign(incidents=counts.round().astype(int), order=range(len(legend)))
    return (
        alt.Chart(data, title="Published incidents by their chance of being linked")
        .mark_bar()
        .encode(
            x=alt.X("label:N", sort=alt.SortField("order"), title="Chance of being linked"),
            y=alt.Y("incidents:Q", title="Incidents"),
            color=alt.Color("colour:N", scale=None),
            tooltip=[
                alt.Tooltip("label:N", title="Chance"),
                alt.Tooltip("incidents:Q", format=",", title="Incidents"),
            ],
        )
        .properties(height=220)
    )


def risk_legend() -> pd.DataFrame:
    """Key of the risk view: chance that a unit's most exposed incident is linked."""
    colours = palette_steps(RISK_PALETTE, len(RISK_EDGES))
    edges = [*RISK_EDGES, None]
    labels = [
        f"{lo:.0%} to {hi:.0%}" if hi is not None else f"{lo:.0%} or more"
        for lo, hi in pairwise(edges)
    ]
    return pd.DataFrame({"label": labels, "colour": colours, "lower": list(RISK_EDGES)})


# --- charts of the assessment ---------------------------------------------------------
def _short(label: str) -> str:
    """'Register linker (¶10, ¶21, ¶36)' -> 'Register linker' (the full label goes in
    the tooltip, so a narrow column still reads)."""
    return label.split(" (")[0]


def attacker_chart(assessment: Assessment) -> alt.Chart:
    """Each attacker's part of the score (0-100)."""
    data = pd.DataFrame(
        {
            "attacker": [_short(ATTACKER_LABELS[k]) for k in assessment.attackers],
            "who": [ATTACKER_LABELS[k] for k in assessment.attackers],
            "score": [round(v, 1) for v in assessment.attackers.values()],
        }
    )
    base = alt.Chart(data, title="Each attacker's part (0-100)")
    y = alt.Y("attacker:N", sort=None, title=None, axis=alt.Axis(labelLimit=220))
    bars = base.mark_bar(color=PALETTES["cividis"][5]).encode(
        x=alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), title="Score"),
        y=y,
        tooltip=["who", "score"],
    )
    text = base.mark_text(align="left", dx=3).encode(x="score:Q", y=y, text="score:Q")
    return (bars + text).properties(height=CHART_ROW_PX * len(data) + CHART_FRAME_PX)


def factor_chart(assessment: Assessment) -> alt.Chart:
    """Each factor's effect: the score with that factor one step more revealing
    (hollow) against the score as designed (filled), as `advice.factors` gives them."""
    rows = [
        {
            "factor": _short(f["label"]),
            "one step more revealing": f["from"],
            "as designed": f["to"],
            "text": f"{f['label']}: {f['text']}",
        }
        for f in assessment.factors
    ]
    data = pd.DataFrame(rows, columns=["factor", "one step more revealing", "as designed", "text"])
    base = alt.Chart(data, title="What each choice does to the score")
    y = alt.Y("factor:N", sort=None, title=None, axis=alt.Axis(labelLimit=220))
    rule = base.mark_rule(color="#888").encode(
        x=alt.X(
            "one step more revealing:Q",
            scale=alt.Scale(domain=[0, 100]),
            title="Score: hollow = one step more revealing, filled = as designed",
        ),
        x2="as designed:Q",
        y=y,
    )
    worst = base.mark_point(filled=False, size=80, color=PALETTES["inferno"][3]).encode(
        x="one step more revealing:Q", y=y, tooltip=["text"]
    )
    now = base.mark_point(filled=True, size=80, color=PALETTES["cividis"][6]).encode(
        x="as designed:Q", y=y, tooltip=["text"]
    )
    return (rule + worst + now).properties(height=CHART_ROW_PX * max(len(rows), 1) + CHART_FRAME_PX)


def matrix_chart(assessment: Assessment) -> alt.Chart:
    """The impact assessment's likelihood x severity matrix: published incidents in each
    cell, coloured by the risk level the cell stands for."""
    data = assessment.matrix
    base = alt.Chart(data, title="Likelihood x severity (published incidents)")
    x = alt.X("severity:N", sort=list(SEVERITIES), title="Severity")
    y = alt.Y("likelihood:N", sort=list(reversed(LIKELIHOODS)), title="Likelihood")
    cells = base.mark_rect(stroke="white").encode(
        x=x,
        y=y,
        color=alt.Color(
            "risk:N",
            scale=alt.Scale(domain=list(RISK_COLOURS), range=list(RISK_COLOURS.values())),
            title="Risk",
        ),
        tooltip=["likelihood", "severity", "risk", "incidents"],
    )
    text = base.mark_text(fontSize=14, fontWeight="bold").encode(
        x=x,
        y=y,
        text="incidents:Q",
        color=alt.condition(alt.datum.risk == "low", alt.value("black"), alt.value("white")),
    )
    return (cells + text).properties(width=alt.Step(70), height=alt.Step(44))


def design_point(assessment: Assessment) -> tuple[float, float]:
    """Where a design sits on the frontier chart: (score, detail), with detail defined
    as in `advice.frontier` (minus log10 of the median published unit's km2)."""
    km2 = assessment.utility.get("median_unit_km2", 0.0)
    return assessment.score, -math.log10(max(km2, 1e-9))


def frontier_chart(
    frontier_df: pd.DataFrame,
    current: tuple[float, float] | None = None,
    pinned: tuple[float, float] | None = None,
) -> alt.Chart:
    """The privacy-utility frontier: each swept design's score against its detail, the
    efficient ones joined by a line, and the current and pinned designs marked."""
    df = frontier_df.copy()
    if df.empty:
        return alt.Chart(pd.DataFrame({"x": []})).mark_point()
    # plain words, not codes: "H3 hexagons at resolution 8, updated monthly"
    words = {g: Design(granularity=g).spatial.describe() for g in df["granularity"].unique()}
    df["design"] = df["granularity"].map(words) + ", updated " + df["frequency"]
    # Detail is read as what it is: the typical published unit's size, on a log scale
    # with small units at the top (the y of a point is minus log10 of its km²).
    df["km2"] = 10 ** -df["detail"]
    x = alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), title="Identifiability score")
    y = alt.Y(
        "km2:Q",
        scale=alt.Scale(type="log", reverse=True),
        title="Typical unit size, km² (log scale; smaller, more detailed units are higher)",
    )
    base = alt.Chart(df)
    points = base.mark_circle(size=60, opacity=0.8).encode(
        x=x,
        y=y,
        color=alt.Color(
            "frequency:N",
            scale=alt.Scale(
                domain=["weekly", "monthly", "quarterly"], range=["#1f9e89", "#3a528b", "#3b0150"]
            ),
            title="Updated",
        ),
        tooltip=[
            alt.Tooltip("design:N", title="Design"),
            alt.Tooltip("score:Q", format=".1f", title="Score"),
            alt.Tooltip("km2:Q", format=".3g", title="Typical unit, km²"),
            alt.Tooltip("efficient:N", title="On the frontier"),
        ],
    )
    line = (
        alt.Chart(df[df["efficient"]])
        .mark_line(color="#555", strokeDash=[4, 3])
        .encode(x=x, y=y, order="score:Q")
    )
    layers = [line, points]
    marks = []
    if current is not None:
        marks.append({"score": current[0], "km2": 10 ** -current[1], "which": "current design"})
    if pinned is not None:
        marks.append({"score": pinned[0], "km2": 10 ** -pinned[1], "which": "pinned design"})
    if marks:
        m = pd.DataFrame(marks)
        layers.append(
            alt.Chart(m)
            .mark_point(shape="diamond", size=220, filled=True, stroke="black")
            .encode(
                x=x,
                y=y,
                shape=alt.Shape(
                    "which:N",
                    scale=alt.Scale(
                        domain=["current design", "pinned design"], range=["diamond", "square"]
                    ),
                    title=None,
                ),
                color=alt.Color(
                    "which:N",
                    scale=alt.Scale(
                        domain=["current design", "pinned design"], range=["#d62728", "#7f7f7f"]
                    ),
                    title=None,
                ),
                tooltip=["which", alt.Tooltip("score:Q", format=".1f")],
            )
        )
    # the marks' colours are their own, not more frequencies
    return (
        alt.layer(*layers)
        .resolve_scale(color="independent", shape="independent")
        .properties(height=400, title=alt.TitleParams("Privacy-utility frontier", anchor="middle"))
    )


# --- a static map for the report ------------------------------------------------------
def static_map_chart(
    index: Index,
    layer: PublicLayer,
    window: str | None = None,
    group: str | None = None,
    palette: str = DEFAULT_PALETTE,
) -> alt.Chart:
    """An altair geoshape choropleth of one release of the public layer, for the export
    report (renders offline with vl-convert: no tiles, inline data)."""
    view = map_view(index, layer, window, group, palette)
    geoms = layer.units.geometries(index, view.codes) if len(view.codes) else []
    props = [
        {"unit": u, "label": lab, "class": c}
        for u, lab, c in zip(
            view.units[S.UNIT], view.units["label"], view.units["class"], strict=True
        )
    ]
    # d3-geo (Vega-Lite) reads rings on the sphere: it needs exteriors clockwise, the
    # opposite of RFC 7946, so the one GeoJSON writer is asked for that by name
    features = geojson.features(props, geoms, clockwise=True)
    classes = view.legend["label"].tolist()
    title = f"{view.group}, {view.window}: {layer.units.granularity.describe()}"
    return (
        alt.Chart(alt.Data(values=features), title=title)
        .mark_geoshape(stroke="white", strokeWidth=0.3)
        .encode(
            color=alt.Color(
                "properties.class:N",
                scale=alt.Scale(domain=classes, range=view.legend["colour"].tolist()),
                sort=classes,
                title="Incidents shown",
            ),
            tooltip=[
                alt.Tooltip("properties.unit:N", title="Unit"),
                alt.Tooltip("properties.label:N", title="Shown"),
            ],
        )
        .project(type="mercator")
        .properties(width=520, height=420)
    )
