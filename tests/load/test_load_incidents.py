"""Loading incidents end to end (crimedash/load/incidents.py): the CLI, the sample city, real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from loadkit import DATA, POLICE_UK, SAMPLE, accounted_for

from crimedash import schema
from crimedash.cli import main
from crimedash.load import (
    ColumnMapping,
    load_areas,
    load_households,
    load_incidents,
)
from crimedash.schema import TimePrecision


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
def test_cli_load_errors_exit_1(capsys, name):
    assert main(["load", str(DATA / name)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("crimedash: file ") and "Traceback" not in err


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
