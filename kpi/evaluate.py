"""Indicator semantics: a fiscal year's value, progress, pace, status, forecast and grade.

Pure functions over the policy and a table of current actuals; the rules are
written out in ``STATUS_RULES`` so that the app and the README show the same text.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kpi import fiscal
from kpi.kinds import CAUTION, DIRECTIONS, KINDS, ON_TRACK, PREVIOUS, STATUSES, ZERO, Point
from kpi.policy import BUDGET_KINDS, Budget, Indicator, Policy, Target

_KIND_LINES = "\n".join(f"  - {k.label}: {k.rule}" for k in KINDS.values())
_PACE_LINES = "\n".join(f"  - {k.label}: {k.pace_rule}" for k in KINDS.values())
STATUS_RULES = f"""\
**状況の判定（{'・'.join(STATUSES)}）**

- **年度の値**は指標ごとの集計方法で求めます。
{_KIND_LINES}
- **想定ペース**（基準月の末までに届いているはずの値）は集計方法ごとに次のとおりです。
{_PACE_LINES}
  - 中間目標（checkpoints.csv）のある指標は、年度の初め・中間目標・3月末の目標を順に直線で結んだ値です。
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


@dataclass(frozen=True)
class Result:
    """One indicator, evaluated once for a fiscal year and an as-of month: every page, export and the CLI read this."""

    indicator: Indicator
    fiscal_year: int
    as_of: str
    target: Target
    value: float | None
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


def points_for(actuals: Iterable[Actual], fy: int, as_of: str) -> list[Point]:
    """Months of ``fy`` up to ``as_of`` in order; months outside the year are ignored."""
    limit = min(12, fiscal.fy_month_index(as_of, fy))
    pts = []
    for a in actuals:
        idx = fiscal.fy_month_index(a.month, fy)
        if 1 <= idx <= limit:
            pts.append(Point(idx, a.month, a.value, a.numerator, a.denominator))
    return sorted(pts, key=lambda p: p.index)


def pace_path(indicator: Indicator, target: float, fy: int, baseline: float | None) -> list[tuple[int, float]]:
    """The corners of the expected pace over the year: (month index, value), index 0 = the start of April.

    The kind says where the pace starts (0, the previous year's final value, or nowhere);
    checkpoints of the year come next; the target closes the year at March (12).
    """
    start = KINDS[indicator.aggregation].start
    path: list[tuple[int, float]] = []
    if start == ZERO:
        path.append((0, 0.0))
    elif start == PREVIOUS and baseline is not None:
        path.append((0, baseline))
    path += [(fiscal.fy_month_index(c.month, fy), c.value) for c in indicator.checkpoints_in(fy)]
    if not path or path[-1][0] < 12:
        path.append((12, target))
    return path


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


def status_of(indicator: Indicator, value: float | None, target: float, expected: float, year_done: bool) -> str:
    """達成 / 順調 / 注意 / 遅れ / 未報告, by the rules in STATUS_RULES."""
    if value is None:
        return "未報告"
    direction = DIRECTIONS[indicator.direction]
    if direction.met(value, target) and (direction.settles_early or year_done):
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


def evaluate_indicator(indicator: Indicator, actuals: Sequence[Actual], fy: int, as_of: str,
                       override: Override | None = None, entered: Entered | None = None, checkin: CheckIn | None = None,
                       with_prior: bool = True) -> Result:
    kind = KINDS[indicator.aggregation]
    direction = DIRECTIONS[indicator.direction]
    target = indicator.target(fy)
    if target is None:
        raise ValueError(f"{indicator.indicator_id} has no target for fiscal year {fy}")
    elapsed = fiscal.months_elapsed(fy, as_of)
    year_done = fiscal.fy_ended(fy, as_of)
    points = points_for(actuals, fy, as_of)
    value = kind.aggregate(points)
    computed_previous = kind.aggregate(points_for(actuals, fy - 1, fiscal.ym(fy, 3)))
    if entered is not None:
        previous, source = entered.value, PREVIOUS_ENTERED
    else:
        previous, source = computed_previous, PREVIOUS_FROM_ACTUALS if computed_previous is not None else ""
    used = frozenset(a.batch_id for a in actuals if a.month in {p.month for p in points} and a.batch_id)
    path = pace_path(indicator, target.value, fy, previous)
    expected = pace_at(path, elapsed)
    meeting = sum(direction.met(p.value, target.value) for p in points) if kind.key == "mean" else None
    prior = None
    if with_prior and len(points) >= 2:  # the same indicator as it stood at the report before the latest one
        prior = evaluate_indicator(indicator, actuals, fy, points[-2].month, entered=entered, with_prior=False)
    return Result(
        indicator=indicator,
        fiscal_year=fy,
        as_of=as_of,
        target=target,
        value=value,
        progress=progress_of(indicator, value, target.value),
        expected=expected,
        pace_ratio=None if value is None or elapsed == 0 else direction.ratio(value, expected),
        status=status_of(indicator, value, target.value, expected, year_done),
        computed_grade=grade_of(indicator, value, target.value) if year_done else None,
        forecast=None if year_done else kind.forecast(points, elapsed),
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
    )


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
    return [
        evaluate_indicator(ind, by_id.get(ind.indicator_id, []), fy, as_of, overrides.get(ind.indicator_id),
                           entered.get(ind.indicator_id), checkins.get(ind.indicator_id))
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
    """What a meeting must look at: 遅れ and 注意 worst first, then the indicators whose latest report is overdue."""
    rs = list(results)
    behind = exceptions(rs)
    shown = {id(r) for r in behind}
    return behind + [r for r in rs if id(r) not in shown and r.last_month is not None and r.overdue_months > 0]


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

