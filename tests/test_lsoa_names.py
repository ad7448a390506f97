"""police.uk's LSOA names: kept through loading as context for the analyst's tooltip
("mostly in Sampleton 012A") and never published (issue 14 item 1)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crimedash import schema as S
from crimedash import viz
from crimedash.approval import Approval
from crimedash.dataset import load_dataset
from crimedash.design import Design, parse_granularity
from crimedash.export import export_bundle
from crimedash.layer import apply_design
from crimedash.load import load_incidents
from crimedash.sample import sample_paths
from crimedash.units import units_for
from crimedash.viz.places import most_common, place_names

APPROVAL = Approval(
    reviewer="Sam Reviewer",
    role="Data protection officer",
    publisher="Sampleton Council",
    contact="crime-maps@sampleton.example",
    rationale="Counts by hexagon and month tell residents where crime is, not whom it was.",
    justification="Synthetic sample data; publishing is needed for the test.",
    next_review=date(2099, 1, 1),
)


def _police_uk_files() -> list[Path]:
    return sorted(sample_paths()["police_uk_dir"].glob("*.csv"))[:3]


def _input_names(files: list[Path]) -> set[str]:
    return {
        n
        for f in files
        for n in pd.read_csv(f, dtype=str, keep_default_na=False)["LSOA name"]
        if n.strip()
    }


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(_police_uk_files())


def test_the_loader_keeps_police_uk_lsoa_names_as_dense_codes():
    files = _police_uk_files()
    r = load_incidents(files)
    names = r.incidents[S.LSOA_NAME]
    assert isinstance(names.dtype, pd.CategoricalDtype)  # codes, not a string per row
    raw = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])
    kept = raw[raw["Longitude"].str.strip() != ""]["LSOA name"].str.strip()
    assert len(kept) == len(names)  # the sample has no other kind of rejected row
    assert names.astype(str).tolist() == kept.tolist()


def test_a_file_without_lsoa_names_has_none_and_mixed_inputs_keep_both(tmp_path):
    plain = sample_paths()["incidents"]
    assert S.LSOA_NAME not in load_incidents([plain]).incidents
    mixed = load_incidents([plain, _police_uk_files()[0]]).incidents
    from_plain = mixed[S.SOURCE_FILE] == str(plain)
    assert mixed.loc[from_plain, S.LSOA_NAME].isna().all()
    assert mixed.loc[~from_plain, S.LSOA_NAME].notna().all()


@given(
    st.lists(st.tuples(st.integers(-1, 6), st.integers(-1, 4)), max_size=60),
    st.booleans(),
)
def test_most_common_is_each_units_modal_code(pairs, sparse):
    unit = np.array([p[0] for p in pairs], dtype=np.int64)
    code = np.array([p[1] for p in pairs], dtype=np.int64)
    if sparse:  # the path national data takes (unit x code too big for a bincount)
        import crimedash.viz.places as places

        old, places._DENSE_PAIRS = places._DENSE_PAIRS, 0
        try:
            got = most_common(unit, code, 7, 5)
        finally:
            places._DENSE_PAIRS = old
    else:
        got = most_common(unit, code, 7, 5)
    for u in range(7):
        seen = code[(unit == u) & (code >= 0)]
        if not len(seen):
            assert got[u] == -1
        else:
            counts = np.bincount(seen, minlength=5)
            assert got[u] == int(np.flatnonzero(counts == counts.max())[0])


def test_the_tooltip_names_the_lsoa_most_of_a_units_incidents_are_in(dataset):
    index = dataset.index
    assert not index.areas and index.lsoa_names  # no areas layer names the units
    frame = dataset.loaded.incidents
    units = units_for(index, parse_granularity("h3:8"), 30.0)
    codes = np.unique(units.incident_unit[units.incident_unit >= 0])
    lat, lon = units.centres(index, codes)
    places = place_names(index, units, codes, lat, lon)
    modal = (
        pd.DataFrame({"unit": units.incident_unit, "name": frame[S.LSOA_NAME].astype(str)})
        .groupby("unit")["name"]
        .agg(lambda s: s.value_counts().sort_index(kind="stable").idxmax())
    )
    for c, place in zip(codes.tolist(), places, strict=True):
        assert place == f"mostly in {modal[c]}"
    assert ("lsoa_mode", id(units)) in index.cache  # counted once per units, not per redraw
    assert place_names(index, units, codes, lat, lon) == places

    deck = viz.public_deck(index, apply_design(index, Design(granularity="h3:8")))
    rows = next(ly for ly in json.loads(deck.to_json())["layers"] if ly["id"] == "public-units")
    shown = [row["place"] for row in rows["data"]]
    assert shown and all(p.startswith("mostly in ") for p in shown)
    assert {p.removeprefix("mostly in ") for p in shown} <= set(index.lsoa_names)


def _bundle_texts(out: Path) -> dict[str, str]:
    """Every file the export wrote, as text; zips opened member by member."""
    texts: dict[str, str] = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for m in z.namelist():
                    texts[f"{path.name}/{m}"] = z.read(m).decode("utf-8", "replace")
        else:
            texts[str(path.relative_to(out))] = data.decode("utf-8", "replace")
    return texts


@pytest.mark.parametrize("granularity", ["h3:8", "adaptive:20"])
def test_no_exported_file_holds_an_lsoa_name(dataset, tmp_path, granularity):
    """The names are the analyst's context only: not in the units/counts files, the
    public GeoJSON, the manifest or the reviewer's report."""
    names = _input_names(_police_uk_files())
    assert len(names) > 20 and dataset.index.lsoa_names  # the scan has teeth
    out = export_bundle(
        dataset, Design(granularity=granularity, min_count=3), APPROVAL, tmp_path / "b"
    )
    texts = _bundle_texts(out)
    assert any(k.endswith(".geojson") for k in texts) and len(texts) > 5
    # parquet columns are compressed: read them back as tables and scan their text too
    import pyarrow.parquet as pq

    for k, t in list(texts.items()):
        if k.endswith(".parquet"):
            data = (out / k).read_bytes() if (out / k).exists() else None
            if data is not None:
                texts[k] = t + pq.read_table(io.BytesIO(data)).to_pandas().to_csv()
    found = [(k, n) for k, t in texts.items() for n in names if n in t]
    assert found == []


@pytest.mark.real_data
def test_real_city_of_london_units_are_named_by_their_lsoa(real_data: Path):
    ds = load_dataset(
        sorted((real_data / "police_uk" / "city-of-london").rglob("*street*.csv"))[:2]
    )
    layer = apply_design(ds.index, Design(granularity="h3:8"))
    deck = viz.public_deck(ds.index, layer)
    rows = next(ly for ly in json.loads(deck.to_json())["layers"] if ly["id"] == "public-units")
    assert any(r["place"].startswith("mostly in City of London") for r in rows["data"])


def test_a_store_keeps_no_lsoa_names_and_its_tooltip_still_names_places(tmp_path):
    """The columnar store writes the canonical columns only: no names, no crash."""
    from crimedash.store import build_store

    build_store(_police_uk_files()[:1], tmp_path / "store")
    ds = load_dataset(tmp_path / "store")
    assert ds.index.lsoa_names == () and S.LSOA_NAME not in ds.loaded.incidents
    deck = viz.public_deck(ds.index, apply_design(ds.index, Design(granularity="h3:8")))
    rows = next(ly for ly in json.loads(deck.to_json())["layers"] if ly["id"] == "public-units")
    assert rows["data"] and all(r["place"].startswith("around ") for r in rows["data"])
