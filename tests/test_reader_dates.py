"""The reader's dates come from one place each: Excel's serial-date epoch (kpi.reader.cells) and the fiscal-year
rule (kpi.fiscal). Both are tested through the reader, so mutating either one fails a test."""
from __future__ import annotations

import datetime as dt

import pytest
from store_helpers import STYLE_DATE, STYLE_JA_DATE, canonical_sheet, cell, sheet_xml, xlsx_parts

from kpi.reader import read_actuals

FAR = dt.date(2030, 1, 1)


def months_of(policy, data: bytes, name: str = "a.xlsx") -> list[str]:
    res = read_actuals(data, name, policy, today=FAR)
    assert res.ok, [str(e) for e in res.errors]
    return [a.month for a in res.rows]


@pytest.mark.parametrize("style", [STYLE_DATE, STYLE_JA_DATE, None])
def test_excel_serials_either_side_of_a_month_boundary(policy, style):
    """45747 is 2025-03-31 and 45748 is 2025-04-01 (epoch 1899-12-30): a day off either way lands in the wrong month.
    As a date cell (yyyy/m/d, or the Japanese locale's built-in 31) or a number left unformatted in the 年月 column."""
    sheet = canonical_sheet([[("K1-1", "inlineStr", None), ("45747", None, style), ("1", None, None)],
                             [("K1-1", "inlineStr", None), ("45748", None, style), ("2", None, None)],
                             [("K1-1", "inlineStr", None), ("45778", None, style), ("3", None, None)]])  # 2025-05-01
    assert months_of(policy, xlsx_parts(sheet)) == ["2025-03", "2025-04", "2025-05"]


def test_the_1904_date_system(policy):
    workbook = ('<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr date1904="1"/>'
                '<sheets><sheet name="実績" sheetId="1" r:id="rId1"/></sheets></workbook>')
    sheet = canonical_sheet([[("K1-1", "inlineStr", None), ("44286", None, STYLE_DATE), ("1", None, None)],  # 1904-01-01 + 44286 = 2025-04-01
                             [("K1-1", "inlineStr", None), ("44285", None, STYLE_DATE), ("2", None, None)]])
    assert months_of(policy, xlsx_parts(sheet, workbook=workbook)) == ["2025-04", "2025-03"]


def test_date_cells_as_wide_headers(policy):
    header = '<row r="1">' + cell("A1", "指標ID", "inlineStr") + cell("B1", "45747", None, STYLE_DATE) + cell("C1", "45748", None, STYLE_DATE) + "</row>"
    row = '<row r="2">' + cell("A2", "K1-1", "inlineStr") + cell("B2", "10") + cell("C2", "11") + "</row>"
    res = read_actuals(xlsx_parts(sheet_xml(header + row)), "wide.xlsx", policy, today=FAR)
    assert res.ok and res.layout == "wide"
    assert [(a.month, a.value) for a in res.rows] == [("2025-03", 10), ("2025-04", 11)]


@pytest.mark.parametrize("month,outside", [
    ("2022-03", True), ("2022-04", False),  # FY2022 (the year before the first target, R4) starts in April
    ("2028-03", False), ("2028-04", True),  # FY2027 (the last target year, R9) ends in March 2028
    ("2026-01", False),
])
def test_january_to_march_belong_to_the_previous_fiscal_year(policy, month, outside):
    """The policy's actuals span FY2022–FY2027; the warning for months outside follows kpi.fiscal's April start."""
    res = read_actuals(f"indicator_id,month,value\nK1-1,{month},1\n".encode(), "a.csv", policy, today=FAR)
    assert res.ok
    assert any("対象年度" in w.message for w in res.warnings) is outside, res.warnings
