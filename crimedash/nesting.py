"""Whether one product's units nest inside another's, read from the published shapes.

A force may publish a map by output areas and a summary by neighbourhoods, each output
area inside one neighbourhood. An attacker holding both reads the neighbourhood's cell
as the sum of its output areas' cells, so the differencing attacker
(`crimedash.differencing`) must too, but only where that sum is true: H3 resolutions do
not nest exactly (a child hexagon crosses its parent's edge), and two area layers nest
only where their boundaries do.

So nesting is decided from what is published, the shapes: every fine unit that holds
data must lie inside exactly one coarse unit, up to `TOLERANCE` of its area (published
vertices are rounded, so a shared edge is not always bit-identical). As a guard on the
reading, not on the attacker, the incidents must agree: every incident of a fine unit
is counted in that fine unit's coarse unit. If either fails, the products are not read
together and the result says its figure is a floor.
"""

from __future__ import annotations

import numpy as np
import shapely

from crimedash.index import Index
from crimedash.units import Units

__all__ = ["TOLERANCE", "nest_map"]

TOLERANCE = 0.005  # share of a fine unit's area allowed outside its coarse unit


def nest_map(index: Index, fine: Units, coarse: Units) -> np.ndarray | None:
    """The coarse unit of every fine unit (-1 where the fine unit holds no data), or
    None when the fine units that hold data do not each lie inside one coarse unit."""
    if fine.n < coarse.n:
        return None
    f_inc, c_inc = fine.incident_unit, coarse.incident_unit
    codes = np.unique(f_inc[f_inc >= 0])
    out = np.full(fine.n, -1, dtype=np.int64)
    if not len(codes):
        return out
    c_codes = np.unique(c_inc[c_inc >= 0])
    if not len(c_codes):
        return None
    gf = fine.geometries(index, codes)
    gc = coarse.geometries(index, c_codes)
    i_f, j_c = shapely.STRtree(gc).query(gf, predicate="intersects")
    share = shapely.area(shapely.intersection(gf[i_f], gc[j_c])) / np.maximum(
        shapely.area(gf[i_f]), 1e-30
    )
    best = np.zeros(len(codes))
    np.maximum.at(best, i_f, share)
    if (best < 1.0 - TOLERANCE).any():
        return None
    top = share >= best[i_f] - 1e-12
    out[codes[i_f[top]]] = c_codes[j_c[top]]
    # the guard: the incidents are counted where the shapes say
    inside = f_inc >= 0
    if ((~inside) & (c_inc >= 0)).any() or (out[f_inc[inside]] != c_inc[inside]).any():
        return None
    return out
