"""Adaptive units fixed for a series once first published.

Adaptive units are built from the households only (`crimedash.units`), so a hidden
category or next month's incidents never move an outline. Two things can still change
them between releases of one series: a new households file, and an incident far outside
the households' extent, which adds a top-level cell where nobody lives (a new unit id
that itself says "something happened here"). Outlines that differ between two releases
carry information a reader can difference (issue 11: 36 newly pooled hexagons between
two monthly releases, 28 of which really received an incident).

So the first approved release of a series records its unit table (every unit's public
id and the base H3 resolution) with its approval in the design log, and a later release
of the same series with that adaptive granularity is built on the stored table
(`stored_units`), not on this release's households: the outlines never move. A table
that cannot be applied is the one case still refused without a justification: households
of this release outside every stored unit (homes built beyond the series' first extent),
counted and named in the refusal and the manifest; incidents outside every stored unit
are left out of the map and counted, as any unit kind does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import h3
import h3.api.basic_int as h3_int
import numpy as np

from crimedash.cells import h3_parent
from crimedash.design import Design
from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.units import Units, adaptive_base_resolution, units_cache_key

if TYPE_CHECKING:
    from crimedash.designlog import DesignLog

__all__ = [
    "KEY",
    "FixedUnits",
    "UnitChange",
    "first_table",
    "fixed_for_series",
    "stored_units",
    "unit_change",
    "unit_table",
]

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
        "base_resolution": layer.units.base_resolution,
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


def _digit(cell: int) -> str:
    r = h3_int.get_resolution(cell)
    return str((cell >> (3 * (15 - r))) & 7)


def stored_units(index: Index, design: Design, table: dict[str, Any]) -> tuple[Units, float]:
    """The series' adaptive units rebuilt from its stored table over this index, and the
    households of this index outside every stored unit. A unit id is an H3 cell (the
    unit is the cell with every base-resolution descendant) or '<parent>:<digits>' (a
    pool of the parent's children with those digits, `Units.labels`); each base cell of
    the data is placed in the unit holding one of its ancestors."""
    base = table.get("base_resolution")
    if base is None:  # a table stored before the base was kept: the same rule as then
        base = adaptive_base_resolution(index, design.min_unit_area_m2)
    base = int(base)
    ids = [str(x) for x in table["ids"]]
    rep = np.zeros(len(ids), dtype=np.uint64)
    residual = np.zeros(len(ids), dtype=bool)
    members: dict[int, np.ndarray] = {}
    key_cells: list[int] = []
    key_unit: list[int] = []
    for u, label in enumerate(ids):
        hexid, _, digits = label.partition(":")
        cell = h3.str_to_int(hexid)
        rep[u] = cell
        if digits:
            r = h3_int.get_resolution(cell) + 1
            kids = sorted(c for c in h3_int.cell_to_children(cell, r) if _digit(c) in digits)
            residual[u] = True
            members[u] = np.array(kids, dtype=np.uint64)
            key_cells += kids
            key_unit += [u] * len(kids)
        else:
            key_cells.append(cell)
            key_unit.append(u)
    keys = np.array(key_cells, dtype=np.uint64)
    order = np.argsort(keys)
    keys, owner = keys[order], np.array(key_unit, dtype=np.int64)[order]
    levels = sorted({h3_int.get_resolution(int(c)) for c in keys.tolist()} - {None})
    rc = index.resolution(base)
    unit_of = np.full(len(rc.cells), -1, dtype=np.int64)
    for r in (lv for lv in levels if lv <= base):
        anc = h3_parent(rc.cells, r)
        pos = np.minimum(np.searchsorted(keys, anc), len(keys) - 1)
        hit = (keys[pos] == anc) & (unit_of < 0)
        unit_of[hit] = owner[pos[hit]]
    n = len(ids)
    area = np.array(
        [
            sum(h3_int.cell_area(int(c), unit="km^2") for c in members[u])
            if residual[u]
            else h3_int.cell_area(int(rep[u]), unit="km^2")
            for u in range(n)
        ]
    )
    placed = unit_of >= 0
    if index.has_households:
        households = np.bincount(unit_of[placed], weights=rc.households[placed], minlength=n)
        outside = float(rc.households[~placed].sum())
    else:
        households = design.assumed_households_per_km2 * area
        outside = 0.0
    inc = rc.incident_code
    incident_unit = np.where(inc >= 0, unit_of[np.maximum(inc, 0)], -1).astype(np.int32)
    units = Units(
        design.spatial,
        incident_unit,
        n,
        households,
        not index.has_households,
        area,
        h3_cells=rep,
        residual=residual,
        residual_members=members,
        base_resolution=base,
    )
    return units, outside


@dataclass(frozen=True)
class FixedUnits:
    """A release built on its series' stored adaptive units."""

    index: Index  # this release's index with the stored units in place
    units: Units
    households_outside: float  # this release's households in no stored unit
    incidents_outside: int

    def sentence(self) -> str:
        out = (
            f"The adaptive units are the {self.units.n:,} this series first published, "
            "rebuilt from the table kept in the design log, so no outline moved"
        )
        if self.households_outside:
            out += (
                f"; {self.households_outside:,.0f} households of this release lie outside "
                "every one of them (homes beyond the series' first extent)"
            )
        if self.incidents_outside:
            out += (
                f"; {self.incidents_outside:,} incidents lie outside every unit and are not shown"
            )
        return out + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "units": self.units.n,
            "households_outside": round(self.households_outside, 3),
            "incidents_outside": self.incidents_outside,
            "sentence": self.sentence(),
        }


def fixed_for_series(
    log: DesignLog | None, series: str, index: Index, design: Design
) -> FixedUnits | None:
    """This release's index with the series' stored adaptive units in place of units
    rebuilt from its households (None: not adaptive, or nothing stored yet). The index
    is a copy with its own cache, so the caller's index (the app's session) keeps its
    own units; every product and score built on the copy uses the stored ones."""
    if design.spatial.kind != "adaptive" or log is None:
        return None
    table = first_table(log, series, design)
    if table is None:
        return None
    units, outside = stored_units(index, design, table)
    fixed = replace(index, cache={}, _cache_bytes={}, _pinned={})
    fixed.pin(units_cache_key(fixed, design), units)  # never dropped for cache room
    return FixedUnits(fixed, units, outside, int((units.incident_unit < 0).sum()))
