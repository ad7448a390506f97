"""Factors and what-ifs after the score, in a worker thread, with progress and a cancel.

The score is one evaluation; factors and what-ifs are 11-12 more (`assessment.advise`),
10-20x the score at national scale (docs/scale.md). So the page draws the score, the map
and every tab first, and only then waits here for the rest, updating a progress bar.
While it waits the controls stay live: a change reruns the page at once (streamlit
stops this run at its next progress update, within `POLL_S`), the new run shows the new
design's score, and the stale work is cancelled between two evaluations (it no longer
competes with the new score for the machine's cores); the page cancels it as soon as
it has read a changed design, and `cancel.checkpoint()`s stop it inside an evaluation.
A Cancel button stops it too. Once the what-ifs are done the worker builds the other
kinds of unit (`_warm`), so switching kind later is not a first use.

Jobs are kept per (data, design), for every session of the process, like
`compute`'s caches: going back to a design whose what-ifs were worked out shows them
at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field

import streamlit as st

from crimedash import assessment as assessment_
from crimedash import risk, viz
from crimedash.cancel import Cancelled, checked
from crimedash.design import Design
from crimedash.errors import CrimedashError
from crimedash.index import Index
from crimedash.risk import Assessment, Evaluation
from crimedash.textsafe import markdown_text
from crimedash.ui import compute, score, workers
from crimedash.ui import state as K

__all__ = [
    "KEEP",
    "POLL_S",
    "Job",
    "Key",
    "cancel",
    "cancel_other",
    "complete",
    "job_for",
    "key_of",
    "known",
    "likely_units",
]

POLL_S = 0.1  # how often the waiting page updates its progress (and can be stopped)
KEEP = 64  # finished jobs kept, as many as compute's caches keep

Key = tuple[str, str]  # (index fingerprint, design JSON)


@dataclass
class Job:
    """One design's factors and what-ifs being worked out (or done)."""

    key: Key
    cancel: threading.Event = field(default_factory=threading.Event)
    done: int = 0
    total: int = 0
    label: str = "starting"
    future: Future | None = None

    def progress(self, done: int, total: int, label: str) -> None:
        self.check()
        self.done, self.total, self.label = done, total, label

    def check(self) -> None:
        """Stop the work here if it was cancelled (between evaluations, and at the
        `cancel.checkpoint()`s inside one)."""
        if self.cancel.is_set():
            raise Cancelled

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()


_LOCK = threading.Lock()
_JOBS: OrderedDict[Key, Job] = OrderedDict()
# One job at a time: on 2 cores a second would slow the score the user is waiting for.
_ONE_AT_A_TIME = threading.Lock()


def _start(job: Job, index: Index, design: Design, ev: Evaluation, warm: list[str]) -> None:
    """Run the job in a daemon thread (a pool's threads are joined when the server
    stops, which would make it wait for minutes of what-ifs nobody will see); at exit
    `workers` cancels it and waits for it to stop."""

    def work() -> None:
        with _ONE_AT_A_TIME:
            if not job.future.set_running_or_notify_cancel():
                return
            try:
                with checked(job.check):
                    worked_out = assessment_.advise_all(index, design, ev, progress=job.progress)
                job.future.set_result(worked_out)
            except BaseException as exc:  # handed to whoever waits on it
                job.future.set_exception(exc)
                return
            _warm(index, design, warm, job)

    workers.start(work, name="crimedash-advice", stop=job.cancel.set)


def likely_units(design: Design) -> list[str]:
    """The units the analyst would get by switching the kind of unit: each other kind at
    the size its control holds (read here, in the page's thread)."""
    ss = st.session_state
    kinds = (
        f"grid:{ss.get(K.GRID_M, 500)}",
        f"adaptive:{ss.get(K.ADAPTIVE_K, 40)}",
        f"h3:{ss.get(K.H3_RES, 8)}",
    )
    return [g for g in kinds if g.split(":")[0] != design.spatial.kind]


def _warm(index: Index, design: Design, granularities: list[str], job: Job) -> None:
    """Build the units and atoms of the other kinds of unit while the analyst reads the
    what-ifs (issue 16: a first use of grid squares or adaptive units at 5M rows is
    tens of seconds; built here it is a repeat). Cheapest first; stopped, like the
    what-ifs, when the design changes. A design these units refuse is simply skipped:
    the analyst will hear why if they pick it."""
    with checked(job.check):
        for g in granularities:
            try:
                risk.evaluate(index, design.with_(granularity=g))
            except (Cancelled, CrimedashError):
                if job.cancelled:
                    return


def key_of(index: Index, design: Design) -> Key:
    return (index.fingerprint, design.to_json())


def job_for(index: Index, design: Design, ev: Evaluation, warm: list[str] | None = None) -> Job:
    """The job for this design, started if there is none (or the last was cancelled)."""
    key = key_of(index, design)
    with _LOCK:
        job = _JOBS.get(key)
        if job is None or job.cancelled:
            job = Job(key)
            job.future = Future()
            _JOBS[key] = job
            _start(job, index, design, ev, warm or [])
        _JOBS.move_to_end(key)
        done = [k for k, j in _JOBS.items() if j.future.done()]
        for k in done[: max(0, len(_JOBS) - KEEP)]:
            del _JOBS[k]
    return job


def cancel(key: Key) -> None:
    """Stop the work for `key` at its next step (a finished job is kept)."""
    with _LOCK:
        job = _JOBS.get(key)
    if job is not None and not job.future.done():
        job.cancel.set()


def cancel_other(index: Index, design: Design | None) -> None:
    """Cancel the work this session waited on if it is for another design: called as
    soon as the controls are read, so stale what-ifs stop before the new score is
    worked out rather than competing with it for the cores."""
    previous = st.session_state.get(K.ADVICE_KEY)
    if design is not None and previous is not None and previous != key_of(index, design):
        cancel(previous)


def _cancel_clicked(key: Key) -> None:
    cancel(key)
    st.session_state[K.ADVICE_CANCELLED] = key


def _retry_clicked() -> None:
    st.session_state.pop(K.ADVICE_CANCELLED, None)


def known(index: Index, design: Design, a: Assessment) -> Assessment:
    """`a` with its factors, what-ifs and utility if they are already worked out, else
    `a` (the panels below the score take this)."""
    with _LOCK:
        job = _JOBS.get(key_of(index, design))
    if job is None or not job.future.done() or job.future.exception() is not None:
        return a
    return assessment_.with_advice(a, *job.future.result())


def complete(slot, index: Index, design: Design, a: Assessment) -> Assessment:
    """Fill `slot` with the factor chart and the what-ifs, waiting for them with a
    progress bar and a Cancel button. Call it last on the page: everything above is
    already drawn (the panels below the score show the complete assessment from the
    next run on, see `known`). Returns `a` completed (or `a` itself if cancelled)."""
    ss = st.session_state
    key = key_of(index, design)
    previous = ss.get(K.ADVICE_KEY)
    if previous is not None and previous != key:
        cancel(previous)  # the design changed: its what-ifs are no longer wanted
    ss[K.ADVICE_KEY] = key
    with slot:
        if ss.get(K.ADVICE_CANCELLED) == key:
            _cancelled_note()
            return a
        job = job_for(index, design, compute.evaluation(index, design), likely_units(design))
        if not job.future.done():
            _wait(job)
        try:
            worked_out = job.future.result()
        except Cancelled:
            _cancelled_note()
            return a
        full = assessment_.with_advice(a, *worked_out)
        st.altair_chart(viz.factor_chart(full), width="stretch")
        score.what_ifs(index, design, full)
    return full


def _wait(job: Job) -> None:
    box = st.empty()
    with box.container():
        bar = st.progress(0.0, text="Working out what moves the score...")
        st.button(
            "Cancel",
            key=K.ADVICE_CANCEL,
            on_click=_cancel_clicked,
            args=(job.key,),
            help="Stop working out factors and what-ifs for this design (the score "
            "and the map are complete).",
        )
    while not job.future.done():
        total = max(job.total, 1)
        bar.progress(
            min(job.done / total, 1.0),
            text=f"Working out what moves the score: {job.done} of {job.total or '?'} "
            f"other designs (now: {markdown_text(job.label, inline=True)})",
        )
        time.sleep(POLL_S)
    box.empty()


def _cancelled_note() -> None:
    st.info("Factors and what-ifs were cancelled for this design.")
    st.button(
        "Work out factors and what-ifs",
        key=K.ADVICE_RETRY,
        on_click=_retry_clicked,
    )
