"""Output areas and neighbourhoods: census-like units that tile the town."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.random import PCG64, Generator

from crimedash.sample.constants import (
    CITY_NAME,
    COORD_DECIMALS,
    NEIGHBOURHOOD_MAX_HOUSEHOLDS,
    NEIGHBOURHOOD_MIN_HOUSEHOLDS,
    OA_MAX_HOUSEHOLDS,
    OA_MIN_HOUSEHOLDS,
    OA_TARGET_HOUSEHOLDS,
)
from crimedash.sample.geometry import geoms_to_lonlat
from crimedash.sample.plan import MEAN_HOUSEHOLD_SIZE, Addresses, City

__all__ = ["Areas", "build_areas", "points_in"]


@dataclass(frozen=True)
class Areas:
    """Output areas that tile the town (each >= 40 households) and neighbourhoods of them.

    Geometries are WGS84 with coordinates rounded as written, and the household counts
    are counted from the rounded address points inside them, so a reader of the files
    gets exactly these numbers back.
    """

    oa_geoms: np.ndarray
    oa_codes: tuple[str, ...]
    oa_households: np.ndarray
    oa_residents: np.ndarray
    oa_neighbourhood: np.ndarray
    address_oa: np.ndarray  # per address: index of its output area
    nb_geoms: np.ndarray
    nb_codes: tuple[str, ...]  # doubling as the LSOA codes in the police.uk files
    nb_names: tuple[str, ...]
    nb_households: np.ndarray
    nb_residents: np.ndarray


def _bisect(x: np.ndarray, y: np.ndarray, w: np.ndarray, max_weight: float) -> np.ndarray:
    """Split points into compact groups of at most `max_weight` by halving the longer side.

    Each split balances the weight on its two sides, so groups end up between about a
    third and all of `max_weight`; labels follow the split tree, so neighbours in the
    label order are neighbours on the ground.
    """
    labels = np.zeros(len(x), dtype=np.int64)
    stack = [np.arange(len(x))]
    label = 0
    while stack:
        idx = stack.pop()
        total = w[idx].sum()
        if total <= max_weight or len(idx) < 2:
            labels[idx] = label
            label += 1
            continue
        xs, ys = x[idx], y[idx]
        coord = xs if np.ptp(xs) >= np.ptp(ys) else ys
        order = idx[np.argsort(coord, kind="stable")]
        cum = np.cumsum(w[order])
        k = int(np.argmin(np.abs(2 * cum[:-1] - total))) + 1
        stack.append(order[k:])
        stack.append(order[:k])
    return labels


def points_in(geoms: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Index of the polygon holding each point; -1 when none, -2 when more than one."""
    tree = shapely.STRtree(geoms)
    pi, gi = tree.query(shapely.points(lon, lat), predicate="within")
    out = np.full(len(lon), -1, dtype=np.int64)
    out[pi] = gi
    hits = np.bincount(pi, minlength=len(lon))
    out[hits > 1] = -2
    return out


def _group_centres(a: Addresses, mask: np.ndarray, target: float) -> np.ndarray:
    """Centres of compact groups of about `target` households among the masked homes."""
    idx = np.flatnonzero(mask)
    g = _bisect(a.x[idx], a.y[idx], a.households[idx].astype(float), target)
    cnt = np.bincount(g)
    return np.column_stack(
        [np.bincount(g, weights=a.x[idx]) / cnt, np.bincount(g, weights=a.y[idx]) / cnt]
    )


def _tile(city: City, centres: np.ndarray) -> tuple[list, np.ndarray, np.ndarray]:
    """Voronoi cells of the centres, clipped to the town; cells over the maximum are split.

    Returns the cells (rounded WGS84), the cell of each address and households per cell.
    """
    a = city.addresses
    for _ in range(8):
        if len(centres) == 1:
            cells = np.array([city.boundary], dtype=object)
        else:
            vor = shapely.voronoi_polygons(
                shapely.multipoints(centres), extend_to=city.boundary, ordered=True
            )
            cells = shapely.intersection(shapely.get_parts(vor), city.boundary)
        polys = list(geoms_to_lonlat(cells))
        where = points_in(np.array(polys, dtype=object), a.lon, a.lat)
        if (where < 0).any():
            raise RuntimeError("output areas do not tile the address points (a crimedash bug)")
        hh = np.bincount(where, weights=a.households, minlength=len(polys)).astype(np.int64)
        big = np.flatnonzero(hh > OA_MAX_HOUSEHOLDS)
        if len(big) == 0:
            break
        split = [_group_centres(a, where == i, hh[i] / 2 + 1) for i in big]
        centres = np.vstack([np.delete(centres, big, axis=0), *split])
    return polys, where, hh


def _best_neighbour(geom, polys: list, others: np.ndarray, hh: np.ndarray) -> int:
    """The smallest neighbour sharing an edge with `geom` (ties: the longest edge)."""
    arr = np.array([polys[j] for j in others], dtype=object)
    shared = shapely.length(shapely.intersection(shapely.boundary(geom), shapely.boundary(arr)))
    touching = shared > 0
    if not touching.any():
        return int(others[np.argmin(shapely.distance(geom, arr))])
    cand, edge = others[touching], shared[touching]
    return int(cand[np.lexsort((-edge, hh[cand]))[0]])


def _union_rounded(geoms) -> shapely.Geometry:
    """Union of adjacent rounded polygons, kept on the same 6-decimal grid."""
    u = shapely.set_precision(shapely.coverage_union_all(np.asarray(geoms, dtype=object)), 1e-6)
    return shapely.transform(u, lambda c: np.round(c, COORD_DECIMALS))


def _contiguous(geoms: np.ndarray, nb: np.ndarray, hh: np.ndarray) -> np.ndarray:
    """Move output areas cut off from their neighbourhood into the one they touch most.

    Straight-line halving can leave an area whose centre is on one side of the cut but
    whose land touches only the other side; real neighbourhoods are in one piece.
    """
    nb = nb.copy()
    for _ in range(5):
        moved = False
        for k in range(nb.max() + 1):
            members = np.flatnonzero(nb == k)
            u = shapely.coverage_union_all(geoms[members])
            parts = shapely.get_parts(u)
            if len(parts) < 2:
                continue
            part_of = np.array(
                [
                    int(np.argmax(shapely.intersects(shapely.point_on_surface(geoms[m]), parts)))
                    for m in members
                ]
            )
            weight = np.bincount(part_of, weights=hh[members], minlength=len(parts))
            main = int(np.argmax(weight))
            for m in members[part_of != main]:
                others = np.flatnonzero(nb != k)
                nb_hh = np.bincount(nb, weights=hh)
                arr = geoms[others]
                shared = shapely.length(
                    shapely.intersection(shapely.boundary(geoms[m]), shapely.boundary(arr))
                )
                if (shared > 0).any():
                    best = others[shared > 0][
                        np.lexsort((-shared[shared > 0], nb_hh[nb[others[shared > 0]]]))[0]
                    ]
                    nb[m] = nb[best]
                    moved = True
        if not moved:
            break
    _, nb = np.unique(nb, return_inverse=True)  # renumber in first-seen order of labels
    return nb


def _merge_small(geoms: np.ndarray, nb: np.ndarray, hh: np.ndarray, minimum: int) -> np.ndarray:
    """Merge neighbourhoods under `minimum` households into their smallest neighbour."""
    nb = nb.copy()
    while True:
        totals = np.bincount(nb, weights=hh)
        small = np.flatnonzero((totals > 0) & (totals < minimum))
        if len(small) == 0 or (totals > 0).sum() < 2:
            break
        k = int(small[np.argmin(totals[small])])
        mine = shapely.coverage_union_all(geoms[nb == k])
        labels = np.flatnonzero((totals > 0) & (np.arange(len(totals)) != k))
        unions = [shapely.coverage_union_all(geoms[nb == j]) for j in labels]
        best = _best_neighbour(mine, unions, np.arange(len(labels)), totals[labels])
        nb[nb == k] = labels[best]
    _, nb = np.unique(nb, return_inverse=True)
    return nb


def build_areas(city: City) -> Areas:
    """Output areas as census ones are made: compact groups of homes, at least 40 each.

    Homes are grouped by balanced halving, the groups' centres become Voronoi cells clipped
    to the town boundary (so the areas tile it, fields and parks included; cells over 250
    households are split), and any cell left under 40 households is merged into its
    smallest neighbour. Neighbourhoods are groups of output areas made the same way, kept
    in one piece, with 300-900 households each (they double as police.uk's LSOAs).
    """
    rng = Generator(PCG64([city.seed, 1]))
    a = city.addresses
    polys, where, hh = _tile(city, _group_centres(a, a.households >= 0, OA_TARGET_HOUSEHOLDS))
    alive = np.ones(len(polys), dtype=bool)
    while alive.sum() > 1:
        small = np.flatnonzero(alive & (hh < OA_MIN_HOUSEHOLDS))
        if len(small) == 0:
            break
        i = int(small[np.argmin(hh[small])])
        others = np.flatnonzero(alive)
        others = others[others != i]
        best = _best_neighbour(polys[i], polys, others, hh)
        polys[best] = _union_rounded([polys[best], polys[i]])
        hh[best] += hh[i]
        hh[i] = 0
        alive[i] = False
        where[where == i] = best
    keep = np.flatnonzero(alive)
    remap = np.full(len(polys), -1)
    remap[keep] = np.arange(len(keep))
    oa_geoms = np.array([polys[i] for i in keep], dtype=object)
    oa_hh = hh[keep]
    address_oa = remap[where]

    # Neighbourhoods: halve the output areas (weighted by households) until small enough.
    ox = np.bincount(address_oa, weights=a.x * a.households) / oa_hh
    oy = np.bincount(address_oa, weights=a.y * a.households) / oa_hh
    nb = _bisect(ox, oy, oa_hh.astype(float), NEIGHBOURHOOD_MAX_HOUSEHOLDS)
    nb = _contiguous(oa_geoms, nb, oa_hh)
    nb = _merge_small(oa_geoms, nb, oa_hh, NEIGHBOURHOOD_MIN_HOUSEHOLDS)
    order = np.lexsort((np.arange(len(nb)), nb))  # output areas numbered within neighbourhoods
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    oa_geoms, oa_hh, nb = oa_geoms[order], oa_hh[order], nb[order]
    address_oa = rank[address_oa]

    size = np.vectorize(MEAN_HOUSEHOLD_SIZE.get, otypes=[float])(a.zone)
    people = np.bincount(address_oa, weights=a.households * size, minlength=len(oa_hh))
    oa_res = np.round(people * rng.normal(1.0, 0.03, len(oa_hh))).astype(np.int64)
    n_nb = nb.max() + 1
    nb_geoms = [_union_rounded(oa_geoms[nb == k]) for k in range(n_nb)]
    nb_codes = tuple(f"E0199{k + 1:04d}" for k in range(n_nb))
    nb_names = tuple(f"{CITY_NAME} {k // 4 + 1:03d}{'ABCD'[k % 4]}" for k in range(n_nb))
    return Areas(
        oa_geoms=oa_geoms,
        oa_codes=tuple(f"SC{k + 1:07d}" for k in range(len(oa_hh))),
        oa_households=oa_hh,
        oa_residents=oa_res,
        oa_neighbourhood=nb,
        address_oa=address_oa,
        nb_geoms=np.array(nb_geoms, dtype=object),
        nb_codes=nb_codes,
        nb_names=nb_names,
        nb_households=np.bincount(nb, weights=oa_hh, minlength=n_nb).astype(np.int64),
        nb_residents=np.bincount(nb, weights=oa_res, minlength=n_nb).astype(np.int64),
    )
