"""The public layer: exactly what a design would publish, and nothing else.

`apply_design(index, design)` is the single source for the map, the score and the
export. A published cell is (unit, window, category group) with a shown count; an
optional 'All crime' total per (unit, window); and, only if the design allows them,
reference numbers. Never a raw point, an exact time the design does not show, or a
reference the design does not allow.

A cell's shown count differs from its true count only through a disclosure-control
step the design names: suppression under `min_count` (with secondary suppression
where a published total would give a suppressed value away), rounding, banding or
differential-privacy noise.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from crimedash import schema as S
from crimedash.atoms import (
    TOTAL_GROUP,
    Atoms,
    Grouping,
    base_atoms,
    dense_groups,
    narrow_dtype,
    resolve_grouping,
    window_parent,
    windows_at,
)
from crimedash.design import Design
from crimedash.disclosure import Layout, count_labels, disclose, layout, noisy_cells, recode
from crimedash.index import Index, effective_level
from crimedash.settings import TIME_LEVELS
from crimedash.units import Units, runs, units_for
from crimedash.windows import window_label

__all__ = [
    "PublicLayer",
    "apply_design",
]


@dataclass(frozen=True)
class PublicLayer:
    """What a design publishes, plus the atoms the score is computed from (which are
    internal: only `frame()` and `references` are public)."""

    design: Design
    units: Units
    grouping: Grouping
    display_level: str  # time level of the published windows
    risk_level: str  # attacker's window: finer of release interval and precision
    # published cells, sorted by unit, window, group (group -1 = the 'All crime' total)
    cell_unit: np.ndarray
    cell_window: np.ndarray  # absolute time key at display_level
    cell_group: np.ndarray
    cell_shown: np.ndarray  # float64 shown count (band's lower edge when banded)
    cell_true: np.ndarray  # int64: internal only, never written to a public file
    atoms: Atoms
    display_origin: int  # absolute display-window key of code 0
    # summary
    shown_incidents: int  # incidents in shown groups and inside units
    published_incidents: int  # of those, in cells that are published
    suppressed_cells: int
    secondary_suppressed_cells: int
    outside_units: int
    notes: tuple[str, ...] = ()
    _references: Callable[[], pd.DataFrame] | None = field(default=None, repr=False)

    @cached_property
    def references(self) -> pd.DataFrame | None:
        """Reference numbers as published (unit, window, group, reference), or None when
        the design omits them. Built on first use: scoring never needs the text."""
        return self._references() if self._references is not None else None

    @cached_property
    def cell_label(self) -> np.ndarray:
        """The count as shown in words ("6 to 10" when banded); built only when asked,
        since turning numbers into text is the slowest step for a large layer."""
        return count_labels(self.design, self.cell_shown)

    def frame(self, index: Index) -> pd.DataFrame:
        """The public table: unit, window, group, count, count label."""
        groups = np.array((*self.grouping.groups, TOTAL_GROUP), dtype=object)
        uniq_units, inv = np.unique(self.cell_unit, return_inverse=True)
        labels = np.array(self.units.labels(index, uniq_units), dtype=object)
        uniq_w, winv = np.unique(self.cell_window, return_inverse=True)
        wlabels = np.array([window_label(self.display_level, w) for w in uniq_w], dtype=object)
        return pd.DataFrame(
            {
                S.UNIT: labels[inv] if len(inv) else labels,
                S.WINDOW: wlabels[winv] if len(winv) else wlabels,
                S.GROUP: groups[self.cell_group] if len(self.cell_group) else groups[:0],
                S.SHOWN: self.cell_shown.astype(np.int64),
                S.SHOWN_LABEL: self.cell_label,
            }
        )

    def windows(self) -> list[int]:
        return sorted(set(self.cell_window.tolist()))

    def window_labels(self) -> list[str]:
        return [window_label(self.display_level, w) for w in self.windows()]


def apply_design(index: Index, design: Design) -> PublicLayer:
    """Compute exactly what `design` publishes from `index`."""
    grouping = resolve_grouping(index, design)
    units = units_for(
        index, design.spatial, design.assumed_households_per_km2, design.min_unit_area_m2
    )
    notes: list[str] = []
    display_level = effective_level(index, design.time_precision)
    risk_level = effective_level(index, design.window_level)
    if risk_level != design.window_level:
        notes.append(
            f"The data only says the {risk_level} of each incident, so windows are "
            f"{risk_level}s at their finest, whatever the release frequency (¶34)."
        )
    if TIME_LEVELS.index(display_level) < TIME_LEVELS.index(risk_level):
        display_level = risk_level
    # real time: each update is one incident (the score handles that); counting
    # happens at the display level
    count_level = display_level if risk_level == "timestamp" else risk_level
    n_groups = len(grouping.groups)
    base = base_atoms(index, units, count_level)
    want_refs = design.references != "omitted"
    display = windows_at(index, display_level)
    grouped = _grouped(index, units, grouping, base, count_level, display)
    atoms = Atoms(
        unit=base.unit,
        rwin=base.rwin,
        dwin=base.rwin,
        slot=grouped.slot,
        cat=base.cat,
        loc=base.loc,
        n=base.n,
        n_ref=base.n_ref(index) if want_refs else np.zeros(len(base.n), dtype=base.n.dtype),
        kappa=np.zeros(len(base.n)),
        cell=np.full(len(base.n), -1, dtype=np.int32),
        n_uw=base.n_uw,
        n_units=units.n,
        n_groups=n_groups,
    )
    dwin = grouped.dwin
    outside = grouped.outside
    if outside:
        notes.append(f"{outside:,} incidents lie outside every unit and are not published.")
    shown = grouped.shown
    g_safe = max(n_groups, 1)
    gk, gtrue, ginv_sel = grouped.gk, grouped.gtrue, grouped.ginv_sel
    with_totals = design.totals and n_groups > 1
    tk, ttrue = (grouped.tk, grouped.ttrue) if with_totals else (None, None)

    if design.counts == "noise":
        keys, true, cell_shown, published, n_supp, n_sec = noisy_cells(
            index, design, units, grouping, display, gk, gtrue, with_totals
        )
        kappa_group = np.ones(len(gk))
        group_cell_pos = np.searchsorted(keys, recode(gk, g_safe, False))
    else:
        # the app keeps the cells' layout for its next count-only change; a batch run
        # (export, assess at 60M rows) does not hold it beside the largest alternative
        kept = grouped.layout(with_totals, g_safe) if index.keep_alternatives else None
        (keys, true, cell_shown, published, kappa_group, n_supp, n_sec) = disclose(
            design, gk, gtrue, tk, ttrue, g_safe, kept
        )
        group_cell_pos = None  # the group cells come first, in order: the identity

    kappa = np.zeros(len(atoms.n))
    kappa[shown] = kappa_group[ginv_sel]
    # decode keys: group cells have g < n_groups; totals were encoded with slot g_safe
    if design.counts == "noise":  # noise publishes its own domain of keys
        cg, cu, cw, order = _decode(keys, g_safe, display.n)
    else:  # the same keys for every count-only change: decoded once per grouping
        cg, cu, cw, order = grouped.decoded(with_totals, keys, g_safe, display.n)
    keep = order[published[order]]
    out_pos = np.full(len(keys), -1, dtype=np.int64)
    out_pos[keep] = np.arange(len(keep))
    # int32 while the cells fit (`narrow`'s type, made at once: a pass over the atoms)
    cell = np.full(len(atoms.n), -1, dtype=narrow_dtype(len(keep)))
    cell[shown] = out_pos[ginv_sel if group_cell_pos is None else group_cell_pos[ginv_sel]]
    references = None
    if want_refs:
        kappa_refs = kappa.copy()

        def references() -> pd.DataFrame:
            return _references(
                index,
                design,
                units,
                display,
                grouping,
                atoms,
                base.incident_atom,
                kappa_refs,
                dwin,
            )

        if design.counts != "exact":
            notes.append(
                "Listing reference numbers shows each cell's exact count, so "
                "rounding, banding or noise no longer hide it."
            )
            kappa = np.where(kappa > 0, 1.0, 0.0)
    atoms = replace(atoms, dwin=dwin, kappa=kappa, cell=cell)
    return PublicLayer(
        design=design,
        units=units,
        grouping=grouping,
        display_level=display_level,
        risk_level=risk_level,
        cell_unit=cu[keep],
        cell_window=cw[keep] + display.origin,
        cell_group=np.where(cg[keep] == g_safe, -1, cg[keep]).astype(np.int64),
        cell_shown=cell_shown[keep],
        cell_true=true[keep],
        atoms=atoms,
        display_origin=display.origin,
        shown_incidents=int(atoms.n[shown].sum()),
        published_incidents=int(atoms.n[kappa > 0].sum()),
        suppressed_cells=n_supp,
        secondary_suppressed_cells=n_sec,
        outside_units=outside,
        notes=tuple(notes),
        _references=references,
    )


@dataclass(frozen=True)
class _Grouped:
    """A design's cells before disclosure control: the atoms' group slots and display
    windows, the (unit, window, group) cells with their true counts, and the (unit,
    window) totals. They depend only on the units, the windows and the grouping, so a
    change of how counts are shown (minimum count, rounding, bands, totals, noise) reuses
    them from the index's cache and reruns only disclosure, the proof and the score
    (issue 16: the repeat at 5M rows)."""

    slot: np.ndarray  # group code per atom (== n_groups: hidden)
    dwin: np.ndarray  # display window code per atom
    shown: np.ndarray  # bool per atom: in a shown group and inside a unit
    ginv_sel: np.ndarray  # group cell of each shown atom
    gk: np.ndarray  # sorted group cell keys (unit, window) * groups + group
    gtrue: np.ndarray  # int64 true count per group cell
    tk: np.ndarray | None  # sorted (unit, window) keys of the totals (None: one group)
    ttrue: np.ndarray | None
    outside: int  # incidents outside every unit
    _decoded: dict = field(default_factory=dict, compare=False, repr=False)

    def layout(self, with_totals: bool, g_safe: int) -> Layout:
        """The cells disclosure works on (`disclosure.layout`), kept for the next
        count-only change."""
        key = ("layout", with_totals, g_safe)
        if key not in self._decoded:
            tk, ttrue = (self.tk, self.ttrue) if with_totals else (None, None)
            self._decoded[key] = layout(self.gk, self.gtrue, tk, ttrue, g_safe)
        return self._decoded[key]

    def decoded(self, with_totals: bool, keys: np.ndarray, g_safe: int, n_display: int):
        """`_decode(keys)` for the keys disclosure returns (group cells, then totals when
        published), kept for the next count-only change."""
        if with_totals not in self._decoded:
            self._decoded[with_totals] = _decode(keys, g_safe, n_display)
        return self._decoded[with_totals]


def _decode(keys: np.ndarray, g_safe: int, n_display: int):
    """(group, unit, window) of each cell key, and the order sorting them by unit,
    window and group (totals last). A key is those three as digits of one number, so
    sorting the keys is that order; a stable sort of the keys (two sorted runs: group
    cells, then totals) is the three-column lexsort's permutation (at 5M rows, h3:9,
    0.004 against 0.057 CPU-s)."""
    cg = keys % (g_safe + 1)
    uw = keys // (g_safe + 1)
    cu, cw = uw // n_display, uw % n_display
    return cg, cu, cw, np.argsort(keys, kind="stable")


def _grouped(index: Index, units: Units, grouping: Grouping, base, count_level: str, display):
    key = (
        "grouped",
        str(units.granularity),
        id(units),
        count_level,
        display.level,
        grouping.groups,
        grouping.group_of_category.tobytes(),
    )
    return index.cached(
        key, lambda: _build_grouped(index, units, grouping, base, count_level, display)
    )


def _build_grouped(
    index: Index, units: Units, grouping: Grouping, base, count_level: str, display
) -> _Grouped:
    n_groups = len(grouping.groups)
    slot_of_category = np.where(
        grouping.group_of_category >= 0, grouping.group_of_category, n_groups
    )
    slot = slot_of_category[base.cat]
    dwin_of = (
        np.arange(base.windows.n)
        if count_level == display.level
        else window_parent(index, count_level, display.level)
    )
    dwin = dwin_of[base.rwin]
    inside = base.unit < units.n
    outside = int(base.n[~inside].sum())
    shown = (slot < n_groups) & inside
    g_safe = max(n_groups, 1)
    # display group cells and totals, keyed (unit, display window, group)
    # count on dense (unit, display window) ranks, then map back to full keys (sorted)
    ud_full = base.unit * display.n + dwin
    if count_level == display.level:
        ud_rank, ud_uniq = base.uwr, np.zeros(base.n_uw, dtype=np.int64)
        ud_uniq[base.uwr] = ud_full
    else:
        ud_uniq, ud_rank = dense_groups(ud_full, (units.n + 1) * display.n)
    slot_safe = np.minimum(slot, g_safe - 1)
    gr, ginv_sel = dense_groups(
        ud_rank[shown] * g_safe + slot_safe[shown], max(len(ud_uniq), 1) * g_safe
    )
    gk = ud_uniq[gr // g_safe] * g_safe + gr % g_safe
    gtrue = np.bincount(ginv_sel, weights=base.n[shown], minlength=len(gk)).astype(np.int64)
    tk = ttrue = None
    if n_groups > 1:
        tinv, first = runs(gk // g_safe)  # gk is sorted
        tk = (gk // g_safe)[first]
        ttrue = np.bincount(tinv, weights=gtrue, minlength=len(tk)).astype(np.int64)
    return _Grouped(slot, dwin, shown, ginv_sel, gk, gtrue, tk, ttrue, outside)


def _references(
    index, design, units, display, grouping, atoms, incident_atom, kappa, dwin
) -> pd.DataFrame:
    """Reference numbers as the design allows (¶24-25): truncated, a fresh pseudonym per
    release (keyed by a secret, so it links to nothing), or in full."""
    atom = incident_atom
    sel = np.flatnonzero((kappa[atom] > 0) & index.has_reference)
    refs = index.references[sel].astype(str)
    a = atom[sel]
    windows = dwin[a] + display.origin
    if design.references == "truncated":
        shown = [r[: len(r) // 2] + "*" * (len(r) - len(r) // 2) for r in refs]
    elif design.references == "pseudonym":
        secret = f"{design.noise_seed}:{index.fingerprint}".encode()
        shown = [
            "P-" + hmac.new(secret, f"{w}:{r}".encode(), hashlib.sha256).hexdigest()[:10]
            for r, w in zip(refs, windows.tolist(), strict=True)
        ]
    else:
        shown = list(refs)
    groups = np.array(grouping.groups, dtype=object)
    frame = pd.DataFrame(
        {
            S.UNIT: units.labels(index, atoms.unit[a]),
            S.WINDOW: [window_label(display.level, w) for w in windows.tolist()],
            S.GROUP: groups[atoms.slot[a]] if len(sel) else [],
            S.REFERENCE: shown,
        }
    )
    return frame.sort_values([S.UNIT, S.WINDOW, S.GROUP, S.REFERENCE], ignore_index=True)
