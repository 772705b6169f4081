"""Reading .xlsx with bounded memory and time (part of decoding).

An .xlsx is a zip of XML. Before anything is inflated, the zip's directory is checked:
member count, each member's inflated size and compression ratio, the total, and the size
of the shared-strings table (``limits``). The chosen sheet is then streamed through expat
(pyexpat handlers, no element tree), so memory stays flat whatever the row count; while
streaming, the sheet's declared dimension, the rows, cells, shared strings, the length of
any one text, the nesting depth, the bytes the parser holds without an event (a huge tag
or comment) and the elapsed time are all bounded. A DTD is refused outright: Excel never
writes one, and it is how entity-expansion bombs start.

Cells come out as Python values as openpyxl would give them (str, float, datetime, bool),
with percent-formatted numbers ×100 and date-formatted numbers as datetimes.
"""
from __future__ import annotations

import datetime as dt
import io
import posixpath
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pyexpat import ExpatError, ParserCreate

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

from kpi.reader import limits
from kpi.reader.cells import excel_date, norm
from kpi.reader.result import Refuse

CHUNK = 1 << 20
MAX_COLUMNS = 16384  # Excel's XFD
BROKEN = "Excel ファイル（.xlsx）として開けません（ファイルが壊れている可能性があります）"
RESAVE = "Excel で開いて保存し直すか、CSV で保存したファイルを指定してください"
# Number formats that Excel's Japanese locale shows as dates (ids without a code in the file).
_DATE_IDS = frozenset({*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)})
_PERCENT_IDS = frozenset({9, 10})
GENERAL, PERCENT, DATE = 0, 1, 2
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)


def _mb(n: int) -> str:
    mb = n / (1024 * 1024)
    return f"{mb:,.0f} MB" if mb >= 10 else f"{mb:.1f} MB"


# --- the zip's directory -------------------------------------------------------------------

def _declared_members(data: bytes) -> int | None:
    """Member count from the end-of-central-directory record (zip64 too), before zipfile builds its list."""
    pos = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
    if pos < 0 or pos + 22 > len(data):
        return None
    count = int.from_bytes(data[pos + 10:pos + 12], "little")
    if count == 0xFFFF and pos >= 20 and data[pos - 20:pos - 16] == b"PK\x06\x07":
        offset = int.from_bytes(data[pos - 12:pos - 4], "little")
        if 0 <= offset and offset + 40 <= len(data) and data[offset:offset + 4] == b"PK\x06\x06":
            count = int.from_bytes(data[offset + 32:offset + 40], "little")
    return count


def open_zip(data: bytes) -> zipfile.ZipFile:
    """The zip, refused when its directory promises more than the limits allow."""
    declared = _declared_members(data)
    if declared is not None and declared > limits.MAX_ZIP_MEMBERS:
        raise Refuse(None, None, f"Excel ファイルの中のファイルが多すぎます（{declared:,}個、上限 {limits.MAX_ZIP_MEMBERS:,}個）。{RESAVE}")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except _ZIP_ERRORS as exc:
        raise Refuse(None, None, BROKEN) from exc
    if len(infos) > limits.MAX_ZIP_MEMBERS:
        raise Refuse(None, None, f"Excel ファイルの中のファイルが多すぎます（{len(infos):,}個、上限 {limits.MAX_ZIP_MEMBERS:,}個）。{RESAVE}")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.RATIO_FLOOR_BYTES and info.file_size > limits.MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise Refuse(None, None, f"Excel ファイルの中身が異常な比率で圧縮されています（{_mb(info.compress_size)} が {_mb(info.file_size)}、"
                                     f"{ratio:,.0f}倍に展開されます。上限 {limits.MAX_COMPRESSION_RATIO}倍）。{RESAVE}")
    if total > limits.MAX_UNCOMPRESSED_BYTES:
        raise Refuse(None, None, f"Excel ファイルを展開すると大きすぎます（{_mb(total)}、上限 {_mb(limits.MAX_UNCOMPRESSED_BYTES)}）。{RESAVE}")
    return z


# --- bounded XML -------------------------------------------------------------------------

def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _no_dtd(*_args) -> None:
    raise Refuse(None, None, f"Excel ファイルとして読めない内容（DTD）が含まれています。{RESAVE}")


def _parser():
    p = ParserCreate()
    p.buffer_text = True
    p.StartDoctypeDeclHandler = _no_dtd
    p.EntityDeclHandler = _no_dtd
    return p


def _chunks(z: zipfile.ZipFile, name: str, p, max_bytes: int, deadline: float) -> Iterator[None]:
    """Stream one member through an expat parser a chunk at a time, bounding bytes, held tokens and time.

    Yields after each chunk, so a caller can take what the handlers collected (the parser pushes, callers pull).
    """
    fed = 0
    try:
        with z.open(name) as fh:
            while True:
                chunk = fh.read(CHUNK)
                fed += len(chunk)
                if fed > max_bytes:
                    raise Refuse(None, None, f"Excel ファイルの {posixpath.basename(name)} が大きすぎます（上限 {_mb(max_bytes)}）。{RESAVE}")
                p.Parse(chunk, not chunk)
                if fed - max(p.CurrentByteIndex, 0) > limits.MAX_XML_TOKEN_BYTES:
                    raise Refuse(None, None, f"Excel ファイルの構造が正しくありません（巨大な要素があります）。{RESAVE}")
                if time.monotonic() > deadline:
                    raise Refuse(None, None, f"Excel ファイルの読み取りに時間がかかりすぎるため中止しました（{limits.MAX_XLSX_SECONDS:.0f}秒）。"
                                             "不要な行や書式を削除して保存し直してください")
                yield
                if not chunk:
                    return
    except ExpatError as exc:
        raise Refuse(None, None, BROKEN) from exc
    except _ZIP_ERRORS as exc:
        raise Refuse(None, None, BROKEN) from exc


def _feed(z: zipfile.ZipFile, name: str, p, max_bytes: int, deadline: float) -> None:
    for _ in _chunks(z, name, p, max_bytes, deadline):
        pass


def _small(z: zipfile.ZipFile, name: str, start: Callable[[str, dict], None], deadline: float) -> None:
    """Parse a small part (workbook, rels, styles) calling ``start(local_name, attrs)`` per element."""
    p = _parser()
    p.StartElementHandler = lambda n, a: start(_local(n), a)
    _feed(z, name, p, limits.MAX_META_XML_BYTES, deadline)


# --- workbook, styles, shared strings ------------------------------------------------------

@dataclass
class Workbook:
    sheet_path: str
    date1904: bool
    styles: list[int] = field(default_factory=list)  # per xf index: GENERAL, PERCENT or DATE
    shared: list[str] = field(default_factory=list)


def _resolve(target: str, base: str = "xl") -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(base, target))


def _sheet_path(z: zipfile.ZipFile, names: set[str], deadline: float) -> tuple[str, bool]:
    """The worksheet named 実績, else the first worksheet; and whether dates count from 1904."""
    sheets: list[tuple[str, str]] = []
    flags = {"date1904": False}

    def on_workbook(tag: str, attrs: dict) -> None:
        if tag == "sheet" and len(sheets) < 1000:
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            sheets.append((str(attrs.get("name", "")), rid))
        elif tag == "workbookPr":
            flags["date1904"] = str(attrs.get("date1904", "")).lower() in ("1", "true")

    _small(z, "xl/workbook.xml", on_workbook, deadline)
    rels: dict[str, tuple[str, str]] = {}

    def on_rel(tag: str, attrs: dict) -> None:
        if tag == "Relationship" and len(rels) < 10_000:
            rels[str(attrs.get("Id", ""))] = (str(attrs.get("Target", "")), str(attrs.get("Type", "")))

    if "xl/_rels/workbook.xml.rels" in names:
        _small(z, "xl/_rels/workbook.xml.rels", on_rel, deadline)
    worksheets = []
    for name, rid in sheets:
        target, kind = rels.get(rid, ("", ""))
        path = _resolve(target) if target else ""
        if path in names and not kind.endswith("/chartsheet"):
            worksheets.append((name, path))
    if not worksheets:
        raise Refuse(None, None, "Excel ファイルにシートがありません")
    path = next((p for n, p in worksheets if norm(n) == "実績"), worksheets[0][1])
    return path, flags["date1904"]


def _styles(z: zipfile.ZipFile, names: set[str], deadline: float) -> list[int]:
    """Per cell style (xf index): whether its number format shows a percentage or a date."""
    if "xl/styles.xml" not in names:
        return []
    codes: dict[int, str] = {}
    xfs: list[int] = []
    where = {"cellXfs": False}

    def on_style(tag: str, attrs: dict) -> None:
        if tag == "numFmt" and len(codes) < 100_000:
            try:
                codes[int(attrs.get("numFmtId", -1))] = str(attrs.get("formatCode", ""))
            except ValueError:
                pass
        elif tag == "cellXfs":
            where["cellXfs"] = True
        elif tag == "cellStyles":
            where["cellXfs"] = False
        elif tag == "xf" and where["cellXfs"] and len(xfs) < 100_000:
            try:
                xfs.append(int(attrs.get("numFmtId", 0)))
            except ValueError:
                xfs.append(0)

    _small(z, "xl/styles.xml", on_style, deadline)
    return [_kind(i, codes.get(i)) for i in xfs]


def _kind(fmt_id: int, code: str | None) -> int:
    code = code if code is not None else BUILTIN_FORMATS.get(fmt_id)
    if code is None:
        return DATE if fmt_id in _DATE_IDS else PERCENT if fmt_id in _PERCENT_IDS else GENERAL
    if "%" in code:
        return PERCENT
    try:
        return DATE if is_date_format(code) else GENERAL
    except Exception:  # an odd format code is shown as a number, never a refusal
        return GENERAL


def _shared_strings(z: zipfile.ZipFile, names: set[str], deadline: float) -> list[str]:
    """The shared-strings table (phonetic guides left out), bounded in count and text length."""
    path = next((n for n in ("xl/sharedStrings.xml", "xl/SharedStrings.xml") if n in names), None)
    if path is None:
        return []
    if z.getinfo(path).file_size > limits.MAX_SHARED_STRINGS_BYTES:
        raise Refuse(None, None, f"Excel ファイルの共有文字列が大きすぎます（{_mb(z.getinfo(path).file_size)}、"
                                 f"上限 {_mb(limits.MAX_SHARED_STRINGS_BYTES)}）。{RESAVE}")
    out: list[str] = []
    parts: list[str] = []
    state = {"t": False, "rph": 0, "chars": 0}
    too_many = f"Excel ファイルの共有文字列が多すぎます（上限 {limits.MAX_SHARED_STRINGS:,}）。{RESAVE}"

    def start(name: str, attrs: dict) -> None:
        tag = _local(name)
        if tag == "t":
            state["t"] = state["rph"] == 0
        elif tag == "si":
            parts.clear()
            state["chars"] = 0
        elif tag == "rPh":
            state["rph"] += 1
        elif tag == "sst":  # the declared count refuses a huge table before it is read
            declared = str(attrs.get("uniqueCount", "0"))
            if declared.isdigit() and int(declared) > limits.MAX_SHARED_STRINGS:
                raise Refuse(None, None, too_many)

    def end(name: str) -> None:
        tag = _local(name)
        if tag == "t":
            state["t"] = False
        elif tag == "rPh":
            state["rph"] -= 1
        elif tag == "si":
            if len(out) >= limits.MAX_SHARED_STRINGS:
                raise Refuse(None, None, too_many)
            out.append("".join(parts))

    def chars(data: str) -> None:
        if state["t"]:
            state["chars"] += len(data)
            if state["chars"] > limits.MAX_XML_TEXT_CHARS:
                raise Refuse(None, None, f"Excel ファイルに文字数が多すぎるセルがあります（上限 {limits.MAX_XML_TEXT_CHARS:,}文字）。{RESAVE}")
            parts.append(data)

    p = _parser()
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    _feed(z, path, p, limits.MAX_SHARED_STRINGS_BYTES, deadline)
    return out


def open_workbook(data: bytes) -> tuple[zipfile.ZipFile, Workbook, float]:
    """Check the zip, find the sheet, read styles and shared strings; the deadline for the whole read."""
    deadline = time.monotonic() + limits.MAX_XLSX_SECONDS
    z = open_zip(data)
    names = set(z.namelist())
    if "xl/workbook.xml" not in names:
        raise Refuse(None, None, "ZIP 形式のファイルですが Excel（.xlsx）ではありません。CSV または .xlsx を指定してください")
    path, date1904 = _sheet_path(z, names, deadline)
    return z, Workbook(path, date1904, _styles(z, names, deadline), _shared_strings(z, names, deadline)), deadline


# --- the sheet, streamed -------------------------------------------------------------------

def _column(ref: str, letters: dict[str, int]) -> int | None:
    """0-based column of a cell reference (B12 → 1); None when the reference is not one."""
    key = ref.rstrip("0123456789")
    i = letters.get(key)
    if i is None:
        if not key or len(key) > 3 or not key.isascii() or not key.isalpha() or not key.isupper():
            return None
        n = 0
        for ch in key:
            n = n * 26 + ord(ch) - 64
        i = letters[key] = n - 1
    return i


def _dimension_rows(ref: str) -> tuple[int, int] | None:
    """(rows, columns) a sheet's declared dimension spans (A1:F1000001 → (1000001, 6))."""
    last = ref.split(":")[-1].replace("$", "")
    digits = last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    col = _column(last, {})
    if not digits.isdigit() or col is None:
        return None
    return int(digits), col + 1


def _value(text: str, kind: str | None, style: str | None, wb: Workbook):
    """A cell's value from its type attribute, text and style.

    Plain numbers stay as their text (the checks parse text; this saves a float round trip per cell);
    percent-formatted numbers are ×100 floats, date-formatted ones datetimes, as openpyxl would give them.
    """
    if kind is None or kind == "n":
        if not text:
            return None
        fmt = GENERAL
        if style is not None and style != "0":
            try:
                fmt = wb.styles[int(style)]
            except (ValueError, IndexError):
                fmt = GENERAL
        if fmt == GENERAL:
            return text
        try:
            number = float(text)
        except ValueError:
            return text  # not a number after all: the checks say so, naming the cell
        if fmt == PERCENT:
            return round(number * 100, 10)
        return excel_date(number, wb.date1904) or number
    if kind == "s":
        try:
            i = int(text)
            if i < 0:
                raise IndexError(i)
            return wb.shared[i]
        except (ValueError, IndexError):
            raise Refuse(None, None, BROKEN + "（共有文字列の参照が正しくありません）") from None
    if kind == "b":
        return "TRUE" if text.strip() in ("1", "true") else "FALSE"
    if kind == "d":
        try:
            return dt.datetime.fromisoformat(text.strip())
        except ValueError:
            return text
    return text  # inlineStr, str (a formula's text), e (an error such as #N/A)


_PRESCAN_SLACK = 10_000  # tags cut by chunk boundaries, <rowBreaks>: the exact limits are the parser's


def prescan(z: zipfile.ZipFile, path: str, deadline: float) -> None:
    """Count row and cell tags in the inflated sheet before parsing it: inflating and counting is ~20× faster than
    parsing, so a sheet of millions of (empty) rows is refused in a fraction of a second. Stops at the first limit crossed."""
    rows = cells = 0
    row_tag, cell_tag = b"<row", b"<c "
    try:
        with z.open(path) as fh:
            first = True
            while chunk := fh.read(4 * CHUNK):
                if first and b":sheetData" in chunk:  # a prefixed file (<x:row …>)
                    row_tag, cell_tag = b":row", b":c "
                first = False
                rows += chunk.count(row_tag)
                cells += chunk.count(cell_tag)
                if rows > limits.MAX_ROWS + _PRESCAN_SLACK:
                    raise Refuse(None, None, f"Excel ファイルの行が多すぎます（上限 {limits.MAX_ROWS:,}行）。{RESAVE}")
                if cells > limits.MAX_CELLS + _PRESCAN_SLACK:
                    raise Refuse(None, None, f"Excel ファイルのセルが多すぎます（上限 {limits.MAX_CELLS:,}）。{RESAVE}")
                if time.monotonic() > deadline:
                    raise Refuse(None, None, f"Excel ファイルの読み取りに時間がかかりすぎるため中止しました（{limits.MAX_XLSX_SECONDS:.0f}秒）。"
                                             "不要な行や書式を削除して保存し直してください")
    except _ZIP_ERRORS as exc:
        raise Refuse(None, None, BROKEN) from exc


def sheet_rows(z: zipfile.ZipFile, wb: Workbook, deadline: float, prescanned: bool = False) -> Iterator[tuple[int, list]]:
    """(Excel row, cells) of every non-empty row of the sheet, streamed chunk by chunk (after ``prescan``).

    The general reader: any well-formed sheet. The handlers run once per XML element of a million-row sheet,
    so their state lives in closure variables and the per-cell work is kept to a minimum.
    """
    if not prescanned:
        prescan(z, wb.sheet_path, deadline)
    done: list[tuple[int, list]] = []
    letters: dict[str, int] = {}
    converted: dict = {}
    shared, styles = wb.shared, wb.styles
    plain_styles = {str(i) for i, kind in enumerate(styles) if kind == GENERAL} | {"0"}
    in_cell = in_row = text_on = False
    attrs: dict = {}
    text = ""
    row: list = []
    row_n = pos = n_rows = n_cells = depth = rph = 0

    def start(name: str, a: dict) -> None:
        nonlocal in_cell, in_row, text_on, attrs, text, row, row_n, pos, n_rows, n_cells, depth, rph
        tag = name if ":" not in name else _local(name)
        if tag == "c":
            if in_cell:
                raise Refuse(row_n, None, BROKEN)
            in_cell, attrs, text = True, a, ""
            n_cells += 1
            if n_cells > limits.MAX_CELLS:
                raise Refuse(None, None, f"Excel ファイルのセルが多すぎます（上限 {limits.MAX_CELLS:,}）。{RESAVE}")
        elif tag == "v":
            text_on = in_cell
        elif tag == "row":
            if in_row:
                raise Refuse(row_n, None, BROKEN)
            in_row, row, pos = True, [], 0
            r = a.get("r")
            row_n = int(r) if r and r.isdigit() and r[0] != "0" else row_n + 1
            n_rows += 1
            if row_n > limits.MAX_ROWS or n_rows > limits.MAX_ROWS:
                raise Refuse(None, None, f"Excel ファイルの行が多すぎます（上限 {limits.MAX_ROWS:,}行）。{RESAVE}")
        else:
            depth += 1
            if depth > limits.MAX_XML_DEPTH:
                raise Refuse(None, None, f"Excel ファイルの構造が正しくありません（入れ子が深すぎます）。{RESAVE}")
            if tag == "t":
                text_on = in_cell and rph == 0
            elif tag == "rPh":
                rph += 1
            elif tag == "dimension":
                _check_dimension(str(a.get("ref", "")))

    def end(name: str) -> None:
        nonlocal in_cell, in_row, text_on, pos, depth, rph
        tag = name if ":" not in name else _local(name)
        if tag == "c":
            in_cell = text_on = False
            ref = attrs.get("r")
            i = letters.get(ref.rstrip("0123456789")) if ref else None
            if i is None:
                i = _column(ref, letters) if ref else None
                if i is None:
                    i = pos
                if i >= MAX_COLUMNS:
                    raise Refuse(row_n, None, BROKEN + "（列の位置が正しくありません）")
            pos = i + 1
            kind = attrs.get("t")
            if kind == "s" and text.isdigit() and int(text) < len(shared):  # the common cases first, inline
                v = shared[int(text)]
            elif kind == "inlineStr":
                v = text
            elif (kind is None or kind == "n") and attrs.get("s", "0") in plain_styles:
                v = text or None
            else:
                key = (kind, attrs.get("s"), text)  # a date or percent column repeats its values: convert each once
                v = converted.get(key, converted)
                if v is converted:
                    try:
                        v = _value(text, kind, key[1], wb)
                    except Refuse as refuse:
                        raise Refuse(row_n, None, refuse.problem.message) from None
                    if len(converted) < 100_000:
                        converted[key] = v
            n = len(row)
            if i == n:
                row.append(v)
            elif i > n:
                row.extend([None] * (i - n))
                row.append(v)
            else:
                row[i] = v
        elif tag == "v":
            text_on = False
        elif tag == "row":
            in_row = False
            while row and (row[-1] is None or (type(row[-1]) is str and not row[-1].strip())):
                row.pop()
            if row:
                done.append((row_n, row))
        else:
            depth -= 1
            if tag == "t":
                text_on = False
            elif tag == "rPh":
                rph -= 1

    def on_text(data: str) -> None:
        nonlocal text
        if text_on:
            text = text + data if text else data
            if len(text) > limits.MAX_XML_TEXT_CHARS:
                raise Refuse(row_n, None, f"セルの文字数が多すぎます（上限 {limits.MAX_XML_TEXT_CHARS:,}文字）")

    p = _parser()
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, on_text
    for _ in _chunks(z, wb.sheet_path, p, limits.MAX_UNCOMPRESSED_BYTES, deadline):
        if done:
            yield from done
            done.clear()


def _check_dimension(ref: str) -> None:
    spans = _dimension_rows(ref)
    if spans is None:
        return
    rows, cols = spans
    if rows > limits.MAX_ROWS or cols > MAX_COLUMNS or rows * cols > 5 * limits.MAX_CELLS:
        raise Refuse(None, None, f"Excel ファイルのシートの範囲が大きすぎます（{ref[:40]}、上限 {limits.MAX_ROWS:,}行）。{RESAVE}")
