"""Excel workbook in the 運営方針 layout: the indicator table, the monthly actuals, the budget.

Column widths, number formats, frozen headers, filters and print setup (A4 landscape,
fit to width, header rows repeated). Every text cell is written as text: a value that
starts with = + - @ is stored with data type 's' and Excel's quotePrefix, so Excel shows
it and never evaluates it.
"""
from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpi import fiscal
from kpi.export.content import Materials
from kpi.export.tables import Table, budget_table, indicator_table, is_formula_like, monthly_table
from kpi.service import SAMPLE_LABEL

FONT_NAME = "BIZ UDPゴシック"
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
SAMPLE_FILL = PatternFill("solid", fgColor="FFF2CC")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
NUMBER_FORMATS = {"number": "#,##0.##", "ratio": "0.0%", "month": "@", "text": "@"}


def set_text(cell, value: Any) -> None:
    """Write ``value``; text that looks like a formula is kept as text, never a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True


def _title_block(ws: Worksheet, m: Materials, heading: str) -> int:
    """Title lines above the table; returns the header row."""
    lines = [
        (f"{m.title()}　{heading}", Font(name=FONT_NAME, size=14, bold=True)),
        (f"{fiscal.fy_label(m.fy, western=True)}　{m.scope_label()}　{m.as_of_text()}", Font(name=FONT_NAME, size=10)),
        (m.note.text, Font(name=FONT_NAME, size=9, color="555555")),
    ]
    if m.note.sample:
        lines.append((f"【{SAMPLE_LABEL}】この資料の実績は{SAMPLE_LABEL}の数値です。実際の数値ではありません。",
                      Font(name=FONT_NAME, size=10, bold=True, color="C00000")))
    for i, (text, font) in enumerate(lines, start=1):
        set_text(ws.cell(i, 1), text)
        ws.cell(i, 1).font = font
    return len(lines) + 2


def write_table(ws: Worksheet, table: Table, header_row: int, highlight=None) -> None:
    body_font = Font(name=FONT_NAME, size=10)
    for j, col in enumerate(table.columns, start=1):
        c = ws.cell(header_row, j)
        set_text(c, col.header)
        c.font = Font(name=FONT_NAME, size=10, bold=True)
        c.fill = HEADER_FILL
        c.border = BORDER
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = col.width
    for i, row in enumerate(table.rows, start=header_row + 1):
        fill = SAMPLE_FILL if highlight and highlight(row) else None
        for j, col in enumerate(table.columns, start=1):
            c = ws.cell(i, j)
            value = col.value(row)
            set_text(c, value)
            c.font = body_font
            c.border = BORDER
            c.number_format = NUMBER_FORMATS[col.kind] if value is not None else "General"
            wrap = col.kind == "text" and col.width >= 20
            c.alignment = Alignment(vertical="top", wrap_text=wrap,
                                    horizontal="right" if col.kind in ("number", "ratio") else None)
            if fill:
                c.fill = fill
    ws.row_dimensions[header_row].height = 30
    last_col = get_column_letter(len(table.columns))
    last_row = header_row + max(1, len(table.rows))
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.auto_filter.ref = f"A{header_row}:{last_col}{last_row}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = f"A1:{last_col}{last_row}"


def _print_setup(ws: Worksheet, m: Materials) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.left.text = m.as_of_text()
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = "&P / &N"
    ws.oddFooter.right.size = 8
    ws.oddHeader.left.text = f"{m.title()}　{fiscal.fy_label(m.fy)}"
    ws.oddHeader.left.size = 8


def build(m: Materials, progress=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "指標"
    t = indicator_table(m)
    write_table(ws, t, _title_block(ws, m, "アウトカム指標の達成状況"), highlight=m.is_sample)
    _print_setup(ws, m)
    note_row = ws.max_row + 2
    set_text(ws.cell(note_row, 1), "※A：達成 B：未達成（年度の終了後に判定）。達成率＝年度の値÷年度の目標。"
                                   "状況の判定ルールはダッシュボードの「指標」ページに記載。")
    ws.cell(note_row, 1).font = Font(name=FONT_NAME, size=9, color="555555")

    ws2 = wb.create_sheet("月次実績")
    t2 = monthly_table(m)
    write_table(ws2, t2, _title_block(ws2, m, "月次実績"), highlight=lambda a: a.batch_id in m.sample_batches)
    _print_setup(ws2, m)

    if m.budget_rows:
        ws3 = wb.create_sheet("予算")
        write_table(ws3, budget_table(m), _title_block(ws3, m, "経営課題別の予算（百万円）"))
        set_text(ws3.cell(ws3.max_row + 2, 1), m.budget_source())
        _print_setup(ws3, m)

    wb.properties.title = f"{m.title()} {fiscal.fy_label(m.fy)}"
    wb.properties.creator = "運営方針 KPI ダッシュボード"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
