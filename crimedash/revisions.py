"""Revisions detected from the design log, not only declared.

A force re-exports a window it already published (the history republished with next
month, or a month corrected after late reports). If the counts of that window changed,
the release is a revision whatever the analyst said: the keyed noise of a changed cell
is drawn again on the same incidents (`crimedash.noise` keys it by the true count), so
the attacker holds two draws and the series spends the product's epsilon again
(`crimedash.plan.budget`), and exact counts that changed tell the attacker what was
added or removed.

So every approved export keeps, with its approval in the log, a digest of each window it
published (`KEY`): the product (everything that fixes a cell's value from its true
count: units, windows, groups, count rules, the noise key) and, per window, the number
of its cells and a 128-bit order-free digest of them (public unit id, group, shown count). A later export of the same series and the same product
whose overlapping windows differ is a revision: the export marks it, charges the budget
again and says which windows changed in the manifest and the report. `--revision` stays
the explicit form. Products of other settings are new products, not revisions (the plan
reads them together anyway).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from crimedash.design import Design
from crimedash.index import Index
from crimedash.layer import PublicLayer
from crimedash.windows import window_label

if TYPE_CHECKING:
    from crimedash.designlog import DesignLog

__all__ = ["KEY", "Revision", "detect", "product_key", "window_digests"]

KEY = "published_windows"  # where the digests are kept in the logged approval


def product_key(design: Design) -> str:
    """What fixes every published value of a product given the true counts: two exports
    of one product key that differ in a window differ in its true counts."""
    d = design
    fields = (
        d.granularity,
        d.min_unit_area_m2 if d.spatial.kind == "adaptive" else None,
        d.window_level,
        d.time_precision,
        d.categories,
        d.grouping,
        d.hidden_groups,
        d.totals,
        d.counts,
        d.min_count,
        d.round_base if d.counts == "rounded" else None,
        d.bands if d.counts == "banded" else None,
        d.epsilon if d.counts == "noise" else None,
        d.noise_seed if d.counts == "noise" else None,
    )
    return hashlib.sha256(json.dumps(fields, default=str).encode()).hexdigest()[:16]


def window_digests(index: Index, layer: PublicLayer) -> dict[str, Any]:
    """The product key and a digest of every display window the data covers (an empty
    window too: a window whose cells all went is a change). Minute windows are not
    digested (one per incident would swell the log), so a real-time product's
    revisions are only declared."""
    level = layer.display_level
    keys = index.time_keys[level]
    if level == "timestamp" or not index.n:
        return {"product": product_key(layer.design), "windows": {}}
    span = np.arange(int(keys.min()), int(keys.max()) + 1)
    # one hash per unit id and per group name, then a mix per cell: vectorised, so a
    # national layer of millions of cells is not turned into text cell by cell
    units = np.unique(layer.cell_unit)
    unit_hash = np.zeros(max(layer.units.n, 1), dtype=np.uint64)
    unit_hash[units] = [_h64(x) for x in layer.units.labels(index, units)]
    group_hash = np.array([_h64(g) for g in (*layer.grouping.groups, "*total*")], dtype=np.uint64)[
        layer.cell_group
    ]
    shown = np.ascontiguousarray(layer.cell_shown, dtype=np.float64).view(np.uint64)
    cell = _mix(unit_hash[layer.cell_unit] ^ _mix(group_hash ^ _mix(shown)))
    # order-free per window: the wrapping sums of two independent mixes (128 bits)
    order = np.argsort(layer.cell_window, kind="stable")
    w = layer.cell_window[order]
    lo, hi = np.searchsorted(w, span), np.searchsorted(w, span + 1)
    sums = []
    for salt in (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)):
        mixed = _mix(cell[order] ^ salt)
        csum = np.concatenate([np.zeros(1, np.uint64), np.cumsum(mixed, dtype=np.uint64)])
        sums.append(csum[hi] - csum[lo])
    n_cells = hi - lo
    out: dict[str, str] = {
        window_label(level, key): f"{n:d}:{a:016x}{b:016x}"
        for key, n, a, b in zip(
            span.tolist(), n_cells.tolist(), sums[0].tolist(), sums[1].tolist(), strict=True
        )
    }
    return {"product": product_key(layer.design), "windows": out}


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(str(text).encode(), digest_size=8).digest(), "little")


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise (wrapping uint64 arithmetic)."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


@dataclass(frozen=True)
class Revision:
    """Windows of this export the series already published with other counts."""

    declared: bool  # `--revision` / Approval.revision
    changed: list[str]  # windows published before with different cells
    overlapping: int  # windows published before by the same product

    @property
    def detected(self) -> bool:
        return bool(self.changed)

    @property
    def is_revision(self) -> bool:
        return self.declared or self.detected

    def sentence(self) -> str:
        if self.detected:
            shown = ", ".join(self.changed[:6]) + (" ..." if len(self.changed) > 6 else "")
            return (
                f"A revision (detected from the design log): {len(self.changed):,} of the "
                f"{self.overlapping:,} windows this series already published with this "
                f"product now show other counts ({shown}). Changed noisy cells draw new "
                "noise on the same incidents, so the release spends its epsilon again."
            )
        if self.declared:
            return "A revision (declared): the release spends its epsilon again."
        if self.overlapping:
            return (
                f"Not a revision: the {self.overlapping:,} windows this series already "
                "published with this product show the same cells."
            )
        return "Not a revision: no window of this product was published before."

    def to_dict(self) -> dict[str, Any]:
        return {
            "declared": self.declared,
            "detected": self.detected,
            "changed_windows": self.changed,
            "overlapping_windows": self.overlapping,
            "sentence": self.sentence(),
        }


def detect(
    log: DesignLog | None, series: str, digests: dict[str, Any], *, declared: bool = False
) -> Revision:
    """Compare this export's window digests with every approved, exported release of
    `series` of the same product in the log."""
    if log is None:
        return Revision(declared, [], 0)
    from crimedash.plan import series_approvals

    now = digests["windows"]
    latest: dict[str, str] = {}  # each window as the series last published it
    for _, ap in series_approvals(log.list(), series):  # oldest first
        past = ap.approval.get(KEY)
        if isinstance(past, dict) and past.get("product") == digests["product"]:
            latest.update(past.get("windows") or {})
    both = sorted(set(latest) & set(now))
    return Revision(declared, [w for w in both if latest[w] != now[w]], len(both))
