"""Sources: files, folders, zips and uploads, behind one interface.

The first stage of loading. Whatever the analyst gives (a path, a folder of police.uk
months, a zip inside a zip, a Streamlit upload) becomes a list of `Source`s, so every
later stage works on bytes and never cares where they came from. Files that are not
incidents are listed as skipped, with the reason, rather than ignored unseen.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crimedash.errors import InputError

__all__ = [
    "MAX_MEMBER_BYTES",
    "PathOrUpload",
    "Source",
    "Upload",
    "as_items",
    "expand",
    "is_upload",
    "is_xlsx",
    "single_source",
    "suffix_of",
]


# A zip member larger than this is refused rather than inflated into memory.
MAX_MEMBER_BYTES = 4 << 30

Upload = tuple[str, bytes]
PathOrUpload = str | os.PathLike[str] | Upload


@dataclass(frozen=True)
class Source:
    """One readable input: a name for messages and a way to get its bytes.

    Files, zip members and Streamlit uploads all become Sources, so every reader below
    works on bytes and never cares where they came from. Bytes are read lazily so a
    police.uk zip holds one member in memory at a time.
    """

    name: str
    read: Callable[[], bytes] = field(repr=False)

    @property
    def suffix(self) -> str:
        return suffix_of(self.name)


def suffix_of(name: str) -> str:
    lower = name.lower()
    for double in (".geo.parquet", ".geo.json"):
        if lower.endswith(double):
            return double
    return Path(lower).suffix


TABLE_SUFFIXES = {".csv", ".tsv", ".tab", ".txt", ".psv"}
GEO_SUFFIXES = {".geojson", ".json", ".geo.json", ".gpkg"}
PARQUET_SUFFIXES = {".parquet", ".geoparquet", ".geo.parquet", ".pq"}
INCIDENT_SUFFIXES = TABLE_SUFFIXES | GEO_SUFFIXES | PARQUET_SUFFIXES
# Other files police.uk puts in the same download; they repeat the street-level crimes.
_POLICE_UK_COMPANIONS = re.compile(r"-(outcomes|stop-and-search)\.csv$", re.IGNORECASE)


def is_upload(item: object) -> bool:
    return (
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], bytes | bytearray | memoryview)
    )


def _hidden(name: str) -> bool:
    parts = Path(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def expand(item: PathOrUpload, skipped: list[tuple[str, str]]) -> list[Source]:
    """Sources for one input item (a file, a folder, a zip, or an upload)."""
    if is_upload(item):
        name, data = item[0], bytes(item[1])  # type: ignore[index]
        if suffix_of(name) == ".zip" or (data[:4] == b"PK\x03\x04" and not is_xlsx(data)):
            return _zip_sources(name, lambda: io.BytesIO(data), skipped)
        return [Source(name, lambda: data)]
    path = Path(item)  # type: ignore[arg-type]
    if path.is_dir():
        found = sorted(
            p for p in path.rglob("*") if p.is_file() and not _hidden(str(p.relative_to(path)))
        )
        sources = _pick_members([(str(p), p) for p in found], skipped, lambda p: expand(p, skipped))
        if not sources:
            raise InputError(
                "the folder holds no CSV, GeoJSON, GeoPackage, Parquet or zip file",
                file=str(path),
                hint="check that this is the folder you meant",
            )
        return sources
    if not path.exists():
        raise InputError(
            "no such file or folder", file=str(path), hint="check the path and try again"
        )
    if path.suffix.lower() == ".zip":
        return _zip_sources(str(path), lambda: path, skipped)
    return [Source(str(path), path.read_bytes)]


def _pick_members(
    named: list[tuple[str, Any]],
    skipped: list[tuple[str, str]],
    make: Callable[[Any], list[Source]],
) -> list[Source]:
    """Choose the incident files in a folder or zip; list every other file as skipped."""
    names = [n for n, _ in named]
    police_uk = any(n.lower().endswith("-street.csv") for n in names)
    out: list[Source] = []
    for name, obj in named:
        suffix = suffix_of(name)
        if police_uk and _POLICE_UK_COMPANIONS.search(name):
            skipped.append((name, "police.uk outcomes/stop-and-search file (not incidents)"))
        elif suffix in INCIDENT_SUFFIXES or suffix == ".zip":
            out.extend(make(obj))
        else:
            skipped.append((name, f"not a supported incident format ({suffix or 'no suffix'})"))
    return out


def _zip_sources(
    name: str, opener: Callable[[], Any], skipped: list[tuple[str, str]]
) -> list[Source]:
    try:
        with zipfile.ZipFile(opener()) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir() and not _hidden(i.filename)]
    except zipfile.BadZipFile as exc:
        raise InputError(
            f"is not a readable zip file ({exc})",
            file=name,
            hint="download it again, or unzip it and give the folder",
        ) from exc
    if any(suffix_of(i.filename) == ".shp" for i in infos):
        return [Source(name, lambda: _read_all(opener()))]
    infos.sort(key=lambda i: i.filename)

    def member(info: zipfile.ZipInfo) -> list[Source]:
        if info.file_size > MAX_MEMBER_BYTES:
            raise InputError(
                f"zip member {info.filename} unpacks to {info.file_size:,} bytes, more "
                "than crimedash reads from one file",
                file=name,
                hint="split the data into smaller files",
            )

        def read() -> bytes:
            with zipfile.ZipFile(opener()) as zf:
                return zf.read(info)

        full = f"{name}/{info.filename}"
        if suffix_of(info.filename) == ".zip":
            return _zip_sources(full, lambda: io.BytesIO(read()), skipped)
        return [Source(full, read)]

    sources = _pick_members([(f"{name}/{i.filename}", i) for i in infos], skipped, member)
    if not sources:
        raise InputError(
            "the zip holds no CSV, GeoJSON, GeoPackage or Parquet file",
            file=name,
            hint="check that this is the police.uk download (or your export) you meant",
        )
    return sources


def _read_all(obj: Any) -> bytes:
    if isinstance(obj, Path):
        return obj.read_bytes()
    return obj.getvalue() if isinstance(obj, io.BytesIO) else obj.read()


def single_source(path_or_upload: PathOrUpload) -> Source:
    """The one Source for a context layer (a file or an upload; zip = shapefile)."""
    if is_upload(path_or_upload):
        name, data = path_or_upload[0], bytes(path_or_upload[1])  # type: ignore[index]
        return Source(name, lambda: data)
    path = Path(path_or_upload)  # type: ignore[arg-type]
    if not path.is_file():
        raise InputError("no such file", file=str(path), hint="check the path and try again")
    return Source(str(path), path.read_bytes)


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" and b"[Content_Types].xml" in data[:4096]


def as_items(paths: Any) -> list[PathOrUpload]:
    if isinstance(paths, str | os.PathLike) or is_upload(paths):
        return [paths]
    return list(paths)
