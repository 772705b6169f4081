"""Streamlit glue shared by the pages: cached reads, the sidebar filters, captions.

Only layout and caching live here; every rule is in kpi/.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from kpi import charts, fiscal, fmt, service
from kpi import evaluation as ev
from kpi.evaluate import STATUS_RULES, Result, status_counts
from kpi.kinds import STATUSES
from kpi.policy import Policy, data_dir, load_policy
from kpi.store import Store, store_dir


@st.cache_resource
def _policy(folder: str) -> Policy:
    return load_policy(folder)


def policy() -> Policy:
    return _policy(str(data_dir()))


def store() -> Store:
    return Store(store_dir())


@st.cache_resource
def bootstrap(store_root: str, data_folder: str) -> str | None:
    """Once per server process: load the sample actuals into an empty store."""
    return service.ensure_sample(Store(store_root), _policy(data_folder))


@st.cache_data(show_spinner="実績を集計しています…", max_entries=64)
def _results(store_root: str, version: tuple, data_folder: str, fy: int, as_of: str,
             issues: tuple[str, ...]) -> tuple[list[Result], service.SourceNote]:
    s, p = Store(store_root), _policy(data_folder)
    rs = service.results(s, p, fy, as_of, list(issues) or None)
    return rs, service.source_note(s, rs, p)


def results(f: Filters) -> tuple[list[Result], service.SourceNote]:
    s = store()
    return _results(str(s.root), s.version(), str(data_dir()), f.fy, f.as_of, f.issues)


@st.cache_data(show_spinner="年度評価を集計しています…", max_entries=32)
def _evaluation_view(store_root: str, version: tuple, data_folder: str, fy: int, as_of: str,
                     issues: tuple[str, ...]) -> ev.PageView:
    rs, _ = _results(store_root, version, data_folder, fy, as_of, issues)
    return ev.page_view(Store(store_root), _policy(data_folder), fy, as_of, list(issues) or None, rs)


def evaluation_view(f: Filters) -> ev.PageView:
    s = store()
    return _evaluation_view(str(s.root), s.version(), str(data_dir()), f.fy, f.as_of, f.issues)


@st.cache_resource(max_entries=32, show_spinner=False)
def _indicator_figures(store_root: str, version: tuple, data_folder: str, fy: int, as_of: str,
                       issues: tuple[str, ...]) -> dict[str, tuple]:
    # Building 30 plotly figures costs more than the whole rest of the page; they only
    # change with the data or the filters. Returned by reference: pages must not mutate them.
    rs, note = _results(store_root, version, data_folder, fy, as_of, issues)
    return {r.indicator.indicator_id: (charts.gauge(r), charts.series(r, note.text)) for r in rs}


def indicator_figures(f: Filters) -> dict[str, tuple]:
    s = store()
    return _indicator_figures(str(s.root), s.version(), str(data_dir()), f.fy, f.as_of, f.issues)


@dataclass(frozen=True)
class Filters:
    fy: int
    issues: tuple[str, ...]  # empty = every 経営課題
    as_of: str

    def issue_ids(self, p: Policy) -> list[str]:
        return list(self.issues) or list(p.issues)


LATEST = "latest"  # written as such in the URL: a shared link says whether it meant "the newest" or a fixed month
URL_KEYS = ("fy", "issue", "as_of")


def _seed_from_url(years: list[int], issues: list[str], default_fy: int) -> None:
    """Once per browser session: a copied link (?fy=2025&issue=2&as_of=2025-09) opens the same view.

    Unknown values in the URL are ignored rather than trusted.
    """
    if st.session_state.get("_url_seeded"):
        return
    st.session_state["_url_seeded"] = True
    qp = st.query_params
    fy = qp.get("fy", "")
    st.session_state.setdefault("fy", int(fy) if fy.isdigit() and int(fy) in years else default_fy)
    wanted = [i for i in qp.get_all("issue") if i in issues]
    st.session_state.setdefault("issue", wanted)
    as_of = qp.get("as_of", "")
    try:
        fiscal.parse_ym(as_of)
        st.session_state.setdefault("as_of", as_of)
    except ValueError:
        st.session_state.setdefault("as_of", LATEST)


def _write_url(f: Filters, as_of_choice: str) -> None:
    """Mirror the filters in the URL; the year and the 基準月 always (最新 as ``latest``), so a link means what it said."""
    wanted = {"fy": str(f.fy), "issue": list(f.issues) or None, "as_of": as_of_choice}
    for key, value in wanted.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
            st.query_params[key] = value


def sidebar(p: Policy) -> Filters:
    """The filters every page obeys, kept in the URL (?fy=2025&issue=2&as_of=2025-09)."""
    years = p.target_years() or [p.fiscal_year]
    default_fy = p.fiscal_year if p.fiscal_year in years else years[-1]
    _seed_from_url(years, list(p.issues), default_fy)
    if st.session_state.get("fy") not in years:
        st.session_state["fy"] = default_fy
    with st.sidebar:
        st.subheader("表示の条件")
        fy = st.selectbox("年度", years, key="fy", format_func=lambda y: fiscal.fy_label(y, western=True))
        issues = st.multiselect(
            "経営課題（未選択ならすべて）", list(p.issues), key="issue",
            format_func=lambda i: f"{p.issues[i].label} {p.issues[i].short_title}", placeholder="すべての経営課題",
        )
        latest = fiscal.latest_as_of(fy)  # this month, or March once the year has ended
        months = [m for m in fiscal.fy_months(fy) if m <= latest]
        if st.session_state.get("as_of") not in (LATEST, *months):
            st.session_state["as_of"] = LATEST  # a month of another fiscal year
        choice = st.selectbox(
            "基準月（その月末時点で表示）", [LATEST, *months], key="as_of",
            format_func=lambda m: f"最新（{fiscal.month_label(latest)}）" if m == LATEST else fiscal.month_label(m),
        )
    order = {iid: i for i, iid in enumerate(p.issues)}
    f = Filters(fy, tuple(sorted(issues, key=order.get)), latest if choice == LATEST else choice)
    _write_url(f, choice)
    return f


def _leave_v1_multipage_mode() -> None:
    """Make a link straight to a page (…/indicators?issue=2) go through app.py.

    Streamlit treats a folder named pages/ beside the entry point as its old
    multipage mode until app.py first calls st.navigation; on a fresh server a
    first visit to /indicators would run the page alone, without the sidebar
    filters. Leaving that mode and rerunning runs app.py, which resolves the
    same page (page ids are derived from the same url path). Called from the pages
    only: app.py's st.navigation has already left that mode by the time they run.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the old mode
        return
    # app.py stores the sidebar filters before any page runs; without them this page
    # was started on its own by the old mode.
    if PagesManager.uses_pages_directory and "_filters" not in st.session_state:
        PagesManager.uses_pages_directory = False
        st.rerun()


def filters() -> Filters:
    _leave_v1_multipage_mode()
    f = st.session_state.get("_filters")
    if f is None:  # page run on its own (tests): the defaults
        p = policy()
        f = Filters(p.fiscal_year, (), fiscal.latest_as_of(p.fiscal_year))
    return f


def heading(title: str, p: Policy, f: Filters) -> None:
    st.title(title)
    scope = "・".join(p.issues[i].label for i in f.issues) if f.issues else "すべての経営課題"
    st.caption(f"{p.text('title')}　|　{fiscal.fy_label(f.fy, western=True)}　|　{scope}　|　基準月 {fiscal.month_label(f.as_of)}末")


def sample_notice(note: service.SourceNote) -> None:
    if note.sample:
        st.warning(f"**{service.SAMPLE_LABEL}** の実績を表示しています。実際の数値ではありません。"
                   "実績をアップロードし、サンプルは「概要」ページから削除できます。", icon="⚠️")


def status_rules() -> None:
    with st.expander("状況・評価の判定ルール"):
        st.markdown(STATUS_RULES)


def status_metrics(rs: list[Result]) -> None:
    counts = status_counts(rs)
    for col, (name, n) in zip(st.columns(len(counts)), counts.items()):
        col.metric(f"{STATUSES[name].symbol} {name}", f"{n}件")


def md(text: str) -> str:
    """User text (file names, cell values, reasons) shown literally in markdown."""
    return re.sub(r"([\\`*_{}\[\]<>|~$])", r"\\\1", str(text))


def results_frame(rs: list[Result], p: Policy) -> pd.DataFrame:
    """The indicator table shown under charts (the charts' text alternative), formatted by kpi.fmt."""
    return pd.DataFrame([{
        "経営課題": p.issues[r.indicator.issue_id].label,
        "指標ID": r.indicator.indicator_id,
        "指標": r.indicator.short_name,
        "実績": fmt.value_text(r),
        "目標": fmt.target_text(r.indicator, r.target),
        "達成率": fmt.progress_text(r),
        "想定ペース": fmt.with_unit(r.expected, r.indicator.unit),
        "状況": fmt.status_text(r.status),
        "評価": fmt.grade_text(r) if r.grade else "",
        "最終報告月": fiscal.month_label(r.last_month) if r.last_month else "未報告",
        "年度末見込み": fmt.with_unit(r.forecast, r.indicator.unit),
    } for r in rs])
