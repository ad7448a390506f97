"""A repeat's score while the previous design's map is still being built, with the map
left to run or paused (`cancel.foreground`, as the page does since stop 23).

    .venv/bin/python benchmarks/pause.py --store STORE --kind h3:8 --rounds 5

Opens a store (or the national CSVs), evaluates a first design and keeps its layer,
then, `--rounds` times and alternating the two ways: starts that layer's map (the deck
and its JSON, as `ui/deckjob`'s worker builds it) in a thread, waits `--head-start`
seconds, and works out a count-only change's score (`risk.evaluate` and the score
panel's `assess`, a repeat). Per way, medians of:
- `score_s`: the score's wall clock (what the analyst waits for);
- `score_cpu_s`: CPU seconds of the score's own thread;
- `deck_cpu_during_s`: CPU seconds the map's thread took while the score was worked
  out (what it competed with; with the pause, only up to its next checkpoint).
The CPU figures are per thread (`time.pthread_getcpuclockid`), so other jobs on a
shared machine change them little, unlike the wall clock. The baseline, in the same
process, is the score with nothing else running (`alone`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repeat import data_args, open_index

from crimedash import viz
from crimedash.assessment import assess
from crimedash.cancel import checked, checkpoint, foreground
from crimedash.design import Design
from crimedash.risk import evaluate
from crimedash.ui.deckjob import ReadyDeck


def thread_cpu(thread: threading.Thread) -> float:
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def one(index, layer, design: Design, way: str, head_start: float) -> dict[str, float]:
    """The score of `design` with the map of `layer` built beside it (`way`: "alone",
    "running on" or "paused")."""
    deck_thread = None
    ended: list[float] = []  # the map thread's CPU seconds when it ended
    if way != "alone":

        def build() -> None:
            with checked(lambda: None):  # a worker's context, as in ui/deckjob
                deck = viz.public_deck(index, layer)
                checkpoint()
                ReadyDeck(deck)
            ended.append(time.thread_time())

        deck_thread = threading.Thread(target=build, name="deck")
        deck_thread.start()
        time.sleep(head_start)
    me = threading.current_thread()
    deck0 = thread_cpu(deck_thread) if deck_thread else 0.0
    w, c = time.perf_counter(), thread_cpu(me)
    with foreground() if way == "paused" else contextlib.nullcontext():
        ev = evaluate(index, design)
        assess(index, design, with_what_ifs=False, with_utility=False, evaluation=ev)
    score_s, score_cpu = time.perf_counter() - w, thread_cpu(me) - c
    deck_during = 0.0
    if deck_thread:
        try:
            deck_now = thread_cpu(deck_thread)
        except ProcessLookupError:  # it ended while the score was worked out
            deck_thread.join()
            deck_now = ended[0]
        deck_during = deck_now - deck0
        deck_thread.join()
    return {"score_s": score_s, "score_cpu_s": score_cpu, "deck_cpu_during_s": deck_during}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_args(p)
    p.add_argument("--kind", default="h3:8")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--head-start", type=float, default=0.3)
    args = p.parse_args(argv)
    index = open_index(args)
    index.keep_alternatives = True  # as the app's index
    first = Design(granularity=args.kind, frequency="monthly", min_count=3)
    layer = evaluate(index, first).layer
    changes = [first.with_(min_count=m) for m in (5, 2)]
    got: dict[str, list[dict[str, float]]] = {"alone": [], "running on": [], "paused": []}
    for r in range(args.rounds):
        for way in got:
            got[way].append(one(index, layer, changes[r % 2], way, args.head_start))
    out = {"incidents": index.n, "kind": args.kind, "rounds": args.rounds}
    for way, runs in got.items():
        out[way] = {k: round(statistics.median(x[k] for x in runs), 3) for k in runs[0]}
    out["paused_over_alone"] = round(out["paused"]["score_s"] / out["alone"]["score_s"], 2)
    out["running_on_over_alone"] = round(out["running on"]["score_s"] / out["alone"]["score_s"], 2)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
