"""市全体: every department's state in one table — status counts, budget, the indicators behind, last report.

Pure over the catalog and each department's store; the page caches it by the stores' versions.
"""
from __future__ import annotations

from dataclasses import dataclass

from kpi import fiscal
from kpi.departments import Catalog, Department
from kpi.evaluate import Result, budget_table, exceptions, growth_ratio, growth_text, status_counts
from kpi.service import read_inputs, results_from


@dataclass(frozen=True)
class DepartmentSummary:
    dept_id: str
    name: str
    sample: bool
    fiscal_year: int
    as_of: str
    counts: dict[str, int]
    behind: tuple[Result, ...]  # 遅れ and 注意, worst first
    budget_year: int | None
    budget_total: float | None
    budget_kind: str
    growth: str  # 1.5倍 / 新規 / －
    last_reported: str | None  # YYYY-MM, the newest month any indicator reported
    last_upload: str | None  # when the newest batch was registered (ISO, JST)

    @property
    def indicators(self) -> int:
        return sum(self.counts.values())


def summarise(dept: Department, fy: int | None = None) -> DepartmentSummary:
    """One department as at 最新 of ``fy`` (default: the department's own default year)."""
    year = fy if fy in dept.fiscal_years() else dept.default_year()
    policy = dept.policy(year)
    as_of = fiscal.latest_as_of(year)
    inputs = read_inputs(dept.store(), year)
    rs = results_from(policy, inputs, year, as_of)
    years, rows = budget_table(policy)
    shown = year if year in years else (years[-1] if years else None)
    total = sum(r.amounts[shown].amount for r in rows if shown in r.amounts) if shown else None
    first = sum(r.amounts[years[0]].amount for r in rows if years[0] in r.amounts) if years else None
    kinds = sorted({r.amounts[shown].kind for r in rows if shown in r.amounts}) if shown else []
    return DepartmentSummary(
        dept.dept_id, dept.name, dept.sample, year, as_of, status_counts(rs), tuple(exceptions(rs)), shown, total,
        "・".join(kinds), growth_text(growth_ratio(first, total)) if shown and len(years) > 1 else "－",
        max((r.last_month for r in rs if r.last_month), default=None),
        inputs.batches[0].created_at if inputs.batches else None,
    )


def years(cat: Catalog) -> list[int]:
    """Every fiscal year some department has a policy or a target for."""
    return sorted({y for d in cat.departments.values() for y in d.fiscal_years()})
