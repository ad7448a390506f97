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
    idx.cache, idx._cache_bytes = {}, {}
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
