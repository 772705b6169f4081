"""Decoding: bytes → rows of cells. Sniffs what the file is (refusing PDFs, images, old .xls, binaries),
decodes text (UTF-8 with or without BOM, CP932, UTF-16), splits CSV (comma, tab, semicolon), and hands
.xlsx to the bounded streaming reader. The canonical CSV takes a fast path through pyarrow.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from kpi import arrow_bytes
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


_LINES_BLOCK = 1 << 20  # characters handed to io.StringIO at a time (it holds 4 bytes a character)


def _lines(text: str) -> Iterable[str]:
    """The physical lines of a CSV text (ends: CRLF, LF or CR, kept), each refused when longer than any accepted
    record can be. A large text is split a block at a time, so no copy of all of it is made."""
    if len(text) <= _LINES_BLOCK:
        return io.StringIO(text, newline="")
    return _bounded(_blocks_of_lines(text))


def _blocks_of_lines(text: str) -> Iterator[str]:
    start, n = 0, len(text)
    while start < n:
        end = start + _LINES_BLOCK
        if end < n:  # cut after a line end that is not the CR of a CRLF
            cut = text.rfind("\n", start, end)
            if cut < 0:
                cut = text.rfind("\r", start, end - 1)
                while cut >= 0 and text[cut + 1] == "\n":
                    cut = text.rfind("\r", start, cut)
            if cut < 0:  # no line ends in this block: one long line, to its end or far enough to refuse it
                ends = [i for i in (text.find("\n", end), text.find("\r", end)) if i >= 0]
                cut = min(min(ends, default=n), start + limits.MAX_CSV_LINE_CHARS + 1)
                if text[cut:cut + 2] == "\r\n":
                    cut += 1
            end = cut + 1
        yield from io.StringIO(text[start:end], newline="")
        start = end


def _bounded(lines: Iterable[str]) -> Iterator[str]:
    for n, line in enumerate(lines, start=1):
        if len(line) > limits.MAX_CSV_LINE_CHARS:
            raise Refuse(n, None, f"1行が長すぎます（{limits.MAX_CSV_LINE_CHARS:,}文字を超えています）。列が多すぎるか、セルが長すぎます"
                                  f"（上限 {limits.MAX_CSV_COLUMNS:,}列、セルは {limits.MAX_CELL_CHARS:,}文字、備考は {limits.MAX_NOTE_CHARS:,}文字まで）")
        yield line


def too_many_columns(n: int) -> str:
    return f"列が多すぎます（{n:,}列、上限 {limits.MAX_CSV_COLUMNS:,}列）。実績の列だけのファイルにしてください"


def too_many_rows(n: int | None = None) -> str:
    count = f"{n:,}行、" if n is not None else ""
    return f"行が多すぎます（{count}上限 {limits.MAX_RECORDS:,}行）。ファイルを分けてください"


def too_many_cells(rows: int | None = None, columns: int | None = None) -> str:
    shape = f"{rows:,}行×{columns:,}列、" if rows is not None and columns is not None else ""
    return f"セルが多すぎます（{shape}上限 {limits.MAX_CSV_CELLS:,}セル）。ファイルを分けてください"


def text_rows(text: str) -> Iterator[tuple[int, list]]:
    """(line, cells) of every non-empty CSV record; Refuse beyond the column, cell and time limits."""
    reader = csv.reader(_lines(text), delimiter=sniff(text))
    n = cells = 0
    try:
        for n, row in enumerate(reader, start=1):
            if len(row) > limits.MAX_CSV_COLUMNS:
                raise Refuse(n, None, too_many_columns(len(row)))
            cells += len(row)
            if cells > limits.MAX_CSV_CELLS:
                raise Refuse(None, None, too_many_cells())
            if not n & 4095:
                limits.check_time()
            if "".join(row).strip():
                yield n, row
    except csv.Error as exc:
        raise Refuse(n + 1 or None, None, "CSV として読めません（引用符「\"」の対応や改行が正しくありません）") from exc


def fast_csv(text: str, utf8: bytes | None = None) -> Grid | None:
    """The canonical layout with the header on line 1, parsed by pyarrow; None when the file needs the careful path.

    ``utf8`` is the text's UTF-8 bytes when the file already was UTF-8 (saves encoding the text again).
    """
    end = text.find("\n", 0, limits.MAX_CSV_LINE_CHARS + 1)
    if end < 0:
        return None
    first = text[:end]
    if "\r" in first.rstrip("\r"):
        return None
    delimiter = sniff(first)
    if first.count(delimiter) >= limits.MAX_CSV_COLUMNS:  # an upper bound (quoted delimiters count too): let the careful path count
        return None
    try:
        header = next(csv.reader([first.rstrip("\r")], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    cols, _months = header_map(header)
    if "indicator_id" not in cols or "month" not in cols or "value" not in cols:
        return None
    data = text.encode("utf-8") if utf8 is None else utf8
    lines = data.count(b"\n") - (1 if data[-1:] == b"\n" else 0)
    if lines > limits.MAX_RECORDS:
        raise Refuse(None, None, too_many_rows(lines))
    if lines * len(header) > limits.MAX_CSV_CELLS:
        raise Refuse(None, None, too_many_cells(lines + 1, len(header)))
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            arrow_bytes.reader(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                                                 null_values=[""], quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        return None
    # one record per line, or Excel row numbers would be wrong (quoted line breaks, lone CRs)
    if table.num_rows != lines or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
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


def is_xlsx(data: bytes, filename: str) -> bool:
    """Read as Excel: a zip's signature, or the name says so (then anything else is refused as a false .xlsx)."""
    return data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))


def load(data: bytes, filename: str) -> tuple[Grid, str]:
    """The file as a Grid, and the encoding it was read with ("xlsx" for Excel); Refuse for a file that is not a table."""
    if not data or data.isspace():
        raise Refuse(None, None, "ファイルが空です")
    head = data[:8]
    for magic, message in _MAGIC:
        if head.startswith(magic):
            raise Refuse(None, None, message)
    if is_xlsx(data, filename):
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
    utf8 = None
    if encoding == "utf-8-sig":  # the file's own bytes are the UTF-8 the fast path reads (without its BOM)
        utf8 = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    grid = fast_csv(text, utf8)
    if grid is None:
        grid = grid_from_rows(text_rows(text), text_cells=True)
    return grid, encoding
