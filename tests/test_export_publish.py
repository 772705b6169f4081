"""The year-end publication (kpi.export.publish): the 達成状況 line, and the HTML, Excel 様式 and PDF of the bundled
policy at year end with an override, checked cell by cell against values worked out by hand from data/ and the sample."""
from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from conftest import YEAR_END, run_app
from kpi import evaluation as ev
from kpi.export import FORMATS, Scope, build, file_name, gather, publish, scope_file_name
from kpi.export.images import ExportUnavailable
from kpi.policy import Indicator, Target

FY = 2025
STEM = "デジタル統括室_令和7年度_運営方針_公表用_令和8年3月末"
REASON = "<b>報告漏れ</b> & 年度末に2業務の運用開始を確認"
SELF_EVALUATION = "=1+1 で始まる文も文字のまま。\n手続きのオンライン化は目標を上回った。<script>alert(1)</script>"


@pytest.fixture
def year_end(sample_store, policy):
    """The bundled policy as at 令和8年3月末 over the sample, K2-2 overridden B → A, K1-2's 前年度実績 entered, 自己評価 written."""
    ev.set_override(sample_store, FY, "K2-2", "A", REASON, "確認者")
    ev.set_previous(sample_store, FY, "K1-2", 21.4, "確認者", "令和6年度の運営方針")
    ev.set_text(sample_store, FY, "self_evaluation", SELF_EVALUATION, "確認者")
    return gather(sample_store, policy, Scope(FY, (), YEAR_END))


# --- the line ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "kwargs", "expected"), [
    # the city's own examples
    (("作成世帯数", 1950, (2022, 2024), 5410, "世帯", "B", False), {"period_word": "作成合計"},
     "6年度作成世帯数1,950世帯（R4〜R6作成合計5,410世帯）：B"),
    (("転出におけるマイナポータルの利用率", 23.572818683100877, None, None, "%", "B", False), {},
     "転出におけるマイナポータルの利用率 23.6%：B"),
    # an override: the final grade with ※, or the note's number
    (("ノーコードツールを活用したアプリの運用開始", 18, None, None, "業務", "A", True), {},
     "ノーコードツールを活用したアプリの運用開始 18業務：A※"),
    (("ノーコードツールを活用したアプリの運用開始", 18, None, None, "業務", "A", True), {"mark": "※2"},
     "ノーコードツールを活用したアプリの運用開始 18業務：A※2"),
    (("作成世帯数", 1950, (2022, 2024), 6010, "世帯", "A", True), {"mark": "※1"}, "6年度作成世帯数1,950世帯（R4〜R6合計6,010世帯）：A※1"),
    # inside the period the span ends at the year evaluated; 令和元年度 is 元年度
    (("受講者", 40, (2022, 2024), 95, "名", None, False), {"fy": 2023}, "5年度受講者40名（R4〜R5合計95名）：未確定"),
    (("受講者", 12, (2019, 2021), 12, "名", "B", False), {"fy": 2019}, "元年度受講者12名（R1〜R1合計12名）：B"),
    # the year still runs: no grade, and no ※ on a grade not yet given
    (("支援数", 1, None, None, "所属", None, True), {}, "支援数 1所属：未確定"),
    # milestones read 完了 / 進捗n%; no report reads －
    (("戦略の改定", 100, None, None, "%", "A", False), {"milestone": True}, "戦略の改定 完了：A"),
    (("戦略の改定", 60, None, None, "%", "B", False), {"milestone": True}, "戦略の改定 進捗60%：B"),
    (("戦略の改定", None, None, None, "%", "B", False), {"milestone": True}, "戦略の改定 －：B"),
    # a period without its figure is worded as a year
    (("作成世帯数", 1950, (2022, 2024), None, "世帯", "B", False), {}, "作成世帯数 1,950世帯：B"),
])
def test_published_line(args, kwargs, expected):
    assert publish.published_line(*args, **kwargs) == expected


def _record(aggregation: str, period, grade="B", overridden=False, year_value=1950.0, period_value=5410.0):
    ind = Indicator("X-1", "1", "", "作成世帯数", "マイ避難カードを作成した世帯の数", "世帯", aggregation, "higher", (2022, 2024),
                    {2024: Target(2024, 6000, "以上", "", "")})
    return SimpleNamespace(indicator=ind, fiscal_year=2024, year_value=year_value, period=period, period_value=period_value,
                           grade=grade, overridden=overridden, value=period_value)


@pytest.mark.parametrize(("record", "mark", "expected"), [
    (_record("sum", (2022, 2024)), "※", "6年度作成世帯数1,950世帯（R4〜R6合計5,410世帯）：B"),
    (_record("sum", (2022, 2024), "A", True), "※1", "6年度作成世帯数1,950世帯（R4〜R6合計5,410世帯）：A※1"),
    (_record("sum", None, period_value=None), "※", "作成世帯数 1,950世帯：B"),
    # a running total's year figure is the period's already: no repeat
    (_record("latest", (2022, 2024), year_value=5410.0), "※", "作成世帯数 5,410世帯：B"),
])
def test_line_of_reads_the_year_and_the_period_figures(record, mark, expected):
    assert publish.line_of(record, mark) == expected


# --- HTML -------------------------------------------------------------------------------------

class _Page(HTMLParser):
    """Headings, paragraphs and tables (cells as (tag, scope, text)) of the publication, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.headings: list[tuple[str, str]] = []
        self.paragraphs: list[str] = []
        self.items: list[str] = []
        self.tables: list[list[list[tuple[str, str | None, str]]]] = []
        self.captions: list[str] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self._text: list[str] | None = None
        self._open: tuple[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        if tag in ("h1", "h2", "h3", "h4", "p", "li", "th", "td", "caption"):
            self._open, self._text = (tag, a.get("scope")), []

    def handle_endtag(self, tag):
        if self._open is None or tag != self._open[0]:
            return
        text = "".join(self._text or []).strip()
        if tag in ("th", "td"):
            self.tables[-1][-1].append((tag, self._open[1], text))
        elif tag == "p":
            self.paragraphs.append(text)
        elif tag == "li":
            self.items.append(text)
        elif tag == "caption":
            self.captions.append(text)
        else:
            self.headings.append((tag, text))
        self._open = self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def _page(m) -> tuple[_Page, str]:
    text = publish.html_bytes(m).decode("utf-8")
    page = _Page()
    page.feed(text)
    return page, text


ISSUE_TITLES = [
    "【経営課題1】デジタル技術を活用し、便利・快適で、幸せ（Well-being）を実感できる市民生活の実現",
    "【経営課題2】デジタル技術を活用した効率的かつ質の高い行政運営",
    "【経営課題3】デジタル技術の活用による便利・安心・安全に暮らせる、魅力・活力のあるまちの実現",
    "【経営課題4】全庁的なDXの推進に向けた取組",
]
RESULTS_HEAD = [("th", "col", "＜7年度実績と達成状況＞ ※A：達成 B：未達成"), ("th", "col", "＜前年度実績＞")]
# Worked out from data/ and data/sample_actuals.csv at 2026-03 (K1-2 = 23.57…% of 転出 via マイナポータル; K2-4 the
# mean of twelve months, 1,863.17 h < 1,870 h; K3-1 80 % done; K4-8 60 % done), with K2-2 overridden to A.
RESULT_ROWS = {
    1: [("オンラインでできる手続き数（累計） 2,046件：A", "－"), ("転出におけるマイナポータルの利用率 23.6%：B", "21.4%")],
    2: [("バックオフィスDX統合プラットフォーム構築業務の開始 完了：A", "－"),
        ("ノーコードツールを活用したアプリの運用開始 18業務：A※1", "－"),
        ("生成AI：専門性の高い知識を要する業務の検証 2業務：A", "－"),
        ("AI音声認識の利用実績（市全体・月） 1,863.2時間：B", "－")],
    3: [("建設生産プロセスDXのテーマワーキング実施 進捗80%：B", "－")],
    4: [("DX推進事業を所管する担当所属への支援数 2所属：A", "－"), ("DXの即戦力となる外部専門人材の確保 6名：B", "－"),
        ("DX推進人材育成研修の受講者 57名：B", "－"), ("都市・インフラ分野 集合研修の受講者 65名：A", "－"),
        ("データ可視化環境を利用する所属の割合 58%：B", "－"), ("人材育成計画の策定と体系的な研修の実施 完了：A", "－"),
        ("パイロット事業の実施 2事業：B", "－"), ("情報セキュリティ戦略の改定 進捗60%：B", "－")],
}
BUDGETS = {1: ["87百万円", "108百万円", "128百万円"], 2: ["96百万円", "409百万円", "1,153百万円"], 3: ["0百万円", "88百万円", "72百万円"],
           4: ["146百万円", "303百万円", "594百万円"]}
OVERRIDE_NOTE = f"※1 ノーコードツールを活用したアプリの運用開始：算定評価 B（未達成）をA（達成）としました。理由：{REASON}"


def test_html_has_the_city_pages_structure_and_every_line(year_end):
    page, text = _page(year_end)
    assert page.lang == "ja" and text.startswith("<!DOCTYPE html>")
    assert [h for tag, h in page.headings if tag == "h1"] == ["令和7年度 デジタル統括室運営方針（案）"]
    assert [h for tag, h in page.headings if tag == "h2"] == [
        "【目標（何をめざすのか）】", "【使命（どのような役割を担うのか）】", "【令和7年度所属運営の基本的な考え方】",
        "重点的に取り組む主な経営課題", "自己評価（運営方針全体の定性評価）", "今後の方針"]
    assert [h for tag, h in page.headings if tag == "h3"] == ISSUE_TITLES
    h4 = [h for tag, h in page.headings if tag == "h4"]
    assert h4 == ["課題認識", "主な戦略（課題解決の方策）", "アウトカム指標", "アウトカム指標の達成状況（定量評価）"] * 4
    # two tables per 経営課題: budgets, then 達成状況 — every cell, header cells with their scope
    assert len(page.tables) == 8
    for n in range(1, 5):
        budget, results = page.tables[2 * n - 2], page.tables[2 * n - 1]
        assert budget == [[("th", "col", "5決算額"), ("th", "col", "6予算額"), ("th", "col", "7予算額")],
                          [("td", None, v) for v in BUDGETS[n]]]
        assert results == [RESULTS_HEAD] + [[("th", "row", line), ("td", None, prev)] for line, prev in RESULT_ROWS[n]]
    assert OVERRIDE_NOTE in page.paragraphs and sum(p.startswith("※") for p in page.paragraphs) == 1
    # the policy's texts in their places
    assert page.paragraphs[page.paragraphs.index("オンラインで行政手続きが可能となることで、市民の利便性向上や業務の効率化が図られ、"
                                                 "職員が市民対応に注力できている状態をめざして多くの手続きをオンライン化している。") + 1] \
        .startswith("更なる市民サービスの向上に向け")
    assert "令和7年度 転出におけるマイナポータルの利用率25%" in page.items
    assert "令和5年度から令和7年度にかけて外部専門人材を確保 令和7年度 7名程度" in page.items  # wording + the stated target
    assert "=1+1 で始まる文も文字のまま。" in page.paragraphs
    assert "手続きのオンライン化は目標を上回った。<script>alert(1)</script>" in page.paragraphs
    assert "（未記入）" in page.paragraphs  # 今後の方針 not written
    assert any("サンプル（架空）" in p for p in page.paragraphs)


def test_html_is_escaped_self_contained_and_every_header_has_a_scope(year_end):
    page, text = _page(year_end)
    assert "<script" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;報告漏れ&lt;/b&gt; &amp; 年度末" in text and "<b>" not in text
    assert "script" not in page.tags and not {"img", "link", "iframe", "object", "embed"} & page.tags
    assert not [a for a, v in page.attrs if a in ("src", "href") or a.startswith("on")]
    assert "url(" not in text and "@import" not in text and "http" not in text
    ths = text.count("<th ")
    assert ths == text.count('<th scope="col">') + text.count('<th scope="row">') and ths == 4 * 3 + 4 * 2 + 15


def test_mid_year_lines_say_not_final(sample_store, policy):
    page, _ = _page(gather(sample_store, policy, Scope(FY, ("1",), "2025-09")))
    rows = page.tables[1][1:]
    # K1-1: September's 1,731; K1-2: Σ分子 2,460 ÷ Σ分母 11,988 (April–September) = 20.52 %
    assert [r[0][2] for r in rows] == ["オンラインでできる手続き数（累計） 1,731件：未確定", "転出におけるマイナポータルの利用率 20.5%：未確定"]
    assert any(p.startswith("【未確定（年度途中）】令和7年度は令和7年9月末の時点で終わっていない") for p in page.paragraphs)
    assert [h for tag, h in page.headings if tag == "h3"] == ISSUE_TITLES[:1]  # the filter's 経営課題 only


def test_without_the_evaluation_it_is_refused_in_japanese(sample_store, policy):
    m = gather(sample_store, policy, Scope(FY, (), YEAR_END, ("summary",)))
    with pytest.raises(ExportUnavailable, match="「年度評価」"):
        build(m, "publish")


# --- Excel: the seed's 様式 ---------------------------------------------------------------------

def _sheet(m):
    wb = load_workbook(io.BytesIO(publish.workbook_bytes(m)))
    assert wb.sheetnames == ["運営方針"]
    return wb["運営方針"]


def _rows(ws) -> list[dict[str, str]]:
    """Each row's non-empty cells by column letter."""
    return [{c.column_letter: c.value for c in row if c.value not in (None, "")} for row in ws.iter_rows()]


def _find(rows, column: str, value: str, start: int = 0) -> int:
    return next(i for i in range(start, len(rows)) if rows[i].get(column) == value)


def test_workbook_is_the_seeds_form_cell_by_cell(year_end):
    ws = _sheet(year_end)
    rows = _rows(ws)
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert rows[0] == {"A": "令和7年度 デジタル統括室運営方針（案）"} and "A1:G1" in merged
    assert rows[1] == {"A": "（ 所属長： 鶴見 一裕 ）"}
    top = _find(rows, "A", "「目標」「使命」及び「所属運営の基本的な考え方」")
    assert [r.get("A") for r in rows[top + 1: top + 4]] == ["目標", "使命", "令和7年度所属運営の基本的な考え方"]
    assert rows[top + 1]["B"].startswith("各所属と連携の上、次の目標を実現する。") and f"B{top + 2}:G{top + 2}" in merged
    assert rows[top + 3]["B"].startswith("・デジタル技術を活用し、行政手続きのオンライン化とBPR")
    assert rows[top + 3]["B"].count("\n・") == 3  # four points of the approach, one cell

    starts = [_find(rows, "A", f"経営課題{n}　" + t.split("】")[1]) for n, t in enumerate(ISSUE_TITLES, start=1)]
    for n, s in enumerate(starts, start=1):
        x = s + 1  # 1-based Excel row of the title is s + 1
        assert f"A{x}:G{x}" in merged
        amounts = BUDGETS[n]
        assert rows[s + 1] == {"B": "5決算額", "C": amounts[0], "D": "6予算額", "E": amounts[1], "F": "7予算額", "G": amounts[2]}
        assert rows[s + 2]["A"] == "課題認識" and f"B{x + 2}:G{x + 2}" in merged
        assert rows[s + 3]["A"] == "主な戦略（課題解決の方策）"
        assert rows[s + 4]["A"] == "アウトカム指標（経営課題の解決に向けた進捗度を示した指標）"
        head = s + 5
        assert rows[head] == {"A": "アウトカム指標の達成状況（定量評価）", "B": "7年度実績と達成状況 ※A：達成 B：未達成", "F": "前年度実績"}
        assert f"B{head + 1}:E{head + 1}" in merged and f"F{head + 1}:G{head + 1}" in merged
        lines = RESULT_ROWS[n]
        assert [(r.get("B"), r.get("F")) for r in rows[head + 1: head + 1 + len(lines)]] == lines
        notes = [OVERRIDE_NOTE] if n == 2 else []
        assert [r.get("B") for r in rows[head + 1 + len(lines): head + 1 + len(lines) + len(notes)]] == notes
        span = len(lines) + len(notes)
        assert f"A{head + 1}:A{head + 1 + span}" in merged  # the label spans its header, lines and notes
    first = starts[0]
    assert rows[first + 2]["B"].startswith("オンラインで行政手続きが可能となることで") and rows[first + 2]["B"].count("\n") == 2
    assert rows[first + 3]["B"] == "・行政手続きのオンライン化とBPR\n・マイナポータルを活用した行政サービスの向上"
    assert rows[first + 4]["B"] == ("・行政手続きのオンライン化とBPR\n　令和7年度 オンラインでできる手続き数 2,000件（累計）\n"
                                    "・マイナポータルを活用した行政サービスの向上\n　令和7年度 転出におけるマイナポータルの利用率25%")
    own = _find(rows, "A", "自己評価（運営方針全体の定性評価）")
    assert rows[own]["B"] == SELF_EVALUATION.replace("\n", "\n")
    assert ws.cell(own + 1, 2).data_type == "s"  # =1+1 … stays text, never a formula
    assert rows[own + 1] == {"A": "今後の方針", "B": "（未記入）"}


def test_workbook_prints_on_a4_with_wrapped_text(year_end):
    ws = _sheet(year_end)
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"  # 9 = A4
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_area and ws.oddFooter.right.text == "&P / &N" and "デジタル統括室" in ws.oddHeader.left.text
    rows = _rows(ws)
    recognition = _find(rows, "A", "課題認識") + 1
    assert ws.cell(recognition, 2).alignment.wrap_text and ws.cell(recognition, 1).alignment.wrap_text
    assert 40 < ws.row_dimensions[recognition].height <= 409  # sized for its lines, within Excel's limit
    widths = [ws.column_dimensions[c].width for c in "ABCDEFG"]
    assert widths == list(publish.FORM_WIDTHS)


def test_a_long_text_continues_in_rows_under_one_label(sample_store, policy):
    ev.set_text(sample_store, FY, "future_policy", "\n".join(f"{n}番目の方針。" + "あ" * 300 for n in range(12)), "確認者")
    ws = _sheet(gather(sample_store, policy, Scope(FY, (), YEAR_END)))
    rows = _rows(ws)
    at = _find(rows, "A", "今後の方針")
    more = [r for r in rows[at:] if "B" in r and "番目の方針" in r["B"]]
    assert len(more) > 1 and "".join(r["B"] for r in more).count("番目の方針。") == 12
    assert f"A{at + 1}:A{at + len(more)}" in {str(r) for r in ws.merged_cells.ranges}
    assert all(ws.row_dimensions[at + 1 + i].height <= 409 for i in range(len(more)))


# --- PDF and the ZIP ----------------------------------------------------------------------------

def test_pdf_carries_the_same_lines(year_end):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(publish.pdf_bytes(year_end)))
    text = "".join(p.extract_text() for p in reader.pages).replace(" \n", "\n")
    for lines in RESULT_ROWS.values():
        for line, _ in lines:
            assert line.replace(" ", "") in text.replace(" ", "").replace("\n", "")
    assert reader.metadata.title == "令和7年度 デジタル統括室運営方針（案）"
    assert reader.pages[0].mediabox.width < reader.pages[0].mediabox.height  # A4 portrait


def test_zip_holds_the_three_files_named_for_the_department(year_end):
    data = build(year_end, "publish")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == [f"{STEM}.html", f"{STEM}.xlsx", f"{STEM}.pdf"]
        assert zf.read(f"{STEM}.html") == publish.html_bytes(year_end)
    assert file_name(year_end, FORMATS["publish"]) == f"{STEM}.zip"


# --- the 年度評価 page's button --------------------------------------------------------------------

def test_evaluation_page_offers_the_publication(sample_store, policy, monkeypatch):
    at = run_app("app_pages/evaluation.py", sample_store.root, monkeypatch)
    button = next(b for b in at.get("download_button") if b.proto.id.endswith("publish_download") or "公表用" in b.proto.label)
    assert button.proto.label == "公表用の運営方針（HTML・Excel様式・PDF）"
    assert "未確定" not in button.proto.help  # at year end
    scope = Scope(FY, (), YEAR_END, ("evaluation",))
    assert scope_file_name(policy, scope, FORMATS["publish"]) == f"{STEM}.zip"
    with zipfile.ZipFile(io.BytesIO(publish.zip_for(sample_store, policy, scope))) as zf:
        assert zf.namelist()[0] == f"{STEM}.html"


def test_another_departments_policy_without_actuals(store, other_policy_dir):
    """Nothing of data/ is assumed: another department's 経営課題 IDs, budgets of two years, no 所属長, no 考え方, no actuals."""
    from kpi.policy import load_policy

    other = load_policy(other_policy_dir)
    m = gather(store, other, Scope(2026, (), "2027-03"))
    page, text = _page(m)
    assert [h for tag, h in page.headings if tag == "h3"] == ["【経営課題A】安全なまち", "【経営課題B】健康なくらし", "【経営課題C】開かれた行政"]
    assert "【令和8年度所属運営の基本的な考え方】" in [h for _, h in page.headings] and "所属長" not in text
    assert page.tables[0] == [[("th", "col", "6決算額"), ("th", "col", "8予算額")], [("td", None, "10百万円"), ("td", None, "30百万円")]]
    # no actuals at all: each indicator is B with － (the year has ended)
    assert [t[1][0][2] for t in page.tables[1::2]] == ["交通事故件数 －：B", "健診受診率 －：B", "オープンデータ公開数 －：B"]
    assert not any("サンプル" in p for p in page.paragraphs)
    rows = _rows(_sheet(m))
    assert rows[0] == {"A": "令和8年度 テスト局運営方針"} and rows[1]["A"].startswith("運営方針の進捗管理を実施しました")
    assert file_name(m, FORMATS["publish"], "html") == "テスト局_令和8年度_運営方針_公表用_令和9年3月末.html"


def test_print_setup_takes_header_and_footer_texts_literally():
    """「&」 starts a code in Excel's header (&P = page number): a department 「総務&DX課」 prints as written."""
    from openpyxl import Workbook

    from kpi.export.workbook import print_on_a4

    ws = Workbook().active
    print_on_a4(ws, landscape=False, margins=(0.5, 0.7, 0.3), header=("総務&DX課　令和7年度",), footer=("基準: &P",), pages="&P / &N")
    assert ws.oddHeader.left.text == "総務&&DX課　令和7年度" and ws.oddFooter.left.text == "基準: &&P"
    assert ws.oddFooter.right.text == "&P / &N" and ws.page_setup.orientation == "portrait" and ws.page_margins.top == 0.7
