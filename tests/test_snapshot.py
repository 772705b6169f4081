"""What a meeting saw, again, exactly (issue 20 point 6): rebuild materials from the store as known at a past moment.

A deck, a workbook and ``status --json`` are made; then an actual is corrected, a batch rolled back,
a 前年度実績 entered, a grade overridden and a check-in written; rebuilt for the first moment
(from the 記録番号 printed in the deck's footer, or from a date-time), every number and status is equal.
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import pytest
from pg import STORE_KINDS

from conftest import ROOT, pptx_text
from kpi import checkins, export, fiscal, provenance
from kpi import evaluation as ev
from kpi.export import images
from kpi.importer import commit, preview
from kpi.store.snapshot import parse_moment

SCOPE = export.Scope(2025, (), "2025-09", tuple(export.DEFAULT_SECTIONS))
needs_browser = pytest.mark.skipif(not images.available(), reason="no Chrome/Chromium for kaleido (.ci/run installs chromium)")


def deck_texts(data: bytes) -> tuple[list[str], str]:
    """Each slide's text without the provenance line, and that line (from the first slide)."""
    from pptx import Presentation

    slides, line = [], ""
    for slide in Presentation(io.BytesIO(data)).slides:
        lines = pptx_text(slide).split("\n")
        line = line or next((t for t in lines if t.startswith(provenance.PREFIX)), "")
        slides.append("\n".join(t for t in lines if not t.startswith(provenance.PREFIX)))
    return slides, line


def workbook_cells(data: bytes) -> dict[str, list]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def status(store, *extra: str) -> list[dict]:
    env = os.environ | {"KPI_STORE": str(store.root), "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "kpi", "status", "--fy", "2025", "--as-of", "2025-09", "--json", *extra], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def change_everything(store, policy) -> None:
    """What happens after a meeting: a correction, a rollback, a baseline, an override and a check-in."""
    sample = store.batches()[-1].batch_id
    pv = preview(store, policy, b"indicator_id,month,value\nK1-1,2025-09,1\nK4-3,2025-08,0\n", "fix.csv")
    assert pv.ok, pv.errors
    fix = commit(store, pv, "担当")
    store.rollback(sample, "担当", "誤り")
    store.restore(sample, "担当")
    store.rollback(fix, "担当")
    pv = preview(store, policy, b"indicator_id,month,value\nK2-2,2025-09,99999\n", "fix2.csv")
    commit(store, pv, "担当")
    for iid in policy.indicators:
        ev.set_previous(store, 2025, iid, 1, "担当", "後から入力")
    ev.set_override(store, 2025, "K4-3", "A", "理由", "担当")
    checkins.add(store, "K1-1", "2025-09", "後の要因", "後の対策", "担当")


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_workbook_and_status_rebuilt_as_known_at_the_meeting(sample_store, policy, monkeypatch):
    checkins.add(sample_store, "K1-1", "2025-09", "当時の要因", "当時の対策", "担当")
    m = export.gather(sample_store, policy, SCOPE)
    book, seen_status = export.build(m, "xlsx"), status(sample_store)
    moment = m.provenance.store_sequence
    change_everything(sample_store, policy)
    assert status(sample_store) != seen_status  # the changes do change what is shown today

    again = export.gather(sample_store.as_known_at(moment), policy, SCOPE)
    assert workbook_cells(export.build(again, "xlsx")) == workbook_cells(book)
    assert status(sample_store, "--as-known-at", str(moment)) == seen_status
    assert again.provenance.store_sequence == moment and again.provenance.known_at == f"S{moment}"
    assert f"記録番号 {moment}（記録番号 {moment} 時点の記録）" in again.provenance.footer() and "令和" in again.provenance.footer()

    from openpyxl import load_workbook

    props = load_workbook(io.BytesIO(book)).properties
    assert f"kpi_store_sequence={moment}" in props.keywords and props.subject.startswith(provenance.PREFIX)
    assert provenance.PREFIX in load_workbook(io.BytesIO(book))["指標"].oddFooter.center.text  # the sheet and the source stay on the left


def test_as_known_at_by_time(store, policy, monkeypatch):
    import kpi.store.folder as folder

    clock = {}
    monkeypatch.setattr(folder, "now_jst", lambda: clock["now"])
    for v, now in ((1, "2025-10-01T09:00:00+09:00"), (2, "2025-10-15T09:59:59+09:00"), (3, "2025-10-15T10:00:01+09:00")):
        clock["now"] = now
        commit(store, preview(store, policy, f"indicator_id,month,value\nK1-1,2025-09,{v}\n".encode(), "a.csv"), "u")
    assert [a.value for a in store.as_known_at("2025-10-15T10:00").current()] == [2.0]
    assert [a.value for a in store.as_known_at("2025-10-15").current()] == [3.0]  # a date alone: the end of that day
    assert store.as_known_at("2025-09-30").current() == []
    with pytest.raises(ValueError, match="日時.*記録番号"):
        parse_moment("来週")


@needs_browser
@pytest.mark.xdist_group("kaleido")
def test_deck_rebuilt_from_the_footer_is_the_same_deck(sample_store, policy, tmp_path):
    m = export.gather(sample_store, policy, SCOPE)
    first, line = deck_texts(export.build(m, "pptx"))
    moment = int(re.search(r"記録番号 (\d+)", line).group(1))  # read back from the deck, as a clerk would
    change_everything(sample_store, policy)
    now, _ = deck_texts(export.build(export.gather(sample_store, policy, SCOPE), "pptx"))
    assert now != first

    out = tmp_path / "rebuilt.pptx"
    env = os.environ | {"KPI_STORE": str(sample_store.root), "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "kpi", "export", "--format", "pptx", "--out", str(out), "--fy", "2025", "--as-of", "2025-09",
                        "--as-known-at", str(moment)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    rebuilt, rebuilt_line = deck_texts(out.read_bytes())
    assert rebuilt == first  # every number, status and text on every slide
    assert f"記録番号 {moment}" in rebuilt_line and "時点" not in line
    from pptx import Presentation

    props = Presentation(str(out)).core_properties
    assert f"kpi_store_sequence={moment}" in props.keywords
    made = provenance.materials(sample_store)
    assert made[0]["file_name"] == "rebuilt.pptx" and made[0]["source"] == "cli" and made[0]["provenance"]["store_sequence"] == moment


def test_materials_page_makes_files_as_known_at_a_moment_and_history_lists_them(tmp_path, monkeypatch):
    import datetime as dt

    from streamlit.testing.v1 import AppTest

    from kpi.store import JST, Store

    root = tmp_path / "store"
    monkeypatch.setenv("KPI_STORE", str(root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["as_of"] = "2025-09"
    at.run()  # the first start loads the sample actuals, now
    at.switch_page("app_pages/materials.py")
    at.run()
    at.checkbox(key="mat_known").check()
    at.run()
    yesterday = dt.datetime.now(JST).date() - dt.timedelta(days=1)
    at.date_input(key="mat_known_day").set_value(yesterday)
    for key in export.FORMATS:
        at.checkbox(key=f"mat_format_{key}").set_value(key == "xlsx")
    at.run()
    assert f"{fiscal.date_label(yesterday.isoformat())} " in "\n".join(c.value for c in at.caption)
    assert "時点（記録番号 0）の記録で作ります" in "\n".join(c.value for c in at.caption)
    at.button(key="mat_make").click()
    at.run()
    assert not at.exception, at.exception
    assert len(at.download_button) == 1
    made = provenance.materials(Store(root))
    assert len(made) == 1 and made[0]["format"] == "xlsx" and made[0]["file_name"].endswith(".xlsx")
    assert made[0]["provenance"]["store_sequence"] == 0 and made[0]["provenance"]["known_at"].startswith(f"{yesterday:%Y-%m-%d}T")

    at.checkbox(key="mat_known").uncheck()  # today's records: made from everything registered (the sample)
    at.run()
    at.button(key="mat_make").click()
    at.run()
    made = provenance.materials(Store(root))
    assert len(made) == 2 and made[0]["provenance"]["store_sequence"] >= 1 and made[0]["provenance"]["known_at"] == ""

    at.switch_page("app_pages/history.py")
    at.run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "形式" in d.value.columns)
    assert list(table["ファイル名"]) == [made[0]["file_name"], made[1]["file_name"]]
    assert list(table["時点"])[1].startswith(fiscal.date_label(yesterday.isoformat()))
    assert list(table["記録番号"]) == [made[0]["provenance"]["store_sequence"], 0]


def test_history_lists_the_baseline_entered_later(sample_store, policy, monkeypatch):
    """Entering 前年度実績 (which moves the pace's 起点) is an event on 履歴, with who, when and what."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT
    from kpi import evaluation as ev

    ev.set_previous(sample_store, 2025, "K1-1", 1500, "担当者A", "令和6年度末の実績")
    ev.set_override(sample_store, 2025, "K2-2", "A", "年度末に確認", "担当者B")
    monkeypatch.setenv("KPI_STORE", str(sample_store.root))
    at = AppTest.from_file(str(ROOT / "app_pages" / "history.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "内容" in d.value.columns)
    assert list(table["記入者"]) == ["担当者B", "担当者A"]  # newest first
    assert "K1-1 の前年度実績を 1,500 と入力: 令和6年度末の実績" in list(table["内容"])
    assert list(table["年度"]) == ["令和7年度", "令和7年度"]
