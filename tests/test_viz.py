"""The pictures: decks and charts build from a small index, need no tiles, and never
carry a raw incident coordinate (only unit ids, unit shapes and unit centres)."""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pydeck as pdk
import pytest
import vl_convert as vlc
from deckcheck import assert_no_incident_positions
from enginekit import incidents_frame, make_index

from crimedash import schema as S
from crimedash import viz
from crimedash.advice import frontier
from crimedash.assessment import assess
from crimedash.design import Design
from crimedash.layer import TOTAL_GROUP, apply_design
from crimedash.risk import evaluate

GRANULARITIES = ["h3:8", "grid:500", "areas:fine", "adaptive:8"]


INCIDENTS = incidents_frame(np.random.default_rng(11), 300)


@pytest.fixture(scope="module")
def index():
    return make_index(11, n_households=400, areas=True, frame=INCIDENTS)


def assert_no_incident_coordinates(deck_json: str, incidents) -> None:
    assert_no_incident_positions(deck_json, incidents[S.LATITUDE], incidents[S.LONGITUDE])


def assert_offline(deck: pdk.Deck) -> None:
    """No base map: pydeck's style sentinel (Streamlit then draws no tiles) and no
    tile or style address anywhere in the deck."""
    text = deck.to_json()
    assert json.loads(text).get("mapStyle") == "__MAP_STYLE__"
    for host in ("cartocdn", "mapbox", "googleapis", "http://", "https://"):
        assert host not in text


@pytest.mark.parametrize("granularity", GRANULARITIES)
@pytest.mark.parametrize("mode", viz.MODES)
def test_public_deck_has_units_and_no_raw_points(index, granularity, mode):
    layer = apply_design(index, Design(granularity=granularity))
    deck = viz.public_deck(index, layer, mode=mode)
    assert isinstance(deck, pdk.Deck)
    spec = json.loads(deck.to_json())
    types = [ly["@@type"] for ly in spec["layers"]]
    expected = {
        "heat": "HeatmapLayer",
        # adaptive units may pool several cells, so they are drawn as polygons
        "units": "H3HexagonLayer" if granularity.startswith("h3") else "PolygonLayer",
    }[mode]
    assert expected in types
    assert_offline(deck)
    assert_no_incident_coordinates(deck.to_json(), INCIDENTS)


def test_h3_units_are_hex_strings(index):
    layer = apply_design(index, Design(granularity="h3:9"))
    spec = json.loads(viz.public_deck(index, layer).to_json())
    units = next(ly for ly in spec["layers"] if ly["id"] == "public-units")
    hexes = [row["hex"] for row in units["data"]]
    assert hexes and all(isinstance(h, str) and len(h) == 15 for h in hexes)


def test_context_layer_outlines_the_coarsest_area_layer(index):
    layer = apply_design(index, Design())
    spec = json.loads(viz.public_deck(index, layer).to_json())
    ctx = next(ly for ly in spec["layers"] if ly["id"] == "context-areas")
    assert len(ctx["data"]) == index.areas["merged"].n


def test_map_view_follows_the_public_layer(index):
    layer = apply_design(index, Design(granularity="h3:8"))
    frame = layer.frame(index)
    last = layer.window_labels()[-1]
    view = viz.map_view(index, layer)
    assert view.window == last and view.group == TOTAL_GROUP
    want = frame[(frame["window"] == last) & (frame["group"] == TOTAL_GROUP)]
    got = dict(zip(view.units["unit"], view.units["value"], strict=True))
    assert got == dict(zip(want["unit"], want["count"].astype(float), strict=True))


def test_banded_legend_is_the_designs_bands(index):
    layer = apply_design(index, Design(counts="banded"))
    view = viz.map_view(index, layer)
    assert view.legend["lower"].tolist() == list(Design().bands)
    assert view.legend["label"].iloc[-1] == "51 or more"
    assert set(view.units["class"]) <= set(view.legend["label"])


def test_one_group_and_all_windows(index):
    layer = apply_design(index, Design())
    group = layer.grouping.groups[0]
    view = viz.map_view(index, layer, window=viz.ALL_WINDOWS, group=group)
    frame = layer.frame(index)
    want = frame[frame["group"] == group].groupby("unit")["count"].sum()
    assert (
        dict(zip(view.units["unit"], view.units["value"], strict=True))
        == want.astype(float).to_dict()
    )
    assert "summed" in view.note


def test_describe_map_names_unit_window_counts_and_what_is_left_out(index):
    design = Design(min_count=3, hidden_groups=("Anti-social behaviour",))
    layer = apply_design(index, design)
    text = viz.describe_map(index, layer, viz.map_view(index, layer))
    for words in (
        "Unit:",
        "Window:",
        "Counts:",
        "Not shown:",
        "fewer than 3",
        "¶22-23",
        "anti_social_behaviour",
    ):
        assert words in text


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_risk_deck_tooltip_says_why_and_has_no_raw_points(index, granularity):
    ev = evaluate(index, Design(granularity=granularity))
    deck = viz.risk_deck(index, ev)
    html = deck._tooltip["html"]
    for field in ("{households}", "{incidents}", "{group}", "{attacker}"):
        assert field in html
    assert_no_incident_coordinates(deck.to_json(), INCIDENTS)
    assert_offline(deck)


def test_risk_deck_colours_every_unit_with_published_incidents(index):
    ev = evaluate(index, Design())
    layer = ev.layer
    spec = json.loads(viz.risk_deck(index, ev, viz.ALL_WINDOWS).to_json())
    units = next(ly for ly in spec["layers"] if ly["id"] == "risk-units")
    assert {row["unit"] for row in units["data"]} == set(layer.frame(index)["unit"])
    assert sum(row["incidents"] for row in units["data"]) == layer.published_incidents


def test_charts_render_offline(index):
    a = assess(index, Design())
    charts = [viz.attacker_chart(a), viz.factor_chart(a), viz.matrix_chart(a)]
    fr = frontier(index, Design())
    charts.append(viz.frontier_chart(fr, current=viz.design_point(a), pinned=(10.0, 0.0)))
    layer = apply_design(index, Design(granularity="areas:fine"))
    charts.append(viz.static_map_chart(index, layer))
    charts.append(viz.legend_chart(viz.map_view(index, layer)))
    for chart in charts:
        assert isinstance(chart, alt.TopLevelMixin)
        png = vlc.vegalite_to_png(chart.to_json())
        assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_static_map_has_one_feature_per_unit(index):
    layer = apply_design(index, Design(granularity="h3:8"))
    spec = viz.static_map_chart(index, layer).to_dict()
    features = spec["data"]["values"]
    view = viz.map_view(index, layer)
    assert [f["properties"]["unit"] for f in features] == view.units["unit"].tolist()


def test_palettes_are_validated():
    with pytest.raises(ValueError, match="palette must be one of"):
        viz.palette_steps("rainbow", 3)
