"""What pages write: headings, notices, the status rules and counts, tables and charts (app-made markup only)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

from kpi import fiscal, htmltable, service
from kpi.evaluate import STATUS_RULES, Result, status_counts
from kpi.kinds import STATUSES
from kpi.policy import Policy
from ui.data import Filters, catalog, department

# No plotly toolbar: its tooltips are English and its buttons are Tab stops; every chart has 画像で保存 instead.
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False, "locale": "ja"}


ASSETS = Path(__file__).resolve().parent.parent / "assets"


def chart(fig, key: str) -> None:
    """A plotly figure as every page draws one: its own template, no toolbar; its layout.meta.alt is its text alternative."""
    st.plotly_chart(fig, theme=None, key=key, config=PLOTLY_CONFIG)


def accessibility() -> None:
    """Once per run: the app's CSS fixes and the script that declares Japanese, translates the framework's
    strings and gives charts their labels (assets/; app-controlled text only)."""
    st.html(ASSETS / "a11y.css")
    with st.sidebar:
        st.html(f"<script>{(ASSETS / 'a11y.js').read_text(encoding='utf-8')}</script>", unsafe_allow_javascript=True, width="content")


def heading(title: str, p: Policy, f: Filters) -> None:
    st.title(title)
    scope = "・".join(p.issues[i].label for i in f.issues) if f.issues else "すべての経営課題"
    dept = f"{department(f).label}　|　" if catalog().several else ""
    st.caption(f"{dept}{p.text('title')}　|　{fiscal.fy_label(f.fy, western=True)}　|　{scope}　|　基準月 {fiscal.month_label(f.as_of)}末")
    if p.text("sample"):  # a policy of the example root: never to be taken for a real one
        st.warning(f"**サンプル（架空）** の運営方針です。{p.text('sample')}", icon=":material/science:")


def sample_notice(note: service.SourceNote) -> None:
    if note.sample:
        st.warning(f"**{service.SAMPLE_LABEL}** の実績を表示しています。実際の数値ではありません。"
                   "実績をアップロードし、サンプルは「概要」ページから削除できます。", icon="⚠️")


def status_rules() -> None:
    with st.expander("状況・評価の判定ルール"):
        st.markdown(STATUS_RULES)


def status_figures(counts: dict[str, int]) -> None:
    """How many indicators stand at each status, as a row of figures (every page that opens with them)."""
    st.html(htmltable.figures_html([(f"{STATUSES[name].symbol} {name}", f"{n}件") for name, n in counts.items()],
                                   "状況ごとの指標の数"))


def status_metrics(rs: list[Result]) -> None:
    status_figures(status_counts(rs))


def escape(text: object) -> str:
    """Text shown literally where the framework reads Markdown (st.table cells): every ASCII punctuation
    character backslash-escaped (CommonMark allows it for all of them); a line break inside a cell becomes a space."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", str(text)).replace("\n", "　") if text is not None else ""


def html_table(frame: pd.DataFrame, caption: str, numeric: tuple[str, ...] = (), nowrap: tuple[str, ...] = ()) -> None:
    """A static table drawn as plain HTML (kpi.htmltable, every cell escaped), with its caption shown. Where a page
    opens with a table, this keeps the browser from loading st.table's Arrow reader (about 1 MB of scripts)."""
    st.html(htmltable.table_html(list(frame.columns), frame.to_numpy().tolist(), caption, numeric=numeric, nowrap=nowrap))


def table(frame: pd.DataFrame, alt: str, user_columns: list[str] | tuple[str, ...] = ()) -> None:
    """A static table that wraps long text (whole names and reasons at any width, real table markup for screen
    readers). Cells of ``user_columns`` hold what users typed and are escaped; the other cells are the app's own."""
    shown = frame.copy()
    for col in user_columns:
        if col in shown:
            shown[col] = shown[col].map(escape)
    st.table(shown, hide_index=True, alt=alt)
