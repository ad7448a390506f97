"""altair charts of the engine's results: a unit's trend, the risk histogram, the
assessment's parts, the frontier, and a static map for the report (renders offline).
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from crimedash import geojson
from crimedash import schema as S
from crimedash.design import Design
from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.risk import ATTACKER_LABELS, LIKELIHOODS, SEVERITIES, Assessment, Evaluation
from crimedash.viz.style import (
    CHART_FRAME_PX,
    CHART_ROW_PX,
    DEFAULT_PALETTE,
    PALETTES,
    RISK_COLOURS,
    RISK_EDGES,
    risk_legend,
)
from crimedash.viz.view import map_view

__all__ = [
    "FRONTIER_PICK",
    "attacker_chart",
    "design_point",
    "factor_chart",
    "frontier_chart",
    "map_png",
    "matrix_chart",
    "risk_histogram",
    "small_cells",
    "static_map_chart",
    "trend_chart",
]

FRONTIER_PICK = "pick"  # the frontier chart's click selection (granularity, frequency)


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
    selectable: bool = False,
) -> alt.Chart:
    """The privacy-utility frontier: each swept design's score against its detail, the
    efficient ones joined by a line, and the current and pinned designs marked.

    `selectable` lets a click on a swept design select it (the selection `FRONTIER_PICK`
    carries its granularity and frequency), so the app can apply the design clicked."""
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
        # two short lines: one long vertical title was cut at the chart's 400 px height
        title=["Typical unit size, km² (log scale)", "smaller, more detailed units higher"],
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
    if selectable:
        pick = alt.selection_point(
            name=FRONTIER_PICK, fields=["granularity", "frequency"], on="click", clear=False
        )
        points = points.add_params(pick).encode(
            size=alt.condition(pick, alt.value(160), alt.value(60)),
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


def map_png(
    index: Index,
    layer: PublicLayer,
    window: str | None = None,
    group: str | None = None,
    palette: str = DEFAULT_PALETTE,
    scale: float = 2.0,
) -> bytes:
    """A PNG of the public map as shown (one release, one group, its key), rendered on
    the server from the same public layer with vl-convert, as the export report's map
    is: no tiles, no CDN, no browser canvas, so what the analyst downloads is exactly
    what the layer publishes (kepler.gl's 'export image')."""
    import vl_convert as vlc

    chart = static_map_chart(index, layer, window, group, palette)
    return vlc.vegalite_to_png(chart.to_json(), scale=scale)
