"""`crimedash export` (the approved publication bundle) and `crimedash designs` (the
design log, read only)."""

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

__all__ = ["cmd_designs", "cmd_export"]


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
