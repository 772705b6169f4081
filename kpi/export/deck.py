"""PowerPoint deck (16:9) over the materials' outline (kpi.export.outline): the cover, the indicators behind
(遅れ・注意) with their check-ins, the summary, the budget, the indicators by groups of 経営課題, the year-end
evaluation (A/B with overrides marked ※), the monthly series, then 自己評価・今後の方針.

Text is editable text (titles, tables, notes); charts are pictures rendered by kaleido. Each slide's
footer carries the source and the as-of month; sample actuals are marked サンプル（架空） on every
slide that shows them. Status is written in words with a dark shade of its colour (contrast ≥ 4.5:1).
"""
from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Sequence

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from kpi import evaluation as ev
from kpi import fiscal, fmt
from kpi.evaluate import attention, status_counts
from kpi.evaluation.rows import result_totals, totals_text
from kpi.export import images
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
    numbered,
)
from kpi.export.tables import DISPLAY_HEADERS, EXCEPTION_HEADERS, PACE_HEADERS, display_rows, exception_cells, fit_to_year, pace_rows
from kpi.kinds import STATUSES
from kpi.service import SAMPLE_LABEL
from kpi.text import displayable

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
        run.text = displayable(text)  # one XML-illegal character in a stored reason would stop the whole deck
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
        s.name = displayable(title)
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
        if m.provenance:  # what the deck was made from, under the source line
            _text(s, MARGIN, HEIGHT - Inches(0.24), WIDTH - 2 * MARGIN - Inches(1.0), Inches(0.22),
                  [(m.provenance.footer(), 7, False, GREY)], anchor=MSO_ANCHOR.BOTTOM)
        _text(s, WIDTH - MARGIN - Inches(1.0), HEIGHT - Inches(0.48), Inches(1.0), Inches(0.4),
              [(str(self.count), 10, False, GREY)], align=PP_ALIGN.RIGHT, anchor=MSO_ANCHOR.BOTTOM)

    def picture(self, s, png: bytes, left, top, max_w, max_h, chart: images.Chart, centre: bool = True):
        w, h = chart.size()
        scale = min(max_w / w, max_h / h)
        x = left + int((max_w - w * scale) / 2) if centre else left
        pic = s.shapes.add_picture(io.BytesIO(png), x, top, Emu(int(w * scale)), Emu(int(h * scale)))
        pic.name = displayable(chart.name)
        return pic

    def table(self, s, headers: Sequence[str], rows: Sequence[Sequence[str]], left, top, width, col_weights: Sequence[float],
              size: float = 11, row_h=Inches(0.36), status_col: int | None = None, fit: bool = False, least: float = 0.34 * 72):
        """A table; ``fit`` sets each row's height to what its wrapped text needs (estimated), at least ``least`` pt."""
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
                    key = v.split()[-1] if v.split() else v  # 「△ 注意」, 「算定 × 遅れ」
                    colour = _rgb(STATUSES[key].ink) if key in STATUSES else INK
                self._cell(tbl.cell(i, j), v, size, j == status_col, colour=colour)
        if fit:
            widths_pt = [_pt(width) * w / total for w in col_weights]
            for i, cells in enumerate([headers, *rows]):
                tbl.rows[i].height = Emu(int(_row_height(cells, widths_pt, size, least) * EMU_PER_PT))
        return shape

    @staticmethod
    def _cell(cell, text: str, size: float, bold: bool, fill: RGBColor | None = None, colour: RGBColor = INK) -> None:
        cell.text = ""
        para = cell.text_frame.paragraphs[0]
        run = para.add_run()
        run.text = displayable(text)  # one XML-illegal character in a stored reason would stop the whole deck
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

EVAL_HEADERS = ["経営課題", "ID", "指標", "目標", "年度実績", "達成率", "算定評価", "最終評価", "前年度実績"]
EVAL_WEIGHTS = [0.85, 0.55, 2.7, 1.35, 1.1, 0.9, 1.15, 1.75, 1.1]
EVAL_SIZE = 11.5
NOTE_SIZE = 10.5
MAX_REASON = 160  # characters of a reason on a slide; the workbook carries it whole


def _evaluation_rows(rows: Sequence[ev.EvaluationRow], first_mark: int) -> tuple[list[list[str]], list[str]]:
    """Table cells and footnotes; an override is marked ※n in 最終評価 and explained in footnote n."""
    cells, notes = [], []
    for r in rows:
        mark = ""
        if r.overridden:
            mark = f"※{first_mark + len(notes)}"
            notes.append(r.override_note(mark, MAX_REASON))
        final = fmt.grade_text(r.result, mark or "※") if r.final_grade else "未確定" + mark
        late = fmt.overdue_text(r.result)  # at year end too: the value is an older month's
        cells.append([r.issue_label, r.indicator_id, r.indicator, r.target_text, r.value_text + (f"\n{late}" if late else ""),
                      r.progress_text,
                      r.computed_label if r.computed_grade else "未確定", final, r.previous_text])
    return cells, notes


def _row_height(cells: Sequence[str], widths_pt: Sequence[float], size: float, least: float = 0.34 * 72) -> float:
    lines = max(line_count(c, w - 8, size) for c, w in zip(cells, widths_pt))
    return max(least, lines * size * 1.22 + 7)  # pt


def evaluation_slides(d: _Deck, m: Materials, sec: Section, pngs: dict) -> None:
    """アウトカム指標の達成状況 of every 経営課題 in scope: as few slides as the rows and the overrides' reasons need."""
    rep = m.evaluation
    rows = rep.rows
    width = WIDTH - 2 * MARGIN
    total = sum(EVAL_WEIGHTS)
    widths_pt = [_pt(width) * w / total for w in EVAL_WEIGHTS]
    legend = "A：達成　B：未達成。算定評価＝年度の値と目標から自動で判定した評価。"
    if any(r.overridden for r in rows):
        legend += "※＝評価を上書き（理由は下記）。"
    header_h = _row_height(EVAL_HEADERS, widths_pt, EVAL_SIZE)
    top_pt = _pt(CONTENT_TOP) + (0.45 * 72 if rep.provisional else 0.05 * 72)
    room = _pt(CONTENT_BOTTOM) - top_pt - header_h - 10

    def fits(chunk: list[ev.EvaluationRow]) -> bool:
        cells, notes = _evaluation_rows(chunk, 1)
        need = sum(_row_height(c, widths_pt, EVAL_SIZE) for c in cells)
        need += sum(line_count(t, _pt(width), NOTE_SIZE) for t in [legend, *notes]) * NOTE_SIZE * 1.25 + 12
        return need <= room

    # Greedy: as many rows per slide as fit with their footnotes; then the same number of slides, evened out.
    chunks: list[list[ev.EvaluationRow]] = [[]]
    for r in rows:
        if chunks[-1] and not fits([*chunks[-1], r]):
            chunks.append([])
        chunks[-1].append(r)
    per = math.ceil(len(rows) / len(chunks))
    even = [list(rows[i:i + per]) for i in range(0, len(rows), per)]
    if len(even) == len(chunks) and all(fits(c) for c in even):
        chunks = even
    mark = 1
    for n, chunk in enumerate(chunks, start=1):
        s = d.slide(numbered(sec.title, n, len(chunks)), sec.subtitle, sample=sec.sample)
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
        shape = d.table(s, EVAL_HEADERS, cells, MARGIN, top, width, EVAL_WEIGHTS, size=EVAL_SIZE, fit=True)
        tbl = shape.table
        for i, row_cells in enumerate(cells, start=1):
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
            items.append(((sec.signature, size - 4, False, GREY, 0.0), sec.title, False))
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


def text_slides(d: _Deck, m: Materials, sec: Section, pngs: dict) -> None:
    """自己評価（運営方針全体の定性評価） and 今後の方針 (and any per 経営課題) as editable text, over as many slides as they need."""
    rep = m.evaluation
    width = WIDTH - 2 * MARGIN
    height = CONTENT_BOTTOM - CONTENT_TOP - Inches(0.1)
    for size in TEXT_SIZES:
        pages = _paginate(_text_items(rep.texts, size), _pt(width) - 8, _pt(height) * TEXT_SLACK)
        if len(pages) == 1:
            break
    for n, page in enumerate(pages, start=1):
        s = d.slide(numbered(sec.title, n, len(pages)), sec.subtitle)
        box = _text(s, MARGIN, CONTENT_TOP, width, height, [(t, sz, b, c) for t, sz, b, c, _ in page])
        box.name = "自己評価・今後の方針"
        for para, (_, _, _, _, before) in zip(box.text_frame.paragraphs, page):
            para.space_before = Pt(before)


# --- the other sections ---------------------------------------------------------------------------

def cover_slide(d: _Deck, m: Materials, sec: Section, pngs: dict) -> None:
    s = d.prs.slides.add_slide(d.blank)
    d.count += 1
    s.name = "表紙"
    _text(s, Inches(0.9), Inches(2.0), WIDTH - Inches(1.8), Inches(1.2), [(sec.title, 34, True, INK)])
    behind = attention(m.results) if m.scope.includes("summary") else []
    _text(s, Inches(0.9), Inches(3.3), WIDTH - Inches(1.8), Inches(1.9), [
        (f"{fiscal.fy_label(m.fy, western=True)}　会議資料", 22, False, ACCENT),
        (f"対象: {m.scope_label()}　{m.as_of_text()}", 16, False, GREY),
        (m.policy.text("department"), 16, False, GREY),
        (counts_line(m) + (f"　（要注意 {len(behind)}件は次のスライドから）" if behind else ""), 14, False, INK),
    ])
    if sec.sample:
        _text(s, Inches(0.9), Inches(5.4), WIDTH - Inches(1.8), Inches(0.6),
              [(f"【{SAMPLE_LABEL}】この資料の実績はサンプルの数値です。実際の数値ではありません。", 16, True, WARN)])
    d.footer(s)


EXCEPTION_WEIGHTS = [0.8, 0.55, 2.0, 2.0, 1.05, 1.7, 4.1]
EXCEPTION_SIZE = 10.0


def fill_slides(rows: Sequence[Sequence[str]], headers: Sequence[str], weights: Sequence[float], size: float, room_pt: float) -> list[list]:
    """Rows into as few slides as their estimated heights allow, then evened out (9 + 8 rather than 16 + 1)."""
    widths = [_pt(WIDTH - 2 * MARGIN) * w / sum(weights) for w in weights]
    heights = [_row_height(r, widths, size) for r in rows]
    room = room_pt - _row_height(headers, widths, size)
    count, used = 1, 0.0
    for h in heights:
        if used and used + h > room:
            count, used = count + 1, 0.0
        used += h
    per = math.ceil(len(rows) / count) if rows else 0
    chunks = [list(rows[i:i + per]) for i in range(0, len(rows), per)] if rows else []
    if any(sum(heights[k] for k in range(i, min(i + per, len(rows)))) > room for i in range(0, len(rows), per)):
        chunks, current, used = [], [], 0.0  # evening out overfilled a slide: plain greedy instead
        for row, h in zip(rows, heights):
            if current and used + h > room:
                chunks.append(current)
                current, used = [], 0.0
            current.append(row)
            used += h
        chunks.append(current)
    return chunks


def exceptions_slide(d: _Deck, m: Materials, sec: Section, pngs: dict) -> None:
    rows = [exception_cells(r) for r in sec.results]
    chunks = fill_slides(rows, EXCEPTION_HEADERS, EXCEPTION_WEIGHTS, EXCEPTION_SIZE, _pt(CONTENT_BOTTOM - CONTENT_TOP) - 12)
    for n, chunk in enumerate(chunks, start=1):
        s = d.slide(numbered(sec.title, n, len(chunks)), sec.subtitle, sample=sec.sample)
        d.table(s, EXCEPTION_HEADERS, chunk, MARGIN, CONTENT_TOP + Inches(0.05), WIDTH - 2 * MARGIN, EXCEPTION_WEIGHTS,
                size=EXCEPTION_SIZE, status_col=0, fit=True)


def counts_line(m: Materials) -> str:
    """The counts the cover and the summary lead with. Once the year has ended: the final A/B from the function
    年度評価 counts with (an override to A counts as A), then the computed statuses labelled 算定; while it runs:
    the statuses and the overdue reports."""
    counts = status_counts(m.results)
    statuses = "　".join(f"{STATUSES[k].symbol} {k} {n}件" for k, n in counts.items() if n or k != "未報告")
    if m.year_ended:
        return f"{totals_text(result_totals(m.results, True))}　｜　算定の状況 {statuses}"
    late = sum(1 for r in m.results if r.last_month and r.overdue_months > 0)
    return f"{len(m.results)}指標　{statuses}" + (f"　報告遅れ {late}件" if late else "")


def summary_slide(d: _Deck, m: Materials, sec: Section, pngs: dict) -> None:
    year = m.budget_year()
    budget_line = f"予算合計（{fiscal.fy_label(year)} {m.budget_kind(year)}）: {fmt.million_yen(m.budget_total(year))}" if year else ""
    s = d.slide(sec.title, sec.subtitle, sample=sec.sample)
    _text(s, MARGIN, Inches(1.32), WIDTH - 2 * MARGIN, Inches(0.4), [(f"{counts_line(m)}　｜　{budget_line}", 13, True, INK)])
    headers = ["経営課題", *DISPLAY_HEADERS]
    rows = [[m.policy.issues[r.indicator.issue_id].label] + row for r, row in zip(sec.results, display_rows(m, sec.results))]
    weights = [0.95, 0.55, 3.3, 2.3, 1.5, 0.8, 1.05, 1.6, 1.0]
    headers, weights, rows = fit_to_year(m, headers, weights, rows)
    if rows:
        top, bottom = Inches(2.05 if m.year_ended else 1.85), CONTENT_BOTTOM - (Inches(0.3) if not m.year_ended else 0)
        widths_pt = [_pt(WIDTH - 2 * MARGIN) * w / sum(weights) for w in weights]
        least = 0.26 * 72  # 16 one-line rows fit the slide
        size = next((sz for sz in (10.5, 10.0, 9.5, 9.0, 8.5)  # the largest size at which every row fits the slide
                     if sum(_row_height(c, widths_pt, sz, least) for c in [headers, *rows]) <= _pt(bottom - top)), 8.0)
        d.table(s, headers, rows, MARGIN, top, WIDTH - 2 * MARGIN, weights, size=size, row_h=Inches(0.3),
                status_col=headers.index("状況"), fit=True, least=least)
        if not m.year_ended:
            _text(s, MARGIN, bottom, WIDTH - 2 * MARGIN, Inches(0.3),
                  [(f"年度評価（A：達成 B：未達成）は{fiscal.fy_label(m.fy)}の終了後に判定します。", 10, False, GREY)])
    else:
        _text(s, MARGIN, Inches(2.0), WIDTH - 2 * MARGIN, Inches(0.5), [("この年度に目標のある指標はありません。", 14, False, GREY)])


def budget_slide(d: _Deck, m: Materials, sec: Section, pngs: dict) -> None:
    chart = sec.chart("budget")
    s = d.slide(sec.title, sec.subtitle)
    pic = d.picture(s, pngs[id(chart)], MARGIN, CONTENT_TOP, Inches(7.6), Inches(5.5), chart, centre=False)
    left = pic.left + pic.width + Inches(0.25)
    years = m.budget_years
    headers = ["経営課題", *(f"{fiscal.fy_short(y)} {m.budget_kind(y)}" for y in years), "伸び"]
    rows = [[m.policy.issues[b.issue_id].label, *(fmt.number(b.amounts[y].amount) if y in b.amounts else "－" for y in years),
             b.growth_label] for b in m.budget_rows]
    rows.append(["合計", *(fmt.number(m.budget_total(y)) for y in years), ""])
    d.table(s, headers, rows, left, CONTENT_TOP + Inches(0.2), WIDTH - left - MARGIN, [1.6, *([1.0] * len(years)), 0.9], size=11)
    _text(s, left, CONTENT_TOP + Inches(0.4) + Inches(0.36) * (len(rows) + 1), WIDTH - left - MARGIN, Inches(1.2),
          [("単位: 百万円。斜線の棒は決算額、それ以外は予算額。伸びは最初の年度から最後の年度への倍率（基準が0なら新規）。", 11, False, GREY)])


def indicators_slide(d: _Deck, m: Materials, sec: Section, pngs: dict) -> None:
    chart = sec.chart("progress")
    s = d.slide(sec.title, sec.subtitle, sample=sec.sample)
    pic = d.picture(s, pngs[id(chart)], MARGIN, CONTENT_TOP, Inches(5.4), Inches(5.6), chart, centre=False)
    left = pic.left + pic.width + Inches(0.25)
    # Beside the chart: the pace it draws (the summary's columns are not repeated).
    d.table(s, PACE_HEADERS, pace_rows(sec.results), left, Inches(1.45), WIDTH - left - MARGIN,
            [0.6, 2.3, 1.1, 1.1, 0.8, 1.0, 1.7], size=10, row_h=Inches(0.5), status_col=PACE_HEADERS.index("状況"), fit=True)


def monthly_slide(d: _Deck, m: Materials, sec: Section, pngs: dict) -> None:
    s = d.slide(sec.title, sec.subtitle, sample=sec.sample)
    for n, c in enumerate(sec.charts):
        left = MARGIN + (n % 2) * Inches(6.25)
        top = Inches(1.35) + (n // 2) * Inches(2.85)
        d.picture(s, pngs[id(c)], left, top, Inches(6.0), Inches(2.75), c)


SLIDES = {
    COVER: cover_slide, EXCEPTIONS: exceptions_slide, SUMMARY: summary_slide, BUDGET: budget_slide,
    INDICATORS: indicators_slide, EVALUATION: evaluation_slides, MONTHLY: monthly_slide, TEXTS: text_slides,
}


def build(m: Materials, progress: Progress | None = None) -> bytes:
    """The whole deck as .pptx bytes; raises images.ExportUnavailable without a browser."""
    d = lay_out(m, progress, _Deck, SLIDES, "スライドを組み立てています")
    props = d.prs.core_properties
    props.title = f"{m.title()} {fiscal.fy_label(m.fy)} 会議資料"
    if m.provenance:
        props.subject, props.keywords = m.provenance.footer(), m.provenance.keywords()
        props.revision = max(1, m.provenance.store_sequence)
    buf = io.BytesIO()
    d.prs.save(buf)
    return buf.getvalue()
