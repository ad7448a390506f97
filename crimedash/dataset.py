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

from crimedash.index import Index, Progress, index_incidents
from crimedash.load import ColumnMapping, LoadResult, load_areas, load_households, load_incidents

__all__ = ["Dataset", "Source", "layer_name", "load_dataset", "sample_dataset"]

Source = str | Path | tuple[str, bytes]


@dataclass
class Dataset:
    """Incidents, their context and their index; `inputs` describes every input file
    (name, sha256, rows) for the manifest and the drift check."""

    loaded: LoadResult
    households: gpd.GeoDataFrame | None
    areas: dict[str, gpd.GeoDataFrame]
    index: Index
    inputs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len(self.loaded.rejected)


def _describe_context(kind: str, name: str, source: Source, frame) -> dict[str, Any]:
    import hashlib

    if isinstance(source, tuple):
        data, fname = source[1], source[0]
    else:
        data, fname = Path(source).read_bytes(), str(source)
    return {
        "role": kind,
        "name": name,
        "file": Path(fname).name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "rows": len(frame),
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
    loaded = load_incidents(incidents, mapping=mapping, progress=lambda f, m: say(0.4 * f, m))
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
    if households is not None:
        say(0.4, "Loading households")
        hh = load_households(households)
        inputs.append(_describe_context("households", "households", households, hh))
    layers: dict[str, gpd.GeoDataFrame] = {}
    items = (
        areas.items() if isinstance(areas, Mapping) else [(layer_name(a), a) for a in (areas or [])]
    )
    for name, src in items:
        say(0.45, f"Loading areas '{name}'")
        layers[name] = load_areas(src)
        inputs.append(_describe_context("areas", name, src, layers[name]))
    index = index_incidents(
        loaded.incidents,
        time_precision=loaded.time_precision,
        households=hh,
        areas=layers,
        progress=lambda f, m: say(0.5 + 0.5 * f, m),
    )
    return Dataset(loaded, hh, layers, index, inputs)


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
