"""Sniffing and refusals (crimedash/load/sniff.py): one clear error for a file that cannot be used."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from loadkit import DATA

from crimedash.errors import CrimedashError, InputError
from crimedash.load import (
    load_incidents,
)


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


def test_errors_are_crimedash_errors_and_value_errors():
    with pytest.raises(CrimedashError):
        load_incidents(DATA / "empty.csv")
    with pytest.raises(ValueError):
        load_incidents(DATA / "empty.csv")
