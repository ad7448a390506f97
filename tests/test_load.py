"""Loading and validation (crimedash/load.py).

The small files in tests/data/load/ are meant to be checked by eye: each test says what
the file holds and what the loader must make of it. Binary formats (GeoPackage,
Parquet, zips) are written from tiny literal frames in fixtures.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from crimedash import schema
from crimedash.cli import main
from crimedash.errors import ColumnMappingError, CrimedashError, InputError
from crimedash.load import (
    MAX_LINE_BYTES,
    UNKNOWN_CATEGORY,
    ColumnMapping,
    LoadResult,
    guess_mapping,
    infer_location_type,
    load_areas,
    load_households,
    load_incidents,
)
from crimedash.schema import LocationType, TimePrecision

DATA = Path(__file__).parent / "data" / "load"
POLICE_UK = DATA / "police_uk"
JAN = POLICE_UK / "2024-01-testshire-street.csv"
FEB = POLICE_UK / "2024-02-testshire-street.csv"
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


def accounted_for(result: LoadResult) -> None:
    """Nothing dropped unseen: per file, kept + rejected == read, one rejection per row."""
    assert len(result.incidents) + len(result.rejected) == result.rows_read
    for f in result.files:
        kept = (result.incidents[schema.SOURCE_FILE] == f.name).sum()
        rejected = result.rejected[result.rejected[schema.REJ_FILE] == f.name]
        assert (kept, len(rejected)) == (f.rows_kept, f.rows_rejected)
        assert f.rows_kept + f.rows_rejected == f.rows_read
        assert not rejected[schema.REJ_ROW].duplicated().any()
        rows = set(
            result.incidents.loc[result.incidents[schema.SOURCE_FILE] == f.name, schema.SOURCE_ROW]
        )
        assert rows.isdisjoint(rejected[schema.REJ_ROW])
    assert list(result.incidents.columns) == list(schema.INCIDENT_COLUMNS)
    assert list(result.rejected.columns) == list(schema.REJECTED_COLUMNS)


# --- fixtures writing binary formats from tiny frames ---------------------------------


def _points_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "occurred": pd.to_datetime(
                ["2024-03-01 10:00", "2024-03-02 11:30", "2024-03-03 00:00"]
            ),
            "offence": ["Robbery", "Drugs", "Shoplifting"],
        },
        geometry=[shapely.Point(-2.30, 53.45), shapely.Point(-2.31, 53.46), None],
        crs=schema.WGS84,
    )


@pytest.fixture
def gpkg(tmp_path: Path) -> Path:
    path = tmp_path / "incidents.gpkg"
    _points_frame().to_file(path, driver="GPKG")
    return path


@pytest.fixture
def geoparquet(tmp_path: Path) -> Path:
    path = tmp_path / "incidents.parquet"
    _points_frame().to_parquet(path)
    return path


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "plain.parquet"
    pd.DataFrame(
        {
            "lat": [53.45, 53.46, 99.0],
            "lon": [-2.30, -2.31, -2.32],
            "date": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03"]),
            "category": ["robbery", "drugs", "drugs"],
        }
    ).to_parquet(path)
    return path


@pytest.fixture
def police_uk_zip(tmp_path: Path) -> Path:
    """Like police.uk's download: a folder named after the month inside the zip."""
    path = tmp_path / "download.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for f in sorted(POLICE_UK.iterdir()):
            zf.write(f, f"2024-02/{f.name}")
    return path


# --- police.uk --------------------------------------------------------------------------


def test_police_uk_file_loads_as_published():
    # 8 rows: one "No Location" (a3), an ASB row and a BTP row without Crime ID, a
    # row without LSOA; kinds of place named in "On or near ...".
    r = load_incidents(JAN)
    accounted_for(r)
    assert (len(r.incidents), len(r.rejected)) == (7, 1)
    assert r.rejected.iloc[0][schema.REJ_ROW] == 3
    assert r.rejected.iloc[0][schema.REJ_REASON] == schema.REASON_NO_LOCATION
    assert r.time_precision is TimePrecision.MONTH
    inc = r.incidents.set_index(schema.SOURCE_ROW)
    assert (inc[schema.OCCURRED_AT] == pd.Timestamp("2024-01-01")).all()
    assert inc.loc[1, schema.REFERENCE] == "a1"
    assert pd.isna(inc.loc[2, schema.REFERENCE])  # ASB: no Crime ID, loaded anyway
    assert inc.loc[2, schema.INCIDENT_ID] == f"{JAN.name}:2"  # derived: file and row
    assert inc[schema.INCIDENT_ID].is_unique
    assert inc.loc[2, schema.CATEGORY] == "anti_social_behaviour"
    expected_types = {
        1: "unknown",  # High Street
        2: "public_space",  # Park/Open Space
        4: "non_residential",  # Supermarket
        5: "non_residential",  # Petrol Station
        6: "public_space",  # Testtown (Station)
        7: "non_residential",  # Testtown Police Station
        8: "unknown",  # School Lane, East: a street, not a school
    }
    assert inc[schema.LOCATION_TYPE].to_dict() == expected_types
    assert inc.loc[1, schema.LATITUDE] == 53.45 and inc.loc[1, schema.LONGITUDE] == -2.3


def test_police_uk_folder_skips_outcomes_and_counts_every_row():
    r = load_incidents(POLICE_UK)
    accounted_for(r)
    assert [Path(f.name).name for f in r.files] == [JAN.name, FEB.name]
    assert r.skipped_files == (
        (
            str(POLICE_UK / "2024-02-testshire-outcomes.csv"),
            "police.uk outcomes/stop-and-search file (not incidents)",
        ),
    )
    s = r.summary()
    assert (s["rows_read"], s["rows_kept"]) == (11, 9)
    assert s["rejected_by_reason"] == {schema.REASON_NO_LOCATION: 2}
    assert (s["date_min"], s["date_max"], s["time_precision"]) == ("2024-01", "2024-02", "month")


def test_police_uk_zip_equals_folder(police_uk_zip: Path):
    from_zip, from_folder = load_incidents(police_uk_zip), load_incidents(POLICE_UK)
    accounted_for(from_zip)
    assert from_zip.files[0].name == f"{police_uk_zip}/2024-02/{JAN.name}"
    same = [c for c in schema.INCIDENT_COLUMNS if c != schema.SOURCE_FILE]
    pd.testing.assert_frame_equal(from_zip.incidents[same], from_folder.incidents[same])
    assert [f.sha256 for f in from_zip.files] == [f.sha256 for f in from_folder.files]


def test_uploads_load_like_files(police_uk_zip: Path):
    uploads = [(JAN.name, JAN.read_bytes()), ("download.zip", police_uk_zip.read_bytes())]
    r = load_incidents(uploads)
    accounted_for(r)
    # The zip holds January again: the same bytes are loaded once, and that is said.
    assert [f.name for f in r.files] == [JAN.name, f"download.zip/2024-02/{FEB.name}"]
    assert (f"download.zip/2024-02/{JAN.name}", f"identical to {JAN.name}, loaded once") in (
        r.skipped_files
    )
    assert len(r.incidents) == 7 + 2
    single = load_incidents((JAN.name, JAN.read_bytes()))
    assert single.incidents[schema.INCIDENT_ID].tolist()[:2] == [f"{JAN.name}:1", f"{JAN.name}:2"]


# --- every file accounted for, precision per format ---------------------------------------


@pytest.mark.parametrize(
    ("name", "kept", "rejected", "precision"),
    [
        ("police_uk/2024-01-testshire-street.csv", 7, 1, "month"),
        ("generic.csv", 5, 0, "timestamp"),
        ("dates_only.tsv", 2, 0, "day"),
        ("grid.csv", 2, 0, "day"),
        ("xy_grid.csv", 1, 0, "month"),
        ("xy_degrees.csv", 1, 0, "month"),
        ("gm_four_columns.csv", 2, 0, "month"),
        ("bom.csv", 1, 0, "day"),
        ("cp1252.csv", 1, 0, "day"),
        ("bad_rows.csv", 2, 9, "day"),
        ("incidents.geojson", 2, 2, "day"),
    ],
)
def test_every_row_is_kept_or_rejected(name, kept, rejected, precision):
    r = load_incidents(DATA / name)
    accounted_for(r)
    assert (len(r.incidents), len(r.rejected)) == (kept, rejected)
    assert r.time_precision == precision


@pytest.mark.parametrize("fixture", ["gpkg", "geoparquet"])
def test_geographic_formats(fixture, request):
    r = load_incidents(request.getfixturevalue(fixture))
    accounted_for(r)
    assert r.incidents[schema.CATEGORY].tolist() == ["robbery", "drugs"]
    assert r.incidents[schema.LONGITUDE].tolist() == [-2.30, -2.31]
    assert r.rejected[schema.REJ_REASON].tolist() == [schema.REASON_NO_LOCATION]
    assert r.time_precision is TimePrecision.TIMESTAMP


def test_plain_parquet_with_typed_columns(parquet: Path):
    r = load_incidents(parquet)
    accounted_for(r)
    assert len(r.incidents) == 2
    row, column, value = r.rejected[[schema.REJ_ROW, schema.REJ_COLUMN, schema.REJ_VALUE]].iloc[0]
    assert (len(r.rejected), row, column, float(value)) == (1, 3, "lat", 99.0)
    assert r.time_precision is TimePrecision.DAY  # dates without times


def test_geojson_rows_without_points():
    r = load_incidents(DATA / "incidents.geojson")
    reasons = r.rejected.set_index(schema.REJ_ROW)[schema.REJ_REASON].to_dict()
    assert reasons == {3: schema.REASON_NO_LOCATION, 4: schema.REASON_NOT_A_POINT}


def test_canonical_dtypes():
    inc = load_incidents(DATA / "generic.csv").incidents
    assert inc[schema.OCCURRED_AT].dtype == "datetime64[ns]"
    assert inc[schema.LATITUDE].dtype == "float64" and inc[schema.LONGITUDE].dtype == "float64"
    assert inc[schema.SOURCE_ROW].dtype == "int64"
    for col in (schema.INCIDENT_ID, schema.CATEGORY, schema.LOCATION_TYPE, schema.SOURCE_FILE):
        assert pd.api.types.is_string_dtype(inc[col])
    assert inc[schema.REFERENCE].isna().tolist() == [False, True, False, False, False]
    assert set(inc[schema.LOCATION_TYPE]) <= set(schema.LOCATION_TYPES)


def test_generic_csv_values_as_written():
    r = load_incidents(DATA / "generic.csv")
    inc = r.incidents
    assert inc[schema.INCIDENT_ID].tolist() == ["INC1", "INC2", "INC3", "INC4", "generic.csv:5"]
    assert inc[schema.CATEGORY].tolist() == [
        "violence_with_injury",
        "burglary_residential",
        '=HYPERLINK("http://example.com","click")',  # text, kept as data
        "Fraud",
        "shoplifting",
    ]
    assert inc[schema.LOCATION_TYPE].tolist() == [
        "public_space",
        "residential",
        "unknown",
        "non_residential",
        "unknown",
    ]
    assert inc[schema.OCCURRED_AT].iloc[0] == pd.Timestamp("2024-03-01 22:15")
    s = r.summary()
    assert s["unrecognised_categories"] == {
        '=HYPERLINK("http://example.com","click")': 1,
        "Fraud": 1,
    }
    assert s["unrecognised_location_types"] == {"garage": 1}  # "" is simply unknown
    assert s["extent"] == {"lat_min": 53.45, "lat_max": 53.454, "lon_min": -2.304, "lon_max": -2.3}


def test_formula_text_is_kept_and_neutralised_in_the_rejected_csv(tmp_path: Path):
    path = tmp_path / "formulas.csv"
    path.write_text(
        "occurred_at,category,latitude,longitude\n"
        "2024-03-01,=cmd|' /C calc'!A0,53.45,-2.3\n"
        "2024-03-01,@SUM(A1),=1+1,-2.3\n"
        "2024-03-01,+plus,-200.5,-2.3\n"
    )
    r = load_incidents(path)
    accounted_for(r)
    assert r.incidents[schema.CATEGORY].tolist() == ["=cmd|' /C calc'!A0"]
    back = pd.read_csv(io.BytesIO(r.rejected_csv()), dtype=str)
    assert back[schema.REJ_VALUE].tolist() == ["'=1+1", "-200.5"]  # numbers stay numbers


# --- column mapping --------------------------------------------------------------------


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


# --- encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "encoding"), [("bom.csv", "utf-8-sig"), ("cp1252.csv", "cp1252")])
def test_encodings(name, encoding):
    r = load_incidents(DATA / name)
    assert r.files[0].encoding == encoding
    assert r.incidents[schema.CATEGORY].iloc[0].startswith("Café robbery")
    assert r.incidents[schema.OCCURRED_AT].iloc[0] == pd.Timestamp("2024-03-01")


def test_utf16_text_from_excel(tmp_path: Path):
    path = tmp_path / "unicode.txt"
    path.write_bytes(
        "occurred_at\tcategory\tlat\tlon\n2024-03-01\tRobbery\t53.45\t-2.3\n".encode("utf-16")
    )
    assert len(load_incidents(path).incidents) == 1


# --- bad rows ----------------------------------------------------------------------------


def test_bad_rows_are_rejected_with_reasons():
    r = load_incidents(DATA / "bad_rows.csv")
    got = r.rejected[[schema.REJ_ROW, schema.REJ_COLUMN, schema.REJ_VALUE, schema.REJ_REASON]]
    assert got.values.tolist() == [
        [2, "latitude", "abc", schema.REASON_BAD_COORDINATE],
        [3, "latitude", "95", schema.REASON_OUT_OF_RANGE],
        [4, "longitude", "", schema.REASON_BAD_COORDINATE],
        [5, "occurred_at", "2024-02-30", schema.REASON_BAD_DATE],
        [6, "occurred_at", "2024-13", schema.REASON_BAD_DATE],
        [7, "occurred_at", "", schema.REASON_MISSING_DATE],
        [8, "", "2024-03-01,Robbery,53.45,-2.30,extra,fields", schema.REASON_MALFORMED],
        [9, "longitude", "", schema.REASON_NO_LOCATION],
        [10, "longitude", "inf", schema.REASON_BAD_COORDINATE],
    ]
    assert r.incidents[schema.SOURCE_ROW].tolist() == [1, 11]


@pytest.mark.parametrize("where", ["middle", "last", "unused column"])
def test_a_5mb_line_is_rejected_and_the_rest_kept(tmp_path: Path, where: str):
    big = "x" * (5 * 1024 * 1024)
    header = "occurred_at,category,latitude,longitude,notes\n"
    good = "2024-03-01,Robbery,53.45,-2.3,\n"
    long = {
        "middle": f"2024-03-01,{big},53.45,-2.3,\n",
        "last": f"2024-03-01,{big},53.45,-2.3,",  # no final newline
        "unused column": f"2024-03-01,Robbery,53.45,-2.3,{big}\n",
    }[where]
    path = tmp_path / "long.csv"
    path.write_text(header + good + long + (good if where != "last" else ""))
    r = load_incidents(path)
    accounted_for(r)
    rejected = r.rejected.iloc[0]
    assert (rejected[schema.REJ_ROW], rejected[schema.REJ_REASON]) == (
        2,
        schema.REASON_LINE_TOO_LONG,
    )
    assert len(rejected[schema.REJ_VALUE]) <= 200
    assert r.incidents[schema.SOURCE_ROW].tolist() == ([1, 3] if where != "last" else [1])
    assert len(big) > MAX_LINE_BYTES


def test_blank_lines_and_malformed_rows_keep_row_numbers(tmp_path: Path):
    path = tmp_path / "blank.csv"
    path.write_text(
        "occurred_at,category,latitude,longitude\n"
        "2024-03-01,A,53.45,-2.3\n"
        "\n"
        "2024-03-01,B,53.45\n"
        "2024-03-01,C,53.45,-2.3\n"
    )
    r = load_incidents(path)
    accounted_for(r)
    assert r.rejected[schema.REJ_ROW].tolist() == [2]
    assert r.incidents[[schema.SOURCE_ROW, schema.CATEGORY]].values.tolist() == [[1, "A"], [3, "C"]]


# --- whole-file problems -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"  \n\n", "empty"),
        ("header_only.csv", b"occurred_at,category,latitude,longitude\n", "no data rows"),
        ("garbage.csv", bytes(range(256)) * 4, "binary"),
        ("noise.csv", bytes(np.random.default_rng(1).integers(1, 256, 4000, np.uint8)), "binary"),
        ("not_geojson.json", b'{"hello": "world"}', "not GeoJSON"),
        ("web_page.csv", b"<!DOCTYPE html><html></html>\n", "web page"),
        ("book.xlsx", b"PK\x03\x04" + b"\x00" * 26 + b"[Content_Types].xml", "Excel"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel"),
        ("fake.gpkg", b"occurred_at,lat,lon\n2024-01,1,2\n", "the name says .gpkg"),
        ("broken.geojson", b'{"type": "FeatureCollection", "features": [', "geographic"),
        ("broken.parquet", b"PAR1 not really", "Parquet"),
        ("bad.zip", b"PK\x03\x04 not really a zip", "zip"),
        ("nothing.zip", None, "no CSV"),
    ],
)
def test_whole_file_problems_raise_one_clear_error(tmp_path: Path, name, content, message):
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("readme.txt.md", "hello")
    else:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        load_incidents(path)
    assert info.value.file == str(path)
    assert str(path) in str(info.value)
    assert info.value.hint


@pytest.mark.parametrize(
    "name", ["empty.csv", "header_only.csv", "not_geojson.json", "web_page.csv"]
)
def test_whole_file_problems_in_tests_data(name):
    with pytest.raises(InputError):
        load_incidents(DATA / name)


def test_prose_is_not_a_table(tmp_path: Path):
    path = tmp_path / "notes.txt"
    path.write_text("Dear analyst\nHere are the crimes you asked for\n")
    with pytest.raises(InputError, match="does not look like a table"):
        load_incidents(path)


def test_missing_path_and_empty_input(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        load_incidents(DATA / "nope.csv")
    (tmp_path / "notes.md").write_text("nothing here")
    with pytest.raises(InputError, match="folder holds no") as info:
        load_incidents(tmp_path)
    assert info.value.file == str(tmp_path)
    with pytest.raises(InputError, match="no incident files"):
        load_incidents([])


def test_errors_are_crimedash_errors_and_value_errors():
    with pytest.raises(CrimedashError):
        load_incidents(DATA / "empty.csv")
    with pytest.raises(ValueError):
        load_incidents(DATA / "empty.csv")


def test_leading_blank_lines_and_decimal_commas(tmp_path: Path):
    path = tmp_path / "european.csv"
    path.write_text("\n\nDatum;Lat;Lon;Type\n01/03/2024;53,45;-2,3;Robbery\n")
    inc = load_incidents(path, mapping=ColumnMapping(occurred_at="Datum")).incidents
    assert inc[[schema.LATITUDE, schema.LONGITUDE]].values.tolist() == [[53.45, -2.3]]
    assert inc[schema.SOURCE_ROW].tolist() == [1]


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


def test_a_file_with_no_usable_rows_still_loads_and_says_so(tmp_path: Path):
    path = tmp_path / "2024-05-nowhere-street.csv"
    header = ",".join(schema.POLICE_UK_COLUMNS)
    path.write_text(f"{header}\n,2024-05,X,X,,,No Location,,,Drugs,,\n")
    r = load_incidents(path)
    accounted_for(r)
    s = r.summary()
    assert (s["rows_kept"], s["rejected_by_reason"]) == (0, {schema.REASON_NO_LOCATION: 1})
    assert s["date_min"] is None and s["extent"] is None
    assert r.time_precision is TimePrecision.MONTH


# --- location types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "understood"),
    [
        ("On or near Supermarket", "non_residential", True),
        ("On or near Petrol Station", "non_residential", True),
        ("On or near Nightclub", "non_residential", True),
        ("On or near Hospital", "non_residential", True),
        ("On or near Further/Higher Educational Building", "non_residential", True),
        ("On or near Theatre/Concert Hall", "non_residential", True),
        ("On or near Medway Police Station", "non_residential", True),
        ("On or near Park/Open Space", "public_space", True),
        ("On or near Parking Area", "public_space", True),
        ("On or near Shopping Area", "public_space", True),
        ("On or near Sports/Recreation Area", "public_space", True),
        ("On or near Bus/Coach Station", "public_space", True),
        ("On or near Leeds (Station)", "public_space", True),
        ("On or near Waterloo (Lu Station)", "public_space", True),
        ("On or near Station Road", "unknown", True),
        ("On or near School Lane", "unknown", True),
        ("On or near Park Avenue", "unknown", True),
        ("No Location", "unknown", True),
        ("residential", "residential", True),
        ("Non-residential", "non_residential", True),
        ("public_space", "public_space", True),
        ("", "unknown", True),
        ("garage", "unknown", False),
    ],
)
def test_infer_location_type(text, expected, understood):
    assert infer_location_type(text) == (LocationType(expected), understood)


# --- summary and progress ---------------------------------------------------------------


def test_summary_and_progress():
    calls = []
    r = load_incidents([JAN, DATA / "generic.csv"], progress=lambda f, m: calls.append(f))
    assert calls[0] == 0.0 and calls[-1] == 1.0 and calls == sorted(calls)
    # The coarsest precision among the inputs: police.uk months beat timestamps.
    assert r.time_precision is TimePrecision.MONTH
    s = r.summary()
    assert s["rows_read"] == 13 and s["rows_kept"] == 12
    assert s["categories"]["shoplifting"] == 2
    assert s["location_types"]["unknown"] == 4
    assert [f.rows_read for f in r.files] == [8, 5]
    assert all(len(f.sha256) == 64 for f in r.files)


def test_missing_category_column_is_unknown():
    r = load_incidents(DATA / "xy_degrees.csv", mapping=ColumnMapping(category=None))
    assert r.incidents[schema.CATEGORY].tolist() == ["robbery"]
    path_r = load_incidents(("x.csv", b"date,lat,lon\n2024-03,53.4,-2.3\n"))
    assert path_r.incidents[schema.CATEGORY].tolist() == [UNKNOWN_CATEGORY]
    assert path_r.summary()["unrecognised_categories_total"] == 1


# --- households and areas ----------------------------------------------------------------


def test_households_from_address_points_csv():
    # 5 rows: two good (1 and 12 households), a negative count, no location, no count.
    hh = load_households(DATA / "households.csv")
    assert hh[schema.HOUSEHOLDS].tolist() == [1, 12]
    assert hh.crs == schema.WGS84 and (hh.geom_type == "Point").all()
    rejected = hh.attrs["rejected"]
    assert rejected[schema.REJ_ROW].tolist() == [3, 4, 5]
    assert rejected[schema.REJ_REASON].tolist() == [
        schema.REASON_BAD_COUNT,
        schema.REASON_NO_LOCATION,
        schema.REASON_BAD_COUNT,
    ]
    assert len(hh) + len(rejected) == hh.attrs["rows_read"] == 5


def test_households_points_default_to_one():
    hh = load_households(DATA / "household_points.geojson")
    assert hh[schema.HOUSEHOLDS].tolist() == [1, 1]


def test_households_as_polygons_keep_their_counts():
    hh = load_households(DATA / "areas.geojson")
    assert hh[schema.HOUSEHOLDS].tolist() == [120, 95]
    assert (hh.geom_type == "Polygon").all()


def test_household_polygons_need_a_count(tmp_path: Path):
    path = tmp_path / "polys.geojson"
    gpd.GeoDataFrame(
        {"name": ["a"]}, geometry=[shapely.box(0, 51, 0.01, 51.01)], crs=schema.WGS84
    ).to_file(path)
    with pytest.raises(ColumnMappingError, match="households column"):
        load_households(path)


def test_households_upload():
    data = (DATA / "households.csv").read_bytes()
    assert load_households(("households.csv", data))[schema.HOUSEHOLDS].sum() == 13


def test_areas_geojson():
    areas = load_areas(DATA / "areas.geojson")
    assert list(areas.columns) == [
        schema.AREA_CODE,
        schema.HOUSEHOLDS,
        schema.RESIDENTS,
        schema.GEOMETRY,
    ]
    assert areas[schema.AREA_CODE].tolist() == ["E00000001", "E00000002"]
    assert areas[schema.RESIDENTS].tolist() == [300, 210]


@pytest.fixture
def zipped_shapefile(tmp_path: Path) -> Path:
    """Two squares in British National Grid, as a zipped shapefile."""
    gdf = gpd.GeoDataFrame(
        {"LSOA21CD": ["E01000001", "E01000002"], "hh": [500, 600]},
        geometry=[
            shapely.box(530000, 180000, 530500, 180500),
            shapely.box(530500, 180000, 531000, 180500),
        ],
        crs=schema.BRITISH_NATIONAL_GRID,
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_file(folder / "areas.shp")
    path = tmp_path / "areas.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    return path


def test_areas_zipped_shapefile_reprojected(zipped_shapefile: Path):
    areas = load_areas(zipped_shapefile)
    assert areas.crs == schema.WGS84
    assert areas[schema.AREA_CODE].tolist() == ["E01000001", "E01000002"]
    assert areas[schema.HOUSEHOLDS].tolist() == [500, 600]
    minx, miny, maxx, maxy = areas.total_bounds
    assert 51.50 < miny < maxy < 51.52 and -0.13 < minx < maxx < -0.10


def test_areas_upload_and_explicit_code_column(zipped_shapefile: Path):
    areas = load_areas(("areas.zip", zipped_shapefile.read_bytes()), code_column="LSOA21CD")
    assert len(areas) == 2


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "message"),
    [
        ({"label": ["a", "b"]}, {}, ColumnMappingError, "area code"),
        ({"code": ["a", "a"]}, {}, InputError, "unique"),
        ({"code": ["a", "b"]}, {"code_column": "OA"}, InputError, "no column 'OA'"),
        ({"code": ["a", "b"], "households": [10, -1]}, {}, InputError, "whole non-negative"),
    ],
)
def test_bad_areas(tmp_path: Path, frame, kwargs, error, message):
    path = tmp_path / "areas.geojson"
    boxes = [shapely.box(0, 51, 0.01, 51.01), shapely.box(0.01, 51, 0.02, 51.01)]
    gpd.GeoDataFrame(frame, geometry=boxes, crs=schema.WGS84).to_file(path)
    with pytest.raises(error, match=message):
        load_areas(path, **kwargs)


def test_areas_need_polygons():
    with pytest.raises(InputError, match="polygons"):
        load_areas(DATA / "household_points.geojson")
    with pytest.raises(InputError, match="boundaries"):
        load_areas(DATA / "households.csv")


# --- the CLI ----------------------------------------------------------------------------


def test_cli_load_prints_a_summary(capsys, tmp_path: Path):
    out_csv = tmp_path / "rejected.csv"
    assert main(["load", str(POLICE_UK), "--rejected-out", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "rows read: 11" in out and "kept: 9" in out
    assert "rejected, no location: 2" in out
    assert "2024-01 to 2024-02 (precision: month)" in out
    assert "Extent: latitude" in out and "Skipped" in out
    assert pd.read_csv(out_csv)[schema.REJ_REASON].tolist() == [schema.REASON_NO_LOCATION] * 2


def test_cli_load_mapping_and_json(capsys):
    args = [
        "load",
        str(DATA / "ambiguous.csv"),
        "--map",
        "latitude=Lat",
        "--map",
        "longitude=Lon",
        "--json",
    ]
    assert main(args) == 0
    assert '"rows_kept": 1' in capsys.readouterr().out


def test_cli_shows_data_as_text(capsys, tmp_path: Path):
    path = tmp_path / "escape.csv"
    path.write_text("date,type,lat,lon\n2024-03,\x1b[31mred\x07,53.4,-2.3\n")
    assert main(["load", str(DATA / "generic.csv"), str(path)]) == 0
    out = capsys.readouterr().out
    assert '=HYPERLINK("http://example.com","click")' in out  # a formula is just text
    assert "\\x1b[31mred\\x07" in out and "\x1b" not in out  # no terminal escapes run


@pytest.mark.parametrize("name", ["empty.csv", "no_location.csv", "nope.csv"])
def test_cli_load_errors_exit_2(capsys, name):
    assert main(["load", str(DATA / name)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crimedash: file ") and "Traceback" not in err


# --- the sample city (once sample_data/ exists) ------------------------------------------


def test_sample_city_loads():
    if not (SAMPLE / "incidents.csv").exists():
        pytest.skip("sample_data/incidents.csv not generated yet")
    r = load_incidents(SAMPLE / "incidents.csv")
    accounted_for(r)
    assert len(r.rejected) == 0
    assert r.time_precision is TimePrecision.TIMESTAMP
    assert r.summary()["unrecognised_categories_total"] == 0
    hh = load_households(SAMPLE / "households.csv")
    assert hh.attrs["rows_read"] == len(hh)
    areas = load_areas(SAMPLE / "output_areas.geojson")
    assert (areas[schema.HOUSEHOLDS] >= 40).all()


def test_sample_city_police_uk_files_load():
    folder = SAMPLE / "police_uk"
    if not folder.is_dir():
        pytest.skip("sample_data/police_uk/ not generated yet")
    r = load_incidents(folder)
    accounted_for(r)
    assert r.time_precision is TimePrecision.MONTH


# --- real police.uk data (../shared/data/real) ---------------------------------------------


@pytest.mark.real_data
def test_real_city_of_london_folder(real_data: Path):
    r = load_incidents(real_data / "police_uk" / "city-of-london")
    accounted_for(r)
    s = r.summary()
    assert (s["files"], s["rows_read"]) == (24, 18_867)
    assert s["rejected_by_reason"] == {schema.REASON_NO_LOCATION: 1_589}
    assert s["rows_kept"] == 18_867 - 1_589
    assert (s["date_min"], s["date_max"], s["time_precision"]) == ("2024-01", "2025-12", "month")
    assert len(s["categories"]) == 14
    assert s["extent"] == {
        "lat_min": 51.39558,
        "lat_max": 54.86369,
        "lon_min": -4.997858,
        "lon_max": 0.16463,
    }
    asb = r.incidents[schema.CATEGORY] == "anti_social_behaviour"
    assert r.incidents.loc[asb, schema.REFERENCE].isna().all()


@pytest.mark.real_data
def test_real_all_forces_zip(real_data: Path):
    r = load_incidents(real_data / "police_uk" / "all-forces-2021-08.zip")
    accounted_for(r)
    s = r.summary()
    assert (s["files"], s["rows_read"]) == (40, 362_296)
    assert s["rejected_by_reason"] == {schema.REASON_NO_LOCATION: 7_383}
    assert s["time_precision"] == "month" and s["date_min"] == s["date_max"] == "2021-08"
    assert s["extent"] == {
        "lat_min": 49.91306,
        "lat_max": 57.143343,
        "lon_min": -8.099225,
        "lon_max": 1.758674,
    }
    by_file = {Path(f.name).name: f for f in r.files}
    btp = by_file["2021-08-btp-street.csv"]
    btp_rows = r.incidents[schema.SOURCE_FILE] == btp.name
    assert r.incidents.loc[btp_rows, schema.REFERENCE].isna().all()  # BTP: no Crime ID
    assert btp.rows_kept > 0
    assert by_file["2021-08-northern-ireland-street.csv"].rows_kept > 13_000  # no LSOA
    assert r.incidents[schema.INCIDENT_ID].is_unique


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("name", "rows"), [("gmp_bur.csv", 92_666), ("trafford_burglary_2016-02_2019-01.csv", 5_114)]
)
def test_real_greater_manchester_four_columns(real_data: Path, name: str, rows: int):
    r = load_incidents(real_data / "police_uk" / "greater-manchester" / name)
    accounted_for(r)
    assert (len(r.incidents), len(r.rejected)) == (rows, 0)
    assert r.time_precision is TimePrecision.MONTH
    assert r.files[0].mapping == ColumnMapping(
        latitude="Latitude", longitude="Longitude", occurred_at="Month", category="Crime.type"
    )
    assert set(r.incidents[schema.CATEGORY]) == {"Burglary"}


@pytest.mark.real_data
def test_real_trafford_output_areas(real_data: Path):
    areas = load_areas(real_data / "trafford" / "trafford_oa_2021.geojson")
    assert len(areas) == 738 and areas[schema.AREA_CODE].is_unique
    assert areas[schema.HOUSEHOLDS].sum() == 96_277
    assert areas[schema.RESIDENTS].sum() == 235_013
    assert areas.crs == schema.WGS84
    np.testing.assert_allclose(
        areas.total_bounds, [-2.478334, 53.357432, -2.253060, 53.480384], atol=1e-6
    )
