"""Finding 9: exit codes a scheduled job can act on — 0 done, 1 input refused (nothing written), 2 usage,
3 internal error (a Japanese message with a log reference) — and no Python internals in any message."""
from __future__ import annotations

import json
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


# --- issue 19, point 11: usage errors exit 2, a closed pipe is not an error --------------------------

@pytest.mark.parametrize("args", [
    ("status", "--fy", "99999"), ("status", "--fy", "-5"), ("status", "--fy", "1999"), ("status", "--fy", "2101"),
    ("actuals", "--fy", "0"), ("override", "K1-1", "--fy", "99999", "--grade", "A", "--reason", "r"),
    ("export", "--format", "csv", "--out", "x.csv", "--fy", "-5"), ("status", "--fy", "令和7"),
])
def test_years_outside_2000_to_2100_are_a_wrong_command_line(store, capsys, args):
    """`status --fy 99999` used to exit 3 (internal error); `--fy -5` printed 「平成-1993年度」."""
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "年度として使えません" in err and "2000〜2100" in err and "平成" not in err and not INTERNALS.search(err)
    assert not store.root.exists()


@pytest.mark.parametrize("year", ["2000", "2025", "2100"])
def test_years_within_the_bounds_are_taken(store, capsys, year):
    assert main(["status", "--fy", year, "--json"]) == 0
    assert capsys.readouterr().out.startswith("[")


@pytest.mark.parametrize("args", [("history",), ("actuals",), ("status",), ("status", "--json"), ("departments",)])
def test_a_closed_pipe_is_not_an_error(sample_store, args):
    """`python -m kpi history | head -1` used to end in an internal error (exit 3, a log entry) when head closed the pipe."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before anything is written: every write fails with EPIPE
    try:
        r = subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=os.environ | {"KPI_STORE": str(sample_store.root)},
                           stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no traceback, no "Exception ignored", no 内部エラー
    assert not (sample_store.root / "logs").exists()


def test_head_of_history_through_a_shell_pipe(sample_store):
    for _ in range(3):
        r = subprocess.run(["bash", "-c", f"{sys.executable} -m kpi actuals | head -1; exit ${{PIPESTATUS[0]}}"], cwd=ROOT,
                           env=os.environ | {"KPI_STORE": str(sample_store.root)}, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and len(r.stdout.splitlines()) == 1 and r.stderr == "", r.stderr


# --- issue 19, point 9: text that is not UTF-8 on the command line ----------------------------------

SJIS = "要因".encode("cp932").decode("utf-8", "surrogateescape")  # what Python makes of Shift_JIS bytes in argv


@pytest.mark.parametrize("args,option", [
    (("checkin", "K1-1", "--month", "2025-04", "--cause", SJIS, "--action", "対策"), "--cause"),
    (("checkin", "K1-1", "--month", "2025-04", "--cause", "要因", "--action", "対策", "--user", SJIS), "--user"),
    (("override", "K1-1", "--fy", "2025", "--grade", "A", "--reason", SJIS), "--reason"),
    (("override", SJIS, "--fy", "2025", "--grade", "A", "--reason", "理由"), "indicator"),
])
def test_text_in_another_encoding_is_refused_in_japanese(store, capsys, args, option):
    """checkin and override used to print Python's codec message ('utf-8' codec can't encode …)."""
    assert main(list(args)) == 1
    err = capsys.readouterr().err
    assert f"{option} の文字を読み取れません" in err and "codec" not in err and not INTERNALS.search(err)
    assert not store.root.exists()


def test_import_of_a_file_named_in_shift_jis(tmp_path):
    """The file's name in Shift_JIS (copied from a Windows share) used to fail with an internal error (exit 3)."""
    folder = os.fsencode(tmp_path)
    name = "実績_4月.csv".encode("cp932")
    with open(folder + b"/" + name, "wb") as fh:
        fh.write("指標ID,年月,実績値\nK1-1,2025-04,10\n".encode("cp932"))
    env = os.environ | {"KPI_STORE": str(tmp_path / "store")}
    r = subprocess.run([os.fsencode(sys.executable), b"-m", b"kpi", b"import", folder + b"/" + name], cwd=ROOT, env=env,
                       capture_output=True, timeout=120)
    out, err = r.stdout.decode("utf-8"), r.stderr.decode("utf-8")
    assert r.returncode == 0, err
    assert out.startswith("実績_4月.csv: 1行 令和7年4月（1か月・1指標） 新規1") and not INTERNALS.search(err)
    history = subprocess.run([sys.executable, "-m", "kpi", "history", "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    assert json.loads(history.stdout)[0]["file_name"] == "実績_4月.csv"


def test_a_login_name_in_shift_jis_is_recorded_as_text(tmp_path):
    """Without --user the login name is used; set in Shift_JIS it used to reach the record undecodable."""
    env = os.environ | {"KPI_STORE": str(tmp_path / "store")}
    env_bytes = {os.fsencode(k): os.fsencode(v) for k, v in env.items() if k not in ("USER", "LOGNAME", "LNAME", "USERNAME")}
    env_bytes[b"USER"] = "大阪".encode("cp932")
    r = subprocess.run([sys.executable, "-m", "kpi", "checkin", "K1-1", "--month", "2025-04", "--cause", "要因", "--action", "対策", "--json"],
                       cwd=ROOT, env=env_bytes, capture_output=True, timeout=120)
    out = json.loads(r.stdout.decode("utf-8"))
    assert r.returncode == 0 and out["ok"], r.stderr.decode("utf-8", "replace")
    from kpi import checkins

    (record,) = checkins.records(tmp_path / "store")
    assert "大阪" in str(record)
