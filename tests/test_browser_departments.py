"""Real Chromium: two app servers on one store folder see each other's imports and rollbacks; 市全体 opens a department;
the 所属 choice shows every department's whole name.

This is the layout for several servers behind a load balancer (README: 複数のサーバーで動かす): each server
reads the shared folder on every rerun, and the store's sequence keeps the order whoever writes.
"""
from __future__ import annotations

import pytest

from conftest import ROOT, Server, goto, loaded_widgets, open_filters, wait_ready

pytestmark = pytest.mark.browser
EXAMPLES = ROOT / "examples" / "departments"


def detail(page) -> str:
    box = page.locator(".st-key-indicator_detail")
    box.get_by_text("K1-1").first.wait_for(timeout=30000)
    return box.inner_text()


def test_two_servers_on_one_store_see_each_others_import_and_rollback(tmp_path, browser):
    store = tmp_path / "shared-store"
    a, b = Server(store, EXAMPLES), Server(store, EXAMPLES)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    pa, pb = context.new_page(), context.new_page()
    try:
        view = "/indicators?dept=higashisumiyoshi&fy=2026&as_of=2026-10&indicator=K1-1"
        goto(pa, a.url + view)
        goto(pb, b.url + view)
        assert "562件" in detail(pb)  # the sample: 街頭犯罪 April–October
        # an import through server A …
        goto(pa, a.url + "/upload?dept=higashisumiyoshi&fy=2026")
        pa.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            files=[{"name": "10月分.csv", "mimeType": "text/csv", "buffer": "指標ID,年月,実績値\nK1-1,2026-10,31\n".encode("cp932")}])
        wait_ready(pa)
        pa.locator(".st-key-commit button").first.click()
        wait_ready(pa)
        pa.locator(".st-key-upload_flash", has_text="登録しました").wait_for(timeout=30000)
        # … shows on server B's next rerun (562 − 81 + 31)
        pb.reload()
        wait_ready(pb)
        pb.locator(".st-key-indicator_detail", has_text="512件").wait_for(timeout=30000)
        # a rollback through server B …
        goto(pb, b.url + "/history?dept=higashisumiyoshi&fy=2026")
        pb.locator(".st-key-batch_detail", has_text="10月分.csv").wait_for(timeout=30000)
        pb.locator(".st-key-confirm_rollback").get_by_role("checkbox").check(force=True)
        wait_ready(pb)
        pb.locator(".st-key-rollback button").click()
        wait_ready(pb)
        # … shows on server A's
        goto(pa, a.url + view)
        pa.locator(".st-key-indicator_detail", has_text="562件").wait_for(timeout=30000)
        assert "512件" not in detail(pa)
    finally:
        context.close()
        a.stop()
        b.stop()


def test_city_page_opens_a_departments_overview(tmp_path, browser):
    srv = Server(tmp_path / "store", EXAMPLES)
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="ja-JP")  # an office laptop's window
    try:
        goto(page, srv.url + "/city")
        page.locator("table.kpi-table", has_text="東住吉区役所").first.wait_for(timeout=30000)
        # every column in sight beside the sidebar: nothing to scroll sideways for (最終登録 was cut by 53 px at 1366 px,
        # 139 px at 1280; with the year in the caption and 伸び in 予算's cell, 0)
        box = page.locator(".kpi-table-wrap").first
        assert box.evaluate("e => e.scrollWidth - e.clientWidth") <= 1
        # The years are links (kpi.htmltable.choices_html): no widget's scripts are loaded for this page (each widget
        # kind loads its own the first time it is drawn)
        assert not {"Radio", "Selectbox", "ButtonGroup"} & loaded_widgets(page), loaded_widgets(page)
        years = page.get_by_role("navigation", name="年度")
        assert years.locator('[aria-current="true"]').inner_text() == "令和8年度"
        # A narrower window, with the 年度 column (the ward has no R7 policy): tighter cells, still nothing to scroll
        # (76 px in a 1180 px window before, 22 px at 1280 with the column)
        page.set_viewport_size({"width": 1180, "height": 1000})
        years.get_by_role("link", name="令和7年度", exact=True).click()
        years.locator('[aria-current="true"]', has_text="令和7年度").wait_for(timeout=30000)
        wait_ready(page)
        assert "year=2025" in page.url
        page.locator("table.kpi-table thead th", has_text="年度").first.wait_for(timeout=30000)
        assert box.evaluate("e => e.scrollWidth - e.clientWidth") <= 1
        years.get_by_role("link", name="令和8年度", exact=True).click()
        years.locator('[aria-current="true"]', has_text="令和8年度").wait_for(timeout=30000)
        wait_ready(page)
        page.locator("table.kpi-table", has_text="東住吉区役所").first.wait_for(timeout=30000)
        with page.expect_popup() as opened:  # a link in a table opens in a new tab, 市全体 stays
            page.locator("table.kpi-table").get_by_role("link", name="東住吉区役所（サンプル・架空）").click()
        overview = opened.value
        overview.locator("h1", has_text="概要").wait_for(timeout=60000)
        wait_ready(overview)
        assert "dept=higashisumiyoshi" in overview.url
        overview.get_by_text("令和8年度 東住吉区運営方針（サンプル・架空）", exact=False).first.wait_for(timeout=30000)
        # The era's year on its own line in the table only: a phone's "column: value" block reads 令和8年10月 on one line
        month = page.locator('td[data-label="最終報告月"]').first
        assert "\n" in month.inner_text()
        page.set_viewport_size({"width": 390, "height": 900})
        page.wait_for_function("() => getComputedStyle(document.querySelector('table.kpi-table thead')).position === 'absolute'")
        assert "\n" not in month.inner_text().removeprefix("最終報告月") and month.inner_text().endswith("月")
        upload = page.locator('td[data-label="最終登録"]').first.inner_text()
        assert upload.count("\n") == 0 and " " in upload, upload  # 令和8年12月3日 22:45: its space kept
        # the five status counts share a line or two of the block (they took five lines, one each)
        counts = page.locator("table.kpi-table tbody tr").first.locator("td.num")
        assert counts.count() == 5 and len({round(c.bounding_box()["y"]) for c in counts.all()}) <= 2
    finally:
        page.close()
        srv.stop()


# Every element under ``root`` whose text is cut (wider than its box): what the reader sees ends in the middle.
CUT = """(root) => Array.from(root.querySelectorAll('*')).filter(e => e.children.length === 0 && e.textContent.trim()
  && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())"""


@pytest.mark.parametrize("width", [1400, 390])
def test_the_department_choice_shows_whole_names(tmp_path, browser, width):
    """「デジタル統括室（サンプル・架空）」 was cut to 「デジタル統括室（サンプル・」 in the sidebar-wide popover, in the box and in
    its list alike: two names beginning alike could not be told apart."""
    srv = Server(tmp_path / "store", EXAMPLES)
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="ja-JP")
    try:
        goto(page, srv.url + "/indicators?dept=higashisumiyoshi")
        if width < 640:  # the sidebar is folded away on a phone
            page.locator('[data-testid="stExpandSidebarButton"]').click()
        open_filters(page)
        body = page.locator('[data-testid="stPopoverBody"]')
        box = body.locator('[data-testid="stSelectbox"]').first
        assert box.inner_text().splitlines()[0] == "所属"
        assert box.evaluate(CUT) == []
        box.get_by_role("combobox").click()
        options = page.get_by_role("option")
        options.first.wait_for(timeout=10000)
        assert sorted(options.all_inner_texts()) == ["デジタル統括室（サンプル・架空）", "東住吉区役所（サンプル・架空）"]
        assert page.locator('[role="listbox"]').evaluate(CUT) == []
        assert body.bounding_box()["x"] + body.bounding_box()["width"] <= width  # never past the window's edge
    finally:
        page.close()
        srv.stop()
