"""The published results of a 運営方針 (＜N年度実績と達成状況＞, ＜前年度実績＞) as results.csv rows: a year's own figure,
the period's figure when the target covers a period, and the grade A/B, with the line as written."""
from __future__ import annotations

import re
from dataclasses import dataclass

from kpi import fiscal
from kpi.policy_import.figures import PERIOD, figures
from kpi.policy_import.indicators import IndicatorDraft
from kpi.policy_import.sections import IssueText
from kpi.policy_import.text import norm


@dataclass
class ResultRow:
    """A results.csv row (the issue-18 contract)."""

    indicator_id: str
    fiscal_year: int
    value: float | None
    period_value: float | None
    grade: str
    source_text: str


_GRADE = re.compile(r"[:：]\s*([AB])\s*$")
_DASH = re.compile(r"^[\s\-－―ー—–]*$")


def result_from(line: str, iid: str, fy: int) -> ResultRow | None:
    """The result a published line states (「6年度作成世帯数1,950世帯（R4〜R6作成合計5,410世帯）：B」), None for 「－」."""
    n = norm(line)
    if _DASH.match(n):
        return None
    grade_m = _GRADE.search(n)
    grade = grade_m.group(1) if grade_m else ""
    body = n[:grade_m.start()] if grade_m else n
    value = period_value = None
    figs = figures(body)
    # a figure inside a bracket with a period (「(R4~R6作成合計5,410世帯)」) is the period's figure
    bracket = re.search(r"\(([^()]*)\)", body)
    inner = [f for f in figs if bracket and bracket.start() < f.start < bracket.end()]
    if bracket and inner and PERIOD.search(bracket.group(1)):
        period_value = inner[0].value
        figs = [f for f in figs if f not in inner]
    if figs:
        value = figs[0].value
    if value is None and period_value is None and not grade:
        return None
    return ResultRow(iid, fy, value, period_value, grade, line)


def issue_results(issue: IssueText, own: list[IndicatorDraft], fy: int, problems: list[str]) -> list[ResultRow]:
    """The 経営課題's published results, line N for its indicator N (a ＜前年度実績＞ line: the year before ``fy``,
    no grade); a count that differs from the indicators' is added to ``problems``."""
    out: list[ResultRow] = []
    for key, lines in issue.results.items():
        rfy = int(key.split(":")[1]) if key.startswith("current:") else fy - 1
        if len(lines) != len(own):
            problems.append(f"経営課題{issue.number}: {fiscal.fy_label(rfy)}の実績の行数（{len(lines)}）が"
                            f"アウトカム指標の数（{len(own)}）と違います（記載順に対応づけました）")
        for d, line in zip(own, lines):
            r = result_from(line, d.indicator_id, rfy)
            if r is not None:
                if key == "previous":
                    r.grade = ""
                out.append(r)
    return out
