"""The base map from the analyst's tile server: off unless a server is named, a bad
template said with what to change, and the tiles under the map are the ones that cover
the view the map opens on (checked against the tile arithmetic, not a recorded list)."""

from __future__ import annotations

import base64
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
    """One TerrainLayer, first (underneath), loading the tiles of whatever the camera
    shows (deck.gl picks them as the view moves, wheel zoom included), flat, at the
    base map's opacity; its mesh worker is a data: URL, never a CDN's script."""
    layer = apply_design(index, Design(granularity="h3:8"))
    plain = json.loads(viz.public_deck(index, layer).to_json())
    assert not [ly for ly in plain["layers"] if ly["@@type"] in ("TerrainLayer", "BitmapLayer")]
    for deck in (
        viz.public_deck(index, layer, tiles=TEMPLATE),
        viz.risk_deck(index, apply_design_eval(index), tiles=TEMPLATE),
    ):
        spec = json.loads(deck.to_json())
        base = spec["layers"][0]
        assert base["@@type"] == "TerrainLayer" and base["texture"] == TEMPLATE
        assert [ly["@@type"] for ly in spec["layers"]].count("TerrainLayer") == 1
        assert base["opacity"] == T.TILE_OPACITY and base["material"] == T.UNLIT
        assert base["tileSize"] == T.TILE_PX and base["maxZoom"] == T.MAX_TILE_ZOOM
        assert set(base["elevationDecoder"].values()) == {0}  # flat: a map, not a terrain
        assert base["elevationData"].startswith("data:image/png;base64,")
        assert base["elevationData"].endswith("#{z}/{x}/{y}")  # deck.gl reads it as tiled
        worker = base["loadOptions"]["terrain"]["workerUrl"]
        assert worker.startswith("data:text/javascript;base64,")
        assert "postMessage" in base64.b64decode(worker.split(",", 1)[1]).decode()
        assert not any(str(v).startswith("@@=") for v in base.values())
        assert spec.get("mapStyle") == "__MAP_STYLE__"  # still no vendor map style
        assert_no_incident_positions(deck.to_json(), INCIDENTS[S.LATITUDE], INCIDENTS[S.LONGITUDE])


def test_a_template_with_subdomains_becomes_deck_gls_list_of_addresses():
    (base,) = T.tile_layers("https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    assert base.texture == [f"https://{s}.tiles.example.org/{{z}}/{{x}}/{{y}}.png" for s in "abc"]


def test_compared_maps_draw_each_maps_own_tiles_at_one_opacity(index):
    """The pair draws its second map east of the first, so its tiles are BitmapLayers
    of the opening view moved with it: one level, so opacities never stack."""
    layers = [apply_design(index, Design(granularity=g)) for g in ("h3:8", "h3:7")]
    bounds = viz.framing(index.lat, index.lon).bounds
    edges = viz.shared_edges(index, layers)
    deck = viz.pair_deck(index, layers, ["A", "B"], edges, bounds, tiles=TEMPLATE)
    spec = json.loads(deck.to_json())
    bitmaps = [ly for ly in spec["layers"] if ly["@@type"] == "BitmapLayer"]
    first = [b for b in bitmaps if b["id"].endswith("-pair0")]
    second = [b for b in bitmaps if b["id"].endswith("-pair1")]
    assert first and len(first) == len(second)
    assert len({b["id"].split("-")[1] for b in bitmaps}) == 1  # one zoom level
    assert all(b["opacity"] == T.TILE_OPACITY for b in bitmaps)
    dx = viz.pair_offset(bounds)
    assert second[0]["bounds"][0] == pytest.approx(first[0]["bounds"][0] + dx)


def apply_design_eval(index):
    from crimedash.risk import evaluate

    return evaluate(index, Design(granularity="h3:8"))


def test_the_credit_names_the_server_or_the_given_line(monkeypatch):
    monkeypatch.delenv(T.ATTRIBUTION_ENV, raising=False)
    assert T.attribution(None) == ""
    assert "127.0.0.1:9" in T.attribution(TEMPLATE)
    monkeypatch.setenv(T.ATTRIBUTION_ENV, "© OpenStreetMap contributors")
    assert T.attribution(TEMPLATE) == "Base map: © OpenStreetMap contributors"
