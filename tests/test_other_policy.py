"""Another department's policy (3 経営課題, other IDs, a lower-is-better target) loads with no code change."""
from __future__ import annotations

import json
import subprocess
import sys

from streamlit.testing.v1 import AppTest

from conftest import ROOT, figures
from kpi.evaluate import budget_table
from kpi.policy import load_policy
from kpi.service import results
from kpi.store import Store

CSV = "indicator_id,month,value,numerator,denominator,note\n" + "".join(
    f"T-01,2026-{m:02d},9,,,\nT-02,2026-{m:02d},40,40,100,\nT-03,2026-{m:02d},{30 + m},,,\n" for m in range(4, 10)
)


def cli(*args, data_dir, store_root) -> subprocess.CompletedProcess:
    env = {"KPI_DATA_DIR": str(data_dir), "KPI_STORE": str(store_root), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_other_policy_loads_and_evaluates(other_policy_dir, tmp_path):
    p = load_policy(other_policy_dir)
    assert list(p.issues) == ["A", "B", "C"] and list(p.indicators) == ["T-01", "T-02", "T-03"]
    f = tmp_path / "a.csv"
    f.write_text(CSV, encoding="utf-8")
    assert cli("import", str(f), data_dir=other_policy_dir, store_root=tmp_path / "s").returncode == 0
    out = cli("status", "--fy", "2026", "--as-of", "2026-09", "--json", data_dir=other_policy_dir, store_root=tmp_path / "s")
    rows = {r["indicator_id"]: r for r in json.loads(out.stdout)}
    # lower is better: 54 accidents in six months against an allowance of 120 × 6/12 = 60
    assert rows["T-01"]["value"] == 54 and rows["T-01"]["status"] == "順調"
    assert rows["T-02"]["value"] == 40 and rows["T-02"]["status"] == "注意"  # 40 % against 50 %: 80 %
    assert rows["T-03"]["value"] == 39 and rows["T-03"]["status"] == "順調"


def test_lower_is_better_year_end_grade(other_policy_dir, tmp_path):
    p = load_policy(other_policy_dir)
    s = Store(tmp_path / "s")
    from kpi.evaluate import Actual

    s.write_batch(b"x", "x.csv", [Actual("T-01", f"{2026 + (m < 4)}-{m:02d}", 11.0) for m in range(1, 13)], "test")
    r = results(s, p, 2026, "2027-03")[0]
    assert (r.value, r.status, r.grade) == (132, "注意", "B")  # 132 > 120 allowed: 91 %, but the year is over


def test_other_policy_budget_new_and_shrinking(other_policy_dir):
    years, rows = budget_table(load_policy(other_policy_dir))
    assert years == [2024, 2026]
    assert [r.growth_label for r in rows] == ["3.0倍", "新規", "0.5倍"]


def test_pages_run_on_the_other_policy(other_policy_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_DATA_DIR", str(other_policy_dir))
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "s"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("令和8年度 テスト局運営方針" in c.value for c in at.caption)
    assert figures(at)["－ 未報告"] == "3件"  # three unreported indicators
    for page in ("app_pages/budget.py", "app_pages/indicators.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, at.exception)
    text = "\n".join([m.value for m in at.markdown] + [h.proto.body for h in at.get("html")])  # the list is an HTML table
    assert "T-01" in text and "K1-1" not in text


def test_bad_reference_data_is_reported_in_japanese(other_policy_dir, tmp_path):
    (other_policy_dir / "indicators.csv").write_text(
        "indicator_id,issue_id,strategy_no,short_name,wording,unit,aggregation,direction\nT-01,Z,1,x,x,件,median,up\n", encoding="utf-8")
    out = cli("status", data_dir=other_policy_dir, store_root=tmp_path / "s")
    assert out.returncode == 1
    assert "indicators.csv 2行目 issue_id" in out.stderr and "median" in out.stderr
