"""Exports opened as a user's program would open them: python-pptx, openpyxl, pypdf, PIL, csv."""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest

from conftest import OTHER_POLICY, pptx_text, write_policy
from kpi import export
from kpi.export import images, tables
from kpi.export.content import as_of_for
from kpi.importer import commit, preview
from kpi.policy import load_policy
from kpi.service import SAMPLE_LABEL

needs_browser = pytest.mark.skipif(not images.available(), reason="no Chrome/Chromium for kaleido (.ci/run installs chromium)")
pytestmark = pytest.mark.xdist_group("kaleido")  # one browser per worker: keep image tests together

FORMULAS = ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3"]


def materials(store, policy, issues=(), as_of="2025-09", sections=export.DEFAULT_SECTIONS):
    return export.gather(store, policy, export.Scope(2025, tuple(issues), as_of, tuple(sections)))


@pytest.fixture
def formula_store(store, policy):
    """Actuals whose notes look like spreadsheet formulas."""
    rows = "".join(f"K1-1,2025-0{4 + i},{1500 + i},,,\"{note}\"\n" for i, note in enumerate(FORMULAS))
    raw = ("indicator_id,month,value,numerator,denominator,note\n" + rows).encode()
    pv = preview(store, policy, raw, "formulas.csv", today=dt.date(2026, 1, 1))
    assert pv.ok, pv.errors
    commit(store, pv, "tester")
    return store


# --- Excel ------------------------------------------------------------------------------------

def _sheet_rows(data: bytes, sheet: str):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return wb, wb[sheet]


def test_workbook_has_every_indicator_and_grades_after_year_end(sample_store, policy):
    m = materials(sample_store, policy, as_of="2026-03")
    wb, ws = _sheet_rows(export.build(m, "xlsx"), "指標")
    assert wb.sheetnames == ["指標", "年度評価", "年度評価（根拠・上書き）", "自己評価・今後の方針", "指標（ペース・見込み）",
                             "指標（振り返り）", "月次実績", "予算"]
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "経営課題")
    ids = [r[header.index("指標ID")] for r in ws.iter_rows(values_only=True) if r[0] and str(r[0]).startswith("経営課題")
           and r[1] and r[1] != "指標ID"]
    assert ids == [i.indicator_id for i in policy.indicators.values() if i.target(2025)]
    grade_col = header.index("達成状況（A：達成 B：未達成）")
    grades = {r[grade_col] for r in ws.iter_rows(min_row=ws.min_row, values_only=True) if r[1] in ids}
    assert grades <= {"A（達成）", "B（未達成）"} and grades
    assert any(r[header.index("前年度実績（令和6年度）")] is None for r in ws.iter_rows(values_only=True) if r[1] in ids)
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.column_dimensions["C"].width >= 36  # the policy's wording
    pct = next(ws.cell(row=i, column=header.index("達成率") + 1) for i in range(1, ws.max_row + 1)
               if ws.cell(row=i, column=2).value == "K1-1")
    assert (pct.value, pct.number_format, pct.data_type) == (1.02, "0%", "n")  # 2,046 / 2,000 floored, as a number
    assert any(SAMPLE_LABEL in str(c.value) for row in ws.iter_rows() for c in row if c.value)


def test_workbook_before_year_end_says_grade_comes_later(sample_store, policy):
    m = materials(sample_store, policy, as_of="2025-09")
    _, ws = _sheet_rows(export.build(m, "xlsx"), "指標")
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "未確定（年度途中）" in values and "A（達成）" not in values


def test_workbook_stores_formula_like_text_as_text(formula_store, policy):
    m = materials(formula_store, policy, issues=("1",))
    wb, ws = _sheet_rows(export.build(m, "xlsx"), "月次実績")
    notes = {c.value: c for row in ws.iter_rows() for c in row if c.value in FORMULAS}
    assert set(notes) == set(FORMULAS)
    for cell in notes.values():
        assert cell.data_type == "s", cell.value  # a string, never a formula ("f")
        assert cell.quotePrefix


def test_workbook_neutralises_an_indicator_name_from_the_policy(tmp_path, store):
    files = dict(OTHER_POLICY)
    files["indicators.csv"] = files["indicators.csv"].replace("交通事故件数,交通事故件数を減らす", '"=HYPERLINK(""http://x"")",@name')
    policy = load_policy(write_policy(tmp_path / "evil", files))
    m = export.gather(store, policy, export.Scope(2026, (), "2026-09"))
    _, ws = _sheet_rows(export.build(m, "xlsx"), "指標")
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith(("=", "@"))]
    assert cells and all(c.data_type == "s" for c in cells)
    text = export.build(m, "csv").decode("utf-8-sig")
    assert "'@name" in text and "\n=" not in text and ",=" not in text


# --- CSV --------------------------------------------------------------------------------------

def test_csv_utf8_bom_and_cp932(sample_store, policy):
    m = materials(sample_store, policy)
    utf8 = export.build(m, "csv")
    assert utf8.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(utf8.decode("utf-8-sig"))))
    sjis = list(csv.reader(io.StringIO(export.build(m, "csv_cp932").decode("cp932"))))
    assert rows == sjis  # the same table in both encodings
    assert [r[3] for r in rows[1:]] == [r.indicator.indicator_id for r in m.results]
    assert rows[1][rows[0].index("実績の出典")] == SAMPLE_LABEL
    assert "\r\n" in utf8.decode("utf-8-sig")


def test_csv_neutralises_formulas_but_not_numbers(formula_store, policy):
    m = materials(formula_store, policy, issues=("1",))
    rows = list(csv.reader(io.StringIO(export.build(m, "monthly_csv").decode("utf-8-sig"))))
    notes = [r[rows[0].index("備考")] for r in rows[1:]]
    assert notes == ["'" + f for f in FORMULAS]
    assert all(not cell.startswith(tables.FORMULA_START) for r in rows for cell in r)
    assert tables.neutralise(-5) == -5 and tables.neutralise("-5") == "'-5"


def test_cp932_maps_characters_excel_users_expect():
    t = tables.Table("t", (tables.Column("期間", lambda r: r),), ["令和5年度〜令和7年度", "😀"])
    text = tables.to_csv(t, "cp932").decode("cp932")
    assert "令和5年度～令和7年度" in text and "?" in text


def test_as_of_for_other_years():
    assert as_of_for(2025, 2025, "2025-09") == "2025-09"
    assert as_of_for(2024, 2025, "2025-09", dt.date(2025, 9, 1)) == "2025-03"  # an ended year: its March
    assert as_of_for(2026, 2025, "2025-09", dt.date(2026, 5, 1)) == "2026-04"  # a running year: the last month ended
    assert as_of_for(2027, 2025, "2025-09", dt.date(2026, 5, 1)) == "2026-05"  # not begun: this month, as 最新 on screen


def test_file_names_from_known_values_only(sample_store, policy):
    m = materials(sample_store, policy, issues=("2",))
    assert export.file_name(m, export.FORMATS["pptx"]) == "デジタル統括室_令和7年度_運営方針_経営課題2_令和7年9月末.pptx"
    every = materials(sample_store, policy, as_of="2026-03")
    assert export.file_name(every, export.FORMATS["pptx"]) == "デジタル統括室_令和7年度_運営方針_令和8年3月末.pptx"  # each month its own file
    assert export.file_name(every, export.FORMATS["xlsx"]) == "デジタル統括室_令和7年度_指標の達成状況_令和8年3月末.xlsx"
    assert images.safe_name("令和7年度", "../../etc/passwd", 'a:b*?"<>|') == "令和7年度_..-..-etc-passwd_a-b-"
    assert export.chart_name("デジタル統括室", 2025, "経営課題2", "予算推移") == "デジタル統括室_令和7年度_経営課題2_予算推移"
    assert export.chart_name("", 2025, "経営課題2", "予算推移") == "令和7年度_経営課題2_予算推移"  # no department stated


# --- PowerPoint, PDF, images (need Chromium) -------------------------------------------------

def _deck(data: bytes):
    from pptx import Presentation

    return Presentation(io.BytesIO(data))


_texts = pptx_text


def content_bottom(slide) -> int:
    """How far down the content of a slide reaches (EMU): its lowest shape above the footer (tables by their rows)."""
    from kpi.export.deck import HEIGHT

    def bottom(sh) -> int:
        height = sum(r.height for r in sh.table.rows) if sh.has_table else sh.height
        return sh.top + height

    return max((bottom(sh) for sh in slide.shapes if sh.top < HEIGHT - 600000), default=0)


def assert_no_slide_mostly_empty(slides) -> None:
    from kpi.export.deck import CONTENT_BOTTOM, CONTENT_TOP

    half = CONTENT_TOP + (CONTENT_BOTTOM - CONTENT_TOP) // 2
    for s in slides[1:]:  # the cover is a cover
        assert content_bottom(s) >= half, f"{s.name}: content ends at {content_bottom(s) / 914400:.1f} in"


@needs_browser
def test_deck_slides_pictures_tables(sample_store, policy):
    m = materials(sample_store, policy)
    prs = _deck(export.build(m, "pptx"))
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)  # 16:9
    slides = list(prs.slides)
    # mid-year: no 年度評価 slides (every grade would read 未確定 and the table would repeat 全体の状況)
    names = [s.name for s in slides]
    behind = [n for n in names if n.startswith("遅れ・注意の指標（4件、ペース比の悪い順）")]  # one or two slides
    assert names == ["表紙", *behind, "全体の状況", "予算の推移", "経営課題1〜3：指標の達成状況",
                     "経営課題4　全庁的なDXの推進：指標の達成状況"] and 1 <= len(behind) <= 2
    exceptions, summary = "\n".join(_texts(s) for s in slides[1:1 + len(behind)]), _texts(slides[1 + len(behind)])
    slides = [slides[0], slides[1], *slides[1 + len(behind):]]
    assert exceptions.index("K4-8") < exceptions.index("K2-2")  # worst first (K4-8 遅れ, …, K2-2 注意)
    for r in m.results:
        assert r.indicator.indicator_id in summary
    assert "予算合計" in summary and "1,947百万円" in summary
    for s in slides[1:]:
        pictures = [sh for sh in s.shapes if sh.shape_type == 13]
        assert len(pictures) == (1 if s.name == "予算の推移" or s.name.endswith("：指標の達成状況") else 0), s.name
        text = _texts(s)
        assert "基準: 令和7年9月末" in text and "出典" in text
    table = next(sh for sh in slides[4].shapes if sh.has_table).table
    assert [table.cell(i, 0).text for i in range(1, len(table.rows))] == ["K1-1", "K1-2", "K2-1", "K2-2", "K2-3", "K2-4", "K3-1"]
    assert SAMPLE_LABEL in _texts(slides[0]) and SAMPLE_LABEL in _texts(slides[4])
    # the exceptions slide lists 4 indicators since running totals pace from their first report (issue 18): a short list
    assert_no_slide_mostly_empty([slides[0], *slides[2:]])


@needs_browser
def test_deck_for_one_issue_only(sample_store, policy):
    prs = _deck(export.build(materials(sample_store, policy, issues=("2",)), "pptx"))
    slides = list(prs.slides)
    assert [s.name for s in slides] == ["表紙", "遅れ・注意の指標（1件、ペース比の悪い順）", "全体の状況", "予算の推移",
                                        "経営課題2　効率的かつ質の高い行政運営：指標の達成状況"]
    body = "\n".join(_texts(s) for s in slides)
    assert "経営課題2" in body and "経営課題1" not in body and "K4-1" not in body


@needs_browser
def test_deck_with_monthly_charts(sample_store, policy):
    m = materials(sample_store, policy, issues=("4",), sections=("indicators", "monthly"))
    slides = list(_deck(export.build(m, "pptx")).slides)
    monthly = [s for s in slides if "月次推移" in s.name]
    assert [s.name for s in monthly] == ["月次推移（1/2）", "月次推移（2/2）"]  # 8 indicators, 4 charts a slide
    assert sum(1 for s in monthly for sh in s.shapes if sh.shape_type == 13) == 8
    assert_no_slide_mostly_empty(slides)


@needs_browser
def test_pdf_pages_and_text(sample_store, policy):
    from pypdf import PdfReader

    m = materials(sample_store, policy)
    reader = PdfReader(io.BytesIO(export.build(m, "pdf")))
    texts = [p.extract_text() for p in reader.pages]
    # the deck's outline: cover, the indicators behind, summary, budget, two groups of indicators (no 年度評価 mid-year)
    assert 6 <= len(texts) <= 8, len(texts)
    assert SAMPLE_LABEL in texts[0] and "遅れ・注意の指標（4件、ペース比の悪い順）" in texts[1] and "K2-2" in texts[1]
    assert any("全体の状況" in t and "K4-8" in t for t in texts[2:4])
    assert all(p.mediabox.width > p.mediabox.height for p in reader.pages)  # A4 landscape
    assert "経営課題4" in texts[-1] and "年度評価（アウトカム指標" not in "".join(texts)
    # mid-year the tables carry no 評価 column (every cell would read 未確定), as in the deck
    assert "未確定" not in "".join(texts)


@needs_browser
def test_png_is_2x_and_not_blank(sample_store, policy):
    from PIL import Image

    m = materials(sample_store, policy, issues=("2",))
    chart = next(c for c in export.charts_for(m) if c.meta["kind"] == "budget")
    img = Image.open(io.BytesIO(images.render_chart(chart, "png")))
    w, h = chart.size()
    assert img.size == (2 * w, 2 * h)
    colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 200
    white = max(colours)[0] / (img.size[0] * img.size[1])
    assert white < 0.95


@needs_browser
def test_exports_keep_their_template_after_streamlit_import(sample_store, policy):
    """Importing streamlit replaces plotly's default template; the figures must not turn black."""
    import streamlit  # noqa: F401
    from PIL import Image

    m = materials(sample_store, policy, issues=("2",))
    chart = next(c for c in export.charts_for(m) if c.meta["kind"] == "budget")
    img = Image.open(io.BytesIO(images.render_chart(chart, "png", scale=1))).convert("RGB")
    counts = dict((rgb, n) for n, rgb in img.getcolors(maxcolors=1 << 20))
    orange = sum(n for rgb, n in counts.items() if abs(rgb[0] - 0xE6) < 8 and abs(rgb[1] - 0x9F) < 8 and rgb[2] < 12)
    black = sum(n for rgb, n in counts.items() if max(rgb) < 40)
    assert orange > 2000  # the Okabe–Ito orange of the middle year's bar
    assert black < orange


@needs_browser
def test_svg_and_pdf_chart_carry_japanese_text(sample_store, policy):
    m = materials(sample_store, policy, issues=("2",))
    chart = next(c for c in export.charts_for(m) if c.meta["kind"] == "budget")
    svg = images.render_chart(chart, "svg").decode()
    assert svg.lstrip().startswith("<svg") and "経営課題2" in svg and "出典" in svg
    assert images.render_chart(chart, "pdf").startswith(b"%PDF")


@needs_browser
def test_zip_of_every_chart(sample_store, policy):
    m = materials(sample_store, policy, issues=("3",))
    with zipfile.ZipFile(io.BytesIO(export.build(m, "zip"))) as zf:
        names = zf.namelist()
        assert all(zf.read(n).startswith(b"\x89PNG") for n in names)
    assert names == ["デジタル統括室_令和7年度_経営課題3_予算推移.png", "デジタル統括室_令和7年度_経営課題3_指標の達成状況.png",
                     "デジタル統括室_令和7年度_経営課題3_K3-1_月次推移.png", "デジタル統括室_令和7年度_経営課題3_K3-1_達成状況.png"]


def test_without_a_browser_images_refuse_in_japanese_and_tables_still_work(sample_store, policy, monkeypatch):
    monkeypatch.setattr(images, "browser_path", lambda: None)
    m = materials(sample_store, policy)
    for key in ("pptx", "pdf", "zip"):
        with pytest.raises(images.ExportUnavailable, match="Chrome または Chromium"):
            export.build(m, key)
    assert export.build(m, "xlsx")[:2] == b"PK"
    assert export.build(m, "csv")
