"""`crimedash assess` and `crimedash attack`: score a design, and attack its public layer."""

from __future__ import annotations

import argparse
import json

from crimedash.commands.options import (
    add_data_arguments,
    add_design_arguments,
    add_plan_arguments,
    also_from_args,
    dataset_from_args,
    design_from_args,
)
from crimedash.commands.registry import register
from crimedash.design import Design
from crimedash.textsafe import terminal_text

__all__ = ["cmd_assess", "cmd_attack", "render_assessment"]


# --- assess -----------------------------------------------------------------------------
def _configure_assess(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    add_design_arguments(p)
    add_plan_arguments(p)
    p.add_argument("--json", action="store_true", help="print the assessment as JSON")
    p.add_argument("--no-what-ifs", action="store_true", help="skip factors and what-ifs")


@register("assess", "Score a map design's identifiability on a data set.", _configure_assess)
def cmd_assess(args: argparse.Namespace) -> int:
    from crimedash import advice
    from crimedash.assessment import advise_lean, assess, with_advice
    from crimedash.plan import Plan, budget, from_police_uk

    design = design_from_args(args)
    spend = budget(Plan((design, *also_from_args(args))))
    from crimedash.risk import evaluate

    ds = dataset_from_args(args, quiet=args.json)
    ev = evaluate(ds.index, design)  # the map's, reused by the plan below
    a = assess(ds.index, design, with_what_ifs=False, rejected_rows=ds.rejected_rows, evaluation=ev)
    # the advice reads a few numbers of the design and the plan its layer, so the
    # evaluation's per-atom arrays go before the other designs are scored (as export
    # does: issue 16, at 60M rows they were held through every alternative)
    base = advice.scored(ds.index, ev, a.utility)
    layer = ev.layer
    del ev
    if spend.noisy:
        a.findings.insert(0, spend.sentence())
    together = None
    police_uk = from_police_uk(ds.loaded.files)
    if args.also or (police_uk and design.police_uk_baseline):
        from crimedash.planrisk import plan_risk

        plan = plan_risk(
            ds.index,
            Plan((design, *also_from_args(args)), police_uk=police_uk),
            {design: layer},
            {design: (a.score, a.verdict)},
        )
        together = plan.differencing
        if plan.police_uk is not None:
            a.findings.insert(0, plan.police_uk.sentence())
        if args.also:
            a.findings.insert(0, together.sentence())
        a.findings.insert(0, plan.sentence())
    del layer
    if not args.no_what_ifs:
        a = with_advice(a, *advise_lean(ds.index, design, base))
    if args.json:
        out = a.to_dict()
        out["budget"] = spend.to_dict()
        out["differencing"] = together.to_dict() if together else None
        out["plan"] = plan.to_dict() if together else None
        out.update(ds.input_summary())  # every input's rejected rows, by input and reason
        out["data_precision"] = str(ds.index.data_precision)
        out["inputs"] = ds.inputs
        print(json.dumps(out, indent=2, default=str))
        return 0
    print(
        render_assessment(
            a,
            rejected_rows=ds.rejected_rows,
            rejected_by_input=ds.input_summary()["rejected_by_input"],
        )
    )
    if ds.findings:  # what the loaders noticed about the inputs, from data: escaped
        print("\nInput findings:\n" + "\n".join(f"  - {terminal_text(f)}" for f in ds.findings))
    return 0


def render_assessment(
    a, *, rejected_rows: int = 0, rejected_by_input: dict[str, int] | None = None
) -> str:
    """The assessment as text for people (the CLI's default output)."""
    from crimedash.risk import ATTACKER_LABELS

    d = a.design
    lines = [
        f"Identifiability score: {a.score:.0f}/100  ({a.verdict.upper()})",
        f"  {a.sentence}",
        "",
        f"Design: {d.spatial.describe()}, updated {d.frequency}, times to the "
        f"{d.time_precision}, {d.counts} counts"
        + (f" (suppressed under {d.min_count})" if d.min_count else "")
        + f", references {d.references}",
        f"Incidents: {a.incidents:,} loaded ({rejected_rows:,} rows rejected"
        + "".join(f", {n:,} of {k}" for k, n in (rejected_by_input or {}).items() if n)
        + "), "
        f"{a.shown_incidents:,} in shown groups, {a.published_incidents:,} published",
        f"Expected linkable incidents: {a.linkable_incidents:,.1f}; "
        f"high-risk share {a.high_risk_share:.1%}; worst case r={a.worst_case.get('r', 0):.2f}"
        + (
            f" ({a.worst_case['group']} in {a.worst_case['unit']}, {a.worst_case['window']})"
            if "unit" in a.worst_case
            else ""
        ),
        "",
        "Attackers:",
    ]
    lines += [f"  {ATTACKER_LABELS[k]:<45} {v:5.1f}" for k, v in a.attackers.items()]
    if a.factors:
        lines += ["", "Factors (the score with each at its most revealing setting):"]
        lines += [f"  {f['label']:<40} {f['text']}" for f in a.factors]
    if a.what_ifs:
        lines += ["", "What would lower it:"]
        lines += [f"  {w['label']:<55} -> {w['score']:.0f}  ({w['cost_text']})" for w in a.what_ifs]
    lines += ["", "Findings:"] + [f"  - {f}" for f in a.findings]
    if a.assumptions:
        lines += ["", "Assumptions and notes:"] + [f"  - {x}" for x in a.assumptions]
    # group names, area codes and categories come from the data or a design file
    return "\n".join(terminal_text(line) for line in lines)


# --- attack -----------------------------------------------------------------------------
def _configure_attack(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    add_design_arguments(p)
    p.add_argument(
        "--partial",
        action="store_true",
        help="the data is not all recorded crime (a one-category extract, say): the "
        "neighbour's denominator comes from the attendance rate (--no-all-recorded-crime)",
    )
    add_plan_arguments(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--ladder",
        action="store_true",
        help="ignore the design options: score and attack the agreement ladder of designs "
        "and print the table docs/identifiability.md quotes",
    )


@register(
    "attack",
    "Attack a design's public layer as exported: what a register linker and a neighbour get.",
    _configure_attack,
)
def cmd_attack(args: argparse.Namespace) -> int:
    from crimedash.risk import evaluate, red_reason, verdict

    ds = dataset_from_args(args, quiet=args.json)
    if args.ladder:
        from crimedash.ladder import agreement, agreement_markdown

        rows = agreement(ds.index)
        print(json.dumps(rows, indent=2) if args.json else agreement_markdown(rows), end="")
        return 0
    design = design_from_args(args)
    if args.partial:
        design = Design.from_dict({**design.to_dict(), "all_recorded_crime": False})
    ev = evaluate(ds.index, design)
    result = ev.attack
    together = spend = None
    from crimedash.plan import Plan, budget, from_police_uk

    police_uk = from_police_uk(ds.loaded.files)
    # the release plan: the other products, and police.uk's own publication when the
    # data is police.uk's, are read with this one (¶34, ¶36-37)
    if args.also or (police_uk and design.police_uk_baseline):
        from crimedash.planrisk import plan_risk

        also = also_from_args(args)
        spend = budget(Plan((design, *also)))
        plan = plan_risk(
            ds.index,
            Plan((design, *also), police_uk=police_uk),
            {design: ev.layer},
            {design: (float(ev.score), verdict(ev))},
        )
        together = plan.differencing
    if args.json:
        out = result.to_dict()
        if together is not None:
            out["differencing"] = together.to_dict()
            out["budget"] = spend.to_dict()
            out["plan"] = plan.to_dict()
        out["score"] = round(ev.score, 2)
        out["verdict"] = verdict(ev)
        out["red_gate"] = red_reason(ev)
        out["design"] = design.to_dict(public=True)
        print(json.dumps(out, indent=2))
        return 0
    print(
        f"Identifiability score {ev.score:.1f} ({verdict(ev).upper()}) beside the attack: "
        f"certain disclosures {result.certain_share_weighted:.1%} (sensitivity-weighted)"
    )
    if why := red_reason(ev):
        print(f"Red although the score is under the red line: {why}.")
    print(f"Design: {design.spatial.describe()}, {design.frequency}, {design.counts} counts")
    print()
    for sentence in result.sentences:
        print(f"- {sentence}")
    if together is not None:
        if args.also:
            print(f"- {together.sentence()}")
        if plan.police_uk is not None:
            print(f"- {terminal_text(plan.police_uk.sentence())}")
        print(f"- {plan.sentence()}")
        if spend.noisy:
            print(f"- {spend.sentence()}")
    print()
    print(f"  {'group':<32} {'at homes':>9} {'certain':>8} {'Bayes':>7} {'<=10 hh':>8}")
    for row in result.by_group:
        print(
            f"  {row['name']:<32} {row['homes']:>9,} {row['certain']:>8,} {row['bayes']:>7,} "
            f"{row['register_10']:>8,}"
        )
    for k in sorted(result.register):
        print(
            f"Register linker, units of at most {k} households: {result.register[k]:,} "
            f"({result.register_share(k):.1%})"
        )
    for note in result.notes:
        print(f"Note: {note}")
    return 0
