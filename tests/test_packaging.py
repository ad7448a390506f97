"""Packaging: an installed crimedash carries its sample city and its app, and opens them.

The wheel is built once (with uv, as `make install` uses) and unpacked into a scratch
folder that is put first on PYTHONPATH, standing in for a site-packages: the code that
runs is the wheel's, not the checkout's, and it runs from outside the repository.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from browserkit import free_port

ROOT = Path(__file__).resolve().parents[1]
CITY = ("incidents.csv", "households.csv", "output_areas.geojson", "neighbourhoods.geojson")

pytestmark = pytest.mark.xdist_group("packaging")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if not Path(uv).exists() and not shutil.which(uv):
        pytest.skip("uv is not installed (make install puts it in .venv)")
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if build.returncode:
        pytest.skip(f"cannot build the wheel here: {build.stderr.strip()[-300:]}")
    return next(out.glob("crimedash-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    return site


def run_installed(site: Path, code: str, tmp_path: Path, timeout: float = 300):
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,  # outside the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_wheel_carries_the_sample_city_and_the_app(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "crimedash/app.py" in names
    assert "crimedash/streamlit_config.toml" in names  # the upload limit, outside a checkout
    for name in (*CITY, "README.md"):
        assert f"crimedash/sample_data/{name}" in names
    months = [n for n in names if n.startswith("crimedash/sample_data/police_uk/")]
    assert len(months) == 24
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_the_wheel_needs_only_what_the_runtime_imports(wheel: Path):
    with zipfile.ZipFile(wheel) as zf:
        meta = zf.read(next(n for n in zf.namelist() if n.endswith("/METADATA"))).decode()
    required = [
        line.split(":", 1)[1].strip()
        for line in meta.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    names = {r.split(">")[0].split("<")[0].split("=")[0].split(";")[0].strip() for r in required}
    assert "streamlit>=1.65" in required  # st.pydeck_chart(alt=...) is new in 1.65
    assert "shapely>=2.1" in required  # shapely.orient_polygons is new in 2.1
    assert "h3<5,>=4.2" in required  # h3.h3shape_to_cells_experimental is new in 4.2
    assert not names & {"duckdb", "opendp", "platformdirs"}, (
        "benchmark-only or unused packages at runtime"
    )


def test_an_installed_crimedash_opens_its_sample_city(installed: Path, tmp_path: Path):
    code = f"""
import crimedash
from pathlib import Path
from crimedash.commands.serve import app_config, app_script, config_options
from crimedash.sample import SAMPLE_DIR, sample_paths
site = Path({str(installed)!r}).resolve()
assert Path(crimedash.__file__).resolve().is_relative_to(site), crimedash.__file__
assert app_config().resolve().is_relative_to(site), app_config()
flags = config_options(app_config())
assert flags[flags.index("--server.maxUploadSize") + 1] == "2000", flags
assert SAMPLE_DIR.resolve().is_relative_to(site), SAMPLE_DIR
assert all(p.exists() for p in sample_paths().values())
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(str(app_script()), default_timeout=240).run()
assert not at.exception, [e.message for e in at.exception]
assert "sample city" in at.caption[0].value, at.caption[0].value
print("opened", app_script())
"""
    done = run_installed(installed, code, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"opened {installed}" in done.stdout


def test_crimedash_app_passes_the_apps_settings_before_the_analysts(monkeypatch, tmp_path):
    """Streamlit reads .streamlit/config.toml only from the folder it runs in: `crimedash
    app` passes the app's settings as flags, and options given after `--` win."""
    from crimedash.commands import serve

    config = tmp_path / "config.toml"
    config.write_text(
        '[server]\nheadless = true\nmaxUploadSize = 2000\n[client]\ntoolbarMode = "minimal"\n'
        "[browser]\ngatherUsageStats = false\n"
    )
    monkeypatch.setattr(serve, "app_config", lambda: config)
    seen: list[list[str]] = []
    monkeypatch.setattr(serve.subprocess, "call", lambda cmd: seen.append(cmd) or 0)
    from crimedash.cli import main

    assert main(["app", "--port", "9999", "--", "--server.maxUploadSize", "50"]) == 0
    (cmd,) = seen
    pairs = list(itertools.pairwise(cmd))
    assert ("--client.toolbarMode", "minimal") in pairs
    assert ("--browser.gatherUsageStats", "false") in pairs
    assert ("--server.port", "9999") in pairs
    assert "--server.headless" not in cmd  # left to --headless
    sizes = [b for a, b in pairs if a == "--server.maxUploadSize"]
    assert sizes == ["2000", "50"]  # Streamlit takes the last: the analyst's


def test_the_checkouts_config_is_the_one_the_wheel_carries():
    from crimedash.commands.serve import app_config

    assert app_config() == ROOT / ".streamlit" / "config.toml"


def test_crimedash_app_serves_the_installed_app(installed: Path, tmp_path: Path):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(installed)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crimedash",
            "app",
            "--port",
            str(port),
            "--headless",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "app.log").open("w"),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_stcore/health", timeout=2
                ) as r:
                    assert r.read() == b"ok"
                    break
            except OSError:
                assert proc.poll() is None, (
                    f"crimedash app exited with {proc.returncode}: "
                    + (tmp_path / "app.log").read_text()[-1500:]
                )
                assert time.monotonic() < deadline, "crimedash app did not start serving"
                time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
