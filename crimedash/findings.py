"""Plain-words findings for the reviewer, each citing the guidance: what the design
shows, what it assumes and what was left out. Read from the design's evaluation; part of
the advice (`crimedash.advice` re-exports `findings`), kept apart so the advice stays one
screenful of alternatives."""

from __future__ import annotations

import numpy as np

from crimedash.index import Index
from crimedash.risk import Evaluation

__all__ = ["findings"]


def findings(index: Index, ev: Evaluation, *, rejected_rows: int = 0) -> list[str]:
    """Plain-words findings for the reviewer, each citing the guidance."""
    d = ev.layer.design
    out = []
    layer = ev.layer
    if "household_pins" in d.dangers():
        out.append(
            "The map places crimes at household level. The guidance does not favour "
            "household pinpointing: a pin links a crime to a property and its "
            "occupants through the electoral register (¶10, ¶21)."
        )
    if layer.risk_level in ("timestamp", "day"):
        out.append(
            f"Windows are one {layer.risk_level if layer.risk_level != 'timestamp' else 'incident'} "
            "long: a neighbour who saw the police can match the visit to the map "
            "(¶34). Less frequent updates lower this risk."
        )
    sens = [
        g
        for g, s in zip(layer.grouping.groups, layer.grouping.group_sensitivity, strict=True)
        if s >= 0.9
    ]
    if sens:
        out.append(
            "Sensitive groups are shown (" + ", ".join(sens) + "). Victims of these "
            "crimes face the greatest harm if identified (¶20); consider showing them "
            "only at coarse granularity or as statistics (¶13)."
        )
    if d.references in ("full", "truncated"):
        out.append(
            "Reference numbers appear on the map; insurers and councils hold numbers "
            "with names, so they can link a crime to a person (¶24-25). Fresh "
            "pseudonyms per release remove that link."
        )
    if ev.households_assumed:
        out.append(
            "No households layer was loaded, so household counts are assumed (¶19): "
            "the register-linker part is only as good as that assumption."
        )
    if layer.secondary_suppressed_cells:
        out.append(
            f"{layer.secondary_suppressed_cells:,} further cells were suppressed "
            "because a published total would have given a suppressed value away."
        )
    small = layer.units.households[np.unique(layer.cell_unit)] if len(layer.cell_unit) else []
    if len(small) and not ev.households_assumed:
        few = int((np.asarray(small) < 40).sum())
        if few:
            out.append(
                f"{few:,} published units hold fewer than 40 households, the size of "
                "a census output area in the guidance's example map (¶19)."
            )
    if layer.outside_units:
        out.append(
            f"{layer.outside_units:,} incidents fall outside every unit and are not published."
        )
    if rejected_rows:
        out.append(
            f"{rejected_rows:,} input rows were rejected on loading (see the "
            "rejected-rows file); they are not on the map."
        )
    out.append(
        "Explain on the map that a unit shows the area a crime happened in, not its "
        "place (¶22-23), and name the publisher with a contact for complaints (¶46)."
    )
    return out
