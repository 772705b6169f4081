"""check-data: each refusal of the reference CSVs names file, row (header = row 1) and column, in Japanese."""
from __future__ import annotations

import json

import pytest

from conftest import DATA, write_policy
from kpi import cli
from kpi.checkdata import ERROR, WARNING, Problem, check_data, errors
from kpi.policy import PolicyError, load_policy


def edited(tmp_path, name: str, old: str, new: str):
    """A copy of data/ with one exact piece of ``name`` replaced."""
    text = (DATA / name).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return write_policy(tmp_path / "data", {name: text.replace(old, new)})


def appended(tmp_path, name: str, line: str):
    text = (DATA / name).read_text(encoding="utf-8")
    return write_policy(tmp_path / "data", {name: text.rstrip("\n") + "\n" + line + "\n"})


def line_count(name: str) -> int:
    return len((DATA / name).read_text(encoding="utf-8").rstrip("\n").split("\n"))


def only_error(folder) -> Problem:
    problems = errors(check_data(folder))
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def assert_names(p: Problem, file: str, row: int, column: str, words: str) -> None:
    assert (p.file, p.row, p.column, p.level) == (file, row, column, ERROR)
    assert p.text.startswith(f"{file} {row}行目 {column}: ")
    assert words in p.message
    assert str(p) == f"エラー: {p.text}"


def test_the_shipped_data_is_clean(capsys):
    assert check_data(DATA) == []
    assert cli.main(["check-data", "--data", str(DATA)]) == 0
    assert "問題はありません" in capsys.readouterr().out


def test_duplicate_indicator_id_is_refused(tmp_path):
    folder = appended(tmp_path, "indicators.csv", "K1-1,1,1,重複,重複,件,latest,higher,,")
    assert_names(only_error(folder), "indicators.csv", line_count("indicators.csv") + 1, "indicator_id", "指標ID K1-1 が重複しています")


def test_target_without_a_year_is_refused(tmp_path):
    folder = edited(tmp_path, "targets.csv", "K2-2,2025,20,", "K2-2,,20,")
    assert_names(only_error(folder), "targets.csv", 5, "fiscal_year", "年度がありません")


def test_target_with_a_wareki_year_is_refused(tmp_path):
    folder = edited(tmp_path, "targets.csv", "K2-2,2025,20,", "K2-2,令和7,20,")
    assert_names(only_error(folder), "targets.csv", 5, "fiscal_year", "「令和7」は西暦の年度ではありません")


def test_unknown_aggregation_kind_is_refused(tmp_path):
    folder = edited(tmp_path, "indicators.csv", "時間,mean,higher", "時間,median,higher")
    assert_names(only_error(folder), "indicators.csv", 7, "aggregation", "集計方法「median」は使えません（latest, sum, mean, ratio, milestone）")


def test_unknown_direction_is_refused(tmp_path):
    folder = edited(tmp_path, "indicators.csv", "オンラインでできる手続き数,件,latest,higher", "オンラインでできる手続き数,件,latest,up")
    assert_names(only_error(folder), "indicators.csv", 2, "direction", "方向「up」は使えません（higher, lower）")


def test_budget_for_an_unknown_issue_is_refused(tmp_path):
    folder = appended(tmp_path, "budgets.csv", "5,2025,予算,10,7予算額 10百万円")
    assert_names(only_error(folder), "budgets.csv", line_count("budgets.csv") + 1, "issue_id", "経営課題「5」は issues.csv にありません")


def test_non_numeric_amount_is_refused(tmp_path):
    folder = edited(tmp_path, "budgets.csv", "2,2025,予算,1153,", "2,2025,予算,未定,")
    assert_names(only_error(folder), "budgets.csv", 7, "amount_million_yen", "「未定」は数値ではありません")


def test_non_numeric_target_is_refused(tmp_path):
    folder = edited(tmp_path, "targets.csv", "K1-1,2025,2000,", "K1-1,2025,2000件,")
    assert_names(only_error(folder), "targets.csv", 2, "target", "「2000件」は数値ではありません")


def test_budget_counted_twice_for_the_same_year_is_refused(tmp_path):
    folder = appended(tmp_path, "budgets.csv", "1,2025,予算,130,")
    p = only_error(folder)
    assert_names(p, "budgets.csv", line_count("budgets.csv") + 1, "fiscal_year", "経営課題1の2025年度の金額が重複しています")
    assert "4行目と同じ" in p.message


def test_period_ending_before_it_starts_is_refused(tmp_path):
    folder = edited(tmp_path, "indicators.csv", "名,sum,higher,2023,2025", "名,sum,higher,2025,2023")
    problems = errors(check_data(folder))
    assert any(p.row == 11 and p.column == "period_end_fy" and "始まり（2025年度）より前" in p.message for p in problems), problems


def test_target_outside_the_indicators_period_is_refused(tmp_path):
    folder = appended(tmp_path, "targets.csv", "K4-3,2026,60,程度,年,")
    p = only_error(folder)
    assert_names(p, "targets.csv", line_count("targets.csv") + 1, "fiscal_year", "K4-3 の目標の年度 2026 が指標の期間（2023〜2025年度）の外です")


def test_shift_jis_file_is_refused_not_crashed(tmp_path):
    folder = write_policy(tmp_path / "data", {})
    (folder / "budgets.csv").write_bytes((DATA / "budgets.csv").read_text(encoding="utf-8").encode("cp932"))
    p = only_error(folder)
    assert (p.file, p.row, p.column) == ("budgets.csv", None, None)
    assert "UTF-8 で読めません" in p.message


def test_missing_file_and_missing_column_are_named(tmp_path):
    folder = write_policy(tmp_path / "data", {"strategies.csv": "issue_id,strategy\n1,x\n"})
    (folder / "targets.csv").unlink()
    texts = sorted(p.text for p in errors(check_data(folder)))
    assert any(t.startswith("strategies.csv: 必要な列がありません: strategy_no") for t in texts), texts
    assert any(t.startswith("targets.csv: ファイルがありません") for t in texts), texts


def test_warnings_are_reported_but_do_not_fail(tmp_path, capsys):
    targets = (DATA / "targets.csv").read_text(encoding="utf-8").replace("K4-8,2025,100,", "K4-8,2025,90,")
    indicators = (DATA / "indicators.csv").read_text(encoding="utf-8") + "K9-9,4,9,目標のない指標,目標のない指標,件,latest,higher,,\n"
    folder = write_policy(tmp_path / "data", {"targets.csv": targets, "indicators.csv": indicators})
    problems = check_data(folder)
    assert errors(problems) == []
    levels = {(p.file, p.column, p.level) for p in problems}
    assert ("indicators.csv", "indicator_id", WARNING) in levels  # K9-9 has no target
    assert ("indicators.csv", "strategy_no", WARNING) in levels  # strategy 4-9 does not exist
    assert ("targets.csv", "target", WARNING) in levels  # a milestone's target is 100
    assert cli.main(["check-data", "--data", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "注意: indicators.csv 17行目 indicator_id: K9-9 には targets.csv に目標がありません" in out


def test_cli_reports_every_problem_and_exits_1_even_when_the_app_could_not_load(tmp_path, capsys, monkeypatch):
    folder = edited(tmp_path, "indicators.csv", "時間,mean,higher", "時間,median,higher")
    with open(folder / "targets.csv", "a", encoding="utf-8") as fh:
        fh.write("K1-2,,abc,,,\n")
    monkeypatch.setenv("KPI_DATA_DIR", str(folder))
    assert cli.main(["check-data"]) == 1
    err = capsys.readouterr().err
    assert "エラー: indicators.csv 7行目 aggregation: 集計方法「median」は使えません" in err
    assert "エラー: targets.csv 18行目 fiscal_year: 年度がありません" in err
    assert "エラー: targets.csv 18行目 target: 「abc」は数値ではありません" in err
    assert "エラー 3件" in err
    assert cli.main(["check-data", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["errors"] == 3 and out["folder"] == str(folder)
    first = out["problems"][0]
    assert set(first) == {"file", "row", "column", "message", "level", "text"}
    assert {(p["file"], p["row"], p["column"]) for p in out["problems"]} == {
        ("indicators.csv", 7, "aggregation"), ("targets.csv", 18, "fiscal_year"), ("targets.csv", 18, "target")}


def test_cli_json_when_clean(capsys):
    assert cli.main(["check-data", "--data", str(DATA), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "folder": str(DATA), "errors": 0, "warnings": 0, "problems": []}


def test_load_policy_reports_located_problems_that_check_data_reuses(tmp_path):
    folder = appended(tmp_path, "targets.csv", "K1-2,,abc,,,")
    with pytest.raises(PolicyError) as caught:
        load_policy(folder)
    located = {(p.file, p.row, p.column) for p in caught.value.problems}
    assert located == {("targets.csv", 18, "fiscal_year"), ("targets.csv", 18, "target")}
    assert all(isinstance(p, Problem) for p in caught.value.problems)
    assert set(caught.value.problems) <= set(check_data(folder))  # the same objects, not text parsed back
    assert "targets.csv 18行目 target: 「abc」は数値ではありません" in str(caught.value)


# --- checkpoints.csv (interim targets, optional) ---------------------------------------------------

CHECKPOINT_HEADER = "indicator_id,month,value,source_text\n"


@pytest.mark.parametrize("line, column, words", [
    ("K9-9,2025-09,50,", "indicator_id", "指標ID「K9-9」には targets.csv に目標がありません"),
    ("K2-1,2024-09,50,", "month", "令和6年9月はK2-1 の目標のある年度（令和7年度）の外です"),
    ("K2-1,2026-04,50,", "month", "令和8年4月はK2-1 の目標のある年度（令和7年度）の外です"),
    ("K2-1,2025-13,50,", "month", "「2025-13」は YYYY-MM 形式の年月ではありません"),
    ("K2-1,令和7年9月,50,", "month", "YYYY-MM 形式の年月ではありません"),
    ("K2-1,2025-09,半分,", "value", "「半分」は数値ではありません"),
    ("K2-1,2025-09,nan,", "value", "「nan」は数値ではありません"),
])
def test_a_bad_checkpoint_is_refused_naming_file_row_and_column(tmp_path, line, column, words):
    folder = write_policy(tmp_path / "data", {"checkpoints.csv": CHECKPOINT_HEADER + "K2-1,2025-06,20,第1四半期\n" + line + "\n"})
    assert_names(only_error(folder), "checkpoints.csv", 3, column, words)
    with pytest.raises(PolicyError):  # the app refuses to start on it too
        load_policy(folder)


def test_checkpoints_load_in_month_order_and_belong_to_their_year(tmp_path):
    folder = write_policy(tmp_path / "data", {"checkpoints.csv": CHECKPOINT_HEADER + "K2-1,2025-12,70,12月\nK2-1,2025-09,30,9月\n"})
    assert check_data(folder) == []
    ind = load_policy(folder).indicators["K2-1"]
    assert [(c.month, c.value) for c in ind.checkpoints_in(2025)] == [("2025-09", 30), ("2025-12", 70)]
    assert ind.checkpoints_in(2026) == ()


def test_a_duplicate_checkpoint_is_refused(tmp_path):
    folder = write_policy(tmp_path / "data", {"checkpoints.csv": CHECKPOINT_HEADER + "K2-1,2025-09,30,\nK2-1,2025-09,40,\n"})
    assert_names(only_error(folder), "checkpoints.csv", 3, "month", "中間目標が重複しています")


# --- issue 18: qualifiers as a set, periods, baselines, results.csv, budgets.csv optional ---------------------------

def test_an_unknown_qualifier_is_refused_naming_file_row_and_column(tmp_path):
    folder = edited(tmp_path, "targets.csv", "K1-1,2025,2000,累計,", "K1-1,2025,2000,累計・くらい,")
    assert_names(only_error(folder), "targets.csv", 2, "qualifier", "修飾語「くらい」は使えません")


def test_a_set_of_qualifiers_is_kept_in_the_order_written(tmp_path):
    from kpi import fmt

    folder = edited(tmp_path, "targets.csv", "K1-1,2025,2000,累計,", "K1-1,2025,2000,累計・以上,")
    assert check_data(folder) == []
    pol = load_policy(folder)
    t = pol.indicators["K1-1"].target(2025)
    assert t.qualifiers == ("累計", "以上") and fmt.target_text(pol.indicators["K1-1"], t) == "2,000件（累計） 以上"


def test_budgets_csv_is_optional(tmp_path):
    folder = write_policy(tmp_path / "data", {})
    (folder / "budgets.csv").unlink()
    assert errors(check_data(folder)) == [] and load_policy(folder).budgets == ()


@pytest.mark.parametrize("column, cell, words", [
    ("period_start_fy", "2026", "期間の初年度（2026年度）が目標の年度（2025年度、期間の最終年度）より後です"),
    ("period_start_fy", "R5", "「R5」は西暦の年度ではありません"),
    ("baseline", "千件", "「千件」は数値ではありません"),
])
def test_period_and_baseline_cells_are_checked(tmp_path, column, cell, words):
    text = (DATA / "targets.csv").read_text(encoding="utf-8")
    lines = text.rstrip("\n").split("\n")
    lines[0] += ",period_start_fy,baseline,baseline_source"
    lines = [lines[0]] + [ln + ",,," for ln in lines[1:]]
    head = lines[0].split(",")
    cells = lines[2].split(",")  # K1-2 (its source text has no comma: the row splits cleanly)
    assert len(cells) == len(head), cells
    cells[head.index(column)] = cell
    lines[2] = ",".join(cells)
    folder = write_policy(tmp_path / "data", {"targets.csv": "\n".join(lines) + "\n"})
    assert_names(only_error(folder), "targets.csv", 3, column, words)


def test_a_baseline_for_a_kind_that_starts_at_zero_is_a_warning(tmp_path):
    text = (DATA / "targets.csv").read_text(encoding="utf-8").rstrip("\n").split("\n")
    text[0] += ",baseline"
    text = [text[0]] + [ln + ("," + "5" if ln.startswith("K4-3,") else ",") for ln in text[1:]]
    folder = write_policy(tmp_path / "data", {"targets.csv": "\n".join(text) + "\n"})
    problems = check_data(folder)
    assert [(p.file, p.column, p.level) for p in problems] == [("targets.csv", "baseline", WARNING)]
    assert "K4-3" in problems[0].message


@pytest.mark.parametrize("row, column, words", [
    ("K9-9,2024,10,,,", "indicator_id", "指標ID「K9-9」は indicators.csv にありません"),
    ("K1-1,2024,10,,C,", "grade", "評価「C」は A か B で書きます"),
    ("K1-1,2024,十,,,", "value", "「十」は数値ではありません"),
    ("K1-1,R6,10,,,", "fiscal_year", "「R6」は西暦の年度ではありません"),
])
def test_results_csv_is_checked(tmp_path, row, column, words):
    folder = write_policy(tmp_path / "data", {"results.csv": "indicator_id,fiscal_year,value,period_value,grade,source_text\n" + row + "\n"})
    assert_names(only_error(folder), "results.csv", 2, column, words)


def test_published_results_load(tmp_path):
    folder = write_policy(tmp_path / "data", {"results.csv": "indicator_id,fiscal_year,value,period_value,grade,source_text\n"
                                                            "K1-1,2024,1500,,,\"1,500件\"\n"})
    assert check_data(folder) == []
    assert load_policy(folder).results[("K1-1", 2024)].value == 1500


# --- issue 19: department IDs are exact, names are distinct, folders are reported -----------------------------------

def _root_of(tmp_path, depts: dict[str, str]):
    """A root with one 2025 folder per department ID, each named as given (policy.csv's department)."""
    import re

    root = tmp_path / "root"
    for dept_id, name in depts.items():
        policy_csv = re.sub(r"(?m)^department,([^,]*),.*$", rf"department,\1,{name}", (DATA / "policy.csv").read_text(encoding="utf-8-sig"))
        write_policy(root / dept_id / "2025", {"policy.csv": policy_csv})
    return root


@pytest.mark.parametrize("a,b", [("east-1", "east_1"), ("north_2", "north-2")])
def test_ids_that_differ_only_by_dash_or_underscore_are_refused(tmp_path, a, b):
    problems = errors(check_data(_root_of(tmp_path, {a: "東部", b: "東部二"})))
    assert any("大文字・小文字や -・_ だけが違います" in p.message for p in problems), problems


def test_upper_case_ids_are_refused_and_listed(tmp_path):
    root = _root_of(tmp_path, {"east": "東部"})
    write_policy(root / "East" / "2025", {})
    p = next(p for p in errors(check_data(root)) if p.department == "East")
    assert "英小文字" in p.message


def test_two_departments_with_one_name_are_refused(tmp_path):
    problems = errors(check_data(_root_of(tmp_path, {"east": "東部事務所", "west": "東部事務所", "north": "北部事務所"})))
    same = [p for p in problems if "所属名「東部事務所」" in p.message]
    assert len(same) == 1 and same[0].department == "west" and same[0].file == "policy.csv" and same[0].row == 3


@pytest.mark.parametrize("folder", ["2025²", "２０２５", "25", "20251", "2025 ", "二〇二五"])
def test_a_year_folder_that_is_no_year_is_an_error_and_the_rest_is_checked(tmp_path, folder):
    root = _root_of(tmp_path, {"east": "東部"})
    write_policy(root / "east" / folder, {})
    problems = check_data(root)
    assert [p.file for p in errors(problems)] == [folder]
    assert "半角数字4桁" in errors(problems)[0].message
