"""Registries of what repeats in the semantics: aggregation kinds, directions, statuses.

A new aggregation kind, direction or status is a new row here, not a branch elsewhere.
Each kind says how a fiscal year's value is formed from its monthly actuals, where its
expected pace starts at the beginning of the year (``start``: the pace then runs in a
straight line to the target at March, through any checkpoints), and how a year-end
forecast is made where the data allow one.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import fmean


@dataclass(frozen=True)
class Point:
    """One reported month: its index in the fiscal year (April = 1) and its figures."""

    index: int
    month: str
    value: float
    numerator: float | None = None
    denominator: float | None = None


MIN_MONTHS_FOR_TREND = 3


def _latest(points: Sequence[Point]) -> float | None:
    return points[-1].value if points else None


def _sum(points: Sequence[Point]) -> float | None:
    return sum(p.value for p in points) if points else None


def _mean(points: Sequence[Point]) -> float | None:
    return fmean(p.value for p in points) if points else None


def _ratio(points: Sequence[Point]) -> float | None:
    """Σ numerator / Σ denominator when every month gives both, else the mean of the months."""
    if not points:
        return None
    if all(p.numerator is not None and p.denominator for p in points):
        return 100.0 * sum(p.numerator for p in points) / sum(p.denominator for p in points)  # type: ignore[misc]
    return _mean(points)


def _milestone(points: Sequence[Point]) -> float | None:
    value = _latest(points)
    return None if value is None else max(0.0, min(100.0, value))


def _trend(points: Sequence[Point], elapsed: int) -> float | None:
    """Least-squares line through the reported months, read at March (month 12)."""
    if len(points) < MIN_MONTHS_FOR_TREND:
        return None
    xs = [p.index for p in points]
    ys = [p.value for p in points]
    mx, my = fmean(xs), fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    return my + slope * (12 - mx)


def _run_rate(points: Sequence[Point], elapsed: int) -> float | None:
    """The sum so far scaled to twelve months."""
    if not points or elapsed < 1:
        return None
    return sum(p.value for p in points) * 12 / elapsed


def _level(points: Sequence[Point], elapsed: int) -> float | None:
    """A mean or ratio so far is the best estimate of the year's, once there are enough months."""
    return _ratio(points) if len(points) >= MIN_MONTHS_FOR_TREND else None


def _capped_trend(points: Sequence[Point], elapsed: int) -> float | None:
    value = _trend(points, elapsed)
    return None if value is None else max(0.0, min(100.0, value))


# Where a kind's expected pace starts on the first day of the fiscal year.
ZERO = "zero"  # from 0: a sum starts afresh each year, a milestone starts not begun
PREVIOUS = "previous"  # from the baseline (kpi.evaluate.baseline_of), else from the first report at its month
NONE = "none"  # no start: the pace is the target (a mean or a ratio is a level, not a path)


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    rule: str
    aggregate: Callable[[Sequence[Point]], float | None]
    forecast: Callable[[Sequence[Point], int], float | None]
    start: str  # ZERO, PREVIOUS or NONE: where the expected pace starts in April
    pace_rule: str  # the expected pace in words, for the rules shown in the app and the README
    accumulates: bool  # the value can only grow through the year (a sum): charts show it cumulated
    milestone: bool = False
    carries: bool = False  # the value carries over from year to year (a running total, a progress): its pace starts at a baseline


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("latest", "最新月の値", "報告のある最新月の値（累計値・現在数）", _latest, _trend, PREVIOUS,
             "起点の値から目標まで、年度の初めから3月末へ直線で進む値（起点がなければ最初の報告の月から）", False, carries=True),
        Kind("sum", "月の合計", "年度内の各月の値の合計", _sum, _run_rate, ZERO,
             "目標 × 経過月数 ÷ 12（「低いほど良い」上限も同じ）", True),
        Kind("mean", "月の平均", "年度内の各月の値の平均（目標に達した月数も表示）", _mean, _level, NONE, "目標そのもの", False),
        Kind("ratio", "比率（分子計÷分母計）", "全ての月に分子・分母があれば Σ分子÷Σ分母、なければ各月の値の平均", _ratio, _level, NONE,
             "目標そのもの", False),
        Kind("milestone", "進捗（0〜100%）", "報告のある最新月の進捗率（0〜100%、100%で完了）", _milestone, _capped_trend, ZERO,
             "起点の進捗（なければ 0%）から 100%（完了）まで、年度の初めから3月末へ直線で進む値", False, True, carries=True),
    )
}


@dataclass(frozen=True)
class Qualifier:
    """A word qualifying a target as the policy writes it (以上, 累計 …): how it reads after the figure."""

    key: str
    suffix: str  # appended to the target's figure (the unit and 「/年」 come first unless ``glued``)
    glued: bool = False  # written straight after the figure, before 「/年」: 60名程度/年


QUALIFIER_SEP = "・"  # targets.csv writes a set of qualifiers joined by it, in the order written: 累計・以上

QUALIFIERS: dict[str, Qualifier] = {
    q.key: q
    for q in (
        Qualifier("累計", "（累計）"),
        Qualifier("合計", "（合計）"),
        Qualifier("以上", " 以上"),
        Qualifier("以下", " 以下"),
        Qualifier("未満", " 未満"),
        Qualifier("超", " 超"),
        Qualifier("まで", "まで", glued=True),
        Qualifier("程度", "程度", glued=True),
    )
}


@dataclass(frozen=True)
class Direction:
    key: str
    label: str
    met: Callable[[float, float], bool]
    ratio: Callable[[float, float], float]  # value against a reference (the pace), direction-aware: ≥ 1.0 = on or ahead
    settles_early: bool  # a target met before the year ends counts as 達成 (a cap is only kept once the year is over)
    progress_label: str  # what value ÷ target means on screen: 達成率, or the share of a cap used


def _ratio_up(value: float, reference: float) -> float:
    return value / reference if reference else (1.0 if value >= reference else 0.0)


def _ratio_down(value: float, reference: float) -> float:
    # Lower is better: half the allowed amount counts as twice as good; capped for display sanity.
    if value <= 0:
        return 1.0 if reference >= value else 0.0
    return min(reference / value, 10.0)


DIRECTIONS: dict[str, Direction] = {
    d.key: d
    for d in (
        Direction("higher", "高いほど良い", lambda v, t: v >= t, _ratio_up, True, "達成率"),
        Direction("lower", "低いほど良い", lambda v, t: v <= t, _ratio_down, False, "上限に対する割合"),
    )
}


@dataclass(frozen=True)
class Status:
    key: str
    symbol: str
    colour: str  # marks (bars, gauges): contrast ≥ 3:1 on white, apart from the others with any colour vision (kpi.colours)
    rule: str
    ink: str  # the status written as text on white: contrast ≥ 4.5:1


STATUSES: dict[str, Status] = {
    s.key: s
    for s in (
        Status("達成", "◎", "#265999", "年度の目標値に到達している", "#265999"),
        Status("順調", "○", "#084C41", "想定ペースの90%以上", "#084C41"),
        Status("注意", "△", "#BF8900", "想定ペースの70%以上90%未満", "#7A5800"),
        Status("遅れ", "×", "#A60100", "想定ペースの70%未満", "#A60100"),
        Status("未報告", "－", "#8C8C8C", "この年度の実績がまだない", "#595959"),
    )
}
ON_TRACK = 0.9
CAUTION = 0.7

GRADES = {"A": "達成", "B": "未達成"}
