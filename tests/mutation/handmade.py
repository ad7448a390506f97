"""A town of six incidents in two H3 cells, small enough to work every published cell out
on paper (issue 15, mutation testing: each mutant runs these tests, so they must be fast
and exact).

Unit A (52.95, -1.15): two burglaries in January at homes, a shoplifting in January and
one in February at shops. Unit B (52.98, -1.20): vehicle crimes in January and March in
the street. At h3:8 the two places are different cells; the 2024 months are window keys
648-650 (months since 1970).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimedash import schema as S
from crimedash.index import Index, index_incidents

A = (52.95, -1.15)
B = (52.98, -1.20)
ROWS = [
    (A, "2024-01-05 10:00", "burglary_residential", "residential"),
    (A, "2024-01-20 10:00", "burglary_residential", "residential"),
    (A, "2024-01-21 10:00", "shoplifting", "non_residential"),
    (A, "2024-02-03 10:00", "shoplifting", "non_residential"),
    (B, "2024-01-09 10:00", "vehicle_crime", "public_space"),
    (B, "2024-03-09 10:00", "vehicle_crime", "public_space"),
]
JAN, FEB, MAR = 648, 649, 650
UNIT_A, UNIT_B = "881943583dfffff", "881943595dfffff"


def frame(rows=ROWS) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame(
        {
            S.INCIDENT_ID: [f"I{i}" for i in range(n)],
            S.REFERENCE: [f"CD/24/{i:06d}" for i in range(n)],
            S.OCCURRED_AT: pd.to_datetime([r[1] for r in rows]),
            S.CATEGORY: [r[2] for r in rows],
            S.LATITUDE: [r[0][0] for r in rows],
            S.LONGITUDE: [r[0][1] for r in rows],
            S.LOCATION_TYPE: [r[3] for r in rows],
            S.SOURCE_FILE: "hand.csv",
            S.SOURCE_ROW: np.arange(1, n + 1),
        }
    )


def town(rows=ROWS, **kwargs) -> Index:
    return index_incidents(frame(rows), **kwargs)
