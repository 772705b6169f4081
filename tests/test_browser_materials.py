"""Real Chromium: filter 経営課題2, open 会議資料, make the files and download the deck."""
from __future__ import annotations

import io
import re

import pytest

from conftest import goto, open_filters, wait_ready
from kpi.export import images

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not images.available(), reason="no Chrome/Chromium for kaleido")]


def test_deck_download_has_only_the_filtered_issue(server, page):
    from pptx import Presentation

    goto(page, f"{server.url}/materials?issue=2&as_of=2025-09")  # a link with the sidebar's filter: 経営課題2
    main = page.locator('[data-testid="stMain"]')
    open_filters(page)
    assert "経営課題2" in page.locator('[data-testid="stPopoverBody"] [data-testid="stMultiSelect"]').inner_text()
    page.keyboard.press("Escape")
    assert "経営課題2" in main.locator('[data-testid="stMultiSelect"]').inner_text()  # the sidebar's filter is the default

    main.get_by_role("button", name="資料を作成").click()
    button = main.get_by_role("button", name=re.compile(r"PowerPoint（16:\u2060?9）\s*デジタル統括室_令和7年度_運営方針_経営課題2_令和7年9月末\.pptx"))
    button.wait_for(timeout=120000)
    wait_ready(page)
    assert "サンプル（架空）" in main.inner_text()
    with page.expect_download(timeout=60000) as dl:
        button.click()
    download = dl.value
    assert download.suggested_filename == "デジタル統括室_令和7年度_運営方針_経営課題2_令和7年9月末.pptx"
    prs = Presentation(io.BytesIO(open(download.path(), "rb").read()))
    titles = [s.name for s in prs.slides]
    assert titles == ["表紙", "遅れ・注意の指標（1件、ペース比の悪い順）", "全体の状況", "予算の推移",
                      "経営課題2　効率的かつ質の高い行政運営：指標の達成状況"]  # mid-year: no 年度評価 slides
    body = "\n".join(sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.has_text_frame)
    tables = "\n".join(c.text for s in prs.slides for sh in s.shapes if sh.has_table for row in sh.table.rows for c in row.cells)
    assert "経営課題2" in body and "経営課題1" not in body and "経営課題4" not in body
    assert "K2-4" in tables and "K1-1" not in tables
    assert sum(1 for s in prs.slides for sh in s.shapes if sh.shape_type == 13) == 2  # budget and indicator charts


def test_chart_png_download_under_the_budget_chart(server, page):
    from PIL import Image

    goto(page, f"{server.url}/budget?issue=2")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("button", name="画像で保存").first.click()
    with page.expect_download(timeout=60000) as dl:
        page.get_by_role("button", name="PNG（スライド用・2倍）").click()
    download = dl.value
    assert download.suggested_filename == "デジタル統括室_令和7年度_経営課題2_予算推移.png"
    from conftest import DATA
    from kpi import charts
    from kpi.policy import load_policy

    img = Image.open(download.path())
    # 1000 px wide at 2×, the source and growth inside (the figure grows to hold them)
    assert img.size == (2000, 2 * charts.budget_chart(load_policy(DATA), ["2"], 2025, export_width=1000).layout.height)
    assert len(img.convert("RGB").getcolors(maxcolors=1 << 20)) > 200
