"""Adaptive units fixed for a series once first published.

Adaptive units are built from the households only (`crimedash.units`), so a hidden
category or next month's incidents never move an outline. Two things can still change
them between releases of one series: a new households file, and an incident far outside
the households' extent, which adds a top-level cell where nobody lives (a new unit id
that itself says "something happened here"). Outlines that differ between two releases
carry information a reader can difference (issue 11: 36 newly pooled hexagons between
two monthly releases, 28 of which really received an incident).

So the first approved release of a series records its unit table (every unit's public
id) with its approval in the design log, and a later release of the same series with an
adaptive design must publish the same table: the export refuses one whose units differ,
naming how many were added and removed, unless the reviewer justifies it. This fixes the
units by refusal rather than by rebuilding the old table: the next release is built from
the same households file (the usual case) and matches, or the reviewer decides.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np

from crimedash.design import Design
from crimedash.index import Index
from crimedash.layer import PublicLayer

if TYPE_CHECKING:
    from crimedash.designlog import DesignLog

__all__ = ["KEY", "UnitChange", "first_table", "unit_change", "unit_table"]

KEY = "published_units"  # where the table is kept in the logged approval


def _kind(design: Design) -> tuple[str, float]:
    return (design.granularity, float(design.min_unit_area_m2))


def unit_table(index: Index, layer: PublicLayer) -> dict[str, Any] | None:
    """The public ids of every adaptive unit of `layer` (None for other unit kinds,
    whose shapes are fixed by definition)."""
    if layer.design.spatial.kind != "adaptive":
        return None
    ids = sorted(layer.units.labels(index, np.arange(layer.units.n)))
    return {
        "granularity": layer.design.granularity,
        "min_unit_area_m2": float(layer.design.min_unit_area_m2),
        "sha256": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
        "ids": ids,
    }


def first_table(log: DesignLog, series: str, design: Design) -> dict[str, Any] | None:
    """The unit table the series first published for this adaptive granularity."""
    found = []
    for rec in log.list():
        for ap in rec.approvals:
            table = ap.approval.get(KEY)
            if (
                ap.decision == "approve"
                and ap.bundle_path
                and str(ap.approval.get("series") or "") == series
                and isinstance(table, dict)
                and (table.get("granularity"), table.get("min_unit_area_m2")) == _kind(design)
            ):
                found.append((ap.id, table))
    return min(found, key=lambda x: x[0])[1] if found else None


class UnitChange:
    """How the units about to be published differ from those the series first did."""

    def __init__(self, first: dict[str, Any], now: dict[str, Any]) -> None:
        before, after = set(first["ids"]), set(now["ids"])
        self.added = sorted(after - before)
        self.removed = sorted(before - after)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)

    def sentence(self) -> str:
        return (
            f"The adaptive units differ from those this series first published: "
            f"{len(self.added):,} new and {len(self.removed):,} gone. Outlines that move "
            "between releases can be differenced (a new unit where nobody lives says an "
            "incident happened there)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "examples": (self.added + self.removed)[:5],
            "sentence": self.sentence(),
        }


def unit_change(
    log: DesignLog | None, series: str, index: Index, layer: PublicLayer
) -> tuple[dict[str, Any] | None, UnitChange | None]:
    """(this release's unit table, its change against the series' first), either None
    when the units are not adaptive or the series has not published them yet."""
    table = unit_table(index, layer)
    if table is None or log is None:
        return table, None
    first = first_table(log, series, layer.design)
    if first is None or first.get("sha256") == table["sha256"]:
        return table, None
    return table, UnitChange(first, table)
