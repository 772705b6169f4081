"""Indicator semantics: a fiscal year's value, progress, pace, status, forecast and grade.

Pure functions over the policy and a table of current actuals; the rules are
written out in ``STATUS_RULES`` so that the app and the README show the same text.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kpi import fiscal
from kpi.kinds import CAUTION, DIRECTIONS, KINDS, NONE, ON_TRACK, PREVIOUS, STATUSES, ZERO, Point
from kpi.policy import BUDGET_KINDS, Budget, Indicator, Policy, PublishedResult, Target

_KIND_LINES = "\n".join(f"  - {k.label}: {k.rule}" for k in KINDS.values())
_PACE_LINES = "\n".join(f"  - {k.label}: {k.pace_rule}" for k in KINDS.values())
STATUS_RULES = f"""\
**状況の判定（{'・'.join(STATUSES)}）**

- **年度の値**は指標ごとの集計方法で求めます。
{_KIND_LINES}
- **想定ペース**（基準月の末までに届いているはずの値）は集計方法ごとに次のとおりです。
{_PACE_LINES}
  - 中間目標（checkpoints.csv）のある指標は、年度の初め・中間目標・3月末の目標を順に直線で結んだ値です。
- **起点**（最新月の値・進捗の指標の想定ペースの始まり）は次の順で決め、グラフの注記と指標の記録（起点の出典）に示します。
  1. 運営方針に記載の起点（目標の表の「起点」。例: 令和6年度末 1,500件）→「方針に記載（…）」
  2. 前年度末の実績（前年度の実績から算定）→「前年度末の実績」
  3. 入力された前年度実績 →「入力された前年度実績」、公表された前年度実績（results.csv）→「公表された前年度実績」
  4. どれもなければ、最新月の値の指標はその年度の最初の報告（その月から目標へ直線）→「起点（仮）」、進捗の指標は 0% →「未着手（0%）」
  前年度実績をあとから入力すると起点が変わり、過去の月の想定ペースと状況も変わります（入力は年度評価の変更の履歴に残ります）。
- **複数年度の目標**（例: 6,000世帯以上（R4〜R6合計））は期間の値で判定します。合計は期間の各月の合計、最新月の値は期間の最新の値です。
  想定ペースは期間全体の月数で進み（R5の9月末なら 6,000 × 18/36）、期間の最終年度が終わると期間の値で A/B を決めます。
  期間の途中の年度が終わったときは、その年度末の想定ペースに届いていれば A、届かなければ B（状況も「順調」としません）とします。
  年度の値（その年度だけの値）と期間の値を並べて示し、前年度実績は前年度だけの値です。年度末見込みは期間の最終年度だけに示します。
- **ペース比**: 年度の値 ÷ 想定ペース。「低いほど良い」指標は 想定ペース ÷ 年度の値（どちらも1以上ならペースどおりか先行）。
- **未報告**: その年度の実績が基準月までに1件もない。
- **達成**: 年度の値が目標に到達。「低いほど良い」（上限のある）指標は年度が終わるまで達成とせず、年度途中は上限に対する割合と経過した期間を示します。
- **順調**: ペース比が{ON_TRACK:.0%}以上。
- **注意**: ペース比が{CAUTION:.0%}以上{ON_TRACK:.0%}未満。
- **遅れ**: ペース比が{CAUTION:.0%}未満。
- 年度が終わった後は、目標に届かなかった指標を「順調」とせず、{CAUTION:.0%}以上なら注意、未満なら遅れとします。
- **達成率**: 年度の値 ÷ 年度の目標（小数点以下は切り捨て。99.6%は99%）。「低いほど良い」指標は上限に対する割合です。
- **年度末評価**: 年度が終わった後（基準月が3月以降）に、年度の値が目標に到達していれば **A（達成）**、そうでなければ **B（未達成）**。
  実績が1件もない指標は B です。編集者が理由を添えて上書きした評価が最終評価で、※を付け、算定評価を並べて示します。
- **年度末見込み**: 3か月以上の報告がある場合に表示します。最新月の値・進捗は報告月の傾向（最小二乗の直線）を3月まで延長、
  合計は「合計 × 12 ÷ 経過月数」、平均・比率はその時点の値。
- 基準月を指定すると、その月の末時点で評価します（それより後の月の実績は使いません）。終わった年度の既定の基準月はその年度の3月です。
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
class Override:
    """An editor's grade for an ended fiscal year, with the reason: the final grade wherever the indicator shows."""

    grade: str  # A / B
    reason: str
    user: str
    at: str  # 2026-06-10 14:03 (JST)
    record_id: str = ""

    def record(self) -> dict[str, str]:
        """The JSON shape of ``status --json``'s ``override``."""
        return {"grade": self.grade, "reason": self.reason, "user": self.user, "at": self.at}


@dataclass(frozen=True)
class Entered:
    """前年度実績 entered by an editor: it takes precedence over the value computed from last year's actuals."""

    value: float
    user: str
    at: str
    note: str = ""


@dataclass(frozen=True)
class CheckIn:
    """The latest monthly check-in of an indicator: why it moved (要因), the next action (対策), who and when."""

    month: str  # the month it speaks of, YYYY-MM
    cause: str
    action: str
    comment: str
    user: str
    at: str  # 2026-06-10 14:03 (JST)
    record_id: str = ""

    def record(self) -> dict[str, str]:
        """The JSON shape of ``status --json``'s ``checkin``."""
        return {"month": self.month, "cause": self.cause, "action": self.action, "comment": self.comment,
                "user": self.user, "at": self.at}


# Status from best to worst, for "what changed" (未報告 is not worse than 遅れ: it is unknown).
STATUS_RANK = {"達成": 0, "順調": 1, "注意": 2, "遅れ": 3}
OFF_TRACK = ("注意", "遅れ")
BETTER, WORSE, SAME = "better", "worse", "same"

PREVIOUS_FROM_ACTUALS = "実績から算定"
PREVIOUS_ENTERED = "入力"
PREVIOUS_PUBLISHED = "公表"

# Where the pace of a running total or a milestone starts (Result.baseline_source), in the order they are tried.
BASELINE_STATED = "方針に記載"  # targets.csv baseline; its baseline_source follows in （…）
BASELINE_PREVIOUS_ACTUAL = "前年度末の実績"
BASELINE_ENTERED = "入力された前年度実績"
BASELINE_PUBLISHED = "公表された前年度実績"
BASELINE_FIRST_REPORT = "起点（仮）"  # a running total without any of the above: its first report
BASELINE_NOT_BEGUN = "未着手（0%）"  # a milestone without any of the above
BASELINE_ORDER = (BASELINE_STATED, BASELINE_PREVIOUS_ACTUAL, BASELINE_ENTERED, BASELINE_PUBLISHED, BASELINE_FIRST_REPORT,
                  BASELINE_NOT_BEGUN)


@dataclass(frozen=True)
class Result:
    """One indicator, evaluated once for a fiscal year and an as-of month: every page, export and the CLI read this."""

    indicator: Indicator
    fiscal_year: int
    as_of: str
    target: Target
    value: float | None  # the figure graded against the target: period_value for a target over several years, else year_value
    progress: float | None  # value ÷ target (for a lower-is-better cap: the share of the cap used); None without a value or a target of 0
    expected: float  # the value the pace expects by the end of the as-of month, in the indicator's unit
    pace_ratio: float | None  # value against the pace, direction-aware: ≥ 1.0 = on or ahead of pace
    status: str
    computed_grade: str | None  # A / B from the figures once the year has ended; None while it runs
    forecast: float | None
    points: tuple[Point, ...]
    months_elapsed: int
    pace_path: tuple[tuple[int, float], ...] = ()  # the pace's corners: (month index 0–12, value), for charts
    months_meeting_target: int | None = None
    previous: float | None = None  # 前年度実績: entered if an editor did, else from last year's actuals
    previous_source: str = ""  # PREVIOUS_ENTERED / PREVIOUS_FROM_ACTUALS / ""
    previous_entry: Entered | None = None
    override: Override | None = None
    checkin: CheckIn | None = None
    prior_month: str | None = None  # the report before the latest one (YYYY-MM), within the fiscal year
    prior_value: float | None = None  # the year's value as of that report
    prior_status: str | None = None
    prior_pace_ratio: float | None = None
    batches: frozenset[str] = field(default_factory=frozenset)
    year_value: float | None = None  # the fiscal year's own figure
    period: tuple[int, int] | None = None  # (first FY, last FY) of a target over several years
    period_value: float | None = None  # the figure over the period up to the as-of month (None without a period)
    baseline: float | None = None  # where the pace of a running total or a milestone starts
    baseline_source: str = ""  # one of BASELINE_ORDER (方針に記載（…）with the policy's words)

    @property
    def carried(self) -> float:
        """What earlier years of the period add to a sum's running total (0 without a period or for other kinds)."""
        if self.period is None or not KINDS[self.indicator.aggregation].accumulates:
            return 0.0
        return (self.period_value or 0.0) - (self.year_value or 0.0)

    @property
    def change(self) -> str | None:
        """better / worse / same since the previous report (status first, then against the pace); None with one report."""
        if self.prior_month is None or self.prior_status is None:
            return None
        now, before = STATUS_RANK.get(self.status), STATUS_RANK.get(self.prior_status)
        if now is not None and before is not None and now != before:
            return BETTER if now < before else WORSE
        if self.pace_ratio is not None and self.prior_pace_ratio is not None and abs(self.pace_ratio - self.prior_pace_ratio) > 1e-9:
            return BETTER if self.pace_ratio > self.prior_pace_ratio else WORSE
        return SAME

    @property
    def newly_off_track(self) -> bool:
        """Became 注意 or 遅れ with the latest report (from on track, achieved or unreported; or from 注意 to 遅れ)."""
        if self.status not in OFF_TRACK:
            return False
        return self.prior_status not in OFF_TRACK or STATUS_RANK[self.status] > STATUS_RANK[self.prior_status]

    @property
    def provisional(self) -> bool:
        """The fiscal year has not ended at the as-of month: no A/B yet."""
        return self.computed_grade is None

    @property
    def overridden(self) -> bool:
        """An override is recorded (it decides the final grade once the year has ended)."""
        return self.override is not None

    @property
    def grade(self) -> str | None:
        """The final grade: the override where one exists, else the computed grade; None while the year runs."""
        return final_grade(self.computed_grade, self.override.grade if self.override else None)

    @property
    def months_reported(self) -> int:
        return len(self.points)

    @property
    def last_month(self) -> str | None:
        return self.points[-1].month if self.points else None

    @property
    def overdue_months(self) -> int:
        """Months of the year up to the as-of month with no report after the last one (0 when the as-of month is
        reported; every month so far when none is)."""
        return max(0, self.months_elapsed - (self.points[-1].index if self.points else 0))

    @property
    def year_share(self) -> float:
        """How much of the fiscal year has passed at the as-of month (0–1)."""
        return self.months_elapsed / 12


def final_grade(computed: str | None, override: str | None) -> str | None:
    """The override once there is a computed grade to override (the year has ended), else the computed grade."""
    return (override or computed) if computed is not None else None


def points_for(actuals: Iterable[Actual], fy: int, as_of: str, years: int = 1) -> list[Point]:
    """Months of ``fy`` (and the ``years`` - 1 years after it) up to ``as_of`` in order, indexed from ``fy``'s April = 1;
    months outside are ignored."""
    limit = min(12 * years, fiscal.fy_month_index(as_of, fy))
    pts = []
    for a in actuals:
        idx = fiscal.fy_month_index(a.month, fy)
        if 1 <= idx <= limit:
            pts.append(Point(idx, a.month, a.value, a.numerator, a.denominator))
    return sorted(pts, key=lambda p: p.index)


def pace_path(indicator: Indicator, target: float, fy: int, baseline: float | None, years: int = 1,
              first_report: Point | None = None) -> list[tuple[int, float]]:
    """The corners of the expected pace over the year (or the ``years`` of a period from ``fy``): (month index, value),
    index 0 = the start of April, 12 × ``years`` = the end of the last March.

    The kind says where the pace starts (0, the baseline, or nowhere); without a baseline a kind that starts from
    one starts at its first report (起点（仮）); checkpoints come next; the target closes the last March.
    """
    kind = KINDS[indicator.aggregation]
    start = kind.start
    end = 12 * years
    path: list[tuple[int, float]] = []
    if kind.carries and baseline is not None:
        path.append((0, baseline))
    elif start == ZERO:
        path.append((0, 0.0))
    elif start == PREVIOUS and first_report is not None:
        path.append((first_report.index, first_report.value))
    for c in indicator.checkpoints:
        idx = fiscal.fy_month_index(c.month, fy)
        if 1 <= idx <= end and (not path or idx > path[-1][0]):
            path.append((idx, c.value))
    if not path or path[-1][0] < end:
        path.append((end, target))
    return path


def year_path(path: Sequence[tuple[int, float]], offset: int) -> list[tuple[int, float]]:
    """A period's pace seen from one of its years (``offset`` months after the period's start): corners 0–12."""
    inner = [(x - offset, y) for x, y in path if offset < x < offset + 12]
    return [(0, pace_at(path, offset)), *inner, (12, pace_at(path, offset + 12))]


def pace_at(path: Sequence[tuple[int, float]], elapsed: float) -> float:
    """The pace at ``elapsed`` months: straight between corners, flat before the first and after the last."""
    if elapsed <= path[0][0]:
        return path[0][1]
    for (x0, y0), (x1, y1) in zip(path, path[1:]):
        if elapsed <= x1:
            return y0 + (y1 - y0) * (elapsed - x0) / (x1 - x0)
    return path[-1][1]


def progress_of(indicator: Indicator, value: float | None, target: float) -> float | None:
    """value ÷ target: the 達成率, or for a lower-is-better cap the share of it used; None without value or with a 0 target."""
    if value is None or not target:
        return None
    return value / target


def status_of(indicator: Indicator, value: float | None, target: float, expected: float, year_done: bool,
              behind_at_year_end: bool = False) -> str:
    """達成 / 順調 / 注意 / 遅れ / 未報告, by the rules in STATUS_RULES.

    ``year_done``: the target's year (a period's last year) has ended. ``behind_at_year_end``: a year inside a period
    has ended short of the pace due by its end, which is no longer on track either.
    """
    if value is None:
        return "未報告"
    direction = DIRECTIONS[indicator.direction]
    if direction.met(value, target) and (direction.settles_early or year_done):
        return "達成"
    pace = direction.ratio(value, expected)
    if pace >= ON_TRACK and not year_done and not behind_at_year_end:  # once the year is over, a miss is not on track
        return "順調"
    return "注意" if pace >= CAUTION else "遅れ"


def grade_of(indicator: Indicator, value: float | None, target: float) -> str:
    """A (達成) or B (未達成) for an ended fiscal year; no actuals is not an achievement."""
    if value is None:
        return "B"
    return "A" if DIRECTIONS[indicator.direction].met(value, target) else "B"


def previous_of(indicator: Indicator, actuals: Sequence[Actual], fy: int, entered: Entered | None,
                published: PublishedResult | None) -> tuple[float | None, str]:
    """前年度実績 (the previous fiscal year's own figure) and its source: entered, else published, else from the actuals."""
    if entered is not None:
        return entered.value, PREVIOUS_ENTERED
    if published is not None and published.value is not None:
        return published.value, PREVIOUS_PUBLISHED
    computed = KINDS[indicator.aggregation].aggregate(points_for(actuals, fy - 1, fiscal.ym(fy, 3)))
    return computed, PREVIOUS_FROM_ACTUALS if computed is not None else ""


def baseline_of(indicator: Indicator, target: Target, actuals: Sequence[Actual], first_fy: int, entered: Entered | None,
                published: PublishedResult | None, first_report: Point | None) -> tuple[float | None, str]:
    """Where the pace of a running total or a milestone starts, in the order of BASELINE_ORDER (None, "" for other kinds).

    ``first_fy`` is the first year of the target (of its period); ``entered`` and ``published`` are the 前年度実績 of
    that year (the year before it). Without any of them a running total's first report of the period stands in,
    marked 起点（仮）, and a milestone starts from 0% (未着手).
    """
    kind = KINDS[indicator.aggregation]
    if not kind.carries:
        return None, ""
    if target.baseline is not None:
        return target.baseline, BASELINE_STATED + (f"（{target.baseline_source}）" if target.baseline_source else "")
    final = kind.aggregate(points_for(actuals, first_fy - 1, fiscal.ym(first_fy, 3)))
    if final is not None:
        return final, BASELINE_PREVIOUS_ACTUAL
    if entered is not None:
        return entered.value, BASELINE_ENTERED
    if published is not None and published.value is not None:
        return published.value, BASELINE_PUBLISHED
    if kind.start == ZERO:
        return 0.0, BASELINE_NOT_BEGUN
    if first_report is not None:
        return first_report.value, BASELINE_FIRST_REPORT
    return None, ""


def evaluate_indicator(indicator: Indicator, actuals: Sequence[Actual], fy: int, as_of: str,
                       override: Override | None = None, entered: Entered | None = None, checkin: CheckIn | None = None,
                       with_prior: bool = True, published: Mapping[int, PublishedResult] | None = None) -> Result:
    """One indicator's record for ``fy`` at the end of ``as_of``.

    ``entered`` is the 前年度実績 an editor entered for ``fy``; ``published`` the results.csv rows by fiscal year.
    A target over several years is judged on the period's figure, its pace running over the period's months.
    """
    kind = KINDS[indicator.aggregation]
    direction = DIRECTIONS[indicator.direction]
    target = indicator.target(fy)
    if target is None:
        raise ValueError(f"{indicator.indicator_id} has no target for fiscal year {fy}")
    published = published or {}
    first, last = target.period or (fy, fy)
    years, offset = last - first + 1, 12 * (fy - first)
    elapsed = fiscal.months_elapsed(fy, as_of)
    period_elapsed = max(0, min(12 * years, fiscal.fy_month_index(as_of, first)))
    year_done = fiscal.fy_ended(fy, as_of)
    period_done = fiscal.fy_ended(last, as_of)
    points = points_for(actuals, fy, as_of)
    span_points = points_for(actuals, first, as_of, years) if target.period else points
    year_value = kind.aggregate(points)
    period_value = kind.aggregate(span_points) if target.period else None
    value = period_value if target.period else year_value
    previous, source = previous_of(indicator, actuals, fy, entered, published.get(fy - 1))
    baseline, baseline_source = baseline_of(indicator, target, actuals, first, entered if fy == first else None,
                                            published.get(first - 1), span_points[0] if span_points else None)
    used = frozenset(a.batch_id for a in actuals if a.month in {p.month for p in span_points} and a.batch_id)
    provisional_start = baseline_source == BASELINE_FIRST_REPORT  # the pace starts at that report's month, not in April
    path = pace_path(indicator, target.value, first, None if provisional_start else baseline, years,
                     span_points[0] if provisional_start else None)
    expected = pace_at(path, period_elapsed)
    if target.period:
        path = year_path(path, offset)
    meeting = sum(direction.met(p.value, target.value) for p in points) if kind.key == "mean" else None
    prior = None
    if with_prior and len(points) >= 2:  # the same indicator as it stood at the report before the latest one
        prior = evaluate_indicator(indicator, actuals, fy, points[-2].month, entered=entered, with_prior=False,
                                   published=published)
    if not year_done:
        computed = None
    elif period_done:
        computed = grade_of(indicator, value, target.value)
    else:  # a year inside a period: judged against the part of the period's target due by its end (the pace)
        computed = grade_of(indicator, value, expected)
    return Result(
        indicator=indicator,
        fiscal_year=fy,
        as_of=as_of,
        target=target,
        value=value,
        progress=progress_of(indicator, value, target.value),
        expected=expected,
        pace_ratio=None if value is None or period_elapsed == 0 else direction.ratio(value, expected),
        status=status_of(indicator, value, target.value, expected, period_done, computed == "B" and not period_done),
        computed_grade=computed,
        forecast=None if year_done else _forecast(indicator, points, span_points, elapsed, target, fy, year_value, period_value),
        points=tuple(points),
        months_elapsed=elapsed,
        pace_path=tuple(path),
        months_meeting_target=meeting,
        previous=previous,
        previous_source=source,
        previous_entry=entered,
        override=override,
        checkin=checkin,
        prior_month=prior.as_of if prior else None,
        prior_value=prior.value if prior else None,
        prior_status=prior.status if prior else None,
        prior_pace_ratio=prior.pace_ratio if prior else None,
        batches=used,
        year_value=year_value,
        period=target.period,
        period_value=period_value,
        baseline=baseline,
        baseline_source=baseline_source,
    )


def _forecast(indicator: Indicator, points: Sequence[Point], span_points: Sequence[Point], elapsed: int, target: Target,
              fy: int, year_value: float | None, period_value: float | None) -> float | None:
    """The graded figure at the end of the year: for a period target, at its last year only (the period's end)."""
    kind = KINDS[indicator.aggregation]
    if target.period is None:
        return kind.forecast(points, elapsed)
    if fy != target.fiscal_year:
        return None
    if kind.start == NONE:  # a level over the period: the period's months so far
        return kind.forecast(span_points, elapsed)
    own = kind.forecast(points, elapsed)
    if own is None or not kind.accumulates:
        return own
    return (period_value or 0.0) - (year_value or 0.0) + own


def evaluate(policy: Policy, actuals: Iterable[Actual], fy: int, as_of: str, issue_ids: Sequence[str] | None = None,
             overrides: Mapping[str, Override] | None = None, entered: Mapping[str, Entered] | None = None,
             checkins: Mapping[str, CheckIn] | None = None) -> list[Result]:
    """Every indicator of the chosen 経営課題 that has a target in ``fy``, in policy order.

    ``overrides``, ``entered`` and ``checkins`` (by indicator id) are the editors' grade overrides and
    前年度実績 for ``fy`` and the latest check-ins: they become part of each indicator's one record.
    """
    by_id: dict[str, list[Actual]] = {}
    for a in actuals:
        by_id.setdefault(a.indicator_id, []).append(a)
    overrides, entered, checkins = overrides or {}, entered or {}, checkins or {}
    published: dict[str, dict[int, PublishedResult]] = {}
    for (iid, year), pub in policy.results.items():
        published.setdefault(iid, {})[year] = pub
    return [
        evaluate_indicator(ind, by_id.get(ind.indicator_id, []), fy, as_of, overrides.get(ind.indicator_id),
                           entered.get(ind.indicator_id), checkins.get(ind.indicator_id),
                           published=published.get(ind.indicator_id))
        for ind in policy.indicators_of(list(issue_ids) if issue_ids else None)
        if ind.target(fy) is not None
    ]


def worst_first(results: Iterable[Result]) -> list[Result]:
    """遅れ, then 注意, … each from the furthest behind its pace; 未報告 last; policy order breaks ties."""
    order = {"遅れ": 0, "注意": 1, "順調": 2, "達成": 3, "未報告": 4}
    return sorted(results, key=lambda r: (order[r.status], r.pace_ratio if r.pace_ratio is not None else 9.0))


def exceptions(results: Iterable[Result]) -> list[Result]:
    """The indicators a meeting talks about: 遅れ and 注意, worst first."""
    return [r for r in worst_first(results) if r.status in OFF_TRACK]


def attention(results: Iterable[Result]) -> list[Result]:
    """What a meeting must look at: 遅れ and 注意 worst first, then the indicators whose latest report is overdue (also worst first)."""
    rs = list(results)
    behind = exceptions(rs)
    shown = {id(r) for r in behind}
    return behind + worst_first(r for r in rs if id(r) not in shown and r.last_month is not None and r.overdue_months > 0)


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
    """12.0倍 (as Japanese documents write it), or 新規 when the base was 0: never inf."""
    return "新規" if ratio is None else f"{ratio:.1f}倍"


def budget_kinds(policy: Policy, issue_ids: Sequence[str] | None = None) -> dict[int, str]:
    """Per budget year, the kind of its amounts (決算, 予算, or 決算・予算 when the 経営課題 differ)."""
    keep = set(issue_ids) if issue_ids else set(policy.issues)
    kinds: dict[int, set[str]] = {}
    for b in policy.budgets:
        if b.issue_id in keep:
            kinds.setdefault(b.fiscal_year, set()).add(b.kind)
    return {y: "・".join(k for k in BUDGET_KINDS if k in kinds[y]) for y in sorted(kinds)}


def budget_span_text(kinds: Mapping[int, str]) -> str:
    """R5決算→R6〜R7予算: consecutive years of one kind joined, in year order (from the data, never assumed)."""
    groups: list[list] = []
    for year, kind in sorted(kinds.items()):
        if groups and groups[-1][2] == kind and groups[-1][1] == year - 1:
            groups[-1][1] = year
        else:
            groups.append([year, year, kind])
    return "→".join(f"{fiscal.fy_short(a)}{'〜' + fiscal.fy_short(b) if b != a else ''}{kind}" for a, b, kind in groups)


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

