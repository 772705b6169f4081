"""Read an uploaded actuals file (CSV or Excel as staff really make them) into canonical rows.

``read_actuals`` never raises on bad input: every problem comes back as a ``Problem``
naming the row as Excel numbers it (header = row 1) and the column, in Japanese. A
result with any error is refused whole by the caller.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field

from kpi import fiscal
from kpi.evaluate import Actual
from kpi.policy import Policy

MAX_BYTES = 50 * 1024 * 1024

# canonical name -> accepted header spellings (compared after NFKC and lower-casing)
HEADERS = {
    "indicator_id": ("indicator_id", "指標id", "指標ｉｄ", "id"),
    "month": ("month", "年月", "月"),
    "value": ("value", "実績値", "実績", "値"),
    "numerator": ("numerator", "分子"),
    "denominator": ("denominator", "分母"),
    "note": ("note", "備考", "メモ"),
}
COLUMN_LABELS = {"indicator_id": "指標ID", "month": "年月", "value": "実績値", "numerator": "分子", "denominator": "分母", "note": "備考"}
REQUIRED = ("indicator_id", "month", "value")


@dataclass(frozen=True)
class Problem:
    row: int | None  # as Excel numbers it: header = 1; None for the whole file
    column: str | None
    message: str

    def __str__(self) -> str:
        where = "".join(x for x in (f"{self.row}行目 " if self.row else "", f"{self.column}: " if self.column else ""))
        return where + self.message


@dataclass
class ReadResult:
    rows: list[Actual] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    source_rows: dict[tuple[str, str], int] = field(default_factory=dict)  # (indicator, month) -> file row

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (BOM or not), else CP932 (Excel's default)."""
    for enc in ("utf-8-sig", "cp932"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("cp932", data, 0, 1, "neither UTF-8 nor CP932")


def norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


_MONTH_PATTERNS = (
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})(?:月)?(?:[-/.](\d{1,2})日?)?$"), "western"),
    (re.compile(r"^(?:令和|R)(\d{1,2}|元)[.年/-](\d{1,2})月?$", re.IGNORECASE), "reiwa"),
)


def parse_month(text: str) -> str | None:
    """A month written as staff write it → ``YYYY-MM``; None when it cannot be read."""
    t = norm(text).replace(" ", "")
    for pattern, era in _MONTH_PATTERNS:
        m = pattern.match(t)
        if not m:
            continue
        year_text, mon = m.group(1), int(m.group(2))
        year = int(year_text) if era == "western" else fiscal.REIWA_OFFSET + (1 if year_text == "元" else int(year_text))
        if 1 <= mon <= 12:
            return fiscal.ym(year, mon)
    return None


_UNIT_SUFFIX = re.compile(r"(件|名|人|時間|業務|所属|事業|%|円)$")


def parse_number(text: str) -> float | None:
    t = norm(text).replace(",", "")
    t = _UNIT_SUFFIX.sub("", t).strip()
    try:
        return float(t)
    except ValueError:
        return None


def _header_map(header: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, name in enumerate(header):
        key = norm(name).lower()
        for canon, spellings in HEADERS.items():
            if key in spellings and canon not in out:
                out[canon] = i
    return out


def read_actuals(data: bytes, filename: str, policy: Policy, today: dt.date | None = None,
                 max_bytes: int = MAX_BYTES) -> ReadResult:
    res = ReadResult()
    if len(data) > max_bytes:
        res.errors.append(Problem(None, None, f"ファイルが大きすぎます（{len(data):,} バイト、上限 {max_bytes:,} バイト）"))
        return res
    try:
        text, _ = decode(data)
    except UnicodeDecodeError:
        res.errors.append(Problem(None, None, "文字コードを読み取れません（UTF-8 または Shift_JIS の CSV を指定してください）"))
        return res
    delimiter = "\t" if text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else ","
    table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    table = [r for r in table if any(c.strip() for c in r)]
    if not table:
        res.errors.append(Problem(None, None, "ファイルが空です"))
        return res
    cols = _header_map(table[0])
    missing = [COLUMN_LABELS[c] for c in REQUIRED if c not in cols]
    if missing:
        res.errors.append(Problem(1, None, f"必要な列がありません: {'、'.join(missing)}"))
        return res
    if len(table) == 1:
        res.errors.append(Problem(None, None, "見出し行だけで、データ行がありません"))
        return res
    now = fiscal.current_month(today)
    for line, row in enumerate(table[1:], start=2):
        cell = lambda c, row=row: row[cols[c]].strip() if c in cols and cols[c] < len(row) else ""
        iid = norm(cell("indicator_id")).upper()
        if iid not in policy.indicators:
            res.errors.append(Problem(line, "指標ID", f"「{cell('indicator_id')}」は指標IDとして登録されていません"))
            continue
        month = parse_month(cell("month"))
        if month is None:
            res.errors.append(Problem(line, "年月", f"{cell('month')} は年月として読めません"))
            continue
        if month > now:
            res.errors.append(Problem(line, "年月", f"{month} は未来の年月です"))
            continue
        value = parse_number(cell("value"))
        if value is None:
            res.errors.append(Problem(line, "実績値", f"「{cell('value')}」は数値として読めません"))
            continue
        num = parse_number(cell("numerator")) if cell("numerator") else None
        den = parse_number(cell("denominator")) if cell("denominator") else None
        key = (iid, month)
        if key in res.source_rows:
            res.errors.append(Problem(line, "指標ID", f"{iid} {month} が {res.source_rows[key]}行目と重複しています"))
            continue
        res.source_rows[key] = line
        res.rows.append(Actual(iid, month, value, num, den, cell("note")))
    return res
