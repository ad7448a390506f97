"""Sniffing and refusals: what a file is, decided from its bytes.

A file named .csv may be an Excel workbook, a web page saved by a failed download or
binary junk; each is refused here with one error that says what it is and what to do,
before any reader spends time on it. Everything that passes is named a format for the
reader registry ('csv', 'geo' or 'parquet').
"""

from __future__ import annotations

import re

import numpy as np

from crimedash.errors import InputError
from crimedash.load.sources import TABLE_SUFFIXES, Source, is_xlsx

__all__ = ["UTF8_BOM", "detect_format"]


UTF8_BOM = b"\xef\xbb\xbf"


def _control_share(head: bytes) -> float:
    """Share of bytes that are control characters other than tab and line ends: text
    has next to none, binary data plenty."""
    b = np.frombuffer(head, dtype=np.uint8)
    if not len(b):
        return 0.0
    control = ((b < 32) & (b != 9) & (b != 10) & (b != 13)) | (b == 127)
    return float(control.mean())


def detect_format(source: Source, data: bytes) -> str:
    """'csv', 'geo' (read by GDAL), 'parquet', or raise InputError for what cannot be."""
    name = source.name
    if re.search(rb"\S", data) is None:
        raise InputError(
            "the file is empty", file=name, hint="check the download or export finished"
        )
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:16] == b"SQLite format 3\x00":
        return "geo"
    if data[:4] == b"PK\x03\x04":
        if is_xlsx(data):
            raise InputError(
                "this is an Excel workbook, not a CSV",
                file=name,
                hint="in Excel use File > Save As > CSV UTF-8, then load the CSV",
            )
        return "geo"  # a zipped shapefile (other zips were expanded already)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(
            "this is an old Excel (.xls) workbook, not a CSV",
            file=name,
            hint="in Excel use File > Save As > CSV UTF-8, then load the CSV",
        )
    head = data[:65536].lstrip(UTF8_BOM).lstrip()
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "csv"  # UTF-16 text (Excel's "Unicode text"); transcoded in read_delimited
    if b"\x00" in head or _control_share(head) > 0.05:
        raise InputError(
            "this is a binary file, not a text table",
            file=name,
            hint="give a CSV, GeoJSON, GeoPackage or Parquet file",
        )
    if head[:1] in (b"{", b"["):
        if source.suffix in TABLE_SUFFIXES or b'"type"' not in head[:4096]:
            raise InputError(
                "this is JSON but not GeoJSON (no FeatureCollection)",
                file=name,
                hint="export the data as GeoJSON or CSV",
            )
        return "geo"
    if head[:1] == b"<":
        raise InputError(
            "this looks like a web page or XML document, not a table",
            file=name,
            hint="the download may have failed; download the CSV again",
        )
    if source.suffix in {".gpkg", ".parquet", ".geoparquet", ".geo.parquet", ".pq"}:
        raise InputError(
            f"the name says {source.suffix} but the contents are not",
            file=name,
            hint="check that the file was not renamed or damaged",
        )
    return "csv"
