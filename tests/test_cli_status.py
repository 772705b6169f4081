"""`python -m kpi status` and `actuals`: the JSON contract, --as-of, --fy and exit codes."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import DATA, ROOT

KEYS = {"indicator_id", "issue_id", "fiscal_year", "as_of", "name", "unit", "direction", "value", "target", "progress",
        "progress_text", "pace", "pace_ratio", "status", "grade", "computed_grade", "override", "months_reported", "last_month",
        "forecast", "previous", "previous_source", "previous_month", "previous_value", "previous_status", "change", "checkin",
        "year_value", "period", "period_value", "baseline", "baseline_source"}
KEYS |= {"overdue_months"}  # months since the last report up to the 基準月 (0 when current)


def kpi(*args, store_root) -> subprocess.CompletedProcess:
    env = {"KPI_STORE": str(store_root), "PATH": "/usr/bin:/bin", "HOME": str(store_root)}
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "store"
    assert kpi("import", str(DATA / "sample_actuals.csv"), store_root=root).returncode == 0
    return root


def status(root, *args) -> list[dict]:
    out = kpi("status", "--json", *args, store_root=root)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_status_json_contract(loaded):
    rows = status(loaded, "--fy", "2025", "--as-of", "2026-03")
    assert len(rows) == 15
    assert all(set(r) == KEYS for r in rows)
    k11 = rows[0]
    assert (k11["indicator_id"], k11["issue_id"], k11["fiscal_year"], k11["unit"], k11["direction"]) == ("K1-1", "1", 2025, "件", "higher")
    assert (k11["value"], k11["target"], k11["status"], k11["grade"], k11["last_month"], k11["months_reported"]) == \
        (2046, 2000, "達成", "A", "2026-03", 12)
    assert (k11["progress"], k11["progress_text"], k11["pace"], k11["pace_ratio"]) == (1.023, "102%", 2000, 1.023)
    assert (k11["computed_grade"], k11["override"], k11["as_of"]) == ("A", None, "2026-03")
    k12 = next(r for r in rows if r["indicator_id"] == "K1-2")
    assert k12["value"] == pytest.approx(23.57, abs=0.01) and k12["unit"] == "%"  # in the indicator's unit


def test_as_of_mid_year_ignores_later_months_and_has_no_grade(loaded):
    rows = {r["indicator_id"]: r for r in status(loaded, "--fy", "2025", "--as-of", "2025-09")}
    assert rows["K1-1"]["value"] == 1731 and rows["K1-1"]["last_month"] == "2025-09"
    assert rows["K4-3"]["value"] == 29 and rows["K4-3"]["status"] == "順調"  # 29 against 60 × 6/12
    assert (rows["K4-3"]["pace"], rows["K4-3"]["pace_ratio"]) == (30, 0.9667)
    assert rows["K2-1"]["pace"] == 50  # a milestone runs from 0 in April to 100 in March
    assert (rows["K2-1"]["baseline"], rows["K2-1"]["baseline_source"]) == (0, "未着手（0%）")
    # no figure for 令和6年度 in the sample: K1-1's pace runs from April's first report (1,523) to 2,000 in March
    k11 = rows["K1-1"]
    assert (k11["baseline"], k11["baseline_source"], k11["pace"]) == (1523, "起点（仮）", round(1523 + 477 * 5 / 11, 2))
    assert (k11["year_value"], k11["period"], k11["period_value"]) == (1731, None, None)
    assert (rows["K4-3"]["baseline"], rows["K4-3"]["baseline_source"]) == (None, None)  # a sum starts at 0 every year
    assert {r["grade"] for r in rows.values()} == {None}


def test_as_of_before_the_year_is_all_unreported(loaded):
    rows = status(loaded, "--fy", "2025", "--as-of", "2025-03")
    assert {r["status"] for r in rows} == {"未報告"} and {r["value"] for r in rows} == {None}


def test_next_year_has_only_k4_5(loaded):
    rows = status(loaded, "--fy", "2026", "--as-of", "2026-09")
    assert [(r["indicator_id"], r["target"], r["status"]) for r in rows] == [("K4-5", 70, "未報告")]


def test_empty_store_cli_never_loads_the_sample(tmp_path):
    rows = status(tmp_path / "empty", "--fy", "2025", "--as-of", "2026-03")
    assert {r["status"] for r in rows} == {"未報告"} and {r["grade"] for r in rows} == {"B"}
    assert not (tmp_path / "empty" / "batches").exists() or not any((tmp_path / "empty" / "batches").iterdir())


def test_actuals_json(loaded):
    out = kpi("actuals", "--fy", "2025", "--json", store_root=loaded)
    rows = json.loads(out.stdout)
    assert len(rows) == 180
    first = rows[0]
    assert set(first) == {"indicator_id", "month", "value", "numerator", "denominator", "note", "batch_id"}
    k12 = next(r for r in rows if r["indicator_id"] == "K1-2")
    assert (k12["month"], k12["numerator"], k12["denominator"]) == ("2025-04", 362, 2010)
    assert kpi("actuals", "--fy", "2024", "--json", store_root=loaded).stdout.strip() == "[]"


def test_text_output_is_japanese(loaded):
    out = kpi("status", "--fy", "2025", "--as-of", "2026-03", store_root=loaded)
    assert "令和7年度（2025年度） 基準月 令和8年3月" in out.stdout and "◎ 達成" in out.stdout


def test_an_ended_year_defaults_to_its_march(loaded):
    """令和7年度 ended in March 2026: without --as-of the status is at March, as the screen's 最新 is."""
    rows = status(loaded, "--fy", "2025")
    assert {r["as_of"] for r in rows} == {"2026-03"} and rows[0]["grade"] == "A"


def test_override_command_records_what_the_page_records(loaded):
    refused = kpi("override", "K4-7", "--fy", "2025", "--grade", "A", "--json", store_root=loaded)
    assert refused.returncode == 1 and "理由の記入が必要です" in json.loads(refused.stdout)["error"]
    assert kpi("override", "K9-9", "--fy", "2025", "--grade", "A", "--reason", "x", store_root=loaded).returncode == 1
    done = kpi("override", "K4-7", "--fy", "2025", "--grade", "A", "--reason", "3事業目は3月に実施", "--user", "山田", "--json",
               store_root=loaded)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True
    from kpi import evaluation as ev

    (rec,) = ev.history(loaded, 2025, indicator_id="K4-7")
    assert (rec.type, rec.grade, rec.reason, rec.user) == ("override", "A", "3事業目は3月に実施", "山田")
    k47 = next(r for r in status(loaded, "--fy", "2025", "--as-of", "2026-03") if r["indicator_id"] == "K4-7")
    assert (k47["grade"], k47["computed_grade"], k47["override"]["reason"], k47["override"]["user"]) == ("A", "B", "3事業目は3月に実施", "山田")
    text = kpi("status", "--fy", "2025", "--as-of", "2026-03", store_root=loaded).stdout
    assert "A（達成）※（算定 B）" in text
    assert kpi("override", "K4-7", "--fy", "2025", "--withdraw", store_root=loaded).returncode == 0
    k47 = next(r for r in status(loaded, "--fy", "2025", "--as-of", "2026-03") if r["indicator_id"] == "K4-7")
    assert (k47["grade"], k47["override"]) == ("B", None)


@pytest.mark.parametrize("args", [["status", "--as-of", "2025-13"], ["status", "--fy", "R7"], ["nosuch"], [],
                                  ["override", "K4-7", "--fy", "2025", "--grade", "C", "--reason", "x"]])
def test_usage_errors_exit_2(args, tmp_path):
    assert kpi(*args, store_root=tmp_path).returncode == 2
