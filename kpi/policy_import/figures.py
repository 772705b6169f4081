"""Years, periods and figures in a phrase of a 運営方針: 「令和7年度」 → 2025, 「R4~R6」 → (2022, 2024), and
「6,000世帯以上(R4~R6作成合計目標)」 → 6000, unit 世帯, qualifier 以上. Every function takes normalised text
(:func:`kpi.policy_import.text.norm`) unless it says otherwise.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kpi.policy_import.text import norm, number

REIWA_OFFSET = 2018  # 令和N年度 = FY 2018 + N
QUALIFIER_WORDS = ("以上", "以下", "程度", "未満", "超", "まで")  # written after a number, in this order of search
BRACKET_QUALIFIER = re.compile(r"\(\s*(累計|合計)\s*\)")  # written as 「（累計）」 after a number

ERA = r"(?:令和|R|r)"
YEAR_ONLY = re.compile(rf"^{ERA}\s*(\d+)\s*年度?\s*(中|末|まで|までに)?$")
LEADING_YEAR = re.compile(rf"^{ERA}\s*(\d+)\s*年度\s*(に|中|末|まで|までに)?")
BY_YEAR = re.compile(rf"{ERA}\s*(\d+)\s*年度\s*(?:末)?\s*までに")
PERIOD = re.compile(rf"{ERA}\s*(\d+)\s*(?:年度)?\s*(?:~|-|から|－)\s*(?:{ERA})?\s*(\d+)\s*(?:年度)?")
INTERIM = re.compile(rf"\(\s*{ERA}\s*(\d+)\s*年度\s*(?:末)?\s*:?\s*([\d,]+(?:\.\d+)?)\s*([^\d\s)]*?)\s*\)")
# A number that is a figure: not a year (令和7年度, R4, 6年度, 2025年) nor a month or day.
NUMBER = re.compile(r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)(?![\d.,])")
_UNIT = re.compile(r"\s*(%|[^\d\s,、。.()\[\]「」/:・の以程未超ま~]+)?")


def reiwa(n: str | int) -> int:
    """令和 ``n`` 年度 as the western fiscal year."""
    return REIWA_OFFSET + int(n)


def is_year_phrase(phrase: str) -> bool:
    """True when the phrase is a year and nothing else (「令和7年度」, 「R8年度末」, 「令和8年度までに」)."""
    return bool(YEAR_ONLY.match(norm(phrase)))


def year_of(phrase: str) -> int | None:
    """The year a phrase is, or begins with (「令和7年度に…」), else None."""
    m = YEAR_ONLY.match(norm(phrase)) or LEADING_YEAR.match(norm(phrase))
    return reiwa(m.group(1)) if m else None


def _is_year_number(text: str, m: re.Match) -> bool:
    """True when the number ``m`` is a year, month or day (「6年度」, 「R4」, 「10月」), not a figure."""
    before, after = text[max(0, m.start() - 2):m.start()], text[m.end():m.end() + 2]
    return (after.startswith(("年", "月", "日")) or before.endswith(("令和", "平成", "R", "r"))
            or bool(re.search(r"[Rr]\s*$", before)))


@dataclass(frozen=True)
class Figure:
    """A number with its unit and the qualifiers written after it, found in a phrase (normalised text)."""

    value: float
    unit: str
    qualifiers: tuple[str, ...]
    per: str
    start: int  # where the number starts and the figure (with unit and qualifiers) ends, in the normalised text
    end: int


def _qualifiers_at(text: str, pos: int) -> tuple[tuple[str, ...], int]:
    """The qualifiers written from ``pos`` on (「以上」, 「（累計）」; 「までに」 is a year's, not one) and where they end."""
    quals: list[str] = []
    while True:
        rest = text[pos:]
        word = next((w for w in QUALIFIER_WORDS if rest.startswith(w)), None)
        bracket = BRACKET_QUALIFIER.match(rest)
        if word and not (word == "まで" and rest.startswith("までに")):
            quals.append(word)
            pos += len(word)
        elif bracket:
            quals.append(bracket.group(1))
            pos += bracket.end()
        else:
            return tuple(quals), pos


def _per_at(text: str, start: int, end: int) -> str:
    """「年」 or 「月」 when the figure from ``start`` to ``end`` is per year or month (「60名/年」, 「年間60名」, 「月1,870時間」)."""
    before, after = text[max(0, start - 2):start], text[end:]
    if re.match(r"\s*/\s*年", after) or before.endswith("年間"):
        return "年"
    if re.match(r"\s*/\s*月", after) or before.endswith(("月", "月間")):
        return "月"
    return ""


def figures(text: str) -> list[Figure]:
    """Every figure of a phrase (``text`` normalised), skipping years, months and days."""
    out = []
    for m in NUMBER.finditer(text):
        if _is_year_number(text, m):
            continue
        unit_m = _UNIT.match(text, m.end())
        unit = (unit_m.group(1) or "") if unit_m else ""
        quals, end = _qualifiers_at(text, unit_m.end() if unit_m else m.end())
        out.append(Figure(number(m.group(1)), unit, quals, _per_at(text, m.start(), end), m.start(), end))
    return out


def period_of(text: str) -> tuple[int, int] | None:
    """The first period written (「R4~R6」, 「令和5年度から令和7年度」) as (first FY, last FY); raw or normalised text."""
    m = PERIOD.search(norm(text))
    if not m:
        return None
    a, b = reiwa(m.group(1)), reiwa(m.group(2))
    return (a, b) if a <= b else None

