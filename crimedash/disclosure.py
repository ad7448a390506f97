"""Disclosure control: how a cell's shown count comes from its true count.

Suppression under `min_count` (with secondary suppression where a published total
would give a suppressed value away), rounding, banding, or differential-privacy noise
on every cell of the domain. Split from `layer` (issue 15); `layer.apply_design` calls
these on the group cells and totals it has counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np

from crimedash import noise
from crimedash.atoms import TOTAL_GROUP
from crimedash.design import Design
from crimedash.errors import DesignError
from crimedash.units import runs

__all__ = [
    "NOISE_DOMAIN_LIMIT",
    "Layout",
    "count_labels",
    "disclose",
    "layout",
    "noisy_cells",
    "recode",
]

NOISE_DOMAIN_LIMIT = 5_000_000


def recode(keys: np.ndarray, n_groups: int, is_total: bool) -> np.ndarray:
    """Re-encode cell keys so group cells and totals share one key space, with the
    total's slot (n_groups) after the groups."""
    if is_total:
        return keys * (n_groups + 1) + n_groups
    uw, gg = np.divmod(keys, n_groups)
    return uw * (n_groups + 1) + gg


@dataclass(frozen=True)
class Layout:
    """The cells disclosure works on, in one key space (group cells, then totals), with
    their true counts and, once asked for, each cell's (unit, window) family. None of it
    depends on how counts are shown, so the layer keeps it with its grouped cells for
    the next count-only change (issue 16: at 5M rows, h3:9, re-keying and finding the
    families of 1.5M cells was a third of each change's disclosure)."""

    keys: np.ndarray
    true: np.ndarray
    is_total: np.ndarray
    n_group_cells: int
    n_groups: int

    @cached_property
    def families(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(family codes, each cell's family, whether the family has a total)."""
        codes, fam = _families(self.keys // (self.n_groups + 1), self.is_total)
        has_total = np.bincount(fam, weights=self.is_total, minlength=len(codes)) > 0
        return codes, fam, has_total


def layout(gk, gtrue, tk, ttrue, n_groups: int) -> Layout:
    """`Layout` of the group cells (gk, gtrue) and totals (tk, ttrue; None: none)."""
    keys = recode(gk, n_groups, False)
    true = gtrue
    if tk is not None:
        keys = np.concatenate([keys, recode(tk, n_groups, True)])
        true = np.concatenate([true, ttrue])
    is_total = np.arange(len(keys)) >= len(gk)
    return Layout(keys, true, is_total, len(gk), n_groups)


def disclose(design: Design, gk, gtrue, tk, ttrue, n_groups: int, cells: Layout | None = None):
    """Suppression (primary and secondary), then rounding or banding. Keys come back
    in one space (group cells, then totals); kappa is per group cell. `cells`: the
    `layout` of these cells if the caller keeps it (the same result either way)."""
    if cells is None:
        cells = layout(gk, gtrue, tk, ttrue, n_groups)
    keys, true, n_group_cells = cells.keys, cells.true, len(gk)
    suppressed = (true < design.min_count) if design.min_count > 0 else np.zeros(len(keys), bool)
    n_secondary = 0
    if tk is not None and design.min_count > 0:
        suppressed, n_secondary = _secondary(cells, suppressed)
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


def _secondary(cells: Layout, suppressed):
    """Where exactly one cell of a (unit, window) family is suppressed and the family's
    total is published, that cell could be recovered by subtraction: suppress the
    smallest other published group cell too (ties broken by group order)."""
    keys, true, is_total = cells.keys, cells.true, cells.is_total
    fam_codes, fam, has_total = cells.families
    n_supp = np.bincount(fam, weights=suppressed, minlength=len(fam_codes))
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


def _families(family: np.ndarray, is_total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(family, return_inverse=True)` without sorting in the usual case:
    `disclose` lays out the group cells sorted by family, then the totals sorted, and
    every total's family has group cells, so the families are the group cells' runs and
    each total finds its own by binary search (a sort of ~1.5M keys was a third of a
    count-only change's disclosure at 5M rows). Anything else takes the sort."""
    n_cells = int(np.count_nonzero(~is_total))
    cells, totals = family[:n_cells], family[n_cells:]
    if not is_total[n_cells:].all() or not (_ascending(cells) and _ascending(totals)):
        return np.unique(family, return_inverse=True)
    inv, first = runs(cells)
    codes = cells[first]
    pos = np.searchsorted(codes, totals)
    if (pos >= len(codes)).any() or not np.array_equal(codes[pos], totals):
        return np.unique(family, return_inverse=True)
    return codes, np.concatenate([inv, pos])


def _ascending(a: np.ndarray) -> bool:
    return len(a) < 2 or bool((a[1:] >= a[:-1]).all())


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


def noisy_cells(index, design, units, grouping, display, gk, gtrue, with_totals):
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
    dense[recode(gk, g_safe, False)] = gtrue
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
    if not n_groups:  # nothing shown: the empty slot's noise counts nothing, so is not published
        noisy[:] = 0
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
