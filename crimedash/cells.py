"""H3 cells and published outlines: which unit a point is *drawn* in.

Split out of `index.py` (issue 15): this is the geometry of units as the public sees
them, with no knowledge of a data set. Counted where drawn: a point belongs to the unit
whose *published* shape (the outline written to the public files, coordinates rounded
to `PUBLISHED_DECIMALS`) contains it. H3's own point-to-cell rule uses great-circle
edges and unrounded vertices, while a GIS draws straight edges between the published
vertices, so the few points within a few centimetres (a metre for resolution 5) of an
edge are checked against the published outline and moved to the neighbour that draws
them. (Placing points by the parent of their resolution-15 cell, as the index once did,
put 5-7% of incidents outside the hexagon they were counted in: H3 children are not
inside their parents.)
"""

from __future__ import annotations

import h3.api.basic_int as h3_int
import numpy as np
import pandas as pd
import shapely
from h3ronpy import vector as _h3_vector

from crimedash.cancel import checkpoint

__all__ = [
    "PUBLISHED_DECIMALS",
    "cell_centres",
    "cell_vertices",
    "cells_to_str",
    "counter_clockwise",
    "drawn_cells",
    "h3_parent",
    "in_convex",
    "latlng_to_cells",
    "published_shapes",
    "round_published",
]

PUBLISHED_DECIMALS = 6  # ~0.1 m: every public file and map draws vertices at this precision
_RES_SHIFT = np.uint64(52)
_RES_MASK = np.uint64(0xF) << _RES_SHIFT


def h3_parent(cells: np.ndarray, res: int) -> np.ndarray:
    """Parents of res-15 H3 cells at `res`, by bit work (matches h3.cell_to_parent).

    Clear the resolution nibble (bits 52-55), set the new one, and set every digit
    finer than `res` (3 bits each) to 7, the "unused" digit.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    unused = np.uint64((1 << (3 * (15 - res))) - 1)
    return (cells & ~_RES_MASK) | (np.uint64(res) << _RES_SHIFT) | unused


def published_shapes(geoms: np.ndarray) -> np.ndarray:
    """Shapes as published: coordinates rounded to `PUBLISHED_DECIMALS`, exterior rings
    counter-clockwise and holes clockwise (RFC 7946). Rounding twice changes nothing,
    so membership found on these matches the files exactly."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return geoms
    return shapely.orient_polygons(shapely.transform(geoms, round_published))


def latlng_to_cells(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    """H3 cells at `res` of points, directly at that resolution (vectorised by h3ronpy,
    which agrees with h3.latlng_to_cell; a Python loop over h3 costs ~0.5 s per million)."""
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    lon = np.ascontiguousarray(lon, dtype=np.float64)
    if not len(lat):
        return np.empty(0, dtype=np.uint64)
    return np.asarray(_h3_vector.coordinates_to_cells(lat, lon, res), dtype=np.uint64)


def cell_centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of H3 cell centres, vectorised by h3ronpy (agrees with
    h3.cell_to_latlng to ~1e-13 degrees)."""
    cells = np.ascontiguousarray(cells, dtype=np.uint64)
    if not len(cells):
        return np.empty(0), np.empty(0)
    ll = _h3_vector.cells_to_coordinates(cells)
    return (
        np.asarray(ll.column("lat"), dtype=np.float64).copy(),
        np.asarray(ll.column("lng"), dtype=np.float64).copy(),
    )


def round_published(xy: np.ndarray) -> np.ndarray:
    """Coordinates as every public file and map writes them."""
    return np.round(xy, PUBLISHED_DECIMALS)


def cell_vertices(cells: np.ndarray) -> np.ndarray:
    """Published outline of H3 cells: (n, V, 2) lon/lat vertices rounded to
    `PUBLISHED_DECIMALS`, counter-clockwise, padded by repeating the last vertex (most
    cells have 6; a cell crossing an icosahedron edge has more)."""
    cells = np.asarray(cells, dtype=np.uint64)
    bounds = [h3_int.cell_to_boundary(c) for c in cells.tolist()]
    width = max((len(b) for b in bounds), default=6)
    out = np.empty((len(cells), width, 2))
    for size in {len(b) for b in bounds}:
        rows = np.array([i for i, b in enumerate(bounds) if len(b) == size], dtype=np.int64)
        ring = np.array([bounds[i] for i in rows.tolist()], dtype=np.float64)[:, :, ::-1]
        out[rows, :size] = ring
        out[rows, size:] = ring[:, -1:]
    out = round_published(out)
    return counter_clockwise(out)


def counter_clockwise(rings: np.ndarray) -> np.ndarray:
    """(n, V, 2) rings turned counter-clockwise where they were not (RFC 7946)."""
    x, y = rings[..., 0], rings[..., 1]
    area2 = (x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y).sum(axis=1)
    flip = area2 < 0
    if flip.any():
        rings = rings.copy()
        rings[flip] = rings[flip, ::-1]
    return rings


def in_convex(
    rings: np.ndarray, x: np.ndarray, y: np.ndarray, which: np.ndarray | None = None
) -> np.ndarray:
    """Whether each point (x[i], y[i]) lies inside or on the convex counter-clockwise
    ring `rings[which[i]]` (`rings[i]` without `which`): straight edges in lon/lat, what
    a GIS draws. Chunked so a million points never make more than a few tens of MB of
    temporaries."""
    out = np.empty(len(x), dtype=bool)
    edges = np.roll(rings, -1, axis=1) - rings
    step = 200_000
    for lo in range(0, len(x), step):
        sel = slice(lo, lo + step) if which is None else which[lo : lo + step]
        a, e = rings[sel], edges[sel]
        px = x[lo : lo + step, None] - a[..., 0]
        py = y[lo : lo + step, None] - a[..., 1]
        cross = e[..., 0] * py - e[..., 1] * px
        out[lo : lo + step] = (cross >= 0).all(axis=1)
    return out


def drawn_cells(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    """The H3 cell at `res` whose published hexagon contains each point (see the module
    docstring): H3's cell, unless the point lies just outside its published outline,
    then the neighbour whose outline holds it."""
    # a second or more per call at national scale: stale work in the app stops between
    # its stages (the CLI installs no check: `cancel.checkpoint` is then a lookup)
    checkpoint()
    cells = latlng_to_cells(lat, lon, res)
    if not len(cells):
        return cells
    checkpoint()
    # the distinct cells by hash, in order of first sight (their order changes nothing
    # here): 0.12 s for 4.9M points where np.unique's sort took 0.32 s
    inv, uniq = pd.factorize(cells)
    ok = in_convex(cell_vertices(uniq), lon, lat, inv)
    checkpoint()
    bad = np.flatnonzero(~ok)
    if len(bad):  # the neighbours of each, tried in one pass, lowest id first
        rings = [sorted(set(h3_int.grid_disk(int(cells[i]), 1)) - {int(cells[i])}) for i in bad]
        owner = np.repeat(bad, [len(r) for r in rings])
        cand = np.array([c for r in rings for c in r], dtype=np.uint64)
        uniq, inv = np.unique(cand, return_inverse=True)
        hit = in_convex(cell_vertices(uniq), lon[owner], lat[owner], inv.reshape(-1))
        # the first hit per point (candidates are grouped by point, in id order)
        seen: set[int] = set()
        for j in np.flatnonzero(hit).tolist():
            if owner[j] not in seen:
                seen.add(int(owner[j]))
                cells[owner[j]] = cand[j]
    return cells


def cells_to_str(cells: np.ndarray) -> list[str]:
    """H3 ids as hex strings (what pydeck's H3HexagonLayer and h3-py expect)."""
    return [format(int(c), "x") for c in cells]
