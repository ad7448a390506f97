"""Export the approved version: exactly what will be published, and the record that
justifies it.

`export_bundle(dataset, design, approval, out_dir)` writes one folder with two zips
inside it, one per audience:

- `public/`: the units layer (each shape once, GeoJSON and GeoParquet), the counts and,
  apart from them, the 'All crime' totals (CSV and Parquet; see `crimedash.public`),
  reference numbers only if the design allows them, and a README for the public saying
  what the map shows (¶23), what every column means, and whom to contact (¶46);
- `review/`: `manifest.json` (versions, the full design with its secret noise seed, input
  hashes, rejected rows of every input, the score and its breakdown, the approval, each
  public file's SHA-256), the privacy impact assessment as `report.html` (offline) and
  `report.md`, and `rejected_rows.csv`;
- `NAME-public.zip`: `public/` only, the one file to publish (`zip_path`);
- `NAME-review-NOT-FOR-PUBLICATION.zip`: `review/` only, the record kept by the publisher
  (`review_zip_path`). The seed in it would let anyone subtract the noise, so the review
  record never travels in the publication zip.

Promises a privacy reviewer can check (tests/test_export.py checks each one):

- nothing is written unless the export is allowed: an approval that approves, a
  justification when the verdict is not green, and the same input files the design was
  assessed on (`assessed_fingerprint`);
- a bundle appears whole or not at all: it is built in a hidden folder beside `out_dir`
  and renamed into place, so a crash or kill mid-export leaves no half-written bundle;
  `overwrite` replaces only a folder that is a crimedash bundle, by swapping the two
  folders in one atomic step, so a kill at any moment leaves the old or the new bundle
  complete at `out_dir`;
- public files hold only the public layer (never a raw coordinate, a finer time, a
  reference the design does not allow, free text from the input, a suppressed count or
  the noise seed), and the same inputs and design give byte-identical public files;
- CSV cells a spreadsheet would run as a formula are neutralised (`textsafe.csv_bytes`).

Where the parts live: the approval and the data's fingerprint in `crimedash.approval`, the
public README and file list in `crimedash.publicfiles`, the bundle's layout and the
all-or-nothing writing in `crimedash.bundlewrite`; this module decides whether a release
may go out and records why (`export_bundle`, `build_manifest`).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from crimedash import __version__, advice, textsafe
from crimedash.approval import DEFAULT_NOISE_SEED, Approval, data_fingerprint
from crimedash.assessment import advise_lean, assess, with_advice
from crimedash.bundlewrite import (
    BUNDLE_FORMAT,
    MANIFEST,
    REJECTED_CSV,
    REPORT_HTML,
    REPORT_MD,
    REVIEW_DIR,
    PublicFile,
    clear_abandoned,
    is_bundle,
    json_bytes,
    plain,
    write_atomically,
)
from crimedash.design import Design
from crimedash.errors import DesignLogError, ExportError
from crimedash.layer import PublicLayer, apply_design
from crimedash.plan import Plan, budget, from_police_uk, series_plan
from crimedash.planrisk import plan_risk
from crimedash.publicfiles import explain, public_files
from crimedash.revisions import KEY as REVISIONS_KEY
from crimedash.revisions import detect, window_digests
from crimedash.risk import Assessment, evaluate, verdict
from crimedash.seriesunits import KEY as SERIES_UNITS_KEY
from crimedash.seriesunits import fixed_for_series, unit_change

if TYPE_CHECKING:
    from crimedash.dataset import Dataset
    from crimedash.designlog import DesignLog

__all__ = ["build_manifest", "export_bundle", "layer_summary"]


def export_bundle(
    dataset: Dataset,
    design: Design,
    approval: Approval | None,
    out_dir: str | os.PathLike[str],
    *,
    assessed_fingerprint: str | None = None,
    log: DesignLog | None = None,
    overwrite: bool = False,
    today: date | None = None,
    also: tuple[Design, ...] | list[Design] = (),
) -> Path:
    """Write the publication bundle for an approved design; return its folder.

    Refuses (ExportError, nothing written) when there is no approval, the reviewer
    rejected the design, a non-green verdict has no justification, the next review date
    is not in the future, noise would use the well-known default seed, or the input
    files differ from those the design was assessed
    on (`assessed_fingerprint`, from `data_fingerprint` at assessment time, for example
    as recorded in the design log). With `log`, the assessment and the approval are
    recorded there. `out_dir` must not exist (or be empty) unless `overwrite`.

    The release is one product of a plan (`crimedash.plan`): `also` names the other
    products published with it, and with `log` every earlier approved release of the
    same series (`approval.series`, by default the input files) is public too. The
    export refuses when the noise spent over all of them exceeds the design's
    `epsilon_budget`.
    """
    out_dir = Path(out_dir).expanduser().absolute()
    if approval is None:
        raise ExportError(
            "there is no approval: a reviewer must approve the design before it is exported",
            hint="give the reviewer's decision (in the app's Export step, or --approved-by)",
        )
    if not isinstance(approval, Approval):
        raise ExportError(f"approval must be an Approval; got {type(approval).__name__}")
    approval.check_decision()
    fingerprint = data_fingerprint(dataset)
    if assessed_fingerprint is not None and assessed_fingerprint != fingerprint:
        raise ExportError(
            f"the input files changed since the design was assessed (assessed on data "
            f"{assessed_fingerprint}, these files are {fingerprint})",
            hint="assess the design again on these files and have it approved again",
        )
    if design.references == "pseudonym" and design.noise_seed == DEFAULT_NOISE_SEED:
        raise ExportError(
            f"this design publishes reference pseudonyms keyed by the default seed "
            f"({DEFAULT_NOISE_SEED}): anyone holding the real numbers and the data could "
            f"recompute them and link them back (¶24-25)",
            hint="set noise_seed to a secret random number; it keys the pseudonyms and "
            "stays in the review record, never in public",
        )
    if design.counts == "noise" and design.noise_seed == DEFAULT_NOISE_SEED:
        raise ExportError(
            f"this design adds noise with the default seed ({DEFAULT_NOISE_SEED}), which anyone "
            f"can reproduce: the noise could be subtracted and the exact counts recovered",
            hint="set noise_seed to a secret random number (in the app's noise settings, or "
            "in a design file for --design); it stays in the review record, never in public",
        )
    if not approval.series:
        approval = replace(approval, series=f"data:{fingerprint}")
    # a series' adaptive units are the ones it first published, rebuilt from the table
    # in the log, never from this release's households (crimedash.seriesunits)
    fixed = fixed_for_series(log, approval.series, dataset.index, design)
    if fixed is not None:
        if fixed.households_outside and not approval.justification:
            raise ExportError(
                f"{fixed.sentence()} The series' units cannot place them, so their crimes "
                "would be counted nowhere",
                hint="start a new series (--series NAME) with units drawn from these "
                "households, or give a justification (--justification TEXT) to publish "
                "without them",
            )
        dataset = replace(dataset, index=fixed.index)
    layer = apply_design(dataset.index, design)
    # a window the series already published with other counts is a revision, declared
    # or not: it spends the budget again (crimedash.revisions)
    digests = window_digests(dataset.index, layer)
    revision = detect(log, approval.series, digests, declared=approval.revision)
    if revision.detected:
        approval = replace(approval, revision=True)
    plan = Plan(
        (design, *also),
        approval.series,
        (approval.revision,),
        police_uk=from_police_uk(dataset.loaded.files),
    )
    if log is not None:
        plan = series_plan(plan, log)
    spend = budget(plan)
    if spend.exceeded:
        raise ExportError(
            f"{spend.sentence()} Each noisy product of the same incidents adds its epsilon, "
            f"so together they protect less than the limit the design sets",
            hint="publish fewer noisy products of this series, reuse the series' noise key "
            "and cells (a republished cell costs nothing), lower epsilon, or raise "
            "epsilon_budget on purpose",
        )
    _check_target(out_dir, overwrite)

    # the design is evaluated once, on the layer it publishes: the assessment and the
    # plan's score read the same evaluation (each was a full evaluation of its own, and
    # at 60M rows an evaluation is minutes and gigabytes). Score first: the breakdown,
    # utility and findings read the evaluation; the factors and what-ifs (a dozen other
    # designs, each as large) come after the public files, from a few of its numbers
    # (`advice.Scored`), with neither it nor this layer's atoms held beside them.
    ev = evaluate(dataset.index, design, layer)
    own = {design: (float(ev.score), verdict(ev))}
    first = assess(
        dataset.index,
        design,
        rejected_rows=dataset.rejected_rows,
        evaluation=ev,
        with_what_ifs=False,
    )
    base = advice.scored(dataset.index, ev, first.utility)
    del ev
    # the other products and earlier releases, rebuilt from these files: an attacker
    # holds all of them (¶34)
    built = {design: layer}
    for d in plan.products:
        if d not in built:
            built[d] = apply_design(dataset.index, d)
    risk = plan_risk(dataset.index, plan, built, scored_already=own)  # one score for all of it
    del built
    combined = risk.differencing
    # with police.uk's publication read too, only what the plan proves beyond it counts:
    # the cells police.uk already shows are public whatever this export does (¶36-37)
    beyond = risk.police_uk
    proves = beyond.beyond_cells if beyond is not None else combined.proven_cells
    if proves and not approval.justification:
        said = beyond.sentence() if beyond is not None else combined.sentence()
        raise ExportError(
            f"{said} Suppression does not hide them once the series is read as a whole",
            hint="publish the products at the same threshold and windows, drop one of them, "
            "or give a justification (--justification TEXT) for publishing anyway",
        )
    if risk.n_products > 1 and risk.verdict != "green" and not approval.justification:
        raise ExportError(
            f"{risk.sentence()} Exporting a plan that is not green needs a justification",
            hint="give a justification (--justification TEXT), or publish fewer products",
        )
    units_table, moved = unit_change(log, approval.series, dataset.index, layer)
    if moved and not approval.justification:
        raise ExportError(
            f"{moved.sentence()}.",
            hint="export from the households file the series first used, start a new series "
            "(--series NAME), or give a justification (--justification TEXT)",
        )
    approval.check(first, today=today)  # the verdict and score, which advice never changes
    if not approval.explanation:  # the record keeps the exact words the public reads
        approval = replace(approval, explanation=explain(design, layer))
    files = public_files(dataset, design, approval, layer)
    # what the record and the report need of the layer, taken now so the layer (its
    # cells, atoms and their cached blocks) can go before the other designs are evaluated
    from crimedash import report

    public_layer = layer_summary(layer)
    map_spec = report.make_map_spec(dataset.index, layer)
    del layer
    # and so can its atoms in the index's cache (`advise_lean`)
    factors, what_ifs = advise_lean(dataset.index, design, base)
    assessment = with_advice(first, factors, what_ifs)

    design_id = None
    if log is not None:
        design_id = log.record_assessment(design, assessment, fingerprint)
    manifest = build_manifest(
        dataset, design, approval, assessment, public_layer, files, fingerprint, design_id, log
    )
    manifest["release_plan"] = {
        "series": plan.series,
        "products": [d.to_dict() for d in plan.products],
        "budget": spend.to_dict(),
        "differencing": combined.to_dict(),
        "risk": risk.to_dict(),
        "units_changed": moved.to_dict() if moved else None,
        "units_fixed": fixed.to_dict() if fixed else None,
        "revision": revision.to_dict(),
    }
    rendered = report.render(None, None, assessment, manifest, map_spec=map_spec)
    review = [
        PublicFile(f"{REVIEW_DIR}/{REPORT_HTML}", rendered.html.encode("utf-8")),
        PublicFile(f"{REVIEW_DIR}/{REPORT_MD}", rendered.markdown.encode("utf-8")),
    ]
    if dataset.rejected_rows:  # the findings point the reviewer at it; never public
        review.append(
            PublicFile(f"{REVIEW_DIR}/{REJECTED_CSV}", textsafe.csv_bytes(dataset.rejected))
        )
    manifest["report_warnings"] = list(rendered.warnings)
    manifest["review_files"] = [{"path": f.path, "sha256": f.sha256} for f in review]
    review.append(PublicFile(f"{REVIEW_DIR}/{MANIFEST}", json_bytes(manifest)))
    write_atomically(out_dir, [*files, *review], overwrite)
    if log is not None and design_id is not None:
        try:
            record = approval.to_dict()
            if units_table is not None:  # fixes the series' adaptive units (seriesunits)
                record[SERIES_UNITS_KEY] = units_table
            record[REVISIONS_KEY] = digests  # what the next export is compared with
            log.record_approval(design_id, record, out_dir)
        except DesignLogError as exc:
            raise DesignLogError(
                f"the bundle was written to {out_dir}, but the design log could not record "
                f"the approval: {exc}",
                hint="record it again with the same approval, or keep the bundle's manifest "
                "as the record",
            ) from exc
    return out_dir


def _check_target(out_dir: Path, overwrite: bool) -> None:
    if out_dir.parent.is_dir():  # first put back a bundle a killed overwrite stranded
        clear_abandoned(out_dir.parent, out_dir.name)
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} exists and is not a folder", hint="choose a new --out folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not overwrite:
            raise ExportError(
                f"{out_dir} already exists and is not empty; a bundle is never written over "
                "another",
                hint="choose a new folder (for example one per release month), or overwrite it "
                "on purpose",
            )
        if not is_bundle(out_dir):
            raise ExportError(
                f"{out_dir} is not a crimedash bundle (it has no {REVIEW_DIR}/{MANIFEST} of "
                f"format {BUNDLE_FORMAT}), so overwrite will not replace it: its files would "
                "be lost",
                hint="choose a new folder; overwrite only replaces a bundle crimedash wrote",
            )


def build_manifest(
    dataset: Dataset,
    design: Design,
    approval: Approval,
    assessment: Assessment,
    layer: PublicLayer | dict[str, Any],
    files: list[PublicFile],
    fingerprint: str,
    design_id: int | None = None,
    log: DesignLog | None = None,
) -> dict[str, Any]:
    """The review record: everything needed to check, repeat or question the release.
    Holds the full design, seed included (review only, never published). `layer` is the
    published layer or its `layer_summary`, taken before the layer was let go."""
    summary = dataset.loaded.summary()
    public_layer = layer if isinstance(layer, dict) else layer_summary(layer)
    return {
        "format": BUNDLE_FORMAT,
        "crimedash_version": __version__,
        "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "design_fingerprint": design.fingerprint(),
        "design": design.to_dict(),
        "data_fingerprint": fingerprint,
        "inputs": [plain(i) for i in dataset.inputs],
        "data": {
            "incidents": int(dataset.index.n),
            "data_time_precision": str(dataset.index.data_precision),
            "rows_read": summary.get("rows_read"),
            **dataset.input_summary(),  # every input's rejected rows, not only incidents
            "households_loaded": bool(dataset.index.has_households),
            "area_layers": sorted(dataset.index.areas),
        },
        "public_layer": public_layer,
        "assessment": plain(assessment.to_dict()),
        "approval": approval.to_dict(),
        # what README says (export sets it before the layer goes)
        "explanation": approval.explanation
        or explain(design, None if isinstance(layer, dict) else layer),
        "public_files": [
            {"path": f.path, "sha256": f.sha256, "bytes": len(f.data), "rows": f.rows}
            for f in files
        ],
        "design_log": (
            {
                "path": str(log.path),
                "design_id": design_id,
                # the design's link of the log's hash chain: a log rewritten later
                # cannot match it (`crimedash designs verify`)
                "chain_link": log.chain_link(design_id) if design_id is not None else None,
            }
            if log is not None
            else None
        ),
    }


def layer_summary(layer: PublicLayer) -> dict[str, Any]:
    """The manifest's `public_layer` section: the layer's size and what it hides."""
    return {
        "rows": len(layer.cell_unit),
        "units": len(np.unique(layer.cell_unit)),
        "windows": layer.window_labels(),
        "display_level": layer.display_level,
        "published_incidents": int(layer.published_incidents),
        "suppressed_cells": int(layer.suppressed_cells),
        "secondary_suppressed_cells": int(layer.secondary_suppressed_cells),
        "outside_units": int(layer.outside_units),
    }
