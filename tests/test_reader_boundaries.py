"""Boundaries of the reader's rules that no other test pinned down (issue 19, "Done means"): each test here fails
when its rule is changed by hand — Excel's phantom 1900-02-29, the ratio tolerance, the denominator in the
duplicate-row comparison, and full-width dashes meaning 未報告 in the template's wide layout."""
from __future__ import annotations

import datetime as dt

import pytest

from kpi.reader import RATIO_TOLERANCE, excel_date, read_actuals

TODAY = dt.date(2025, 10, 15)
HEADER = "indicator_id,month,value,numerator,denominator,note\n"


def read(policy, text: str, name: str = "a.csv"):
    return read_actuals(text.encode("utf-8"), name, policy, today=TODAY)


# --- Excel serial dates around the 1900-02-29 that never was --------------------------------

@pytest.mark.parametrize("serial,day", [
    (1, dt.date(1900, 1, 1)),
    (59, dt.date(1900, 2, 28)),
    (60, dt.date(1900, 2, 28)),  # Excel's phantom 1900-02-29: shown as the day before, never as March
    (60.5, dt.date(1900, 2, 28)),
    (61, dt.date(1900, 3, 1)),  # from here on the epoch is 1899-12-30
    (45748, dt.date(2025, 4, 1)),
])
def test_excel_serial_dates_around_the_phantom_leap_day(serial, day):
    assert excel_date(serial).date() == day


def test_excel_1904_serials_have_no_phantom_day():
    assert excel_date(59, date1904=True).date() == dt.date(1904, 2, 29)
    assert excel_date(60, date1904=True).date() == dt.date(1904, 3, 1)


# --- 実績値 against 100 × 分子 ÷ 分母 ----------------------------------------------------------

@pytest.mark.parametrize("value,warned", [
    ("22.4", False),  # 448 / 2000 = 22.4 exactly
    ("22.8", False),  # 0.4 points off: within the tolerance
    ("22.9", False),  # 0.5 points: the tolerance itself
    ("23.0", True),  # 0.6 points off
    ("23.4", True),  # a point off
    ("26.4", True),  # four points off: a tolerance of 5 would let it pass
])
def test_ratio_value_tolerance_is_half_a_point(policy, value, warned):
    assert RATIO_TOLERANCE == 0.5
    res = read(policy, HEADER + f"K1-2,2025-04,{value},448,2000,\n")
    assert res.ok
    mismatch = [p for p in res.warnings if "一致しません" in p.message]
    assert bool(mismatch) is warned, [str(p) for p in res.warnings]
    if warned:
        assert (mismatch[0].row, mismatch[0].column) == (2, "実績値") and "= 22.4" in mismatch[0].message


# --- the same indicator and month twice ---------------------------------------------------------

@pytest.mark.parametrize("second,identical", [
    ("K1-2,2025-04,22.4,448,2000,", True),
    ("K1-2,2025-04,22.4,448,2001,", False),  # only the denominator differs
    ("K1-2,2025-04,22.4,449,2000,", False),  # only the numerator differs
    ("K1-2,2025-04,22.5,448,2000,", False),  # only the value differs
    ("K1-2,2025-04,22.4,,,", False),  # the parts left out
])
def test_duplicate_rows_compare_value_numerator_and_denominator(policy, second, identical):
    res = read(policy, HEADER + "K1-2,2025-04,22.4,448,2000,\n" + second + "\n")
    if identical:
        assert res.ok and len(res.rows) == 1
        assert any("同じ内容の重複" in p.message and p.row == 3 for p in res.warnings)
    else:
        assert not res.ok
        assert any("2行目と重複していて、値が違います" in p.message and p.row == 3 for p in res.errors), [str(p) for p in res.errors]


# --- 未報告 in the wide layout ------------------------------------------------------------------

@pytest.mark.parametrize("mark", ["－", "-", "ー", "―", "−", "未報告", "未入力", "Ｎ／Ａ", "n/a", "－ ", "　"])
def test_wide_marks_for_not_reported_are_skipped(policy, mark):
    res = read(policy, f"指標ID,2025年4月,2025年5月,2025年6月\nK1-1,100,{mark},120\n")
    assert res.ok and res.layout == "wide", [str(p) for p in res.errors]
    assert [(a.month, a.value) for a in res.rows] == [("2025-04", 100), ("2025-06", 120)]


def test_wide_marks_in_an_xlsx_are_skipped_too(policy):
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["指標ID", "2025年4月", "2025年5月"])
    ws.append(["K1-1", "－", 110])
    buf = io.BytesIO()
    wb.save(buf)
    res = read_actuals(buf.getvalue(), "wide.xlsx", policy, today=TODAY)
    assert res.ok and [(a.month, a.value) for a in res.rows] == [("2025-05", 110)]
