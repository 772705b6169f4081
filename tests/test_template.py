"""kpi.template: the wide upload template (.xlsx and CSV) and its round trip through the reader."""
from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from conftest import OTHER_POLICY, write_policy
from kpi.policy import load_policy
from kpi.reader import read_actuals
from kpi.template import (
    DATA_SHEET,
    FIXED,
    HELP_SHEET,
    month_headers,
    row_kinds,
    template_csv,
    template_indicators,
    template_name,
    template_xlsx,
)

TODAY = dt.date(2026, 4, 10)  # the whole of FY2025 is past


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


KIND_COL = FIXED.index("項目") + 1


def _rows(ws) -> dict[tuple[str, str], int]:
    """(指標ID, 項目) -> the sheet row."""
    return {(ws.cell(row=r, column=1).value, ws.cell(row=r, column=KIND_COL).value): r for r in range(2, ws.max_row + 1)}


def _ids(ws) -> list[str]:
    return [iid for iid, kind in _rows(ws) if kind == "実績値"]


def test_month_headers():
    assert month_headers(2025)[0] == "2025年4月" and month_headers(2025)[-1] == "2026年3月" and len(month_headers(2025)) == 12
    assert month_headers(2025, csv_safe=True)[8] == "2025年12月分"


def test_xlsx_layout(policy):
    wb = _sheet(template_xlsx(policy, 2025, None))
    assert wb.sheetnames == [DATA_SHEET, HELP_SHEET]
    ws = wb[DATA_SHEET]
    header = [c.value for c in ws[1]]
    assert header == [*FIXED, *month_headers(2025)]
    assert all(c.data_type == "s" for c in ws[1])  # text cells: Excel does not make dates of them
    ids = _ids(ws)
    assert ids == [i.indicator_id for i in template_indicators(policy, 2025)] == list(policy.indicators)
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in range(2, ws.max_row + 1))
    first = policy.indicators[ids[0]]
    assert [c.value for c in ws[2]][:4] == [first.indicator_id, policy.issues[first.issue_id].label, first.short_name, first.unit]
    assert ws.freeze_panes == "G2"
    # a 備考 row for every indicator, 分子 and 分母 rows for the ratio ones only
    kinds = {iid: [k for i, k in _rows(ws) if i == iid] for iid in ids}
    assert kinds["K1-2"] == ["実績値", "分子", "分母", "備考"] and kinds["K1-1"] == ["実績値", "備考"]
    assert all(kinds[i.indicator_id] == list(row_kinds(i)) for i in policy.indicators.values())
    assert ws.column_dimensions["C"].width > 30
    help_text = "\n".join(str(c.value) for c in wb[HELP_SHEET]["A"] if c.value)
    assert "令和7年度" in help_text and "完了" in help_text and "空欄" in help_text


@pytest.mark.parametrize("iid, text", [("K1-1", "2,000件（累計）"), ("K2-4", "1,870時間/月 以上"), ("K2-1", "完了（100%）")])
def test_target_cell_reads_as_on_screen(policy, iid, text):
    """The 目標 cell is the screen's wording (fmt.target_text), qualifiers included, not the raw 「2,000件 累計」."""
    ws = _sheet(template_xlsx(policy, 2025, None))[DATA_SHEET]
    row = _rows(ws)[(iid, "実績値")]
    assert ws.cell(row=row, column=FIXED.index("目標") + 1).value == text


def test_issue_filter_and_fiscal_year(policy):
    ws = _sheet(template_xlsx(policy, 2025, ["2"]))[DATA_SHEET]
    ids = _ids(ws)
    assert ids == [i.indicator_id for i in policy.indicators.values() if i.issue_id == "2"]
    ws = _sheet(template_xlsx(policy, 2026, None))[DATA_SHEET]
    ids = _ids(ws)
    assert ids == [i.indicator_id for i in policy.indicators.values() if 2026 in i.targets]
    assert ws.cell(row=1, column=len(FIXED) + 1).value == "2026年4月"


def _fill_xlsx(data: bytes, values: dict[tuple[str, int], object]) -> bytes:
    wb = _sheet(data)
    ws = wb[DATA_SHEET]
    rows = _rows(ws)
    for key, v in values.items():
        iid, month_index, kind = (*key, "実績値") if len(key) == 2 else key
        ws.cell(row=rows[(iid, kind)], column=len(FIXED) + month_index).value = v
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FILLED = {("K1-1", 1): 1523, ("K1-1", 2): 1600, ("K1-2", 1): 22.4, ("K2-1", 3): "完了", ("K2-4", 1): "1,900時間", ("K4-3", 12): 15}
# (ID, month, value, the sheet row of the ID's 実績値 row: after K1-1's 2 rows (実績値, 備考) and K1-2's 4, …)
EXPECTED = [("K1-1", "2025-04", 1523.0, 2), ("K1-1", "2025-05", 1600.0, 2), ("K1-2", "2025-04", 22.4, 4), ("K2-1", "2025-06", 100.0, 8),
            ("K2-4", "2025-04", 1900.0, 14), ("K4-3", "2026-03", 15.0, 22)]


def _summary(res):
    return sorted((a.indicator_id, a.month, a.value, res.source_rows[(a.indicator_id, a.month)]) for a in res.rows)


def test_filled_xlsx_uploads_unchanged(policy):
    data = _fill_xlsx(template_xlsx(policy, 2025, None), FILLED)
    res = read_actuals(data, template_name(2025, "xlsx"), policy, today=TODAY)
    assert res.ok and not res.warnings, [str(e) for e in res.errors + res.warnings]
    assert res.layout == "wide" and _summary(res) == EXPECTED


def test_empty_xlsx_template_is_refused_with_a_message(policy):
    res = read_actuals(template_xlsx(policy, 2025, None), "t.xlsx", policy, today=TODAY)
    assert [e.message for e in res.errors] == ["実績が1件も入力されていません（月の列に値を入れてください）"]


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig"])
def test_filled_csv_uploads_unchanged(policy, encoding):
    raw = template_csv(policy, 2025, None, encoding=encoding)
    assert raw.count(b"\r\n") == sum(len(row_kinds(i)) for i in policy.indicators.values()) + 1
    if encoding == "utf-8-sig":
        assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode(encoding), newline="")))
    assert rows[0] == [*FIXED, *month_headers(2025, csv_safe=True)]
    index = {(r[0], r[KIND_COL - 1]): r for r in rows[1:]}
    for (iid, month_index), v in FILLED.items():
        index[(iid, "実績値")][len(FIXED) + month_index - 1] = str(v)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    res = read_actuals(buf.getvalue().encode(encoding), template_name(2025, "csv"), policy, today=TODAY)
    assert res.ok and not res.warnings, [str(e) for e in res.errors + res.warnings]
    assert _summary(res) == EXPECTED


def test_csv_encoding_is_checked(policy):
    with pytest.raises(ValueError):
        template_csv(policy, 2025, None, encoding="latin-1")


def test_formula_like_text_is_neutralised(tmp_path):
    files = dict(OTHER_POLICY)
    files["indicators.csv"] = files["indicators.csv"].replace("交通事故件数,", "=HYPERLINK(\"http://x\"),", 1).replace(
        "健診受診率,健診受診率", "@SUM(A1),+1", 1)
    pol = load_policy(write_policy(tmp_path / "p", files))
    ws = _sheet(template_xlsx(pol, 2026, None))[DATA_SHEET]
    names = {iid: ws.cell(row=r, column=3) for (iid, kind), r in _rows(ws).items() if kind == "実績値"}
    assert names["T-01"].value == '=HYPERLINK("http://x")' and names["T-01"].data_type == "s" and names["T-01"].quotePrefix
    assert names["T-02"].value == "@SUM(A1)" and names["T-02"].data_type == "s"
    text = template_csv(pol, 2026, None, encoding="utf-8-sig").decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text


def test_other_policy_round_trip(other_policy_dir):
    pol = load_policy(other_policy_dir)
    data = template_xlsx(pol, 2026, None)
    ws = _sheet(data)[DATA_SHEET]
    assert _ids(ws) == ["T-01", "T-02", "T-03"]
    filled = _fill_xlsx(data, {("T-01", 1): 12, ("T-02", 2): "45%", ("T-03", 3): 30})
    res = read_actuals(filled, "t.xlsx", pol, today=dt.date(2027, 4, 1))
    assert res.ok, [str(e) for e in res.errors]
    assert sorted((a.indicator_id, a.month, a.value) for a in res.rows) == [("T-01", "2026-04", 12), ("T-02", "2026-05", 45), ("T-03", "2026-06", 30)]


def test_ratio_and_note_rows_upload_with_their_month(policy):
    """分子・分母 on their own rows go with the month's value (or stand for it); a 備考 row is the month's note."""
    data = _fill_xlsx(template_xlsx(policy, 2025, None), {
        ("K1-2", 1): 22.4, ("K1-2", 1, "分子"): 448, ("K1-2", 1, "分母"): 2000,
        ("K1-2", 2, "分子"): 500, ("K1-2", 2, "分母"): 2000,  # no 実績値: 25 from 分子 and 分母
        ("K1-1", 1): 1523, ("K1-1", 1, "備考"): "4月は窓口集計を含む",
    })
    res = read_actuals(data, "t.xlsx", policy, today=TODAY)
    assert res.ok, [str(e) for e in res.errors]
    got = {(a.indicator_id, a.month): (a.value, a.numerator, a.denominator, a.note) for a in res.rows}
    assert got == {("K1-2", "2025-04"): (22.4, 448, 2000, ""), ("K1-2", "2025-05"): (25.0, 500, 2000, ""),
                   ("K1-1", "2025-04"): (1523, None, None, "4月は窓口集計を含む")}


@pytest.mark.parametrize("kind", ["xlsx", "cp932", "utf-8-sig"])
def test_prefilled_template_carries_the_registered_values_and_uploads_as_unchanged(sample_store, policy, kind):
    from kpi.importer import preview

    months = __import__("kpi.fiscal", fromlist=["x"]).fy_months(2025)
    acts = sample_store.current(months[0], months[-1])
    data = template_xlsx(policy, 2025, None, acts) if kind == "xlsx" else template_csv(policy, 2025, None, kind, acts)
    if kind == "xlsx":
        ws = _sheet(data)[DATA_SHEET]
        rows = _rows(ws)
        k11 = [ws.cell(row=rows[("K1-1", "実績値")], column=len(FIXED) + i).value for i in range(1, 13)]
        assert k11 == [a.value for a in acts if a.indicator_id == "K1-1"]  # April … March as registered
        assert ws.cell(row=rows[("K1-2", "分子")], column=len(FIXED) + 1).value == next(
            a.numerator for a in acts if a.indicator_id == "K1-2" and a.month == "2025-04")
        assert ws.cell(row=rows[("K1-1", "備考")], column=len(FIXED) + 1).value == "サンプル（架空）"
    pv = preview(sample_store, policy, data, "filled." + ("xlsx" if kind == "xlsx" else "csv"), today=TODAY)
    assert pv.ok, [str(e) for e in pv.errors]
    kinds = pv.diff["kind"].value_counts().to_dict()
    assert kinds == {"変更なし": len(acts)}, kinds


def test_prefilled_template_leaves_out_other_years(policy):
    from kpi.evaluate import Actual

    ws = _sheet(template_xlsx(policy, 2025, None, [Actual("K1-1", "2025-03", 999), Actual("K1-1", "2025-04", 1000)]))[DATA_SHEET]
    row = _rows(ws)[("K1-1", "実績値")]
    assert [ws.cell(row=row, column=len(FIXED) + i).value for i in range(1, 13)] == [1000] + [None] * 11


def sample_policy():
    from conftest import DATA

    return load_policy(DATA)


def test_upload_page_offers_the_prefilled_template(sample_store, monkeypatch):
    """実績アップロード: the toggle makes the templates from the registered actuals of the year."""
    from conftest import run_app
    from kpi import template

    made = []
    real = template.template_xlsx
    monkeypatch.setattr(template, "template_xlsx", lambda pol, fy, ids, acts=None: made.append(acts) or real(pol, fy, ids, acts))
    at = run_app("app_pages/upload.py", sample_store.root, monkeypatch)
    assert at.toggle(key="template_filled").value is False and len(at.get("download_button")) == 3
    at.toggle(key="template_filled").set_value(True).run()
    assert not at.exception, at.exception
    filled = [list(a) for a in made if a is not None]
    assert filled and len(filled[-1]) == 15 * 12  # the sample's twelve months of every indicator
    assert {a.indicator_id for a in filled[-1]} == {i.indicator_id for i in template_indicators(sample_policy(), 2025)}
    assert len(at.get("download_button")) == 3
