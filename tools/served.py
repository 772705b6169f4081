"""A real dashboard served by `streamlit run` on a free port, and Debian's Chromium to look at it.

Shared by the browser tests (tests/conftest.py), the benchmarks (bench/) and the screenshot tool,
so that every one of them starts the app and waits for it the same way.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from kpi import htmltable

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# Every plotly chart on the page has been drawn (plotly sets _fullLayout once Plotly.newPlot has finished), and
# every chart drawn on the server (kpi.htmlcharts: an SVG image) has been decoded.
CHARTS_DRAWN = """(expected) => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  return plots.length >= expected && plots.every(p => p._fullLayout)
    && Array.from(document.querySelectorAll('.kpi-series img')).every(i => i.complete)
    && !!document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]');
}"""


def one_line_page(folder: Path) -> Path:
    """A Streamlit script that shows one title: what the framework alone costs, the floor every timing is set against."""
    script = Path(folder) / "one_line_page.py"
    script.write_text('import streamlit as st\nst.title("一行だけのページ")\n', encoding="utf-8")
    return script


# The dashboard's frame around a one-line page: the sidebar's page list (as many pages, same titles and icons, the
# app's own HTML list as ui.sidebar.page_list draws it) and its
# filters as ui/sidebar.py draws them (in its words, and the same kinds of widget in a popover: 年度, 経営課題, 基準月),
# each page a title only. What any page of the dashboard costs before its own content (bench/bench_feel.py).
FRAME = """import streamlit as st

st.set_page_config(page_title="枠だけ", page_icon="📊", layout="wide")


def page() -> None:
    st.title("枠だけのページ")


pages = [st.Page(page, title=title, icon=icon, url_path=f"p{n}", default=n == 0) for n, (title, icon) in enumerate(%(pages)r)]
current = st.navigation(pages, position="hidden")
with st.sidebar:
    st.html(%(page_list)r)
    st.subheader("表示の条件")
    st.caption(%(summary)r)
with st.sidebar.popover("表示の条件を変える", icon=":material/tune:", width="stretch"):
    st.selectbox("年度", ["2025年度（令和7年度）", "2024年度（令和6年度）"], key="fy")
    st.multiselect("経営課題（未選択ならすべて）", [f"経営課題{n}" for n in range(1, 5)], key="issue", placeholder="すべての経営課題")
    st.selectbox("基準月（その月末時点で表示）", ["最新", *[f"{m}月" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]], key="as_of")
current.run()
"""


def frame_page(folder: Path, pages: list[tuple[str, str]], summary: str) -> Path:
    """A Streamlit script with the dashboard's frame (``pages``: title and icon of each page; ``summary``: the filters in
    words, as the sidebar's caption) around a one-line page."""
    script = Path(folder) / "frame_page.py"
    page_list = htmltable.pages_html("ページ", [htmltable.PageLink(title, icon, f"p{n}" if n else "./", n == 0) for n, (title, icon) in enumerate(pages)])
    script.write_text(FRAME % {"pages": pages, "summary": summary, "page_list": page_list}, encoding="utf-8")
    return script


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run SCRIPT`` (through serve.py, as every app server) on a free port with its own environment (KPI_STORE, KPI_DATA_DIR, …)."""

    def __init__(self, env: dict | None = None, script: Path = ROOT / "app.py", port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://localhost:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "serve.py"), "run", str(script), "--server.port", str(self.port),
             "--server.headless", "true", "--server.address", "localhost"],
            cwd=ROOT, env=os.environ | (env or {}), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("localhost", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("streamlit did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
