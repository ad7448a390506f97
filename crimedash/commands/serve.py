"""`crimedash app`: serve the dashboard with Streamlit."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from crimedash.commands.registry import register

__all__ = ["app_config", "app_script", "cmd_app", "config_options"]


# --- app --------------------------------------------------------------------------------
def app_script() -> Path:
    """The app's Streamlit script: inside the package when installed from a wheel (see
    pyproject's force-include), at the repository root in a checkout."""
    package = Path(__file__).resolve().parent.parent  # crimedash/, not crimedash/commands/
    for script in (package / "app.py", package.parent / "app.py"):
        if script.is_file():
            return script
    from crimedash.errors import CrimedashError

    raise CrimedashError(
        "cannot find the app's script (app.py) beside or inside the crimedash package",
        hint="reinstall crimedash, or run `streamlit run app.py` in a checkout",
    )


def app_config() -> Path | None:
    """The app's Streamlit settings (upload limit, no usage statistics, a local tool's
    toolbar): `.streamlit/config.toml` in a checkout, carried into the wheel as
    `crimedash/streamlit_config.toml`. Streamlit reads that file only from the current
    folder, so an installed crimedash run anywhere else would serve with Streamlit's
    defaults (uploads capped at 200 MB, a year of a large force's files refused)."""
    package = Path(__file__).resolve().parent.parent
    for path in (package / "streamlit_config.toml", package.parent / ".streamlit" / "config.toml"):
        if path.is_file():
            return path
    return None


def config_options(path: Path | None) -> list[str]:
    """`--section.option value` flags for every setting of a Streamlit config file
    (flags outrank config files, and options given after them outrank them in turn).
    `server.headless` is left to `--headless`."""
    if path is None:
        return []
    flags: list[str] = []
    for section, options in tomllib.loads(path.read_text(encoding="utf-8")).items():
        for name, value in options.items():
            if f"{section}.{name}" == "server.headless":
                continue
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags += [f"--{section}.{name}", text]
    return flags


def _configure_app(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT") or 8501),
        help="the port to serve on (default: $PORT, else 8501)",
    )
    p.add_argument("--headless", action="store_true", help="do not open a browser (on a server)")
    p.add_argument(
        "streamlit_options",
        nargs=argparse.REMAINDER,
        help="further options for `streamlit run`, after --: e.g. -- --theme.base dark",
    )


@register("app", "Serve the dashboard (on the sample city until data is loaded).", _configure_app)
def cmd_app(args: argparse.Namespace) -> int:
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_script()),
        "--browser.gatherUsageStats",
        "false",
        *config_options(app_config()),
        "--server.port",
        str(args.port),
        *(["--server.headless", "true"] if args.headless else []),
        *[o for o in args.streamlit_options if o != "--"],
    ]
    return subprocess.call(command)
