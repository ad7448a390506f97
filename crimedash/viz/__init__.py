"""Pictures of engine results: pydeck decks and altair charts, as plain values.

The app shows them, the export report renders them offline and a test inspects them,
so nothing here imports streamlit. Every number drawn comes from the engine (the public
layer, the evaluation, the assessment, the frontier); this package only picks colours,
shapes and words. It is split by what each part owns:

- `style`: palettes, class edges, sizes and keys (the WCAG-checked colours);
- `places`: unit shapes and the words a tooltip shows (place, size, households);
- `framing`: where the camera opens, far-away units as a finding, the scale;
- `view`: one release and group of the public layer, its legend and description;
- `decks`: the public and risk pydeck decks, context layers and base-map tiles;
- `charts`: trend, histogram, assessment charts, the frontier, the report's map.

Two promises a privacy reviewer can check:
- A deck never holds a raw incident coordinate: units are drawn as H3 ids, grid or
  area polygons, and the heat map is built from unit centres weighted by shown counts.
  Even the camera is placed from the units, not from the incidents' extent.
- Maps need no CDN (`map_provider=None`, no map style): a faint context layer (the
  loaded areas' outlines, or coarse hexagons) stands in for a base map, and the palettes
  are colour-blind-safe sequential steps.
"""

from __future__ import annotations

from crimedash.viz.charts import (
    FRONTIER_PICK,
    attacker_chart,
    design_point,
    factor_chart,
    frontier_chart,
    map_png,
    matrix_chart,
    risk_histogram,
    small_cells,
    static_map_chart,
    trend_chart,
)
from crimedash.viz.decks import (
    CONTEXT_LABEL_MAX,
    CONTEXT_MAX_SHAPES,
    CONTROLLER,
    SMALL_UNIT_PX,
    TOOLTIP_STYLE,
    context_labels,
    context_layers,
    deck_data,
    deck_json,
    deck_records,
    public_deck,
    risk_deck,
)
from crimedash.viz.framing import (
    Framing,
    far_note,
    framing,
    metres_per_pixel,
    scale_note,
    union_bounds,
)
from crimedash.viz.pair import pair_deck, pair_offset
from crimedash.viz.places import households_words, place_names, unit_place
from crimedash.viz.style import (
    CHART_FRAME_PX,
    CHART_ROW_PX,
    COORD_DECIMALS,
    DEFAULT_PALETTE,
    MAP_HEIGHT_PX,
    MAP_WIDTH_PX,
    PALETTES,
    RISK_COLOURS,
    RISK_EDGES,
    RISK_PALETTE,
    VERDICT_COLOURS,
    hex_to_rgba,
    key_markdown,
    palette_steps,
    risk_legend,
)
from crimedash.viz.tiles import (
    ATTRIBUTION_ENV,
    TILES_ENV,
    TileSettingError,
    attribution,
    tile_layers,
    tile_template,
)
from crimedash.viz.view import (
    ALL_WINDOWS,
    MODES,
    MapView,
    describe_map,
    group_choices,
    legend,
    legend_chart,
    legend_markdown,
    map_view,
    shared_edges,
    window_choice,
)

__all__ = [
    "ALL_WINDOWS",
    "ATTRIBUTION_ENV",
    "CHART_FRAME_PX",
    "CHART_ROW_PX",
    "CONTEXT_LABEL_MAX",
    "CONTEXT_MAX_SHAPES",
    "CONTROLLER",
    "COORD_DECIMALS",
    "DEFAULT_PALETTE",
    "FRONTIER_PICK",
    "MAP_HEIGHT_PX",
    "MAP_WIDTH_PX",
    "MODES",
    "PALETTES",
    "RISK_COLOURS",
    "RISK_EDGES",
    "RISK_PALETTE",
    "SMALL_UNIT_PX",
    "TILES_ENV",
    "TOOLTIP_STYLE",
    "VERDICT_COLOURS",
    "Framing",
    "MapView",
    "TileSettingError",
    "attacker_chart",
    "attribution",
    "context_labels",
    "context_layers",
    "deck_data",
    "deck_json",
    "deck_records",
    "describe_map",
    "design_point",
    "factor_chart",
    "far_note",
    "framing",
    "frontier_chart",
    "group_choices",
    "hex_to_rgba",
    "households_words",
    "key_markdown",
    "legend",
    "legend_chart",
    "legend_markdown",
    "map_png",
    "map_view",
    "matrix_chart",
    "metres_per_pixel",
    "pair_deck",
    "pair_offset",
    "palette_steps",
    "place_names",
    "public_deck",
    "risk_deck",
    "risk_histogram",
    "risk_legend",
    "scale_note",
    "shared_edges",
    "small_cells",
    "static_map_chart",
    "tile_layers",
    "tile_template",
    "trend_chart",
    "union_bounds",
    "unit_place",
    "window_choice",
]
