"""What one view of the public layer shows: the units of one release and group with
their shown counts, classes and colours, the key, and the map described in words (¶23).
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from crimedash import schema as S
from crimedash.atoms import TOTAL_GROUP
from crimedash.cancel import checkpoint
from crimedash.categories import label
from crimedash.disclosure import count_labels
from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.textsafe import markdown_text
from crimedash.viz.places import _add_shapes, _add_words
from crimedash.viz.style import (
    COORD_DECIMALS,
    DEFAULT_PALETTE,
    MAX_CLASSES,
    NICE_EDGES,
    hex_to_rgba,
    key_markdown,
    palette_steps,
)
from crimedash.windows import window_label

__all__ = [
    "ALL_WINDOWS",
    "MODES",
    "MapView",
    "describe_map",
    "group_choices",
    "legend",
    "legend_chart",
    "legend_markdown",
    "map_view",
    "shared_edges",
    "window_choice",
]

ALL_WINDOWS = "All windows"  # window=ALL_WINDOWS: every published window together
MODES = ("units", "heat")


@dataclass(frozen=True)
class MapView:
    """One release of the public layer, ready to draw: a row per unit with its shown
    value and words, the legend, and what was picked (window, group)."""

    units: pd.DataFrame  # unit, value, label, colour (rgba), lat, lon, hex, hexagons or polygon
    legend: pd.DataFrame  # label, colour (hex), lower
    window: str
    group: str
    kind: str  # "h3" (hexagon ids), "h3cluster" (a list of ids per unit) or "polygon"
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
    checkpoint()  # a stale map being built stops between its stages (ui.deckjob)
    _add_words(frame, index, units, codes, lat, lon)
    checkpoint()
    kind = _add_shapes(frame, index, units, codes)
    return MapView(frame, legend, window_choice(layer, window), group, kind, note, codes)


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


def legend(view: MapView) -> pd.DataFrame:
    """The map key as data (label, colour): what each colour means in shown counts."""
    return view.legend[["label", "colour"]].copy()


def legend_markdown(view: MapView, inline: bool = True) -> str:
    """The map key as markdown with coloured squares (no images, works offline); on
    one line under the map by default, so it stays on screen with the map."""
    return key_markdown(view.legend, f"{view.group}, {view.window} (incidents shown)", inline)


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
