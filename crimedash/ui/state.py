"""Session-state keys, in one place: the pages read and write state only through these
names, and AppTest finds widgets by them (`at.radio(key=state.FREQUENCY)`)."""

from __future__ import annotations

__all__ = [
    "ACK_PINS",
    "ACK_REFERENCES",
    "ADAPTIVE_K",
    "ADVICE_CANCEL",
    "ADVICE_CANCELLED",
    "ADVICE_KEY",
    "ADVICE_RETRY",
    "ALL_RECORDED",
    "APPLIED_DESIGN",
    "AREA_LAYER",
    "ASSUMED_DENSITY",
    "ATTENDANCE_RATE",
    "BANDS",
    "CATEGORY_TABLE",
    "CERTAIN_LINE",
    "CONTROLS_SEEN",
    "COUNTS",
    "CURRENT",
    "DATASET_KEY",
    "DATASET_LABEL",
    "DESIGN_ERROR",
    "DESIGN_UPLOAD",
    "EDITOR_VERSION",
    "EPSILON",
    "EPSILON_BUDGET",
    "FREQUENCY",
    "FRONTIER_CHART",
    "GRAN_KIND",
    "GREEN_BELOW",
    "GRID_M",
    "GROUP",
    "H3_RES",
    "HIDDEN_GROUPS",
    "HIGH_RISK_LINE",
    "INJECT_UPLOAD",
    "LAST_LINK",
    "LAST_VALID",
    "LOAD_BUTTON",
    "LOAD_ERROR",
    "LOCATION_TABLE",
    "MAPPING_CANDIDATES",
    "MAPPING_FILE",
    "MAPPING_FORM",
    "MAPPING_PREFIX",
    "MAP_MODE",
    "MIN_COUNT",
    "MIN_HOUSEHOLDS",
    "MIN_UNIT_AREA",
    "NOISE_SEED",
    "NOTICE",
    "OWN_DATA",
    "PENDING_UPLOAD",
    "PINNED",
    "PIN_BUTTON",
    "PLAYING",
    "PLAY_BUTTON",
    "PLAY_STEP",
    "PLAY_TICKS",
    "PNG_BUTTON",
    "PREVIOUS",
    "PROJECTOR",
    "REDO",
    "REDO_BUTTON",
    "RED_FROM",
    "REFERENCES",
    "ROUND_BASE",
    "SAMPLE_BUTTON",
    "SEEDED",
    "SHOW_FRONTIER",
    "TAB",
    "TILES",
    "TILES_INPUT",
    "TIME_PRECISION",
    "TOTALS",
    "TREND_UNIT",
    "UNDO",
    "UNDO_BUTTON",
    "UNPIN_BUTTON",
    "UP_AREAS",
    "UP_HOUSEHOLDS",
    "UP_INCIDENTS",
    "VIEW",
    "VIEW_NONCE",
    "WHAT_IF_PREFIX",
    "WINDOW",
    "WINDOW_POS",
    "WORKSPACE",
    "ZOOM",
    "ZOOM_IN",
    "ZOOM_OUT",
    "ZOOM_RESET",
]

# --- data in ---------------------------------------------------------------------------
DATASET_KEY = "dataset_key"  # key of the loaded data set in the process-wide store
STORE_CHOICE = "store_choice"  # the Data tab's choice of a server store
STORE_BUTTON = "store_button"
DATASET_LABEL = "dataset_label"  # words for what is loaded ("the sample city", file names)
LOAD_ERROR = "load_error"  # message of the last failed upload (shown until the next load)
PENDING_UPLOAD = "pending_upload"  # uploads waiting for a column mapping
MAPPING_CANDIDATES = "mapping_candidates"  # field -> candidate columns for the form
MAPPING_FILE = "mapping_file"  # the file whose columns need mapping
WORKSPACE = "workspace"  # this session's workspace id (?ws=): its uploads, log and bundles
OWN_DATA = "own_data"  # keys of the data sets this session loaded itself
INJECT_UPLOAD = "inject_upload"  # test hook: {"incidents": [(name, bytes)], ...} to load
UP_INCIDENTS = "up_incidents"
UP_HOUSEHOLDS = "up_households"
UP_AREAS = "up_areas"
LOAD_BUTTON = "load_button"
SAMPLE_BUTTON = "sample_button"
MAPPING_FORM = "mapping_form"
MAPPING_PREFIX = "map_"  # + field name: one selectbox per unsure field

# --- the design controls -----------------------------------------------------------------
SEEDED = "seeded"  # the controls have been filled from a design at least once
APPLIED_DESIGN = "applied_design"  # the design last pushed into the controls
EDITOR_VERSION = "editor_version"  # bumped to rebuild the tables from APPLIED_DESIGN
DESIGN_ERROR = "design_error"  # why the controls do not make a valid design
NOTICE = "notice"  # a one-off message (design loaded, link ignored, ...)
GRAN_KIND = "gran_kind"
H3_RES = "h3_res"
GRID_M = "grid_m"
AREA_LAYER = "area_layer"
ADAPTIVE_K = "adaptive_k"
CATEGORY_TABLE = "category_table"  # + f"_{version}"
HIDDEN_GROUPS = "hidden_groups"
FREQUENCY = "frequency"
TIME_PRECISION = "time_precision"
COUNTS = "counts"
MIN_COUNT = "min_count"
ROUND_BASE = "round_base"
BANDS = "bands"
EPSILON = "epsilon"
NOISE_SEED = "noise_seed"
EPSILON_BUDGET = "epsilon_budget"
TOTALS = "totals"
POLICE_UK = "police_uk_baseline"
REFERENCES = "references"
ACK_PINS = "ack_household_pins"
ACK_REFERENCES = "ack_full_references"
LOCATION_TABLE = "location_table"  # + f"_{version}"
ASSUMED_DENSITY = "assumed_density"
MIN_UNIT_AREA = "min_unit_area_m2"
GREEN_BELOW = "green_below"
RED_FROM = "red_from"
HIGH_RISK_LINE = "high_risk_line"
ALL_RECORDED = "all_recorded_crime"
ATTENDANCE_RATE = "attendance_rate"
CERTAIN_LINE = "certain_line"
MIN_HOUSEHOLDS = "min_households"
DESIGN_UPLOAD = "design_upload"

# --- the design being looked at ------------------------------------------------------------
CURRENT = "current"  # (design, score) last shown
PREVIOUS = "previous"  # (design, score) shown before the current one: the metric's delta
PINNED = "pinned"  # a design pinned for side-by-side comparison
PIN_BUTTON = "pin_button"
UNPIN_BUTTON = "unpin_button"
WHAT_IF_PREFIX = "what_if_"  # + position: one button per what-if
ADVICE_KEY = "advice_key"  # (data, design) whose factors and what-ifs this page waits on
ADVICE_CANCELLED = "advice_cancelled"  # the key whose factors and what-ifs were cancelled
ADVICE_CANCEL = "advice_cancel"  # button: stop working them out
ADVICE_RETRY = "advice_retry"  # button: work them out after all

# --- the map -------------------------------------------------------------------------------
VIEW = "view"  # public map, risk view, table
MAP_MODE = "map_mode"  # units or heat
WINDOW = "window"  # release label
WINDOW_POS = "window_pos"  # position, when there are too many windows for a list
GROUP = "group"
SHOW_FRONTIER = "show_frontier"
TAB = "tab"  # the tab set (its key keeps the open tab across reruns)
LAST_VALID = "last_valid"  # the last design the controls described validly

# --- the view of the map, the workshop -----------------------------------------------------
ZOOM = "zoom"  # zoom steps added by the zoom buttons (0 = the opening view)
VIEW_NONCE = "view_nonce"  # bumped by "Reset view" so deck.gl re-applies the opening view
ZOOM_IN = "zoom_in"
ZOOM_OUT = "zoom_out"
ZOOM_RESET = "zoom_reset"
PROJECTOR = "projector"  # projector mode: large type, map and score above the fold
UNDO = "undo_stack"  # designs shown, oldest first (the last is the current one)
REDO = "redo_stack"  # designs undone, most recent last
UNDO_BUTTON = "undo_button"
REDO_BUTTON = "redo_button"
TREND_UNIT = "trend_unit"  # the unit whose counts are drawn release by release
TILES_INPUT = "tiles_input"  # the base-map tile server template as typed in the sidebar
TILES = "tiles"  # the checked template (None: no base map)
PLAYING = "playing"  # time playback: stepping through the release windows
PLAY_BUTTON = "play_button"
PNG_BUTTON = "png_button"  # download a PNG of the current map
FRONTIER_CHART = "frontier_chart"  # the frontier chart (its selection applies a design)
LAST_LINK = "last_link"  # the address parameters the page last wrote (Back is a change)
CONTROLS_SEEN = "controls_seen"  # the design controls' values as the last run drew them
PLAY_STEP = "play_step"  # set by the playback timer: advance one release on this run
PLAY_TICKS = "play_ticks"  # the playback clock has started (its next tick steps)
