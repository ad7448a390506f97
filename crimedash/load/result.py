"""The result of loading: canonical incidents, every rejected row, and a summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from crimedash import categories, schema, textsafe
from crimedash.load.mapping import ColumnMapping
from crimedash.schema import TimePrecision

__all__ = ["FileSummary", "LoadResult"]


@dataclass(frozen=True)
class FileSummary:
    """What happened to one input file (zip members count as files)."""

    name: str
    sha256: str
    rows_read: int
    rows_kept: int
    rows_rejected: int
    format: str = "csv"
    encoding: str | None = None
    time_precision: TimePrecision | None = None
    mapping: ColumnMapping | None = None


@dataclass(frozen=True, eq=False)
class LoadResult:
    """Incidents in the canonical schema, every rejected row, and where they came from.

    `incidents` has `schema.INCIDENT_COLUMNS`, then `schema.LSOA_NAME` (a Categorical,
    for the analyst's tooltip only) when a file had police.uk's LSOA name; `reference` uses pandas' NA-aware
    string dtype so a missing reference shows as <NA>. `time_precision` is the coarsest
    among the inputs: a map must not claim a finer time than its data has.
    """

    incidents: pd.DataFrame
    rejected: pd.DataFrame
    time_precision: TimePrecision
    files: tuple[FileSummary, ...]
    skipped_files: tuple[tuple[str, str], ...] = ()
    unrecognised_location_types: Mapping[str, int] = field(default_factory=dict)
    # What the loader noticed that a person must hear about, each naming its file: rows
    # far from the rest, dates after today, swapped axes, mixed encodings.
    findings: tuple[str, ...] = ()

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    def summary(self, top: int = 20) -> dict[str, Any]:
        """Plain-data summary for the CLI, the app and the design log."""
        inc = self.incidents
        cats = inc[schema.CATEGORY].value_counts()
        unrecognised_cats = cats[~cats.index.isin(categories.BY_CODE)]
        loc = inc[schema.LOCATION_TYPE].value_counts()
        dates = inc[schema.OCCURRED_AT]
        extent = None
        if len(inc):
            extent = {
                "lat_min": float(inc[schema.LATITUDE].min()),
                "lat_max": float(inc[schema.LATITUDE].max()),
                "lon_min": float(inc[schema.LONGITUDE].min()),
                "lon_max": float(inc[schema.LONGITUDE].max()),
            }
        fmt = DATE_FORMATS[self.time_precision]
        unrec_loc = sorted(self.unrecognised_location_types.items(), key=lambda kv: -kv[1])
        return {
            "files": len(self.files),
            "rows_read": self.rows_read,
            "rows_kept": len(inc),
            "rows_rejected": len(self.rejected),
            "rejected_by_reason": {
                str(k): int(v) for k, v in self.rejected[schema.REJ_REASON].value_counts().items()
            },
            "date_min": dates.min().strftime(fmt) if len(inc) else None,
            "date_max": dates.max().strftime(fmt) if len(inc) else None,
            "time_precision": self.time_precision.value,
            "categories": {str(k): int(v) for k, v in cats.items()},
            "unrecognised_categories": {
                str(k): int(v) for k, v in unrecognised_cats.head(top).items()
            },
            "unrecognised_categories_total": int(unrecognised_cats.sum()),
            "location_types": {str(k): int(v) for k, v in loc.items()},
            "unrecognised_location_types": dict(unrec_loc[:top]),
            "unrecognised_location_types_total": sum(self.unrecognised_location_types.values()),
            "extent": extent,
            "skipped_files": [list(s) for s in self.skipped_files],
            "findings": list(self.findings),
        }

    def rejected_csv(self) -> bytes:
        """The rejected rows as a UTF-8 CSV, safe to open in a spreadsheet: the one rule
        every CSV of the project follows (`textsafe.csv_bytes`), so a value such as
        `-2+3+cmd|' /C calc'!A0` shows as text instead of running."""
        return textsafe.csv_bytes(self.rejected)


DATE_FORMATS = {
    TimePrecision.MONTH: "%Y-%m",
    TimePrecision.DAY: "%Y-%m-%d",
    TimePrecision.TIMESTAMP: "%Y-%m-%d %H:%M:%S",
}
