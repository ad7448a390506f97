"""The app opens a store on the server (issue 16): an analyst's year is indexed once
per server, then every session reopens it from memory.

The operator names a store, or a folder of stores, in $CRIMEDASH_DATA; the Data tab
offers them by name (a path typed in a page never reaches the disk), and when exactly
one is offered a new session starts on it. A link carries the store's name, so a
refresh stays on it; a name the server does not offer falls back to the sample city."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from appkit import no_errors, start

from crimedash.sample import sample_paths
from crimedash.store import build_store
from crimedash.ui import state as K

pytestmark = pytest.mark.xdist_group("app")


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Path:
    """A folder of two stores built from the sample city's incidents."""
    root = tmp_path_factory.mktemp("server")
    build_store([sample_paths()["incidents"]], root / "city")
    shutil.copytree(root / "city", root / "city-copy")
    (root / "not-a-store").mkdir()
    return root


def test_a_single_store_opens_at_start_and_reopens_from_memory(stores, monkeypatch):
    from crimedash.ui import data

    monkeypatch.setenv("CRIMEDASH_DATA", str(stores / "city"))
    at = start()
    no_errors(at)
    assert at.session_state[K.DATASET_KEY] == "store:city"
    assert at.query_params["data"] == "store:city"
    opened = data._store()["store:city"]
    assert "the store city on the server" in at.session_state[K.DATASET_LABEL]
    assert any(m.label == "Identifiability score" for m in at.metric)
    # another session (a new browser tab) gets the same indexed data, not a re-index
    t = time.perf_counter()
    again = start()
    no_errors(again)
    assert data._store()["store:city"] is opened
    assert again.session_state[K.DATASET_KEY] == "store:city"
    assert time.perf_counter() - t < 120  # AppTest's own timeout would fail first


def test_the_data_tab_offers_the_servers_stores_by_name(stores, monkeypatch):
    monkeypatch.setenv("CRIMEDASH_DATA", str(stores))
    at = start()
    no_errors(at)
    assert at.session_state[K.DATASET_KEY] == "sample"  # two stores: none is the default
    choice = at.selectbox(key=K.STORE_CHOICE)
    assert choice.options == ["city", "city-copy"]  # only folders that are stores
    choice.set_value("city-copy")
    at.button(key=K.STORE_BUTTON).click().run()
    no_errors(at)
    assert at.session_state[K.DATASET_KEY] == "store:city-copy"
    assert at.query_params["data"] == "store:city-copy"


def test_a_link_to_a_store_the_server_does_not_offer_opens_the_sample(stores, monkeypatch):
    monkeypatch.setenv("CRIMEDASH_DATA", str(stores))
    at = start({"data": "store:../../etc"})
    assert not at.exception
    assert at.session_state[K.DATASET_KEY] == "sample"
    monkeypatch.delenv("CRIMEDASH_DATA")
    at = start({"data": "store:city"})  # no stores offered at all
    assert at.session_state[K.DATASET_KEY] == "sample"
    assert not at.get("selectbox") or all(s.key != K.STORE_CHOICE for s in at.selectbox)
