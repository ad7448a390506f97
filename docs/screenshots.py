"""Screenshots of the app for docs/screenshots/ (`make screenshots`): the sample city,
the City of London's 24 months and the all-forces month, each at 1280x720 in projector
mode and at 1024 and 1440 px, uploaded through the app's own Data tab as an analyst
would. The real police.uk files are read from shared/data/real beside the project
(never copied into it); datasets whose files are absent are skipped.

    .venv/bin/python docs/screenshots.py [sample] [london] [allforces] [views]
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from browserkit import MAP_CANVAS, chromium, streamlit_server, wait_idle  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
REAL = (
    next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()), ROOT)
    / "data"
    / "real"
    / "police_uk"
)
SIZES = [(1280, 720, True), (1024, 768, False), (1440, 900, False)]
DATASETS = {
    "sample": [],
    "london": sorted((REAL / "city-of-london").glob("*.csv")),
    "allforces": [REAL / "all-forces-2021-08.zip"],
}


def settled(page, timeout_ms: int = 1_800_000) -> None:
    """Until the run is over and no element is left over from an earlier run."""
    wait_idle(page, timeout_ms)
    try:
        page.wait_for_function(
            "() => document.querySelectorAll('[data-stale=true]').length === 0",
            timeout=120_000,
            polling=500,
        )
    except Exception:  # a picture of a slow page beats no picture
        print("  (some elements still stale after 2 minutes)", flush=True)
    wait_idle(page, timeout_ms)


def to_top(page) -> None:
    """Scroll every scrolled container back to the top (a click on a control scrolls)."""
    page.evaluate(
        "document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })"
    )
    page.wait_for_timeout(500)


def upload(page, files: list[Path]) -> None:
    page.get_by_role("tab", name="Data").click()
    wait_idle(page)
    box = page.locator("[data-testid='stFileUploader']").filter(has_text="Incidents:")
    box.locator("input[type=file]").set_input_files([str(f) for f in files])
    box.locator("[data-testid='stFileChip']").first.wait_for(timeout=300_000)
    page.wait_for_timeout(3000)
    wait_idle(page)
    page.get_by_role("button", name="Load these files").click()
    page.wait_for_url("**data=upload*", timeout=1_800_000)
    wait_idle(page, 1_800_000)


def save(png: bytes, path: Path) -> None:
    """A small PNG: 256-colour palette, optimised (Pillow)."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def views(url: str, profile: Path) -> None:
    """The sample city's other views at 1440 px: risk, heat, compare and frontier."""
    from browserkit import choose

    with chromium(profile, width=1440, height=900) as pg:
        pg.goto(url)
        pg.locator(MAP_CANVAS).first.wait_for(timeout=600_000)
        settled(pg)
        for group, option, name in (
            ("View", "Risk view", "risk"),
            ("View", "Public map", None),
            ("Map style", "Smooth heat map", "heat"),
            ("Map style", "Units coloured by count", None),
        ):
            choose(pg, group, option)
            pg.wait_for_timeout(500)
            settled(pg)
            if name:
                pg.wait_for_timeout(2000)
                to_top(pg)
                save(pg.screenshot(), OUT / f"sample-1440-{name}.png")
        pg.get_by_role("button", name="Pin this design").click()
        settled(pg)
        choose(pg, "Update frequency", "Quarterly")
        pg.wait_for_timeout(500)
        settled(pg)
        to_top(pg)
        pg.get_by_role("tab", name="Compare").click(timeout=120_000)
        settled(pg)
        pg.get_by_text("What differs").first.evaluate("e => e.scrollIntoView({block: 'start'})")
        pg.wait_for_timeout(2000)
        save(pg.screenshot(), OUT / "sample-1440-compare.png")
        to_top(pg)
        pg.get_by_role("tab", name="Frontier").click(timeout=120_000)
        pg.get_by_text("Compute the frontier").click()
        pg.get_by_text("The swept designs as a table").wait_for(timeout=600_000)
        settled(pg)
        save(pg.screenshot(), OUT / "sample-1440-frontier.png")
        print("views", flush=True)


def main(names: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="crimedash-shots-"))
    try:
        with streamlit_server(timeout=300, workspace=work / "ws") as url:
            for name in names:
                if name == "views":
                    views(url, work / "views")
                    continue
                files = DATASETS[name]
                if name != "sample" and not all(f.exists() for f in files):
                    print(f"skipping {name}: files not found under {REAL}")
                    continue
                query = ""
                for width, height, projector in SIZES:
                    with chromium(work / f"{name}-{width}", width=width, height=height) as pg:
                        params = "&".join(
                            p for p in (query, "projector=1" if projector else "") if p
                        )
                        pg.goto(url + ("?" + params if params else ""))
                        pg.locator(MAP_CANVAS).first.wait_for(timeout=1_800_000)
                        settled(pg)
                        if files and not query:  # upload once; later sizes follow the link
                            upload(pg, files)
                            # the whole link: the data and the workspace that holds it
                            # (issue 13: a data fingerprint alone opens nothing in
                            # another session's workspace)
                            kept = parse_qs(urlparse(pg.url).query)
                            query = urlencode({k: kept[k][0] for k in ("data", "ws") if k in kept})
                            pg.get_by_role("tab", name="Map and score").click()
                            pg.locator(MAP_CANVAS).first.wait_for(timeout=600_000)
                            settled(pg)
                        pg.wait_for_timeout(2000)  # let deck.gl finish drawing
                        to_top(pg)
                        mode = "-projector" if projector else ""
                        save(pg.screenshot(), OUT / f"{name}-{width}{mode}.png")
                        print(name, width, pg.url, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:] or [*DATASETS, "views"])
