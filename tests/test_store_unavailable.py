"""A PostgreSQL store that does not answer: a Japanese message naming where (never the password), not a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

from kpi.cli import main

pytest.importorskip("psycopg")
ROOT = Path(__file__).resolve().parent.parent
CLOSED = "postgresql://kpi:secret@127.0.0.1:1/kpi"  # port 1: nothing listens, the connection is refused at once


def test_command_line_says_where_and_exits_refused(monkeypatch, capsys):
    monkeypatch.setenv("KPI_STORE", CLOSED)
    assert main(["status", "--fy", "2025"]) == 1
    err = capsys.readouterr().err
    assert "実績の保存先（PostgreSQL 127.0.0.1:1/kpi）に接続できません" in err and "Connection refused" in err
    assert "secret" not in err and "Traceback" not in err


def test_page_says_where_instead_of_failing(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KPI_STORE", CLOSED)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("PostgreSQL 127.0.0.1:1/kpi）に接続できません" in e for e in errors), errors
    assert not any("secret" in e for e in errors)
