"""The town and its people: streets, homes, households, premises, parks and hot spots.

The layout (where the park, the retail park and the estate are) is fixed by design,
like a real town's; the seed moves the details.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import shapely
from numpy.random import PCG64, Generator
from shapely.geometry import LineString, Polygon

from crimedash.sample.constants import DEFAULT_SEED, check_scale
from crimedash.sample.geometry import ellipse, lonlat, polar, rect, sector, warp
from crimedash.sample.plan import (
    INNER_STYLES,
    N_ARTERIALS,
    R_BOUNDARY,
    R_CENTRE,
    R_INNER,
    R_RING,
    R_SUBURB,
    STYLES,
    SUBURB_STYLES,
    Addresses,
    City,
    VenueKind,
    Venues,
    Zone,
)
from crimedash.sample.streets import StreetBuilder, street_grid

__all__ = ["build_city"]


def build_city(seed: int = DEFAULT_SEED, scale: float = 1.0) -> City:
    """Draw the town plan: streets, homes, premises, parks and hot spots.

    The layout (where the park, the retail park and the estate are) is fixed by design,
    like a real town's; the seed moves the details (angles, streets, homes, names).
    """
    check_scale(scale)
    return _build_city(int(seed), float(scale))


@lru_cache(maxsize=2)
def _build_city(seed: int, scale: float) -> City:
    rng = Generator(PCG64(seed))
    s = math.sqrt(scale)  # linear factor: households grow with area
    b = StreetBuilder(rng)
    two_pi = 2 * math.pi

    # --- frame: boundary, arterial roads, sectors between them ------------------------
    t = np.linspace(0, two_pi, 160, endpoint=False)
    ph = rng.uniform(0, two_pi, 2)
    rb = R_BOUNDARY * s * (1 + 0.06 * np.sin(3 * t + ph[0]) + 0.03 * np.sin(5 * t + ph[1]))
    boundary = Polygon(np.column_stack(polar(rb, t)))
    alpha = np.radians(22.5 + 45 * np.arange(N_ARTERIALS) + rng.uniform(-8, 8, N_ARTERIALS))
    mids = (alpha + np.roll(alpha, -1) + np.r_[np.zeros(N_ARTERIALS - 1), two_pi]) / 2

    # --- places where nobody lives ------------------------------------------------------
    def at(r: float, k: int, da: float = 0.0) -> tuple[float, float]:
        x, y = polar(r * s, mids[k] + da)
        return float(x), float(y)

    rail_y = 550 * s
    railway = LineString([(-R_BOUNDARY * 1.2 * s, rail_y), (R_BOUNDARY * 1.2 * s, rail_y)])
    xr = np.linspace(-R_BOUNDARY * 1.2 * s, R_BOUNDARY * 1.2 * s, 200)
    rph = rng.uniform(0, two_pi)
    river_y = -450 * s + 150 * s * np.sin(xr / (600 * s) + rph) + 60 * s * np.sin(xr / (230 * s))
    river = LineString(np.column_stack([xr, river_y]))
    station = rect(0.0, rail_y, 250 * s, 70 * s, 0.0)
    market = rect(0.0, 0.0, 90 * s, 60 * s, float(rng.uniform(0, 1)))
    parks = [
        ellipse(*at(950, 1), 170 * s, 110 * s, float(mids[1])),  # the town park
        ellipse(*at(2000, 2), 260 * s, 170 * s, float(rng.uniform(0, 3))),
        ellipse(*at(1200, 5), 230 * s, 160 * s, float(rng.uniform(0, 3))),
        ellipse(*at(1750, 6, -0.25), 180 * s, 120 * s, float(rng.uniform(0, 3))),
        shapely.intersection(river.buffer(70 * s), shapely.Point(0, 0).buffer(R_INNER * s)),
    ]
    university = rect(*at(1650, 3), 650 * s, 420 * s, float(mids[3]))
    hospital = rect(*at(1900, 4), 260 * s, 200 * s, float(mids[4]))
    retail = rect(*at(R_RING, 0), 450 * s, 280 * s, float(mids[0]))
    industrial = rect(2300 * s, 300 * s, 800 * s, 420 * s, 0.0)
    sports = rect(*at(2200, 6, 0.2), 200 * s, 150 * s, float(mids[6]))
    # School playing fields: open land inside the built-up area.
    fields = [
        rect(*at(r, k, float(rng.uniform(-0.2, 0.2))), 170 * s, 110 * s, float(rng.uniform(0, 3)))
        for r, k in ((1150, 0), (1300, 7), (2050, 3), (2150, 5), (2000, 7), (1900, 0))
    ]
    no_street = shapely.union_all(
        [*parks, *fields, university, hospital, retail, industrial, sports, station, market]
        + [river.buffer(25 * s), railway.buffer(15)]
    )
    no_home = shapely.union_all([no_street, river.buffer(35 * s), railway.buffer(22)])

    # --- centre ---------------------------------------------------------------------------
    centre_area = shapely.difference(shapely.Point(0, 0).buffer(R_CENTRE * s), no_street)
    theta_c = float(rng.uniform(0, math.pi / 2))
    street_grid(b, centre_area, theta_c, "centre", "centre", Zone.CENTRE)

    # --- inner ring and suburbs: one district per sector between arterials -------------
    # Ring edges vary by sector, as a town grows unevenly along its roads.
    r_inner = R_INNER * rng.uniform(0.92, 1.06, N_ARTERIALS)
    r_suburb = R_SUBURB * rng.uniform(0.84, 1.0, N_ARTERIALS)
    for k in range(N_ARTERIALS):
        a0, a1 = alpha[k], alpha[(k + 1) % N_ARTERIALS]
        for r0, r1, styles, kind, zone in (
            (R_CENTRE, r_inner[k], INNER_STYLES, "terraced", Zone.INNER),
            (r_inner[k], r_suburb[k], SUBURB_STYLES, "suburb", Zone.SUBURB),
        ):
            area = sector(r0 * s, r1 * s, a0, a1).buffer(-28)
            area = shapely.difference(area, no_street)
            theta = float(mids[k] + rng.choice([0, math.pi / 2]) + rng.uniform(-0.25, 0.25))
            dropout = 0.3 if zone == Zone.SUBURB else 0.0
            street_grid(b, area, theta, styles[k], kind, zone, cross_dropout=dropout)

    # --- arterial roads with ribbon homes, and the ring road -----------------------------
    for k in range(N_ARTERIALS):
        r = np.linspace(0.8 * R_CENTRE * s, R_BOUNDARY * 1.15 * s, 240)
        wob = 0.05 * np.sin(r / (900 * s) + rng.uniform(0, two_pi))
        line = LineString(np.column_stack(polar(r, alpha[k] + wob)))
        sid = b.street("arterial", float(alpha[k]))
        for r0, r1, zone, style, kw in (
            (0.8 * R_CENTRE, R_CENTRE, Zone.CENTRE, None, {}),
            (R_CENTRE, R_INNER, Zone.INNER, "terraced", {"spacing": 6.0, "offset": 12.0}),
            (R_INNER, R_SUBURB, Zone.SUBURB, "semis", {"spacing": 12.0, "offset": 18.0}),
            (R_SUBURB, R_RING + 80, Zone.NON_RESIDENTIAL, None, {}),
            (R_RING + 80, 2 * R_BOUNDARY, Zone.RURAL, "village", {"spacing": 30.0, "keep": 0.06}),
        ):
            ring = sector(r0 * s, r1 * s, 0, two_pi - 1e-9)
            part = shapely.intersection(line, shapely.intersection(ring, boundary.buffer(-20)))
            geoms = [g for g in shapely.get_parts(np.array([part])) if g.length > 20]
            new = b.add_pieces(np.array(geoms, dtype=object), np.full(len(geoms), sid), zone)
            if style:
                b.add_homes(new, style, zone, **kw)
    ring_road = LineString(np.column_stack(polar(R_RING * s, np.linspace(0, two_pi, 200))))
    b.add_pieces(np.array([ring_road]), [b.street("works", 0.0, "Vale Way")], Zone.NON_RESIDENTIAL)

    # --- villages, lanes and farms ---------------------------------------------------------
    rural_pieces: list[int] = []
    for k in (0, 2, 3, 5, 6):
        r_v = float(rng.uniform(3300, 4200)) * s
        cx, cy = polar(r_v, mids[k] + rng.uniform(-0.15, 0.15))
        area = shapely.intersection(
            shapely.Point(cx, cy).buffer(max(260 * s, 120)), boundary.buffer(-40)
        )
        street_grid(b, area, float(rng.uniform(0, math.pi)), "village", "rural", Zone.RURAL)
        # a lane from the village to the nearer arterial
        ka = k if abs(alpha[k] - mids[k]) < abs(alpha[(k + 1) % N_ARTERIALS] - mids[k]) else k + 1
        ex, ey = polar(r_v * 0.97, alpha[ka % N_ARTERIALS])
        lane = warp(np.array([LineString([(cx, cy), (ex, ey)])]), 30, rng)
        rural_pieces += list(b.add_pieces(lane, [b.street("rural", 0.0)], Zone.RURAL))
    for k in (1, 4, 7):  # lanes across the sectors without a village
        r_l = float(rng.uniform(3300, 4400)) * s
        arc = np.linspace(alpha[k], alpha[(k + 1) % N_ARTERIALS] + (two_pi if k == 7 else 0), 40)
        lane = warp(np.array([LineString(np.column_stack(polar(r_l, arc)))]), 40, rng)
        lane = shapely.intersection(lane, boundary.buffer(-20))
        rural_pieces += list(b.add_pieces(lane, [b.street("rural", float(mids[k]))], Zone.RURAL))
    rural_pieces += [i for i, z in enumerate(b.piece_zone) if z == Zone.RURAL]
    rural = np.array(sorted(set(rural_pieces)))
    rlines = np.array([b.pieces[i] for i in rural], dtype=object)
    rlen = shapely.length(rlines)
    n_farms = max(3, round(110 * scale))
    pick = rng.choice(len(rural), n_farms, p=rlen / rlen.sum())
    d = rng.uniform(0.05, 0.95, n_farms) * rlen[pick]
    p0 = shapely.get_coordinates(shapely.line_interpolate_point(rlines[pick], d))
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(rlines[pick], d + 1))
    tan = (p1 - p0) / np.maximum(np.hypot(*(p1 - p0).T), 1e-9)[:, None]
    off = rng.uniform(30, 180, n_farms) * rng.choice([-1, 1], n_farms)
    farm_xy = p0 + np.column_stack([-tan[:, 1], tan[:, 0]]) * off[:, None]
    farm_hh = np.where(rng.random(n_farms) < 0.8, 1, rng.integers(2, 4, n_farms))
    b._append_homes(farm_xy, farm_hh, rural[pick], d, Zone.RURAL, None)

    # --- non-residential streets: industrial estate and retail park ------------------------
    ix0, iy0 = 2300 * s, 300 * s
    works = []
    for dy in (-110, 0, 110):
        works.append(LineString([(ix0 - 380 * s, iy0 + dy * s), (ix0 + 380 * s, iy0 + dy * s)]))
    works_pieces = np.concatenate(
        [
            b.add_pieces(np.array([ln]), [b.street("works", 0.0)], Zone.NON_RESIDENTIAL)
            for ln in works
        ]
    )
    rcx, rcy = at(R_RING, 0)
    access = LineString([(rcx, rcy), polar(R_RING * 0.93 * s, mids[0])])
    b.add_pieces(np.array([access]), [b.street("works", float(mids[0]))], Zone.NON_RESIDENTIAL)

    # --- premises ---------------------------------------------------------------------------
    _place_venues(b, s, mids, works_pieces, retail, university, hospital, sports)

    # --- assemble: homes outside no-home places, deduplicated on their rounded position ----
    homes = {k: np.concatenate([h[k] for h in b.homes]) for k in b.homes[0]}
    keep = ~shapely.contains_xy(no_home, homes["x"], homes["y"])
    keep &= shapely.contains_xy(boundary.buffer(-30), homes["x"], homes["y"])
    homes = {k: v[keep] for k, v in homes.items()}
    lon, lat = lonlat(homes["x"], homes["y"])
    order = np.lexsort((lon, lat))
    homes = {k: v[order] for k, v in homes.items()}
    lon, lat = lon[order], lat[order]
    first = np.r_[True, (np.diff(lat) != 0) | (np.diff(lon) != 0)]
    group = np.cumsum(first) - 1
    hh = np.bincount(group, weights=homes["households"]).astype(np.int64)
    homes = {k: v[first] for k, v in homes.items()}
    piece_street = np.array(b.piece_street)
    addresses = Addresses(
        x=homes["x"],
        y=homes["y"],
        lon=lon[first],
        lat=lat[first],
        households=hh,
        zone=homes["zone"].astype(np.int8),
        style=homes["style"].astype(np.int8),
        street=piece_street[homes["piece"]],
        piece=homes["piece"],
        dist=homes["dist"],
    )

    pieces = np.array(b.pieces, dtype=object)
    coords, idx = shapely.get_coordinates(pieces, return_index=True)
    same = idx[:-1] == idx[1:]
    seg = {
        "x0": coords[:-1, 0][same],
        "y0": coords[:-1, 1][same],
        "x1": coords[1:, 0][same],
        "y1": coords[1:, 1][same],
        "piece": idx[:-1][same],
    }
    seg["len"] = np.hypot(seg["x1"] - seg["x0"], seg["y1"] - seg["y0"])
    seg["zone"] = np.array(b.piece_zone)[seg["piece"]]

    # Night-time economy: the centre streets around the clubs.
    nx, ny = polar(260 * s, mids[3])
    mx, my = (seg["x0"] + seg["x1"]) / 2, (seg["y0"] + seg["y1"]) / 2
    night = (np.hypot(mx - nx, my - ny) < max(230 * s, 120)) & (seg["zone"] == Zone.CENTRE)

    # Parks: a pool of points to draw incidents from (about one per 400 m2).
    pool_x, pool_y, pool_p = [], [], []
    for i, park in enumerate(parks):
        x0, y0, x1, y1 = park.bounds
        gx, gy = np.meshgrid(np.arange(x0, x1, 20.0), np.arange(y0, y1, 20.0))
        gx = gx.ravel() + rng.uniform(-8, 8, gx.size)
        gy = gy.ravel() + rng.uniform(-8, 8, gy.size)
        inside = shapely.contains_xy(park, gx, gy)
        pool_x.append(gx[inside])
        pool_y.append(gy[inside])
        pool_p.append(np.full(inside.sum(), i))

    hot = np.array(
        [[*at(2000, 1, 0.2), max(300 * s, 100)], [*at(1900, 5, -0.2), max(280 * s, 100)]]
    )
    depr_zone = np.array([1.3, 1.5, 0.8, 0.5, 1.0])[addresses.zone]
    depr_style = np.where(addresses.style == list(STYLES).index("estate"), 1.4, 1.0)
    depr_style = np.where(addresses.style == list(STYLES).index("detached"), 0.6, depr_style)
    v = b.venues
    return City(
        seed=seed,
        scale=scale,
        boundary=boundary,
        pieces=pieces,
        piece_street=piece_street,
        piece_zone=np.array(b.piece_zone),
        street_names=tuple(b.names),
        street_angle=np.array(b.angles),
        seg=seg,
        addresses=addresses,
        venues=Venues(
            x=np.array([e[0] for e in v]),
            y=np.array([e[1] for e in v]),
            kind=np.array([str(e[2]) for e in v], dtype=object),
            size=np.array([e[3] for e in v]),
            site=np.array([e[4] for e in v]),
        ),
        parks=np.array(parks, dtype=object),
        park_pool=(np.concatenate(pool_x), np.concatenate(pool_y), np.concatenate(pool_p)),
        night_strip=night,
        burglary_hotspots=hot,
        deprivation=depr_zone * depr_style,
    )


def _place_venues(
    b: StreetBuilder,
    s: float,
    mids: np.ndarray,
    works_pieces: np.ndarray,
    retail: Polygon,
    university: Polygon,
    hospital: Polygon,
    sports: Polygon,
) -> None:
    """Shops, bars, the retail park, stations and works, each where a town would have them."""
    rng = b.rng
    pieces = np.array(b.pieces, dtype=object)
    zone = np.array(b.piece_zone)
    V = VenueKind

    def along(mask: np.ndarray, n: int, offset: float) -> np.ndarray:
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return np.zeros((0, 2))
        lens = shapely.length(pieces[idx])
        pick = idx[rng.choice(len(idx), n, p=lens / lens.sum())]
        d = rng.uniform(0.1, 0.9, n) * shapely.length(pieces[pick])
        p0 = shapely.get_coordinates(shapely.line_interpolate_point(pieces[pick], d))
        p1 = shapely.get_coordinates(shapely.line_interpolate_point(pieces[pick], d + 1))
        t = (p1 - p0) / np.maximum(np.hypot(*(p1 - p0).T), 1e-9)[:, None]
        return (
            p0 + np.column_stack([-t[:, 1], t[:, 0]]) * (offset * rng.choice([-1, 1], n))[:, None]
        )

    def inside(poly: Polygon, n: int) -> np.ndarray:
        x0, y0, x1, y1 = poly.bounds
        pts = np.column_stack([rng.uniform(x0, x1, 20 * n), rng.uniform(y0, y1, 20 * n)])
        return pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])][:n]

    mid = np.array(
        [shapely.line_interpolate_point(p, 0.5, normalized=True).coords[0] for p in pieces]
    )
    centre = zone == Zone.CENTRE
    near_core = np.hypot(mid[:, 0], mid[:, 1]) < max(300 * s, 150)
    nx, ny = polar(260 * s, mids[3])
    near_night = np.hypot(mid[:, 0] - nx, mid[:, 1] - ny) < max(230 * s, 120)
    site = 0
    for x, y in along(centre & near_core, 60, 9):  # the shopping streets share one map point
        b.venue(x, y, V.SHOP, float(rng.lognormal(0, 0.8)), site)
    site += 1
    for kind, n, sz in ((V.NIGHTCLUB, 4, 2.0), (V.PUB, 10, 1.0)):
        for x, y in along(centre & near_night, n, 9):
            b.venue(x, y, kind, sz * float(rng.lognormal(0, 0.4)), site)
            site += 1
    for kind, r, k in (
        (V.THEATRE, 250, 6),
        (V.BUS_STATION, 420, 5),
        (V.POLICE_STATION, 480, 2),
        (V.PARKING, 400, 7),
        (V.PARKING, 450, 1),
        (V.PARKING, 380, 4),
    ):
        x, y = polar(r * s, mids[k])
        b.venue(float(x), float(y), kind, 1.0, site)
        site += 1
    b.venue(0.0, 550 * s - 30 * s, V.RAIL_STATION, 3.0, site)
    site += 1
    b.venue(0.0 + 80 * s, 550 * s - 40 * s, V.PARKING, 1.0, site)
    site += 1
    # The retail park: units, a big supermarket, its car park and petrol station.
    rc = np.array(retail.centroid.coords[0])
    for x, y in inside(retail, 8):
        b.venue(x, y, V.RETAIL_UNIT, float(rng.lognormal(0, 0.5)), site)
    b.venue(*(rc + [20 * s, -30 * s]), V.SUPERMARKET, 4.0, site + 1)
    b.venue(*(rc + [-40 * s, 50 * s]), V.PARKING, 2.0, site + 2)
    b.venue(*(rc + [90 * s, 80 * s]), V.PETROL, 1.0, site + 3)
    site += 4
    # Along the main roads: supermarkets, petrol stations, pubs, corner shops.
    arterial_streets = [i for i, kind in enumerate(b.kinds) if kind == "arterial"]
    art = (zone != Zone.RURAL) & np.isin(b.piece_street, arterial_streets)
    sub_art = art & (zone == Zone.SUBURB)
    for kind, mask, n, sz in (
        (V.SUPERMARKET, sub_art, 2, 2.0),
        (V.PETROL, sub_art, 3, 1.0),
        (V.PUB, art & (zone != Zone.CENTRE), 12, 0.8),
        (V.CONVENIENCE, (zone == Zone.INNER) | (zone == Zone.SUBURB), 18, 1.0),
    ):
        for x, y in along(mask, n, 14):
            b.venue(x, y, kind, sz * float(rng.lognormal(0, 0.4)), site)
            site += 1
    for kind, poly, n, sz in (
        (V.UNIVERSITY, university, 6, 1.0),
        (V.HOSPITAL, hospital, 1, 3.0),
        (V.SPORTS, sports, 1, 2.0),
    ):
        for x, y in inside(poly, n):
            b.venue(x, y, kind, sz, site)
        site += 1
    works_mask = np.isin(np.arange(len(pieces)), works_pieces)
    for x, y in along(works_mask, 30, 25):
        b.venue(x, y, V.INDUSTRIAL, float(rng.lognormal(0, 0.6)), site)
        site += 1
