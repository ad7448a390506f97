"""The map's deck built in a worker, off the score's path (`crimedash.ui.deckjob`)."""

from __future__ import annotations

import json
import threading

from enginekit import make_index

from crimedash import viz
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


def test_one_build_per_key_and_a_stale_map_not_yet_started_is_dropped():
    """A deck is built once per key; while the worker builds one, a second asked for in
    the same slot waits, and is dropped when a third replaces it (nobody will see it)."""
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
    assert first.result(timeout=30) is not None
    assert built == ["first", "third"]
