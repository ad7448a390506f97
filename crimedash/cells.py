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
import pyarrow as pa
import shapely
from h3ronpy import vector as _h3_vector

from crimedash.cancel import checkpoint

__all__ = [
    "FINE_RES",
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


FINE_RES = 15  # the resolution whose H3 cells `drawn_cells` may start from (`fine`)
# Where the published outline of a cell may stand off its true (H3) boundary, in
# degrees: each vertex is rounded by at most half a unit in the sixth decimal in lon and
# in lat (0.71e-6 as a distance; 2e-6 with room), plus how far a great-circle edge bows
# away from the straight lon/lat edge drawn between its ends (`_bow`, doubled).
_ROUNDING_ROOM = 2e-6


def drawn_cells(
    lat: np.ndarray, lon: np.ndarray, res: int, fine: np.ndarray | None = None
) -> np.ndarray:
    """The H3 cell at `res` whose published hexagon contains each point (see the module
    docstring): H3's cell, unless the point lies just outside its published outline,
    then the neighbour whose outline holds it.

    `fine`, the points' H3 cells at `FINE_RES` (`latlng_to_cells`), lets the caller that
    places the same points at several resolutions pay H3's point-to-cell search once:
    a point deep inside the published outline of its fine cell's ancestor is in that
    cell (`_from_fine`); only the rest (about 7%) are searched at `res`. The cells are
    the same either way."""
    # a second or more per call at national scale: stale work in the app stops between
    # its stages (the CLI installs no check: `cancel.checkpoint` is then a lookup)
    checkpoint()
    if fine is not None and len(lat) and res < FINE_RES:
        return _from_fine(lat, lon, res, np.asarray(fine, dtype=np.uint64))
    return _search(lat, lon, res)


def _search(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    """`drawn_cells` by H3's own search at `res` for every point."""
    cells = latlng_to_cells(lat, lon, res)
    if not len(cells):
        return cells
    checkpoint()
    # the distinct cells by hash, in order of first sight (their order changes nothing
    # here): 0.12 s for 4.9M points where np.unique's sort took 0.32 s
    inv, uniq = pd.factorize(cells)
    ok = _in_published(np.asarray(uniq, dtype=np.uint64), lon, lat, inv)
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


def _from_fine(lat: np.ndarray, lon: np.ndarray, res: int, fine: np.ndarray) -> np.ndarray:
    """`drawn_cells` from each point's fine cell: its ancestor at `res` is the point's
    cell for ~93% of points (H3 children are not inside their parents, so not for all).
    A point farther inside the ancestor's published outline than that outline can stand
    off the true boundary (`_margin`) is inside both the true cell, so H3 puts it there,
    and the drawn one, so `_search` would keep it there: it stays. Every other point is
    searched at `res` as before. (Far inside a convex ring, the segment to its centre
    never meets the true boundary, which lies within the margin of the drawn one.)"""
    cand = h3_parent(fine, res)
    inv, uniq = pd.factorize(cand)
    rings, hexagon = _outlines(np.asarray(uniq, dtype=np.uint64))
    checkpoint()
    sure = _deep_inside(rings, lon, lat, inv, _margin(rings, hexagon))
    checkpoint()
    rest = np.flatnonzero(~sure)
    if len(rest):
        cand[rest] = _search(lat[rest], lon[rest], res)
    return cand


def _in_published(cells: np.ndarray, x: np.ndarray, y: np.ndarray, which: np.ndarray) -> np.ndarray:
    """`in_convex(cell_vertices(cells), x, y, which)`, the same answers for less: a point
    deep inside H3's own outline of its cell (`_outlines`, `_margin`) is inside the
    published one, so only the few near an edge are tried against the published
    vertices, which h3-py makes one cell at a time (most of a search's time at fine
    resolutions, where there are nearly as many cells as points)."""
    rings, hexagon = _outlines(cells)
    ok = _deep_inside(rings, x, y, which, _margin(rings, hexagon))
    near = np.flatnonzero(~ok)
    if len(near):
        code, own = pd.factorize(which[near])
        ok[near] = in_convex(cell_vertices(cells[own]), x[near], y[near], code)
    return ok


_HEXAGON_WKB = 1 + 4 + 4 + 4 + 7 * 16  # byte order, type, rings, points, closed ring


def _outlines(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """H3's own outlines of hexagons, unrounded and counter-clockwise, as (n, 6, 2)
    lon/lat, and which cells are hexagons (the others' rows are zeros). From one
    h3ronpy call (0.85 us a cell, read straight from its WKB) rather than h3-py's one
    call per cell (2-3 us with the array's making): these agree with `cell_vertices`
    to ~1e-13 degrees, far inside `_margin`'s rounding room, so they may decide which
    points are deep inside, never what is published."""
    if not len(cells):
        return np.zeros((0, 6, 2)), np.zeros(0, dtype=bool)
    wkb = pa.array(_h3_vector.cells_to_wkb_polygons(cells, radians=False, link_cells=False))
    _, offsets, data = wkb.buffers()
    width = np.int64 if pa.types.is_large_binary(wkb.type) else np.int32
    off = np.frombuffer(offsets, dtype=width)[wkb.offset : wkb.offset + len(wkb) + 1]
    off = off.astype(np.int64)
    raw = np.frombuffer(data, dtype=np.uint8)
    hexagon = np.diff(off) == _HEXAGON_WKB
    hexagon[hexagon] = raw[off[:-1][hexagon]] == 1  # little-endian, as read below
    rings = np.zeros((len(cells), 6, 2))
    first = off[:-1][hexagon] + 13  # the first point, after the header and the counts
    if hexagon.all():  # back to back: one strided view
        block = raw[off[0] : off[-1]].reshape(len(cells), _HEXAGON_WKB)[:, 13 : 13 + 96]
    else:
        block = raw[first[:, None] + np.arange(96)]
    rings[hexagon] = np.ascontiguousarray(block).view("<f8").reshape(-1, 6, 2)
    return counter_clockwise(rings), hexagon


def _bow(rings: np.ndarray) -> np.ndarray:
    """Per ring, the largest gap (degrees, in the lon/lat plane) between an edge's
    great-circle midpoint and the midpoint of the straight edge drawn: how far H3's
    edge, an arc of a great circle, bows away from the published one (largest at the
    middle for edges this short)."""
    lon, lat = np.radians(rings[..., 0]), np.radians(rings[..., 1])
    v = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)
    mid = v + np.roll(v, -1, axis=1)
    mid /= np.linalg.norm(mid, axis=-1, keepdims=True)
    mlat = np.degrees(np.arcsin(np.clip(mid[..., 2], -1.0, 1.0)))
    mlon = np.degrees(np.arctan2(mid[..., 1], mid[..., 0]))
    chord = (rings + np.roll(rings, -1, axis=1)) / 2
    return np.hypot(mlon - chord[..., 0], mlat - chord[..., 1]).max(axis=1)


def _margin(rings: np.ndarray, hexagon: np.ndarray) -> np.ndarray:
    """Per ring, how far inside a point must be to be in the cell for sure (degrees):
    twice the bow plus the rounding room. Infinite, so no point is taken as deep inside,
    for any ring but a small plain hexagon (under a degree across) away from the poles
    and the antimeridian, read from H3 (`hexagon`, from `_outlines`): not for
    pentagons, cells with distortion vertices (they cross an icosahedron edge), or
    rings whose lon/lat outline is not a small convex shape."""
    margin = 2 * _bow(rings) + _ROUNDING_ROOM
    edges = np.roll(rings, -1, axis=1) - rings
    hexagon = hexagon & ((np.hypot(edges[..., 0], edges[..., 1]) > 0).sum(axis=1) == 6)
    span = rings[..., 0].max(axis=1) - rings[..., 0].min(axis=1)
    plain = hexagon & (span < 1) & (np.abs(rings[..., 1]).max(axis=1) < 80)
    margin[~plain] = np.inf
    return margin


def _deep_inside(
    rings: np.ndarray, x: np.ndarray, y: np.ndarray, which: np.ndarray, margin: np.ndarray
) -> np.ndarray:
    """Whether each point lies farther than `margin[which[i]]` inside every edge of the
    convex counter-clockwise ring `rings[which[i]]` (a zero-length padding edge asks
    nothing; an infinite margin, no point). Not the published test (`in_convex`): a
    certificate with room to spare, so edges are kept as unit normals and offsets, and
    most points are settled by one disc inside the ring.

    The disc: in the plane with lon scaled by cos(lat) of the ring's centre (where a
    hexagon is round, so the disc covers ~90% of it; scaling by at most 1 shortens no
    distance to more than it was), a point nearer the centre than the centre's distance
    to the nearest edge less the margin is farther than the margin from every edge."""
    finite = np.isfinite(margin)
    edges = np.roll(rings, -1, axis=1) - rings
    length = np.hypot(edges[..., 0], edges[..., 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(length > 0, edges[..., 0] / length, 0.0)
        v = np.where(length > 0, edges[..., 1] / length, 0.0)
        # inside by more than the margin: u*y - v*x > w on every edge
        w = np.where(length > 0, u * rings[..., 1] - v * rings[..., 0], -np.inf)
    w = w + np.where(finite, margin, 0.0)[:, None]
    cx, cy = rings[..., 0].mean(axis=1), rings[..., 1].mean(axis=1)
    scale = np.clip(np.cos(np.radians(cy)), 1e-3, 1.0)
    sx = rings[..., 0] * scale[:, None]
    se = np.roll(sx, -1, axis=1) - sx
    slen = np.hypot(se, edges[..., 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        reach = (
            se * (cy[:, None] - rings[..., 1])
            - edges[..., 1] * (scale * cx)[:, None]
            + edges[..., 1] * sx
        ) / slen
    reach = np.where(slen > 0, reach, np.inf).min(axis=1)
    reach = np.where(finite, reach - np.where(finite, margin, 0.0), -np.inf)
    disc2 = np.where(reach > 0, reach * reach, -1.0)
    out = np.zeros(len(x), dtype=bool)
    step = 1_000_000
    for lo in range(0, len(x), step):
        sel = which[lo : lo + step]
        dx = (x[lo : lo + step] - cx[sel]) * scale[sel]
        dy = y[lo : lo + step] - cy[sel]
        inside = dx * dx + dy * dy < disc2[sel]
        out[lo : lo + step] = inside
        rest = np.flatnonzero(~inside & finite[sel])
        if len(rest):
            r = sel[rest]
            px, py = x[lo + rest, None], y[lo + rest, None]
            out[lo + rest] = (u[r] * py - v[r] * px > w[r]).all(axis=1)
    return out


def cells_to_str(cells: np.ndarray) -> list[str]:
    """H3 ids as hex strings (what pydeck's H3HexagonLayer and h3-py expect)."""
    return [format(int(c), "x") for c in cells]
