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
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from crimedash.errors import InputError

__all__ = [
    "MAX_MEMBER_BYTES",
    "MAX_ZIP_BYTES",
    "MAX_ZIP_DEPTH",
    "MAX_ZIP_RATIO",
    "PathOrUpload",
    "Source",
    "Upload",
    "as_items",
    "expand",
    "is_upload",
    "is_xlsx",
    "single_source",
    "suffix_of",
    "unsafe_member_name",
]


# A zip member larger than this is refused rather than inflated into memory.
MAX_MEMBER_BYTES = 4 << 30
# All members of one archive together (as their headers declare, checked before any is
# inflated): a zip of many medium members is refused as a whole, not one member at a time.
MAX_ZIP_BYTES = 16 << 30
# Text compresses 5-20:1 (a police.uk month about 8:1); DEFLATE's maximum is ~1032:1, which
# only a file of one repeated byte reaches. A member larger than RATIO_FREE_BYTES that
# claims more than this ratio is a zip bomb, refused from its header before inflating.
MAX_ZIP_RATIO = 100
RATIO_FREE_BYTES = 32 << 20
# police.uk nests one zip in another at most; a deeper archive is refused, not recursed.
MAX_ZIP_DEPTH = 4
_CHUNK = 1 << 20
# Errors zipfile and zlib raise on a damaged, forged or unsupported archive.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)

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
    # Why this zip member's name is unsafe (absolute, or with '..'): its rows are counted
    # as rejected with this reason, never loaded and never silently dropped.
    unsafe: str | None = None

    @property
    def suffix(self) -> str:
        return suffix_of(self.name)


@lru_cache(maxsize=8192)
def suffix_of(name: str) -> str:
    """The file type a name says (lower case, with the dot; '.geo.json' as one).

    Remembered: each file's name is asked three times as it is picked, sniffed and
    read, and building a Path for it was a fortieth of loading a national folder."""
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
    parts = re.split(r"[/\\]", name)
    return any((p.startswith(".") and p not in {".", ".."}) or p == "__MACOSX" for p in parts)


def unsafe_member_name(name: str) -> str | None:
    """Why a zip member's name could write outside a folder it is unpacked into
    ("zip slip"), or None when it is safe. crimedash never writes members to disk, but
    such a name is a sign of a crafted archive and is reported, not trusted."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "an absolute path"
    if ".." in re.split(r"[/\\]", name):
        return "a '..' that leads outside the archive"
    if any(ord(c) < 32 for c in name):
        return "control characters"
    return None


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


def _zip_members(name: str, opener: Callable[[], Any]) -> list[zipfile.ZipInfo]:
    """The files a zip lists (folders left out), read from its central directory only,
    or an InputError naming the file when it is not a readable zip."""
    try:
        with zipfile.ZipFile(opener()) as zf:
            return [i for i in zf.infolist() if not i.is_dir()]
    except _ZIP_ERRORS as exc:
        raise InputError(
            f"is not a readable zip file ({exc})",
            file=name,
            hint="download it again, or unzip it and give the folder",
        ) from exc


def _zip_sources(
    name: str, opener: Callable[[], Any], skipped: list[tuple[str, str]], depth: int = 1
) -> list[Source]:
    if depth > MAX_ZIP_DEPTH:
        raise InputError(
            f"zip files are nested more than {MAX_ZIP_DEPTH} deep",
            file=name,
            hint="unzip the archive and give the folder of CSV files",
        )
    infos = _zip_members(name, opener)
    unsafe = {i.filename: unsafe_member_name(i.filename) for i in infos}
    infos = [i for i in infos if unsafe[i.filename] or not _hidden(i.filename)]
    _check_declared_sizes(name, infos)
    if any(suffix_of(i.filename) == ".shp" for i in infos):
        return [Source(name, lambda: _read_all(opener()))]
    infos.sort(key=lambda i: i.filename)

    def member(info: zipfile.ZipInfo) -> list[Source]:
        full = f"{name}/{info.filename}"

        def read() -> bytes:
            return _inflate(full, opener, info)

        why = unsafe[info.filename]
        if why:
            skipped.append((full, f"unsafe name in the zip ({why}); its rows are rejected"))
            if suffix_of(info.filename) == ".zip":
                return []
            return [Source(full, read, unsafe=why)]
        if suffix_of(info.filename) == ".zip":
            return _zip_sources(full, lambda: io.BytesIO(read()), skipped, depth + 1)
        return [Source(full, read)]

    sources = _pick_members([(f"{name}/{i.filename}", i) for i in infos], skipped, member)
    if not sources and not any(unsafe.values()):
        raise InputError(
            "the zip holds no CSV, GeoJSON, GeoPackage or Parquet file",
            file=name,
            hint="check that this is the police.uk download (or your export) you meant",
        )
    return sources


def _check_declared_sizes(name: str, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb from its headers, before a byte is inflated: a member too large,
    compressed beyond what text allows, or members too large together."""
    total = 0
    for info in infos:
        full = f"{name}/{info.filename}"
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > MAX_MEMBER_BYTES:
            raise InputError(
                f"zip member {info.filename} unpacks to {size:,} bytes, more than crimedash "
                f"reads from one file ({MAX_MEMBER_BYTES:,})",
                file=name,
                hint="split the data into smaller files",
            )
        if size > RATIO_FREE_BYTES and size > MAX_ZIP_RATIO * packed:
            raise InputError(
                f"zip member {info.filename} would unpack from {packed:,} to {size:,} bytes "
                f"({size // packed:,}:1); text compresses far less, so this looks like a zip "
                "bomb and is not unpacked",
                file=full,
                hint="check where the file came from; unzip it yourself if you trust it",
            )
        total += size
    if total > MAX_ZIP_BYTES:
        raise InputError(
            f"the zip unpacks to {total:,} bytes, more than crimedash reads from one "
            f"archive ({MAX_ZIP_BYTES:,})",
            file=name,
            hint="split the data into smaller archives",
        )


def _inflate(full: str, opener: Callable[[], Any], info: zipfile.ZipInfo) -> bytes:
    """One member's bytes, inflated in a stream that stops at the size its header
    declared (which `_check_declared_sizes` has accepted), so a forged header cannot
    make memory grow past it. Every archive error becomes an InputError naming it."""
    if info.flag_bits & 0x1:
        raise InputError(
            "this zip member is encrypted (password-protected); crimedash cannot read it",
            file=full,
            hint="unzip it with its password and give the unpacked file",
        )
    out = bytearray()
    try:
        with zipfile.ZipFile(opener()) as zf, zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                out += chunk
                if len(out) > info.file_size:
                    raise InputError(
                        f"the zip member unpacks to more than the {info.file_size:,} bytes "
                        "its header declares (a forged or damaged archive)",
                        file=full,
                        hint="download the archive again",
                    )
    except _ZIP_ERRORS as exc:
        raise InputError(
            f"this zip member cannot be unpacked ({exc})",
            file=full,
            hint="the archive is damaged or forged; download it again, or unzip it and "
            "give the folder",
        ) from exc
    return bytes(out)


def _read_all(obj: Any) -> bytes:
    if isinstance(obj, Path):
        return obj.read_bytes()
    return obj.getvalue() if isinstance(obj, io.BytesIO) else obj.read()


def single_source(path_or_upload: PathOrUpload) -> Source:
    """The one Source for a context layer (a file or an upload; zip = shapefile).

    A zip is handed whole to GDAL, so its headers are checked here first (size, ratio,
    encrypted members), as for incident zips.
    """
    if is_upload(path_or_upload):
        name, data = path_or_upload[0], bytes(path_or_upload[1])  # type: ignore[index]
        return Source(name, lambda: _checked_zip(name, data))
    path = Path(path_or_upload)  # type: ignore[arg-type]
    if not path.is_file():
        raise InputError("no such file", file=str(path), hint="check the path and try again")
    return Source(str(path), lambda: _checked_zip(str(path), path.read_bytes()))


def _checked_zip(name: str, data: bytes) -> bytes:
    """`data` unchanged, after refusing a zip whose headers say it is a bomb, damaged or
    encrypted (a file that is not a zip passes untouched)."""
    if data[:4] != b"PK\x03\x04" or is_xlsx(data):
        return data
    infos = _zip_members(name, lambda: io.BytesIO(data))
    _check_declared_sizes(name, infos)
    for info in infos:
        if info.flag_bits & 0x1:
            raise InputError(
                f"zip member {info.filename} is encrypted (password-protected); crimedash "
                "cannot read it",
                file=name,
                hint="unzip it with its password and give the unpacked files",
            )
    return data


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" and b"[Content_Types].xml" in data[:4096]


def as_items(paths: Any) -> list[PathOrUpload]:
    if isinstance(paths, str | os.PathLike) or is_upload(paths):
        return [paths]
    return list(paths)
