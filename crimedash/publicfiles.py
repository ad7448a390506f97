"""What the public reads: the bundle README's words and the list of public files.

Why apart from the exporter: these are the words and bytes that leave the building
(¶23: say what the map shows; ¶46: whom to contact), so they are kept in one place a
reviewer can read, and tested, without the machinery that writes folders.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from crimedash import textsafe
from crimedash.approval import Approval
from crimedash.atoms import TOTAL_GROUP
from crimedash.bundlewrite import PUBLIC_DIR, PUBLIC_README, PublicFile
from crimedash.design import Design
from crimedash.layer import PublicLayer, apply_design
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

if TYPE_CHECKING:
    from crimedash.dataset import Dataset

__all__ = ["explain", "public_files", "public_readme"]


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
