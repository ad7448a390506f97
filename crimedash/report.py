"""The review report: a privacy impact assessment of one approved design (¶18), as a
self-contained HTML page and as Markdown with the same text.

The report is built once as a list of plain blocks (headings, paragraphs, tables,
figures) and then written out twice, so the two formats cannot drift apart. The HTML
opens offline: CSS is inline and the pictures (the map and the charts from
`crimedash.viz`, rendered by vl-convert) are embedded as base64 PNG, so nothing is
fetched from a CDN or a tile server. This module says what the report says; the blocks
and their two formats are `crimedash.reportformat`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crimedash.categories import label
from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.reportformat import (
    Block,
    Bullets,
    Figure,
    Heading,
    Para,
    Rendered,
    SignOff,
    Table,
    to_html,
    to_markdown,
)
from crimedash.risk import ATTACKER_LABELS, Assessment
from crimedash.settings import SETTINGS

__all__ = [
    "ATTACKER_WHY",
    "FIGURES",
    "MapSpec",
    "document",
    "make_map_spec",
    "render",
    "render_figures",
]

ATTACKER_WHY = {
    "register": "Holds the electoral register or an address list (¶10, ¶36): for an "
    "incident in a unit of H households, the chance of picking the right home is 1/H, "
    "counted less for a shop or a public place (¶26-28).",
    "neighbour": "Lives nearby and saw the police call (¶34, ¶38): what the map adds to "
    "the chance the visit was for the crime shown, beyond the area's usual mix of crime, "
    "from that crime's proven share of everything recorded in the unit in the same "
    "window; a proof counts in full, a nudge of the odds far less.",
    "reference": "Holds reference numbers with names, as insurers and councils do "
    "(¶24-25): a published number links straight to a person.",
}
FIGURES = {
    "map": "The latest release of the public layer, as the public will see it.",
    "attackers": "Each attacker's part of the score (0-100).",
    "factors": "Each choice's effect: the score with that choice at its most revealing "
    "setting (hollow) against the score as designed (filled).",
    "matrix": "Published incidents by likelihood of being linked and severity of harm.",
}


# --- pictures ----------------------------------------------------------------------------
# The map as a Vega-Lite spec (None when it could not be made) and the warnings saying why
MapSpec = tuple[str | None, list[str]]


def render_figures(
    index: Index | None,
    layer: PublicLayer | None,
    assessment: Assessment,
    *,
    map_spec: MapSpec | None = None,
) -> tuple[dict[str, bytes], list[str]]:
    """The map and the charts as PNG bytes. A picture that cannot be drawn is left out
    with a warning the report prints: the written assessment must not depend on it.
    `map_spec` is the map as `make_map_spec` made it earlier (then no layer is needed)."""
    from crimedash import viz

    spec, warnings = map_spec if map_spec is not None else make_map_spec(index, layer)
    warnings = list(warnings)
    makers = {
        "map": (lambda: spec) if spec is not None else None,
        "attackers": lambda: viz.attacker_chart(assessment).to_json(),
        "factors": lambda: viz.factor_chart(assessment).to_json(),
        "matrix": lambda: viz.matrix_chart(assessment).to_json(),
    }
    out: dict[str, bytes] = {}
    for key, make in makers.items():
        if make is None or (key == "factors" and not assessment.factors):
            continue
        _draw(key, make, out, warnings)
    return out, warnings


def make_map_spec(index: Index, layer: PublicLayer) -> MapSpec:
    """The report's map as a Vega-Lite spec (the cells of one release and their units'
    shapes), drawn to PNG later by `render`. Made as soon as the public files are, the
    layer can then be let go before the advice evaluates other designs (`export_bundle`:
    at 60M rows the layer's atoms are gigabytes); drawing is left to the end, since the
    drawing engine's memory stays with the process once started."""
    from crimedash import viz

    try:
        return viz.static_map_chart(index, layer).to_json(), []
    except Exception as exc:  # a picture is an aid; the text stands without it
        return None, [_not_drawn("map", exc)]


def _draw(key: str, make: Callable[[], str], out: dict[str, bytes], warnings: list[str]) -> None:
    import vl_convert as vlc

    try:
        out[key] = vlc.vegalite_to_png(make(), scale=2)
    except Exception as exc:  # a picture is an aid; the text stands without it
        warnings.append(_not_drawn(key, exc))


def _not_drawn(key: str, exc: Exception) -> str:
    return f"The {key} picture could not be drawn ({type(exc).__name__}: {exc})."


# --- the document -------------------------------------------------------------------------
def _pct(x: float) -> str:
    return f"{x:.0%}" if x >= 0.01 or x == 0 else f"{x:.1%}"


def _fmt(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        if not value:
            return "none"
        return ", ".join(
            "=".join(map(str, v)) if isinstance(v, list | tuple) else str(v) for v in value
        )
    return str(value)


def _release_plan(plan: dict[str, Any] | None) -> list[Block]:
    """What else the series publishes, and the privacy budget spent over all of it
    (¶34: an attacker keeps every release)."""
    if not plan:
        return []
    b = plan["budget"]
    rows = tuple(
        (
            p["product"],
            p["design"],
            "-" if p["epsilon"] is None else f"{p['epsilon']:g}",
            "no bound" if p["charged"] is None else f"{p['charged']:g}",
            p["why"],
        )
        for p in b["products"]
    )
    return [
        Heading("The series: everything published together"),
        Para(
            f"Series {plan['series']}: this release, the products published with it and "
            "every earlier approved release of the series in the design log. An attacker "
            "holds all of them."
        ),
        *_plan_risk(plan.get("risk")),
        Table(("Product", "Design", "Epsilon", "Charged", "Why"), rows),
        Para(b["sentence"], "note"),
        *([Para(plan["differencing"]["sentence"])] if plan.get("differencing") else []),
        *([Para(plan["revision"]["sentence"])] if plan.get("revision") else []),
        *([Para(plan["units_fixed"]["sentence"])] if plan.get("units_fixed") else []),
    ]


def _plan_risk(risk: dict[str, Any] | None) -> list[Block]:
    """The plan's one score and verdict, and each product's own, so a reviewer sees
    which product (or which combination) holds the verdict."""
    if not risk:
        return []
    rows = tuple(
        (p["product"], p["design"], p["granularity"], p["window"], f"{p['score']:.0f}",
         p["verdict"])
        for p in risk["products"]
    )  # fmt: skip
    puk = risk.get("police_uk")
    return [
        Para(risk["sentence"]),  # one banner per report: the design's own, at the top
        *([Para(puk["sentence"])] if puk else []),
        Table(("Product", "Design", "Units", "Window", "Score", "Verdict"), rows),
    ]


def _setting_value(name: str, value: Any) -> str:
    """A design setting for the reviewer: "all categories shown", not "none", when no
    category is left out (the design stores that as no list at all)."""
    if name == "categories":
        if value is None:
            return "all categories shown"
        return ", ".join(label(c) for c in value) or "no categories shown"
    return _fmt(value)


def document(manifest: dict[str, Any], figures: set[str], warnings: list[str]) -> list[Block]:
    """The report as blocks, from the manifest alone (so the report says exactly what
    the review record holds)."""
    a = manifest["assessment"]
    ap = manifest["approval"]
    design = manifest["design"]
    data = manifest["data"]
    pub = manifest["public_layer"]
    verdict = a["verdict"]
    n_fig = 0

    def figure(key: str) -> list[Block]:
        nonlocal n_fig
        if key not in figures:
            return []
        n_fig += 1
        return [Figure(key, n_fig, FIGURES[key])]

    blocks: list[Block] = [
        Heading("Privacy impact assessment: public crime map", 1),
        Para(
            f"Publisher: {ap['publisher']}. Design {manifest['design_fingerprint']}, data "
            f"{manifest['data_fingerprint']}. Exported {manifest['exported_at']} with "
            f"crimedash {manifest['crimedash_version']}.",
            "lead",
        ),
        Para(
            f"Verdict: {verdict.upper()}, identifiability score {a['score']:.0f} out of 100. "
            f"Decision: {'approved' if ap['decision'] == 'approve' else 'rejected'} by "
            f"{ap['reviewer']}" + (f" ({ap['role']})" if ap["role"] else "") + ".",
            verdict,
        ),
        Para(a["sentence"]),
        Heading("Summary"),
        Table(
            ("Measure", "Value"),
            (
                ("Identifiability score", f"{a['score']:.1f} / 100 ({verdict})"),
                (
                    "Verdict thresholds",
                    f"green below {design['green_below']:g}, red from {design['red_from']:g}",
                ),
                ("Incidents loaded", f"{a['incidents']:,}"),
                ("Incidents published", f"{a['published_incidents']:,}"),
                (
                    "Certain disclosures (simulated attack, sensitivity-weighted)",
                    _pct(a.get("certain_share_weighted", 0.0)),
                ),
                ("Expected linkable incidents", f"{a['linkable_incidents']:,.1f}"),
                (
                    f"Share at or above the high-risk line ({design['high_risk_line']:g})",
                    _pct(a["high_risk_share"]),
                ),
                ("Worst case", _worst(a["worst_case"])),
                ("Public table rows", f"{pub['rows']:,} in {pub['units']:,} units"),
            ),
        ),
        Heading("What the map shows (¶22-23)"),
        Para(manifest["explanation"]),
        *figure("map"),
        Heading("The data"),
        Para(
            f"{data['incidents']:,} incidents indexed; the data gives times to the "
            f"{data['data_time_precision']}. {data['rejected_rows']:,} input rows were "
            f"rejected on loading and are not on the map"
            + _by_input(data.get("rejected_by_input", {}))
            + (
                " (" + ", ".join(f"{k}: {v:,}" for k, v in data["rejected_by_reason"].items()) + ")"
                if data["rejected_by_reason"]
                else ""
            )
            + ". Households layer: "
            + ("loaded" if data["households_loaded"] else "not loaded (assumed density)")
            + ". Area layers: "
            + (", ".join(data["area_layers"]) or "none")
            + "."
        ),
        *(
            [Para("What the loaders noticed:"), Bullets(tuple(data["input_findings"]))]
            if data.get("input_findings")
            else []
        ),
        Table(
            ("Role", "File", "Rows", "SHA-256 (first 16)"),
            tuple(
                (i["role"], i["file"], f"{i['rows']:,}", i["sha256"][:16])
                for i in manifest["inputs"]
            ),
        ),
        Para("Full hashes are in manifest.json; the export refuses files that differ.", "note"),
    ]
    if a["assumptions"]:
        blocks += [Heading("Assumptions", 3), Bullets(tuple(a["assumptions"]))]
    attack = a.get("attack") or {}
    if attack.get("sentences"):
        blocks += [
            Heading("What an attacker gets (simulated on the published layer)", 3),
            Bullets(
                tuple(attack["sentences"])
                + ((f"Red: {a['red_gate']}.",) if a.get("red_gate") else ())
                + tuple(a.get("gates", ()))
            ),
        ]

    blocks += [
        Heading("The design"),
        Table(
            ("Setting", "Value", "Why it matters"),
            tuple(
                (s.name, _setting_value(s.name, design.get(s.name)), s.help)
                for s in SETTINGS
                if s.name != "noise_seed"
            ),
            key_column=True,
        ),
        Para("The noise seed is kept in manifest.json for review and never published.", "note"),
        *_release_plan(manifest.get("release_plan")),
        Heading("Who could identify someone: the attackers"),
        Table(
            ("Attacker", "Part of the score", "How they would do it"),
            tuple(
                (ATTACKER_LABELS[k], f"{v:.1f}", ATTACKER_WHY.get(k, ""))
                for k, v in a["attackers"].items()
            ),
        ),
        *figure("attackers"),
        Heading("What drives the score: factors"),
    ]
    if a["factors"]:
        blocks += [
            Table(
                ("Factor", "Effect", "Change in points"),
                tuple((f["label"], f["text"], f"{f['effect']:+.1f}") for f in a["factors"]),
            ),
            *figure("factors"),
        ]
    else:
        blocks.append(Para("Factors were not computed for this assessment.", "note"))

    matrix = a["matrix"]
    high = sum(m["incidents"] for m in matrix if m["risk"] == "high")
    blocks += [
        Heading("Likelihood x severity"),
        Para(
            f"Each published incident is placed by its chance of being linked (likelihood: "
            f"remote below 5%, possible below 30%, probable above) and the sensitivity of "
            f"its crime (severity, ¶20). {high:,} published incidents fall in high-risk cells."
        ),
        *figure("matrix"),
        Table(
            ("Likelihood", "Severity", "Published incidents", "Risk"),
            tuple(
                (m["likelihood"], m["severity"], f"{m['incidents']:,}", m["risk"]) for m in matrix
            ),
        ),
    ]
    if a["drivers"]:
        blocks += [
            Heading("Units that drive the score", 3),
            Table(
                ("Unit", "Share of score", "Households", "Incidents", "Top group", "Main attacker"),
                tuple(
                    (
                        str(d["unit"]),
                        _pct(d["contribution"]),
                        f"{d['households']:,.0f}",
                        f"{d['incidents']:,}",
                        d["top_group"],
                        d["main_attacker"],
                    )
                    for d in a["drivers"]
                ),
            ),
        ]
    blocks += [Heading("Findings"), Bullets(tuple(a["findings"]))]
    blocks.append(Heading("What-ifs considered"))
    if a["what_ifs"]:
        blocks += [
            Para(
                "The single changes that would lower the score most, with what each costs "
                "the public in detail. The reviewer weighed these before deciding."
            ),
            Table(
                ("Change", "Score", "Change in points", "Cost"),
                tuple(
                    (w["label"], f"{w['score']:.0f}", f"{w['delta']:+.1f}", w["cost_text"])
                    for w in a["what_ifs"]
                ),
            ),
        ]
    else:
        blocks.append(Para("No single change lowers the score further.", "note"))
    u = a.get("utility", {})
    if u:
        blocks += [
            Heading("What the public keeps", 3),
            Table(
                ("Measure", "Value"),
                (
                    ("Share of incidents published", _pct(u.get("share_published", 0.0))),
                    ("Median unit area", f"{u.get('median_unit_km2', 0.0):.3g} km²"),
                    ("Count error from rounding, bands or noise", _pct(u.get("count_error", 0.0))),
                    ("Hot spots kept", _pct(u.get("hotspots_kept", 0.0))),
                ),
            ),
        ]
    blocks += [
        Heading("Approval"),
        Table(
            ("Item", "Value"),
            (
                ("Decision", ap["decision"]),
                ("Reviewer", ap["reviewer"]),
                ("Role", ap["role"] or "not given"),
                ("Rationale", ap["rationale"] or "not given"),
                (
                    "Justification (needed when the verdict is not green)",
                    ap["justification"] or ("not needed" if verdict == "green" else "missing"),
                ),
                ("Publisher named on the map (¶46)", ap["publisher"]),
                ("Contact for complaints and removal requests (¶46)", ap["contact"]),
                ("Next review (¶14-15, ¶41)", ap["next_review"]),
            ),
        ),
        Heading("Public files", 3),
        Para("Publish only the public/ folder. Each file's SHA-256 lets anyone check it.", "note"),
        Table(
            ("File", "Rows", "SHA-256"),
            tuple(
                (f["path"], "" if f["rows"] is None else f"{f['rows']:,}", f["sha256"])
                for f in manifest["public_files"]
            ),
            key_column=True,
        ),
    ]
    if warnings:
        blocks += [Heading("Report warnings", 3), Bullets(tuple(warnings))]
    blocks += [
        Heading("Sign-off"),
        Para(
            "I have read this assessment, considered the what-ifs above, and approve "
            "publication of the public files listed, until the next review date."
        ),
        SignOff(
            (
                ("Reviewer", ap["reviewer"] + (f", {ap['role']}" if ap["role"] else "")),
                ("Data protection officer", ""),
            )
        ),
    ]
    return blocks


def _by_input(counts: dict[str, int]) -> str:
    """' (incidents 3, households 10)': which inputs the rejected rows came from."""
    parts = [f"{role} {n:,}" for role, n in counts.items() if n]
    return f" ({', '.join(parts)}; see rejected_rows.csv)" if parts else ""


def _worst(w: dict[str, Any]) -> str:
    if "unit" not in w:
        return "no incident is published"
    return (
        f"chance {w['r']:.0%}: {w['group']} in unit {w['unit']} ({w['households']:,.0f} "
        f"households), {w['window']}, place type {w['location_type'].replace('_', ' ')}, "
        f"mainly the {w['main_attacker']} attacker"
    )


def render(
    index: Index | None,
    layer: PublicLayer | None,
    assessment: Assessment,
    manifest: dict[str, Any],
    *,
    map_spec: MapSpec | None = None,
) -> Rendered:
    """The report in both formats, with the pictures drawn from the engine's results
    (the map from `index` and `layer`, or from the spec `make_map_spec` made)."""
    figures, warnings = render_figures(index, layer, assessment, map_spec=map_spec)
    blocks = document(manifest, set(figures), warnings)
    title = f"Privacy impact assessment: {manifest['approval']['publisher']} crime map"
    return Rendered(to_markdown(blocks), to_html(blocks, figures, title), tuple(warnings))
