"""ui.data.per_run: a value computed once per script run, and again in the next run (never kept across runs)."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from ui.data import per_run

    calls = st.session_state.setdefault("calls", [])

    def compute() -> int:
        calls.append(1)
        return len(calls)

    first, again = per_run("x", compute), per_run("x", compute)
    other = per_run("y", lambda: "y")
    st.text(f"{first} {again} {len(calls)} {other}")


def test_once_per_run_and_anew_in_the_next_run():
    at = AppTest.from_function(_script)
    at.run()
    assert at.text[0].value == "1 1 1 y"
    at.run()
    assert at.text[0].value == "2 2 2 y"  # the next run computes again (a change of secrets or catalog is seen)


def test_outside_a_run_it_computes_each_time():
    from ui.data import per_run

    calls = []
    assert [per_run("x", lambda: calls.append(1) or len(calls)) for _ in range(2)] == [1, 2]


def test_a_session_context_reused_by_the_next_run(monkeypatch):
    """A live server keeps one context per session and starts each run with new cursors (ScriptRunContext.reset)."""
    import types

    import ui.data

    ctx = types.SimpleNamespace(cursors={})
    monkeypatch.setattr(ui.data, "get_script_run_ctx", lambda suppress_warning=False: ctx)
    calls = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert [ui.data.per_run("x", compute) for _ in range(2)] == [1, 1]
    ctx.cursors = {}  # the next run
    assert [ui.data.per_run("x", compute) for _ in range(2)] == [2, 2]


def test_a_page_reads_the_store_version_once_per_run(tmp_path, monkeypatch):
    """Each read of the version is a listing of the store's folders (or a query): 指標 asked it five times a run."""
    from conftest import run_app
    from kpi.store.folder import FolderStore

    calls = []
    real = FolderStore.version
    monkeypatch.setattr(FolderStore, "version", lambda self: calls.append(1) or real(self))
    at = run_app("app_pages/indicators.py", tmp_path / "store", monkeypatch)
    assert not at.exception and at.subheader
    calls.clear()
    at.run()  # a rerun of the page, every cache already filled
    assert len(calls) == 1
