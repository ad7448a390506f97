"""Drive the real app in headless Debian Chromium: start `streamlit run app.py` on a free
port in its own process group, open it with Playwright, find the score and the map.
Shared by tests/test_browser.py and benchmarks/ui_latency.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCORE_LABEL = "Identifiability score"
SCORE = "[data-testid='stMetric']:has-text('Identifiability score') [data-testid='stMetricValue']"
MAP_CANVAS = "[data-testid='stDeckGlJsonChart'] canvas"
SERVER_LOGS: dict[str, Path] = {}  # a running server's URL -> its output so far
RUNNING = "[data-testid='stStatusWidget']"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(
    timeout: float = 120.0, workspace: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """`streamlit run app.py` on a free port; yields its URL; kills its process group.
    The app's workspace (design log, kept uploads) is `workspace`, else a fresh
    temporary folder: a test never writes into the project or another run's log.
    `env` adds environment variables (a tile server, for example)."""

    tmp = None
    if workspace is None:
        tmp = tempfile.TemporaryDirectory(prefix="crimedash-ws-")
        workspace = Path(tmp.name)
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if k not in ("CRIMEDASH_LOG", "CRIMEDASH_TILES")}
    env.update(extra)
    env["CRIMEDASH_WORKSPACE"] = str(workspace)
    port = free_port()
    venv_bin = Path(sys.executable).parent
    cmd = [
        str(venv_bin / "streamlit"),
        "run",
        str(ROOT / "app.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    # the server's output is kept so a test that times out can say what the app said
    log_path = Path(tempfile.mkstemp(prefix="crimedash-server-", suffix=".log")[1])
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=log, start_new_session=True, env=env)
    url = f"http://127.0.0.1:{port}/"
    SERVER_LOGS[url] = log_path
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start on port {port}")
            time.sleep(0.3)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        SERVER_LOGS.pop(url, None)
        log_path.unlink(missing_ok=True)
        if tmp is not None:
            tmp.cleanup()


@contextmanager
def chromium(profile_dir: Path, width: int = 1500, height: int = 2000):
    """A headless Chromium page (Playwright's sync API over Debian's chromium)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            yield watched(ctx.new_page())
        finally:
            ctx.close()


def watched(page):
    """`page`, keeping what `diagnosis` reports: its console and the reruns it sent."""
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"[:300]))
    page.console_lines = console
    page.reruns_sent = watch_reruns(page)
    return page


def rerun_values(payload: bytes | str) -> tuple[str, dict[str, object]] | None:
    """The address and keyed widgets' values of a rerun request the browser sent (None
    for other messages). A failure that finds the page at an older design can then
    tell a browser that sent old values from a server that went back to them (CI once
    found a long session at an earlier test's design)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.ParseFromString(payload if isinstance(payload, bytes) else payload.encode("latin-1"))
    if msg.WhichOneof("type") != "rerun_script":
        return None
    rerun = msg.rerun_script
    values: dict[str, object] = {}
    for w in rerun.widget_states.widgets:
        kind = w.WhichOneof("value")
        if "-" not in w.id or kind in (None, "file_uploader_state_value", "json_value"):
            continue
        value = getattr(w, kind)
        values[w.id.rsplit("-", 1)[-1]] = list(value.data) if hasattr(value, "data") else value
    return rerun.query_string, values


def watch_reruns(page, keep: int = 12) -> list[str]:
    """The last `keep` rerun requests the page's websockets sent, one line each: when,
    the address, and the widgets whose values differ from the request before."""
    sent: list[str] = []
    last: dict[str, object] = {}

    def on_frame(payload) -> None:
        try:
            read = rerun_values(payload)
        except Exception as exc:  # a frame we cannot read must not fail the test
            sent.append(f"(unreadable frame: {exc})")
            return
        if read is None:
            return
        query, values = read
        moved = " ".join(f"{k}={v!r}"[:80] for k, v in sorted(values.items()) if last.get(k) != v)
        last.clear()
        last.update(values)
        sent.append(f"{time.strftime('%H:%M:%S')} ?{query} {moved or '(no widget moved)'}")
        del sent[:-keep]

    page.on("websocket", lambda ws: ws.on("framesent", on_frame))
    return sent


def wait_map(page, timeout_ms: int = 120_000) -> None:
    """Until the map's canvas is on the page; if it never comes, fail with what the page
    shows and the tail of the app server's log (a map that never appeared in CI could
    not be told apart from a slow one)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.locator(MAP_CANVAS).first.wait_for(timeout=timeout_ms)
    except PlaywrightTimeout:
        raise AssertionError(f"no map after {timeout_ms / 1000:.0f} s\n{diagnosis(page)}") from None


MAP_STATE_JS = """() => [...document.querySelectorAll("[data-testid='stDeckGlJsonChart']")]
    .map(el => { const r = el.getBoundingClientRect(); const c = el.querySelector("canvas");
        const cr = c ? c.getBoundingClientRect() : null;
        return `deck ${Math.round(r.width)}x${Math.round(r.height)} at y=${Math.round(r.y)}, `
            + (c ? `canvas ${Math.round(cr.width)}x${Math.round(cr.height)}` : "no canvas")
            + `, stale=${el.closest("[data-stale='true']") !== null}`; })"""


def diagnosis(page) -> str:
    """What the page shows (its maps' elements, its text at both ends, exceptions, its
    console) and what its server logged, for a failure message."""
    parts = []
    try:
        parts.append("maps: " + ("; ".join(page.evaluate(MAP_STATE_JS)) or "no map element"))
        main = page.locator("[data-testid='stMain']")
        text = main.inner_text() if main.count() else page.inner_text("body")
        parts.append(f"running: {page.locator(RUNNING).count() > 0}")
        parts.append(f"--- main text (start) ---\n{text[:1500]}")
        parts.append(f"--- main text (end) ---\n{text[-600:]}")
        errors = page.locator("[data-testid='stException']")
        parts += [f"exception: {errors.nth(i).inner_text()[:800]}" for i in range(errors.count())]
    except Exception as exc:  # the page itself may be what broke
        parts.append(f"(page unreadable: {exc})")
    lines = getattr(page, "console_lines", [])
    parts.append("--- console (end) ---\n" + "\n".join(lines[-25:]))
    sent = getattr(page, "reruns_sent", [])
    parts.append("--- reruns the page sent (end) ---\n" + "\n".join(sent))
    base = next((u for u in SERVER_LOGS if page.url.startswith(u)), None)
    log = SERVER_LOGS[base].read_text(errors="replace")[-2500:] if base else "(no server log)"
    parts.append(f"--- server log (end) ---\n{log}")
    return "\n".join(parts)


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Until Streamlit has finished the current run (its 'Running...' widget is gone)."""
    page.wait_for_timeout(150)
    page.locator(RUNNING).wait_for(state="hidden", timeout=timeout_ms)


def score_text(page) -> str:
    return page.locator(SCORE).first.inner_text()


# the score's metric as a whole: its value and its change against the previous design
SCORE_JS = """(label) => {
    for (const m of document.querySelectorAll("[data-testid='stMetric']")) {
        if (m.innerText.includes(label)) {
            const v = m.querySelector("[data-testid='stMetricValue']");
            if (v) return m.innerText;
        }
    }
    return null;
}"""


def score_shown(page) -> str:
    """The score's metric as shown, value and change: what `wait_score_change` compares."""
    return page.evaluate(f"(label) => ({SCORE_JS})(label)", SCORE_LABEL) or ""


def wait_score_change(page, before: str, timeout_ms: int = 60_000) -> None:
    """Until the score's metric shows something other than `before` (from `score_shown`,
    taken before the change), polled every animation frame. The metric, not its value
    alone: a new design can score the same to one decimal as the one before (at 5M rows
    a grid and adaptive hexagons both showed 0.6), and then only its change against the
    previous design ("+0.0 vs previous design") says the new score is in."""
    page.wait_for_function(
        f"([label, before]) => {{ const v = ({SCORE_JS})(label); "
        "return v !== null && v !== before; }",
        arg=[SCORE_LABEL, before],
        timeout=timeout_ms,
        polling="raf",
    )


def choose(page, group: str, option: str) -> None:
    """Click an option of a radio group by the group's label (as a person would)."""
    page.get_by_role("radiogroup", name=group).get_by_text(option, exact=True).click()
