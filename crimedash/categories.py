"""Crime categories, their default grouping into police.uk's 14, and their sensitivity.

The sample city and many force systems record finer categories than police.uk publishes
(sexual offences, domestic abuse and hate crime are hidden inside police.uk's broad
groups). This module is the one table of them: code, label, police.uk group, and the
default sensitivity weight (¶20) a reviewer can defend and edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ALL_CATEGORIES",
    "BROAD_CATEGORIES",
    "BY_CODE",
    "FINE_CATEGORIES",
    "POLICE_UK_CATEGORIES",
    "UNKNOWN_GROUP",
    "UNKNOWN_SENSITIVITY",
    "Category",
    "canonical_category",
    "default_group",
    "default_sensitivity",
    "label",
]

# police.uk's 14 street-level crime types, as published in the "Crime type" column.
POLICE_UK_CATEGORIES: tuple[str, ...] = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
    "Other crime",
)


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    police_uk: str
    sensitivity: float  # 0-1: harm if a victim's link to this category is learnt (¶20)
    why: str


# Fine categories (the sample city's, and what force systems commonly hold).
FINE_CATEGORIES: tuple[Category, ...] = (
    Category(
        "sexual_offences",
        "Sexual offences",
        "Violence and sexual offences",
        1.0,
        "¶20: among the most sensitive; victims face stigma and retaliation",
    ),
    Category(
        "domestic_abuse",
        "Domestic abuse",
        "Violence and sexual offences",
        1.0,
        "¶13, ¶20: happens at home, so a map points at a household",
    ),
    Category(
        "hate_crime",
        "Hate crime",
        "Public order",
        0.9,
        "¶20 names hate crime: people are motivated to identify victims",
    ),
    Category(
        "stalking_harassment",
        "Stalking and harassment",
        "Violence and sexual offences",
        0.8,
        "¶20: sensitive; the victim is usually known to the offender",
    ),
    Category(
        "violence_with_injury",
        "Violence with injury",
        "Violence and sexual offences",
        0.7,
        "¶20 names assault as sensitive",
    ),
    Category(
        "violence_without_injury",
        "Violence without injury",
        "Violence and sexual offences",
        0.6,
        "¶20 names assault as sensitive",
    ),
    Category("robbery", "Robbery", "Robbery", 0.6, "personal crime with a victim present"),
    Category(
        "burglary_residential",
        "Residential burglary",
        "Burglary",
        0.6,
        "¶26: at a home, so it points at a household",
    ),
    Category(
        "burglary_non_residential",
        "Non-residential burglary",
        "Burglary",
        0.2,
        "¶26-27: premises such as shops and schools carry less privacy risk",
    ),
    Category("drugs", "Drugs", "Drugs", 0.4, "an offender's stigma rather than a victim's"),
    Category(
        "possession_of_weapons",
        "Possession of weapons",
        "Possession of weapons",
        0.4,
        "an offender's stigma rather than a victim's",
    ),
    Category("public_order", "Public order", "Public order", 0.3, "mostly in public places"),
    Category(
        "criminal_damage_arson",
        "Criminal damage and arson",
        "Criminal damage and arson",
        0.4,
        "often at a home; arson can endanger occupants",
    ),
    Category(
        "theft_from_the_person",
        "Theft from the person",
        "Theft from the person",
        0.3,
        "mostly in public places",
    ),
    Category(
        "vehicle_crime",
        "Vehicle crime",
        "Vehicle crime",
        0.2,
        "¶20: car theft is the guidance's example of a non-sensitive crime",
    ),
    Category("bicycle_theft", "Bicycle theft", "Bicycle theft", 0.1, "property crime, low harm"),
    Category(
        "shoplifting",
        "Shoplifting",
        "Shoplifting",
        0.1,
        "¶27: against a business, an essentially public activity",
    ),
    Category("other_theft", "Other theft", "Other theft", 0.2, "property crime"),
    Category(
        "anti_social_behaviour",
        "Anti-social behaviour",
        "Anti-social behaviour",
        0.2,
        "¶28: mostly in public spaces",
    ),
    Category("other_crime", "Other crime", "Other crime", 0.4, "mixed; a middle weight"),
)

# police.uk's own types as categories (what police.uk files contain): each is its own
# group. A broad type takes the highest weight of the fine categories it may hide, since
# a reader cannot rule the most sensitive one out.
_BROAD_SENSITIVITY = {
    name: max(c.sensitivity for c in FINE_CATEGORIES if c.police_uk == name)
    for name in POLICE_UK_CATEGORIES
}
BROAD_CATEGORIES: tuple[Category, ...] = tuple(
    Category(
        name,
        name,
        name,
        _BROAD_SENSITIVITY[name],
        "police.uk type: weight of its most sensitive part",
    )
    for name in POLICE_UK_CATEGORIES
)

ALL_CATEGORIES: tuple[Category, ...] = FINE_CATEGORIES + BROAD_CATEGORIES
BY_CODE: dict[str, Category] = {c.code: c for c in ALL_CATEGORIES}

# Weight for a category nobody told us about: a middle value, visible in the table.
UNKNOWN_SENSITIVITY = 0.5
UNKNOWN_GROUP = "Other crime"


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


_LOOKUP: dict[str, str] = {}
for _c in ALL_CATEGORIES:
    _LOOKUP.setdefault(_key(_c.code), _c.code)
    _LOOKUP.setdefault(_key(_c.label), _c.code)
# Common spellings seen in force extracts.
_ALIASES = {
    "asb": "anti_social_behaviour",
    "antisocial behaviour": "anti_social_behaviour",
    "anti social behavior": "anti_social_behaviour",
    "criminal damage": "criminal_damage_arson",
    "arson": "criminal_damage_arson",
    "burglary dwelling": "burglary_residential",
    "domestic burglary": "burglary_residential",
    "residential burglary": "burglary_residential",
    "burglary other": "burglary_non_residential",
    "business burglary": "burglary_non_residential",
    "non domestic burglary": "burglary_non_residential",
    "rape": "sexual_offences",
    "sexual offence": "sexual_offences",
    "domestic violence": "domestic_abuse",
    "domestic": "domestic_abuse",
    "hate": "hate_crime",
    "wounding": "violence_with_injury",
    "assault": "violence_without_injury",
    "theft from vehicle": "vehicle_crime",
    "theft of motor vehicle": "vehicle_crime",
    "theft from motor vehicle": "vehicle_crime",
    "weapons": "possession_of_weapons",
}
_LOOKUP.update({_key(k): v for k, v in _ALIASES.items()})
# police.uk's "Public order" hides hate crime (¶20), so the words mean the broad type
# (weighted 0.9); only the exact code "public_order" means the fine category.
_LOOKUP[_key("Public order")] = "Public order"


def canonical_category(text: str) -> tuple[str, bool]:
    """Map a category as written to its code; unknown text is kept as written.

    Returns (category, recognised). Keeping unknown text (rather than rejecting the row)
    follows the rule that nothing is dropped; the loader counts unrecognised values.
    """
    if text in BY_CODE and text == text.strip() and "_" in text:
        return text, True  # a fine category's exact code
    code = _LOOKUP.get(_key(text))
    return (code, True) if code is not None else (text.strip(), False)


def default_group(category: str) -> str:
    """police.uk group a category falls in by default (unknown ones: 'Other crime')."""
    c = BY_CODE.get(category)
    return c.police_uk if c else UNKNOWN_GROUP


def default_sensitivity(category: str) -> float:
    c = BY_CODE.get(category)
    return c.sensitivity if c else UNKNOWN_SENSITIVITY


def label(category: str) -> str:
    c = BY_CODE.get(category)
    return c.label if c else category
