"""PowerPoint deck (16:9): cover, summary, per 経営課題 a budget slide, an indicators slide and the
year-end evaluation (A/B with overrides marked ※), then 自己評価・今後の方針.

Text is editable text (titles, tables, notes); charts are pictures rendered by kaleido.
Each slide's footer carries the source and the as-of month; sample actuals are marked
サンプル（架空） on every slide that shows them.
"""
from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Callable, Sequence

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from kpi import evaluation as ev
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
CONTENT_TOP = Inches(1.35)
CONTENT_BOTTOM = HEIGHT - Inches(0.55)  # above the footer
EMU_PER_PT = 12700

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


def text_pt(text: str, size: float) -> float:
    """Rough width in pt of one line of ``text``: full-width characters 1 em, others 0.55 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WFA" else size * 0.55 for ch in text)


def line_count(text: str, width_pt: float, size: float) -> int:
    """Lines ``text`` takes in a box ``width_pt`` wide (its own line breaks included); a little slack for the renderer."""
    usable = max(size, width_pt * 0.94)
    return sum(max(1, math.ceil(text_pt(part, size) / usable)) for part in text.split("\n"))


def cut_at(text: str, width_pt: float, size: float) -> int:
    """How many characters of ``text`` fill ``width_pt`` at ``size`` (at least one)."""
    used = 0.0
    for i, ch in enumerate(text):
        used += size if unicodedata.east_asian_width(ch) in "WFA" else size * 0.55
        if used > width_pt:
            return max(1, i)
    return len(text)


def nice_cut(text: str, chars: int) -> int:
    """Move a cut at ``chars`` back to just after a 。 (or 、) when one is near, so a sentence is not split mid-word."""
    if chars >= len(text):
        return chars
    for mark, share in (("。", 0.6), ("、", 0.85)):
        k = text.rfind(mark, 0, chars)
        if k + 1 >= chars * share:
            return k + 1
    return chars


def _pt(emu) -> float:
    return emu / EMU_PER_PT


# --- the year-end evaluation -------------------------------------------------------------------

EVAL_HEADERS = ["ID", "指標", "目標", "年度実績", "達成率", "算定評価", "最終評価", "前年度実績"]
EVAL_WEIGHTS = [0.55, 3.0, 1.45, 1.15, 0.75, 1.2, 1.6, 1.15]
EVAL_SIZE = 12.0
NOTE_SIZE = 10.5
MAX_REASON = 160  # characters of a reason on a slide; the workbook carries it whole


def _override_note(row: ev.EvaluationRow, mark: str) -> str:
    reason = row.override_reason if len(row.override_reason) <= MAX_REASON else row.override_reason[:MAX_REASON] + "…（全文は Excel）"
    applied = (f"算定評価 {row.computed_label} を {ev.grade_label(row.override_grade)} に上書き" if not row.provisional
               else f"{ev.grade_label(row.override_grade)} への上書きを記録（年度の終了後に適用）")
    return f"{mark} {row.indicator_id} {row.indicator}：{applied}（{row.override_user}、{row.override_at}）。理由：{reason}"


def _evaluation_rows(rows: Sequence[ev.EvaluationRow], first_mark: int) -> tuple[list[list[str]], list[str]]:
    """Table cells and footnotes; an override is marked ※n in 最終評価 and explained in footnote n."""
    cells, notes = [], []
    for r in rows:
        mark = ""
        if r.overridden:
            mark = f"※{first_mark + len(notes)}"
            notes.append(_override_note(r, mark))
        final = fmt.grade_text(r.result, mark or "※") if r.final_grade else "未確定" + mark
        cells.append([r.indicator_id, r.indicator, r.target_text, r.value_text, r.progress_text,
                      r.computed_label if r.computed_grade else "未確定", final, r.previous_text])
    return cells, notes


def _row_height(cells: Sequence[str], widths_pt: Sequence[float], size: float) -> float:
    lines = max(line_count(c, w - 8, size) for c, w in zip(cells, widths_pt))
    return max(0.42 * 72, lines * size * 1.22 + 7)  # pt


def evaluation_slides(d: _Deck, m: Materials, iid: str, head: str, sample: bool) -> None:
    """アウトカム指標の達成状況 of one 経営課題: a slide (more if long) with the table and the overrides' reasons."""
    rep = m.evaluation
    rows = [r for r in rep.rows if r.issue_id == iid] if rep else []
    if not rows:
        return
    fy = fiscal.fy_label(m.fy, western=True)
    width = WIDTH - 2 * MARGIN
    total = sum(EVAL_WEIGHTS)
    widths_pt = [_pt(width) * w / total for w in EVAL_WEIGHTS]
    legend = "A：達成　B：未達成。算定評価＝年度の値と目標から自動で判定した評価。"
    if any(r.overridden for r in rows):
        legend += "※＝評価を上書き（理由は下記）。"
    header_h = _row_height(EVAL_HEADERS, widths_pt, EVAL_SIZE)
    # Greedy: as many rows per slide as fit with their footnotes.
    chunks: list[list[ev.EvaluationRow]] = []
    top_pt = _pt(CONTENT_TOP) + (0.45 * 72 if rep.provisional else 0.05 * 72)
    room = _pt(CONTENT_BOTTOM) - top_pt - header_h - 10
    current: list[ev.EvaluationRow] = []
    for r in rows:
        trial = [*current, r]
        cells, notes = _evaluation_rows(trial, 1)
        need = sum(_row_height(c, widths_pt, EVAL_SIZE) for c in cells)
        need += sum(line_count(t, _pt(width), NOTE_SIZE) for t in [legend, *notes]) * NOTE_SIZE * 1.25 + 12
        if current and need > room:
            chunks.append(current)
            current = [r]
        else:
            current = trial
    chunks.append(current)
    mark = 1
    for n, chunk in enumerate(chunks, start=1):
        title = f"{head}：年度評価" + (f"（{n}/{len(chunks)}）" if len(chunks) > 1 else "")
        s = d.slide(title, f"{fy}　アウトカム指標の達成状況　{m.as_of_text()}", sample=sample)
        top = CONTENT_TOP
        if rep.provisional:
            _text(s, MARGIN, top, width, Inches(0.4),
                  [(f"{ev.PROVISIONAL_LABEL}：{fiscal.fy_label(m.fy)}は{fiscal.month_label(m.as_of)}末の時点で終了していないため、"
                    "A/B は確定していません。", 13, True, WARN)])
            top += Inches(0.45)
        else:
            top += Inches(0.05)
        cells, notes = _evaluation_rows(chunk, mark)
        mark += len(notes)
        shape = d.table(s, EVAL_HEADERS, cells, MARGIN, top, width, EVAL_WEIGHTS, size=EVAL_SIZE, row_h=Inches(0.42))
        tbl = shape.table
        tbl.rows[0].height = Emu(int(header_h * EMU_PER_PT))
        for i, row_cells in enumerate(cells, start=1):
            tbl.rows[i].height = Emu(int(_row_height(row_cells, widths_pt, EVAL_SIZE) * EMU_PER_PT))
            final = tbl.cell(i, EVAL_HEADERS.index("最終評価"))
            for run in final.text_frame.paragraphs[0].runs:
                _font(run, EVAL_SIZE, True, WARN if "※" in row_cells[EVAL_HEADERS.index("最終評価")] else INK)
        table_h = sum(tbl.rows[i].height for i in range(len(tbl.rows)))
        note_top = top + table_h + Inches(0.12)
        lines = [(legend, NOTE_SIZE, False, GREY)] + [(t, NOTE_SIZE, False, INK) for t in notes]
        _text(s, MARGIN, note_top, width, max(Inches(0.3), CONTENT_BOTTOM - note_top), lines)


TEXT_SIZES = (16.0, 14.0)
TEXT_SLACK = 0.92  # share of the box's height the estimate may fill


Item = tuple[str, float, bool, RGBColor, float]  # text, size, bold, colour, space before (pt)


def _text_items(sections: Sequence[ev.TextSection], size: float) -> list[tuple[Item, str, bool]]:
    """Each paragraph of the texts as (item, the section's title, is the heading)."""
    items = []
    for n, sec in enumerate(sections):
        items.append(((sec.title, size + 2, True, ACCENT, 0.0 if n == 0 else size * 0.9), sec.title, True))
        if sec.user:
            items.append(((f"記入: {sec.user}　{sec.at}", size - 4, False, GREY, 0.0), sec.title, False))
        paragraphs = [p.rstrip() for p in sec.text.splitlines() if p.strip()] if sec.text else ["（未記入）"]
        for p in paragraphs:
            items.append(((p, size, False, INK if sec.text else GREY, size * 0.3), sec.title, False))
    return items


def _paginate(items: Sequence[tuple[Item, str, bool]], width_pt: float, height_pt: float) -> list[list[Item]]:
    """Items into pages of at most ``height_pt``. A paragraph longer than what is left is cut at a line and
    continues on the next page under its section's title marked （続き）."""
    def h(text: str, size: float, before: float) -> float:
        return before + line_count(text, width_pt, size) * size * 1.25

    pages: list[list[Item]] = [[]]
    used = 0.0

    def new_page(title: str | None, size: float) -> None:
        nonlocal used
        pages.append([])
        used = 0.0
        if title:
            pages[-1].append((f"{title}（続き）", size + 2, True, ACCENT, 0.0))
            used = h(title + "（続き）", size + 2, 0.0)

    for k, ((text, size, bold, colour, before), title, heading) in enumerate(items):
        if heading:  # keep a heading with at least two lines of what follows
            nxt = items[k + 1][0] if k + 1 < len(items) else None
            if pages[-1] and used + h(text, size, before) + (2 * nxt[1] * 1.25 if nxt else 0) > height_pt:
                new_page(None, size)
        while True:
            before_here = before if pages[-1] else 0.0
            need = h(text, size, before_here)
            if used + need <= height_pt:
                pages[-1].append((text, size, bold, colour, before_here))
                used += need
                break
            room_lines = int((height_pt - used - before_here) // (size * 1.25))
            if room_lines >= 2 and not heading:  # fill this page, continue on the next
                chars = nice_cut(text, cut_at(text, width_pt * 0.94 * (room_lines - 0.5), size))
                pages[-1].append((text[:chars], size, bold, colour, before_here))
                text = text[chars:]
                if not text:
                    break
            elif used <= h(f"{title}（続き）", size + 2, 0.0) + 0.5:  # taller than a fresh page and not to be cut: place it anyway
                pages[-1].append((text, size, bold, colour, before_here))
                used += need
                break
            new_page(None if heading else title, size)
    return pages


def text_slides(d: _Deck, m: Materials) -> None:
    """自己評価（運営方針全体の定性評価） and 今後の方針 (and any per 経営課題) as editable text, over as many slides as they need."""
    rep = m.evaluation
    if rep is None or not any(t.text for t in rep.texts):
        return
    width = WIDTH - 2 * MARGIN
    height = CONTENT_BOTTOM - CONTENT_TOP - Inches(0.1)
    for size in TEXT_SIZES:
        pages = _paginate(_text_items(rep.texts, size), _pt(width) - 8, _pt(height) * TEXT_SLACK)
        if len(pages) == 1:
            break
    for n, page in enumerate(pages, start=1):
        title = "自己評価・今後の方針" + (f"（{n}/{len(pages)}）" if len(pages) > 1 else "")
        s = d.slide(title, f"{fiscal.fy_label(m.fy, western=True)}　{m.scope_label()}")
        box = _text(s, MARGIN, CONTENT_TOP, width, height, [(t, sz, b, c) for t, sz, b, c, _ in page])
        box.name = "自己評価・今後の方針"
        for para, (_, _, _, _, before) in zip(box.text_frame.paragraphs, page):
            para.space_before = Pt(before)


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
                        [1.1, 0.6, 3.6, 1.2, 1.5, 0.9, 0.9, 1.6, 1.1], size=10.5, row_h=Inches(0.3), status_col=6)
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
                    [0.6, 2.4, 1.0, 1.35, 0.8, 0.9, 1.25, 1.0], size=10, row_h=Inches(0.5), status_col=5)
        if m.scope.includes("evaluation"):
            evaluation_slides(d, m, iid, head, _sample(m, rs))
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
    if m.scope.includes("evaluation"):
        text_slides(d, m)
    step(1.0, "完了")
    buf = io.BytesIO()
    d.prs.save(buf)
    return buf.getvalue()
