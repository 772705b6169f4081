"""Indicator semantics: a fiscal year's value, progress, pace, status, forecast and grade.

Pure functions over the policy and a table of current actuals; the rules are
written out in ``STATUS_RULES`` so that the app and the README show the same text.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kpi import fiscal
from kpi.kinds import CAUTION, DIRECTIONS, KINDS, ON_TRACK, STATUSES, Point
from kpi.policy import Budget, Indicator, Policy, Target

_KIND_LINES = "\n".join(f"  - {k.label}: {k.rule}" for k in KINDS.values())
STATUS_RULES = f"""\
**状況の判定（{'・'.join(STATUSES)}）**

- **年度の値**は指標ごとの集計方法で求めます。
{_KIND_LINES}
- **想定ペース**: 月の合計で数える指標は「目標 × 経過月数 ÷ 12」、それ以外は目標そのもの。
- **未報告**: その年度の実績が基準月までに1件もない。
- **達成**: 年度の値が目標に到達（「低いほど良い」合計型の指標は年度末にのみ判定）。
- **順調**: 想定ペースに対して{ON_TRACK:.0%}以上。
- **注意**: 想定ペースに対して{CAUTION:.0%}以上{ON_TRACK:.0%}未満。
- **遅れ**: 想定ペースに対して{CAUTION:.0%}未満。
- 年度が終わった後は、目標に届かなかった指標を「順調」とせず、{CAUTION:.0%}以上なら注意、未満なら遅れとします。
- **年度末評価**: 年度が終わった後（基準月が3月以降）に、年度の値が目標に到達していれば **A（達成）**、そうでなければ **B（未達成）**。
  実績が1件もない指標は B です。
- **年度末見込み**: 3か月以上の報告がある場合に表示します。最新月の値・進捗は報告月の傾向（最小二乗の直線）を3月まで延長、
  合計は「合計 × 12 ÷ 経過月数」、平均・比率はその時点の値。
- 基準月を指定すると、その月の末時点で評価します（それより後の月の実績は使いません）。
"""


@dataclass(frozen=True)
class Actual:
    indicator_id: str
    month: str
    value: float
    numerator: float | None = None
    denominator: float | None = None
    note: str = ""
    batch_id: str = ""


@dataclass(frozen=True)
class Result:
    indicator: Indicator
    fiscal_year: int
    as_of: str
    target: Target
    value: float | None
    progress: float | None  # value against the full-year target, 1.0 = reached
    expected: float | None  # the value the pace expects by the as-of month
    pace: float | None  # value against the expected pace, 1.0 = on pace
    status: str
    grade: str | None
    forecast: float | None
    points: tuple[Point, ...]
    months_elapsed: int
    months_meeting_target: int | None = None
    previous: float | None = None  # 前年度実績 from the previous fiscal year's actuals
    batches: frozenset[str] = field(default_factory=frozenset)

    @property
    def months_reported(self) -> int:
        return len(self.points)

    @property
    def last_month(self) -> str | None:
        return self.points[-1].month if self.points else None


def points_for(actuals: Iterable[Actual], fy: int, as_of: str) -> list[Point]:
    """Months of ``fy`` up to ``as_of`` in order; months outside the year are ignored."""
    limit = min(12, fiscal.fy_month_index(as_of, fy))
    pts = []
    for a in actuals:
        idx = fiscal.fy_month_index(a.month, fy)
        if 1 <= idx <= limit:
            pts.append(Point(idx, a.month, a.value, a.numerator, a.denominator))
    return sorted(pts, key=lambda p: p.index)


def expected_pace(indicator: Indicator, target: float, elapsed: int) -> float:
    return target * elapsed / 12 if KINDS[indicator.aggregation].linear_pace else target


def status_of(indicator: Indicator, value: float | None, target: float, expected: float, year_done: bool) -> str:
    """達成 / 順調 / 注意 / 遅れ / 未報告, by the rules in STATUS_RULES."""
    if value is None:
        return "未報告"
    direction = DIRECTIONS[indicator.direction]
    kind = KINDS[indicator.aggregation]
    # A running total that must stay low is only known to be within its cap at year end.
    can_settle = indicator.direction == "higher" or not kind.accumulates or year_done
    if direction.met(value, target) and can_settle:
        return "達成"
    pace = direction.ratio(value, expected)
    if pace >= ON_TRACK and not year_done:  # once the year is over, a missed target is no longer on track
        return "順調"
    return "注意" if pace >= CAUTION else "遅れ"


def grade_of(indicator: Indicator, value: float | None, target: float) -> str:
    """A (達成) or B (未達成) for an ended fiscal year; no actuals is not an achievement."""
    if value is None:
        return "B"
    return "A" if DIRECTIONS[indicator.direction].met(value, target) else "B"


def evaluate_indicator(indicator: Indicator, actuals: Sequence[Actual], fy: int, as_of: str) -> Result:
    kind = KINDS[indicator.aggregation]
    direction = DIRECTIONS[indicator.direction]
    target = indicator.target(fy)
    elapsed = fiscal.months_elapsed(fy, as_of)
    year_done = fiscal.fy_ended(fy, as_of)
    points = points_for(actuals, fy, as_of)
    value = kind.aggregate(points)
    previous = kind.aggregate(points_for(actuals, fy - 1, fiscal.ym(fy, 3)))
    used = frozenset(a.batch_id for a in actuals if a.month in {p.month for p in points} and a.batch_id)
    if target is None:
        raise ValueError(f"{indicator.indicator_id} has no target for fiscal year {fy}")
    expected = expected_pace(indicator, target.value, elapsed)
    progress = None if value is None else direction.ratio(value, target.value)
    pace = None if value is None or elapsed == 0 else direction.ratio(value, expected)
    meeting = sum(direction.met(p.value, target.value) for p in points) if kind.key == "mean" else None
    return Result(
        indicator=indicator,
        fiscal_year=fy,
        as_of=as_of,
        target=target,
        value=value,
        progress=progress,
        expected=expected,
        pace=pace,
        status=status_of(indicator, value, target.value, expected, year_done),
        grade=grade_of(indicator, value, target.value) if year_done else None,
        forecast=None if year_done else kind.forecast(points, elapsed),
        points=tuple(points),
        months_elapsed=elapsed,
        months_meeting_target=meeting,
        previous=previous,
        batches=used,
    )


def evaluate(policy: Policy, actuals: Iterable[Actual], fy: int, as_of: str,
             issue_ids: Sequence[str] | None = None) -> list[Result]:
    """Every indicator of the chosen 経営課題 that has a target in ``fy``, in policy order."""
    by_id: dict[str, list[Actual]] = {}
    for a in actuals:
        by_id.setdefault(a.indicator_id, []).append(a)
    return [
        evaluate_indicator(ind, by_id.get(ind.indicator_id, []), fy, as_of)
        for ind in policy.indicators_of(list(issue_ids) if issue_ids else None)
        if ind.target(fy) is not None
    ]


def status_counts(results: Iterable[Result]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for r in results:
        counts[r.status] += 1
    return counts


@dataclass(frozen=True)
class BudgetRow:
    issue_id: str
    amounts: Mapping[int, Budget]  # fiscal year -> budget or settlement
    growth: float | None  # last year's amount ÷ first year's; None when the base is 0 (新規)

    @property
    def growth_label(self) -> str:
        return growth_text(self.growth)


def growth_ratio(base: float | None, latest: float | None) -> float | None:
    """latest ÷ base; None when there is no base to grow from (0 or missing)."""
    return latest / base if base and latest is not None else None


def growth_text(ratio: float | None) -> str:
    """×12.0, or 新規 when the base was 0: never inf."""
    return "新規" if ratio is None else f"×{ratio:.1f}"


def budget_table(policy: Policy, issue_ids: Sequence[str] | None = None) -> tuple[list[int], list[BudgetRow]]:
    """Budget years shown and, per 経営課題, the amounts and growth from the first to the last year."""
    keep = list(issue_ids) if issue_ids else list(policy.issues)
    years = sorted({b.fiscal_year for b in policy.budgets})
    rows = []
    for iid in keep:
        amounts = {b.fiscal_year: b for b in policy.budgets if b.issue_id == iid}
        if not amounts:
            continue
        first, last = amounts.get(years[0]), amounts.get(years[-1])
        rows.append(BudgetRow(iid, amounts, growth_ratio(first and first.amount, last and last.amount)))
    return years, rows

