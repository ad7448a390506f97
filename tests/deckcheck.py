"""Checks on pydeck JSON shared by the viz and app tests: a map must never carry a raw
incident position, only unit ids, unit shapes and unit centres."""

from __future__ import annotations

import json
from itertools import pairwise

import numpy as np


def numbers(obj) -> list[float]:
    """Every number in a JSON value, in document order."""
    if isinstance(obj, bool):
        return []
    if isinstance(obj, int | float):
        return [float(obj)]
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in numbers(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in numbers(v)]
    return []


def assert_no_incident_positions(deck_json: str, lat: np.ndarray, lon: np.ndarray) -> None:
    """No two neighbouring numbers in the deck are an incident's (lon, lat) or (lat,
    lon), compared to 6 decimals (~0.1 m). Single values are not compared: with tens of
    thousands of incidents given to 6 decimals, a hexagon corner shares a latitude with
    some incident by chance."""
    rounded = [round(x, 6) for x in numbers(json.loads(deck_json))]
    assert rounded, "the deck should hold unit shapes"
    seen = set(pairwise(rounded))
    lat6 = np.round(np.asarray(lat, float), 6).tolist()
    lon6 = np.round(np.asarray(lon, float), 6).tolist()
    positions = set(zip(lon6, lat6, strict=True)) | set(zip(lat6, lon6, strict=True))
    leaked = positions & seen
    assert not leaked, f"{len(leaked)} incident positions in the deck, e.g. {next(iter(leaked))}"
