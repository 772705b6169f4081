"""Entry point: page config, the shared sidebar filters and navigation over the pages."""
from __future__ import annotations

import streamlit as st

import ui
from kpi.policy import PolicyError, data_dir
from kpi.store import store_dir

# One row per page: add a page by adding a row. 市全体 shows only when the data root holds several departments.
PAGES = [
    ("pages/city.py", "市全体", ":material/location_city:"),
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
    if not ui.catalog().departments:
        st.error(f"参照データのフォルダ（{data_dir()}）に運営方針がありません。policy.csv のあるフォルダか、"
                 "<所属>/<年度>/ のフォルダを置いたフォルダを KPI_DATA_DIR に指定してください。")
        st.stop()
    ui.bootstrap(str(data_dir()), str(store_dir()))
    st.session_state["_filters"] = ui.sidebar()
except PolicyError as exc:
    st.error("参照データ（運営方針の CSV）に問題があるため表示できません。`python -m kpi check-data` で場所と内容を確認できます。")
    st.code(str(exc), language=None)
    st.stop()

shown = [row for row in PAGES if row[0] != "pages/city.py" or ui.catalog().several]
page = st.navigation([st.Page(path, title=title, icon=icon, default=path == "pages/overview.py") for path, title, icon in shown])
ui.accessibility()
try:
    page.run()
finally:  # also when the page stopped early: after it, so that its own choices (?indicator=…) are in the link
    ui.copy_link()
