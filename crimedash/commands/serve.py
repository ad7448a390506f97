"""`crimedash app`: serve the dashboard with Streamlit."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from crimedash.commands.registry import register

__all__ = ["app_script", "cmd_app"]


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
        "--server.port",
        str(args.port),
        "--browser.gatherUsageStats",
        "false",
        *(["--server.headless", "true"] if args.headless else []),
        *[o for o in args.streamlit_options if o != "--"],
    ]
    return subprocess.call(command)
