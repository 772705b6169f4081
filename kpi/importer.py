"""Upload → preview → commit: the one path by which actuals enter the store.

The page and ``python -m kpi import`` both call ``preview`` then ``commit``; a file
with any error writes nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from kpi.evaluate import Actual
from kpi.policy import Policy
from kpi.reader import Problem, ReadResult, read_actuals
from kpi.store import Store

NEW, CHANGED, UNCHANGED = "新規", "変更", "変更なし"


@dataclass(frozen=True)
class Change:
    row: Actual
    kind: str  # 新規 / 変更 / 変更なし
    old: Actual | None
    source_row: int | None


@dataclass
class Preview:
    file_name: str
    raw: bytes
    read: ReadResult
    changes: list[Change] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.read.ok

    @property
    def errors(self) -> list[Problem]:
        return self.read.errors

    @property
    def warnings(self) -> list[Problem]:
        return self.read.warnings

    def count(self, kind: str) -> int:
        return sum(c.kind == kind for c in self.changes)

    def summary(self) -> dict:
        return {
            "ok": self.ok,
            "rows": len(self.read.rows),
            "new": self.count(NEW),
            "changed": self.count(CHANGED),
            "unchanged": self.count(UNCHANGED),
            "errors": [{"row": p.row, "column": p.column, "message": p.message} for p in self.errors],
            "warnings": [{"row": p.row, "column": p.column, "message": p.message} for p in self.warnings],
        }


def _same(a: Actual, b: Actual) -> bool:
    return (a.value, a.numerator, a.denominator, a.note) == (b.value, b.numerator, b.denominator, b.note)


def diff(rows: list[Actual], current: list[Actual], source_rows: dict[tuple[str, str], int]) -> list[Change]:
    now = {(a.indicator_id, a.month): a for a in current}
    out = []
    for r in rows:
        old = now.get((r.indicator_id, r.month))
        kind = NEW if old is None else (UNCHANGED if _same(old, r) else CHANGED)
        out.append(Change(r, kind, old, source_rows.get((r.indicator_id, r.month))))
    return out


def preview(store: Store, policy: Policy, raw: bytes, file_name: str, today: dt.date | None = None,
            max_bytes: int | None = None) -> Preview:
    kwargs = {"max_bytes": max_bytes} if max_bytes else {}
    read = read_actuals(raw, file_name, policy, today=today, **kwargs)
    pv = Preview(Path(file_name).name, raw, read)
    if read.rows and not read.errors:
        months = sorted({r.month for r in read.rows})
        pv.changes = diff(read.rows, store.current(months[0], months[-1]), read.source_rows)
    return pv


def commit(store: Store, pv: Preview, user: str, source: str = "upload", sample: bool = False) -> str:
    """Write the previewed file as one batch; refuses (ValueError) a preview with errors."""
    if not pv.ok:
        raise ValueError("エラーのあるファイルは登録できません")
    counts = {k: pv.count(k) for k in (NEW, CHANGED, UNCHANGED)}
    return store.write_batch(pv.raw, pv.file_name, pv.read.rows, user, source=source, sample=sample, counts=counts)
