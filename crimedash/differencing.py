"""The differencing attacker: several products of the same data, read together.

Suppression hides a small cell in one product; a second product of the same incidents
(a quarterly map beside the monthly one, last month's release beside this one) can give
it away. Output areas monthly with min count 3 plus the same quarterly proved 8% of the
sample city's suppressed incidents at homes (ICO guidance ¶34 on frequency and
differencing).

The attacker reads only what is published: every product's cells (unit, window, group,
shown count), its totals and its published rules. Each published or absent cell is a
constraint "the sum of these unknown true counts lies in [lo, hi]" over the finest
cells any product shows (unit, finest window, category class); a quarterly cell sums
three monthly unknowns, a group sums its categories, a total sums the groups. So a map
by category beside an all-crime map of the same units, or a category one product hides
and another counts in a total, are read together.

Units must match or nest: products of units that nest (output areas monthly beside
neighbourhoods quarterly, each output area inside one neighbourhood) are read on the
finer units, a coarse cell being the sum of its fine units' cells; nesting is read from
the published shapes (`crimedash.nesting`). H3 resolutions do not nest exactly (a child
cell may cross its parent's edge), nor do unrelated area layers: such products are not
read together, and the result says so in its notes, so what it proves is a floor.
Interval reasoning over all constraints, iterated to a fixpoint, bounds every unknown;
the ground truth is looked up only afterwards, to count what the attacker got. Adding a product adds constraints, which
can only narrow the intervals: the proven set never shrinks.

Written apart from the score's proof code on purpose (the style guide: an attacker that
shares the model's code shares its blind spots).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crimedash.atoms import window_parent, windows_at
from crimedash.errors import DesignError
from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.settings import TIME_LEVELS

__all__ = [
    "HOMES",
    "MAX_ROUNDS",
    "Differencing",
    "Reading",
    "compatible",
    "differencing",
    "pinned",
    "prove_together",
    "reading",
]

HOMES = ("residential", "unknown")  # ¶26-28: places that are someone's home
MAX_ROUNDS = 100


def _intervals(layer: PublicLayer, shown: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi] of a cell's true count from its shown value (None: the cell is absent),
    by the product's published rules alone."""
    d = layer.design
    n_groups = len(layer.grouping.groups)
    if shown is None:  # absent: zero, suppressed, or (totals) a secondary suppression
        if d.counts == "noise" or (d.totals and d.min_count > 0 and n_groups > 1):
            return np.array(0.0), np.array(np.inf)
        hi = max(d.min_count - 1, 0)
        if d.counts == "rounded":
            hi = max(hi, int(np.ceil(d.round_base / 2)) - 1)
        return np.array(0.0), np.array(float(hi))
    s = shown.astype(float)
    floor = float(max(d.min_count, 1))
    if d.counts == "noise":
        return np.zeros(len(s)), np.full(len(s), np.inf)
    if d.counts == "rounded":
        b = d.round_base
        return np.maximum(np.ceil(s - b / 2), floor), np.ceil(s + b / 2) - 1
    if d.counts == "banded":
        edges = np.asarray(d.bands, dtype=float)
        k = np.searchsorted(edges, s, side="right") - 1
        return np.maximum(edges[k], floor), np.append(edges[1:] - 1, np.inf)[k]
    return s, s.copy()


@dataclass(frozen=True)
class Differencing:
    """What the products prove together about the first one (the design under review)."""

    products: int
    suppressed_homes: int  # incidents at homes in cells the first product leaves out
    proven_homes: int  # of those, in cells the combination proves non-empty
    exact_homes: int  # of those, in cells whose exact count the combination proves
    proven_cells: int  # cells left out by the first product and proven non-empty
    notes: list[str] = field(default_factory=list)

    @property
    def proven_share(self) -> float:
        return self.proven_homes / self.suppressed_homes if self.suppressed_homes else 0.0

    def sentence(self) -> str:
        if self.products < 2:
            # police.uk's own publication, when in the plan, is read apart (planrisk's
            # PoliceUkBaseline), so "only this product" would be untrue beside it
            return "No other product of this series is public: nothing to difference against."
        if not self.proven_cells:
            return (
                f"Read together with the {self.products - 1} other published product(s), "
                "no cell this design leaves out is proven non-empty."
            )
        return (
            f"Read together with the {self.products - 1} other published product(s), "
            f"{self.proven_cells:,} cells this design leaves out are proven non-empty: "
            f"{self.proven_homes:,} of its {self.suppressed_homes:,} suppressed incidents at "
            f"homes ({self.proven_share:.1%}), {self.exact_homes:,} of them with the exact "
            "count."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "products": self.products,
            "suppressed_homes": self.suppressed_homes,
            "proven_homes": self.proven_homes,
            "exact_homes": self.exact_homes,
            "proven_cells": self.proven_cells,
            "proven_share": round(self.proven_share, 4),
            "sentence": self.sentence(),
            "notes": self.notes,
        }


def compatible(first: PublicLayer, other: PublicLayer) -> bool:
    """Products this attacker can read together: the same units. Groups need not match
    (the unknowns are categories, and every group or total is a sum of them: H3 by
    category beside an all-crime total of the same hexagons is read together), and
    windows always nest (any two of the time levels do)."""
    return str(other.units.granularity) == str(first.units.granularity) and (
        other.units.n == first.units.n
    )


@dataclass(frozen=True)
class Reading:
    """Which products are read together, on which units: `base` is the finest units
    (every product's units are unions of them), `maps[k]` each base unit's unit in
    `layers[k]` (-1: none); `notes` name the products left out."""

    layers: list[PublicLayer]
    base: int  # position in `layers` of a product drawn on the base units
    maps: list[np.ndarray]
    notes: list[str]


def reading(index: Index, layers: list[PublicLayer]) -> Reading:
    """The products the attacker reads with the first: those of the same units, and
    those whose units nest with its own (`crimedash.nesting`, from the published shapes).
    The base is the finest units the first product's units are unions of; a product of
    units that do not nest is left out with a note, so the figure is a floor."""
    from crimedash.nesting import nest_map

    first = layers[0]
    systems: dict[tuple[str, int], int] = {}
    for k, lay in enumerate(layers):
        systems.setdefault(_system(lay), k)
    order = sorted(systems.items(), key=lambda kv: -layers[kv[1]].units.n)
    cache: dict[tuple, np.ndarray | None] = {}

    def mapped(b: int, k: int) -> np.ndarray | None:
        if _system(layers[b]) == _system(layers[k]):
            return np.arange(layers[b].units.n)
        key = (_system(layers[b]), _system(layers[k]))
        if key not in cache:
            cache[key] = nest_map(index, layers[b].units, layers[k].units)
        return cache[key]

    for _, b in order:  # the finest units the first product nests in
        if mapped(b, 0) is not None:
            break
    used, maps, notes = [], [], []
    for k, lay in enumerate(layers):
        m = mapped(b, k)
        if m is None:
            notes.append(
                f"A product of {lay.units.granularity} is not read together with this one "
                f"({first.units.granularity}): their units differ and do not nest (checked "
                "on the published shapes), and this attacker reads only products whose "
                "units do, so what it proves is a floor."
            )
            continue
        if _system(lay) != _system(first) and k:
            notes.append(
                f"A product of {lay.units.granularity} is read together with this one "
                f"({first.units.granularity}): each unit of the finer lies inside one of "
                "the coarser (checked on the published shapes), so a coarse cell is the sum "
                "of its fine units' cells."
            )
        used.append(lay)
        maps.append(m)
    base = next(i for i, lay in enumerate(used) if _system(lay) == _system(layers[b]))
    return Reading(used, base, maps, notes)


def _system(lay: PublicLayer) -> tuple[str, int]:
    return (str(lay.units.granularity), lay.units.n)


def prove_together(
    index: Index,
    layers: list[PublicLayer],
    *,
    use_first: bool = True,
    read: Reading | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int, np.ndarray]:
    """Intervals of every finest unknown (unit, finest window, category class) from all
    products: (lo, hi, var_key, n_windows, n_classes, class_of_category). var_key =
    (unit * n_windows + window) * n_classes + class, window codes at the finest level and
    units of the base (`read.base`; the first product's own without `read`); a class is
    the categories every product puts in the same group (or hides).

    A product's group cell is the sum of the categories its grouping puts in that group
    (categories it hides are in none of its cells); its 'All crime' total is the sum of
    every category it shows. So a category one product hides and another counts in a
    total is an unknown the two bound together.

    `use_first=False` leaves out the first product's own cells (its groups and windows
    still shape the unknowns): what the others alone prove about it, the baseline an
    already-public product sets (police.uk's own publication)."""
    first = layers[0]
    if read is None:
        for lay in layers[1:]:
            if not compatible(first, lay):
                raise DesignError(
                    "products read together must share their units",
                    hint="the differencing attack reads products of one granularity (any "
                    "groups and windows), or of nested units through `reading`; attack the "
                    "others on their own",
                )
        read = Reading(layers, 0, [np.arange(first.units.n)] * len(layers), [])
    base = layers[read.base]
    # The unknowns are classes of categories every product treats alike (in the same
    # group of each, or hidden by each): as coarse as the products allow, since interval
    # reasoning over finer unknowns than any product separates would lose precision.
    n_raw = max(len(index.categories), 1)
    marks = np.stack([_group_of_category(lay, n_raw) for lay in layers], axis=1)
    _, class_of_cat = np.unique(marks, axis=0, return_inverse=True)
    class_of_cat = class_of_cat.reshape(-1)
    n_cat = int(class_of_cat.max()) + 1
    class_marks = np.zeros((n_cat, len(layers)), dtype=np.int64)
    class_marks[class_of_cat] = marks
    fine = min((lay.display_level for lay in layers), key=TIME_LEVELS.index)
    wf = windows_at(index, fine)
    # the units any product publishes or holds data in: the rest are all-absent
    same = [lay.cell_unit for lay in layers if _system(lay) == _system(base)]
    units = np.unique(np.concatenate([*same, base.atoms.unit]))
    units = units[(units >= 0) & (units < base.units.n)]
    n_u, n_w = len(units), wf.n
    n_var = n_u * n_w * n_cat
    ui = np.repeat(np.arange(n_u), n_w * n_cat)
    wi = np.tile(np.repeat(np.arange(n_w), n_cat), n_u)
    ci = np.tile(np.arange(n_cat), n_u * n_w)
    c_var, c_id, c_lo, c_hi = [], [], [], []
    n_c = 0
    for k, lay in enumerate(layers):
        g = len(lay.grouping.groups)
        if g == 0 or (k == 0 and not use_first):
            continue
        gi = class_marks[:, k][ci]  # the product's group; -1: hidden
        own = read.maps[k][units]  # each base unit's unit in this product (-1: none)
        own_codes = np.unique(own[own >= 0])
        n_own = len(own_codes)
        if not n_own:
            continue
        upos = np.searchsorted(own_codes, own)[ui]  # each unknown's unit position here
        member = np.flatnonzero((gi >= 0) & (own[ui] >= 0))
        level = lay.display_level
        wl = windows_at(index, level)
        parent = np.arange(n_w) if level == fine else window_parent(index, fine, level)
        pw = parent[wi]  # the product's window code of each unknown
        n_pw = wl.n
        has_totals = lay.design.totals and g > 1
        # group cells: one constraint per (unit, product window, group)
        cell_of_var = (upos * n_pw + pw) * g + gi
        n_cells = n_own * n_pw * g
        lo0, hi0 = _intervals(lay, None)
        lo = np.full(n_cells, float(lo0))
        hi = np.full(n_cells, float(hi0))
        pos = np.searchsorted(own_codes, lay.cell_unit)
        ok = (pos < n_own) & (own_codes[np.minimum(pos, n_own - 1)] == lay.cell_unit)
        cw = lay.cell_window - lay.display_origin
        slo, shi = _intervals(lay, lay.cell_shown)
        grp = ok & (lay.cell_group >= 0)
        key = (pos[grp] * n_pw + cw[grp]) * g + lay.cell_group[grp]
        lo[key], hi[key] = slo[grp], shi[grp]
        c_var.append(member)
        c_id.append(n_c + cell_of_var[member])
        c_lo.append(lo)
        c_hi.append(hi)
        n_c += n_cells
        if has_totals:
            fam_of_var = upos * n_pw + pw
            n_fam = n_own * n_pw
            tlo = np.zeros(n_fam)
            thi = np.full(n_fam, np.inf if lay.design.counts == "noise" else float(hi0))
            tot = ok & (lay.cell_group < 0)
            fk = pos[tot] * n_pw + cw[tot]
            tlo[fk], thi[fk] = slo[tot], shi[tot]
            c_var.append(member)
            c_id.append(n_c + fam_of_var[member])
            c_lo.append(tlo)
            c_hi.append(thi)
            n_c += n_fam
    var = np.concatenate(c_var) if c_var else np.zeros(0, dtype=np.int64)
    cid = np.concatenate(c_id) if c_id else np.zeros(0, dtype=np.int64)
    clo = np.concatenate(c_lo) if c_lo else np.zeros(0)
    chi = np.concatenate(c_hi) if c_hi else np.zeros(0)
    lo, hi = _fixpoint(var, cid, clo, chi, n_var)
    var_key = ((units[ui] * n_w + wi) * n_cat + ci).astype(np.int64)
    return lo, hi, var_key, n_w, n_cat, class_of_cat


def _group_of_category(layer: PublicLayer, n_raw: int) -> np.ndarray:
    """The layer's group code of every category code (-1: hidden by it)."""
    goc = np.asarray(layer.grouping.group_of_category, dtype=np.int64)
    return np.concatenate([goc, np.full(n_raw - len(goc), -1)])[:n_raw]


def _fixpoint(var, cid, clo, chi, n_var):
    """Interval propagation over sum constraints sum_{v in c} x_v in [clo_c, chi_c],
    x_v >= 0 whole: each unknown is bounded by its constraint's interval minus the
    others' bounds, until nothing changes."""
    lo = np.zeros(n_var)
    hi = np.full(n_var, np.inf)
    n_c = len(clo)
    for _ in range(MAX_ROUNDS):
        s_lo = np.bincount(cid, weights=lo[var], minlength=n_c)
        inf = np.isinf(hi[var])
        n_inf = np.bincount(cid, weights=inf, minlength=n_c)
        s_hi = np.bincount(cid, weights=np.where(inf, 0.0, hi[var]), minlength=n_c)
        others_inf = (n_inf[cid] - inf) > 0
        others_hi = np.where(others_inf, np.inf, s_hi[cid] - np.where(inf, 0.0, hi[var]))
        others_lo = s_lo[cid] - lo[var]
        with np.errstate(invalid="ignore"):
            cand_lo = np.where(others_inf, 0.0, clo[cid] - others_hi)
        cand_hi = chi[cid] - others_lo
        new_lo = lo.copy()
        new_hi = hi.copy()
        np.maximum.at(new_lo, var, np.ceil(cand_lo - 1e-9))
        np.minimum.at(new_hi, var, np.floor(cand_hi + 1e-9))
        new_hi = np.maximum(new_hi, new_lo)  # a sound layer never crosses
        if np.array_equal(new_lo, lo) and np.array_equal(new_hi, hi):
            break
        lo, hi = new_lo, new_hi
    return lo, hi


def differencing(
    index: Index, layers: list[PublicLayer], *, use_first: bool = True
) -> Differencing:
    """What every product together proves about the cells the first one leaves out,
    counted over incidents at homes. `use_first=False`: what the other products prove
    without the first one's own cells (see `prove_together`)."""
    first = layers[0]
    read = reading(index, layers)
    usable, notes = read.layers, read.notes
    at = first.atoms
    home = np.array([t in HOMES for t in index.location_types] + [False])
    n_groups = len(first.grouping.groups)
    target = at.shown & home[np.minimum(at.loc, len(home) - 1)]
    left_out = target & (at.cell < 0)
    if len(usable) < 2 or not left_out.any():
        return Differencing(len(usable), int(at.n[left_out].sum()), 0, 0, 0, notes)
    lo, hi, var_key, n_w, n_cat, class_of_cat = prove_together(
        index, usable, use_first=use_first, read=read
    )
    g = max(n_groups, 1)
    # each left-out atom's cell of the first product: the sum of its finest unknowns
    fine = min((lay.display_level for lay in usable), key=TIME_LEVELS.index)
    level = first.display_level
    d_origin = windows_at(index, level).origin
    wf = windows_at(index, fine)
    parent = (
        np.arange(wf.n) if level == fine else window_parent(index, fine, level)
    )  # fine code -> first's display code
    u, w, cat = var_key // (n_w * n_cat), (var_key // n_cat) % n_w, var_key % n_cat
    goc = _group_of_category(first, len(class_of_cat))
    first_of_class = np.full(n_cat, -1, dtype=np.int64)
    first_of_class[class_of_cat] = goc  # every category of a class: the same group
    gg = first_of_class[cat]
    mine = gg >= 0  # unknowns inside one of the first product's groups
    u = read.maps[0][u]  # base unit -> the first product's unit (the same without nesting)
    mine &= u >= 0
    u, w, gg, lo, hi = u[mine], w[mine], gg[mine], lo[mine], hi[mine]
    cell_key = (u * (parent.max() + 1) + parent[w]) * g + gg
    keys, inv = np.unique(cell_key, return_inverse=True)
    c_lo = np.bincount(inv, weights=lo, minlength=len(keys))
    c_hi = np.bincount(inv, weights=np.where(np.isinf(hi), 1e18, hi), minlength=len(keys))
    a_key = (at.unit * (parent.max() + 1) + (at.dwin + (first.display_origin - d_origin))) * g
    a_key = a_key + np.minimum(at.slot, n_groups - 1)
    ai = np.searchsorted(keys, a_key)
    ai = np.minimum(ai, len(keys) - 1)
    found = keys[ai] == a_key
    proven = left_out & found & (c_lo[ai] >= 1)
    true_of = np.bincount(
        np.searchsorted(keys, a_key[at.shown & found]),
        weights=at.n[at.shown & found],
        minlength=len(keys),
    )
    exact = proven & (c_lo[ai] == c_hi[ai]) & (c_lo[ai] == true_of[ai])
    cells = len(np.unique(a_key[proven]))
    return Differencing(
        len(usable),
        int(at.n[left_out].sum()),
        int(at.n[proven].sum()),
        int(at.n[exact].sum()),
        cells,
        notes,
    )


def pinned(index: Index, first: PublicLayer) -> Differencing:
    """What an exact product of every finest unknown proves about `first`: every cell
    it leaves out, exactly (each holds at least the incident that put it there).

    The reading of police.uk's own publication beside a product of police.uk's files
    (`crimedash.planrisk`): it pins each (unit, month, crime type), and every cell of
    `first` is a sum of those. Equal to running `differencing` with that product (a test
    checks it on the sample city), without its fixpoint over every unknown."""
    at = first.atoms
    home = np.array([t in HOMES for t in index.location_types] + [False])
    target = at.shown & home[np.minimum(at.loc, len(home) - 1)]
    left_out = target & (at.cell < 0)
    homes = int(at.n[left_out].sum())
    cells = np.unique(
        np.stack([at.unit[left_out], at.dwin[left_out], at.slot[left_out]]), axis=1
    ).shape[1]
    return Differencing(2, homes, homes, homes, int(cells), [])
