"""Evaluation records: grade overrides, 前年度実績 entered by hand, 自己評価 and 今後の方針.

Every edit is a new immutable record appended to the store's ``evaluation`` records
(``Store.append_record``; in a folder store ``<KPI_STORE>/evaluation/<record_id>.json``,
in PostgreSQL a row): nothing is overwritten or deleted, a crash leaves the record or
nothing, and the dashboard and a command-line job can write at the same time. Record
ids sort by time, so for each subject (an indicator's grade in a year, a text, …)
the newest record wins and the older ones are the history.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kpi import fiscal, fmt, text
from kpi.evaluate import Entered, Override
from kpi.kinds import GRADES
from kpi.store import Store, as_store

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
# Each free text is a field of kpi.text's registry (its label and limit): evaluation.self_evaluation, …
TEXT_FIELDS = {key: f"evaluation.{key}" for key in TEXT_KEYS}
MAX_TEXT = max(text.max_chars(f) for f in TEXT_FIELDS.values())


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

def _write(store_root: Path | str | Store, body: dict) -> str:
    return as_store(store_root).append_record(FOLDER, body)


def _user(user: str) -> str:
    user = text.clean("user", user)
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
    reason = text.clean("override.reason", reason)
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
                               "reason": text.clean("override.withdraw_reason", reason), "user": _user(user)})


def set_text(store_root: Path | str | Store, fy: int, key: str, body: str, user: str, issue_id: str | None = None) -> str:
    """Record a new version of 自己評価 (``self_evaluation``) or 今後の方針 (``future_policy``).

    ``issue_id`` None is the policy as a whole; otherwise the text belongs to that 経営課題.
    An empty text is allowed (it is recorded, the older versions stay in the history).
    """
    if key not in TEXT_KEYS:
        raise ValueError(f"文章の種類「{key}」は使えません（{', '.join(f'{k}={v}' for k, v in TEXT_KEYS.items())}）")
    return _write(store_root, {"type": TEXT, "fiscal_year": int(fy), "key": key, "issue_id": issue_id or None,
                               "text": text.clean(TEXT_FIELDS[key], body), "user": _user(user)})


def set_previous(store_root: Path | str | Store, fy: int, indicator_id: str, value: float, user: str, note: str = "") -> str:
    """Record 前年度実績 by hand: ``indicator_id``'s value for fiscal year ``fy - 1``, shown in ``fy``'s table.

    An entered value takes precedence over the value computed from last year's actuals
    (the table says which one it shows).
    """
    indicator_id = _indicator_id(indicator_id)
    number = text.number("前年度実績", value)  # the bounds of an uploaded value: 1.7e308 would print as Infinity
    return _write(store_root, {"type": PREVIOUS, "fiscal_year": int(fy), "indicator_id": indicator_id, "value": number,
                               "reason": text.clean("previous.note", note), "user": _user(user)})


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
    for raw in as_store(store_root).records(FOLDER):
        if raw.get("type") not in RECORD_TYPES:
            continue
        out.append(Record(**{k: raw.get(k) for k in Record.__dataclass_fields__ if k in raw}))
    return out


def version(store_root: Path | str | Store) -> tuple[str, ...]:
    """Changes whenever a record lands: a cache key (the records' ids)."""
    return tuple(str(r.get("record_id")) for r in as_store(store_root).records(FOLDER))


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
            if _in_bounds(r.value)}


def _in_bounds(value: float | None) -> bool:
    """A value a record written before the bounds may hold out of them (1.7e308): left out rather than shown as Infinity."""
    try:
        text.number("前年度実績", value)
    except ValueError:
        return False
    return True


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
