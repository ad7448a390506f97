"""The identifiability score beside the map: the headline with its change from the
previous design, the verdict in words and colour, what drives it, what would lower it
(one click applies a what-if), and the findings and assumptions a reviewer reads."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crimedash import viz
from crimedash.design import Design
from crimedash.index import Index
from crimedash.risk import ATTACKER_LABELS, Assessment
from crimedash.textsafe import markdown_text
from crimedash.ui import compute, fields
from crimedash.ui import state as K

__all__ = [
    "CERTAIN_LABEL",
    "METRIC_LABEL",
    "VERDICT_WORDS",
    "apply",
    "attack_view",
    "details",
    "headline",
    "panel",
    "track",
    "verdict_html",
    "what_ifs",
]

# verdict -> (streamlit colour name, words)
VERDICT_WORDS = {
    "green": ("green", "Green: low risk. Publish with a clear explanation of the map (¶23)."),
    "amber": (
        "orange",
        "Amber: some incidents could be linked. A reviewer must weigh this against the "
        "public interest (¶14, ¶18).",
    ),
    "red": (
        "red",
        "Red: likely to identify victims or households. Change the design before "
        "publishing (¶21, ¶34).",
    ),
}
METRIC_LABEL = "Identifiability score"


def track(design: Design, score: float) -> float | None:
    """Remember the score shown for each new design; return the change from the one
    shown before it (None the first time)."""
    ss = st.session_state
    now = (design.to_json(), score)
    cur = ss.get(K.CURRENT)
    if cur is not None and cur[0] != now[0]:
        ss[K.PREVIOUS] = cur
    ss[K.CURRENT] = now
    prev = ss.get(K.PREVIOUS)
    # the change between the two scores as shown (one decimal), so the numbers add up
    return None if prev is None else round(score, 1) - round(prev[1], 1)


def headline(a: Assessment, delta: float | None, label: str = METRIC_LABEL) -> None:
    """The metric and the verdict, in words and colour."""
    st.metric(
        label,
        f"{a.score:.1f}",
        delta=None if delta is None else f"{delta:+.1f} vs previous design",
        delta_color="inverse",  # a higher score is worse
        help=a.sentence,
    )
    _, words = VERDICT_WORDS[a.verdict]
    st.markdown(verdict_html(a.verdict, words), unsafe_allow_html=True)


def verdict_html(verdict: str, words: str) -> str:
    """The verdict as a badge in colours that pass WCAG AA (white on the verdict's
    colour), with its words in the page's own text colour: readable on a projector."""
    bg = viz.VERDICT_COLOURS[verdict]
    return (
        f"<span class='cd-verdict' style='background:{bg};color:#fff;font-weight:700;"
        f"padding:0.1em 0.5em;border-radius:0.3em;margin-right:0.4em'>{verdict.upper()}</span>"
        f"<span class='cd-verdict-words'>{words}</span>"
    )


def apply(design: Design, index: Index) -> None:
    """Callback of a what-if button or a design file: put the design in the controls."""
    fields.seed(design, index)


CERTAIN_LABEL = "Certain disclosures (simulated attack)"


def attack_view(a: Assessment) -> None:
    """The simulated attack beside the score: the share of incidents at homes whose crime
    group a neighbour can prove from the layer, and the sentences a reviewer reads."""
    if not a.attack:
        return
    st.metric(
        CERTAIN_LABEL,
        f"{a.certain_share:.1%}",
        help="Sensitivity-weighted share of incidents at homes whose crime group a "
        "neighbour who saw the police call can prove from the published layer alone "
        f"(green needs it below {a.design.certain_line:.0%}).",
    )
    if a.red_gate:
        st.caption(f":red[Red although the score is under the red line: {a.red_gate}.]")
    # an amber gate holds a green score at amber; under a red verdict it holds nothing,
    # but the reviewer still reads what crosses each line
    held = "Held at amber" if a.verdict == "amber" else "Also over an amber line"
    for gate in a.gates:
        st.caption(f":orange[{held}: {gate}.]")
    with st.expander("What an attacker gets from this map", expanded=False):
        st.markdown("\n".join(f"- {s}" for s in a.attack.get("sentences", [])))


def panel(index: Index, design: Design, a: Assessment, delta: float | None) -> None:
    headline(a, delta)
    attack_view(a)
    st.caption(a.sentence)
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Published incidents",
        f"{a.published_incidents:,}",
        help=f"of {a.incidents:,} loaded; {a.shown_incidents:,} in shown groups and units",
    )
    c2.metric(
        "Expected linkable",
        f"{a.linkable_incidents:,.0f}",
        help="Sum over published incidents of each one's chance of being linked.",
    )
    c3.metric(
        "Above the high-risk line",
        f"{a.high_risk_share:.1%}",
        help=f"Share of published incidents with a chance of at least {design.high_risk_line:g}.",
    )
    wc = a.worst_case
    if wc.get("unit"):
        units = compute.evaluation(index, design).layer.units
        place = viz.unit_place(index, units, wc["unit"])
        st.caption(
            f"Worst case: an incident of {wc['group']} {place} ({wc['window']}, "
            f"{viz.households_words(wc['households'])}, "
            f"{fields.LOCATION_WORDS.get(wc['location_type'], wc['location_type']).lower()}): "
            f"chance {wc['r']:.2f}, "
            f"mostly from the {ATTACKER_LABELS[wc['main_attacker']].split(' (')[0].lower()}."
        )
    st.altair_chart(viz.attacker_chart(a), width="stretch")
    # the factor chart and the what-ifs come after, from ui.background (score first)


def what_ifs(index: Index, design: Design, a: Assessment) -> None:
    st.markdown("**What would lower it** (one click applies the change)")
    if not a.what_ifs:
        st.caption("No single change lowers the score further.")
    for i, w in enumerate(a.what_ifs):
        # keep what the what-if does not change (the seed is not in its public design)
        new = Design.from_dict({**design.to_dict(), **w["design"]})
        c1, c2 = st.columns([3, 1], vertical_alignment="center")
        c1.markdown(
            f"{markdown_text(w['label'], inline=True)}: **{w['score']:.1f}** "
            f"({w['delta']:+.1f})  \n:gray[cost: {markdown_text(w['cost_text'], inline=True)}]"
        )
        c2.button(
            "Apply",
            key=f"{K.WHAT_IF_PREFIX}{i}",
            on_click=apply,
            args=(new, index),
            help=f"Change the design: {w['label']}",
        )


def details(a: Assessment) -> None:
    """The matrix, the riskiest units, findings and assumptions (below the map)."""
    c1, c2 = st.columns([2, 3])
    with c1:
        st.altair_chart(viz.matrix_chart(a), width="content")
    with c2:
        st.markdown("**Units that drive the score**")
        drivers = a.drivers.copy()
        if not drivers.empty:
            drivers["main_attacker"] = drivers["main_attacker"].map(
                lambda k: ATTACKER_LABELS[k].split(" (")[0]
            )
        st.dataframe(drivers, hide_index=True, width="stretch", height=260)
    st.markdown("**Findings**")
    # findings name groups and areas from the data or a shared link: shown as text
    st.markdown("\n".join(f"- {markdown_text(f, inline=True)}" for f in a.findings))
    if a.assumptions:
        st.markdown("**Assumptions**")
        for text in a.assumptions:
            st.warning(text)
    if a.utility:
        st.markdown("**What the map still tells the public**")
        u = a.utility
        st.dataframe(
            pd.DataFrame(
                {
                    "measure": [
                        "Share of incidents published",
                        "Median unit area (km²)",
                        "Count error from rounding or noise",
                        "Hot spots kept",
                    ],
                    "value": [
                        f"{u['share_published']:.1%}",
                        f"{u['median_unit_km2']:.3f}",
                        f"{u['count_error']:.1%}",
                        f"{u['hotspots_kept']:.0%}",
                    ],
                }
            ),
            hide_index=True,
        )
