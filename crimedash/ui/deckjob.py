"""The map's deck built off the score's path, in a worker thread (issue 16).

Building a deck is pure Python (pydeck's serialisation, one tooltip per unit): seconds
at national scale. Streamlit can stop a run only when it sends something to the browser,
so a change made while the page built the previous design's deck waited for that deck
(30-84 s repeats at 5M rows, docs/scale.md). Here the page only reserves the map's place
(`chart`); a worker builds the deck and its JSON once; the page waits for it last
(`draw_pending`), sending a short status line every `POLL_S`, so a change stops the
waiting run at once and its score shows without waiting for the stale map. Until the
new map arrives the browser keeps the previous one (greyed as stale). A stale map
already being built stops at the build's next `checkpoint()` (seconds of pure Python at
national scale that would otherwise hold the interpreter beside the new score).

Decks are kept per key (data, design, window, view), for every session of the process
like `compute`'s caches, so going back to a design draws its map at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import pydeck as pdk
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from crimedash.cancel import Cancelled, checked, checkpoint
from crimedash.ui import workers

__all__ = ["KEEP", "POLL_S", "Built", "DeckJob", "ReadyDeck", "chart", "draw_pending", "new_run"]

POLL_S = 0.1  # how often a waiting page says it is still drawing (and can be stopped)
KEEP = 64  # built decks kept, as many as compute's caches keep


class ReadyDeck:
    """A deck whose JSON is made once. `st.pydeck_chart` calls `to_json()` on every run
    (about a second for a national deck, again on every rerun of an unchanged design);
    it also reads the tooltip, a Mapbox key and `layers` (None: nothing left to convert)."""

    layers = None
    deck_widget = None

    def __init__(self, deck: pdk.Deck) -> None:
        self._json = deck.to_json()
        self._tooltip = getattr(deck, "_tooltip", None)
        self.mapbox_key = getattr(deck, "mapbox_key", None)
        self.width = getattr(deck, "width", None)

    def to_json(self) -> str:
        return self._json


@dataclass(frozen=True)
class DeckJob:
    """What to draw: a key naming the deck (it is built once per key) and how to build
    it: `build()` returns the deck and whatever else the panel around the map is drawn
    from (the public map's `MapView`: its legend, trend and notes), or None. It runs in
    a worker thread, so it must not call Streamlit."""

    slot: str  # which map on the page ("public", "risk", "pair"): a newer one replaces it
    key: tuple
    build: Callable[[], tuple[pdk.Deck, Any]]


@dataclass(frozen=True)
class Built:
    deck: ReadyDeck
    extra: Any


class _DeckFuture(Future):
    """A deck's future, with the flag that stops its build once it has started (a
    future can only be cancelled before)."""

    def __init__(self) -> None:
        super().__init__()
        self.stop = threading.Event()

    def check(self) -> None:
        if self.stop.is_set():
            raise Cancelled

    def stopped(self) -> bool:
        """Whether it ended by being stopped (or cancelled): asked for again, it is
        built anew."""
        if self.cancelled():
            return True
        return self.done() and isinstance(self.exception(), Cancelled)


_LOCK = threading.Lock()
_DECKS: OrderedDict[tuple, _DeckFuture] = OrderedDict()
_LATEST: dict[tuple[str, str], _DeckFuture] = {}  # (session, slot) -> its newest deck
# One deck at a time: on 2 cores a second would slow the score the user is waiting for.
_ONE_AT_A_TIME = threading.Lock()
_RUN = threading.local()  # this script run's maps still to draw


def _session() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def _submit(job: DeckJob) -> _DeckFuture:
    """The deck's future, started if new. A deck this session asked for in the same
    slot is dropped, or stopped if it has started: nobody will see it."""
    with _LOCK:
        fut = _DECKS.get(job.key)
        if fut is None or fut.stopped():
            fut = _DeckFuture()
            _DECKS[job.key] = fut
            workers.start(
                lambda f=fut: _work(f, job.build), name="crimedash-deck", stop=fut.stop.set
            )
        _DECKS.move_to_end(job.key)
        latest = (_session(), job.slot)
        older = _LATEST.get(latest)
        if older is not None and older is not fut and not older.cancel():
            older.stop.set()  # started: it stops at its build's next checkpoint
        _LATEST[latest] = fut
        done = [k for k, f in _DECKS.items() if f.done()]
        for k in done[: max(0, len(_DECKS) - KEEP)]:
            del _DECKS[k]
    return fut


def _work(fut: _DeckFuture, build: Callable[[], tuple[pdk.Deck, Any]]) -> None:
    with _ONE_AT_A_TIME:
        if not fut.set_running_or_notify_cancel():
            return
        try:
            with checked(fut.check):
                deck, extra = build()
                checkpoint()  # the JSON is the build's last and longest step
                ready = ReadyDeck(deck)
            fut.set_result(Built(ready, extra))
        except BaseException as exc:  # raised again in the run that draws it
            fut.set_exception(exc)


def new_run() -> None:
    """Start this run's list of maps to draw (call at the top of the page)."""
    _RUN.pending = []


def chart(job: DeckJob, then: Callable[[Any], None] | None = None, **kwargs: Any) -> None:
    """`st.pydeck_chart(deck, **kwargs)` here on the page, with the deck built in the
    worker: drawn now if it is ready, else by `draw_pending` at the end of the run.
    `then(extra)` draws what depends on the build's other result, once it is there
    (into containers already on the page, so it lands in its place)."""
    fut = _submit(job)
    box = st.container()
    if fut.done() and not fut.stopped() and fut.exception() is None:
        _show(box, fut.result(), then, kwargs)
        return
    status = st.empty()
    pending = getattr(_RUN, "pending", None)
    if pending is None:  # drawn outside the page's flow (a test): wait here
        _draw(box, status, job, fut, then, kwargs)
    else:
        pending.append((box, status, job, fut, then, kwargs))


def draw_pending() -> None:
    """Wait for this run's maps and draw each in its place (call once everything else
    on the page that the user waits for is drawn)."""
    pending, _RUN.pending = getattr(_RUN, "pending", None) or [], []
    for box, status, job, fut, then, kwargs in pending:
        _draw(box, status, job, fut, then, kwargs)


def _show(box, built: Built, then: Callable[[Any], None] | None, kwargs: dict) -> None:
    with box:
        st.pydeck_chart(built.deck, **kwargs)
    if then is not None:
        then(built.extra)


def _draw(box, status, job: DeckJob, fut: _DeckFuture, then, kwargs: dict) -> None:
    started = time.monotonic()
    while True:
        if fut.stopped():  # dropped or stopped for a newer map, then asked for again
            fut = _submit(job)
        if fut.done():
            break
        # a message to the browser is where Streamlit stops a run for a new change
        status.caption(f"Drawing the map... {time.monotonic() - started:.0f} s")
        time.sleep(POLL_S)
    status.empty()
    _show(box, fut.result(), then, kwargs)
