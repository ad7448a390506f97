"""The export: approval rules, what the public files may never hold (a scan against the
input), byte-for-byte reproducibility, all-or-nothing writing, drifted inputs, formula
neutralisation, and that GIS readers read every public file back.

The inputs are small files written here: a force extract with exact times, reference
numbers and a free-text column, a police.uk street file (with its 'Location' and 'Last
outcome category' text), household points and square areas. The scan reads them with
pandas directly, not through crimedash, so it does not trust the code it checks.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import signal
import struct
import subprocess
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from enginekit import households_frame, incidents_frame, square_areas
from pyproj import CRS, Transformer

from crimedash import bundlewrite
from crimedash import categories as C
from crimedash import schema as S
from crimedash.approval import Approval, data_fingerprint
from crimedash.assessment import assess
from crimedash.bundlewrite import MANIFEST, PUBLIC_README, ZIP_DATE, review_zip_path, zip_path
from crimedash.cli import main
from crimedash.dataset import load_dataset
from crimedash.design import Design
from crimedash.designlog import DesignLog
from crimedash.errors import ExportError
from crimedash.export import build_manifest, export_bundle
from crimedash.layer import apply_design
from crimedash.public import (
    COUNTS_CSV,
    COUNTS_PARQUET,
    REFERENCES_CSV,
    TOTALS_CSV,
    TOTALS_PARQUET,
    UNITS_GEOJSON,
    UNITS_PARQUET,
)
from crimedash.publicfiles import public_files
from crimedash.textsafe import csv_bytes, csv_cell

ROOT = Path(__file__).resolve().parents[1]
SEED = 918273645  # distinctive, so the scan can look for it
APPROVAL = Approval(
    reviewer="Sam Reviewer",
    role="Data protection officer",
    publisher="Testshire Council",
    contact="crime-maps@testshire.example",
    rationale="Counts by hexagon and month tell residents where crime is, not whom it was.",
    justification="The synthetic test data is dense; publishing is needed for the test.",
    next_review=date(2099, 1, 1),
)
# any score under 100 is green, and the tail gates (certain share, small units) are off
GREEN = {"green_below": 100.0, "red_from": 100.0, "certain_line": 1.0, "min_households": 0.0}
RED = {"green_below": 0.0, "red_from": 0.0}  # any score is red

STREETS = ("Zebra Crescent", "Quagga Mews", "Okapi Row", "Ibex Terrace")
OUTCOMES = (
    "Under investigation",
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Offender given a caution",
)


@pytest.fixture(autouse=True)
def _private_log(monkeypatch, tmp_path_factory) -> None:
    """No test writes to the real user's design log."""
    monkeypatch.setenv("CRIMEDASH_LOG", str(tmp_path_factory.mktemp("log") / "designs.sqlite3"))


# --- the inputs ---------------------------------------------------------------------------
def write_inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    inc = incidents_frame(rng, 300).drop(columns=[S.SOURCE_FILE, S.SOURCE_ROW])
    inc["description"] = [f"Victim lives at {i + 1} {STREETS[i % 4]}" for i in range(len(inc))]
    bad = inc.head(4).copy()  # rejected on loading: counted, never published
    bad[S.LATITUDE] = ["not a number", "999", "52.9x", ""]
    bad[S.INCIDENT_ID] = [f"BAD{i}" for i in range(4)]
    pd.concat([inc, bad]).to_csv(folder / "incidents.csv", index=False)

    n = 160
    months = rng.integers(1, 7, n)
    street = pd.DataFrame(
        {
            "Crime ID": [hashlib.sha256(f"crime{i}".encode()).hexdigest() for i in range(n)],
            "Month": [f"2024-{m:02d}" for m in months],
            "Reported by": "Testshire Police",
            "Falls within": "Testshire Police",
            "Longitude": np.round(-1.15 + rng.normal(0, 0.012, n), 6),
            "Latitude": np.round(52.95 + rng.normal(0, 0.008, n), 6),
            "Location": [f"On or near {STREETS[i % 4]}" for i in range(n)],
            "LSOA code": "E01099999",
            "LSOA name": [f"Testshire {i % 9:03d}X" for i in range(n)],
            "Crime type": rng.choice(C.POLICE_UK_CATEGORIES, n),
            "Last outcome category": [OUTCOMES[i % 4] for i in range(n)],
            "Context": [
                f"Reported by the neighbour at number {i}" if i % 5 == 0 else "" for i in range(n)
            ],
        }
    )
    street.to_csv(folder / "2024-street.csv", index=False, float_format="%.6f")
    households_frame(rng, 500).to_file(folder / "households.geojson", driver="GeoJSON")
    square_areas(0.01).to_file(folder / "areas.geojson", driver="GeoJSON")
    return {
        "incidents": folder / "incidents.csv",
        "street": folder / "2024-street.csv",
        "households": folder / "households.geojson",
        "areas": folder / "areas.geojson",
    }


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    return write_inputs(tmp_path_factory.mktemp("inputs"))


@pytest.fixture(scope="module")
def dataset(inputs):
    return load_dataset(
        [inputs["incidents"]], households=inputs["households"], areas=[inputs["areas"]]
    )


@pytest.fixture(scope="module")
def street_dataset(inputs):
    return load_dataset([inputs["street"]])


@pytest.fixture(scope="module")
def bundle(dataset, tmp_path_factory) -> Path:
    """One full export, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("bundles") / "2024-release"
    return export_bundle(dataset, Design(min_count=3, noise_seed=SEED), APPROVAL, out)


# --- approval rules -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reviewer": "  "}, "reviewer's name"),
        ({"decision": "yes"}, "decision must be one of approve, reject"),
        ({"publisher": ""}, "publisher"),
        ({"contact": "Sam on extension 4021"}, "email address"),
        ({"contact": ""}, "email address"),
        ({"reviewer": "Sam\nReviewer"}, "one line"),
        ({"next_review": "next spring"}, "a date like"),
        ({"rationale": "x" * 6000}, "at most"),
    ],
)
def test_an_invalid_approval_says_what_is_wrong(changes: dict, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        Approval(**{**APPROVAL.to_dict(), **changes})


def test_an_approval_round_trips_through_plain_data() -> None:
    data = APPROVAL.to_dict()
    assert data["next_review"] == "2099-01-01"
    assert Approval.from_dict(json.loads(json.dumps(data))) == APPROVAL
    with pytest.raises(ExportError, match="unknown approval field"):
        Approval.from_dict({**data, "signature": "x"})


def _refuse(dataset, tmp_path: Path, design: Design, approval, **kw) -> ExportError:
    exports = tmp_path / "exports"
    with pytest.raises(ExportError) as info:
        export_bundle(dataset, design, approval, exports / "bundle", **kw)
    assert not exports.exists()  # not even the folder it would have gone in
    return info.value


@pytest.mark.parametrize(
    ("design", "approval", "message"),
    [
        (Design(), None, "there is no approval"),
        (Design(), {"decision": "reject"}, "rejected this design"),
        (Design(**RED), {"justification": ""}, "needs a justification"),
        (Design(**GREEN), {"next_review": date.today()}, "next review date must be after"),
        (Design(**GREEN), {"next_review": date.today() - timedelta(days=1)}, "after today"),
        (Design(counts="noise"), {}, "default seed"),
        (Design(references="pseudonym"), {}, "pseudonyms keyed by the default seed"),
    ],
    ids=[
        "no approval",
        "rejected",
        "red without justification",
        "review today",
        "review past",
        "noise with the default seed",
        "pseudonyms with the default seed",
    ],
)
def test_an_export_the_approval_does_not_allow_is_refused_and_writes_nothing(
    dataset, tmp_path: Path, design: Design, approval, message: str
) -> None:
    ap = None if approval is None else Approval(**{**APPROVAL.to_dict(), **approval})
    err = _refuse(dataset, tmp_path, design, ap)
    assert message in str(err)
    assert "Hint:" in str(err)  # says what to do next


def test_a_green_design_needs_no_justification(dataset, tmp_path: Path) -> None:
    ap = Approval(**{**APPROVAL.to_dict(), "justification": ""})
    out = export_bundle(dataset, Design(**GREEN), ap, tmp_path / "green")
    manifest = json.loads((out / "review" / MANIFEST).read_text())
    assert manifest["assessment"]["verdict"] == "green"


def test_a_non_green_design_with_a_justification_is_exported(dataset, tmp_path: Path) -> None:
    out = export_bundle(dataset, Design(**RED), APPROVAL, tmp_path / "red")
    manifest = json.loads((out / "review" / MANIFEST).read_text())
    assert manifest["assessment"]["verdict"] == "red"
    assert manifest["approval"]["justification"] == APPROVAL.justification


# --- drifted inputs -------------------------------------------------------------------------
def test_changed_inputs_since_the_assessment_are_refused(inputs, dataset, tmp_path: Path) -> None:
    assessed = data_fingerprint(dataset)
    changed = tmp_path / "incidents.csv"
    text = inputs["incidents"].read_text().splitlines()
    changed.write_text("\n".join([*text[:-1], text[-1].replace("BAD3", "BAD3-edited")]) + "\n")
    drifted = load_dataset([changed], households=inputs["households"], areas=[inputs["areas"]])
    assert data_fingerprint(drifted) != assessed
    err = _refuse(drifted, tmp_path, Design(), APPROVAL, assessed_fingerprint=assessed)
    assert "changed since the design was assessed" in str(err)


def test_the_same_files_loaded_again_are_not_drift(inputs, dataset, tmp_path: Path) -> None:
    again = load_dataset(
        [str(inputs["incidents"])], households=inputs["households"], areas=[inputs["areas"]]
    )
    assert data_fingerprint(again) == data_fingerprint(dataset)
    out = export_bundle(
        again, Design(), APPROVAL, tmp_path / "ok", assessed_fingerprint=data_fingerprint(dataset)
    )
    assert out.is_dir()


def test_an_existing_bundle_is_never_written_over(dataset, bundle: Path, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    with pytest.raises(ExportError, match="already exists"):
        export_bundle(dataset, Design(), APPROVAL, bundle)
    assert {p: p.read_bytes() for p in bundle.rglob("*") if p.is_file()} == before


def test_overwrite_replaces_a_bundle_whole(dataset, tmp_path: Path) -> None:
    out = export_bundle(dataset, Design(), APPROVAL, tmp_path / "b")
    (out / "stray.txt").write_text("left by hand")
    export_bundle(
        dataset, Design(references="pseudonym", noise_seed=424242), APPROVAL, out, overwrite=True
    )
    assert not (out / "stray.txt").exists()
    assert (out / "public" / REFERENCES_CSV).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # no old or partial copies


# --- all or nothing ---------------------------------------------------------------------------
@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), RuntimeError("bug")])
def test_a_failure_mid_write_leaves_no_bundle(dataset, tmp_path: Path, monkeypatch, error) -> None:
    written: list[Path] = []
    real = bundlewrite._write_file

    def failing(path: Path, data: bytes) -> None:
        if len(written) == 3:
            raise error
        real(path, data)
        written.append(path)

    monkeypatch.setattr(bundlewrite, "_write_file", failing)
    out = tmp_path / "bundle"
    with pytest.raises((ExportError, RuntimeError)) as info:
        export_bundle(dataset, Design(), APPROVAL, out)
    if isinstance(error, OSError):
        assert "nothing was written" in str(info.value)
    assert len(written) == 3  # it really failed halfway
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no partial folder


KILLED_EXPORT = textwrap.dedent(
    """
    import sys, time
    from datetime import date
    from crimedash import bundlewrite, export
    from crimedash.dataset import load_dataset
    from crimedash.design import Design

    incidents, out = sys.argv[1], sys.argv[2]
    real = bundlewrite._write_file
    count = 0

    def slow(path, data):
        global count
        real(path, data)
        count += 1
        if count == 3:
            print("halfway", flush=True)
            time.sleep(60)

    bundlewrite._write_file = slow
    ds = load_dataset([incidents])
    ap = export.Approval(reviewer="R", publisher="P", contact="p@x.example",
                         justification="test", next_review=date(2099, 1, 1))
    export.export_bundle(ds, Design(), ap, out)
    """
)


def test_a_kill_mid_export_leaves_no_bundle(inputs, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_EXPORT, str(inputs["incidents"]), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"},
    )
    line = proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert line.strip() == "halfway", proc.stderr.read()
    assert not out.exists()
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert all(name.startswith(".bundle.partial-") for name in leftovers)  # hidden, never a bundle
    assert leftovers  # the killed run's folder, until the next export clears it
    ds = load_dataset([inputs["incidents"]])
    assert export_bundle(ds, Design(), APPROVAL, out).is_dir()  # the next run just works
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


# --- the bundle ---------------------------------------------------------------------------------
def test_the_bundle_holds_public_files_a_review_record_and_a_zip_of_each(bundle: Path) -> None:
    """One zip per audience: the publication zip holds public/ only, the review record
    (with the noise seed) travels in its own zip, named as not for publication."""
    files = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file())
    assert files == [
        "2024-release-public.zip",
        "2024-release-review-NOT-FOR-PUBLICATION.zip",
        "public/README.txt",
        "public/counts.csv",
        "public/counts.parquet",
        "public/totals.csv",
        "public/totals.parquet",
        "public/units.geojson",
        "public/units.parquet",
        "review/manifest.json",
        "review/rejected_rows.csv",
        "review/report.html",
        "review/report.md",
    ]
    assert zip_path(bundle).name == "2024-release-public.zip"
    assert review_zip_path(bundle).name == "2024-release-review-NOT-FOR-PUBLICATION.zip"
    for archive, folder in ((zip_path(bundle), "public/"), (review_zip_path(bundle), "review/")):
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            assert names == sorted(names)
            assert {i.date_time for i in zf.infolist()} == {ZIP_DATE}
            inside = {n.removeprefix("2024-release/") for n in names}
            assert inside == {f for f in files if f.startswith(folder)}
            for name in names:
                assert zf.read(name) == (bundle / name.removeprefix("2024-release/")).read_bytes()


def test_the_manifest_is_the_review_record(inputs, dataset, bundle: Path) -> None:
    m = json.loads((bundle / "review" / MANIFEST).read_text())
    assert m["crimedash_version"]
    assert m["design"]["noise_seed"] == SEED  # the full design, for review only
    assert Design.from_dict(m["design"]) == Design(min_count=3, noise_seed=SEED)
    by_role = {i["role"]: i for i in m["inputs"]}
    for role in ("incidents", "households", "areas"):
        path = inputs[role]
        assert by_role[role]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert by_role["incidents"]["rows"] == 304
    assert m["data"]["rejected_rows"] == 4
    assert sum(m["data"]["rejected_by_reason"].values()) == 4
    expected = assess(dataset.index, Design(min_count=3, noise_seed=SEED), rejected_rows=4)
    assert m["assessment"]["score"] == round(expected.score, 2)
    assert {"attackers", "factors", "what_ifs", "matrix", "findings"} <= set(m["assessment"])
    # the export fills in what the reviewer left empty: the public's explanation, and
    # the series (by default the input files), so the log knows what is public
    assert m["approval"] == {
        **APPROVAL.to_dict(),
        "explanation": m["explanation"],
        "series": f"data:{m['data_fingerprint']}",
    }
    assert m["explanation"] in " ".join((bundle / "public" / PUBLIC_README).read_text().split())
    assert m["data_fingerprint"] == data_fingerprint(dataset)
    for f in m["public_files"]:
        assert hashlib.sha256((bundle / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    for f in m["review_files"]:
        assert hashlib.sha256((bundle / f["path"]).read_bytes()).hexdigest() == f["sha256"]


# an H3 design (the bundle's): h3_id beside unit, for kepler.gl
COUNT_COLUMNS = [S.UNIT, S.H3_ID, S.WINDOW_START, S.WINDOW_END, S.GROUP, S.SHOWN, S.SHOWN_LABEL]


def test_gis_readers_read_every_public_file_back(bundle: Path) -> None:
    """geopandas reads the units once each, the counts and totals apart, with ISO dates;
    summing a table's counts never adds a total to its parts."""
    pub = bundle / "public"
    counts = pd.read_csv(pub / COUNTS_CSV)
    totals = pd.read_csv(pub / TOTALS_CSV)
    geo = gpd.read_file(pub / UNITS_GEOJSON)
    parquet = gpd.read_parquet(pub / UNITS_PARQUET)
    assert list(counts.columns) == COUNT_COLUMNS
    assert list(totals.columns) == [c for c in COUNT_COLUMNS if c != S.GROUP]
    assert pd.read_parquet(pub / COUNTS_PARQUET).astype(str).equals(counts.astype(str))
    assert pd.read_parquet(pub / TOTALS_PARQUET).astype(str).equals(totals.astype(str))
    assert "All crime" not in set(counts[S.GROUP])
    for frame in (counts, totals):
        start = pd.to_datetime(frame[S.WINDOW_START], format="%Y-%m-%d")
        end = pd.to_datetime(frame[S.WINDOW_END], format="%Y-%m-%d")
        assert (start.dt.day == 1).all() and (end == start + pd.offsets.MonthEnd(0)).all()
    # a unit is drawn once if any count or total of it is published
    published = set(counts[S.UNIT]) | set(totals[S.UNIT])
    assert len(geo) == len(parquet) == len(published) > 0
    assert geo[S.UNIT].is_unique and set(geo[S.UNIT]) == published
    for frame in (geo, parquet):
        assert list(frame.columns) == [S.UNIT, S.H3_ID, "geometry"]  # h3:8 by default
        assert (frame[S.H3_ID] == frame[S.UNIT]).all()
        assert frame.crs is not None and frame.crs.is_geographic
        assert frame.crs.equals(CRS("OGC:CRS84")) or frame.crs.to_epsg() == 4326
        assert frame.geometry.is_valid.all()
    assert shapely.equals_exact(geo.geometry.values, parquet.geometry.values, tolerance=0).all()
    # RFC 7946: exterior rings counter-clockwise, written so on purpose
    assert all(shapely.is_ccw(g.exterior) for g in geo.geometry)
    # 6 decimals exactly, as the text says
    text = (pub / UNITS_GEOJSON).read_text()
    assert set(map(len, re.findall(r"\.(\d+)[,\]]", text))) == {6}
    assert "Testshire Council" in (pub / PUBLIC_README).read_text()


def test_the_readme_explains_every_public_column(bundle: Path) -> None:
    pub = bundle / "public"
    readme = (pub / PUBLIC_README).read_text()
    columns = set()
    for name in (COUNTS_CSV, TOTALS_CSV):
        columns |= set(pd.read_csv(pub / name).columns)
    columns |= set(gpd.read_file(pub / UNITS_GEOJSON).columns)
    for column in columns:
        assert re.search(rf"^- (.*, )?{column}[,:]", readme, re.M), column
    for path in pub.iterdir():
        if path.name != PUBLIC_README:
            assert f"- {path.name}:" in readme


def test_ogrinfo_reads_every_public_file_as_it_is(bundle: Path) -> None:
    """GDAL (3.6 here reads no Parquet): the units GeoJSON and the CSV tables."""
    import shutil

    if shutil.which("ogrinfo") is None:
        pytest.skip("GDAL's ogrinfo is not installed (.ci/run installs gdal-bin)")
    pub = bundle / "public"
    for name, expected in ((UNITS_GEOJSON, "Polygon"), (COUNTS_CSV, "None"), (TOTALS_CSV, "None")):
        out = subprocess.run(
            ["ogrinfo", "-ro", "-so", "-al", str(pub / name)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"Geometry: {expected}" in out, out
        rows = len(pd.read_csv(pub / name)) if name.endswith(".csv") else None
        if rows is not None:
            assert f"Feature Count: {rows}" in out
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(pub / UNITS_GEOJSON)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "WGS 84" in out and f"{S.UNIT}: String" in out and f"{S.H3_ID}: String" in out


def test_duckdb_reads_every_public_table_as_it_is(bundle: Path) -> None:
    """Plain DuckDB (no spatial extension to download): the CSVs with typed dates and
    counts, the Parquet files, and the units' WKB."""
    import duckdb

    pub = bundle / "public"
    con = duckdb.connect()
    types = dict(
        con.execute(f"DESCRIBE SELECT * FROM read_csv('{pub / COUNTS_CSV}')").fetchall()[i][:2]
        for i in range(len(COUNT_COLUMNS))
    )
    assert types[S.WINDOW_START] == "DATE" and types[S.WINDOW_END] == "DATE"
    assert types[S.SHOWN] == "BIGINT"
    for csv_name, pq_name in ((COUNTS_CSV, COUNTS_PARQUET), (TOTALS_CSV, TOTALS_PARQUET)):
        a = con.execute(f"SELECT count(*), sum(count) FROM read_csv('{pub / csv_name}')").fetchone()
        b = con.execute(f"SELECT count(*), sum(count) FROM '{pub / pq_name}'").fetchone()
        assert a == b and a[0] > 0
    # DuckDB reads the GeoParquet 'geo' block itself: a GEOMETRY column in WGS84
    kind = {
        r[0]: r[1]
        for r in con.execute(f"DESCRIBE SELECT * FROM '{pub / UNITS_PARQUET}'").fetchall()
    }
    assert kind[S.GEOMETRY].startswith("GEOMETRY") or kind[S.GEOMETRY] == "BLOB"
    rows = con.execute(f"SELECT unit, geometry::BLOB FROM '{pub / UNITS_PARQUET}'").fetchall()
    shapes = shapely.from_wkb([bytes(w) for _, w in rows])
    geo = gpd.read_file(pub / UNITS_GEOJSON)
    assert [u for u, _ in rows] == geo[S.UNIT].tolist()
    assert shapely.equals_exact(shapes, geo.geometry.values, tolerance=0).all()


def test_kepler_gl_finds_the_h3_column_and_the_counts_add_up(dataset) -> None:
    """kepler.gl maps a table with an 'h3_id' (or 'hex_id') column as hexagons; with no
    suppression, the categories add up to the totals and nothing counts twice."""
    files = {Path(f.path).name: f.data for f in public_files(dataset, Design(), APPROVAL)}
    counts = pd.read_csv(io.BytesIO(files[COUNTS_CSV]))
    totals = pd.read_csv(io.BytesIO(files[TOTALS_CSV]))
    assert S.H3_ID in counts and S.H3_ID in totals
    assert all(h3.is_valid_cell(c) for c in counts[S.H3_ID])
    published = apply_design(dataset.index, Design()).shown_incidents
    assert counts[S.SHOWN].sum() == totals[S.SHOWN].sum() == published
    grid = {
        Path(f.path).name: f.data
        for f in public_files(dataset, Design(granularity="grid:500"), APPROVAL)
    }
    assert S.H3_ID not in pd.read_csv(io.BytesIO(grid[COUNTS_CSV]))


def test_sample_city_export_reads_back(sample_dataset, tmp_path: Path) -> None:
    design = Design(
        granularity="areas:neighbourhoods", frequency="quarterly", time_precision="quarter"
    )
    out = export_bundle(sample_dataset, design, APPROVAL, tmp_path / "sample")
    geo = gpd.read_file(out / "public" / UNITS_GEOJSON)
    parquet = gpd.read_parquet(out / "public" / UNITS_PARQUET)
    table = pd.read_csv(out / "public" / COUNTS_CSV)
    assert len(geo) == len(parquet) == table[S.UNIT].nunique() > 20
    assert len(table) > 100
    assert set(geo[S.UNIT]) <= set(sample_dataset.areas["neighbourhoods"][S.AREA_CODE].astype(str))
    quarters = pd.to_datetime(table[S.WINDOW_START])
    assert quarters.dt.month.isin([1, 4, 7, 10]).all()


# --- reproducible -------------------------------------------------------------------------------
def _public(bundle: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((bundle / "public").iterdir())}


def test_the_same_inputs_and_design_give_byte_identical_public_files(
    inputs, bundle: Path, tmp_path: Path
) -> None:
    """Loaded afresh and exported again later: every public file, and the public part of
    the zip, is the same to the byte."""
    again = load_dataset(
        [inputs["incidents"]], households=inputs["households"], areas=[inputs["areas"]]
    )
    second = export_bundle(
        again, Design(min_count=3, noise_seed=SEED), APPROVAL, tmp_path / "2024-release"
    )
    assert _public(second) == _public(bundle)

    def public_entries(b: Path) -> list[tuple[str, int, bytes]]:
        with zipfile.ZipFile(zip_path(b)) as zf:
            return [
                (i.filename, i.CRC, zf.read(i)) for i in zf.infolist() if "/public/" in i.filename
            ]

    assert public_entries(second) == public_entries(bundle)
    meta = pq.read_metadata(second / "public" / UNITS_PARQUET)
    assert set(meta.metadata) == {b"geo", b"ARROW:schema"}  # no pandas block: nothing varies
    meta = pq.read_metadata(second / "public" / COUNTS_PARQUET)
    assert set(meta.metadata) == {b"ARROW:schema"}


# Export evaluates the design once, lets the evaluation and the layer go after the
# public files and the map picture, and then evaluates the factors' and what-ifs' other
# designs one at a time from a few numbers (issue 16: national scale under 8 GB). None
# of that may change what is published or reported: the bundle must hold what the
# one-pass path gives on freshly loaded data (its own index, nothing cached from the
# export), the assessment with every factor and what-if included.
@pytest.mark.parametrize(
    "design",
    [
        Design(min_count=3, noise_seed=SEED),
        Design(
            granularity="h3:9",
            frequency="weekly",
            time_precision="week",
            references="pseudonym",
            min_count=2,
            noise_seed=SEED,
        ),
        Design(granularity="areas:areas", counts="banded", noise_seed=SEED),
    ],
    ids=["h3-suppressed", "h3-weekly-pseudonyms", "areas-banded"],
)
def test_an_export_publishes_and_reports_what_the_one_pass_path_gives(
    inputs, dataset, design: Design, tmp_path: Path
) -> None:
    from crimedash import report
    from crimedash.bundlewrite import json_bytes, plain

    out = export_bundle(dataset, design, APPROVAL, tmp_path / "release")
    m = json.loads((out / "review" / MANIFEST).read_text())
    fresh = load_dataset(
        [inputs["incidents"]], households=inputs["households"], areas=[inputs["areas"]]
    )
    expected = assess(fresh.index, design, rejected_rows=fresh.rejected_rows)
    assert expected.factors and expected.what_ifs, "the advice is part of what is compared"
    assert m["assessment"] == json.loads(json_bytes(plain(expected.to_dict())))
    layer = apply_design(fresh.index, design)
    approval = Approval.from_dict(m["approval"])
    files = public_files(fresh, design, approval, layer)
    assert {f.path: f.data for f in files} == {
        f"public/{name}": data for name, data in _public(out).items()
    }
    # the record as the one-pass path builds it (the file's keys are sorted), with the
    # export's clock and release plan
    record = build_manifest(fresh, design, approval, expected, layer, files, m["data_fingerprint"])
    record["exported_at"] = m["exported_at"]
    record["release_plan"] = m["release_plan"]
    assert json.loads(json_bytes({**record, "report_warnings": [], "review_files": []})) == {
        **m,
        "report_warnings": [],
        "review_files": [],
    }
    rendered = report.render(fresh.index, layer, expected, record)
    assert (out / "review" / "report.md").read_text() == rendered.markdown
    assert (out / "review" / "report.html").read_text() == rendered.html


def test_sample_city_export_reports_what_the_one_pass_path_gives(
    sample_dataset, tmp_path: Path
) -> None:
    design = Design(granularity="h3:8", frequency="quarterly", min_count=3)
    out = export_bundle(sample_dataset, design, APPROVAL, tmp_path / "sample")
    m = json.loads((out / "review" / MANIFEST).read_text())
    from crimedash.bundlewrite import json_bytes, plain
    from crimedash.dataset import sample_dataset as load_sample

    fresh = load_sample()
    expected = assess(fresh.index, design, rejected_rows=fresh.rejected_rows)
    assert expected.factors and expected.what_ifs
    assert m["assessment"] == json.loads(json_bytes(plain(expected.to_dict())))
    layer = apply_design(fresh.index, design)
    files = public_files(fresh, design, Approval.from_dict(m["approval"]), layer)
    assert [f.sha256 for f in files] == [f["sha256"] for f in m["public_files"]]


@pytest.mark.parametrize(
    "design",
    [Design(counts="noise", noise_seed=SEED), Design(references="pseudonym", noise_seed=SEED)],
    ids=["noise", "pseudonyms"],
)
def test_seeded_designs_are_reproducible(dataset, design: Design) -> None:
    first = [f.data for f in public_files(dataset, design, APPROVAL)]
    assert first == [f.data for f in public_files(dataset, design, APPROVAL)]


def test_the_zip_is_deterministic() -> None:
    files = [
        bundlewrite.PublicFile("public/b.csv", b"2"),
        bundlewrite.PublicFile("public/a.csv", b"1"),
    ]
    assert bundlewrite.zip_bytes(files, "x") == bundlewrite.zip_bytes(list(reversed(files)), "x")


# --- spreadsheets -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tindent", "'\tindent"),
        ("\rreturn", "'\rreturn"),
        ("Burglary", "Burglary"),
        ("2024-03", "2024-03"),
        ("8819435801fffff", "8819435801fffff"),
    ],
)
def test_text_a_spreadsheet_would_run_is_neutralised(value: str, shown: str) -> None:
    assert csv_cell(value) == shown
    frame = pd.DataFrame({"text": [value], "count": [-3]})
    row = next(csv.DictReader(io.StringIO(csv_bytes(frame).decode())))
    assert row == {"text": shown, "count": "-3"}  # numbers stay numbers


def test_formula_group_names_are_neutralised_in_the_public_csv(dataset) -> None:
    """Group names are typed by the analyst; a pasted formula must not run."""
    grouping = {
        "shoplifting": '=HYPERLINK("http://evil.example","x")',
        "vehicle_crime": "+cmd|' /C calc'!A0",
        "anti_social_behaviour": "@SUM(1)",
        "burglary_residential": "-1+1",
    }
    design = Design(grouping=grouping, references="truncated")
    files = {Path(f.path).name: f.data for f in public_files(dataset, design, APPROVAL)}
    for name in (COUNTS_CSV, REFERENCES_CSV):
        rows = list(csv.reader(io.StringIO(files[name].decode())))
        cells = [c for row in rows[1:] for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or c.startswith("-1")]
    groups = set(pd.read_csv(io.BytesIO(files[COUNTS_CSV]))[S.GROUP])
    assert {"'" + g for g in grouping.values()} <= groups
    typed = pd.read_parquet(io.BytesIO(files[COUNTS_PARQUET]))  # not a spreadsheet: as typed
    assert set(grouping.values()) <= set(typed[S.GROUP])


# --- what the public files may never hold --------------------------------------------------------
@dataclass
class Secrets:
    """What is in the input and must never reach a public file, read with pandas."""

    coordinates: list[float]
    points: list[tuple[float, float]]  # (lon, lat)
    times: list[pd.Timestamp]
    references: list[str]
    free_text: list[str]


def read_secrets(path: Path) -> Secrets:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "Crime ID" in raw:  # police.uk
        lat, lon, refs, times = "Latitude", "Longitude", "Crime ID", "Month"
        text_cols = ["Location", "Last outcome category", "LSOA name", "Context"]
    else:
        lat, lon, refs, times = S.LATITUDE, S.LONGITUDE, S.REFERENCE, S.OCCURRED_AT
        text_cols = ["description"]
    la = pd.to_numeric(raw[lat], errors="coerce")
    lo = pd.to_numeric(raw[lon], errors="coerce")
    ok = la.notna() & lo.notna()
    return Secrets(
        coordinates=[*la[ok].tolist(), *lo[ok].tolist()],
        points=list(zip(lo[ok].tolist(), la[ok].tolist(), strict=True)),
        times=pd.to_datetime(raw[times], errors="coerce").dropna().tolist(),
        references=[r for r in raw[refs] if r.strip()],
        free_text=sorted({t for c in text_cols for t in raw[c] if len(t) >= 6}),
    )


def public_text(name: str, data: bytes) -> str:
    """A public file as text: parquet as its metadata and non-geometry columns."""
    if name.endswith(".parquet"):
        table = pq.read_table(io.BytesIO(data))
        meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        cols = [c for c in table.column_names if c != "geometry"]
        return json.dumps(meta) + "\n" + table.select(cols).to_pandas().to_csv(index=False)
    return data.decode("utf-8")


_NUMBER = re.compile(r"\d+\.\d+")
FINER = {  # time formats that would show more than a window at each level
    "timestamp": (),
    "day": ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"),
}
FINER["week"] = FINER["month"] = FINER["quarter"] = (*FINER["day"], "%Y-%m-%d", "%d/%m/%Y")


def allowed_vertices(dataset, design: Design, units: set[str], readme: str) -> set[tuple[int, int]]:
    """Every vertex a public geometry may have: the outlines of its units, computed
    here from their ids (H3, grid; adaptive units as the README describes them) or from
    the input areas file, not by crimedash. Keys are micro-degrees (the files' 6
    decimals)."""
    g = design.spatial
    pts: list[tuple[float, float]] = []
    if g.kind in ("h3", "adaptive"):
        base = None
        if g.kind == "adaptive":
            base = int(re.search(r"union of the H3 resolution\s+(\d+)\s+cells", readme)[1])
        for u in units:
            cells = [u]
            if ":" in u:  # an adaptive pool: the children of a cell with these digits
                parent, digits = u.split(":")
                kids = h3.cell_to_children(parent, h3.get_resolution(parent) + 1)
                cells = [
                    c
                    for c in kids
                    if str(h3.str_to_int(c) >> (3 * (15 - h3.get_resolution(c))) & 7) in digits
                ]
            if base is not None:
                cells = [d for c in cells for d in h3.cell_to_children(c, base)]
            for c in cells:
                pts += [(lng, lat) for lat, lng in h3.cell_to_boundary(c)]
    elif g.kind == "grid":
        to_wgs = Transformer.from_crs(dataset.index.crs, S.WGS84, always_xy=True)
        for u in units:
            m, x, y = map(int, re.fullmatch(r"(\d+)m_E(-?\d+)N(-?\d+)", u).groups())
            for dx, dy in ((0, 0), (m, 0), (m, m), (0, m)):
                pts.append(to_wgs.transform(x + dx, y + dy))
    else:
        for geom in dataset.areas[g.param].geometry:
            pts += [tuple(c) for c in shapely.get_coordinates(geom).tolist()]
    return {(round(x * 1e6), round(y * 1e6)) for x, y in pts}


def _near(key: tuple[int, int], allowed: set[tuple[int, int]]) -> bool:
    x, y = key
    return any((x + dx, y + dy) in allowed for dx in (-1, 0, 1) for dy in (-1, 0, 1))


def window_bounds_found(files: dict[str, bytes], level: str) -> tuple[set[str], list[str]]:
    """The window_start/window_end dates the public tables give, and any pair that is
    not a whole window at `level` (such a date would be an incident's own day)."""
    dates: set[str] = set()
    bad: list[str] = []
    for name, data in files.items():
        if not name.endswith(".csv"):
            continue
        table = pd.read_csv(io.BytesIO(data), dtype=str)
        if S.WINDOW_START not in table:
            continue
        for a, b in set(zip(table[S.WINDOW_START], table[S.WINDOW_END], strict=True)):
            dates |= {a, b}
            start, end = pd.Timestamp(a), pd.Timestamp(b)
            whole = {
                "timestamp": start == end,
                "day": start == end,
                "week": start.day in (1, 8, 15, 22, 29)
                and end in (start + pd.Timedelta(days=6), start + pd.offsets.MonthEnd(0)),
                "month": start.day == 1 and end == start + pd.offsets.MonthEnd(0),
                "quarter": start.day == 1
                and start.month in (1, 4, 7, 10)
                and end == start + pd.offsets.QuarterEnd(0),
            }[level]
            if not whole:
                bad.append(f"{name}: window {a} to {b} is not a whole {level}")
    return dates, bad


def leaks(dataset, design: Design, secrets: Secrets, files: dict[str, bytes]) -> list[str]:
    """Everything in the public files that should not be there, in words.

    Two things in the files look like input and are not: a window's first and last day
    (checked to be a whole window, then not counted as an incident's date), and a unit
    outline's vertex at 6 decimals, which may equal an input coordinate by chance (each
    vertex is checked to be a unit's outline, then not counted as a coordinate)."""
    found: list[str] = []
    texts = {name: public_text(name, data) for name, data in files.items()}
    level = apply_design(dataset.index, design).display_level
    windows, bad_windows = window_bounds_found(files, level)
    found += bad_windows
    geo = gpd.read_file(io.BytesIO(files[UNITS_GEOJSON]))
    pq_geo = gpd.read_parquet(io.BytesIO(files[UNITS_PARQUET]))
    units = {str(u) for frame in (geo, pq_geo) if S.UNIT in frame for u in frame[S.UNIT]}
    allowed = allowed_vertices(dataset, design, units, files[PUBLIC_README].decode())
    outline_numbers = {
        f"{abs(k + d) / 1e6:.6f}" for key in allowed for k in key for d in (-1, 0, 1)
    }
    for name, text in texts.items():
        numbers = {t for t in _NUMBER.findall(text)} - outline_numbers
        for v in secrets.coordinates:
            for s in {f"{abs(v):.4f}", f"{abs(v):.5f}", f"{abs(v):.6f}", repr(abs(v))}:
                if s in numbers:
                    found.append(f"{name}: raw coordinate {v} as {s}")
        for t in secrets.times:
            for fmt in FINER[level]:
                shown = t.strftime(fmt)
                if shown in text and shown not in windows:
                    found.append(f"{name}: time {shown} finer than a {level}")
        allowed_refs = {"full": True, "truncated": False, "pseudonym": False, "omitted": False}
        for r in secrets.references:
            if not allowed_refs[design.references] and r in text:
                found.append(f"{name}: reference {r}")
            half = r[: len(r) // 2] + "*" * (len(r) - len(r) // 2)
            if design.references in ("omitted", "pseudonym") and half in text:
                found.append(f"{name}: truncated reference {half}")
        for t in secrets.free_text:
            if t in text:
                found.append(f"{name}: free text {t!r}")
        if str(SEED) in text:
            found.append(f"{name}: the noise seed")
    # geometry: only unit outlines; and no raw point as two doubles anywhere in parquet
    for name, frame in ((UNITS_GEOJSON, geo), (UNITS_PARQUET, pq_geo)):
        xy = shapely.get_coordinates(frame.geometry.to_numpy())
        for x, y in {(round(x * 1e6), round(y * 1e6)) for x, y in xy.tolist()}:
            if not _near((x, y), allowed):
                found.append(f"{name}: vertex {x / 1e6}, {y / 1e6} is not a unit's outline")
    for name in (UNITS_PARQUET, COUNTS_PARQUET, TOTALS_PARQUET):
        for lon, lat in secrets.points:
            if struct.pack("<dd", lon, lat) in files.get(name, b"") and not _near(
                (round(lon * 1e6), round(lat * 1e6)), allowed
            ):
                found.append(f"{name}: raw point {lon}, {lat}")
    return found


LEAK_DESIGNS = {
    "exact h3 monthly": Design(granularity="h3:8", noise_seed=SEED),
    "suppressed weekly": Design(
        granularity="h3:8", frequency="weekly", time_precision="week", min_count=3, noise_seed=SEED
    ),
    "banded areas quarterly": Design(
        granularity="areas:areas",
        counts="banded",
        frequency="quarterly",
        time_precision="quarter",
        noise_seed=SEED,
    ),
    "noise grid": Design(granularity="grid:500", counts="noise", noise_seed=SEED),
    "rounded daily": Design(
        granularity="h3:7",
        frequency="daily",
        time_precision="day",
        counts="rounded",
        noise_seed=SEED,
    ),
    "adaptive": Design(granularity="adaptive:20", noise_seed=SEED),
    "references truncated": Design(references="truncated", noise_seed=SEED),
    "references pseudonym": Design(references="pseudonym", min_count=2, noise_seed=SEED),
}


@pytest.mark.parametrize("name", list(LEAK_DESIGNS))
def test_no_public_file_leaks_the_input(inputs, dataset, name: str) -> None:
    design = LEAK_DESIGNS[name]
    files = {Path(f.path).name: f.data for f in public_files(dataset, design, APPROVAL)}
    assert (REFERENCES_CSV in files) == (design.references != "omitted")
    secrets = read_secrets(inputs["incidents"])
    assert len(secrets.coordinates) > 500 and len(secrets.references) > 300  # the scan has teeth
    assert leaks(dataset, design, secrets, files) == []


@pytest.mark.parametrize(
    "design",
    [
        Design(granularity="h3:9", noise_seed=SEED),
        Design(granularity="h3:8", references="pseudonym", noise_seed=SEED),
    ],
    ids=["police.uk exact", "police.uk pseudonyms"],
)
def test_no_public_file_leaks_police_uk_text(inputs, street_dataset, design: Design) -> None:
    files = {Path(f.path).name: f.data for f in public_files(street_dataset, design, APPROVAL)}
    secrets = read_secrets(inputs["street"])
    assert any("On or near" in t for t in secrets.free_text)
    assert any(t in OUTCOMES for t in secrets.free_text)
    assert leaks(street_dataset, design, secrets, files) == []


def test_the_leak_scan_finds_a_leak(inputs, dataset) -> None:
    """The scan itself: a public CSV that carried the raw input would be caught."""
    secrets = read_secrets(inputs["incidents"])
    files = {Path(f.path).name: f.data for f in public_files(dataset, Design(), APPROVAL)}
    raw = pd.read_csv(inputs["incidents"]).head(3)
    files[COUNTS_CSV] = raw.to_csv(index=False).encode()
    found = leaks(dataset, Design(), secrets, files)
    assert any("raw coordinate" in f for f in found)
    assert any("time" in f for f in found)
    assert any("reference" in f for f in found)
    assert any("free text" in f for f in found)
    points = gpd.GeoDataFrame(
        raw[[S.INCIDENT_ID]],
        geometry=gpd.points_from_xy(raw[S.LONGITUDE], raw[S.LATITUDE]),
        crs=S.WGS84,
    )
    files[UNITS_GEOJSON] = points.to_json().encode()  # incidents as points: never a unit outline
    assert any("not a unit's outline" in f for f in leaks(dataset, Design(), secrets, files))


def test_the_written_bundle_passes_the_scan(inputs, dataset, bundle: Path) -> None:
    files = _public(bundle)
    assert (
        leaks(
            dataset, Design(min_count=3, noise_seed=SEED), read_secrets(inputs["incidents"]), files
        )
        == []
    )
    m = json.loads((bundle / "review" / MANIFEST).read_text())
    assert str(SEED) in json.dumps(m["design"])  # the seed is in the review record only


def test_no_suppressed_count_is_published(inputs, dataset) -> None:
    """Counted here from the raw file: every (hexagon, month, group) with fewer incidents
    than min_count is absent from the public table, and every shown count is exact."""
    design = Design(granularity="h3:8", min_count=4, totals=False)
    files = {Path(f.path).name: f.data for f in public_files(dataset, design, APPROVAL)}
    table = pd.read_csv(io.BytesIO(files[COUNTS_CSV]))
    raw = pd.read_csv(inputs["incidents"])
    raw = raw[pd.to_numeric(raw[S.LATITUDE], errors="coerce").notna()]
    raw = raw[pd.to_numeric(raw[S.LATITUDE], errors="coerce").abs() <= 90]
    lat = pd.to_numeric(raw[S.LATITUDE]).to_numpy()
    lon = pd.to_numeric(raw[S.LONGITUDE]).to_numpy()
    true = (
        pd.DataFrame(
            {
                # counted where drawn: the resolution-8 cell holding the point
                S.UNIT: [h3.latlng_to_cell(a, b, 8) for a, b in zip(lat, lon, strict=True)],
                S.WINDOW_START: pd.to_datetime(raw[S.OCCURRED_AT])
                .dt.strftime("%Y-%m-01")
                .to_numpy(),
                S.GROUP: [C.default_group(c) for c in raw[S.CATEGORY]],
            }
        )
        .value_counts()
        .rename("true")
        .reset_index()
    )
    merged = table.merge(true, on=[S.UNIT, S.WINDOW_START, S.GROUP], how="left")
    assert merged["true"].notna().all()
    assert (merged["true"] >= 4).all()
    assert (merged[S.SHOWN] == merged["true"]).all()
    small = true[true["true"] < 4]
    assert len(small) > 0  # there was something to suppress
    hidden = small.merge(table, on=[S.UNIT, S.WINDOW_START, S.GROUP], how="inner")
    assert hidden.empty


# --- public shapes never depend on hidden data ---------------------------------------------
SHAPE_DESIGNS = {
    "adaptive": Design(granularity="adaptive:20", hidden_groups=("Violence and sexual offences",)),
    "adaptive fine": Design(
        granularity="adaptive:5", min_unit_area_m2=2000, hidden_groups=("Burglary",)
    ),
    "h3": Design(granularity="h3:9", hidden_groups=("Violence and sexual offences",)),
    "grid": Design(granularity="grid:250", hidden_groups=("Violence and sexual offences",)),
    "areas": Design(granularity="areas:areas", hidden_groups=("Violence and sexual offences",)),
}


def _shapes(dataset, design: Design) -> dict[str, bytes]:
    files = {Path(f.path).name: f.data for f in public_files(dataset, design, APPROVAL)}
    return {name: files[name] for name in (UNITS_GEOJSON, UNITS_PARQUET)}


def _reload(inputs, tmp_path: Path, frame: pd.DataFrame):
    path = tmp_path / "incidents.csv"
    frame.to_csv(path, index=False)
    return load_dataset([path], households=inputs["households"], areas=[inputs["areas"]])


@pytest.mark.parametrize("name", list(SHAPE_DESIGNS))
def test_public_shapes_are_the_same_without_the_hidden_categories(
    inputs, dataset, tmp_path: Path, name: str
) -> None:
    """An attacker comparing releases learns nothing of a hidden category from the
    shapes: exported with and without that category's incidents, the units files are
    byte-identical (adaptive units once grew by 25% with one hidden incident)."""
    design = SHAPE_DESIGNS[name]
    raw = pd.read_csv(inputs["incidents"])
    groups = raw[S.CATEGORY].map(lambda c: C.default_group(str(c)))
    hidden = groups.isin(design.hidden_groups)
    assert hidden.sum() > 5  # there is something to hide
    without = _reload(inputs, tmp_path, raw[~hidden])
    assert _shapes(without, design) == _shapes(dataset, design)


@pytest.mark.parametrize("name", list(SHAPE_DESIGNS))
def test_next_months_incidents_never_change_a_published_shape(
    inputs, dataset, tmp_path: Path, name: str
) -> None:
    """Next month's release adds units where new crimes are, but every unit already
    published keeps its id and its outline to the byte."""
    design = SHAPE_DESIGNS[name]
    raw = pd.read_csv(inputs["incidents"])
    later = raw.sample(60, random_state=3).copy()
    last = pd.to_datetime(raw[S.OCCURRED_AT], errors="coerce").max()
    later[S.OCCURRED_AT] = (last + pd.Timedelta(days=40)).isoformat()
    grown = _reload(inputs, tmp_path, pd.concat([raw, later], ignore_index=True))
    before = _shapes(dataset, design)[UNITS_GEOJSON].decode().splitlines()[1:-1]
    after = set(_shapes(grown, design)[UNITS_GEOJSON].decode().rstrip(",\n").splitlines())
    assert before and all(line.rstrip(",") in {a.rstrip(",") for a in after} for line in before)


# --- what the public is told -------------------------------------------------------------------
def test_the_public_readme_explains_the_map_and_names_a_contact(dataset) -> None:
    files = {
        Path(f.path).name: f.data for f in public_files(dataset, Design(min_count=3), APPROVAL)
    }
    text = files[PUBLIC_README].decode()
    assert "not where it happened" in text  # ¶23
    assert "fewer than 3" in text
    assert APPROVAL.publisher in text and APPROVAL.contact in text  # ¶46
    custom = Approval(**{**APPROVAL.to_dict(), "explanation": "Our own words about the map."})
    files = {Path(f.path).name: f.data for f in public_files(dataset, Design(), custom)}
    assert "Our own words about the map." in files[PUBLIC_README].decode()


def test_an_export_is_recorded_in_the_design_log(dataset, tmp_path: Path) -> None:
    log = DesignLog(tmp_path / "log.sqlite3")
    out = export_bundle(dataset, Design(min_count=3), APPROVAL, tmp_path / "b", log=log)
    (rec,) = log.list()
    assert rec.design == Design(min_count=3)
    assert rec.data_fingerprint == data_fingerprint(dataset)
    assert rec.status == "approved"
    assert rec.approvals[0].bundle_path == str(out)
    manifest = json.loads((out / "review" / MANIFEST).read_text())
    assert manifest["design_log"]["design_id"] == rec.id


# --- the command line -----------------------------------------------------------------------------
def _cli(inputs, out: Path, *extra: str) -> list[str]:
    return [
        "export",
        str(inputs["incidents"]),
        "--households",
        str(inputs["households"]),
        "--areas",
        str(inputs["areas"]),
        "--approved-by",
        "Sam Reviewer",
        "--publisher",
        "Testshire Council",
        "--contact",
        "crime-maps@testshire.example",
        "--out",
        str(out),
        *extra,
    ]


def test_cli_export_writes_the_bundle_and_logs_it(inputs, tmp_path: Path, capsys) -> None:
    log = tmp_path / "log.sqlite3"
    args = _cli(inputs, tmp_path / "out", "--granularity", "h3:8", "--min-count", "3")
    code = main([*args, "--justification", "needed", "--log", str(log)])
    out = capsys.readouterr().out
    assert code == 0
    assert (tmp_path / "out" / "public" / UNITS_GEOJSON).exists()
    assert "Exported design" in out and str(tmp_path / "out") in out

    assert main(["designs", "list", "--log", str(log)]) == 0
    listed = capsys.readouterr().out
    assert "h3:8" in listed and "approved" in listed
    assert main(["designs", "show", "1", "--log", str(log), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["design"]["min_count"] == 3
    assert shown["approvals"][0]["reviewer"] == "Sam Reviewer"
    assert main(["designs", "show", "1", "--log", str(log)]) == 0
    assert "noise_seed" not in capsys.readouterr().out


def test_cli_export_refuses_with_the_reason_and_exit_1(inputs, tmp_path: Path, capsys) -> None:
    design = tmp_path / "red.json"
    design.write_text(Design(**RED).to_json())
    code = main(_cli(inputs, tmp_path / "out", "--design", str(design), "--no-log"))
    assert code == 1  # a refusal; 2 is for a command line that is itself wrong
    assert "needs a justification" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_export_of_a_logged_design_refuses_drifted_inputs(
    inputs, dataset, tmp_path: Path, capsys
) -> None:
    log = DesignLog(tmp_path / "log.sqlite3")
    design = Design(min_count=2)
    design_id = log.record_assessment(
        design, assess(dataset.index, design), data_fingerprint(dataset)
    )
    changed = tmp_path / "incidents.csv"
    changed.write_text(inputs["incidents"].read_text().replace("BAD0", "BAD0-edited"))
    args = _cli(inputs, tmp_path / "out", "--design-id", str(design_id), "--log", str(log.path))
    args[1] = str(changed)
    assert main([*args, "--justification", "x"]) == 1
    assert "changed since the design was assessed" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    args[1] = str(inputs["incidents"])  # the files it was assessed on: exported
    assert main([*args, "--justification", "x"]) == 0


def test_cli_export_needs_the_approval_options(inputs, tmp_path: Path, capsys) -> None:
    args = _cli(inputs, tmp_path / "out")
    i = args.index("--contact")
    with pytest.raises(SystemExit) as info:
        main(args[:i] + args[i + 2 :])
    assert info.value.code == 2
    assert "--contact" in capsys.readouterr().err
    assert main([*_cli(inputs, tmp_path / "out"), "--contact", "not-an-email", "--no-log"]) == 1
