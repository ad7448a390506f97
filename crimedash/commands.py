"""CLI subcommands: each parses its arguments, calls the core, and prints the answer."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crimedash.cli import register
from crimedash.design import (
    COUNT_MODES,
    FREQUENCIES,
    REFERENCE_MODES,
    SETTINGS_BY_NAME,
    TIME_PRECISIONS,
    Design,
)


# --- shared by assess and export: the design as options ---------------------------------
def _help(name: str) -> str:
    s = SETTINGS_BY_NAME[name]
    return f"{s.help} (default: {s.default})"


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    """Incidents and context layers, as every data-taking subcommand reads them."""
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
    g.add_argument("--references", choices=REFERENCE_MODES, help=_help("references"))
    g.add_argument("--acknowledge", nargs="+", help=_help("acknowledge"))


def design_from_args(args: argparse.Namespace) -> Design:
    """The design the options describe (file first, then options on top)."""
    base = Design.from_json(Path(args.design).read_text()) if args.design else Design()
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
        # a release interval implies showing no finer time than it, unless asked
        from crimedash.design import FREQUENCY_LEVEL, TIME_LEVELS

        level = FREQUENCY_LEVEL[changes["frequency"]]
        if TIME_LEVELS.index(level) > TIME_LEVELS.index(base.time_precision):
            changes["time_precision"] = level
    return Design.from_dict({**base.to_dict(), **changes}) if changes else base


def dataset_from_args(args: argparse.Namespace, *, quiet: bool = False):
    from crimedash.dataset import load_dataset

    def progress(f: float, msg: str) -> None:
        if not quiet:
            print(f"\r[{f:4.0%}] {msg:<60}", end="", file=sys.stderr, flush=True)

    ds = load_dataset(
        args.incidents, households=args.households, areas=args.areas or None, progress=progress
    )
    if not quiet:
        print(file=sys.stderr)
    return ds


# --- assess -----------------------------------------------------------------------------
def _configure_assess(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    add_design_arguments(p)
    p.add_argument("--json", action="store_true", help="print the assessment as JSON")
    p.add_argument("--no-what-ifs", action="store_true", help="skip factors and what-ifs")


@register("assess", "Score a map design's identifiability on a data set.", _configure_assess)
def cmd_assess(args: argparse.Namespace) -> int:
    from crimedash.risk import assess

    design = design_from_args(args)
    ds = dataset_from_args(args, quiet=args.json)
    a = assess(ds.index, design, with_what_ifs=not args.no_what_ifs, rejected_rows=ds.rejected_rows)
    if args.json:
        out = a.to_dict()
        out["rejected_rows"] = ds.rejected_rows
        out["data_precision"] = str(ds.index.data_precision)
        out["inputs"] = ds.inputs
        print(json.dumps(out, indent=2, default=str))
        return 0
    print(render_assessment(a, rejected_rows=ds.rejected_rows))
    return 0


def render_assessment(a, *, rejected_rows: int = 0) -> str:
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
        f"Incidents: {a.incidents:,} loaded ({rejected_rows:,} rows rejected), "
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
    return "\n".join(lines)


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

    mapping = ColumnMapping.parse(args.map) if args.map else None
    result = load_incidents(args.files, mapping=mapping)
    if args.rejected_out:
        Path(args.rejected_out).write_bytes(result.rejected_csv())
    summary = result.summary()
    print(json.dumps(summary, indent=2) if args.json else render_load_summary(summary))
    if args.rejected_out:
        print(f"Rejected rows written to {args.rejected_out}", file=sys.stderr)
    return 0


def _printable(text: object) -> str:
    """Data shown in a terminal: control characters escaped, never interpreted."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


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
        lines.append(f"Skipped {_printable(name)}: {why}")
    return "\n".join(lines)


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
