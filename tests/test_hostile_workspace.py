"""One server, many analysts: each browser session works in a workspace of its own
(issue 13, "in the app, designs and uploads belong to a workspace, not to every session
of a server").

Before, every session of one server shared `.crimedash/`: an upload was reachable by
any session that had (or guessed) its fingerprint in `?data=`, and one session's logged
designs, rejected drafts included, were listed to and reloadable by every other. Two
independent AppTest runs are two sessions here; a session that is sent the workspace
link (`?ws=`) shares the workspace on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from appkit import no_errors, start

from crimedash import workspace
from crimedash.designlog import DesignLog
from crimedash.errors import InputError
from crimedash.ui import data
from crimedash.ui import export_page as E
from crimedash.ui import state as K

pytestmark = pytest.mark.xdist_group("app")


@pytest.fixture
def root(monkeypatch, tmp_path: Path) -> Path:
    """A fresh workspace root; no operator-chosen shared log."""
    monkeypatch.setenv(workspace.ENV_VAR, str(tmp_path))
    monkeypatch.delenv("CRIMEDASH_LOG", raising=False)
    return tmp_path


def param(at, name: str) -> str:
    value = at.query_params[name]
    return value[0] if isinstance(value, list) else value


def upload_a_month(at):
    from crimedash.sample import sample_paths

    month = sorted(sample_paths()["police_uk_dir"].glob("*.csv"))[0]
    at.session_state[K.INJECT_UPLOAD] = {"incidents": [(month.name, month.read_bytes())]}
    at.run()
    no_errors(at)
    return month.name, at.session_state[K.DATASET_KEY]


def record_a_rejection(at) -> None:
    for key, value in {
        E.REVIEWER: "Sam Reviewer",
        E.PUBLISHER: "Ashbourne Vale Council",
        E.CONTACT: "crime-maps@ashbourne.example",
    }.items():
        at.text_input(key=key).input(value)
    at.radio(key=E.DECISION).set_value("reject")
    at.button(key=E.SUBMIT).click().run()
    assert any("rejection" in i.value for i in at.info)


def past_designs(at) -> list:
    return [s for s in at.selectbox if s.key == E.HISTORY_PICK]


def test_each_new_session_gets_a_workspace_of_its_own_named_in_its_link(root: Path):
    a, b = start(), start()
    no_errors(a)
    ws_a, ws_b = a.session_state[K.WORKSPACE], b.session_state[K.WORKSPACE]
    assert workspace.is_session_id(ws_a) and workspace.is_session_id(ws_b)
    assert ws_a != ws_b
    assert param(a, data.WORKSPACE_PARAM) == ws_a  # a refresh keeps it
    a.radio(key=K.FREQUENCY).set_value("quarterly").run()
    assert param(a, data.WORKSPACE_PARAM) == ws_a  # and every design change too


def test_a_session_never_gets_another_sessions_upload_from_its_fingerprint(root: Path):
    # Before: B, given A's ?data= key, was served A's data from the server's store.
    a = start()
    name, key = upload_a_month(a)
    assert key in data._store()  # held in memory by the server
    b = start({"data": key})
    assert not b.exception
    assert b.session_state[K.DATASET_KEY] == data.SAMPLE_KEY
    assert name not in b.session_state[K.DATASET_LABEL]
    assert any("not in this workspace" in i.value for i in b.info)
    fp = key.removeprefix(data.UPLOAD_PREFIX)
    ws_a, ws_b = a.session_state[K.WORKSPACE], b.session_state[K.WORKSPACE]
    assert workspace.holds(fp, workspace.session_folder(ws_a))
    assert not workspace.holds(fp, workspace.session_folder(ws_b))
    assert not (root / workspace.UPLOADS).exists()  # nothing in the shared folder


def test_a_session_never_lists_another_sessions_designs(root: Path):
    # Before: one log per server, so B's "Past designs" listed A's rejected draft.
    a = start()
    record_a_rejection(a)
    ws_a = a.session_state[K.WORKSPACE]
    log_a = workspace.session_folder(ws_a) / "designs.sqlite3"
    (record,) = DesignLog(log_a).list()
    assert record.status == "rejected"
    assert len(past_designs(a.run())) == 1

    b = start()
    no_errors(b)
    assert not past_designs(b)
    assert any("No designs are logged for this data yet" in c.value for c in b.caption)
    assert not (root / "designs.sqlite3").exists()  # no log shared by the server


def test_a_sent_workspace_link_shares_the_uploads_and_the_designs(root: Path):
    a = start()
    name, key = upload_a_month(a)
    record_a_rejection(a)
    link = {"data": key, "ws": a.session_state[K.WORKSPACE]}

    data._store().pop(key)  # and after a server restart, from the workspace's files
    b = start(link)
    no_errors(b)
    assert b.session_state[K.DATASET_KEY] == key
    assert name in b.session_state[K.DATASET_LABEL]
    assert len(past_designs(b)) == 1  # the draft A recorded


@pytest.mark.parametrize(
    "given", ["../../etc", "team", "0123456789abcdef", "A" * 32, "/tmp/x", "0" * 31 + "/"]
)
def test_a_workspace_is_never_a_path_a_name_or_a_guessable_word(root: Path, given: str):
    assert not workspace.is_session_id(given)
    with pytest.raises(InputError, match="is not a workspace id made by crimedash"):
        workspace.session_folder(given)
    at = start({"ws": given})
    assert not at.exception
    made = at.session_state[K.WORKSPACE]
    assert made != given and workspace.is_session_id(made)  # a new one of its own


def test_workspace_ids_are_random_and_stay_under_the_workspace(root: Path):
    ids = {workspace.new_session_id() for _ in range(100)}
    assert len(ids) == 100
    for sid in ids:
        folder = workspace.session_folder(sid)
        assert folder.parent == root / workspace.SESSIONS


def test_other_sessions_uploads_never_lose_this_sessions_data(root: Path):
    # Before (the case): one server store of 4 data sets, so a fifth upload by
    # anyone evicted the first session's data. The store still holds only STORE_SIZE,
    # but an evicted data set comes back from its own session's workspace.
    a = start()
    name, key = upload_a_month(a)
    b = start()
    for i in range(data.STORE_SIZE):
        rows = "".join(
            f"2024-03-{1 + j % 28:02d},burglary,{53.45 + j * 1e-4:.5f},{-2.30 - i * 1e-3:.5f}\n"
            for j in range(40)
        )
        text = "occurred_at,category,latitude,longitude\n" + rows
        b.session_state[K.INJECT_UPLOAD] = {"incidents": [(f"b-{i}.csv", text.encode())]}
        b.run()
        no_errors(b)
    assert key not in data._store()  # evicted by B's uploads
    a.run()
    no_errors(a)
    assert a.session_state[K.DATASET_KEY] == key
    assert name in a.session_state[K.DATASET_LABEL]
    assert any("again from the workspace" in i.value for i in a.info)
