"""Cancellation points inside an evaluation (`crimedash.cancel`): the app's worker
stops stale what-ifs inside an evaluation, not only between two."""

from __future__ import annotations

import threading

import pytest
from enginekit import make_index

from crimedash.cancel import Cancelled, checked, checkpoint
from crimedash.design import Design
from crimedash.risk import evaluate


@pytest.fixture(scope="module")
def index():
    return make_index(21, n=500, n_households=300, areas=True)


def test_an_evaluation_stops_inside_when_cancelled(index):
    design = Design(granularity="h3:9")
    seen = []
    with checked(lambda: seen.append(1)):
        ev = evaluate(index, design)
    # before the attack, after its proofs, after it: three points inside one evaluation
    assert len(seen) >= 3
    assert ev.score == evaluate(index, design).score  # a check that passes changes nothing

    def stop_at_second() -> None:
        seen.append(1)
        if len(seen) == 2:
            raise Cancelled

    seen.clear()
    with checked(stop_at_second), pytest.raises(Cancelled):
        evaluate(index, design)
    assert len(seen) == 2  # stopped there, the later points never reached


def test_a_check_belongs_to_its_thread():
    """The app's worker installs its check; the page's own thread (the score) and the
    CLI, which install none, are never stopped by it."""

    def stop() -> None:
        raise Cancelled

    other: list[BaseException | None] = []

    def elsewhere() -> None:
        try:
            checkpoint()
            other.append(None)
        except BaseException as exc:  # recorded for the assertion
            other.append(exc)

    with checked(stop):
        t = threading.Thread(target=elsewhere)
        t.start()
        t.join()
        with pytest.raises(Cancelled):
            checkpoint()
    assert other == [None]
    checkpoint()  # outside the block: no check
