"""Sources (crimedash/load/sources.py): files, folders, police.uk zips and uploads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from loadkit import DATA, FEB, JAN, POLICE_UK, accounted_for

from crimedash import schema
from crimedash.errors import InputError
from crimedash.load import (
    load_incidents,
)
from crimedash.schema import TimePrecision


def test_police_uk_file_loads_as_published():
    # 8 rows: one "No Location" (a3), an ASB row and a BTP row without Crime ID, a
    # row without LSOA; kinds of place named in "On or near ...".
    r = load_incidents(JAN)
    accounted_for(r)
    assert (len(r.incidents), len(r.rejected)) == (7, 1)
    assert r.rejected.iloc[0][schema.REJ_ROW] == 3
    assert r.rejected.iloc[0][schema.REJ_REASON] == schema.REASON_NO_LOCATION
    assert r.time_precision is TimePrecision.MONTH
    inc = r.incidents.set_index(schema.SOURCE_ROW)
    assert (inc[schema.OCCURRED_AT] == pd.Timestamp("2024-01-01")).all()
    assert inc.loc[1, schema.REFERENCE] == "a1"
    assert pd.isna(inc.loc[2, schema.REFERENCE])  # ASB: no Crime ID, loaded anyway
    assert inc.loc[2, schema.INCIDENT_ID] == f"{JAN.name}:2"  # derived: file and row
    assert inc[schema.INCIDENT_ID].is_unique
    assert inc.loc[2, schema.CATEGORY] == "anti_social_behaviour"
    expected_types = {
        1: "unknown",  # High Street
        2: "public_space",  # Park/Open Space
        4: "non_residential",  # Supermarket
        5: "non_residential",  # Petrol Station
        6: "public_space",  # Testtown (Station)
        7: "non_residential",  # Testtown Police Station
        8: "unknown",  # School Lane, East: a street, not a school
    }
    assert inc[schema.LOCATION_TYPE].to_dict() == expected_types
    assert inc.loc[1, schema.LATITUDE] == 53.45 and inc.loc[1, schema.LONGITUDE] == -2.3


def test_police_uk_folder_skips_outcomes_and_counts_every_row():
    r = load_incidents(POLICE_UK)
    accounted_for(r)
    assert [Path(f.name).name for f in r.files] == [JAN.name, FEB.name]
    assert r.skipped_files == (
        (
            str(POLICE_UK / "2024-02-testshire-outcomes.csv"),
            "police.uk outcomes/stop-and-search file (not incidents)",
        ),
    )
    s = r.summary()
    assert (s["rows_read"], s["rows_kept"]) == (11, 9)
    assert s["rejected_by_reason"] == {schema.REASON_NO_LOCATION: 2}
    assert (s["date_min"], s["date_max"], s["time_precision"]) == ("2024-01", "2024-02", "month")


def test_police_uk_zip_equals_folder(police_uk_zip: Path):
    from_zip, from_folder = load_incidents(police_uk_zip), load_incidents(POLICE_UK)
    accounted_for(from_zip)
    assert from_zip.files[0].name == f"{police_uk_zip}/2024-02/{JAN.name}"
    same = [c for c in schema.INCIDENT_COLUMNS if c != schema.SOURCE_FILE]
    pd.testing.assert_frame_equal(from_zip.incidents[same], from_folder.incidents[same])
    assert [f.sha256 for f in from_zip.files] == [f.sha256 for f in from_folder.files]


def test_uploads_load_like_files(police_uk_zip: Path):
    uploads = [(JAN.name, JAN.read_bytes()), ("download.zip", police_uk_zip.read_bytes())]
    r = load_incidents(uploads)
    accounted_for(r)
    # The zip holds January again: the same bytes are loaded once, and that is said.
    assert [f.name for f in r.files] == [JAN.name, f"download.zip/2024-02/{FEB.name}"]
    assert (f"download.zip/2024-02/{JAN.name}", f"identical to {JAN.name}, loaded once") in (
        r.skipped_files
    )
    assert len(r.incidents) == 7 + 2
    single = load_incidents((JAN.name, JAN.read_bytes()))
    assert single.incidents[schema.INCIDENT_ID].tolist()[:2] == [f"{JAN.name}:1", f"{JAN.name}:2"]


def test_missing_path_and_empty_input(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        load_incidents(DATA / "nope.csv")
    (tmp_path / "notes.md").write_text("nothing here")
    with pytest.raises(InputError, match="folder holds no") as info:
        load_incidents(tmp_path)
    assert info.value.file == str(tmp_path)
    with pytest.raises(InputError, match="no incident files"):
        load_incidents([])
