"""Finding 9: exit codes a scheduled job can act on — 0 done, 1 input refused (nothing written), 2 usage,
3 internal error (a Japanese message with a log reference) — and no Python internals in any message."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from kpi import importer
from kpi.cli import main

INTERNALS = re.compile(r"Traceback|[A-Za-z]+(Error|Exception)\b|File \"")


def run(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=os.environ | env, capture_output=True, text=True, timeout=120)


def test_finding9_an_internal_error_exits_3_with_a_log_reference(tmp_path):
    """Finding 9: a crash used to exit 1, like "refused, nothing written"; its message showed the exception."""
    broken = tmp_path / "store"
    broken.write_text("a file where the store folder should be")  # every read of the store fails inside
    good = tmp_path / "good.csv"
    good.write_bytes("指標ID,年月,実績値\nK1-1,2025-04,10\n".encode("cp932"))
    env = {"KPI_STORE": str(broken), "TMPDIR": str(tmp_path)}
    for args in (("import", str(good)), ("status", "--json"), ("history",)):
        r = run(*args, env=env)
        assert r.returncode == 3, (args, r.returncode, r.stderr)
        assert "内部エラー" in r.stderr and "ログ参照: E-" in r.stderr
        assert not INTERNALS.search(r.stderr + r.stdout), r.stderr
        ref = re.search(r"ログ参照: (E-[0-9-]+-[0-9a-f]+)", r.stderr).group(1)
        logged = (tmp_path / "kpi-logs" / f"{ref}.log").read_text(encoding="utf-8")  # the store is not writable: the temp folder
        assert "Traceback" in logged and "NotADirectoryError" in logged


def test_refused_usage_and_done_keep_their_codes(tmp_path):
    env = {"KPI_STORE": str(tmp_path / "store")}
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"indicator_id,month,value\nK9-9,2025-04,1\n")
    good = tmp_path / "good.csv"
    good.write_bytes(b"indicator_id,month,value\nK1-1,2025-04,1\n")
    assert run("import", str(bad), env=env).returncode == 1
    assert run("import", "--bogus", env=env).returncode == 2
    assert run("import", str(good), env=env).returncode == 0
    assert not (tmp_path / "store" / "logs").exists()


def test_the_readers_safety_net_speaks_japanese_and_logs_the_internals(sample_store, policy, tmp_path, monkeypatch, capsys):
    """The safety net used to say 「予期しないエラー: IndexError: …」. Now: Japanese, a reference, the traceback in the log."""
    import kpi.reader.validation as validation

    def broken(*_args, **_kwargs):
        raise IndexError("index 3 is out of bounds for axis 0 with size 3")

    monkeypatch.setattr(validation, "_check_months", broken)
    raw = b"indicator_id,month,value\nK1-1,2025-04,1\n"
    pv = importer.preview(sample_store, policy, raw, "a.csv")
    (p,) = pv.errors
    assert pv.internal and "管理者に連絡" in p.message and not INTERNALS.search(p.message)
    ref = re.search(r"参照番号 (R-[0-9a-f]+)", p.message).group(1)
    assert "IndexError" in (sample_store.root / "logs" / f"{ref}.log").read_text(encoding="utf-8")
    path = tmp_path / "a.csv"
    path.write_bytes(raw)
    before = sample_store.version()
    assert main(["import", str(path)]) == 3  # our defect, not the user's input
    err = capsys.readouterr().err
    assert "参照番号 R-" in err and not INTERNALS.search(err)
    assert sample_store.version() == before


@pytest.mark.parametrize("args", [("rollback", "20250101T000000000000Z-abcdef"), ("status", "--fy", "abc"), ("export", "--format", "gif")])
def test_other_refusals_and_usage_errors_say_nothing_internal(tmp_path, args):
    r = run(*args, env={"KPI_STORE": str(tmp_path / "store")})
    assert r.returncode in (1, 2) and not INTERNALS.search(r.stderr), r.stderr
