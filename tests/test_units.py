"""Spatial units: counted where drawn, and adaptive units that partition space.

Every check here reads the units' published shapes (`Units.geometries`, the shapes the
public files hold) and the incidents' own coordinates, and asks the question a reader
of the map asks: is each crime counted in the shape that is drawn around it?
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from crimedash import schema as S
from crimedash.design import Design, parse_granularity
from crimedash.index import index_incidents
from crimedash.load import load_areas, load_incidents
from crimedash.units import adaptive_base_resolution, units_for

SAMPLE_GRANULARITIES = [
    "h3:7",
    "h3:9",
    "h3:12",
    "grid:250",
    "grid:1000",
    "areas:output_areas",
    "areas:neighbourhoods",
    "adaptive:8",
    "adaptive:40",
]


def _units(index, granularity: str, min_area_m2: float = 10_000.0):
    return units_for(index, parse_granularity(granularity), 1500.0, min_area_m2)


def assert_counted_where_drawn(index, units) -> None:
    """Every incident in a unit lies inside or on that unit's published shape."""
    inside = units.incident_unit >= 0
    codes = units.incident_unit[inside]
    used, inv = np.unique(codes, return_inverse=True)
    shapes = units.geometries(index, used)
    held = shapely.intersects_xy(shapes[inv], index.lon[inside], index.lat[inside])
    assert held.all(), f"{(~held).sum()} incidents lie outside the shape they are counted in"


@pytest.mark.parametrize("granularity", SAMPLE_GRANULARITIES)
def test_sample_city_incidents_are_counted_where_drawn(sample_dataset, granularity):
    index = sample_dataset.index
    units = _units(index, granularity)
    assert_counted_where_drawn(index, units)
    if granularity.split(":")[0] in ("h3", "grid", "adaptive"):
        assert (units.incident_unit >= 0).all()  # these cover the whole plane


def test_a_point_on_a_shared_area_border_is_counted_in_an_area_that_draws_it():
    """Two squares sharing an edge; points on the edge, a corner and inside each."""
    left = shapely.box(-1.0, 52.0, -0.99, 52.01)
    right = shapely.box(-0.99, 52.0, -0.98, 52.01)
    areas = gpd.GeoDataFrame({S.AREA_CODE: ["L", "R"]}, geometry=[left, right], crs=S.WGS84)
    lon = np.array([-0.99, -0.99, -0.995, -0.985, -0.99])
    lat = np.array([52.005, 52.0, 52.005, 52.005, 52.01])
    frame = _incidents(lon, lat)
    index = index_incidents(frame, areas={"squares": areas})
    units = _units(index, "areas:squares")
    assert (units.incident_unit >= 0).all()
    assert_counted_where_drawn(index, units)
    assert units.labels(index, units.incident_unit[2:4]) == ["L", "R"]


def _incidents(lon: np.ndarray, lat: np.ndarray):
    import pandas as pd

    n = len(lon)
    return pd.DataFrame(
        {
            S.LATITUDE: lat,
            S.LONGITUDE: lon,
            S.OCCURRED_AT: pd.Timestamp("2024-03-01"),
            S.CATEGORY: "burglary",
            S.LOCATION_TYPE: "residential",
            S.REFERENCE: [f"R{i}" for i in range(n)],
        }
    )


# --- adaptive units partition space --------------------------------------------------------
def assert_partition(index, units, k: float, min_area_m2: float) -> None:
    """No two units overlap (by more than a square metre of rounding), their union has
    no hole and covers every household, each covers at least the minimum area, and only
    top-level cells (nothing coarser exists) hold fewer than K households."""
    shapes = units.geometries(index, np.arange(units.n))
    metric = gpd.GeoSeries(shapes, crs=S.WGS84).to_crs(S.BRITISH_NATIONAL_GRID).to_numpy()
    tree = shapely.STRtree(metric)
    a, b = tree.query(metric, predicate="intersects")
    pair = a < b
    overlap = shapely.area(shapely.intersection(metric[a[pair]], metric[b[pair]]))
    assert (overlap <= 1.0).all(), f"{(overlap > 1).sum()} pairs of units overlap"
    union = shapely.union_all(shapes)
    parts = getattr(union, "geoms", [union])
    assert sum(len(p.interiors) for p in parts) == 0, "a gap inside the units"
    hull = shapely.convex_hull(shapely.multipoints(np.c_[index.hh_lon, index.hh_lat]))
    gap = gpd.GeoSeries([shapely.difference(hull, union)], crs=S.WGS84)
    assert gap.to_crs(S.BRITISH_NATIONAL_GRID).area.iloc[0] <= 1.0
    assert shapely.area(metric).min() >= min_area_m2
    top = max(5, units.base_resolution - 5)
    import h3.api.basic_int as h3_int

    at_top = np.array(
        [
            not r and h3_int.get_resolution(int(c)) == top
            for c, r in zip(units.h3_cells, units.residual, strict=True)
        ]
    )
    assert (units.households[~at_top] >= k).all()
    assert units.households.sum() == pytest.approx(index.total_households)


@pytest.mark.parametrize(("k", "min_area_m2"), [(8, 10_000.0), (40, 10_000.0), (40, 50_000.0)])
def test_sample_city_adaptive_units_partition_space(sample_dataset, k, min_area_m2):
    index = sample_dataset.index
    units = _units(index, f"adaptive:{k}", min_area_m2)
    assert_partition(index, units, k, min_area_m2)
    assert_counted_where_drawn(index, units)


def test_adaptive_ids_are_h3_cells_or_documented_pools(sample_dataset):
    """A unit that is one cell has that cell's H3 id; a pool is '<parent>:<digits>' and
    its digits name exactly the children it holds."""
    import h3

    index = sample_dataset.index
    units = _units(index, "adaptive:40")
    labels = units.labels(index, np.arange(units.n))
    assert len(set(labels)) == units.n
    for label, pool in zip(labels, units.residual.tolist(), strict=True):
        if not pool:
            assert h3.is_valid_cell(label)
            continue
        parent, digits = label.split(":")
        assert h3.is_valid_cell(parent) and digits.isdigit()
        children = h3.cell_to_children(parent, h3.get_resolution(parent) + 1)
        assert 1 <= len(digits) < len(children)


def test_adaptive_units_never_shrink_below_the_minimum_area(sample_dataset):
    """A block of flats with K households in one building is published as a unit of at
    least the design's minimum area, and a smaller minimum needs the household-pins
    acknowledgement."""
    index = sample_dataset.index
    assert adaptive_base_resolution(index, 10_000.0) == 10
    assert adaptive_base_resolution(index, 200.0) == 12  # ~270 m2 cells here
    from crimedash.errors import DesignError

    with pytest.raises(DesignError, match="household pins"):
        Design(granularity="adaptive:40", min_unit_area_m2=200)
    Design(granularity="adaptive:40", min_unit_area_m2=200, acknowledge=("household_pins",))


def _hide_a_category(frame):
    cat = frame[S.CATEGORY].astype(str)
    return frame[cat != cat.mode().iloc[0]]


def _add_next_month(frame):
    import pandas as pd

    later = frame.sample(500, random_state=1).copy()
    later[S.OCCURRED_AT] = pd.to_datetime(later[S.OCCURRED_AT]).max() + pd.Timedelta(days=31)
    return pd.concat([frame, later], ignore_index=True)


@pytest.mark.parametrize("change", [_hide_a_category, _add_next_month])
def test_adaptive_shapes_depend_on_households_only(sample_dataset, change):
    """Dropping a category's incidents (as hiding it does) or adding next month's leaves
    every unit's id and shape unchanged."""
    changed = index_incidents(
        change(sample_dataset.loaded.incidents),
        households=sample_dataset.households,
        areas=sample_dataset.areas,
    )

    def shapes(index):
        units = _units(index, "adaptive:20")
        codes = np.arange(units.n)
        wkb = shapely.to_wkb(units.geometries(index, codes))
        return dict(zip(units.labels(index, codes), wkb, strict=True))

    before, after = shapes(sample_dataset.index), shapes(changed)
    assert before == after


# --- the real files --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trafford(real_data):
    areas = load_areas(real_data / "trafford" / "trafford_oa_2021.geojson")
    loaded = load_incidents(
        real_data / "police_uk" / "greater-manchester" / "trafford_burglary_2016-02_2019-01.csv"
    )
    return index_incidents(loaded.incidents, households=areas, areas={"oa": areas})


@pytest.mark.real_data
@pytest.mark.parametrize("granularity", ["h3:8", "h3:10", "grid:250", "areas:oa", "adaptive:40"])
def test_trafford_incidents_are_counted_where_drawn(trafford, granularity):
    units = _units(trafford, granularity)
    assert_counted_where_drawn(trafford, units)


@pytest.mark.real_data
@pytest.mark.parametrize("k", [20, 80])
def test_trafford_adaptive_units_partition_space(trafford, k):
    assert_partition(trafford, _units(trafford, f"adaptive:{k}"), k, 10_000.0)


@pytest.mark.real_data
@pytest.mark.parametrize("granularity", ["h3:7", "h3:9", "h3:11", "grid:100", "adaptive:40"])
def test_city_of_london_incidents_are_counted_where_drawn(real_data, granularity):
    loaded = load_incidents(real_data / "police_uk" / "city-of-london")
    index = index_incidents(loaded.incidents)
    units = _units(index, granularity)
    assert (units.incident_unit >= 0).all()
    assert_counted_where_drawn(index, units)


@pytest.mark.parametrize("granularity", ["adaptive:3", "adaptive:40"])
def test_adaptive_shapes_and_centres_in_batches_match_one_unit_at_a_time(granularity):
    """The map builds every unit's shape and centre at once (issue 16); each must be
    exactly the union of that unit's own base hexagons, and the mean of its cells'
    centres, as when they were built one unit at a time."""
    import h3.api.basic_int as h3_int
    from enginekit import make_index

    from crimedash.cells import cell_vertices

    index = make_index(21, n=3000, n_households=800, areas=True)
    units = units_for(index, Design(granularity=granularity).spatial, 2000.0, 10_000.0)
    assert units.residual is not None and units.residual.any()  # pools are covered
    codes = np.arange(units.n)[::-1]  # any order
    shapes = units.geometries(index, codes)
    lat, lon = units.centres(index, codes)
    for shape, y, x, code in zip(shapes, lat, lon, codes.tolist(), strict=True):
        polys = shapely.polygons(cell_vertices(np.array(units._base_cells(code), dtype=np.uint64)))
        one = polys[0] if len(polys) == 1 else shapely.coverage_union_all(polys)
        assert shapely.equals_exact(shapely.orient_polygons(one), shape, tolerance=0)
        centres = np.array([h3_int.cell_to_latlng(c) for c in units._cells_of(code)])
        assert (y, x) == pytest.approx(tuple(centres.mean(axis=0)), abs=1e-9)


def test_adaptive_shapes_are_built_once_per_unit(monkeypatch):
    """Every map of a design on adaptive units draws the same outlines: each unit's is
    built the first time it is asked for and read back after, the same shape as a
    fresh build, whatever the order or overlap of the codes asked for."""
    from enginekit import make_index

    from crimedash.units import Units

    index = make_index(22, n=2000, n_households=600)
    units = units_for(index, Design(granularity="adaptive:5").spatial, 2000.0, 10_000.0)
    built: list[int] = []
    real = Units._adaptive_shapes

    def counting(self, codes):
        built.extend(np.asarray(codes).tolist())
        return real(self, codes)

    monkeypatch.setattr(Units, "_adaptive_shapes", counting)
    some = np.arange(0, units.n, 3)
    first = units.geometries(index, some)
    everything = units.geometries(index, np.arange(units.n)[::-1])
    again = units.geometries(index, some)
    assert sorted(built) == list(range(units.n))  # each unit built exactly once
    assert all(a is b for a, b in zip(first, again, strict=True))
    fresh = real(units, np.arange(units.n)[::-1])
    assert all(
        shapely.equals_exact(a, b, tolerance=0) for a, b in zip(everything, fresh, strict=True)
    )
