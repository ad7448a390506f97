"""Hostile and messy input to the loaders (issue 13, the loader cases).

Each test builds its bad input in a temporary folder, feeds it to a load entry point and
states the message or count the loader must give: a finding, a rejected row with its
reason, or one InputError naming the file; never a traceback, never a silent wrong
answer, never a lost row. (tests/test_hostile.py covers export, log and escaping.)
"""

from __future__ import annotations

import io
import struct
import sys
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))

from loadkit import accounted_for

from crimedash import schema
from crimedash.cli import EXIT_REFUSED, main
from crimedash.errors import CrimedashError, InputError
from crimedash.load import load_incidents
from crimedash.load.sources import MAX_ZIP_DEPTH

HEADER = "occurred_at,category,latitude,longitude\n"


def incidents_csv(n: int, *, lat: float = 53.45, lon: float = -2.30) -> str:
    """n plausible incidents around one point in Greater Manchester."""
    rows = [
        f"2024-03-{1 + i % 28:02d},burglary,{lat + (i % 50) * 1e-4:.5f},{lon + (i % 37) * 1e-4:.5f}"
        for i in range(n)
    ]
    return HEADER + "\n".join(rows) + "\n"


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def cli_refuses(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI; it must exit with the data-error code and a message, no traceback."""
    code = main(args)
    err = capsys.readouterr().err
    assert code == EXIT_REFUSED, err
    assert err.startswith("crimedash: ") and "Traceback" not in err
    return err


# --- zip archives --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "why"),
    [
        ("../../2024-03-x-street.csv", "a '..' that leads outside the archive"),
        ("/etc/2024-03-x-street.csv", "an absolute path"),
        ("C:/temp/2024-03-x-street.csv", "an absolute path"),
    ],
)
def test_zip_member_with_unsafe_name_is_skipped_and_its_rows_rejected(
    tmp_path: Path, member: str, why: str
):
    # Before: the '..' member was dropped as if hidden; its 100 rows were counted nowhere.
    path = tmp_path / "download.zip"
    path.write_bytes(
        zip_bytes(
            {
                "2024-03/ok-street.csv": incidents_csv(5).encode(),
                member: incidents_csv(100).encode(),
            }
        )
    )
    r = load_incidents(path)
    accounted_for(r)
    full = f"{path}/{member}"
    assert (full, f"unsafe name in the zip ({why}); its rows are rejected") in r.skipped_files
    assert (len(r.incidents), len(r.rejected)) == (5, 100)
    assert set(r.rejected[schema.REJ_REASON]) == {f"{schema.REASON_UNSAFE_MEMBER} ({why})"}
    assert set(r.rejected[schema.REJ_FILE]) == {full}
    assert r.summary()["rows_read"] == 105


def _zeros_zip(size: int, *, declared: int | None = None) -> bytes:
    """A zip of one CSV member of `size` zero bytes, about size/1000 on disk, written
    by hand in a fraction of a second: each MiB of zeros deflates, after a full flush,
    to the same few hundred bytes, so the stream is one segment repeated. With
    `declared`, the headers claim that size instead (a forged archive)."""
    chunk = b"\0" * (1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    assert comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH) == again
    count = size >> 20
    stream = first + again * (count - 1) + comp.flush()
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    name = b"2024-03-bomb-street.csv"
    usize = size if declared is None else declared
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(stream), usize, len(name), 0
    )
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            len(stream),
            usize,
            len(name),
            0,
            0,
            0,
            0,
            0,
            0,
        )
        + name
    )
    offset = len(local) + len(name) + len(stream)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), offset, 0)
    return local + name + stream + central + end


@pytest.fixture(scope="module")
def gib_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    path.write_bytes(_zeros_zip(1 << 30))
    return path


def test_zip_bomb_is_refused_from_its_header_before_memory_grows(gib_bomb: Path):
    # Before: refused only after 13 s and 2.1 GB (a member under the size cap: MemoryError).
    assert gib_bomb.stat().st_size < 2 << 20  # 1 GiB inflated
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="looks like a zip bomb") as info:
            load_incidents(gib_bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20
    assert info.value.file == f"{gib_bomb}/2024-03-bomb-street.csv"
    assert "1,073,741,824 bytes" in str(info.value)


def test_zip_bomb_with_forged_small_size_stops_at_the_declared_size(tmp_path: Path):
    path = tmp_path / "forged.zip"
    path.write_bytes(_zeros_zip(64 << 20, declared=1000))
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="cannot be unpacked") as info:
            load_incidents(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20
    assert info.value.file == f"{path}/2024-03-bomb-street.csv"


def test_deeply_nested_zips_are_refused_with_a_message(tmp_path: Path, capsys):
    # Before: 400 nested zips raised RecursionError.
    data = zip_bytes({"2024-03-x-street.csv": incidents_csv(3).encode()})
    for _ in range(400):
        data = zip_bytes({"inner.zip": data}, zipfile.ZIP_STORED)
    path = tmp_path / "nested.zip"
    path.write_bytes(data)
    with pytest.raises(InputError, match=f"nested more than {MAX_ZIP_DEPTH} deep"):
        load_incidents(path)
    assert "nested more than" in cli_refuses(["load", str(path)], capsys)
    # Two levels, as police.uk downloads sometimes are, still load.
    two = zip_bytes({"inner.zip": zip_bytes({"2024-03-x-street.csv": incidents_csv(3).encode()})})
    assert len(load_incidents(("two.zip", two)).incidents) == 3


def test_context_layer_zip_bomb_is_refused_before_gdal_opens_it(gib_bomb: Path):
    from crimedash.load import load_areas, load_households

    for load in (load_areas, load_households):
        with pytest.raises(InputError, match="looks like a zip bomb"):
            load(gib_bomb)


def _patch_all(data: bytes, sig: bytes, offset: int, fn) -> bytes:
    out = bytearray(data)
    start = 0
    while (pos := out.find(sig, start)) >= 0:
        fn(out, pos + offset)
        start = pos + 1
    return bytes(out)


def test_corrupted_zip_member_is_an_input_error(tmp_path: Path, capsys):
    # Before: BadZipFile (a traceback). The member's compressed bytes are damaged.
    good = zip_bytes({"2024-03-x-street.csv": incidents_csv(2000).encode()})
    bad = bytearray(good)
    middle = len(bad) // 3
    bad[middle : middle + 64] = b"\xff" * 64
    path = tmp_path / "damaged.zip"
    path.write_bytes(bytes(bad))
    with pytest.raises(InputError, match="cannot be unpacked") as info:
        load_incidents(path)
    assert info.value.file == f"{path}/2024-03-x-street.csv"
    cli_refuses(["load", str(path)], capsys)


def test_zip_that_is_no_zip_at_all_is_an_input_error(tmp_path: Path, capsys):
    path = tmp_path / "forged.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(InputError, match="not a readable zip file"):
        load_incidents(path)
    cli_refuses(["load", str(path)], capsys)


def test_encrypted_zip_member_is_an_input_error(tmp_path: Path, capsys):
    def encrypt_flag(buf: bytearray, at: int) -> None:
        buf[at] |= 0x01

    data = zip_bytes({"2024-03-x-street.csv": incidents_csv(3).encode()})
    data = _patch_all(data, b"PK\x03\x04", 6, encrypt_flag)
    data = _patch_all(data, b"PK\x01\x02", 8, encrypt_flag)
    path = tmp_path / "secret.zip"
    path.write_bytes(data)
    with pytest.raises(InputError, match="encrypted") as info:
        load_incidents(path)
    assert info.value.file == f"{path}/2024-03-x-street.csv"
    assert "encrypted" in cli_refuses(["load", str(path)], capsys)


# --- text: encodings, columns --------------------------------------------------------


def test_mixed_utf8_and_windows_1252_rows_each_decode_in_their_own_encoding():
    # Before: the file was read as Windows-1252 throughout: "Vol de vÃ©lo".
    data = (HEADER + "2024-03-01,Vol de vélo,53.45,-2.3\n").encode("utf-8")
    data += "2024-03-02,Vol de vélo,53.45,-2.3\n".encode("cp1252")
    data += "2024-03-03,Dégradation,53.45,-2.3\n".encode()
    r = load_incidents(("mixed.csv", data))
    accounted_for(r)
    assert r.incidents[schema.CATEGORY].tolist() == ["Vol de vélo", "Vol de vélo", "Dégradation"]
    assert r.files[0].encoding == "utf-8+cp1252"
    assert r.findings == (
        "mixed.csv: 1 lines are Windows-1252 text among 2 UTF-8 lines; each was decoded in "
        "its own encoding",
    )


def test_bytes_neither_encoding_can_decode_reject_their_row_only(capsys):
    # Byte 0x81 is undefined in Windows-1252 and invalid in UTF-8. Before: a traceback.
    data = (HEADER + "2024-03-01,café,53.45,-2.3\n").encode("cp1252")
    data += b"2024-03-02,bad\x81value,53.45,-2.3\n2024-03-03,theft,53.45,-2.3\n"
    r = load_incidents(("x81.csv", data))
    accounted_for(r)
    assert r.incidents[schema.CATEGORY].tolist() == ["café", "theft"]
    assert r.rejected[[schema.REJ_ROW, schema.REJ_REASON]].values.tolist() == [
        [2, schema.REASON_UNDECODABLE]
    ]
    assert r.rejected.iloc[0][schema.REJ_VALUE].startswith("2024-03-02,bad")
    assert r.files[0].encoding == "cp1252"


@pytest.mark.parametrize(
    ("data", "message", "row"),
    [
        # Cut one byte short: the last character is half there.
        (
            (HEADER + "2024-03-01,theft,53.45,-2.3\n").encode("utf-16")[:-1],
            "UTF-16 text but it ends in the middle of a character",
            1,
        ),
        # A lone high surrogate in row 2's category.
        (
            ("\ufeff" + HEADER + "2024-03-01,theft,53.45,-2.3\n2024-03-02,x").encode("utf-16-le")
            + b"\x00\xd8"
            + ",53.45,-2.3\n".encode("utf-16-le"),
            "UTF-16 text but it holds a broken character",
            2,
        ),
    ],
)
def test_broken_utf16_is_an_input_error_with_its_row(data: bytes, message: str, row: int):
    # Before: UnicodeDecodeError (a traceback).
    with pytest.raises(InputError, match=message) as info:
        load_incidents(("unicode.txt.csv", data))
    assert (info.value.file, info.value.row) == ("unicode.txt.csv", row)


def test_a_hundred_thousand_columns_is_refused(tmp_path: Path, capsys):
    # Before: "field larger than field limit (131072)" from the csv module (a traceback).
    names = ",".join(f"c{i}" for i in range(100_000))
    path = tmp_path / "wide.csv"
    path.write_text(names + "\n" + ",".join(["1"] * 100_000) + "\n")
    with pytest.raises(
        InputError, match="names 100,000 columns; crimedash reads tables of at most"
    ):
        load_incidents(path)
    cli_refuses(["load", str(path)], capsys)


def test_two_columns_with_one_name_are_refused_naming_it(tmp_path: Path):
    # Before: the first `latitude` was used silently.
    data = b"occurred_at,category,latitude,latitude,longitude\n2024-03-01,x,53.45,-2.3,-2.3\n"
    with pytest.raises(InputError, match="2 columns are named 'latitude'") as info:
        load_incidents(("dup.csv", data))
    assert info.value.candidates == {"latitude": ("latitude", "latitude.2")}
    assert "--map latitude=latitude.2" in str(info.value)
    # Choosing one explicitly settles it.
    from crimedash.load import ColumnMapping

    chosen = ColumnMapping(latitude="latitude", longitude="longitude")
    with pytest.raises(InputError, match="named 'latitude'"):
        load_incidents(("dup.csv", data), mapping=chosen)
    r = load_incidents(
        ("dup.csv", data), mapping=ColumnMapping(latitude="latitude.2", longitude="longitude")
    )
    assert r.incidents[schema.LATITUDE].tolist() == [-2.3]


# --- households and areas ----------------------------------------------------------


def test_household_counts_must_be_whole_non_negative_and_plausible():
    # Before: 1e19 wrapped to -9,223,372,036,854,775,808 and moved the score.
    from crimedash.load import load_households

    rows = ["1", "12", "1e19", "-5", "NaN", "2.5", "abc", "20000", "20001", "200000000"]
    text = "latitude,longitude,households\n" + "".join(
        f"53.45{i},-2.30{i},{v}\n" for i, v in enumerate(rows)
    )
    hh = load_households(("households.csv", text.encode()))
    rejected = hh.attrs["rejected"]
    assert len(hh) + len(rejected) == hh.attrs["rows_read"] == 10
    assert hh[schema.HOUSEHOLDS].tolist() == [1, 12, 20000]
    by_value = dict(zip(rejected[schema.REJ_VALUE], rejected[schema.REJ_REASON], strict=True))
    assert by_value == {
        "1e19": schema.REASON_IMPLAUSIBLE_COUNT,
        "-5": schema.REASON_BAD_COUNT,
        "NaN": schema.REASON_BAD_COUNT,
        "2.5": schema.REASON_BAD_COUNT,
        "abc": schema.REASON_BAD_COUNT,
        "20001": schema.REASON_IMPLAUSIBLE_COUNT,
        "200000000": schema.REASON_IMPLAUSIBLE_COUNT,
    }
    assert (hh[schema.HOUSEHOLDS] >= 0).all()


def test_household_points_with_swapped_axes_are_exchanged_and_said():
    from crimedash.load import load_households

    text = "latitude,longitude\n" + "".join(f"-2.30{i},53.45{i}\n" for i in range(5))
    hh = load_households(("hh.csv", text.encode()))
    assert (hh.geometry.y > 53).all() and (hh.geometry.x < -2).all()
    assert hh.attrs["findings"][0].startswith("latitude and longitude are swapped: 100% of 5")


def _square(x: float, y: float, size: float) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def _geojson(features: list[tuple[dict, list]], crs: str | None = None) -> bytes:
    import json

    doc: dict = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": p,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            for p, ring in features
        ],
    }
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc).encode()


def test_a_polygon_claiming_200_million_households_is_rejected_not_allocated():
    # Before: a 5.96 GiB allocation when the polygon was spread into points.
    from crimedash.load import load_households

    data = _geojson(
        [
            ({"households": 200_000_000}, _square(-2.30, 53.45, 0.001)),
            ({"households": 40}, _square(-2.29, 53.45, 0.001)),
        ]
    )
    hh = load_households(("hh.geojson", data))
    assert hh[schema.HOUSEHOLDS].tolist() == [40]
    assert hh.attrs["rejected"][schema.REJ_REASON].tolist() == [schema.REASON_IMPLAUSIBLE_COUNT]


# 1,501 rows at the per-row cap of 20,000: 30,020,000 households, one layer more than
# the United Kingdom's ~28 million. Before the layer ceiling, 10,000 such polygons were
# each accepted and then spread into 200,000,000 points (gigabytes) by the indexer.
_OVER_THE_LAYER_CEILING = 1_501


def test_a_households_layer_of_polygons_claiming_more_than_the_country_is_refused(capsys):
    from crimedash.load import MAX_HOUSEHOLDS_PER_FEATURE, load_households
    from crimedash.load.plausible import MAX_HOUSEHOLDS_PER_LAYER

    assert _OVER_THE_LAYER_CEILING * MAX_HOUSEHOLDS_PER_FEATURE > MAX_HOUSEHOLDS_PER_LAYER
    features = [
        ({"households": MAX_HOUSEHOLDS_PER_FEATURE}, _square(-2.30 + i * 1e-3, 53.45, 5e-4))
        for i in range(_OVER_THE_LAYER_CEILING)
    ]
    with pytest.raises(InputError) as caught:
        load_households(("national-hh.geojson", _geojson(features)))
    message = str(caught.value)
    assert message.startswith(
        "file national-hh.geojson: the 1,501 rows claim 30,020,000 households"
    )
    assert "more than a households layer may hold (30,000,000" in message
    assert "row 1, claims 20,000" in message


def test_a_households_csv_claiming_more_than_the_country_is_refused_by_the_cli(tmp_path, capsys):
    hh = tmp_path / "hh.csv"
    hh.write_text(
        "latitude,longitude,households\n53.45,-2.30,5\n"
        + "53.46,-2.31,20000\n" * _OVER_THE_LAYER_CEILING
    )
    inc = tmp_path / "inc.csv"
    inc.write_text(incidents_csv(30))
    err = cli_refuses(["assess", str(inc), "--households", str(hh)], capsys)
    assert f"file {hh}: the 1,502 rows claim 30,020,005 households in all" in err
    assert "the largest, row 2, claims 20,000" in err


def test_a_households_layer_given_to_the_indexer_is_refused_before_it_is_spread():
    # The API path (no loader): 10,000 polygons at 20,000 each would be 200,000,000
    # points; the indexer refuses it before allocating anything for them.
    import geopandas as gpd
    import shapely

    from crimedash.index import index_incidents

    boxes = [
        shapely.box(-2.30 + i * 1e-4, 53.45, -2.30 + i * 1e-4 + 5e-5, 53.4501)
        for i in range(10_000)
    ]
    households = gpd.GeoDataFrame(
        {schema.HOUSEHOLDS: [20_000.0] * 10_000}, geometry=boxes, crs=schema.WGS84
    )
    incidents = load_incidents(("inc.csv", incidents_csv(30).encode())).incidents
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match=r"the 10,000 polygons claim 200,000,000 households"):
            index_incidents(incidents, households=households)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20  # not the gigabytes of 200 million points


@pytest.mark.parametrize(
    ("crs", "label"),
    [(None, "declares WGS 84"), ("urn:ogc:def:crs:OGC:1.3:CRS84", "declares WGS 84")],
)
def test_areas_in_grid_metres_are_recognised_and_reprojected(crs: str | None, label: str):
    # Before: read as degrees (score 0.0, nothing published, no warning). GeoJSON without
    # a crs member is CRS84 by its standard, so GDAL labels it WGS 84 either way.
    from crimedash.load import load_areas

    data = _geojson(
        [
            ({"code": "A"}, _square(383_000, 398_000, 500)),
            ({"code": "B"}, _square(383_500, 398_000, 500)),
        ],
        crs,
    )
    areas = load_areas(("areas.geojson", data))
    minx, miny, maxx, maxy = areas.total_bounds
    assert -2.27 < minx < maxx < -2.24 and 53.47 < miny < maxy < 53.49  # Manchester
    (finding,) = areas.attrs["findings"]
    assert finding == (
        "coordinates are British National Grid metres (x from 383,000 to 384,000, y from "
        f"398,000 to 398,500) although the file {label}; read as EPSG:27700 and reprojected "
        "to WGS84"
    )


def test_areas_whose_numbers_fit_no_known_crs_are_refused_with_what_was_seen():
    from crimedash.load import load_areas

    data = _geojson([({"code": "A"}, _square(-5_000_000, 398_000, 500))])
    with pytest.raises(InputError, match="neither degrees nor British National Grid") as info:
        load_areas(("areas.geojson", data))
    assert "x from -5,000,000 to -4,999,500" in str(info.value)


def test_self_intersecting_area_is_repaired_and_reported():
    # Before: a bow-tie area was published as an invalid geometry.
    import shapely

    from crimedash.load import load_areas

    bow_tie = [[-2.30, 53.45], [-2.29, 53.46], [-2.29, 53.45], [-2.30, 53.46], [-2.30, 53.45]]
    data = _geojson([({"code": "A"}, bow_tie), ({"code": "B"}, _square(-2.28, 53.45, 0.01))])
    areas = load_areas(("areas.geojson", data))
    assert shapely.is_valid(areas.geometry.to_numpy()).all()
    assert areas.geometry.iloc[0].area == pytest.approx(0.01 * 0.01 / 2)  # two triangles
    assert areas.attrs["findings"] == [
        "1 area boundaries were invalid (e.g. 'A': Self-intersection[-2.295 53.455]) and "
        "were repaired with make_valid"
    ]


def test_area_counts_above_any_uk_area_are_refused():
    from crimedash.load import load_areas

    data = _geojson([({"code": "A", "households": 1e19}, _square(-2.30, 53.45, 0.01))])
    with pytest.raises(InputError, match="more than any UK area holds") as info:
        load_areas(("areas.geojson", data))
    assert (info.value.row, info.value.column) == (1, "households")


# --- plausibility of incidents ---------------------------------------------------------


def test_latitude_and_longitude_swapped_in_every_row_are_exchanged_and_said():
    # Before: every point at lat -0.4, lon 52.8 loaded and scored 100 with no warning.
    rows = "".join(f"2024-03-01,theft,-0.4{i:02d},52.8{i:02d}\n" for i in range(30))
    r = load_incidents(("swapped.csv", (HEADER + rows).encode()))
    accounted_for(r)
    assert r.incidents[schema.LATITUDE].between(52.8, 52.9).all()
    assert r.incidents[schema.LONGITUDE].between(-0.5, -0.4).all()
    assert r.findings == (
        "swapped.csv: latitude and longitude are swapped: 100% of 30 points lie in the UK only "
        "with the columns exchanged (e.g. latitude -0.4, longitude 52.8); read exchanged",
    )


def test_a_few_swapped_rows_among_thousands_are_reported_as_far_from_the_rest():
    # Before: one swapped row among 3,000 stretched the extent silently.
    text = incidents_csv(3000)
    text += "2024-03-02,theft,-2.30000,53.45000\n2024-03-02,theft,-2.30100,53.45100\n"
    r = load_incidents(("town.csv", text.encode()))
    accounted_for(r)
    assert len(r.incidents) == 3002  # kept: a crime recorded elsewhere is real
    assert r.findings == (
        "2 of 3,002 rows lie far from the rest (more than 50 km from the median point; e.g. "
        "town.csv row 3001: latitude -2.3, longitude 53.45); they are kept but widen the map's "
        "extent; 2 of them would lie among the rest with latitude and longitude exchanged. "
        "Check them",
    )


def test_a_national_file_is_not_flagged_for_covering_the_country():
    import numpy as np

    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(50.5, 55.5, 2000), rng.uniform(-4.5, 1.0, 2000)
    rows = "".join(f"2024-03-01,theft,{a:.5f},{o:.5f}\n" for a, o in zip(lat, lon, strict=True))
    assert load_incidents(("england.csv", (HEADER + rows).encode())).findings == ()


def test_dates_after_today_are_a_finding_with_their_count():
    # Before: incidents dated 2031 were assessed with no word.
    import datetime as dt
    from zoneinfo import ZoneInfo

    text = incidents_csv(10) + "2031-01-05,theft,53.45,-2.3\n2099-12-31,theft,53.45,-2.3\n"
    r = load_incidents(("late.csv", text.encode()))
    accounted_for(r)
    today = dt.datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    assert r.findings == (
        f"late.csv: 2 rows are dated after today ({today}), e.g. row 11 and the latest "
        "2099-12-31; they are kept, but check the dates",
    )


def test_dates_after_a_police_uk_files_month_are_a_finding():
    text = (
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n"
        + "".join(
            f",{m},Force,Force,-2.30,53.45,On or near X,,,Burglary,,\n"
            for m in ("2024-03", "2024-03", "2024-04", "2025-01")
        )
    )
    r = load_incidents(("2024-03/2024-03-testshire-street.csv", text.encode()))
    assert r.findings == (
        "2024-03/2024-03-testshire-street.csv: 2 rows are dated after 2024-03, the month this "
        "police.uk file is for (e.g. row 3); they are kept, but check them",
    )


def test_time_zone_offsets_are_converted_to_uk_local_time():
    # Before: "+05:30" and "Z" were ignored (the times kept as written).
    import pandas as pd

    text = HEADER + (
        "2024-07-01T10:15:00Z,theft,53.45,-2.3\n"  # BST: 11:15
        "2024-01-15T10:15:00Z,theft,53.45,-2.3\n"  # GMT: 10:15
        "2024-07-01T10:15:00+05:30,theft,53.45,-2.3\n"  # 04:45 UTC, 05:45 BST
        "2024-07-01T10:15:00-0500,theft,53.45,-2.3\n"  # 15:15 UTC, 16:15 BST
        "2024-07-01T10:15:00,theft,53.45,-2.3\n"  # no zone: UK local as written
    )
    r = load_incidents(("zones.csv", text.encode()))
    assert r.incidents[schema.OCCURRED_AT].tolist() == [
        pd.Timestamp(t)
        for t in (
            "2024-07-01 11:15",
            "2024-01-15 10:15",
            "2024-07-01 05:45",
            "2024-07-01 16:15",
            "2024-07-01 10:15",
        )
    ]
    assert r.findings == (
        "zones.csv: 4 times carried a time-zone offset and were converted to UK local time "
        "(Europe/London)",
    )


def test_findings_reach_the_cli(tmp_path: Path, capsys):
    path = tmp_path / "late.csv"
    path.write_text(incidents_csv(3) + "2031-01-05,theft,53.45,-2.3\n")
    assert main(["load", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"Finding: {path}: 1 rows are dated after today" in out


# --- fuzz: whatever the bytes, a load or a message ------------------------------------


_SEED_CSV = (
    HEADER + "2024-03-01,burglary,53.45,-2.30\n2024-03-02T10:15:00+01:00,Vol de vélo,53.46,-2.31\n"
    '02/03/2024,"quoted, comma",53.47,-2.32\n,,,\n'
).encode()
_SEED_HOUSEHOLDS = b"latitude,longitude,households\n53.45,-2.30,1\n53.46,-2.31,12\n"
_SEED_GEOJSON = _geojson([({"code": "A", "households": 10}, _square(-2.30, 53.45, 0.01))])
_SEEDS = {
    "incidents.csv": _SEED_CSV,
    "incidents.zip": zip_bytes({"2024-03-x-street.csv": _SEED_CSV}),
    "households.csv": _SEED_HOUSEHOLDS,
    "areas.geojson": _SEED_GEOJSON,
}


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """A seed file with a few bytes flipped, inserted or cut, or random bytes."""
    name = draw(st.sampled_from(sorted(_SEEDS)))
    data = bytearray(_SEEDS[name])
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["flip", "insert", "cut", "truncate"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 8))]
        else:
            del data[at:]
    if draw(st.booleans()) and draw(st.booleans()):
        data = bytearray(draw(st.binary(max_size=200)))
    return name, bytes(data)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated())
def test_fuzzed_files_load_with_every_row_accounted_for_or_raise_a_crimedash_error(upload):
    from crimedash.load import load_areas, load_households

    name, data = upload
    try:
        if name.startswith("households"):
            hh = load_households((name, data))
            assert len(hh) + len(hh.attrs["rejected"]) == hh.attrs["rows_read"]
        elif name.startswith("areas"):
            load_areas((name, data))
        else:
            accounted_for(load_incidents((name, data)))
    except CrimedashError:
        pass
