"""Loading incidents: sources -> sniff -> read -> validate -> one LoadResult."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from crimedash import schema
from crimedash.errors import CrimedashError, InputError
from crimedash.load.mapping import ColumnMapping, LazySample, Resolver, norm, resolve_mapping
from crimedash.load.pipeline import beside, loading_memory_pool, ordered, sha256_beside
from crimedash.load.plausible import far_from_the_rest
from crimedash.load.readers import read_table
from crimedash.load.result import FileSummary, LoadResult
from crimedash.load.sniff import detect_format
from crimedash.load.sources import PathOrUpload, Source, as_items, expand
from crimedash.load.table import WHOLE_ROW, Table, as_frame, rejections
from crimedash.load.validate import (
    LSOA_NAME_COLUMN,
    FileCheck,
    Part,
    Segment,
    classify_parts,
    validate_files,
    validate_incidents,
)
from crimedash.schema import TimePrecision

__all__ = ["GROUP_FILES", "ProgressFn", "load_incidents", "load_part"]


ProgressFn = Callable[[float, str], None]


def load_incidents(
    paths: Sequence[PathOrUpload] | PathOrUpload,
    *,
    mapping: ColumnMapping | None = None,
    progress: ProgressFn | None = None,
) -> LoadResult:
    """Load incident files (police.uk downloads, force extracts, GIS files) into the
    canonical schema, rejecting bad rows with their reasons.

    `paths` items are files, folders, zips, or `(name, bytes)` uploads. `mapping`
    overrides the automatic column mapping (for every file). `progress(fraction,
    message)` is called as files are read. Raises InputError (or ColumnMappingError)
    for a file that cannot be used at all.
    """
    with loading_memory_pool():
        return _load_incidents(paths, mapping, progress)


def _load_incidents(
    paths: Sequence[PathOrUpload] | PathOrUpload,
    mapping: ColumnMapping | None,
    progress: ProgressFn | None,
) -> LoadResult:
    skipped: list[tuple[str, str]] = []
    sources: list[Source] = []
    for item in as_items(paths):
        sources.extend(expand(item, skipped))
    if not sources:
        raise InputError(
            "no incident files were given",
            hint="give one or more CSV, GeoJSON, GeoPackage or Parquet files, a folder or "
            "a police.uk zip",
        )
    id_prefixes = _id_prefixes([s.name for s in sources])
    seen: dict[str, str] = {}
    parts: list[Part] = []
    summaries: list[FileSummary] = []
    file_findings: list[tuple[str, list[str]]] = []

    def read(group: list[Source]) -> list[_Got]:
        return _read_group(group, mapping, id_prefixes)

    # Groups of files are read side by side (pipeline.ordered) and taken back in order,
    # so the duplicate check, the counts and the first error raised are the one-by-one
    # loop's; inside a group, files alike are validated as one table.
    groups = [sources[i : i + GROUP_FILES] for i in range(0, len(sources), GROUP_FILES)]
    i = 0
    for outcome in ordered(read, groups, ahead=0):
        accepted: list[_Got] = []
        for got in outcome.get():
            name = got.source.name
            if progress is not None:
                progress(i / len(sources), f"Reading {name}")
            i += 1
            if got.digest in seen:
                # the same bytes twice (a file given twice) would double count; what
                # reading them again found, error or not, is the first copy's
                skipped.append((name, f"identical to {seen[got.digest]}, loaded once"))
                continue
            if got.error is not None:
                raise got.error
            seen[got.digest] = name
            accepted.append(got)
        taken = Counter(id(got.batch) for got in accepted)
        for got in accepted:
            batch = got.batch
            if batch is not None and taken[id(batch)] == len(batch.checks):
                if got.at == 0:
                    parts.append(batch.part)
                check = batch.checks[got.at]
                summaries.append(_batch_summary(got, check))
                file_findings.append((got.source.name, check.findings))
                continue
            if batch is not None:  # a copy among its group's files: checked alone
                _validate_alone(got, id_prefixes[got.source.name])
                if got.error is not None:
                    raise got.error
            assert got.part is not None and got.summary is not None
            parts.append(got.part)
            summaries.append(got.summary)
            file_findings.append((got.source.name, got.part.findings))
    # The columns but the location types become a pandas frame in a thread while every
    # file's location texts are classified here (each distinct text once, for every
    # file): both leave Python's lock free, and one after the other they were most of
    # the time after the last file was read.
    unclassified = parts
    others = beside(lambda: _frame_of(unclassified, drop=schema.LOCATION_TYPE))
    parts = classify_parts(parts)
    locations = pa.chunked_array(
        [c for p in parts for c in p.incidents[schema.LOCATION_TYPE].chunks], pa.string()
    )
    incidents = others()
    incidents[schema.LOCATION_TYPE] = locations.to_pandas()
    if progress is not None:
        progress(1.0, "Done")
    incidents = _canonical_frame(incidents)
    rejected = as_frame(pa.concat_tables([p.rejected for p in parts]))
    precisions = [p.precision for p in parts if p.precision is not None]
    precision = max(precisions, key=lambda p: p.rank) if precisions else TimePrecision.MONTH
    findings = [f"{name}: {text}" for name, texts in file_findings for text in texts]
    far = _far_from_the_rest(incidents)
    findings += [far] if far else []
    unrecognised: dict[str, int] = {}
    for p in parts:
        for value, count in p.unrecognised_location.items():
            unrecognised[value] = unrecognised.get(value, 0) + count
    return LoadResult(
        incidents=incidents,
        rejected=rejected[list(schema.REJECTED_COLUMNS)],
        time_precision=precision,
        files=tuple(summaries),
        skipped_files=tuple(skipped),
        unrecognised_location_types=unrecognised,
        findings=tuple(findings),
    )


def _frame_of(parts: Sequence[Part], *, drop: str) -> pd.DataFrame:
    """The parts' incidents as one frame, without the column `drop`. A file with LSOA
    names beside one without: the other's rows get none (null)."""
    tables = [p.incidents.drop_columns([drop]) for p in parts]
    return pa.concat_tables(tables, promote_options="default").to_pandas()


# Files one loader thread reads in turn; alike ones among them (one mapping, the same
# columns of the same types) are validated as one table (validate.validate_files).
GROUP_FILES = 8


@dataclass
class _Batch:
    """Files of a group validated as one table: the Part they make together (their rows
    one file after another) and what each file's summary needs. It names no file (a
    file names it): a cycle would keep every file's parsed columns alive until Python's
    cycle collector ran, 0.2 GB more at the peak of a national load."""

    part: Part
    checks: list[FileCheck]  # one per file, in order (a file's `at`)


@dataclass
class _Got:
    """One file of a group: its hash, then its error, or its table and what validating
    it gave (alone: `part` and `summary`; with others: `batch`)."""

    source: Source
    digest: str
    error: BaseException | None = None
    table: Table | None = None
    used: ColumnMapping | None = None
    part: Part | None = None
    summary: FileSummary | None = None
    batch: _Batch | None = None
    at: int = 0  # its place among the batch's files


def _read_group(
    sources: list[Source], mapping: ColumnMapping | None, id_prefixes: dict[str, str]
) -> list[_Got]:
    """Read and hash each file of a group, then validate them: runs of alike CSV tables
    as one table each, the rest one by one (run in a loader thread). Every file's hash
    is waited for whatever happens, so a duplicate is known even when it cannot be read;
    an error is kept with its file, for the caller to raise in order."""
    got: list[_Got] = []
    for source in sources:
        data = source.read()
        digest = sha256_beside(data)
        item = _Got(source, "")
        try:
            if source.unsafe is not None:
                item.part = _unsafe_part(source, data)
                item.summary = FileSummary(
                    source.name, "", item.part.rows_read, 0, len(item.part.rejected), "unsafe"
                )
            else:
                fmt = detect_format(source, data)
                resolve = _incident_resolver(source.name, mapping)
                item.table, item.used = read_table(fmt, source, data, resolve)
        except Exception as exc:  # raised by the caller, in order, unless a duplicate's
            item.error = exc
        del data
        item.digest = digest()
        if item.summary is not None:
            item.summary = replace(item.summary, sha256=item.digest)
        got.append(item)
    for run in _alike_runs(got):
        if len(run) > 1:
            try:
                _validate_together(run, id_prefixes)
                continue
            except CrimedashError:
                # a file of the batch is bad: the files are checked one by one instead,
                # so each raises its own error, in order, naming its own rows. Anything
                # else is a bug and is raised as it is, not hidden behind a slower load
                for item in run:
                    item.batch = None
        for item in run:
            _validate_alone(item, id_prefixes[item.source.name])
    return got


def _alike(item: _Got) -> tuple[object, ...] | None:
    """What files must share to be validated as one table; None for a file validated
    alone (not CSV, with points, with rows its reader rejected, or not read)."""
    table = item.table
    if table is None or table.fmt != "csv" or table.geometry is not None or table.rejected:
        return None
    types = tuple((c, str(a.type)) for c, a in table.arrays.items())
    return (item.used, tuple(table.columns), types, table.plain_numbers)


def _alike_runs(got: list[_Got]) -> list[list[_Got]]:
    """The read files of a group in runs of consecutive alike ones (a run of one file
    for any other)."""
    runs: list[list[_Got]] = []
    last: object = None
    for item in got:
        if item.table is None:
            continue
        key = _alike(item)
        if key is not None and runs and key == last:
            runs[-1].append(item)
        else:
            runs.append([item])
        last = key
    return runs


def _validate_together(run: list[_Got], id_prefixes: dict[str, str]) -> None:
    """Validate a run of alike files as one table: their columns' chunks put end to end
    (no copy), each file a `Segment`; every file of the run gets the batch."""
    tables = [item.table for item in run]
    assert all(t is not None for t in tables) and run[0].used is not None
    first = tables[0]
    arrays = {
        c: pa.chunked_array(
            [chunk for t in tables for chunk in _chunks_of(t.arrays[c])], first.arrays[c].type
        )
        for c in first.arrays
    }
    rows = np.concatenate([t.rows for t in tables])
    table = Table(
        first.columns,
        arrays,
        rows,
        sum(t.rows_read for t in tables),
        plain_numbers=first.plain_numbers,
    )
    segments = [
        Segment(i.source.name, id_prefixes[i.source.name], t.n, t.rows_read, list(t.findings))
        for i, t in zip(run, tables, strict=True)
    ]
    part, checks = validate_files(table, run[0].used, segments)
    batch = _Batch(part, checks)
    for at, item in enumerate(run):
        item.batch, item.at = batch, at


def _chunks_of(column: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return column.chunks if isinstance(column, pa.ChunkedArray) else [column]


def _validate_alone(item: _Got, id_prefix: str) -> None:
    """Validate one read file on its own, keeping its error with it."""
    table, used = item.table, item.used
    assert table is not None and used is not None
    try:
        part = validate_incidents(table, used, item.source.name, id_prefix, classify=False)
    except Exception as exc:
        item.error = exc
        return
    item.part = part
    item.summary = _file_summary(item.source.name, item.digest, part, table, used)


def _batch_summary(item: _Got, check: FileCheck) -> FileSummary:
    """A file's summary when it was validated with others: what `_file_summary` says."""
    table = item.table
    assert table is not None
    return FileSummary(
        name=item.source.name,
        sha256=item.digest,
        rows_read=table.rows_read,
        rows_kept=check.rows_kept,
        rows_rejected=check.rows_rejected,
        format=table.fmt,
        encoding=table.encoding,
        time_precision=check.precision,
        mapping=item.used,
    )


def load_part(
    name: str, data: bytes, *, mapping: ColumnMapping | None = None
) -> tuple[Part, FileSummary]:
    """One file's bytes through the same stages as `load_incidents` (sniff, read,
    validate), kept as Arrow: the store writes Arrow, and the pandas round trip
    `load_incidents` makes for its callers was 15% of building a store.

    Row-level rules, rejection reasons and derived ids are `load_incidents`' own; the
    outlier finding over every file at once is not made here (a store reads one file at
    a time). The summary's sha256 is left empty: the store hashes while reading."""
    skipped: list[tuple[str, str]] = []
    sources = expand((name, data), skipped)
    if len(sources) != 1:
        raise InputError(
            f"{name}: expected one table, found {len(sources)}",
            hint="give the store police.uk CSVs, folders or zips of them",
        )
    source = sources[0]
    if source.unsafe is not None:
        part = _unsafe_part(source, data)
        return part, FileSummary(source.name, "", part.rows_read, 0, len(part.rejected), "unsafe")
    fmt = detect_format(source, data)
    table, used = read_table(fmt, source, data, _incident_resolver(source.name, mapping))
    part = validate_incidents(table, used, source.name, Path(source.name).name)
    if schema.LSOA_NAME in part.incidents.column_names:  # a store keeps no LSOA names
        part.incidents = part.incidents.drop_columns([schema.LSOA_NAME])
    return part, _file_summary(source.name, "", part, table, used)


def _file_summary(
    name: str, sha256: str, part: Part, table: Table, used: ColumnMapping
) -> FileSummary:
    """What one file gave: the same record whether the file was loaded whole or as a
    store's part (where the store hashes the bytes itself, so ``sha256`` is empty)."""
    return FileSummary(
        name=name,
        sha256=sha256,
        rows_read=part.rows_read,
        rows_kept=part.incidents.num_rows,
        rows_rejected=len(part.rejected),
        format=table.fmt,
        encoding=table.encoding,
        time_precision=part.precision,
        mapping=used,
    )


def _far_from_the_rest(incidents: pd.DataFrame) -> str | None:
    """The outlier finding over every file at once (one swapped row among 24 months)."""
    n = len(incidents)
    if n < 20:
        return None
    lon = incidents[schema.LONGITUDE].to_numpy()
    lat = incidents[schema.LATITUDE].to_numpy()

    def where(i: int) -> str:
        row = incidents.iloc[i]
        return f"{row[schema.SOURCE_FILE]} row {row[schema.SOURCE_ROW]}"

    return far_from_the_rest(lon, lat, where)


def _unsafe_part(source: Source, data: bytes) -> Part:
    """Every row of a zip member with an unsafe name, rejected with that reason.

    The member is read like any other file only to count its rows (with no column
    mapped, so nothing in it is trusted); if even that fails, its non-blank lines after
    the first are counted.
    """
    reason = f"{schema.REASON_UNSAFE_MEMBER} ({source.unsafe})"

    def count_only(columns: list[str], sample: pd.DataFrame, has_geometry: bool):
        return ColumnMapping(), columns[:1]

    try:
        table, _ = read_table(detect_format(source, data), source, data, count_only)
        rows = table.rows_read
    except CrimedashError:
        rows = max(sum(1 for line in data.splitlines() if line.strip()) - 1, 0)
    numbers = np.arange(1, rows + 1, dtype="int64")
    rejected = rejections(source.name, numbers, WHOLE_ROW, [""] * rows, reason)
    return Part(_INCIDENT_SCHEMA.empty_table(), rejected, None, {}, rows)


# The Arrow types validate_incidents gives the canonical columns (for a part with none).
_INCIDENT_SCHEMA = pa.schema(
    [
        (schema.INCIDENT_ID, pa.string()),
        (schema.REFERENCE, pa.string()),
        (schema.OCCURRED_AT, pa.timestamp("ns")),
        (schema.CATEGORY, pa.string()),
        (schema.LATITUDE, pa.float64()),
        (schema.LONGITUDE, pa.float64()),
        (schema.LOCATION_TYPE, pa.string()),
        (schema.SOURCE_FILE, pa.string()),
        (schema.SOURCE_ROW, pa.int64()),
    ]
)


def _id_prefixes(names: Sequence[str]) -> dict[str, str]:
    """File base names for derived ids (portable across machines), full names where two
    inputs share a base name."""
    base = [Path(n).name for n in names]
    return {n: b if base.count(b) == 1 else n for n, b in zip(names, base, strict=True)}


# Mappings settled by a header's names alone, by (columns, explicit mapping, has
# geometry): police.uk writes one header in every file, and working the same mapping
# out again for each of a national folder's hundreds of files was a twentieth of
# loading it. A mapping that looked at the rows, or raised, is never remembered (the
# rows differ per file; an error must name its own file).
_RESOLVED: dict[tuple[object, ...], tuple[ColumnMapping, list[str]]] = {}
_RESOLVED_MAX = 256


def _incident_resolver(name: str, explicit: ColumnMapping | None) -> Resolver:
    def resolve(
        columns: list[str], sample: pd.DataFrame, has_geometry: bool
    ) -> tuple[ColumnMapping, list[str]]:
        key = (tuple(columns), explicit, has_geometry)
        cached = _RESOLVED.get(key)
        if cached is not None and isinstance(sample, LazySample):
            return cached[0], list(cached[1])
        mapping = resolve_mapping(columns, sample, explicit, name, has_geometry=has_geometry)
        lsoa = [c for c in columns if norm(c) == LSOA_NAME_COLUMN]
        include = list(dict.fromkeys([*(col for _, col in mapping.items()), *lsoa[:1]]))
        if isinstance(sample, LazySample) and not sample.built:
            if len(_RESOLVED) >= _RESOLVED_MAX:
                _RESOLVED.clear()
            _RESOLVED[key] = (mapping, list(include))
        return mapping, include

    return resolve


def _canonical_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The canonical columns, plus the LSOA name (a Categorical) when a file had one."""
    lsoa = df.get(schema.LSOA_NAME)
    df = df[list(schema.INCIDENT_COLUMNS)]
    df = df.astype(
        {
            schema.INCIDENT_ID: "str",
            schema.REFERENCE: pd.StringDtype("pyarrow"),
            schema.OCCURRED_AT: "datetime64[ns]",
            schema.CATEGORY: "str",
            schema.LATITUDE: "float64",
            schema.LONGITUDE: "float64",
            schema.LOCATION_TYPE: "str",
            schema.SOURCE_FILE: "str",
            schema.SOURCE_ROW: "int64",
        }
    )
    if lsoa is not None:
        df = df.assign(**{schema.LSOA_NAME: lsoa.astype("category")})
    return df
