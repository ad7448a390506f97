"""The index: H3 parents by bit work, nested time keys, codes shared by incidents and
households."""

from __future__ import annotations

import h3
import h3.api.basic_int
import numpy as np
import pandas as pd
import pytest
import shapely
from enginekit import make_index

from crimedash.cells import (
    FINE_RES,
    cell_vertices,
    drawn_cells,
    h3_parent,
    in_convex,
    latlng_to_cells,
)
from crimedash.windows import time_keys, window_label


@pytest.mark.parametrize("res", range(5, 16))
def test_h3_parent_by_bits_matches_h3(res):
    rng = np.random.default_rng(res)
    cells = [
        h3.latlng_to_cell(a, b, 15)
        for a, b in zip(rng.uniform(-60, 60, 50), rng.uniform(-180, 180, 50), strict=True)
    ]
    ints = np.array([h3.str_to_int(c) for c in cells], dtype=np.uint64)
    expected = [h3.str_to_int(h3.cell_to_parent(c, res)) for c in cells]
    assert h3_parent(ints, res).tolist() == expected


def test_time_levels_nest():
    """day < week < month < quarter: each window lies inside exactly one coarser one."""
    days = pd.date_range("2024-01-01", "2025-12-31", freq="D")
    k = time_keys(pd.Series(days))
    for fine, coarse in [("day", "week"), ("week", "month"), ("month", "quarter")]:
        pairs = pd.DataFrame({"f": k[fine], "c": k[coarse]}).drop_duplicates()
        assert pairs["f"].is_unique, f"a {fine} spans two {coarse}s"


@pytest.mark.parametrize(
    ("level", "key_of", "label"),
    [
        ("month", lambda k: k["month"], "2024-03"),
        ("quarter", lambda k: k["quarter"], "2024-Q1"),
        ("day", lambda k: k["day"], "2024-03-09"),
        ("week", lambda k: k["week"], "2024-03 days 08-14"),
        ("timestamp", lambda k: k["timestamp"], "2024-03-09T21:15"),
    ],
)
def test_window_labels(level, key_of, label):
    k = time_keys(pd.Series([pd.Timestamp("2024-03-09 21:15:42")]))
    assert window_label(level, int(key_of(k)[0])) == label


def test_resolution_codes_are_shared_and_counted():
    index = make_index(1, n=40, n_households=30)
    rc = index.resolution(9)
    assert np.all(np.diff(rc.cells.astype(np.float64)) > 0) or len(rc.cells) == 1
    assert rc.incidents.sum() == index.n
    assert rc.households.sum() == pytest.approx(index.total_households)
    # each incident's code points at the cell whose published hexagon holds it (not
    # the parent of its resolution-15 cell: H3 children are not inside their parents)
    hexagons = shapely.polygons(cell_vertices(rc.cells))
    assert shapely.intersects_xy(hexagons[rc.incident_code], index.lon, index.lat).all()


@pytest.mark.parametrize("res", [5, 8, 11, 15])
def test_cells_are_h3s_own_but_for_points_on_a_published_edge(res):
    """drawn_cells agrees with h3.latlng_to_cell except where rounding the outline to
    6 decimals moved an edge across the point, and then the point is inside the
    published neighbour."""
    rng = np.random.default_rng(res)
    lat, lon = rng.uniform(50, 56, 5000), rng.uniform(-5, 1, 5000)
    cells = drawn_cells(lat, lon, res)
    own = np.array(
        [h3.str_to_int(h3.latlng_to_cell(a, b, res)) for a, b in zip(lat, lon, strict=True)]
    )
    hexagons = shapely.polygons(cell_vertices(cells))
    assert shapely.intersects_xy(hexagons, lon, lat).all()
    moved = cells != own
    # ~0.1 m of rounding matters only for hexagons a metre across (resolution 15)
    assert moved.mean() < (0.05 if res == 15 else 0.005)
    for c, o in zip(cells[moved].tolist(), own[moved].tolist(), strict=True):
        assert h3.grid_distance(h3.int_to_str(c), h3.int_to_str(o)) == 1


def _hard_points(res: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points where placing is hard: anywhere on the globe (poles, the antimeridian),
    around the pentagons (icosahedron vertices), and on, just inside and just outside
    the published edges and vertices of English cells, by a millimetre to a few metres."""
    z = rng.uniform(-1, 1, 3000)
    lat = [np.degrees(np.arcsin(z))]
    lon = [rng.uniform(-180, 180, 3000)]
    for p in h3.get_pentagons(res):
        a, b = h3.cell_to_latlng(p)
        lat.append(a + rng.normal(0, 0.3, 60))
        lon.append(b + rng.normal(0, 0.3, 60))
    seeds = latlng_to_cells(rng.uniform(50, 55, 300), rng.uniform(-4, 1, 300), res)
    rings = cell_vertices(np.unique(seeds))
    ends = rings[:, rng.integers(0, 6, 6000) % 6]  # a vertex or an edge's midpoint
    ends = ends.reshape(-1, 2)[:6000]
    mid = (ends + rings.reshape(-1, 2)[rng.integers(0, rings.shape[0] * 6, 6000)]) / 2
    for base in (ends, mid):
        for step in (1e-8, 1e-7, 1e-6, 1e-5, 5e-5):
            off = rng.choice([-step, 0.0, step], size=base.shape)
            lat.append(base[:, 1] + off[:, 1])
            lon.append(base[:, 0] + off[:, 0])
    lat_, lon_ = np.concatenate(lat), np.concatenate(lon)
    keep = (np.abs(lat_) <= 90) & (np.abs(lon_) <= 180)
    return lat_[keep], lon_[keep]


def _drawn_by_definition(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    """`drawn_cells` as the module docstring defines it, the plain way: H3's cell,
    kept if its published outline holds the point, else the neighbour (lowest id
    first) whose published outline does."""
    cells = latlng_to_cells(lat, lon, res)
    ok = in_convex(cell_vertices(cells), lon, lat)
    for i in np.flatnonzero(~ok).tolist():
        for c in sorted(set(h3.api.basic_int.grid_disk(int(cells[i]), 1)) - {int(cells[i])}):
            ring = cell_vertices(np.array([c], dtype=np.uint64))
            if in_convex(ring, lon[i : i + 1], lat[i : i + 1])[0]:
                cells[i] = c
                break
    return cells


@pytest.mark.parametrize("res", [5, 6, 7, 8, 9, 10, 12, 14])
def test_drawn_cells_by_either_way_are_the_definitions(res):
    """Searched at `res` (with the published outline tried only near an edge) or placed
    from the points' resolution-15 cells (searching only the points near an edge),
    every point is in the cell the plain definition gives, also where it is hardest:
    on published edges and vertices, by pentagons, at the poles and across the
    antimeridian."""
    lat, lon = _hard_points(res, np.random.default_rng(res))
    fine = latlng_to_cells(lat, lon, FINE_RES)
    expected = _drawn_by_definition(lat, lon, res)
    assert np.array_equal(drawn_cells(lat, lon, res), expected)
    assert np.array_equal(drawn_cells(lat, lon, res, fine), expected)
    # the shortcut was taken for most points: the test is not only of the search
    assert (h3_parent(fine, res) == expected).mean() > 0.5
    # and points were moved to a neighbour's published outline: the hard case is here
    assert (expected != latlng_to_cells(lat, lon, res)).any()


def test_fingerprint_changes_with_data_and_not_with_nothing():
    a, b, c = make_index(3), make_index(3), make_index(4)
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != c.fingerprint
