"""A design in the page URL, so a workshop can share a link to it.

Only the settings that differ from the defaults go in, one query parameter each, in
the words of `settings.SETTINGS` (`?granularity=h3:9&frequency=quarterly`); lists and
pairs are JSON. The noise seed never goes in: it stays in the review record, and a
link is a kind of publication. Pure functions, so tests need no browser.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from crimedash.design import Design
from crimedash.errors import DesignError

__all__ = ["design_to_params", "params_to_design"]

_DEFAULTS = Design().to_dict()
_PRIVATE = ("noise_seed",)


def design_to_params(design: Design) -> dict[str, str]:
    """Query parameters for the settings that differ from the defaults."""
    out: dict[str, str] = {}
    for name, value in design.to_dict(public=True).items():
        if name in _PRIVATE or value == _DEFAULTS[name]:
            continue
        if isinstance(value, str):
            out[name] = value
        else:
            out[name] = json.dumps(value, separators=(",", ":"))
    return out


def params_to_design(params: Mapping[str, Any], base: Design | None = None) -> Design:
    """A design from query parameters (unknown or malformed ones raise DesignError
    naming the setting, so the app can say why a link was ignored)."""
    base = base or Design()
    kinds = {f.name: type(_DEFAULTS[f.name]) for f in fields(Design) if f.init}
    data = base.to_dict()
    for name, raw in params.items():
        if name not in kinds:
            continue  # other parameters (none today) are not the design's business
        text = raw[-1] if isinstance(raw, list) else str(raw)
        if kinds[name] is str:
            data[name] = text
            continue
        try:
            data[name] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DesignError(f"the link's {name!r} is not readable: {text!r}") from exc
    return Design.from_dict(data)
