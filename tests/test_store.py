"""The on-disk incident store (crimedash/store.py).

The store must give the loader's answer, batch by batch: the same kept rows with the
same ids and row numbers, the same rejections, every row accounted for, whatever the
slice size. The files are tiny and readable: a police.uk month with a row of each kind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crimedash import schema
from crimedash.cli import EXIT_REFUSED, main
from crimedash.errors import InputError
from crimedash.load import load_incidents
from crimedash.store import build_store
from crimedash.storeread import manifest, read_batches, read_incidents, read_rejected

POLICE_UK = Path(__file__).parent / "data" / "load" / "police_uk"
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context\n"
)
# rows 1-6 (header excluded): good, no location, bad month, good (no ID: a derived id),
# latitude out of range, good
ROWS = (
    "b1,2024-03,T,T,-2.30,53.45,On or near High Street,E1,A,Burglary,x,\n"
    "b2,2024-03,T,T,,,No Location,,,Drugs,x,\n"
    "b3,2024-13,T,T,-2.31,53.46,On or near Park/Open Space,E1,A,Drugs,x,\n"
    ",2024-04,T,T,-2.32,53.47,On or near Supermarket,E1,A,Anti-social behaviour,,\n"
    "b5,2024-04,T,T,-2.33,95.0,On or near Petrol Station,E1,A,Shoplifting,x,\n"
    "b6,2024-04,T,T,-2.34,53.48,On or near School Lane,E1,A,Robbery,x,\n"
)


@pytest.fixture
def month_csv(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "2024-03-testshire-street.csv"
    path.parent.mkdir()
    path.write_text(HEADER + ROWS)
    return path


def _sorted(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    return frame.sort_values(by).reset_index(drop=True)


@pytest.mark.parametrize(("batch_bytes", "flush_rows"), [(1 << 20, 1000), (64, 1000), (1, 1)])
def test_store_matches_the_loader_whatever_the_slice(month_csv, tmp_path, batch_bytes, flush_rows):
    """Slices of one line each (64 bytes, 1 byte) give the same rows, ids and row
    numbers as loading the whole file: the header is repeated and rows renumbered.
    With flush_rows=1 every slice is written as it comes (a big file's path)."""
    out = tmp_path / "store"
    summary = build_store([month_csv], out, batch_bytes=batch_bytes, flush_rows=flush_rows)
    whole = load_incidents(month_csv)

    assert (summary.rows_read, summary.rows_kept, summary.rows_rejected) == (6, 3, 3)
    (f,) = summary.files
    assert f.rows_read == f.rows_kept + f.rows_rejected
    assert f.sha256 == whole.files[0].sha256  # hashed while reading, slices included
    got = _sorted(read_incidents(out), schema.SOURCE_ROW)
    want = _sorted(whole.incidents, schema.SOURCE_ROW)
    assert got[schema.SOURCE_ROW].tolist() == [1, 4, 6]
    for col in (schema.INCIDENT_ID, schema.SOURCE_ROW, schema.CATEGORY, schema.LOCATION_TYPE):
        assert got[col].tolist() == want[col].tolist(), col
    assert got[schema.OCCURRED_AT].tolist() == want[schema.OCCURRED_AT].tolist()

    rejected = _sorted(read_rejected(out), schema.REJ_ROW)
    assert rejected[schema.REJ_ROW].tolist() == [2, 3, 5]  # written out, never dropped
    assert rejected[schema.REJ_REASON].tolist() == (
        _sorted(whole.rejected, schema.REJ_ROW)[schema.REJ_REASON].tolist()
    )


def test_store_is_partitioned_by_month_and_says_so(month_csv, tmp_path):
    out = tmp_path / "store"
    build_store([month_csv.parent], out)
    m = manifest(out)
    assert m["months"] == ["2024-03", "2024-04"]
    assert m["time_precision"] == "month"
    per_month = {month: t.num_rows for month, t in read_batches(out)}
    assert per_month == {"2024-03": 1, "2024-04": 2}
    assert (out / "incidents" / "month=2024-04").is_dir()


@pytest.mark.parametrize("flush_rows", [1000, 1])
def test_identical_file_is_stored_once_and_companions_skipped(month_csv, tmp_path, flush_rows):
    """The same bytes under two names would double count; police.uk's outcomes files
    are not incidents. Both are listed as skipped, with why (also when the copy's rows
    were already written, as a big file's are)."""
    shutil.copy(month_csv, month_csv.with_name("copy-street.csv"))
    shutil.copy(POLICE_UK / "2024-02-testshire-outcomes.csv", month_csv.parent)
    summary = build_store(
        [month_csv.parent], tmp_path / "store", batch_bytes=64, flush_rows=flush_rows
    )
    assert summary.rows_read == 6 and len(summary.files) == 1
    reasons = dict(summary.skipped)
    assert "stored once" in next(v for k, v in reasons.items() if k.endswith("copy-street.csv"))
    assert any("outcomes" in k for k in reasons)
    assert len(read_incidents(tmp_path / "store")) == 3


def test_store_cli_and_errors(month_csv, tmp_path, capsys):
    out = tmp_path / "store"
    assert main(["store", "build", str(month_csv), "--out", str(out)]) == 0
    assert "3 kept, 3 rejected" in capsys.readouterr().out
    with pytest.raises(InputError, match="not a crimedash store"):
        manifest(tmp_path)
    assert main(["store", "build", str(tmp_path / "missing"), "--out", str(out)]) == EXIT_REFUSED


def test_atoms_by_partition_equal_atoms_in_one_go(month_csv, tmp_path):
    """Counting each month partition and merging gives what counting every incident at
    once gives, in any order of the partitions (what a distributed build relies on)."""
    import numpy as np
    import pyarrow as pa

    from crimedash.storeread import ATOM_KEYS, atoms, merge_atoms, partial_atoms

    def unit_of(lat, lon):  # 0.01-degree squares: a unit key anyone can check by hand
        return (np.floor(lat * 100) * 100000 + np.floor(lon * 100)).astype(np.int64)

    out = tmp_path / "store"
    build_store([month_csv], out)
    by_partition = atoms(out, unit_of)
    whole = pa.Table.from_pandas(load_incidents(month_csv).incidents, preserve_index=False)
    at_once = merge_atoms([partial_atoms(whole, unit_of)])
    assert by_partition.equals(at_once)
    parts = [partial_atoms(t, unit_of) for _, t in read_batches(out)]
    assert merge_atoms(parts[::-1]).equals(by_partition)
    assert by_partition["n"].to_pylist() == [1, 1, 1]  # three incidents, three atoms
    # 2024-03 is month (2024 - 1970) * 12 + 2 = 650
    assert sorted(by_partition["month"].to_pylist()) == [650, 651, 651]
    assert by_partition.column_names == [*ATOM_KEYS, "n"]


def test_parquet_is_read_whole_not_cut_at_line_ends(tmp_path):
    """Only text tables are sliced; a Parquet file smaller or larger than a slice loads
    as the loader loads it."""
    import io

    src = pd.read_csv(io.StringIO(HEADER + ROWS), dtype=str, keep_default_na=False)
    path = tmp_path / "extract.parquet"
    src.to_parquet(path)
    summary = build_store([path], tmp_path / "store", batch_bytes=64)
    assert (summary.rows_read, summary.rows_kept) == (len(src), len(load_incidents(path).incidents))
    assert summary.files[0].batches == 1


def test_police_uk_zip_members_are_read_one_by_one(month_csv, tmp_path):
    import zipfile

    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(month_csv, "2024-03/2024-03-testshire-street.csv")
        zf.write(POLICE_UK / "2024-02-testshire-outcomes.csv", "2024-02/outcomes-x-outcomes.csv")
    summary = build_store([archive], tmp_path / "store")
    assert [f.name for f in summary.files] == [f"{archive}/2024-03/2024-03-testshire-street.csv"]
    assert (summary.rows_kept, summary.rows_rejected) == (3, 3)
    assert len(summary.skipped) == 1
