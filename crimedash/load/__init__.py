"""Loading and validation: every file an analyst has, into one canonical schema.

Everything downstream (index, design, risk, export) reads `schema.INCIDENT_COLUMNS` and
nothing else, so this package is the one place that knows about police.uk downloads,
force extracts, GeoJSON, GeoPackage, Parquet, encodings and the ways real files go
wrong. Its promises:

- Nothing is dropped silently. Every input row is either kept in
  `LoadResult.incidents` or listed in `LoadResult.rejected` with its file, row, column,
  value and reason, so `rows kept + rows rejected == rows read` for every file.
- A whole-file problem (empty, header only, not a table, no location columns) raises
  one `InputError` naming the file and saying what to do; a row problem rejects that
  row and keeps the rest.
- Time is never claimed finer than the source gives it: police.uk's "2024-03" is month
  precision, recorded in `LoadResult.time_precision`.
- Values a loader does not recognise (a category, a location type) are kept, as
  written or as "unknown", and counted in `LoadResult.summary()`.
- Text is data: a value such as `=HYPERLINK(...)` is stored as the string it is and
  never evaluated; `LoadResult.rejected_csv()` neutralises it for spreadsheets.
- Hostile or damaged input gets a message, never a traceback or unbounded memory: zip
  members are checked from their headers (size, compression ratio, total, nesting,
  encryption) before inflating, and inflated no further than declared; a member whose
  name leaves the archive (`../x.csv`, `/etc/x.csv`) is skipped and its rows rejected.
  Each line is decoded as UTF-8 or else Windows-1252; a line neither decodes is a
  rejected row.
- Plausible, not just well formed (`plausible`): swapped latitude/longitude, points far
  from the rest, dates after today, grid metres labelled as degrees, invalid polygons
  and implausible household counts are repaired with a finding
  (`LoadResult.findings`, `gdf.attrs["findings"]`), rejected with a reason, or refused.

The formats share most of the work, so the package is split by pipeline stage, not by
format; a file flows down this list:

- `sources`: files, folders, zips and uploads become `Source`s (a name and its bytes);
- `sniff`: the bytes say what the file is, and what it cannot be is refused;
- `readers`: one registry from format to reader (`delimited`, `gis`, `parquet`), each
  returning a `table.Table` of raw columns;
- `mapping`: which column holds which field (guessed, or given by the user);
- `parse`: numbers and dates, strictly; `locations`: coordinates checked the same way
  for incidents and households; `plausible`: what is well formed but unlikely;
  `location_types`: how private a kind of place is;
- `validate`: a table becomes canonical incidents plus rejected rows;
- `result`: the `LoadResult` and its summary;
- `incidents` and `context`: the orchestration for incidents, and for the households
  and areas layers.

The CSV hot path is vectorised: pyarrow parses the bytes into string columns, and
pyarrow compute / numpy validate whole columns at once. Python loops run over files,
over the unique values of a column (a few hundred categories or place names), or over
the rare rows pyarrow could not split; never over all rows.
"""

from __future__ import annotations

from crimedash.load.context import (
    MAX_AREA_COUNTS,
    MAX_HOUSEHOLDS_PER_FEATURE,
    load_areas,
    load_households,
)
from crimedash.load.delimited import BLOCK_SIZE, MAX_LINE_BYTES
from crimedash.load.incidents import ProgressFn, load_incidents
from crimedash.load.location_types import PLACE_TYPES, infer_location_type
from crimedash.load.mapping import MAPPING_FIELDS, ColumnMapping, MappingGuess, guess_mapping
from crimedash.load.result import FileSummary, LoadResult
from crimedash.load.sources import (
    MAX_MEMBER_BYTES,
    MAX_ZIP_BYTES,
    MAX_ZIP_DEPTH,
    MAX_ZIP_RATIO,
    PathOrUpload,
    Source,
    Upload,
)
from crimedash.load.table import MAX_VALUE_CHARS
from crimedash.load.validate import UNKNOWN_CATEGORY

__all__ = [
    "BLOCK_SIZE",
    "MAPPING_FIELDS",
    "MAX_AREA_COUNTS",
    "MAX_HOUSEHOLDS_PER_FEATURE",
    "MAX_LINE_BYTES",
    "MAX_MEMBER_BYTES",
    "MAX_VALUE_CHARS",
    "MAX_ZIP_BYTES",
    "MAX_ZIP_DEPTH",
    "MAX_ZIP_RATIO",
    "PLACE_TYPES",
    "UNKNOWN_CATEGORY",
    "ColumnMapping",
    "FileSummary",
    "LoadResult",
    "MappingGuess",
    "PathOrUpload",
    "ProgressFn",
    "Source",
    "Upload",
    "guess_mapping",
    "infer_location_type",
    "load_areas",
    "load_households",
    "load_incidents",
]
