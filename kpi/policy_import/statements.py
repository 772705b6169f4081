"""Cutting a 経営課題's アウトカム指標 phrases into one :class:`Statement` per indicator, and finding the 主な戦略 each
statement serves (named exactly, else the most similar: a guess to review)."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from kpi.policy_import.figures import LEADING_YEAR, figures, is_year_phrase
from kpi.policy_import.sections import Chunk
from kpi.policy_import.text import norm

STRATEGY_SIMILARITY = 0.3  # the least difflib ratio for a label to name a strategy in other words


@dataclass
class Statement:
    """One indicator as written: [wording] [令和N年度] [target words], under the strategy ``label`` names."""

    label: str | None
    wording: list[str] = field(default_factory=list)
    year: str | None = None  # the year phrase (「令和7年度」) the targets follow
    target: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        """True when nothing of an indicator has been read into it yet."""
        return not (self.wording or self.year or self.target)


def _strategy_match(phrase: str, strategies: list[str]) -> int | None:
    """The strategy (1-based) a phrase names exactly (width and spaces aside)."""
    key = re.sub(r"\s+", "", norm(phrase))
    for i, s in enumerate(strategies, start=1):
        if re.sub(r"\s+", "", norm(s)) == key:
            return i
    return None


def _is_plain(phrase: str) -> bool:
    """Neither a year nor a figure: a name, not a target."""
    return not is_year_phrase(phrase) and not figures(norm(phrase)) and not LEADING_YEAR.match(norm(phrase))


@dataclass
class _Cutter:
    """The state of cutting phrases into statements: those done, the strategy label in force, the one being read."""

    strategies: list[str]
    out: list[Statement] = field(default_factory=list)
    label: str | None = None
    cur: Statement = field(default_factory=lambda: Statement(None))

    def emit(self) -> None:
        """The statement being read is done (kept when it holds anything); the next begins under the same label."""
        if not self.cur.empty():
            self.out.append(self.cur)
        self.cur = Statement(self.label)

    def relabel(self, label: str) -> None:
        """A strategy named: the statements from here on serve it."""
        self.label = label
        self.cur = Statement(label)

    def phrase(self, p: str) -> None:
        """One phrase: a strategy's name, the year, the wording (before the year) or a target word (after it)."""
        cur = self.cur
        if _strategy_match(p, self.strategies) and not is_year_phrase(p):
            self.emit()
            self.relabel(p)
        elif is_year_phrase(p):
            if cur.year is not None:
                self.emit()
            self.cur.year = p
        elif cur.year is None:
            cur.wording.append(p)
        elif any(figures(norm(t)) for t in cur.target):  # a figure was read: a new indicator's wording begins
            self.emit()
            self.cur.wording.append(p)
        else:
            cur.target.append(p)


def statements(chunks: list[Chunk], strategies: list[str]) -> list[Statement]:
    """Cut the アウトカム指標 phrases into one statement per indicator: [wording] [令和N年度] [target words]."""
    cut = _Cutter(strategies)
    for i, chunk in enumerate(chunks):
        cut.emit()
        ps = list(chunk.phrases)
        following = chunks[i + 1].phrases if i + 1 < len(chunks) else []
        if not chunk.may_label and all(map(_is_plain, ps)) and following and is_year_phrase(following[0]):
            # a line of its own naming the strategy, the targets on the next line (「・行政手続きのオンライン化とBPR」)
            cut.relabel(" ".join(ps))
            continue
        if chunk.may_label and len(ps) > 1 and _is_plain(ps[0]):
            cut.relabel(ps.pop(0))
        for p in ps:
            cut.phrase(p)
    cut.emit()
    return cut.out


def strategy_for(label: str | None, strategies: list[str]) -> tuple[int | None, bool]:
    """(strategy number, guessed?) of a statement's label: exact, else the most similar (ratio ≥ 0.3)."""
    if not strategies:
        return None, False
    if label:
        exact = _strategy_match(label, strategies)
        if exact:
            return exact, False
        scores = [difflib.SequenceMatcher(None, norm(label), norm(s)).ratio() for s in strategies]
        best = max(range(len(scores)), key=scores.__getitem__)
        if scores[best] >= STRATEGY_SIMILARITY:
            return best + 1, True
    if len(strategies) == 1:
        return 1, False
    return None, True
