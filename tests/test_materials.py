"""Meeting materials a clerk hands out as they are (issue 20): the workbook's numbers and print setup, overdue
reports on every surface, one signal at year end, and a deck that reads on its own — read back with openpyxl and
python-pptx, mid-year (基準月 2025-09) and at year end (2026-03)."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from pptx import Presentation

from conftest import DATA, every_column, overview_cards, pptx_text, run_app
from kpi import checkins, export, service
from kpi import evaluation as ev
from kpi.evaluate import OFF_TRACK, attention
from kpi.evaluation.rows import YEAR_END_ASK, result_totals, totals_text
from kpi.export import deck
from kpi.importer import commit, preview

LATE = {"K1-1": "2025-07", "K2-4": "2025-07"}  # their reports stop in July: August and September are missing


@pytest.fixture
def meeting(store, policy):
    """The sample actuals without K1-1's and K2-4's reports after July, a check-in for K2-2 written for September,
    and K4-7 (computed B) overridden to A."""
    lines = (DATA / "sample_actuals.csv").read_text(encoding="utf-8").splitlines()
    kept = [ln for ln in lines if not (ln.split(",")[0] in LATE and ln.split(",")[1] > LATE[ln.split(",")[0]])]
    pv = preview(store, policy, ("\n".join(kept) + "\n").encode(), "sample_actuals.csv", today=dt.date(2026, 11, 1))
    assert pv.ok, pv.errors
    commit(store, pv, service.SAMPLE_USER, source="sample", sample=True)
    checkins.add(store, "K2-2", "2025-09", "アプリ開発の着手が遅れた", "10月に2業務を追加", "担当者")
    ev.set_override(store, 2025, "K4-7", "A", "3事業目は3月に実施済み", "評価担当")
    return store


def gather(store, policy, as_of, sections=export.DEFAULT_SECTIONS):
    return export.gather(store, policy, export.Scope(2025, (), as_of, tuple(sections)))


def sheet_table(ws):
    """(header row number, headers, {指標ID: row number})."""
    header = next(r[0].row for r in ws.iter_rows() if r[0].value in ("経営課題", "指標ID"))
    headers = [c.value for c in ws[header] if c.value is not None]
    if "指標ID" not in headers:  # the budget
        return header, headers, {}
    col = headers.index("指標ID") + 1
    rows = {ws.cell(i, col).value: i for i in range(header + 1, ws.max_row + 1) if ws.cell(i, col).value}
    return header, headers, rows


# --- 1. Excel that prints and computes -----------------------------------------------------------------

def test_workbook_numbers_are_numbers_with_the_units_format(meeting, policy):
    wb = load_workbook(io.BytesIO(export.build(gather(meeting, policy, "2025-09"), "xlsx")))
    ws = wb["指標"]
    _, headers, rows = sheet_table(ws)

    def cell(iid, name):
        return ws.cell(rows[iid], headers.index(name) + 1)

    got = {iid: (cell(iid, "令和7年度 実績").value, cell(iid, "令和7年度 実績").number_format) for iid in ("K1-1", "K1-2", "K2-4")}
    # K1-1 July 1,644件; K1-2 Σ分子 2460 / Σ分母 11988 = 20.52 % shown 20.5; K2-4 (1652+1704+1761+1798)/4 = 1,728.75 → 1,728.8
    assert got == {"K1-1": (1644, '#,##0"件"'), "K1-2": (20.5, '#,##0.0"%"'), "K2-4": (1728.8, '#,##0.0"時間"')}
    pct = cell("K1-1", "達成率")
    assert (pct.value, pct.number_format, pct.data_type) == (0.82, "0%", "n")  # 1644 / 2000 = 82.2 % floored, a number
    assert cell("K1-1", "最終報告月").value == "9月分未報告（最終報告 7月）"
    every = [c for s in wb for row in s.iter_rows() for c in row]
    assert not [c.coordinate for c in every if c.number_format in ("#,##0.##", "#,##0.##_ ")]  # never 「2,000.」
    assert all(c.data_type == "n" for c in every if isinstance(c.value, (int, float)))
    pace = wb["指標（ペース・見込み）"]
    _, ph, prow = sheet_table(pace)
    forecasts = [pace.cell(i, ph.index("年度末見込み") + 1).value for i in prow.values()]
    assert forecasts and all(v is None or round(v, 1) == v for v in forecasts)  # rounded like the screen (1 decimal)
    months = wb["月次実績"]
    _, mh, _ = sheet_table(months)
    assert "単位" not in mh and len(mh) <= 10


def test_every_sheet_prints_on_a4_landscape_with_headers_and_page_numbers(meeting, policy):
    wb = load_workbook(io.BytesIO(export.build(gather(meeting, policy, "2026-03"), "xlsx")))
    assert wb.sheetnames[:2] == ["指標", "年度評価"]
    for ws in wb:
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert "デジタル統括室" in ws.oddHeader.left.text and "令和7年度" in ws.oddHeader.center.text, ws.title
        assert ws.oddHeader.right.text == "基準: 令和8年3月末" and "&P" in ws.oddFooter.right.text and "&N" in ws.oddFooter.right.text
        if ws.title == "自己評価・今後の方針":
            continue
        header, headers, _ = sheet_table(ws)
        assert len(headers) <= 10, (ws.title, headers)  # about ten columns a printed page: the detail is on other sheets
        assert ws.print_title_rows.replace("$", "") == f"{header}:{header}", ws.title  # the header row on every page
        assert sum(ws.column_dimensions[chr(65 + i)].width for i in range(len(headers))) <= 165, ws.title


# --- 4. overdue reports are visible ------------------------------------------------------------------

def test_an_overdue_report_needs_attention_on_every_surface(meeting, policy, monkeypatch):
    rs = service.results(meeting, policy, 2025, "2025-09")
    late = {r.indicator.indicator_id: service.status_record(r)["overdue_months"] for r in rs}
    assert late == {r.indicator.indicator_id: 2 if r.indicator.indicator_id in LATE else 0 for r in rs}
    k24 = next(r for r in rs if r.indicator.indicator_id == "K2-4")
    assert k24.status not in OFF_TRACK and k24 in attention(rs)  # on track by July's figures, still needs attention
    text = "9月分未報告（最終報告 7月）"

    at = run_app("app_pages/overview.py", meeting.root, monkeypatch, as_of="2025-09")
    assert at.subheader[0].value.startswith("遅れ・注意・報告遅れの指標")
    card = next(c for c in overview_cards(at) if "K2-4 " in c.splitlines()[0]).splitlines()
    assert card[1] == text  # on the card, right under its title
    assert not [s for s in at.success if "遅れ・注意の指標はありません" in s.value]

    at = run_app("app_pages/indicators.py", meeting.root, monkeypatch, as_of="2025-09")
    table = every_column(at)
    assert dict(zip(table["指標ID"], table["最終報告月"]))["K2-4"] == text

    m = gather(meeting, policy, "2025-09", ("summary",))
    slides = list(Presentation(io.BytesIO(deck.build(m))).slides)
    behind = "\n".join(pptx_text(s) for s in slides if s.name.startswith("遅れ・注意"))
    assert "K2-4" in behind and text in behind and any(s.name.startswith("遅れ・注意・報告遅れ") for s in slides)
    assert "報告遅れ 2件" in pptx_text(slides[0])


def test_with_nothing_reported_the_overview_does_not_say_all_is_well(sample_store, monkeypatch):
    at = run_app("app_pages/overview.py", sample_store.root, monkeypatch, fy=2026, as_of="latest")  # the sample is 令和7年度's
    assert not [s for s in at.success if "遅れ・注意の指標はありません" in s.value]
    assert any("実績はまだ登録されていません" in i.value for i in at.info)


# --- 5. one signal at year end ------------------------------------------------------------------------

def test_year_end_cover_counts_are_the_evaluations(meeting, policy, monkeypatch):
    m = gather(meeting, policy, "2026-03", ("summary", "evaluation"))
    slides = list(Presentation(io.BytesIO(deck.build(m))).slides)
    t = result_totals(m.results, True)
    assert t == ev.totals(m.evaluation.rows, True) and t.overridden == 1
    cover = pptx_text(slides[0])
    assert totals_text(t) in cover and f"A（達成） {t.a}件" in cover
    at = run_app("app_pages/evaluation.py", meeting.root, monkeypatch, as_of="2026-03")
    metrics = {mt.label: mt.value for mt in at.metric}
    assert (metrics["A（達成）"], metrics["B（未達成）"]) == (f"{t.a}件", f"{t.b}件")
    # K4-7: overridden to A, computed 遅れ: the row never reads 「× 遅れ」 beside 「A（達成）※」
    behind = "\n".join(pptx_text(s) for s in slides if s.name.startswith("遅れ・注意"))
    assert "算定 × 遅れ" in behind
    ws = load_workbook(io.BytesIO(export.build(m, "xlsx")))["指標"]
    _, headers, rows = sheet_table(ws)
    row = [c.value for c in ws[rows["K4-7"]]]
    assert row[headers.index("状況")] == "算定 × 遅れ" and row[headers.index("達成状況（A：達成 B：未達成）")] == "A（達成）※（算定 B）"


def test_a_september_check_in_at_year_end_says_so_and_asks_for_the_years(meeting, policy):
    m = gather(meeting, policy, "2026-03", ("summary", "evaluation"))
    k22 = next(r for r in m.evaluation.rows if r.indicator_id == "K2-2")
    assert k22.analysis.startswith("令和7年9月分（基準月 3月より前）　要因: アプリ開発の着手が遅れた") and YEAR_END_ASK in k22.analysis
    mid = gather(meeting, policy, "2025-09", ("summary", "evaluation"))
    assert YEAR_END_ASK not in next(r for r in mid.evaluation.rows if r.indicator_id == "K2-2").analysis
    slides = list(Presentation(io.BytesIO(deck.build(m))).slides)
    behind = "\n".join(pptx_text(s) for s in slides if s.name.startswith("遅れ・注意"))
    assert "令和7年9月分（基準月 3月より前）の振り返り（記入 担当者、" in behind


# --- 3. a deck that reads on its own --------------------------------------------------------------------

def _tables(slides):
    return {s.name: next(sh for sh in s.shapes if sh.has_table).table for s in slides if any(sh.has_table for sh in s.shapes)}


def test_mid_year_deck_has_no_evaluation_slides_and_shows_the_sort_key(meeting, policy):
    m = gather(meeting, policy, "2025-09", ("summary", "evaluation"))
    slides = list(Presentation(io.BytesIO(deck.build(m))).slides)
    names = [s.name for s in slides]
    assert not [n for n in names if n.startswith("年度評価")] and "全体の状況" in names
    summary = _tables(slides)["全体の状況"]
    assert "評価" not in [c.text for c in summary.rows[0].cells]  # every grade would read 未確定
    assert "年度評価（A：達成 B：未達成）は令和7年度の終了後に判定します。" in pptx_text(slides[names.index("全体の状況")])
    rows = []
    for name, table in _tables(slides).items():
        if name.startswith("遅れ・注意"):
            head = [c.text for c in table.rows[0].cells]
            assert "ペース比（達成率）" in head
            rows += [dict(zip(head, (c.text for c in r.cells))) for r in list(table.rows)[1:]]
    order = {"× 遅れ": 0, "△ 注意": 1}
    keys = [(order.get(r["状況"], 2), int(re.match(r"(\d+)%", r["ペース比（達成率）"]).group(1))) for r in rows]
    assert keys == sorted(keys) and len(keys) >= 5  # worst first by the column the slide shows
    k22 = next(r for r in rows if r["ID"] == "K2-2")
    assert "要因: アプリ開発の着手が遅れた" in k22["要因・対策（最新の振り返り）"]
    assert "令和7年9月分の振り返り（記入 担当者、" in k22["要因・対策（最新の振り返り）"]  # the month and when it was written
    # asked for on its own, the evaluation comes (labelled 未確定)
    alone = list(Presentation(io.BytesIO(deck.build(gather(meeting, policy, "2025-09", ("evaluation",))))).slides)
    assert any(s.name.startswith("年度評価") and ev.PROVISIONAL_LABEL in pptx_text(s) for s in alone)


def test_year_end_deck_shows_each_table_once(meeting, policy):
    m = gather(meeting, policy, "2026-03", ("summary", "evaluation"))
    slides = list(Presentation(io.BytesIO(deck.build(m))).slides)
    names = [s.name for s in slides]
    assert "全体の状況" not in names and [n for n in names if n.startswith("年度評価")]
    listed: dict[str, str] = {}
    for name, table in _tables(slides).items():  # an indicator's row in one full table only
        if name.startswith("遅れ・注意"):
            continue
        ids = [r.cells[1].text for r in list(table.rows)[1:]]
        for iid in ids:
            assert iid not in listed or listed[iid].split("（")[0] == name.split("（")[0], (iid, listed.get(iid), name)
            listed[iid] = name
    assert set(listed) == {r.indicator.indicator_id for r in m.results}
    text = "\n".join(pptx_text(s) for s in slides)
    assert "A（達成）※1（算定 B）" in text and "未確定" not in text
    evaluation = "\n".join(pptx_text(s) for s in slides if s.name.startswith("年度評価"))
    assert "1,644件\n3月分未報告（最終報告 7月）" in evaluation  # K1-1's value is July's: said beside it
