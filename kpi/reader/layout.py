"""Layout detection: find the header row, tell the canonical (long) layout from the template's wide one,
and turn rows of cells into columns (``Grid``) keeping each record's Excel row number.

Rows arrive as an iterator of ``(excel_row, cells)`` so that a large sheet streams through:
only the first ``HEADER_SEARCH_ROWS`` rows are held while the header is looked for.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from kpi.reader import limits
from kpi.reader.cells import NOT_REPORTED, cell_text, month_cell, month_header, norm, parse_month
from kpi.reader.limits import HEADER_SEARCH_ROWS, check_time
from kpi.reader.result import COLUMN_LABELS, COLUMNS, HEADERS, REQUIRED, Refuse

Rows = Iterable[tuple[int, list]]


@dataclass
class Grid:
    """Cells by column (canonical names), the Excel row of each record, and per-cell column labels."""

    cols: dict[str, pa.Array]  # canonical column -> string array (null = empty)
    rows: np.ndarray  # Excel row numbers
    labels: dict[str, object]  # canonical column -> label str, or an object array of labels per record
    layout: str


def _header_key(cell) -> str:
    return norm(str(cell)).lower().replace(" ", "").replace("_", "") if cell is not None else ""


_HEADER_LOOKUP = {s.replace("_", ""): canon for canon, spellings in HEADERS.items() for s in spellings}
# The wide template's 項目 column: a row per indicator holds 実績値, and optional rows 分子 / 分母 / 備考 under it.
ROW_KIND = "row_kind"
ROW_KINDS = {"": "value", "実績値": "value", "実績": "value", "値": "value", "分子": "numerator", "分母": "denominator",
             "備考": "note"}


def header_map(header: Sequence) -> tuple[dict[str, int], dict[int, tuple[str, str]]]:
    """Canonical columns found, and the month columns of the wide layout (index -> (month, label))."""
    cols: dict[str, int] = {}
    months: dict[int, tuple[str, str]] = {}
    for i, cell in enumerate(header):
        if isinstance(cell, str) and len(cell) > 100:  # no header is this long (and it would go into messages)
            continue
        canon = _HEADER_LOOKUP.get(_header_key(cell)) or (ROW_KIND if _header_key(cell) == "項目" else None)
        if canon and canon not in cols:
            cols[canon] = i
            continue
        month = month_header(cell)
        if month:
            label = f"{cell.year}年{cell.month}月" if isinstance(cell, dt.date) else norm(str(cell))
            months[i] = (month, label)
    return cols, months


def first_looks_like_data(cells: Sequence) -> bool:
    """A first row that starts with something like an indicator ID followed by a month: the header is missing."""
    texts = [(cell_text(c) or "")[:100] for c in cells[:3]]
    return len(texts) >= 2 and bool(re.match(r"^[A-Za-zＡ-Ｚａ-ｚ]*[0-9０-９]+[-－ー‐][0-9０-９]+$", norm(texts[0]))) and any(
        parse_month(t) for t in texts[1:])


def find_header(head: list[tuple[int, list]]) -> tuple[int, dict[str, int], dict[int, tuple[str, str]]]:
    """Position in ``head`` of the header row, its canonical columns and its month columns."""
    for pos, (_, cells) in enumerate(head):
        cols, months = header_map(cells)
        if "indicator_id" in cols and ("month" in cols or months):
            return pos, cols, months
    first_row, first = head[0]
    cols, months = header_map(first)
    if first_looks_like_data(first):
        raise Refuse(first_row, None, "見出し行がありません。1行目に 指標ID, 年月, 実績値（または indicator_id, month, value）の見出しを入れてください")
    missing = [COLUMN_LABELS[c] for c in REQUIRED if c not in cols]
    if not cols and not months:
        raise Refuse(first_row, None, "見出し行が見つかりません。1行目に 指標ID, 年月, 実績値（または indicator_id, month, value）の見出しを入れてください")
    raise Refuse(first_row, None, f"必要な列がありません: {'、'.join(missing)}")


def grid_from_rows(rows: Rows, text_cells: bool, date1904: bool = False) -> Grid:
    """Columns from rows of cells: text cells (CSV) are kept as they are, xlsx values become text first."""
    it: Iterator[tuple[int, list]] = iter(rows)
    head = list(itertools.islice(it, HEADER_SEARCH_ROWS))
    if not head:
        raise Refuse(None, None, "ファイルが空です")
    pos, cols, months = find_header(head)
    header_row = head[pos][0]
    body = itertools.chain(head[pos + 1:], it)
    if "month" in cols:
        if "value" not in cols and not ("numerator" in cols and "denominator" in cols):
            raise Refuse(header_row, None, "必要な列がありません: 実績値")
        return _long(body, cols, text_cells, date1904)
    return _wide(body, cols["indicator_id"], months, text_cells, cols.get(ROW_KIND))


_TRANSPOSE_ROWS = 65536


def _long(body: Iterator[tuple[int, list]], cols: dict[str, int], text_cells: bool, date1904: bool) -> Grid:
    wanted = [(c, cols[c]) for c in COLUMNS if c in cols]
    values: dict[str, list] = {c: [] for c, _ in wanted}
    row_numbers: list[int] = []
    for block in _blocks(body):  # rows → columns a block at a time, transposed in C (zip_longest), not cell by cell
        row_numbers.extend(n for n, _ in block)
        if len(row_numbers) > limits.MAX_RECORDS:
            raise Refuse(None, None, f"行が多すぎます（上限 {limits.MAX_RECORDS:,}行）。ファイルを分けてください")
        columns = list(itertools.zip_longest(*(cells for _, cells in block)))
        for c, i in wanted:
            values[c].extend(columns[i] if i < len(columns) else [None] * len(block))
    if not row_numbers:
        raise Refuse(None, None, "見出し行だけで、データ行がありません")
    arrays = {}
    for c in COLUMNS:
        if c not in values:
            arrays[c] = pa.nulls(len(row_numbers), pa.string())
            continue
        vals = values.pop(c)
        if not text_cells:
            if c == "month":
                vals = _cached(vals, lambda v: month_cell(v, date1904))
            else:
                vals = [v if type(v) is str else cell_text(v) for v in vals]
        arrays[c] = pa.array([v or None for v in vals], pa.string())
    return Grid(arrays, np.asarray(row_numbers, dtype=np.int64), dict(COLUMN_LABELS), "long")


def _blocks(body: Iterator[tuple[int, list]]) -> Iterator[list[tuple[int, list]]]:
    while block := list(itertools.islice(body, _TRANSPOSE_ROWS)):
        check_time()
        yield block


def _cached(values: list, convert) -> list:
    """``convert`` once per distinct cell value (a month column repeats a few values a million times)."""
    cache: dict = {}
    out = []
    for v in values:
        key = (type(v), v)  # 1 == 1.0 == True: keep them apart
        t = cache.get(key, cache)
        if t is cache:
            t = cache[key] = convert(v)
        out.append(t)
    return out


def _wide(body: Iterator[tuple[int, list]], id_col: int, months: dict[int, tuple[str, str]], text_cells: bool,
          kind_col: int | None = None) -> Grid:
    """One row per indicator, one column per month. A file with a 項目 column (the template's 実績値 / 分子 / 分母 / 備考
    rows) is read row kind by row kind; a plain one by the lean reader, which holds millions of cells."""
    if kind_col is None:
        return _wide_values(body, id_col, months, text_cells)
    return _wide_with_kinds(body, id_col, months, text_cells, kind_col)


def _wide_values(body: Iterator[tuple[int, list]], id_col: int, months: dict[int, tuple[str, str]], text_cells: bool) -> Grid:
    """One row per indicator, one column per month: one record per filled month cell.

    Kept lean per record (a pointer to the cell's text and a month position; the ID, row number and column label
    are stored per row or per column and spread out at the end), as the file may fill millions of cells.
    """
    columns = sorted(months)  # the month columns, left to right
    ids: list = []
    row_numbers: list[int] = []
    per_row: list[int] = []  # records of each row kept
    vals: list[str] = []
    which = array("l")  # per record: position in ``columns``
    skip: dict[str, bool] = {}  # a cell's text → whether it means 未報告 (or nothing); cells repeat a lot
    seen_body = False
    for n, cells in body:
        if not seen_body or not n & 1023:
            check_time()
        seen_body = True
        iid = cells[id_col] if id_col < len(cells) else None
        width, before = len(cells), len(vals)
        for pos, i in enumerate(columns):
            if i >= width:
                break
            v = cells[i] if text_cells else cell_text(cells[i])
            if v is None:
                continue
            empty = skip.get(v)
            if empty is None:
                empty = not v.strip() or (len(v) < 20 and norm(v).lower() in NOT_REPORTED)
                if len(skip) < 100_000:
                    skip[v] = empty
            if not empty:
                vals.append(v)
                which.append(pos)
        if len(vals) > before:
            if len(vals) > limits.MAX_RECORDS:  # as many figures as the longest canonical file has rows
                raise Refuse(None, None, f"実績の値が多すぎます（上限 {limits.MAX_RECORDS:,}件）。ファイルを分けてください")
            ids.append(iid if text_cells else cell_text(iid))
            row_numbers.append(n)
            per_row.append(len(vals) - before)
    if not seen_body:
        raise Refuse(None, None, "見出し行だけで、データ行がありません")
    if not vals:
        raise Refuse(None, None, "実績が1件も入力されていません（月の列に値を入れてください）")
    position = np.frombuffer(which, dtype=np.int_)
    counts = np.asarray(per_row, dtype=np.int64)
    id_arr = np.empty(len(ids), dtype=object)
    id_arr[:] = ids
    month_texts = pa.array([months[i][0] for i in columns], pa.string())
    labels = np.empty(len(columns), dtype=object)
    labels[:] = [months[i][1] for i in columns]
    label_arr = labels[position]
    empty = pa.nulls(len(vals), pa.string())
    arrays = {"indicator_id": pa.array(np.repeat(id_arr, counts), pa.string()), "month": month_texts.take(pa.array(position)),
              "value": pa.array(vals, pa.string()), "numerator": empty, "denominator": empty, "note": empty}
    return Grid(arrays, np.repeat(np.asarray(row_numbers, dtype=np.int64), counts),
                dict(COLUMN_LABELS) | {"month": label_arr, "value": label_arr}, "wide")


def _wide_with_kinds(body: Iterator[tuple[int, list]], id_col: int, months: dict[int, tuple[str, str]], text_cells: bool,
                     kind_col: int) -> Grid:
    """One row per indicator, one column per month: one record per filled month cell. With a 項目 column, rows
    marked 分子 / 分母 / 備考 add those to the same indicator's month (a month with 分子 and 分母 only is a record)."""
    ids, mons, vals, labels, rows = [], [], [], [], []
    extra: dict[str, dict[tuple[str, str], str]] = {"numerator": {}, "denominator": {}, "note": {}}
    extra_rows: dict[tuple[str, str], tuple[int, str]] = {}
    seen_body = False
    for n, cells in body:
        if not seen_body or not n & 1023:
            check_time()
        if len(rows) + len(extra_rows) > limits.MAX_RECORDS:  # as many figures as the longest canonical file has rows
            raise Refuse(None, None, f"実績の値が多すぎます（上限 {limits.MAX_RECORDS:,}件）。ファイルを分けてください")
        seen_body = True
        iid = cells[id_col] if id_col < len(cells) else None
        iid_text = iid if text_cells else cell_text(iid)
        raw_kind = cells[kind_col] if kind_col < len(cells) else None
        kind = ROW_KINDS.get(norm((raw_kind if text_cells else cell_text(raw_kind)) or "").strip(), "value")
        for i, (month, label) in months.items():
            v = cells[i] if i < len(cells) else None
            v = v if text_cells else cell_text(v)
            if v is None or not v.strip() or (kind != "note" and len(v) < 20 and norm(v).lower() in NOT_REPORTED):
                continue
            if kind != "value":
                extra[kind][(iid_text, month)] = v
                extra_rows.setdefault((iid_text, month), (n, label))
                continue
            ids.append(iid_text)
            mons.append(month)
            vals.append(v)
            labels.append(label)
            rows.append(n)
    if not seen_body:
        raise Refuse(None, None, "見出し行だけで、データ行がありません")
    have = set(zip(ids, mons))
    for key, (n, label) in extra_rows.items():  # 分子・分母 (or a 備考) for a month whose 実績値 is empty
        if key not in have:
            ids.append(key[0])
            mons.append(key[1])
            vals.append(None)
            labels.append(label)
            rows.append(n)
    if not rows:
        raise Refuse(None, None, "実績が1件も入力されていません（月の列に値を入れてください）")
    keys = list(zip(ids, mons))
    empty = pa.nulls(len(rows), pa.string())
    arrays = {"indicator_id": pa.array(ids, pa.string()), "month": pa.array(mons, pa.string()), "value": pa.array(vals, pa.string()),
              **{c: pa.array([extra[c].get(k) for k in keys], pa.string()) if extra[c] else empty for c in extra}}
    label_arr = np.asarray(labels, dtype=object)
    return Grid(arrays, np.asarray(rows, dtype=np.int64), dict(COLUMN_LABELS) | {"month": label_arr, "value": label_arr}, "wide")
