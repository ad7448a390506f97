"""The index's cache is shared by the app's threads (the page's score, the map's deck
worker, the what-ifs worker): it must stay whole when they use it at once."""

from __future__ import annotations

import sys
import threading

import numpy as np

from crimedash import index as index_module
from crimedash.index import Index


def _bare_index() -> Index:
    """An Index with nothing but its cache: `cached` reads no other field."""
    idx = Index.__new__(Index)
    idx.cache, idx._cache_bytes, idx._pinned = {}, {}, {}
    return idx


def test_the_cache_survives_threads_that_fill_and_evict_it_at_once(monkeypatch):
    # a budget of two small arrays: nearly every insert evicts, the walk the race broke
    monkeypatch.setattr(index_module, "CACHE_BUDGET_BYTES", 2 * 8 * 64)
    idx = _bare_index()
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def hammer(t: int) -> None:
        start.wait()
        try:
            for i in range(3000):
                key = (t, i % 37)
                got = idx.cached(key, lambda key=key: np.full(64, hash(key), dtype=np.int64))
                assert got[0] == hash(key)  # each key's own value, never another's
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(t,)) for t in range(6)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads between any two bytecodes, often
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors[:3]
    assert set(idx.cache) == set(idx._cache_bytes)  # the two books agree
    assert sum(idx._cache_bytes.values()) <= index_module.CACHE_BUDGET_BYTES


def test_dropping_the_atoms_keeps_the_units_and_rebuilds_the_same_layer():
    """export_bundle drops the cached atoms before the advice: the units (which a series
    may have placed there) stay, and the next design builds exactly what it built."""
    from enginekit import make_index

    from crimedash.design import Design
    from crimedash.layer import apply_design

    index = make_index(7, n=300)
    design = Design(granularity="h3:8", min_count=2)
    first = apply_design(index, design)
    kinds = sorted({k[0] for k in index.cache if isinstance(k, tuple)})
    assert {"base", "grouped", "units"} <= set(kinds)
    units = [k for k in index.cache if k[0] == "units"]
    assert index.drop_cached("base") == 1
    assert index.drop_cached("grouped") == 1
    assert [k for k in index.cache if k[0] in ("base", "grouped")] == []
    assert [k for k in index.cache if k[0] == "units"] == units
    assert set(index.cache) == set(index._cache_bytes)
    again = apply_design(index, design)
    for name in ("cell_unit", "cell_window", "cell_group", "cell_shown", "cell_true"):
        a, b = getattr(first, name), getattr(again, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    for name in ("unit", "rwin", "dwin", "slot", "cat", "loc", "n", "kappa", "cell"):
        a, b = getattr(first.atoms, name), getattr(again.atoms, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name


def test_dropping_a_granularity_drops_its_blocks_only():
    """The advice drops another granularity's units, atoms and cells once it is done
    with them; the design's blocks and other granularities' stay."""
    from enginekit import make_index

    from crimedash.design import Design
    from crimedash.layer import apply_design

    index = make_index(7, n=300)
    apply_design(index, Design(granularity="h3:8"))
    apply_design(index, Design(granularity="h3:9"))
    nine = [k for k in index.cache if isinstance(k, tuple) and k[1] == "h3:9"]
    assert {k[0] for k in nine} >= {"units", "base", "grouped"}
    assert index.drop_granularity("h3:9") == len(nine)
    assert [k for k in index.cache if isinstance(k, tuple) and k[1] == "h3:9"] == []
    assert {k[0] for k in index.cache if isinstance(k, tuple) and k[1] == "h3:8"} >= {
        "units",
        "base",
        "grouped",
    }
    assert set(index.cache) == set(index._cache_bytes)
    assert index.drop_granularity("h3:9") == 0
