"""Fiscal years, 和暦 labels and month arithmetic."""
import pytest

from kpi import fiscal


@pytest.mark.parametrize("month, fy", [
    ("2025-04", 2025), ("2025-12", 2025), ("2026-01", 2025), ("2026-03", 2025), ("2026-04", 2026), ("2025-03", 2024),
])
def test_january_to_march_belong_to_the_previous_fiscal_year(month, fy):
    assert fiscal.fy_of_month(month) == fy


@pytest.mark.parametrize("fy, label", [(2019, "令和元年度"), (2023, "令和5年度"), (2025, "令和7年度"), (2027, "令和9年度"), (2018, "平成30年度")])
def test_wareki_labels(fy, label):
    assert fiscal.fy_label(fy) == label


def test_western_year_is_available():
    assert fiscal.fy_label(2025, western=True) == "令和7年度（2025年度）"


def test_fy_months_run_april_to_march():
    months = fiscal.fy_months(2025)
    assert months[0] == "2025-04" and months[-1] == "2026-03" and len(months) == 12


@pytest.mark.parametrize("as_of, elapsed, ended", [
    ("2025-03", 0, False), ("2025-04", 1, False), ("2025-09", 6, False), ("2026-02", 11, False),
    ("2026-03", 12, True), ("2026-11", 12, True),
])
def test_months_elapsed_and_year_end(as_of, elapsed, ended):
    assert fiscal.months_elapsed(2025, as_of) == elapsed
    assert fiscal.fy_ended(2025, as_of) is ended


@pytest.mark.parametrize("bad", ["2025-13", "2025-00", "202504", "2025/04", ""])
def test_parse_ym_refuses_non_canonical_months(bad):
    with pytest.raises(ValueError):
        fiscal.parse_ym(bad)


def test_month_label():
    assert fiscal.month_label("2026-03") == "令和8年3月"


@pytest.mark.parametrize("first, last, text", [
    ("2025-04", "2026-03", "令和7年4月〜令和8年3月"),
    ("2025-04", "2025-09", "令和7年4月〜9月"),
    ("2026-01", "2026-03", "令和8年1月〜3月"),
    ("2025-12", "2026-01", "令和7年12月〜令和8年1月"),
    ("2025-04", "2025-04", "令和7年4月"),
])
def test_month_range_label(first, last, text):
    assert fiscal.month_range_label(first, last) == text


def test_date_label():
    assert fiscal.date_label("2026-11-26T10:00:00+09:00") == "令和8年11月26日"


def test_datetime_label():
    assert fiscal.datetime_label("2026-11-27T00:25:49+09:00") == "令和8年11月27日 00:25"


@pytest.mark.parametrize("today, latest, choosable", [
    ("2025-12-03", "2025-11", "2025-12"),  # December has not ended: 最新 is November; December may still be chosen
    ("2025-12-31", "2025-11", "2025-12"),
    ("2026-01-01", "2025-12", "2026-01"),  # across the calendar year
    ("2025-05-01", "2025-04", "2025-05"),
    ("2025-04-10", "2025-04", "2025-04"),  # the year's first month: no month of it has ended, so April itself
    ("2026-04-01", "2026-03", "2026-03"),  # the year has ended: its March
    ("2027-08-20", "2026-03", "2026-03"),
    ("2025-02-10", "2025-02", "2025-02"),  # the year has not begun: this month (no month of it counts as elapsed)
])
def test_latest_is_the_last_month_that_has_ended(today, latest, choosable):
    import datetime as dt

    day = dt.date.fromisoformat(today)
    assert fiscal.latest_as_of(2025, day) == latest and fiscal.last_choosable(2025, day) == choosable
    assert fiscal.latest_as_of(2025, day) <= fiscal.last_choosable(2025, day)
