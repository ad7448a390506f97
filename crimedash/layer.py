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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crimedash import categories as C
from crimedash import schema as S
from crimedash.design import TIME_LEVELS, Design
from crimedash.errors import DesignError
from crimedash.index import Index, effective_level, window_label
from crimedash.units import Units, units_for

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
class Cells:
    """Cells of one (unit, window[, group]) key: which cell each incident is in."""

    keys: np.ndarray  # int64 sorted unique keys of non-empty cells
    incident_cell: np.ndarray  # int64 position in keys per incident, -1 if not counted
    counts: np.ndarray  # int64 incidents per cell


def count_cells(keys: np.ndarray, mask: np.ndarray, space: int) -> Cells:
    """Group incidents by integer key (counting only where `mask`) without sorting:
    `np.bincount` when the key space is small, a hash factorisation otherwise."""
    sel = keys[mask]
    incident_cell = np.full(len(keys), -1, dtype=np.int64)
    if space <= DENSE_LIMIT:
        counts = np.bincount(sel, minlength=space)
        nz = np.flatnonzero(counts)
        pos = np.full(space, -1, dtype=np.int64)
        pos[nz] = np.arange(len(nz))
        incident_cell[mask] = pos[sel]
        return Cells(nz.astype(np.int64), incident_cell, counts[nz])
    codes, uniq = pd.factorize(sel, sort=False)
    order = np.argsort(uniq, kind="stable")
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    incident_cell[mask] = rank[codes]
    counts = np.bincount(rank[codes], minlength=len(uniq))
    return Cells(np.asarray(uniq)[order].astype(np.int64), incident_cell, counts)


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


@dataclass(frozen=True)
class PublicLayer:
    """What a design publishes, plus the per-incident facts the score needs (which are
    internal: only `frame()`, `geoframe()` and `references` are public)."""

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
    cell_label: np.ndarray  # object: the count as shown in words
    cell_true: np.ndarray  # int64: internal only, never written to a public file
    # per incident
    incident_unit: np.ndarray
    incident_group: np.ndarray  # -1 where not shown (hidden or outside every unit)
    incident_kappa: np.ndarray  # share of the incident's cell the map confirms (0-1)
    # summary
    shown_incidents: int  # incidents in shown groups and inside units
    published_incidents: int  # of those, in cells that are published
    suppressed_cells: int
    secondary_suppressed_cells: int
    outside_units: int
    notes: tuple[str, ...] = ()
    references: pd.DataFrame | None = field(default=None, repr=False)

    def frame(self, index: Index) -> pd.DataFrame:
        """The public table: unit, window, group, count, count label."""
        groups = np.array((*self.grouping.groups, TOTAL_GROUP), dtype=object)
        uniq_units, inv = np.unique(self.cell_unit, return_inverse=True)
        labels = np.array(self.units.labels(index, uniq_units), dtype=object)
        uniq_w, winv = np.unique(self.cell_window, return_inverse=True)
        wlabels = np.array([window_label(self.display_level, w) for w in uniq_w], dtype=object)
        shown = self.cell_shown
        count = shown.astype(np.int64)
        return pd.DataFrame(
            {
                S.UNIT: labels[inv] if len(inv) else labels,
                S.WINDOW: wlabels[winv] if len(winv) else wlabels,
                S.GROUP: groups[self.cell_group] if len(self.cell_group) else groups[:0],
                S.SHOWN: count,
                S.SHOWN_LABEL: self.cell_label,
            }
        )

    def geoframe(self, index: Index):
        """The public table with each unit's shape (WGS84), for GeoJSON and GeoParquet."""
        import geopandas as gpd

        frame = self.frame(index)
        uniq_units, inv = np.unique(self.cell_unit, return_inverse=True)
        geoms = self.units.geometries(index, uniq_units)
        return gpd.GeoDataFrame(frame, geometry=list(geoms[inv]) if len(inv) else [], crs=S.WGS84)

    def windows(self) -> list[int]:
        return sorted(set(self.cell_window.tolist()))

    def window_labels(self) -> list[str]:
        return [window_label(self.display_level, w) for w in self.windows()]


def apply_design(index: Index, design: Design) -> PublicLayer:
    """Compute exactly what `design` publishes from `index`."""
    grouping = resolve_grouping(index, design)
    units = units_for(index, design.spatial, design.assumed_households_per_km2)
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

    unit = units.incident_unit.astype(np.int64)
    g = grouping.group_of_category[index.category_code].astype(np.int64)
    inside = unit >= 0
    shown = inside & (g >= 0)
    outside = int((~inside).sum())
    if outside:
        notes.append(f"{outside:,} incidents lie outside every unit and are not published.")
    n_groups = max(len(grouping.groups), 1)
    win = windows_at(index, display_level)

    if design.counts == "noise":
        cells = _noisy_cells(index, design, units, win, g, unit, shown, n_groups)
        cell_keys, cell_true, cell_shown, cell_label, published, n_supp, n_sec = cells
        incident_kappa = np.where(shown, 1.0, 0.0)
    else:
        key = (unit * win.n + win.code) * n_groups + g
        gc = count_cells(key, shown, units.n * win.n * n_groups)
        tkey = unit * win.n + win.code
        tc = (
            count_cells(tkey, shown, units.n * win.n)
            if design.totals and len(grouping.groups) > 1
            else None
        )
        (cell_keys, cell_true, cell_shown, cell_label, published, kappa, n_supp, n_sec) = _disclose(
            design, gc, tc, n_groups
        )
        incident_kappa = np.zeros(index.n)
        incident_kappa[shown] = kappa[gc.incident_cell[shown]]

    # decode keys: group cells have g >= 0; totals were encoded with group n_groups
    cg = cell_keys % (n_groups + 1)
    uw = cell_keys // (n_groups + 1)
    cu, cw = uw // win.n, uw % win.n
    order = np.lexsort((cg, cw, cu))
    keep = order[published[order]]
    cell_group = np.where(cg[keep] == n_groups, -1, cg[keep])
    # 'All crime' sorts last within its unit and window
    references = None
    if design.references != "omitted":
        references = _references(index, design, units, win, grouping, unit, g, incident_kappa)
        if design.counts != "exact":
            notes.append(
                "Listing reference numbers shows each cell's exact count, so "
                "rounding, banding or noise no longer hide it."
            )
            incident_kappa = np.where(incident_kappa > 0, 1.0, 0.0)
    return PublicLayer(
        design=design,
        units=units,
        grouping=grouping,
        display_level=display_level,
        risk_level=risk_level,
        cell_unit=cu[keep],
        cell_window=cw[keep] + win.origin,
        cell_group=cell_group.astype(np.int64),
        cell_shown=cell_shown[keep],
        cell_label=cell_label[keep],
        cell_true=cell_true[keep],
        incident_unit=unit,
        incident_group=np.where(shown, g, -1),
        incident_kappa=incident_kappa,
        shown_incidents=int(shown.sum()),
        published_incidents=int((incident_kappa > 0).sum()),
        suppressed_cells=n_supp,
        secondary_suppressed_cells=n_sec,
        outside_units=outside,
        notes=tuple(notes),
        references=references,
    )


def _recode(keys: np.ndarray, n_groups: int, is_total: bool) -> np.ndarray:
    """Re-encode cell keys so group cells and totals share one key space, with the
    total's slot (n_groups) after the groups."""
    if is_total:
        return keys * (n_groups + 1) + n_groups
    uw, gg = np.divmod(keys, n_groups)
    return uw * (n_groups + 1) + gg


def _disclose(design: Design, gc: Cells, tc: Cells | None, n_groups: int):
    """Suppression (primary and secondary), then rounding or banding."""
    gk = _recode(gc.keys, n_groups, False)
    true = gc.counts
    if tc is not None:
        keys = np.concatenate([gk, _recode(tc.keys, n_groups, True)])
        true = np.concatenate([true, tc.counts])
    else:
        keys = gk
    n_group_cells = len(gc.keys)
    is_total = np.arange(len(keys)) >= n_group_cells
    suppressed = (true < design.min_count) if design.min_count > 0 else np.zeros(len(keys), bool)
    n_secondary = 0
    if tc is not None and design.min_count > 0:
        suppressed, n_secondary = _secondary(keys, true, suppressed, is_total, n_groups)
    shown, label, lo = _show(design, true)
    published = ~suppressed & (shown > 0)
    kappa = np.where(published, lo / np.maximum(true, 1), 0.0)[:n_group_cells]
    return (
        keys,
        true,
        shown,
        label,
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


def _show(design: Design, true: np.ndarray):
    """Shown count, its words, and the lowest true count it is consistent with."""
    true = true.astype(np.int64)
    if design.counts == "rounded":
        b = design.round_base
        shown = (b * np.floor(true / b + 0.5)).astype(np.int64)
        lo = np.maximum(1, np.ceil(shown - b / 2)).astype(float)
        label = shown.astype(str).astype(object)
        return shown.astype(float), label, np.where(shown > 0, lo, 0.0)
    if design.counts == "banded":
        edges = np.asarray(design.bands, dtype=np.int64)
        k = np.searchsorted(edges, true, side="right") - 1
        k = np.clip(k, 0, len(edges) - 1)
        lo = edges[k].astype(float)
        words = [
            f"{edges[i]} to {edges[i + 1] - 1}" if i + 1 < len(edges) else f"{edges[i]} or more"
            for i in range(len(edges))
        ]
        label = np.array(words, dtype=object)[k] if len(k) else np.array([], dtype=object)
        return np.where(true > 0, lo, 0.0), label, lo
    return true.astype(float), true.astype(str).astype(object), true.astype(float)


def _noisy_cells(index, design, units, win, g, unit, shown, n_groups):
    """Differential-privacy noise on every cell of the domain, zeros included (a cell
    left out would itself reveal that it was empty). Each incident counts in its group
    cell and in its total, so each family gets half of epsilon."""
    with_totals = design.totals and n_groups > 1
    families = n_groups + (1 if with_totals else 0)
    space = units.n * win.n * families
    if space > NOISE_DOMAIN_LIMIT:
        raise DesignError(
            f"noise must be added to every cell, and this design has {space:,} "
            f"(units x windows x groups); the limit is {NOISE_DOMAIN_LIMIT:,}",
            hint="choose coarser units (H3 9 or coarser, grid 250 m or larger) or a "
            "coarser time precision",
        )
    eps = design.epsilon / (2 if with_totals else 1)
    key = (unit * win.n + win.code) * (n_groups + 1) + g
    dense = np.zeros(units.n * win.n * (n_groups + 1), dtype=np.int64)
    np.add.at(dense, key[shown], 1)  # small domain: clarity over speed
    if with_totals:
        tot = dense.reshape(-1, n_groups + 1)
        tot[:, n_groups] = tot[:, :n_groups].sum(axis=1)
    else:
        dense.reshape(-1, n_groups + 1)[:, n_groups] = 0
    rng = np.random.default_rng(design.noise_seed)
    p = 1.0 - np.exp(-eps)
    noise = rng.geometric(p, dense.size) - rng.geometric(p, dense.size)
    noisy = np.maximum(dense + noise, 0)
    if not with_totals:
        noisy.reshape(-1, n_groups + 1)[:, n_groups] = 0
    published = noisy >= max(design.min_count, 1)
    keys = np.flatnonzero(published | (dense > 0)).astype(np.int64)
    true = dense[keys]
    shown = noisy[keys].astype(float)
    label = shown.astype(np.int64).astype(str).astype(object)
    pub = published[keys]
    return keys, true, shown, label, pub, int(((dense > 0) & ~published).sum()), 0


def _references(index, design, units, win, grouping, unit, g, kappa) -> pd.DataFrame:
    """Reference numbers as the design allows (¶24-25): truncated, a fresh pseudonym per
    release (keyed by a secret, so it links to nothing), or in full."""
    sel = np.flatnonzero((kappa > 0) & index.has_reference)
    refs = index.references[sel].astype(str)
    windows = win.code[sel] + win.origin
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
            S.UNIT: units.labels(index, unit[sel]),
            S.WINDOW: [window_label(win.level, w) for w in windows.tolist()],
            S.GROUP: groups[g[sel]] if len(sel) else [],
            S.REFERENCE: shown,
        }
    )
    return frame.sort_values([S.UNIT, S.WINDOW, S.GROUP, S.REFERENCE], ignore_index=True)
