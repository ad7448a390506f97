"""Reading files side by side (crimedash/load/pipeline.py) changes nothing a user sees.

Two loader threads read, hash and check files at once; every result is taken back in
the files' order. These tests hold the threaded load to the one-file-at-a-time load,
and the coordinates pyarrow converts while it splits to the same coordinates checked
as text, value by value.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loadkit import FEB, JAN, accounted_for

from crimedash import schema
from crimedash.errors import InputError
from crimedash.load import delimited, load_incidents, pipeline
from crimedash.load.incidents import load_part


def test_results_come_back_in_order_whatever_finishes_first():
    """The first item is the slowest; it is still the first result, and an item that
    raises hands its error back in its place instead of stopping the others."""

    def work(i: int) -> int:
        if i == 0:
            time.sleep(0.2)
        if i == 3:
            raise ValueError("three")
        return i * 10

    seen_threads: set[str] = set()

    def traced(i: int) -> int:
        seen_threads.add(threading.current_thread().name)
        return work(i)

    outcomes = list(pipeline.ordered(traced, range(6), workers=2))
    assert [o.item for o in outcomes] == list(range(6))
    assert [o.value for o in outcomes] == [0, 10, 20, None, 40, 50]
    assert isinstance(outcomes[3].error, ValueError)
    with pytest.raises(ValueError, match="three"):
        outcomes[3].get()
    assert all(name.startswith("crimedash-load") for name in seen_threads)
    # one worker: the plain loop in this thread
    plain = list(pipeline.ordered(traced, range(3), workers=1))
    assert [o.value for o in plain] == [0, 10, 20]


def _folder(tmp_path: Path) -> Path:
    """Two police.uk months, a copy of one under another name, and a file with bad
    rows of several kinds."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(JAN, folder / JAN.name)
    shutil.copy(FEB, folder / FEB.name)
    shutil.copy(JAN, folder / "2024-01-copy-street.csv")
    (folder / "2024-03-bad-street.csv").write_text(
        "Crime ID,Month,Longitude,Latitude,Location,Crime type\n"
        "a,2024-03,-0.1,51.5,On or near High Street,Burglary\n"
        "b,2024-03,,,No Location,Robbery\n"
        "c,2024-13,-0.1,51.5,On or near Park,Drugs\n"
        "d,2024-03,-0.1,95.000000,On or near Mill Lane,Drugs\n"
        'e,2024-03,"-0.2",x,On or near Station Road,Shoplifting\n'
    )
    return folder


def test_threaded_load_equals_one_file_at_a_time(tmp_path, monkeypatch):
    folder = _folder(tmp_path)
    threaded = load_incidents([folder])
    monkeypatch.setattr(pipeline, "WORKERS", 1)
    single = load_incidents([folder])
    pd.testing.assert_frame_equal(threaded.incidents, single.incidents)
    pd.testing.assert_frame_equal(threaded.rejected, single.rejected)
    assert threaded.files == single.files
    assert threaded.skipped_files == single.skipped_files
    assert threaded.findings == single.findings
    accounted_for(threaded)
    assert any("identical to" in why for _, why in threaded.skipped_files)


def test_location_types_classified_across_files_equal_each_file_alone(tmp_path):
    """A load classifies every file's distinct location texts together, after reading
    them (validate.classify_parts); each file's types and unrecognised texts are those
    it gets alone (load_part classifies one file's own)."""
    folder = _folder(tmp_path)
    (folder / "2024-04-other-street.csv").write_text(
        "Crime ID,Month,Longitude,Latitude,Location,Crime type\n"
        "f,2024-04,-0.1,51.5,On or near Supermarket,Burglary\n"
        "g,2024-04,-0.1,51.5,Somewhere odd,Robbery\n"
        "h,2024-04,-0.1,51.5,Leeds (Station),Drugs\n"
        "i,2024-04,-0.1,51.5,Somewhere odd,Drugs\n"
    )
    result = load_incidents([folder])
    unrecognised: dict[str, int] = {}
    for f in result.files:
        part, _ = load_part(f.name, Path(f.name).read_bytes())
        mine = result.incidents[result.incidents[schema.SOURCE_FILE] == f.name]
        assert (
            mine[schema.LOCATION_TYPE].tolist() == part.incidents[schema.LOCATION_TYPE].to_pylist()
        )
        for text, n in part.unrecognised_location.items():
            unrecognised[text] = unrecognised.get(text, 0) + n
    assert result.unrecognised_location_types == unrecognised
    assert unrecognised["Somewhere odd"] == 2


def test_a_copy_is_skipped_even_when_its_name_would_make_it_unreadable(tmp_path):
    """Files are read before the duplicate check now, so reading the copy may fail (as
    .tsv, a comma file has one column): the copy is still skipped as identical, as it
    was when it was never read, and the first file's rows are loaded."""
    first = tmp_path / "a.csv"
    shutil.copy(JAN, first)
    copy = tmp_path / "b.tsv"
    shutil.copy(JAN, copy)
    with pytest.raises(InputError, match="does not look like a table"):
        load_incidents([copy])
    result = load_incidents([first, copy])
    assert dict(result.skipped_files)[str(copy)].startswith("identical to")
    assert result.rows_read == load_incidents([first]).rows_read


def test_the_first_unreadable_file_is_the_error_raised(tmp_path):
    good = tmp_path / "a.csv"
    shutil.copy(JAN, good)
    (tmp_path / "b.csv").write_text("just one column\nx\n")
    (tmp_path / "c.csv").write_text("")
    with pytest.raises(InputError) as err:
        load_incidents([good, tmp_path / "b.csv", tmp_path / "c.csv"])
    assert err.value.file == str(tmp_path / "b.csv")


_COORDINATE = st.one_of(
    st.sampled_from(
        ["", "53.45", "-2.3", "95.000000", "-181", "NaN", "inf", "1e400", " 53.4", "53,45"]
    ),
    st.floats(-200, 200, allow_nan=False).map(lambda v: f"{v:.6f}"),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(_COORDINATE, _COORDINATE), min_size=1, max_size=12))
def test_coordinates_read_as_numbers_equal_coordinates_read_as_text(rows, monkeypatch):
    """Whatever a coordinate column holds, the reader's float conversion (used when
    every value is a plain number in range) gives exactly what checking the text gives:
    the same rows kept, the same rejections quoting the same text."""
    body = "".join(f'2024-03,"{x}","{y}",On or near A Road,Burglary\n' for x, y in rows)
    data = ("Month,Longitude,Latitude,Location,Crime type\n" + body).encode()
    fast = load_incidents([("2024-03-x-street.csv", data)])
    with monkeypatch.context() as m:
        m.setattr(delimited, "_coordinate_columns", lambda mapping, include: [])
        text = load_incidents([("2024-03-x-street.csv", data)])
    pd.testing.assert_frame_equal(fast.incidents, text.incidents)
    pd.testing.assert_frame_equal(fast.rejected, text.rejected)


def test_loading_pool_is_put_back_after_loads_nested_or_failing(monkeypatch):
    """The loader's memory pool is in force only while loading: the earlier default
    comes back after a load, after one that raises, and only when the last of
    several overlapping loads ends."""
    import pyarrow as pa

    before = pa.default_memory_pool().backend_name
    monkeypatch.setattr(pipeline, "LOAD_POOL", "system")
    with pipeline.loading_memory_pool():
        assert pa.default_memory_pool().backend_name == "system"
        with pipeline.loading_memory_pool():
            pass
        assert pa.default_memory_pool().backend_name == "system"  # the outer load goes on
    assert pa.default_memory_pool().backend_name == before
    with pytest.raises(ValueError), pipeline.loading_memory_pool():
        raise ValueError("a file that cannot be read")
    assert pa.default_memory_pool().backend_name == before
    monkeypatch.setattr(pipeline, "LOAD_POOL", "default")
    with pipeline.loading_memory_pool():
        assert pa.default_memory_pool().backend_name == before


@pytest.mark.parametrize("workers", [1, 2])
def test_hash_beside_the_parse_is_the_files_sha256(monkeypatch, workers: int):
    """Hashed in a thread or at once, a file's digest is hashlib's."""
    import hashlib

    monkeypatch.setattr(pipeline, "WORKERS", workers)
    for data in (b"", b"a,b\n1,2\n", bytes(range(256)) * 4096):
        assert pipeline.sha256_beside(data)() == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("workers", [1, 2])
def test_beside_gives_the_result_or_raises_its_error_when_asked(monkeypatch, workers: int):
    """Run in a thread or at once, `beside` hands back fn's value, and fn's error only
    when the result is asked for (so the caller's own work comes first)."""
    monkeypatch.setattr(pipeline, "WORKERS", workers)
    ran_in: list[str] = []

    def value() -> int:
        ran_in.append(threading.current_thread().name)
        return 42

    def broken() -> int:
        raise InputError("no such file", hint="give another")

    assert pipeline.beside(value)() == 42
    threaded = ran_in[0] != threading.current_thread().name
    assert threaded == (workers > 1)
    get = pipeline.beside(broken)
    with pytest.raises(InputError, match="no such file"):
        get()


_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context\n"
)


def _alike_folder(tmp_path: Path) -> Path:
    """police.uk months with one header, each with something of its own to find: no
    location, swapped axes, a date after its month, a copy, other LSOA names; then a
    file with another header and one whose coordinates must be read as text."""
    folder = _folder(tmp_path)

    def month(name: str, rows: list[str]) -> None:
        (folder / name).write_text(_HEADER + "".join(r + "\n" for r in rows))

    force = "Testshire Police,Testshire Police"
    month(
        "2024-04-swapped-street.csv",
        [
            f"s{i},2024-04,{force},53.4{i},-2.3{i},On or near Road,E1,Town 00{i}A,Drugs,,"
            for i in range(5)
        ],
    )
    month(
        "2024-05-late-street.csv",
        [
            f"l1,2024-05,{force},-1.5,52.5,On or near Lane,E2,Other 001A,Burglary,,",
            f"l2,2024-07,{force},-1.5,52.5,Somewhere odd,E2, Other 001A ,Robbery,,",
            f",2024-05,{force},,,No Location,,,Anti-social behaviour,,",
            f"l4,2024-05,{force},-1.6,52.6,On or near Supermarket,E3,,Drugs,,",
        ],
    )
    shutil.copy(FEB, folder / "2024-06-again-street.csv")
    month("2024-07-empty-street.csv", [f",2024-07,{force},,,No Location,,,Drugs,,"])
    return folder


def test_files_validated_together_equal_each_file_validated_alone(tmp_path, monkeypatch):
    """Alike files of a group are validated as one table (validate.validate_files):
    the frames, rejected rows (file, row, column and value), summaries, findings and
    unrecognised texts are those of validating each file alone."""
    from crimedash.load import incidents, validate

    folder = _alike_folder(tmp_path)
    together_calls: list[int] = []
    real = validate.validate_files

    def spy(table, mapping, segments):
        together_calls.append(len(segments))
        return real(table, mapping, segments)

    monkeypatch.setattr(incidents, "validate_files", spy)
    together = load_incidents([folder])
    assert together_calls and max(together_calls) >= 4  # the months did go together
    monkeypatch.setattr(incidents, "GROUP_FILES", 1)
    together_calls.clear()
    alone = load_incidents([folder])
    assert not together_calls
    pd.testing.assert_frame_equal(together.incidents, alone.incidents)
    pd.testing.assert_frame_equal(together.rejected, alone.rejected)
    assert together.files == alone.files
    assert together.skipped_files == alone.skipped_files
    assert together.findings == alone.findings
    assert list(together.unrecognised_location_types.items()) == list(
        alone.unrecognised_location_types.items()
    )
    assert together.time_precision == alone.time_precision
    accounted_for(together)
    # what each file has of its own is said of that file
    assert any(
        "2024-04-swapped-street.csv: latitude and longitude are swapped" in f
        for f in together.findings
    )
    assert any(
        f.startswith(f"{folder / '2024-05-late-street.csv'}: 1 rows are dated after")
        for f in together.findings
    )
    late = together.rejected[together.rejected[schema.REJ_FILE].str.endswith("late-street.csv")]
    assert late[schema.REJ_ROW].tolist() == [3]


@pytest.mark.parametrize("group", [2, 3, 16])
def test_a_copy_or_an_error_inside_a_group_is_the_one_by_one_loops(tmp_path, monkeypatch, group):
    """A copy of a file of its own group is skipped (its group-mates are then checked
    one by one), and the first unreadable file is the error raised, as file by file."""
    from crimedash.load import incidents

    folder = _alike_folder(tmp_path)
    shutil.copy(folder / "2024-04-swapped-street.csv", folder / "2024-04-twin-street.csv")
    monkeypatch.setattr(incidents, "GROUP_FILES", group)
    grouped = load_incidents([folder])
    monkeypatch.setattr(incidents, "GROUP_FILES", 1)
    single = load_incidents([folder])
    pd.testing.assert_frame_equal(grouped.incidents, single.incidents)
    pd.testing.assert_frame_equal(grouped.rejected, single.rejected)
    assert grouped.files == single.files and grouped.findings == single.findings
    assert "2024-04-twin-street.csv" in str(grouped.skipped_files)
    (folder / "2024-05-zz-street.csv").write_text("just one column\nx\n")
    monkeypatch.setattr(incidents, "GROUP_FILES", group)
    with pytest.raises(InputError) as err:
        load_incidents([folder])
    assert err.value.file == str(folder / "2024-05-zz-street.csv")
