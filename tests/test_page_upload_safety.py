"""The upload and history pages under hostile names, stale previews and rights that change between drawing and clicking
(findings 4, 5 and 7 of issue 9), through AppTest."""
from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from kpi import importer
from kpi.store import Store

HOSTILE = ["**bold**.csv", "[click](javascript:alert(1)).csv", ":material/home:.csv", "https://evil.example/x.csv"]
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret", "client_id": "dashboard",
        "client_secret": "secret", "server_metadata_url": "https://login.example.jp/.well-known/openid-configuration"}
EDITOR = "editor@city.osaka.lg.jp"


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


# Elements that show their strings as they are: st.text, table cells, and a selectbox's options (its label is markdown,
# the options are not; the pages' labels are fixed Japanese).
PLAIN = {"text", "dataframe", "arrow_data_frame", "table"}


def rendered_as_markdown(at: AppTest, text: str) -> list[str]:
    """Every element whose proto carries ``text`` except plain ones — markdown, alerts, labels, help, captions, status."""
    found = []
    for n in walk(at._tree):
        proto, kind = getattr(n, "proto", None), getattr(n, "type", "")
        if proto is None or kind in PLAIN:
            continue
        if kind == "selectbox":
            assert text not in proto.label and text not in proto.help
            continue
        if text in str(proto):
            found.append(f"{kind}: {str(proto)[:160]}")
    return found


def plain_texts(at: AppTest) -> str:
    return "\n".join(t.value for t in at.text)


def open_page(page: str, **auth) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if auth:
        at.secrets["auth"] = AUTH
        at.secrets["kpi"] = {"editors": []}
        at.user = {"is_logged_in": True, "email": auth["email"]}
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("name", HOSTILE)
def test_finding4_file_names_are_shown_as_text_never_as_markdown(store, name):
    """Finding 4: 「**bold**.csv」 showed bold and 「[click](javascript:…)」 became a link in the status and the 登録 message."""
    at = open_page("app_pages/upload.py")
    at.file_uploader[0].set_value((name, b"indicator_id,month,value\nK1-1,2026-03,2100\n", "text/csv")).run()
    assert not at.exception and not rendered_as_markdown(at, name)
    assert f"ファイル: {name}" in plain_texts(at)
    at.button(key="commit").click().run()
    kept = PurePosixPath(name).name  # a file name, never a path (":material/home:.csv" → "home:.csv")
    assert not at.exception and not rendered_as_markdown(at, name) and not rendered_as_markdown(at, kept)
    assert "登録しました" in at.success[0].value and f"ファイル: {kept}" in plain_texts(at)
    assert store.batches()[0].file_name == kept

    at.switch_page("app_pages/history.py").run()
    assert not at.exception and not rendered_as_markdown(at, kept)
    assert f"ファイル名　{kept}" in plain_texts(at)


def test_cell_contents_in_messages_are_text_too(store):
    at = open_page("app_pages/upload.py")
    at.file_uploader[0].set_value(("bad.csv", b"indicator_id,month,value\n[x](javascript:alert(1)),2025-04,1\n", "text/csv")).run()
    assert "このファイルは登録できません" in at.error[0].value
    assert not rendered_as_markdown(at, "javascript:alert(1)") and "javascript:alert(1)" in plain_texts(at)


def test_history_shows_user_names_and_reasons_as_text(store, policy):
    user = "**太郎** [x](javascript:alert(1))"
    pv = importer.preview(store, policy, b"indicator_id,month,value\nK1-1,2025-04,1\n", "a.csv", today=dt.date(2025, 10, 1))
    bid = importer.commit(store, pv, user)
    store.rollback(bid, user, reason="**理由** :material/home:")
    at = open_page("app_pages/history.py")
    at.selectbox(key="batch").set_value(bid).run()
    assert not rendered_as_markdown(at, "javascript:alert(1)") and not rendered_as_markdown(at, ":material/home:")
    assert f"登録者　　　{user}" in plain_texts(at)


def test_finding5_a_stale_preview_is_refused_on_the_page(store, policy):
    """Finding 5: preview in the browser, a command-line import changes the same value, then 登録 used to overwrite it."""
    at = open_page("app_pages/upload.py")
    at.file_uploader[0].set_value(("browser.csv", b"indicator_id,month,value\nK1-1,2026-03,2100\n", "text/csv")).run()
    assert {m.label: m.value for m in at.metric}["変更"] == "1行"
    cli = importer.preview(store, policy, b"indicator_id,month,value\nK1-1,2026-03,2222\n", "cli.csv")
    importer.commit(store, cli, "定期ジョブ", source="cli", refresh=True)
    n_batches = len(store.batches())
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    assert len(store.batches()) == n_batches  # nothing written
    assert store.current("2026-03", "2026-03")[0].value == 2222
    assert any("プレビューの後に" in e.value and "もう一度プレビュー" in e.value for e in at.error)
    # the page previews again at once: the change is now shown against the command line's value
    changed = next(df.value for df in at.dataframe if "変更前" in df.value.columns)
    assert changed.iloc[0]["変更前"] == "2,222"
    at.button(key="commit").click().run()
    assert store.current("2026-03", "2026-03")[0].value == 2100


def test_finding7_upload_rights_are_checked_at_the_click(store, monkeypatch):
    """Finding 7: a page drawn for an editor could still commit after its user had lost the right."""
    monkeypatch.setenv("KPI_EDITORS", EDITOR)
    at = open_page("app_pages/upload.py", email=EDITOR)
    at.file_uploader[0].set_value(("a.csv", b"indicator_id,month,value\nK1-1,2026-03,2100\n", "text/csv")).run()
    assert at.button(key="commit")
    before = Store(store.root).version()
    monkeypatch.setenv("KPI_EDITORS", "someone.else@city.osaka.lg.jp")  # the right is withdrawn while the page is open
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    assert store.version() == before
    assert any("編集者の権限が確認できない" in e.value and "何も保存していません" in e.value for e in at.error)
    logs = list((store.root / "logs").glob("*.log"))
    assert len(logs) == 1 and "refused-write" in logs[0].read_text(encoding="utf-8")


def test_finding7_rollback_rights_are_checked_at_the_click(store, policy, monkeypatch):
    monkeypatch.setenv("KPI_EDITORS", EDITOR)
    pv = importer.preview(store, policy, b"indicator_id,month,value\nK1-1,2026-03,3000\n", "fix.csv")
    bid = importer.commit(store, pv, EDITOR)
    at = open_page("app_pages/history.py", email=EDITOR)
    at.selectbox(key="batch").set_value(bid).run()
    at.checkbox(key="confirm_rollback").check().run()
    monkeypatch.setenv("KPI_EDITORS", "")
    at.button(key="rollback").click().run()
    assert not at.exception, at.exception
    assert store.batch(bid).active and not store.events()
    assert any("編集者の権限が確認できない" in e.value for e in at.error)
