"""Location types (crimedash/load/location_types.py): how private a kind of place is."""

from __future__ import annotations

import pytest

from crimedash.load import (
    infer_location_type,
)
from crimedash.schema import LocationType


@pytest.mark.parametrize(
    ("text", "expected", "understood"),
    [
        ("On or near Supermarket", "non_residential", True),
        ("On or near Petrol Station", "non_residential", True),
        ("On or near Nightclub", "non_residential", True),
        ("On or near Hospital", "non_residential", True),
        ("On or near Further/Higher Educational Building", "non_residential", True),
        ("On or near Theatre/Concert Hall", "non_residential", True),
        ("On or near Medway Police Station", "non_residential", True),
        ("On or near Park/Open Space", "public_space", True),
        ("On or near Parking Area", "public_space", True),
        ("On or near Shopping Area", "public_space", True),
        ("On or near Sports/Recreation Area", "public_space", True),
        ("On or near Bus/Coach Station", "public_space", True),
        ("On or near Leeds (Station)", "public_space", True),
        ("On or near Waterloo (Lu Station)", "public_space", True),
        ("On or near Station Road", "unknown", True),
        ("On or near School Lane", "unknown", True),
        ("On or near Park Avenue", "unknown", True),
        ("No Location", "unknown", True),
        ("residential", "residential", True),
        ("Non-residential", "non_residential", True),
        ("public_space", "public_space", True),
        ("", "unknown", True),
        ("garage", "unknown", False),
    ],
)
def test_infer_location_type(text, expected, understood):
    assert infer_location_type(text) == (LocationType(expected), understood)
