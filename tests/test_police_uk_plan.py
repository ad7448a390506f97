"""police.uk's own publication as a default product of the plan (crimedash/plan.py,
crimedash/planrisk.py): when the incidents came from police.uk street-level files,
police.uk has already published them by snap point, month and crime type, so the plan
is read with it and judged on what it proves beyond it (ICO guidance ¶36-37).

Hand-checked on three tiny police.uk-shaped files, then on the sample city's police.uk
files, the CLI and the export, and on a real City of London month."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crimedash.approval import Approval
from crimedash.bundlewrite import MANIFEST, REPORT_MD
from crimedash.cli import main
from crimedash.dataset import load_dataset
from crimedash.design import Design
from crimedash.differencing import differencing
from crimedash.errors import ExportError
from crimedash.export import export_bundle
from crimedash.layer import apply_design
from crimedash.plan import Plan, from_police_uk, police_uk_product
from crimedash.planrisk import plan_risk
from crimedash.risk import evaluate

HEADER = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
MONTHLY = Design(granularity="h3:7", min_count=3, totals=False)
QUARTERLY = MONTHLY.with_(frequency="quarterly", time_precision="quarter")
APPROVAL = Approval(
    reviewer="Sam Reviewer",
    publisher="Testshire Council",
    contact="crime-maps@testshire.example",
    next_review="2099-01-01",
)
SAMPLE_PUK = Path(__file__).resolve().parents[1] / "sample_data" / "police_uk"


def _write_months(folder: Path, burglaries: dict[str, int]) -> list[Path]:
    """One police.uk street file per month, every burglary at one snap point."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for month, k in burglaries.items():
        p = folder / f"{month}-testshire-street.csv"
        with p.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(HEADER)
            for i in range(k):
                w.writerow([f"id{month}{i}", month, "Testshire Police", "Testshire Police",
                            "-1.150000", "52.950000", "On or near Elm Road", "E01000001",
                            "Testshire 001A", "Burglary", "Under investigation", ""])  # fmt: skip
        paths.append(p)
    return paths


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """January 2, February 5, March 4 burglaries at one snap point: 11 at homes (police.uk's
    'On or near' is a street, so the place may be a home)."""
    folder = tmp_path_factory.mktemp("puk")
    paths = _write_months(folder, {"2024-01": 2, "2024-02": 5, "2024-03": 4})
    return load_dataset([str(p) for p in paths])


def test_police_uk_files_are_recognised_and_other_files_are_not(tiny, sample_dataset):
    assert from_police_uk(tiny.loaded.files)
    assert not from_police_uk(sample_dataset.loaded.files)  # the force's own incidents.csv
    assert not from_police_uk([])
    mixed = load_dataset(
        [str(SAMPLE_PUK / "2024-01-sample-street.csv"), sample_dataset.loaded.files[0].name]
    )
    assert not from_police_uk(mixed.loaded.files)  # one file that is not police.uk's


def test_police_uk_alone_proves_what_the_design_suppresses_and_the_plan_adds_nothing(tiny):
    """Monthly min 3 hides January's 2. police.uk publishes January's 2 exactly, so police.uk
    alone proves them: the plan with police.uk scores the map's own score + 100 x 2/11,
    and beyond police.uk it adds nothing, so its score is the map's own."""
    index = tiny.index
    own = float(evaluate(index, MONTHLY).score)
    risk = plan_risk(index, Plan((MONTHLY,), police_uk=True))
    puk = risk.police_uk
    assert puk is not None
    assert puk.alone.suppressed_homes == 2
    assert (puk.alone.proven_homes, puk.alone.exact_homes) == (2, 2)
    assert puk.together.proven_homes == 2 and puk.beyond_homes == 0 and puk.beyond_cells == 0
    assert puk.score_with == pytest.approx(own + 100 * 2 / 11)
    assert puk.score_beyond == pytest.approx(own) == pytest.approx(risk.score)
    assert not any("prove" in r for r in risk.reasons)
    assert "police.uk alone proves 2 of this design's 2" in puk.sentence()


def test_monthly_plus_quarterly_proves_nothing_beyond_police_uk(tiny):
    """Without police.uk, monthly min 3 + the quarter (11) prove January: 11 - 5 - 4 = 2,
    and hold the plan at amber. police.uk already shows January's 2, so beyond it the
    plan proves nothing; turning the baseline off gives the old reading back."""
    index = tiny.index
    plain = plan_risk(index, Plan((MONTHLY, QUARTERLY)))
    assert (plain.differencing.proven_homes, plain.differencing.exact_homes) == (2, 2)
    assert plain.police_uk is None and any("prove 1 cells" in r for r in plain.reasons)
    risk = plan_risk(index, Plan((MONTHLY, QUARTERLY), police_uk=True))
    assert risk.police_uk.together.proven_homes == 2 and risk.police_uk.beyond_homes == 0
    assert risk.score == pytest.approx(plain.score - 100 * 2 / 11)
    assert risk.police_uk.score_with == pytest.approx(plain.score)
    off = MONTHLY.with_(police_uk_baseline=False)
    again = plan_risk(index, Plan((off, QUARTERLY), police_uk=True))
    assert again.police_uk is None and again.score == pytest.approx(plain.score)


def test_the_others_alone_leave_out_the_first_products_cells(tiny):
    """The quarter alone (11) does not prove January non-empty (February and March might
    hold all 11); with the monthly map's own cells (5 and 4) it does."""
    index = tiny.index
    m, q = apply_design(index, MONTHLY), apply_design(index, QUARTERLY)
    assert differencing(index, [m, q], use_first=False).proven_homes == 0
    assert differencing(index, [m, q]).proven_homes == 2


@pytest.mark.parametrize(
    "design",
    [
        Design(granularity="h3:9", min_count=3),
        Design(granularity="areas:output_areas", min_count=5, totals=False),
        Design(
            granularity="adaptive:20", min_count=3, frequency="quarterly", time_precision="quarter"
        ),
        Design(granularity="h3:8", counts="rounded", round_base=5),
    ],
)
def test_on_the_sample_citys_police_uk_files_police_uk_shows_every_suppressed_cell(design):
    """Every cell of a design of police.uk's own data is a sum of police.uk's exact
    (unit, month, crime type) counts, so police.uk alone proves every suppressed incident
    at a home exactly, and no plan of these files proves anything beyond it. The plan
    takes that as read (`differencing.pinned`); the full differencing attacker, given
    police.uk's product, gets the same figures."""
    ds = _sample_puk()
    quarterly = design.with_(frequency="quarterly", time_precision="quarter", min_count=3)
    risk = plan_risk(ds.index, Plan((design, quarterly), police_uk=True))
    puk = risk.police_uk
    # the plan's reading (police.uk pins every unknown) is what the full attacker gets
    layers = [apply_design(ds.index, d) for d in (design, quarterly)]
    product = apply_design(ds.index, police_uk_product(design, ds.index.categories))
    alone = differencing(ds.index, [layers[0], product], use_first=False)
    together = differencing(ds.index, [*layers, product])
    for got, full in ((puk.alone, alone), (puk.together, together)):
        assert (got.suppressed_homes, got.proven_homes, got.exact_homes, got.proven_cells) == (
            full.suppressed_homes,
            full.proven_homes,
            full.exact_homes,
            full.proven_cells,
        )
    assert puk.alone.suppressed_homes > 0
    assert puk.alone.proven_homes == puk.alone.exact_homes == puk.alone.suppressed_homes
    assert puk.beyond_homes == 0 and puk.beyond_cells == 0
    assert puk.score_with >= puk.score_beyond == risk.score
    assert risk.score == pytest.approx(max(p["score"] for p in risk.products), abs=0.01)


_SAMPLE: dict = {}


def _sample_puk():
    """Three months of the sample city's police.uk files, with its households and output
    areas (loaded once)."""
    if not _SAMPLE:
        root = SAMPLE_PUK.parent
        _SAMPLE["ds"] = load_dataset(
            [str(SAMPLE_PUK / f"2024-0{m}-sample-street.csv") for m in (1, 2, 3)],
            households=str(root / "households.csv"),
            areas={"output_areas": str(root / "output_areas.geojson")},
        )
    return _SAMPLE["ds"]


def test_the_police_uk_product_is_exact_counts_of_every_crime_type_by_month(tiny):
    d = police_uk_product(Design(granularity="adaptive:20", min_unit_area_m2=5000.0), ["A", "B"])
    assert (d.granularity, d.min_unit_area_m2) == ("adaptive:20", 5000.0)
    assert (d.counts, d.min_count, d.totals, d.window_level) == ("exact", 0, False, "month")
    assert d.grouping == (("A", "A"), ("B", "B"))


def test_assess_and_attack_show_both_scores(tiny, capsys):
    files = [f.name for f in tiny.loaded.files]
    args = ["--granularity", "h3:7", "--min-count", "3", "--no-totals"]
    assert main(["assess", *files, *args, "--json", "--no-what-ifs"]) == 0
    out = json.loads(capsys.readouterr().out)
    puk = out["plan"]["police_uk"]
    assert puk["proven_homes_by_police_uk_alone"] == 2 and puk["beyond_homes"] == 0
    assert puk["score_with_police_uk"] > puk["score_beyond_police_uk"] == out["plan"]["score"]
    assert main(["assess", *files, *args, "--json", "--no-what-ifs",
                 "--no-police-uk-baseline"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["plan"] is None
    assert main(["attack", *files, *args]) == 0
    text = capsys.readouterr().out
    assert "police.uk alone proves 2" in text and "beyond police.uk" in text


def test_export_judges_what_the_plan_proves_beyond_police_uk(tiny, tmp_path: Path):
    """The monthly map plus the quarter prove January: refused as a plan of the
    design's own products, allowed (with a justification for the plan's own amber) once
    read beside police.uk, which already shows January; the manifest and the report say
    both figures."""
    ok = Approval(**{**APPROVAL.to_dict(), "justification": "Plan reviewed on purpose."})
    off = MONTHLY.with_(police_uk_baseline=False)
    with pytest.raises(ExportError) as info:
        export_bundle(tiny, off, APPROVAL, tmp_path / "refused", also=[QUARTERLY])
    assert "read together" in str(info.value).lower()
    out = export_bundle(tiny, MONTHLY, ok, tmp_path / "b", also=[QUARTERLY])
    manifest = json.loads((out / "review" / MANIFEST).read_text())
    puk = manifest["release_plan"]["risk"]["police_uk"]
    assert puk["proven_homes_by_police_uk_alone"] == 2 and puk["beyond_homes"] == 0
    report = (out / "review" / REPORT_MD).read_text()
    assert "police.uk already publishes these incidents" in report
    assert "beyond police.uk" in report


@pytest.mark.real_data
def test_a_city_of_london_month_is_read_beside_police_uk(real_data):
    """A real month: police.uk's own publication proves every incident at a home that
    output-area-sized hexagons at min count 3 suppress, and the design adds nothing."""
    month = real_data / "police_uk" / "city-of-london" / "2024-06-city-of-london-street.csv"
    ds = load_dataset([str(month)])
    assert from_police_uk(ds.loaded.files)
    risk = plan_risk(ds.index, Plan((Design(granularity="h3:9", min_count=3),), police_uk=True))
    puk = risk.police_uk
    assert puk.alone.suppressed_homes > 0
    assert puk.alone.exact_homes == puk.alone.suppressed_homes and puk.beyond_homes == 0
    assert puk.score_with > puk.score_beyond
