"""Real Chromium: an editor overrides a grade with a reason and writes 自己評価; both survive a reload."""
from __future__ import annotations

import re

import pytest

from conftest import goto, wait_ready

pytestmark = pytest.mark.browser

REASON = "3事業目は3月に実施済み（実績の報告漏れ）"
SELF_EVALUATION = "行政手続きのオンライン化は目標を上回った。パイロット事業は年度末に3事業目を実施した。"


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def settle(page) -> None:
    """Wait until no script run is pending (a click can be followed by a second run from st.rerun)."""
    for _ in range(2):
        wait_ready(page)
        page.wait_for_timeout(700)
    wait_ready(page)


def open_expander(page, title: str) -> None:
    page.locator('[data-testid="stExpander"] summary', has_text=title).click()


def test_editor_override_and_self_evaluation_survive_a_reload(server, page):
    goto(page, f"{server.url}/")  # the first visit loads the sample actuals
    goto(page, f"{server.url}/evaluation?as_of=2026-03")
    text = main_text(page)
    assert "年度評価" in text and "基準月 令和8年3月末時点" in text and "未記入" in text

    open_expander(page, "評価の上書き・前年度実績の入力（編集者）")
    wait_ready(page)
    form = page.locator('[data-testid="stForm"]', has_text="評価を上書きする")
    box = form.locator('[data-testid="stSelectbox"]')
    # Type to filter, then choose: robust to the list being redrawn while it is open.
    box.click()
    page.keyboard.type("K4-7")
    page.get_by_role("option", name=re.compile("^K4-7 パイロット事業の実施")).click()
    form.get_by_text("A（達成）", exact=True).click()
    form.get_by_label("理由").fill(REASON)
    form.get_by_role("button", name="上書きを記録").click()
    wait_ready(page)
    page.locator('[data-testid="stMetric"]', has_text="上書き").filter(has_text="1件").wait_for(timeout=30000)
    settle(page)  # the override's st.rerun: let the second run finish before the next action

    open_expander(page, "自己評価・今後の方針を書く（編集者）")
    settle(page)
    area = page.get_by_label("自己評価（運営方針全体の定性評価）")
    area.fill(SELF_EVALUATION)
    assert area.input_value() == SELF_EVALUATION
    page.get_by_role("button", name="保存", exact=True).click()
    wait_ready(page)
    page.locator('[data-testid="stText"]', has_text=SELF_EVALUATION).wait_for(timeout=30000)  # shown once recorded

    page.reload()
    wait_ready(page)
    text = main_text(page)
    assert SELF_EVALUATION in text
    assert "最終更新: ローカル利用者" in text
    metrics = page.locator('[data-testid="stMetric"]', has_text="上書き").inner_text()
    assert "1件" in metrics
    # the override's note under the table, with its reason in full; the change history lists it too
    assert f"理由: {REASON}" in text and "※ K4-7 パイロット事業の実施" in text
    open_expander(page, "変更の履歴")
    history = page.locator('[data-testid="stExpander"]', has_text="変更の履歴").locator("table.kpi-table")  # ui.table: escaped HTML
    history.wait_for()
    shown = history.inner_text()
    assert REASON in shown and "K4-7" in shown
