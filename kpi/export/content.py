"""What a set of meeting materials contains, gathered once and shared by every format.

``gather`` reads the store and the policy for a scope (fiscal year, 経営課題, as-of month);
``charts_for`` lists the figures of that content, each named from known values only
(年度, 経営課題 and indicator IDs from the policy, fixed words), never from user text.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go

from kpi import charts, fiscal, provenance, service
from kpi import evaluation as ev
from kpi.evaluate import Actual, BudgetRow, Result, budget_table
from kpi.export.images import Chart
from kpi.export.scope import SECTIONS, Scope
from kpi.policy import Policy
from kpi.provenance import Provenance
from kpi.store import Store

SAMPLE_DATA = service.SAMPLE_LABEL
UPLOADED = "アップロード実績"


@dataclass
class Materials:
    policy: Policy
    scope: Scope
    results: list[Result]
    note: service.SourceNote
    budget_years: list[int]
    budget_rows: list[BudgetRow]
    actuals: list[Actual]  # the fiscal year's current monthly actuals of the indicators in scope
    sample_batches: frozenset[str] = field(default_factory=frozenset)
    evaluation: ev.Report | None = None  # the year-end table and texts, when the scope includes "evaluation"
    provenance: Provenance | None = None  # what the files are made from (footer line and document properties)

    @property
    def fy(self) -> int:
        return self.scope.fy

    @property
    def as_of(self) -> str:
        return self.scope.as_of

    @property
    def year_ended(self) -> bool:
        return fiscal.fy_ended(self.fy, self.as_of)

    def issue_ids(self) -> list[str]:
        """経営課題 in scope, in policy order."""
        chosen = set(self.scope.issue_ids) or set(self.policy.issues)
        return [i for i in self.policy.issues if i in chosen]

    def results_of(self, issue_id: str) -> list[Result]:
        return [r for r in self.results if r.indicator.issue_id == issue_id]

    def budget_of(self, issue_id: str) -> BudgetRow | None:
        return next((b for b in self.budget_rows if b.issue_id == issue_id), None)

    def is_sample(self, r: Result) -> bool:
        return bool(r.batches & self.sample_batches)

    def data_label(self, r: Result) -> str:
        """サンプル（架空） / アップロード実績 / "" (no actuals): every export says which it shows."""
        if not r.batches:
            return ""
        return SAMPLE_DATA if self.is_sample(r) else UPLOADED

    def scope_label(self) -> str:
        return scope_label(self.policy, self.scope.issue_ids)

    def title(self) -> str:
        return self.policy.text("title") or "運営方針"

    def as_of_text(self) -> str:
        return f"基準: {fiscal.month_label(self.as_of)}末"

    def budget_source(self) -> str:
        return f"出典: {self.policy.text('source')}（決算額・予算額）"

    def footer(self) -> str:
        """The line every page and slide carries: source of the actuals and the as-of month."""
        return f"{self.note.text}　{self.as_of_text()}"

    def budget_total(self, year: int) -> float:
        return sum(r.amounts[year].amount for r in self.budget_rows if year in r.amounts)

    def budget_kind(self, year: int) -> str:
        kinds = {r.amounts[year].kind for r in self.budget_rows if year in r.amounts}
        return "・".join(sorted(kinds))

    def budget_year(self) -> int | None:
        """The year whose budget the summary shows: the chosen fiscal year if it has one, else the latest."""
        if not self.budget_years:
            return None
        return self.fy if self.fy in self.budget_years else self.budget_years[-1]


def scope_label(policy: Policy, issue_ids: Sequence[str]) -> str:
    """全経営課題, or 経営課題1・経営課題2: for titles and file names."""
    ids = [i for i in policy.issues if i in set(issue_ids)]
    if not ids or len(ids) == len(policy.issues):
        return "全経営課題"
    return "・".join(policy.issues[i].label for i in ids)


def gather(store: Store, policy: Policy, scope: Scope) -> Materials:
    ids = [i for i in scope.issue_ids if i in policy.issues]
    scope = Scope(scope.fy, tuple(ids), scope.as_of, tuple(s for s in SECTIONS if s in scope.sections))
    inputs = service.read_inputs(store, scope.fy, policy)
    rs = service.results_from(policy, inputs, scope.fy, scope.as_of, ids or None)
    note = service.source_note(inputs.batches, rs, policy)
    years, rows = budget_table(policy, ids or None)
    months = fiscal.fy_months(scope.fy)
    keep = {r.indicator.indicator_id for r in rs}
    actuals = [a for a in store.current(months[0], min(months[-1], scope.as_of)) if a.indicator_id in keep]
    order = {iid: n for n, iid in enumerate(policy.indicators)}
    actuals.sort(key=lambda a: (order.get(a.indicator_id, 0), a.month))
    sample = frozenset(b.batch_id for b in service.active_sample_batches(store))
    report = ev.report(store, policy, scope.fy, scope.as_of, ids or None, rs) if scope.includes("evaluation") else None
    return Materials(policy, scope, rs, note, years, rows, actuals, sample, report,
                     provenance.of(store, policy.data_dir, scope.as_of))


# --- figures --------------------------------------------------------------------------------

def gauge_for_export(m: Materials, r: Result, width_px: int) -> go.Figure:
    """The dashboard's gauge with the indicator's name in the title and source and as-of below."""
    fig = go.Figure(charts.gauge(r))
    fig.update_layout(title=dict(text=f"{r.indicator.indicator_id} {charts.short(r.indicator.short_name, 34)} 達成状況"
                                      f"（{fiscal.fy_label(m.fy)}）"))
    return charts.with_footer(fig, m.footer(), width_px)


def progress_chart(m: Materials, issue_id: str, compact: bool = False) -> go.Figure:
    """Per 経営課題: each indicator's bar against its target and pace (charts.bullets), for the deck and the PDF.

    ``compact`` labels the bars by indicator ID only, for a slide whose table beside it names them.
    """
    issue = m.policy.issues[issue_id]
    return charts.bullets(m.results_of(issue_id), f"{issue.label} 指標の達成状況（{fiscal.fy_label(m.fy)}）",
                          footer=charts.wrap(m.footer(), 52) if compact else m.footer(), compact=compact)


def charts_for(m: Materials, sections: Sequence[str] | None = None) -> list[Chart]:
    """Every chart of the materials, in reading order, named for what it shows."""
    sections = tuple(sections) if sections is not None else m.scope.sections
    dept = m.policy.text("department")
    out: list[Chart] = []
    if "summary" in sections and len(m.budget_rows) > 1:
        out.append(Chart(chart_name(dept, m.fy, m.scope_label(), "予算推移"), charts.budget_chart(m.policy, m.issue_ids(), m.fy, 1000),
                         meta={"kind": "budget_all"}))
    for iid in m.issue_ids():
        label = m.policy.issues[iid].label
        if "budget" in sections and m.budget_of(iid):
            out.append(Chart(chart_name(dept, m.fy, label, "予算推移"), charts.budget_chart(m.policy, [iid], m.fy, 900), width=900,
                             meta={"kind": "budget", "issue": iid}))
        rs = m.results_of(iid)
        if "indicators" in sections and rs:
            out.append(Chart(chart_name(dept, m.fy, label, "指標の達成状況"), progress_chart(m, iid), width=1100,
                             meta={"kind": "progress", "issue": iid}))
            if "compact" in sections:  # the deck's narrower version, IDs only (not a file of its own)
                out.append(Chart(chart_name(dept, m.fy, label, "指標の達成状況_スライド"), progress_chart(m, iid, compact=True), width=640,
                                 meta={"kind": "progress_compact", "issue": iid}))
        if "monthly" in sections:
            for r in rs:
                out.append(Chart(chart_name(dept, m.fy, label, r.indicator.indicator_id, "月次推移"), charts.series(r, m.footer()),
                                 width=900, meta={"kind": "series", "issue": iid, "indicator": r.indicator.indicator_id}))
    return out


def all_charts(m: Materials) -> list[Chart]:
    """For the ZIP and the command line: every chart the dashboard shows for the scope, gauges included."""
    out = charts_for(m, tuple(SECTIONS))
    dept = m.policy.text("department")
    for r in m.results:
        label = m.policy.issues[r.indicator.issue_id].label
        g = gauge_for_export(m, r, 700)
        out.append(Chart(chart_name(dept, m.fy, label, r.indicator.indicator_id, "達成状況"), g, width=700,
                         meta={"kind": "gauge", "issue": r.indicator.issue_id, "indicator": r.indicator.indicator_id}))
    return out


def chart_name(department: str, fy: int, *parts: str) -> str:
    """The file stem of a chart: デジタル統括室_令和7年度_経営課題2_予算推移 — whose, which year, what (as every
    export's name, kpi.export.name_stem), so two departments' charts never take each other's place in a folder."""
    from kpi.export import name_stem

    return name_stem(department, fy, *parts)


def as_of_for(fy: int, chosen_fy: int, chosen_as_of: str, today=None) -> str:
    """The as-of month for exporting ``fy``: the filter's month when it is the filter's year, otherwise
    what 最新 means for that year (its March once it has ended, else the last month that has ended)."""
    return chosen_as_of if fy == chosen_fy else fiscal.latest_as_of(fy, today)
