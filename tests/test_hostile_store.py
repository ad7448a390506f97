"""A damaged store (issue 16): a store is input like any file. Each case damages a small
store the way a disk, a copy or a hand edit can (a month's folder gone, a part cut short
or not Parquet, a column missing or of the wrong kind, a manifest that lies about its
counts) and states what `crimedash assess` must say: one message naming the store's
file and what is wrong, exit code 1, never a traceback or a silent wrong answer."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from crimedash.cli import EXIT_REFUSED, main
from crimedash.store import build_store

HEADER = "occurred_at,category,latitude,longitude,reference\n"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A small store over two months, with one rejected row."""
    src = tmp_path_factory.mktemp("src") / "incidents.csv"
    rows = [
        f"2024-0{3 + i % 2}-{1 + i % 28:02d},burglary,{53.45 + (i % 50) * 1e-4:.5f},"
        f"{-2.30 + (i % 37) * 1e-4:.5f},R{i}"
        for i in range(300)
    ]
    src.write_text(HEADER + "\n".join([*rows, "2024-03-01,burglary,not-a-number,-2.3,X"]) + "\n")
    out = tmp_path_factory.mktemp("store") / "year"
    build_store([src], out)
    return out


@pytest.fixture
def store(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "year"
    shutil.copytree(pristine, copy)
    return copy


def _first_part(store: Path) -> Path:
    return sorted((store / "incidents").glob("month=*/*.parquet"))[0]


def _rewrite(part: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    pq.write_table(change(pq.read_table(part)), part)


def _edit_manifest(store: Path, change: Callable[[dict], None]) -> None:
    path = store / "manifest.json"
    m = json.loads(path.read_text())
    change(m)
    path.write_text(json.dumps(m))


def assess_refuses(store: Path, capsys) -> str:
    code = main(["assess", str(store), "--no-what-ifs", "--json"])
    err = capsys.readouterr().err
    assert code == EXIT_REFUSED, err
    assert err.startswith("crimedash: ") and "Traceback" not in err
    assert str(store) in err and "build it again" in err
    return err


def test_the_undamaged_store_is_assessed(pristine, capsys):
    assert main(["assess", str(pristine), "--no-what-ifs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["incidents"] == 300


def test_a_month_folder_gone(store, capsys):
    shutil.rmtree(store / "incidents" / "month=2024-04")
    err = assess_refuses(store, capsys)
    assert "month=2024-04" in err and "manifest lists 2024-04" in err


def test_a_part_cut_short(store, capsys):
    part = _first_part(store)
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    err = assess_refuses(store, capsys)
    assert part.name in err and "cannot be read as Parquet" in err


def test_a_part_that_is_not_parquet(store, capsys):
    part = _first_part(store)
    part.write_text("latitude,longitude\n53.4,-2.3\n")
    assert part.name in assess_refuses(store, capsys)


def test_a_part_without_a_column(store, capsys):
    part = _first_part(store)
    _rewrite(part, lambda t: t.drop_columns(["latitude"]))
    err = assess_refuses(store, capsys)
    assert part.name in err and "column 'latitude'" in err and "missing" in err


def test_a_column_of_the_wrong_kind(store, capsys):
    part = _first_part(store)
    _rewrite(part, lambda t: t.set_column(4, "latitude", pc.cast(t["latitude"], pa.string())))
    err = assess_refuses(store, capsys)
    assert part.name in err and "column 'latitude'" in err and "string" in err


def test_a_coordinate_out_of_range(store, capsys):
    part = _first_part(store)

    def change(t: pa.Table) -> pa.Table:
        lat = t["latitude"].to_numpy().copy()
        lat[0] = 191.0
        return t.set_column(t.schema.get_field_index("latitude"), "latitude", pa.array(lat))

    _rewrite(part, change)
    err = assess_refuses(store, capsys)
    assert "month=2024-03" in err and "out of range" in err


def test_an_empty_category(store, capsys):
    part = _first_part(store)
    _rewrite(
        part,
        lambda t: t.set_column(
            t.schema.get_field_index("category"),
            "category",
            pa.array([None] * t.num_rows, pa.string()),
        ),
    )
    err = assess_refuses(store, capsys)
    assert part.name in err and "column 'category'" in err and "empty" in err


def test_a_part_copied_twice_is_counted_against_the_manifest(store, capsys):
    part = _first_part(store)
    shutil.copy(part, part.with_name("part-99999.parquet"))
    err = assess_refuses(store, capsys)
    assert "manifest.json" in err and "300 rows" in err


def test_a_manifest_that_lies_about_its_counts(store, capsys):
    def more(m: dict) -> None:  # consistent with itself, not with the parts
        m["rows_kept"] += 5
        m["rows_read"] += 5
        m["files"][0]["rows_kept"] += 5
        m["files"][0]["rows_read"] += 5

    _edit_manifest(store, more)
    err = assess_refuses(store, capsys)
    assert "manifest.json" in err and "305" in err and "300" in err


def test_a_manifest_whose_counts_do_not_add_up(store, capsys):
    _edit_manifest(store, lambda m: m.update(rows_kept=m["rows_kept"] - 1))
    err = assess_refuses(store, capsys)
    assert "manifest.json" in err and "add up" in err


def test_a_manifest_that_is_not_json(store, capsys):
    (store / "manifest.json").write_text('{"months": ["2024-03"')
    err = assess_refuses(store, capsys)
    assert "manifest.json" in err and "JSON" in err


def test_a_manifest_without_its_months(store, capsys):
    _edit_manifest(store, lambda m: m.pop("months"))
    err = assess_refuses(store, capsys)
    assert "manifest.json" in err and "'months'" in err


def test_a_manifest_that_lies_about_its_rejected_rows(store, capsys):
    _edit_manifest(store, lambda m: m.update(rows_rejected=0))
    err = assess_refuses(store, capsys)
    assert "manifest.json" in err and "rejected" in err


def test_a_rejected_part_cut_short(store, capsys):
    part = sorted((store / "rejected").glob("*.parquet"))[0]
    part.write_bytes(part.read_bytes()[:20])
    err = assess_refuses(store, capsys)
    assert part.name in err and "cannot be read as Parquet" in err
