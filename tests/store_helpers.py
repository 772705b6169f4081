"""Helpers for the store, reader and reliability tests: snapshots, hand-made .xlsx files, bombs, the fuzz corpus.

Kept out of conftest.py (shared with the rest of the suite); import what you need from here.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


ROOT = Path(__file__).resolve().parent.parent


def kill_mid_write(writer: str, store_root: Path, rows: int, delay: float) -> None:
    """Start ``writer`` (a script that prints "ready", then writes batches of ``rows`` rows in a loop) on the store,
    and SIGKILL it ``delay`` seconds after it is ready: a process dying somewhere inside a write."""
    proc = subprocess.Popen([sys.executable, "-c", writer, str(store_root), str(rows)], cwd=ROOT, stdout=subprocess.PIPE,
                            env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def store_state(store, files: bool = False) -> dict[str, str]:
    """What a store holds, to compare before and after: a folder's files with their hashes (``snapshot``), or for
    another kind of store its counts and checksum (kpi.store.copy.summary) and version; ``files``: one key per item."""
    from kpi.store import FolderStore
    from kpi.store.copy import summary

    if isinstance(store, FolderStore):
        return snapshot(store.root)
    if files:  # one key per batch, event and record: "nothing deleted" is then a subset test
        keys = {f"batch/{m['batch_id']}": m["sha256"] for m in store.batch_metas()}
        keys |= {f"event/{e['event_id']}": e["type"] for e in store.events()}
        return keys | {f"{f}/{r.get('record_id')}": "" for f in ("evaluation", "checkins", "materials") for r in store.records(f)}
    s = summary(store)
    return {"counts": repr(s.counts), "checksum": s.checksum, "version": repr(store.version())}


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under the store with the sha256 of its bytes (logs left out: they record refusals)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel.split(os.sep)[0] == "logs":
            continue
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root) + "/"] = "dir"
        for f in filenames:
            path = os.path.join(dirpath, f)
            out[os.path.relpath(path, root)] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return out


# --- hand-made .xlsx -----------------------------------------------------------------------

WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            '<sheets><sheet name="実績" sheetId="1" r:id="rId1"/></sheets></workbook>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{SHEET_REL}" Target="worksheets/sheet1.xml"/></Relationships>')
STYLES = (f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN_NS}"><numFmts count="1">'
          '<numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
          '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="31"/></cellXfs></styleSheet>')
STYLE_DATE, STYLE_PERCENT, STYLE_JA_DATE = 1, 2, 3


def sheet_xml(rows: str, head: str = "") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}">{head}<sheetData>{rows}</sheetData></worksheet>'


def shared_xml(strings: list[str]) -> str:
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" uniqueCount="{len(strings)}">{items}</sst>'


def xlsx_parts(sheet: str | bytes | Iterator[bytes], shared: str | bytes | Iterator[bytes] | None = None, styles: str | None = STYLES,
               workbook: str = WORKBOOK, rels: str = RELS, extra: dict[str, bytes] | None = None) -> bytes:
    """An .xlsx zip from its parts; a part may be an iterator of byte chunks (compressed as it streams: bombs)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        if styles is not None:
            z.writestr("xl/styles.xml", styles)
        for name, part in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", shared)):
            if part is None:
                continue
            if isinstance(part, str | bytes):
                z.writestr(name, part)
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as fh:  # streamed: never the whole part in memory
                for chunk in part:
                    fh.write(chunk)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def cell(ref: str, value: str, kind: str | None = None, style: int | None = None) -> str:
    attrs = f' r="{ref}"' + (f' t="{kind}"' if kind else "") + (f' s="{style}"' if style is not None else "")
    if kind == "inlineStr":
        return f"<c{attrs}><is><t>{value}</t></is></c>"
    return f"<c{attrs}><v>{value}</v></c>"


def canonical_sheet(rows: list[list[tuple[str, str | None, int | None]]]) -> str:
    """Inline-string header 指標ID, 年月, 実績値 then the given rows of (value, type, style) cells."""
    out = ['<row r="1">' + "".join(cell(f"{c}1", h, "inlineStr") for c, h in zip("ABC", ("指標ID", "年月", "実績値"))) + "</row>"]
    for n, cells in enumerate(rows, start=2):
        out.append(f'<row r="{n}">' + "".join(cell(f"{'ABCDEF'[i]}{n}", v, k, s) for i, (v, k, s) in enumerate(cells)) + "</row>")
    return sheet_xml("".join(out))


# --- bombs -----------------------------------------------------------------------------------

def _repeat(unit: bytes, total: int, head: bytes = b"", tail: bytes = b"") -> Iterator[bytes]:
    yield head
    block = unit * max(1, (1 << 20) // len(unit))
    sent = 0
    while sent < total:
        yield block
        sent += len(block)
    yield tail


def bomb(kind: str, inflated: int = 1 << 30) -> bytes:
    """A small .xlsx that inflates to about ``inflated`` bytes: one huge cell, a huge shared-strings table, or empty rows."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
    tail = b"</sheetData></worksheet>"
    header_row = ('<row r="1">' + "".join(cell(f"{c}1", h, "inlineStr") for c, h in zip("ABC", ("指標ID", "年月", "実績値"))) + "</row>").encode()
    if kind == "huge_cell":
        shared = _repeat(b"A", inflated, f'<sst xmlns="{MAIN_NS}" uniqueCount="1"><si><t>'.encode(), b"</t></si></sst>")
        sheet = head + header_row + b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>' + tail
        return xlsx_parts(sheet, shared)
    if kind == "huge_shared_strings":
        shared = _repeat(b"<si><t>a</t></si>", inflated, f'<sst xmlns="{MAIN_NS}">'.encode(), b"</sst>")  # no declared count
        return xlsx_parts(head + header_row + tail, shared)
    if kind == "empty_rows":
        return xlsx_parts(_repeat(b"<row/>", inflated, head + header_row, tail))
    if kind == "numbered_empty_rows":  # compresses only ~7×: passes the ratio check, stopped by the row limit
        def rows() -> Iterator[bytes]:
            yield head + header_row
            for start in range(2, 3_000_000, 100_000):
                yield "".join(f'<row r="{i}"/>' for i in range(start, start + 100_000)).encode()
            yield tail
        return xlsx_parts(rows())
    if kind == "incompressible_cell":  # passes the ratio check (random text): stopped by the length of one text
        text = base64.b64encode(random.Random(3).randbytes(inflated // 4 * 3)).decode()
        return xlsx_parts(head + header_row + b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>' + tail,
                          f'<sst xmlns="{MAIN_NS}" uniqueCount="1"><si><t>{text}</t></si></sst>')
    if kind == "deep_nesting":  # elements that never close: the parser's stack, not the tree, would grow
        rng = random.Random(4)
        names = [f"n{rng.getrandbits(32):08x}" for _ in range(inflated // 12)]
        return xlsx_parts(head + header_row + "".join(f"<{n}>" for n in names).encode() + "".join(f"</{n}>" for n in reversed(names)).encode() + tail)
    if kind == "billion_laughs":  # entity expansion: refused at the DTD
        entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
        return xlsx_parts(head + header_row + b"</sheetData></worksheet>",
                          f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]><sst xmlns="{MAIN_NS}"><si><t>&a9;</t></si></sst>')
    if kind == "lying_size":  # the directory says 1 KB, the stream inflates to far more
        data = bytearray(bomb("huge_cell", 64 << 20))
        return _understate(bytes(data), "xl/sharedStrings.xml", 1024)
    raise ValueError(kind)


def _understate(data: bytes, name: str, size: int) -> bytes:
    """Rewrite a member's inflated size in the local header and the central directory."""
    out = bytearray(data)
    z = zipfile.ZipFile(io.BytesIO(data))
    info = z.getinfo(name)
    # zip64 members keep their sizes in an extra field; this helper is for the plain ones
    name_b = name.encode()
    pos = out.find(b"PK\x01\x02")
    while pos >= 0:
        n = int.from_bytes(out[pos + 28:pos + 30], "little")
        if out[pos + 46:pos + 46 + n] == name_b:
            out[pos + 24:pos + 28] = size.to_bytes(4, "little")
            break
        pos = out.find(b"PK\x01\x02", pos + 4)
    out[info.header_offset + 22:info.header_offset + 26] = size.to_bytes(4, "little")
    return bytes(out)


BOMBS = ("huge_cell", "huge_shared_strings", "empty_rows", "numbered_empty_rows", "incompressible_cell", "deep_nesting", "billion_laughs",
         "lying_size")


def deflate_ratio(data: bytes) -> float:
    return len(data) / max(1, len(zlib.compress(data)))


__all__ = ["BOMBS", "bomb", "canonical_sheet", "cell", "random", "shared_xml", "sheet_xml", "snapshot", "xlsx_parts"]


# --- the deterministic fuzz corpus -----------------------------------------------------------

IDS = ["K1-1", "K1-2", "K2-1", "K2-2", "K2-3", "K2-4", "K3-1", "K4-1", "K4-2", "K4-3", "K4-4", "K4-5", "K4-6", "K4-7", "K4-8"]
CELLS = ["", " ", "K1-1", "k1-1", "1-1", "K1－2", "2025/1/1", "K9-9", "2025-04", "2025-13", "2099-01", "令和元年5月", "R7.4", "0.25", "-5", "120",
         "1,5", "完了", "未着手", "25件", "25%", "nan", "inf", "-inf", "1e309", "1e308", "9e15", "1e15", "\"", "\"\"", "=1+1", "+cmd", "@SUM(A1)", "\t",
         "\r", "\n", "\x00", "指標ID", "年月", "実績値", "分子", "分母", "備考", "2025年4月", "2025年4月分", "△5", "１２３", "\ufeff", "\u2028", "𠮷",
         "R0.4", "H31.4", "令和0年4月", "0000-01", "9999-12", "10000-01", "202504", "2025/02/30", "1e-320", "-0", "+5", ".5", "5.", "1,234,567.5",
         "12:00", "2025-04-01 12:00", "Jan-01", "1-Jan", "ー", "未報告", "x" * 150, "9" * 400, "元年", "R", "平成31年4月", "R99.12", "2025年13月",
         "名", "時間", "%", "ﾀﾞ", "①", "¥", "\\", "**bold**", "[click](javascript:alert(1))", ":material/home:", "<b>x</b>", "\x1b[31m",
         "45748", "45747", "45748.5", "TRUE"]
HEADERS = ["指標ID", "年月", "実績値", "分子", "分母", "備考", "indicator_id", "month", "value", "numerator", "denominator", "note", "指標名", "単位",
           "2025年4月", "令和7年5月", "2025-06", "R7.7", "2026年1月", "", "id", "月", "実績", "x" * 200]
NOTE_SIZES = (0, 5, 999, 1000, 1001, 40_000, 2_100_000)


def _text_cell(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        return rng.choice(CELLS)
    if r < 0.75:
        return rng.choice(IDS) if rng.random() < 0.5 else f"2025-{rng.randint(1, 12):02d}"
    return "".join(rng.choice("0123456789,.-%年月KR令和") for _ in range(rng.randint(0, 9)))


_HOSTILE_NOTES = ["", "メモ", "=HYPERLINK(\"http://x\")", "+1", "-1", "@x", "**b**", "[click](javascript:alert(1))", ":material/home:", "\u2028改行",
                  "<script>alert(1)</script>", "\x1b[31m赤", "改行\nあり", "タブ\tあり", "　全角空白", "𠮷野家"]


def _valid_row(rng: random.Random, unit_ok: bool = True) -> list[str]:
    """A row the reader accepts (values within limits; the notes hostile but legal)."""
    iid = rng.choice(IDS)
    month = f"{rng.choice((2023, 2024, 2025))}-{rng.randint(1, 9):02d}"
    if iid == "K1-2":
        den = rng.randint(1, 10**rng.randint(1, 15))
        return [iid, month, "", str(rng.randint(0, den)), str(den), rng.choice(_HOSTILE_NOTES)]
    pct = iid in ("K2-1", "K3-1", "K4-5", "K4-6", "K4-8")
    value = rng.choice(["0", "1", "12", "99.5", "100", "1.5"]) if pct else rng.choice(["0", "1", "12", "1,523", "1e15", "3.5e14", "0.001"])
    note = "n" * rng.choice(NOTE_SIZES[:4]) if rng.random() < 0.1 else rng.choice(_HOSTILE_NOTES)
    return [iid, month, value, "", "", note]


def csv_input(rng: random.Random) -> tuple[str, bytes]:
    """A canonical or wide CSV, mostly valid, with random edits, encodings, delimiters, line ends and cuts."""
    if rng.random() < 0.6:
        header = ["指標ID", "年月", "実績値", "分子", "分母", "備考"] if rng.random() < 0.5 else ["indicator_id", "month", "value", "numerator",
                                                                                             "denominator", "note"]
        rows = [header] + [_valid_row(rng) for _ in range(rng.randint(1, 8))]
    else:
        header = [rng.choice(HEADERS) for _ in range(rng.randint(1, 7))]
        if rng.random() < 0.7:
            header[0] = "指標ID"
        rows = [header] + [[_text_cell(rng) for _ in range(rng.randint(0, len(header) + 1))] for _ in range(rng.randint(0, 6))]
    for _ in range(rng.choice((0, 0, 0, 1, 2, 4))):
        r = rng.randrange(len(rows))
        c = rng.randrange(max(1, len(rows[r]) + 1))
        if c >= len(rows[r]):
            rows[r].append(_text_cell(rng))
        else:
            rows[r][c] = _text_cell(rng)
    if rng.random() < 0.1:
        rows.insert(0, ["実績報告（タイトル行）"])
    delim, nl, quote = rng.choice([",", ",", ",", "\t", ";"] + ["|"] * (rng.random() < 0.1)), rng.choice(["\n", "\r\n", "\r"]), rng.random() < 0.3
    text = nl.join(delim.join(f'"{c}"' if quote else c for c in r) for r in rows) + (nl if rng.random() < 0.9 else "")
    data = text.encode(rng.choice(["utf-8", "utf-8", "utf-8-sig", "cp932", "utf-16", "latin-1"]), errors="replace")
    if rng.random() < 0.04:
        data = data[: rng.randint(0, len(data))]
    name = rng.choice(["実績.csv", "a.txt", "**bold**.csv", "[click](javascript:alert(1)).csv", "a.tsv", "noext"] + ["a.xlsx"] * (rng.random() < 0.1))
    return name, data


_XLSX_VALUES = [("K1-1", "inlineStr"), ("2025-04", "inlineStr"), ("45748", None), ("45748", "n"), ("1523", None), ("0.224", None), ("1", "b"),
                ("#N/A", "e"), ("2025-04-01T00:00:00", "d"), ("abc", "str"), ("0", "s"), ("1", "s"), ("99", "s"), ("-1", "s"), ("x", "s"),
                ("1e308", None), ("1E+16", None), ("", None), ("nan", None), ("K4-3", "inlineStr"), ("令和7年5月", "inlineStr")]


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xlsx_input(rng: random.Random) -> tuple[str, bytes]:
    """A hand-made .xlsx (inline and shared strings, styles, odd references and types), sometimes damaged."""
    shared = ["K1-1", "2025-05", "備考", "K2-4"]
    rows = ['<row r="1">' + "".join(cell(f"{c}1", h, "inlineStr") for c, h in zip("ABCDEF", ("指標ID", "年月", "実績値", "分子", "分母", "備考")))
            + "</row>"]
    valid = rng.random() < 0.5
    for n in range(2, rng.randint(3, 9)):
        cells = []
        if valid:  # a row the reader accepts, written as Excel does (strings, numbers, date cells)
            iid, month, value, num, den, note = _valid_row(rng)
            y, m = int(month[:4]), int(month[5:])
            serial = (dt.date(y, m, 1) - dt.date(1899, 12, 30)).days
            month_cell = cell(f"B{n}", str(serial), None, STYLE_DATE) if rng.random() < 0.5 else cell(f"B{n}", month, "inlineStr")
            num_cells = [cell(f"{c}{n}", x.replace(",", ""), None) for c, x in zip("CDE", (value, num, den)) if x]
            note_cell = [cell(f"F{n}", _xml_escape(note), "inlineStr")] if note and "\x1b" not in note else []
            rows.append(f'<row r="{n}">' + cell(f"A{n}", iid, "inlineStr") + month_cell + "".join(num_cells) + "".join(note_cell) + "</row>")
            continue
        for i in range(rng.randint(1, 6)):
            v, kind = rng.choice(_XLSX_VALUES)
            style = rng.choice([None, None, STYLE_DATE, STYLE_PERCENT, STYLE_JA_DATE, 7, "x"])
            ref = f"{'ABCDEF'[i]}{n}" if rng.random() < 0.9 else rng.choice(["", "ZZZZ1", "A0", "a1", "XFE1"])
            attrs = (f' r="{ref}"' if ref else "") + (f' t="{kind}"' if kind else "") + (f' s="{style}"' if style is not None else "")
            body = f"<is><t>{v}</t><rPh><t>よみ</t></rPh></is>" if kind == "inlineStr" else f"<v>{v}</v>"
            cells.append(f"<c{attrs}>{body}</c>")
        r_attr = f' r="{n}"' if rng.random() < 0.9 else rng.choice(["", ' r="0"', ' r="-3"', ' r="x"', ' r="2000000"'])
        rows.append(f"<row{r_attr}>{''.join(cells)}</row>")
    head = rng.choice(["", '<dimension ref="A1:F9"/>', '<dimension ref="A1:F9"/>'] + ['<dimension ref="A1:XFD1048577"/>', '<dimension ref="bogus"/>']
                      * (rng.random() < 0.2))
    sheet = sheet_xml("".join(rows), head)
    if rng.random() < 0.05:
        sheet = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + sheet.split("?>", 1)[1]
    data = xlsx_parts(sheet, shared_xml(shared) if rng.random() < 0.8 else None, STYLES if rng.random() < 0.8 else None)
    if rng.random() < 0.2:
        buf = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        data = bytes(buf)
    if rng.random() < 0.05:
        data = data[: rng.randint(0, len(data))]
    return rng.choice(["実績.xlsx", "a.xlsx", "**bold**.xlsx"]), data


def bytes_input(rng: random.Random) -> tuple[str, bytes]:
    """Things that are not tables at all."""
    kind = rng.random()
    if kind < 0.5:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    elif kind < 0.7:
        data = rng.choice([b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, b"PK\x03\x04junk", b"<html><table>",
                           b"\xef\xbb\xbf", b"\xff\xfe" + "指標ID,年月\n".encode("utf-16-le")])
    else:
        data = "".join(rng.choice(CELLS) + rng.choice([",", "\n"]) for _ in range(rng.randint(0, 30))).encode("utf-8", errors="replace")
    return rng.choice(["a.csv", "a.xlsx", "a.bin", ""]), data


def corpus(seed: int, n: int) -> Iterator[tuple[str, bytes]]:
    """``n`` deterministic inputs (file name, bytes): CSV (canonical and wide), hand-made .xlsx, and non-tables."""
    rng = random.Random(seed)
    for _ in range(n):
        r = rng.random()
        if r < 0.6:
            yield csv_input(rng)
        elif r < 0.85:
            yield xlsx_input(rng)
        else:
            yield bytes_input(rng)
