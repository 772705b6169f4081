"""AppTest of 実績アップロード and 履歴: what the pages say, preview, refusal, commit, rollback and restore."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, unescape
from kpi.store import Store


def open_page(page: str, store: Store) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()  # the first run loads the sample into the empty store
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def text_of(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.title, *at.subheader, *at.warning, *at.info, *at.error, *at.success,
                               *at.text)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return unescape("\n".join(str(p) for p in parts))  # as the user reads it (ui.escape undone)


def upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    at.file_uploader[0].set_value((name, data, mime)).run()
    assert not at.exception, at.exception
    return at


def frame(at: AppTest, column: str):
    """The first table with this column (AppTest does not expose dataframe keys)."""
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise KeyError(column)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def at(store) -> AppTest:
    return open_page("app_pages/upload.py", store)


def test_upload_page_offers_templates_and_uploader(at):
    text = text_of(at)
    assert "実績アップロード" in text and "テンプレート" in text and "上限 50 MB" in text
    assert [d.label for d in at.get("download_button")] == ["Excel（.xlsx）", "CSV（Excel向け Shift_JIS）", "CSV（UTF-8 BOM付き）"]
    assert len(at.file_uploader) == 1 and set(at.file_uploader[0].allowed_type) >= {".csv", ".xlsx"}
    assert "commit" not in [b.key for b in at.button]


def test_preview_then_commit_shows_batch_and_history(at, store):
    raw = "指標ID,年月,実績値,備考\r\nK1-1,2026-03,2500,訂正\r\nK1-1,2026-02,1979,サンプル（架空）\r\nK4-3,2024-04,5,\r\n".encode("cp932")
    upload(at, "四半期.csv", raw)
    assert metrics(at) == {"読み取った行": "3行", "新規": "1行", "変更": "1行", "変更なし": "1行"}
    assert "このファイルの実績: 令和6年4月〜令和8年3月（3か月・2指標）" in [c.value.split("（年月")[0] for c in at.caption]
    changed = frame(at, "変更前")
    assert changed.iloc[0][["指標ID", "年月", "変更前", "変更後"]].tolist() == ["K1-1", "令和8年3月", "2,046", "2,500"]
    assert len(store.batches()) == 1  # only the sample: nothing written by the preview

    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    done = [s.value for s in at.success]
    assert len(done) == 1 and "登録しました" in done[0] and "新規 1、変更 1、変更なし 1" in done[0]
    assert "ファイル: 四半期.csv" in [t.value for t in at.text]  # user text as plain text, never markdown
    newest = store.batches()[0]
    assert "「履歴」" in done[0] and newest.user == "ローカル利用者"  # the batch ID is in 履歴's detail, not the message
    assert store.original(newest.batch_id) == raw
    assert at.file_uploader[0].value is None  # the uploader is cleared: no double registration

    at.switch_page("app_pages/history.py").run()
    assert not at.exception, at.exception
    table = frame(at, "登録日時")
    assert table["ファイル名"].tolist() == ["四半期.csv", "sample_actuals.csv"]
    assert table["状態"].tolist() == ["有効", "有効"] and table["区分"].tolist()[1] == "サンプル（架空）"
    assert table.iloc[0][["行数", "新規", "変更", "変更なし"]].tolist() == [3, 1, 1, 1]
    assert table["対象"].tolist()[0] == "令和6年4月〜令和8年3月（3か月・2指標）"  # the months and indicators of each batch
    assert table["対象"].tolist()[1].startswith("令和7年4月〜")
    assert at.selectbox(key="batch").options[0].endswith("四半期.csv　令和6年4月〜令和8年3月（3か月・2指標）")  # the choice says it too
    assert "対象　　　　令和6年4月〜令和8年3月（3か月・2指標）" in at.text[0].value


def test_bad_file_lists_every_error_and_writes_nothing(at, store):
    before = store.version()
    raw = "指標ID,年月,実績値\nK1-1,2025-04,100\nK1-1,2025-05,100\nK1-1,2025-06,100\nK1-1,2025-13,5\nK9-9,2025-05,1\n".encode()
    upload(at, "bad.csv", raw)
    assert len(at.error) == 1 and "このファイルは登録できません" in at.error[0].value
    msg = "\n".join(t.value for t in at.text)
    assert "5行目 年月: 2025-13 は年月として読めません" in msg
    assert "6行目 指標ID" in msg
    assert "commit" not in [b.key for b in at.button]
    assert store.version() == before


def test_history_rollback_needs_confirmation_and_restore_brings_it_back(store, policy):
    from kpi import importer

    at = open_page("app_pages/history.py", store)
    pv = importer.preview(store, policy, b"indicator_id,month,value\nK1-1,2026-03,3000\n", "fix.csv")
    bid = importer.commit(store, pv, "担当")
    at.run()
    at.selectbox(key="batch").set_value(bid).run()
    assert "fix.csv" in text_of(at)
    assert at.button(key="rollback").disabled
    at.checkbox(key="confirm_rollback").check().run()
    at.text_input(key="reason").input("入力誤り").run()
    at.button(key="rollback").click().run()
    assert not at.exception, at.exception
    assert "を取り消しました" in at.success[0].value
    assert not store.batch(bid).active
    assert store.current("2026-03", "2026-03")[0].value != 3000
    log = frame(at, "操作")
    assert log.iloc[0][["操作", "ファイル名", "理由"]].tolist() == ["取り消し", "fix.csv", "入力誤り"]
    assert "取り消し済み" in frame(at, "登録日時")["状態"].tolist()

    at.button(key="restore").click().run()
    assert not at.exception, at.exception
    assert store.batch(bid).active and store.current("2026-03", "2026-03")[0].value == 3000
    assert frame(at, "操作")["操作"].tolist() == ["元に戻す", "取り消し"]


def test_pages_with_an_empty_store(tmp_path, monkeypatch, other_policy_dir):
    """A policy without sample data: the store stays empty and both pages say so."""
    monkeypatch.setenv("KPI_DATA_DIR", str(other_policy_dir))
    store = Store(tmp_path / "empty")
    monkeypatch.setenv("KPI_STORE", str(store.root))
    at = open_page("app_pages/history.py", store)
    assert "まだ登録された実績はありません" in text_of(at)
    at.switch_page("app_pages/upload.py").run()
    assert not at.exception, at.exception
    upload(at, "t.csv", b"indicator_id,month,value\nT-01,2026-04,3\n")
    assert metrics(at)["新規"] == "1行"


def test_size_limit_is_configurable(store, monkeypatch):
    monkeypatch.setenv("KPI_MAX_UPLOAD_MB", "1")
    at = open_page("app_pages/upload.py", store)
    assert "上限 1 MB" in text_of(at)
    big = b"indicator_id,month,value\n" + b"K1-1,2025-04,1\n" * 80_000
    upload(at, "big.csv", big)
    assert len(at.error) == 1 and "このファイルは登録できません" in at.error[0].value
    assert "commit" not in [b.key for b in at.button]
    assert len(store.batches()) == 1
