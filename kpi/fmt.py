"""Number and label formatting for Japanese screens and exports.

Every page, export and the command line format an indicator's record (``evaluate.Result``)
with these functions, so two views of one indicator never disagree: percentages are
floored (99.6 % reads 99 %), a final grade that an editor overrode carries ※ and the
computed grade beside it, and a lower-is-better cap reads as the share of it used.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kpi import fiscal
from kpi.kinds import DIRECTIONS, GRADES, KINDS, QUALIFIERS, STATUSES
from kpi.policy import Indicator, Target

if TYPE_CHECKING:
    from kpi.evaluate import Result
    from kpi.store.base import Coverage

PROVISIONAL_LABEL = "未確定（年度途中）"
OVERRIDE_MARK = "※"


def number(x: float | None, digits: int | None = None) -> str:
    """1,234 / 24.9 / －; integers lose their .0."""
    if x is None:
        return "－"
    if digits is None:
        digits = 0 if float(x).is_integer() else 1
    return f"{x:,.{digits}f}"


def with_unit(x: float | None, unit: str, digits: int | None = None) -> str:
    if x is None:
        return "－"
    return f"{number(x, digits)}{unit}" if unit != "%" else f"{number(x, digits)}%"


def million_yen(x: float | None) -> str:
    return "－" if x is None else f"{x:,.0f}百万円"


def floored_percent(ratio: float) -> int:
    """Whole percent, rounded down; the 1e-9 keeps 0.29 (28.999… in binary) at 29."""
    return math.floor(ratio * 100 + 1e-9)


def percent(ratio: float | None) -> str:
    """Whole percent, rounded down: 99.6 % must not read as 100 % next to a B."""
    if ratio is None:
        return "－"
    return f"{floored_percent(ratio):,}%"


def decimals(x: float) -> int:
    """Digits ``number`` shows: none for a whole number, else one."""
    return 0 if float(x).is_integer() else 1


def rounded(x: float | None) -> float | None:
    """The number as the screen shows it (``number``): 1981.923… → 1981.9, for spreadsheets that keep numbers."""
    return None if x is None else round(float(x), decimals(x))


def excel_format(x: float | None, unit: str) -> str:
    """Excel number format showing ``x`` as ``with_unit`` does: 「#,##0"件"」, 「#,##0.0"%"」 (the unit as literal text)."""
    if x is None:
        return "General"
    digits = "#,##0" if decimals(x) == 0 else "#,##0.0"
    return digits + ('"' + unit.replace('"', "") + '"' if unit else "")


def excel_percent(r: Result) -> tuple[float | None, str]:
    """達成率 as a number with a % format, floored like ``percent`` (Excel's own 0% would round 99.6 % up);
    a lower-is-better cap reads 上限の53%."""
    if r.progress is None:
        return None, "General"
    return floored_percent(r.progress) / 100, ('"上限の"0%' if is_cap(r) else "0%")


def target_text(ind: Indicator, t: Target | None) -> str:
    """2,000件（累計） / 1,870時間/月 以上 / 60名程度/年 / 6,000世帯 以上（R4〜R6合計） / 完了（100%）.

    The qualifiers read in the order written (kpi.kinds.QUALIFIERS says how each one reads); a target over several
    years names its period.
    """
    if t is None:
        return "－"
    if KINDS[ind.aggregation].milestone:
        return "完了（100%）"
    quals = [QUALIFIERS[q] for q in t.qualifiers if q in QUALIFIERS]
    text = with_unit(t.value, ind.unit) + "".join(q.suffix for q in quals if q.glued)
    if t.per:
        text += f"/{t.per}"
    text += "".join(q.suffix for q in quals if not q.glued and not (t.period and q.key == "合計"))
    if t.period:
        text += f"（{period_label(t.period, ind)}）"
    return text


def period_label(period: tuple[int, int], ind: Indicator) -> str:
    """R4〜R6合計 for a sum over the period, else R4〜R6."""
    first, last = period
    return f"{fiscal.fy_short(first)}〜{fiscal.fy_short(last)}" + ("合計" if KINDS[ind.aggregation].accumulates else "")


def year_short(fy: int) -> str:
    """6年度 (the city's short form of 令和6年度 in a published result)."""
    return fiscal.wareki_year(fy).removeprefix("令和").removeprefix("平成") + "年度"


def coverage_text(c: Coverage | None) -> str:
    """What a batch covers: 令和7年4月〜令和8年3月（12か月・15指標）; a batch without rows "－"."""
    if c is None:
        return "－"
    return f"{fiscal.month_range_label(c.first, c.last)}（{c.months}か月・{c.indicators}指標）"


def status_text(status: str) -> str:
    return f"{STATUSES[status].symbol} {status}"


COMPUTED = "算定"


def status_shown(r: Result) -> str:
    """The status as shown beside a final grade: once the year is over and an editor overrode the grade, the status
    is the computed one and says so (「算定 △ 注意」 beside 「A（達成）※（算定 B）」 is no contradiction)."""
    text = status_text(r.status)
    return f"{COMPUTED} {text}" if r.grade is not None and r.override is not None else text


def overdue_text(r: Result) -> str:
    """「9月分未報告（最終報告 7月）」 when the as-of month's figure is missing; "" when current or never reported
    (the status then says 未報告)."""
    if r.last_month is None or r.overdue_months <= 0:
        return ""
    return f"{fiscal.month_short(due_month(r))}分未報告（最終報告 {fiscal.month_short(r.last_month)}）"


def due_month(r: Result) -> str:
    """The month the figures should reach: the as-of month, or the year's March once it is past."""
    return fiscal.fy_months(r.fiscal_year)[max(0, r.months_elapsed - 1)]


def checkin_stale(r: Result) -> bool:
    """The latest check-in speaks of a month before the as-of month (e.g. September's, read at year end)."""
    return r.checkin is not None and r.checkin.month < due_month(r)


def checkin_month_text(r: Result) -> str:
    """令和7年9月分, with 「（基準月 3月より前）」 when it is older than the as-of month; "" without a check-in."""
    if r.checkin is None:
        return ""
    text = f"{fiscal.month_label(r.checkin.month)}分"
    return text + (f"（基準月 {fiscal.month_short(due_month(r))}より前）" if checkin_stale(r) else "")


def checkin_signature(r: Result) -> str:
    """Which month a check-in speaks of and when it was written: 令和7年9月分の振り返り（記入 確認者、令和7年10月3日 10:00）."""
    c = r.checkin
    if c is None:
        return ""
    return f"{checkin_month_text(r)}の振り返り（記入 {signed(c.user, c.at)}）"


def last_report_text(r: Result) -> str:
    """最終報告月 as tables show it: 令和7年9月, 「9月分未報告（最終報告 7月）」 when overdue, or 未報告."""
    if r.last_month is None:
        return "未報告"
    return overdue_text(r) or fiscal.month_label(r.last_month)


def grade_label(grade: str | None) -> str:
    """A（達成） / B（未達成） / 未確定（年度途中）."""
    return f"{grade}（{GRADES[grade]}）" if grade in GRADES else PROVISIONAL_LABEL


def grade_text(r: Result, mark: str = OVERRIDE_MARK) -> str:
    """The final grade as every surface shows it: A（達成）, or A（達成）※（算定 B） where an editor overrode B.

    ``mark`` replaces ※ where a numbered footnote explains the override (※1).
    """
    if r.grade is None:
        return PROVISIONAL_LABEL
    text = grade_label(r.grade)
    if r.override is not None:
        text += f"{mark}（算定 {r.computed_grade}）"
    return text


def value_text(r: Result, empty: str = "未報告") -> str:
    """The figure as every surface shows it: 1,950世帯; for a target over several years, the year's own figure and the
    period's side by side, 6年度 1,950世帯（R4〜R6合計 5,410世帯）. ``empty`` without any figure."""
    unit = r.indicator.unit
    if r.period is None:
        return empty if r.value is None else with_unit(r.value, unit)
    if r.period_value is None:
        return empty
    return (f"{year_short(r.fiscal_year)} {with_unit(r.year_value, unit)}"
            f"（{period_label(r.period, r.indicator)} {with_unit(r.period_value, unit)}）")


def pace_note(r: Result) -> str:
    """The chart's note on its pace: where it starts (起点 …（前年度末の実績）) and, for a target over several years, the
    period and what its earlier years brought (R4〜R6合計の目標、R4〜R5 3,460世帯を含む)."""
    bits = []
    if r.period is not None:
        first, last = r.period
        bit = f"{period_label(r.period, r.indicator)}の目標 {with_unit(r.target.value, r.indicator.unit)}"
        if r.carried and r.fiscal_year > first:
            bit += f"、{fiscal.fy_short(first)}〜{fiscal.fy_short(r.fiscal_year - 1)} {with_unit(r.carried, r.indicator.unit)}を含む"
        bits.append(bit)
    if baseline_text(r):
        bits.append(f"想定ペースの{baseline_text(r)}")
    return "、".join(bits)


def baseline_text(r: Result) -> str:
    """起点 1,500件（方針に記載（令和6年度末 1,500件））: where the pace starts; "" for kinds without a baseline."""
    if r.baseline is None or not r.baseline_source:
        return ""
    return f"起点 {with_unit(r.baseline, r.indicator.unit)}（{r.baseline_source}）"


def is_cap(r: Result) -> bool:
    return not DIRECTIONS[r.indicator.direction].settles_early


def progress_text(r: Result) -> str:
    """99% (達成率, floored), or 上限の53% for a lower-is-better cap; － without a value."""
    if r.progress is None:
        return "－"
    return f"上限の{percent(r.progress)}" if is_cap(r) else percent(r.progress)


def progress_sentence(r: Result) -> str:
    """達成率 99%, or 上限120件の53%（年度の50%経過） for a cap while the year runs."""
    if not is_cap(r):
        return f"達成率 {percent(r.progress)}"
    used = f"上限{with_unit(r.target.value, r.indicator.unit)}の{percent(r.progress)}"
    return used if r.months_elapsed >= 12 else f"{used}（年度の{percent(r.year_share)}経過）"


CHANGE_WORDS = {"better": "改善", "worse": "悪化", "same": "変わらず"}


def change_text(r: Result) -> str:
    """Since the report before the latest: ↑ +31件（改善）, ↓ −2.0%（悪化）; 「－」 with one report only.

    The arrow is the value's direction; the word judges it against the pace, direction-aware
    (a cap whose monthly count rose but stayed within the pace is 改善).
    """
    if r.change is None or r.value is None or r.prior_value is None:
        return "－"
    delta = r.value - r.prior_value
    arrow = "↑" if delta > 1e-9 else ("↓" if delta < -1e-9 else "→")
    sign = "+" if delta > 1e-9 else ("−" if delta < -1e-9 else "±")
    word = CHANGE_WORDS[r.change]
    if r.change != "same" and r.prior_status == r.status:
        word = f"ペースに対して{word}"  # the status held: the judgement is against the pace, which may differ from the arrow
    return f"{arrow} {sign}{with_unit(abs(delta), r.indicator.unit)}（{word}）"


def change_lines(r: Result) -> list[str]:
    """The change since the previous report, and on a second line the status's move when it moved
    (「↑ +0.6%（悪化）」 reads as a contradiction until 「○ 順調 → △ 注意」 says what worsened)."""
    moved = r.prior_status is not None and r.prior_status != r.status
    return [change_text(r), *([status_change_text(r)] if moved else [])]


def status_change_text(r: Result) -> str:
    """○ 順調 → △ 注意 when the status moved since the previous report; else the status alone."""
    if r.prior_status and r.prior_status != r.status:
        return f"{status_text(r.prior_status)} → {status_text(r.status)}"
    return status_text(r.status)


def pace_text(r: Result) -> str:
    """想定ペース 1,000件（6か月経過）・ペース比 95%: what the status is judged by."""
    text = f"想定ペース {with_unit(r.expected, r.indicator.unit)}（{r.months_elapsed}か月経過）"
    if r.pace_ratio is not None:
        text += f"・ペース比 {percent(r.pace_ratio)}"
    return text


# Cells starting with these run as formulas in Excel (OWASP CSV injection); a tab or CR can hide one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def signed(user: str, at: str, sep: str = "、") -> str:
    """Who recorded something and when, as every surface shows it: 確認者、令和8年11月29日 07:33 (和暦; ``at`` is
    the stored "YYYY-MM-DD HH:MM" or ISO form, which the JSON keeps)."""
    return f"{user}{sep}{fiscal.datetime_label(at)}" if at else user


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def neutralise(value: Any) -> Any:
    """Text only: '=1+1 → "'=1+1" so that no spreadsheet evaluates it. Numbers pass unchanged."""
    return "'" + value if is_formula_like(value) else value
