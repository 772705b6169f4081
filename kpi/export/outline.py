"""The plan of a set of meeting materials, shared by the deck and the PDF: one list of sections.

``outline(m)`` decides what comes in which order and how it is grouped, format-neutrally:
the cover, the indicators behind (遅れ・注意) with their check-ins, the summary table, the
budget, the indicators by groups of 経営課題, the year-end evaluation, the monthly series and
the texts. Sections are packed so that no slide or page is left mostly empty (small
経営課題 share a section; the monthly charts are spread evenly). The deck and the PDF each
render every section kind (one renderer per kind); neither repeats the plan.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kpi import charts, fiscal
from kpi.evaluate import Result, attention
from kpi.export import images
from kpi.export.content import Materials
from kpi.export.images import Chart, safe_name

Progress = Callable[[float, str], None]

COVER, EXCEPTIONS, SUMMARY, BUDGET, INDICATORS, EVALUATION, MONTHLY, TEXTS = (
    "cover", "exceptions", "summary", "budget", "indicators", "evaluation", "monthly", "texts")
INDICATORS_PER_SECTION = 8  # rows of the indicator table beside its chart
SUMMARY_ROWS = 16
CHARTS_PER_SECTION = 4  # monthly series in a 2 × 2 grid


@dataclass(frozen=True)
class Section:
    kind: str
    title: str
    subtitle: str = ""
    issue_ids: tuple[str, ...] = ()
    results: tuple[Result, ...] = ()
    charts: tuple[Chart, ...] = ()
    sample: bool = False

    def chart(self, kind: str) -> Chart | None:
        return next((c for c in self.charts if c.meta.get("kind") == kind), None)


def numbered(title: str, n: int, total: int) -> str:
    return title + (f"（{n}/{total}）" if total > 1 else "")


def even_chunks(items: Sequence, most: int) -> list[list]:
    """``items`` in as few chunks of at most ``most`` as possible, as even as possible (17 → 9 + 8, not 16 + 1)."""
    if not items:
        return []
    parts = math.ceil(len(items) / most)
    size = math.ceil(len(items) / parts)
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def issue_groups(m: Materials, most: int = INDICATORS_PER_SECTION) -> list[list[str]]:
    """経営課題 in policy order, packed so that each group has at most ``most`` indicators (one too many stays alone)."""
    groups: list[list[str]] = []
    count = 0
    for iid in m.issue_ids():
        n = len(m.results_of(iid))
        if not n:
            continue
        if groups and count + n <= most:
            groups[-1].append(iid)
            count += n
        else:
            groups.append([iid])
            count = n
    return groups


def _labels(m: Materials, ids: Sequence[str]) -> str:
    labels = [m.policy.issues[i].label for i in ids]
    return labels[0] if len(labels) == 1 else f"{labels[0]}〜{labels[-1].replace('経営課題', '')}"


def attention_title(rs: Sequence[Result]) -> str:
    """遅れ・注意の指標（9件、ペース比の悪い順）, naming the overdue reports when some are among them."""
    late = sum(r.status not in ("遅れ", "注意") for r in rs)
    what = "遅れ・注意" + ("・報告遅れ" if late else "")
    return f"{what}の指標（{len(rs)}件、ペース比の悪い順）"


def evaluation_slides(m: Materials) -> bool:
    """The year-end evaluation (A/B, overrides, texts) once the year has ended. While it runs every grade reads
    未確定 and the table would repeat the summary's: left out unless it is what was asked for (the evaluation
    without the summary)."""
    if not m.scope.includes("evaluation") or m.evaluation is None:
        return False
    return m.year_ended or not m.scope.includes("summary")


def outline(m: Materials) -> list[Section]:
    fy = fiscal.fy_label(m.fy, western=True)
    head = f"{fy}　{m.scope_label()}　{m.as_of_text()}"
    sample = lambda rs: any(m.is_sample(r) for r in rs)  # noqa: E731
    out = [Section(COVER, m.title(), sample=sample(m.results))]
    if m.scope.includes("summary"):
        behind = attention(m.results)
        if behind:  # one section: each format splits it where its pages are full (rows with check-ins are tall)
            out.append(Section(EXCEPTIONS, attention_title(behind), head, results=tuple(behind), sample=sample(behind)))
        # Once the year has ended the evaluation's table lists every indicator with its grade: not twice.
        chunks = [] if evaluation_slides(m) and m.year_ended and m.results else even_chunks(m.results, SUMMARY_ROWS) or [[]]
        for n, chunk in enumerate(chunks, start=1):
            out.append(Section(SUMMARY, numbered("全体の状況", n, len(chunks)), head, results=tuple(chunk), sample=sample(chunk)))
    if m.scope.includes("budget") and m.budget_rows:
        ids = [r.issue_id for r in m.budget_rows]
        chart = Chart(safe_name(fiscal.fy_label(m.fy), m.scope_label(), "予算推移"), charts.budget_chart(m.policy, ids, m.fy, 900),
                      width=900, meta={"kind": "budget"})
        out.append(Section(BUDGET, "予算の推移", m.budget_source(), tuple(ids), charts=(chart,)))
    if m.scope.includes("indicators"):
        for ids in issue_groups(m):
            rs = [r for iid in ids for r in m.results_of(iid)]
            label = _labels(m, ids)
            fig = charts.bullets(rs, f"{label} 指標の達成状況（{fiscal.fy_label(m.fy)}）", compact=True)
            chart = Chart(safe_name(fiscal.fy_label(m.fy), label, "指標の達成状況"), fig, width=640, meta={"kind": "progress"})
            title = f"{label}　{m.policy.issues[ids[0]].short_title}" if len(ids) == 1 else label
            out.append(Section(INDICATORS, f"{title}：指標の達成状況", head, tuple(ids), tuple(rs), (chart,), sample(rs)))
    if evaluation_slides(m) and m.evaluation.rows:
        out.append(Section(EVALUATION, "年度評価（アウトカム指標の達成状況）", head, tuple(m.issue_ids()),
                           tuple(r.result for r in m.evaluation.rows), sample=sample(m.results)))
    if m.scope.includes("monthly"):
        chunks = even_chunks(m.results, CHARTS_PER_SECTION)
        for n, chunk in enumerate(chunks, start=1):
            cs = tuple(Chart(safe_name(fiscal.fy_label(m.fy), r.indicator.indicator_id, "月次推移"), charts.series(r, m.footer()),
                             width=900, meta={"kind": "series", "indicator": r.indicator.indicator_id}) for r in chunk)
            out.append(Section(MONTHLY, numbered("月次推移", n, len(chunks)), head, results=tuple(chunk), charts=cs, sample=sample(chunk)))
    if evaluation_slides(m) and any(t.text for t in m.evaluation.texts):
        out.append(Section(TEXTS, "自己評価・今後の方針", f"{fy}　{m.scope_label()}"))
    return out


def section_charts(sections: Sequence[Section]) -> list[Chart]:
    """Every chart the sections draw, in order (rendered once, before the pages are laid out)."""
    return [c for s in sections for c in s.charts]


def render_pngs(sections: Sequence[Section], progress=None) -> dict[int, bytes]:
    """Every chart of the sections as PNG (2×), keyed by ``id(chart)``: rendered once, before the pages are laid out."""
    todo = section_charts(sections)
    out = {}
    for n, c in enumerate(todo):
        if progress:
            progress(n / max(1, len(todo)), f"グラフを画像にしています（{n + 1}/{len(todo)}）")
        out[id(c)] = images.render_chart(c, "png")
    return out


def lay_out(m: Materials, progress: Progress | None, start, drawers: Mapping[str, Callable], assembling: str):
    """The order of work of every paged format: the sections, their charts as PNG once (the slow part: progress up
    to 90 %), then each section drawn by the format's own drawer onto ``start()``'s document, which is returned."""
    step = progress or (lambda f, t: None)
    sections = outline(m)
    pngs = render_pngs(sections, lambda frac, text: step(0.05 + 0.85 * frac, text))
    step(0.92, assembling)
    doc = start(m)
    for sec in sections:
        drawers[sec.kind](doc, m, sec, pngs)
    step(1.0, "完了")
    return doc
