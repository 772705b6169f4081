"""AppTest of 年度評価: the table per 経営課題 for the sample data, provisional grades, overrides and texts."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from conftest import frames, run_app, unescape
from kpi import evaluation as ev

PAGE = "app_pages/evaluation.py"
def run(store_root, monkeypatch, **state) -> AppTest:
    return run_app(PAGE, store_root, monkeypatch, **state)


def text_of(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.title, *at.subheader, *at.warning, *at.info, *at.error, *at.text)]
    return unescape("\n".join(str(p) for p in parts))  # as the user reads it (ui.escape undone)


def tables(at: AppTest, column: str = "最終評価"):
    return [t for t in frames(at) if column in t.columns]


def rows_by_id(at: AppTest) -> dict[str, dict]:
    """Per indicator, its row of the table and of the detail table below it (算定の根拠 …), as the user reads them."""
    out: dict[str, dict] = {}
    for t in frames(at):
        if "指標ID" in t.columns and ("最終評価" in t.columns or "算定の根拠" in t.columns):
            for r in t.to_dict("records"):
                out.setdefault(r["指標ID"], {}).update({k: unescape(v) if isinstance(v, str) else v for k, v in r.items()})
    return out


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def button(at: AppTest, label: str):
    (b,) = [b for b in at.button if b.label == label]
    return b


def test_year_end_table_per_issue_with_the_sample_data(tmp_path, monkeypatch):
    at = run(tmp_path / "store", monkeypatch)
    assert [s.value for s in at.subheader][:4] == [
        "経営課題1　便利・快適で幸せを実感できる市民生活", "経営課題2　効率的かつ質の高い行政運営",
        "経営課題3　便利・安心・安全なまち", "経営課題4　全庁的なDXの推進"]
    assert [len(t) for t in tables(at)] == [2, 4, 1, 8]
    rows = rows_by_id(at)
    k11, k47 = rows["K1-1"], rows["K4-7"]
    assert (k11["目標"], k11["年度実績"], k11["達成率"], k11["算定評価"], k11["最終評価"]) == ("2,000件（累計）", "2,046件", "102%", "A（達成）", "A（達成）")
    assert k11["算定の根拠"] == "最新月の値 2,046件 ≥ 目標 2,000件（累計） → A（達成）"
    assert (k47["目標"], k47["年度実績"], k47["算定評価"], k47["最終評価"]) == ("3事業", "2事業", "B（未達成）", "B（未達成）")
    assert rows["K2-4"]["算定の根拠"].endswith("目標に達した月 7/12か月 → B（未達成）")
    assert rows["K4-3"]["前年度実績"] == "－"
    assert list(tables(at)[0].columns) == ["指標ID", "指標", "目標", "年度実績", "達成率", "算定評価", "最終評価", "前年度実績"]
    assert not [t for t in at.text if t.value.startswith("※")]  # no override, no note
    assert metrics(at) == {"指標": "15件", "A（達成）": "6件", "B（未達成）": "9件", "上書き": "0件"}
    text = text_of(at)
    assert "基準月 令和8年3月末時点" in text and "その月末時点までの実績で評価します" in text
    assert "アウトカム指標の達成状況" in text and "※A：達成　B：未達成" in text
    assert "自己評価（運営方針全体の定性評価）" in text and "今後の方針" in text and "未記入" in text


def test_before_the_year_ends_grades_are_provisional(tmp_path, monkeypatch):
    at = run(tmp_path / "store", monkeypatch, as_of="2025-09")
    (warning,) = at.warning[-1:]
    assert "令和7年9月末の時点では令和7年度は終わっていません（6か月経過）" in warning.value and "未確定" in warning.value
    rows = rows_by_id(at)
    assert {r["最終評価"] for r in rows.values()} == {"未確定（年度途中）"}
    assert rows["K1-1"]["年度実績"] == "1,731件"  # September's running total, not March's
    assert rows["K1-1"]["状況（基準月時点）"] == "○ 順調"  # 1,731 against the pace from April's 1,523 (起点（仮）) to 2,000
    assert "年度途中（6か月経過）のため未確定" in rows["K1-1"]["算定の根拠"]
    assert metrics(at)["A（達成）"] == "－"


def test_filter_by_issue_and_the_next_fiscal_year(tmp_path, monkeypatch):
    at = run(tmp_path / "store", monkeypatch, issue=["4"])
    assert list(rows_by_id(at)) == ["K4-1", "K4-2", "K4-3", "K4-4", "K4-5", "K4-6", "K4-7", "K4-8"]
    at = run(tmp_path / "store", monkeypatch, fy=2026, as_of="2026-09")
    (k45,) = rows_by_id(at).values()
    assert (k45["指標ID"], k45["目標"], k45["前年度実績"], k45["最終評価"]) == ("K4-5", "70% 以上", "58%", "未確定（年度途中）")
    assert k45["前年度実績の出典"] == "令和7年度の実績から算定"


def test_year_over_year_table(tmp_path, monkeypatch):
    at = run(tmp_path / "store", monkeypatch, as_of="2026-03")
    (yearly,) = tables(at, "期間")
    rows = {r["指標ID"]: r for r in yearly.to_dict("records")}
    assert list(yearly.columns) == ["指標ID", "指標", "期間", "令和5年度", "令和6年度", "令和7年度", "令和8年度", "令和9年度"]
    assert rows["K4-4"]["期間"] == "R6〜R9" and rows["K4-4"]["令和7年度"] == "65名（目標 60名程度/年・A）"
    assert rows["K4-4"]["令和9年度"] == "未到来"
    assert rows["K4-3"]["期間"] == "R5〜R7" and rows["K4-3"]["令和5年度"] == "－"
    assert rows["K4-5"]["令和8年度"] == "未到来（目標 70% 以上）"


def test_editor_overrides_a_grade_only_with_a_reason(tmp_path, monkeypatch):
    at = run(tmp_path / "store", monkeypatch)
    at.selectbox(key="override_indicator").set_value("K4-7")
    at.radio(key="override_grade").set_value("A")
    button(at, "上書きを記録").click()
    at.run()
    assert "K4-7 の評価を上書きするには理由の記入が必要です" in [unescape(e.value) for e in at.error]
    assert ev.records(tmp_path / "store") == []
    at.selectbox(key="override_indicator").set_value("K4-7")
    at.radio(key="override_grade").set_value("A")
    at.text_area(key="override_reason").input("3事業目は3月に実施済み（報告漏れ）")
    button(at, "上書きを記録").click()
    at.run()
    assert not at.exception
    k47 = rows_by_id(at)["K4-7"]
    assert (k47["算定評価"], k47["最終評価"]) == ("B（未達成）", "A（達成）※（算定 B）")
    (note,) = [t.value for t in at.text if t.value.startswith("※ K4-7")]
    assert note.startswith("※ K4-7 パイロット事業の実施: 算定評価 B（未達成） を A（達成） に上書き（ローカル利用者、令和")  # 和暦
    assert note.endswith("\n理由: 3事業目は3月に実施済み（報告漏れ）")
    assert metrics(at)["上書き"] == "1件" and metrics(at)["A（達成）"] == "7件"
    (log,) = tables(at, "内容")
    assert unescape(log["内容"][0]) == "K4-7 の評価を A（達成）に上書き: 3事業目は3月に実施済み（報告漏れ）"
    # withdrawing is recorded too, and the computed grade applies again
    button(at, "上書きを取り消す").click()
    at.run()
    assert rows_by_id(at)["K4-7"]["最終評価"] == "B（未達成）"
    assert len(ev.history(tmp_path / "store", 2025)) == 2


def test_editor_enters_previous_year_actual(tmp_path, monkeypatch):
    at = run(tmp_path / "store", monkeypatch)
    at.selectbox(key="previous_indicator").set_value("K1-1")
    at.number_input(key="previous_value").set_value(1850)
    at.text_input(key="previous_note").input("令和6年度運営方針")
    button(at, "前年度実績を記録").click()
    at.run()
    k11 = rows_by_id(at)["K1-1"]
    assert k11["前年度実績"] == "1,850件" and k11["前年度実績の出典"].startswith("入力（ローカル利用者、")


def test_editor_writes_self_evaluation_and_future_policy(tmp_path, monkeypatch):
    at = run(tmp_path / "store", monkeypatch)
    (self_eval,) = [t for t in at.text_area if t.label == "自己評価（運営方針全体の定性評価）"]
    self_eval.input("行政手続きのオンライン化は目標を達成した。")
    (future,) = [t for t in at.text_area if t.label == "今後の方針"]
    future.input("パイロット事業を拡大する。")
    button(at, "保存").click()
    at.run()
    shown = [t.value for t in at.text]
    assert "行政手続きのオンライン化は目標を達成した。" in shown and "パイロット事業を拡大する。" in shown
    assert ev.text_of(ev.texts(tmp_path / "store", 2025), "self_evaluation") == "行政手続きのオンライン化は目標を達成した。"
    # per 経営課題
    at.selectbox(key="text_scope").set_value("2")
    at.run()
    (issue_future,) = [t for t in at.text_area if t.label == "今後の方針"]
    assert issue_future.value == ""
    issue_future.input("生成AIの全庁展開を進める。")
    button(at, "保存").click()
    at.run()
    assert not at.exception, at.exception
    assert "経営課題2 今後の方針" in text_of(at) and "生成AIの全庁展開を進める。" in [t.value for t in at.text]
    assert len(ev.history(tmp_path / "store", 2025)) == 3


def test_viewers_see_the_evaluation_but_no_edit_forms(tmp_path, monkeypatch):
    from ui import auth as ui_auth

    monkeypatch.setattr(ui_auth, "can_edit", lambda: False)
    at = run(tmp_path / "store", monkeypatch)
    assert rows_by_id(at)["K1-1"]["最終評価"] == "A（達成）"
    assert not [b for b in at.button if b.label in ("上書きを記録", "保存", "前年度実績を記録")]
    assert not at.text_area
    # the page's own notice (ui_auth.editor_notice), not a stand-in
    assert any(i.value.startswith("評価の上書き・前年度実績の入力・文章の編集は編集者だけが行えます。") for i in at.info)


def test_placeholders_quote_no_policy_of_their_own(tmp_path, monkeypatch):
    at = run(tmp_path / "store", monkeypatch)
    assert at.text_area(key="override_reason").placeholder == "例: 年度末に実施済み（実績の報告漏れ）"
    assert at.text_input(key="previous_note").placeholder == "例: 令和6年度の運営方針の実績欄"  # from the year shown


@pytest.mark.parametrize("as_of", ["2025-04", "2026-03"])
def test_page_runs_for_any_as_of(tmp_path, monkeypatch, as_of):
    at = run(tmp_path / "store", monkeypatch, as_of=as_of)
    assert len(rows_by_id(at)) == 15


def test_who_and_when_read_in_wareki(tmp_path, monkeypatch):
    """Override, texts and an entered 前年度実績 say who and when in 和暦 (the store keeps ISO)."""
    store = tmp_path / "store"
    at = run(store, monkeypatch)  # the app's first start loads the sample
    ev.set_override(store, 2025, "K4-7", "A", "3事業目は3月に実施済み", "山田")
    ev.set_text(store, 2025, "self_evaluation", "計画どおり進んだ。", "山田")
    ev.set_previous(store, 2025, "K1-1", 1500, "山田", "前年度の報告書から")
    at.run()
    cells = [str(v) for t in frames(at) for v in t.to_numpy().ravel()]
    shown = unescape("\n".join([text_of(at), *cells]))
    assert not re.search(r"\d{4}-\d{2}-\d{2}", shown), re.search(r".{20}\d{4}-\d{2}-\d{2}.{10}", shown)
    assert shown.count("山田、令和") >= 2 and "山田　令和" in shown  # override and 前年度実績; the text's 最終更新
