"""AppTest of 会議資料: what the page offers, the sidebar filter as its default, and files made on request."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, unescape
from kpi.export import FORMATS, SECTIONS, images

pytestmark = pytest.mark.xdist_group("kaleido")


def run(store_root, monkeypatch, **state) -> AppTest:
    monkeypatch.setenv("KPI_STORE", str(store_root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["as_of"] = state.pop("as_of", "2025-09")
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page("app_pages/materials.py")
    at.run()
    assert not at.exception, at.exception
    return at


def text_of(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.title, *at.subheader, *at.warning, *at.info, *at.text)]
    return unescape("\n".join(str(p) for p in parts))  # as the user reads it (ui.escape undone)


def test_page_offers_year_issues_sections_and_formats(tmp_path, monkeypatch):
    at = run(tmp_path / "store", monkeypatch)
    assert at.title[0].value == "会議資料"
    text = text_of(at)
    assert "資料を作成" in text and "基準月: 令和7年9月末" in text
    labels = {c.label: c.value for c in at.checkbox}
    for key, label in SECTIONS.items():
        assert labels[label] is (key != "monthly")
    for f in FORMATS.values():
        assert f.label in labels
    assert labels[FORMATS["pptx"].label] is images.available()
    assert labels[FORMATS["zip"].label] is False  # slow: only on request
    fy = next(s for s in at.selectbox if s.label == "年度")
    assert fy.value == 2025
    issues = next(m for m in at.multiselect if m.label.startswith("経営課題") and m.key.startswith("mat_issue"))
    assert issues.value == []  # the sidebar's choice: every 経営課題
    assert not at.download_button  # nothing made yet


def test_sidebar_filter_is_the_default_and_files_are_made(tmp_path, monkeypatch):
    at = run(tmp_path / "store", monkeypatch, issue=["2"])
    issues = next(m for m in at.multiselect if m.key.startswith("mat_issue"))
    assert issues.value == ["2"]
    for key in FORMATS:  # Excel and the CSV only: quick, and no browser needed
        at.checkbox(key=f"mat_format_{key}").set_value(key in ("xlsx", "csv"))
    at.button(key="mat_make").click()
    at.run()
    assert not at.exception, at.exception
    names = sorted(unescape(b.proto.label) for b in at.download_button)
    assert names == sorted([f"{FORMATS['xlsx'].label}　デジタル統括室_令和7年度_指標の達成状況_経営課題2_令和7年9月末.xlsx",
                            f"{FORMATS['csv'].label}　デジタル統括室_令和7年度_指標の達成状況_経営課題2_令和7年9月末.csv"])
    assert "サンプル（架空）" in text_of(at)
    assert "2件の資料を作成しました" in repr(at.main)  # the st.status label once done


def test_without_a_browser_the_page_says_so_and_offers_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chrome"))
    images.browser_path.cache_clear()
    try:
        at = run(tmp_path / "store", monkeypatch)
        assert any("Chrome または Chromium" in w.value for w in at.warning)
        boxes = {c.label: c for c in at.checkbox}
        assert boxes[FORMATS["pptx"].label].disabled and not boxes[FORMATS["xlsx"].label].disabled
    finally:
        images.browser_path.cache_clear()
