"""The year-end evaluation in the exports: an override (grade, reason, who, marker) and both texts survive into
the Excel workbook, the PowerPoint deck and the PDF, user text never becomes a formula, and a year not yet over
says 未確定.

The deck's evaluation and text slides need no browser (they hold no chart), so ``deck.build`` is called directly
with the evaluation section only; the whole deck with its charts is checked where Chromium is available.
"""
from __future__ import annotations

import io
import re

import pytest

from conftest import pptx_text
from kpi import evaluation as ev
from kpi import export
from kpi.export import deck, images, pdf, workbook

needs_browser = pytest.mark.skipif(not images.available(), reason="no Chrome/Chromium for kaleido (.ci/run installs chromium)")
pytestmark = pytest.mark.xdist_group("kaleido")  # one browser per worker: keep image tests together

REASON = "年度末に3事業目を実施済み（報告遅れ）"
PLUS_REASON = "+2月分の集計漏れを確認済み"  # a reason that a spreadsheet would read as a formula
SELF = "=SUM(A1:A9) と書いても数式にはならない。\n全体として、行政手続きのオンライン化は計画どおり進んだ。"
FUTURE = "令和8年度は、データ可視化環境の利用を全所属に広げる。"


def materials(store, policy, as_of="2026-03", issues=(), sections=export.DEFAULT_SECTIONS):
    return export.gather(store, policy, export.Scope(2025, tuple(issues), as_of, tuple(sections)))


@pytest.fixture
def evaluated(sample_store):
    """Sample actuals; K4-7 (computed B) overridden to A with a reason; K2-4 with a reason starting with +; both texts."""
    ev.set_override(sample_store, 2025, "K4-7", "A", REASON, "山田")
    ev.set_override(sample_store, 2025, "K2-4", "A", PLUS_REASON, "@鈴木")
    ev.set_text(sample_store, 2025, "self_evaluation", SELF, "山田")
    ev.set_text(sample_store, 2025, "future_policy", FUTURE, "鈴木")
    return sample_store


def test_evaluation_is_a_default_section_and_follows_the_scope(evaluated, policy):
    assert "evaluation" in export.SECTIONS and "evaluation" in export.DEFAULT_SECTIONS
    m = materials(evaluated, policy)
    assert m.evaluation is not None and not m.evaluation.provisional
    assert [r.indicator_id for r in m.evaluation.rows] == [r.indicator.indicator_id for r in m.results]
    only4 = materials(evaluated, policy, issues=("4",))
    assert {r.issue_id for r in only4.evaluation.rows} == {"4"}
    assert materials(evaluated, policy, sections=("summary",)).evaluation is None


# --- Excel ----------------------------------------------------------------------------------------

def _workbook(data: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data))


def _table(ws) -> tuple[int, list[str], dict[str, int]]:
    """The header row, its headers, and the row of each indicator ID."""
    header = next(r[0].row for r in ws.iter_rows() if r[0].value == "経営課題")
    headers = [c.value for c in ws[header]]
    col = headers.index("指標ID") + 1
    rows = {ws.cell(i, col).value: i for i in range(header + 1, ws.max_row + 1) if ws.cell(i, col).value}
    return header, headers, rows


def test_workbook_carries_the_override_and_both_texts(evaluated, policy):
    m = materials(evaluated, policy)
    wb = _workbook(export.build(m, "xlsx"))
    assert wb.sheetnames == ["指標", "年度評価", workbook.EVALUATION_DETAIL_SHEET, "自己評価・今後の方針", "指標（ペース・見込み）",
                             "指標（振り返り）", "月次実績", "予算"]

    ws, wd = wb["年度評価"], wb[workbook.EVALUATION_DETAIL_SHEET]
    header, headers, rows = _table(ws)
    _, detail_headers, detail_rows = _table(wd)
    assert headers == list(workbook.EVALUATION_MAIN) and len(headers) <= 10  # prints on one page width
    assert set(headers) | set(detail_headers) == set(ev.EVALUATION_COLUMNS) and len(detail_headers) <= 10
    assert list(rows) == list(detail_rows) == [r.indicator.indicator_id for r in m.results]  # every indicator, in policy order

    def cell(iid, name):
        if name in headers:
            return ws.cell(rows[iid], headers.index(name) + 1)
        return wd.cell(detail_rows[iid], detail_headers.index(name) + 1)

    assert cell("K4-7", "算定評価").value == "B（未達成）"  # the computed grade stays visible beside the override
    assert cell("K4-7", "上書き評価").value == "A（達成）"
    assert cell("K4-7", "上書きの理由").value == REASON
    assert cell("K4-7", "上書き者").value == "山田"
    assert cell("K4-7", "上書き日時").value  # when
    assert cell("K4-7", "最終評価").value == "A（達成）※（算定 B）"
    assert cell("K4-7", "最終評価").font.bold
    overridden_fill = cell("K4-7", "指標").fill.fgColor.rgb
    assert overridden_fill.endswith(workbook.OVERRIDE_FILL.fgColor.rgb[-6:])
    assert cell("K4-8", "指標").fill.fill_type is None  # not overridden: not coloured
    assert cell("K4-8", "最終評価").value == "B（未達成）" and not cell("K4-8", "上書きの理由").value
    # user input that looks like a formula is stored as text
    for name, value in (("上書きの理由", PLUS_REASON), ("上書き者", "@鈴木")):
        c = cell("K2-4", name)
        assert c.value == value and c.data_type == "s" and c.quotePrefix
    assert any("色付きの行は評価を上書きした指標" in str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.print_title_rows and ws.freeze_panes == f"A{header + 1}"

    wt = wb["自己評価・今後の方針"]
    cells = [c for row in wt.iter_rows() for c in row if c.value is not None]
    values = [c.value for c in cells]
    for title in ev.TEXT_KEYS.values():
        assert title in values
    assert "\n".join(v for v in values if v in SELF.splitlines()) == SELF  # every paragraph, in order
    assert FUTURE in values
    formula = next(c for c in cells if c.value == SELF.splitlines()[0])
    assert formula.data_type == "s" and formula.quotePrefix and formula.alignment.wrap_text
    assert wt.column_dimensions["A"].width >= 100 and wt.page_setup.orientation == "landscape"
    assert all(c.data_type != "f" for sheet in wb for row in sheet.iter_rows() for c in row)  # no formula anywhere


def test_workbook_before_year_end_says_provisional(evaluated, policy):
    wb = _workbook(export.build(materials(evaluated, policy, as_of="2025-09"), "xlsx"))
    ws = wb["年度評価"]
    _, headers, rows = _table(ws)
    finals = {ws.cell(i, headers.index("最終評価") + 1).value for i in rows.values()}
    assert finals == {ev.PROVISIONAL_LABEL}  # no A/B while the year runs
    assert any(str(c.value).startswith(ev.PROVISIONAL_LABEL + "：") for row in ws.iter_rows(max_row=8) for c in row if c.value)
    wd = wb[workbook.EVALUATION_DETAIL_SHEET]
    _, detail_headers, detail_rows = _table(wd)
    k47 = wd.cell(detail_rows["K4-7"], detail_headers.index("上書きの理由") + 1)
    assert k47.value == REASON  # the recorded override is shown, applied once the year has ended


def test_workbook_without_the_section_has_no_evaluation_sheets(evaluated, policy):
    wb = _workbook(export.build(materials(evaluated, policy, sections=("summary", "budget", "indicators")), "xlsx"))
    assert wb.sheetnames == ["指標", "指標（ペース・見込み）", "指標（振り返り）", "月次実績", "予算"]


def test_workbook_keeps_a_long_text_whole_in_printable_rows(evaluated, policy):
    long = "。".join(f"第{i}文：全庁のDX推進に向けて研修と支援を続ける" for i in range(200)) + "。"
    ev.set_text(evaluated, 2025, "future_policy", long, "鈴木")
    wt = _workbook(export.build(materials(evaluated, policy), "xlsx"))["自己評価・今後の方針"]
    start = next(c.row for c in wt["A"] if c.value == "今後の方針")
    pieces = [c.value for c in wt["A"][start + 1:] if c.value and not str(c.value).startswith("記入:")]
    assert "".join(pieces) == long and len(pieces) > 1
    assert all(len(p) <= workbook.TEXT_CHUNK for p in pieces)
    assert all(wt.row_dimensions[r].height <= 409 for r in range(1, wt.max_row + 1) if wt.row_dimensions[r].height)


# --- PowerPoint -----------------------------------------------------------------------------------

_texts = pptx_text


def _deck(m):
    from pptx import Presentation

    return Presentation(io.BytesIO(deck.build(m)))


def _inside(slide, prs) -> bool:
    return all(sh.left >= 0 and sh.top >= 0 and sh.left + sh.width <= prs.slide_width and sh.top + sh.height <= prs.slide_height
               for sh in slide.shapes)


def test_deck_has_the_evaluation_of_every_issue_with_overrides_marked(evaluated, policy):
    m = materials(evaluated, policy, sections=("evaluation",))  # no charts: no browser needed
    prs = _deck(m)
    evaluation = [s for s in prs.slides if s.name.startswith("年度評価（アウトカム指標の達成状況）")]
    assert len(evaluation) == 2  # 15 rows and two reasons: two slides, evened out
    rows = []
    for s in evaluation:
        table = next(sh for sh in s.shapes if sh.has_table).table
        assert [c.text for c in table.rows[0].cells] == deck.EVAL_HEADERS
        rows += [[c.text for c in r.cells] for r in list(table.rows)[1:]]
        text = _texts(s)
        assert "基準: 令和8年3月末" in text and "出典" in text  # the footer
        assert _inside(s, prs)
    assert [r[1] for r in rows] == [r.indicator.indicator_id for r in m.results]  # every indicator, in policy order
    assert {r[0] for r in rows} == {p.label for p in policy.issues.values()}  # with its 経営課題
    final, computed = deck.EVAL_HEADERS.index("最終評価"), deck.EVAL_HEADERS.index("算定評価")
    k24 = next(r for r in rows if r[1] == "K2-4")
    k47 = next(r for r in rows if r[1] == "K4-7")
    assert (k24[final], k47[final]) == ("A（達成）※1（算定 B）", "A（達成）※2（算定 B）")
    assert k47[computed] == "B（未達成）"
    assert all("※" not in r[final] for r in rows if r[1] not in ("K2-4", "K4-7"))
    body = "\n".join(_texts(s) for s in evaluation)
    assert "※2 K4-7 パイロット事業の実施：算定評価 B（未達成） を A（達成） に上書き（山田、" in body
    assert f"理由：{REASON}" in body and f"理由：{PLUS_REASON}" in body and "※1 K2-4" in body


def test_deck_has_the_texts_slide(evaluated, policy):
    prs = _deck(materials(evaluated, policy, sections=("evaluation",)))
    slides = list(prs.slides)
    texts = [s for s in slides if s.name.startswith("自己評価・今後の方針")]
    assert len(texts) == 1 and slides[-1] is texts[0]
    body = _texts(texts[0])
    for title in ev.TEXT_KEYS.values():
        assert title in body
    for paragraph in [*SELF.splitlines(), FUTURE]:
        assert paragraph in body
    box = next(sh for sh in texts[0].shapes if sh.name == "自己評価・今後の方針")
    assert box.has_text_frame and box.top + box.height <= deck.CONTENT_BOTTOM  # an editable text box above the footer


def test_deck_splits_long_texts_over_slides_and_loses_nothing(evaluated, policy):
    long = "\n".join("。".join(f"第{p}段落の第{i}文：研修と伴走支援を続け、全庁のDXを進める" for i in range(12)) + "。"
                     for p in range(8))
    ev.set_text(evaluated, 2025, "self_evaluation", long, "山田")
    ev.set_text(evaluated, 2025, "self_evaluation", "経営課題4の研修は定員を増やす。", "鈴木", issue_id="4")
    prs = _deck(materials(evaluated, policy, sections=("evaluation",)))
    texts = [s for s in prs.slides if s.name.startswith("自己評価・今後の方針")]
    assert len(texts) > 1 and texts[0].name == f"自己評価・今後の方針（1/{len(texts)}）"
    paragraphs = []
    for s in texts:
        assert _inside(s, prs)
        box = next(sh for sh in s.shapes if sh.name == "自己評価・今後の方針")
        lines = sum(deck.line_count(p.text, box.width / deck.EMU_PER_PT - 8, p.runs[0].font.size.pt) * p.runs[0].font.size.pt * 1.25
                    + (p.space_before.pt if p.space_before else 0) for p in box.text_frame.paragraphs)
        assert lines <= box.height / deck.EMU_PER_PT  # by the same estimate that split it: nothing runs over
        assert all(p.runs[0].font.size.pt >= 10 for p in box.text_frame.paragraphs)  # readable
        paragraphs += [p.text for p in box.text_frame.paragraphs]
    assert any(p.endswith("（続き）") for p in paragraphs)  # a continued text says so
    body = [p for p in paragraphs if not p.endswith("（続き）") and not p.startswith("記入:") and p not in
            (ev.TEXT_KEYS["self_evaluation"], ev.TEXT_KEYS["future_policy"], "経営課題4 自己評価")]
    assert "".join(body) == long.replace("\n", "") + FUTURE + "経営課題4の研修は定員を増やす。"  # in order, every character
    assert "経営課題4 自己評価" in paragraphs


def test_deck_before_year_end_says_provisional(evaluated, policy):
    prs = _deck(materials(evaluated, policy, as_of="2025-09", issues=("4",), sections=("evaluation",)))
    s = next(s for s in prs.slides if s.name.startswith("年度評価"))
    text = _texts(s)
    assert ev.PROVISIONAL_LABEL in text and "A/B は確定していません" in text
    table = next(sh for sh in s.shapes if sh.has_table).table
    finals = [table.cell(i, deck.EVAL_HEADERS.index("最終評価")).text for i in range(1, len(table.rows))]
    assert all(f.startswith("未確定") for f in finals) and "未確定※1" in finals
    assert "年度の終了後に適用" in text


def test_deck_without_texts_has_no_empty_texts_slide(sample_store, policy):
    prs = _deck(materials(sample_store, policy, issues=("2",), sections=("evaluation",)))
    assert [s.name for s in prs.slides][1:] == ["年度評価（アウトカム指標の達成状況）"]


def test_pagination_places_everything_within_the_height():
    items = deck._text_items([ev.TextSection("self_evaluation", None, "自己評価", "あ" * 5000, "u", "2026-03-31 10:00", "r")], 14.0)
    pages = deck._paginate(items, 880, 380)
    assert len(pages) > 2
    assert "".join(t for page in pages for t, *_ in page if t not in ("自己評価", "自己評価（続き）") and not t.startswith("記入")) == "あ" * 5000
    for page in pages:
        used = sum(deck.line_count(t, 880, size) * size * 1.25 + before for t, size, _, _, before in page)
        assert used <= 380


@needs_browser
def test_whole_deck_with_charts_includes_the_evaluation(evaluated, policy):
    m = materials(evaluated, policy)
    prs = _deck(m)
    names = [s.name for s in prs.slides]
    behind = [n for n in names if n.startswith("遅れ・注意の指標（9件、ペース比の悪い順）")]
    # at year end the evaluation lists every indicator with its grade: no 全体の状況 table besides it
    assert names[:4 + len(behind)] == ["表紙", *behind, "予算の推移", "経営課題1〜3：指標の達成状況",
                                       "経営課題4　全庁的なDXの推進：指標の達成状況"] and 1 <= len(behind) <= 2
    assert names[4 + len(behind)].startswith("年度評価") and names[-1] == "自己評価・今後の方針"
    data = export.build(m, "pptx")
    assert data[:2] == b"PK"


# --- PDF ------------------------------------------------------------------------------------------

def test_pdf_carries_the_evaluation_and_texts(evaluated, policy):
    from pypdf import PdfReader

    from kpi.export import fonts

    if fonts.font_path() is None:
        pytest.skip("no Japanese font for the PDF")
    reader = PdfReader(io.BytesIO(pdf.build(materials(evaluated, policy, sections=("evaluation",)))))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "年度評価" in text and "K4-7" in text and "A（達成）※1" in text and REASON in text
    assert "=SUM(A1:A9)" in text and FUTURE in text


# --- Dates as a person reads them -----------------------------------------------------------------

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def test_who_and_when_read_in_wareki_on_every_export(evaluated, policy):
    """The override's and the texts' time appear as 令和… in the workbook, the deck and the PDF (the JSON keeps ISO)."""
    from pypdf import PdfReader

    from kpi.export import fonts

    m = materials(evaluated, policy, sections=("evaluation",))
    wb = _workbook(export.build(m, "xlsx"))
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    deck_text = "\n".join(_texts(s) for s in _deck(m).slides)
    surfaces = {"xlsx": "\n".join(cells), "pptx": deck_text}
    if fonts.font_path() is not None:
        surfaces["pdf"] = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.build(m))).pages)
    for name, text in surfaces.items():
        assert not ISO_DATE.search(text), (name, ISO_DATE.search(text))
        assert "山田、令和" in text.replace(" ", "") or "山田　令和" in text, name
