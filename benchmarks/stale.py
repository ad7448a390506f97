"""A change made while stale work still runs: how soon that work stops, and what the new
score waits (issue 16: the score within 1 s of any change at 5M rows).

    .venv/bin/python benchmarks/stale.py --rows 5000000
    .venv/bin/python benchmarks/stale.py --store STORE

The app builds the other kinds of unit in a worker once a design's what-ifs are done
(`ui/background._warm`), so an analyst's next change often lands while that build runs.
The page cancels the stale job; it stops at the core's next `cancel.checkpoint()`. This
opens the data (a store, or the national CSVs indexed), evaluates a first h3:8 design and
its what-ifs (as the opening does), then times the next design's score (`--to`, h3:9 by
default: the factors have already built its units, so alone it is a repeat):
- `alone_s`: with nothing else running (the baseline, in the same process);
- `with_stale_s`: with the warm of `--warm` kinds started in a thread just before and
  cancelled at the change, as the page does; `stop_s`: from the cancel to the stale
  thread's end.
- `warm_paused_s`: the same warm left to run, but waiting at its checkpoints while the
  score is worked out (`cancel.foreground`, as the page does since this stop).
The same for the first design's map (`ui/deckjob`: the deck and its JSON, built in a
worker; a change can come while it is built): `deck_running_on_s` leaves the stale
build to finish (as the page did before stop 22), `deck_stopped_s` stops it at the
change, `deck_stop_s` from the stop to its end, `deck_paused_s` leaves it to run but pauses
it while the score is worked out (the page's way for work still wanted).
Wall clock: the two threads share the cores, which is what the analyst waits on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time

from repeat import data_args, open_index

from crimedash import viz
from crimedash.assessment import advise_all, assess
from crimedash.cancel import Cancelled, checked, checkpoint, foreground
from crimedash.design import Design
from crimedash.risk import evaluate


def score_s(index, design: Design) -> float:
    t = time.perf_counter()
    ev = evaluate(index, design)
    assess(index, design, with_what_ifs=False, with_utility=False, evaluation=ev)
    return time.perf_counter() - t


def with_stale(
    index, to: Design, stale_work, head_start: float, stop_it: bool = True, pause: bool = False
):
    """The new score's wall time while `stale_work` (started `head_start` seconds
    before the change) is stopped at the change (or left to run on, or, with `pause`,
    left to run but waiting at its checkpoints while the score is worked out, as the
    page does: `cancel.foreground`), and the time from the change to the stale work's
    end."""
    stop = threading.Event()
    ended: list[float] = []

    def check() -> None:
        if stop.is_set():
            raise Cancelled

    def work() -> None:
        try:
            with checked(check):
                stale_work()
        except Cancelled:
            pass
        ended.append(time.perf_counter())

    thread = threading.Thread(target=work, name="stale-work")
    thread.start()
    time.sleep(head_start)
    changed = time.perf_counter()
    if stop_it:
        stop.set()
    with foreground() if pause else contextlib.nullcontext():
        s = score_s(index, to)
    thread.join()
    return s, ended[0] - changed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_args(p, rows=1_000_000)
    p.add_argument("--to", default="h3:9")
    p.add_argument("--warm", default="grid:500,adaptive:40")
    p.add_argument("--head-start", type=float, default=0.5, help="seconds the warm runs first")
    args = p.parse_args(argv)
    index = open_index(args)
    first = Design(granularity="h3:8")
    advise_all(index, first, evaluate(index, first))
    to = first.with_(granularity=args.to)
    warm = args.warm.split(",")
    layer = evaluate(index, first).layer
    before = set(index.cache)

    def fresh() -> None:  # so each run builds what the first did
        for key in set(index.cache) - before:
            del index.cache[key]
            index._cache_bytes.pop(key, None)

    def warm_work() -> None:
        for g in warm:
            evaluate(index, first.with_(granularity=g))

    def deck_work() -> None:
        deck = viz.public_deck(index, layer)
        checkpoint()
        deck.to_json()

    alone = score_s(index, to)
    fresh()
    stale, stop = with_stale(index, to, warm_work, args.head_start)
    fresh()
    deck_on, _ = with_stale(index, to, deck_work, args.head_start, stop_it=False)
    fresh()
    deck_stopped, deck_stop = with_stale(index, to, deck_work, args.head_start)
    fresh()
    deck_paused, _ = with_stale(index, to, deck_work, args.head_start, stop_it=False, pause=True)
    fresh()
    warm_paused, _ = with_stale(index, to, warm_work, args.head_start, stop_it=False, pause=True)
    print(
        json.dumps(
            {
                "incidents": index.n,
                "to": args.to,
                "warm": warm,
                "alone_s": round(alone, 2),
                "with_stale_s": round(stale, 2),
                "stop_s": round(stop, 2),
                "with_stale_over_alone": round(stale / alone, 2),
                "deck_running_on_s": round(deck_on, 2),
                "deck_stopped_s": round(deck_stopped, 2),
                "deck_stop_s": round(deck_stop, 2),
                "deck_paused_s": round(deck_paused, 2),
                "warm_paused_s": round(warm_paused, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
