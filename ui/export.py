"""Streamlit glue for exports: image downloads under each chart, and the 会議資料 page's file making.

The work is in kpi.export; here only buttons, progress and caching. Chart images are made
when a button is clicked (deferred download data), through the one kaleido browser the
process keeps; without Chrome/Chromium the buttons give way to a Japanese message.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from kpi.charts import with_footer as add_footer
from kpi.export import images

LABELS = {"png": "PNG（スライド用・2倍）", "svg": "SVG", "pdf": "PDF"}
UNAVAILABLE_SHORT = "画像のダウンロードには Chrome/Chromium が必要です（管理者にお問い合わせください）。"


@st.cache_resource(show_spinner=False)
def start_browser() -> threading.Thread | None:
    """Once per server process: start kaleido's browser in the background so the first export is quick."""
    if not images.available():
        return None
    t = threading.Thread(target=images.warm_up, name="kaleido-warm-up", daemon=True)
    t.start()
    return t


def chart_downloads(fig: go.Figure, name: str, *, key: str, width: int = images.DEFAULT_WIDTH,
                    footer: str | None = None, title: str | None = None) -> None:
    """PNG (2×), SVG and PDF download buttons for ``fig``, named ``name`` + extension.

    ``name`` must be built from known values (kpi.export.chart_name), never user text.
    ``footer`` adds a source / as-of line to the exported image when the figure has none;
    ``title`` replaces its title (a gauge on the page needs no name, a picture in a slide does).
    The image is made only when a button is clicked; nothing is rendered on a rerun.
    """
    if not images.available():
        st.caption(UNAVAILABLE_SHORT)
        return
    start_browser()
    safe = images.safe_name(name)
    with st.popover("画像で保存", icon=":material/download:", key=f"img_{key}"):
        for fmt, label in LABELS.items():
            ext, mime, _ = images.IMAGE_FORMATS[fmt]
            st.download_button(label, data=_figure_bytes(fig, fmt, width, footer, title), file_name=f"{safe}.{ext}", mime=mime,
                               key=f"img_{key}_{fmt}", on_click="ignore", width="stretch")


def _figure_bytes(fig: go.Figure, fmt: str, width: int, footer: str | None, title: str | None) -> Callable[[], bytes]:
    def make() -> bytes:
        from ui.tables import inert_figure  # an SVG keeps links live: none may come from the data

        out = inert_figure(add_footer(fig, footer, width) if footer else fig)
        if title:
            out.update_layout(title_text=title)
        return images.render(out, fmt, width=width)
    return make


class _Made:
    """Files made on the 会議資料 page, kept for re-downloads (bounded; shared by sessions)."""

    def __init__(self, limit: int = 24):
        self.items: OrderedDict[tuple, bytes] = OrderedDict()
        self.limit = limit
        self.lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self.lock:
            return self.items.get(key)

    def put(self, key: tuple, data: bytes) -> None:
        with self.lock:
            self.items[key] = data
            while len(self.items) > self.limit:
                self.items.popitem(last=False)


@st.cache_resource(show_spinner=False)
def made_files() -> _Made:
    return _Made()
