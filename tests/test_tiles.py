"""The base map from the analyst's tile server: off unless a server is named, a bad
template said with what to change, and the tiles under the map are the ones that cover
the view the map opens on (checked against the tile arithmetic, not a recorded list)."""

from __future__ import annotations

import json

import numpy as np
import pydeck as pdk
import pytest
from deckcheck import assert_no_incident_positions
from enginekit import incidents_frame, make_index

from crimedash import schema as S
from crimedash import viz
from crimedash.design import Design
from crimedash.layer import apply_design
from crimedash.viz import tiles as T

TEMPLATE = "http://127.0.0.1:9/{z}/{x}/{y}.png"
INCIDENTS = incidents_frame(np.random.default_rng(5), 200)


@pytest.fixture(scope="module")
def index():
    return make_index(5, n_households=300, areas=True, frame=INCIDENTS)


def test_no_server_no_tiles(monkeypatch):
    monkeypatch.delenv(T.TILES_ENV, raising=False)
    assert T.tile_template() is None
    assert T.tile_template("  ") is None
    monkeypatch.setenv(T.TILES_ENV, TEMPLATE)
    assert T.tile_template() == TEMPLATE
    assert T.tile_template("") is None  # the sidebar emptied wins over the environment


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ("tiles.example.org/{z}/{x}/{y}.png", "not an http(s) address"),
        ("file:///etc/{z}/{x}/{y}.png", "not an http(s) address"),
        ("https://tiles.example.org/{z}/{x}.png", "must hold {z}, {x} and {y}"),
        ("https://tiles.example.org/{z}/{x}/{y}.png?k={apikey}", "nothing else in braces"),
    ],
)
def test_a_bad_template_is_said_with_a_hint(bad, said):
    with pytest.raises(T.TileSettingError, match="tile server") as e:
        T.tile_template(bad)
    assert said in str(e.value) and e.value.hint


def test_tile_bounds_and_addresses_follow_the_slippy_map_scheme():
    assert T.tile_bounds(0, 0, 0) == pytest.approx([-180, -85.0511, 180, 85.0511], abs=1e-4)
    w, s, e, n = T.tile_bounds(1, 1, 0)  # north-east quarter of the world
    assert (w, s, e) == pytest.approx((0, 0, 180)) and n > 85
    url = T.tile_url("https://{s}.tiles.example.org/{z}/{x}/{y}.png", 12, 2046, 1362)
    assert url.endswith("/12/2046/1362.png") and url.split(".")[0][-1] in "abc"


@pytest.mark.parametrize("zoom", [5.0, 11.3, 15.7])
def test_the_tiles_cover_the_opening_view_and_its_margin(zoom):
    view = pdk.ViewState(latitude=53.48, longitude=-2.24, zoom=zoom)
    width, height = 1000, 520
    tiles = T.tiles_for_view(view, width, height)
    assert len({z for z, _, _ in tiles}) == 1 and len(tiles) <= T.MAX_TILES
    boxes = np.array([T.tile_bounds(*t) for t in tiles])
    west, south, east, north = (
        boxes[:, 0].min(),
        boxes[:, 1].min(),
        boxes[:, 2].max(),
        boxes[:, 3].max(),
    )
    # the view's own corners, from deck.gl's 512-px world at this zoom
    deg_per_px = 360 / (512 * 2**zoom)
    half_w = width / 2 * deg_per_px
    half_h = height / 2 * deg_per_px * np.cos(np.radians(view.latitude))
    assert west <= view.longitude - half_w and east >= view.longitude + half_w
    assert south <= view.latitude - half_h and north >= view.latitude + half_h
    # one tile pixel is about one screen pixel: tiles are 256 px wide on screen, +-41%
    tile_px = (boxes[0, 2] - boxes[0, 0]) / deg_per_px
    assert 256 / 1.42 <= tile_px <= 256 * 1.42


def test_a_deck_draws_tiles_under_the_units_only_when_asked(index):
    layer = apply_design(index, Design(granularity="h3:8"))
    plain = json.loads(viz.public_deck(index, layer).to_json())
    assert not [ly for ly in plain["layers"] if ly["@@type"] == "BitmapLayer"]
    for deck in (
        viz.public_deck(index, layer, tiles=TEMPLATE),
        viz.risk_deck(index, apply_design_eval(index), tiles=TEMPLATE),
    ):
        spec = json.loads(deck.to_json())
        types = [ly["@@type"] for ly in spec["layers"]]
        bitmaps = [ly for ly in spec["layers"] if ly["@@type"] == "BitmapLayer"]
        assert bitmaps and all(b["image"].startswith("http://127.0.0.1:9/") for b in bitmaps)
        last_tile = max(i for i, t in enumerate(types) if t == "BitmapLayer")
        assert last_tile < types.index("H3HexagonLayer")  # the base map is underneath
        assert spec.get("mapStyle") == "__MAP_STYLE__"  # still no vendor map style
        assert_no_incident_positions(deck.to_json(), INCIDENTS[S.LATITUDE], INCIDENTS[S.LONGITUDE])


def apply_design_eval(index):
    from crimedash.risk import evaluate

    return evaluate(index, Design(granularity="h3:8"))


def test_the_credit_names_the_server_or_the_given_line(monkeypatch):
    monkeypatch.delenv(T.ATTRIBUTION_ENV, raising=False)
    assert T.attribution(None) == ""
    assert "127.0.0.1:9" in T.attribution(TEMPLATE)
    monkeypatch.setenv(T.ATTRIBUTION_ENV, "© OpenStreetMap contributors")
    assert T.attribution(TEMPLATE) == "Base map: © OpenStreetMap contributors"
