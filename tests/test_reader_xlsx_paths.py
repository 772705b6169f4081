"""The .xlsx fast path (regular expressions) gives exactly the rows of the general expat reader, or steps aside."""
from __future__ import annotations

import datetime as dt
import io
import random

import openpyxl
import pytest
from store_helpers import STYLE_DATE, STYLE_PERCENT, cell, sheet_xml, xlsx_input, xlsx_parts

from kpi.reader import read_actuals, sheet_fast, xlsx
from kpi.reader.result import Refuse


def both(data: bytes):
    """(fast rows or "fallback", general rows); a refusal is returned as its message."""
    def run(reader):
        try:
            z, wb, deadline = xlsx.open_workbook(data)
            with z:
                xlsx.prescan(z, wb.sheet_path, deadline)
                return list(reader(z, wb, deadline))
        except Refuse as refuse:
            return refuse.problem.message
        except sheet_fast.Fallback:
            return "fallback"
    return run(sheet_fast.fast_rows), run(lambda z, wb, d: xlsx.sheet_rows(z, wb, d, prescanned=True))


def test_the_paths_agree_on_the_fuzz_corpus():
    rng, fast_used = random.Random(7), 0
    for _ in range(400):
        _, data = xlsx_input(rng)
        fast, general = both(data)
        if fast != "fallback":
            assert fast == general, data[:300]
            fast_used += isinstance(fast, list)
    assert fast_used >= 100


def test_the_paths_agree_on_what_openpyxl_writes(policy):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["指標ID", "年月", "実績値", "分子", "分母", "備考"])
    ws.append(["K1-1", dt.datetime(2025, 4, 1), 1523, None, None, "＜メモ＆\"引用\"＞"])
    ws.append(["K1-2", dt.date(2025, 5, 1), 0.224, 448, 2000, None])
    ws.append(["K4-3", "令和7年6月", 12, None, None, "  前後に空白  "])
    ws.append(["K4-4", "2025-07", 3, None, None, "=1+1"])  # a formula without a cached value: an empty note
    ws["C3"].number_format = "0.0%"
    buf = io.BytesIO()
    wb.save(buf)
    fast, general = both(buf.getvalue())
    assert fast == general and len(fast) == 5
    assert read_actuals(buf.getvalue(), "a.xlsx", policy, today=dt.date(2025, 10, 1)).ok


@pytest.mark.parametrize("body", [
    '<c r="A2" t="inlineStr"><is><r><t>K1</t></r><r><t>-1</t></r></is></c>',  # rich text
    '<c r="A2" t="inlineStr"><is><t>K1-1</t><rPh sb="0" eb="1"><t>よみ</t></rPh></is></c>',  # a phonetic guide
    '<c t="inlineStr" r="A2"><is><t>K1-1</t></is></c>',  # attributes in another order
    '<c r="A2" t="inlineStr"><is><t><![CDATA[K1-1]]></t></is></c>',
])
def test_other_shapes_step_aside_to_the_general_reader(body, policy):
    rows = '<row r="1">' + "".join(cell(f"{c}1", h, "inlineStr") for c, h in zip("ABC", ("指標ID", "年月", "実績値"))) + "</row>"
    rows += f'<row r="2">{body}{cell("B2", "2025-04", "inlineStr")}{cell("C2", "5")}</row>'
    data = xlsx_parts(sheet_xml(rows))
    fast, general = both(data)
    assert fast == "fallback" and general[1] == (2, ["K1-1", "2025-04", "5"])
    res = read_actuals(data, "a.xlsx", policy, today=dt.date(2025, 10, 1))
    assert res.ok and res.rows[0].indicator_id == "K1-1"


def test_formulas_dates_and_percentages_on_the_fast_path():
    rows = ('<row r="1">' + cell("A1", "x", "inlineStr") + "</row>"
            '<row r="2"><c r="A2" s="1"><v>45748</v></c><c r="B2" s="2"><f>B1*2</f><v>0.25</v></c>'
            '<c r="C2" t="str"><f t="shared" si="0"/><v>&lt;文字&gt;</v></c><c r="D2" t="b"><v>1</v></c></row>')
    fast, general = both(xlsx_parts(sheet_xml(rows)))
    assert fast == general
    assert fast[1] == (2, [dt.datetime(2025, 4, 1), 25.0, "<文字>", "TRUE"])
    assert (STYLE_DATE, STYLE_PERCENT) == (1, 2)
