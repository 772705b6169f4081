"""The evaluation table, the free texts in form order and the years side by side, over each indicator's record.

Nothing here decides a figure or a grade: every value comes from ``kpi.evaluate.Result``
(or, for past years, from the same aggregation), formatted by ``kpi.fmt``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kpi import fiscal, fmt
from kpi.evaluate import PREVIOUS_PUBLISHED, Actual, Result, evaluate_indicator, final_grade, grade_of, points_for
from kpi.evaluation.records import OVERRIDE, PREVIOUS, TEXT_KEYS, Record, current
from kpi.fmt import grade_label
from kpi.kinds import DIRECTIONS, KINDS
from kpi.policy import Indicator, Policy, Target

# The columns of the 運営方針's アウトカム指標の達成状況 table, as shown and exported.
EVALUATION_COLUMNS = (
    "経営課題", "指標ID", "指標", "目標", "年度実績", "達成率", "算定評価", "算定の根拠",
    "上書き評価", "上書きの理由", "上書き者", "上書き日時", "最終評価", "前年度実績", "前年度実績の出典", "要因分析（最新の振り返り）",
)

YEAR_END_ASK = "年度末（3月分）の要因分析は未記入です。"  # written on 指標 (振り返りを書く, month 3月)

# --- the evaluation table --------------------------------------------------------------

@dataclass(frozen=True)
class EvaluationRow:
    """One line of アウトカム指標の達成状況: the indicator's record, with its 経営課題, formatted for tables.

    Every figure and grade comes from ``result`` (kpi.evaluate.Result); nothing is decided here.
    """

    result: Result
    issue_label: str  # 経営課題1
    issue_title: str  # short title

    @property
    def r(self) -> Result:
        return self.result

    fiscal_year = property(lambda self: self.r.fiscal_year)
    as_of = property(lambda self: self.r.as_of)
    issue_id = property(lambda self: self.r.indicator.issue_id)
    indicator_id = property(lambda self: self.r.indicator.indicator_id)
    indicator = property(lambda self: self.r.indicator.short_name)
    wording = property(lambda self: self.r.indicator.wording)
    unit = property(lambda self: self.r.indicator.unit)
    target = property(lambda self: self.r.target.value)
    value = property(lambda self: self.r.value)
    progress = property(lambda self: self.r.progress)
    status = property(lambda self: self.r.status)
    provisional = property(lambda self: self.r.provisional)
    computed_grade = property(lambda self: self.r.computed_grade)
    final_grade = property(lambda self: self.r.grade)
    overridden = property(lambda self: self.r.overridden)
    previous = property(lambda self: self.r.previous)

    @property
    def period(self) -> str:
        return period_text(self.r.indicator)

    @property
    def target_text(self) -> str:
        return fmt.target_text(self.r.indicator, self.r.target)

    @property
    def value_text(self) -> str:
        return fmt.value_text(self.r, empty="－")

    @property
    def progress_text(self) -> str:
        return fmt.progress_text(self.r)

    @property
    def rule(self) -> str:
        return grade_rule(self.r)

    @property
    def override_grade(self) -> str | None:
        return self.r.override.grade if self.r.override else None

    @property
    def override_reason(self) -> str:
        return self.r.override.reason if self.r.override else ""

    @property
    def override_user(self) -> str:
        return self.r.override.user if self.r.override else ""

    @property
    def override_at(self) -> str:
        return self.r.override.at if self.r.override else ""

    @property
    def override_record(self) -> str:
        return self.r.override.record_id if self.r.override else ""

    @property
    def previous_text(self) -> str:
        return fmt.with_unit(self.r.previous, self.r.indicator.unit)

    @property
    def previous_source(self) -> str:
        """実績から（令和6年度の実績から算定） / 入力（user, date）：note / ""."""
        e = self.r.previous_entry
        if e is not None:
            return f"入力（{fmt.signed(e.user, e.at)}）" + (f"：{e.note}" if e.note else "")
        if self.r.previous_source == PREVIOUS_PUBLISHED:
            return f"公表（{fiscal.fy_label(self.r.fiscal_year - 1)}の公表実績）"
        return f"{fiscal.fy_label(self.r.fiscal_year - 1)}の実績から算定" if self.r.previous is not None else ""

    @property
    def computed_label(self) -> str:
        return grade_label(self.computed_grade)

    @property
    def final_label(self) -> str:
        """The final grade as every surface shows it (fmt.grade_text): A（達成）※（算定 B） when overridden."""
        return fmt.grade_text(self.r)

    def override_note(self, mark: str, max_reason: int | None = None) -> str:
        """The footnote ``mark`` explains on the deck and the PDF: what was overridden, by whom, when, why."""
        reason = self.override_reason
        if max_reason is not None and len(reason) > max_reason:
            reason = reason[:max_reason] + "…（全文は Excel）"
        applied = (f"算定評価 {self.computed_label} を {grade_label(self.override_grade)} に上書き" if not self.provisional
                   else f"{grade_label(self.override_grade)} への上書きを記録（年度の終了後に適用）")
        return f"{mark} {self.indicator_id} {self.indicator}：{applied}（{fmt.signed(self.override_user, self.override_at)}）。理由：{reason}"

    def record(self) -> dict[str, object]:
        """The row under EVALUATION_COLUMNS (Japanese headers), plain strings and numbers for spreadsheets."""
        return {
            "経営課題": f"{self.issue_label} {self.issue_title}",
            "指標ID": self.indicator_id,
            "指標": self.indicator,
            "目標": self.target_text,
            "年度実績": self.value_text,
            "達成率": self.progress_text,
            "算定評価": self.computed_label,
            "算定の根拠": self.rule,
            "上書き評価": grade_label(self.override_grade) if self.override_grade else "",
            "上書きの理由": self.override_reason,
            "上書き者": self.override_user,
            "上書き日時": fiscal.datetime_label(self.override_at) if self.override_at else "",
            "最終評価": self.final_label,
            "前年度実績": self.previous_text,
            "前年度実績の出典": self.previous_source,
            "要因分析（最新の振り返り）": self.analysis,
        }

    @property
    def analysis(self) -> str:
        """The latest check-in as the year's 要因分析: 要因 and 対策, with its month. Once the year has ended, a check-in
        older than March (or none) asks for the year-end one: September's reasons are not the year's."""
        c = self.r.checkin
        ask = YEAR_END_ASK if self.computed_grade is not None and (c is None or fmt.checkin_stale(self.r)) else ""
        if c is None:
            return ask
        text = f"{fmt.checkin_month_text(self.r)}　要因: {c.cause}　対策: {c.action}" + (f"　コメント: {c.comment}" if c.comment else "")
        return f"{text}\n{ask}" if ask else text


def grade_rule(r: Result) -> str:
    """The computed grade's reasoning in words, e.g. 最新月の値 2,046件 ≥ 目標 2,000件（累計） → A（達成）."""
    ind = r.indicator
    kind, direction = KINDS[ind.aggregation], DIRECTIONS[ind.direction]
    target = fmt.target_text(ind, r.target)
    if r.value is None:
        return "実績の報告なし → B（未達成）" if r.computed_grade else "実績の報告なし（年度途中のため未確定）"
    within = r.period is not None and r.computed_grade is not None and r.fiscal_year < r.period[1]
    against = r.expected if within else r.target.value  # a year inside a period is judged against the pace due by its end
    met = direction.met(r.value, against)
    op = {("higher", True): "≥", ("higher", False): "<", ("lower", True): "≤", ("lower", False): ">"}.get((ind.direction, met), "")
    how = kind.label.split("（")[0]
    if kind.key == "ratio":
        how = "Σ分子÷Σ分母" if r.points and all(p.numerator is not None and p.denominator for p in r.points) else "各月の値の平均"
    if r.period is not None:
        how = f"{fmt.period_label(r.period, ind)}（{fmt.year_short(r.fiscal_year)}まで）"
    if within:
        text = f"{how} {fmt.with_unit(r.value, ind.unit)} {op} 年度末の想定ペース {fmt.with_unit(r.expected, ind.unit)}（目標 {target}）"
    else:
        text = f"{how} {fmt.with_unit(r.value, ind.unit)} {op} 目標 {target}"
    if ind.direction != "higher":
        text += f"（{direction.label}）"
    if r.months_meeting_target is not None:
        text += f"、目標に達した月 {r.months_meeting_target}/{r.months_reported}か月"
    if r.computed_grade:
        return f"{text} → {grade_label(r.computed_grade)}"
    return f"{text}：年度途中（{r.months_elapsed}か月経過）のため未確定"


def evaluation_table(policy: Policy, results: Sequence[Result]) -> list[EvaluationRow]:
    """Per indicator of ``results`` (in their order): the row of the evaluation table, over the indicator's record."""
    return [EvaluationRow(r, policy.issues[r.indicator.issue_id].label, policy.issues[r.indicator.issue_id].short_title)
            for r in results]


@dataclass(frozen=True)
class Totals:
    indicators: int
    a: int | None  # None while the year runs
    b: int | None
    overridden: int


def totals(rows: Sequence[EvaluationRow], ended: bool) -> Totals:
    """The counts above the table: final A and B (once the year has ended) and overrides recorded."""
    return result_totals([r.result for r in rows], ended)


def result_totals(results: Sequence[Result], ended: bool) -> Totals:
    """``totals`` over the indicators' records: 年度評価's counts and the deck's cover come from here alone."""
    final = [r.grade for r in results]
    return Totals(len(results), final.count("A") if ended else None, final.count("B") if ended else None,
                  sum(r.overridden for r in results))


def totals_text(t: Totals) -> str:
    """最終評価 A（達成）12件・B（未達成）3件（うち上書き1件）, or the count alone while the year runs."""
    if t.a is None:
        return f"{t.indicators}指標（A/B は年度の終了後に判定）"
    text = f"{t.indicators}指標　最終評価 {grade_label('A')} {t.a}件・{grade_label('B')} {t.b}件"
    return text + (f"（うち上書き {t.overridden}件）" if t.overridden else "")


def period_text(ind: Indicator) -> str:
    if not ind.period:
        return ""
    return f"{fiscal.fy_label(ind.period[0])}〜{fiscal.fy_label(ind.period[1])}"


@dataclass(frozen=True)
class TextSection:
    """A free text in its place in the form: the policy's 自己評価 / 今後の方針, then each 経営課題's."""

    key: str
    issue_id: str | None
    title: str  # 自己評価（運営方針全体の定性評価） / 経営課題2 今後の方針
    text: str
    user: str
    at: str
    record_id: str

    @property
    def signature(self) -> str:
        """記入: who　when (和暦), the line under the title on the deck, the PDF and the workbook."""
        return f"記入: {fmt.signed(self.user, self.at, '　')}"


def text_sections(policy: Policy, current_texts: Mapping[tuple[str, str | None], Record], issue_ids: Sequence[str] | None = None,
                  include_empty: bool = True) -> list[TextSection]:
    """The texts in form order: the whole policy's (also when empty, with ``include_empty``), then per 経営課題 (when written).

    ``issue_ids`` None = every 経営課題; ``[]`` = the whole policy's texts only.
    """
    out = []
    for key, label in TEXT_KEYS.items():
        r = current_texts.get((key, None))
        if r is not None and r.text or include_empty:
            out.append(TextSection(key, None, label, r.text if r else "", r.user if r else "", r.when if r else "", r.record_id if r else ""))
    for iid in list(policy.issues) if issue_ids is None else issue_ids:
        for key, label in TEXT_KEYS.items():
            r = current_texts.get((key, iid))
            if r is not None and r.text:
                out.append(TextSection(key, iid, f"{policy.issues[iid].label} {label.split('（')[0]}", r.text, r.user, r.when, r.record_id))
    return out


# --- several years ---------------------------------------------------------------------

@dataclass(frozen=True)
class YearValue:
    """An indicator's value in one fiscal year, against that year's target when the policy states one."""

    fiscal_year: int
    value: float | None  # the year's own figure
    source: str  # 実績 / 入力 / 公表 / ""
    target: Target | None
    state: str  # 確定 / 年度途中 / 未到来
    computed_grade: str | None
    grade: str | None  # override if any, else computed (ended years with a target only)
    overridden: bool = False
    period_value: float | None = None  # a target over several years: the period's figure at the year's end (or as of)

    def cell(self, ind: Indicator) -> str:
        """57名（目標 60名程度/年・B）, or 1,950世帯（R4〜R6合計 5,410世帯・目標 6,000世帯 以上（R4〜R6合計）・B）."""
        value = fmt.with_unit(self.value, ind.unit) if self.value is not None else ("未到来" if self.state == "未到来" else "－")
        bits = []
        if self.target is not None and self.target.period and self.period_value is not None:
            bits.append(f"{fmt.period_label(self.target.period, ind)} {fmt.with_unit(self.period_value, ind.unit)}")
        if self.target is not None:
            bits.append(f"目標 {fmt.target_text(ind, self.target)}")
        if self.grade:
            bits.append(self.grade + ("※" if self.overridden else ""))
        elif self.target is not None and self.state == "年度途中":
            bits.append("未確定")
        if self.source in ("入力", "公表"):
            bits.append(f"{self.source}値")
        return value + (f"（{'・'.join(bits)}）" if bits else "")


def year_span(ind: Indicator, actual_years: Iterable[int] = ()) -> list[int]:
    """Every fiscal year the indicator concerns: its period, its target years and the years with actuals."""
    years = set(ind.targets) | set(actual_years)
    if ind.period:
        years |= set(range(ind.period[0], ind.period[1] + 1))
    return list(range(min(years), max(years) + 1)) if years else []


def yearly(policy: Policy, actuals: Iterable[Actual], as_of: str, recs: Sequence[Record] = (),
           issue_ids: Sequence[str] | None = None) -> dict[str, list[YearValue]]:
    """Per indicator, each fiscal year's own figure (actuals up to ``as_of``; for an ended year without any, the 前年度実績
    entered, else the published result of results.csv) vs its target; a target over several years adds the period's
    figure, and its grade comes from that figure (kpi.evaluate.evaluate_indicator, the one rule)."""
    by_id: dict[str, list[Actual]] = {}
    for a in actuals:
        if a.month <= as_of:
            by_id.setdefault(a.indicator_id, []).append(a)
    entered: dict[tuple[int, str], Record] = {}
    active: dict[tuple[int, str], Record] = {}
    for r in current(recs).values():
        if r.type == PREVIOUS:
            entered[(r.fiscal_year - 1, r.indicator_id or "")] = r
        elif r.type == OVERRIDE:
            active[(r.fiscal_year, r.indicator_id or "")] = r
    as_of_fy = fiscal.fy_of_month(as_of)
    out: dict[str, list[YearValue]] = {}
    for ind in policy.indicators_of(list(issue_ids) if issue_ids else None):
        mine = by_id.get(ind.indicator_id, [])
        published = {fy: p for (iid, fy), p in policy.results.items() if iid == ind.indicator_id}
        kind = KINDS[ind.aggregation]
        rows = []
        years = ({fiscal.fy_of_month(a.month) for a in mine} | {y for y, i in entered if i == ind.indicator_id}
                 | {y for y in published if y <= as_of_fy})
        for fy in year_span(ind, years):
            ended = fiscal.fy_ended(fy, as_of)
            value = kind.aggregate(points_for(mine, fy, as_of)) if fy <= as_of_fy else None
            source = "実績" if value is not None else ""
            pub = published.get(fy)
            if value is None and ended and (fy, ind.indicator_id) in entered:
                value, source = entered[(fy, ind.indicator_id)].value, "入力"
            elif value is None and ended and pub is not None and pub.value is not None:
                value, source = pub.value, "公表"
            state = "確定" if ended else ("年度途中" if fy == as_of_fy else "未到来")
            target = ind.target(fy)
            period_value, computed = None, None
            if target is not None and state != "未到来":
                if source == "公表":
                    period_value, computed = pub.period_value, (pub.grade or None) if ended else None
                elif target.period and mine:
                    r = evaluate_indicator(ind, mine, fy, min(as_of, fiscal.fy_months(fy)[-1]), with_prior=False)
                    period_value, computed = r.period_value, r.computed_grade
                elif ended:
                    computed = grade_of(ind, value, target.value)
            o = active.get((fy, ind.indicator_id))
            grade = final_grade(computed, o.grade if o else None)
            rows.append(YearValue(fy, value, source, target, state, computed, grade, bool(o and computed), period_value))
        out[ind.indicator_id] = rows
    return out


def yearly_table(policy: Policy, per_indicator: Mapping[str, list[YearValue]]) -> tuple[list[int], list[dict[str, str]]]:
    """Years shown and one row per indicator (指標ID, 指標, then a cell per 令和N年度) for a compact table."""
    years = sorted({y.fiscal_year for rows in per_indicator.values() for y in rows})
    table = []
    for iid, rows in per_indicator.items():
        ind = policy.indicators[iid]
        cells = {y.fiscal_year: y.cell(ind) for y in rows}
        span = f"{fiscal.fy_short(ind.period[0])}〜{fiscal.fy_short(ind.period[1])}" if ind.period else ""
        table.append({"指標ID": iid, "指標": ind.short_name, "期間": span}
                     | {fiscal.fy_label(fy): cells.get(fy, "") for fy in years})
    return years, table
