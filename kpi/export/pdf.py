"""PDF for printing (A4 landscape) over the materials' outline (kpi.export.outline), as the deck: the indicators
behind with their check-ins, the summary, the budget, the indicators, the year-end evaluation, the monthly series
and 自己評価・今後の方針.

fpdf2 with IPAexGothic embedded (subset), so the file prints the same everywhere; charts are
the same PNGs as in the deck. Every page's footer carries the source and the as-of month.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from kpi import evaluation as ev
from kpi import fiscal, fmt
from kpi.evaluate import status_counts
from kpi.export import fonts, images
from kpi.export.content import Materials
from kpi.export.outline import (
    BUDGET,
    COVER,
    EVALUATION,
    EXCEPTIONS,
    INDICATORS,
    MONTHLY,
    SUMMARY,
    TEXTS,
    Progress,
    Section,
    lay_out,
)
from kpi.export.tables import DISPLAY_HEADERS, EXCEPTION_HEADERS, display_rows, exception_cells, fit_to_year
from kpi.kinds import STATUSES
from kpi.service import SAMPLE_LABEL

FAMILY = "ipaexg"
NO_FONT = ("PDF に使う日本語フォント（IPAexゴシック）が見つかりません。"
           "`pip install matplotlib-fontja` または `apt-get install fonts-ipaexfont-gothic` で入れてください。")
INK = (26, 26, 26)
GREY = (85, 85, 85)
WARN = (192, 0, 0)
ACCENT = (0, 114, 178)
HEADER_FILL = (220, 230, 241)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class _Doc(FPDF):
    def __init__(self, m: Materials):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.m = m
        path = fonts.font_path()
        if path is None:
            raise images.ExportUnavailable(NO_FONT)
        for style in ("", "B"):
            self.add_font(FAMILY, style, str(path))
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, margin=16)
        self.set_title(f"{m.title()} {fiscal.fy_label(m.fy)} 会議資料")
        self.set_author(m.policy.text("department"))
        self.set_creator("運営方針 KPI ダッシュボード")
        if m.provenance:
            self.set_subject(m.provenance.footer())
            self.set_keywords(m.provenance.keywords())
        self.set_lang("ja")
        self.sample_page = False

    def header(self) -> None:
        self.set_font(FAMILY, size=8)
        self.set_text_color(*GREY)
        self.set_xy(14, 6)
        self.cell(0, 5, f"{self.m.title()}　{fiscal.fy_label(self.m.fy)}　{self.m.scope_label()}", align="L")
        if self.sample_page:
            self.set_xy(-74, 5)
            self.set_font(FAMILY, "B", 10)
            self.set_text_color(*WARN)
            self.set_draw_color(*WARN)
            self.cell(60, 7, SAMPLE_LABEL, border=1, align="C")
        self.set_xy(14, 14)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, size=7.5)
        self.set_text_color(*GREY)
        self.cell(245, 5, self.m.footer()[:160], align="L")
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="R")
        if self.m.provenance:  # what the PDF was made from, under the source line
            self.set_xy(14, -9)
            self.set_font(FAMILY, size=6)
            self.cell(245, 4, self.m.provenance.footer()[:200], align="L")

    def new_page(self, title: str, subtitle: str = "", sample: bool = False) -> None:
        self.sample_page = sample
        self.add_page()
        self.set_font(FAMILY, "B", 16)
        self.set_text_color(*INK)
        self.cell(0, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.set_font(FAMILY, size=9.5)
            self.set_text_color(*GREY)
            self.multi_cell(0, 5, subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR)
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.5)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.set_line_width(0.2)
        self.ln(4)

    def text_line(self, text: str, size: float = 10, bold: bool = False, colour=INK, h: float = 6) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*colour)
        self.multi_cell(0, h, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR)

    def picture(self, png: bytes, chart: images.Chart, x: float, y: float, max_w: float, max_h: float) -> float:
        w, h = chart.size()
        scale = min(max_w / w, max_h / h)
        self.image(io.BytesIO(png), x=x, y=y, w=w * scale, h=h * scale, alt_text=chart.name)
        return h * scale

    def table_of(self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
                 status_col: int | None = None, size: float = 8.5) -> None:
        def style(j: int, v: str) -> FontFace | None:  # the status column in its colour
            if j != status_col:
                return None
            key = v.split(" ")[1] if " " in v else v
            return FontFace(family=FAMILY, emphasis="BOLD", color=_rgb(STATUSES[key].ink) if key in STATUSES else INK)

        write_table(self, headers, rows, widths, size=size, heading=FontFace(family=FAMILY, emphasis="BOLD", fill_color=HEADER_FILL,
                                                                               color=INK), cell_style=style)


def write_table(doc: FPDF, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float], *, size: float,
                heading: FontFace, line_height: float = 4.6, padding: float = 1.2,
                cell_style: Callable[[int, str], FontFace | None] | None = None) -> None:
    """A table that wraps Japanese at any character and repeats its heading row on every page it runs onto."""
    doc.set_font(FAMILY, size=size)
    doc.set_text_color(*INK)
    doc.set_draw_color(150, 150, 150)
    with doc.table(col_widths=widths, width=sum(widths), align="LEFT", text_align="LEFT", wrapmode=WrapMode.CHAR,
                   headings_style=heading, line_height=line_height, padding=padding, repeat_headings=1) as tbl:
        head = tbl.row()
        for h in headers:
            head.cell(h)
        for row in rows:
            line = tbl.row()
            for j, v in enumerate(row):
                line.cell(v, style=cell_style(j, v) if cell_style else None)


EVAL_HEADERS = ["経営課題", "ID", "指標", "目標", "年度実績", "達成率", "算定評価", "最終評価", "前年度実績"]
EVAL_WIDTHS = [22, 13, 68, 30, 26, 19, 25, 35, 31]


def cover_page(doc: _Doc, m: Materials, sec: Section, pngs: dict) -> None:
    p = m.policy
    doc.new_page(f"{sec.title}　会議資料", f"{fiscal.fy_label(m.fy, western=True)}　対象: {m.scope_label()}　{m.as_of_text()}　"
                 f"{p.text('department')}", sample=sec.sample)
    if sec.sample:
        doc.text_line(f"【{SAMPLE_LABEL}】この資料の実績はサンプルの数値です。実際の数値ではありません。", 11, True, WARN)
    counts = status_counts(m.results)
    doc.text_line(f"{len(m.results)}指標　" + "　".join(f"{STATUSES[k].symbol} {k} {n}件" for k, n in counts.items()), 11, True)
    year = m.budget_year()
    if year is not None:
        doc.text_line(f"予算合計（{fiscal.fy_label(year)} {m.budget_kind(year)}）: {fmt.million_yen(m.budget_total(year))}", 11, True)
    doc.ln(2)
    doc.text_line("※A：達成 B：未達成（年度の終了後に判定）。※（算定 B）＝理由を添えて上書きした評価。"
                  "達成率＝年度の値÷年度の目標（切り捨て。「上限の」は低いほど良い指標の上限に対する割合）。", 8, colour=GREY)


EXCEPTION_WIDTHS = [18, 13, 50, 36, 20, 38, 94]


def exceptions_page(doc: _Doc, m: Materials, sec: Section, pngs: dict) -> None:
    doc.new_page(sec.title, sec.subtitle, sample=sec.sample)
    doc.table_of(EXCEPTION_HEADERS, [exception_cells(r) for r in sec.results], EXCEPTION_WIDTHS, status_col=0, size=8.5)


def summary_page(doc: _Doc, m: Materials, sec: Section, pngs: dict) -> None:
    doc.new_page(sec.title, sec.subtitle, sample=sec.sample)
    rows = [[m.policy.issues[r.indicator.issue_id].label] + row for r, row in zip(sec.results, display_rows(m, sec.results))]
    headers, widths, rows = fit_to_year(m, ["経営課題", *DISPLAY_HEADERS], [20, 13, 76, 26, 32, 20, 20, 33, 29], rows)
    if rows:
        doc.table_of(headers, rows, widths, status_col=6)
    else:
        doc.text_line("この年度に目標のある指標はありません。", 10, colour=GREY)


def budget_page(doc: _Doc, m: Materials, sec: Section, pngs: dict) -> None:
    chart = sec.chart("budget")
    doc.new_page(sec.title, sec.subtitle)
    top = doc.get_y()
    doc.picture(pngs[id(chart)], chart, doc.l_margin, top, 170, 150)
    years = m.budget_years
    headers = ["経営課題", *(f"{fiscal.fy_short(y)} {m.budget_kind(y)}" for y in years), "伸び"]
    rows = [[m.policy.issues[b.issue_id].label, *(fmt.number(b.amounts[y].amount) if y in b.amounts else "－" for y in years),
             b.growth_label] for b in m.budget_rows]
    rows.append(["合計", *(fmt.number(m.budget_total(y)) for y in years), ""])
    doc.set_xy(190, top + 4)
    doc.set_left_margin(190)
    doc.table_of(headers, rows, [24, *([15] * len(years)), 14][: len(headers)], size=8.5)
    doc.text_line("単位: 百万円。斜線の棒は決算額、それ以外は予算額。", 8, colour=GREY, h=4.5)
    doc.set_left_margin(14)


def indicators_page(doc: _Doc, m: Materials, sec: Section, pngs: dict) -> None:
    chart = sec.chart("progress")
    doc.new_page(sec.title, sec.subtitle, sample=sec.sample)
    top = doc.get_y()
    h = doc.picture(pngs[id(chart)], chart, doc.l_margin, top, 110, doc.h - doc.b_margin - top - 2)
    doc.set_xy(128, top)
    doc.set_left_margin(128)
    headers, widths, rows = fit_to_year(m, DISPLAY_HEADERS, [11, 42, 19, 22, 13, 16, 20, 12], display_rows(m, sec.results))
    doc.table_of(headers, rows, widths, status_col=5, size=7.5)
    doc.set_left_margin(14)
    doc.set_y(max(doc.get_y(), top + h))


def monthly_page(doc: _Doc, m: Materials, sec: Section, pngs: dict) -> None:
    doc.new_page(sec.title, sec.subtitle, sample=sec.sample)
    top = doc.get_y()
    for n, c in enumerate(sec.charts):
        doc.picture(pngs[id(c)], c, doc.l_margin + (n % 2) * 136, top + (n // 2) * 78, 132, 76)


def evaluation_page(doc: _Doc, m: Materials, sec: Section, pngs: dict) -> None:
    """The evaluation table of every indicator in scope (overrides marked ※n, reasons below)."""
    rep = m.evaluation
    doc.new_page(sec.title, sec.subtitle, sample=sec.sample)
    if rep.provisional:
        doc.text_line(f"{ev.PROVISIONAL_LABEL}：{fiscal.fy_label(m.fy)}は{fiscal.month_label(m.as_of)}末の時点で終了していないため、"
                      "A/B は確定していません。", 10.5, True, WARN)
        doc.ln(1)
    rows, notes = [], []
    for r in rep.rows:
        computed = "未確定" if r.provisional else r.computed_label
        mark = f"※{len(notes) + 1}" if r.overridden else "※"
        final = "未確定" + (mark if r.overridden else "") if r.provisional else fmt.grade_text(r.result, mark)
        if r.overridden:
            notes.append(r.override_note(mark))
        rows.append([r.issue_label, r.indicator_id, r.indicator, r.target_text, r.value_text, r.progress_text, computed, final,
                     r.previous_text])
    doc.table_of(EVAL_HEADERS, rows, EVAL_WIDTHS, size=8.5)
    doc.ln(2)
    doc.text_line("※A：達成 B：未達成。算定評価＝年度の値と目標から自動で判定した評価。最終評価＝上書きがあればその評価。", 8, colour=GREY, h=4.5)
    for note in notes:
        doc.text_line(note, 8.5, h=4.8)


def texts_page(doc: _Doc, m: Materials, sec: Section, pngs: dict) -> None:
    doc.new_page(sec.title, sec.subtitle)
    for n, text in enumerate(m.evaluation.texts):
        if n:
            doc.ln(3)
        doc.text_line(text.title, 12, True, ACCENT, h=7)
        if text.user:
            doc.text_line(text.signature, 8, colour=GREY, h=4.5)
        for paragraph in (p for p in text.text.splitlines() if p.strip()) if text.text else ["（未記入）"]:
            doc.text_line(paragraph, 10.5, colour=INK if text.text else GREY, h=6)
            doc.ln(1)


PAGES = {
    COVER: cover_page, EXCEPTIONS: exceptions_page, SUMMARY: summary_page, BUDGET: budget_page,
    INDICATORS: indicators_page, EVALUATION: evaluation_page, MONTHLY: monthly_page, TEXTS: texts_page,
}


def build(m: Materials, progress: Progress | None = None) -> bytes:
    return bytes(lay_out(m, progress, _Doc, PAGES, "PDF を組み立てています").output())
