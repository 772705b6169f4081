"""Monthly check-ins: per indicator and month, why it moved (要因) and what comes next (対策).

Each check-in is an immutable record appended through ``Store.append_record`` to the
store's ``checkins`` records; a correction is a newer record for the same indicator and month,
and the older ones stay as its history (as with the year-end evaluation records). The
newest check-in of an indicator up to the as-of month of its fiscal year is part of the
indicator's one record (``evaluate.Result.checkin``) and shows on 指標, 概要, 年度評価
(as the year's 要因分析), in the deck and in the workbook.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kpi import fiscal, text
from kpi.evaluate import CheckIn
from kpi.store import Store, as_store

FOLDER = "checkins"
# Each field is an entry of kpi.text's registry (label, limit, lines): a check-in is short; the evaluation texts
# hold the long form.
FIELDS = {"cause": "checkin.cause", "action": "checkin.action", "comment": "checkin.comment"}
MAX_CHARS = max(text.max_chars(key) for key in FIELDS.values())


@dataclass(frozen=True)
class Record:
    record_id: str
    indicator_id: str
    month: str
    cause: str
    action: str
    comment: str
    user: str
    at: str

    @property
    def when(self) -> str:
        """2026-06-10 14:03 (JST)."""
        return self.at[:16].replace("T", " ")

    def checkin(self) -> CheckIn:
        return CheckIn(self.month, self.cause, self.action, self.comment, self.user, self.when, self.record_id)


def _clean(name: str, value: str | None, required: bool) -> str:
    return text.clean(FIELDS[name], value, required=required)


def add(store: Store, indicator_id: str, month: str, cause: str, action: str, user: str, comment: str = "",
        known_ids: Sequence[str] | None = None) -> str:
    """Record a check-in; returns its id. Refused (ValueError, Japanese) without 要因 and 対策, or for a bad month or ID."""
    indicator_id = (indicator_id or "").strip()
    if not indicator_id or (known_ids is not None and indicator_id not in known_ids):
        raise ValueError(f"指標ID「{indicator_id}」はありません")
    try:
        fiscal.parse_ym(month)
    except ValueError:
        raise ValueError(f"年月「{month}」は YYYY-MM 形式ではありません（例: 2025-09）") from None
    user = text.clean("user", user)
    if not user:
        raise ValueError("記録する利用者名がありません")
    body = {"indicator_id": indicator_id, "month": month, "cause": _clean("cause", cause, True),
            "action": _clean("action", action, True), "comment": _clean("comment", comment, False), "user": user}
    return as_store(store).append_record(FOLDER, body)


def records(store: Store | Path | str) -> list[Record]:
    """Every check-in, oldest first."""
    return [Record(**{k: str(raw.get(k) or "") for k in Record.__dataclass_fields__})
            for raw in as_store(store).records(FOLDER)]


def latest_for(recs: Sequence[Record], fy: int, as_of: str) -> dict[str, CheckIn]:
    """Per indicator, the newest check-in for a month of ``fy`` up to ``as_of`` (later months are not yet known)."""
    first, last = fiscal.fy_months(fy)[0], min(fiscal.fy_months(fy)[-1], as_of)
    out: dict[str, Record] = {}
    for r in recs:  # oldest first: a later record for the same or a later month wins
        if first <= r.month <= last:
            held = out.get(r.indicator_id)
            if held is None or r.month >= held.month:
                out[r.indicator_id] = r
    return {iid: r.checkin() for iid, r in out.items()}


def history(recs: Sequence[Record], indicator_id: str, fy: int | None = None) -> list[Record]:
    """An indicator's check-ins, newest first (optionally of one fiscal year)."""
    mine = [r for r in recs if r.indicator_id == indicator_id and (fy is None or fiscal.fy_of_month(r.month) == fy)]
    return sorted(mine, key=lambda r: (r.month, r.record_id), reverse=True)
