"""Streets and the homes along them: the builder that lays out a town's grid of streets."""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.random import Generator
from shapely.geometry import LineString, Polygon

from crimedash.sample.geometry import warp
from crimedash.sample.plan import (
    CENTRE_NAMES,
    STREET_STEMS,
    STREET_SUFFIXES,
    STYLES,
    VenueKind,
    Zone,
)

__all__ = ["StreetBuilder", "street_grid"]


class StreetBuilder:
    """Collects streets, homes and premises while the plan is drawn."""

    def __init__(self, rng: Generator) -> None:
        self.rng = rng
        self.names: list[str] = []
        self.kinds: list[str] = []
        self.angles: list[float] = []
        self.used: set[str] = set()
        self.pools: dict[str, list[str]] = {}
        self.pieces: list[LineString] = []
        self.piece_street: list[int] = []
        self.piece_zone: list[int] = []
        self.homes: list[dict[str, np.ndarray]] = []
        self.venues: list[tuple[float, float, VenueKind, float, int]] = []

    def street(self, kind: str, angle: float, name: str | None = None) -> int:
        if name is None:
            pool = self.pools.get(kind)
            if pool is None:
                combos = [f"{s} {x}" for s in STREET_STEMS for x in STREET_SUFFIXES[kind]]
                pool = [combos[i] for i in self.rng.permutation(len(combos))]
                self.pools[kind] = pool
            while pool and pool[-1] in self.used:
                pool.pop()
            name = pool.pop() if pool else f"{kind.title()} Road {len(self.names) + 1}"
        self.used.add(name)
        self.names.append(name)
        self.kinds.append(kind)
        self.angles.append(angle)
        return len(self.names) - 1

    def add_pieces(self, lines: np.ndarray, streets: np.ndarray, zone: Zone) -> np.ndarray:
        start = len(self.pieces)
        self.pieces.extend(lines)
        self.piece_street.extend(int(s) for s in streets)
        self.piece_zone.extend([int(zone)] * len(lines))
        return np.arange(start, len(self.pieces))

    def add_homes(
        self,
        pieces: np.ndarray,
        style: str,
        zone: Zone,
        *,
        spacing: float | None = None,
        offset: float | None = None,
        keep: float | None = None,
    ) -> None:
        """Front doors along both sides of each piece, clear of the junctions."""
        st = STYLES[style]
        spacing = spacing or st.spacing
        offset = offset or st.offset
        keep = st.keep if keep is None else keep
        if len(pieces) == 0:
            return
        rng = self.rng
        lines = np.array([self.pieces[i] for i in pieces], dtype=object)
        lengths = shapely.length(lines)
        end_gap = min(10.0, spacing)
        span = np.maximum(lengths - 2 * end_gap, 0)
        n = np.where(lengths > 2 * end_gap, (span // spacing).astype(int) + 1, 0)
        if n.sum() == 0:
            return
        which = np.repeat(np.arange(len(lines)), n)
        k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        start = end_gap + (span - (n - 1) * spacing) / 2
        d = start[which] + k * spacing + rng.uniform(-0.08, 0.08, len(k)) * spacing
        d = np.clip(d, 0.5, lengths[which] - 0.5)
        geo = lines[which]
        a = shapely.get_coordinates(shapely.line_interpolate_point(geo, d - 0.5))
        b = shapely.get_coordinates(shapely.line_interpolate_point(geo, d + 0.5))
        mid = (a + b) / 2
        t = b - a
        t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
        normal = np.column_stack([-t[:, 1], t[:, 0]])
        side = np.concatenate([np.ones(len(d)), -np.ones(len(d))])
        off = offset + rng.uniform(-0.1, 0.1, 2 * len(d)) * offset
        xy = np.vstack([mid, mid]) + normal[np.r_[0 : len(d), 0 : len(d)]] * (side * off)[:, None]
        piece = np.concatenate([pieces[which], pieces[which]])
        dist = np.concatenate([d, d])
        mask = rng.random(len(piece)) < keep
        hh = np.ones(len(piece), dtype=np.int64)
        if st.flats is not None:
            median, sigma, top = st.flats
            hh = np.clip(np.round(rng.lognormal(math.log(median), sigma, len(piece))), 10, top)
        self._append_homes(
            xy[mask], hh[mask].astype(np.int64), piece[mask], dist[mask], zone, style
        )

    def _append_homes(
        self,
        xy: np.ndarray,
        hh: np.ndarray,
        piece: np.ndarray,
        dist: np.ndarray,
        zone: Zone,
        style: str | None,
    ) -> None:
        style_i = list(STYLES).index(style) if style else -1
        self.homes.append(
            {
                "x": xy[:, 0],
                "y": xy[:, 1],
                "households": hh,
                "piece": piece.astype(np.int64),
                "dist": dist,
                "zone": np.full(len(hh), int(zone)),
                "style": np.full(len(hh), style_i),
            }
        )

    def venue(self, x: float, y: float, kind: VenueKind, size: float, site: int) -> None:
        self.venues.append((float(x), float(y), kind, float(size), site))


def street_grid(
    b: StreetBuilder,
    area: Polygon,
    theta: float,
    style: str,
    kind: str,
    zone: Zone,
    *,
    homes: bool = True,
    cross_dropout: float = 0.0,
) -> np.ndarray:
    """Streets on a jittered grid clipped to `area`; returns the new pieces' indices."""
    rng = b.rng
    st = STYLES[style]
    if area.is_empty:
        return np.array([], dtype=np.int64)
    c = np.array(area.centroid.coords[0])
    radius = float(np.max(np.hypot(*(shapely.get_coordinates(area) - c).T))) + st.d_main
    u = np.array([math.cos(theta), math.sin(theta)])
    v = np.array([-u[1], u[0]])
    km = math.ceil(radius / st.d_main)
    main_off = (np.arange(-km, km + 1) + rng.uniform(-0.5, 0.5)) * st.d_main
    main_off = main_off + rng.uniform(-0.12, 0.12, len(main_off)) * st.d_main
    kc = math.ceil(radius / st.d_cross)
    cross_off = (np.arange(-kc, kc + 1) + rng.uniform(-0.5, 0.5)) * st.d_cross
    cross_off = cross_off + rng.uniform(-0.15, 0.15, len(cross_off)) * st.d_cross

    mains = [LineString([c + o * v - radius * u, c + o * v + radius * u]) for o in main_off]
    cross, cross_line = [], []
    for j, q in enumerate(cross_off):
        for i in range(len(main_off) - 1):
            if rng.random() < cross_dropout:
                continue  # a cul-de-sac: this stretch of cross street was never built
            cross.append(LineString([c + q * u + main_off[i] * v, c + q * u + main_off[i + 1] * v]))
            cross_line.append(j)
    lines = np.array(mains + cross, dtype=object)
    line_id = np.concatenate([np.arange(len(mains)), len(mains) + np.array(cross_line, int)])
    is_main = line_id < len(mains)
    lines = warp(lines, st.warp, rng)
    clipped = shapely.intersection(lines, area)
    parts, idx = shapely.get_parts(clipped, return_index=True)
    ok = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) >= 25)
    parts, idx = parts[ok], idx[ok]
    if len(parts) == 0:
        return np.array([], dtype=np.int64)
    # One street per grid line that survived; name them in a stable order.
    lids = line_id[idx]
    streets = {}
    if kind == "centre":  # the main line nearest the middle is the High Street
        order = np.argsort(np.abs(main_off), kind="stable")
        named = [int(i) for i in order if i in set(lids.tolist())]
        for i, nm in zip(named, CENTRE_NAMES, strict=False):
            streets[i] = b.street(kind, theta, nm)
    for lid in dict.fromkeys(lids.tolist()):
        if lid not in streets:
            ang = theta if lid < len(mains) else theta + math.pi / 2
            streets[lid] = b.street(kind, ang)
    sid = np.array([streets[i] for i in lids.tolist()])
    new = b.add_pieces(parts, sid, zone)
    if homes:
        mains_new = new[is_main[idx]]
        b.add_homes(mains_new, style, zone)
        if st.cross_homes:
            b.add_homes(new[~is_main[idx]], style, zone)
    return new
