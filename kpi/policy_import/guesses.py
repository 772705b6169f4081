"""What the text of a 運営方針 does not decide, guessed from its wording for an editor to review: the aggregation
kind, the direction and the short name of an indicator (the 主な戦略 it serves is guessed in
:mod:`kpi.policy_import.statements`). Each guess is a :class:`Guess` with a Japanese line naming the indicator and the
words used."""
from __future__ import annotations

import re
from dataclasses import dataclass

from kpi.kinds import DIRECTIONS, KINDS
from kpi.policy_import.figures import ERA, reiwa
from kpi.policy_import.text import norm

SHORT_NAME_MAX = 30
MILESTONE_WORDS = ("開始", "策定", "実施", "開設", "改定", "完了", "導入", "構築", "作成", "設置", "検証")
LOWER_WORDS = ("以下", "未満", "削減", "減少", "抑制", "短縮", "縮減")
RATIO_WORDS = ("割合", "率")
# The fields a guess sets, as the review lines and the summary name them.
FIELD_LABELS = {"aggregation": "集計方法", "direction": "方向", "short_name": "指標名（短い名前）", "strategy_no": "主な戦略"}


@dataclass
class Guess:
    """A value the text does not decide, with the words it was guessed from (for review)."""

    indicator_id: str
    field: str  # aggregation, direction, short_name, strategy_no
    value: str
    words: str  # the words of the text the guess used ("" = none: the default)
    line: str  # the Japanese review line


def guess_aggregation(text: str, unit: str, per: str, milestone: bool, by_year: bool) -> tuple[str, str]:
    """(kind, the words used) from the wording; "" words = the default."""
    t = norm(text)
    if milestone:
        word = next((w for w in MILESTONE_WORDS if w in t), "")
        return "milestone", word or "数値の目標がない"
    if "累計" in t:
        return "latest", "累計"
    if "合計" in t:
        return "sum", "合計"
    if per == "年":
        return "sum", "/年" if "/年" in t else "年間"
    if per == "月":
        return "mean", "月"
    if unit == "%":
        word = next((w for w in RATIO_WORDS if w in t), "")
        if word and not by_year:
            return "ratio", word
        if word:
            return "latest", f"{word}・までに"
        return "latest", "%"
    return "latest", ""


def guess_direction(text: str) -> tuple[str, str]:
    """(direction, the words used): lower when the wording says 以下, 削減 …; "" words = the default (higher)."""
    t = norm(text)
    word = next((w for w in LOWER_WORDS if w in t), "")
    if word:
        return "lower", word
    return "higher", "以上" if "以上" in t else ""


def short_name_of(wording: str, qualifiers: tuple[str, ...], target_years: set[int] = frozenset()) -> str:
    """The data/indicators.csv style: the wording without its year clause, 「（累計）」 kept, at most 30 characters.

    「令和7年度に」 goes only when it is a target's year (「令和6年度に策定する計画に基づき…」 is part of the wording)."""
    name = wording
    for pattern in (rf"^{ERA}\s*\d+\s*年度\s*(?:~|から)\s*{ERA}?\s*\d+\s*年度\s*にかけて\s*",
                    rf"^{ERA}\s*\d+\s*年度\s*(?:末)?\s*までに\s*", rf"^{ERA}\s*(\d+)\s*年度\s*に\s*"):
        m = re.match(pattern, norm(name))
        if m and (not m.groups() or reiwa(m.group(1)) in target_years):
            name = norm(name)[m.end():]
            break
    name = re.sub(r"とする$", "", name).strip()
    if "累計" in qualifiers and "累計" not in name:
        name += "（累計）"
    if len(name) > SHORT_NAME_MAX:
        name = name[:SHORT_NAME_MAX - 1] + "…"
    return name


def guess_line(indicator_id: str, wording: str, fld: str, value: str, words: str) -> str:
    """The Japanese review line of a guess: what was set to what, from which words."""
    why = f"「{words}」から推定" if words else "手がかりとなる語がないため既定値"
    return f"{indicator_id}「{wording}」: {FIELD_LABELS[fld]}を {_shown(fld, value)} としました（{why}）。確認してください。"


def _shown(fld: str, value: str) -> str:
    """A guessed kind or direction with its Japanese label (「sum（月の合計）」); other values as they are."""
    registry = {"aggregation": KINDS, "direction": DIRECTIONS}.get(fld, {})
    return f"{value}（{registry[value].label}）" if value in registry else value


def make_guess(indicator_id: str, wording: str, fld: str, value: str, words: str, shown: str | None = None) -> Guess:
    """A :class:`Guess` with its review line (``shown`` = the value as the line names it, when not ``value``)."""
    return Guess(indicator_id, fld, value, words, guess_line(indicator_id, wording, fld, shown or value, words))
