"""An incident store on disk: years of police.uk files read in batches into Parquet.

`load_incidents` holds every row of every file in memory at once (about 0.42 GB per
million rows once indexed), so ten years of England and Wales (about 60M rows) cannot be
loaded that way. The store reads one file (or one slice of a big file) at a time,
validates it with the loader itself, so the rules are the loader's and every row is
accounted for, and appends it to a columnar store partitioned by month:

    OUT/incidents/month=YYYY-MM/part-NNNNN.parquet   canonical columns (schema.py)
    OUT/rejected/part-NNNNN.parquet                  every rejected row with its reason
    OUT/manifest.json                                files (sha256, rows read/kept/
                                                     rejected), totals, time precision

Peak memory is a few batches, not the data set. A batch is a file of the input
(police.uk publishes one per force and month, at most a few tens of MB) or, for a CSV
larger than `batch_bytes`, a slice of whole lines with the header repeated (Parquet and
GIS files are read whole; `storeinputs` finds and slices the files). Files of one slice
are read two at a time in loader threads (`load.pipeline`) and Parquet is written in a
thread of its own, so both cores work; results are taken in the files' order. Each file
is hashed as its bytes are read (sha256 over the whole file, slices included), identical
files are stored once, and the manifest's counts add up: read = kept + rejected per file.
The on-disk layout is unchanged by this (a store built before reads the same).

Indexing reads the store back month by month (`storeread.read_batches`), which is the
interface a partitioned engine (DuckDB, polars, Dask, Spark) can also read: see docs/scale.md.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crimedash import schema
from crimedash.errors import InputError
from crimedash.load import ColumnMapping
from crimedash.load.incidents import load_part
from crimedash.load.pipeline import ordered
from crimedash.load.table import as_frame
from crimedash.load.validate import Part
from crimedash.storeinputs import TEXT_TABLES, inputs, slices, whole

__all__ = [
    "BATCH_BYTES",
    "FLUSH_ROWS",
    "INCIDENTS_DIR",
    "MANIFEST",
    "REJECTED_DIR",
    "REJECTED_ROWS",
    "Progress",
    "StoreSummary",
    "StoredFile",
    "build_store",
]

Progress = Callable[[float, str], None]

BATCH_BYTES = 256 << 20  # a slice of a big file: ~1M police.uk rows
FLUSH_ROWS = 1_000_000  # rows buffered before they are written (~200 MB)
REJECTED_ROWS = 100_000  # rejected rows buffered before they are written
MANIFEST = "manifest.json"
INCIDENTS_DIR = "incidents"
REJECTED_DIR = "rejected"


@dataclass(frozen=True)
class StoredFile:
    """What happened to one input file: its hash and where every row went."""

    name: str
    sha256: str
    rows_read: int
    rows_kept: int
    rows_rejected: int
    batches: int


@dataclass
class StoreSummary:
    """The manifest of a store: its files, totals and the coarsest time precision."""

    files: list[StoredFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    time_precision: str = schema.TimePrecision.TIMESTAMP.value
    months: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_kept(self) -> int:
        return sum(f.rows_kept for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_rejected": self.rows_rejected,
            "time_precision": self.time_precision,
            "months": self.months,
            "files": [asdict(f) for f in self.files],
            "skipped": [list(s) for s in self.skipped],
        }


# --------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------


class _MonthWriter:
    """Buffers validated batches and writes them as month partitions, a few large
    Parquet files rather than one small file per input (police.uk has ~500 a year).

    Writing runs in a thread of its own (Parquet's encoder leaves Python's lock free),
    so the next files are read while a buffer is written; at most one buffer is being
    written while the next fills, so memory stays at two buffers."""

    def __init__(self, root: Path, flush_rows: int) -> None:
        self.root, self.flush_rows = root, flush_rows
        self.buffer: list[pa.Table] = []
        self.rows = 0
        self.seq = 0
        self.months: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crimedash-store")
        self._writing: Future[list[Path]] | None = None

    def add(self, tables: Sequence[pa.Table]) -> None:
        self.buffer.extend(t for t in tables if t.num_rows)
        self.rows += sum(t.num_rows for t in tables)
        if self.rows >= self.flush_rows:
            self.flush()

    def write_now(self, tables: Sequence[pa.Table]) -> list[Path]:
        """Write these tables (and anything buffered) now; returns the files written."""
        self.buffer.extend(t for t in tables if t.num_rows)
        return self.flush(wait=True)

    def flush(self, *, wait: bool = False) -> list[Path]:
        """Start writing what is buffered (after the write before it has finished);
        with `wait`, finish and return the files written."""
        self._finish()
        if not self.buffer:
            return []
        table = pa.concat_tables(self.buffer)
        self.buffer, self.rows = [], 0
        self._writing = self._pool.submit(self._write, table, self.seq)
        self.seq += 1
        return self._finish() if wait else []

    def _finish(self) -> list[Path]:
        """Wait for the write in flight; its error, if any, is raised here."""
        writing, self._writing = self._writing, None
        return writing.result() if writing is not None else []

    def close(self) -> None:
        """Wait for the last write (raising its error) and stop the writer's thread."""
        try:
            self._finish()
        finally:
            self._pool.shutdown(wait=True)

    def _write(self, table: pa.Table, seq: int) -> list[Path]:
        written: list[Path] = []
        ts = table[schema.OCCURRED_AT]  # integer months: strftime was most of a flush
        month = pc.add(pc.multiply(pc.year(ts), 12), pc.subtract(pc.month(ts), 1))
        for key in sorted(pc.unique(month).to_pylist()):
            m = f"{key // 12:04d}-{key % 12 + 1:02d}"
            folder = self.root / f"month={m}"
            folder.mkdir(exist_ok=True)
            path = folder / f"part-{seq:05d}.parquet"
            pq.write_table(table.filter(pc.equal(month, key)), path)
            written.append(path)
            self.months.add(m)
        return written


def build_store(
    sources: Sequence[str | Path] | str | Path,
    out: str | Path,
    *,
    mapping: ColumnMapping | None = None,
    batch_bytes: int = BATCH_BYTES,
    flush_rows: int = FLUSH_ROWS,
    progress: Progress | None = None,
) -> StoreSummary:
    """Read incident files into a Parquet store at `out` (replaced if it exists).

    Accepts what `crimedash load` does: files, folders and police.uk zips; CSV slices
    are read with the loader's own rules. Raises InputError for a file that cannot be
    used at all (as `load_incidents` does); the store is then not written."""
    items = [sources] if isinstance(sources, str | Path) else list(sources)
    out = Path(out)
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / INCIDENTS_DIR).mkdir(parents=True)
    (tmp / REJECTED_DIR).mkdir(parents=True)
    try:
        summary = _build(items, tmp, mapping, batch_bytes, flush_rows, progress)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    (tmp / MANIFEST).write_text(json.dumps(summary.to_dict(), indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    if progress is not None:
        progress(1.0, f"Stored {summary.rows_kept:,} incidents in {out}")
    return summary


class _RejectedWriter:
    """Every rejected row, in file order, in parts of about REJECTED_ROWS rows: police.uk
    has a few rejected rows in most of its files, and a Parquet part per file was
    thousands of tiny files at national scale (and a tenth of the build's time)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.buffer: list[pd.DataFrame] = []
        self.rows = 0
        self.seq = 0

    def add(self, rejected: pd.DataFrame) -> None:
        if len(rejected):
            self.buffer.append(rejected)
            self.rows += len(rejected)
        if self.rows >= REJECTED_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        frame = pd.concat(self.buffer, ignore_index=True)
        self.buffer, self.rows = [], 0
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, self.root / f"part-{self.seq:05d}.parquet")
        self.seq += 1


@dataclass
class _FileRead:
    """One input file read and validated: where its rows went, before its hash is
    checked against the files before it."""

    sha: str
    read: int = 0
    kept: int = 0
    batches: int = 0
    pending: list[pa.Table] = field(default_factory=list)  # rows not yet written
    spilled: list[Path] = field(default_factory=list)  # parts already written (big file)
    rejected: list[pa.Table] = field(default_factory=list)
    precisions: list[schema.TimePrecision] = field(default_factory=list)


def _read_file(
    name: str,
    opener: Callable,
    mapping,
    batch_bytes: int,
    spill: Callable[[list[pa.Table], bool], list[Path]] | None = None,
    flush_rows: int = FLUSH_ROWS,
) -> _FileRead:
    """Read one file slice by slice (hashing every byte as it passes) and validate each
    slice with the loader. With `spill`, a big file's rows are written as they pile up
    past `flush_rows` (its hash is not known yet, so they are removed again if it is a
    copy); without, they are all kept for the caller (a file of at most one slice)."""
    digest = hashlib.sha256()
    out = _FileRead("")
    with opener() as stream:
        pieces = slices if name.lower().endswith(TEXT_TABLES) else whole
        for data, offset in pieces(stream, batch_bytes, digest):
            part, precision = _load_slice(name, data, offset, mapping)
            out.batches += 1
            out.read += part.rows_read
            out.kept += part.incidents.num_rows
            out.rejected.append(part.rejected)
            if precision is not None:
                out.precisions.append(precision)
            out.pending.append(part.incidents)
            del part
            if spill is not None and sum(t.num_rows for t in out.pending) >= flush_rows:
                out.spilled.extend(spill(out.pending, not out.spilled))
                out.pending = []
    out.sha = digest.hexdigest()
    return out


def _build(items, tmp: Path, mapping, batch_bytes: int, flush_rows: int, progress):
    summary = StoreSummary()
    writer = _MonthWriter(tmp / INCIDENTS_DIR, flush_rows)
    rejects = _RejectedWriter(tmp / REJECTED_DIR)
    seen: dict[str, str] = {}
    precisions: list[schema.TimePrecision] = []

    def spill(tables: list[pa.Table], first: bool) -> list[Path]:
        if first:
            writer.flush()  # other files' rows first, so parts are per file
        return writer.write_now(tables)

    def read_small(entry: tuple[str, Callable, int]) -> _FileRead | None:
        # A file of one slice is read in a loader thread, side by side with the next;
        # a bigger one is left for the loop below to stream (and spill) in order.
        name, opener, size = entry
        if size > batch_bytes:
            return None
        return _read_file(name, opener, mapping, batch_bytes)

    try:
        for i, outcome in enumerate(ordered(read_small, inputs(items, summary.skipped))):
            name, opener, _ = outcome.item
            if progress is not None:
                progress(0.0, f"Reading file {i + 1}: {name}")
            got = outcome.get()
            if got is None:
                got = _read_file(name, opener, mapping, batch_bytes, spill, flush_rows)
            elif sum(t.num_rows for t in got.pending) >= flush_rows:
                got.spilled = spill(got.pending, True)
                got.pending = []
            precisions.extend(got.precisions)
            if got.sha in seen:  # the same bytes twice would double count: keep the first
                for path in got.spilled:
                    path.unlink()
                summary.skipped.append((name, f"identical to {seen[got.sha]}, stored once"))
                continue
            seen[got.sha] = name
            writer.add(got.pending)
            rej = as_frame(pa.concat_tables(got.rejected))
            rejects.add(rej)
            summary.files.append(
                StoredFile(name, got.sha, got.read, got.kept, len(rej), got.batches)
            )
        writer.flush()
        rejects.flush()
    finally:
        writer.close()
    if not summary.files:
        raise InputError(
            "no incident files were found in the inputs",
            hint="give police.uk CSVs, folders of them, or the police.uk zip",
        )
    if precisions:
        summary.time_precision = max(precisions, key=lambda p: p.rank).value
    summary.months = sorted(writer.months)
    return summary


def _load_slice(
    name: str, data: bytes, offset: int, mapping
) -> tuple[Part, schema.TimePrecision | None]:
    """Validate one slice with the loader's own stages, as Arrow; shift its row numbers
    (and the ids derived from them) to the whole file's."""
    part, summary = load_part(name, data, mapping=mapping)
    if offset:
        inc = part.incidents
        prefix = Path(name).name + ":"
        rows = inc[schema.SOURCE_ROW]
        ids = inc[schema.INCIDENT_ID]
        derived = pc.equal(ids, pc.binary_join_element_wise(prefix, pc.cast(rows, pa.string()), ""))
        shifted = pc.add(rows, offset)
        new_ids = pc.if_else(
            derived,
            pc.binary_join_element_wise(prefix, pc.cast(shifted, pa.string()), ""),
            ids,
        )
        inc = inc.set_column(
            inc.schema.get_field_index(schema.SOURCE_ROW), schema.SOURCE_ROW, shifted
        )
        inc = inc.set_column(
            inc.schema.get_field_index(schema.INCIDENT_ID), schema.INCIDENT_ID, new_ids
        )
        rej = part.rejected
        rej_rows = rej[schema.REJ_ROW]
        rej = rej.set_column(
            rej.schema.get_field_index(schema.REJ_ROW),
            schema.REJ_ROW,
            pc.add(rej_rows, pc.if_else(pc.greater(rej_rows, 0), offset, 0)),
        )
        part = Part(
            inc, rej, part.precision, part.unrecognised_location, part.rows_read, part.findings
        )
    return part, summary.time_precision
