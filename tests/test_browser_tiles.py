"""The base map in a real browser: tiles from a tile server on localhost (a tiny HTTP
server in this test, serving generated one-colour PNG tiles) are requested by the page
and drawn under the units, and nothing else outside the app is asked for."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from browserkit import CHROMIUM, MAP_CANVAS, chromium, streamlit_server, wait_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt install chromium)"
    ),
]
TILE_RGB = (255, 0, 255)  # a colour no palette, outline or page background uses


def _tile_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), TILE_RGB).save(buf, format="PNG")
    return buf.getvalue()


class TileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.png = _tile_png()
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), TileHandler)


class TileHandler(BaseHTTPRequestHandler):
    server: TileServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Access-Control-Allow-Origin", "*")  # as public tile servers do
        self.send_header("Content-Length", str(len(self.server.png)))
        self.end_headers()
        self.wfile.write(self.server.png)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def tile_server():
    srv = TileServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_tiles_from_a_configured_server_are_requested_and_drawn(tile_server, tmp_path):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    from PIL import Image

    host = f"http://127.0.0.1:{tile_server.server_address[1]}"
    template = host + "/{z}/{x}/{y}.png"
    with (
        streamlit_server(env={"CRIMEDASH_TILES": template}) as url,
        chromium(tmp_path / "chromium", 1280, 900) as page,
    ):
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url)
        page.locator(MAP_CANVAS).first.wait_for(timeout=120_000)
        wait_idle(page)
        page.wait_for_timeout(2500)  # the tiles load after the deck is drawn
        chart = page.locator("[data-testid='stDeckGlJsonChart']").first
        img = Image.open(io.BytesIO(chart.screenshot())).convert("RGB")
        page.get_by_text("Base map tiles from 127.0.0.1").first.wait_for(timeout=10_000)
    assert tile_server.paths, "the page asked the tile server for nothing"
    z, x, y = (int(v) for v in tile_server.paths[0].strip("/").removesuffix(".png").split("/"))
    assert 8 <= z <= 19 and 0 <= x < 2**z and 0 <= y < 2**z  # a city-scale tile
    # the tile's magenta shows where no unit covers it (as sent, or blended with the
    # page at the base map's opacity: the browser's compositing decides)
    a = 0.7
    blended = tuple(round(c * a + 255 * (1 - a)) for c in TILE_RGB)
    tile_px = sum(
        n
        for n, rgb in img.getcolors(maxcolors=1 << 20)
        if any(
            all(abs(c - w) <= 12 for c, w in zip(rgb, want, strict=True))
            for want in (TILE_RGB, blended)
        )
    )
    assert tile_px > 0.05 * img.width * img.height, tile_px
    outside = [u for u in requests if not u.startswith((url, host, "data:", "blob:"))]
    assert outside == []  # the configured server and the app, nothing else
