"""The data subcommands: `load` (what was kept and rejected), `store` (an on-disk store
for data too big to load) and `sample` (the fictional sample city)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crimedash.commands.registry import register
from crimedash.textsafe import terminal_text

__all__ = ["cmd_load", "cmd_sample", "cmd_store", "render_load_summary"]

_printable = terminal_text  # data shown in a terminal: control characters escaped


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
