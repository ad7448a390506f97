"""Cancellation points inside an evaluation (`crimedash.cancel`): the app's worker
stops stale what-ifs inside an evaluation, not only between two."""

from __future__ import annotations

import threading

import pytest
from enginekit import make_index

from crimedash import cancel
from crimedash.cancel import Cancelled, checked, checkpoint, foreground, paused
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


def _stop_at(n: int, seen: list):
    """A check that counts its calls and cancels at the n-th (never, if n is 0)."""

    def check() -> None:
        seen.append(1)
        if len(seen) == n:
            raise Cancelled

    return check


@pytest.mark.parametrize("granularity", ["h3:9", "grid:250", "adaptive:20"])
def test_building_units_and_atoms_stops_inside_and_leaves_nothing_half_built(granularity):
    """A unit build (H3 cells placed by their drawn hexagons, grid squares, adaptive
    pools) and the atoms' grouping were seconds without a checkpoint at national scale:
    a cancelled stale build kept the new score waiting (6.9 s at 5M rows, docs/scale.md).
    Stopped at any of its checkpoints, it leaves nothing cached, and the design is then
    worked out exactly as on a fresh index."""
    from crimedash.atoms import base_atoms
    from crimedash.units import units_for

    design = Design(granularity=granularity)
    g, density = design.spatial, design.assumed_households_per_km2

    def build(index):
        units = units_for(index, g, density, design.min_unit_area_m2)
        return units, base_atoms(index, units, design.window_level)

    seen: list = []
    with checked(_stop_at(0, seen)):
        build(make_index(22, n=400, n_households=250, areas=True))
    points = len(seen)
    assert points >= 3  # inside the units (more than one) and the atoms
    fresh = make_index(22, n=400, n_households=250, areas=True)
    expected = evaluate(fresh, design)
    for n in (1, points // 2, points):
        index = make_index(22, n=400, n_households=250, areas=True)
        seen.clear()
        with checked(_stop_at(n, seen)), pytest.raises(Cancelled):
            build(index)
        assert len(seen) == n
        built = {k[0] for k in index.cache}
        assert "base" not in built  # every checkpoint comes before the atoms are whole
        if n == 1:
            assert "units" not in built  # the first is inside the units' build
        again = evaluate(index, design)
        assert again.score == expected.score
        # the same public cells
        assert again.layer.frame(index).equals(expected.layer.frame(fresh))


def _worker(check, steps: int, log: list) -> threading.Thread:
    """A worker that passes `steps` checkpoints under `check`, logging each."""

    def run() -> None:
        try:
            with checked(check):
                for i in range(steps):
                    checkpoint()
                    log.append(i)
        except Cancelled:
            log.append("cancelled")

    return threading.Thread(target=run)


def test_a_worker_waits_at_its_checkpoints_while_the_score_is_worked_out():
    """`foreground`: the score after a change gets the cores; a worker (a check
    installed) waits at its next checkpoint until the block ends, then goes on where it
    was. The block's own thread, with no check, never waits."""
    log: list = []
    with foreground():
        assert paused()
        checkpoint()  # the page's own thread passes
        t = _worker(lambda: None, 3, log)
        t.start()
        t.join(0.3)
        assert t.is_alive() and log == []  # waiting at its first checkpoint
    t.join(5)
    assert not t.is_alive() and log == [0, 1, 2]
    assert not paused()


def test_foreground_blocks_nest_and_the_last_one_out_lets_workers_go():
    log: list = []
    with foreground():
        t = _worker(lambda: None, 1, log)
        with foreground():
            t.start()
        t.join(0.2)
        assert t.is_alive() and log == []  # the outer block still runs
    t.join(5)
    assert log == [0]


def test_a_worker_cancelled_while_it_waits_stops_at_once():
    stop = threading.Event()

    def check() -> None:
        if stop.is_set():
            raise Cancelled

    log: list = []
    with foreground():
        t = _worker(check, 3, log)
        t.start()
        t.join(0.2)
        stop.set()
        t.join(5)  # inside the block: the wait noticed the cancel
        assert not t.is_alive() and log == ["cancelled"]


def test_a_pause_is_bounded(monkeypatch):
    """A foreground block that never ends (a bug, or a lock the worker holds) holds a
    worker at one checkpoint for at most `PAUSE_MAX_S`."""
    monkeypatch.setattr(cancel, "PAUSE_MAX_S", 0.2)
    log: list = []
    with foreground():
        t = _worker(lambda: None, 2, log)
        t.start()
        t.join(5)
        assert not t.is_alive() and log == [0, 1]
