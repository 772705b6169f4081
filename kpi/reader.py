"""Read an uploaded actuals file (CSV or Excel as staff really make them) into canonical rows.

``read_actuals`` never raises on bad input: every problem comes back as a ``Problem``
naming the row as Excel numbers it (header = row 1) and the column, in Japanese. A
result with any error is refused whole by the caller.

What is read
    CSV (UTF-8 with or without BOM, CP932, UTF-16 "Unicode テキスト"; comma, tab or
    semicolon; CRLF) and .xlsx (the sheet named 実績, else the first sheet; real date
    cells; percent-formatted cells). Two layouts: the canonical one (one row per
    indicator and month: 指標ID, 年月, 実績値, 分子, 分母, 備考, English names too) and
    the wide one the template produces (指標ID, descriptive columns, one column per
    month). The header may sit below a title row (the first 20 rows are searched).

Rules (each refusal is an error naming row and column; ambiguities are warnings)
    - unknown indicator ID → error naming the nearest IDs; case, full width and dash
      variants are normalised silently; an ID without its letter prefix (``1-1``) is
      accepted when it maps to exactly one ID, with a warning; an ID Excel turned
      into a date (``2025/1/1``) is an error with a hint.
    - month unreadable or in the future → error; outside the policy's target years
      → warning.
    - value not a number, negative, above 100 for a % indicator, or with another
      indicator's unit → error; a value between 0 and 1 for a % indicator → warning
      (0.25 % or 25 %?). Milestones take 0–100 or 完了 (100) / 未着手 (0).
    - numerator above its denominator, a zero denominator, negative parts → error.
      A ratio indicator may leave 実績値 empty when 分子 and 分母 are given
      (value = 100 × 分子 ÷ 分母); when all three are given and the value differs
      from 100 × 分子 ÷ 分母 by more than ``RATIO_TOLERANCE`` points → warning
      (values rounded to a whole percent pass).
    - the same indicator and month twice: different figures → error; identical →
      warning, kept once.
    - empty file, header only, missing columns, not a table (PDF, image, .xls,
      binary), above ``max_bytes`` → error for the whole file.
    At most ``MAX_PROBLEMS`` errors and warnings are listed each; one more line says
    how many were left out.

Speed: a well-formed CSV is parsed by pyarrow and checked column-wise; each distinct
ID, month and non-plain number is parsed once in Python, so a million-row file takes
about a second. ``ReadResult.frame`` holds the accepted rows as a DataFrame;
``ReadResult.rows`` builds ``Actual`` objects from it on first use.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kpi import fiscal
from kpi.evaluate import Actual
from kpi.policy import Policy

MAX_BYTES = 50 * 1024 * 1024
MAX_PROBLEMS = 1000  # per list; one more Problem says how many were left out
HEADER_SEARCH_ROWS = 20
RATIO_TOLERANCE = 0.5  # percentage points between 実績値 and 100 × 分子 ÷ 分母 before a warning

# canonical name -> accepted header spellings (compared after NFKC, lower-casing, no spaces)
HEADERS = {
    "indicator_id": ("indicator_id", "indicatorid", "indicator", "指標id", "指標番号", "指標コード", "id"),
    "month": ("month", "年月", "月", "対象月", "実績月", "年月日"),
    "value": ("value", "実績値", "実績", "値", "数値"),
    "numerator": ("numerator", "分子"),
    "denominator": ("denominator", "分母"),
    "note": ("note", "備考", "メモ", "コメント", "notes"),
}
COLUMN_LABELS = {"indicator_id": "指標ID", "month": "年月", "value": "実績値", "numerator": "分子", "denominator": "分母", "note": "備考"}
COLUMNS = tuple(COLUMN_LABELS)
REQUIRED = ("indicator_id", "month", "value")
FRAME_COLUMNS = ("indicator_id", "month", "value", "numerator", "denominator", "note", "row")

BASE_UNITS = ("件", "名", "人", "時間", "業務", "所属", "事業", "%", "円", "回", "個", "社", "校", "団体", "ヶ所", "か所", "箇所", "施設")
UNIT_SYNONYMS = {"名": ("人",), "人": ("名",), "%": ("パーセント",), "か所": ("ヶ所", "箇所"), "ヶ所": ("か所", "箇所")}
MILESTONE_WORDS = {"完了": 100.0, "未着手": 0.0}
_WORD = "__word__"  # unit code of a milestone word
NOT_REPORTED = frozenset({"-", "--", "ー", "―", "‐", "−", "未報告", "未入力", "n/a", "na"})
DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−ｰーｰ－"})


@dataclass(frozen=True)
class Problem:
    row: int | None  # as Excel numbers it: header = 1; None for the whole file
    column: str | None
    message: str

    def __str__(self) -> str:
        where = "".join(x for x in (f"{self.row}行目 " if self.row else "", f"{self.column}: " if self.column else ""))
        return where + self.message


class ReadResult:
    """What a file gave: accepted rows (``frame`` and ``rows``), errors and warnings.

    ``frame`` (when the reader built one) is authoritative: a DataFrame with the columns
    ``FRAME_COLUMNS`` (``row`` is the file row as Excel numbers it). ``rows`` and
    ``source_rows`` are derived from it lazily, so a million-row file costs no
    Python objects unless a caller asks for them.
    """

    def __init__(self, rows: Sequence[Actual] | None = None, errors: list[Problem] | None = None,
                 warnings: list[Problem] | None = None, source_rows: dict[tuple[str, str], int] | None = None,
                 frame: pd.DataFrame | None = None, layout: str = "", encoding: str = ""):
        self._rows = list(rows) if rows is not None else None
        self.errors: list[Problem] = errors if errors is not None else []
        self.warnings: list[Problem] = warnings if warnings is not None else []
        self._source_rows = source_rows
        self.frame = frame
        self.layout = layout  # "long" (canonical) or "wide" (one column per month)
        self.encoding = encoding  # text encoding, or "xlsx"

    @property
    def rows(self) -> list[Actual]:
        if self._rows is None:
            self._rows = frame_to_actuals(self.frame) if self.frame is not None else []
        return self._rows

    @rows.setter
    def rows(self, value: Sequence[Actual]) -> None:
        self._rows = list(value)
        self.frame = None

    @property
    def source_rows(self) -> dict[tuple[str, str], int]:
        if self._source_rows is None:
            f = self.frame
            self._source_rows = {} if f is None else dict(zip(zip(f["indicator_id"], f["month"]), f["row"].tolist()))
        return self._source_rows

    @source_rows.setter
    def source_rows(self, value: dict[tuple[str, str], int]) -> None:
        self._source_rows = value

    @property
    def n_rows(self) -> int:
        if self._rows is None and self.frame is not None:
            return len(self.frame)
        return len(self.rows)

    @property
    def ok(self) -> bool:
        return not self.errors and self.n_rows > 0

    def __repr__(self) -> str:
        return f"ReadResult(rows={self.n_rows}, errors={len(self.errors)}, warnings={len(self.warnings)}, layout={self.layout!r})"


def frame_to_actuals(frame: pd.DataFrame) -> list[Actual]:
    def opt(x: float) -> float | None:
        return None if x != x else float(x)

    return [Actual(i, m, float(v), opt(n), opt(d), note or "")
            for i, m, v, n, d, note in zip(frame["indicator_id"], frame["month"], frame["value"].tolist(),
                                           frame["numerator"].tolist(), frame["denominator"].tolist(), frame["note"])]


# --- small parsers -------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-16 with BOM, UTF-8 (BOM or not), else CP932 (Excel's default)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    for enc in ("utf-8-sig", "cp932"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("cp932", data, 0, 1, "neither UTF-8 nor CP932")


def norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


_WESTERN = re.compile(r"^(\d{4})(?:[-/.年](\d{1,2})月?(?:[-/.](\d{1,2})日?|(\d{1,2})日)?|(\d{2}))$")
_ERA = re.compile(r"^(令和|平成|r|h)(\d{1,2}|元)[-/.年](\d{1,2})月?(?:[-/.](\d{1,2})日?|(\d{1,2})日)?$", re.IGNORECASE)
_ERA_OFFSET = {"令和": fiscal.REIWA_OFFSET, "r": fiscal.REIWA_OFFSET, "平成": 1988, "h": 1988}
_TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_MONTH_SUFFIX = re.compile(r"(分|実績|実績値)$")


def parse_month(text: str | dt.date | None) -> str | None:
    """A month written as staff write it → ``YYYY-MM``; None when it cannot be read.

    2025-04, 2025/4, 2025/4/1, 2025.4, 202504, 2025年4月(1日), 令和7年4月, 令和元年5月, R7.4,
    H31.4, a date or datetime, and ``2025-04-01 00:00:00`` (a date cell written out as text).
    """
    if text is None:
        return None
    if isinstance(text, dt.date):  # datetime is a date too
        return fiscal.ym(text.year, text.month)
    t = norm(str(text))
    parts = t.split()
    if len(parts) == 2 and _TIME.match(parts[1]):
        t = parts[0]
    t = t.replace(" ", "")
    m = _WESTERN.match(t)
    if m:
        year = int(m.group(1))
        mon = int(m.group(2) or m.group(5))
        day = m.group(3) or m.group(4)
    else:
        m = _ERA.match(t)
        if not m:
            return None
        era_year = 1 if m.group(2) == "元" else int(m.group(2))
        if era_year < 1:
            return None
        year = _ERA_OFFSET[m.group(1).lower()] + era_year
        mon, day = int(m.group(3)), m.group(4) or m.group(5)
    if not (1 <= mon <= 12 and year >= 1):
        return None
    if day is not None:
        try:
            dt.date(year, mon, int(day))
        except ValueError:
            return None
    return fiscal.ym(year, mon)


def _month_header(cell) -> str | None:
    """A wide-layout column header as a month (2025年4月, 2025年4月分, 令和7年4月, 2025-04, a date cell)."""
    if isinstance(cell, dt.date):
        return parse_month(cell)
    if not isinstance(cell, str):
        return None
    t = _MONTH_SUFFIX.sub("", norm(cell))
    return parse_month(t)


_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PER = re.compile(r"/(月|年|年度)$")


def _split_number(text: str, units: tuple[str, ...]) -> tuple[float | None, str]:
    """(number, unit) from a cell; number None when not readable. Unit '' when none, _WORD for 完了/未着手."""
    t = norm(text).translate(DASHES)
    if t in MILESTONE_WORDS:
        return MILESTONE_WORDS[t], _WORD
    neg = t[:1] in ("△", "▲")
    if neg:
        t = t[1:].strip()
    t = _PER.sub("", t)
    unit = ""
    for u in units:
        if t.endswith(u) and len(t) > len(u):
            unit, t = u, t[: -len(u)].strip()
            break
    t = t.strip()
    if "," in t:
        if not _GROUPED.match(t):
            return None, unit
        t = t.replace(",", "")
    if not _NUMBER.match(t):
        return None, unit
    value = float(t)
    if value != value or value in (float("inf"), float("-inf")):
        return None, unit
    return (-value if neg else value), unit


def parse_number(text: str) -> float | None:
    """A number as staff type it: 1,523 / １５２３ / 22.4% / 1,870時間 / △5; None when not a number."""
    value, _ = _split_number(str(text), tuple(sorted(BASE_UNITS, key=len, reverse=True)))
    return value


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.10g}"


# --- indicator IDs -------------------------------------------------------------------

_DATEISH = (
    re.compile(r"^(?:\d{4}[-/.])?(\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(?:\d{4}年)?(\d{1,2})月(\d{1,2})日$"),
)
_MONTHS_EN = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def _date_parts(t: str) -> tuple[int, int] | None:
    """(month, day) when an ID cell looks like a date Excel made of it (2025/1/1, 1月1日, 1-Jan, Jan-01)."""
    for p in _DATEISH:
        m = p.match(t)
        if m:
            return int(m.group(1)), int(m.group(2))
    m = re.match(r"^(\d{1,2})-([a-z]{3})$", t.lower()) or re.match(r"^([a-z]{3})-(\d{1,2})$", t.lower())
    if m:
        a, b = m.groups()
        if a.isdigit() and b in _MONTHS_EN:
            return _MONTHS_EN[b], int(a)
        if b.isdigit() and a in _MONTHS_EN:
            return _MONTHS_EN[a], int(b)
    return None


class _Ids:
    """Maps what users type in the 指標ID column to the policy's IDs."""

    def __init__(self, policy: Policy):
        self.ids = list(policy.indicators)
        self.index = {i: n for n, i in enumerate(self.ids)}
        self.by_norm = {self.key(i): i for i in self.ids}
        stripped: dict[str, list[str]] = {}
        for i in self.ids:
            bare = re.sub(r"^[A-Z]+[-_]?", "", self.key(i))
            if bare and bare != self.key(i):
                stripped.setdefault(bare, []).append(i)
        self.bare = {k: v[0] for k, v in stripped.items() if len(v) == 1}

    @staticmethod
    def key(text: str) -> str:
        return norm(text).translate(DASHES).replace(" ", "").upper().lstrip("'")

    def parse(self, raw: str | None) -> tuple[int, str | None, str | None]:
        """(index or -1, error, warning)."""
        if raw is None or not raw.strip():
            return -1, "指標IDがありません", None
        k = self.key(raw)
        if k in self.by_norm:
            return self.index[self.by_norm[k]], None, None
        if k in self.bare:
            iid = self.bare[k]
            return self.index[iid], None, f"「{raw}」を {iid} として読みました（指標IDは {iid} と書いてください）"
        parts = _date_parts(norm(raw).translate(DASHES))
        if parts:
            mon, day = parts
            guess = [i for i in self.ids if re.fullmatch(rf"[A-Z]*[-_]?{mon}-{day}", self.key(i))]
            hint = (f"{'・'.join(guess)} のつもりなら「{guess[0]}」と入力してください（英字を付けると日付になりません）" if guess
                    else "セルの書式を文字列にするか、テンプレートの指標IDをそのまま使ってください")
            return -1, f"「{raw}」は日付になっています。Excel が指標IDを日付に変えた可能性があります。{hint}", None
        near = difflib.get_close_matches(k, list(self.by_norm), n=3, cutoff=0.5)
        if near:
            hint = f"近いID: {'、'.join(self.by_norm[n] for n in near)}"
        else:
            shown = "、".join(self.ids[:20]) + ("…" if len(self.ids) > 20 else "")
            hint = f"登録されている指標ID: {shown}"
        return -1, f"「{raw}」は指標IDとして登録されていません（{hint}）", None


# --- reading the file into a grid ----------------------------------------------------

@dataclass
class _Grid:
    """Cells by column (canonical names), the Excel row of each record, and per-cell column labels."""

    cols: dict[str, pa.Array]  # canonical column -> string array (null = empty)
    rows: np.ndarray  # Excel row numbers
    labels: dict[str, object]  # canonical column -> label str, or an object array of labels per record
    layout: str


class _Refuse(Exception):  # noqa: N818 - internal control flow, never escapes read_actuals
    def __init__(self, row: int | None, column: str | None, message: str):
        super().__init__(message)
        self.problem = Problem(row, column, message)


_MAGIC = (
    (b"%PDF", "PDF ファイルは読めません。CSV または Excel（.xlsx）で保存したファイルを指定してください"),
    (b"\x89PNG", "画像ファイル（PNG）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"\xff\xd8\xff", "画像ファイル（JPEG）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"GIF8", "画像ファイル（GIF）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"II*\x00", "画像ファイル（TIFF）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"MM\x00*", "画像ファイル（TIFF）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "古い Excel 形式（.xls）は読めません。Excel で「.xlsx」か「CSV」として保存し直してください"),
    (b"\x1f\x8b", "圧縮ファイル（gzip）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"7z\xbc\xaf", "圧縮ファイル（7z）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"Rar!", "圧縮ファイル（RAR）は読めません。CSV または Excel（.xlsx）を指定してください"),
)
NOT_TABLE = "表（CSV または Excel）として読めないファイルです"


def _header_key(cell) -> str:
    return norm(str(cell)).lower().replace(" ", "").replace("_", "") if cell is not None else ""


_HEADER_LOOKUP = {s.replace("_", ""): canon for canon, spellings in HEADERS.items() for s in spellings}


def _header_map(header: Sequence) -> tuple[dict[str, int], dict[int, tuple[str, str]]]:
    """Canonical columns found, and the month columns of the wide layout (index -> (month, label))."""
    cols: dict[str, int] = {}
    months: dict[int, tuple[str, str]] = {}
    for i, cell in enumerate(header):
        canon = _HEADER_LOOKUP.get(_header_key(cell))
        if canon and canon not in cols:
            cols[canon] = i
            continue
        month = _month_header(cell)
        if month:
            label = f"{cell.year}年{cell.month}月" if isinstance(cell, dt.date) else norm(str(cell))
            months[i] = (month, label)
    return cols, months


def _cell_text(cell) -> str | None:
    """An xlsx cell value as the text the checks read; None when empty."""
    if cell is None:
        return None
    if isinstance(cell, dt.datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S") if (cell.hour or cell.minute or cell.second) else cell.strftime("%Y-%m-%d")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        return repr(int(cell)) if cell.is_integer() and abs(cell) < 1e15 else repr(cell)
    text = str(cell)
    return text if text.strip() else None


def _xlsx_table(data: bytes) -> list[tuple[int, list]]:
    """(Excel row, cells) of the sheet 実績 or the first sheet; percent-formatted numbers ×100."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _Refuse(None, None, "Excel ファイル（.xlsx）として開けません（ファイルが壊れている可能性があります）") from exc
    if "xl/workbook.xml" not in names:
        raise _Refuse(None, None, "ZIP 形式のファイルですが Excel（.xlsx）ではありません。CSV または .xlsx を指定してください")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on damaged files
        raise _Refuse(None, None, f"Excel ファイル（.xlsx）として開けません（{type(exc).__name__}）") from exc
    try:
        sheets = wb.worksheets
        if not sheets:
            raise _Refuse(None, None, "Excel ファイルにシートがありません")
        ws = next((s for s in sheets if norm(s.title) == "実績"), sheets[0])
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        out: list[tuple[int, list]] = []
        for n, row in enumerate(ws.iter_rows(), start=1):
            cells = []
            for c in row:
                v = getattr(c, "value", None)
                if isinstance(v, int | float) and not isinstance(v, bool) and "%" in (getattr(c, "number_format", "") or ""):
                    v = round(v * 100, 10)
                cells.append(v)
            while cells and (cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())):
                cells.pop()
            if cells:
                out.append((n, cells))
        return out
    finally:
        wb.close()


def _sniff(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _text_table(text: str) -> list[tuple[int, list]]:
    delimiter = _sniff(text)
    out = []
    try:
        for n, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if "".join(row).strip():
                out.append((n, row))
    except csv.Error as exc:
        raise _Refuse(None, None, f"CSV として読めません（{exc}）") from exc
    return out


def first_looks_like_data(cells: Sequence) -> bool:
    """A first row that starts with something like an indicator ID followed by a month: the header is missing."""
    texts = [_cell_text(c) or "" for c in cells[:3]]
    return len(texts) >= 2 and bool(re.match(r"^[A-Za-zＡ-Ｚａ-ｚ]*[0-9０-９]+[-－ー‐][0-9０-９]+$", norm(texts[0]))) and any(
        parse_month(t) for t in texts[1:])


def _find_header(table: list[tuple[int, list]]) -> tuple[int, dict[str, int], dict[int, tuple[str, str]]]:
    """Position in ``table`` of the header row, its canonical columns and its month columns."""
    for pos, (_, cells) in enumerate(table[:HEADER_SEARCH_ROWS]):
        cols, months = _header_map(cells)
        if "indicator_id" in cols and ("month" in cols or months):
            return pos, cols, months
    first_row, first = table[0]
    cols, months = _header_map(first)
    if first_looks_like_data(first):
        raise _Refuse(first_row, None, "見出し行がありません。1行目に 指標ID, 年月, 実績値（または indicator_id, month, value）の見出しを入れてください")
    missing = [COLUMN_LABELS[c] for c in REQUIRED if c not in cols]
    if not cols and not months:
        raise _Refuse(first_row, None, "見出し行が見つかりません。1行目に 指標ID, 年月, 実績値（または indicator_id, month, value）の見出しを入れてください")
    raise _Refuse(first_row, None, f"必要な列がありません: {'、'.join(missing)}")


def _grid_from_table(table: list[tuple[int, list]], text_cells: bool) -> _Grid:
    if not table:
        raise _Refuse(None, None, "ファイルが空です")
    pos, cols, months = _find_header(table)
    body = table[pos + 1:]
    if "month" in cols:
        if "value" not in cols and not ("numerator" in cols and "denominator" in cols):
            raise _Refuse(table[pos][0], None, "必要な列がありません: 実績値")
        if not body:
            raise _Refuse(None, None, "見出し行だけで、データ行がありません")
        records = [cells for _, cells in body]
        arrays = {}
        for c in COLUMNS:
            i = cols.get(c)
            if i is None:
                arrays[c] = pa.nulls(len(records), pa.string())
                continue
            values = [cells[i] if i < len(cells) else None for cells in records]
            if not text_cells:
                values = [_month_cell(v) if c == "month" else _cell_text(v) for v in values]
            arrays[c] = pa.array([v or None for v in values], pa.string())
        return _Grid(arrays, np.fromiter((n for n, _ in body), dtype=np.int64, count=len(body)), dict(COLUMN_LABELS), "long")
    # wide: one row per indicator, one column per month
    if not body:
        raise _Refuse(None, None, "見出し行だけで、データ行がありません")
    id_col = cols["indicator_id"]
    ids, mons, vals, labels, rows = [], [], [], [], []
    for n, cells in body:
        iid = cells[id_col] if id_col < len(cells) else None
        iid_text = iid if text_cells else _cell_text(iid)
        for i, (month, label) in months.items():
            v = cells[i] if i < len(cells) else None
            v = v if text_cells else _cell_text(v)
            if v is None or not v.strip() or norm(v).lower() in NOT_REPORTED:
                continue
            ids.append(iid_text)
            mons.append(month)
            vals.append(v)
            labels.append(label)
            rows.append(n)
    if not rows:
        raise _Refuse(None, None, "実績が1件も入力されていません（月の列に値を入れてください）")
    empty = pa.nulls(len(rows), pa.string())
    arrays = {"indicator_id": pa.array(ids, pa.string()), "month": pa.array(mons, pa.string()), "value": pa.array(vals, pa.string()),
              "numerator": empty, "denominator": empty, "note": empty}
    label_arr = np.asarray(labels, dtype=object)
    return _Grid(arrays, np.asarray(rows, dtype=np.int64),
                 dict(COLUMN_LABELS) | {"month": label_arr, "value": label_arr}, "wide")


def _month_cell(v) -> str | None:
    """An xlsx cell of the 年月 column: a date cell, a date serial number left unformatted, or text."""
    if isinstance(v, dt.date):
        return parse_month(v)
    if isinstance(v, int | float) and not isinstance(v, bool) and 20000 < v < 80000:
        return parse_month(dt.date(1899, 12, 30) + dt.timedelta(days=int(v)))
    return _cell_text(v)


def _fast_csv(text: str) -> _Grid | None:
    """The canonical layout with the header on line 1, parsed by pyarrow; None when the file needs the careful path."""
    first, sep, _ = text.partition("\n")
    if not sep or "\r" in first.rstrip("\r"):
        return None
    delimiter = _sniff(first)
    try:
        header = next(csv.reader([first.rstrip("\r")], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    cols, months = _header_map(header)
    if "indicator_id" not in cols or "month" not in cols or "value" not in cols:
        return None
    names = [f"c{i}" for i in range(len(header))]
    data = text.encode("utf-8")
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                                                 null_values=[""], quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        return None
    # one record per line, or Excel row numbers would be wrong (quoted line breaks, lone CRs)
    lines = data.count(b"\n") - (1 if data.endswith(b"\n") else 0)
    if table.num_rows != lines or data.count(b"\r") != data.count(b"\r\n"):
        return None
    arrays = {c: (table.column(cols[c]).combine_chunks() if c in cols else pa.nulls(table.num_rows, pa.string())) for c in COLUMNS}
    return _Grid(arrays, np.arange(2, table.num_rows + 2, dtype=np.int64), dict(COLUMN_LABELS), "long")


def _load(data: bytes, filename: str) -> tuple[_Grid, str]:
    if not data or not data.strip():
        raise _Refuse(None, None, "ファイルが空です")
    head = data[:8]
    for magic, message in _MAGIC:
        if head.startswith(magic):
            raise _Refuse(None, None, message)
    if head.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        if not head.startswith(b"PK"):
            raise _Refuse(None, None, "拡張子は .xlsx ですが Excel ファイルではありません（CSV なら拡張子を .csv にしてください）")
        return _grid_from_table(_xlsx_table(data), text_cells=False), "xlsx"
    if data[:2] not in (b"\xff\xfe", b"\xfe\xff") and b"\x00" in data[:65536]:
        raise _Refuse(None, None, f"{NOT_TABLE}（バイナリデータを含みます）")
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError as exc:
        raise _Refuse(None, None, "文字コードを読み取れません（UTF-8 または Shift_JIS の CSV を指定してください）") from exc
    if "\x00" in text:
        raise _Refuse(None, None, f"{NOT_TABLE}（バイナリデータを含みます）")
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n" or 0x7f <= ord(ch) < 0xa0)
    if controls > max(2, len(sample) // 100):
        raise _Refuse(None, None, f"{NOT_TABLE}（制御文字を多く含みます）")
    if sample.lstrip().lower().startswith(("<html", "<!doctype", "<?xml", "{\\rtf")):
        raise _Refuse(None, None, f"{NOT_TABLE}（HTML や XML などの文書です）。CSV または Excel（.xlsx）で保存してください")
    grid = _fast_csv(text)
    if grid is None:
        grid = _grid_from_table(_text_table(text), text_cells=True)
    return grid, encoding


# --- column-wise checks --------------------------------------------------------------

def _codes(arr: pa.Array, fn: Callable[[str | None], tuple]) -> tuple[np.ndarray, list[tuple]]:
    """Apply ``fn`` once per distinct cell: (index of each record's result, results); nulls map to fn(None)."""
    enc = pc.dictionary_encode(arr)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    uniques = enc.dictionary.to_pylist()
    results = [fn(u) for u in uniques] + [fn(None)]
    idx = pc.fill_null(enc.indices, len(uniques)).to_numpy(zero_copy_only=False).astype(np.int64)
    return idx, results


class _Problems:
    """Problems collected per check, capped, then sorted by row and column."""

    ORDER = {label: n for n, label in enumerate(COLUMN_LABELS.values())}

    def __init__(self):
        self.items: list[Problem] = []
        self.total = 0

    def add_rows(self, where: np.ndarray, grid: _Grid, column: str, message: Callable[[int], str]) -> None:
        """One Problem per record in ``where`` (record indices), at most MAX_PROBLEMS of them."""
        self.total += len(where)
        labels = grid.labels[column]
        for i in where[:MAX_PROBLEMS]:
            label = labels if isinstance(labels, str) else labels[i]
            self.items.append(Problem(int(grid.rows[i]), label, message(int(i))))

    def add(self, p: Problem) -> None:
        self.total += 1
        self.items.append(p)

    def result(self, kind: str) -> list[Problem]:
        items = sorted(self.items, key=lambda p: (p.row or 0, self.ORDER.get(p.column or "", 99), p.column or ""))[:MAX_PROBLEMS]
        if self.total > len(items):
            items.append(Problem(None, None, f"ほかに {self.total - len(items):,} 件の{kind}があります（最初の {len(items):,} 件を表示）"))
        return items


def _numbers(arr: pa.Array, units: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(values with NaN for empty or unreadable, empty mask, unreadable mask, unit codes, unit list)."""
    n = len(arr)
    empty = arr.is_null().to_numpy(zero_copy_only=False)
    try:
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        if np.isfinite(values[~empty]).all():
            return values, empty, np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), [""]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    unit_list = ["", _WORD, *units]
    unit_index = {u: k for k, u in enumerate(unit_list)}

    def parse(text: str | None) -> tuple[float, bool, bool, int]:
        if text is None or not text.strip():
            return np.nan, True, False, 0
        value, unit = _split_number(text, units)
        return (np.nan if value is None else value), False, value is None, unit_index.get(unit, 0)

    idx, results = _codes(arr, parse)
    table = np.array([r[0] for r in results], dtype=np.float64)
    return (table[idx], np.array([r[1] for r in results])[idx], np.array([r[2] for r in results])[idx],
            np.array([r[3] for r in results], dtype=np.int64)[idx], unit_list)


def _validate(grid: _Grid, policy: Policy, today: dt.date | None) -> tuple[pd.DataFrame | None, _Problems, _Problems]:
    errors, warnings = _Problems(), _Problems()
    cols = grid.cols
    n = len(grid.rows)
    if n == 0:
        errors.add(Problem(None, None, "見出し行だけで、データ行がありません"))
        return None, errors, warnings

    # rows with nothing in them are skipped (Excel writes ,,,,, for a cleared row)
    blank = np.ones(n, dtype=bool)
    for c in COLUMNS:
        arr = cols[c]
        blank &= pc.or_(arr.is_null(), pc.fill_null(pc.utf8_is_space(arr), True)).to_numpy(zero_copy_only=False)
    if blank.any():
        keep = ~blank
        if not keep.any():
            errors.add(Problem(None, None, "見出し行だけで、データ行がありません"))
            return None, errors, warnings
        mask = pa.array(keep)
        cols = {c: cols[c].filter(mask) for c in COLUMNS}
        labels = {c: (v if isinstance(v, str) else v[keep]) for c, v in grid.labels.items()}
        grid = _Grid(cols, grid.rows[keep], labels, grid.layout)
        n = len(grid.rows)

    indicators = list(policy.indicators.values())
    ids = _Ids(policy)
    raw = {c: cols[c] for c in COLUMNS}

    def text(c: str, i: int) -> str:
        v = raw[c][i].as_py()
        return "" if v is None else str(v)

    # indicator IDs
    id_idx, id_results = _codes(cols["indicator_id"], ids.parse)
    id_code = np.array([r[0] for r in id_results], dtype=np.int64)[id_idx]
    bad_id = id_code < 0
    id_err = [r[1] for r in id_results]
    id_warn = [r[2] for r in id_results]
    errors.add_rows(np.flatnonzero(bad_id), grid, "indicator_id", lambda i: id_err[id_idx[i]])
    warn_codes = [k for k, w in enumerate(id_warn) if w]
    if warn_codes:
        warnings.add_rows(np.flatnonzero(np.isin(id_idx, warn_codes)), grid, "indicator_id", lambda i: id_warn[id_idx[i]])

    # months: ordinal year*12 + month-1, -1 when unreadable
    def month_of(t: str | None) -> tuple[int, str | None]:
        if t is not None and len(t) == 7 and t[4] == "-" and t[:4].isdigit() and t[5:].isdigit() and "01" <= t[5:] <= "12":
            return int(t[:4]) * 12 + int(t[5:]) - 1, t  # the canonical form, without the general parser
        m = parse_month(t) if t is not None else None
        if m is None:
            return -1, None
        y, mo = fiscal.parse_ym(m)
        return y * 12 + mo - 1, m

    m_idx, m_results = _codes(cols["month"], month_of)
    month_ord = np.array([r[0] for r in m_results], dtype=np.int64)[m_idx]
    month_text = np.array([r[1] or "" for r in m_results], dtype=object)
    bad_month = month_ord < 0
    errors.add_rows(np.flatnonzero(bad_month), grid, "month",
                    lambda i: f"{text('month', i)} は年月として読めません" if text("month", i).strip() else "年月がありません")
    today = today or dt.date.today()
    now_ord = today.year * 12 + today.month - 1
    future = month_ord > now_ord
    errors.add_rows(np.flatnonzero(future), grid, "month",
                    lambda i: f"{text('month', i)} は未来の年月です（{fiscal.month_label(month_text[m_idx[i]])}、今日は {today:%Y-%m-%d}）")
    years = _policy_years(policy)
    if years:
        fy = np.where(month_ord % 12 >= fiscal.FY_START_MONTH - 1, month_ord // 12, month_ord // 12 - 1)
        outside = ~bad_month & ~future & ((fy < years[0]) | (fy > years[-1]))
        span = f"{fiscal.fy_label(years[0])}〜{fiscal.fy_label(years[-1])}"
        warnings.add_rows(np.flatnonzero(outside), grid, "month",
                          lambda i: f"{month_text[m_idx[i]]} は運営方針の対象年度（{span}）の外の月です。年月に誤りがないか確認してください")

    # numbers
    units = tuple(sorted({*BASE_UNITS, *(u for ind in indicators for u in _unit_forms(ind.unit) if u)}, key=len, reverse=True))
    value, v_empty, v_bad, v_unit, unit_list = _numbers(cols["value"], units)
    num, n_empty, n_bad, n_unit, n_units = _numbers(cols["numerator"], units)
    den, d_empty, d_bad, d_unit, d_units = _numbers(cols["denominator"], units)

    code = np.where(bad_id, 0, id_code)
    unit_of = np.array([ind.unit for ind in indicators] or [""], dtype=object)
    is_pct = np.array([ind.unit in ("%", "％") for ind in indicators] or [False])[code] & ~bad_id
    is_ratio = np.array([ind.aggregation == "ratio" for ind in indicators] or [False])[code] & ~bad_id
    is_mile = np.array([ind.aggregation == "milestone" for ind in indicators] or [False])[code] & ~bad_id

    errors.add_rows(np.flatnonzero(v_bad), grid, "value", lambda i: f"「{text('value', i)}」は数値として読めません")
    errors.add_rows(np.flatnonzero(n_bad), grid, "numerator", lambda i: f"「{text('numerator', i)}」は数値として読めません")
    errors.add_rows(np.flatnonzero(d_bad), grid, "denominator", lambda i: f"「{text('denominator', i)}」は数値として読めません")
    bad_value = v_bad | n_bad | d_bad

    # units written in the cells must be the indicator's own
    for col, ucode, ulist in (("value", v_unit, unit_list), ("numerator", n_unit, n_units), ("denominator", d_unit, d_units)):
        if len(ulist) == 1 or not (ucode > 0).any():
            continue
        allowed = np.zeros((max(len(indicators), 1), len(ulist)), dtype=bool)
        allowed[:, 0] = True
        for k, ind in enumerate(indicators):
            for j, u in enumerate(ulist):
                if u == _WORD:
                    allowed[k, j] = col == "value" and ind.aggregation == "milestone"
                elif u in _unit_forms(ind.unit) or (col != "value" and ind.aggregation == "ratio" and u not in ("%",)):
                    allowed[k, j] = True
        wrong = ~bad_id & (ucode > 0) & ~allowed[code, ucode]
        wrong_word = wrong & (ucode == ulist.index(_WORD)) if _WORD in ulist else np.zeros(n, dtype=bool)
        errors.add_rows(np.flatnonzero(wrong_word), grid, col,
                        lambda i, col=col: f"「{text(col, i)}」は進捗（マイルストーン）の指標にだけ使えます。数値を入力してください")
        wrong_unit = wrong & ~wrong_word
        errors.add_rows(np.flatnonzero(wrong_unit), grid, col,
                        lambda i, col=col, ul=ulist, uc=ucode:
                        f"「{text(col, i)}」の単位「{ul[uc[i]]}」は {ids.ids[code[i]]} の単位「{unit_of[code[i]]}」と違います")
        bad_value |= wrong

    # a ratio may leave 実績値 empty when 分子 and 分母 are given
    both = ~n_empty & ~d_empty & ~n_bad & ~d_bad
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = np.where(both & (den != 0), 100.0 * num / den, np.nan)
    fill = v_empty & is_ratio & both & (den != 0)
    value = np.where(fill, computed, value)
    missing = v_empty & ~fill & ~bad_id & ~(is_ratio & both)
    errors.add_rows(np.flatnonzero(missing), grid, "value",
                    lambda i: "実績値がありません（比率の指標は 分子 と 分母 があれば省略できます）" if is_ratio[i] else "実績値がありません")
    bad_value |= missing

    # ranges
    for col, arr, bad in (("value", value, v_bad), ("numerator", num, n_bad), ("denominator", den, d_bad)):
        neg = ~bad & (arr < 0)
        errors.add_rows(np.flatnonzero(neg), grid, col, lambda i, arr=arr: f"{_fmt(arr[i])} は負の値です（0以上を入力してください）")
        bad_value |= neg
    over = is_pct & ~v_bad & ~fill & (value > 100)
    errors.add_rows(np.flatnonzero(over), grid, "value",
                    lambda i: f"{_fmt(value[i])} は100%を超えています（{'進捗は0〜100' if is_mile[i] else '割合は0〜100'}で入力してください）")
    bad_value |= over
    tiny = is_pct & ~v_bad & ~fill & (value > 0) & (value < 1) & ~both
    warnings.add_rows(np.flatnonzero(tiny), grid, "value",
                      lambda i: f"{_fmt(value[i])} は {_fmt(value[i])}% と {_fmt(value[i] * 100)}% のどちらか判別できません。"
                                f"{_fmt(value[i] * 100)}% のつもりなら {_fmt(value[i] * 100)} と入力してください"
                                f"（このままでは {_fmt(value[i])}% として登録します）")
    over_den = both & (num > den) & (num >= 0) & (den >= 0)
    errors.add_rows(np.flatnonzero(over_den), grid, "numerator", lambda i: f"分子 {_fmt(num[i])} が分母 {_fmt(den[i])} を超えています")
    zero_den = both & (den == 0)
    errors.add_rows(np.flatnonzero(zero_den), grid, "denominator", lambda i: "分母が0です")
    bad_value |= over_den | zero_den
    half = ~bad_id & is_ratio & (n_empty != d_empty) & ~n_bad & ~d_bad
    for col, empty_part in (("numerator", n_empty), ("denominator", d_empty)):
        warnings.add_rows(np.flatnonzero(half & empty_part), grid, col,
                          lambda i: "分子と分母は両方入力してください（片方だけでは年度の比率の計算に使いません）")
    mismatch = both & ~v_empty & ~v_bad & is_ratio & (den > 0) & (np.abs(value - computed) > RATIO_TOLERANCE)
    warnings.add_rows(np.flatnonzero(mismatch), grid, "value",
                      lambda i: f"実績値 {_fmt(value[i])} が 分子÷分母×100 = {computed[i]:.1f} と一致しません（年度の値は分子と分母の合計から計算します）")

    good = ~(bad_id | bad_month | future | bad_value)

    # the same indicator and month twice
    key = id_code * 1_000_000 + month_ord
    cand = np.flatnonzero(good)
    drop = np.zeros(n, dtype=bool)
    if len(cand):
        _, first, inverse = np.unique(key[cand], return_index=True, return_inverse=True)
        first_rec = cand[first][inverse]
        dup = first_rec != cand
        if dup.any():
            d, f = cand[dup], first_rec[dup]
            same = (_eq(value[d], value[f]) & _eq(np.where(n_empty, np.nan, num)[d], np.where(n_empty, np.nan, num)[f])
                    & _eq(np.where(d_empty, np.nan, den)[d], np.where(d_empty, np.nan, den)[f]))
            first_of = np.zeros(n, dtype=np.int64)
            first_of[d] = f
            label = lambda i: f"{ids.ids[id_code[i]]} {month_text[m_idx[i]]}"
            errors.add_rows(d[~same], grid, "indicator_id",
                            lambda i: f"{label(i)} が {grid.rows[first_of[i]]}行目と重複していて、値が違います"
                                      f"（{_fmt(value[first_of[i]])} と {_fmt(value[i])}）")
            warnings.add_rows(d[same], grid, "indicator_id",
                              lambda i: f"{label(i)} は {grid.rows[first_of[i]]}行目と同じ内容の重複です（1行として登録します）")
            drop[d] = True

    if errors.total:
        return None, errors, warnings
    keep = good & ~drop
    idx = np.flatnonzero(keep)
    id_names = np.array(ids.ids, dtype=object)
    note = pc.utf8_trim_whitespace(cols["note"]).to_numpy(zero_copy_only=False)
    note = np.where(pd.isna(note), "", note) if len(note) else note.astype(object)
    frame = pd.DataFrame({
        "indicator_id": id_names[id_code[idx]],
        "month": month_text[m_idx[idx]],
        "value": value[idx].astype(np.float64),
        "numerator": np.where(n_empty, np.nan, num)[idx],
        "denominator": np.where(d_empty, np.nan, den)[idx],
        "note": note[idx].astype(object),
        "row": grid.rows[idx],
    })
    return frame, errors, warnings


def _policy_years(policy: Policy) -> list[int]:
    """Fiscal years an actual may plausibly belong to: the year before the first target (前年度実績) to the last."""
    years = set(policy.target_years())
    for ind in policy.indicators.values():
        if ind.period:
            years.update(ind.period)
    return [min(years) - 1, max(years)] if years else []


def _eq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _unit_forms(unit: str) -> tuple[str, ...]:
    u = norm(unit)
    return (u, *UNIT_SYNONYMS.get(u, ()))


# --- entry point ---------------------------------------------------------------------

def read_actuals(data: bytes, filename: str, policy: Policy, today: dt.date | None = None,
                 max_bytes: int = MAX_BYTES) -> ReadResult:
    """Read and check an uploaded file; never raises on bad input (see the module docstring for the rules)."""
    res = ReadResult()
    if len(data) > max_bytes:
        res.errors.append(Problem(None, None, f"ファイルが大きすぎます（{len(data):,} バイト、上限 {max_bytes:,} バイト）"))
        return res
    try:
        grid, encoding = _load(bytes(data), filename or "")
        res.layout, res.encoding = grid.layout, encoding
        frame, errors, warnings = _validate(grid, policy, today)
    except _Refuse as refuse:
        res.errors.append(refuse.problem)
        return res
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # a safety net: the caller must get a refusal, not a traceback
        res.errors.append(Problem(None, None, f"ファイルを読み取れませんでした（予期しないエラー: {type(exc).__name__}: {exc}）"))
        return res
    res.errors = errors.result("エラー")
    res.warnings = warnings.result("警告")
    if frame is not None and not res.errors:
        res.frame = frame
    return res
