"""Streamlit glue shared by the pages: cached reads, the sidebar filters, captions.

Only layout and caching live here; every rule is in kpi/.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

import ui_auth
from kpi import charts, city, departments, fiscal, fmt, htmltable, service
from kpi import evaluation as ev
from kpi.departments import Catalog, Department
from kpi.evaluate import STATUS_RULES, Result, status_counts
from kpi.kinds import STATUSES
from kpi.policy import Policy, data_dir, load_policy
from kpi.store import Store, store_dir


@st.cache_resource
def _policy(folder: str) -> Policy:
    return load_policy(folder)


@st.cache_resource(ttl=60, show_spinner=False)
def _catalog(data_root: str, store_root: str) -> Catalog:
    # Re-read every minute: a department or a year folder added to the root shows up without a restart.
    return departments.catalog(data_root, store_root)


def catalog() -> Catalog:
    """The departments of KPI_DATA_DIR (one policy folder, or a root of <department>/<year>/)."""
    return _catalog(str(data_dir()), str(store_dir()))


# Per department, keyed by that department's store version: an upload to one department recomputes its summary only
# (about 0.03 s), not the city's 60 (1.7 s). A resource, not data: st.cache_data would unpickle every summary on every
# run (650 KB for 60 departments, 50 ms of the page's 60). The summaries are frozen and only read.
@st.cache_resource(max_entries=2048, show_spinner=False)
def _department_summary(data_root: str, store_root: str, dept_id: str, version: tuple, fy: int) -> city.DepartmentSummary:
    return city.summarise(_catalog(data_root, store_root).get(dept_id), fy)


@st.cache_resource(max_entries=8, show_spinner=False)
def _city(data_root: str, store_root: str, versions: tuple[tuple[str, tuple], ...], fy: int) -> list[city.DepartmentSummary]:
    # The whole list while no store has changed (one lookup, not 60); after an upload, the other rows from their cache.
    return [_department_summary(data_root, store_root, dept_id, version, fy) for dept_id, version in versions]


def city_summary(fy: int) -> list[city.DepartmentSummary]:
    """Every department's summary for 市全体, each cached until its department's store changes."""
    versions = tuple((d.dept_id, d.store().version()) for d in catalog().departments.values())
    with st.spinner("所属ごとに集計しています…"):  # shown only when it takes more than half a second
        return _city(str(data_dir()), str(store_dir()), versions, fy)


# One row per page: add a page by adding a row. 市全体 shows only when the data root holds several departments.
PAGES = [
    ("app_pages/city.py", "市全体", ":material/location_city:"),
    ("app_pages/overview.py", "概要", ":material/dashboard:"),
    ("app_pages/budget.py", "予算", ":material/payments:"),
    ("app_pages/indicators.py", "指標", ":material/monitoring:"),
    ("app_pages/evaluation.py", "年度評価", ":material/grading:"),
    ("app_pages/upload.py", "実績アップロード", ":material/upload_file:"),
    ("app_pages/history.py", "履歴", ":material/history:"),
    ("app_pages/materials.py", "会議資料", ":material/slideshow:"),
]
CITY_PAGE = "app_pages/city.py"
# Pages that choose their own view and show no sidebar filters: 市全体 covers every department (a 所属, 経営課題 or
# 基準月 there would mean nothing) and has its own 年度.
OWN_VIEW = {CITY_PAGE}


def pages_for(rows: list[tuple[str, str, str]], cat: Catalog) -> list[tuple[str, str, str]]:
    """The pages to offer: 市全体 only when the data root holds several departments."""
    return [row for row in rows if row[0] != CITY_PAGE or cat.several]


def department(f: Filters | None = None) -> Department:
    f = f or current_filters()
    return catalog().get(f.dept if f else None)


def folder(f: Filters) -> str:
    """The policy folder that governs the view (the department's policy for the year): a cache key."""
    return str(department(f).folder_for(f.fy))


def load(folder: str) -> Policy:
    """The policy of a data folder (cached for the process)."""
    return _policy(folder)


def policy() -> Policy:
    """The 運営方針 of the chosen department and year."""
    f = current_filters()
    return _policy(folder(f))


def store() -> Store:
    """The chosen department's store (KPI_STORE itself for a single policy folder)."""
    return department().store()


@st.cache_resource
def bootstrap(data_root: str, store_root: str) -> int:
    """Once per server process: load each department's sample actuals into its store while that store is empty."""
    return sum(len(service.ensure_samples(d.store(), [_policy(str(f)) for f in d.folders.values()]))
               for d in departments.catalog(data_root, store_root).departments.values())


@st.cache_data(show_spinner="実績を読み込んでいます…", max_entries=16)
def _inputs(store_root: str, version: tuple, fy: int) -> service.Inputs:
    # The one read of the store per version and year; a change of filter or 基準月 only re-evaluates.
    return service.read_inputs(Store(store_root), fy)


@st.cache_data(show_spinner=False, max_entries=64)
def _results(store_root: str, version: tuple, data_folder: str, fy: int, as_of: str,
             issues: tuple[str, ...]) -> tuple[list[Result], service.SourceNote]:
    inputs = _inputs(store_root, version, fy)
    p = _policy(data_folder)
    rs = service.results_from(p, inputs, fy, as_of, list(issues) or None)
    return rs, service.source_note(inputs.batches, rs, p)


def inputs(f: Filters) -> service.Inputs:
    """What the store holds for the chosen year (actuals, evaluation records, check-ins, batches), cached by its version."""
    s = store()
    return _inputs(str(s.root), s.version(), f.fy)


def results(f: Filters) -> tuple[list[Result], service.SourceNote]:
    s = store()
    return _results(str(s.root), s.version(), folder(f), f.fy, f.as_of, f.issues)


@st.cache_data(show_spinner="年度評価を集計しています…", max_entries=32)
def _evaluation_view(store_root: str, version: tuple, data_folder: str, fy: int, as_of: str,
                     issues: tuple[str, ...]) -> ev.PageView:
    rs, _ = _results(store_root, version, data_folder, fy, as_of, issues)
    return ev.page_view(Store(store_root), _policy(data_folder), fy, as_of, list(issues) or None, rs)


def evaluation_view(f: Filters) -> ev.PageView:
    s = store()
    return _evaluation_view(str(s.root), s.version(), folder(f), f.fy, f.as_of, f.issues)


# Figures are built on demand and cached by the data and the view; returned by reference: pages must not mutate them.
@st.cache_resource(max_entries=64, show_spinner=False)
def _detail_figures(store_root: str, version: tuple, data_folder: str, fy: int, as_of: str, issues: tuple[str, ...],
                    indicator_id: str) -> tuple:
    rs, note = _results(store_root, version, data_folder, fy, as_of, issues)
    r = next(x for x in rs if x.indicator.indicator_id == indicator_id)
    return charts.gauge(r), charts.series(r)


def detail_figures(f: Filters, indicator_id: str) -> tuple:
    """The gauge and the monthly series of one indicator."""
    s = store()
    return _detail_figures(str(s.root), s.version(), folder(f), f.fy, f.as_of, f.issues, indicator_id)


@st.cache_resource(max_entries=32, show_spinner=False)
def _overview_figure(store_root: str, version: tuple, data_folder: str, fy: int, as_of: str, issues: tuple[str, ...],
                     order: tuple[str, ...]):
    rs, note = _results(store_root, version, data_folder, fy, as_of, issues)
    by_id = {r.indicator.indicator_id: r for r in rs}
    # IDs for labels and the key under the chart: at a phone's width names would leave no room for the bars.
    return charts.bullets([by_id[i] for i in order], f"指標の達成状況（{fiscal.fy_label(fy)}）", compact=True, row_px=40, key=False)


def overview_figure(f: Filters, ordered: list[Result]):
    """All indicators of the view in one figure (charts.bullets), in the order shown."""
    s = store()
    return _overview_figure(str(s.root), s.version(), folder(f), f.fy, f.as_of, f.issues,
                            tuple(r.indicator.indicator_id for r in ordered))


def url_choice(label: str, options: list[str], key: str, *, default: str, format_func=str, widget=st.selectbox, **kwargs) -> str:
    """A choice kept in the URL under ``key`` (?indicator=K2-2): a copied link reopens it; unknown values are ignored."""
    written = f"_url_{key}"  # what this session last put in the URL: anything else there came from a link
    wanted = st.query_params.get(key)
    if wanted in options and wanted != st.session_state.get(written):
        st.session_state[key] = wanted
    if st.session_state.get(key) not in options:
        # Streamlit forgets a widget's value while another page is shown; the last choice comes back with the page.
        remembered = st.session_state.get(written)
        st.session_state[key] = remembered if remembered in options else default
    value = widget(label, options, key=key, format_func=format_func, **kwargs)
    st.session_state[written] = value
    if st.query_params.get(key) != value:
        st.query_params[key] = value
    return value


# No plotly toolbar: its tooltips are English and its buttons are Tab stops; every chart has 画像で保存 instead.
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False, "locale": "ja"}
ASSETS = Path(__file__).resolve().parent / "assets"


def chart(fig, key: str) -> None:
    """A plotly figure as every page draws one: its own template, no toolbar; its layout.meta.alt is its text alternative."""
    st.plotly_chart(fig, theme=None, key=key, config=PLOTLY_CONFIG)


def accessibility() -> None:
    """Once per run: the app's CSS fixes and the script that declares Japanese, translates the framework's
    strings and gives charts their labels (assets/; app-controlled text only)."""
    st.html(ASSETS / "a11y.css")
    with st.sidebar:
        st.html(f"<script>{(ASSETS / 'a11y.js').read_text(encoding='utf-8')}</script>", unsafe_allow_javascript=True, width="content")


class PageDone(Exception):
    """Raised by ``stop``: the page has said all it has (an empty state) and app.py goes on after it."""


def stop() -> None:
    """End the page here, like st.stop(), but let app.py still draw what follows the page (the sidebar's copy-link).
    After st.stop() the live runtime refuses every further element, so the link vanished from pages that stopped early."""
    raise PageDone


def copy_link() -> None:
    """In the sidebar: the link of the current view (filters and selection included), with a copy button."""
    from urllib.parse import urlencode

    base = st.context.url
    if not base:
        return
    query = urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])
    with st.sidebar.popover("この表示へのリンク", icon=":material/link:", width="stretch"):
        st.caption("年度・経営課題・基準月・選んだ指標を含むリンクです。右上のコピーボタンでコピーして、メールやチャットに貼り付けてください。")
        st.code(base + ("?" + query if query else ""), language=None, wrap_lines=True)


def write_as_editor(action, done: str, what: str = "記録") -> None:
    """Run a write only if the user may still edit (ui_auth.require_editor: checked at the click, not only when
    the form was drawn); a refusal in Japanese, a ValueError's message shown, else a toast and a rerun."""
    if not ui_auth.require_editor(what):
        return
    try:
        action()
    except ValueError as exc:
        st.error(str(exc))
    else:
        st.toast(done)
        st.rerun()


@dataclass(frozen=True)
class Filters:
    fy: int
    issues: tuple[str, ...]  # empty = every 経営課題
    as_of: str
    dept: str = departments.SINGLE  # the department (所属) when the data root holds several

    def issue_ids(self, p: Policy) -> list[str]:
        return list(self.issues) or list(p.issues)


LATEST = "latest"  # written as such in the URL: a shared link says whether it meant "the newest" or a fixed month
URL_KEYS = ("dept", "fy", "issue", "as_of")


def _adopt_url(years: list[int], default_fy: int) -> None:
    """A link (?fy=2025&issue=2&as_of=2025-09) opens the same view: each value in the URL that this session did not
    write itself (a copied link, a link from 市全体, the browser's back button) is taken over. Unknown values are
    ignored rather than trusted (the 経営課題 are checked against the policy of the year)."""
    written = st.session_state.setdefault("_url_written", {})
    qp = st.query_params
    fy = qp.get("fy")
    if fy is not None and fy != written.get("fy") and fy.isdigit() and int(fy) in years:
        st.session_state["fy"] = int(fy)
    as_of = qp.get("as_of")
    if as_of is not None and as_of != written.get("as_of"):
        try:
            st.session_state["as_of"] = as_of if as_of == LATEST else fiscal.ym(*fiscal.parse_ym(as_of))
        except ValueError:
            pass
    issues = qp.get_all("issue")
    if issues and issues != written.get("issue"):
        st.session_state["issue"] = issues
    st.session_state.setdefault("fy", default_fy)
    st.session_state.setdefault("as_of", LATEST)
    st.session_state.setdefault("issue", [])


def _write_url(f: Filters, as_of_choice: str, several: bool) -> None:
    """Mirror the filters in the URL; the department (when there are several), the year and the 基準月 always
    (最新 as ``latest``), so a link means what it said."""
    wanted = {"dept": f.dept if several else None, "fy": str(f.fy), "issue": list(f.issues) or None, "as_of": as_of_choice}
    st.session_state["_url_written"] = {"fy": str(f.fy), "issue": list(f.issues), "as_of": as_of_choice}
    for key, value in wanted.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
            st.query_params[key] = value


def keep_filters() -> None:
    """On a page without the sidebar's filters: keep their choices for the next page. Streamlit drops the value of
    a widget that a run does not draw; written back as plain state, it survives until the widget returns."""
    for key in URL_KEYS:  # the sidebar's widgets carry the keys they write in the URL
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def sidebar() -> Filters:
    """The filters every page obeys, kept in the URL (?dept=digital&fy=2025&issue=2&as_of=2025-09)."""
    cat = catalog()
    with st.sidebar:
        if not ui_auth.auth_configured():
            st.caption("サインインが設定されていません。このダッシュボードを開いた人は誰でも、実績の登録・取り消し、"
                       "評価の上書き、振り返りの記入ができます（記録者は「ローカル利用者」）。")
        st.subheader("表示の条件")
        dept_id = departments.SINGLE
        if cat.several:
            ids = list(cat.departments)
            dept_id = url_choice("所属", ids, "dept", default=ids[0], format_func=lambda d: cat.departments[d].label)
        dept = cat.get(dept_id)
        years = dept.fiscal_years()
        _adopt_url(years, dept.default_year())
        if st.session_state.get("fy") not in years:
            st.session_state["fy"] = dept.default_year()
        fy = st.selectbox("年度", years, key="fy", format_func=lambda y: fiscal.fy_label(y, western=True))
        p = _policy(str(dept.folder_for(fy)))
        st.session_state["issue"] = [i for i in st.session_state.get("issue", []) if i in p.issues]  # this year's 経営課題 only
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
    f = Filters(fy, tuple(sorted(issues, key=order.get)), latest if choice == LATEST else choice, dept_id)
    _write_url(f, choice, cat.several)
    return f


def current_filters() -> Filters:
    """The sidebar's filters of this run; the defaults (first department, its default year, 最新) when a page runs alone."""
    f = st.session_state.get("_filters")
    if f is None:
        d = next(iter(catalog().departments.values()))
        fy = d.default_year()
        f = Filters(fy, (), fiscal.latest_as_of(fy), d.dept_id)
    return f


def filters() -> Filters:
    return current_filters()


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


def md(text: str) -> str:
    """User text (file names, cell values, reasons) shown literally in markdown."""
    return re.sub(r"([\\`*_{}\[\]<>|~$])", r"\\\1", str(text))


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
