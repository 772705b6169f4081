"""Everything an export or the 年度評価 page needs of a year's evaluation, read in one call."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kpi import fiscal
from kpi.evaluate import Result
from kpi.evaluation.records import Record, history, records, texts
from kpi.evaluation.rows import EvaluationRow, TextSection, Totals, YearValue, evaluation_table, text_sections, totals, yearly
from kpi.policy import Policy
from kpi.store import Store


@dataclass(frozen=True)
class Report:
    fiscal_year: int
    as_of: str
    provisional: bool  # some row's year has not ended: grades are 未確定
    rows: list[EvaluationRow]
    texts: list[TextSection]

    def records(self) -> list[dict[str, object]]:
        return [r.record() for r in self.rows]


def report(store: Store, policy: Policy, fy: int, as_of: str, issue_ids: Sequence[str] | None,
           rs: Sequence[Result], recs: Sequence[Record] | None = None) -> Report:
    """The evaluation table and texts of ``fy`` as at the end of ``as_of``, filtered by 経営課題 — what the exports carry.

    ``rs`` are the indicators' records (``kpi.service.results``), computed once by the caller.
    """
    recs = records(store) if recs is None else recs
    sections = text_sections(policy, texts(recs, fy), list(issue_ids) if issue_ids else None)
    return Report(fy, as_of, not fiscal.fy_ended(fy, as_of), evaluation_table(policy, rs), sections)


@dataclass(frozen=True)
class PageView:
    """Everything the 年度評価 page shows, read once: the report, its totals, the current texts and records, the years."""

    report: Report
    totals: Totals
    current_texts: dict[tuple[str, str | None], Record]
    records: list[Record]
    yearly: dict[str, list[YearValue]]

    @property
    def ended(self) -> bool:
        return not self.report.provisional

    def rows_of(self, issue_id: str) -> list[EvaluationRow]:
        return [r for r in self.report.rows if r.issue_id == issue_id]

    def issue_texts(self, policy: Policy, issue_id: str) -> list[TextSection]:
        return [t for t in text_sections(policy, self.current_texts, [issue_id], include_empty=False) if t.issue_id == issue_id]

    def policy_texts(self, policy: Policy) -> list[TextSection]:
        return text_sections(policy, self.current_texts, [], include_empty=True)

    def history(self) -> list[Record]:
        return history(self.records, self.report.fiscal_year)


def page_view(store: Store, policy: Policy, fy: int, as_of: str, issue_ids: Sequence[str] | None, rs: Sequence[Result]) -> PageView:
    """The 年度評価 page's data for ``fy`` at ``as_of`` over the indicators' records ``rs``."""
    recs = records(store)
    rep = report(store, policy, fy, as_of, issue_ids, rs, recs)
    per_indicator = yearly(policy, store.current("0000-00", as_of), as_of, recs, issue_ids)
    return PageView(rep, totals(rep.rows, not rep.provisional), texts(recs, fy), recs, per_indicator)
