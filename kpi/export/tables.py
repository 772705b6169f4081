"""The indicator table in the 運営方針 layout and the monthly actuals, as rows; and CSV.

One definition of each table serves the Excel workbook, the CSV files, the PDF and the
deck. Text that a spreadsheet would read as a formula (a cell starting with = + - @,
or a tab or carriage return) is neutralised as OWASP advises for CSV injection: in CSV
with a leading apostrophe, in Excel by storing the cell as text (see workbook.py).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kpi import fiscal, fmt
from kpi.evaluate import Result
from kpi.export.content import Materials
from kpi.fmt import FORMULA_START, is_formula_like, neutralise  # noqa: F401  (used by workbook and tests)
from kpi.kinds import STATUSES

# Characters Python's cp932 codec refuses, mapped to what Japanese Excel users expect.
CP932_FIXES = str.maketrans({"〜": "～", "−": "－", "‖": "∥", "¢": "￠", "£": "￡", "¬": "￢", "—": "―"})


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    kind: str = "text"  # text, number, month
    width: float = 12  # Excel column width (characters)
    # The workbook's cell where it differs from ``value`` (CSV and screens): (number, Excel number format), e.g.
    # 達成率 as 1.02 with 「0%」 where the CSV says 102%; None = ``value`` with the kind's format.
    cell: Callable[[Any], tuple[Any, str]] | None = None


@dataclass(frozen=True)
class Table:
    name: str  # sheet name / file stem
    columns: tuple[Column, ...]
    rows: list[Any]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def select(self, name: str, headers: Sequence[str]) -> Table:
        """The same rows under some of the columns (a sheet that prints on one page width)."""
        by_header = {c.header: c for c in self.columns}
        return Table(name, tuple(by_header[h] for h in headers), self.rows)

    def values(self) -> list[list[Any]]:
        return [[c.value(r) for c in self.columns] for r in self.rows]


def number_cell(value: Callable[[Any], float | None], unit: Callable[[Any], str]) -> Callable[[Any], tuple[Any, str]]:
    """A number as the screen shows it (fmt.rounded) with its unit in the Excel number format (「#,##0"件"」)."""
    def cell(row: Any) -> tuple[Any, str]:
        x = fmt.rounded(value(row))
        return x, fmt.excel_format(x, unit(row))
    return cell


def _unit(r: Result) -> str:
    return r.indicator.unit


def indicator_table(m: Materials) -> Table:
    """Per indicator, as in the 運営方針: 経営課題, full wording, target, the year's actual, % of target,
    A/B once the year has ended, 前年度実績; plus status and where the figures come from."""
    p = m.policy
    fy = fiscal.fy_label(m.fy)
    prev = fiscal.fy_label(m.fy - 1)
    cols = (
        Column("経営課題", lambda r: p.issues[r.indicator.issue_id].label, width=10),
        Column("経営課題名", lambda r: p.issues[r.indicator.issue_id].short_title, width=26),
        Column("戦略", lambda r: r.indicator.strategy, width=34),
        Column("指標ID", lambda r: r.indicator.indicator_id, width=7),
        Column("アウトカム指標（運営方針の記載）", lambda r: r.target.source_text or r.indicator.wording, width=38),
        Column("指標", lambda r: r.indicator.short_name, width=26),
        Column("単位", lambda r: r.indicator.unit, width=7),
        Column(f"{fy} 目標値", lambda r: r.target.value, "number", 11, number_cell(lambda r: r.target.value, _unit)),
        Column("目標", lambda r: fmt.target_text(r.indicator, r.target), width=16),
        Column(f"{fy} 実績", lambda r: r.value, "number", 11, number_cell(lambda r: r.value, _unit)),
        Column("達成率", lambda r: fmt.progress_text(r), width=9, cell=fmt.excel_percent),
        Column("想定ペース", lambda r: r.expected, "number", 11, number_cell(lambda r: r.expected, _unit)),
        Column("ペース比", lambda r: fmt.percent(r.pace_ratio), width=9,
               cell=lambda r: (None, "General") if r.pace_ratio is None else (fmt.floored_percent(r.pace_ratio) / 100, "0%")),
        Column("状況", lambda r: fmt.status_shown(r), width=11),
        Column("達成状況（A：達成 B：未達成）", lambda r: fmt.grade_text(r), width=19),
        Column(f"前年度実績（{prev}）", lambda r: r.previous, "number", 12, number_cell(lambda r: r.previous, _unit)),
        Column("最終報告月", lambda r: fmt.last_report_text(r), width=14),
        Column("報告月数", lambda r: r.months_reported, "number", 8, lambda r: (r.months_reported, '0"か月"')),
        Column("年度末見込み", lambda r: fmt.rounded(r.forecast), "number", 12, number_cell(lambda r: r.forecast, _unit)),
        Column("前回の報告から", lambda r: fmt.change_text(r), width=22),
        Column("要因（最新の振り返り）", lambda r: r.checkin.cause if r.checkin else "", width=30),
        Column("対策（最新の振り返り）", lambda r: r.checkin.action if r.checkin else "", width=30),
        Column("コメント", lambda r: r.checkin.comment if r.checkin else "", width=24),
        Column("振り返りの月", lambda r: fmt.checkin_month_text(r), width=16),
        Column("記入者・日時", lambda r: fmt.signed(r.checkin.user, r.checkin.at, "\n") if r.checkin else "", width=18),
        Column("実績の出典", lambda r: m.data_label(r) or "実績なし", width=14),
    )
    return Table("指標の達成状況", cols, list(m.results))


def indicator_sheets(m: Materials) -> list[Table]:
    """The indicator table split for printing, about ten columns a sheet: the 運営方針's columns on 指標, then the
    pace and forecast, then the check-ins (指標ID and 指標 repeated on each, so every page reads on its own)."""
    t = indicator_table(m)
    fy, prev = fiscal.fy_label(m.fy), fiscal.fy_label(m.fy - 1)
    return [
        t.select("指標", ["経営課題", "指標ID", "アウトカム指標（運営方針の記載）", "目標", f"{fy} 実績", "達成率", "状況",
                         "達成状況（A：達成 B：未達成）", f"前年度実績（{prev}）", "最終報告月"]),
        t.select("指標（ペース・見込み）", ["指標ID", "指標", "戦略", f"{fy} 目標値", "想定ペース", "ペース比", "報告月数",
                                    "年度末見込み", "前回の報告から", "実績の出典"]),
        t.select("指標（振り返り）", ["指標ID", "指標", "状況", "振り返りの月", "要因（最新の振り返り）", "対策（最新の振り返り）",
                                 "コメント", "記入者・日時"]),
    ]


def monthly_table(m: Materials) -> Table:
    p = m.policy
    sample = m.sample_batches
    cols = (
        Column("経営課題", lambda a: p.issues[p.indicators[a.indicator_id].issue_id].label, width=11),
        Column("指標ID", lambda a: a.indicator_id, width=8),
        Column("指標", lambda a: p.indicators[a.indicator_id].short_name, width=44),
        Column("年月", lambda a: a.month, "month", 10),
        Column("年月（和暦）", lambda a: fiscal.month_label(a.month), width=14),
        Column("実績値", lambda a: a.value, "number", 12, number_cell(lambda a: a.value, lambda a: p.indicators[a.indicator_id].unit)),
        Column("単位", lambda a: p.indicators[a.indicator_id].unit, width=7),
        Column("分子", lambda a: a.numerator, "number", 10, number_cell(lambda a: a.numerator, lambda a: "")),
        Column("分母", lambda a: a.denominator, "number", 10, number_cell(lambda a: a.denominator, lambda a: "")),
        Column("備考", lambda a: a.note, width=30),
        Column("実績の出典", lambda a: "サンプル（架空）" if a.batch_id in sample else "アップロード実績", width=16),
    )
    return Table("月次実績", cols, list(m.actuals))


def budget_table(m: Materials) -> Table:
    p = m.policy
    cols = [
        Column("経営課題", lambda b: p.issues[b.issue_id].label, width=11),
        Column("経営課題名", lambda b: p.issues[b.issue_id].short_title, width=30),
    ]
    for y in m.budget_years:
        kind = m.budget_kind(y)
        amount = (lambda b, y=y: b.amounts[y].amount if y in b.amounts else None)
        cols.append(Column(f"{fiscal.fy_label(y)} {kind}（百万円）", amount, "number", 16, number_cell(amount, lambda b: "")))
    first, last = (m.budget_years[0], m.budget_years[-1]) if m.budget_years else (m.fy, m.fy)
    cols.append(Column(f"伸び（{fiscal.fy_short(first)}→{fiscal.fy_short(last)}）", lambda b: b.growth_label, width=12))
    return Table("予算", tuple(cols), list(m.budget_rows))


TABLES: dict[str, Callable[[Materials], Table]] = {
    "indicators": indicator_table,
    "monthly": monthly_table,
    "budget": budget_table,
}


def _csv_cell(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 4)
    return neutralise(value)


def to_csv(table: Table, encoding: str = "utf-8-sig") -> bytes:
    """CSV for Excel: UTF-8 with BOM (default) or CP932; CRLF line ends; formula-like text neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.header for c in table.columns])
    for row in table.rows:
        w.writerow([_csv_cell(c.value(row), c.kind) for c in table.columns])
    text = buf.getvalue()
    if encoding.replace("_", "").lower() in ("cp932", "shiftjis", "sjis", "mskanji"):
        return text.translate(CP932_FIXES).encode("cp932", errors="replace")
    return text.encode(encoding)


def value_lines(r: Result) -> str:
    """The year's value, with 「9月分未報告（最終報告 7月）」 on a second line when the latest report is overdue."""
    late = fmt.overdue_text(r)
    return fmt.value_text(r) + (f"\n{late}" if late else "")


def display_rows(m: Materials, rs: Sequence[Result]) -> list[list[str]]:
    """The indicator table as short display text (deck and PDF)."""
    out = []
    for r in rs:
        ind = r.indicator
        out.append([
            ind.indicator_id, ind.short_name, value_lines(r), fmt.target_text(ind, r.target),
            fmt.progress_text(r), fmt.status_shown(r), fmt.grade_text(r) if r.grade else "未確定",
            fmt.with_unit(r.previous, ind.unit),
        ])
    return out


DISPLAY_HEADERS = ["ID", "指標", "実績", "目標", "達成率", "状況", "評価", "前年度実績"]


def fit_to_year(m: Materials, headers: list[str], widths: list[float], rows: list[list[str]]) -> tuple[list[str], list[float], list[list[str]]]:
    """The display table as the year stands: while the year runs every grade reads 未確定, so the 評価 column goes
    and the other columns share its width (the table keeps its width); once it has ended, the table as given. One
    rule for the deck (relative widths) and the PDF (millimetres)."""
    if m.year_ended or "評価" not in headers:
        return headers, widths, rows
    k = headers.index("評価")
    rest = widths[:k] + widths[k + 1:]
    scale = sum(widths) / sum(rest)
    return headers[:k] + headers[k + 1:], [w * scale for w in rest], [row[:k] + row[k + 1:] for row in rows]


STATUS_LEGEND = "　".join(f"{s.symbol}{s.key}" for s in STATUSES.values())

# The indicators' slides beside their chart: the pace the chart draws, not the summary's columns again.
PACE_HEADERS = ["ID", "指標", "実績", "想定ペース", "ペース比", "状況", "前回の報告から"]


def pace_rows(rs: Sequence[Result]) -> list[list[str]]:
    return [[r.indicator.indicator_id, r.indicator.short_name, value_lines(r), fmt.with_unit(r.expected, r.indicator.unit),
             fmt.percent(r.pace_ratio), fmt.status_shown(r), "\n".join(fmt.change_lines(r))] for r in rs]


# 悪い順 is by ペース比 (the value against the pace): the sort key is the column after 実績.
EXCEPTION_HEADERS = ["状況", "ID", "指標", "実績（目標）", "ペース比（達成率）", "前回の報告から", "要因・対策（最新の振り返り）"]


def exception_cells(r: Result) -> list[str]:
    """One indicator behind its pace (or overdue), as the meeting discusses it: figures, the pace ratio it is sorted
    by, change, and why and what next with the month the check-in speaks of and when it was written."""
    c = r.checkin
    why = (f"要因: {c.cause}\n対策: {c.action}" + (f"\nコメント: {c.comment}" if c.comment else "")
           + f"\n{fmt.checkin_signature(r)}") if c else "（振り返りは未記入）"
    change = "\n".join(fmt.change_lines(r))
    pace = f"{fmt.percent(r.pace_ratio)}\n" + (fmt.progress_text(r) if fmt.is_cap(r) else f"達成率{fmt.progress_text(r)}")
    return [fmt.status_shown(r), r.indicator.indicator_id, r.indicator.short_name,
            f"{value_lines(r)}\n（目標 {fmt.target_text(r.indicator, r.target)}）", pace, change, why]


def indicators_utf8(m: Materials, progress=None) -> bytes:
    return to_csv(indicator_table(m), "utf-8-sig")


def indicators_cp932(m: Materials, progress=None) -> bytes:
    return to_csv(indicator_table(m), "cp932")


def monthly_utf8(m: Materials, progress=None) -> bytes:
    return to_csv(monthly_table(m), "utf-8-sig")


def monthly_cp932(m: Materials, progress=None) -> bytes:
    return to_csv(monthly_table(m), "cp932")
