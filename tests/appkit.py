"""Start the real app script under Streamlit's AppTest, shared by the app's tests
(the page, its tabs, stores, workspaces, workers): one place says where the script is,
how long a first run may take, and what a clean run is."""

from __future__ import annotations

from pathlib import Path

APP = str(Path(__file__).resolve().parents[1] / "app.py")
# A first run indexes the sample city and works out its score; on two cores shared with
# the browser tests that has taken over a minute. A limit, not a wait.
TIMEOUT_S = 240


def start(params: dict[str, str] | None = None, *, run: bool = True, session: dict | None = None):
    """The app with `params` in its URL (and `session` in its session state before the
    first run), run once unless `run` is False."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    for k, v in (session or {}).items():
        at.session_state[k] = v
    return at.run() if run else at


def no_errors(at) -> None:
    """The run raised nothing and the page shows no error."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
