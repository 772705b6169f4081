"""Read an uploaded actuals file (CSV or Excel as staff really make them) into canonical rows.

``read_actuals`` never raises on bad input: every problem comes back as a ``Problem``
naming the row as Excel numbers it (header = row 1) and the column, in Japanese. A
result with any error is refused whole by the caller.

The package, by concern:
    decoding    bytes → rows of cells: file sniffing, text encodings, CSV, the fast pyarrow path
    xlsx        .xlsx with bounded memory and time (zip directory checks, streamed sheet XML)
    layout      header detection, canonical (long) vs template (wide) layout, rows → columns
    cells       months, numbers with units, indicator IDs, Excel date serials
    validation  the row rules below, column-wise
    limits      every bound (cell lengths, magnitudes, xlsx sizes, ratios, rows, cells, time)

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
      (fiscal years by ``kpi.fiscal``) → warning.
    - value not a number, negative, above 100 for a % indicator, above 10^15 in
      magnitude, or with another indicator's unit → error; a value between 0 and 1
      for a % indicator → warning. Milestones take 0–100 or 完了 (100) / 未着手 (0).
    - numerator above its denominator, a zero denominator, negative parts → error.
      A ratio indicator may leave 実績値 empty when 分子 and 分母 are given
      (value = 100 × 分子 ÷ 分母); when all three are given and the value differs
      from 100 × 分子 ÷ 分母 by more than ``RATIO_TOLERANCE`` points → warning.
    - a note longer than 1,000 characters, any other cell longer than 100 → error.
    - the same indicator and month twice: different figures → error; identical →
      warning, kept once.
    - empty file, header only, missing columns, not a table (PDF, image, .xls,
      binary), above ``max_bytes``, an .xlsx beyond the limits, a CSV beyond its limits (columns, cells, line
      length, time: ``limits``) → error for the whole file.
    At most ``MAX_PROBLEMS`` errors and warnings are listed each; one more line says
    how many were left out.

Speed: a well-formed CSV is parsed by pyarrow and checked column-wise; each distinct
ID, month and non-plain number is parsed once in Python, so a million-row file takes
about a second; a million-row .xlsx streams in about ten.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
import secrets
from collections.abc import Iterator

from kpi.policy import Policy
from kpi.reader import limits
from kpi.reader.cells import BASE_UNITS, EXCEL_EPOCH, MILESTONE_WORDS, excel_date, norm, parse_month, parse_number
from kpi.reader.decoding import NOT_TABLE, decode, is_xlsx, load
from kpi.reader.limits import HEADER_SEARCH_ROWS, MAX_BYTES, MAX_PROBLEMS
from kpi.reader.result import COLUMN_LABELS, COLUMNS, FRAME_COLUMNS, HEADERS, REQUIRED, Problem, ReadResult, Refuse, frame_to_actuals
from kpi.reader.validation import RATIO_TOLERANCE, validate

__all__ = [
    "BASE_UNITS", "COLUMNS", "COLUMN_LABELS", "EXCEL_EPOCH", "FRAME_COLUMNS", "HEADERS", "HEADER_SEARCH_ROWS", "MAX_BYTES",
    "MAX_PROBLEMS", "MILESTONE_WORDS", "NOT_TABLE", "RATIO_TOLERANCE", "REQUIRED", "Problem", "ReadResult", "decode",
    "excel_date", "frame_to_actuals", "internal_message", "limits", "norm", "parse_month", "parse_number", "read_actuals",
]


def internal_message(ref: str) -> str:
    """What users see when the reader's safety net caught a defect of the reader itself (no internals)."""
    return (f"ファイルを読み取れませんでした。アプリ側の問題の可能性があります。お手数ですが、このファイルを添えて管理者に連絡してください"
            f"（参照番号 {ref}）")


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Reading a million-row sheet creates millions of small lists and none of them in a cycle; Python's cyclic
    collector would rescan them all, again and again, half of the reading time. Paused while reading (whoever
    paused it first turns it back on)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_actuals(data: bytes, filename: str, policy: Policy, today: dt.date | None = None,
                 max_bytes: int = MAX_BYTES) -> ReadResult:
    """Read and check an uploaded file; never raises on bad input (see the module docstring for the rules)."""
    res = ReadResult()
    if len(data) > max_bytes:
        res.errors.append(Problem(None, None, f"ファイルが大きすぎます（{len(data):,} バイト、上限 {max_bytes:,} バイト）"))
        return res
    seconds = limits.MAX_XLSX_SECONDS if is_xlsx(data, filename or "") else limits.MAX_CSV_SECONDS
    try:
        with _gc_paused(), limits.time_limit(seconds):
            grid, encoding = load(bytes(data), filename or "")
            res.layout, res.encoding = grid.layout, encoding
            frame, errors, warnings = validate(grid, policy, today)
    except Refuse as refuse:
        res.errors.append(refuse.problem)
        return res
    except limits.TimeUp:
        res.errors.append(Problem(None, None, f"ファイルの読み取りに時間がかかりすぎるため中止しました（{seconds:.0f}秒）。"
                                              "行数を減らすか、ファイルを分けてください"))
        return res
    except MemoryError:
        res.errors.append(Problem(None, None, "ファイルが大きすぎて読み取れません。行数を減らすか、CSV で保存したファイルを指定してください"))
        return res
    except Exception as exc:  # the safety net: a refusal in Japanese, never a traceback or an exception name
        res.internal, res.internal_ref = exc, f"R-{secrets.token_hex(4)}"
        res.errors.append(Problem(None, None, internal_message(res.internal_ref)))
        return res
    res.errors = errors.result("エラー")
    res.warnings = warnings.result("警告")
    if frame is not None and not res.errors:
        res.frame = frame
    return res
