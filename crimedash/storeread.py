"""Reading an incident store back, checked: a store is input like any file.

`store.build_store` writes the store; this module reads it (the manifest, one month at a
time, the atoms, the rejected rows). A store on disk can be damaged after it was built (a
part cut short, a manifest edited by hand, a month folder lost), so every reader checks
what it opens and refuses it by file and column with `REBUILD_HINT`, never a traceback
or a silent wrong count.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crimedash import schema
from crimedash.errors import InputError
from crimedash.store import INCIDENTS_DIR, MANIFEST, REJECTED_DIR

__all__ = [
    "ATOM_COUNT",
    "ATOM_KEYS",
    "REBUILD_HINT",
    "UnitOf",
    "atoms",
    "manifest",
    "merge_atoms",
    "partial_atoms",
    "read_batches",
    "read_incidents",
    "read_part",
    "read_rejected",
]


REBUILD_HINT = "the store is damaged: build it again with crimedash store build SRC... --out DIR"
_MANIFEST_FIELDS = {"months": list, "files": list, "rows_kept": int, "time_precision": str}


def manifest(store: str | Path) -> dict[str, Any]:
    """The store's manifest, checked: a store is input like any file, so a manifest that
    is not JSON or lacks what the readers rely on is refused by name, not a traceback."""
    path = Path(store) / MANIFEST
    if not path.exists():
        raise InputError(
            "is not a crimedash store (no manifest.json)",
            file=str(store),
            hint="build one with: crimedash store build SRC... --out DIR",
        )
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"cannot be read as JSON ({exc})", file=str(path), hint=REBUILD_HINT
        ) from exc
    if not isinstance(m, dict):
        raise InputError("is not a JSON object", file=str(path), hint=REBUILD_HINT)
    for key, kind in _MANIFEST_FIELDS.items():
        if not isinstance(m.get(key), kind) or isinstance(m.get(key), bool):
            raise InputError(
                f"has no {key!r} of the right kind ({kind.__name__})",
                file=str(path),
                hint=REBUILD_HINT,
            )
    if m["time_precision"] not in {t.value for t in schema.TimePrecision}:
        raise InputError(
            f"names an unknown time precision {m['time_precision']!r}",
            file=str(path),
            hint=REBUILD_HINT,
        )
    months = m["months"]
    if not all(isinstance(x, str) and _is_month(x) for x in months) or months != sorted(
        set(months)
    ):
        raise InputError(
            "lists months that are not YYYY-MM in order", file=str(path), hint=REBUILD_HINT
        )
    for f in m["files"]:
        if not isinstance(f, dict) or not all(
            isinstance(f.get(k), int) for k in ("rows_read", "rows_kept", "rows_rejected")
        ):
            raise InputError(
                "lists a file without its row counts", file=str(path), hint=REBUILD_HINT
            )
        if f["rows_read"] != f["rows_kept"] + f["rows_rejected"]:
            raise InputError(
                f"says {f.get('name')!r} had {f['rows_read']:,} rows read but "
                f"{f['rows_kept']:,} kept and {f['rows_rejected']:,} rejected",
                file=str(path),
                hint=REBUILD_HINT,
            )
    if sum(f["rows_kept"] for f in m["files"]) != m["rows_kept"]:
        raise InputError(
            f"says {m['rows_kept']:,} rows were kept, but its files add up to "
            f"{sum(f['rows_kept'] for f in m['files']):,}",
            file=str(path),
            hint=REBUILD_HINT,
        )
    return m


def _is_month(text: str) -> bool:
    y, _, mo = text.partition("-")
    return len(y) == 4 and y.isdigit() and len(mo) == 2 and mo.isdigit() and 1 <= int(mo) <= 12


# the kinds of column the readers rely on (a pandas-written part may use large strings)
_COLUMN_KINDS: dict[str, Callable[[pa.DataType], bool]] = {
    schema.LATITUDE: pa.types.is_floating,
    schema.LONGITUDE: pa.types.is_floating,
    schema.OCCURRED_AT: pa.types.is_timestamp,
    schema.SOURCE_ROW: pa.types.is_integer,
}
_NOT_NULL = (schema.LATITUDE, schema.LONGITUDE, schema.OCCURRED_AT, schema.CATEGORY)


def _text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def read_part(path: Path, columns: Sequence[str]) -> pa.Table:
    """One Parquet part of a store, or an InputError naming it and what is wrong: a part
    cut short, not Parquet, without a column the readers need or with the wrong kind."""
    try:
        found = pq.read_schema(path)
        _require_columns(path, found.names, columns)
        for c in columns:
            kind = found.field(c).type
            ok = _COLUMN_KINDS.get(c, _text)(kind)
            if not ok:
                raise InputError(
                    f"holds {kind} values, not the kind the store writes",
                    file=str(path),
                    column=c,
                    hint=REBUILD_HINT,
                )
        table = pq.read_table(path, columns=list(columns))
    except InputError:
        raise
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise _unreadable(path, exc) from exc
    for c in columns:
        if c in _NOT_NULL and table[c].null_count:
            raise InputError(
                f"has {table[c].null_count:,} empty values (the store keeps none)",
                file=str(path),
                column=c,
                hint=REBUILD_HINT,
            )
    return table


def read_batches(
    store: str | Path, columns: Sequence[str] | None = None
) -> Iterator[tuple[str, pa.Table]]:
    """(month, table) for each month in order: the unit an index or an atoms table is
    built from in batches (memory of one month, not the store). Every month the manifest
    lists must have its folder and parts, each readable (see `read_part`)."""
    m = manifest(store)
    cols = list(columns or schema.INCIDENT_COLUMNS)
    for month in m["months"]:
        folder = Path(store) / INCIDENTS_DIR / f"month={month}"
        parts = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        if not parts:
            raise InputError(
                f"is missing: the manifest lists {month} but no Parquet part holds it",
                file=str(folder),
                hint=REBUILD_HINT,
            )
        tables = [read_part(p, cols) for p in parts]
        yield month, pa.concat_tables(tables, promote_options="permissive")


# --------------------------------------------------------------------------------------
# The atoms table, by partition and merged
# --------------------------------------------------------------------------------------

ATOM_KEYS = ("unit", "month", schema.CATEGORY, schema.LOCATION_TYPE)
ATOM_COUNT = "n"
UnitOf = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (lat, lon) -> int64 unit key


def partial_atoms(table: pa.Table, unit_of: UnitOf) -> pa.Table:
    """Counts of one partition by (unit, month, category, location type): what every
    design reads. `unit_of` maps coordinates to an integer unit key (-1 outside every
    unit); months are the index's keys ((year - 1970) * 12 + month - 1)."""
    lat = table[schema.LATITUDE].to_numpy()
    lon = table[schema.LONGITUDE].to_numpy()
    ts = table[schema.OCCURRED_AT]
    month = pc.add(pc.multiply(pc.subtract(pc.year(ts), 1970), 12), pc.subtract(pc.month(ts), 1))
    keyed = pa.table(
        {
            "unit": pa.array(np.asarray(unit_of(lat, lon), dtype=np.int64)),
            "month": pc.cast(month, pa.int64()),
            # one text type whatever the source (Arrow gives string, pandas large_string)
            schema.CATEGORY: pc.cast(table[schema.CATEGORY], pa.string()),
            schema.LOCATION_TYPE: pc.cast(table[schema.LOCATION_TYPE], pa.string()),
        }
    )
    counted = keyed.group_by(list(ATOM_KEYS)).aggregate([("unit", "count")])
    return counted.rename_columns(_names_after_count(counted))


def _names_after_count(t: pa.Table) -> list[str]:
    return [ATOM_COUNT if c in ("unit_count", "n_sum") else c for c in t.column_names]


def merge_atoms(parts: Iterable[pa.Table]) -> pa.Table:
    """Sum partial atoms tables: associative and commutative, so partitions can be
    counted anywhere (threads, Dask workers, Spark executors) and merged in any order."""
    tables = list(parts)
    if not tables:
        return pa.table({k: pa.array([], pa.int64()) for k in (*ATOM_KEYS, ATOM_COUNT)})
    merged = pa.concat_tables(tables).group_by(list(ATOM_KEYS)).aggregate([(ATOM_COUNT, "sum")])
    merged = merged.rename_columns(_names_after_count(merged))
    return merged.sort_by([(k, "ascending") for k in ATOM_KEYS]).select([*ATOM_KEYS, ATOM_COUNT])


def atoms(store: str | Path, unit_of: UnitOf) -> pa.Table:
    """The atoms table of a whole store, one month partition at a time."""
    cols = [schema.LATITUDE, schema.LONGITUDE, schema.OCCURRED_AT, schema.CATEGORY]
    cols.append(schema.LOCATION_TYPE)
    return merge_atoms(partial_atoms(t, unit_of) for _, t in read_batches(store, cols))


def read_incidents(store: str | Path) -> pd.DataFrame:
    """The whole store as the loader's canonical frame (for data that fits in memory)."""
    tables = [t for _, t in read_batches(store)]
    frame = pa.concat_tables(tables).to_pandas() if tables else pd.DataFrame()
    return frame.astype(
        {
            schema.REFERENCE: pd.StringDtype("pyarrow"),
            schema.OCCURRED_AT: "datetime64[ns]",
            schema.SOURCE_ROW: "int64",
        }
    )


def read_rejected(store: str | Path) -> pd.DataFrame:
    """Every rejected row with its reason, each part checked as `read_part` does."""
    folder = Path(store) / REJECTED_DIR
    files = sorted(folder.glob("*.parquet"))
    if not files:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in schema.REJECTED_COLUMNS})
    cols = list(schema.REJECTED_COLUMNS)
    parts = []
    for f in files:
        try:
            _require_columns(f, pq.read_schema(f).names, cols)
            parts.append(pq.read_table(f).to_pandas())
        except (OSError, pa.ArrowException) as exc:
            raise _unreadable(f, exc) from exc
    return pd.concat(parts, ignore_index=True)


def _unreadable(path: Path, exc: Exception) -> InputError:
    """A part Parquet cannot read (cut short, not Parquet): name it and the first line
    of the reader's complaint, and say how to mend the store."""
    return InputError(
        f"cannot be read as Parquet ({str(exc).splitlines()[0][:200]})",
        file=str(path),
        hint=REBUILD_HINT,
    )


def _require_columns(path: Path, names: Sequence[str], columns: Sequence[str]) -> None:
    """A part without a column the readers need is refused by the part and column."""
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputError(
            "is missing from this part of the store",
            file=str(path),
            column=missing[0],
            hint=REBUILD_HINT,
        )
