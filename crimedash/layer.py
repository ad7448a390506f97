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
from itertools import pairwise

import numpy as np
import pandas as pd

from crimedash import categories as C
from crimedash import noise
from crimedash import schema as S
from crimedash.design import TIME_LEVELS, Design
from crimedash.errors import DesignError
from crimedash.index import Index, effective_level, time_keys, window_label
from crimedash.units import Units, runs, units_for

TOTAL_GROUP = "All crime"
DENSE_LIMIT = 1 << 23  # key spaces up to this are counted with bincount, else hashed
NOISE_DOMAIN_LIMIT = 5_000_000


@dataclass(frozen=True)
class Grouping:
    """Categories resolved to the groups a design shows."""

    groups: tuple[str, ...]  # index = group code
    group_of_category: np.ndarray  # int16 per category code; -1: not shown
    group_sensitivity: np.ndarray  # float64 per group (its most sensitive category)
    category_sensitivity: np.ndarray  # float64 per category code


def resolve_grouping(index: Index, design: Design) -> Grouping:
    """Apply the design's category choices. A group's sensitivity is that of its most
    sensitive member (¶20): a reader of 'Violence and sexual offences' cannot rule the
    sexual offence out. Using one weight per group also keeps the neighbour attacker's
    sum monotone under coarsening (see docs/identifiability.md)."""
    overrides = dict(design.grouping)
    sens_over = dict(design.sensitivity)
    shown = set(design.categories) if design.categories is not None else None
    names = []
    for cat in index.categories:
        group = overrides.get(cat, C.default_group(cat))
        if (shown is not None and cat not in shown) or group in design.hidden_groups:
            names.append(None)
        else:
            names.append(group)
    groups = tuple(sorted({g for g in names if g is not None}))
    code = {g: i for i, g in enumerate(groups)}
    goc = np.array([code[g] if g is not None else -1 for g in names], dtype=np.int16)
    csens = np.array([sens_over.get(c, C.default_sensitivity(c)) for c in index.categories])
    gsens = np.zeros(len(groups))
    for cat_code, g in enumerate(goc):
        if g >= 0:
            gsens[g] = max(gsens[g], csens[cat_code])
    return Grouping(groups, goc, gsens, csens)


@dataclass(frozen=True)
class Windows:
    level: str
    code: np.ndarray  # int64 per incident, dense from 0
    n: int
    origin: int  # absolute key of code 0


def windows_at(index: Index, level: str) -> Windows:
    keys = index.time_keys[level]
    origin = index.time_origin[level]
    code = keys - origin
    return Windows(level, code, int(code.max()) + 1 if index.n else 1, origin)


def window_parent(index: Index, fine: str, coarse: str) -> np.ndarray:
    """For each window code at a fine level, the code of the coarser window holding it
    (levels nest exactly; see index.time_keys)."""
    wf, wc = windows_at(index, fine), windows_at(index, coarse)
    keys = np.arange(wf.n, dtype=np.int64) + wf.origin
    if fine == "day":
        starts = pd.to_datetime(keys * 86_400_000_000_000)
    elif fine == "week":
        m, w = np.divmod(keys, 5)
        # a week's parent is a month or quarter, so any day of the week will do: day 28
        # stands in for "29-end", which February of a common year does not have
        day = np.minimum(1 + 7 * w, 28)
        starts = pd.to_datetime({"year": 1970 + m // 12, "month": m % 12 + 1, "day": day})
    elif fine == "month":
        starts = pd.to_datetime({"year": 1970 + keys // 12, "month": keys % 12 + 1, "day": 1})
    else:
        raise ValueError(f"no coarser window for {fine}")
    return time_keys(pd.Series(starts))[coarse] - wc.origin


N_LOC = 4  # location types: residential, non_residential, public_space, unknown


def dense_groups(keys: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique keys, inverse) without sorting when the key space is small enough
    to mark (a scatter and a cumulative sum); a hash factorisation otherwise."""
    if not len(keys):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if space <= DENSE_LIMIT:
        present = np.zeros(space, dtype=bool)
        present[keys] = True
        rank = np.cumsum(present, dtype=np.int64) - 1
        return np.flatnonzero(present), rank[keys]
    codes, uniq = pd.factorize(keys, sort=True)
    return np.asarray(uniq, dtype=np.int64), codes.astype(np.int64)


@dataclass
class Base:
    """The incidents of one granularity and window level, grouped once into base atoms:
    non-empty (unit, window, category, location type) with counts, sorted. Cached on the
    index, so a design change that keeps granularity and window level (categories,
    grouping, counts, references, weights) never touches a million incidents again."""

    windows: Windows
    n_units: int
    n_uw: int  # non-empty (unit, window) pairs; uwr below is their rank
    incident_atom: np.ndarray  # int32 base atom per incident
    uwr: np.ndarray
    unit: np.ndarray  # == n_units for incidents outside every unit
    rwin: np.ndarray
    cat: np.ndarray
    loc: np.ndarray
    n: np.ndarray
    _n_ref: np.ndarray | None = None

    def n_ref(self, index: Index) -> np.ndarray:
        """Incidents with a reference number per base atom (only needed when a design
        shows references, so computed on first use)."""
        if self._n_ref is None:
            self._n_ref = np.bincount(
                self.incident_atom, weights=index.has_reference, minlength=len(self.n)
            ).astype(np.int64)
        return self._n_ref


def _base(index: Index, units: Units, level: str) -> Base:
    key = ("base", str(units.granularity), id(units), level)
    return index.cached(key, lambda: _build_base(index, units, level))


def _build_base(index: Index, units: Units, level: str) -> Base:
    """One pass over the incidents: a combined (unit, window, category, location) key,
    grouped densely; only when that key space is too large to mark, (unit, window) pairs
    are ranked first to shrink it."""
    win = windows_at(index, level)
    unit = units.incident_unit.astype(np.int64)
    unit[unit < 0] = units.n
    per = len(index.categories) * N_LOC
    uw = unit * win.n + win.code
    if (units.n + 1) * win.n * per <= DENSE_LIMIT:
        keys, inverse = dense_groups(uw * per + _catloc(index), (units.n + 1) * win.n * per)
        uw_atom, catloc = np.divmod(keys, per)
    else:
        uw_keys, uwr_inc = dense_groups(uw, (units.n + 1) * win.n)
        keys, inverse = dense_groups(uwr_inc * per + _catloc(index), len(uw_keys) * per)
        rank, catloc = np.divmod(keys, per)
        uw_atom = uw_keys[rank]
    n = np.bincount(inverse, minlength=len(keys)).astype(np.int64)
    uwr, first = runs(uw_atom)  # atoms are sorted by key, so (unit, window) runs
    u, w = np.divmod(uw_atom, win.n)
    return Base(
        win,
        units.n,
        len(first),
        inverse.astype(np.int32),
        uwr,
        u,
        w,
        catloc // N_LOC,
        catloc % N_LOC,
        n,
    )


def _catloc(index: Index) -> np.ndarray:
    """Category x location type per incident, one small int (cached on the index)."""
    return index.cached(
        "catloc", lambda: index.category_code.astype(np.int64) * N_LOC + index.location_code
    )


@dataclass(frozen=True)
class Atoms:
    """The design's incidents grouped as finely as the model ever needs: by (unit, risk
    window, category, location type). Within an atom every incident gets the same
    chance of being linked, so the score is computed on atoms, not on each incident."""

    unit: np.ndarray  # int64; == n_units for incidents outside every unit
    rwin: np.ndarray  # int64 risk window code
    dwin: np.ndarray  # int64 display window code
    slot: np.ndarray  # int64 group code; == n_groups for hidden categories
    cat: np.ndarray  # category code (the attack simulation reports by category)
    loc: np.ndarray  # int64 location type code
    n: np.ndarray  # int64 incidents
    n_ref: np.ndarray  # int64 incidents with a reference number
    kappa: np.ndarray  # float64 share of the atom's cell the map confirms
    cell: np.ndarray  # int64 index of the atom's published group cell, -1 if none
    uwr: np.ndarray  # int64 rank of (unit, risk window)
    n_uw: int
    n_units: int
    n_groups: int
    n_rwin: int

    @property
    def shown(self) -> np.ndarray:
        return (self.slot < self.n_groups) & (self.unit < self.n_units)

    @property
    def inside(self) -> np.ndarray:
        return self.unit < self.n_units


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
    slot_of_category = np.where(
        grouping.group_of_category >= 0, grouping.group_of_category, n_groups
    )
    base = _base(index, units, count_level)
    want_refs = design.references != "omitted"
    atoms = Atoms(
        unit=base.unit,
        rwin=base.rwin,
        dwin=base.rwin,
        slot=slot_of_category[base.cat],
        cat=base.cat,
        loc=base.loc,
        n=base.n,
        n_ref=base.n_ref(index) if want_refs else np.zeros(len(base.n), dtype=np.int64),
        kappa=np.zeros(len(base.n)),
        cell=np.full(len(base.n), -1, dtype=np.int64),
        uwr=base.uwr,
        n_uw=base.n_uw,
        n_units=units.n,
        n_groups=n_groups,
        n_rwin=base.windows.n,
    )
    dwin_of = (
        np.arange(base.windows.n)
        if count_level == display_level
        else window_parent(index, count_level, display_level)
    )
    dwin = dwin_of[atoms.rwin]
    display = windows_at(index, display_level)
    outside = int(atoms.n[~atoms.inside].sum())
    if outside:
        notes.append(f"{outside:,} incidents lie outside every unit and are not published.")

    shown = atoms.shown
    g_safe = max(n_groups, 1)
    # display group cells and totals, keyed (unit, display window, group)
    # count on dense (unit, display window) ranks, then map back to full keys (sorted)
    ud_full = atoms.unit * display.n + dwin
    if count_level == display_level:
        ud_rank, ud_uniq = atoms.uwr, np.zeros(atoms.n_uw, dtype=np.int64)
        ud_uniq[atoms.uwr] = ud_full
    else:
        ud_uniq, ud_rank = dense_groups(ud_full, (units.n + 1) * display.n)
    slot_safe = np.minimum(atoms.slot, g_safe - 1)
    gr, ginv_sel = dense_groups(
        ud_rank[shown] * g_safe + slot_safe[shown], max(len(ud_uniq), 1) * g_safe
    )
    gk = ud_uniq[gr // g_safe] * g_safe + gr % g_safe
    gtrue = np.bincount(ginv_sel, weights=atoms.n[shown], minlength=len(gk)).astype(np.int64)
    with_totals = design.totals and n_groups > 1
    if with_totals:
        tinv, first = runs(gk // g_safe)  # gk is sorted
        tk = (gk // g_safe)[first]
        ttrue = np.bincount(tinv, weights=gtrue, minlength=len(tk)).astype(np.int64)
    else:
        tk = ttrue = None

    if design.counts == "noise":
        keys, true, cell_shown, published, n_supp, n_sec = _noisy_cells(
            index, design, units, grouping, display, gk, gtrue, with_totals
        )
        kappa_group = np.ones(len(gk))
        group_cell_pos = np.searchsorted(keys, _recode(gk, g_safe, False))
    else:
        (keys, true, cell_shown, published, kappa_group, n_supp, n_sec) = _disclose(
            design, gk, gtrue, tk, ttrue, g_safe
        )
        group_cell_pos = np.arange(len(gk))

    kappa = np.zeros(len(atoms.n))
    kappa[shown] = kappa_group[ginv_sel]
    # decode keys: group cells have g < n_groups; totals were encoded with slot g_safe
    cg = keys % (g_safe + 1)
    uw = keys // (g_safe + 1)
    cu, cw = uw // display.n, uw % display.n
    order = np.lexsort((cg, cw, cu))
    keep = order[published[order]]
    out_pos = np.full(len(keys), -1, dtype=np.int64)
    out_pos[keep] = np.arange(len(keep))
    cell = np.full(len(atoms.n), -1, dtype=np.int64)
    cell[shown] = out_pos[group_cell_pos[ginv_sel]]
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


def _recode(keys: np.ndarray, n_groups: int, is_total: bool) -> np.ndarray:
    """Re-encode cell keys so group cells and totals share one key space, with the
    total's slot (n_groups) after the groups."""
    if is_total:
        return keys * (n_groups + 1) + n_groups
    uw, gg = np.divmod(keys, n_groups)
    return uw * (n_groups + 1) + gg


def _disclose(design: Design, gk, gtrue, tk, ttrue, n_groups: int):
    """Suppression (primary and secondary), then rounding or banding. Keys come back
    in one space (group cells, then totals); kappa is per group cell."""
    keys = _recode(gk, n_groups, False)
    true = gtrue
    if tk is not None:
        keys = np.concatenate([keys, _recode(tk, n_groups, True)])
        true = np.concatenate([true, ttrue])
    n_group_cells = len(gk)
    is_total = np.arange(len(keys)) >= n_group_cells
    suppressed = (true < design.min_count) if design.min_count > 0 else np.zeros(len(keys), bool)
    n_secondary = 0
    if tk is not None and design.min_count > 0:
        suppressed, n_secondary = _secondary(keys, true, suppressed, is_total, n_groups)
    shown, lo = _show(design, true)
    published = ~suppressed & (shown > 0)
    kappa = np.where(published, lo / np.maximum(true, 1), 0.0)[:n_group_cells]
    return (
        keys,
        true,
        shown,
        published,
        kappa,
        int(suppressed.sum() - n_secondary),
        n_secondary,
    )


def _secondary(keys, true, suppressed, is_total, n_groups):
    """Where exactly one cell of a (unit, window) family is suppressed and the family's
    total is published, that cell could be recovered by subtraction: suppress the
    smallest other published group cell too (ties broken by group order)."""
    family = keys // (n_groups + 1)
    fam_codes, fam = np.unique(family, return_inverse=True)
    n_supp = np.bincount(fam, weights=suppressed, minlength=len(fam_codes))
    has_total = np.bincount(fam, weights=is_total, minlength=len(fam_codes)) > 0
    needs = (n_supp == 1) & has_total
    cand = needs[fam] & ~suppressed & ~is_total
    idx = np.flatnonzero(cand)
    extra = 0
    if len(idx):
        order = np.lexsort((keys[idx], true[idx], fam[idx]))
        idx = idx[order]
        first = np.r_[True, fam[idx][1:] != fam[idx][:-1]]
        chosen = idx[first]
        suppressed = suppressed.copy()
        suppressed[chosen] = True
        extra = len(chosen)
    # a family whose only other published cell was the total: suppress the total
    n_supp2 = np.bincount(fam, weights=suppressed, minlength=len(fam_codes))
    still = (n_supp2 == 1) & has_total
    tot = still[fam] & is_total & ~suppressed
    if tot.any():
        suppressed = suppressed.copy()
        suppressed[tot] = True
        extra += int(tot.sum())
    return suppressed, extra


def _show(design: Design, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shown count, and the lowest true count it is consistent with (what the map
    confirms)."""
    true = true.astype(np.int64)
    if design.counts == "rounded":
        b = design.round_base
        shown = b * np.floor(true / b + 0.5)
        lo = np.maximum(1, np.ceil(shown - b / 2))
        return shown, np.where(shown > 0, lo, 0.0)
    if design.counts == "banded":
        edges = np.asarray(design.bands, dtype=np.int64)
        k = np.clip(np.searchsorted(edges, true, side="right") - 1, 0, len(edges) - 1)
        lo = edges[k].astype(float)
        return np.where(true > 0, lo, 0.0), lo
    return true.astype(float), true.astype(float)


def count_labels(design: Design, shown: np.ndarray) -> np.ndarray:
    """Shown counts in words: the band ("6 to 10", "51 or more") or the number."""
    if design.counts == "banded":
        edges = np.asarray(design.bands, dtype=np.int64)
        words = np.array(
            [f"{a} to {b - 1}" for a, b in pairwise(edges)] + [f"{edges[-1]} or more"],
            dtype=object,
        )
        return words[np.searchsorted(edges, shown.astype(np.int64), side="right") - 1]
    return shown.astype(np.int64).astype(str).astype(object)


def _noisy_cells(index, design, units, grouping, display, gk, gtrue, with_totals):
    """Differential-privacy noise on every cell of the domain, zeros included (a cell
    left out would itself reveal that it was empty). Each incident counts in its group
    cell and in its total, so each family gets half of epsilon. The noise of a cell is
    fixed for the series (`crimedash.noise`): the same cell with the same count has the
    same value in every release, so keeping releases averages nothing away."""
    n_units, n_windows, n_groups = units.n, display.n, len(grouping.groups)
    g_safe = max(n_groups, 1)
    families = g_safe + (1 if with_totals else 0)
    space = n_units * n_windows * families
    if space > NOISE_DOMAIN_LIMIT:
        raise DesignError(
            f"noise must be added to every cell, and this design has {space:,} "
            f"(units x windows x groups); the limit is {NOISE_DOMAIN_LIMIT:,}",
            hint="choose coarser units (H3 9 or coarser, grid 250 m or larger) or a "
            "coarser time precision",
        )
    eps = design.epsilon / (2 if with_totals else 1)
    dense = np.zeros(n_units * n_windows * (g_safe + 1), dtype=np.int64)
    dense[_recode(gk, g_safe, False)] = gtrue
    grid = dense.reshape(-1, g_safe + 1)
    if with_totals:
        grid[:, g_safe] = grid[:, :g_safe].sum(axis=1)
    area_codes = index.areas[units.area_layer].codes if units.area_layer else None
    unit_secret = index.cached(
        ("noise-units", design.noise_seed, str(units.granularity), id(units)),
        lambda: noise.keyed(design.noise_seed, noise.unit_identities(units, area_codes)),
    )
    group_secret = noise.keyed(
        design.noise_seed, [f"group:{g}" for g in grouping.groups[:g_safe]] + [TOTAL_GROUP]
    )
    if len(group_secret) < g_safe + 1:  # no groups shown: one empty slot and the total
        group_secret = np.resize(group_secret, g_safe + 1)
    cells = np.arange(dense.size, dtype=np.int64)
    uw, slot = np.divmod(cells, g_safe + 1)
    unit, win = np.divmod(uw, n_windows)
    draw = noise.cell_noise(
        unit_secret, unit, display.level, win + display.origin, group_secret, slot, eps, dense
    )
    noisy = np.maximum(dense + draw, 0)
    if not with_totals:
        noisy.reshape(-1, g_safe + 1)[:, g_safe] = 0
    published = noisy >= max(design.min_count, 1)
    keys = np.flatnonzero(published | (dense > 0)).astype(np.int64)
    return (
        keys,
        dense[keys],
        noisy[keys].astype(float),
        published[keys],
        int(((dense > 0) & ~published).sum()),
        0,
    )


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
