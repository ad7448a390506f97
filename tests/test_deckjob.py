"""The map's deck built in a worker, off the score's path (`crimedash.ui.deckjob`)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from enginekit import make_index

from crimedash import viz
from crimedash.cancel import Cancelled, checkpoint
from crimedash.design import Design
from crimedash.layer import apply_design
from crimedash.ui import deckjob


def test_a_ready_deck_carries_the_decks_json_and_tooltip():
    index = make_index(3, n=300, n_households=200)
    deck = viz.public_deck(index, apply_design(index, Design(granularity="h3:8")))
    ready = deckjob.ReadyDeck(deck)
    assert json.loads(ready.to_json()) == json.loads(deck.to_json())
    assert ready._tooltip == deck._tooltip and ready._tooltip
    assert ready.layers is None  # Streamlit has no DataFrame left to convert


def test_one_build_per_key_and_a_stale_map_is_dropped_or_stopped():
    """A deck is built once per key; while the worker builds one, a second asked for in
    the same slot waits, and is dropped when a third replaces it (nobody will see it).
    The first, already started when the second came, stops at its build's next
    checkpoint, and is built anew when asked for again (going back to its design)."""
    release = threading.Event()
    built: list[str] = []

    def build(name: str, wait: bool = False):
        def run():
            if wait:
                release.wait(10)
            built.append(name)
            return viz.public_deck(index, layer), name

        return run

    index = make_index(4, n=200, n_households=100)
    layer = apply_design(index, Design(granularity="h3:7"))
    slot = "test-slot"
    first = deckjob._submit(deckjob.DeckJob(slot, ("t", 1), build("first", wait=True)))
    second = deckjob._submit(deckjob.DeckJob(slot, ("t", 2), build("second")))
    third = deckjob._submit(deckjob.DeckJob(slot, ("t", 3), build("third")))
    again = deckjob._submit(deckjob.DeckJob(slot, ("t", 3), build("third again")))
    assert again is third  # the same key: the same deck
    assert second.cancelled()
    release.set()
    assert isinstance(third.result(timeout=30).deck, deckjob.ReadyDeck)
    assert third.result().extra == "third"  # what the panel around the map is drawn from
    with pytest.raises(Cancelled):
        first.result(timeout=30)
    assert first.stopped() and built == ["first", "third"]
    back = deckjob._submit(deckjob.DeckJob(slot, ("t", 1), build("first again")))
    assert back is not first
    assert back.result(timeout=30).extra == "first again"


def test_a_stale_map_stops_inside_its_build():
    """A build that is seconds of work at national scale checks between its stages:
    a newer map in the same slot stops it there, not after the whole build."""
    stages: list[int] = []
    started = threading.Event()

    def slow():
        started.set()
        for i in range(600):  # ten minutes of stages, unless stopped
            checkpoint()
            stages.append(i)
            time.sleep(1.0)
        raise AssertionError("not stopped")

    index = make_index(4, n=200, n_households=100)
    layer = apply_design(index, Design(granularity="h3:7"))
    slot = "test-slot-stop"
    stale = deckjob._submit(deckjob.DeckJob(slot, ("s", 1), slow))
    assert started.wait(30)
    new = deckjob._submit(
        deckjob.DeckJob(slot, ("s", 2), lambda: (viz.public_deck(index, layer), "new"))
    )
    with pytest.raises(Cancelled):
        stale.result(timeout=30)
    assert len(stages) <= 3
    assert new.result(timeout=30).extra == "new"
