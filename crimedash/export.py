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
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from crimedash import __version__, textsafe
from crimedash.assessment import assess
from crimedash.design import Design
from crimedash.differencing import differencing
from crimedash.errors import DesignLogError, ExportError
from crimedash.layer import TOTAL_GROUP, PublicLayer, apply_design
from crimedash.plan import Plan, budget, series_products
from crimedash.public import (
    COUNTS_CSV,
    COUNTS_PARQUET,
    FILE_WORDS,
    REFERENCES_CSV,
    TOTALS_CSV,
    TOTALS_PARQUET,
    UNITS_GEOJSON,
    UNITS_PARQUET,
    column_words,
    geoparquet_bytes,
    parquet_bytes,
    public_tables,
    units_geojson,
)
from crimedash.risk import Assessment

if TYPE_CHECKING:
    from crimedash.dataset import Dataset
    from crimedash.designlog import DesignLog

BUNDLE_FORMAT = "crimedash-bundle/1"
PUBLIC_DIR = "public"
REVIEW_DIR = "review"
PUBLIC_README = "README.txt"
MANIFEST = "manifest.json"
REPORT_HTML = "report.html"
REPORT_MD = "report.md"
REJECTED_CSV = "rejected_rows.csv"
PUBLIC_ZIP_SUFFIX = "-public.zip"
REVIEW_ZIP_SUFFIX = "-review-NOT-FOR-PUBLICATION.zip"

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no export time inside
DECISIONS = ("approve", "reject")
DEFAULT_NOISE_SEED = Design().noise_seed  # public knowledge, so no secret
DEFAULT_REVIEW_MONTHS = 12  # ¶14-15, ¶41: a rolling review; a year at most by default
ONE_LINE_MAX = 200
TEXT_MAX = 5000

# An email address: something@domain.tld, no spaces (enough to catch a name or a typo
# typed into the contact box; deliverability is the publisher's business).
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


# --- the approval ---------------------------------------------------------------------
def _default_next_review() -> date:
    return date.today() + timedelta(days=round(365.25 * DEFAULT_REVIEW_MONTHS / 12))


@dataclass(frozen=True, kw_only=True)
class Approval:
    """A reviewer's decision on one design, with what the public is told about it.

    `explanation` is the plain-words account of what the map shows (¶23); left empty,
    the export writes one from the design. `publisher` and `contact` are shown in the
    public README so people can raise complaints and removal requests (¶46).
    `justification` is required for an export when the verdict is not green.
    """

    reviewer: str
    publisher: str
    contact: str
    decision: str = "approve"
    role: str = ""
    rationale: str = ""
    justification: str = ""
    explanation: str = ""
    next_review: date = field(default_factory=_default_next_review)
    # the series this release belongs to: its earlier approved releases (from the design
    # log) are public, and the privacy budget is spent over all of them
    series: str = ""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("reviewer", "publisher", "contact", "decision", "role", "series"):
            value = str(getattr(self, name) or "").strip()
            if "\n" in value or "\r" in value:
                raise ExportError(f"{name} must be one line; got {value!r}")
            if len(value) > ONE_LINE_MAX:
                raise ExportError(f"{name} must be at most {ONE_LINE_MAX} characters")
            set_(self, name, value)
        for name in ("rationale", "justification", "explanation"):
            value = str(getattr(self, name) or "").strip()
            if len(value) > TEXT_MAX:
                raise ExportError(f"{name} must be at most {TEXT_MAX} characters")
            set_(self, name, value)
        set_(self, "decision", self.decision.lower())
        if not self.reviewer:
            raise ExportError(
                "an approval needs the reviewer's name",
                hint="say who reviewed the design (for example --approved-by 'A. Analyst')",
            )
        if self.decision not in DECISIONS:
            raise ExportError(
                f"decision must be one of {', '.join(DECISIONS)}; got {self.decision!r}"
            )
        if not self.publisher:
            raise ExportError(
                "an approval needs the publisher: the organisation responsible for the map "
                "must be named on it (¶46)",
                hint="for example --publisher 'Ashbourne Vale Council'",
            )
        if not _EMAIL.fullmatch(self.contact):
            raise ExportError(
                f"contact must be an email address for questions, complaints and removal "
                f"requests (¶46); got {self.contact!r}",
                hint="for example --contact crime-map@council.example",
            )
        set_(self, "next_review", _as_date(self.next_review))

    def check_decision(self) -> None:
        """Refuse an export the reviewer did not approve (raises ExportError)."""
        if self.decision != "approve":
            raise ExportError(
                f"{self.reviewer} rejected this design, so it cannot be exported",
                hint="change the design and have it reviewed again",
            )

    def check(self, assessment: Assessment, *, today: date | None = None) -> None:
        """Refuse an export this approval does not allow (raises ExportError)."""
        today = today or date.today()
        self.check_decision()
        if assessment.verdict != "green" and not self.justification:
            raise ExportError(
                f"this design's verdict is {assessment.verdict} (score "
                f"{assessment.score:.0f}/100); exporting a design that is not green needs "
                f"a justification: why publishing it is necessary despite the risk",
                hint="give a justification (--justification TEXT), or choose a safer "
                "design from the what-ifs",
            )
        if self.next_review <= today:
            raise ExportError(
                f"the next review date must be after today; got {self.next_review.isoformat()}",
                hint="¶14-15 and ¶41 ask for a rolling review: pick a date in the coming months",
            )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["next_review"] = self.next_review.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Approval:
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ExportError(
                f"unknown approval field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
            )
        return cls(**data)


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ExportError(f"next_review must be a date like 2026-03-31; got {value!r}") from None


# --- what the data is -------------------------------------------------------------------
def data_fingerprint(dataset: Dataset) -> str:
    """A short id of the data a design is assessed on: the input files' contents.

    Built from each input's role and SHA-256 (not its path or upload name, so the app and
    the CLI agree on the same files); a data set built without files falls back to the
    index's own fingerprint. Recorded with an assessment in the design log, and compared
    by the export: a design approved on one month's files must not be published on
    another's without being assessed again.
    """
    items = sorted(f"{i['role']}:{i['sha256']}" for i in dataset.inputs)
    if not items:
        items = [f"index:{dataset.index.fingerprint}"]
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:16]


# --- the plain-words explanation (¶23) ----------------------------------------------------
_WINDOW_WORDS = {
    "timestamp": "at the time it was recorded",
    "day": "by day",
    "week": "by week (days 1-7, 8-14, 15-21, 22-28 and 29 to the end of each month)",
    "month": "by calendar month",
    "quarter": "by quarter (three calendar months)",
}
_UNIT_WORDS = {
    "h3": "hexagon",
    "grid": "grid square",
    "areas": "area",
    "adaptive": "hexagon",
}


def explain(design: Design, layer: PublicLayer | None = None) -> str:
    """What the map shows, for the public, in plain words (¶23): a shape is the area a
    crime happened in, not its place; how counts are shown; what is left out."""
    g = design.spatial
    unit = _UNIT_WORDS[g.kind]
    level = layer.display_level if layer is not None else design.window_level
    size = ""
    if layer is not None and len(layer.cell_unit):
        km2 = float(np.median(layer.units.area_km2[np.unique(layer.cell_unit)]))
        size = f" (a typical {unit} covers about {_area_words(km2)})"
    parts = [
        f"This map shows how many crimes were recorded in each {unit}{size}, "
        f"{_WINDOW_WORDS[level]}, by type of crime.",
        f"A shaded {unit} shows the area a crime happened in, not where it happened: "
        f"the crime could have been anywhere inside it, and no single street or home "
        f"is marked.",
    ]
    counts = {
        "exact": "Counts are the number of crimes recorded.",
        "rounded": f"Counts are rounded to the nearest {design.round_base}.",
        "banded": "Counts are shown in bands (for example '3 to 5') rather than exactly.",
        "noise": "Small random changes have been added to the counts to protect the "
        "people involved, so a count can be a little higher or lower than the number "
        "recorded.",
    }[design.counts]
    parts.append(counts)
    if design.min_count:
        parts.append(
            f"Where fewer than {design.min_count} crimes of a type were recorded in a "
            f"{unit} and period, the count is not shown, and a few more are hidden so "
            f"that those cannot be worked out from the totals."
        )
    if design.totals:
        parts.append(f"'{TOTAL_GROUP}' is the total for each {unit} and period.")
    if design.hidden_groups or design.categories is not None:
        hidden = ", ".join(design.hidden_groups) or "some categories"
        parts.append(f"Some kinds of crime are not shown on this map: {hidden}.")
    if design.references == "omitted":
        parts.append("Crime reference numbers are not published.")
    elif design.references == "pseudonym":
        parts.append(
            "Each crime listed has a number made up for this release only; it is not the "
            "police reference number and changes from one release to the next."
        )
    elif design.references == "truncated":
        parts.append("Crime reference numbers are shown in part only.")
    else:
        parts.append("Crime reference numbers are published in full.")
    parts.append(f"The map is updated {design.frequency}.")
    return " ".join(parts)


def _area_words(km2: float) -> str:
    if km2 >= 1:
        return f"{km2:,.1f} km²"
    hectares = km2 * 100
    return f"{hectares:,.0f} hectares" if hectares >= 1 else f"{km2 * 1e6:,.0f} m²"


# --- public files ----------------------------------------------------------------------
# One rule for every CSV the project writes (the public table, the review's rejected
# rows, `crimedash load --rejected-out`): see crimedash/textsafe.py.
neutralise_formula = textsafe.csv_cell
csv_bytes = textsafe.csv_bytes


def public_readme(
    design: Design,
    approval: Approval,
    explanation: str,
    files: Iterable[str],
    base_resolution: int | None = None,
) -> str:
    """The notes file for the public: what the map shows (¶23), the files and every
    column in them, and who published it with a contact for questions and removal
    requests (¶46)."""
    lines = [
        f"Crime map published by {approval.publisher}",
        "",
        "What this map shows",
        "",
        *_wrap(explanation),
        "",
        "Files",
        "",
        *[
            line
            for name in files
            if name in FILE_WORDS
            for line in _wrap(f"- {name}: {FILE_WORDS[name]}")
        ],
        "",
        "Columns",
        "",
        *[
            line
            for entry in column_words(design.spatial.kind, _unit_id_words(design), base_resolution)
            for line in _wrap(entry)
        ],
        "",
        "Questions, complaints and removal requests",
        "",
        *_wrap(
            f"This map is published by {approval.publisher}. If you have a question about "
            f"it, think it identifies you or someone else, or think an area is shown "
            f"wrongly, contact {approval.contact}. We will look at it promptly and change "
            f"or remove data where it is causing distress."
        ),
        "",
    ]
    return "\n".join(lines)


def _unit_id_words(design: Design) -> str:
    kind = design.spatial.kind
    if kind == "h3":
        return "an H3 cell id"
    if kind == "adaptive":
        return "an H3 cell id, or an H3 cell id and the child digits of a pool"
    if kind == "grid":
        return "a grid square: its size and its lower-left corner in metres"
    return "the area's code"


def _wrap(text: str, width: int = 88) -> list[str]:
    import textwrap

    # never break an email address or a web address at its hyphens
    return textwrap.wrap(text, width=width, break_on_hyphens=False, break_long_words=False) or [""]


# --- the bundle -------------------------------------------------------------------------
@dataclass(frozen=True)
class PublicFile:
    path: str  # relative to the bundle, with '/'
    data: bytes
    rows: int | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def public_files(
    dataset: Dataset, design: Design, approval: Approval, layer: PublicLayer | None = None
) -> list[PublicFile]:
    """Every public file's bytes, computed in memory (nothing is written here).

    The same data, design and approval always give the same bytes."""
    index = dataset.index
    layer = layer or apply_design(index, design)
    tables = public_tables(index, layer)
    explanation = approval.explanation or explain(design, layer)
    n_units, n_counts = len(tables.units), len(tables.counts)

    def public(name: str, data: bytes, rows: int) -> PublicFile:
        return PublicFile(f"{PUBLIC_DIR}/{name}", data, rows)

    files = [
        public(UNITS_GEOJSON, units_geojson(tables), n_units),
        public(UNITS_PARQUET, geoparquet_bytes(tables.units, tables.shapes), n_units),
        public(COUNTS_CSV, csv_bytes(tables.counts), n_counts),
        public(COUNTS_PARQUET, parquet_bytes(tables.counts), n_counts),
    ]
    if tables.totals is not None:
        n = len(tables.totals)
        files.append(public(TOTALS_CSV, csv_bytes(tables.totals), n))
        files.append(public(TOTALS_PARQUET, parquet_bytes(tables.totals), n))
    if design.references != "omitted" and tables.references is not None:
        refs = tables.references
        files.append(public(REFERENCES_CSV, csv_bytes(refs), len(refs)))
    names = [Path(f.path).name for f in files]
    readme = public_readme(design, approval, explanation, names, layer.units.base_resolution)
    files.append(PublicFile(f"{PUBLIC_DIR}/{PUBLIC_README}", readme.encode("utf-8")))
    return files


def zip_path(bundle: Path) -> Path:
    """Where the publication zip of a bundle is: inside the bundle folder, named after
    it. It holds `public/` only: this is the file to publish (or hand to the web team)."""
    bundle = Path(bundle)
    return bundle / f"{bundle.name}{PUBLIC_ZIP_SUFFIX}"


def review_zip_path(bundle: Path) -> Path:
    """Where the review record's zip is: `review/` only (manifest with the noise seed,
    report, rejected rows), named so that nobody publishes it by mistake."""
    bundle = Path(bundle)
    return bundle / f"{bundle.name}{REVIEW_ZIP_SUFFIX}"


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
    plan = Plan((design, *also), approval.series)
    if log is not None:
        plan = plan.with_products(series_products(log, approval.series))
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

    assessment = assess(dataset.index, design, rejected_rows=dataset.rejected_rows)
    layer = apply_design(dataset.index, design)
    # the other products and earlier releases, rebuilt from these files: an attacker
    # holds all of them (¶34)
    others = [apply_design(dataset.index, d) for d in plan.products[1:] if d != design]
    combined = differencing(dataset.index, [layer, *others])
    if combined.proven_cells and not approval.justification:
        raise ExportError(
            f"{combined.sentence()} Suppression does not hide them once the series is read "
            "as a whole",
            hint="publish the products at the same threshold and windows, drop one of them, "
            "or give a justification (--justification TEXT) for publishing anyway",
        )
    approval.check(assessment, today=today)
    if not approval.explanation:  # the record keeps the exact words the public reads
        approval = replace(approval, explanation=explain(design, layer))
    files = public_files(dataset, design, approval, layer)

    design_id = None
    if log is not None:
        design_id = log.record_assessment(design, assessment, fingerprint)
    manifest = build_manifest(
        dataset, design, approval, assessment, layer, files, fingerprint, design_id, log
    )
    manifest["release_plan"] = {
        "series": plan.series,
        "products": [d.to_dict() for d in plan.products],
        "budget": spend.to_dict(),
        "differencing": combined.to_dict(),
    }
    from crimedash import report

    rendered = report.render(dataset.index, layer, assessment, manifest)
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
    review.append(PublicFile(f"{REVIEW_DIR}/{MANIFEST}", _json_bytes(manifest)))
    _write_atomically(out_dir, [*files, *review], overwrite)
    if log is not None and design_id is not None:
        try:
            log.record_approval(design_id, approval.to_dict(), out_dir)
        except DesignLogError as exc:
            raise DesignLogError(
                f"the bundle was written to {out_dir}, but the design log could not record "
                f"the approval: {exc}",
                hint="record it again with the same approval, or keep the bundle's manifest "
                "as the record",
            ) from exc
    return out_dir


def is_bundle(folder: Path) -> bool:
    """Whether a folder is a crimedash bundle: it holds a review manifest of our format.
    Only such a folder may be replaced by `overwrite`: anything else is someone's files."""
    try:
        manifest = json.loads((Path(folder) / REVIEW_DIR / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == BUNDLE_FORMAT


def _check_target(out_dir: Path, overwrite: bool) -> None:
    if out_dir.parent.is_dir():  # first put back a bundle a killed overwrite stranded
        _clear_abandoned(out_dir.parent, out_dir.name)
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
    layer: PublicLayer,
    files: list[PublicFile],
    fingerprint: str,
    design_id: int | None = None,
    log: DesignLog | None = None,
) -> dict[str, Any]:
    """The review record: everything needed to check, repeat or question the release.
    Holds the full design, seed included (review only, never published)."""
    summary = dataset.loaded.summary()
    return {
        "format": BUNDLE_FORMAT,
        "crimedash_version": __version__,
        "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "design_fingerprint": design.fingerprint(),
        "design": design.to_dict(),
        "data_fingerprint": fingerprint,
        "inputs": [_plain(i) for i in dataset.inputs],
        "data": {
            "incidents": int(dataset.index.n),
            "data_time_precision": str(dataset.index.data_precision),
            "rows_read": summary.get("rows_read"),
            **dataset.input_summary(),  # every input's rejected rows, not only incidents
            "households_loaded": bool(dataset.index.has_households),
            "area_layers": sorted(dataset.index.areas),
        },
        "public_layer": {
            "rows": len(layer.cell_unit),
            "units": len(np.unique(layer.cell_unit)),
            "windows": layer.window_labels(),
            "display_level": layer.display_level,
            "published_incidents": int(layer.published_incidents),
            "suppressed_cells": int(layer.suppressed_cells),
            "secondary_suppressed_cells": int(layer.secondary_suppressed_cells),
            "outside_units": int(layer.outside_units),
        },
        "assessment": _plain(assessment.to_dict()),
        "approval": approval.to_dict(),
        "explanation": approval.explanation or explain(design, layer),  # what README says
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


def _plain(value: Any) -> Any:
    """Plain JSON data (numpy scalars and arrays, dates, paths made plain)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(_plain(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# --- writing: all or nothing ---------------------------------------------------------------
def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def zip_bytes(files: list[PublicFile], root: str) -> bytes:
    """The bundle as a zip: entries sorted, fixed timestamps and permissions, so the
    same files always give the same zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(files, key=lambda f: f.path):
            info = zipfile.ZipInfo(f"{root}/{f.path}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, whatever the host
            zf.writestr(info, f.data, compresslevel=9)
    return buf.getvalue()


def _clear_abandoned(parent: Path, name: str) -> None:
    """Remove hidden folders of `name` left by exports that were killed: partial new
    bundles, and previous bundles already swapped out of `out_dir`. A previous bundle
    whose `out_dir` is missing (a kill between the two renames of the fallback swap) is
    put back instead, so it is never lost."""
    for kind in ("partial", "old"):
        for path in sorted(parent.glob(f".{glob.escape(name)}.{kind}-*-*")):
            pid = path.name.removeprefix(f".{name}.{kind}-").split("-")[0]
            if not pid.isdigit() or _alive(int(pid)):
                continue
            target = parent / name
            if kind == "old" and not target.exists() and is_bundle(path):
                with contextlib.suppress(OSError):
                    os.replace(path, target)
                    continue
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: leave its folder alone
        return True
    return True


_RENAME_EXCHANGE = 2  # linux/fs.h: swap two paths in one atomic step
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE). False when the
    system or file system cannot, so the caller falls back to two renames."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not supported here
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_into_place(tmp: Path, out_dir: Path, parent: Path) -> Path:
    """Put the new bundle `tmp` at `out_dir`, which holds the previous bundle, so that a
    kill at any moment leaves one of them complete at `out_dir`; return where the
    previous bundle now is (to be removed). With an atomic exchange there is no moment
    without a bundle; without one (not Linux), the previous bundle is first moved to a
    hidden '.NAME.old-PID-*' folder, which the next export puts back if a kill struck
    between the two renames."""
    if _exchange(tmp, out_dir):
        return tmp  # tmp now holds the previous bundle
    old = parent / f".{out_dir.name}.old-{os.getpid()}-{tmp.name.rsplit('-', 1)[-1]}"
    os.replace(out_dir, old)
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        os.replace(old, out_dir)  # put the previous bundle back
        raise
    return old


def _write_atomically(out_dir: Path, files: list[PublicFile], overwrite: bool) -> None:
    """Build the bundle in a hidden folder beside `out_dir`, then rename it into place
    (one atomic rename on the same file system), or swap it with the previous bundle
    when overwriting. On any error the hidden folder is removed; a kill leaves only a
    hidden '.NAME.partial-PID-*' folder, never a half bundle, and the next export to
    the same place clears it once that process is gone."""
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _clear_abandoned(parent, out_dir.name)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise ExportError(f"cannot write into {parent}: {exc.strerror}") from exc
    public = [f for f in files if f.path.startswith(f"{PUBLIC_DIR}/")]
    review = [f for f in files if not f.path.startswith(f"{PUBLIC_DIR}/")]
    old: Path | None = None
    try:
        for f in files:
            _write_file(tmp / f.path, f.data)
        _write_file(tmp / zip_path(out_dir).name, zip_bytes(public, out_dir.name))
        _write_file(tmp / review_zip_path(out_dir).name, zip_bytes(review, out_dir.name))
        _fsync_dir(tmp)
        if out_dir.exists() and any(out_dir.iterdir()):
            if not overwrite:  # appeared while we were writing
                raise ExportError(f"{out_dir} appeared while exporting; nothing was written")
            if not is_bundle(out_dir):
                raise ExportError(f"{out_dir} appeared while exporting and is not a bundle")
            old = _swap_into_place(tmp, out_dir, parent)
        else:
            if out_dir.exists():
                out_dir.rmdir()
            os.replace(tmp, out_dir)
        _fsync_dir(parent)
    except BaseException as exc:
        if old is None:
            shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise ExportError(f"could not write the bundle: {exc}; nothing was written") from exc
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
