"""The year-end evaluation: grade overrides, 前年度実績 entered by hand, 自己評価 and 今後の方針.

Every edit is a new immutable JSON record; nothing is overwritten or deleted::

    <KPI_STORE>/evaluation/<record_id>.json   one record (override, withdrawal, text, 前年度実績)
    <KPI_STORE>/.staging/<record_id>.json     records being written (the store's staging folder); never read

A record is written under ``.staging`` and renamed into place (atomic on POSIX), the
same approach as the batches of actuals in ``kpi.store``: a crash leaves the record or
nothing, and the dashboard and a command-line job can write at the same time. Record
ids sort by time, so for each subject (an indicator's grade in a year, a text, …)
the newest record wins and the older ones are the history.

The functions in the first half read and write the records; ``evaluation_table``,
``text_sections`` and ``yearly`` turn them, with the computed results, into what the
page and the exports show. ``report`` does it all in one call for the exports.
"""
from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kpi import fiscal, fmt
from kpi.evaluate import Actual, Entered, Override, Result, final_grade, grade_of, points_for
from kpi.fmt import PROVISIONAL_LABEL, grade_label  # noqa: F401  (re-exported: ev.PROVISIONAL_LABEL)
from kpi.kinds import DIRECTIONS, GRADES, KINDS
from kpi.policy import Indicator, Policy, Target
from kpi.store import Store

FOLDER = "evaluation"
OVERRIDE, OVERRIDE_WITHDRAWN = "override", "override_withdrawn"
TEXT = "text"
PREVIOUS, PREVIOUS_WITHDRAWN = "previous", "previous_withdrawn"
RECORD_TYPES = (OVERRIDE, OVERRIDE_WITHDRAWN, TEXT, PREVIOUS, PREVIOUS_WITHDRAWN)

# Free texts of the seed's form, in the order they are shown and exported.
TEXT_KEYS = {
    "self_evaluation": "自己評価（運営方針全体の定性評価）",
    "future_policy": "今後の方針",
}
MAX_TEXT = 20000


# The columns of the 運営方針's アウトカム指標の達成状況 table, as shown and exported.
EVALUATION_COLUMNS = (
    "経営課題", "指標ID", "指標", "目標", "年度実績", "達成率", "算定評価", "算定の根拠",
    "上書き評価", "上書きの理由", "上書き者", "上書き日時", "最終評価", "前年度実績", "前年度実績の出典", "要因分析（最新の振り返り）",
)


@dataclass(frozen=True)
class Record:
    """One edit. ``fiscal_year`` is the year being evaluated (for 前年度実績: the year whose table shows it)."""

    record_id: str
    type: str
    fiscal_year: int
    user: str
    at: str
    indicator_id: str | None = None
    grade: str | None = None
    reason: str = ""
    key: str | None = None
    issue_id: str | None = None
    text: str = ""
    value: float | None = None

    @property
    def subject(self) -> tuple:
        """What the record is about: the newest record per subject is the current one."""
        if self.type in (OVERRIDE, OVERRIDE_WITHDRAWN):
            return (OVERRIDE, self.fiscal_year, self.indicator_id)
        if self.type in (PREVIOUS, PREVIOUS_WITHDRAWN):
            return (PREVIOUS, self.fiscal_year, self.indicator_id)
        return (TEXT, self.fiscal_year, self.key, self.issue_id)

    @property
    def when(self) -> str:
        """2026-06-10 14:03 (JST)."""
        return self.at[:16].replace("T", " ")

    def describe(self) -> str:
        """One line for the history list, in Japanese."""
        if self.type == OVERRIDE:
            return f"{self.indicator_id} の評価を {self.grade}（{GRADES.get(self.grade or '', '')}）に上書き: {self.reason}"
        if self.type == OVERRIDE_WITHDRAWN:
            return f"{self.indicator_id} の評価の上書きを取り消し" + (f": {self.reason}" if self.reason else "")
        if self.type == PREVIOUS:
            return f"{self.indicator_id} の前年度実績を {fmt.number(self.value)} と入力" + (f": {self.reason}" if self.reason else "")
        if self.type == PREVIOUS_WITHDRAWN:
            return f"{self.indicator_id} の前年度実績の入力を取り消し"
        where = f"（経営課題{self.issue_id}）" if self.issue_id else "（運営方針全体）"
        return f"{TEXT_KEYS.get(self.key or '', self.key or '').split('（')[0]}{where}を{'更新' if self.text else '空に'}（{len(self.text)}文字）"


# --- writing -------------------------------------------------------------------------

def _root(store_root: Path | str | Store) -> Path:
    if isinstance(store_root, Store):
        return store_root.root
    return Path(store_root)


def _write(store_root: Path | str | Store, body: dict) -> str:
    return Store(_root(store_root)).append_record(FOLDER, body)


def _user(user: str) -> str:
    user = (user or "").strip()
    if not user:
        raise ValueError("記録する利用者名がありません")
    return user


def _indicator_id(indicator_id: str) -> str:
    indicator_id = (indicator_id or "").strip()
    if not indicator_id:
        raise ValueError("指標IDがありません")
    return indicator_id


def set_override(store_root: Path | str | Store, fy: int, indicator_id: str, grade: str, reason: str, user: str) -> str:
    """Record that ``indicator_id``'s grade for ``fy`` is ``grade`` (A/B) because of ``reason``; returns the record id.

    Refused (ValueError, Japanese message) without a written reason or with a grade other than A/B.
    """
    indicator_id = _indicator_id(indicator_id)
    if grade not in GRADES:
        raise ValueError(f"評価は {'・'.join(f'{g}（{t}）' for g, t in GRADES.items())} のいずれかです（「{grade}」は使えません）")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError(f"{indicator_id} の評価を上書きするには理由の記入が必要です")
    return _write(store_root, {"type": OVERRIDE, "fiscal_year": int(fy), "indicator_id": indicator_id, "grade": grade,
                               "reason": reason, "user": _user(user)})


def withdraw_override(store_root: Path | str | Store, fy: int, indicator_id: str, user: str, reason: str = "") -> str:
    """Withdraw the current override (recorded; the computed grade applies again)."""
    indicator_id = _indicator_id(indicator_id)
    if indicator_id not in overrides(store_root, fy):
        raise ValueError(f"{fiscal.fy_label(fy)}の {indicator_id} に取り消す上書きはありません")
    return _write(store_root, {"type": OVERRIDE_WITHDRAWN, "fiscal_year": int(fy), "indicator_id": indicator_id,
                               "reason": (reason or "").strip(), "user": _user(user)})


def set_text(store_root: Path | str | Store, fy: int, key: str, text: str, user: str, issue_id: str | None = None) -> str:
    """Record a new version of 自己評価 (``self_evaluation``) or 今後の方針 (``future_policy``).

    ``issue_id`` None is the policy as a whole; otherwise the text belongs to that 経営課題.
    An empty text is allowed (it is recorded, the older versions stay in the history).
    """
    if key not in TEXT_KEYS:
        raise ValueError(f"文章の種類「{key}」は使えません（{', '.join(f'{k}={v}' for k, v in TEXT_KEYS.items())}）")
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"{TEXT_KEYS[key]}は{MAX_TEXT:,}文字までです（{len(text):,}文字）")
    return _write(store_root, {"type": TEXT, "fiscal_year": int(fy), "key": key, "issue_id": issue_id or None,
                               "text": text, "user": _user(user)})


def set_previous(store_root: Path | str | Store, fy: int, indicator_id: str, value: float, user: str, note: str = "") -> str:
    """Record 前年度実績 by hand: ``indicator_id``'s value for fiscal year ``fy - 1``, shown in ``fy``'s table.

    An entered value takes precedence over the value computed from last year's actuals
    (the table says which one it shows).
    """
    indicator_id = _indicator_id(indicator_id)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"前年度実績「{value}」は数値ではありません") from None
    if not math.isfinite(number):
        raise ValueError(f"前年度実績「{value}」は数値ではありません")
    return _write(store_root, {"type": PREVIOUS, "fiscal_year": int(fy), "indicator_id": indicator_id, "value": number,
                               "reason": (note or "").strip(), "user": _user(user)})


def withdraw_previous(store_root: Path | str | Store, fy: int, indicator_id: str, user: str) -> str:
    indicator_id = _indicator_id(indicator_id)
    if indicator_id not in previous_entries(store_root, fy):
        raise ValueError(f"{fiscal.fy_label(fy)}の {indicator_id} に取り消す前年度実績の入力はありません")
    return _write(store_root, {"type": PREVIOUS_WITHDRAWN, "fiscal_year": int(fy), "indicator_id": indicator_id,
                               "user": _user(user)})


# --- reading -------------------------------------------------------------------------

def records(store_root: Path | str | Store) -> list[Record]:
    """Every record, oldest first."""
    out = []
    for raw in Store.read_records(_root(store_root), FOLDER):
        if raw.get("type") not in RECORD_TYPES:
            continue
        out.append(Record(**{k: raw.get(k) for k in Record.__dataclass_fields__ if k in raw}))
    return out


def version(store_root: Path | str | Store) -> tuple[str, ...]:
    """Changes whenever a record lands: a cache key."""
    try:
        return tuple(sorted(n for n in os.listdir(_root(store_root) / FOLDER) if n.endswith(".json")))
    except FileNotFoundError:
        return ()


def current(recs: Iterable[Record]) -> dict[tuple, Record]:
    """The newest record per subject."""
    out: dict[tuple, Record] = {}
    for r in sorted(recs, key=lambda r: r.record_id):
        out[r.subject] = r
    return out


def _recs(source: Path | str | Store | Sequence[Record]) -> Sequence[Record]:
    return source if isinstance(source, (list, tuple)) else records(source)


def overrides(source: Path | str | Store | Sequence[Record], fy: int) -> dict[str, Record]:
    """Active grade overrides of ``fy`` by indicator id (a withdrawn one is not active)."""
    return {s[2]: r for s, r in current(_recs(source)).items() if s[0] == OVERRIDE and s[1] == fy and r.type == OVERRIDE}


def previous_entries(source: Path | str | Store | Sequence[Record], fy: int) -> dict[str, Record]:
    """前年度実績 entered for ``fy``'s table (values of ``fy - 1``) by indicator id."""
    return {s[2]: r for s, r in current(_recs(source)).items() if s[0] == PREVIOUS and s[1] == fy and r.type == PREVIOUS}


def overrides_for(source: Path | str | Store | Sequence[Record], fy: int) -> dict[str, Override]:
    """The active overrides of ``fy`` as part of each indicator's record (kpi.evaluate.Override)."""
    return {iid: Override(r.grade or "", r.reason, r.user, r.when, r.record_id) for iid, r in overrides(source, fy).items()}


def entered_for(source: Path | str | Store | Sequence[Record], fy: int) -> dict[str, Entered]:
    """前年度実績 entered for ``fy``'s table as part of each indicator's record (kpi.evaluate.Entered)."""
    return {iid: Entered(float(r.value), r.user, r.when, r.reason) for iid, r in previous_entries(source, fy).items()
            if r.value is not None}


def texts(source: Path | str | Store | Sequence[Record], fy: int) -> dict[tuple[str, str | None], Record]:
    """Current 自己評価 / 今後の方針 of ``fy`` keyed by (key, issue_id); issue_id None = the whole policy."""
    return {(s[2], s[3]): r for s, r in current(_recs(source)).items() if s[0] == TEXT and s[1] == fy}


def text_of(current_texts: Mapping[tuple[str, str | None], Record], key: str, issue_id: str | None = None) -> str:
    r = current_texts.get((key, issue_id))
    return r.text if r else ""


def history(source: Path | str | Store | Sequence[Record], fy: int | None = None, *, indicator_id: str | None = None,
            key: str | None = None, issue_id: str | None = None, types: Sequence[str] | None = None) -> list[Record]:
    """Records newest first, optionally narrowed to a year, an indicator, a text key (and 経営課題) or types."""
    out = []
    for r in _recs(source):
        if fy is not None and r.fiscal_year != fy:
            continue
        if indicator_id is not None and r.indicator_id != indicator_id:
            continue
        if key is not None and (r.key != key or r.issue_id != issue_id):
            continue
        if types is not None and r.type not in types:
            continue
        out.append(r)
    return sorted(out, key=lambda r: r.record_id, reverse=True)


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
        return fmt.with_unit(self.r.value, self.r.indicator.unit)

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
        """The latest check-in as the year's 要因分析: 要因 and 対策, with its month."""
        c = self.r.checkin
        if c is None:
            return ""
        return f"{fiscal.month_label(c.month)}　要因: {c.cause}　対策: {c.action}" + (f"　コメント: {c.comment}" if c.comment else "")


def grade_rule(r: Result) -> str:
    """The computed grade's reasoning in words, e.g. 最新月の値 2,046件 ≥ 目標 2,000件（累計） → A（達成）."""
    ind = r.indicator
    kind, direction = KINDS[ind.aggregation], DIRECTIONS[ind.direction]
    target = fmt.target_text(ind, r.target)
    if r.value is None:
        return "実績の報告なし → B（未達成）" if r.computed_grade else "実績の報告なし（年度途中のため未確定）"
    met = direction.met(r.value, r.target.value)
    op = {("higher", True): "≥", ("higher", False): "<", ("lower", True): "≤", ("lower", False): ">"}.get((ind.direction, met), "")
    how = kind.label.split("（")[0]
    if kind.key == "ratio":
        how = "Σ分子÷Σ分母" if r.points and all(p.numerator is not None and p.denominator for p in r.points) else "各月の値の平均"
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
    final = [r.final_grade for r in rows]
    return Totals(len(rows), final.count("A") if ended else None, final.count("B") if ended else None,
                  sum(r.overridden for r in rows))


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
    value: float | None
    source: str  # 実績 / 入力 / ""
    target: Target | None
    state: str  # 確定 / 年度途中 / 未到来
    computed_grade: str | None
    grade: str | None  # override if any, else computed (ended years with a target only)
    overridden: bool = False

    def cell(self, ind: Indicator) -> str:
        """57名（目標 60名程度/年・B） for a table cell."""
        value = fmt.with_unit(self.value, ind.unit) if self.value is not None else ("未到来" if self.state == "未到来" else "－")
        bits = []
        if self.target is not None:
            bits.append(f"目標 {fmt.target_text(ind, self.target)}")
        if self.grade:
            bits.append(self.grade + ("※" if self.overridden else ""))
        elif self.target is not None and self.state == "年度途中":
            bits.append("未確定")
        if self.source == "入力":
            bits.append("入力値")
        return value + (f"（{'・'.join(bits)}）" if bits else "")


def year_span(ind: Indicator, actual_years: Iterable[int] = ()) -> list[int]:
    """Every fiscal year the indicator concerns: its period, its target years and the years with actuals."""
    years = set(ind.targets) | set(actual_years)
    if ind.period:
        years |= set(range(ind.period[0], ind.period[1] + 1))
    return list(range(min(years), max(years) + 1)) if years else []


def yearly(policy: Policy, actuals: Iterable[Actual], as_of: str, recs: Sequence[Record] = (),
           issue_ids: Sequence[str] | None = None) -> dict[str, list[YearValue]]:
    """Per indicator, each fiscal year's aggregated value (actuals up to ``as_of``; else 前年度実績 entered) vs its target."""
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
        kind = KINDS[ind.aggregation]
        rows = []
        for fy in year_span(ind, {fiscal.fy_of_month(a.month) for a in mine} | {y for y, i in entered if i == ind.indicator_id}):
            value = kind.aggregate(points_for(mine, fy, as_of)) if fy <= as_of_fy else None
            source = "実績" if value is not None else ""
            if value is None and (fy, ind.indicator_id) in entered and fy < as_of_fy:
                value, source = entered[(fy, ind.indicator_id)].value, "入力"
            ended = fiscal.fy_ended(fy, as_of)
            state = "確定" if ended else ("年度途中" if fy == as_of_fy else "未到来")
            target = ind.target(fy)
            computed = grade_of(ind, value, target.value) if ended and target is not None else None
            o = active.get((fy, ind.indicator_id))
            grade = final_grade(computed, o.grade if o else None)
            rows.append(YearValue(fy, value, source, target, state, computed, grade, bool(o and computed)))
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


# --- everything for an export, in one call -----------------------------------------------

@dataclass(frozen=True)
class Report:
    fiscal_year: int
    as_of: str
    provisional: bool  # some row's year has not ended: grades are 未確定
    rows: list[EvaluationRow]
    texts: list[TextSection]

    def records(self) -> list[dict[str, object]]:
        return [r.record() for r in self.rows]


def report(store: Store, policy: Policy, fy: int, as_of: str, issue_ids: Sequence[str] | None = None,
           rs: Sequence[Result] | None = None, recs: Sequence[Record] | None = None) -> Report:
    """The evaluation table and texts of ``fy`` as at the end of ``as_of``, filtered by 経営課題 — what the exports carry.

    ``rs`` are the indicators' records when the caller has them already (they are computed once).
    """
    from kpi.service import results  # late: service imports the importer, keep this module light to import

    recs = records(store) if recs is None else recs
    rs = results(store, policy, fy, as_of, issue_ids) if rs is None else rs
    sections = text_sections(policy, texts(recs, fy), list(issue_ids) if issue_ids else None)
    return Report(fy, as_of, not fiscal.fy_ended(fy, as_of), evaluation_table(policy, rs), sections)


@dataclass(frozen=True)
class PageView:
    """Everything the 年度評価 page shows, read once: the report, its totals, the current texts and records, the years."""

    report: Report
    totals: Totals
    current_texts: dict[tuple[str, str | None], Record]
    records: list[Record]
    yearly: dict[str, list[YearValue]]

    @property
    def ended(self) -> bool:
        return not self.report.provisional

    def rows_of(self, issue_id: str) -> list[EvaluationRow]:
        return [r for r in self.report.rows if r.issue_id == issue_id]

    def issue_texts(self, policy: Policy, issue_id: str) -> list[TextSection]:
        return [t for t in text_sections(policy, self.current_texts, [issue_id], include_empty=False) if t.issue_id == issue_id]

    def policy_texts(self, policy: Policy) -> list[TextSection]:
        return text_sections(policy, self.current_texts, [], include_empty=True)

    def history(self) -> list[Record]:
        return history(self.records, self.report.fiscal_year)


def page_view(store: Store, policy: Policy, fy: int, as_of: str, issue_ids: Sequence[str] | None, rs: Sequence[Result]) -> PageView:
    """The 年度評価 page's data for ``fy`` at ``as_of`` over the indicators' records ``rs``."""
    recs = records(store)
    rep = report(store, policy, fy, as_of, issue_ids, rs, recs)
    per_indicator = yearly(policy, store.current("0000-00", as_of), as_of, recs, issue_ids)
    return PageView(rep, totals(rep.rows, not rep.provisional), texts(recs, fy), recs, per_indicator)
