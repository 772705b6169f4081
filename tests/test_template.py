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
from kpi.template import DATA_SHEET, FIXED, HELP_SHEET, month_headers, template_csv, template_indicators, template_name, template_xlsx

TODAY = dt.date(2026, 4, 10)  # the whole of FY2025 is past


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


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
    ids = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert ids == [i.indicator_id for i in template_indicators(policy, 2025)] == list(policy.indicators)
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in range(2, ws.max_row + 1))
    first = policy.indicators[ids[0]]
    assert [c.value for c in ws[2]][:4] == [first.indicator_id, policy.issues[first.issue_id].label, first.short_name, first.unit]
    assert ws.freeze_panes == "F2"
    assert ws.column_dimensions["C"].width > 30
    help_text = "\n".join(str(c.value) for c in wb[HELP_SHEET]["A"] if c.value)
    assert "令和7年度" in help_text and "完了" in help_text and "空欄" in help_text


def test_issue_filter_and_fiscal_year(policy):
    ws = _sheet(template_xlsx(policy, 2025, ["2"]))[DATA_SHEET]
    ids = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert ids == [i.indicator_id for i in policy.indicators.values() if i.issue_id == "2"]
    ws = _sheet(template_xlsx(policy, 2026, None))[DATA_SHEET]
    ids = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert ids == [i.indicator_id for i in policy.indicators.values() if 2026 in i.targets]
    assert ws.cell(row=1, column=len(FIXED) + 1).value == "2026年4月"


def _fill_xlsx(data: bytes, values: dict[tuple[str, int], object]) -> bytes:
    wb = _sheet(data)
    ws = wb[DATA_SHEET]
    rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
    for (iid, month_index), v in values.items():
        ws.cell(row=rows[iid], column=len(FIXED) + month_index).value = v
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FILLED = {("K1-1", 1): 1523, ("K1-1", 2): 1600, ("K1-2", 1): 22.4, ("K2-1", 3): "完了", ("K2-4", 1): "1,900時間", ("K4-3", 12): 15}
EXPECTED = [("K1-1", "2025-04", 1523.0, 2), ("K1-1", "2025-05", 1600.0, 2), ("K1-2", "2025-04", 22.4, 3), ("K2-1", "2025-06", 100.0, 4),
            ("K2-4", "2025-04", 1900.0, 7), ("K4-3", "2026-03", 15.0, 11)]


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
    assert raw.count(b"\r\n") == len(policy.indicators) + 1
    if encoding == "utf-8-sig":
        assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode(encoding), newline="")))
    assert rows[0] == [*FIXED, *month_headers(2025, csv_safe=True)]
    index = {r[0]: r for r in rows[1:]}
    for (iid, month_index), v in FILLED.items():
        index[iid][len(FIXED) + month_index - 1] = str(v)
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
    names = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=3) for r in range(2, ws.max_row + 1)}
    assert names["T-01"].value == '=HYPERLINK("http://x")' and names["T-01"].data_type == "s" and names["T-01"].quotePrefix
    assert names["T-02"].value == "@SUM(A1)" and names["T-02"].data_type == "s"
    text = template_csv(pol, 2026, None, encoding="utf-8-sig").decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text


def test_other_policy_round_trip(other_policy_dir):
    pol = load_policy(other_policy_dir)
    data = template_xlsx(pol, 2026, None)
    ws = _sheet(data)[DATA_SHEET]
    assert [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)] == ["T-01", "T-02", "T-03"]
    filled = _fill_xlsx(data, {("T-01", 1): 12, ("T-02", 2): "45%", ("T-03", 3): 30})
    res = read_actuals(filled, "t.xlsx", pol, today=dt.date(2027, 4, 1))
    assert res.ok, [str(e) for e in res.errors]
    assert sorted((a.indicator_id, a.month, a.value) for a in res.rows) == [("T-01", "2026-04", 12), ("T-02", "2026-05", 45), ("T-03", "2026-06", 30)]
