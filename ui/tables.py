"""What pages write: headings, notices, the status rules and counts, tables and charts (app-made markup only)."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kpi import fiscal, htmltable, service
from kpi.evaluate import STATUS_RULES, Result, status_counts
from kpi.kinds import STATUSES
from kpi.policy import Policy
from ui.auth import can_edit
from ui.data import Filters, catalog, department

# No plotly toolbar: its tooltips are English and its buttons are Tab stops; every chart has 画像で保存 instead.
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False, "locale": "ja"}


ASSETS = Path(__file__).resolve().parent.parent / "assets"


class _Markup(str):
    """App-made HTML handed to st.html as it is: the framework takes an object's _repr_html_ without the dedent and
    strip it runs over a plain string, whose cost grows with the text (the 指標 list's table is 22 KB: 2–5 % of the
    server's time under 100 sessions at once, measured with py-spy)."""

    def _repr_html_(self) -> str:
        return str(self)


def html(markup: str, **kwargs) -> None:
    """st.html of markup the app built (kpi.htmltable, kpi.charts, kpi.htmlcharts, assets/): every text in it is
    escaped where it was built."""
    st.html(_Markup(markup), **kwargs)


def chart(fig, key: str) -> None:
    """A plotly figure as every page draws one: its own template, no toolbar; its layout.meta.alt is its text alternative."""
    st.plotly_chart(inert_figure(fig), theme=None, key=key, config=PLOTLY_CONFIG)


# Plotly reads a few tags in every text of a figure (<b>, <br>, <span style>, and <a href> as a live link); the app
# writes no link into a chart, so an <a> in a figure came from the data (an indicator's name): shown as written.
_LINK_TAG = re.compile(r"<(/?a)(?=[\s>/])", re.IGNORECASE)


def inert_figure(fig):
    """A copy of ``fig`` in which no text can make a link (the cached figure itself is left as it is)."""
    def walk(value):
        if isinstance(value, str):
            return _LINK_TAG.sub(r"&lt;\1", value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(walk(v) for v in value)
        return value

    return go.Figure(walk(fig.to_plotly_json()))


def accessibility() -> None:
    """Once per run: the app's CSS fixes and the script that declares Japanese, translates the framework's
    strings and gives charts their labels, and the one that follows the app's own links within it (assets/;
    app-controlled text only). One element in the sidebar for all of them:
    a style applies to the whole document wherever it stands, and each element is work for the browser."""
    with st.sidebar:
        html(_assets(), unsafe_allow_javascript=True, width="content")


@functools.lru_cache(maxsize=1)
def _assets() -> str:
    # Read and joined once per process, not on every run (the files ship with the app; a change needs a restart anyway).
    return (f"<style>{(ASSETS / 'a11y.css').read_text(encoding='utf-8')}</style>"
            f"<script>{(ASSETS / 'a11y.js').read_text(encoding='utf-8')}\n{(ASSETS / 'links.js').read_text(encoding='utf-8')}</script>")


def heading(title: str, p: Policy, f: Filters) -> None:
    st.title(title)
    scope = "・".join(p.issues[i].label for i in f.issues) if f.issues else "すべての経営課題"
    dept = f"{department(f).label}　|　" if catalog().several else ""
    st.caption(escape(f"{dept}{p.text('title')}　|　{fiscal.fy_label(f.fy, western=True)}　|　{scope}　|　基準月 {fiscal.month_label(f.as_of)}末"))
    link_notes()
    if p.text("sample"):  # a policy of the example root: never to be taken for a real one
        st.warning(f"**サンプル（架空）** の運営方針です。{escape(p.text('sample'))}", icon=":material/science:")
    folder_warnings()


LINK_NOTES = "_link_notes"  # this run's notes on a link's values that the view does not offer (ui.sidebar)


def link_notes() -> None:
    """Under the page's heading: which values of the link that opened it the view does not offer. There, not in the
    sidebar, which a phone keeps folded away."""
    show_unused(st.session_state.pop(LINK_NOTES, []))


def show_unused(notes: list[str]) -> None:
    """Each note on a link's unused value as a caption, where the call is (under a choice, under the heading)."""
    for note in notes:
        st.caption(":material/link_off: " + escape(note))


def folder_warnings() -> None:
    """To editors: the folders of the data root that are not read (a name that is no department ID or year, a year
    without policy.csv); every other department works. The names are shown as plain text."""
    skipped = catalog().skipped
    if not skipped or not can_edit():
        return
    with st.container(key="skipped_folders"):
        st.warning(f"参照データのフォルダに、読み込まれていないフォルダが {len(skipped)}件あります（ほかの所属は表示できます）。"
                   "名前を直すと読み込まれます。`python -m kpi check-data` でも確認できます。", icon=":material/folder_off:")
        st.text("\n".join(str(s) for s in skipped))


def sample_notice(note: service.SourceNote) -> None:
    if note.sample:
        st.warning(f"**{service.SAMPLE_LABEL}** の実績を表示しています。実際の数値ではありません。"
                   "実績をアップロードし、サンプルは「履歴」ページから削除できます。", icon="⚠️")


@functools.lru_cache(maxsize=1)
def status_rules_html() -> str:
    return htmltable.details_html("状況・評価の判定ルール", htmltable.markdown_list_html(STATUS_RULES))


def status_rules() -> None:
    """The rules of the statuses and grades (kpi.evaluate.STATUS_RULES), closed until opened."""
    html(status_rules_html())


def status_figures(counts: dict[str, int], rules: bool = False, head: str = "") -> None:
    """How many indicators stand at each status, as a row of figures (every page that opens with them); with
    ``rules``, the rules under them in the same element; ``head``: app-made HTML above them in the element."""
    html(head + htmltable.figures_html([(f"{STATUSES[name].symbol} {name}", f"{n}件") for name, n in counts.items()],
                                "状況ごとの指標の数") + (status_rules_html() if rules else ""))


def status_metrics(rs: list[Result]) -> None:
    """The status counts of ``rs`` and the rules that decide them."""
    status_figures(status_counts(rs), rules=True)


# After a backslash escape the framework still makes links of bare addresses (http://…, www.…, a@b.jp) and reads
# :colour[…] and :material/…: directives; a word joiner (U+2060, invisible, not a space) after every ":" and "@" and
# inside "www" breaks each of them (measured in Chromium: tests/test_browser_payloads.py).
_JOIN = "\u2060"


def escape(text: object) -> str:
    """Text shown literally where the framework reads Markdown (widget labels, captions, notices, toasts): every
    character that can open a construct backslash-escaped (the list and heading marks at the start only, so that
    "K2-2" stays as it is), no link, image, formula, colour or icon can form; a line break becomes a space.
    Prefer st.text or an HTML helper where the text stands alone."""
    if text is None:
        return ""
    out = str(text).replace("\r", "").replace("\n", "　")
    out = re.sub(r"([\\`*_~\[\]<>$:&#|!{}^])", r"\\\1", out)
    out = re.sub(r"^(\s*\d*)([-+.=)])(?=\s|$)", r"\1\\\2", out)  # "- x", "+ x", "1. x", "1) x" would open a list
    out = re.sub(r"([:@])", "\\1" + _JOIN, out)
    return re.sub(r"(?i)w(?=ww)", lambda m: m.group(0) + _JOIN, out)


def table(frame: pd.DataFrame, alt: str, user_columns: list[str] | tuple[str, ...] = ()) -> None:
    """A static table that wraps long text (whole names and reasons at any width, real table markup for screen
    readers), drawn as plain HTML by kpi.htmltable: every cell escaped, none read as Markdown (st.table made links
    of addresses in check-ins even when escaped). ``alt`` is the table's caption for screen readers.
    ``user_columns`` (the columns that hold what users typed) is kept for the callers: every column is escaped."""
    columns = [str(c) for c in frame.columns]
    rows = [["" if v is None or (isinstance(v, float) and v != v) else v for v in row] for row in frame.to_numpy().tolist()]
    html(htmltable.table_html(columns, rows, alt, wide=[c for c in columns if c in user_columns], hidden_caption=True))
