"""What an import read (:class:`Imported`): the rows of the policy CSVs, the guesses to review and the problems, as
the CSVs, the ``--json`` record and the page's tables want them, and with an editor's choices applied."""
from __future__ import annotations

from dataclasses import dataclass

from kpi.kinds import DIRECTIONS, KINDS
from kpi.policy_import.guesses import Guess
from kpi.policy_import.indicators import IndicatorDraft, qualifier_text
from kpi.policy_import.results import ResultRow
from kpi.policy_import.sections import IssueText
from kpi.policy_import.text import fmt_number

# The files written, with their columns (the issue-18 contract; results.csv only when the text has results).
COLUMNS: dict[str, tuple[str, ...]] = {
    "policy.csv": ("field", "label", "text"),
    "issues.csv": ("issue_id", "title", "short_title", "recognition"),
    "strategies.csv": ("issue_id", "strategy_no", "strategy"),
    "indicators.csv": ("indicator_id", "issue_id", "strategy_no", "short_name", "wording", "unit", "aggregation",
                       "direction", "period_start_fy", "period_end_fy"),
    "targets.csv": ("indicator_id", "fiscal_year", "target", "qualifier", "per", "source_text", "period_start_fy",
                    "baseline", "baseline_source"),
    "budgets.csv": ("issue_id", "fiscal_year", "kind", "amount_million_yen", "source_text"),
    "results.csv": ("indicator_id", "fiscal_year", "value", "period_value", "grade", "source_text"),
}
OPTIONAL_FILES = ("results.csv",)  # budgets.csv is written even empty: the loader before issue 18 requires it


def cell(value: object) -> str:
    """A value as a CSV cell: None empty, a float as the figure (6000, 83.4), anything else as text."""
    if value is None:
        return ""
    return fmt_number(value) if isinstance(value, float) else str(value)


@dataclass
class Imported:
    """What the import read: the rows of the policy CSVs, the guesses to review and the problems."""

    fiscal_year: int
    texts: list[tuple[str, str, str]]  # policy.csv rows (field, label, text)
    issues: list[IssueText]
    indicators: list[IndicatorDraft]
    budgets: list[tuple[str, int, str, float, str]]  # (issue_id, fy, kind, amount, source)
    results: list[ResultRow]
    guesses: list[Guess]
    problems: list[str]

    def rows(self) -> dict[str, list[dict[str, str]]]:
        """Every file's rows as strings (the CSVs and the page's tables)."""
        out: dict[str, list[dict[str, str]]] = {
            "policy.csv": [dict(zip(COLUMNS["policy.csv"], r)) for r in self.texts],
            "issues.csv": [{"issue_id": i.number, "title": i.title, "short_title": i.title,
                            "recognition": "\n".join(i.recognition)} for i in self.issues],
            "strategies.csv": [{"issue_id": i.number, "strategy_no": str(n), "strategy": s_}
                               for i in self.issues for n, s_ in enumerate(i.strategies, start=1)],
            "indicators.csv": [{"indicator_id": d.indicator_id, "issue_id": d.issue_id, "strategy_no": d.strategy_no,
                                "short_name": d.short_name, "wording": d.wording, "unit": d.unit,
                                "aggregation": d.aggregation, "direction": d.direction,
                                "period_start_fy": cell(d.period_start_fy), "period_end_fy": cell(d.period_end_fy)}
                               for d in self.indicators],
            "targets.csv": [{"indicator_id": d.indicator_id, "fiscal_year": str(t.fiscal_year), "target": cell(t.value),
                             "qualifier": qualifier_text(t.qualifiers), "per": t.per, "source_text": t.source_text,
                             "period_start_fy": cell(t.period_start_fy), "baseline": "", "baseline_source": ""}
                            for d in self.indicators for t in d.targets],
            "budgets.csv": [{"issue_id": i, "fiscal_year": str(fy), "kind": k, "amount_million_yen": cell(a), "source_text": src}
                            for i, fy, k, a, src in self.budgets],
            "results.csv": [{"indicator_id": r.indicator_id, "fiscal_year": str(r.fiscal_year), "value": cell(r.value),
                             "period_value": cell(r.period_value), "grade": r.grade, "source_text": r.source_text}
                            for r in self.results],
        }
        return out

    def record(self) -> dict:
        """The JSON of ``policy import --json``."""
        return {
            "fiscal_year": self.fiscal_year,
            "issues": [{"issue_id": i.number, "title": i.title, "strategies": list(i.strategies)} for i in self.issues],
            "indicators": [{"indicator_id": d.indicator_id, "issue_id": d.issue_id, "strategy_no": d.strategy_no,
                            "short_name": d.short_name, "wording": d.wording,
                            "target": (d.target(self.fiscal_year) or (d.targets[-1] if d.targets else None)).value
                            if d.targets else None,
                            "targets": [{"fiscal_year": t.fiscal_year, "target": t.value, "qualifiers": list(t.qualifiers),
                                         "per": t.per, "period_start_fy": t.period_start_fy, "source_text": t.source_text}
                                        for t in d.targets],
                            "unit": d.unit,
                            "qualifiers": list(dict.fromkeys(q for t in d.targets for q in t.qualifiers)),
                            "aggregation": d.aggregation, "direction": d.direction,
                            "period_start_fy": d.period_start_fy, "period_end_fy": d.period_end_fy,
                            "guessed": list(d.guessed)} for d in self.indicators],
            "results": [{"indicator_id": r.indicator_id, "fiscal_year": r.fiscal_year, "value": r.value,
                         "period_value": r.period_value, "grade": r.grade or None, "source_text": r.source_text}
                        for r in self.results],
            "budgets": [{"issue_id": i, "fiscal_year": fy, "kind": k, "amount_million_yen": a, "source_text": src}
                        for i, fy, k, a, src in self.budgets],
            "guesses": [{"indicator_id": g.indicator_id, "field": g.field, "value": g.value, "words": g.words,
                         "text": g.line} for g in self.guesses],
            "problems": list(self.problems),
        }

    def with_choices(self, choices: dict[str, dict[str, str]]) -> Imported:
        """The import with an editor's choices (indicator_id → {aggregation, direction, short_name}) applied."""
        for d in self.indicators:
            for key, value in choices.get(d.indicator_id, {}).items():
                if key == "aggregation" and value not in KINDS:
                    raise ValueError(f"{d.indicator_id}: 集計方法「{value}」は使えません（{', '.join(KINDS)}）")
                if key == "direction" and value not in DIRECTIONS:
                    raise ValueError(f"{d.indicator_id}: 方向「{value}」は使えません（{', '.join(DIRECTIONS)}）")
                if key == "short_name" and not str(value).strip():
                    raise ValueError(f"{d.indicator_id}: 指標名（短い名前）が空です")
                if key in ("aggregation", "direction", "short_name"):
                    setattr(d, key, str(value).strip())
        return self

    def open_guesses(self) -> list[Guess]:
        """The guesses still as guessed (an editor's choice that differs from a guess settles it): to check later."""
        drafts = {d.indicator_id: d for d in self.indicators}
        return [g for g in self.guesses if g.indicator_id in drafts and str(getattr(drafts[g.indicator_id], g.field)) == g.value]
