"""National-shaped incidents for benchmarks: the real all-forces police.uk month,
replicated over months with jitter, written as police.uk would publish them.

The synthetic sample city puts every incident in one town (about 100 h3:8 units at any
row count), so it hides the costs that grow with the number of units. This builder starts
from a real month of every force that police.uk had for 2021-08 (362,296 rows; see
`../shared/data/real/README.md`) and makes N rows from it:

- month k is a copy of the real month shifted k months on (2021-08, 2021-09, ...);
- every located point moves by a seeded Gaussian jitter of about `JITTER_M` metres, so
  replicas are not stacked on the same map points (police.uk snaps to anonymous points;
  this keeps the density of the country, not the exact snapping). That makes almost
  every row a place of its own (4,898,018 places in 4,898,128 rows at 5M), where a real
  year reuses police.uk's snap points month after month (the real month alone has
  354,913 rows at 161,556 places), so work done per place is overstated;
- or, with `CRIMEDASH_BENCH_PLACES=snap` (`--places snap`), every row takes the map
  point and "Location" text of a random row of the real month in the same LSOA: each
  LSOA keeps its real density and every point is one of police.uk's own snap points, so
  places repeat across months as they do in a real year, while counts per unit and month
  still vary. Cached apart (`...-snap`), so jitter's figures stay comparable;
- the last month is a random subset, so categories, location types and forces keep
  their proportions; "No Location" rows stay as they are (the loader rejects them);
- Crime IDs are redrawn per copy (they are 64 hex digits, as police.uk's are).

Files go to `benchmarks/.cache/national-<rows>-s<seed>/YYYY-MM/YYYY-MM-<force>-street.csv`
(police.uk's own layout), outside git, and are reused when present. The same rows and
seed give the same bytes.

    .venv/bin/python benchmarks/national_data.py --rows 1000000
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from crimedash import schema as S

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("CRIMEDASH_BENCH_CACHE", HERE / ".cache"))
SHARED = Path(os.environ.get("CRIMEDASH_SHARED", HERE.parents[1] / "shared"))
ALL_FORCES = "data/real/police_uk/all-forces-2021-08.zip"
JITTER_M = 30.0
PLACES = ("jitter", "snap")
START_MONTH = np.datetime64("2021-08", "M")
_METRES_PER_DEGREE = 111_320.0


def source_zip() -> Path:
    """The real all-forces month; looked for beside the worktree as tests do."""
    for base in (SHARED, Path("/work/shared")):
        p = base / ALL_FORCES
        if p.exists():
            return p
    raise SystemExit(
        f"the real all-forces month is not at {SHARED / ALL_FORCES}; "
        "set CRIMEDASH_SHARED to the folder holding data/real/"
    )


def read_month(zip_path: Path) -> pa.Table:
    """Every force's CSV in the zip as one table of strings, with a `force` column."""
    tables = []
    opts = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in S.POLICE_UK_COLUMNS},
        strings_can_be_null=False,
    )
    with zipfile.ZipFile(zip_path) as zf:
        for name in sorted(zf.namelist()):
            m = re.search(r"\d{4}-\d{2}-(.+)-street\.csv$", name)
            if not m:
                continue
            t = pacsv.read_csv(io.BytesIO(zf.read(name)), convert_options=opts)
            tables.append(t.append_column("force", pa.array([m.group(1)] * t.num_rows)))
    return pa.concat_tables(tables)


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random 64-hex-digit ids (police.uk's Crime ID shape)."""
    words = rng.integers(0, np.iinfo(np.uint64).max, size=(n, 4), dtype=np.uint64, endpoint=True)
    raw = words.byteswap().view(np.uint8).reshape(n, 32)
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    out = np.empty((n, 64), dtype=np.uint8)
    out[:, 0::2] = digits[raw >> 4]
    out[:, 1::2] = digits[raw & 15]
    return out.view("S64").ravel().astype(str)


def places_mode() -> str:
    """How replicas are placed (`CRIMEDASH_BENCH_PLACES`, jitter by default)."""
    mode = os.environ.get("CRIMEDASH_BENCH_PLACES", "jitter")
    if mode not in PLACES:
        raise SystemExit(f"CRIMEDASH_BENCH_PLACES must be one of {', '.join(PLACES)}; got {mode!r}")
    return mode


def _same_lsoa_donors(month: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What drawing another row of the same LSOA needs: each row's group, the rows
    sorted by group, and each group's start in that order and size (a 2 x groups
    array). Rows without an LSOA are groups of one (they keep their own place)."""
    codes = month["LSOA code"].to_numpy(zero_copy_only=False)
    n = len(codes)
    blank = codes == ""
    codes = np.where(blank, np.char.add("row:", np.arange(n).astype(str)), codes)
    _, group = np.unique(codes, return_inverse=True)
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return group, order, np.stack([starts, sizes])


def replicate(
    month: pa.Table, rows: int, seed: int, places: str = "jitter"
) -> Iterator[tuple[str, pa.Table]]:
    """`rows` rows as consecutive shifted months: (YYYY-MM, table), one month at a time;
    `places` says how a replica's points are placed (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    n0 = month.num_rows
    lon0 = pc.cast(
        pc.if_else(pc.equal(month["Longitude"], ""), None, month["Longitude"]), pa.float64()
    )
    lat0 = pc.cast(
        pc.if_else(pc.equal(month["Latitude"], ""), None, month["Latitude"]), pa.float64()
    )
    lon0 = lon0.to_numpy(zero_copy_only=False)
    lat0 = lat0.to_numpy(zero_copy_only=False)
    located = ~np.isnan(lat0)
    had_id = pc.not_equal(month["Crime ID"], "").to_numpy(zero_copy_only=False)
    if places == "snap":
        group, order, starts_sizes = _same_lsoa_donors(month)
        location0 = month["Location"].to_numpy(zero_copy_only=False)
    k = 0
    left = rows
    while left > 0:
        take = np.arange(n0) if left >= n0 else np.sort(rng.choice(n0, left, replace=False))
        t = month.take(pa.array(take))
        ym = str(START_MONTH + k)
        if places == "snap":
            g = group[take]
            start, size = starts_sizes[0][g], starts_sizes[1][g]
            donor = order[
                start + np.minimum((rng.random(len(take)) * size).astype(np.int64), size - 1)
            ]
            lat, lon = lat0[donor], lon0[donor]
            ok = located[take] & located[donor]
            t = t.set_column(
                t.schema.get_field_index("Location"),
                "Location",
                pa.array(np.where(ok, location0[donor], location0[take]), pa.string()),
            )
        else:
            sd = JITTER_M / _METRES_PER_DEGREE
            lat = lat0[take] + rng.normal(0.0, sd, len(take))
            lon = lon0[take] + rng.normal(0.0, sd, len(take)) / np.cos(np.radians(lat0[take]))
            ok = located[take]
        lat_s = np.where(ok, np.char.mod("%.6f", np.round(lat, 6)), "")
        lon_s = np.where(ok, np.char.mod("%.6f", np.round(lon, 6)), "")
        ids = np.where(had_id[take], _hex_ids(rng, len(take)), "")
        for col, values in (
            ("Crime ID", ids),
            ("Month", np.full(len(take), ym)),
            ("Longitude", lon_s),
            ("Latitude", lat_s),
        ):
            t = t.set_column(t.schema.get_field_index(col), col, pa.array(values, pa.string()))
        yield ym, t
        left -= len(take)
        k += 1


def build(rows: int, seed: int = 7, cache: Path = CACHE, say=print) -> Path:
    """The folder of police.uk-shaped CSVs for `rows` rows (built once, then reused)."""
    places = places_mode()
    root = cache / (f"national-{rows}-s{seed}" + ("-snap" if places == "snap" else ""))
    done = root / ".complete"
    if done.exists():
        return root
    t0 = time.perf_counter()
    month = read_month(source_zip())
    say(f"read the real month: {month.num_rows:,} rows from {source_zip().name}")
    for ym, t in replicate(month, rows, seed, places):
        folder = root / ym
        folder.mkdir(parents=True, exist_ok=True)
        force = t["force"].to_numpy(zero_copy_only=False)
        body = t.drop_columns(["force"])
        for name in np.unique(force):
            part = body.filter(pa.array(force == name))
            pacsv.write_csv(part, folder / f"{ym}-{name}-street.csv")
    done.write_text(f"{rows} rows, seed {seed}, places {places}\n")
    say(f"wrote {rows:,} rows to {root} in {time.perf_counter() - t0:.1f} s")
    return root


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--places", choices=PLACES, help="how replicas are placed (CRIMEDASH_BENCH_PLACES)"
    )
    args = p.parse_args(argv)
    if args.places:
        os.environ["CRIMEDASH_BENCH_PLACES"] = args.places
    print(build(args.rows, args.seed, say=lambda m: print(m, file=sys.stderr)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
