"""The canonical schemas: every column name crimedash uses, in one place.

Loaders produce these columns; the index, layer, risk and export read them. No other
module spells a column name as a string literal.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AREA_CODE",
    "AREA_NAME",
    "BRITISH_NATIONAL_GRID",
    "CATEGORY",
    "GEOMETRY",
    "GROUP",
    "H3_ID",
    "HOUSEHOLDS",
    "INCIDENT_COLUMNS",
    "INCIDENT_ID",
    "LATITUDE",
    "LOCATION_TYPE",
    "LOCATION_TYPES",
    "LONGITUDE",
    "LSOA_NAME",
    "OCCURRED_AT",
    "POLICE_UK_COLUMNS",
    "REASON_BAD_COORDINATE",
    "REASON_BAD_COUNT",
    "REASON_BAD_DATE",
    "REASON_LINE_TOO_LONG",
    "REASON_MALFORMED",
    "REASON_MISSING_DATE",
    "REASON_NOT_A_POINT",
    "REASON_NO_LOCATION",
    "REASON_OUT_OF_RANGE",
    "REFERENCE",
    "REJECTED_COLUMNS",
    "REJ_COLUMN",
    "REJ_FILE",
    "REJ_REASON",
    "REJ_ROW",
    "REJ_VALUE",
    "RESIDENTS",
    "SHOWN",
    "SHOWN_LABEL",
    "SOURCE_FILE",
    "SOURCE_ROW",
    "UNIT",
    "WGS84",
    "WINDOW",
    "WINDOW_END",
    "WINDOW_START",
    "LocationType",
    "TimePrecision",
]

# --- incidents (the loader's output) -------------------------------------------------
INCIDENT_ID = "incident_id"
REFERENCE = "reference"
OCCURRED_AT = "occurred_at"  # start of the period the source gives (a month for police.uk)
CATEGORY = "category"
LATITUDE = "latitude"
LONGITUDE = "longitude"
LOCATION_TYPE = "location_type"
SOURCE_FILE = "source_file"  # provenance, never published
SOURCE_ROW = "source_row"  # 1-based data row in its file (header excluded), never published

INCIDENT_COLUMNS = (
    INCIDENT_ID,
    REFERENCE,
    OCCURRED_AT,
    CATEGORY,
    LATITUDE,
    LONGITUDE,
    LOCATION_TYPE,
    SOURCE_FILE,
    SOURCE_ROW,
)

# Optional context a police.uk file carries: the LSOA each crime was snapped into. Only
# for the analyst's own map (a tooltip place name); never published, never fingerprinted.
# Kept as a pandas Categorical (dense codes) when the source has it, absent otherwise.
LSOA_NAME = "lsoa_name"

# --- rejected rows ---------------------------------------------------------------------
REJ_FILE = "file"
REJ_ROW = "row"
REJ_COLUMN = "column"
REJ_VALUE = "value"
REJ_REASON = "reason"
REJECTED_COLUMNS = (REJ_FILE, REJ_ROW, REJ_COLUMN, REJ_VALUE, REJ_REASON)

# Reasons a row is not loaded. "no location" is police.uk's own choice, not an error.
REASON_NO_LOCATION = "no location"
REASON_BAD_COORDINATE = "unparsable coordinate"
REASON_OUT_OF_RANGE = "coordinate out of range"
REASON_BAD_DATE = "unparsable or impossible date"
REASON_MISSING_DATE = "missing date"
REASON_LINE_TOO_LONG = "line too long"
REASON_MALFORMED = "malformed row"
REASON_NOT_A_POINT = "geometry is not a point"
REASON_BAD_COUNT = "unparsable, negative or fractional count"
REASON_IMPLAUSIBLE_COUNT = "implausible count (more than 20,000 households in one place)"
REASON_INVALID_GEOMETRY = "invalid geometry that make_valid cannot repair"
REASON_UNSAFE_MEMBER = "zip member with an unsafe name"
REASON_UNDECODABLE = "text neither UTF-8 nor Windows-1252"

# --- households and areas (context layers) --------------------------------------------
HOUSEHOLDS = "households"
RESIDENTS = "residents"
AREA_CODE = "code"
AREA_NAME = "name"  # an area layer's place names, when its file has them (map labels)
GEOMETRY = "geometry"

# --- police.uk street-level CSV, exactly as published ---------------------------------
POLICE_UK_COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)

# --- the public layer (what would be published) ---------------------------------------
UNIT = "unit"  # H3 id (hex string), grid square id, or area code
WINDOW = "window"  # label of the release window, e.g. "2024-03", "2024-Q1", "2024-03 days 08-14"
GROUP = "group"  # category group shown on the map
SHOWN = "count"  # the count as shown (after disclosure control)
SHOWN_LABEL = "count_label"  # the count as text ("5 to 9" when banded)
WINDOW_START = "window_start"  # first day (or minute) of the window, ISO 8601
WINDOW_END = "window_end"  # last day (or minute) of the window, inclusive, ISO 8601
H3_ID = "h3_id"  # an H3 design's cell id again, under the name kepler.gl looks for

WGS84 = "EPSG:4326"
BRITISH_NATIONAL_GRID = "EPSG:27700"


class LocationType(StrEnum):
    """Kinds of place (¶26-28): how private the place an incident happened is."""

    RESIDENTIAL = "residential"
    NON_RESIDENTIAL = "non_residential"
    PUBLIC_SPACE = "public_space"
    UNKNOWN = "unknown"


class TimePrecision(StrEnum):
    """How finely a time is known or shown, finest first."""

    TIMESTAMP = "timestamp"
    DAY = "day"
    MONTH = "month"

    @property
    def rank(self) -> int:
        return list(TimePrecision).index(self)


LOCATION_TYPES = tuple(LocationType)
