"""The fast path for a sheet's cells: regular expressions over the inflated XML instead of a callback per element.

Excel, LibreOffice and openpyxl write cells in a handful of shapes (``<c r="B2" s="1" t="s"><v>3</v></c>``,
inline strings, formulas with cached values). One ``findall`` per 4 MB block turns them into tuples in C, about
2.5× faster than expat's handlers. Anything else — rich text, phonetic guides, CDATA, namespace prefixes, a DTD,
any cell the pattern does not match (the count of ``<c`` tags in a block must equal the matches), a block without
a row end — raises ``Fallback`` and the caller reads the whole sheet again with the general expat reader
(``xlsx.sheet_rows``), which also applies every limit. The rows come out exactly as from ``xlsx.sheet_rows``.
"""
from __future__ import annotations

import html
import re
import time
import zipfile
from collections.abc import Iterator

from kpi.reader import limits
from kpi.reader.result import Refuse
from kpi.reader.xlsx import BROKEN, CHUNK, GENERAL, MAX_COLUMNS, RESAVE, Workbook, _check_dimension, _column, _value

_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="([0-9]{1,6})")?(?: t="([a-zA-Z]{1,9})")?'
    rb'(?:/>|>(?:<f(?: [^>]*)?(?:/>|>[^<]*</f>))?(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)')
_DIMENSION = re.compile(rb'<dimension ref="([^"]{0,64})"')
_PROLOG_LIMIT = 4 * CHUNK


class Fallback(Exception):  # noqa: N818 - control flow: read this sheet with the general reader
    pass


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return html.unescape(text) if "&" in text else text


def _blocks(z: zipfile.ZipFile, path: str, deadline: float) -> Iterator[bytes]:
    """The inside of <sheetData>, in blocks that end after a </row> (so no cell is cut)."""
    with z.open(path) as fh:
        buf = b""
        while b"<sheetData>" not in buf:  # the prolog: views, formats, the declared dimension
            chunk = fh.read(CHUNK)
            if not chunk or len(buf) > _PROLOG_LIMIT or b"<sheetData/>" in buf + chunk:
                raise Fallback
            buf += chunk
        prolog, _, buf = buf.partition(b"<sheetData>")
        if b"<!" in prolog or b":worksheet" in prolog:  # a DTD, or prefixed names: the general reader decides
            raise Fallback
        dim = _DIMENSION.search(prolog)
        if dim:
            _check_dimension(dim.group(1).decode("ascii", "replace"))
        while True:
            end = buf.find(b"</sheetData>")
            if end >= 0:
                yield buf[:end]
                return
            cut = buf.rfind(b"</row>")
            if cut >= 0:
                yield buf[:cut + 6]
                buf = buf[cut + 6:]
            if len(buf) > limits.MAX_XML_TOKEN_BYTES or time.monotonic() > deadline:
                raise Fallback  # a row this long, or time is up: the general reader refuses with the right message
            chunk = fh.read(4 * CHUNK)
            if not chunk:
                raise Fallback
            buf += chunk


def fast_rows(z: zipfile.ZipFile, wb: Workbook, deadline: float) -> Iterator[tuple[int, list]]:
    """(Excel row, cells) of every non-empty row, as ``xlsx.sheet_rows`` gives them; Fallback when unsure.

    The loop runs once per cell of a million-row sheet: repeated texts are decoded once, a row number is
    converted only when it changes, and the usual cases come first.
    """
    shared, styles = wb.shared, wb.styles
    plain = {str(i).encode() for i, kind in enumerate(styles) if kind == GENERAL} | {b"", b"0"}
    letters: dict[bytes, int] = {}
    converted: dict = {}
    texts: dict[bytes, str] = {}
    num_now, row_n, row = b"", 0, []
    try:
        for block in _blocks(z, wb.sheet_path, deadline):
            cells = _CELL.findall(block)
            if len(cells) != block.count(b"<c"):  # a cell in any other shape (rich text, CDATA, attributes in another order …)
                raise Fallback
            for col, num, style, kind, v, inline in cells:
                if num != num_now:
                    while row and (row[-1] is None or (type(row[-1]) is str and not row[-1].strip())):
                        row.pop()
                    if row:
                        yield row_n, row
                    num_now, row_n, row = num, int(num), []
                    if row_n > limits.MAX_ROWS or row_n < 1:
                        raise Refuse(None, None, f"Excel ファイルの行が多すぎます（上限 {limits.MAX_ROWS:,}行）。{RESAVE}")
                i = letters.get(col)
                if i is None:
                    i = letters[col] = _column(col.decode("ascii"), {})
                    if i >= MAX_COLUMNS:
                        raise Refuse(row_n, None, BROKEN + "（列の位置が正しくありません）")
                if kind == b"s":
                    if not v.isdigit() or int(v) >= len(shared):
                        raise Refuse(row_n, None, BROKEN + "（共有文字列の参照が正しくありません）")
                    value = shared[int(v)]
                elif kind == b"inlineStr":
                    value = texts.get(inline)
                    if value is None:
                        value = _text(inline)
                        if len(inline) < 64 and len(texts) < 100_000:
                            texts[inline] = value
                elif (kind == b"" or kind == b"n") and style in plain:
                    value = v.decode("ascii", "replace") or None
                else:
                    key = (kind, style, v)
                    value = converted.get(key, converted)
                    if value is converted:
                        try:
                            value = _value(_text(v), kind.decode() or None, style.decode() or None, wb)
                        except Refuse as refuse:
                            raise Refuse(row_n, None, refuse.problem.message) from None
                        if len(converted) < 100_000:
                            converted[key] = value
                width = len(row)
                if i == width:
                    row.append(value)
                elif i > width:
                    row.extend([None] * (i - width))
                    row.append(value)
                else:
                    row[i] = value
        while row and (row[-1] is None or (type(row[-1]) is str and not row[-1].strip())):
            row.pop()
        if row:
            yield row_n, row
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise Fallback from exc
