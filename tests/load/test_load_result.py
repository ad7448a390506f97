"""The result (crimedash/load/result.py): its summary, progress and precision."""

from __future__ import annotations

from pathlib import Path

from loadkit import DATA, JAN, accounted_for

from crimedash import schema
from crimedash.load import (
    load_incidents,
)
from crimedash.schema import TimePrecision


def test_a_file_with_no_usable_rows_still_loads_and_says_so(tmp_path: Path):
    path = tmp_path / "2024-05-nowhere-street.csv"
    header = ",".join(schema.POLICE_UK_COLUMNS)
    path.write_text(f"{header}\n,2024-05,X,X,,,No Location,,,Drugs,,\n")
    r = load_incidents(path)
    accounted_for(r)
    s = r.summary()
    assert (s["rows_kept"], s["rejected_by_reason"]) == (0, {schema.REASON_NO_LOCATION: 1})
    assert s["date_min"] is None and s["extent"] is None
    assert r.time_precision is TimePrecision.MONTH


def test_summary_and_progress():
    calls = []
    r = load_incidents([JAN, DATA / "generic.csv"], progress=lambda f, m: calls.append(f))
    assert calls[0] == 0.0 and calls[-1] == 1.0 and calls == sorted(calls)
    # The coarsest precision among the inputs: police.uk months beat timestamps.
    assert r.time_precision is TimePrecision.MONTH
    s = r.summary()
    assert s["rows_read"] == 13 and s["rows_kept"] == 12
    assert s["categories"]["shoplifting"] == 2
    assert s["location_types"]["unknown"] == 4
    assert [f.rows_read for f in r.files] == [8, 5]
    assert all(len(f.sha256) == 64 for f in r.files)
