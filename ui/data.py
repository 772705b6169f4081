"""Cached reads for the pages: the departments, the chosen policy and store, the indicators' records, figures.

The view's state (``Filters``: 所属, 年度, 経営課題, 基準月) lives here too, because every read is keyed by it;
the sidebar (ui.sidebar) sets it. Only caching lives here; every rule is in kpi/.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from kpi import charts, city, departments, fiscal, service
from kpi import evaluation as ev
from kpi.departments import Catalog, Department
from kpi.evaluate import Result
from kpi.policy import Policy, data_dir, load_policy
from kpi.store import Store, store_dir
from kpi.store import versions as store_versions


@st.cache_resource
def _policy(folder: str) -> Policy:
    return load_policy(folder)


@st.cache_resource(ttl=60, show_spinner=False)
def _catalog(data_root: str, store_root: str) -> Catalog:
    # Re-read every minute: a department or a year folder added to the root shows up without a restart.
    return departments.catalog(data_root, store_root)


T = TypeVar("T")


def per_run(key: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per script run (of this session), then the same value for the rest of the run.

    For what a run asks many times and cannot change within it: a cached function's lookup costs about 0.1 ms
    (it inspects the function's signature on every call), reading st.secrets 0.6 ms when there is no secrets
    file. The run is recognised by its cursors, a dict the framework makes anew when each run (or fragment
    run) starts; outside a run (bare Python, the CLI's tests) nothing is kept."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return compute()
    memo = getattr(ctx, "_kpi_per_run", None)
    if memo is None or memo[0] is not ctx.cursors:
        memo = (ctx.cursors, {})
        ctx._kpi_per_run = memo
    if key not in memo[1]:
        memo[1][key] = compute()
    return memo[1][key]


def version(s: Store) -> str:
    """The store's version as a short cache key, read once per run: a run asked it up to five times (each a listing
    of the store's folders, or a query), and every cached call hashed the whole list of names again."""
    # keyed by kind and root: a view as known at a past moment shares its store's root but not its version
    return per_run(f"version {type(s).__name__} {s.root} {getattr(s, 'cutoff', '')}", lambda: _key(s.version()))


def _key(version: tuple) -> str:
    return hashlib.blake2b(repr(version).encode(), digest_size=16).hexdigest()


def catalog() -> Catalog:
    """The departments of KPI_DATA_DIR (one policy folder, or a root of <department>/<year>/); looked up once per run."""
    return per_run("catalog", lambda: _catalog(str(data_dir()), str(store_dir())))


# Per department, keyed by that department's store version: an upload to one department recomputes its summary only
# (about 0.03 s), not the city's 60 (1.7 s). A resource, not data: st.cache_data would unpickle every summary on every
# run (650 KB for 60 departments, 50 ms of the page's 60). The summaries are frozen and only read.
@st.cache_resource(max_entries=2048, show_spinner=False)
def _department_summary(data_root: str, store_root: str, dept_id: str, version: str, fy: int) -> city.DepartmentSummary:
    return city.summarise(_catalog(data_root, store_root).get(dept_id), fy)


# The spinner of the cache itself: shown only while the list is computed, not started (a thread, an element the browser
# loads scripts for) on every run that finds it cached.
@st.cache_resource(max_entries=8, show_spinner="所属ごとに集計しています…")
def _city(data_root: str, store_root: str, versions: tuple[tuple[str, str], ...], fy: int) -> list[city.DepartmentSummary]:
    # The whole list while no store has changed (one lookup, not 60); after an upload, the other rows from their cache.
    return [_department_summary(data_root, store_root, dept_id, version, fy) for dept_id, version in versions]


def city_summary(fy: int) -> list[city.DepartmentSummary]:
    """Every department's summary for 市全体, each cached until its department's store changes."""
    depts = list(catalog().departments.values())
    keys = per_run("city versions", lambda: [_key(v) for v in store_versions([d.store() for d in depts])])
    return _city(str(data_dir()), str(store_dir()), tuple(zip((d.dept_id for d in depts), keys)), fy)


@dataclass(frozen=True)
class Filters:
    fy: int
    issues: tuple[str, ...]  # empty = every 経営課題
    as_of: str
    dept: str = departments.SINGLE  # the department (所属) when the data root holds several

    def issue_ids(self, p: Policy) -> list[str]:
        return list(self.issues) or list(p.issues)


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


# Resources, not data: st.cache_data unpickles its value on every run (the results list was about 5% of a run of
# 指標, the inputs as many rows as the store holds). Both are frozen dataclasses in lists that no page or
# export changes (worst_first and attention make new lists): returned by reference, they must only be read.
@st.cache_resource(show_spinner="実績を読み込んでいます…", max_entries=16)
def _inputs(store_root: str, version: str, fy: int) -> service.Inputs:
    # The one read of the store per version and year; a change of filter or 基準月 only re-evaluates.
    return service.read_inputs(Store(store_root), fy)


@st.cache_resource(show_spinner=False, max_entries=64)
def _results(store_root: str, version: str, data_folder: str, fy: int, as_of: str,
             issues: tuple[str, ...]) -> tuple[list[Result], service.SourceNote]:
    inputs = _inputs(store_root, version, fy)
    p = _policy(data_folder)
    rs = service.results_from(p, inputs, fy, as_of, list(issues) or None)
    return rs, service.source_note(inputs.batches, rs, p)


@st.cache_resource(max_entries=64, show_spinner=False)
def _sample_batches(store_root: str, version: str) -> tuple:
    return tuple(service.active_sample_batches(Store(store_root)))


def sample_batches() -> tuple:
    """The chosen store's active sample batches, read once per store version (reading every batch's record on
    each run of 概要 was a scan of the store's folder, or a query)."""
    s = store()
    return _sample_batches(str(s.root), version(s))


@st.cache_resource(max_entries=64, show_spinner=False)
def _coverage(store_root: str, version: str) -> dict:
    return Store(store_root).coverage()


def batch_coverage() -> dict:
    """What each of the chosen store's batches covers (months, indicators), read once per store version (every
    batch's rows: 40 ms for a million)."""
    s = store()
    return _coverage(str(s.root), version(s))


def inputs(f: Filters) -> service.Inputs:
    """What the store holds for the chosen year (actuals, evaluation records, check-ins, batches), cached by its version."""
    s = store()
    return _inputs(str(s.root), version(s), f.fy)


def results(f: Filters) -> tuple[list[Result], service.SourceNote]:
    s = store()
    return _results(str(s.root), version(s), folder(f), f.fy, f.as_of, f.issues)


@st.cache_data(show_spinner="年度評価を集計しています…", max_entries=32)
def _evaluation_view(store_root: str, version: str, data_folder: str, fy: int, as_of: str,
                     issues: tuple[str, ...]) -> ev.PageView:
    rs, _ = _results(store_root, version, data_folder, fy, as_of, issues)
    return ev.page_view(Store(store_root), _policy(data_folder), fy, as_of, list(issues) or None, rs)


def evaluation_view(f: Filters) -> ev.PageView:
    s = store()
    return _evaluation_view(str(s.root), version(s), folder(f), f.fy, f.as_of, f.issues)


# Figures are built on demand and cached by the data and the view; returned by reference: pages must not mutate them.
@st.cache_resource(max_entries=64, show_spinner=False)
def _detail_figures(store_root: str, version: str, data_folder: str, fy: int, as_of: str, issues: tuple[str, ...],
                    indicator_id: str) -> tuple:
    rs, note = _results(store_root, version, data_folder, fy, as_of, issues)
    r = next(x for x in rs if x.indicator.indicator_id == indicator_id)
    return charts.gauge(r), charts.series(r)


def detail_figures(f: Filters, indicator_id: str) -> tuple:
    """The gauge and the monthly series of one indicator."""
    s = store()
    return _detail_figures(str(s.root), version(s), folder(f), f.fy, f.as_of, f.issues, indicator_id)


@st.cache_resource(max_entries=32, show_spinner=False)
def _overview_figure(store_root: str, version: str, data_folder: str, fy: int, as_of: str, issues: tuple[str, ...],
                     order: tuple[str, ...]):
    rs, note = _results(store_root, version, data_folder, fy, as_of, issues)
    by_id = {r.indicator.indicator_id: r for r in rs}
    # IDs for labels and the key under the chart: at a phone's width names would leave no room for the bars.
    return charts.bullets([by_id[i] for i in order], f"指標の達成状況（{fiscal.fy_label(fy)}）", compact=True, row_px=40, key=False)


def overview_figure(f: Filters, ordered: list[Result]):
    """All indicators of the view in one figure (charts.bullets), in the order shown."""
    s = store()
    return _overview_figure(str(s.root), version(s), folder(f), f.fy, f.as_of, f.issues,
                            tuple(r.indicator.indicator_id for r in ordered))


def forget_catalog() -> None:
    """After a department or a year folder was written: the next read of the catalog finds it (not a minute later)."""
    _catalog.clear()
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None and getattr(ctx, "_kpi_per_run", None):
        ctx._kpi_per_run[1].pop("catalog", None)  # this run too
