"""Colours, sizes and keys shared by every picture of the engine's results.

Kept apart from the drawing so a reviewer can check the palettes in one place: each
public and risk step keeps WCAG's 3:1 non-text contrast on white, and the two palettes
differ in hue so "dark means more crime" and "dark means riskier" cannot be confused.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from crimedash.textsafe import markdown_text

__all__ = [
    "CHART_FRAME_PX",
    "CHART_ROW_PX",
    "CONTEXT_COLOUR",
    "CONTEXT_RESOLUTION",
    "COORD_DECIMALS",
    "DEFAULT_PALETTE",
    "MAP_HEIGHT_PX",
    "MAP_WIDTH_PX",
    "MAX_CLASSES",
    "NICE_EDGES",
    "PALETTES",
    "RISK_COLOURS",
    "RISK_EDGES",
    "RISK_PALETTE",
    "VERDICT_COLOURS",
    "hex_to_rgba",
    "key_markdown",
    "palette_steps",
    "risk_legend",
]

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


def risk_legend() -> pd.DataFrame:
    """Key of the risk view: chance that a unit's most exposed incident is linked."""
    colours = palette_steps(RISK_PALETTE, len(RISK_EDGES))
    edges = [*RISK_EDGES, None]
    labels = [
        f"{lo:.0%} to {hi:.0%}" if hi is not None else f"{lo:.0%} or more"
        for lo, hi in pairwise(edges)
    ]
    return pd.DataFrame({"label": labels, "colour": colours, "lower": list(RISK_EDGES)})


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
