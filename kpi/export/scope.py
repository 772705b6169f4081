"""What to export: the scope (fiscal year, 経営課題, as-of month) and the sections to include.

Kept free of heavy imports so that ``python -m kpi`` starts quickly.
"""
from __future__ import annotations

from dataclasses import dataclass

# What a user may include, in order: key -> label (the page's checkboxes, the CLI's defaults).
SECTIONS: dict[str, str] = {
    "summary": "表紙と全体の一覧（状況・予算の合計）",
    "budget": "経営課題ごとの予算",
    "indicators": "経営課題ごとの指標（達成状況のグラフと数値の表）",
    "monthly": "指標ごとの月次推移グラフ",
    "evaluation": "年度評価（A/B と上書き・前年度実績、自己評価・今後の方針）",
}
DEFAULT_SECTIONS = ("summary", "budget", "indicators", "evaluation")


@dataclass(frozen=True)
class Scope:
    fy: int
    issue_ids: tuple[str, ...]  # empty = every 経営課題
    as_of: str
    sections: tuple[str, ...] = DEFAULT_SECTIONS

    def includes(self, section: str) -> bool:
        return section in self.sections
