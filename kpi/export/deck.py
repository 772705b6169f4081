"""PowerPoint deck (16:9): cover, summary, and per 経営課題 a budget slide and an indicators slide.

Text is editable text (titles, tables, notes); charts are pictures rendered by kaleido.
Each slide's footer carries the source and the as-of month; sample actuals are marked
サンプル（架空） on every slide that shows them.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from kpi import fiscal, fmt
from kpi.evaluate import status_counts
from kpi.export import images
from kpi.export.content import Materials, charts_for
from kpi.export.tables import DISPLAY_HEADERS, display_rows
from kpi.kinds import STATUSES
from kpi.service import SAMPLE_LABEL

FONT_NAME = "BIZ UDPゴシック"
WIDTH, HEIGHT = Emu(12192000), Emu(6858000)  # 16:9, 13.333 × 7.5 in: PowerPoint's own widescreen size
MARGIN = Inches(0.45)
INK = RGBColor(0x1A, 0x1A, 0x1A)
GREY = RGBColor(0x55, 0x55, 0x55)
ACCENT = RGBColor(0x00, 0x72, 0xB2)
WARN = RGBColor(0xC0, 0x00, 0x00)
HEADER_FILL = RGBColor(0xDC, 0xE6, 0xF1)
ROWS_PER_SLIDE = 16

Progress = Callable[[float, str], None]


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _font(run, size: float, bold: bool = False, colour: RGBColor = INK) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = colour
    run.font.name = FONT_NAME
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):  # East Asian text uses its own typeface in PowerPoint
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            rpr.append(el)
        el.set("typeface", FONT_NAME)


def _text(slide, left, top, width, height, lines: Sequence[tuple[str, float, bool, RGBColor]],
          align=PP_ALIGN.LEFT, anchor=MSO_ANCHOR.TOP):
    box = slide.shapes.add_textbox(left, top, width, height)
    tf = box.text_frame
    tf.word_wrap = True
    tf.vertical_anchor = anchor
    tf.margin_left = tf.margin_right = Inches(0.05)
    for i, (text, size, bold, colour) in enumerate(lines):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        para.alignment = align
        run = para.add_run()
        run.text = text
        _font(run, size, bold, colour)
    return box


class _Deck:
    def __init__(self, m: Materials):
        self.m = m
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT
        self.blank = self.prs.slide_layouts[6]
        self.count = 0

    def slide(self, title: str, subtitle: str = "", sample: bool = False):
        s = self.prs.slides.add_slide(self.blank)
        self.count += 1
        s.name = title
        box_w = WIDTH - 2 * MARGIN - Inches(2.2)
        size = max(16, min(24, int(box_w / 12700 / (len(title) * 1.05))))  # EMU → pt; one line, shrunk to fit
        _text(s, MARGIN, Inches(0.3), box_w, Inches(0.6), [(title, size, True, INK)], anchor=MSO_ANCHOR.MIDDLE)
        if subtitle:
            _text(s, MARGIN, Inches(0.85), WIDTH - 2 * MARGIN, Inches(0.35), [(subtitle, 12, False, GREY)])
        line = s.shapes.add_connector(1, MARGIN, Inches(1.22), WIDTH - MARGIN, Inches(1.22))
        line.line.color.rgb = ACCENT
        line.line.width = Pt(1.5)
        if sample:
            self.sample_tag(s)
        self.footer(s)
        return s

    def sample_tag(self, s) -> None:
        box = _text(s, WIDTH - MARGIN - Inches(2.1), Inches(0.35), Inches(2.1), Inches(0.45),
                    [(SAMPLE_LABEL, 14, True, WARN)], align=PP_ALIGN.CENTER, anchor=MSO_ANCHOR.MIDDLE)
        box.line.color.rgb = WARN
        box.line.width = Pt(1.5)

    def footer(self, s) -> None:
        m = self.m
        _text(s, MARGIN, HEIGHT - Inches(0.48), WIDTH - 2 * MARGIN - Inches(1.0), Inches(0.4),
              [(m.footer(), 9, False, GREY)], anchor=MSO_ANCHOR.BOTTOM)
        _text(s, WIDTH - MARGIN - Inches(1.0), HEIGHT - Inches(0.48), Inches(1.0), Inches(0.4),
              [(str(self.count), 10, False, GREY)], align=PP_ALIGN.RIGHT, anchor=MSO_ANCHOR.BOTTOM)

    def picture(self, s, png: bytes, left, top, max_w, max_h, chart: images.Chart, centre: bool = True):
        w, h = chart.size()
        scale = min(max_w / w, max_h / h)
        x = left + int((max_w - w * scale) / 2) if centre else left
        pic = s.shapes.add_picture(io.BytesIO(png), x, top, Emu(int(w * scale)), Emu(int(h * scale)))
        pic.name = chart.name
        return pic

    def table(self, s, headers: Sequence[str], rows: Sequence[Sequence[str]], left, top, width, col_weights: Sequence[float],
              size: float = 11, row_h=Inches(0.36), status_col: int | None = None):
        shape = s.shapes.add_table(len(rows) + 1, len(headers), left, top, width, row_h * (len(rows) + 1))
        tbl = shape.table
        total = sum(col_weights)
        for j, wgt in enumerate(col_weights):
            tbl.columns[j].width = Emu(int(width * wgt / total))
        for j, h in enumerate(headers):
            self._cell(tbl.cell(0, j), h, size, True, fill=HEADER_FILL)
        for i, row in enumerate(rows, start=1):
            for j, v in enumerate(row):
                colour = INK
                if status_col is not None and j == status_col:
                    key = v.split(" ")[1] if " " in v else v
                    colour = _rgb(STATUSES[key].colour) if key in STATUSES else INK
                self._cell(tbl.cell(i, j), v, size, j == status_col, colour=colour)
        return shape

    @staticmethod
    def _cell(cell, text: str, size: float, bold: bool, fill: RGBColor | None = None, colour: RGBColor = INK) -> None:
        cell.text = ""
        para = cell.text_frame.paragraphs[0]
        run = para.add_run()
        run.text = text
        _font(run, size, bold, colour)
        cell.margin_left = cell.margin_right = Inches(0.05)
        cell.margin_top = cell.margin_bottom = Inches(0.02)
        cell.vertical_anchor = MSO_ANCHOR.MIDDLE
        if fill is not None:
            cell.fill.solid()
            cell.fill.fore_color.rgb = fill
        else:
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor(0xFF, 0xFF, 0xFF)


def _sample(m: Materials, rs) -> bool:
    return any(m.is_sample(r) for r in rs)


def build(m: Materials, progress: Progress | None = None) -> bytes:
    """The whole deck as .pptx bytes; raises images.ExportUnavailable without a browser."""
    step = progress or (lambda f, t: None)
    charts = [c for c in charts_for(m, (*m.scope.sections, "compact")) if c.meta["kind"] in ("budget", "progress_compact", "series")]
    pngs = {}
    for i, c in enumerate(charts):
        step(0.05 + 0.85 * i / max(1, len(charts)), f"グラフを画像にしています（{i + 1}/{len(charts)}）")
        pngs[(c.meta["kind"], c.meta.get("indicator") or c.meta["issue"])] = (c, images.render_chart(c, "png"))
    step(0.92, "スライドを組み立てています")
    d = _Deck(m)
    p = m.policy
    fy = fiscal.fy_label(m.fy, western=True)
    any_sample = _sample(m, m.results)

    # Cover
    s = d.prs.slides.add_slide(d.blank)
    d.count += 1
    _text(s, Inches(0.9), Inches(2.0), WIDTH - Inches(1.8), Inches(1.2), [(m.title(), 34, True, INK)])
    _text(s, Inches(0.9), Inches(3.3), WIDTH - Inches(1.8), Inches(1.6), [
        (f"{fy}　会議資料", 22, False, ACCENT),
        (f"対象: {m.scope_label()}　{m.as_of_text()}", 16, False, GREY),
        (p.text("department"), 16, False, GREY),
    ])
    if any_sample:
        _text(s, Inches(0.9), Inches(5.2), WIDTH - Inches(1.8), Inches(0.6),
              [(f"【{SAMPLE_LABEL}】この資料の実績はサンプルの数値です。実際の数値ではありません。", 16, True, WARN)])
    d.footer(s)

    if m.scope.includes("summary"):
        rs = m.results
        counts = status_counts(rs)
        year = m.budget_year()
        budget_line = ""
        if year is not None:
            budget_line = f"予算合計（{fiscal.fy_label(year)} {m.budget_kind(year)}）: {fmt.million_yen(m.budget_total(year))}"
        status_line = "　".join(f"{STATUSES[k].symbol} {k} {n}件" for k, n in counts.items())
        parts = max(1, -(-len(rs) // ROWS_PER_SLIDE))
        per = max(1, -(-len(rs) // parts))  # even slides: 17 rows make 9 + 8, not 16 + 1
        chunks = [rs[i:i + per] for i in range(0, len(rs), per)] or [[]]
        for n, chunk in enumerate(chunks, start=1):
            title = "全体の状況" + (f"（{n}/{len(chunks)}）" if len(chunks) > 1 else "")
            s = d.slide(title, f"{fy}　{m.scope_label()}　{m.as_of_text()}", sample=_sample(m, chunk))
            _text(s, MARGIN, Inches(1.32), WIDTH - 2 * MARGIN, Inches(0.4), [(f"{status_line}　｜　{budget_line}", 14, True, INK)])
            rows = [[p.issues[r.indicator.issue_id].label] + row for r, row in zip(chunk, display_rows(m, chunk))]
            if rows:
                d.table(s, ["経営課題", *DISPLAY_HEADERS], rows, MARGIN, Inches(1.85), WIDTH - 2 * MARGIN,
                        [1.1, 0.6, 4.2, 1.3, 1.6, 0.8, 1.1, 1.2], size=10.5, row_h=Inches(0.3), status_col=6)
            else:
                _text(s, MARGIN, Inches(2.0), WIDTH - 2 * MARGIN, Inches(0.5), [("この年度に目標のある指標はありません。", 14, False, GREY)])

    for iid in m.issue_ids():
        issue = p.issues[iid]
        head = f"{issue.label}　{issue.short_title}"
        if m.scope.includes("budget") and ("budget", iid) in pngs:
            chart, png = pngs[("budget", iid)]
            s = d.slide(f"{head}：予算", issue.title)
            d.picture(s, png, MARGIN, Inches(1.35), Inches(8.3), Inches(5.55), chart)
            row = m.budget_of(iid)
            lines = [("予算の推移（百万円）", 14, True, INK)]
            for y in m.budget_years:
                b = row.amounts.get(y) if row else None
                lines.append((f"{fiscal.fy_label(y)} {b.kind if b else ''}: {fmt.million_yen(b.amount if b else None)}", 13, False, INK))
            if row:
                lines.append((f"伸び（{fiscal.fy_short(m.budget_years[0])}→{fiscal.fy_short(m.budget_years[-1])}）: {row.growth_label}",
                              13, True, ACCENT))
            lines.append(("斜線の棒は決算額、それ以外は予算額。", 11, False, GREY))
            lines.append((m.budget_source(), 10, False, GREY))
            _text(s, Inches(9.0), Inches(1.6), WIDTH - Inches(9.0) - MARGIN, Inches(4.5), lines)
        rs = m.results_of(iid)
        if m.scope.includes("indicators") and ("progress_compact", iid) in pngs:
            chart, png = pngs[("progress_compact", iid)]
            s = d.slide(f"{head}：指標の達成状況", f"{fy}　{m.as_of_text()}", sample=_sample(m, rs))
            pic = d.picture(s, png, MARGIN, Inches(1.35), Inches(5.6), Inches(5.6), chart, centre=False)
            left = pic.left + pic.width + Inches(0.25)
            d.table(s, DISPLAY_HEADERS, display_rows(m, rs), left, Inches(1.45), WIDTH - left - MARGIN,
                    [0.6, 2.7, 1.05, 1.45, 0.75, 0.95, 1.05], size=10, row_h=Inches(0.5), status_col=5)
        if m.scope.includes("monthly"):
            for k in range(0, len(rs), 4):
                group = rs[k:k + 4]
                s = d.slide(f"{head}：月次推移" + (f"（{k // 4 + 1}）" if len(rs) > 4 else ""), f"{fy}　{m.as_of_text()}",
                            sample=_sample(m, group))
                for n, r in enumerate(group):
                    c, png = pngs[("series", r.indicator.indicator_id)]
                    left = MARGIN + (n % 2) * Inches(6.25)
                    top = Inches(1.35) + (n // 2) * Inches(2.85)
                    d.picture(s, png, left, top, Inches(6.0), Inches(2.75), c)
    step(1.0, "完了")
    buf = io.BytesIO()
    d.prs.save(buf)
    return buf.getvalue()
