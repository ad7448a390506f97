"""CLI subcommands: each parses its arguments, calls the core, and prints the answer.

Each subcommand is a function `cmd_NAME(args) -> int` registered in `COMMANDS` with the
function that adds its arguments; `crimedash.cli` builds the parser from `COMMANDS`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from crimedash.design import (
    COUNT_MODES,
    FREQUENCIES,
    REFERENCE_MODES,
    SETTINGS_BY_NAME,
    TIME_PRECISIONS,
    Design,
)
from crimedash.textsafe import terminal_text

__all__ = [
    "COMMANDS",
    "Configure",
    "Handler",
    "add_data_arguments",
    "add_design_arguments",
    "add_plan_arguments",
    "add_progress_argument",
    "also_from_args",
    "app_script",
    "cmd_app",
    "cmd_assess",
    "cmd_attack",
    "cmd_designs",
    "cmd_export",
    "cmd_load",
    "cmd_sample",
    "cmd_store",
    "dataset_from_args",
    "design_from_args",
    "register",
    "render_assessment",
    "render_load_summary",
    "show_progress",
]

Handler = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]

# name -> (help, configure, handler); filled in by the register() calls below.
COMMANDS: dict[str, tuple[str, Configure, Handler]] = {}


def register(name: str, help: str, configure: Configure) -> Callable[[Handler], Handler]:
    """Add a subcommand to COMMANDS (used as a decorator on its handler)."""

    def deco(fn: Handler) -> Handler:
        COMMANDS[name] = (help, configure, fn)
        return fn

    return deco


# --- shared by assess and export: the design as options ---------------------------------
def _help(name: str) -> str:
    """A setting's help from the settings table, with its default when it has one
    (an empty tuple or None is no default worth printing: "(default: ())" says nothing)."""
    s = SETTINGS_BY_NAME[name]
    if s.default is None or s.default == ():
        return s.help
    return f"{s.help} (default: {s.default})"


def add_progress_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show loading progress on stderr (default: only when stderr is a terminal)",
    )


def show_progress(args: argparse.Namespace) -> bool:
    """Progress lines are for a person watching: on a terminal, or when asked; never
    mixed into a log file or a pipe unless --progress says so."""
    asked = getattr(args, "progress", None)
    return sys.stderr.isatty() if asked is None else asked


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    """Incidents and context layers, as every data-taking subcommand reads them."""
    add_progress_argument(p)
    p.add_argument("incidents", nargs="+", help="incident files, folders or police.uk zips")
    p.add_argument("--households", help="households: address points or polygons")
    p.add_argument(
        "--areas",
        action="append",
        default=[],
        help="an areas layer (output areas, beats...); repeat for several",
    )


def add_design_arguments(p: argparse.ArgumentParser) -> None:
    """Every design setting as an option; help comes from the one settings table."""
    g = p.add_argument_group("design")
    g.add_argument("--design", help="a design JSON file; options below override it")
    g.add_argument("--granularity", help=_help("granularity"))
    g.add_argument("--categories", nargs="+", help=_help("categories"))
    g.add_argument("--hide", nargs="+", dest="hidden_groups", help=_help("hidden_groups"))
    g.add_argument("--frequency", choices=FREQUENCIES, help=_help("frequency"))
    g.add_argument("--time-precision", choices=TIME_PRECISIONS, help=_help("time_precision"))
    g.add_argument(
        "--counts",
        choices=(*COUNT_MODES, "suppressed"),
        help=_help("counts") + "; 'suppressed' is exact counts with --min-count",
    )
    g.add_argument("--min-count", type=int, help=_help("min_count"))
    g.add_argument("--epsilon", type=float, help=_help("epsilon"))
    g.add_argument("--noise-seed", type=int, help=_help("noise_seed"))
    g.add_argument("--epsilon-budget", type=float, help=_help("epsilon_budget"))
    g.add_argument("--references", choices=REFERENCE_MODES, help=_help("references"))
    g.add_argument("--acknowledge", nargs="+", help=_help("acknowledge"))


def design_from_args(args: argparse.Namespace) -> Design:
    """The design the options describe (file first, then options on top)."""
    base = Design.from_json(_read_design_file(args.design)) if args.design else Design()
    changes = {}
    for name in (
        "granularity",
        "categories",
        "hidden_groups",
        "frequency",
        "time_precision",
        "counts",
        "min_count",
        "epsilon",
        "noise_seed",
        "epsilon_budget",
        "references",
        "acknowledge",
    ):
        value = getattr(args, name, None)
        if value is not None:
            changes[name] = tuple(value) if isinstance(value, list) else value
    if changes.get("counts") == "suppressed":
        changes["counts"] = "exact"
        if not changes.get("min_count") and not base.min_count:
            changes["min_count"] = 3
    if "time_precision" not in changes and "frequency" in changes and not args.design:
        # a release interval implies showing no finer time than it, unless asked (the
        # app's frequency control applies the same rule)
        from crimedash.design import precision_for_frequency

        changes["time_precision"] = precision_for_frequency(
            changes["frequency"], base.time_precision
        )
    return Design.from_dict({**base.to_dict(), **changes}) if changes else base


def add_plan_arguments(p: argparse.ArgumentParser) -> None:
    """The release plan: the other products published with the design (¶34)."""
    p.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="DESIGN.json",
        help="another product published from the same data (repeatable): the privacy "
        "budget is spent over all of them",
    )


def also_from_args(args: argparse.Namespace) -> list[Design]:
    return [Design.from_json(_read_design_file(path)) for path in args.also]


def _read_design_file(path: str) -> str:
    from crimedash.errors import DesignError

    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DesignError(f"cannot read the design file {path}: {exc}") from None


def dataset_from_args(args: argparse.Namespace, *, quiet: bool = False):
    """The data set the arguments name; progress on stderr when `show_progress` says so
    (`quiet` turns it off regardless, e.g. under --json unless --progress is given)."""
    from crimedash.dataset import load_dataset

    shown = show_progress(args) and not (quiet and getattr(args, "progress", None) is not True)

    def progress(f: float, msg: str) -> None:
        if shown:
            print(f"\r[{f:4.0%}] {msg:<60}", end="", file=sys.stderr, flush=True)

    ds = load_dataset(
        args.incidents, households=args.households, areas=args.areas or None, progress=progress
    )
    if shown:
        print(file=sys.stderr)
    return ds


# --- assess -----------------------------------------------------------------------------
def _configure_assess(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    add_design_arguments(p)
    add_plan_arguments(p)
    p.add_argument("--json", action="store_true", help="print the assessment as JSON")
    p.add_argument("--no-what-ifs", action="store_true", help="skip factors and what-ifs")


@register("assess", "Score a map design's identifiability on a data set.", _configure_assess)
def cmd_assess(args: argparse.Namespace) -> int:
    from crimedash.assessment import assess
    from crimedash.plan import Plan, budget

    design = design_from_args(args)
    spend = budget(Plan((design, *also_from_args(args))))
    ds = dataset_from_args(args, quiet=args.json)
    a = assess(ds.index, design, with_what_ifs=not args.no_what_ifs, rejected_rows=ds.rejected_rows)
    if spend.noisy:
        a.findings.insert(0, spend.sentence())
    together = None
    if args.also:
        from crimedash.planrisk import plan_risk

        plan = plan_risk(ds.index, Plan((design, *also_from_args(args))))
        together = plan.differencing
        a.findings.insert(0, together.sentence())
        a.findings.insert(0, plan.sentence())
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
        print("\nInput findings:\n" + "\n".join(f"  - {_printable(f)}" for f in ds.findings))
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
        "neighbour's denominator comes from the attendance rate",
    )
    p.add_argument(
        "--attendance-rate", type=float, help=_help("attendance_rate").replace("%", "%%")
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
    from crimedash.risk import evaluate, verdict

    ds = dataset_from_args(args, quiet=args.json)
    if args.ladder:
        from crimedash.ladder import agreement, agreement_markdown

        rows = agreement(ds.index)
        print(json.dumps(rows, indent=2) if args.json else agreement_markdown(rows), end="")
        return 0
    design = design_from_args(args)
    changes = {}
    if args.partial:
        changes["all_recorded_crime"] = False
    if args.attendance_rate is not None:
        changes["attendance_rate"] = args.attendance_rate
    if changes:
        design = Design.from_dict({**design.to_dict(), **changes})
    ev = evaluate(ds.index, design)
    result = ev.attack
    together = spend = None
    if args.also:  # the release plan: the other products are read with this one (¶34)
        from crimedash.plan import Plan, budget
        from crimedash.planrisk import plan_risk

        also = also_from_args(args)
        spend = budget(Plan((design, *also)))
        plan = plan_risk(ds.index, Plan((design, *also)), {design: ev.layer})
        together = plan.differencing
    if args.json:
        out = result.to_dict()
        if together is not None:
            out["differencing"] = together.to_dict()
            out["budget"] = spend.to_dict()
            out["plan"] = plan.to_dict()
        out["score"] = round(ev.score, 2)
        out["verdict"] = verdict(ev)
        out["design"] = design.to_dict(public=True)
        print(json.dumps(out, indent=2))
        return 0
    print(
        f"Identifiability score {ev.score:.1f} ({verdict(ev).upper()}) beside the attack: "
        f"certain disclosures {result.certain_share_weighted:.1%} (sensitivity-weighted)"
    )
    print(f"Design: {design.spatial.describe()}, {design.frequency}, {design.counts} counts")
    print()
    for sentence in result.sentences:
        print(f"- {sentence}")
    if together is not None:
        print(f"- {together.sentence()}")
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


# --- load -------------------------------------------------------------------------------
def _configure_load(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="incident files, folders or police.uk zips")
    p.add_argument("--rejected-out", metavar="CSV", help="write the rejected rows to this CSV")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="say which column holds a field when the automatic mapping is unsure "
        "(latitude, longitude, easting, northing, occurred_at, category, reference, "
        "incident_id, location_type); repeat for several",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


@register("load", "Load incident files and report what was kept and rejected.", _configure_load)
def cmd_load(args: argparse.Namespace) -> int:
    from crimedash.load import ColumnMapping, load_incidents
    from crimedash.textsafe import csv_bytes

    mapping = ColumnMapping.parse(args.map) if args.map else None
    result = load_incidents(args.files, mapping=mapping)
    if args.rejected_out:  # the one CSV rule (crimedash.textsafe): no formula runs
        Path(args.rejected_out).write_bytes(csv_bytes(result.rejected))
    summary = result.summary()
    print(json.dumps(summary, indent=2) if args.json else render_load_summary(summary))
    if args.rejected_out:
        print(f"Rejected rows written to {args.rejected_out}", file=sys.stderr)
    return 0


_printable = terminal_text  # data shown in a terminal: control characters escaped


def render_load_summary(s: dict) -> str:
    """The loader's summary as text for people (`crimedash load`)."""
    lines = [
        f"Files: {s['files']:,}   rows read: {s['rows_read']:,}   kept: {s['rows_kept']:,}"
        f"   rejected: {s['rows_rejected']:,}"
    ]
    lines += [f"  rejected, {reason}: {n:,}" for reason, n in s["rejected_by_reason"].items()]
    lines.append(f"Dates: {s['date_min']} to {s['date_max']} (precision: {s['time_precision']})")
    lines.append("Categories:")
    lines += [f"  {_printable(c):<40} {n:>9,}" for c, n in s["categories"].items()]
    if s["unrecognised_categories_total"]:
        lines.append(
            f"  ({s['unrecognised_categories_total']:,} incidents have a category crimedash "
            "does not recognise; kept as written)"
        )
    lines.append("Location types:")
    lines += [f"  {_printable(t):<40} {n:>9,}" for t, n in s["location_types"].items()]
    if s["unrecognised_location_types_total"]:
        examples = ", ".join(_printable(v) for v in list(s["unrecognised_location_types"])[:5])
        lines.append(
            f"  ({s['unrecognised_location_types_total']:,} unrecognised location types kept "
            f"as unknown, e.g. {examples})"
        )
    e = s["extent"]
    if e:
        lines.append(
            f"Extent: latitude {e['lat_min']:.5f} to {e['lat_max']:.5f}, "
            f"longitude {e['lon_min']:.5f} to {e['lon_max']:.5f}"
        )
    for name, why in s["skipped_files"]:
        lines.append(f"Skipped {_printable(name)}: {_printable(why)}")
    lines += [f"Finding: {_printable(f)}" for f in s.get("findings", [])]
    return "\n".join(lines)


# --- app --------------------------------------------------------------------------------
def app_script() -> Path:
    """The app's Streamlit script: inside the package when installed from a wheel (see
    pyproject's force-include), at the repository root in a checkout."""
    package = Path(__file__).resolve().parent
    for script in (package / "app.py", package.parent / "app.py"):
        if script.is_file():
            return script
    from crimedash.errors import CrimedashError

    raise CrimedashError(
        "cannot find the app's script (app.py) beside or inside the crimedash package",
        hint="reinstall crimedash, or run `streamlit run app.py` in a checkout",
    )


def _configure_app(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT") or 8501),
        help="the port to serve on (default: $PORT, else 8501)",
    )
    p.add_argument("--headless", action="store_true", help="do not open a browser (on a server)")
    p.add_argument(
        "streamlit_options",
        nargs=argparse.REMAINDER,
        help="further options for `streamlit run`, after --: e.g. -- --theme.base dark",
    )


@register("app", "Serve the dashboard (on the sample city until data is loaded).", _configure_app)
def cmd_app(args: argparse.Namespace) -> int:
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_script()),
        "--server.port",
        str(args.port),
        "--browser.gatherUsageStats",
        "false",
        *(["--server.headless", "true"] if args.headless else []),
        *[o for o in args.streamlit_options if o != "--"],
    ]
    return subprocess.call(command)


# --- sample -----------------------------------------------------------------------------
def _configure_sample(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the files into")
    p.add_argument(
        "--seed",
        type=int,
        help="random seed; the same seed gives the same bytes (default: the committed sample's)",
    )
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="town size: 1 is the committed sample (~65,000 households and incidents); "
        "0.05 is a quick small town (default: 1)",
    )


@register(
    "sample",
    "Generate the fictional sample city: households, areas, incidents, police.uk files.",
    _configure_sample,
)
def cmd_sample(args: argparse.Namespace) -> int:
    from crimedash.sample import DEFAULT_SEED, generate_sample

    seed = DEFAULT_SEED if args.seed is None else args.seed
    paths = generate_sample(args.out, seed=seed, scale=args.scale)
    print(f"Sample city (seed {seed}, scale {args.scale:g}) written to {args.out}:")
    for path in paths.values():
        files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
        size = sum(f.stat().st_size for f in files)
        what = f"{len(files)} files, " if path.is_dir() else ""
        print(f"  {path}  ({what}{size / 1e6:.1f} MB)")
    return 0


# --- export and the design log ------------------------------------------------------------
def _configure_export(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    add_design_arguments(p)
    add_plan_arguments(p)
    g = p.add_argument_group("approval")
    g.add_argument("--approved-by", required=True, metavar="NAME", help="the approving reviewer")
    g.add_argument("--role", default="", help="the reviewer's role (e.g. data protection officer)")
    g.add_argument("--publisher", required=True, help="organisation named on the map (¶46)")
    g.add_argument(
        "--contact", required=True, metavar="EMAIL", help="for questions and removal requests (¶46)"
    )
    g.add_argument(
        "--justification", default="", help="why publish despite the risk: needed unless green"
    )
    g.add_argument("--rationale", default="", help="the reviewer's reasons")
    g.add_argument(
        "--explanation",
        default="",
        help="what the map shows, for the public (¶23; default: written from the design)",
    )
    g.add_argument("--next-review", metavar="DATE", help="YYYY-MM-DD (default: a year from today)")
    g.add_argument(
        "--series",
        default="",
        metavar="NAME",
        help="the series this release belongs to (e.g. 'monthly burglary map'): its earlier "
        "approved releases in the design log count as public (default: the input files)",
    )
    g.add_argument(
        "--revision",
        action="store_true",
        help="this release revises counts the series already published: noisy cells that "
        "change draw new noise, so the budget charges its epsilon again",
    )
    p.add_argument(
        "--design-id",
        type=int,
        help="export a design from the design log instead of design options; refused if the "
        "input files changed since it was assessed",
    )
    p.add_argument(
        "--log",
        metavar="PATH",
        help="design log file (default: $CRIMEDASH_LOG, else designs.sqlite3 in $CRIMEDASH_WORKSPACE or ./.crimedash/)",
    )
    p.add_argument("--no-log", action="store_true", help="do not record in the design log")
    p.add_argument("--out", required=True, metavar="DIR", help="bundle folder to create")
    p.add_argument("--overwrite", action="store_true", help="replace an existing bundle folder")


@register(
    "export",
    "Write the approved publication bundle: public files and the review record.",
    _configure_export,
)
def cmd_export(args: argparse.Namespace) -> int:
    from crimedash.approval import Approval
    from crimedash.bundlewrite import MANIFEST, REVIEW_DIR, review_zip_path, zip_path
    from crimedash.designlog import DesignLog
    from crimedash.errors import ExportError
    from crimedash.export import export_bundle

    approval = Approval(
        reviewer=args.approved_by,
        role=args.role,
        publisher=args.publisher,
        contact=args.contact,
        justification=args.justification,
        rationale=args.rationale,
        explanation=args.explanation,
        series=args.series,
        revision=args.revision,
        **({"next_review": args.next_review} if args.next_review else {}),
    )
    log = None if args.no_log else DesignLog(args.log)
    assessed = None
    if args.design_id is not None:
        if log is None:
            raise ExportError("--design-id reads the design log, so it cannot go with --no-log")
        if args.design or design_from_args(args) != Design():
            raise ExportError("give either --design-id or design options, not both")
        record = log.get(args.design_id)
        design, assessed = record.design, record.data_fingerprint
    else:
        design = design_from_args(args)
    ds = dataset_from_args(args)
    out = export_bundle(
        ds,
        design,
        approval,
        args.out,
        assessed_fingerprint=assessed,
        log=log,
        overwrite=args.overwrite,
        also=also_from_args(args),
    )
    manifest = json.loads((out / REVIEW_DIR / MANIFEST).read_text())
    a = manifest["assessment"]
    print(
        f"Exported design {design.fingerprint()} ({a['verdict']}, score {a['score']:.0f}) to {out}"
    )
    for f in manifest["public_files"]:
        print(f"  {f['path']:<28} sha256 {f['sha256'][:16]}")
    print(
        f"Series {manifest['release_plan']['series']}: {manifest['release_plan']['budget']['sentence']}"
    )
    print(f"To publish (public/ only): {zip_path(out)}")
    print(
        f"Review record, NOT for publication (manifest with the noise seed, report): "
        f"{review_zip_path(out)}"
    )
    if manifest["design_log"]:
        print(
            f"Recorded in the design log {log.path} as design {manifest['design_log']['design_id']}"
        )
    return 0


def _configure_designs(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    ls = sub.add_parser("list", help="logged designs, newest first")
    ls.add_argument("--limit", type=int, default=50, help="how many (default: 50)")
    show = sub.add_parser("show", help="one design with its assessment and approvals")
    show.add_argument("id", type=int, help="the design's id (from designs list)")
    verify = sub.add_parser(
        "verify",
        help="check the log's file and its hash chain: finds records changed, added or "
        "deleted outside crimedash (exit 2 if any)",
    )
    for q in (ls, show, verify):
        q.add_argument(
            "--log",
            metavar="PATH",
            help="design log file (default: $CRIMEDASH_LOG, else designs.sqlite3 in $CRIMEDASH_WORKSPACE or ./.crimedash/)",
        )
        q.add_argument("--json", action="store_true", help="print JSON")


@register("designs", "List, show or verify the designs in the design log.", _configure_designs)
def cmd_designs(args: argparse.Namespace) -> int:
    """Reads only (the log is opened read-only). Every text from the log is printed
    through `terminal_text`, so a name holding an ESC sequence cannot act on the
    terminal."""
    from dataclasses import asdict

    from crimedash.designlog import DesignLog

    t = terminal_text
    log = DesignLog(args.log)
    if args.action == "verify":
        result = log.verify()
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print(
                f"The design log {t(log.path)} verifies: {result['designs']} designs and "
                f"{result['approvals']} approvals, each as recorded"
                + (f"; last link {result['last_link'][:16]}" if result["last_link"] else "")
                + "."
            )
        return 0
    if args.action == "list":
        records = log.list(limit=args.limit)
        if args.json:
            rows = [{**asdict(r), "design": r.design_dict(), "status": r.status} for r in records]
            for r in rows:
                del r["design_json"], r["assessment"]
            print(json.dumps(rows, indent=2))
            return 0
        if not records:
            print(f"No designs in the design log {t(log.path)} yet.")
            return 0
        print(
            f"{'ID':>4}  {'Logged (UTC)':<19}  {'Design':<12}  {'Data':<16}  Score  Verdict  Status    Summary"
        )
        for r in records:
            d = r.design
            print(
                f"{r.id:>4}  {t(r.created_at[:19].replace('T', ' ')):<19}  {t(r.fingerprint):<12}  "
                f"{t(r.data_fingerprint):<16}  {r.score:5.1f}  {t(r.verdict):<7}  {r.status:<8}  "
                f"{t(d.granularity)}, {d.frequency}, {d.counts}"
                + (f" (min {d.min_count})" if d.min_count else "")
            )
        return 0
    r = log.get(args.id)
    if args.json:
        out = {**asdict(r), "design": r.design_dict(), "status": r.status}
        out.pop("design_json")
        print(json.dumps(out, indent=2))
        return 0
    a = r.assessment if isinstance(r.assessment, dict) else {}
    print(
        f"Design {r.id} ({t(r.fingerprint)}), logged {t(r.created_at)} with crimedash "
        f"{t(r.crimedash_version)}"
    )
    print(f"Data {t(r.data_fingerprint)}; score {r.score:.1f} ({t(r.verdict)}); status {r.status}")
    print("Settings (the noise seed is kept in the log, not shown):")
    for k, v in r.design.to_dict(public=True).items():
        print(f"  {k:<28} {t(v)}")
    for f in a.get("findings", []):
        print(f"  - {t(f)}")
    for ap in r.approvals:
        print(
            f"{t(ap.created_at[:19].replace('T', ' '))}  {t(ap.decision):<7} by {t(ap.reviewer)}"
            + (f" ({t(ap.role)})" if ap.role else "")
            + (f" -> {t(ap.bundle_path)}" if ap.bundle_path else "")
        )
    return 0


# --- store ------------------------------------------------------------------------------
def _configure_store(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    b = sub.add_parser(
        "build",
        help="read incident files in batches into a Parquet store partitioned by month",
        description="Read incident files (police.uk CSVs, folders, zips) one batch at a "
        "time, with the loader's rules, into a Parquet store: memory of one batch, not "
        "of the whole data set. Rejected rows are written beside it.",
    )
    b.add_argument("files", nargs="+", help="incident files, folders or police.uk zips")
    b.add_argument("--out", required=True, metavar="DIR", help="the store's folder (replaced)")
    b.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="say which column holds a field (as for `crimedash load`)",
    )
    b.add_argument("--json", action="store_true", help="print the manifest as JSON")


@register("store", "Build an on-disk incident store for data too big to load.", _configure_store)
def cmd_store(args: argparse.Namespace) -> int:
    from crimedash.load import ColumnMapping
    from crimedash.store import build_store

    mapping = ColumnMapping.parse(args.map) if args.map else None
    summary = build_store(args.files, args.out, mapping=mapping)
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
        return 0
    print(
        f"Stored {len(summary.files)} files in {args.out}: {summary.rows_read:,} rows read, "
        f"{summary.rows_kept:,} kept, {summary.rows_rejected:,} rejected "
        f"(rejected rows in {Path(args.out) / 'rejected'}); months "
        f"{summary.months[0]} to {summary.months[-1]}."
    )
    for name, why in summary.skipped:
        print(f"  skipped {_printable(name)}: {why}")
    return 0
