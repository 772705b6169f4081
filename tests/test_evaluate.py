"""Indicator semantics: each aggregation kind, pace, status, forecast and grade, with the edges."""
from __future__ import annotations

import dataclasses

import pytest

from kpi import fiscal
from kpi.evaluate import Actual, Entered, Override, budget_kinds, budget_span_text, budget_table, evaluate, evaluate_indicator, status_counts
from kpi.kinds import KINDS, Point
from kpi.policy import Checkpoint, Indicator, PublishedResult, Target

FY = 2025
MONTHS = fiscal.fy_months(FY)


def make(kind: str, target: float = 100, direction: str = "higher", unit: str = "件") -> Indicator:
    return Indicator("X-1", "1", "戦略", "テスト指標", "テスト指標", unit, kind, direction, None,
                     {FY: Target(FY, target, "", "", "")})


def acts(values, start: int = 0, **extra) -> list[Actual]:
    return [Actual("X-1", MONTHS[start + i], v, **extra) for i, v in enumerate(values)]


@pytest.mark.parametrize("kind, values, expected", [
    ("latest", [10, 30, 20], 20),
    ("sum", [10, 30, 20], 60),
    ("mean", [10, 30, 20], 20),
    ("ratio", [10, 30, 20], 20),  # no numerator/denominator: mean of the months
    ("milestone", [10, 40, 120], 100),  # progress is capped at 100 %
    ("milestone", [-5], 0),
])
def test_year_value_by_kind(kind, values, expected):
    r = evaluate_indicator(make(kind), acts(values), FY, "2026-03")
    assert r.value == pytest.approx(expected)


def test_ratio_is_sum_of_numerators_over_sum_of_denominators():
    rows = [Actual("X-1", "2025-04", 50.0, 50, 100), Actual("X-1", "2025-05", 10.0, 100, 1000)]
    r = evaluate_indicator(make("ratio", 25, unit="%"), rows, FY, "2026-03")
    assert r.value == pytest.approx(100 * 150 / 1100)  # 13.6 %, not the mean of months (30 %)


def test_ratio_falls_back_to_mean_when_a_month_lacks_a_denominator():
    rows = [Actual("X-1", "2025-04", 50.0, 50, 100), Actual("X-1", "2025-05", 10.0)]
    assert evaluate_indicator(make("ratio", unit="%"), rows, FY, "2026-03").value == pytest.approx(30)


def test_no_data_is_unreported_with_no_value_and_no_forecast():
    r = evaluate_indicator(make("sum"), [], FY, "2025-09")
    assert (r.value, r.progress, r.status, r.grade, r.forecast, r.last_month) == (None, None, "未報告", None, None, None)


def test_no_data_after_year_end_grades_b():
    assert evaluate_indicator(make("latest"), [], FY, "2026-04").grade == "B"


def make_cp(kind: str, target: float, checkpoints: dict[str, float], direction: str = "higher") -> Indicator:
    return dataclasses.replace(make(kind, target, direction), checkpoints=tuple(Checkpoint(m, v) for m, v in sorted(checkpoints.items())))


def make_stated(kind: str, baseline: float, target: float = 100) -> Indicator:
    """An indicator whose policy states its baseline (targets.csv baseline, baseline_source)."""
    return dataclasses.replace(make(kind, target), targets={FY: Target(FY, target, "", "", "", None, baseline, "令和6年度末")})


LAST_YEAR_40 = [Actual("X-1", "2025-03", 40.0)]  # the previous fiscal year's final value, for a baseline

# (indicator, previous-year actuals, entered 前年度実績, as-of month, expected pace)
PACES = [
    # sum: target × months / 12, also for a lower-is-better cap; after the year's end the full target
    ("sum", make("sum"), [], None, "2025-03", 0),
    ("sum", make("sum"), [], None, "2025-04", 100 / 12),
    ("sum", make("sum"), [], None, "2025-09", 50),
    ("sum", make("sum"), [], None, "2026-03", 100),
    ("sum", make("sum"), [], None, "2026-10", 100),
    ("sum cap", make("sum", 120, "lower"), [], None, "2025-09", 60),
    # latest: from the baseline (the previous year's final value) to the target; no baseline: from the first report
    # of the year (起点（仮）, here 1 in April) at its month
    ("latest, no baseline", make("latest"), [], None, "2025-09", 1 + 99 * 5 / 11),
    ("latest, no baseline", make("latest"), [], None, "2025-04", 1),
    ("latest, baseline", make("latest"), LAST_YEAR_40, None, "2025-04", 45),
    ("latest, baseline", make("latest"), LAST_YEAR_40, None, "2025-09", 70),
    ("latest, baseline", make("latest"), LAST_YEAR_40, None, "2026-03", 100),
    ("latest, baseline", make("latest"), LAST_YEAR_40, None, "2027-01", 100),
    ("latest, stored final actual before an entered one", make("latest"), LAST_YEAR_40, Entered(60.0, "u", "t"), "2025-09", 70),
    ("latest, entered baseline", make("latest"), [], Entered(60.0, "u", "t"), "2025-09", 80),
    ("latest, stated baseline first", make_stated("latest", 20), LAST_YEAR_40, Entered(60.0, "u", "t"), "2025-09", 60),
    ("latest cap, baseline", make("latest", 30, "lower"), LAST_YEAR_40, None, "2025-09", 35),
    # milestone: from the baseline's progress (or the first report's) to 100
    ("milestone", make("milestone"), LAST_YEAR_40, None, "2025-09", 70),
    ("milestone, no baseline: from 0", make("milestone"), [], None, "2025-03", 0),
    ("milestone, no baseline: from 0", make("milestone"), [], None, "2025-04", 100 / 12),
    ("milestone, no baseline: from 0", make("milestone"), [], None, "2025-09", 50),
    ("milestone, no baseline: from 0", make("milestone"), [], None, "2026-03", 100),
    # mean and ratio: the target
    ("mean", make("mean"), LAST_YEAR_40, None, "2025-06", 100),
    ("ratio", make("ratio"), LAST_YEAR_40, None, "2025-06", 100),
    # checkpoints: straight between them (Power BI Goals' rule), flat before the first when the kind has no start
    ("milestone, checkpoints", make_cp("milestone", 100, {"2025-09": 30, "2025-12": 80}), [], None, "2025-06", 15),
    ("milestone, checkpoints", make_cp("milestone", 100, {"2025-09": 30, "2025-12": 80}), [], None, "2025-09", 30),
    ("milestone, checkpoints", make_cp("milestone", 100, {"2025-09": 30, "2025-12": 80}), [], None, "2025-11", 30 + 50 * 2 / 3),
    ("milestone, checkpoints", make_cp("milestone", 100, {"2025-09": 30, "2025-12": 80}), [], None, "2026-02", 80 + 20 * 2 / 3),
    ("latest, checkpoint, no baseline", make_cp("latest", 100, {"2025-09": 60}), [], None, "2025-06", 1 + 59 * 2 / 5),
    ("latest, checkpoint, no baseline", make_cp("latest", 100, {"2025-09": 60}), [], None, "2025-12", 80),
    ("latest, checkpoint, baseline", make_cp("latest", 100, {"2025-09": 60}), LAST_YEAR_40, None, "2025-06", 50),
    ("sum, checkpoint", make_cp("sum", 100, {"2025-09": 20}), [], None, "2025-06", 10),
    ("sum, checkpoint", make_cp("sum", 100, {"2025-09": 20}), [], None, "2025-12", 60),
    ("mean, checkpoint", make_cp("mean", 1870, {"2025-09": 1500}), [], None, "2025-06", 1500),
    ("mean, checkpoint", make_cp("mean", 1870, {"2025-09": 1500}), [], None, "2025-12", 1685),
    ("checkpoint of another year is ignored", make_cp("milestone", 100, {"2024-09": 90}), LAST_YEAR_40, None, "2025-09", 70),
]


@pytest.mark.parametrize("name, ind, before, entered, as_of, expected", PACES, ids=[f"{p[0]}@{p[4]}" for p in PACES])
def test_expected_pace_by_kind(name, ind, before, entered, as_of, expected):
    r = evaluate_indicator(ind, [*before, *acts([1])], FY, as_of, entered=entered)
    assert r.expected == pytest.approx(expected)


def test_pace_ratio_is_direction_aware():
    up = evaluate_indicator(make("sum"), acts([30]), FY, "2025-09")  # 30 against a pace of 50
    assert (up.progress, up.pace_ratio, up.status) == (pytest.approx(0.3), pytest.approx(0.6), "遅れ")
    down = evaluate_indicator(make("sum", 120, "lower"), acts([30]), FY, "2025-09")  # 30 used of an allowance of 60 so far
    assert (down.progress, down.pace_ratio, down.status) == (pytest.approx(0.25), pytest.approx(2.0), "順調")


def test_a_milestone_on_its_straight_line_is_on_track():
    r = evaluate_indicator(make("milestone"), acts([10, 20, 30, 40, 50, 60]), FY, "2025-09")
    assert (r.expected, r.status) == (50, "順調")  # 60 % in September: ahead, not late


@pytest.mark.parametrize("kind, values, as_of, status", [
    ("sum", [10] * 6, "2025-09", "順調"),  # 60 against a pace of 50
    ("sum", [8] * 6, "2025-09", "順調"),  # 48 / 50 = 96 %
    ("sum", [7] * 6, "2025-09", "注意"),  # 42 / 50 = 84 %
    ("sum", [6] * 6, "2025-09", "注意"),  # 36 / 50 = 72 %
    ("sum", [5] * 6, "2025-09", "遅れ"),  # 30 / 50 = 60 %
    ("sum", [20] * 6, "2025-09", "達成"),  # 120 ≥ 100 already
    ("sum", [45], "2025-09", "順調"),  # 45 / 50 = exactly 90 %
    ("sum", [44], "2025-09", "注意"),
    ("sum", [35], "2025-09", "注意"),  # 35 / 50 = exactly 70 %
    ("sum", [34], "2025-09", "遅れ"),
    ("latest", [95], "2025-05", "順調"),
    ("latest", [90], "2025-05", "順調"),  # exactly 90 % of the target
    ("latest", [70], "2025-05", "注意"),  # exactly 70 %
    ("latest", [69.9], "2025-05", "遅れ"),
    ("latest", [80], "2025-05", "注意"),
    ("latest", [40], "2025-05", "遅れ"),
    ("latest", [100], "2025-05", "達成"),
    ("milestone", [100], "2025-05", "達成"),
])
def test_status_rules(kind, values, as_of, status):
    ind = make_stated(kind, 100) if kind == "latest" else make(kind)  # latest: a stated baseline at the target keeps the pace there
    assert evaluate_indicator(ind, acts(values), FY, as_of).status == status


def test_as_of_ignores_later_months():
    rows = acts([10, 20, 30, 40, 50, 60])
    r = evaluate_indicator(make("latest"), rows, FY, "2025-06")
    assert (r.value, r.months_reported, r.last_month) == (30, 3, "2025-06")


def test_months_outside_the_fiscal_year_are_ignored():
    rows = [Actual("X-1", "2025-03", 999.0), Actual("X-1", "2025-04", 5.0), Actual("X-1", "2026-04", 999.0)]
    r = evaluate_indicator(make("sum"), rows, FY, "2027-03")
    assert r.value == 5 and r.months_reported == 1


def test_previous_year_actual_comes_from_last_years_months():
    rows = [Actual("X-1", "2024-04", 3.0), Actual("X-1", "2025-03", 4.0), Actual("X-1", "2025-04", 5.0)]
    assert evaluate_indicator(make("sum"), rows, FY, "2026-03").previous == 7


@pytest.mark.parametrize("as_of, grade", [("2026-02", None), ("2026-03", "A"), ("2027-01", "A")])
def test_grade_only_once_the_year_has_ended(as_of, grade):
    r = evaluate_indicator(make("sum", 60), acts([10] * 11 + [10]), FY, as_of)
    assert r.grade == grade


@pytest.mark.parametrize("kind, values, grade", [
    ("latest", [50, 100], "A"), ("latest", [100, 99], "B"), ("sum", [50, 49], "B"), ("sum", [50, 50], "A"),
    ("mean", [100, 99], "B"), ("mean", [100, 101], "A"), ("ratio", [100, 100], "A"), ("milestone", [90], "B"),
])
def test_grade_by_kind(kind, values, grade):
    assert evaluate_indicator(make(kind), acts(values), FY, "2026-03").grade == grade


def test_lower_is_better_sum_settles_only_at_year_end():
    ind = make("sum", 120, direction="lower")
    mid = evaluate_indicator(ind, acts([10] * 6), FY, "2025-09")
    assert mid.status != "達成" and mid.status == "順調"  # 60 against an allowance of 60 by September
    end = evaluate_indicator(ind, acts([10] * 12), FY, "2026-03")
    assert (end.status, end.grade) == ("達成", "A")
    over = evaluate_indicator(ind, acts([15] * 12), FY, "2026-03")
    assert (over.status, over.grade) == ("遅れ", "B")  # 120 allowed / 180 used = 67 %


def test_a_missed_target_is_not_on_track_once_the_year_is_over():
    r = evaluate_indicator(make("latest"), acts([95]), FY, "2026-03")
    assert (r.status, r.grade) == ("注意", "B")


def test_lower_is_better_over_the_cap_is_late():
    ind = make("sum", 120, direction="lower")
    r = evaluate_indicator(ind, acts([20] * 12), FY, "2026-03")
    assert r.status == "遅れ" and r.progress == pytest.approx(2.0) and r.pace_ratio == pytest.approx(0.5)  # twice the cap used


@pytest.mark.parametrize("kind, values, as_of", [("sum", [10] * 6, "2025-09"), ("latest", [5], "2025-09"), ("mean", [5], "2025-09")])
def test_a_cap_kept_so_far_is_never_achieved_while_the_year_runs(kind, values, as_of):
    r = evaluate_indicator(make(kind, 120, "lower"), acts(values), FY, as_of)
    assert r.status == "順調" and r.progress < 1  # the share of the cap used, not target ÷ value


@pytest.mark.parametrize("value, as_of, status", [
    (50, "2025-09", "順調"),  # cap 90 → 45 allowed by September: 45 / 50 = exactly 90 %
    (51, "2025-09", "注意"),
    (64.28, "2025-09", "注意"),  # 45 / 64.28 = 70.0 %
    (64.4, "2025-09", "遅れ"),
])
def test_cap_boundaries_by_pace_ratio(value, as_of, status):
    assert evaluate_indicator(make("sum", 90, "lower"), acts([value]), FY, as_of).status == status


@pytest.mark.parametrize("direction, values, as_of, status, grade, progress", [
    ("higher", [0], "2025-09", "達成", None, None),  # nothing to reach
    ("lower", [0], "2025-09", "順調", None, None),  # a cap of 0 kept so far
    ("lower", [0], "2026-03", "達成", "A", None),
    ("lower", [1], "2026-03", "遅れ", "B", None),
])
def test_zero_target(direction, values, as_of, status, grade, progress):
    r = evaluate_indicator(make("sum", 0, direction), acts(values), FY, as_of)
    assert (r.status, r.grade, r.progress) == (status, grade, progress)


def test_override_is_the_final_grade_once_the_year_has_ended():
    o = Override("A", "3事業目は3月に実施済み", "editor@example.jp", "2026-06-01 10:00")
    mid = evaluate_indicator(make("latest", 3), acts([2]), FY, "2025-09", override=o)
    assert (mid.computed_grade, mid.grade, mid.overridden) == (None, None, True)  # recorded, applied after the year
    end = evaluate_indicator(make("latest", 3), acts([2]), FY, "2026-03", override=o)
    assert (end.computed_grade, end.grade, end.override.reason) == ("B", "A", "3事業目は3月に実施済み")


@pytest.mark.parametrize("kind, values, elapsed_as_of, forecast", [
    ("sum", [10, 10, 10], "2025-06", 120),
    ("latest", [10, 20, 30], "2025-06", 120),
    ("milestone", [30, 60, 90], "2025-06", 100),
    ("mean", [10, 20, 30], "2025-06", 20),
    ("latest", [10, 20], "2025-05", None),  # fewer than three months: no trend
])
def test_forecast(kind, values, elapsed_as_of, forecast):
    r = evaluate_indicator(make(kind), acts(values), FY, elapsed_as_of)
    assert (r.forecast is None) if forecast is None else r.forecast == pytest.approx(forecast)


def test_no_forecast_after_year_end():
    assert evaluate_indicator(make("sum"), acts([1] * 12), FY, "2026-03").forecast is None


def test_mean_counts_months_meeting_the_target():
    r = evaluate_indicator(make("mean", 1870, unit="時間"), acts([1800, 1870, 1900]), FY, "2025-06")
    assert r.months_meeting_target == 2


@pytest.mark.parametrize("kind, year_value, forecast", [
    ("latest", 3, 11), ("sum", 6, 18), ("mean", 1.5, 1.5), ("ratio", 1.5, 1.5), ("milestone", 3, 11),
])
def test_every_kind_in_the_registry_aggregates_and_forecasts(kind, year_value, forecast):
    pts = [Point(i + 1, MONTHS[i], float(i)) for i in range(4)]  # 0, 1, 2, 3 in April–July
    assert KINDS[kind].aggregate(pts) == pytest.approx(year_value)
    assert KINDS[kind].forecast(pts, 4) == pytest.approx(forecast)


def test_every_kind_is_tested():
    assert set(KINDS) == {"latest", "sum", "mean", "ratio", "milestone"}


def test_evaluate_filters_by_issue_and_keeps_policy_order(policy):
    rs = evaluate(policy, [], 2025, "2025-09", ["2"])
    assert [r.indicator.indicator_id for r in rs] == ["K2-1", "K2-2", "K2-3", "K2-4"]


def test_evaluate_lists_only_indicators_with_a_target_that_year(policy):
    assert [r.indicator.indicator_id for r in evaluate(policy, [], 2026, "2026-09")] == ["K4-5"]
    assert evaluate(policy, [], 2026, "2026-09")[0].target.value == 70


def test_status_counts_cover_every_status(policy):
    counts = status_counts(evaluate(policy, [], 2025, "2025-09"))
    assert counts == {"達成": 0, "順調": 0, "注意": 0, "遅れ": 0, "未報告": 15}


def test_budget_title_comes_from_the_kinds_in_the_data(policy, other_policy_dir):
    from kpi.policy import load_policy

    assert budget_span_text(budget_kinds(policy)) == "R5決算→R6〜R7予算"
    assert budget_span_text(budget_kinds(load_policy(other_policy_dir))) == "R6決算→R8予算"
    assert budget_span_text({2023: "決算", 2024: "決算", 2025: "予算"}) == "R5〜R6決算→R7予算"


def test_budget_growth_and_new_when_the_base_is_zero(policy):
    years, rows = budget_table(policy)
    assert years == [2023, 2024, 2025]
    labels = {r.issue_id: r.growth_label for r in rows}
    assert labels == {"1": "1.5倍", "2": "12.0倍", "3": "新規", "4": "4.1倍"}
    assert all(r.growth is None or r.growth != float("inf") for r in rows)


def test_settlement_and_budget_stay_distinct(policy):
    _, rows = budget_table(policy, ["2"])
    kinds = {fy: b.kind for fy, b in rows[0].amounts.items()}
    assert kinds == {2023: "決算", 2024: "予算", 2025: "予算"}


def test_indicator_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        make("sum").unit = "円"  # type: ignore[misc]


# --- issue 18: the baseline's order, said out loud ------------------------------------------------------------------

def stated(kind: str, baseline: float | None, source: str = "令和6年度末 20件") -> Indicator:
    return dataclasses.replace(make(kind), targets={FY: Target(FY, 100, "", "", "", None, baseline, source if baseline is not None else "")})


LAST_MARCH = [Actual("X-1", "2025-03", 40.0)]
ENTERED = Entered(60.0, "u", "t")
PUBLISHED = {FY - 1: PublishedResult(70.0, None, "", "70件")}

# (case, kind, stated baseline, last year's actuals, entered, published, baseline, source, pace in September)
BASELINES = [
    ("stated first", "latest", 20, LAST_MARCH, ENTERED, PUBLISHED, 20, "方針に記載（令和6年度末 20件）", 60),
    ("then last year's final actual", "latest", None, LAST_MARCH, ENTERED, PUBLISHED, 40, "前年度末の実績", 70),
    ("then entered", "latest", None, [], ENTERED, PUBLISHED, 60, "入力された前年度実績", 80),
    ("then published", "latest", None, [], None, PUBLISHED, 70, "公表された前年度実績", 85),
    ("else the first report, at its month", "latest", None, [], None, None, 1, "起点（仮）", 1 + 99 * 5 / 11),
    ("a milestone: stated", "milestone", 20, LAST_MARCH, None, None, 20, "方針に記載（令和6年度末 20件）", 60),
    ("a milestone: last year's progress", "milestone", None, LAST_MARCH, None, None, 40, "前年度末の実績", 70),
    ("a milestone: else 0%", "milestone", None, [], None, None, 0, "未着手（0%）", 50),
    ("a sum has none", "sum", None, LAST_MARCH, ENTERED, PUBLISHED, None, "", 50),
    ("a ratio has none", "ratio", None, LAST_MARCH, ENTERED, PUBLISHED, None, "", 100),
]


@pytest.mark.parametrize("case, kind, baseline_stated, before, entered, published, baseline, source, pace", BASELINES,
                         ids=[b[0] for b in BASELINES])
def test_the_baseline_order(case, kind, baseline_stated, before, entered, published, baseline, source, pace):
    r = evaluate_indicator(stated(kind, baseline_stated), [*before, *acts([1])], FY, "2025-09", entered=entered, published=published)
    assert (r.baseline, r.baseline_source) == (baseline, source)
    assert r.expected == pytest.approx(pace)


def test_the_first_report_as_baseline_is_fair_to_a_late_first_upload():
    # first reported in September at 500 of 1,000: on its own pace then, not 遅れ against a pace that began in April
    r = evaluate_indicator(make("latest", 1000), [Actual("X-1", "2025-09", 500.0)], FY, "2025-09")
    assert (r.baseline_source, r.expected, r.status) == ("起点（仮）", 500, "順調")


def test_the_baseline_is_said_on_the_chart():
    from kpi import charts, fmt

    r = evaluate_indicator(stated("latest", 20), acts([30]), FY, "2025-09")
    assert fmt.baseline_text(r) == "起点 20件（方針に記載（令和6年度末 20件））"
    assert "起点 20件" in charts.series_data(r).note and "起点 20件" in charts.series_alt(r)


def test_the_rules_name_the_baseline_order():
    from kpi.evaluate import BASELINE_ORDER, STATUS_RULES

    assert all(source in STATUS_RULES for source in BASELINE_ORDER)


def test_a_published_result_is_the_next_years_previous():
    r = evaluate_indicator(make("sum"), acts([5]), FY, "2025-09", published=PUBLISHED)
    assert (r.previous, r.previous_source) == (70, "公表")
    r = evaluate_indicator(make("sum"), acts([5]), FY, "2025-09", published=PUBLISHED, entered=ENTERED)
    assert (r.previous, r.previous_source) == (60, "入力")  # an editor's entry comes first


# --- issue 18: tests that fail on hand-made mutations of the semantics ----------------------------------------------

def test_months_meeting_a_lower_is_better_target_count_below_it():
    r = evaluate_indicator(make("mean", 20, "lower", "分"), acts([18, 22, 19, 20]), FY, "2025-07")
    assert r.months_meeting_target == 2 + 1  # 18, 19 and 20 are within 20分; 22 is not
    up = evaluate_indicator(make("mean", 20, "higher"), acts([18, 22, 19, 20]), FY, "2025-07")
    assert up.months_meeting_target == 2


def test_the_previous_report_keeps_an_entered_previous_year():
    # no actuals last year; 前年度実績 60 entered: the pace starts at 60, in April's evaluation as in May's
    r = evaluate_indicator(make("latest"), acts([70, 72]), FY, "2025-05", entered=ENTERED)
    assert r.baseline_source == "入力された前年度実績"
    assert r.prior_month == "2025-04" and r.prior_pace_ratio == pytest.approx(70 / (60 + 40 / 12))
    assert r.pace_ratio == pytest.approx(72 / (60 + 40 * 2 / 12))


@pytest.mark.parametrize("months, as_of, forecast", [
    ([10, 10], "2025-09", 20 * 12 / 6),  # two reports, six months gone: the rate per month elapsed, not per report
    ([10] * 6, "2025-09", 120),
    ([12], "2025-04", 144),
])
def test_a_sums_forecast_runs_at_the_rate_of_the_months_elapsed(months, as_of, forecast):
    assert evaluate_indicator(make("sum"), acts(months), FY, as_of).forecast == pytest.approx(forecast)


@pytest.mark.parametrize("value, reference, ratio", [(0.0, 0.0, 1.0), (5.0, 0.0, 1.0), (0.0, 10.0, 0.0), (5.0, 10.0, 0.5)])
def test_a_pace_of_zero_reached_is_on_pace(value, reference, ratio):
    from kpi.kinds import DIRECTIONS

    assert DIRECTIONS["higher"].ratio(value, reference) == ratio


def test_a_milestone_not_due_to_begin_is_on_track_at_zero():
    ind = make_cp("milestone", 100, {"2025-09": 0})  # the work begins in October: nothing is due before
    r = evaluate_indicator(ind, acts([0, 0, 0]), FY, "2025-06")
    assert (r.expected, r.pace_ratio, r.status) == (0, 1.0, "順調")
