"""An index built from an incident store month by month, never holding every row.

`index_incidents` starts from the loader's pandas frame: every row's id, reference,
source file and datetime as Python objects (about 0.42 GB per million rows once
indexed), so ten years of England and Wales (60M rows) cannot be indexed that way. A
store (`crimedash store build`) already holds the validated rows by month; this module
reads it back one month at a time and keeps only what designs are computed from:

- per incident: lat/lon and metric x/y (float64), the month key (int64; the quarter and,
  for finer data, day/minute/week keys), category (int16), location type (int8) and
  whether it has a reference (bool): about 50 bytes a row for police.uk's month data;
- nothing else: the finer time keys of month-precision data are derived from the month
  on demand, and references and dates are read back from the store only for the rows a
  design shows (`StoreColumn`);
- H3 codes per resolution are placed in slices and factorised by hash (police.uk's
  points fall in a few hundred thousand cells), not by sorting every row.

`open_store` gives a `LoadResult` whose summary comes from the same pass (counts by
category and location type, dates and extent) and whose rejected rows are the store's,
so the manifest, the report and `assess` say exactly what they say for loaded files.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
from pyproj import Transformer

from crimedash import schema as S
from crimedash.cancel import checkpoint
from crimedash.cells import FINE_RES, drawn_cells, latlng_to_cells
from crimedash.errors import InputError
from crimedash.households import place_households
from crimedash.index import (
    AreaLayer,
    Index,
    Progress,
    ResolutionCodes,
    _index_area_layer,
    hash_categories_and_areas,
    metric_crs,
)
from crimedash.load.plausible import far_from_the_rest
from crimedash.load.result import DATE_FORMATS, FileSummary, LoadResult
from crimedash.schema import LocationType, TimePrecision
from crimedash.store import INCIDENTS_DIR, MANIFEST
from crimedash.storeread import REBUILD_HINT, manifest, read_batches, read_rejected
from crimedash.windows import time_keys

__all__ = ["StoreColumn", "StoreIndex", "StoreLoad", "index_store", "is_store", "open_store"]

_SLICE = 4_000_000  # points per slice when placing H3 cells
# A store of up to this many rows keeps each row's resolution-15 H3 cell (8 bytes a
# row: 40 MB for a national year of 5M) so that a resolution is placed from it
# (`cells.drawn_cells`' `fine`: 0.4-0.8 CPU-s instead of 1.5-2.1 at h3:8-9 and 5M); a
# larger one searches every resolution slice by slice, as before, since at 60M rows
# the array would be 0.48 GB at the peak of export's what-ifs (under 8 GB: issue 16).
_FINE_MAX_ROWS = 20_000_000
# points projected at a time: ~0.4 s each, so a cancelled build in the app stops soon
_PROJECT_SLICE = 1_000_000
_LOCATIONS = tuple(LocationType)
_LEVELS = ("timestamp", "day", "week", "month", "quarter")


def is_store(path: Any) -> bool:
    """Whether `path` is a store folder (a manifest and month partitions)."""
    if isinstance(path, tuple):
        return False
    p = Path(path)
    return p.is_dir() and (p / MANIFEST).is_file() and (p / INCIDENTS_DIR).is_dir()


def _check_coordinates(lat: np.ndarray, lon: np.ndarray, store: Path, month: str) -> None:
    """The loader kept only finite coordinates in range; a store whose parts say
    otherwise was changed after it was built, and would place incidents nowhere."""
    bad = ~(np.isfinite(lat) & np.isfinite(lon)) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if bad.any():
        raise InputError(
            f"holds {int(bad.sum()):,} coordinates that are missing or out of range "
            "(the loader keeps none)",
            file=str(store / INCIDENTS_DIR / f"month={month}"),
            hint=REBUILD_HINT,
        )


class StoreColumn:
    """One per-incident column of a store, read from disk only for the rows asked for:
    references and dates are needed for the few incidents a design shows, and holding
    60M Python strings would cost more than every other column together."""

    def __init__(self, store: Path, months: list[str], starts: np.ndarray, column: str):
        self.store, self.months, self.starts, self.column = store, months, starts, column

    def __len__(self) -> int:
        return int(self.starts[-1])

    def __getitem__(self, sel: Any) -> np.ndarray:
        rows = np.arange(len(self))[sel] if not isinstance(sel, np.ndarray) else sel
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty(len(rows), dtype=object)
        part = np.searchsorted(self.starts, rows, side="right") - 1
        for m in np.unique(part).tolist():
            hit = np.flatnonzero(part == m)
            folder = self.store / INCIDENTS_DIR / f"month={self.months[m]}"
            col = pads.dataset(folder, format="parquet").to_table(columns=[self.column])[0]
            local = pa.array(rows[hit] - self.starts[m])
            out[hit] = np.asarray(col.take(local).to_pylist(), dtype=object)
        return out


class _MonthKeys(dict):
    """Time keys of month-precision data: the month held, the quarter and the finer levels
    (which no design of such data uses: `effective_level` clamps them) derived from the
    month when asked, so 60M rows do not carry three unused int64 columns."""

    def __missing__(self, level: str) -> np.ndarray:
        return self.derive(level, self["month"])

    @staticmethod
    def derive(level: str, month: np.ndarray) -> np.ndarray:
        """The keys at `level` of incidents with these month keys (any slice of them:
        the atoms are grouped slice by slice, never deriving a whole column)."""
        if level == "quarter":
            return month // 3
        months = np.unique(month)
        y, m = np.divmod(months, 12)
        starts = pd.to_datetime({"year": 1970 + y, "month": m + 1, "day": 1})
        table = time_keys(pd.Series(starts))[level]
        return table[np.searchsorted(months, month)]


class StoreIndex(Index):
    """An `Index` read from a store: H3 codes are placed in slices and factorised by
    hash instead of through the in-memory index's table of distinct places (which at
    60M points would need several GB of temporaries), and metric x/y are projected on
    first use. Not re-decorated as a dataclass: it keeps Index's fields and __init__."""

    # Only grid designs read metric x/y, and at 60M rows the pair is 0.96 GB: projected
    # on first use. (Properties over the dataclass fields; Index.__init__ assigns None.)
    @property  # type: ignore[override]
    def x(self) -> np.ndarray:
        return self._metric()[0]

    @x.setter
    def x(self, value: np.ndarray | None) -> None:
        if value is not None:
            self.__dict__["_xy"] = (value, self.__dict__.get("_xy", (None, None))[1])

    @property  # type: ignore[override]
    def y(self) -> np.ndarray:
        return self._metric()[1]

    @y.setter
    def y(self, value: np.ndarray | None) -> None:
        if value is not None:
            self.__dict__["_xy"] = (self.__dict__.get("_xy", (None, None))[0], value)

    def _metric(self) -> tuple[np.ndarray, np.ndarray]:
        xy = self.__dict__.get("_xy")
        if xy is None or xy[0] is None or xy[1] is None:
            tr = Transformer.from_crs(S.WGS84, self.crs, always_xy=True)
            x, y = np.empty(self.n), np.empty(self.n)
            for lo in range(0, self.n, _PROJECT_SLICE):  # stale work stops between
                checkpoint()
                hi = min(lo + _PROJECT_SLICE, self.n)
                x[lo:hi], y[lo:hi] = tr.transform(self.lon[lo:hi], self.lat[lo:hi])
            xy = self.__dict__["_xy"] = (x, y)
        return xy

    def _build_resolution(self, res: int) -> ResolutionCodes:
        """Cells found slice by slice and the few distinct ones (a national month falls
        in ~40k at h3:8) merged as they come; every point is then coded by binary search
        against them, so no hash table over every row is made (pandas sizes one for all
        60M rows: ~2 GB). Each slice's points are coded against the slice's own cells
        first (int32, in place) and recoded once all cells are known, so the uint64
        cells of every point are never held at once (at 60M rows 0.48 GB, at the peak
        of `export`'s what-ifs: issue 16); the codes are the same."""
        n = self.n
        inc = np.empty(n, dtype=np.int32)
        slices: list[tuple[int, int, np.ndarray]] = []
        uniq = np.empty(0, dtype=np.uint64)
        fine = self._fine if res < FINE_RES else None
        for lo in range(0, n, _SLICE):
            checkpoint()
            cells = drawn_cells(
                self.lat[lo : lo + _SLICE],
                self.lon[lo : lo + _SLICE],
                res,
                None if fine is None else fine[lo : lo + _SLICE],
            )
            own, code = np.unique(cells, return_inverse=True)
            inc[lo : lo + len(cells)] = code
            uniq = np.union1d(uniq, own)
            slices.append((lo, lo + len(cells), own))
        hh_cells = drawn_cells(self.hh_lat, self.hh_lon, res)
        uniq = np.union1d(uniq, hh_cells).astype(np.uint64)
        for lo, hi, own in slices:
            inc[lo:hi] = np.searchsorted(uniq, own).astype(np.int32)[inc[lo:hi]]
        hh = np.searchsorted(uniq, hh_cells).astype(np.int32)
        households = np.bincount(hh, weights=self.hh_count, minlength=len(uniq))
        incidents = np.bincount(inc, minlength=len(uniq))
        private = np.bincount(inc, weights=self.private_mask, minlength=len(uniq))
        return ResolutionCodes(uniq, inc, hh, households, incidents, private.astype(np.int64))

    @property
    def _fine(self) -> np.ndarray | None:
        """Every row's H3 cell at `FINE_RES`, found once, slice by slice (None past
        `_FINE_MAX_ROWS`): each resolution is then placed from it. Not a cached_property:
        Python 3.11's holds a lock while it computes, and a worker paused at one of these
        checkpoints for the page's score would then hold up the page (`cancel.foreground`)
        if its score needed the cells; two threads may instead both compute them."""
        if self.n > _FINE_MAX_ROWS:
            return None
        fine = self.__dict__.get("_fine_cells")
        if fine is None:
            fine = np.empty(self.n, dtype=np.uint64)
            for lo in range(0, self.n, _SLICE):
                checkpoint()
                fine[lo : lo + _SLICE] = latlng_to_cells(
                    self.lat[lo : lo + _SLICE], self.lon[lo : lo + _SLICE], FINE_RES
                )
            self.__dict__["_fine_cells"] = fine
        return fine

    @cached_property
    def _places(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError("a store index places points in slices")


@dataclass(frozen=True, eq=False)
class StoreLoad(LoadResult):
    """The `LoadResult` of a store: no incident frame (the rows stay on disk), and a
    summary made from the counts gathered while indexing."""

    stats: dict[str, Any] | None = None

    @classmethod
    def from_manifest(cls, store: str | Path) -> StoreLoad:
        """Files, counts and rejected rows as the store recorded them when it was built."""
        m = manifest(store)
        rejected = read_rejected(store)
        if "rows_rejected" in m and len(rejected) != m["rows_rejected"]:
            raise InputError(
                f"says {m['rows_rejected']:,} rows were rejected, but the store holds "
                f"{len(rejected):,} of them",
                file=str(Path(store) / MANIFEST),
                hint=REBUILD_HINT,
            )
        files = tuple(
            FileSummary(f["name"], f["sha256"], f["rows_read"], f["rows_kept"], f["rows_rejected"])
            for f in m["files"]
        )
        return cls(
            incidents=pd.DataFrame({c: pd.Series(dtype=object) for c in S.INCIDENT_COLUMNS}),
            rejected=rejected[list(S.REJECTED_COLUMNS)],
            time_precision=TimePrecision(m["time_precision"]),
            files=files,
            skipped_files=tuple(tuple(s) for s in m.get("skipped", [])),
        )

    def with_stats(self, stats: dict[str, Any]) -> StoreLoad:
        """With the counts and the over-every-file findings of the indexing pass."""
        findings = (*self.findings, *stats.get("findings", []))
        return dataclasses.replace(self, stats=stats, findings=findings)

    def summary(self, top: int = 20) -> dict[str, Any]:
        st = self.stats or {}
        fmt = DATE_FORMATS[self.time_precision]
        unrec_loc = sorted(self.unrecognised_location_types.items(), key=lambda kv: -kv[1])
        cats = st.get("categories", {})
        from crimedash import categories

        unrec = {k: v for k, v in cats.items() if k not in categories.BY_CODE}
        unrec_top = dict(sorted(unrec.items(), key=lambda kv: -kv[1])[:top])
        return {
            "files": len(self.files),
            "rows_read": self.rows_read,
            "rows_kept": st.get("rows_kept", 0),
            "rows_rejected": len(self.rejected),
            "rejected_by_reason": {
                str(k): int(v) for k, v in self.rejected[S.REJ_REASON].value_counts().items()
            },
            "date_min": st["date_min"].strftime(fmt) if st.get("date_min") is not None else None,
            "date_max": st["date_max"].strftime(fmt) if st.get("date_max") is not None else None,
            "time_precision": self.time_precision.value,
            "categories": cats,
            "unrecognised_categories": unrec_top,
            "unrecognised_categories_total": int(sum(unrec.values())),
            "location_types": st.get("location_types", {}),
            "unrecognised_location_types": dict(unrec_loc[:top]),
            "unrecognised_location_types_total": sum(self.unrecognised_location_types.values()),
            "extent": st.get("extent"),
            "skipped_files": [list(s) for s in self.skipped_files],
            "findings": list(self.findings),
        }


def open_store(
    store: str | Path,
    *,
    households: gpd.GeoDataFrame | None = None,
    areas: Mapping[str, gpd.GeoDataFrame] | None = None,
    progress: Progress | None = None,
) -> tuple[StoreLoad, StoreIndex]:
    """The store's load result and index, read one month at a time."""
    loaded = StoreLoad.from_manifest(store)
    index, stats = index_store(store, households=households, areas=areas, progress=progress)
    return loaded.with_stats(stats), index


def index_store(
    store: str | Path,
    *,
    households: gpd.GeoDataFrame | None = None,
    areas: Mapping[str, gpd.GeoDataFrame] | None = None,
    progress: Progress | None = None,
    precision: TimePrecision | None = None,
) -> tuple[StoreIndex, dict[str, Any]]:
    """Index a store month by month (see the module docstring); also the counts the
    load summary reports, gathered in the same pass."""
    say = progress or (lambda f, m: None)
    store = Path(store)
    m = manifest(store)
    months: list[str] = m["months"]
    precision = precision or TimePrecision(m["time_precision"])
    by_month = precision == TimePrecision.MONTH
    n = int(m["rows_kept"])
    lat = np.empty(n)
    lon = np.empty(n)
    levels = ("month",) if by_month else _LEVELS
    keys = {lvl: np.empty(n, dtype=np.int64) for lvl in levels}
    cat_local = np.empty(n, dtype=np.int32)
    location_code = np.empty(n, dtype=np.int8)
    has_reference = np.empty(n, dtype=bool)
    cat_ids: dict[str, int] = {}
    starts = [0]
    pos = 0
    cols = [S.LATITUDE, S.LONGITUDE, S.OCCURRED_AT, S.CATEGORY, S.LOCATION_TYPE, S.REFERENCE]
    date_min = date_max = None
    for i, (month, t) in enumerate(read_batches(store, cols)):
        say(0.6 * i / max(len(months), 1), f"Reading {month} from the store")
        k = t.num_rows
        if pos + k > n:
            raise InputError(
                f"says the store keeps {n:,} rows, but its months up to {month} hold {pos + k:,}",
                file=str(store / MANIFEST),
                hint=REBUILD_HINT,
            )
        sl = slice(pos, pos + k)
        lat[sl] = t[S.LATITUDE].to_numpy()
        lon[sl] = t[S.LONGITUDE].to_numpy()
        _check_coordinates(lat[sl], lon[sl], store, month)
        ts = t[S.OCCURRED_AT]
        if k:
            lo_ts, hi_ts = pc.min_max(ts).values()
            lo_ts, hi_ts = pd.Timestamp(lo_ts.as_py()), pd.Timestamp(hi_ts.as_py())
            date_min = lo_ts if date_min is None else min(date_min, lo_ts)
            date_max = hi_ts if date_max is None else max(date_max, hi_ts)
        if by_month:
            mk = pc.add(
                pc.multiply(pc.subtract(pc.year(ts), 1970), 12), pc.subtract(pc.month(ts), 1)
            )
            mk = mk.to_numpy().astype(np.int64)
            keys["month"][sl] = mk
        else:
            for lvl, arr in time_keys(ts.to_numpy()).items():
                keys[lvl][sl] = arr
        cat = pc.dictionary_encode(t[S.CATEGORY]).combine_chunks()
        lookup = np.array(
            [cat_ids.setdefault(c, len(cat_ids)) for c in cat.dictionary.to_pylist()],
            dtype=np.int32,
        )
        cat_local[sl] = lookup[cat.indices.to_numpy()] if k else []
        loc = pc.dictionary_encode(t[S.LOCATION_TYPE]).combine_chunks()
        known = {str(v): j for j, v in enumerate(_LOCATIONS)}
        unknown = known[str(LocationType.UNKNOWN)]
        loc_lookup = np.array(
            [known.get(v, unknown) for v in loc.dictionary.to_pylist()], dtype=np.int8
        )
        location_code[sl] = loc_lookup[loc.indices.to_numpy()] if k else []
        ref = t[S.REFERENCE]
        has_reference[sl] = (
            pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(ref), ""), False)
            .to_numpy(zero_copy_only=False)
            .astype(bool)
        )
        pos += k
        starts.append(pos)
    if pos != n:
        raise InputError(
            f"says the store keeps {n:,} rows, but its months hold {pos:,} (a part is "
            "missing, or the manifest is not this store's)",
            file=str(store / MANIFEST),
            hint=REBUILD_HINT,
        )

    # categories sorted by name, as index_incidents numbers them
    names = np.array(list(cat_ids), dtype=object).astype(str)
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(order), dtype=np.int16)
    rank[order] = np.arange(len(order), dtype=np.int16)
    category_code = rank[cat_local] if n else np.empty(0, dtype=np.int16)
    del cat_local
    categories = tuple(names[order].tolist())

    crs = metric_crs(lon, lat)  # incidents are projected when a grid design asks
    tr = Transformer.from_crs(S.WGS84, crs, always_xy=True)

    say(0.75, "Placing households")
    hh_points, hh = place_households(households, tr)
    layers: dict[str, AreaLayer] = {}
    for i, (name, gdf) in enumerate((areas or {}).items()):
        say(0.8 + 0.15 * i / max(len(areas or {}), 1), f"Joining incidents to {name}")
        layers[name] = _index_area_layer(name, gdf, lon, lat, hh_points, crs)

    time_keys_ = _MonthKeys(keys) if by_month else keys
    if by_month:
        first = pd.Timestamp(year=1970, month=1, day=1)
        mmin = int(keys["month"].min()) if n else 0
        start = first + pd.DateOffset(months=mmin)
        origin = {lvl: int(v[0]) for lvl, v in time_keys(pd.Series([start])).items()}
    else:
        origin = {lvl: int(v.min()) if n else 0 for lvl, v in keys.items()}

    h = hashlib.sha256()
    h.update(b"store\x1f")
    for f in m["files"]:  # the bytes read, as hashed while the store was built
        h.update(f["sha256"].encode())
    for arr in (category_code, location_code, hh["hh_lat"], hh["hh_lon"], hh["hh_count"]):
        h.update(np.ascontiguousarray(arr).tobytes())
    extent = hash_categories_and_areas(h, list(categories), layers, lon, lat)
    starts_arr = np.asarray(starts, dtype=np.int64)
    index = StoreIndex(
        n=n,
        lat=lat,
        lon=lon,
        x=None,  # type: ignore[arg-type]
        y=None,  # type: ignore[arg-type]
        crs=crs,
        time_keys=time_keys_,
        time_origin=origin,
        data_precision=precision,
        categories=categories,
        category_code=category_code,
        location_types=tuple(str(t) for t in _LOCATIONS),
        location_code=location_code,
        has_reference=has_reference,
        references=StoreColumn(store, months, starts_arr, S.REFERENCE),  # type: ignore[arg-type]
        occurred_at=StoreColumn(store, months, starts_arr, S.OCCURRED_AT),  # type: ignore[arg-type]
        **hh,
        has_households=hh_points is not None,
        areas=layers,
        fingerprint=h.hexdigest()[:16],
        extent=extent,
    )
    files = StoreColumn(store, months, starts_arr, S.SOURCE_FILE)
    rows = StoreColumn(store, months, starts_arr, S.SOURCE_ROW)
    far = far_from_the_rest(
        lon, lat, lambda i: f"{files[np.array([i])][0]} row {rows[np.array([i])][0]}"
    )
    stats = {
        "findings": [far] if far else [],
        "rows_kept": n,
        "categories": {
            c: int(v)
            for c, v in zip(
                categories, np.bincount(category_code, minlength=len(categories)), strict=True
            )
        },
        "location_types": {
            str(t): int(v)
            for t, v in zip(
                _LOCATIONS, np.bincount(location_code, minlength=len(_LOCATIONS)), strict=True
            )
            if v
        },
        "date_min": date_min,
        "date_max": date_max,
        "extent": (
            {
                "lat_min": extent[1],
                "lat_max": extent[3],
                "lon_min": extent[0],
                "lon_max": extent[2],
            }
            if n
            else None
        ),
    }
    say(1.0, "Indexed")
    return index, stats
