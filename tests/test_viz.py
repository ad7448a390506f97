"""The pictures: decks and charts build from a small index, need no tiles, and never
carry a raw incident coordinate (only unit ids, unit shapes and unit centres)."""

from __future__ import annotations

import json
import re

import altair as alt
import h3
import numpy as np
import pandas as pd
import pydeck as pdk
import pytest
import shapely
import vl_convert as vlc
from deckcheck import assert_no_incident_positions
from enginekit import incidents_frame, make_index
from hypothesis import given, settings
from hypothesis import strategies as st

from crimedash import schema as S
from crimedash import viz
from crimedash.advice import frontier
from crimedash.assessment import assess
from crimedash.atoms import TOTAL_GROUP
from crimedash.design import Design
from crimedash.layer import apply_design
from crimedash.risk import evaluate
from crimedash.textsafe import html_text
from crimedash.viz import view as viz_view

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
        # an adaptive unit is drawn as the union of its base hexagons (one row per unit)
        "units": "H3HexagonLayer"
        if granularity.startswith("h3")
        else "H3ClusterLayer"
        if granularity.startswith("adaptive")
        else "PolygonLayer",
    }[mode]
    assert expected in types
    assert_offline(deck)
    assert_no_incident_coordinates(deck.to_json(), INCIDENTS)


@pytest.mark.parametrize("k", [8, 40])
def test_adaptive_units_are_drawn_as_the_union_of_the_hexagons_they_count_in(index, k):
    """Each adaptive unit on the map is one row holding its base-resolution hexagons'
    ids, whose union is exactly the outline its incidents were placed in (no unit is
    drawn as its coarser parent hexagon, which does not hold its children), every
    incident counted in a unit lies in one of its hexagons, and no hexagon is drawn
    for two units."""
    from crimedash.cells import cell_vertices

    layer = apply_design(index, Design(granularity=f"adaptive:{k}"))
    units = layer.units
    spec = json.loads(viz.deck_json(viz.public_deck(index, layer, viz.ALL_WINDOWS)))
    drawn = next(ly for ly in spec["layers"] if ly["id"] == "public-units")
    assert drawn["@@type"] == "H3ClusterLayer" and drawn["getHexagons"] == "@@=hexagons"
    rows = drawn["data"]
    labels = units.labels(index, np.arange(units.n))
    code_of = {lab: c for c, lab in enumerate(labels)}
    codes = np.array([code_of[r["unit_id"]] for r in rows])
    assert set(codes.tolist()) == set(np.unique(layer.cell_unit).tolist())
    hexes = [h for r in rows for h in r["hexagons"]]
    assert len(hexes) == len(set(hexes))  # no hexagon in two units
    assert {h3.get_resolution(h) for h in hexes} == {units.base_resolution}
    ints = np.array([h3.str_to_int(h) for h in hexes], dtype=np.uint64)
    hexagons = shapely.polygons(cell_vertices(ints))  # as published: rounded vertices
    owner = np.repeat(np.arange(len(rows)), [len(r["hexagons"]) for r in rows])
    unions = [shapely.union_all(hexagons[owner == i]) for i in range(len(rows))]
    outlines = units.geometries(index, codes)
    assert all(shapely.equals(a, b) for a, b in zip(unions, outlines, strict=True))
    # every incident counted in a drawn unit is inside its hexagons' union
    counted = units.incident_unit
    where = {c: i for i, c in enumerate(codes.tolist())}
    pts = shapely.points(index.lon, index.lat)
    for n in np.flatnonzero(np.isin(counted, codes)).tolist():
        assert shapely.covers(unions[where[int(counted[n])]], pts[n])


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
        "Anti-social behaviour",  # the category's label, never its code
    ):
        assert words in text
    assert "anti_social_behaviour" not in text


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
    assert {row["unit_id"] for row in units["data"]} == set(layer.frame(index)["unit"])
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


def test_rings_keep_every_part_of_every_shape_in_order():
    """Polygon rings for the map: one row per unit, every part of a multipolygon, nothing
    for a missing or empty shape; the same coordinates shapely gives shape by shape."""
    from shapely.geometry import MultiPolygon, Polygon, box

    from crimedash.viz.places import _rings

    shapes = [box(0, 0, 1, 1), None, MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3, 3)]), Polygon()]
    rings = _rings(np.array(shapes, dtype=object))
    assert [len(r) for r in rings] == [1, 0, 2, 0]
    assert rings[2][1] == [list(c) for c in box(2, 2, 3, 3).exterior.coords]
    assert rings[0] == [[list(c) for c in box(0, 0, 1, 1).exterior.coords]]


# --- issue 14: a map an analyst can read ----------------------------------------------
def test_framing_reports_far_points_instead_of_fitting_them():
    """A city of 200 unit centres and 5 recorded far away (as the City of London's
    points in Wales): the view holds the city, the 5 are counted as a finding."""
    rng = np.random.default_rng(3)
    lat = np.r_[51.515 + rng.normal(0, 0.004, 200), [51.48, 52.1, 53.4, 51.6, 54.8]]
    lon = np.r_[-0.09 + rng.normal(0, 0.006, 200), [-3.2, -4.0, -2.2, -4.99, -1.5]]
    weights = np.r_[np.full(200, 80.0), np.ones(5)]
    f = viz.framing(lat, lon, weights)
    la0, la1, lo0, lo1 = f.bounds
    assert la0 <= lat[:200].min() and la1 >= lat[:200].max()  # every city unit in view
    assert lo0 <= lon[:200].min() and lo1 >= lon[:200].max()
    assert lo0 > -0.2 and la1 < 51.6  # not stretched towards Wales
    assert f.far_units == 5 and f.far_weight == 5.0
    assert f.far_km > 300  # the farthest, in County Durham (~370 km away)
    assert f.view_state.zoom > 11  # a city, not a country
    assert "5 units holding 5 incidents shown" in viz.far_note(f)


def test_a_compact_city_has_nothing_far(index):
    layer = apply_design(index, Design())
    view = viz.map_view(index, layer)
    f = viz.framing(view.units["lat"], view.units["lon"], view.units["value"])
    assert f.far_units == 0 and viz.far_note(f) == ""


def test_tooltips_name_the_place_its_size_and_households_not_an_id_alone(index):
    layer = apply_design(index, Design(granularity="h3:8"))
    deck = viz.public_deck(index, layer)
    html = deck._tooltip["html"]
    assert html.startswith("<b>{place}</b>")  # the place first, the id only small below
    for field in ("{place}", "{size}", "{households}", "{label}"):
        assert field in html
    rows = next(ly for ly in json.loads(deck.to_json())["layers"] if ly["id"] == "public-units")
    for row in rows["data"]:
        assert row["place"].startswith("in ")  # areas are loaded: the one holding it
        assert row["size"].endswith("km²")
        assert row["households"].split()[0].replace(",", "").isdigit()  # "95", never "95.0"
        assert row["households"].split()[1].startswith("household")


@pytest.mark.parametrize(("value", "words"), [(95.0, "95 households"), (1.0, "1 household")])
def test_households_in_words(value, words):
    assert viz.households_words(value) == words
    assert viz.households_words(value, assumed=True) == words + " (assumed)"


def test_group_names_are_escaped_in_tooltips(index):
    cat = index.categories[0]
    design = Design(grouping=((cat, "<img src=x onerror=alert(1)>"),))
    layer = apply_design(index, design)
    group = "<img src=x onerror=alert(1)>"
    deck = viz.public_deck(index, layer, group=group)
    assert group not in deck._tooltip["html"]
    assert "&lt;img" in deck._tooltip["html"]
    text = viz.risk_deck(index, evaluate(index, design), viz.ALL_WINDOWS).to_json()
    assert "<img" not in text


def test_small_units_stay_visible_as_dots(index):
    """Zoomed out until hexagons are under a few pixels (a national month), the units
    lose their outlines (which would hide the fills) and gain dots of visible size."""
    layer = apply_design(index, Design(granularity="h3:9"))
    near = json.loads(viz.public_deck(index, layer).to_json())
    far = json.loads(viz.public_deck(index, layer, zoom_offset=-6).to_json())
    assert "public-units-dots" not in {ly["id"] for ly in near["layers"]}
    dots = next(ly for ly in far["layers"] if ly["id"] == "public-units-dots")
    assert dots["radiusMinPixels"] >= 2
    units = next(ly for ly in far["layers"] if ly["id"] == "public-units")
    assert units["stroked"] is False
    assert_no_incident_coordinates(json.dumps(far), INCIDENTS)
    # the dots are markers: centre and colour only, and they leave picking (and so the
    # tooltip) to the unit's fill, which carries each unit's words once
    assert dots["pickable"] is False
    assert {frozenset(row) for row in dots["data"]} == {frozenset({"lon", "lat", "colour"})}
    assert units["pickable"] is True
    assert all(row["place"] and row["unit_id"] for row in units["data"])


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_unit_records_hold_only_what_is_drawn_or_shown(index, granularity):
    """A unit's record in the deck is its shape, its colour and its tooltip's fields:
    every field the tooltip names is there, and nothing the deck never reads (its
    centre, the id twice, the value and class name the colour stands for)."""
    layer = apply_design(index, Design(granularity=granularity))
    deck = viz.public_deck(index, layer)
    spec = json.loads(viz.deck_json(deck))
    units = next(ly for ly in spec["layers"] if ly["id"] == "public-units")
    shape = {"H3HexagonLayer": "hex", "H3ClusterLayer": "hexagons"}.get(units["@@type"], "polygon")
    named = set(re.findall(r"{(\w+)}", deck._tooltip["html"]))
    assert units["data"]
    for row in units["data"]:
        assert set(row) == {shape, "colour"} | named
    assert {row["unit_id"] for row in units["data"]} == set(
        viz.map_view(index, layer).units["unit"]
    )


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_deck_json_is_pydecks_value_without_raw_points(index, granularity):
    """The app's deck JSON (orjson, compact) is the same value as pydeck's own
    `to_json`, for the public and the risk map, and carries no incident position."""
    layer = apply_design(index, Design(granularity=granularity))
    for deck in (
        viz.public_deck(index, layer, zoom_offset=-6),
        viz.risk_deck(index, evaluate(index, Design(granularity=granularity))),
    ):
        text = viz.deck_json(deck)
        assert json.loads(text) == json.loads(deck.to_json())
        assert "\n" not in text  # compact: no indentation
        assert_no_incident_coordinates(text, INCIDENTS)


def test_zoom_is_gentle_keyboard_driven_and_reset_reapplies(index):
    layer = apply_design(index, Design())
    base = json.loads(viz.public_deck(index, layer).to_json())
    controller = base["views"][0]["controller"]
    assert controller["keyboard"] is True
    assert controller["scrollZoom"]["speed"] < 0.01  # deck.gl's default jumps levels
    closer = json.loads(viz.public_deck(index, layer, zoom_offset=1).to_json())
    assert closer["initialViewState"]["zoom"] == pytest.approx(base["initialViewState"]["zoom"] + 1)
    reset = json.loads(viz.public_deck(index, layer, nonce=1).to_json())["initialViewState"]
    for key in ("latitude", "longitude", "zoom"):
        assert reset[key] != base["initialViewState"][key]
        assert reset[key] == pytest.approx(base["initialViewState"][key], abs=1e-6)


# Props of a deck layer that deck.gl reads as a function of each row ("@@=..."); any
# other prop turned into one (pydeck does so to every string argument) is a bug.
ACCESSORS = {"getText", "getPosition", "getPath", "getCollisionPriority"}


def _no_stray_expressions(layer: dict) -> None:
    stray = {k: v for k, v in layer.items() if str(v).startswith("@@=") and k not in ACCESSORS}
    assert stray == {}, stray


def test_no_setting_reaches_deck_gl_as_an_expression(index):
    """pydeck turns every string argument into a JavaScript expression ("@@=..."):
    right for accessors (get_*), wrong for settings such as a width's units (the scale
    bar drew as a block) or the heat map's aggregation."""
    layer = apply_design(index, Design())
    decks = [
        viz.public_deck(index, layer, tiles="http://127.0.0.1:9/{z}/{x}/{y}.png"),
        viz.public_deck(index, layer, mode="heat"),
        viz.risk_deck(index, evaluate(index, Design())),
    ]
    for deck in decks:
        for lay in json.loads(deck.to_json())["layers"]:
            stray = {
                k: v for k, v in lay.items() if str(v).startswith("@@=") and not k.startswith("get")
            }
            assert stray == {}, (lay["id"], stray)


def test_context_names_are_thinned_in_the_browser_largest_areas_first(index):
    """Issue 14: names of small areas piled up. Each name is offered once with a
    priority by its area's size, and deck.gl's collision filter keeps a name only where
    no larger area's name overlaps it, re-testing at every zoom."""
    spec = json.loads(viz.public_deck(index, apply_design(index, Design())).to_json())
    names = next(ly for ly in spec["layers"] if ly["id"] == "context-names")
    assert names["extensions"] == [{"@@type": "CollisionFilterExtension"}]
    assert names["getCollisionPriority"] == "@@=priority"
    assert names["collisionTestProps"]["sizeScale"] > 1  # room around each name
    assert names["background"] is True  # the filter tests whole labels by their box
    _no_stray_expressions(names)
    coarsest = min(index.areas.values(), key=lambda a: a.n)
    rows = names["data"]
    assert len(rows) == min(coarsest.n, viz.CONTEXT_LABEL_MAX)
    km2 = dict(zip(coarsest.codes.tolist(), coarsest.area_km2.tolist(), strict=True))
    sizes = [km2[r["name"]] for r in rows]  # this layer names no areas: codes
    priorities = [r["priority"] for r in rows]
    assert sizes == sorted(sizes, reverse=True)
    assert priorities == sorted(priorities, reverse=True) and priorities[0] == 1000
    assert all(-1000 <= p <= 1000 for p in priorities)


def test_context_names_prefer_an_areas_own_name_over_its_code(index):
    import dataclasses

    name = min(index.areas, key=lambda n: index.areas[n].n)
    area = index.areas[name]
    words = [f"Place {k}" for k in range(area.n)]
    named = dataclasses.replace(area, frame=area.frame.assign(area_name=words))
    other = dataclasses.replace(index, areas={**index.areas, name: named}, cache={})
    labels = viz.context_labels(other, name)
    assert set(labels["name"]) <= set(words) and len(labels) == min(area.n, 400)


def _codes_only(src, dst):
    """An area file like `src` with its place names taken out (an analyst's codes-only
    boundaries)."""
    fc = json.loads(src.read_text(encoding="utf-8"))
    for f in fc["features"]:
        f["properties"].pop("name", None)
    dst.write_text(json.dumps(fc), encoding="utf-8")
    return dst


def test_context_names_take_police_uk_lsoa_names_where_areas_have_none(tmp_path):
    """A codes-only neighbourhoods file beside the sample's police.uk files, which name
    each LSOA (the neighbourhoods double as the LSOAs): each outline is labelled with
    the LSOA name most of its incidents carry, which is its own name."""
    from crimedash.dataset import load_dataset
    from crimedash.sample import sample_paths
    from crimedash.sample.constants import CITY_NAME

    paths = sample_paths()
    files = sorted(paths["police_uk_dir"].glob("*.csv"))[:2]
    nb = _codes_only(paths["neighbourhoods"], tmp_path / "nb.geojson")
    index = load_dataset(files, areas={"nb": nb}).index
    assert index.lsoa_names and not viz.places._name_column(index.areas["nb"].frame)
    labels = viz.context_labels(index, "nb")
    assert labels["name"].is_unique
    # a code only where no incident names the area, and every name outranks every code
    coded = labels["name"].str.startswith("E0199").to_numpy()
    area = index.areas["nb"]
    empty = {
        c
        for c, k in zip(
            area.codes,
            np.bincount(area.incident_area[area.incident_area >= 0], minlength=area.n),
            strict=True,
        )
        if k == 0
    }
    assert set(labels["name"][coded]) <= empty and coded.sum() < 0.1 * len(labels)
    assert not coded[: (~coded).sum()].any()
    # the sample's k-th neighbourhood is the k-th LSOA, named as sample/areas.py names it
    codes = index.areas["nb"].codes
    own = {
        c: f"{CITY_NAME} {(int(c[-4:]) - 1) // 4 + 1:03d}{'ABCD'[(int(c[-4:]) - 1) % 4]}"
        for c in codes
    }
    named = viz.decks._context_names(index, "nb")
    assert sum(n == own[c] for n, c in zip(named, codes, strict=True)) >= 0.9 * len(codes)


def test_an_area_layer_s_own_names_label_the_map():
    """The sample's neighbourhoods file names its places, as LSOA boundaries do
    (LSOA21NM): the loader keeps the names and the map labels every outline by its
    name, never its code, with no police.uk file needed."""
    from crimedash.dataset import load_dataset
    from crimedash.sample import sample_paths
    from crimedash.sample.constants import CITY_NAME

    paths = sample_paths()
    index = load_dataset(paths["incidents"], areas={"nb": paths["neighbourhoods"]}).index
    area = index.areas["nb"]
    assert not index.lsoa_names  # the force extract names no LSOA
    assert list(area.frame[S.AREA_NAME][:2]) == [f"{CITY_NAME} 001A", f"{CITY_NAME} 001B"]
    labels = viz.context_labels(index, "nb")
    assert len(labels) == area.n and labels["name"].is_unique
    assert labels["name"].str.startswith(CITY_NAME).all()
    assert not labels["name"].str.contains("E0199").any()


@pytest.mark.parametrize(("zoom", "words"), [(12.0, "Scale at the opening view:"), (6.0, "km.")])
def test_scale_note(zoom, words):
    note = viz.scale_note(pdk.ViewState(latitude=52.0, longitude=-1.0, zoom=zoom), 0.74)
    assert words in note and "0.74 km²" in note
    assert "stays true as you zoom" in note  # the drawn bar's validity, stated


def test_shared_edges_put_two_designs_on_one_scale(index):
    fine = apply_design(index, Design(granularity="h3:9"))
    coarse = apply_design(index, Design(granularity="h3:7"))
    edges = viz.shared_edges(index, [fine, coarse])
    vmax = max(viz.map_view(index, ly).units["value"].max() for ly in (fine, coarse))
    assert edges[0] == 1 and edges[-1] <= vmax
    assert edges == viz_view._edges(viz.map_view(index, coarse).units["value"].to_numpy(), coarse)
    a = viz.map_view(index, fine, edges=edges)
    b = viz.map_view(index, coarse, edges=edges)
    assert a.legend.equals(b.legend)


# --- colours that survive a projector ---------------------------------------------------
def _luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB hex colour."""
    c = np.array([int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)])
    lin = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(lin @ [0.2126, 0.7152, 0.0722])


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_worked_example():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("palette", [viz.DEFAULT_PALETTE, viz.RISK_PALETTE])
def test_map_classes_keep_non_text_contrast_on_white(palette):
    """WCAG 1.4.11: graphics need 3:1 against what is next to them (the white page):
    the lightest class is never yellow on white."""
    for colour in viz.PALETTES[palette]:
        assert contrast(colour, "#ffffff") >= 3.0, colour


def test_verdict_badges_and_legend_text_pass_aa():
    for colour in viz.VERDICT_COLOURS.values():
        assert contrast("#ffffff", colour) >= 4.5, colour  # white bold text on the badge
    assert contrast("#31333f", "#ffffff") >= 4.5  # Streamlit's text colour for the keys


def test_public_and_risk_maps_do_not_share_colours():
    """Different hues: 'dark means more crime' is never read as 'dark means risky'."""
    public = set(viz.PALETTES[viz.DEFAULT_PALETTE])
    risk = set(viz.PALETTES[viz.RISK_PALETTE])
    assert not public & risk

    def hue(c: str) -> float:
        r, g, b = (int(c.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
        import colorsys

        return colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)[0] * 360

    assert all(hue(c) < 40 or hue(c) > 320 for c in risk)  # reds and oranges
    assert all(160 <= hue(c) <= 300 for c in public)  # teals, blues, purples


def test_frontier_explains_its_detail_axis(index):
    a = assess(index, Design())
    chart = viz.frontier_chart(frontier(index, Design()), current=viz.design_point(a))
    spec = json.dumps(chart.to_dict(), ensure_ascii=False)
    assert "Typical unit size, km²" in spec
    designs = [
        r["design"] for d in chart.to_dict()["datasets"].values() for r in d if "design" in r
    ]
    assert designs and all("h3:" not in d and "grid:" not in d for d in designs)
    assert any(d.startswith("H3 hexagons at resolution") for d in designs)


def test_risk_histogram_counts_every_published_incident_once(index):
    ev = evaluate(index, Design())
    chart = viz.risk_histogram(ev)
    rows = next(iter(chart.to_dict()["datasets"].values()))
    assert sum(r["incidents"] for r in rows) == ev.layer.published_incidents
    png = vlc.vegalite_to_png(chart.to_json())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_small_cells_are_the_published_cells_of_one_and_two(index):
    layer = apply_design(index, Design(granularity="h3:10"))
    ones, twos = viz.small_cells(layer)
    frame = layer.frame(index)
    groups = frame[frame["group"] != TOTAL_GROUP]
    assert ones == int((groups["count"] == 1).sum())  # exact counts: shown == true
    assert twos == int((groups["count"] == 2).sum())
    assert ones > 0


def test_trend_chart_follows_the_public_layer_release_by_release(index):
    layer = apply_design(index, Design())
    frame = layer.frame(index)
    unit = frame["unit"].value_counts().index[0]
    chart = viz.trend_chart(frame, unit, TOTAL_GROUP, "in Somewhere")
    rows = next(iter(chart.to_dict()["datasets"].values()))
    assert [r["release"] for r in rows] == sorted(frame["window"].unique())  # every release
    mine = frame[(frame["unit"] == unit) & (frame["group"] == TOTAL_GROUP)]
    assert {r["release"]: r["shown"] for r in rows if r["shown"]} == dict(
        zip(mine["window"], mine["count"], strict=True)
    )
    assert "in Somewhere" in json.dumps(chart.to_dict()["title"])


def test_the_map_png_is_drawn_from_the_public_layer(index):
    import io

    from PIL import Image

    layer = apply_design(index, Design(granularity="h3:8"))
    png = viz.map_png(index, layer, scale=1.0)
    img = Image.open(io.BytesIO(png)).convert("RGB")
    assert img.width >= 400 and img.height >= 300
    # the public palette's classes appear in the picture (the map, not a blank frame)
    used = {rgb for _, rgb in img.getcolors(maxcolors=1 << 20)}
    legend = viz.map_view(index, layer).legend
    assert any(tuple(viz.hex_to_rgba(c)[:3]) in used for c in legend["colour"])


def test_the_map_draws_a_true_scale_bar_inside_its_opening_view(index):
    """Issue 14: a scale bar on the map itself. Its drawn length, measured on the
    ground, is the length its words say, and it sits inside the opening view."""
    import json

    from pyproj import Geod

    from crimedash.design import Design
    from crimedash.layer import apply_design

    layer = apply_design(index, Design())
    deck = json.loads(viz.public_deck(index, layer).to_json())
    by_id = {lay["id"]: lay for lay in deck["layers"]}
    (bar,) = by_id["scale-bar"]["data"]
    (words,) = by_id["scale-bar-words"]["data"]
    (lon0, lat0), (lon1, lat1) = bar["path"]
    metres = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)[2]
    value, unit = words["text"].split()
    said = float(value) * (1000 if unit == "km" else 1)
    assert said in {k * 10**e for k in (1, 2, 5) for e in range(0, 7)}
    assert abs(metres - said) / said < 0.01
    view = deck["initialViewState"]
    assert lon0 < view["longitude"] < lon0 + 1 and lat0 < view["latitude"]
    # a line a few pixels thick at every zoom: its width in pixels, not in metres (as
    # "@@=pixels", pydeck's spelling of the string, it drew as a block the map's height)
    line = by_id["scale-bar"]
    assert line["widthUnits"] == "pixels"
    assert line["getWidth"] == line["widthMinPixels"] == line["widthMaxPixels"] <= 6
    for lay in (line, by_id["scale-bar-words"]):
        _no_stray_expressions(lay)


def test_deck_records_are_what_pydeck_makes_of_the_escaped_frame(monkeypatch):
    """The map's layers get their records a slice at a time (a checkpoint between, so a
    stale map stops and a map pauses for the score): the same records, and the same
    JSON, as pydeck's own conversion of the whole escaped frame."""
    import pandas as pd

    from crimedash.cancel import checked
    from crimedash.viz import decks

    monkeypatch.setattr(decks, "_ESCAPE_SLICE", 3)
    frame = pd.DataFrame(
        {
            "unit": [f"<b>{i}</b> & co" for i in range(11)],
            "value": np.arange(11, dtype=float) / 3,
            "count": np.arange(11, dtype=np.int64),
            "colour": [[i, 2, 3, 200] for i in range(11)],
            "hex": [f"88{i:013x}" for i in range(11)],
        }
    )
    seen: list[int] = []
    with checked(lambda: seen.append(1)):
        records = viz.deck_records(frame)
    assert len(seen) >= 4 * 2  # a checkpoint per slice, escaping and converting
    whole = pdk.Layer("H3HexagonLayer", data=viz.deck_data(frame), get_hexagon="hex", id="u")
    sliced = pdk.Layer("H3HexagonLayer", data=records, get_hexagon="hex", id="u")
    assert records == whole.data
    assert [type(v) for r in records for v in r.values()] == [
        type(v) for r in whole.data for v in r.values()
    ]
    assert whole.to_json() == sliced.to_json()
    assert viz.deck_records(frame.iloc[:0]) == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(), st.none(), st.floats(allow_nan=True), st.integers()),
        max_size=30,
    )
)
def test_escaping_a_column_is_html_text_of_every_value(values):
    """A layer's tooltip column is escaped once per distinct value, and only where
    Arrow's regex finds a character to change: the same text as `html_text` of each
    value, for any text (entities, control characters, C1 codes, astral planes) and
    for None, NaN and numbers in a text column."""
    from crimedash.viz.decks import _escaped

    column = pd.Series(values + values[:3], dtype=object)
    assert _escaped(column).tolist() == [html_text(v) for v in column.tolist()]
    # a lone surrogate (a file read with surrogateescape) is not UTF-8 for Arrow
    odd = pd.Series([*values, "<\udcff>", "a\udcff"], dtype=object)
    assert _escaped(odd).tolist() == [html_text(v) for v in odd.tolist()]
