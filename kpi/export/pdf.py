"""PDF for printing (A4 landscape): the same content as the deck, with the full indicator table,
and (section "evaluation") the year-end evaluation table and 自己評価・今後の方針.

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
from kpi.export.content import Materials, charts_for
from kpi.export.tables import DISPLAY_HEADERS, display_rows
from kpi.kinds import STATUSES
from kpi.service import SAMPLE_LABEL

FAMILY = "ipaexg"
NO_FONT = ("PDF に使う日本語フォント（IPAexゴシック）が見つかりません。"
           "`pip install matplotlib-fontja` または `apt-get install fonts-ipaexfont-gothic` で入れてください。")
Progress = Callable[[float, str], None]
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
        self.set_font(FAMILY, size=size)
        self.set_text_color(*INK)
        self.set_draw_color(150, 150, 150)
        heading = FontFace(family=FAMILY, emphasis="BOLD", fill_color=HEADER_FILL, color=INK)
        with self.table(col_widths=widths, width=sum(widths), align="LEFT", text_align="LEFT", wrapmode=WrapMode.CHAR,
                        headings_style=heading, line_height=4.6, padding=1.2, repeat_headings=1) as tbl:
            head = tbl.row()
            for h in headers:
                head.cell(h)
            for row in rows:
                r = tbl.row()
                for j, v in enumerate(row):
                    if status_col is not None and j == status_col:
                        key = v.split(" ")[1] if " " in v else v
                        colour = _rgb(STATUSES[key].colour) if key in STATUSES else INK
                        r.cell(v, style=FontFace(family=FAMILY, emphasis="BOLD", color=colour))
                    else:
                        r.cell(v)


EVAL_HEADERS = ["経営課題", "ID", "指標", "目標", "年度実績", "達成率", "算定評価", "最終評価", "前年度実績"]
EVAL_WIDTHS = [22, 13, 72, 30, 26, 15, 25, 35, 31]


def evaluation_pages(doc: _Doc, m: Materials, sample: bool) -> None:
    """The evaluation table of every indicator in scope (overrides marked ※n, reasons below), then the texts."""
    rep = m.evaluation
    if rep is None:
        return
    fy = fiscal.fy_label(m.fy, western=True)
    doc.new_page("年度評価（アウトカム指標の達成状況）", f"{fy}　{m.scope_label()}　{m.as_of_text()}", sample=sample)
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
            applied = (f"算定評価 {r.computed_label} を {ev.grade_label(r.override_grade)} に上書き" if not r.provisional
                       else f"{ev.grade_label(r.override_grade)} への上書きを記録（年度の終了後に適用）")
            notes.append(f"{mark} {r.indicator_id} {r.indicator}：{applied}（{r.override_user}、{r.override_at}）。理由：{r.override_reason}")
        rows.append([r.issue_label, r.indicator_id, r.indicator, r.target_text, r.value_text, r.progress_text, computed, final,
                     r.previous_text])
    if rows:
        doc.table_of(EVAL_HEADERS, rows, EVAL_WIDTHS, size=8.5)
    else:
        doc.text_line("この年度に目標のある指標はありません。", 10, colour=GREY)
    doc.ln(2)
    doc.text_line("※A：達成 B：未達成。算定評価＝年度の値と目標から自動で判定した評価。最終評価＝上書きがあればその評価。", 8, colour=GREY, h=4.5)
    for note in notes:
        doc.text_line(note, 8.5, h=4.8)
    if not any(t.text for t in rep.texts):
        return
    doc.new_page("自己評価・今後の方針", f"{fy}　{m.scope_label()}")
    for n, sec in enumerate(rep.texts):
        if n:
            doc.ln(3)
        doc.text_line(sec.title, 12, True, ACCENT, h=7)
        if sec.user:
            doc.text_line(f"記入: {sec.user}　{sec.at}", 8, colour=GREY, h=4.5)
        for paragraph in (p for p in sec.text.splitlines() if p.strip()) if sec.text else ["（未記入）"]:
            doc.text_line(paragraph, 10.5, colour=INK if sec.text else GREY, h=6)
            doc.ln(1)


def build(m: Materials, progress: Progress | None = None) -> bytes:
    step = progress or (lambda f, t: None)
    doc = _Doc(m)
    charts = [c for c in charts_for(m) if c.meta["kind"] in ("budget", "progress", "series")]
    pngs = {}
    for i, c in enumerate(charts):
        step(0.05 + 0.85 * i / max(1, len(charts)), f"グラフを画像にしています（{i + 1}/{len(charts)}）")
        pngs[(c.meta["kind"], c.meta.get("indicator") or c.meta["issue"])] = (c, images.render_chart(c, "png"))
    step(0.92, "PDF を組み立てています")
    p = m.policy
    fy = fiscal.fy_label(m.fy, western=True)
    any_sample = any(m.is_sample(r) for r in m.results)

    if m.scope.includes("summary") or not m.issue_ids():
        doc.new_page(f"{m.title()}　会議資料", f"{fy}　対象: {m.scope_label()}　{m.as_of_text()}　{p.text('department')}", sample=any_sample)
        if any_sample:
            doc.text_line(f"【{SAMPLE_LABEL}】この資料の実績はサンプルの数値です。実際の数値ではありません。", 11, True, WARN)
        counts = status_counts(m.results)
        doc.text_line("　".join(f"{STATUSES[k].symbol} {k} {n}件" for k, n in counts.items()), 11, True)
        year = m.budget_year()
        if year is not None:
            doc.text_line(f"予算合計（{fiscal.fy_label(year)} {m.budget_kind(year)}）: {fmt.million_yen(m.budget_total(year))}", 11, True)
        doc.ln(2)
        rows = [[p.issues[r.indicator.issue_id].label] + row for r, row in zip(m.results, display_rows(m, m.results))]
        doc.table_of(["経営課題", *DISPLAY_HEADERS], rows, [20, 13, 76, 26, 32, 20, 20, 33, 29], status_col=6)
        doc.ln(2)
        doc.text_line("※A：達成 B：未達成（年度の終了後に判定）。※（算定 B）＝理由を添えて上書きした評価。"
                      "達成率＝年度の値÷年度の目標（切り捨て。「上限の」は低いほど良い指標の上限に対する割合）。", 8, colour=GREY)

    for iid in m.issue_ids():
        issue = p.issues[iid]
        head = f"{issue.label}　{issue.short_title}"
        rs = m.results_of(iid)
        if m.scope.includes("budget") and ("budget", iid) in pngs:
            chart, png = pngs[("budget", iid)]
            doc.new_page(f"{head}：予算", issue.title)
            top = doc.get_y()
            doc.picture(png, chart, doc.l_margin, top, 190, 150)
            row = m.budget_of(iid)
            doc.set_xy(210, top + 6)
            doc.set_font(FAMILY, "B", 11)
            doc.set_text_color(*INK)
            doc.multi_cell(72, 7, "予算の推移（百万円）", new_x=XPos.LEFT, new_y=YPos.NEXT)
            doc.set_font(FAMILY, size=10)
            for y in m.budget_years:
                b = row.amounts.get(y) if row else None
                doc.multi_cell(72, 6.5, f"{fiscal.fy_label(y)} {b.kind if b else ''}: {fmt.million_yen(b.amount if b else None)}",
                               new_x=XPos.LEFT, new_y=YPos.NEXT)
            if row:
                doc.set_font(FAMILY, "B", 10)
                doc.multi_cell(72, 6.5, f"伸び: {row.growth_label}", new_x=XPos.LEFT, new_y=YPos.NEXT)
            doc.set_font(FAMILY, size=8)
            doc.set_text_color(*GREY)
            doc.multi_cell(72, 4.5, "斜線の棒は決算額、それ以外は予算額。\n" + m.budget_source(), new_x=XPos.LEFT, new_y=YPos.NEXT,
                           wrapmode=WrapMode.CHAR)
        if m.scope.includes("indicators") and ("progress", iid) in pngs:
            chart, png = pngs[("progress", iid)]
            doc.new_page(f"{head}：指標の達成状況", f"{fy}　{m.as_of_text()}", sample=any(m.is_sample(r) for r in rs))
            top = doc.get_y()
            room = doc.h - doc.b_margin - top - 3 - 8.5 * (len(rs) + 1)  # leave the table its rows
            if room >= 85:
                h = doc.picture(png, chart, doc.l_margin + 10, top, 250, min(105, room))
                doc.set_y(top + h + 3)
            else:  # many indicators: a readable chart on this page, the table on the next
                doc.picture(png, chart, doc.l_margin + 10, top, 250, doc.h - doc.b_margin - top - 2)
                doc.new_page(f"{head}：指標の達成状況（表）", f"{fy}　{m.as_of_text()}", sample=any(m.is_sample(r) for r in rs))
            doc.table_of(DISPLAY_HEADERS, display_rows(m, rs), [16, 94, 28, 36, 22, 22, 32, 19], status_col=5, size=8.5)
        if m.scope.includes("monthly") and rs:
            for k in range(0, len(rs), 4):
                group = rs[k:k + 4]
                doc.new_page(f"{head}：月次推移" + (f"（{k // 4 + 1}）" if len(rs) > 4 else ""), f"{fy}　{m.as_of_text()}",
                         sample=any(m.is_sample(r) for r in group))
                top = doc.get_y()
                for n, r in enumerate(group):
                    c, png = pngs[("series", r.indicator.indicator_id)]
                    doc.picture(png, c, doc.l_margin + (n % 2) * 136, top + (n // 2) * 78, 132, 76)
    if m.scope.includes("evaluation"):
        evaluation_pages(doc, m, any_sample)
    step(1.0, "完了")
    return bytes(doc.output())
