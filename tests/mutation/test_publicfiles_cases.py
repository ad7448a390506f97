"""What the public reads (crimedash.publicfiles), word for word: the explanation of the
map (¶23) for each kind of unit, time, count and reference; the README with its files,
columns and contact (¶46); and which files a release holds. These words leave the
building, so a changed word is a changed publication: the tests spell them out.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from handmade import frame

from crimedash.approval import Approval
from crimedash.dataset import load_dataset
from crimedash.design import Design
from crimedash.layer import apply_design
from crimedash.publicfiles import _area_words, _wrap, explain, public_files, public_readme

SHAPE = (
    "A shaded {u} shows the area a crime happened in, not where it happened: the crime could "
    "have been anywhere inside it, and no single street or home is marked."
)
APPROVAL = Approval(
    reviewer="R",
    role="DPO",
    publisher="Testshire Council",
    contact="maps-team@test-shire.example",
    rationale="r",
    next_review=date(2099, 1, 1),
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pf")
    frame().drop(columns=["source_file", "source_row"]).to_csv(folder / "i.csv", index=False)
    return load_dataset([folder / "i.csv"])


def test_the_plain_monthly_map_in_words(data):
    design = Design()
    assert explain(design, apply_design(data.index, design)) == " ".join(
        [
            "This map shows how many crimes were recorded in each hexagon (a typical hexagon "
            "covers about 74 hectares), by calendar month, by type of crime.",
            SHAPE.format(u="hexagon"),
            "Counts are the number of crimes recorded.",
            "'All crime' is the total for each hexagon and period.",
            "Crime reference numbers are not published.",
            "The map is updated monthly.",
        ]
    )
    # without a layer: the design's own window, and no size
    assert explain(design).startswith(
        "This map shows how many crimes were recorded in each hexagon, by calendar month,"
    )


def test_rounded_suppressed_truncated_in_words(data):
    design = Design(
        counts="rounded", min_count=3, totals=False, references="truncated", frequency="weekly"
    )
    # everything is suppressed here: no cell, so no typical size
    assert explain(design, apply_design(data.index, design)) == " ".join(
        [
            "This map shows how many crimes were recorded in each hexagon, by calendar month, "
            "by type of crime.",
            SHAPE.format(u="hexagon"),
            "Counts are rounded to the nearest 5.",
            "Where fewer than 3 crimes of a type were recorded in a hexagon and period, the "
            "count is not shown, and a few more are hidden so that those cannot be worked out "
            "from the totals.",
            "Crime reference numbers are shown in part only.",
            "The map is updated weekly.",
        ]
    )
    assert "by week (days 1-7, 8-14, 15-21, 22-28 and 29 to the end of each month)" in explain(
        design
    )


def test_banded_hidden_pseudonyms_in_words(data):
    design = Design(counts="banded", hidden_groups=("Burglary",), references="pseudonym")
    sentences = explain(design, apply_design(data.index, design)).split(". ")
    assert "Counts are shown in bands (for example '3 to 5') rather than exactly" in sentences
    assert "Some kinds of crime are not shown on this map: Burglary" in sentences
    assert (
        "Each crime listed has a number made up for this release only; it is not the police "
        "reference number and changes from one release to the next"
    ) in sentences


def test_noisy_grid_squares_by_quarter_in_words(data):
    design = Design(
        counts="noise",
        noise_seed=3,
        categories=("shoplifting",),
        granularity="grid:500",
        references="full",
        acknowledge=("full_references",),
        time_precision="quarter",
        frequency="quarterly",
    )
    assert explain(design, apply_design(data.index, design)) == " ".join(
        [
            "This map shows how many crimes were recorded in each grid square (a typical grid "
            "square covers about 25 hectares), by quarter (three calendar months), by type of "
            "crime.",
            SHAPE.format(u="grid square"),
            "Small random changes have been added to the counts to protect the people "
            "involved, so a count can be a little higher or lower than the number recorded.",
            "'All crime' is the total for each grid square and period.",
            "Some kinds of crime are not shown on this map: some categories.",
            "Crime reference numbers are published in full.",
            "The map is updated quarterly.",
        ]
    )


@pytest.mark.parametrize(
    ("granularity", "unit"),
    [("adaptive:20", "hexagon"), ("areas", "area")],
)
def test_other_units_in_words(granularity, unit):
    words = explain(Design(granularity=granularity))
    assert words.startswith(f"This map shows how many crimes were recorded in each {unit},")
    assert SHAPE.format(u=unit) in words


def test_timestamps_and_days_in_words():
    assert "at the time it was recorded" in explain(
        Design(frequency="realtime", time_precision="timestamp")
    )
    assert ", by day, " in explain(Design(frequency="daily", time_precision="day"))


@pytest.mark.parametrize(
    ("km2", "words"),
    [
        (1.0, "1.0 km²"),
        (12345.6, "12,345.6 km²"),
        (0.99, "99 hectares"),
        (0.01, "1 hectares"),
        (0.0099, "9,900 m²"),
        (0.0001234, "123 m²"),
    ],
)
def test_area_words(km2, words):
    assert _area_words(km2) == words


def test_wrapping_keeps_addresses_whole():
    text = "contact maps-team@test-shire.example or https://a-very-long-host.example/x-y-z"
    assert _wrap(text, width=20) == [
        "contact",
        "maps-team@test-shire.example",
        "or",
        "https://a-very-long-host.example/x-y-z",
    ]
    assert _wrap("", width=20) == [""]
    assert max(len(line) for line in _wrap("word " * 40)) <= 88


README = """Crime map published by Testshire Council

What this map shows

Short words.

Files

- counts.csv: counts by unit, period and type of crime; join to the units on 'unit'
- units.geojson: the map's units (one shape each) as GeoJSON, WGS84 longitude/latitude:
opens as it is in QGIS, GDAL/ogr2ogr, geopandas, DuckDB and kepler.gl

Columns

- unit: the unit's id (an H3 cell id)
- h3_id: the same H3 cell id, under the name kepler.gl recognises, so the counts can be
mapped as hexagons without the shapes
- window_start, window_end: the first and last day of the period the count covers (both
included; ISO 8601, YYYY-MM-DD)
- group: the type of crime (in counts.csv and references.csv only)
- count: the count shown (for a band, its lowest value)
- count_label: the count as shown on the map (a band in words, or the number)
- reference: a crime's reference as the design allows it (references.csv)
- geometry: the unit's outline (GeoJSON and GeoParquet only): WGS84 longitude/latitude
to 6 decimal places, outer rings anticlockwise (RFC 7946)

Questions, complaints and removal requests

This map is published by Testshire Council. If you have a question about it, think it
identifies you or someone else, or think an area is shown wrongly, contact
maps-team@test-shire.example. We will look at it promptly and change or remove data
where it is causing distress.
"""


def test_the_public_readme_word_for_word():
    got = public_readme(
        Design(), APPROVAL, "Short words.", ["counts.csv", "README.txt", "units.geojson"], None
    )
    assert got == README


@pytest.mark.parametrize(
    ("granularity", "words"),
    [
        ("adaptive:20", "an H3 cell id, or an H3 cell id and the child digits of a pool"),
        ("grid:500", "a grid square: its size and its lower-left corner in metres"),
        ("areas", "the area's code"),
    ],
)
def test_the_readme_names_each_kind_of_unit_id(granularity, words):
    got = public_readme(Design(granularity=granularity), APPROVAL, "x", [], None)
    assert f"- unit: the unit's id ({words})" in got.replace("\n", " ")


def _names(files):
    return [Path(f.path).as_posix() for f in files]


def test_the_files_of_a_release(data):
    design = Design()
    files = public_files(data, design, APPROVAL)
    assert _names(files) == [
        "public/units.geojson",
        "public/units.parquet",
        "public/counts.csv",
        "public/counts.parquet",
        "public/totals.csv",
        "public/totals.parquet",
        "public/README.txt",
    ]
    rows = {Path(f.path).name: f.rows for f in files}
    # two units; five group cells; four totals (unit A Jan, Feb; unit B Jan, Mar)
    assert rows["units.geojson"] == rows["units.parquet"] == 2
    assert rows["counts.csv"] == rows["counts.parquet"] == 5
    assert rows["totals.csv"] == rows["totals.parquet"] == 4
    counts = files[2].data.decode()
    assert counts.count("\n") == 6
    readme = files[-1].data.decode()
    assert readme.startswith("Crime map published by Testshire Council\n")
    assert explain(design, apply_design(data.index, design))[:60] in readme.replace("\n", " ")
    for name in ("units.geojson", "units.parquet", "counts.csv", "totals.csv"):
        assert f"- {name}:" in readme
    assert files == public_files(data, design, APPROVAL)  # the same bytes every time


def test_references_and_totals_only_as_the_design_allows(data):
    names = _names(public_files(data, Design(references="truncated", totals=False), APPROVAL))
    assert "public/references.csv" in names
    assert not any("totals" in n for n in names)
    refs = next(
        f
        for f in public_files(data, Design(references="truncated"), APPROVAL)
        if f.path.endswith("references.csv")
    )
    assert refs.rows == 6
    assert "CD/24/******" in refs.data.decode()
    assert (
        "- references.csv:"
        in public_files(data, Design(references="truncated"), APPROVAL)[-1].data.decode()
    )
    given = Approval(**{**APPROVAL.__dict__, "explanation": "Given words."})
    readme = public_files(data, Design(), given)[-1].data.decode()
    assert "Given words." in readme
