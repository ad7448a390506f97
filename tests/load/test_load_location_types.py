"""Location types (crimedash/load/location_types.py): how private a kind of place is."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crimedash.load import (
    PLACE_TYPES,
    infer_location_type,
    location_types,
)
from crimedash.load.location_types import classify_columns, classify_locations
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


_PIECES = st.sampled_from(
    [
        *list(PLACE_TYPES)[:12],
        "on or near",
        "On Or Near",
        "ON OR NEAR\x0b",
        "residential",
        "home",
        "(station)",
        "(Lu Station)",
        "police station",
        "Police  Station",
        " ",
        "\t",
        "\x1c",
        "\x0b",
        "_",
        "-",
        "/",
        "É",
        "ı",
        "\u00a0",
        "\u2028",
        "K",
        "\u212a",  # the Kelvin sign: a capital K to Python's IGNORECASE
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(st.lists(_PIECES, max_size=5).map("".join) | st.text(max_size=12), max_size=8)
)
def test_classifying_a_column_at_once_agrees_with_one_text_at_a_time(texts):
    """The Arrow path (ASCII texts, all at once) gives what infer_location_type gives
    each text, including Python's idea of whitespace, which RE2's \\s does not share."""
    types, unknown = classify_locations(pa.array(texts, pa.string()))
    expected = [infer_location_type(t) for t in texts]
    assert types.to_pylist() == [k.value for k, _ in expected]
    lost: dict[str, int] = {}
    for t, (_, ok) in zip(texts, expected, strict=True):
        if not ok:
            lost[t] = lost.get(t, 0) + 1
    assert unknown == lost


@settings(max_examples=200, deadline=None)
@given(
    files=st.lists(
        st.lists(st.lists(_PIECES, max_size=4).map("".join) | st.text(max_size=8), max_size=6),
        max_size=5,
    )
)
def test_classifying_many_files_at_once_agrees_with_one_file_at_a_time(files):
    """Files classified together (each distinct text of all of them once, as a load
    does) get the types and unrecognised counts each would get alone, whether a column
    comes as text, dictionary-encoded (as validation leaves it) or in several chunks."""
    columns = [
        pa.array(texts, pa.string()).dictionary_encode()
        if i % 3 == 0
        else pa.chunked_array([texts[:1], texts[1:]], pa.string())
        if i % 3 == 1
        else pa.array(texts, pa.string())
        for i, texts in enumerate(files)
    ]
    together = classify_columns(columns)
    assert len(together) == len(files)
    for texts, (types, unknown) in zip(files, together, strict=True):
        alone_types, alone_unknown = classify_locations(pa.array(texts, pa.string()))
        assert types.to_pylist() == alone_types.to_pylist()
        assert unknown == alone_unknown


@pytest.mark.parametrize("unify_bytes", [1, 40, 1 << 30])
def test_files_classified_in_groups_agree_with_all_at_once(monkeypatch, unify_bytes):
    """Files whose distinct texts would overflow one Arrow string array are classified
    in groups (here forced small): the same types and unrecognised counts, the latter in
    the order each file first shows them."""
    files = [
        ["On or near Mill Lane", "Odd place", "Supermarket", "Odd place", "Zeta"],
        ["Zeta", "Leeds (Station)", "Odd place", ""],
        [],
        ["Somewhere else", "Zeta", "Zeta", "On or near Mill Lane"],
    ]
    monkeypatch.setattr(location_types, "_UNIFY_BYTES", unify_bytes)
    got = classify_columns([pa.array(f, pa.string()) for f in files])
    assert [list(unknown.items()) for _, unknown in got] == [
        [("Odd place", 2), ("Zeta", 1)],
        [("Zeta", 1), ("Odd place", 1)],
        [],
        [("Somewhere else", 1), ("Zeta", 2)],
    ]
    for texts, (types, _) in zip(files, got, strict=True):
        assert types.to_pylist() == [infer_location_type(t)[0].value for t in texts]
