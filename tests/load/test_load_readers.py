"""Readers (crimedash/load/delimited.py, gis.py, parquet.py): every format, every row accounted for."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from loadkit import DATA, accounted_for

from crimedash import schema
from crimedash.load import (
    MAX_LINE_BYTES,
    ColumnMapping,
    load_incidents,
)
from crimedash.schema import TimePrecision


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


def test_rejections_from_reading_and_from_checks_come_in_row_order(tmp_path: Path):
    """Rows the reader cannot split and rows the checks reject are one file's list, in
    row order, with the frame's column types (kept as Arrow per file, one frame at the
    end)."""
    path = tmp_path / "mixed.csv"
    path.write_text(
        "occurred_at,category,latitude,longitude\n"
        "2024-03-01,A,95,-2.3\n"
        "2024-03-01,B,53.45\n"
        "2024-13-01,C,53.45,-2.3\n"
        "2024-03-01,D,53.45,-2.3,extra\n"
        "2024-03-01,E,,\n"
        "2024-03-01,F,53.45,-2.3\n"
    )
    r = load_incidents(path)
    accounted_for(r)
    rej = r.rejected
    assert rej[schema.REJ_ROW].tolist() == [1, 2, 3, 4, 5]
    assert rej[schema.REJ_REASON].tolist() == [
        schema.REASON_OUT_OF_RANGE,
        schema.REASON_MALFORMED,
        schema.REASON_BAD_DATE,
        schema.REASON_MALFORMED,
        schema.REASON_NO_LOCATION,
    ]
    assert rej[schema.REJ_VALUE].tolist()[:3] == ["95", "2024-03-01,B,53.45", "2024-13-01"]
    # text columns have the type pandas gives text ('str' from pandas 3, object
    # before); the row number is int64
    text_type = str(pd.Series(["a"]).dtype)
    want = [("int64" if c == schema.REJ_ROW else text_type) for c in rej.columns]
    assert len(want) == 5 and [str(t) for t in rej.dtypes] == want
    assert r.incidents[schema.SOURCE_ROW].tolist() == [6]


def test_leading_blank_lines_and_decimal_commas(tmp_path: Path):
    path = tmp_path / "european.csv"
    path.write_text("\n\nDatum;Lat;Lon;Type\n01/03/2024;53,45;-2,3;Robbery\n")
    inc = load_incidents(path, mapping=ColumnMapping(occurred_at="Datum")).incidents
    assert inc[[schema.LATITUDE, schema.LONGITUDE]].values.tolist() == [[53.45, -2.3]]
    assert inc[schema.SOURCE_ROW].tolist() == [1]
