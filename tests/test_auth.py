"""Who may write: the allow-list logic, and both modes through AppTest (no sign-in / sign-in with editors)."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, held, open_detail
from kpi import importer
from kpi.auth import LOCAL_USER, editors_from, may_edit

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret", "client_id": "dashboard",
        "client_secret": "secret", "server_metadata_url": "https://login.example.jp/.well-known/openid-configuration"}
EDITOR = "Editor@City.Osaka.lg.jp"
WRITE_KEYS = {"commit", "rollback", "restore", "confirm_rollback"}


def test_allow_list_logic():
    assert editors_from(" A@x.jp ,b@x.jp\nc@x.jp,, ") == {"a@x.jp", "b@x.jp", "c@x.jp"}
    assert editors_from(["A@x.jp", " ", ""]) == {"a@x.jp"} and editors_from(None) == frozenset()
    assert may_edit(False, False, None, frozenset())  # no sign-in configured: whoever opens it (localhost)
    eds = editors_from([EDITOR])
    assert may_edit(True, True, "editor@city.osaka.lg.jp ", eds)
    assert not may_edit(True, True, "viewer@city.osaka.lg.jp", eds)
    assert not may_edit(True, False, EDITOR, eds)  # not signed in
    assert not may_edit(True, True, None, eds)


def app(page: str, user: dict | None = None, auth: bool = False, editors: list[str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if auth:
        at.secrets["auth"] = AUTH
        at.secrets["kpi"] = {"editors": editors or []}
    if user is not None:
        at.user = user
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def keys(at: AppTest) -> set[str]:
    return {w.key for w in (*at.button, *at.checkbox, *at.file_uploader, *at.text_input) if w.key}


def info_text(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


def sample_rows(store, policy) -> None:
    pv = importer.preview(store, policy, b"indicator_id,month,value\nK1-1,2026-03,3000\n", "fix.csv")
    importer.commit(store, pv, "someone")


def test_without_sign_in_anyone_may_upload_and_roll_back(store, policy, monkeypatch):
    monkeypatch.delenv("KPI_EDITORS", raising=False)
    at = app("app_pages/upload.py")
    assert len(at.file_uploader) == 1 and "login" not in keys(at)
    at.file_uploader[0].set_value(("a.csv", b"indicator_id,month,value\nK1-1,2026-03,2100\n", "text/csv")).run()
    at.button(key="commit").click().run()
    assert store.batches()[0].user == LOCAL_USER
    at.switch_page("app_pages/history.py").run()
    assert {"rollback", "confirm_rollback"} <= keys(at)


@pytest.mark.parametrize("user", [
    {"is_logged_in": True, "email": "viewer@city.osaka.lg.jp", "name": "閲覧者"},
    {"is_logged_in": False},
], ids=["signed-in-viewer", "not-signed-in"])
def test_with_sign_in_non_editors_see_no_write_widgets(store, policy, monkeypatch, user):
    monkeypatch.delenv("KPI_EDITORS", raising=False)
    at = app("app_pages/upload.py", user, auth=True, editors=[EDITOR])
    assert not at.file_uploader and not keys(at) & WRITE_KEYS
    assert "編集者" in info_text(at)
    assert len(at.get("download_button")) == 3  # templates are for everyone
    assert ("login" in keys(at)) is (not user["is_logged_in"])
    assert ("logout" in keys(at)) is user["is_logged_in"]
    at.switch_page("app_pages/history.py").run()
    assert not at.exception, at.exception
    assert not keys(at) & WRITE_KEYS and "編集者" in info_text(at)
    sample_rows(store, policy)  # a rolled-back batch: still no 元に戻す for a viewer
    store.rollback(store.batches()[0].batch_id, "someone")
    at.run()
    at.selectbox(key="batch").set_value(store.batches()[0].batch_id).run()
    assert not keys(at) & WRITE_KEYS


def test_with_sign_in_an_editor_writes_and_is_recorded(store, policy, monkeypatch):
    monkeypatch.delenv("KPI_EDITORS", raising=False)
    at = app("app_pages/upload.py", {"is_logged_in": True, "email": "editor@city.osaka.lg.jp"}, auth=True, editors=[EDITOR])
    assert len(at.file_uploader) == 1
    assert any("サインイン中（編集者）" in c.value for c in at.sidebar.caption)
    assert "editor@city.osaka.lg.jp" in [t.value for t in at.sidebar.text]  # plain text: Markdown made a mail link of it
    at.file_uploader[0].set_value(("a.csv", b"indicator_id,month,value\nK1-1,2026-03,2100\n", "text/csv")).run()
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    assert store.batches()[0].user == "editor@city.osaka.lg.jp"
    at.switch_page("app_pages/history.py").run()
    assert {"rollback", "confirm_rollback"} <= keys(at)


def test_editors_from_environment(store, policy, monkeypatch):
    monkeypatch.setenv("KPI_EDITORS", "ops@city.osaka.lg.jp, other@city.osaka.lg.jp")
    at = app("app_pages/upload.py", {"is_logged_in": True, "email": "ops@city.osaka.lg.jp"}, auth=True, editors=[])
    assert len(at.file_uploader) == 1


# --- sign-in on every page, and back to where the user was ------------------------------------------

PAGES_SHOWN = [path for path, _, _ in __import__("ui").PAGES if path != "app_pages/city.py"]


@pytest.mark.parametrize("page", PAGES_SHOWN)
def test_sign_in_is_offered_on_every_page(store, policy, monkeypatch, page):
    monkeypatch.delenv("KPI_EDITORS", raising=False)
    at = app(page, {"is_logged_in": False}, auth=True, editors=[EDITOR])
    assert [b.label for b in at.sidebar.button if b.key == "login"] == ["サインイン"], page
    assert "logout" not in keys(at)


def test_sign_out_is_offered_on_a_page_that_never_offered_it(store, policy, monkeypatch):
    at = app("app_pages/indicators.py", {"is_logged_in": True, "email": "viewer@city.osaka.lg.jp"}, auth=True, editors=[EDITOR])
    assert [b.label for b in at.sidebar.button if b.key == "logout"] == ["サインアウト"] and "login" not in keys(at)
    assert any("閲覧のみ" in c.value for c in at.sidebar.caption)


def test_without_sign_in_configured_no_sign_in_button(store, policy, monkeypatch):
    at = app("app_pages/indicators.py")
    assert not {"login", "logout"} & keys(at)


def test_after_sign_in_the_user_returns_to_the_page_and_view(sample_store, policy, monkeypatch):
    """The identity provider sends the browser back to the app's root in a new session: the page, the 基準月 and
    the chosen indicator come back from what was kept for this browser when サインイン was pressed."""
    import streamlit

    from ui import auth as ui_auth

    kept: dict = {}
    logins: list = []
    monkeypatch.setattr(ui_auth, "_returns", lambda: kept)
    monkeypatch.setattr(ui_auth, "browser_key", lambda: "browser-1")
    monkeypatch.setattr(streamlit, "login", lambda *a, **k: logins.append(a))
    at = app("app_pages/indicators.py", {"is_logged_in": False}, auth=True, editors=[EDITOR])
    held(at.selectbox, "as_of").set_value("2025-09").run()
    open_detail(at, "K2-2")
    at.button(key="login").click().run()
    assert not at.exception, at.exception
    assert logins and kept["browser-1"][1] == "indicators"
    assert kept["browser-1"][2]["indicator"] == ["K2-2"] and kept["browser-1"][2]["as_of"] == ["2025-09"]

    back = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)  # a new session, signed in, at the root
    back.secrets["auth"] = AUTH
    back.secrets["kpi"] = {"editors": [EDITOR]}
    back.user = {"is_logged_in": True, "email": EDITOR.lower()}
    back.run()
    assert not back.exception, back.exception
    assert held(back.pills, "indicator").value == "K2-2" and held(back.selectbox, "as_of").value == "2025-09"
    # the indicator choice is 指標's own: the page came back too
    assert "browser-1" not in kept  # used once
    back.run()  # later runs stay where the user goes next
    assert held(back.pills, "indicator").value == "K2-2"


def test_another_browser_does_not_inherit_the_place(sample_store, policy, monkeypatch):
    from ui import auth as ui_auth

    kept = {"browser-1": (__import__("time").time(), "indicators", {"indicator": ["K2-2"]})}
    monkeypatch.setattr(ui_auth, "_returns", lambda: kept)
    monkeypatch.setattr(ui_auth, "browser_key", lambda: "browser-2")
    at = app("app_pages/overview.py", {"is_logged_in": True, "email": EDITOR.lower()}, auth=True, editors=[EDITOR])
    assert "browser-1" in kept and not [s for s in at.selectbox if s.key == "indicator"]


def test_the_secrets_file_is_ignored_and_an_example_is_committed():
    import subprocess
    import tomllib

    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT)
    assert ignored.returncode == 0
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8"))
    assert set(AUTH) <= set(example["auth"]) and example["kpi"]["editors"]


# --- issue 19, point 1: an editor of one department could write to another ----------------------------------------

@pytest.mark.parametrize("ids", [("east-1", "east_1"), ("east_1", "east-1"), ("a-b", "a_b")])
def test_reproducer_1_departments_that_differ_by_dash_or_underscore_never_share_editors(monkeypatch, ids):
    from kpi.auth import department_editors, env_name

    mine, theirs = ids
    monkeypatch.setenv("KPI_EDITORS_" + mine.upper().replace("-", "_"), "intruder@city.osaka.lg.jp")  # the old shared form
    assert env_name(mine) is None and env_name(theirs) is None  # no environment form for an ID with - or _
    listed = {mine: {"editors": ["mine@city.osaka.lg.jp"]}}
    assert department_editors(mine, listed) == {"mine@city.osaka.lg.jp"}
    assert department_editors(theirs, listed) == frozenset()  # keyed by the exact ID


def test_the_environment_form_stays_for_ids_of_letters_and_digits(monkeypatch):
    from kpi.auth import department_editors, env_name

    monkeypatch.setenv("KPI_EDITORS_WARD2", "Ward@city.osaka.lg.jp")
    assert env_name("ward2") == "KPI_EDITORS_WARD2"
    assert department_editors("ward2") == {"ward@city.osaka.lg.jp"}
    assert department_editors("ward") == frozenset()


@pytest.mark.parametrize("name,ok", [("taro@city.osaka.lg.jp", True), ("山田 太郎", True), ("ＹＡＭＡＤＡ", True),
                                     ("evil\x1b[31m", False), ("\u202eevil", False), ("a" * 101, False), ("a\nb", False)])
def test_user_names_follow_the_text_rule(name, ok):
    from kpi.auth import user_name

    if ok:
        assert user_name(name) == name
    else:
        with pytest.raises(ValueError, match="利用者名"):
            user_name(name)


@pytest.mark.parametrize("given,recorded", [("taro@city.osaka.lg.jp", "taro@city.osaka.lg.jp"), ("ev\x1bil\u202e", "evil"),
                                            ("a" * 150, "a" * 100), ("\x00", "unknown"), ("山田\n太郎", "山田 太郎")])
def test_a_sign_in_name_is_recorded_by_the_text_rule_never_refused(given, recorded):
    from kpi import text
    from kpi.auth import signed_in_name

    assert signed_in_name(given) == recorded
    assert text.clean("user", recorded) == recorded
