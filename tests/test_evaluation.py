"""Year-end evaluation: grades per aggregation kind and direction, overrides, texts, 前年度実績, several years."""
from __future__ import annotations

import json
import os

import pytest
from pg import STORE_KINDS

from kpi import evaluation as ev
from kpi import fiscal
from kpi.evaluate import Actual, evaluate_indicator
from kpi.policy import Indicator, Target
from kpi.service import results

FY = 2025
YEAR_END = "2026-03"
MID_YEAR = "2025-12"


def indicator(kind: str, direction: str = "higher", target: float = 10.0, unit: str = "件") -> Indicator:
    return Indicator("T-1", "1", "戦略", "テスト指標", "テスト指標", unit, kind, direction, None,
                     {FY: Target(FY, target, "", "", "")})


def actuals(*values, fractions=None) -> list[Actual]:
    months = fiscal.fy_months(FY)
    out = []
    for i, v in enumerate(values):
        num, den = fractions[i] if fractions else (None, None)
        out.append(Actual("T-1", months[i], float(v), num, den))
    return out


# --- the year-end grade for every aggregation kind and direction -------------------------------

GRADE_CASES = [
    # kind, direction, target, monthly values, fractions, expected value, grade, words in the rule
    ("latest", "higher", 10, (5, 8, 12), None, 12, "A", "最新月の値 12件 ≥ 目標 10件"),
    ("latest", "higher", 13, (5, 14, 12), None, 12, "B", "最新月の値 12件 < 目標 13件"),
    ("latest", "lower", 10, (15, 9), None, 9, "A", "≤ 目標 10件（低いほど良い）"),
    ("latest", "lower", 10, (9, 15), None, 15, "B", "> 目標 10件（低いほど良い）"),
    ("sum", "higher", 60, (20, 20, 20), None, 60, "A", "月の合計 60件 ≥ 目標 60件"),
    ("sum", "higher", 61, (20, 20, 20), None, 60, "B", "月の合計 60件 < 目標 61件"),
    ("sum", "lower", 30, (10, 10, 10), None, 30, "A", "月の合計 30件 ≤ 目標 30件（低いほど良い）"),
    ("sum", "lower", 29, (10, 10, 10), None, 30, "B", "月の合計 30件 > 目標 29件"),
    ("mean", "higher", 1870, (1800, 1900, 1950), None, 1883.3333333333333, "A", "目標に達した月 2/3か月"),
    ("mean", "higher", 1900, (1800, 1900, 1950), None, 1883.3333333333333, "B", "月の平均 1,883.3件 < 目標 1,900件"),
    ("mean", "lower", 5, (4, 5, 6), None, 5, "A", "月の平均 5件 ≤ 目標 5件"),
    ("mean", "lower", 4.5, (4, 5, 6), None, 5, "B", "月の平均 5件 > 目標 4.5件"),
    # Σ numerator ÷ Σ denominator = 41/110 = 37.3 % (the plain mean of the months would be 25 %)
    ("ratio", "higher", 30, (10, 40), [(1, 10), (40, 100)], 100 * 41 / 110, "A", "Σ分子÷Σ分母 37.3件 ≥ 目標 30件"),
    ("ratio", "higher", 30, (10, 40), None, 25, "B", "各月の値の平均 25件 < 目標 30件"),
    ("ratio", "lower", 30, (10, 40), None, 25, "A", "各月の値の平均 25件 ≤ 目標 30件（低いほど良い）"),
    ("ratio", "lower", 20, (10, 40), [(1, 10), (40, 100)], 100 * 41 / 110, "B", "Σ分子÷Σ分母 37.3件 > 目標 20件"),
    ("milestone", "higher", 100, (50, 100), None, 100, "A", "進捗 100件 ≥ 目標 完了（100%）"),
    ("milestone", "higher", 100, (50, 120), None, 100, "A", "進捗 100件 ≥"),  # capped at 100 %
    ("milestone", "higher", 100, (100, 80), None, 80, "B", "進捗 80件 < 目標 完了（100%）"),  # the latest month counts
]


@pytest.mark.parametrize("kind,direction,target,values,fractions,value,grade,rule", GRADE_CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[6]}" for c in GRADE_CASES])
def test_year_end_grade_for_every_kind_and_direction(policy, kind, direction, target, values, fractions, value, grade, rule):
    r = evaluate_indicator(indicator(kind, direction, target), actuals(*values, fractions=fractions), FY, YEAR_END)
    assert r.value == pytest.approx(value)
    assert r.grade == grade
    row = ev.evaluation_table(policy, [r])[0]
    assert (row.computed_grade, row.final_grade, row.provisional) == (grade, grade, False)
    assert rule in row.rule and row.rule.endswith(f"→ {grade}（{'達成' if grade == 'A' else '未達成'}）")
    assert row.record()["最終評価"] == ev.grade_label(grade)


@pytest.mark.parametrize("kind", ["latest", "sum", "mean", "ratio", "milestone"])
def test_before_the_year_ends_the_grade_is_provisional(policy, kind):
    r = evaluate_indicator(indicator(kind, target=1), actuals(5, 5, 5), FY, MID_YEAR)
    row = ev.evaluation_table(policy, [r])[0]
    assert row.provisional and row.computed_grade is None and row.final_grade is None
    assert row.final_label == "未確定（年度途中）" and row.computed_label == "未確定（年度途中）"
    assert "年度途中（9か月経過）のため未確定" in row.rule


def test_no_actuals_at_year_end_is_b_and_says_why(policy):
    r = evaluate_indicator(indicator("latest"), [], FY, YEAR_END)
    row = ev.evaluation_table(policy, [r])[0]
    assert row.computed_grade == "B" and row.rule == "実績の報告なし → B（未達成）"
    assert row.value_text == "－" and row.progress_text == "－"


def test_percent_of_target_never_rounds_a_miss_up_to_100(policy):
    r = evaluate_indicator(indicator("mean", target=1870, unit="時間"), actuals(1863.2), FY, YEAR_END)
    row = ev.evaluation_table(policy, [r])[0]
    assert row.computed_grade == "B" and row.progress_text == "99%"


def test_sample_data_grades_match_the_seed_form(sample_store, policy):
    rows = {r.indicator_id: r for r in ev.evaluation_table(policy, results(sample_store, policy, FY, YEAR_END))}
    assert len(rows) == 15
    assert rows["K1-1"].final_grade == "A" and rows["K1-1"].value_text == "2,046件" and rows["K1-1"].target_text == "2,000件（累計）"
    assert rows["K4-7"].final_grade == "B" and rows["K4-7"].progress_text == "66%"
    assert rows["K2-4"].final_grade == "B" and "目標に達した月 7/12か月" in rows["K2-4"].rule
    assert [r.issue_label for r in rows.values()][0] == "経営課題1"
    assert sum(r.final_grade == "A" for r in rows.values()) == 6


# --- overrides ---------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["", "   ", "\n\t", None])
def test_an_override_without_a_written_reason_is_refused(tmp_path, reason):
    with pytest.raises(ValueError, match="理由の記入が必要です") as exc:
        ev.set_override(tmp_path, FY, "K4-7", "A", reason, "editor@example.jp")
    assert "K4-7" in str(exc.value)
    assert ev.records(tmp_path) == []  # nothing written


def test_an_override_must_be_a_or_b(tmp_path):
    with pytest.raises(ValueError, match="評価は A（達成）・B（未達成） のいずれかです"):
        ev.set_override(tmp_path, FY, "K4-7", "C", "理由", "editor")
    with pytest.raises(ValueError, match="指標IDがありません"):
        ev.set_override(tmp_path, FY, " ", "A", "理由", "editor")
    assert ev.records(tmp_path) == []


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_override_shows_computed_override_who_and_when_side_by_side(sample_store, policy):
    rid = ev.set_override(sample_store, FY, "K4-7", "A", "3事業目は3月に実施済み（報告漏れ）", "editor@example.jp")
    rows = {r.indicator_id: r for r in ev.evaluation_table(policy, results(sample_store, policy, FY, YEAR_END))}
    row = rows["K4-7"]
    assert (row.computed_grade, row.override_grade, row.final_grade) == ("B", "A", "A")
    assert row.override_reason == "3事業目は3月に実施済み（報告漏れ）" and row.override_user == "editor@example.jp"
    assert row.override_at[:2] == "20" and len(row.override_at) == 16 and row.override_record == rid
    rec = row.record()
    assert rec["算定評価"] == "B（未達成）" and rec["上書き評価"] == "A（達成）" and rec["最終評価"] == "A（達成）※（算定 B）"
    assert rec["上書き者"] == "editor@example.jp" and rec["上書き日時"] == fiscal.datetime_label(row.override_at)
    assert list(rec) == list(ev.EVALUATION_COLUMNS)
    assert not rows["K1-1"].overridden and rows["K1-1"].record()["上書き評価"] == ""


def test_overrides_keep_history_latest_wins_and_can_be_withdrawn(tmp_path):
    first = ev.set_override(tmp_path, FY, "K4-7", "A", "理由1", "u1")
    first_bytes = (tmp_path / "evaluation" / f"{first}.json").read_bytes()
    ev.set_override(tmp_path, FY, "K4-7", "B", "理由2", "u2")
    assert ev.overrides(tmp_path, FY)["K4-7"].reason == "理由2"
    ev.withdraw_override(tmp_path, FY, "K4-7", "u3", "誤り")
    assert ev.overrides(tmp_path, FY) == {}
    log = ev.history(tmp_path, FY, indicator_id="K4-7")
    assert [r.type for r in log] == ["override_withdrawn", "override", "override"]
    assert [r.user for r in log] == ["u3", "u2", "u1"]
    assert "取り消し" in log[0].describe() and "A（達成）に上書き: 理由1" in log[2].describe()
    # nothing overwritten: three files, the first one byte for byte as written
    assert len(os.listdir(tmp_path / "evaluation")) == 3
    assert (tmp_path / "evaluation" / f"{first}.json").read_bytes() == first_bytes
    with pytest.raises(ValueError, match="取り消す上書きはありません"):
        ev.withdraw_override(tmp_path, FY, "K4-7", "u3")


def test_overrides_belong_to_their_fiscal_year(tmp_path):
    ev.set_override(tmp_path, 2025, "K4-5", "A", "理由", "u")
    assert "K4-5" in ev.overrides(tmp_path, 2025) and ev.overrides(tmp_path, 2026) == {}


def test_an_override_does_not_settle_a_year_that_has_not_ended(sample_store, policy):
    ev.set_override(sample_store, FY, "K4-7", "A", "理由", "u")
    row = next(r for r in ev.evaluation_table(policy, results(sample_store, policy, FY, MID_YEAR)) if r.indicator_id == "K4-7")
    assert row.override_grade == "A" and row.final_grade is None and row.record()["最終評価"] == "未確定（年度途中）"


def test_records_are_written_whole_and_staging_is_never_read(tmp_path):
    ev.set_text(tmp_path, FY, "self_evaluation", "本文", "u")
    assert not list((tmp_path / ".staging").iterdir())  # renamed into place
    (tmp_path / ".staging" / "half.json").write_text("{", encoding="utf-8")  # a writer that crashed
    (tmp_path / "evaluation" / ".hidden.json").write_text("{", encoding="utf-8")
    assert [r.text for r in ev.records(tmp_path)] == ["本文"]
    body = json.loads(next((tmp_path / "evaluation").glob("S*.json")).read_text(encoding="utf-8"))
    assert body["type"] == "text" and body["user"] == "u" and body["at"].endswith("+09:00")


# --- 自己評価・今後の方針 ---------------------------------------------------------------------------

def test_texts_for_the_policy_and_per_issue_keep_history(tmp_path, policy):
    ev.set_text(tmp_path, FY, "self_evaluation", "初稿", "u1")
    ev.set_text(tmp_path, FY, "self_evaluation", "  第二稿  ", "u2")
    ev.set_text(tmp_path, FY, "future_policy", "来年度は…", "u1")
    ev.set_text(tmp_path, FY, "future_policy", "経営課題2の方針", "u1", issue_id="2")
    ev.set_text(tmp_path, 2026, "self_evaluation", "翌年度", "u1")
    current = ev.texts(tmp_path, FY)
    assert ev.text_of(current, "self_evaluation") == "第二稿"
    assert current[("self_evaluation", None)].user == "u2"
    assert ev.text_of(current, "future_policy", "2") == "経営課題2の方針"
    assert ev.text_of(current, "self_evaluation", "2") == ""
    assert [r.text for r in ev.history(tmp_path, FY, key="self_evaluation")] == ["第二稿", "初稿"]
    sections = ev.text_sections(policy, current)
    assert [(s.title, s.text) for s in sections] == [
        ("自己評価（運営方針全体の定性評価）", "第二稿"), ("今後の方針", "来年度は…"), ("経営課題2 今後の方針", "経営課題2の方針"),
    ]
    assert [s.title for s in ev.text_sections(policy, {})] == ["自己評価（運営方針全体の定性評価）", "今後の方針"]
    assert ev.text_sections(policy, {}, include_empty=False) == []
    assert [s.title for s in ev.text_sections(policy, current, ["1"])] == ["自己評価（運営方針全体の定性評価）", "今後の方針"]


def test_text_kind_and_length_are_checked(tmp_path):
    with pytest.raises(ValueError, match="文章の種類「memo」は使えません"):
        ev.set_text(tmp_path, FY, "memo", "x", "u")
    with pytest.raises(ValueError, match="10,000文字まで"):
        ev.set_text(tmp_path, FY, "self_evaluation", "あ" * 20001, "u")
    with pytest.raises(ValueError, match="利用者名"):
        ev.set_text(tmp_path, FY, "self_evaluation", "x", " ")


# --- 前年度実績 -------------------------------------------------------------------------------------

def write_actuals(store, rows: list[tuple[str, str, float]]) -> None:
    store.write_batch(b"test", "test.csv", [Actual(i, m, v) for i, m, v in rows], "test")


def test_previous_year_actual_is_computed_from_last_years_actuals(sample_store, policy):
    # FY2024 for K4-3 (a sum): 20 + 25 = 45; K1-1 (latest): 1400 in March 2025
    write_actuals(sample_store, [("K4-3", "2024-05", 20), ("K4-3", "2025-02", 25), ("K1-1", "2024-04", 1200), ("K1-1", "2025-03", 1400)])
    rows = {r.indicator_id: r for r in ev.evaluation_table(policy, results(sample_store, policy, FY, YEAR_END))}
    assert rows["K4-3"].previous == 45 and rows["K4-3"].previous_text == "45名"
    assert rows["K4-3"].previous_source == "令和6年度の実績から算定"
    assert rows["K1-1"].previous == 1400
    assert rows["K2-1"].previous is None and rows["K2-1"].previous_text == "－"
    # 令和8年度's table shows 令和7年度 (the sample) as 前年度実績
    r8 = ev.evaluation_table(policy, results(sample_store, policy, 2026, "2026-11"))
    assert [(r.indicator_id, r.previous_text, r.final_label) for r in r8] == [("K4-5", "58%", "未確定（年度途中）")]


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_previous_year_actual_entered_by_an_editor_is_a_record_and_wins(sample_store, policy):
    write_actuals(sample_store, [("K1-1", "2025-03", 1400)])
    ev.set_previous(sample_store, FY, "K1-1", 1450, "editor", "令和6年度運営方針の実績欄")
    ev.set_previous(sample_store, FY, "K2-2", "12", "editor")
    rows = {r.indicator_id: r for r in ev.evaluation_table(policy, results(sample_store, policy, FY, YEAR_END))}
    assert rows["K1-1"].previous == 1450 and rows["K1-1"].previous_source.startswith("入力（editor、")
    assert rows["K1-1"].previous_source.endswith("：令和6年度運営方針の実績欄")
    assert rows["K2-2"].previous_text == "12業務"
    ev.withdraw_previous(sample_store, FY, "K1-1", "editor")
    rows = {r.indicator_id: r for r in ev.evaluation_table(policy, results(sample_store, policy, FY, YEAR_END))}
    assert rows["K1-1"].previous == 1400 and rows["K1-1"].previous_source == "令和6年度の実績から算定"
    assert len(ev.history(sample_store, FY, types=[ev.PREVIOUS, ev.PREVIOUS_WITHDRAWN])) == 3
    with pytest.raises(ValueError, match="数値ではありません"):
        ev.set_previous(sample_store, FY, "K1-1", "たくさん", "editor")
    with pytest.raises(ValueError, match="数値ではありません"):
        ev.set_previous(sample_store, FY, "K1-1", float("nan"), "editor")


# --- several years ---------------------------------------------------------------------------------

def test_fiscal_years_with_targets_and_k4_5_uses_70_percent_in_reiwa_8(policy, store):
    assert policy.target_years() == [2025, 2026]
    write_actuals(store, [("K4-5", "2026-04", 62), ("K4-5", "2027-03", 72), ("K4-5", "2026-03", 58)])
    (r8,) = results(store, policy, 2026, "2027-03")
    assert r8.target.value == 70 and r8.target.qualifier == "以上"
    row = ev.evaluation_table(policy, [r8])[0]
    assert row.target_text == "70% 以上" and row.final_grade == "A" and row.previous_text == "58%"
    r7 = next(r for r in results(store, policy, 2025, "2027-03") if r.indicator.indicator_id == "K4-5")
    assert r7.target.value == 60 and r7.grade == "B"


def test_an_indicator_spanning_years_shows_each_years_result(sample_store, policy):
    write_actuals(sample_store, [("K4-3", "2023-06", 30), ("K4-3", "2024-05", 20), ("K4-3", "2025-02", 25), ("K4-4", "2024-10", 40)])
    ev.set_previous(sample_store, 2024, "K4-4", 0, "editor")  # entered R5 value: outside K4-4's period but kept
    ev.set_override(sample_store, 2025, "K4-3", "A", "研修の追加実施分を含める", "editor")
    per = ev.yearly(policy, sample_store.current(), "2026-11", ev.records(sample_store), ["4"])
    k43 = {y.fiscal_year: y for y in per["K4-3"]}
    assert list(k43) == [2023, 2024, 2025]  # R5–R7
    assert (k43[2023].value, k43[2024].value, k43[2025].value) == (30, 45, 57)
    assert k43[2023].target is None and k43[2023].grade is None and k43[2023].state == "確定"
    assert (k43[2025].computed_grade, k43[2025].grade, k43[2025].overridden) == ("B", "A", True)
    k44 = {y.fiscal_year: y for y in per["K4-4"]}
    assert list(k44) == [2023, 2024, 2025, 2026, 2027]
    assert k44[2023].value == 0 and k44[2023].source == "入力"
    assert k44[2024].value == 40 and k44[2025].grade == "A"
    assert (k44[2026].state, k44[2027].state) == ("年度途中", "未到来")
    k45 = {y.fiscal_year: y for y in per["K4-5"]}
    assert k45[2026].target.value == 70 and k45[2026].grade is None
    ind = policy.indicators["K4-3"]
    assert k43[2025].cell(ind) == "57名（目標 60名程度/年・A※）"
    assert k43[2023].cell(ind) == "30名"
    assert k44[2027].cell(policy.indicators["K4-4"]) == "未到来"
    years, table = ev.yearly_table(policy, per)
    assert years == [2023, 2024, 2025, 2026, 2027]
    row = next(t for t in table if t["指標ID"] == "K4-4")
    assert row["期間"] == "R6〜R9" and row["令和6年度"] == "40名" and row["令和8年度"] == "－"


def test_yearly_obeys_the_as_of_month(sample_store, policy):
    per = ev.yearly(policy, sample_store.current(), "2025-09", (), ["1"])
    (k11,) = per["K1-1"]
    assert k11.state == "年度途中" and k11.value == 1731 and k11.grade is None  # September's running total


def test_report_bundles_rows_and_texts_for_the_exports(sample_store, policy):
    ev.set_override(sample_store, FY, "K4-7", "A", "理由", "editor")
    ev.set_text(sample_store, FY, "self_evaluation", "概ね順調に推移した。", "editor")
    rep = ev.report(sample_store, policy, FY, YEAR_END, ["4"], results(sample_store, policy, FY, YEAR_END, ["4"]))
    assert not rep.provisional and [r.issue_id for r in rep.rows] == ["4"] * 8
    assert rep.records()[6]["上書きの理由"] == "理由"
    assert rep.texts[0].text == "概ね順調に推移した。" and rep.texts[1].title == "今後の方針"
    assert ev.report(sample_store, policy, FY, MID_YEAR, None, results(sample_store, policy, FY, MID_YEAR)).provisional


def test_the_year_that_runs_is_not_past_in_the_years_table(store, policy):
    # 前年度実績 entered for 令和8年度 is 令和7年度's figure: shown once 令和7年度 has ended, never while it runs
    ev.set_previous(store, 2026, "K1-1", 1999, "editor")
    (running,) = ev.yearly(policy, [], "2025-09", ev.records(store), ["1"])["K1-1"]
    assert (running.fiscal_year, running.value, running.source, running.state, running.grade) == (2025, None, "", "年度途中", None)
    assert running.cell(policy.indicators["K1-1"]) == "－（目標 2,000件（累計）・未確定）"
    (ended,) = ev.yearly(policy, [], "2026-04", ev.records(store), ["1"])["K1-1"]
    assert (ended.value, ended.source, ended.state, ended.grade) == (1999, "入力", "確定", "B")
