"""Cell parsing: months, numbers with units, indicator IDs, Excel date serials, and per-distinct-value parsing.

Every parser returns None (or an error text) for what it cannot read; none raises on user input.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi import fiscal
from kpi.policy import Policy
from kpi.reader.limits import check_time

BASE_UNITS = ("件", "名", "人", "時間", "業務", "所属", "事業", "%", "円", "回", "個", "社", "校", "団体", "ヶ所", "か所", "箇所", "施設")
UNIT_SYNONYMS = {"名": ("人",), "人": ("名",), "%": ("パーセント",), "か所": ("ヶ所", "箇所"), "ヶ所": ("か所", "箇所")}
MILESTONE_WORDS = {"完了": 100.0, "未着手": 0.0}
WORD = "__word__"  # unit code of a milestone word
NOT_REPORTED = frozenset({"-", "--", "ー", "―", "‐", "−", "未報告", "未入力", "n/a", "na"})
DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−ｰーｰ－"})

# Excel's serial dates: day 1 is 1900-01-01 and Excel counts a 1900-02-29 that never was (serial 60),
# so from serial 61 on the epoch is 1899-12-30. Workbooks saved with the 1904 system count from 1904-01-01.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
EXCEL_EPOCH_1904 = dt.datetime(1904, 1, 1)
EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
SERIAL_MONTHS = (20000, 80000)  # an unformatted number in the 年月 column read as a date serial (1954–2119)


def norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def excel_date(serial: float, date1904: bool = False) -> dt.datetime | None:
    """The date and time of an Excel serial number; None when it is not one."""
    if not math.isfinite(serial) or serial < 0 or serial > EXCEL_MAX_SERIAL:
        return None
    if date1904:
        return EXCEL_EPOCH_1904 + dt.timedelta(days=serial)
    if serial < 60:  # before Excel's phantom leap day
        serial += 1
    return EXCEL_EPOCH + dt.timedelta(days=serial)


# --- months --------------------------------------------------------------------------

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
    if len(t) > 40:  # no month is written this long; keeps the regexes cheap
        return None
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
    if not (1 <= mon <= 12 and 1 <= year <= 9999):
        return None
    if day is not None:
        try:
            dt.date(year, mon, int(day))
        except ValueError:
            return None
    return fiscal.ym(year, mon)


def month_header(cell) -> str | None:
    """A wide-layout column header as a month (2025年4月, 2025年4月分, 令和7年4月, 2025-04, a date cell)."""
    if isinstance(cell, dt.date):
        return parse_month(cell)
    if not isinstance(cell, str):
        return None
    t = _MONTH_SUFFIX.sub("", norm(cell))
    return parse_month(t)


def month_cell(v, date1904: bool = False) -> str | None:
    """An xlsx cell of the 年月 column: a date cell, a date serial number left unformatted (as a number or
    the sheet's text of one), or text."""
    if isinstance(v, dt.date):
        return parse_month(v)
    serial = None
    if isinstance(v, int | float) and not isinstance(v, bool):
        serial = float(v)
    elif isinstance(v, str) and 0 < len(v) < 20 and v.replace(".", "", 1).isdigit() and v.isascii():
        serial = float(v)
    if serial is not None and SERIAL_MONTHS[0] < serial < SERIAL_MONTHS[1]:
        return parse_month(excel_date(serial, date1904))
    return cell_text(v)


def cell_text(cell) -> str | None:
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


# --- numbers -------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PER = re.compile(r"/(月|年|年度)$")


def split_number(text: str, units: tuple[str, ...]) -> tuple[float | None, str]:
    """(number, unit) from a cell; number None when not readable. Unit '' when none, WORD for 完了/未着手."""
    t = norm(text).translate(DASHES)
    if t in MILESTONE_WORDS:
        return MILESTONE_WORDS[t], WORD
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
    if not math.isfinite(value):
        return None, unit
    return (-value if neg else value), unit


def parse_number(text: str) -> float | None:
    """A number as staff type it: 1,523 / １５２３ / 22.4% / 1,870時間 / △5; None when not a number."""
    value, _ = split_number(str(text), tuple(sorted(BASE_UNITS, key=len, reverse=True)))
    return value


def fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) < 1e21 else f"{x:,.10g}"


def unit_forms(unit: str) -> tuple[str, ...]:
    u = norm(unit)
    return (u, *UNIT_SYNONYMS.get(u, ()))


def quote(text: str, limit: int = 40) -> str:
    """A cell's text for a message: shortened, so no message carries a whole long cell."""
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


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


class IndicatorIds:
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
        shown = quote(raw)
        if k in self.bare:
            iid = self.bare[k]
            return self.index[iid], None, f"「{shown}」を {iid} として読みました（指標IDは {iid} と書いてください）"
        parts = _date_parts(norm(raw).translate(DASHES))
        if parts:
            mon, day = parts
            guess = [i for i in self.ids if re.fullmatch(rf"[A-Z]*[-_]?{mon}-{day}", self.key(i))]
            hint = (f"{'・'.join(guess)} のつもりなら「{guess[0]}」と入力してください（英字を付けると日付になりません）" if guess
                    else "セルの書式を文字列にするか、テンプレートの指標IDをそのまま使ってください")
            return -1, f"「{shown}」は日付になっています。Excel が指標IDを日付に変えた可能性があります。{hint}", None
        near = difflib.get_close_matches(k, list(self.by_norm), n=3, cutoff=0.5)
        if near:
            hint = f"近いID: {'、'.join(self.by_norm[n] for n in near)}"
        else:
            listed = "、".join(self.ids[:20]) + ("…" if len(self.ids) > 20 else "")
            hint = f"登録されている指標ID: {listed}"
        return -1, f"「{shown}」は指標IDとして登録されていません（{hint}）", None


# --- column-wise parsing -------------------------------------------------------------

_CODES_BLOCK = 4096  # distinct cells parsed between two looks at the clock


def encoded(arr: pa.Array) -> pa.DictionaryArray:
    enc = pc.dictionary_encode(arr)
    return enc.combine_chunks() if isinstance(enc, pa.ChunkedArray) else enc


def apply(values: pa.Array, fn: Callable[[str | None], tuple]) -> list[tuple]:
    """``fn`` of each value, a block at a time (a block's Python strings only), the reader's time limit checked between."""
    out: list[tuple] = []
    for start in range(0, len(values), _CODES_BLOCK):
        check_time()
        out.extend(map(fn, values.slice(start, _CODES_BLOCK).to_pylist()))
    return out


def codes(arr: pa.Array, fn: Callable[[str | None], tuple]) -> tuple[np.ndarray, list[tuple]]:
    """Apply ``fn`` once per distinct cell: (index of each record's result, results); nulls map to fn(None)."""
    enc = encoded(arr)
    results = apply(enc.dictionary, fn) + [fn(None)]
    idx = pc.fill_null(enc.indices, len(enc.dictionary)).to_numpy(zero_copy_only=False).astype(np.int64)
    return idx, results


def numbers(arr: pa.Array, units: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(values with NaN for empty or unreadable, empty mask, unreadable mask, unit codes, unit list)."""
    n = len(arr)
    empty = arr.is_null().to_numpy(zero_copy_only=False)
    try:
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        if np.isfinite(values[~empty]).all():
            return values, empty, np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), [""]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    unit_list = ["", WORD, *units]
    unit_index = {u: k for k, u in enumerate(unit_list)}

    def parse(text: str | None) -> tuple[float, bool, bool, int]:
        if text is None or not text.strip():
            return np.nan, True, False, 0
        value, unit = split_number(text, units)
        return (np.nan if value is None else value), False, value is None, unit_index.get(unit, 0)

    # Plain and grouped decimals (1523, -5, 1,234,567.5) are converted by Arrow in C, as split_number would read
    # them: the whole column at once when every cell is one, else each distinct cell once, only the rest
    # (units, full width, 完了, △ …) through Python.
    simple_cells = pc.fill_null(pc.match_substring_regex(arr, _SIMPLE_NUMBER), False).to_numpy(zero_copy_only=False)
    if (simple_cells | empty).all():
        values = pc.cast(pc.replace_substring(arr, ",", ""), pa.float64()).to_numpy(zero_copy_only=False)
        return values, empty, np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), unit_list
    # Each distinct cell once. Plain and grouped decimals (1523, -5, 1,234,567.5) are converted by Arrow in C,
    # as split_number would read them; only the rest (units, full width, 完了, △ …) goes through Python.
    enc = encoded(arr)
    distinct = enc.dictionary
    k = len(distinct)
    value_of, empty_of = np.full(k + 1, np.nan), np.zeros(k + 1, dtype=bool)
    bad_of, unit_of = np.zeros(k + 1, dtype=bool), np.zeros(k + 1, dtype=np.int64)
    simple = pc.match_substring_regex(distinct, _SIMPLE_NUMBER).to_numpy(zero_copy_only=False)
    if simple.any():
        value_of[np.flatnonzero(simple)] = pc.cast(pc.replace_substring(distinct.filter(pa.array(simple)), ",", ""),
                                                   pa.float64()).to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(~simple)
    if len(rest):
        results = apply(distinct.take(pa.array(rest)), parse)
        value_of[rest] = [r[0] for r in results]
        empty_of[rest], bad_of[rest], unit_of[rest] = [r[1] for r in results], [r[2] for r in results], [r[3] for r in results]
    value_of[k], empty_of[k] = np.nan, True  # an empty cell
    idx = pc.fill_null(enc.indices, k).to_numpy(zero_copy_only=False).astype(np.int64)
    return value_of[idx], empty_of[idx], bad_of[idx], unit_of[idx], unit_list


# Decimals Arrow converts exactly as split_number reads them: ASCII digits, an optional minus, thousands
# separators in groups of three, no exponent, no spaces (anything else goes through split_number).
_SIMPLE_NUMBER = r"^-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$"
