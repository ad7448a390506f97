"""The Publication tab: the series as an attacker holds it.

A force publishes a series, not one map (ICO guidance ¶34): this tab shows, for the
design on the left, the releases of its series already approved in the design log, the
plan they make with it, what an attacker holding all of it can prove (one score and
verdict for the plan, from `crimedash.planrisk`) and the privacy budget spent, with a
warning before it is exceeded. The numbers come from the core; this module only lays
them out. Reading the whole series rebuilds every product, so it runs on a button, not
on every rerun of the page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crimedash.approval import data_fingerprint
from crimedash.dataset import Dataset
from crimedash.design import Design
from crimedash.errors import CrimedashError
from crimedash.plan import Plan, budget, from_police_uk, series_approvals, series_plan

__all__ = [
    "READ",
    "RESULT",
    "SERIES",
    "WIDGETS",
    "page",
]

SERIES = "pub_series"
READ = "pub_read"
RESULT = "pub_result"
WIDGETS = (SERIES, READ)  # a click on one is a change, not Back (page.widgets_moved)


def _log():
    from crimedash.designlog import DesignLog
    from crimedash.ui.data import session_log_path

    try:
        return DesignLog(session_log_path())
    except CrimedashError as exc:
        st.warning(f"The design log cannot be opened, so no past release is shown: {exc}")
        return None


def _series_names(records: list, default: str) -> list[str]:
    """Series with an approved export in the log, the data's own series first."""
    names = {
        str(ap.approval["series"])
        for _, ap in series_approvals(records)
        if ap.approval.get("series")
    }
    return [default, *sorted(names - {default})]


def _releases(records: list, series: str) -> pd.DataFrame:
    rows = [
        {
            "approved": ap.created_at[:16].replace("T", " "),
            "design": rec.fingerprint,
            "units": rec.design.granularity,
            "window": rec.design.window_level,
            "counts": rec.design.counts,
            "min count": rec.design.min_count,
            "verdict": rec.verdict,
            "reviewer": ap.reviewer,
        }
        for rec, ap in series_approvals(records, series)
    ]
    return pd.DataFrame(rows).sort_values("approved") if rows else pd.DataFrame(rows)


def page(data: Dataset, design: Design) -> None:
    ss = st.session_state
    st.subheader("Publication: the series as an attacker holds it")
    st.caption(
        "Every approved export of a series stays public, and an attacker reads each new "
        "release with all of them (¶34). The plan is this design plus everything the series "
        "already published."
    )
    log = _log()
    records = log.list() if log is not None else []  # read once per run of the page
    default = f"data:{data_fingerprint(data)}"
    names = _series_names(records, default)
    series = st.selectbox(
        "Series",
        names,
        key=SERIES,
        format_func=lambda s: "these input files (default)" if s == default else s,
        help="Exports name their series on the Export tab's approval; by default the "
        "series is the input files.",
    )
    past = _releases(records, series)
    st.markdown(f"**Past releases** ({len(past)} approved in the design log)")
    if past.empty:
        st.caption("Nothing of this series is public yet: this would be its first release.")
    else:
        st.dataframe(past, hide_index=True, use_container_width=True)
    plan = Plan((design,), series, police_uk=from_police_uk(data.loaded.files))
    if plan.police_uk:
        st.caption(
            "These incidents came from police.uk files, so police.uk's own monthly "
            "publication (exact counts per snap point, month and crime type) is public too "
            "(¶36-37)"
            + (
                ": the plan is read with it and judged on what it proves beyond it."
                if plan.with_police_uk
                else "; this design's police_uk_baseline is off, so it is not read with it."
            )
        )
    if log is not None:
        plan = series_plan(plan, log)
    _budget(plan)
    st.markdown("**What an attacker holding all of it can prove**")
    key = (design, series, len(plan.products))
    if st.button("Read the whole series as an attacker", key=READ):
        from crimedash.planrisk import plan_risk

        with st.spinner("Rebuilding every product of the series and reading them together..."):
            ss[RESULT] = (key, plan_risk(data.index, plan))
    held = ss.get(RESULT)
    if held is None or held[0] != key:
        st.caption(
            "Press the button to score the plan: it rebuilds every product of the series "
            "from these files."
        )
        return
    risk = held[1]
    say = {"green": st.success, "amber": st.warning, "red": st.error}[risk.verdict]
    say(risk.sentence())
    if risk.police_uk is not None:
        st.write(risk.police_uk.sentence())
        c1, c2 = st.columns(2)
        c1.metric("Plan score beyond police.uk", f"{risk.police_uk.score_beyond:.0f}")
        c2.metric("Plan score with police.uk", f"{risk.police_uk.score_with:.0f}")
    st.write(risk.differencing.sentence())
    for note in risk.differencing.notes:
        st.caption(note)
    st.dataframe(pd.DataFrame(risk.products), hide_index=True, use_container_width=True)


def _budget(plan: Plan) -> None:
    """The noise budget spent over the plan, warned before it is exceeded."""
    spend = budget(plan)
    st.markdown("**Privacy budget**")
    if not spend.noisy:
        st.caption(spend.sentence())
        return
    if spend.spent != float("inf"):
        st.progress(
            min(spend.spent / spend.limit, 1.0), text=f"epsilon {spend.spent:g} of {spend.limit:g}"
        )
    # a warning, not an error: the design is still valid to explore (the page keeps
    # st.error for designs it cannot show); the export is where it is refused
    if spend.exceeded:
        st.warning(spend.sentence() + " The export will refuse this release.")
    elif spend.spent == float("inf") or spend.warn:
        st.warning(spend.sentence())
    else:
        st.caption(spend.sentence())
