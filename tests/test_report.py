"""The review report: a privacy impact assessment a reviewer can read, the same text in
HTML and Markdown, no seed, nothing fetched from the network, and (in a real headless
Chromium) a page that renders with its map and charts.

The browser test saves a full-page screenshot to screenshots/ (git-ignored); with
CRIMEDASH_DOCS_SCREENSHOTS=1 it also refreshes docs/report-screenshot.png.
"""

from __future__ import annotations

import html
import os
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browserkit import CHROMIUM, chromium

from crimedash.approval import Approval
from crimedash.bundlewrite import REPORT_HTML, REPORT_MD
from crimedash.design import Design
from crimedash.export import export_bundle

ROOT = Path(__file__).resolve().parents[1]
SEED = 918273645
DESIGN = Design(granularity="areas:output_areas", min_count=3, noise_seed=SEED)
APPROVAL = Approval(
    reviewer="Sam Reviewer",
    role="Data protection officer",
    publisher="Ashbourne Vale Council",
    contact="crime-maps@ashbourne-vale.example",
    rationale="Output areas hold at least 40 households (¶19); monthly matches police.uk.",
    justification="Residents asked for monthly maps of their own streets.",
    next_review=date(2099, 6, 30),
)


@pytest.fixture(scope="module")
def bundle(sample_dataset, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "ashbourne-vale-2025-12"
    return export_bundle(sample_dataset, DESIGN, APPROVAL, out)


class _Text(HTMLParser):
    """The visible text of a page (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _visible(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def _markdown_fragments(md: str) -> list[str]:
    """The text pieces of the Markdown: headings, paragraphs, list items, table cells."""
    out = []
    for line in md.splitlines():
        line = line.strip()
        if not line or set(line) <= set("|-") or "____" in line:
            continue
        line = line.removesuffix(" (picture in report.html)")
        if line.startswith("|"):
            cells = re.split(r"(?<!\\) \| ", line.strip("| "))
            out += [c.replace("\\|", "|") for c in cells if c]
            continue
        line = re.sub(r"^(#+|-) ", "", line).replace("**", "").strip("*")
        out.append(line.removesuffix(":"))
    return out


def test_markdown_and_html_say_the_same(bundle: Path) -> None:
    md = (bundle / "review" / REPORT_MD).read_text()
    page = _visible((bundle / "review" / REPORT_HTML).read_text())
    fragments = _markdown_fragments(md)
    assert len(fragments) > 100
    missing = [f for f in fragments if re.sub(r"\s+", " ", f) not in page]
    assert missing == []


def test_the_report_reads_as_a_privacy_impact_assessment(bundle: Path) -> None:
    md = (bundle / "review" / REPORT_MD).read_text()
    for heading in (
        "# Privacy impact assessment: public crime map",
        "## What the map shows (¶22-23)",
        "## Who could identify someone: the attackers",
        "## What drives the score: factors",
        "## Likelihood x severity",
        "## Findings",
        "## What-ifs considered",
        "## Approval",
        "## Sign-off",
    ):
        assert heading in md
    for text in (
        "Register linker (¶10, ¶21, ¶36)",
        "Neighbour with local knowledge (¶34, ¶38)",
        APPROVAL.justification,
        APPROVAL.contact,
        "2099-06-30",
        "public/units.geojson",
    ):
        assert text in md
    findings = md.split("## Findings")[1].split("## What-ifs")[0]
    assert re.search(r"¶\d+", findings)  # findings cite the guidance
    assert str(SEED) not in md  # the seed stays in the manifest
    design = md.split("## The design")[1]
    # the design shows every category: said in words, not as "none"
    assert re.search(r"categories\s*\|\s*all categories shown", design), design[:600]


def test_the_html_fetches_nothing(bundle: Path) -> None:
    page = (bundle / "review" / REPORT_HTML).read_text()
    assert not re.findall(r"""(?:src|href)\s*=\s*["'](?!data:)""", page)
    assert "@import" not in page and "url(" not in page
    assert page.count('src="data:image/png;base64,') == 4  # map, attackers, factors, matrix
    assert str(SEED) not in html.unescape(page)


@pytest.mark.browser
def test_the_report_renders_offline_in_headless_chromium(bundle: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian chromium not found at {CHROMIUM} (apt-get install chromium)")

    fetched: list[str] = []

    def only_local(route) -> None:
        url = route.request.url
        fetched.append(url)
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            route.abort()

    shots = ROOT / "screenshots"
    shots.mkdir(exist_ok=True)
    with chromium(tmp_path / "profile", width=1100, height=1500) as page:
        page.route("**/*", only_local)
        page.goto((bundle / "review" / REPORT_HTML).as_uri())
        page.wait_for_load_state("load")
        assert page.title().startswith("Privacy impact assessment")
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        assert len(images) == 4
        assert all(done and width > 100 for done, width in images)
        for name in ("Findings", "What-ifs considered", "Approval", "Sign-off"):
            assert page.get_by_role("heading", name=name, exact=True).count() == 1
        banner = page.locator("p.banner")
        assert "AMBER" in banner.inner_text() or "RED" in banner.inner_text()
        page.screenshot(path=str(shots / "report.png"), full_page=True)
        if os.environ.get("CRIMEDASH_DOCS_SCREENSHOTS") == "1":
            page.screenshot(path=str(ROOT / "docs" / "report-screenshot.png"))
    assert [u for u in fetched if not u.startswith(("file:", "data:"))] == []
    assert (shots / "report.png").stat().st_size > 50_000
