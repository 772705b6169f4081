"""python -m kpi import / history / rollback as a scheduled job runs them: real subprocesses, KPI_STORE in a tmp dir."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from kpi.store import Store

KEYS = {"ok", "batch_id", "rows", "new", "changed", "unchanged", "errors", "warnings"}


@pytest.fixture
def kpi(tmp_path):
    root = tmp_path / "store"

    def run(*args: str) -> subprocess.CompletedProcess:
        env = os.environ | {"KPI_STORE": str(root)}
        return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    run.store = Store(root)
    return run


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "実績_4月.csv"
    path.write_bytes("指標ID,年月,実績値,分子,分母,備考\r\nK1-1,2025-04,1523,,,\r\nK1-2,2025-04,22.4,448,2000,転出\r\n".encode("cp932"))
    return path


def test_import_json_then_history_and_rollback(kpi, good):
    dry = kpi("import", str(good), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    out = json.loads(dry.stdout)
    assert KEYS <= out.keys() and out["ok"] and out["batch_id"] is None and (out["rows"], out["new"]) == (2, 2)
    assert (out["first_month"], out["last_month"], out["months"], out["indicators"]) == ("2025-04", "2025-04", 1, 2)
    assert "2行 令和7年4月（1か月・2指標） 新規2" in kpi("import", str(good), "--dry-run").stdout
    assert kpi.store.is_empty()

    r = kpi("import", str(good), "--json", "--user", "定期ジョブ")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] and out["batch_id"] and (out["rows"], out["new"], out["changed"], out["unchanged"]) == (2, 2, 0, 0)
    assert out["errors"] == [] and isinstance(out["warnings"], list)
    bid = out["batch_id"]

    again = json.loads(kpi("import", str(good), "--json").stdout)
    assert (again["new"], again["unchanged"]) == (0, 2)

    h = kpi("history", "--json")
    assert h.returncode == 0
    records = json.loads(h.stdout)
    assert len(records) == 2 and records[1]["batch_id"] == bid
    first = records[1]
    assert (first["user"], first["file_name"], first["rows"], first["new"], first["active"], first["source"]) == \
        ("定期ジョブ", "実績_4月.csv", 2, 2, True, "cli")
    assert (first["first_month"], first["last_month"], first["months"], first["indicators"]) == ("2025-04", "2025-04", 1, 2)
    assert kpi.store.original(bid) == good.read_bytes()

    text = kpi("history")
    assert "実績_4月.csv\t令和7年4月（1か月・2指標）\t2行\t有効" in text.stdout

    rb = kpi("rollback", bid, "--reason", "誤り")
    assert rb.returncode == 0 and "取り消しました" in rb.stdout
    assert not kpi.store.batch(bid).active
    assert kpi("rollback", bid).returncode == 1
    assert kpi("rollback", bid, "--restore").returncode == 0
    assert kpi.store.batch(bid).active


def test_refused_import_exits_1_and_writes_nothing(kpi, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes("指標ID,年月,実績値\nK1-1,2025-04,100\nK1-1,2025-13,5\nK9-9,2025-05,1\n".encode("cp932"))
    r = kpi("import", str(bad), "--json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert KEYS <= out.keys() and out["ok"] is False and out["batch_id"] is None
    assert {(e["row"], e["column"]) for e in out["errors"]} >= {(3, "年月"), (4, "指標ID")}
    assert all(set(e) == {"row", "column", "message"} for e in out["errors"])
    plain = kpi("import", str(bad))
    assert plain.returncode == 1 and "3行目 年月" in plain.stderr and "何も登録していません" in plain.stderr
    dry = kpi("import", str(bad), "--dry-run")
    assert dry.returncode == 1
    missing = kpi("import", str(tmp_path / "nope.csv"), "--json")
    assert missing.returncode == 1 and json.loads(missing.stdout)["ok"] is False
    assert not kpi.store.root.exists() or kpi.store.is_empty()


def test_usage_errors_exit_2_and_unknown_batch_exits_1(kpi):
    assert kpi("import").returncode == 2
    assert kpi("import", "a.csv", "--bogus").returncode == 2
    assert kpi("rollback").returncode == 2
    r = kpi("rollback", "20250101T000000000000Z-abcdef")
    assert r.returncode == 1 and "バッチ 20250101T000000000000Z-abcdef はありません" in r.stderr
    assert kpi("history", "--json").stdout.strip() == "[]"
