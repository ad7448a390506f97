"""Column mapping (crimedash/load/mapping.py): guessed by name and value, or given."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from loadkit import DATA

from crimedash import schema
from crimedash.errors import ColumnMappingError, InputError
from crimedash.load import (
    ColumnMapping,
    guess_mapping,
    load_incidents,
)


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            list(schema.POLICE_UK_COLUMNS),
            dict(
                latitude="Latitude",
                longitude="Longitude",
                occurred_at="Month",
                category="Crime type",
                reference="Crime ID",
                location_type="Location",
            ),
        ),
        (
            ["Month", "Crime.type", "Longitude", "Latitude"],
            dict(
                latitude="Latitude",
                longitude="Longitude",
                occurred_at="Month",
                category="Crime.type",
            ),
        ),
        (
            list(schema.INCIDENT_COLUMNS[:7]),
            dict(
                latitude="latitude",
                longitude="longitude",
                occurred_at="occurred_at",
                category="category",
                reference="reference",
                incident_id="incident_id",
                location_type="location_type",
            ),
        ),
        (
            ["LAT", "LNG", "Offence", "Date Time", "URN"],
            dict(
                latitude="LAT",
                longitude="LNG",
                occurred_at="Date Time",
                category="Offence",
                reference="URN",
            ),
        ),
        (
            ["Easting", "Northing", "crime_type", "date", "CRN"],
            dict(
                easting="Easting",
                northing="Northing",
                occurred_at="date",
                category="crime_type",
                reference="CRN",
            ),
        ),
        (
            ["long", "lat", "occurred", "type", "id"],
            dict(
                latitude="lat",
                longitude="long",
                occurred_at="occurred",
                category="type",
                incident_id="id",
            ),
        ),
    ],
)
def test_guess_mapping_by_name(columns, expected):
    mapping, guess = guess_mapping(columns)
    assert guess.confident
    assert dict(mapping.items()) == expected


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (["-0.12799"], ["51.50775"], {"longitude": "X", "latitude": "Y"}),
        (["530029"], ["180380"], {"easting": "X", "northing": "Y"}),
        (["5300290000"], ["180380"], {}),  # neither: unsure
    ],
)
def test_guess_mapping_x_y_by_value(x, y, expected):
    mapping, guess = guess_mapping(["X", "Y", "Month"], pd.DataFrame({"X": x, "Y": y}))
    got = {f: c for f, c in mapping.items() if f != "occurred_at"}
    assert got == expected
    assert guess.confident == bool(expected)


def test_grid_references_become_wgs84():
    r = load_incidents(DATA / "grid.csv")
    # Nelson's Column, TQ 30029 80380: 51.50775 N, 0.12799 W (within ~100 m).
    first = r.incidents.iloc[0]
    assert first[schema.LATITUDE] == pytest.approx(51.50775, abs=1e-3)
    assert first[schema.LONGITUDE] == pytest.approx(-0.12799, abs=1e-3)
    assert load_incidents(DATA / "xy_grid.csv").incidents.iloc[0][schema.LATITUDE] == (
        pytest.approx(51.50775, abs=1e-3)
    )


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("no_location.csv", {"latitude", "longitude"}),
        ("no_date.csv", {"occurred_at"}),
        ("ambiguous.csv", {"latitude", "longitude"}),
    ],
)
def test_unsure_mapping_asks_for_columns(name, fields):
    with pytest.raises(ColumnMappingError) as info:
        load_incidents(DATA / name)
    err = info.value
    assert err.file == str(DATA / name)
    assert set(err.candidates) == fields
    assert str(DATA / name) in str(err) and "Hint:" in str(err)


@pytest.mark.parametrize(
    ("rows", "kind"),
    [
        ("-2.3,53.45\n-2.31,53.46\n", "degrees"),
        ("383000,398000\n383100,398100\n", "grid"),
    ],
)
def test_a_csv_whose_names_do_not_settle_the_location_is_read_by_its_values(
    tmp_path: Path, rows: str, kind: str
):
    """The mapping's sample of rows is parsed only when the names leave a field open
    (mapping.LazySample); x/y columns are such a case, settled by the values."""
    path = tmp_path / "xy.csv"
    path.write_text("Month,X,Y\n" + "\n".join(f"2024-03,{r}" for r in rows.split()) + "\n")
    r = load_incidents(path)
    mapping = r.files[0].mapping
    if kind == "degrees":
        assert (mapping.longitude, mapping.latitude) == ("X", "Y")
        assert r.incidents[schema.LATITUDE].tolist() == [53.45, 53.46]
    else:
        assert (mapping.easting, mapping.northing) == ("X", "Y")
        assert r.incidents[schema.LATITUDE].between(53, 54).all()


def test_ambiguous_mapping_offers_the_clashing_columns():
    with pytest.raises(ColumnMappingError) as info:
        load_incidents(DATA / "ambiguous.csv")
    assert info.value.candidates["latitude"] == ("Lat", "latitude")


def test_explicit_mapping_wins():
    r = load_incidents(
        DATA / "ambiguous.csv", mapping=ColumnMapping(latitude="latitude", longitude="Lon")
    )
    assert len(r.incidents) == 1
    assert r.files[0].mapping.latitude == "latitude"
    # Overriding a confident guess: a column given for one field is not guessed for
    # another ("category" holds no dates, so the row is rejected for its date).
    r = load_incidents(DATA / "no_date.csv", mapping=ColumnMapping(occurred_at="category"))
    assert r.files[0].mapping.category is None
    assert r.rejected[[schema.REJ_VALUE, schema.REJ_REASON]].values.tolist() == [
        ["Robbery", schema.REASON_BAD_DATE]
    ]


def test_explicit_mapping_names_a_missing_column():
    with pytest.raises(InputError, match="no such column") as info:
        load_incidents(DATA / "no_location.csv", mapping=ColumnMapping(latitude="Lat"))
    assert info.value.column == "Lat"


@pytest.mark.parametrize(
    ("pairs", "ok"),
    [(["latitude=Y", "longitude=X"], True), (["lat=Y"], False), (["latitude"], False)],
)
def test_mapping_from_cli_pairs(pairs, ok):
    if ok:
        assert ColumnMapping.parse(pairs) == ColumnMapping(latitude="Y", longitude="X")
    else:
        with pytest.raises(InputError, match="one of latitude, longitude"):
            ColumnMapping.parse(pairs)


def test_gis_geometry_wins_over_coordinate_columns(tmp_path: Path):
    path = tmp_path / "both.geojson"
    gpd.GeoDataFrame(
        {"date": ["2024-03"], "latitude": [0.0], "longitude": [0.0]},
        geometry=[shapely.Point(-2.3, 53.45)],
        crs=schema.WGS84,
    ).to_file(path)
    inc = load_incidents(path).incidents
    assert inc[[schema.LATITUDE, schema.LONGITUDE]].values.tolist() == [[53.45, -2.3]]
    explicit = ColumnMapping(latitude="latitude", longitude="longitude")
    inc = load_incidents(path, mapping=explicit).incidents
    assert inc[[schema.LATITUDE, schema.LONGITUDE]].values.tolist() == [[0.0, 0.0]]
