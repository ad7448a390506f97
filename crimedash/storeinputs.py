"""The store's inputs: which files of a folder or zip are incidents, and each file as
slices of whole lines (`crimedash.store` reads them; `load.sources` is the in-memory
loader's counterpart, which holds a whole file at once).

A slice is what the store validates at a time: a CSV larger than the store's batch is cut
at line ends with the header repeated, so memory stays one slice whatever the file's
size, and every byte is hashed as it passes.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crimedash.errors import InputError

__all__ = ["READABLE", "TEXT_TABLES", "inputs", "slices", "wanted", "whole"]

READABLE = (".csv", ".tsv", ".txt", ".parquet", ".geojson", ".json", ".gpkg")
TEXT_TABLES = (".csv", ".tsv", ".txt")  # cut into line slices when big; others read whole
_POLICE_UK_COMPANIONS = ("-outcomes.csv", "-stop-and-search.csv")
# Whether a slice holds anything but blank lines: found at once in a slice of rows
# (`.strip()` copied the whole slice to say the same).
_SOMETHING = re.compile(rb"\S")


def wanted(name: str, skipped: list[tuple[str, str]]) -> bool:
    low = name.lower()
    if any(p.startswith(".") or p == "__MACOSX" for p in Path(name).parts):
        return False
    if low.endswith(_POLICE_UK_COMPANIONS):
        skipped.append((name, "police.uk outcomes/stop-and-search file (not incidents)"))
        return False
    if not low.endswith(READABLE):
        skipped.append((name, f"not a supported incident format ({Path(name).suffix})"))
        return False
    return True


def inputs(items: Sequence[str | Path], skipped: list) -> Iterator[tuple[str, Callable, int]]:
    """(name, open-as-binary-stream, size in bytes) for every incident file, in a
    stable order."""
    for item in items:
        path = Path(item)
        if not path.exists():
            raise InputError("no such file or folder", file=str(path), hint="check the path")
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if f.suffix.lower() == ".zip":
                with zipfile.ZipFile(f) as zf:
                    members = sorted(
                        (i.filename, i.file_size) for i in zf.infolist() if not i.is_dir()
                    )
                for m, size in members:
                    if wanted(m, skipped):
                        yield f"{f}/{m}", lambda f=f, m=m: _zip_member(f, m), size
            elif wanted(str(f.relative_to(path) if path.is_dir() else f.name), skipped):
                opener = lambda f=f: open(f, "rb")  # noqa: E731, SIM115 (closed by caller)
                yield str(f), opener, f.stat().st_size


@contextmanager
def _zip_member(zip_path: Path, member: str) -> Iterator[Any]:
    with zipfile.ZipFile(zip_path) as zf, zf.open(member) as stream:
        yield stream


def whole(stream, batch_bytes: int, digest) -> Iterator[tuple[bytes, int]]:
    """A binary or nested format (Parquet, GeoJSON, GeoPackage) in one piece: cutting
    it at line ends would break it."""
    data = stream.read()
    digest.update(data)
    yield data, 0


def slices(stream, batch_bytes: int, digest) -> Iterator[tuple[bytes, int]]:
    """The stream as (bytes, first data row's 0-based offset) slices of whole lines,
    each after the first prefixed with the header line; hashes the bytes as they pass.

    A quoted field holding a line break that falls on a slice boundary makes the two
    halves malformed rows: they are rejected and counted, never dropped silently."""
    header: bytes | None = None
    carry = b""
    offset = 0
    uncounted: bytes | None = None  # the first slice: its lines are counted only if
    # another slice follows (most files are one slice, and counting is a pass over it)

    def counted() -> int:
        nonlocal offset, uncounted
        if uncounted is not None:
            offset += uncounted.count(b"\n")
            uncounted = None
        return offset

    while True:
        chunk = stream.read(batch_bytes)
        digest.update(chunk)
        data = carry + chunk if carry else chunk
        if not chunk:
            if _SOMETHING.search(data):
                yield (data if header is None else header + data), counted()
            return
        cut = data.rfind(b"\n") + 1
        if cut == 0 or (header is None and data.find(b"\n") == cut - 1):
            carry = data  # no whole line yet (or only the header): read on
            continue
        body, carry = data[:cut], data[cut:]
        if header is not None and not _SOMETHING.search(body):  # blank lines only
            offset = counted() + body.count(b"\n")
            continue
        if header is None:
            header = body[: body.find(b"\n") + 1]
            yield body, 0
            offset, uncounted = -1, body  # the header is not a data row
        else:
            yield header + body, counted()
            offset += body.count(b"\n")
