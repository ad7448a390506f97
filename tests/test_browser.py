"""The whole page in a real browser: headless Debian Chromium (Playwright) against
`streamlit run app.py`. The page draws the map and the score without any network
beyond the app itself; changing the update frequency changes the score; screenshots of
the main views go to screenshots/ (git-ignored) for a person to look at."""

from __future__ import annotations

import io
from contextlib import contextmanager

import pytest
from browserkit import (
    CHROMIUM,
    MAP_CANVAS,
    ROOT,
    choose,
    chromium,
    score_shown,
    score_text,
    streamlit_server,
    wait_idle,
    wait_map,
    wait_score_change,
    watched,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt install chromium)"
    ),
]
SHOTS = ROOT / "screenshots"


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    url = server
    with chromium(tmp_path_factory.mktemp("chromium")) as pg:
        requests: list[str] = []
        pg.on("request", lambda r: requests.append(r.url))
        pg.goto(url)
        wait_map(pg)
        wait_idle(pg)
        pg.app_url = url  # type: ignore[attr-defined]
        pg.outside_requests = [  # type: ignore[attr-defined]
            u for u in requests if not u.startswith((url, "data:", "blob:"))
        ]
        yield pg


def shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.wait_for_timeout(800)  # let deck.gl finish drawing
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def checked(page, group: str) -> str:
    """The label of the option a radio group shows chosen."""
    return (
        page.get_by_role("radiogroup", name=group).locator("label:has(input:checked)").inner_text()
    )


def map_colours(page) -> int:
    """Distinct colours in the first map's canvas: a blank map has one or two."""
    from PIL import Image

    png = page.locator("[data-testid='stDeckGlJsonChart']").first.screenshot()
    return len(Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 20) or [])


def test_page_draws_the_map_and_the_score_offline(page):
    assert float(score_text(page)) > 0
    assert page.locator(MAP_CANVAS).count() > 0
    assert map_colours(page) > 10
    assert page.outside_requests == []  # no tiles, no CDN
    shoot(page, "dashboard")


def test_changing_the_update_frequency_changes_the_score(page):
    before, shown = score_text(page), score_shown(page)
    choose(page, "Update frequency", "Weekly")
    wait_score_change(page, shown)
    wait_idle(page)
    assert score_text(page) != before
    assert "frequency=weekly" in page.url  # the link now shares the design
    # what a failure's diagnosis reports: the change, as the browser sent it
    assert any("frequency='Weekly'" in line for line in page.reruns_sent)
    shoot(page, "weekly")


@pytest.mark.parametrize(
    ("group", "option", "name", "says"),
    [
        ("Map style", "Smooth heat map", "heat", "smooths these counts"),
        ("View", "Risk view", "risk", "most exposed incident is linked"),
        ("View", "Table", "table", "The public layer for"),
    ],
)
def test_map_views(page, group, option, name, says):
    choose(page, group, option)
    page.get_by_text(says).first.wait_for(timeout=60_000)
    wait_idle(page)
    if name != "table":
        page.wait_for_timeout(500)
        assert map_colours(page) > 10
    shoot(page, name)
    if name == "table":
        assert page.locator("[data-testid='stDataFrame']").count() > 0


def test_compare_and_data_tabs(page):
    choose(page, "View", "Public map")
    page.get_by_role("button", name="Pin this design").click()
    wait_idle(page)
    before = score_shown(page)
    choose(page, "Update frequency", "Quarterly")
    choose(page, "Time shown for each incident", "Quarter")
    wait_score_change(page, before)
    wait_idle(page)
    page.get_by_role("tab", name="Compare").click()
    page.locator("[data-testid='stMetric']:has-text('pinned design')").wait_for(timeout=60_000)
    wait_idle(page)
    pair = page.locator("[data-testid='stDeckGlJsonChart']").nth(1)
    pair.wait_for(timeout=60_000)
    assert page.locator("[data-testid='stDeckGlJsonChart']").count() == 2  # map + the pair
    pair.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    shoot(page, "compare")
    before = pair.screenshot()
    box = pair.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 40, steps=8)
    page.mouse.up()
    page.wait_for_timeout(800)
    assert pair.screenshot() != before  # one drag moves the one camera of both maps
    page.get_by_role("tab", name="Frontier").click()
    page.get_by_text("Compute the frontier").click()
    page.get_by_text("The swept designs as a table").wait_for(timeout=120_000)
    wait_idle(page)
    shoot(page, "frontier")
    page.get_by_role("tab", name="Data").click()
    shoot(page, "data")
    # Back on the map in the same long session, the design last set is the one shown.
    # (CI at stop 22 three times found this page at an earlier test's design, weekly in
    # the table view; 33 runs at stop 23 did not, and a failure's diagnosis now lists
    # the widgets each rerun the page sent.)
    page.get_by_role("tab", name="Map and score").click()
    wait_map(page)
    wait_idle(page)
    assert checked(page, "View") == "Public map"
    assert (checked(page, "Update frequency"), checked(page, "Time shown for each incident")) == (
        "Quarterly",
        "Quarter",
    )
    assert "frequency=quarterly" in page.url


def test_a_bad_upload_is_refused_in_the_browser(page):
    """In a session of its own (a new tab): in the module's long session, CI three times
    in ten runs found the page's widgets back at an earlier test's values (weekly, the
    table view) after the previous test's tab clicks, and so no map to wait for; that
    is a bug of its own, written up in the stop 22 note, not what this test is about."""
    with open_page(page, 1280, 900) as pg:
        before = score_text(pg)
        pg.get_by_role("tab", name="Data").click()
        uploader = pg.locator("[data-testid='stFileUploader']").filter(has_text="Incidents:")
        uploader.locator("input[type='file']").set_input_files(
            files=[{"name": "notes.csv", "mimeType": "text/csv", "buffer": b"just some text\n"}]
        )
        uploader.get_by_text("notes.csv").wait_for()
        wait_idle(pg)
        pg.get_by_role("button", name="Load these files").click()
        error = pg.locator("[data-testid='stAlert']:has-text('Could not load the upload')")
        error.first.wait_for(timeout=60_000)
        assert "notes.csv" in error.first.inner_text()
        wait_idle(pg)
        assert "sample city" in pg.get_by_text("Still working on").first.inner_text()
        shoot(pg, "bad-upload")
        pg.get_by_role("tab", name="Map and score").click()
        wait_map(pg)
        wait_idle(pg)
        assert score_text(pg) == before


# --- issue 14: readable at workshop sizes, nothing lost on refresh ----------------------
CLIPPED_JS = """() => {
    const out = [];
    for (const sel of ["[data-testid='stMetricValue']", "[data-testid='stMetricLabel']"]) {
        for (const el of document.querySelectorAll(sel)) {
            for (const e of [el, ...el.querySelectorAll('*')]) {
                const cut = e.scrollWidth > e.clientWidth + 1
                    && getComputedStyle(e).overflowX !== 'visible';
                if (cut || (e.textContent || '').trim().endsWith('…')) out.push(el.textContent);
            }
        }
    }
    return out;
}"""


@contextmanager
def open_page(page, width: int, height: int, query: str = ""):
    """A new tab (a new session) at a size, once the map is drawn; the module's
    browser is reused (Playwright's sync API allows one per thread)."""
    pg = watched(page.context.new_page())
    try:
        pg.set_viewport_size({"width": width, "height": height})
        pg.goto(page.app_url + query)
        wait_map(pg)
        wait_idle(pg)
        pg.wait_for_timeout(800)
        yield pg
    finally:
        pg.close()


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (1280, 720), (1440, 900)])
@pytest.mark.parametrize("projector", [False, True])
def test_no_key_figure_is_cut_at_workshop_widths(page, width, height, projector):
    with open_page(page, width, height, "?projector=1" if projector else "") as pg:
        metrics = pg.locator("[data-testid='stMetricValue']")
        assert metrics.count() >= 4
        assert pg.evaluate(CLIPPED_JS) == []
        SHOTS.mkdir(exist_ok=True)
        mode = "projector" if projector else "normal"
        pg.screenshot(path=str(SHOTS / f"width-{width}-{mode}.png"))


def test_projector_mode_shows_map_score_and_verdict_without_scrolling(page):
    with open_page(page, 1280, 720, "?projector=1") as pg:
        for sel in (MAP_CANVAS, "[data-testid='stMetricValue']", ".cd-verdict"):
            box = pg.locator(sel).first.bounding_box()
            assert box is not None, sel
            assert box["y"] >= 0 and box["y"] + box["height"] <= 720, (sel, box)
            assert box["x"] + box["width"] <= 1280, (sel, box)
        assert pg.evaluate("getComputedStyle(document.documentElement).fontSize") == "18px"
        assert "projector=1" in pg.url


def test_zoom_buttons_change_the_map(page):
    with open_page(page, 1280, 900) as pg:
        chart = pg.locator("[data-testid='stDeckGlJsonChart']").first
        before = chart.screenshot()
        pg.get_by_role("button", name="+ Zoom in").click()
        wait_idle(pg)
        pg.wait_for_timeout(1000)
        assert chart.screenshot() != before
        pg.get_by_role("button", name="Reset view").click()
        wait_idle(pg)
        assert map_colours(pg) > 10


def test_the_map_downloads_as_a_png_in_the_browser(page, tmp_path):
    """Issue 14: the PNG button gives the public map as a real image with the map's
    colours in it, downloaded through the browser as an analyst would."""
    from io import BytesIO

    from PIL import Image

    with open_page(page, 1280, 900) as pg:
        button = pg.get_by_role("button", name="Download this map (PNG)")
        button.scroll_into_view_if_needed()
        with pg.expect_download(timeout=120_000) as info:
            button.click()
        download = info.value
        assert download.suggested_filename.startswith("crimedash-map-")
        assert download.suggested_filename.endswith(".png")
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        image = Image.open(BytesIO(path.read_bytes())).convert("RGB")
        assert image.width >= 300 and image.height >= 300
        colours = image.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 10  # a drawn map and its key, not a blank canvas


def upload_month(pg, month) -> None:
    """Load one police.uk month through the Data tab, as an analyst does, and wait
    until the page names the upload in its address."""
    pg.get_by_role("tab", name="Data").click()
    uploader = pg.locator("[data-testid='stFileUploader']").filter(has_text="Incidents:")
    uploader.locator("input[type='file']").set_input_files(str(month))
    uploader.locator("[data-testid='stFileChip']").first.wait_for()
    wait_idle(pg)
    pg.get_by_role("button", name="Load these files").click()
    pg.wait_for_url("**data=upload*", timeout=120_000)
    wait_idle(pg)


def test_an_upload_survives_a_refresh_in_the_browser(page):
    from crimedash.sample import sample_paths

    month = sorted(sample_paths()["police_uk_dir"].glob("*.csv"))[0]
    with open_page(page, 1280, 900) as pg:
        upload_month(pg, month)
        pg.reload()
        wait_map(pg)
        wait_idle(pg)
        assert "data=upload" in pg.url
        pg.get_by_text(f"incidents from {month.name}").first.wait_for(timeout=60_000)


def test_playback_steps_the_release_in_the_browser(page):
    with open_page(page, 1280, 900) as pg:
        release = pg.locator("[data-testid='stSlider']").filter(has_text="Release (window)")
        thumb = release.locator("[data-testid='stSliderThumbValue']").first
        last = thumb.inner_text()
        pg.get_by_text("Play the releases").click()

        def moves_from(value: str) -> str:
            for _ in range(60):  # the timer steps every 1.5 s: within 30 s it has moved
                if thumb.inner_text() != value:
                    break
                pg.wait_for_timeout(500)
            assert thumb.inner_text() != value
            return thumb.inner_text()

        first = moves_from(last)  # playing from the last release starts at the first
        second = moves_from(first)
        assert first < second < last  # releases are labelled in time order
        pg.get_by_text("Play the releases").click()  # stop
        wait_idle(pg)


def test_a_click_on_the_frontier_applies_that_design(page):
    """Finds a swept design's point by its tooltip under the mouse, clicks it,
    and the address (the shared design) changes to that design."""
    with open_page(page, 1440, 1000) as pg:
        pg.get_by_role("tab", name="Frontier").click()
        pg.get_by_text("Compute the frontier").click()
        pg.get_by_text("The swept designs as a table").wait_for(timeout=180_000)
        wait_idle(pg)
        # the one chart on the Frontier tab (the other tabs' are hidden), drawn as SVG
        canvas = pg.locator("[data-testid='stVegaLiteChart'] svg.marks:visible").first
        canvas.scroll_into_view_if_needed()
        pg.wait_for_timeout(500)
        box = canvas.bounding_box()
        before = pg.url
        tip = pg.locator("#vg-tooltip-element")
        found = None
        for fy in [i / 24 for i in range(2, 22)]:
            for fx in [i / 40 for i in range(3, 36)]:
                x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
                pg.mouse.move(x, y)
                text = tip.inner_text() if tip.count() and tip.is_visible() else ""
                # a swept design other than the one shown (the default: h3:8, monthly)
                if "On the frontier" in text and "resolution 8, updated monthly" not in text:
                    found = (x, y, text)
                    break
            if found:
                break
        assert found, "no swept design's point found under the mouse"
        pg.mouse.click(found[0], found[1])
        for _ in range(60):
            if pg.url != before:
                break
            pg.wait_for_timeout(500)
        wait_idle(pg)
        assert pg.url != before, found[2]  # the design in the address is the one clicked


def test_another_tab_is_another_workspace_unless_sent_the_link(page):
    """Issue 13: two sessions of one server (two tabs: Streamlit keeps a session per
    page, not per cookie). The second never reaches the first's upload from its data
    fingerprint alone; the whole link, sent on purpose, shares the workspace."""
    from urllib.parse import parse_qs, urlparse

    from crimedash.sample import sample_paths

    month = sorted(sample_paths()["police_uk_dir"].glob("*.csv"))[1]
    with open_page(page, 1280, 900) as pg:
        upload_month(pg, month)
        link = pg.url
    query = parse_qs(urlparse(link).query)
    key, ws = query["data"][0], query["ws"][0]
    other = watched(page.context.new_page())
    try:
        other.goto(f"{page.app_url}?data={key}")  # type: ignore[attr-defined]
        wait_map(other)
        wait_idle(other)
        other.get_by_text("not in this workspace").first.wait_for(timeout=60_000)
        assert other.get_by_text(f"incidents from {month.name}").count() == 0
        assert "ws=" in other.url and f"ws={ws}" not in other.url  # a workspace of its own
        other.goto(link)
        wait_map(other)
        wait_idle(other)
        other.get_by_text(f"incidents from {month.name}").first.wait_for(timeout=60_000)
    finally:
        other.close()
