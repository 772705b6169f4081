"""Entry point: page config, the shared sidebar filters and navigation over the pages."""
from __future__ import annotations

import streamlit as st

import ui
from kpi.policy import PolicyError, data_dir
from kpi.store import store_dir

# One row per page: add a page by adding a row.
PAGES = [
    ("pages/overview.py", "概要", ":material/dashboard:"),
    ("pages/budget.py", "予算", ":material/payments:"),
    ("pages/indicators.py", "指標", ":material/monitoring:"),
    ("pages/evaluation.py", "年度評価", ":material/grading:"),
    ("pages/upload.py", "実績アップロード", ":material/upload_file:"),
    ("pages/history.py", "履歴", ":material/history:"),
    ("pages/materials.py", "会議資料", ":material/slideshow:"),
]

st.set_page_config(page_title="運営方針 KPI ダッシュボード", page_icon=":material/monitoring:", layout="wide")

try:
    policy = ui.policy()
except PolicyError as exc:
    st.error("参照データ（data/ の CSV）に問題があるため表示できません。")
    st.code(str(exc), language=None)
    st.stop()

ui.bootstrap(str(store_dir()), str(data_dir()))
st.session_state["_filters"] = ui.sidebar(policy)
page = st.navigation([st.Page(path, title=title, icon=icon, default=i == 0) for i, (path, title, icon) in enumerate(PAGES)])
ui.accessibility()
try:
    page.run()
finally:  # also when the page stopped early: after it, so that its own choices (?indicator=…) are in the link
    ui.copy_link()
