"""Upload → preview → commit: the one path by which actuals enter the store.

The page and ``python -m kpi import`` both call ``preview`` then ``commit``; a file
with any error writes nothing.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpi.evaluate import Actual
from kpi.policy import Policy
from kpi.reader import Problem, ReadResult, read_actuals
from kpi.store import Store

NEW, CHANGED, UNCHANGED = "新規", "変更", "変更なし"
DEFAULT_MAX_MB = 50


def max_upload_mb() -> int:
    """The size limit for one file in MB: env KPI_MAX_UPLOAD_MB (default 50, as .streamlit/config.toml maxUploadSize)."""
    try:
        mb = int(os.environ.get("KPI_MAX_UPLOAD_MB") or DEFAULT_MAX_MB)
    except ValueError:
        return DEFAULT_MAX_MB
    return mb if mb > 0 else DEFAULT_MAX_MB


def max_upload_bytes() -> int:
    return max_upload_mb() * 1024 * 1024


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


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4f}".rstrip("0").rstrip(".")


def _value_text(a: Actual | None) -> str:
    if a is None:
        return ""
    text = _fmt(a.value)
    if a.numerator is not None or a.denominator is not None:
        text += f"（{_fmt(a.numerator)}/{_fmt(a.denominator)}）"
    return text


def change_table(pv: Preview, policy: Policy, kinds: tuple[str, ...] = (CHANGED,)) -> list[dict]:
    """Rows of the preview of the given kinds, as the page shows them (old → new)."""
    out = []
    for c in pv.changes:
        if c.kind not in kinds:
            continue
        ind = policy.indicators.get(c.row.indicator_id)
        out.append({
            "ファイルの行": c.source_row, "指標ID": c.row.indicator_id, "指標": ind.short_name if ind else "",
            "年月": c.row.month, "変更前": _value_text(c.old), "変更後": _value_text(c.row), "単位": ind.unit if ind else "",
            "区分": c.kind,
        })
    return out


def problem_table(problems: list[Problem]) -> list[dict]:
    return [{"行": p.row, "列": p.column or "", "内容": p.message} for p in problems]


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
            max_bytes: int | None = None, progress: Callable[[str], None] | None = None) -> Preview:
    """Read and validate a file and compare it with the store; writes nothing.

    ``progress`` (optional) receives a Japanese line at each step, for the page's status box.
    """
    say = progress or (lambda _msg: None)
    say(f"ファイルを読み込んでいます（{len(raw):,} バイト）")
    read = read_actuals(raw, file_name, policy, today=today, max_bytes=max_bytes or max_upload_bytes())
    say(f"{len(read.rows):,}行を読み取りました（エラー {len(read.errors):,}件、注意 {len(read.warnings):,}件）")
    pv = Preview(Path(file_name).name, raw, read)
    if read.rows and not read.errors:
        months = sorted({r.month for r in read.rows})
        pv.changes = diff(read.rows, store.current(months[0], months[-1]), read.source_rows)
        say(f"登録済みの実績と比べました: 新規 {pv.count(NEW):,}行、変更 {pv.count(CHANGED):,}行、変更なし {pv.count(UNCHANGED):,}行")
    return pv


def commit(store: Store, pv: Preview, user: str, source: str = "upload", sample: bool = False) -> str:
    """Write the previewed file as one batch; refuses (ValueError) a preview with errors."""
    if not pv.ok:
        raise ValueError("エラーのあるファイルは登録できません")
    store.cleanup_staging()
    counts = {k: pv.count(k) for k in (NEW, CHANGED, UNCHANGED)}
    return store.write_batch(pv.raw, pv.file_name, pv.read.rows, user, source=source, sample=sample, counts=counts)
