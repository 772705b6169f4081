"""Upload templates: the wide layout (one row per indicator, one column per month) as .xlsx and CSV.

The indicators are those of the chosen 経営課題 with a target in the fiscal year; the
columns are 指標ID, 経営課題, 指標名, 単位, 目標, 項目, then the twelve months April–March.
Each indicator has a 実績値 row, rows 分子 and 分母 when it is a ratio, and a 備考 row.
Given the registered actuals, the template comes pre-filled with them (values, 分子・分母
and notes), so a clerk corrects or adds months rather than retyping the year.
A filled-in template uploads unchanged through ``kpi.reader.read_actuals``.

Excel must not turn anything into a date or a formula: in the .xlsx every header, ID
and text is a text cell (and text starting with = + - @ is marked as text); in the CSV
the month headers read 2025年4月分 (a trailing 分 keeps Excel from making a date of
them when the file is opened) and text starting with = + - @ gets a leading '.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from kpi import fiscal
from kpi.evaluate import Actual
from kpi.fmt import is_formula_like, neutralise, target_text
from kpi.kinds import KINDS
from kpi.policy import Indicator, Policy

DATA_SHEET = "実績"
HELP_SHEET = "記入方法"
FIXED = ("指標ID", "経営課題", "指標名", "単位", "目標", "項目")
VALUE, NUMERATOR, DENOMINATOR, NOTE = "実績値", "分子", "分母", "備考"


def row_kinds(ind: Indicator) -> tuple[str, ...]:
    """The template's rows for one indicator: 実績値, 分子 and 分母 for a ratio, 備考."""
    return (VALUE, NUMERATOR, DENOMINATOR, NOTE) if KINDS[ind.aggregation].key == "ratio" else (VALUE, NOTE)


Registered = dict[tuple[str, str], Actual]  # (indicator ID, month) -> the registered actual


def registered(actuals: Iterable[Actual] | None, fy: int) -> Registered:
    months = set(fiscal.fy_months(fy))
    return {(a.indicator_id, a.month): a for a in actuals or () if a.month in months}


def _plain(x: float | None) -> float | int | None:
    return None if x is None else (int(x) if float(x).is_integer() else x)


def month_cells(ind: Indicator, kind: str, fy: int, known: Registered) -> list:
    """The twelve month cells of one row: the registered value, 分子, 分母 or note, else empty."""
    out = []
    for m in fiscal.fy_months(fy):
        a = known.get((ind.indicator_id, m))
        value = None if a is None else {VALUE: a.value, NUMERATOR: a.numerator, DENOMINATOR: a.denominator, NOTE: a.note}[kind]
        out.append(value if kind == NOTE else _plain(value))
    return out
ENCODINGS = ("cp932", "utf-8-sig")


def template_indicators(policy: Policy, fy: int, issue_ids: list[str] | None = None) -> list[Indicator]:
    return [ind for ind in policy.indicators_of(issue_ids) if ind.target(fy) is not None]


def month_headers(fy: int, csv_safe: bool = False) -> list[str]:
    """2025年4月 … 2026年3月 (with 分 appended for CSV, which Excel would otherwise read as dates)."""
    out = []
    for m in fiscal.fy_months(fy):
        year, mon = fiscal.parse_ym(m)
        out.append(f"{year}年{mon}月" + ("分" if csv_safe else ""))
    return out


def _fixed_cells(policy: Policy, ind: Indicator, fy: int, kind: str = VALUE) -> list[str]:
    """The descriptive cells; the rows under the 実績値 row repeat only the ID (which the reader needs) and their 項目."""
    if kind != VALUE:
        return [ind.indicator_id, "", "", "", "", kind]
    issue = policy.issues.get(ind.issue_id)
    return [ind.indicator_id, issue.label if issue else ind.issue_id, ind.short_name, ind.unit, target_text(ind, ind.target(fy)), kind]


def instructions(policy: Policy, fy: int) -> list[str]:
    return [
        f"{fiscal.fy_label(fy, western=True)} 実績入力テンプレート（{policy.text('title') or '運営方針'}）",
        "",
        f"1. シート「{DATA_SHEET}」の月の列に、各指標のその月の実績を数値で入力してください。",
        "2. 実績がない月は空欄のままにしてください（空欄は「未報告」として扱います）。",
        "3. 指標ID・見出し行は変更しないでください。行や列の並べ替え、説明列の追加はかまいません。",
        "4. 数値は 1523、1,523、１５２３、1,523件 のいずれでも読めます。単位は指標の単位と同じものだけ使えます。",
        "5. 割合（%）の指標は 0〜100 の値で入力します（25% なら 25）。0.25 のような値は確認の警告が出ます。",
        "6. 進捗（マイルストーン）の指標は 0〜100 の進捗率、または「完了」（100）・「未着手」（0）で入力します。",
        "7. 未来の月の値、負の値、100% を超える割合は登録できません。",
        "8. 保存は .xlsx のまま、または CSV（UTF-8 / Shift_JIS）でアップロードできます。",
        "9. 比率の指標は「分子」「分母」の行にも入力できます（両方あれば年度の値は Σ分子÷Σ分母。実績値は空欄でもかまいません）。",
        "10. 「備考」の行には、その月の実績についてのメモを文章で入力できます（任意）。",
        "11. 登録済みの実績を入れたテンプレートは、変更した月だけが「変更」として登録されます（そのほかは「変更なし」）。",
        "",
        "指標の年度の値の求め方:",
        *[f"  {ind.indicator_id} {ind.short_name}（単位: {ind.unit}、集計: {KINDS[ind.aggregation].label}）" for ind in policy.indicators.values()
          if ind.target(fy) is not None],
    ]


def template_csv(policy: Policy, fy: int, issue_ids: list[str] | None = None, encoding: str = "cp932",
                 actuals: Iterable[Actual] | None = None) -> bytes:
    """The wide template as CSV: CP932 (Excel's default in Japan) or UTF-8 with BOM; CRLF line ends.
    With ``actuals``, the registered values of the year are filled in."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}")
    known = registered(actuals, fy)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([*FIXED, *month_headers(fy, csv_safe=True)])
    for ind in template_indicators(policy, fy, issue_ids):
        for kind in row_kinds(ind):
            cells = ["" if v is None else neutralise(v) for v in month_cells(ind, kind, fy, known)]
            w.writerow([neutralise(c) for c in _fixed_cells(policy, ind, fy, kind)] + cells)
    return buf.getvalue().encode(encoding, errors="replace")


def template_xlsx(policy: Policy, fy: int, issue_ids: list[str] | None = None, actuals: Iterable[Actual] | None = None) -> bytes:
    """The wide template as .xlsx: sheet 実績 (text headers and IDs, frozen header) and sheet 記入方法.
    With ``actuals``, the registered values of the year are filled in."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    header = [*FIXED, *month_headers(fy)]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")

    def text_cell(row: int, col: int, value: str, **style) -> None:
        cell = ws.cell(row=row, column=col)
        cell.value = value
        cell.data_type = "s"  # never a formula, never a date
        cell.number_format = "@"
        if is_formula_like(value):
            cell.quotePrefix = True  # Excel keeps it as text when the cell is edited
        for k, v in style.items():
            setattr(cell, k, v)

    for col, name in enumerate(header, start=1):
        text_cell(1, col, name, font=bold, fill=fill, alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
    known = registered(actuals, fy)
    sub = Font(color="555555")
    r = 1
    for ind in template_indicators(policy, fy, issue_ids):
        for kind in row_kinds(ind):
            r += 1
            for col, value in enumerate(_fixed_cells(policy, ind, fy, kind), start=1):
                text_cell(r, col, value, alignment=Alignment(vertical="top", wrap_text=col == 3), **({"font": sub} if kind != VALUE else {}))
            for col, value in enumerate(month_cells(ind, kind, fy, known), start=len(FIXED) + 1):
                if kind == NOTE:
                    text_cell(r, col, value or "", alignment=Alignment(vertical="top", wrap_text=True))
                    if not value:
                        ws.cell(row=r, column=col).value = None
                else:
                    cell = ws.cell(row=r, column=col)
                    cell.value = value
                    cell.number_format = "#,##0" if value is None or float(value).is_integer() else "#,##0.0##"
    widths = {1: 9, 2: 12, 3: 48, 4: 8, 5: 16, 6: 8}
    for col in range(1, len(header) + 1):
        ws.column_dimensions[get_column_letter(col)].width = widths.get(col, 12)
    ws.freeze_panes = ws.cell(row=2, column=len(FIXED) + 1)

    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.column_dimensions["A"].width = 110
    for r, line in enumerate(instructions(policy, fy), start=1):
        cell = help_ws.cell(row=r, column=1)
        cell.value = line
        cell.data_type = "s"
        if r == 1:
            cell.font = Font(bold=True, size=13)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_name(fy: int, ext: str, department: str = "") -> str:
    """デジタル統括室_令和7年度_実績入力テンプレート.xlsx: whose and which year, like every export's name (kpi.export.name_stem)."""
    from kpi.export import name_stem

    return f"{name_stem(department, fy, '実績入力テンプレート')}.{ext}"
