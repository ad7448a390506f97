"""A data set ready to design on: loaded incidents, context layers and their index.

The app, the CLI and the export all start here, so "what was loaded" (file hashes,
row counts, rejected rows) travels with the index into the assessment and manifest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from crimedash import schema
from crimedash.index import Index, Progress, index_incidents
from crimedash.load import ColumnMapping, LoadResult, load_areas, load_households, load_incidents

__all__ = ["Dataset", "Source", "layer_name", "load_dataset", "sample_dataset"]

Source = str | Path | tuple[str, bytes]
REJ_INPUT = "input"  # which input a rejected row came from: incidents, households, areas


def _context_rejected(role: str, frame: Any) -> pd.DataFrame | None:
    """The rows a households or areas loader left out (`attrs['rejected']`), if any."""
    rej = getattr(frame, "attrs", {}).get("rejected")
    if rej is None or not len(rej):
        return None
    return rej[list(schema.REJECTED_COLUMNS)].assign(**{REJ_INPUT: role})


@dataclass
class Dataset:
    """Incidents, their context and their index; `inputs` describes every input file
    (name, sha256, rows) for the manifest and the drift check."""

    loaded: LoadResult
    households: gpd.GeoDataFrame | None
    areas: dict[str, gpd.GeoDataFrame]
    index: Index
    inputs: list[dict[str, Any]] = field(default_factory=list)
    # rows the households and area loaders left out, as REJECTED_COLUMNS with `input`
    context_rejected: pd.DataFrame | None = None

    @property
    def rejected(self) -> pd.DataFrame:
        """Every rejected row of every input (incidents, households, areas), with the
        input it came from first: what the app, the manifest, the report and
        rejected_rows.csv count. Never drop data silently."""
        incidents = self.loaded.rejected[list(schema.REJECTED_COLUMNS)].assign(
            **{REJ_INPUT: "incidents"}
        )
        parts = [incidents]
        if self.context_rejected is not None and len(self.context_rejected):
            parts.append(self.context_rejected)
        out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else incidents
        return out[[REJ_INPUT, *schema.REJECTED_COLUMNS]]

    @property
    def rejected_rows(self) -> int:
        """How many input rows were rejected, over every input."""
        extra = 0 if self.context_rejected is None else len(self.context_rejected)
        return len(self.loaded.rejected) + extra

    @property
    def findings(self) -> list[str]:
        """What the loaders noticed and did about it, per input (axes exchanged, grid
        metres reprojected, rows far from the rest, dates after the release, boundaries
        repaired): the assessment, the manifest and the report repeat them, so a reviewer
        sees what the map was built on, not only what was rejected."""
        out = [f"incidents: {f}" for f in self.loaded.findings]
        if self.households is not None:
            out += [f"households: {f}" for f in self.households.attrs.get("findings", [])]
        for name, layer in self.areas.items():
            out += [f"areas '{name}': {f}" for f in layer.attrs.get("findings", [])]
        return out

    def input_summary(self) -> dict[str, Any]:
        """Rejected rows counted by input and by reason, and the loaders' findings
        (plain data for the CLI's JSON, the manifest, the report and the app)."""
        rej = self.rejected
        return {
            "input_findings": self.findings,
            "rejected_rows": len(rej),
            "rejected_by_input": {
                role: int((rej[REJ_INPUT] == role).sum())
                for role in ("incidents", "households", "areas")
            },
            "rejected_by_reason": {
                str(k): int(v) for k, v in rej[schema.REJ_REASON].value_counts().items()
            },
        }


def _describe_context(kind: str, name: str, source: Source, frame) -> dict[str, Any]:
    import hashlib

    if isinstance(source, tuple):
        data, fname = source[1], source[0]
    else:
        data, fname = Path(source).read_bytes(), str(source)
    rejected = getattr(frame, "attrs", {}).get("rejected")
    n_rejected = 0 if rejected is None else len(rejected)
    return {
        "role": kind,
        "name": name,
        "file": Path(fname).name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "rows": int(getattr(frame, "attrs", {}).get("rows_read", len(frame))),
        "kept": len(frame),
        "rejected": n_rejected,
    }


def layer_name(source: Source) -> str:
    """A short layer name from a file name: 'output_areas.geojson' -> 'output_areas'."""
    name = source[0] if isinstance(source, tuple) else str(source)
    stem = Path(name).name.split(".")[0].lower()
    return "".join(ch if ch.isalnum() else "_" for ch in stem).strip("_") or "areas"


def load_dataset(
    incidents: Sequence[Source] | Source,
    *,
    households: Source | None = None,
    areas: Sequence[Source] | Mapping[str, Source] | None = None,
    mapping: ColumnMapping | None = None,
    progress: Progress | None = None,
) -> Dataset:
    """Load and index incidents with optional households and area layers. `mapping`
    says which column is which when the loader cannot tell (the app's mapping form)."""
    say = progress or (lambda f, m: None)
    store = _store_of(incidents)
    if store is None:
        loaded = load_incidents(incidents, mapping=mapping, progress=lambda f, m: say(0.4 * f, m))
    else:  # a store (`crimedash store build`): its manifest already says what was read
        from crimedash.storeindex import StoreLoad

        loaded = StoreLoad.from_manifest(store)
    inputs: list[dict[str, Any]] = [
        {
            "role": "incidents",
            "name": f.name,
            "file": Path(f.name).name,
            "sha256": f.sha256,
            "rows": f.rows_read,
            "kept": f.rows_kept,
            "rejected": f.rows_rejected,
        }
        for f in loaded.files
    ]
    hh = None
    context_rejected: list[pd.DataFrame | None] = []
    if households is not None:
        say(0.4, "Loading households")
        hh = load_households(households)
        inputs.append(_describe_context("households", "households", households, hh))
        context_rejected.append(_context_rejected("households", hh))
    layers: dict[str, gpd.GeoDataFrame] = {}
    items = (
        areas.items() if isinstance(areas, Mapping) else [(layer_name(a), a) for a in (areas or [])]
    )
    for name, src in items:
        say(0.45, f"Loading areas '{name}'")
        layers[name] = load_areas(src)
        inputs.append(_describe_context("areas", name, src, layers[name]))
        context_rejected.append(_context_rejected("areas", layers[name]))
    if store is None:
        index = index_incidents(
            loaded.incidents,
            time_precision=loaded.time_precision,
            households=hh,
            areas=layers,
            progress=lambda f, m: say(0.5 + 0.5 * f, m),
        )
    else:  # read month by month: never every row at once (issue 16)
        from crimedash.storeindex import index_store

        index, stats = index_store(
            store, households=hh, areas=layers, progress=lambda f, m: say(0.5 + 0.5 * f, m)
        )
        loaded = loaded.with_stats(stats)
    found = [r for r in context_rejected if r is not None]
    extra = pd.concat(found, ignore_index=True) if found else None
    return Dataset(loaded, hh, layers, index, inputs, extra)


def _store_of(incidents: Sequence[Source] | Source) -> Path | None:
    """The store folder, when the incidents source is one (and only one)."""
    from crimedash.storeindex import is_store

    items = [incidents] if isinstance(incidents, str | Path | tuple) else list(incidents)
    if len(items) == 1 and is_store(items[0]):
        return Path(items[0])  # type: ignore[arg-type]
    return None


def sample_dataset(progress: Progress | None = None) -> Dataset:
    """The bundled sample city: incidents, households, output areas, neighbourhoods."""
    from crimedash.sample import sample_paths

    p = sample_paths()
    return load_dataset(
        [p["incidents"]],
        households=p["households"],
        areas={"output_areas": p["output_areas"], "neighbourhoods": p["neighbourhoods"]},
        progress=progress,
    )
