"""Excel workbook in the 運営方針 layout: the indicator table, the year-end evaluation and its texts,
the monthly actuals, the budget.

Numbers stay numbers that Excel computes with: each cell carries a number format with the
indicator's unit (「#,##0"件"」, one decimal only where the value has one, as the screen
shows it; 達成率 a floored ratio under 「0%」). Every sheet prints on A4 landscape at about
ten columns a page (the indicator table is split over sheets rather than shrunk), its header
rows repeated, with the department, year and 基準月 in the page header and page numbers in
the footer. Every text cell is written as text: a value that
starts with = + - @ is stored with data type 's' and Excel's quotePrefix, so Excel shows
it and never evaluates it.
"""
from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpi import evaluation as ev
from kpi import fiscal, fmt
from kpi.export.content import Materials
from kpi.export.tables import Column, Table, budget_table, indicator_sheets, is_formula_like, monthly_table, number_cell
from kpi.service import SAMPLE_LABEL
from kpi.text import displayable

FONT_NAME = "BIZ UDPゴシック"
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
SAMPLE_FILL = PatternFill("solid", fgColor="FFF2CC")
OVERRIDE_FILL = PatternFill("solid", fgColor="FCE4D6")
TEXT_HEADING_FILL = PatternFill("solid", fgColor="DCE6F1")
WARN_FONT = Font(name=FONT_NAME, size=10, bold=True, color="C00000")
NOTE_FONT = Font(name=FONT_NAME, size=9, color="555555")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
NUMBER_FORMATS = {"number": "#,##0", "month": "@", "text": "@"}


def set_text(cell, value: Any) -> None:
    """Write ``value``; text that looks like a formula is kept as text, never a formula; characters Excel refuses are dropped."""
    if isinstance(value, str):
        value = displayable(value)  # what Excel cannot store (a store written before the text rule may hold it)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True


def _title_block(ws: Worksheet, m: Materials, heading: str, extra: tuple[tuple[str, Font], ...] = ()) -> int:
    """Title lines above the table (``extra`` lines last); returns the header row."""
    lines = [
        (f"{m.title()}　{heading}", Font(name=FONT_NAME, size=14, bold=True)),
        (f"{fiscal.fy_label(m.fy, western=True)}　{m.scope_label()}　{m.as_of_text()}", Font(name=FONT_NAME, size=10)),
        (m.note.text, Font(name=FONT_NAME, size=9, color="555555")),
    ]
    if m.note.sample:
        lines.append((f"【{SAMPLE_LABEL}】この資料の実績は{SAMPLE_LABEL}の数値です。実際の数値ではありません。",
                      Font(name=FONT_NAME, size=10, bold=True, color="C00000")))
    lines += extra
    for i, (text, font) in enumerate(lines, start=1):
        set_text(ws.cell(i, 1), text)
        ws.cell(i, 1).font = font
    return len(lines) + 2


def write_table(ws: Worksheet, table: Table, header_row: int, highlight=None, fill: PatternFill = SAMPLE_FILL,
                wrap_all: bool = False) -> None:
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
        row_fill = fill if highlight and highlight(row) else None
        for j, col in enumerate(table.columns, start=1):
            c = ws.cell(i, j)
            if col.cell is not None:
                value, number_format = col.cell(row)
            else:
                value = col.value(row)
                number_format = NUMBER_FORMATS[col.kind] if value is not None else "General"
            set_text(c, value)
            c.font = body_font
            c.border = BORDER
            c.number_format = number_format
            wrap = col.kind == "text" and (wrap_all or col.width >= 20)
            c.alignment = Alignment(vertical="top", wrap_text=wrap,
                                    horizontal="right" if col.kind == "number" or col.cell else None)
            if row_fill:
                c.fill = row_fill
        # Excel grows a wrapped row when it opens the file, LibreOffice and the print preview do not: set the height.
        lines = max((lines_in(col.value(row) or "", col.width) for col in table.columns
                     if col.kind == "text" and (wrap_all or col.width >= 20) and isinstance(col.value(row), str)), default=1)
        ws.row_dimensions[i].height = min(409, LINE_PT * lines + 4)
    ws.row_dimensions[header_row].height = max(30, LINE_PT * max(lines_in(c.header, c.width) for c in table.columns) + 4)
    last_col = get_column_letter(len(table.columns))
    last_row = header_row + max(1, len(table.rows))
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.auto_filter.ref = f"A{header_row}:{last_col}{last_row}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = f"A1:{last_col}{last_row}"


def page_header(m: Materials) -> tuple[str, str, str]:
    """The printed page's header: department and title, the fiscal year, the 基準月."""
    dept = m.policy.text("department")
    return (f"{dept}　{m.title()}" if dept else m.title(), fiscal.fy_label(m.fy, western=True), m.as_of_text())


def print_on_a4(ws: Worksheet, *, landscape: bool, margins: tuple[float, float, float], header: Sequence[str],
                footer: Sequence[str], pages: str = "&P / &N ページ") -> None:
    """A sheet that prints on A4 as wide as the page (as many pages down as it needs), centred, with the header's
    and the footer's left/centre texts (taken literally) and the page numbers bottom right. ``margins`` are the
    sides, the top and bottom, and the header and footer (inches; the header and footer sit inside the margins)."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = margins[0]
    ws.page_margins.top = ws.page_margins.bottom = margins[1]
    ws.page_margins.header = ws.page_margins.footer = margins[2]
    for part, text in zip((ws.oddHeader.left, ws.oddHeader.center, ws.oddHeader.right), header):
        if text:
            part.text, part.size = text.replace("&", "&&"), 9  # & starts a code (&P) in Excel's header and footer
    for part, text, size in zip((ws.oddFooter.left, ws.oddFooter.center), footer, (8, 7)):
        if text:
            part.text, part.size = text.replace("&", "&&"), size
    ws.oddFooter.right.text, ws.oddFooter.right.size = pages, 8


def _print_setup(ws: Worksheet, m: Materials) -> None:
    # what the file was made from (the store's sequence, the policy, the 基準月, the time) in the footer's centre
    print_on_a4(ws, landscape=True, margins=(0.4, 0.6, 0.25), header=page_header(m),
                footer=(f"{ws.title}　{m.note.text}", m.provenance.footer() if m.provenance else ""))


def display_units(text: str) -> float:
    """Width of ``text`` in Excel column units: a full-width character of 10 pt is about 1.8 (13 px of 7)."""
    return sum(1.8 if unicodedata.east_asian_width(ch) in "WFA" else 1.0 for ch in text)


def lines_in(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` units wide (its own line breaks included)."""
    usable = max(4.0, width - 1.0)
    return sum(max(1, math.ceil(display_units(part) / usable)) for part in str(text).split("\n"))


# The evaluation table's column widths (Excel units); wide ones wrap.
EVALUATION_WIDTHS = {
    "経営課題": 12, "指標ID": 7, "指標": 22, "目標": 15, "年度実績": 11, "達成率": 8, "算定評価": 11, "算定の根拠": 30,
    "上書き評価": 11, "上書きの理由": 28, "上書き者": 11, "上書き日時": 14, "最終評価": 17, "前年度実績": 11, "前年度実績の出典": 18,
    "要因分析（最新の振り返り）": 34,
}
LINE_PT = 14.5  # one line of 10 pt text, with leading


def provisional_line(m: Materials) -> str:
    return (f"{ev.PROVISIONAL_LABEL}：{fiscal.fy_label(m.fy)}は{fiscal.month_label(m.as_of)}末の時点で終了していないため、"
            "A/B は確定していません（年度の終了後に判定）。")


# The year-end table over two sheets of about ten columns: the 運営方針's form, then the reasoning and overrides.
EVALUATION_MAIN = ("経営課題", "指標ID", "指標", "目標", "年度実績", "達成率", "算定評価", "最終評価", "前年度実績",
                   "要因分析（最新の振り返り）")
EVALUATION_DETAIL = ("経営課題", "指標ID", "指標", "算定評価", "算定の根拠", "上書き評価", "上書きの理由", "上書き者", "上書き日時",
                     "前年度実績の出典")
EVALUATION_DETAIL_SHEET = "年度評価（根拠・上書き）"


def _evaluation_column(h: str) -> Column:
    """A column of the evaluation table; figures as numbers with their unit's format."""
    cell = None
    if h in ("年度実績", "前年度実績"):
        cell = number_cell(lambda r, h=h: r.value if h == "年度実績" else r.previous, lambda r: r.unit)
    elif h == "達成率":
        cell = lambda r: fmt.excel_percent(r.result)  # noqa: E731
    return Column(h, lambda r, h=h: r.record()[h], width=EVALUATION_WIDTHS.get(h, 12), cell=cell)


def evaluation_sheet(ws: Worksheet, m: Materials, rep: ev.Report, headers: tuple[str, ...] = EVALUATION_MAIN,
                     heading: str = "アウトカム指標の達成状況（年度評価）") -> None:
    """アウトカム指標の達成状況 as the seed's form has it: computed grade, override (reason, who, when) and final grade."""
    extra = ((provisional_line(m), WARN_FONT),) if rep.provisional else ()
    cols = tuple(_evaluation_column(h) for h in headers)
    table = Table("年度評価", cols, list(rep.rows))
    header = _title_block(ws, m, heading, extra)
    write_table(ws, table, header, highlight=lambda r: r.overridden, fill=OVERRIDE_FILL, wrap_all=True)
    final_col = headers.index("最終評価") + 1 if "最終評価" in headers else None
    for i, r in enumerate(table.rows, start=header + 1):
        lines = max(lines_in(col.value(r), col.width) for col in cols)
        ws.row_dimensions[i].height = min(409, LINE_PT * lines + 4)
        if r.overridden and final_col:
            ws.cell(i, final_col).font = Font(name=FONT_NAME, size=10, bold=True, color="C00000")
    if not table.rows:
        set_text(ws.cell(header + 1, 1), "この年度に目標のある指標はありません。")
    row = header + max(1, len(table.rows)) + 2
    notes = [
        "※A：達成 B：未達成。「算定評価」は年度の値と目標から自動で判定した評価、「最終評価」は上書きがあればその評価です。",
        f"※色付きの行は評価を上書きした指標です（最終評価に※と算定評価を記載。理由・上書き者・日時は「{EVALUATION_DETAIL_SHEET}」シート）。",
        f"※{m.note.text}",
    ]
    for n, text in enumerate(notes):
        set_text(ws.cell(row + n, 1), text)
        ws.cell(row + n, 1).font = NOTE_FONT
    ws.print_area = f"A1:{get_column_letter(len(cols))}{row + len(notes) - 1}"


TEXT_WIDTH = 120  # the texts sheet's one wide column (Excel units): about 58 full-width characters a line
TEXT_CHUNK = 600  # characters per cell at most: a row stays well under Excel's 409 pt


def _chunks(paragraph: str, limit: int = TEXT_CHUNK) -> list[str]:
    """A long paragraph in pieces of at most ``limit`` characters, cut after 。 where possible."""
    out, rest = [], paragraph
    while len(rest) > limit:
        cut = rest.rfind("。", 0, limit) + 1
        if cut < limit // 2:
            cut = limit
        out.append(rest[:cut])
        rest = rest[cut:]
    out.append(rest)
    return out


def texts_sheet(ws: Worksheet, m: Materials, rep: ev.Report) -> None:
    """自己評価（運営方針全体の定性評価） and 今後の方針 (then any per 経営課題): a heading, who and when, one row per paragraph."""
    row = _title_block(ws, m, "自己評価・今後の方針")
    ws.column_dimensions["A"].width = TEXT_WIDTH
    body = Font(name=FONT_NAME, size=10.5)
    for section in rep.texts:
        c = ws.cell(row, 1)
        set_text(c, section.title)
        c.font = Font(name=FONT_NAME, size=12, bold=True)
        c.fill = TEXT_HEADING_FILL
        c.border = BORDER
        c.alignment = Alignment(vertical="center")
        ws.row_dimensions[row].height = 22
        row += 1
        if section.user:
            set_text(ws.cell(row, 1), section.signature)
            ws.cell(row, 1).font = NOTE_FONT
            row += 1
        paragraphs = [p.rstrip() for p in section.text.splitlines()] if section.text else ["（未記入）"]
        for paragraph in paragraphs:
            for piece in _chunks(paragraph):
                c = ws.cell(row, 1)
                set_text(c, piece)
                c.font = body if section.text else NOTE_FONT
                c.alignment = Alignment(vertical="top", wrap_text=True)
                ws.row_dimensions[row].height = min(409, 15.5 * lines_in(piece, TEXT_WIDTH) + 3)
                row += 1
        row += 1
    ws.print_area = f"A1:A{max(1, row - 1)}"


# What a clerk reads under the 指標 sheet's table.
INDICATOR_NOTE = ("※A：達成 B：未達成（年度の終了後に判定）。※（算定 B）＝編集者が理由を添えて上書きした評価（理由は「年度評価」シート）。"
                  "「算定」の状況は上書き前の数値による判定。達成率＝年度の値÷年度の目標（切り捨て。「上限の」は低いほど良い指標の上限に対する割合）。"
                  "想定ペース・年度末見込みは「指標（ペース・見込み）」、要因・対策は「指標（振り返り）」シート。"
                  "状況の判定ルールはダッシュボードの「指標」ページに記載。")
SHEET_HEADINGS = {"指標": "アウトカム指標の達成状況", "指標（ペース・見込み）": "指標の想定ペース・年度末見込み",
                  "指標（振り返り）": "指標の振り返り（最新の要因・対策）"}


def build(m: Materials, progress=None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    sheets = indicator_sheets(m)
    for t in sheets[:1]:
        ws = wb.create_sheet(t.name)
        write_table(ws, t, _title_block(ws, m, SHEET_HEADINGS[t.name]), highlight=m.is_sample, wrap_all=True)
        _print_setup(ws, m)
        note_row = ws.max_row + 2
        set_text(ws.cell(note_row, 1), INDICATOR_NOTE)
        ws.cell(note_row, 1).font = NOTE_FONT
        ws.cell(note_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=note_row, start_column=1, end_row=note_row, end_column=len(t.columns))
        ws.row_dimensions[note_row].height = LINE_PT * 3
        ws.print_area = f"A1:{get_column_letter(len(t.columns))}{note_row}"

    if m.evaluation is not None:
        ws_e = wb.create_sheet("年度評価")
        evaluation_sheet(ws_e, m, m.evaluation)
        _print_setup(ws_e, m)
        ws_d = wb.create_sheet(EVALUATION_DETAIL_SHEET)
        evaluation_sheet(ws_d, m, m.evaluation, EVALUATION_DETAIL, "年度評価の根拠と上書き")
        _print_setup(ws_d, m)
        ws_t = wb.create_sheet("自己評価・今後の方針")
        texts_sheet(ws_t, m, m.evaluation)
        _print_setup(ws_t, m)

    for t in sheets[1:]:
        ws = wb.create_sheet(t.name)
        write_table(ws, t, _title_block(ws, m, SHEET_HEADINGS[t.name]), highlight=m.is_sample, wrap_all=True)
        _print_setup(ws, m)

    ws2 = wb.create_sheet("月次実績")
    t2 = monthly_table(m)
    t2 = t2.select(t2.name, [h for h in t2.headers if h != "単位"])  # the unit is in each number's format
    write_table(ws2, t2, _title_block(ws2, m, "月次実績"), highlight=lambda a: a.batch_id in m.sample_batches)
    _print_setup(ws2, m)

    if m.budget_rows:
        ws3 = wb.create_sheet("予算")
        write_table(ws3, budget_table(m), _title_block(ws3, m, "経営課題別の予算（百万円）"))
        set_text(ws3.cell(ws3.max_row + 2, 1), m.budget_source())
        _print_setup(ws3, m)

    wb.properties.title = f"{m.title()} {fiscal.fy_label(m.fy)}"
    wb.properties.creator = "運営方針 KPI ダッシュボード"
    if m.provenance:
        wb.properties.subject, wb.properties.keywords = m.provenance.footer(), m.provenance.keywords()
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
