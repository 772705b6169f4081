"""Formatting for Japanese screens: numbers, 百万円, percent, targets with their qualifiers."""
import pytest

from kpi import fmt


@pytest.mark.parametrize("x, text", [(None, "－"), (1153, "1,153"), (23.57, "23.6"), (2000.0, "2,000")])
def test_number(x, text):
    assert fmt.number(x) == text


@pytest.mark.parametrize("ratio, text", [(0.996, "99%"), (1.0, "100%"), (1.023, "102%"), (0.5, "50%"), (None, "－")])
def test_percent_never_rounds_up_to_the_target(ratio, text):
    assert fmt.percent(ratio) == text


def test_million_yen():
    assert fmt.million_yen(1153) == "1,153百万円"


@pytest.mark.parametrize("iid, fy, text", [
    ("K1-1", 2025, "2,000件（累計）"), ("K1-2", 2025, "25%"), ("K2-1", 2025, "完了（100%）"),
    ("K2-4", 2025, "1,870時間/月 以上"), ("K4-2", 2025, "7名程度"), ("K4-3", 2025, "60名程度/年"),
    ("K4-5", 2025, "60%"), ("K4-5", 2026, "70% 以上"),
])
def test_target_text_keeps_the_qualifier(policy, iid, fy, text):
    ind = policy.indicators[iid]
    assert fmt.target_text(ind, ind.target(fy)) == text


# --- the rules a hand-made mutation would break -------------------------------------------------------

from kpi.evaluate import Actual, Override, evaluate_indicator  # noqa: E402
from kpi.policy import Indicator, Target  # noqa: E402

FY = 2025


def _ind(kind: str = "latest", target: float = 100, direction: str = "higher", unit: str = "件") -> Indicator:
    return Indicator("X-1", "1", "戦略", "テスト指標", "テスト指標", unit, kind, direction, None, {FY: Target(FY, target, "", "", "")})


def _acts(values: dict[str, float]) -> list[Actual]:
    return [Actual("X-1", m, v) for m, v in values.items()]


@pytest.mark.parametrize("ratio, text", [(0.29, "29%"), (0.57, "57%"), (0.58, "58%"), (1.15, "115%"), (0.999999, "99%")])
def test_flooring_keeps_whole_percents_that_binary_floats_miss(ratio, text):
    """0.29 × 100 is 28.999…96 in binary: floored without the guard it would read 28 %."""
    assert fmt.percent(ratio) == text
    assert fmt.floored_percent(ratio) == int(text[:-1])


@pytest.mark.parametrize("as_of, text", [
    ("2025-09", "上限120件の50%（年度の50%経過）"),  # while the year runs: how much of it has passed
    ("2026-03", "上限120件の50%"),  # 12 months: the year is over, nothing left to compare with
])
def test_a_cap_says_how_much_of_the_year_has_passed_only_while_it_runs(as_of, text):
    r = evaluate_indicator(_ind("sum", 120, "lower"), _acts({"2025-04": 30, "2025-05": 30}), FY, as_of)
    assert fmt.progress_sentence(r) == text


@pytest.mark.parametrize("computed_value, override, text", [
    (60, "A", "A（達成）※（算定 B）"),
    (120, "A", "A（達成）※（算定 A）"),  # an override recorded is marked even where it agrees with the figures
    (120, "B", "B（未達成）※（算定 A）"),
    (120, None, "A（達成）"),
])
def test_an_override_is_marked_whenever_one_is_recorded(computed_value, override, text):
    o = Override(override, "理由", "評価担当", "2026-06-10 14:03") if override else None
    r = evaluate_indicator(_ind("latest", 100), _acts({"2026-03": computed_value}), FY, "2026-03", override=o)
    assert fmt.grade_text(r) == text


@pytest.mark.parametrize("value, override, as_of, shown", [
    (60, "A", "2026-03", "算定 × 遅れ"),  # beside 「A（達成）※（算定 B）」: the status is said to be the computed one
    (60, None, "2026-03", "× 遅れ"),  # beside 「B（未達成）」: no contradiction to explain
    (95, "A", "2025-09", "○ 順調"),  # while the year runs there is no final grade beside it
])
def test_the_status_beside_a_final_grade_never_contradicts_it(value, override, as_of, shown):
    o = Override(override, "理由", "評価担当", "2026-06-10 14:03") if override else None
    r = evaluate_indicator(_ind("latest", 100), _acts({"2025-09": value, "2026-03": value}), FY, as_of, override=o)
    assert fmt.status_shown(r) == shown


@pytest.mark.parametrize("months, as_of, overdue, text, last", [
    ({"2025-04": 1, "2025-07": 2}, "2025-09", 2, "9月分未報告（最終報告 7月）", "9月分未報告（最終報告 7月）"),
    ({"2025-09": 1}, "2025-09", 0, "", "令和7年9月"),
    ({"2025-04": 1}, "2026-03", 11, "3月分未報告（最終報告 4月）", "3月分未報告（最終報告 4月）"),
    ({"2025-04": 1}, "2026-08", 11, "3月分未報告（最終報告 4月）", "3月分未報告（最終報告 4月）"),  # after the year: its March
    ({}, "2025-09", 6, "", "未報告"),  # nothing reported: the status says 未報告
])
def test_an_overdue_report_is_named_with_its_month_and_the_last_report(months, as_of, overdue, text, last):
    r = evaluate_indicator(_ind(), _acts(months), FY, as_of)
    assert (r.overdue_months, fmt.overdue_text(r), fmt.last_report_text(r)) == (overdue, text, last)


@pytest.mark.parametrize("value, digits_format", [(1523, '#,##0"件"'), (20.52, '#,##0.0"件"'), (None, "General")])
def test_excel_number_format_shows_what_the_screen_shows(value, digits_format):
    assert fmt.excel_format(fmt.rounded(value), "件") == digits_format
    assert fmt.rounded(1981.923809523809) == 1981.9 and fmt.rounded(2000.0) == 2000


def test_coverage_text():
    from kpi.store.base import Coverage

    assert fmt.coverage_text(Coverage("2025-04", "2026-03", 12, 15)) == "令和7年4月〜令和8年3月（12か月・15指標）"
    assert fmt.coverage_text(Coverage("2026-04", "2026-04", 1, 1)) == "令和8年4月（1か月・1指標）"
    assert fmt.coverage_text(None) == "－"
