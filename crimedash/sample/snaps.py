"""police.uk map points: every crime is moved to an anonymous point covering 8+ addresses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import shapely

from crimedash.sample.areas import Areas, points_in
from crimedash.sample.constants import SNAP_MIN_ADDRESSES, SNAP_TARGET_ADDRESSES
from crimedash.sample.geometry import lonlat
from crimedash.sample.plan import PARK_TEXT, PLACE_TEXT, City, VenueKind

__all__ = ["SnapKind", "SnapPoints", "build_snap_points", "nearest"]


class SnapKind(IntEnum):
    HOMES = 0  # a stretch of street covering at least eight addresses
    STREET = 1  # a street without homes (ring road, industrial estate)
    PLACE = 2  # premises police.uk names by kind ("Supermarket", "Nightclub")
    PARK = 3


@dataclass(frozen=True)
class SnapPoints:
    """police.uk's anonymous map points: every published crime is moved to one of these.

    A point on a residential street stands for at least eight addresses, so a published
    point never picks out one home; premises and parks get their own named points.
    """

    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    name: np.ndarray  # text after "On or near "
    kind: np.ndarray  # SnapKind
    neighbourhood: np.ndarray  # index into Areas.nb_codes (the LSOA)
    address_snap: np.ndarray  # per address: the map point its crimes are published at
    venue_snap: np.ndarray  # per venue


def build_snap_points(city: City, areas: Areas) -> SnapPoints:
    """Map points as police.uk makes them: street stretches of >= 8 addresses, and places.

    Each street's addresses, in order along it, are cut into runs of about 20 (never fewer
    than 8); the run's point sits on the street's centre line at its middle address.
    Addresses on streets too short for a run of 8 join the nearest run on another street.
    """
    a, names = city.addresses, np.array(city.street_names, dtype=object)
    ang = city.street_angle[a.street]
    along = a.x * np.cos(ang) + a.y * np.sin(ang)
    order = np.lexsort((along, a.street))
    st = a.street[order]
    starts = np.r_[0, np.flatnonzero(np.diff(st)) + 1]
    m = np.diff(np.r_[starts, len(st)])
    rank = np.arange(len(st)) - np.repeat(starts, m)
    n_runs = np.maximum(m // SNAP_TARGET_ADDRESSES, 1)
    eligible = np.repeat(m >= SNAP_MIN_ADDRESSES, m)
    run_local = rank * np.repeat(n_runs, m) // np.repeat(m, m)
    run_base = np.cumsum(np.where(m >= SNAP_MIN_ADDRESSES, n_runs, 0)) - np.where(
        m >= SNAP_MIN_ADDRESSES, n_runs, 0
    )
    run = np.where(eligible, np.repeat(run_base, m) + run_local, -1)
    snap_sorted = run
    address_snap = np.empty(len(a.x), dtype=np.int64)
    address_snap[order] = snap_sorted
    n_home = int(run.max()) + 1 if (run >= 0).any() else 0

    if n_home == 0:  # a town too small for a run of 8 on one street: one point for all
        address_snap[:] = 0
        hx, hy = np.array([a.x.mean()]), np.array([a.y.mean()])
        hname = np.array([names[a.street[0]]], dtype=object)
    else:
        # The middle address of each run gives the point on its street's centre line.
        members = order[run >= 0]
        runs = run[run >= 0]
        first = np.r_[0, np.flatnonzero(np.diff(runs)) + 1]
        size = np.diff(np.r_[first, len(runs)])
        middle = members[first + size // 2]
        pts = shapely.line_interpolate_point(city.pieces[a.piece[middle]], a.dist[middle])
        hx, hy = shapely.get_coordinates(pts).T
        hname = names[a.street[middle]]
        orphans = np.flatnonzero(address_snap < 0)
        if len(orphans):
            tree = shapely.STRtree(shapely.points(hx, hy))
            near = tree.query_nearest(shapely.points(a.x[orphans], a.y[orphans]))
            address_snap[orphans[near[0]]] = near[1]

    # Streets without homes: a point every ~250 m.
    homeless = np.setdiff1d(np.arange(len(names)), np.unique(a.street[address_snap >= 0]))
    piece_idx = np.flatnonzero(np.isin(city.piece_street, homeless))
    lengths = shapely.length(city.pieces[piece_idx])
    n_pts = np.maximum(np.round(lengths / 250).astype(int), 1)
    which = np.repeat(piece_idx, n_pts)
    k = np.arange(n_pts.sum()) - np.repeat(np.cumsum(n_pts) - n_pts, n_pts)
    frac = (k + 0.5) / np.repeat(n_pts, n_pts)
    sp = shapely.line_interpolate_point(city.pieces[which], frac, normalized=True)
    sx, sy = shapely.get_coordinates(sp).T if len(which) else (np.zeros(0), np.zeros(0))
    sname = names[city.piece_street[which]]

    # Places: one point per site and kind of premises, named as police.uk names them.
    v = city.venues
    text = np.array([PLACE_TEXT.get(VenueKind(k), "") for k in v.kind], dtype=object)
    named = text != ""
    keys = [(int(site), t) for site, t in zip(v.site[named], text[named], strict=True)]
    uniq = list(dict.fromkeys(keys))
    key_of = {key: i for i, key in enumerate(uniq)}
    place_of = np.array([key_of[key] for key in keys], dtype=np.int64)
    cnt = np.bincount(place_of, minlength=len(uniq))
    px = np.bincount(place_of, weights=v.x[named], minlength=len(uniq)) / np.maximum(cnt, 1)
    py = np.bincount(place_of, weights=v.y[named], minlength=len(uniq)) / np.maximum(cnt, 1)
    pname = np.array([t for _, t in uniq], dtype=object)

    park_pts = shapely.get_coordinates(shapely.point_on_surface(city.parks))
    parts = [
        (hx, hy, hname, SnapKind.HOMES),
        (sx, sy, sname, SnapKind.STREET),
        (px, py, pname, SnapKind.PLACE),
        (park_pts[:, 0], park_pts[:, 1], np.full(len(park_pts), PARK_TEXT, object), SnapKind.PARK),
    ]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    name = np.concatenate([p[2] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), int(p[3])) for p in parts])
    offset = {p[3]: sum(len(q[0]) for q in parts[:i]) for i, p in enumerate(parts)}

    # Premises without a police.uk name (pubs, works, corner shops) use the nearest street.
    venue_snap = np.empty(len(v.x), dtype=np.int64)
    venue_snap[named] = offset[SnapKind.PLACE] + place_of
    if (~named).any():
        venue_snap[~named] = nearest(x, y, kind <= SnapKind.STREET, v.x[~named], v.y[~named])

    lon, lat = lonlat(x, y)
    nb = points_in(areas.nb_geoms, lon, lat)
    lost = nb < 0
    if lost.any():
        tree = shapely.STRtree(areas.nb_geoms)
        nb[lost] = tree.query_nearest(shapely.points(lon[lost], lat[lost]))[1]
    return SnapPoints(
        x=x,
        y=y,
        lon=lon,
        lat=lat,
        name=name,
        kind=kind,
        neighbourhood=nb,
        address_snap=address_snap + offset[SnapKind.HOMES],
        venue_snap=venue_snap,
    )


def nearest(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, qx: np.ndarray, qy: np.ndarray
) -> np.ndarray:
    """Index (into x, y) of the nearest masked point to each query point."""
    idx = np.flatnonzero(mask)
    tree = shapely.STRtree(shapely.points(x[idx], y[idx]))
    q, t = tree.query_nearest(shapely.points(qx, qy))
    out = np.empty(len(qx), dtype=np.int64)
    out[q] = idx[t]
    return out
