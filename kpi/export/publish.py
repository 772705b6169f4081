"""The year-end publication: the 運営方針 in the form the city posts it, filled with the year's results.

One content model (``publication``) is drawn three ways, so the three files never disagree:

- ``html``: the city page's structure (【目標】【使命】【…基本的な考え方】【経営課題N】 課題認識 / 主な戦略 /
  アウトカム指標 / アウトカム指標の達成状況（定量評価） ＜N年度実績と達成状況＞ ＜前年度実績＞ / 自己評価 /
  今後の方針), one self-contained file (no scripts, fonts or pictures from elsewhere), every text escaped;
- ``workbook``: the seed's 様式 — one block per 経営課題 (budgets row, 課題認識, 主な戦略, アウトカム指標,
  「N年度実績と達成状況 ※A：達成 B：未達成」 | 前年度実績), then 自己評価 and 今後の方針; A4 portrait;
- ``pdf``: the same on A4 portrait with the bundled Japanese font.

Each 達成状況 line is worded by ``published_line`` alone (the city's wording):
「6年度作成世帯数1,950世帯（R4〜R6作成合計5,410世帯）：B」 for a target over several years and
「転出におけるマイナポータルの利用率 23.6%：B」 for a yearly one; an overridden grade carries ※n and the
reason goes into a note under the table. ``line_of`` feeds it from an indicator's record (``Result``).

The registry row ``publish`` (kpi.export.FORMATS) builds a ZIP of the three files (``zip_all``);
``python -m kpi export --format publish --out DIR`` writes them into a folder instead.
"""
from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kpi import fiscal, fmt
from kpi.evaluate import Result
from kpi.export.content import Materials
from kpi.export.scope import Scope
from kpi.kinds import GRADES, KINDS
from kpi.policy import Policy
from kpi.service import SAMPLE_LABEL
from kpi.store import Store

Progress = Callable[[float, str], None]

GRADE_NOTE = "※" + " ".join(f"{g}：{w}" for g, w in GRADES.items())  # ※A：達成 B：未達成
PREVIOUS_HEADING = "前年度実績"
SELF_EVALUATION = "自己評価（運営方針全体の定性評価）"
FUTURE_POLICY = "今後の方針"
STRATEGY_HEADING = "主な戦略（課題解決の方策）"
OUTCOME_HEADING = "アウトカム指標"
RESULTS_HEADING = "アウトカム指標の達成状況（定量評価）"
RECOGNITION_HEADING = "課題認識"
NOT_WRITTEN = "（未記入）"
NEEDS_EVALUATION = "公表用の様式には「年度評価」の内容が必要です。含める内容で「年度評価」を選んでください。"
PROVISIONAL = "未確定"
# Which of the three files the publication has, in the order they are written: extension -> label.
PARTS = {"html": "ウェブページ（HTML）", "xlsx": "Excel（運営方針の様式）", "pdf": "PDF（A4縦）"}


# --- the 達成状況 line ------------------------------------------------------------------

def era_year(fy: int) -> str:
    """令和6年度 → 6 (元 for 2019): the year as the city writes it before 年度 in a result line."""
    return re.sub(r"^(令和|平成)", "", fiscal.wareki_year(fy))


def figure_text(value: float | None, unit: str, milestone: bool = False) -> str:
    """1,950世帯 / 23.6% / 完了 / 進捗80% / －."""
    if value is None:
        return "－"
    if milestone:
        return "完了" if value >= 100 else f"進捗{fmt.number(value)}%"
    return fmt.with_unit(value, unit)


def published_line(label: str, year_value: float | None, period: tuple[int, int] | None, period_value: float | None,
                   unit: str, grade: str | None, overridden: bool, *, fy: int | None = None, period_word: str = "合計",
                   milestone: bool = False, mark: str = fmt.OVERRIDE_MARK) -> str:
    """The 達成状況 line in the city's wording, from plain values.

    With a period (first FY, last FY) and its figure: 「6年度作成世帯数1,950世帯（R4〜R6作成合計5,410世帯）：B」
    (``fy`` is the year evaluated, default the period's last; the span ends there); without:
    「転出におけるマイナポータルの利用率 23.6%：B」. An overridden grade carries ``mark`` (※ or ※1);
    no grade yet (the year runs) reads 「：未確定」.
    """
    value = figure_text(year_value, unit, milestone)
    if period is not None and period_value is not None:
        year = period[1] if fy is None else fy
        span = f"{fiscal.fy_short(period[0])}〜{fiscal.fy_short(min(period[1], year))}"
        head = f"{era_year(year)}年度{label}{value}（{span}{period_word}{figure_text(period_value, unit, milestone)}）"
    else:
        head = f"{label} {value}"
    return f"{head}：{grade or PROVISIONAL}{mark if overridden and grade else ''}"


def line_of(r: Result, mark: str = fmt.OVERRIDE_MARK) -> str:
    """``published_line`` for an indicator's record: the period figure only where the kind adds up (a sum) —
    for a running total, a mean or a ratio the year's figure is already the period's."""
    ind = r.indicator
    kind = KINDS[ind.aggregation]
    over_period = r.period is not None and kind.accumulates
    return published_line(ind.short_name, r.year_value, r.period if over_period else None,
                          r.period_value if over_period else None, ind.unit, r.grade, r.overridden,
                          fy=r.fiscal_year, milestone=kind.milestone, mark=mark)


def previous_of(r: Result) -> str:
    """The ＜前年度実績＞ cell: last year's own figure (entered, published or from the actuals), or －."""
    return figure_text(r.previous, r.indicator.unit, KINDS[r.indicator.aggregation].milestone)


# --- the content, once ------------------------------------------------------------------

@dataclass(frozen=True)
class ResultLine:
    text: str  # the 達成状況 line
    previous: str  # ＜前年度実績＞
    indicator_id: str
    overridden: bool


@dataclass(frozen=True)
class Outcome:
    """アウトカム指標 under one strategy: the strategy's words and the target lines as the policy states them."""

    strategy: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class IssueBlock:
    label: str  # 経営課題1
    title: str
    budgets: tuple[tuple[str, str], ...]  # (5決算額, 87百万円) …
    recognition: tuple[str, ...]  # paragraphs
    strategies: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    results: tuple[ResultLine, ...]
    notes: tuple[str, ...]  # ※n: why a grade was overridden
    texts: tuple[tuple[str, tuple[str, ...]], ...] = ()  # the 経営課題's own 自己評価 / 今後の方針 where written


@dataclass(frozen=True)
class Publication:
    title: str
    department: str
    head: str
    fy: int
    as_of: str
    provisional: bool
    sample: bool
    lead: str
    sections: tuple[tuple[str, tuple[str, ...], bool], ...]  # (【heading】, paragraphs, as a list)
    issues: tuple[IssueBlock, ...]
    closing: tuple[tuple[str, tuple[str, ...]], ...]  # 自己評価 and 今後の方針: (heading, paragraphs)
    source: str

    @property
    def results_heading(self) -> str:
        """7年度実績と達成状況 (as the seed's form heads the column)."""
        return f"{era_year(self.fy)}年度実績と達成状況"

    @property
    def as_of_line(self) -> str:
        return f"{fiscal.month_label(self.as_of)}末時点の実績による"

    def warnings(self) -> list[str]:
        out = []
        if self.sample:
            out.append(f"【{SAMPLE_LABEL}】この資料の実績は{SAMPLE_LABEL}の数値です。実際の数値ではありません。")
        if self.provisional:
            out.append(f"【{fmt.PROVISIONAL_LABEL}】{fiscal.fy_label(self.fy)}は{fiscal.month_label(self.as_of)}末の時点で"
                       "終わっていないため、A/B は確定していません（年度の終了後に判定）。")
        return out


def paragraphs(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").splitlines() if p.strip())


def budget_cells(m: Materials, issue_id: str, years: int = 3) -> tuple[tuple[str, str], ...]:
    """The form's budgets row: the last ``years`` years up to the evaluated one, 「5決算額」「87百万円」."""
    row = m.budget_of(issue_id)
    if row is None:
        return ()
    shown = sorted(y for y in row.amounts if y <= m.fy)[-years:]
    return tuple((f"{era_year(y)}{row.amounts[y].kind}額", fmt.million_yen(row.amounts[y].amount)) for y in shown)


def target_line(r: Result) -> str:
    """An アウトカム指標 as the policy words it: the stated target, prefixed by the indicator's wording where it does not say it."""
    ind, t = r.indicator, r.target
    source = t.source_text.strip() if t is not None else ""
    if not source:
        return f"{ind.wording} {fiscal.fy_label(r.fiscal_year)} {fmt.target_text(ind, t)}"
    return source if ind.wording in source else f"{ind.wording} {source}"


def outcomes(rs: Sequence[Result]) -> tuple[Outcome, ...]:
    """The indicators' targets grouped by strategy, in the policy's order."""
    groups: dict[str, list[str]] = {}
    for r in rs:
        groups.setdefault(r.indicator.strategy, []).append(target_line(r))
    return tuple(Outcome(s, tuple(lines)) for s, lines in groups.items())


def override_note(r: Result, mark: str) -> str:
    """※1 ノーコード…：算定評価 B（未達成）をA（達成）としました。理由：…"""
    reason = r.override.reason if r.override else ""
    return (f"{mark} {r.indicator.short_name}：算定評価 {fmt.grade_label(r.computed_grade)}を"
            f"{fmt.grade_label(r.grade)}としました。理由：{reason}")


def publication(m: Materials) -> Publication:
    """Everything the three files show, read from the materials (which must include the year-end evaluation)."""
    from kpi.export.images import ExportUnavailable

    if m.evaluation is None:
        raise ExportUnavailable(NEEDS_EVALUATION)
    p = m.policy
    approach_label = p.texts.get("approach", ("", ""))[0] or f"{fiscal.fy_label(m.fy)}所属運営の基本的な考え方"
    sections = (
        ("【目標（何をめざすのか）】", paragraphs(p.text("goal")), False),
        ("【使命（どのような役割を担うのか）】", paragraphs(p.text("mission")), False),
        (f"【{approach_label}】", paragraphs(p.text("approach")), True),
    )
    n_notes = 0
    blocks = []
    issue_texts = [t for t in m.evaluation.texts if t.issue_id is not None]
    for iid in m.issue_ids():
        issue = p.issues[iid]
        lines, notes = [], []
        for r in m.results_of(iid):
            mark = fmt.OVERRIDE_MARK
            if r.overridden and r.grade:
                n_notes += 1
                mark = f"※{n_notes}"
                notes.append(override_note(r, mark))
            lines.append(ResultLine(line_of(r, mark), previous_of(r), r.indicator.indicator_id, r.overridden))
        own = tuple((t.title, paragraphs(t.text)) for t in issue_texts if t.issue_id == iid)
        blocks.append(IssueBlock(issue.label, issue.title, budget_cells(m, iid), paragraphs(issue.recognition), issue.strategies,
                                 outcomes(m.results_of(iid)), tuple(lines), tuple(notes), own))
    whole = {t.key: t for t in m.evaluation.texts if t.issue_id is None}
    closing = tuple((title, paragraphs(whole[key].text) if key in whole else ())
                    for key, title in (("self_evaluation", SELF_EVALUATION), ("future_policy", FUTURE_POLICY)))
    lead = (f"運営方針の進捗管理を実施しました。その結果について、「{RESULTS_HEADING}」、「{SELF_EVALUATION}」"
            f"及び「{FUTURE_POLICY}」に反映しています（{fiscal.month_label(m.as_of)}末時点の実績による）。")
    return Publication(m.title(), p.text("department"), p.text("head"), m.fy, m.as_of, m.evaluation.provisional, m.note.sample,
                       lead, sections, tuple(blocks), closing, m.note.text)


# --- HTML ---------------------------------------------------------------------------------

CSS = """
body { font-family: "BIZ UDPGothic", "Hiragino Sans", "Yu Gothic", "IPAexGothic", sans-serif; color: #1a1a1a;
       line-height: 1.7; margin: 0; background: #fff; }
main { max-width: 58rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.3rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; }
h3 { font-size: 1.15rem; margin: 2.2rem 0 0.6rem; padding: 0.3rem 0.6rem; background: #eef3f8; border-left: 0.35rem solid #0b57a4; }
h4 { font-size: 1rem; margin: 1.2rem 0 0.3rem; }
p { margin: 0.3rem 0; }
ul { margin: 0.3rem 0; padding-left: 1.5rem; }
.meta, .note, footer { color: #4a4a4a; font-size: 0.9rem; }
.warning { color: #a60100; font-weight: bold; border: 2px solid #a60100; padding: 0.4rem 0.6rem; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0; }
caption { text-align: left; font-size: 0.9rem; color: #4a4a4a; padding-bottom: 0.2rem; }
th, td { border: 1px solid #8c8c8c; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
thead th, table.budget th { background: #f2f4f7; }
tbody th { font-weight: normal; }
td.previous { width: 12em; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
footer { margin-top: 2.5rem; border-top: 1px solid #d9d9d9; padding-top: 0.6rem; }
@media print { main { max-width: none; padding: 0; } h3 { break-after: avoid; } table { break-inside: avoid; } }
"""


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def _paras(ps: Sequence[str], as_list: bool = False) -> str:
    if not ps:
        return f'<p class="note">{_e(NOT_WRITTEN)}</p>'
    if as_list:
        return "<ul>" + "".join(f"<li>{_e(p)}</li>" for p in ps) + "</ul>"
    return "".join(f"<p>{_e(p)}</p>" for p in ps)


def _issue_html(pub: Publication, b: IssueBlock, n: int) -> str:
    # The id is the block's position, not the policy's issue_id: an ID with spaces or quotes must not reach the markup.
    out = [f'<section aria-labelledby="issue-{n}">', f'<h3 id="issue-{n}">【{_e(b.label)}】{_e(b.title)}</h3>']
    if b.budgets:
        out.append(f'<table class="budget"><caption>{_e(b.label)}の決算額・予算額</caption><thead><tr>'
                   + "".join(f'<th scope="col">{_e(k)}</th>' for k, _ in b.budgets) + "</tr></thead><tbody><tr>"
                   + "".join(f"<td>{_e(v)}</td>" for _, v in b.budgets) + "</tr></tbody></table>")
    out.append(f"<h4>{RECOGNITION_HEADING}</h4>{_paras(b.recognition)}")
    out.append(f"<h4>{STRATEGY_HEADING}</h4>{_paras(b.strategies, as_list=True)}")
    items = []
    for o in b.outcomes:
        inner = "".join(f"<li>{_e(t)}</li>" for t in o.targets)
        items.append(f"<li>{_e(o.strategy)}<ul>{inner}</ul></li>" if o.strategy else inner)
    out.append(f"<h4>{OUTCOME_HEADING}</h4><ul>{''.join(items)}</ul>")
    out.append(f"<h4>{RESULTS_HEADING}</h4>")
    if b.results:
        rows = "".join(f'<tr><th scope="row">{_e(r.text)}</th><td class="previous">{_e(r.previous)}</td></tr>' for r in b.results)
        out.append(f"<table class=\"results\"><caption class=\"sr-only\">{_e(b.label)}のアウトカム指標の達成状況（{_e(GRADE_NOTE)}）</caption>"
                   f'<thead><tr><th scope="col">＜{_e(pub.results_heading)}＞ {_e(GRADE_NOTE)}</th>'
                   f'<th scope="col">＜{PREVIOUS_HEADING}＞</th></tr></thead><tbody>{rows}</tbody></table>')
    else:
        out.append(f'<p class="note">{_e(fiscal.fy_label(pub.fy))}に目標のある指標はありません。</p>')
    out += [f'<p class="note">{_e(n)}</p>' for n in b.notes]
    for title, ps in b.texts:
        out.append(f"<h4>{_e(title)}</h4>{_paras(ps)}")
    out.append("</section>")
    return "\n".join(out)


def html_text(pub: Publication) -> str:
    """The publication as one self-contained HTML page (lang="ja", no external resources, every text escaped)."""
    head = (f'<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(pub.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>")
    body = [f"<h1>{_e(pub.title)}</h1>"]
    if pub.head:
        body.append(f'<p class="meta">（所属長：{_e(pub.head)}）</p>')
    body += [f'<p class="warning" role="note">{_e(w)}</p>' for w in pub.warnings()]
    body.append(f"<p>{_e(pub.lead)}</p>")
    for heading, ps, as_list in pub.sections:
        body.append(f"<h2>{_e(heading)}</h2>{_paras(ps, as_list)}")
    body.append("<h2>重点的に取り組む主な経営課題</h2>")
    body += [_issue_html(pub, b, n) for n, b in enumerate(pub.issues, start=1)]
    for heading, ps in pub.closing:
        body.append(f"<h2>{_e(heading)}</h2>{_paras(ps)}")
    body.append(f"<footer><p>{_e(pub.source)}　基準: {_e(fiscal.month_label(pub.as_of))}末</p>"
                f"<p>{_e(pub.department)}　{_e(fiscal.fy_label(pub.fy))}　運営方針 KPI ダッシュボードで作成</p></footer>")
    return head + "\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"


def html_bytes(m: Materials, progress: Progress | None = None) -> bytes:
    return html_text(publication(m)).encode("utf-8")


# --- Excel: the seed's 様式 -------------------------------------------------------------

# Column widths (Excel units): A holds the form's labels, B–G the content (the budgets row uses them in pairs).
FORM_WIDTHS = (17, 12, 16, 12, 16, 12, 16)
RESULT_SPLIT = 5  # 達成状況 in B–E, 前年度実績 in F–G
MAX_ROW_PT = 400.0  # below Excel's 409 pt: a longer text goes on in the next row


def workbook_bytes(m: Materials, progress: Progress | None = None) -> bytes:
    """The publication as the seed's 様式 in one sheet (A4 portrait, wrapped text, merged cells as the form has them)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from kpi.export.workbook import FONT_NAME, _chunks, lines_in, print_on_a4, set_text

    pub = publication(m)
    wb = Workbook()
    ws = wb.active
    ws.title = "運営方針"
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    body_font, bold = Font(name=FONT_NAME, size=10), Font(name=FONT_NAME, size=10, bold=True)
    label_fill = PatternFill("solid", fgColor="F2F2F2")
    head_fill = PatternFill("solid", fgColor="DCE6F1")
    top_wrap = Alignment(vertical="top", wrap_text=True)
    centre_wrap = Alignment(horizontal="center", vertical="center", wrap_text=True)
    last = len(FORM_WIDTHS)
    for j, w in enumerate(FORM_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    width = {(a, b): sum(FORM_WIDTHS[a - 1:b]) for a in range(1, last + 1) for b in range(a, last + 1)}
    row = 1

    def put(r: int, c1: int, c2: int, text: str, font=body_font, fill=None, align=top_wrap, boxed: bool = True) -> None:
        cell = ws.cell(r, c1)
        set_text(cell, text)
        cell.font, cell.alignment = font, align
        if fill is not None:
            cell.fill = fill
        if c2 > c1:
            ws.merge_cells(start_row=r, start_column=c1, end_row=r, end_column=c2)
        if boxed:
            for c in range(c1, c2 + 1):
                ws.cell(r, c).border = border

    def fit(r: int, *texts_widths: tuple[str, float], minimum: float = 18.0) -> None:
        lines = max((lines_in(t, w) for t, w in texts_widths), default=1)
        ws.row_dimensions[r].height = max(minimum, min(MAX_ROW_PT, 14.5 * lines + 5))

    def labelled(label: str, pieces: Sequence[str]) -> None:
        """The form's 「label | text」 rows: the label merged down the rows the text needs."""
        nonlocal row
        chunks = [c for p in pieces for c in _chunks(p, 400)] or [NOT_WRITTEN]
        # Paragraphs share a cell while they fit; a long text goes on in the next row under the same label.
        cells, current = [], ""
        for c in chunks:
            joined = f"{current}\n{c}" if current else c
            if current and 14.5 * lines_in(joined, width[(2, last)]) + 5 > MAX_ROW_PT:
                cells.append(current)
                current = c
            else:
                current = joined
        cells.append(current)
        first = row
        for text in cells:
            put(row, 2, last, text)
            fit(row, (text, width[(2, last)]), (label, width[(1, 1)]))
            row += 1
        put(first, 1, 1, label, bold, label_fill, centre_wrap)
        if row - 1 > first:
            ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
            for r in range(first, row):
                ws.cell(r, 1).border = border

    put(row, 1, last, pub.title, Font(name=FONT_NAME, size=14, bold=True), align=centre_wrap, boxed=False)
    ws.row_dimensions[row].height = 24
    row += 1
    if pub.head:
        put(row, 1, last, f"（ 所属長： {pub.head} ）", body_font, align=Alignment(horizontal="center"), boxed=False)
        row += 1
    for w in pub.warnings():
        put(row, 1, last, w, Font(name=FONT_NAME, size=10, bold=True, color="C00000"), boxed=False)
        fit(row, (w, width[(1, last)]))
        row += 1
    put(row, 1, last, pub.lead, Font(name=FONT_NAME, size=9, color="555555"), boxed=False)
    fit(row, (pub.lead, width[(1, last)]))
    row += 2
    put(row, 1, last, "「目標」「使命」及び「所属運営の基本的な考え方」", bold, head_fill)
    row += 1
    for heading, ps, as_list in pub.sections:
        label = heading.strip("【】").split("（")[0]
        labelled(label, [("・" + p if as_list else p) for p in ps])
    row += 1
    put(row, 1, last, "重点的に取り組む経営課題", bold, head_fill)
    row += 1
    for b in pub.issues:
        title = f"{b.label}　{b.title}"
        put(row, 1, last, title, Font(name=FONT_NAME, size=11, bold=True), head_fill, Alignment(vertical="center", wrap_text=True))
        fit(row, (title, width[(1, last)]), minimum=22)
        row += 1
        if b.budgets:
            put(row, 1, 1, "", fill=label_fill)
            for n, (k, v) in enumerate(b.budgets[:3]):
                put(row, 2 + 2 * n, 2 + 2 * n, k, bold, label_fill, centre_wrap)
                put(row, 3 + 2 * n, 3 + 2 * n, v, body_font, align=Alignment(horizontal="right", vertical="center"))
            row += 1
        labelled(RECOGNITION_HEADING, b.recognition)
        labelled(STRATEGY_HEADING, ["・" + s for s in b.strategies])
        labelled(f"{OUTCOME_HEADING}（経営課題の解決に向けた進捗度を示した指標）",
                 [line for o in b.outcomes for line in ([f"・{o.strategy}"] if o.strategy else []) + [f"　{t}" for t in o.targets]])
        first = row
        put(row, 2, RESULT_SPLIT, f"{pub.results_heading} {GRADE_NOTE}", bold, head_fill, centre_wrap)
        put(row, RESULT_SPLIT + 1, last, PREVIOUS_HEADING, bold, head_fill, centre_wrap)
        ws.row_dimensions[row].height = 20
        row += 1
        for r in b.results or (ResultLine("（目標のある指標はありません）", "", "", False),):
            put(row, 2, RESULT_SPLIT, r.text)
            put(row, RESULT_SPLIT + 1, last, r.previous)
            if r.overridden:
                ws.cell(row, 2).font = Font(name=FONT_NAME, size=10, bold=True, color="C00000")
            fit(row, (r.text, width[(2, RESULT_SPLIT)]), (r.previous, width[(RESULT_SPLIT + 1, last)]))
            row += 1
        for note in b.notes:
            put(row, 2, last, note, Font(name=FONT_NAME, size=9, color="555555"))
            fit(row, (note, width[(2, last)]))
            row += 1
        put(first, 1, 1, RESULTS_HEADING, bold, label_fill, centre_wrap)
        ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
        for r in range(first, row):
            ws.cell(r, 1).border = border
        for title, ps in b.texts:
            labelled(title, ps)
        row += 1
    for heading, ps in pub.closing:
        labelled(heading, ps)
    row += 1
    put(row, 1, last, f"{pub.source}　基準: {fiscal.month_label(pub.as_of)}末", Font(name=FONT_NAME, size=8, color="555555"),
        boxed=False)

    print_on_a4(ws, landscape=False, margins=(0.5, 0.7, 0.3), header=(f"{pub.department}　{fiscal.fy_label(pub.fy)}",),
                footer=(f"基準: {fiscal.month_label(pub.as_of)}末",), pages="&P / &N")
    ws.print_area = f"A1:{get_column_letter(last)}{row}"
    wb.properties.title = pub.title
    wb.properties.creator = "運営方針 KPI ダッシュボード"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- PDF (A4 portrait) --------------------------------------------------------------------

def pdf_bytes(m: Materials, progress: Progress | None = None) -> bytes:
    """The publication on A4 portrait: headings, paragraphs and the form's tables, with the bundled Japanese font."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode, XPos, YPos
    from fpdf.fonts import FontFace

    from kpi.export import fonts
    from kpi.export.images import ExportUnavailable
    from kpi.export.pdf import FAMILY, NO_FONT, write_table

    pub = publication(m)
    path = fonts.font_path()
    if path is None:
        raise ExportUnavailable(NO_FONT)
    ink, grey, warn, fill, accent = (26, 26, 26), (85, 85, 85), (166, 1, 0), (220, 230, 241), (11, 87, 164)

    class Doc(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FAMILY, size=7.5)
            self.set_text_color(*grey)
            sample = f"　【{SAMPLE_LABEL}】" if pub.sample else ""  # every page says so, not the first only
            self.cell(150, 5, f"{pub.department}　{fiscal.fy_label(pub.fy)}　基準: {fiscal.month_label(pub.as_of)}末{sample}", align="L")
            self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="R")

    doc = Doc(orientation="P", unit="mm", format="A4")
    # One style only: the font has no bold face (a "B" style would be the same file, parsed again for 1.7 s);
    # headings stand out by size and colour instead.
    doc.add_font(FAMILY, "", str(path))
    doc.set_margins(16, 16, 16)
    doc.set_auto_page_break(True, margin=18)
    doc.set_title(pub.title)
    doc.set_author(pub.department)
    doc.set_creator("運営方針 KPI ダッシュボード")
    doc.set_lang("ja")
    doc.add_page()

    def text(t: str, size: float = 10, colour=ink, h: float = 5.6, align: str = "L") -> None:
        doc.set_font(FAMILY, "", size)
        doc.set_text_color(*colour)
        doc.multi_cell(0, h, t, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR, align=align)

    def heading(t: str, size: float = 12, keep: float = 30) -> None:
        """A heading never ends a page: with less than ``keep`` mm below it, it starts the next one."""
        if doc.get_y() > doc.h - doc.b_margin - keep:
            doc.add_page()
        else:
            doc.ln(2.5)
        text(t, size, accent if size >= 12 else ink, h=7)

    def paras(ps: Sequence[str], bullet: bool = False) -> None:
        for p in ps or (NOT_WRITTEN,):
            text(("・" if bullet and ps else "") + p, colour=ink if ps else grey)

    def table(headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
        write_table(doc, headers, rows, widths, size=9.5, heading=FontFace(family=FAMILY, fill_color=fill, color=ink),
                    line_height=5, padding=1.4)
        doc.ln(1)

    text(pub.title, 15, h=8, align="C")
    if pub.head:
        text(f"（ 所属長： {pub.head} ）", 10, align="C")
    doc.ln(2)
    for w in pub.warnings():
        text(w, 10.5, warn)
    text(pub.lead, 9, colour=grey, h=5)
    for h, ps, as_list in pub.sections:
        heading(h)
        paras(ps, as_list)
    heading("重点的に取り組む主な経営課題", 13)
    for i, b in enumerate(pub.issues):
        if i:
            doc.ln(3)
        heading(f"【{b.label}】{b.title}", 12.5)
        if b.budgets:
            table([k for k, _ in b.budgets], [[v for _, v in b.budgets]], [178 / len(b.budgets)] * len(b.budgets))
        heading(RECOGNITION_HEADING, 11)
        paras(b.recognition)
        heading(STRATEGY_HEADING, 11)
        paras(b.strategies, bullet=True)
        heading(OUTCOME_HEADING, 11)
        for o in b.outcomes:
            if o.strategy:
                text(f"・{o.strategy}")
            for t in o.targets:
                text(f"　{t}")
        heading(RESULTS_HEADING, 11)
        if b.results:
            table([f"＜{pub.results_heading}＞ {GRADE_NOTE}", f"＜{PREVIOUS_HEADING}＞"], [[r.text, r.previous] for r in b.results],
                  [138, 40])
        for n in b.notes:
            text(n, 8.5, colour=grey, h=4.6)
        for title, ps in b.texts:
            heading(title, 11)
            paras(ps)
    for h, ps in pub.closing:
        heading(f"【{h}】" if not h.startswith("【") else h)
        paras(ps)
    doc.ln(4)
    text(f"{pub.source}　基準: {fiscal.month_label(pub.as_of)}末", 8, colour=grey, h=4.5)
    return bytes(doc.output())


# --- the three files -----------------------------------------------------------------------

BUILDERS: dict[str, Callable[[Materials, Progress | None], bytes]] = {"html": html_bytes, "xlsx": workbook_bytes, "pdf": pdf_bytes}


def files(m: Materials, progress: Progress | None = None) -> list[tuple[str, bytes]]:
    """(file name, bytes) of the HTML, the workbook and the PDF, named like every export (kpi.export.file_name)."""
    from kpi.export import FORMATS, file_name

    publication(m)  # refuses (Japanese message) before anything is built when the evaluation is missing
    out = []
    for n, (ext, build) in enumerate(BUILDERS.items()):
        if progress:
            progress(n / len(BUILDERS), f"{PARTS[ext]}を作成しています")
        out.append((file_name(m, FORMATS["publish"], ext), build(m, None)))
    if progress:
        progress(1.0, "完了")
    return out


def zip_all(m: Materials, progress: Progress | None = None) -> bytes:
    """The registry's builder: the three files in one ZIP (what a download button hands over)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files(m, progress):
            # As the chart ZIP (bundle.zip_charts): UTF-8 names (flag bit 11), so Explorer and Finder show them in Japanese.
            zf.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def zip_for(store: Store, policy: Policy, scope: Scope) -> bytes:
    """The publication ZIP for a page's download button: gathered with the year-end evaluation, whatever ``scope`` says."""
    from kpi.export.content import gather

    sections = scope.sections if "evaluation" in scope.sections else (*scope.sections, "evaluation")
    return zip_all(gather(store, policy, Scope(scope.fy, scope.issue_ids, scope.as_of, sections)))

