"""Targets over several years (issue 18): a ward's 「6,000世帯以上（R4〜R6作成合計目標）」 loaded, evaluated mid-period and at
its last year, shown as the year's own figure beside the period's, uploaded into a department whose policy folders
begin with the period's last year; published results (results.csv) as 前年度実績."""
from __future__ import annotations

import pytest

from conftest import WARD_ACTUALS, WARD_POLICY, WARD_YEARS, ward_monthly
from kpi import charts, fmt, service
from kpi.departments import catalog
from kpi.evaluate import PREVIOUS_FROM_ACTUALS, PREVIOUS_PUBLISHED, Actual, evaluate, evaluate_indicator
from kpi.importer import commit, preview
from kpi.policy import PublishedResult, load_policy


def actuals(iid: str = "W1-1") -> list[Actual]:
    lines = WARD_ACTUALS.strip().splitlines()[1:]
    return [Actual(i, m, float(v)) for i, m, v, *_ in (line.split(",") for line in lines) if i == iid]


@pytest.fixture
def ward(ward_root):
    return load_policy(ward_root / "minato" / "2024")


def test_the_period_target_loads_with_its_years_and_qualifiers(ward):
    ind = ward.indicators["W1-1"]
    t = ind.target(2024)
    assert (t.value, t.period, t.qualifiers, t.fiscal_year) == (6000, (2022, 2024), ("以上",), 2024)
    assert ind.target(2022) is t and ind.target(2023) is t and ind.target(2021) is None and ind.target(2025) is None
    assert ind.period == (2022, 2024) and ward.target_years() == [2022, 2023, 2024]
    assert ward.budgets == ()  # budgets.csv is optional
    assert ward.results[("W1-1", 2024)] == PublishedResult(1950, 5410, "B", "6年度作成世帯数1,950世帯(R4~R6作成合計5,410世帯):B")
    assert ward.results[("W1-1", 2023)].value == 1880 and ward.results[("W1-1", 2023)].period_value is None
    assert fmt.target_text(ind, t) == "6,000世帯 以上（R4〜R6合計）"


# (fiscal year, as-of month, year figure, period figure, pace, status, computed grade, 前年度実績)
EACH = {fy: dict(ward_monthly(fy, total)) for fy, total in WARD_YEARS.items()}
CASES = [
    # mid-period: R5 in September, 18 of the period's 36 months gone: the pace is 6,000 × 18/36
    (2023, "2023-09", 156 * 6, 1580 + 156 * 6, 3000, "注意", None, 1580),
    # R5 ended: graded against the part of the period's target due by then (6,000 × 24/36 = 4,000)
    (2023, "2024-03", 1880, 3460, 4000, "注意", "B", 1580),
    # the last year in September: 30 of 36 months
    (2024, "2024-09", 162 * 6, 3460 + 162 * 6, 5000, "注意", None, 1880),
    # the period's end: the grade comes from the period's figure, 5,410 < 6,000
    (2024, "2025-03", 1950, 5410, 6000, "注意", "B", 1880),
]


@pytest.mark.parametrize("fy, as_of, year_value, period_value, pace, status, grade, previous", CASES,
                         ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_a_period_target_mid_period_and_at_its_last_year(ward, fy, as_of, year_value, period_value, pace, status, grade, previous):
    r = evaluate_indicator(ward.indicators["W1-1"], actuals(), fy, as_of)
    assert (r.year_value, r.period_value, r.value, r.period) == (year_value, period_value, period_value, (2022, 2024))
    assert r.expected == pytest.approx(pace)
    assert r.pace_ratio == pytest.approx(period_value / pace)
    assert (r.status, r.computed_grade) == (status, grade)
    assert (r.previous, r.previous_source) == (previous, PREVIOUS_FROM_ACTUALS)  # the previous year's OWN figure
    assert r.progress == pytest.approx(period_value / 6000)
    assert r.months_reported == len(r.points) and all(p.month.startswith(str(fy)) or p.month < f"{fy + 1}-04" for p in r.points)


def test_the_last_years_forecast_adds_the_earlier_years(ward):
    r = evaluate_indicator(ward.indicators["W1-1"], actuals(), 2024, "2024-09")
    assert r.forecast == pytest.approx(3460 + 162 * 6 * 12 / 6)  # the period so far + this year's run rate
    assert evaluate_indicator(ward.indicators["W1-1"], actuals(), 2023, "2023-09").forecast is None  # mid-period: none


def test_the_pace_seen_from_a_year_of_the_period(ward):
    r = evaluate_indicator(ward.indicators["W1-1"], actuals(), 2023, "2023-09")
    assert r.pace_path == ((0, pytest.approx(2000)), (12, pytest.approx(4000)))
    d = charts.series_data(r)
    assert d.pace[5] == pytest.approx(3000) and d.line[0] == 1580 + 156  # the running total carries R4's 1,580
    assert "R4〜R6合計" in d.note and "1,580世帯" in d.note


def test_the_published_result_is_the_previous_years_figure(ward):
    (r, _) = evaluate(ward, [], 2024, "2024-09")
    assert (r.previous, r.previous_source) == (1880, PREVIOUS_PUBLISHED)
    assert r.year_value is None and r.period_value is None and r.status == "未報告"


def test_year_and_period_figures_side_by_side(ward):
    r = evaluate_indicator(ward.indicators["W1-1"], actuals(), 2024, "2025-03")
    assert fmt.value_text(r) == "6年度 1,950世帯（R4〜R6合計 5,410世帯）"
    one_year = evaluate_indicator(ward.indicators["W1-2"], actuals("W1-2"), 2024, "2025-03")
    assert fmt.value_text(one_year) == "12地域" and one_year.period is None and one_year.period_value is None


def test_status_json_has_the_year_and_the_period(ward):
    rec = service.status_record(evaluate_indicator(ward.indicators["W1-1"], actuals(), 2024, "2025-03"))
    assert (rec["value"], rec["year_value"], rec["period"], rec["period_value"]) == (5410, 1950, [2022, 2024], 5410)
    assert (rec["baseline"], rec["baseline_source"]) == (None, None)  # a sum has no baseline: it starts at 0
    one = service.status_record(evaluate_indicator(ward.indicators["W1-2"], actuals("W1-2"), 2024, "2025-03"))
    assert (one["year_value"], one["period"], one["period_value"]) == (12, None, None)
    assert (one["baseline"], one["baseline_source"]) == (6, "方針に記載（令和5年度当初 6地域）")


def test_uploads_inside_the_period_go_in_although_the_folders_begin_with_its_last_year(ward_root, tmp_path):
    dept = catalog(ward_root, tmp_path / "stores").get("minato")
    assert list(dept.folders) == [2024] and dept.fiscal_years() == [2022, 2023, 2024]
    assert dept.folder_for(2022) == dept.folders[2024]
    store = dept.store()
    pv = preview(store, dept.combined_policy(), WARD_ACTUALS.encode(), "minato.csv")
    assert pv.ok and not pv.warnings, [str(p) for p in pv.warnings]
    commit(store, pv, "tester")
    for fy, as_of, year_value, period_value in ((2022, "2023-03", 1580, 1580), (2023, "2024-03", 1880, 3460),
                                                (2024, "2025-03", 1950, 5410)):
        r = service.results(store, dept.policy(fy), fy, as_of)[0]  # reads back to the period's first year
        assert (r.year_value, r.period_value) == (year_value, period_value)
    inputs = service.read_inputs(store, 2024)  # without the policy: a fixed reach back covers the period too
    r = service.results_from(dept.policy(2024), inputs, 2024, "2025-03")[0]
    assert r.period_value == 5410 and r.grade == "B"


def test_the_ward_policy_files_are_the_ones_the_import_writes():
    header = WARD_POLICY["targets.csv"].splitlines()[0].split(",")
    assert header[:6] == ["indicator_id", "fiscal_year", "target", "qualifier", "per", "source_text"]
    assert set(header[6:]) == {"period_start_fy", "baseline", "baseline_source"}
    assert WARD_POLICY["results.csv"].splitlines()[0] == "indicator_id,fiscal_year,value,period_value,grade,source_text"



def test_the_years_table_shows_each_years_own_figure_and_grades_the_period(ward):
    from kpi import evaluation as ev

    per = ev.yearly(ward, actuals(), "2025-03")
    w11 = {y.fiscal_year: y for y in per["W1-1"]}
    assert [(y.value, y.period_value, y.grade) for y in w11.values()] == [(1580, 1580, "B"), (1880, 3460, "B"), (1950, 5410, "B")]
    ind = ward.indicators["W1-1"]
    assert w11[2024].cell(ind) == "1,950世帯（R4〜R6合計 5,410世帯・目標 6,000世帯 以上（R4〜R6合計）・B）"
    # without actuals the published results stand in for the years that have ended, and say so
    published = {y.fiscal_year: y for y in ev.yearly(ward, [], "2025-03")["W1-1"]}
    assert (published[2023].value, published[2023].source, published[2023].grade) == (1880, "公表", None)
    assert (published[2024].value, published[2024].period_value, published[2024].grade) == (1950, 5410, "B")
    assert published[2022].value is None


@pytest.mark.parametrize("fy, as_of, rule", [
    (2024, "2025-03", "R4〜R6合計（6年度まで） 5,410世帯 < 目標 6,000世帯 以上（R4〜R6合計） → B（未達成）"),
    (2023, "2024-03", "R4〜R6合計（5年度まで） 3,460世帯 < 年度末の想定ペース 4,000世帯（目標 6,000世帯 以上（R4〜R6合計）） → B（未達成）"),
])
def test_the_grade_says_what_it_was_judged_on(ward, fy, as_of, rule):
    from kpi.evaluation.rows import grade_rule

    assert grade_rule(evaluate_indicator(ward.indicators["W1-1"], actuals(), fy, as_of)) == rule


def test_a_later_years_policy_keeps_the_periods_reach(ward_root, tmp_path):
    later = ward_root / "minato" / "2025"
    later.mkdir()
    for name, text in WARD_POLICY.items():
        if name == "targets.csv":
            text = ("indicator_id,fiscal_year,target,qualifier,per,source_text\n"
                    "W1-1,2025,2100,以上,,令和7年度 2,100世帯以上\nW1-2,2025,14,,,令和7年度 14地域\n")
        (later / name).write_text(text.replace("fiscal_year,年度,2024", "fiscal_year,年度,2025"), encoding="utf-8")
    dept = catalog(ward_root, tmp_path / "stores").get("minato")
    combined = dept.combined_policy()
    assert combined.indicators["W1-1"].period == (2022, 2024) and dept.fiscal_years() == [2022, 2023, 2024, 2025]
    pv = preview(dept.store(), combined, WARD_ACTUALS.encode(), "minato.csv")
    assert pv.ok and not pv.warnings, [str(p) for p in pv.warnings]


def test_the_pages_show_the_year_beside_the_period_and_the_charts_note(ward_root, tmp_path, monkeypatch):
    from conftest import run_app

    monkeypatch.setenv("KPI_DATA_DIR", str(ward_root))
    dept = catalog(ward_root, tmp_path / "stores").get("minato")
    store = dept.store()
    commit(store, preview(store, dept.combined_policy(), WARD_ACTUALS.encode(), "minato.csv"), "tester")
    at = run_app("app_pages/indicators.py", tmp_path / "stores", monkeypatch, fy=2024, as_of="2025-03", indicator="W1-1")
    shown = "\n".join([m.value for m in at.markdown] + [h.proto.body for h in at.get("html")])
    assert "6年度 1,950世帯（R4〜R6合計 5,410世帯）" in shown
    assert "R4〜R6合計の目標 6,000世帯、R4〜R5 3,460世帯を含む" in shown  # the chart's note
    at = run_app("app_pages/evaluation.py", tmp_path / "stores", monkeypatch, fy=2024, as_of="2025-03")
    from conftest import frames

    table = next(t for t in frames(at) if "年度実績" in t.columns)
    row = table[table["指標ID"] == "W1-1"].iloc[0]
    assert row["年度実績"] == "6年度 1,950世帯（R4〜R6合計 5,410世帯）"
    assert row["最終評価"].startswith("B") and row["前年度実績"] == "1,880世帯"


def test_a_year_inside_the_period_ended_short_of_its_pace_is_not_on_track(ward):
    # 令和5年度 ends at 3,700 of the 4,000 due (92 %): B, and not 順調 although within 90 % of the pace
    more = [*actuals(), Actual("W1-1", "2024-03", 156 + 8 + 240)]  # the same month again: the later row counts
    r = evaluate_indicator(ward.indicators["W1-1"], [a for a in more if not (a.month == "2024-03" and a.value == 164)],
                           2023, "2024-03")
    assert (r.period_value, r.computed_grade, r.status) == (3700, "B", "注意")
    assert r.pace_ratio == pytest.approx(3700 / 4000)
