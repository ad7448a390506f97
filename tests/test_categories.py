"""Category names as files write them, and the weights they get."""

from __future__ import annotations

import pytest

from crimedash.categories import canonical_category, default_sensitivity


@pytest.mark.parametrize(
    ("text", "code", "weight"),
    [
        # police.uk's "Public order" hides hate crime (¶20): a reader cannot rule it out
        ("Public order", "Public order", 0.9),
        ("public order", "Public order", 0.9),
        # a force extract that records hate crime apart keeps the fine, lower weight
        ("public_order", "public_order", 0.3),
        ("hate_crime", "hate_crime", 0.9),
        ("Burglary", "Burglary", 0.6),
        ("Violence and sexual offences", "Violence and sexual offences", 1.0),
    ],
)
def test_category_words_map_to_codes_and_weights(text, code, weight):
    assert canonical_category(text) == (code, True)
    assert default_sensitivity(code) == weight
