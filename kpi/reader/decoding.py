"""Decoding: bytes → rows of cells. Sniffs what the file is (refusing PDFs, images, old .xls, binaries),
decodes text (UTF-8 with or without BOM, CP932, UTF-16), splits CSV (comma, tab, semicolon), and hands
.xlsx to the bounded streaming reader. The canonical CSV takes a fast path through pyarrow.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from kpi.reader import limits, sheet_fast, xlsx
from kpi.reader.layout import Grid, grid_from_rows, header_map
from kpi.reader.result import COLUMN_LABELS, COLUMNS, Refuse

# A long cell must reach the length check (a located refusal), not stop the csv module.
csv.field_size_limit(max(csv.field_size_limit(), limits.MAX_BYTES + 1))

_MAGIC = (
    (b"%PDF", "PDF ファイルは読めません。CSV または Excel（.xlsx）で保存したファイルを指定してください"),
    (b"\x89PNG", "画像ファイル（PNG）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"\xff\xd8\xff", "画像ファイル（JPEG）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"GIF8", "画像ファイル（GIF）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"II*\x00", "画像ファイル（TIFF）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"MM\x00*", "画像ファイル（TIFF）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "古い Excel 形式（.xls）は読めません（パスワード付きの Excel ファイルも読めません）。"
                                          "Excel で「.xlsx」か「CSV」として（パスワードなしで）保存し直してください"),
    (b"\x1f\x8b", "圧縮ファイル（gzip）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"7z\xbc\xaf", "圧縮ファイル（7z）は読めません。CSV または Excel（.xlsx）を指定してください"),
    (b"Rar!", "圧縮ファイル（RAR）は読めません。CSV または Excel（.xlsx）を指定してください"),
)
NOT_TABLE = "表（CSV または Excel）として読めないファイルです"


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


def sniff(text: str) -> str:
    first = next((line for line in text[:1_000_000].splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def text_rows(text: str) -> Iterator[tuple[int, list]]:
    """(line, cells) of every non-empty CSV record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff(text))
    n = 0
    try:
        for n, row in enumerate(reader, start=1):
            if "".join(row).strip():
                yield n, row
    except csv.Error as exc:
        raise Refuse(n + 1 or None, None, "CSV として読めません（引用符「\"」の対応や改行が正しくありません）") from exc


def fast_csv(text: str) -> Grid | None:
    """The canonical layout with the header on line 1, parsed by pyarrow; None when the file needs the careful path."""
    first, sep, _ = text.partition("\n")
    if not sep or "\r" in first.rstrip("\r"):
        return None
    delimiter = sniff(first)
    try:
        header = next(csv.reader([first.rstrip("\r")], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    cols, _months = header_map(header)
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
    return Grid(arrays, np.arange(2, table.num_rows + 2, dtype=np.int64), dict(COLUMN_LABELS), "long")


def _xlsx_grid(data: bytes) -> Grid:
    """The sheet's cells through the fast path when it can read them all, else through the general reader."""
    z, wb, deadline = xlsx.open_workbook(data)
    with z:
        xlsx.prescan(z, wb.sheet_path, deadline)
        try:
            return grid_from_rows(sheet_fast.fast_rows(z, wb, deadline), text_cells=False, date1904=wb.date1904)
        except sheet_fast.Fallback:
            return grid_from_rows(xlsx.sheet_rows(z, wb, deadline, prescanned=True), text_cells=False, date1904=wb.date1904)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise Refuse(None, None, f"{NOT_TABLE}（バイナリデータを含みます）")
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n" or 0x7f <= ord(ch) < 0xa0)
    if controls > max(2, len(sample) // 100):
        raise Refuse(None, None, f"{NOT_TABLE}（制御文字を多く含みます）")
    if sample.lstrip().lower().startswith(("<html", "<!doctype", "<?xml", "{\\rtf")):
        raise Refuse(None, None, f"{NOT_TABLE}（HTML や XML などの文書です）。CSV または Excel（.xlsx）で保存してください")


def load(data: bytes, filename: str) -> tuple[Grid, str]:
    """The file as a Grid, and the encoding it was read with ("xlsx" for Excel); Refuse for a file that is not a table."""
    if not data or not data.strip():
        raise Refuse(None, None, "ファイルが空です")
    head = data[:8]
    for magic, message in _MAGIC:
        if head.startswith(magic):
            raise Refuse(None, None, message)
    if head.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        if not head.startswith(b"PK"):
            raise Refuse(None, None, "拡張子は .xlsx ですが Excel ファイルではありません（CSV なら拡張子を .csv にしてください）")
        return _xlsx_grid(data), "xlsx"
    if data[:2] not in (b"\xff\xfe", b"\xfe\xff") and b"\x00" in data[:65536]:
        raise Refuse(None, None, f"{NOT_TABLE}（バイナリデータを含みます）")
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError as exc:
        raise Refuse(None, None, "文字コードを読み取れません（UTF-8 または Shift_JIS の CSV を指定してください）") from exc
    _check_text(text)
    grid = fast_csv(text)
    if grid is None:
        grid = grid_from_rows(text_rows(text), text_cells=True)
    return grid, encoding
