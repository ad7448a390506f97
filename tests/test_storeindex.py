"""A store as the incidents source of `assess`, `export` and the index (issue 16).

Read month by month, a store must give exactly what loading its files gives: the same
index arrays (up to the store's month-by-month row order), the same assessment, the
same public files. Small inputs: the sample city (timestamps) and the City of London's
real police.uk months (month precision, the path a national store takes).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crimedash.cli import main
from crimedash.dataset import load_dataset
from crimedash.sample import sample_paths
from crimedash.store import build_store
from crimedash.storeindex import StoreColumn, is_store


def _assess_json(capsys, *args: str) -> dict:
    assert main(["assess", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> tuple[Path, Path]:
    src = sample_paths()["incidents"]
    out = tmp_path_factory.mktemp("store") / "sample"
    build_store([src], out)
    return Path(src), out


def _by_incident(ds):
    """Per-incident index columns, in a row order that does not depend on the source's."""
    ix = ds.index
    cols = np.rec.fromarrays(
        [
            ix.lat,
            ix.lon,
            ix.time_keys["month"],
            ix.time_keys["timestamp"],
            ix.category_code,
            ix.location_code,
            ix.has_reference,
        ]
    )
    return np.sort(cols)


def test_a_store_indexes_as_its_files_do(sample_store):
    """Same points, time keys (every level), categories, location types and reference
    flags; the same H3 cells, households and area membership counts."""
    src, store = sample_store
    p = sample_paths()
    from_files = load_dataset([src], households=p["households"], areas=[p["output_areas"]])
    from_store = load_dataset(store, households=p["households"], areas=[p["output_areas"]])
    assert from_store.index.n == from_files.index.n > 1000
    assert from_store.index.categories == from_files.index.categories
    assert np.array_equal(_by_incident(from_store), _by_incident(from_files))
    np.testing.assert_allclose(np.sort(from_store.index.x), np.sort(from_files.index.x))
    for res in (7, 9):
        a, b = from_store.index.resolution(res), from_files.index.resolution(res)
        assert np.array_equal(a.cells, b.cells)
        assert np.array_equal(a.incidents, b.incidents)
        assert np.array_equal(a.households, b.households)
    (la,), (lb,) = from_store.index.areas.values(), from_files.index.areas.values()
    assert np.array_equal(np.bincount(la.incident_area + 1), np.bincount(lb.incident_area + 1))
    assert from_store.loaded.summary()["categories"] == from_files.loaded.summary()["categories"]
    assert len(from_store.rejected) == len(from_files.rejected)


def test_h3_codes_placed_in_slices_are_the_one_slice_codes(sample_store, monkeypatch):
    """Each slice's points are coded against the slice's cells, then recoded against
    every cell (so the uint64 cells of all points are never held at once): the codes are
    those of coding every point in one slice."""
    from crimedash import storeindex

    _, store = sample_store
    whole = load_dataset(store).index.resolution(9)
    monkeypatch.setattr(storeindex, "_SLICE", 997)  # dozens of slices, with ragged ends
    index = load_dataset(store).index
    sliced = index.resolution(9)
    assert index.n > 20 * 997
    for name in ("cells", "incident_code", "household_code", "households", "incidents"):
        assert np.array_equal(getattr(sliced, name), getattr(whole, name)), name
    assert np.array_equal(sliced.private_incidents, whole.private_incidents)


def test_h3_codes_placed_from_fine_cells_are_the_searched_codes(sample_store, monkeypatch):
    """A store small enough keeps each row's resolution-15 cell and places every
    resolution from it; a larger one searches each resolution: the same codes."""
    from crimedash import storeindex

    _, store = sample_store
    index = load_dataset(store).index
    assert index._fine is not None
    placed = {res: index.resolution(res) for res in (5, 8, 9, 11)}
    monkeypatch.setattr(storeindex, "_FINE_MAX_ROWS", 0)
    searching = load_dataset(store).index
    assert searching._fine is None
    for res, a in placed.items():
        b = searching.resolution(res)
        for name in ("cells", "incident_code", "household_code", "households", "incidents"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (res, name)


def test_store_columns_are_read_back_only_for_the_rows_asked(sample_store):
    """References stay on disk; the rows a design shows are read from their months."""
    _, store = sample_store
    ds = load_dataset(store)
    refs = ds.index.references
    assert isinstance(refs, StoreColumn) and len(refs) == ds.index.n
    pick = np.array([0, ds.index.n // 2, ds.index.n - 1])
    got = refs[pick]
    assert [r is not None and r != "" for r in got] == ds.index.has_reference[pick].tolist()
    mask = np.zeros(ds.index.n, dtype=bool)
    mask[pick] = True
    assert list(refs[mask]) == list(got)


def test_assess_on_a_store_equals_assess_on_its_files(sample_store, capsys):
    """`crimedash assess STORE` gives the same assessment, what-ifs and findings as
    `crimedash assess FILES` (the sample city: timestamp precision, references)."""
    src, store = sample_store
    args = ["--granularity", "h3:8", "--frequency", "monthly", "--min-count", "3"]
    assert is_store(store) and not is_store(src)
    assert _assess_json(capsys, str(store), *args) == _assess_json(capsys, str(src), *args)


@pytest.mark.real_data
def test_police_uk_months_from_a_store_export_the_same_public_files(real_data, tmp_path, capsys):
    """Month-precision police.uk data (the national path: finer time keys derived on
    demand): the same assessment and byte-identical public files as from the CSVs."""
    src = real_data / "police_uk" / "city-of-london"
    store = tmp_path / "store"
    build_store([src], store)
    args = ["--granularity", "h3:7", "--frequency", "quarterly"]
    assert _assess_json(capsys, str(store), *args) == _assess_json(capsys, str(src), *args)
    common = [
        *args,
        "--references",
        "truncated",
        "--approved-by",
        "A Reviewer",
        "--publisher",
        "Test",
        "--contact",
        "a@example.org",
        "--no-log",
        "--no-progress",
    ]
    for name, source in (("from_store", store), ("from_files", src)):
        assert main(["export", str(source), *common, "--out", str(tmp_path / name)]) == 0
    capsys.readouterr()
    a = sorted((tmp_path / "from_store" / "public").rglob("*"))
    b = sorted((tmp_path / "from_files" / "public").rglob("*"))
    assert [p.name for p in a] == [p.name for p in b] and len(a) > 3
    for pa_, pb in zip(a, b, strict=True):
        if pa_.is_file():
            assert pa_.read_bytes() == pb.read_bytes(), pa_.name


def test_a_bounded_cache_gives_the_same_assessment(sample_store, monkeypatch, capsys):
    """Dropping cached building blocks past the budget (what keeps 60M rows' what-ifs
    under 8 GB) changes no figure: an evicted block is rebuilt the same."""
    import crimedash.index as index_module

    _, store = sample_store
    args = [str(store), "--granularity", "h3:8", "--frequency", "monthly", "--min-count", "3"]
    roomy = _assess_json(capsys, *args)
    monkeypatch.setattr(index_module, "CACHE_BUDGET_BYTES", 1)
    ds = load_dataset(store)

    assert _assess_json(capsys, *args) == roomy
    for _ in range(2):
        ds.index.cached(("probe", 1), lambda: np.zeros(10))
        ds.index.cached(("probe", 2), lambda: np.zeros(10))
    assert list(ds.index.cache) == [("probe", 2)]  # one block at most past the budget
