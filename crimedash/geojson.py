"""The one GeoJSON writer: every GeoJSON crimedash produces (the public units layer and
the report's map) is written here, so coordinates, precision and winding are chosen
once, on purpose.

- Coordinates are WGS84 longitude/latitude with `PUBLISHED_DECIMALS` (6: about 0.1 m)
  decimals, always written in full, so the same shapes give the same bytes.
- Rings wind as RFC 7946 asks (exterior counter-clockwise, holes clockwise), which is
  what GDAL, QGIS, geopandas, DuckDB and kepler.gl expect. d3-geo (under Vega-Lite, the
  report's map) reads rings on the sphere and wants the opposite: a counter-clockwise
  ring there is "the whole globe but this hexagon". Its caller asks for `clockwise=True`
  by name rather than relying on a precision call happening to reverse the rings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import shapely

from crimedash.cells import PUBLISHED_DECIMALS, round_published

__all__ = [
    "feature_collection",
    "features",
    "geometry_json",
]


def _num(x: float) -> str:
    return f"{x:.{PUBLISHED_DECIMALS}f}"


def _ring(coords: np.ndarray) -> str:
    return "[" + ",".join(f"[{_num(x)},{_num(y)}]" for x, y in coords.tolist()) + "]"


def _polygon(p: shapely.Polygon) -> str:
    rings = [p.exterior, *p.interiors]
    return "[" + ",".join(_ring(np.asarray(r.coords)[:, :2]) for r in rings) + "]"


def geometry_json(geom: Any, *, clockwise: bool = False) -> str:
    """A polygon or multipolygon as a GeoJSON geometry object (text)."""
    geom = shapely.orient_polygons(shapely.transform(geom, round_published), exterior_cw=clockwise)
    if geom.geom_type == "Polygon":
        return '{"type":"Polygon","coordinates":' + _polygon(geom) + "}"
    if geom.geom_type == "MultiPolygon":
        parts = ",".join(_polygon(p) for p in geom.geoms)
        return '{"type":"MultiPolygon","coordinates":[' + parts + "]}"
    raise TypeError(f"a unit's shape must be a polygon; got {geom.geom_type}")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def feature_collection(
    properties: Iterable[Mapping[str, Any]], geoms: Iterable[Any], *, clockwise: bool = False
) -> bytes:
    """A FeatureCollection, one feature per line, properties in the order given."""
    lines = []
    for props, geom in zip(properties, geoms, strict=True):
        text = json.dumps(
            {k: _plain(v) for k, v in props.items()}, ensure_ascii=False, separators=(",", ":")
        )
        lines.append(
            '{"type":"Feature","properties":'
            + text
            + ',"geometry":'
            + geometry_json(geom, clockwise=clockwise)
            + "}"
        )
    body = ",\n".join(lines)
    return ('{"type":"FeatureCollection","features":[\n' + body + "\n]}\n").encode("utf-8")


def features(
    properties: Iterable[Mapping[str, Any]], geoms: Iterable[Any], *, clockwise: bool = False
) -> list[dict[str, Any]]:
    """The same features as plain dicts (for a chart's inline data)."""
    return json.loads(feature_collection(properties, geoms, clockwise=clockwise))["features"]
