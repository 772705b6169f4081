"""Reliability suite: no accepted file can break the dashboard.

A deterministic corpus (CSV canonical and wide, hand-made .xlsx, non-tables; ``store_helpers.corpus``) plus
hypothesis-generated files. Every input is either
  - refused: every message Japanese, located (a row ≥ 1, or the whole file), free of Python internals, the reader's
    safety net never needed, and the store byte for byte unchanged (a commit attempt writes nothing); or
  - accepted: committed, then read back — its rows finite and within the limits, evaluated and serialised as
    ``status --json`` and ``actuals --json`` do — and, every so often and at the end, the real commands
    (status, actuals, export csv and xlsx) and every page's AppTest run over the store holding all of them.
PowerPoint and PDF (Chromium) read the same kind of store in test_reliability_exports.py.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import corpus, snapshot

from conftest import run_app
from kpi import fiscal, importer
from kpi.cli import main
from kpi.evaluate import evaluate
from kpi.service import status_record
from kpi.store import Store, frame_to_actuals

pytestmark = pytest.mark.xdist_group("reliability")

SEED, N_CORPUS = 20250401, 2000
TODAY = dt.date(2025, 10, 15)
AS_OF = "2026-03"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
INTERNALS = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(Error|Exception)\b|予期しないエラー|File \"")
QUOTED = re.compile(r"「.*?」", re.S)
PAGES = ["app_pages/overview.py", "app_pages/budget.py", "app_pages/indicators.py", "app_pages/evaluation.py", "app_pages/upload.py", "app_pages/history.py",
         "app_pages/materials.py"]


def check_refusal(pv: importer.Preview, base: Store) -> None:
    assert pv.errors and not pv.ok
    assert not pv.internal, pv.errors  # the safety net is never needed
    for p in pv.errors:
        assert JAPANESE.search(p.message), p
        assert not INTERNALS.search(QUOTED.sub("", p.message)), p  # (a quoted cell may say anything)
        assert p.row is None or p.row >= 1, p
    with pytest.raises(ValueError):
        importer.commit(base, pv, "fuzz")


def check_batch(store: Store, policy, bid: str) -> int:
    """The batch's rows read back, evaluated and serialised as the commands do; returns its row count."""
    frame = store.batch_frame(bid)
    assert len(frame) and (frame["batch_id"] == bid).all()
    assert np.isfinite(frame["value"]).all() and (frame["value"].abs() <= 1e15).all()
    for col in ("numerator", "denominator"):
        parts = frame[col].dropna()
        assert np.isfinite(parts).all() and (parts.abs() <= 1e15).all()
    assert frame["note"].str.len().max() <= 1000 and frame["indicator_id"].isin(list(policy.indicators)).all()
    actuals = frame_to_actuals(frame)
    json.dumps([a.__dict__ for a in actuals], ensure_ascii=False, allow_nan=False)
    for fy in sorted({fiscal.fy_of_month(a.month) for a in actuals}):
        records = [status_record(r) for r in evaluate(policy, actuals, fy, fiscal.fy_months(fy)[-1])]
        json.dumps(records, ensure_ascii=False, allow_nan=False)
        assert all(r["value"] is None or math.isfinite(r["value"]) for r in records)
    return len(frame)


def no_constants(text: str):
    """json.loads that refuses Infinity and NaN (what `status --json` printed for finding 2)."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))


def check_commands(capsys, tmp: Path) -> None:
    """The real commands, in process, over the whole store (KPI_STORE is set by the fixture)."""
    capsys.readouterr()
    assert main(["status", "--json", "--fy", "2025", "--as-of", AS_OF]) == 0
    assert len(no_constants(capsys.readouterr().out)) >= 15
    assert main(["actuals", "--json"]) == 0
    no_constants(capsys.readouterr().out)
    for fmt, name in (("csv", "t.csv"), ("xlsx", "t.xlsx")):
        assert main(["export", "--format", fmt, "--out", str(tmp / name), "--fy", "2025", "--as-of", AS_OF]) == 0
        assert (tmp / name).stat().st_size > 0
    capsys.readouterr()


def _unchanged_marks(store: Store) -> tuple:
    """What any write would change: the landed writes (version), the sequence claims, the staging area."""
    return store.version(), tuple(sorted(p.name for p in store.sequence_dir.glob("*"))), tuple(sorted(p.name for p in store.staging.glob("*")))


ROTATE = 50  # accepted inputs per store: each read scans every batch, so the loop's cost stays linear
MAX_EXTREMES = 120
EXTREME = re.compile(r"[=+\-@*\[\]:<>`\x1b\u2028\u202e]")


def extreme(frame) -> bool:
    """Accepted rows at the edges: the largest numbers, the longest notes, notes that look like markup or formulas."""
    big = max(frame["value"].max(), frame["numerator"].max(skipna=True) if frame["numerator"].notna().any() else 0)
    return big >= 1e12 or frame["note"].str.len().max() >= 500 or frame["note"].str.contains(EXTREME).any()


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory, policy):
    """Run the whole corpus once. Refusals must leave the store as it was; acceptances land in it (a fresh store every
    ROTATE acceptances), and the extreme ones also in one store that the pages and every export then read."""
    root = tmp_path_factory.mktemp("reliability")
    stores, extremes = [Store(root / "s0")], Store(root / "extremes")
    stores[0].ensure()
    stats: Counter = Counter()
    started = time.perf_counter()
    for name, data in corpus(SEED, N_CORPUS):
        store = stores[-1]
        stats["inputs"] += 1
        marks = _unchanged_marks(store)
        full = snapshot(store.root) if stats["refused"] % 100 == 0 else None  # byte for byte, now and then
        pv = importer.preview(store, policy, data, name, today=TODAY)
        if not pv.ok:
            check_refusal(pv, store)
            assert _unchanged_marks(store) == marks
            assert full is None or snapshot(store.root) == full
            stats["refused"] += 1
            continue
        bid = importer.commit(store, pv, "fuzz")
        stats["rows"] += check_batch(store, policy, bid)
        stats["accepted"] += 1
        if stats["extreme"] < MAX_EXTREMES and extreme(pv.read.frame):
            importer.commit(extremes, pv, "fuzz", refresh=True)
            stats["extreme"] += 1
        if stats["accepted"] % ROTATE == 0:
            stores.append(Store(root / f"s{len(stores)}"))
            stores[-1].ensure()
    stats["seconds"] = round(time.perf_counter() - started, 1)
    return stores, extremes, stats


def test_corpus_every_input_refused_cleanly_or_readable(fuzzed):
    _, _, stats = fuzzed
    print(f"\nreliability corpus: {dict(stats)}")
    assert stats["inputs"] >= 2000 and stats["refused"] + stats["accepted"] == stats["inputs"]
    assert stats["accepted"] >= 300 and stats["refused"] >= 300 and stats["extreme"] == MAX_EXTREMES  # every outcome exercised
    assert stats["seconds"] < 60


def test_commands_read_every_fuzzed_store(fuzzed, monkeypatch, capsys, tmp_path):
    stores, extremes, _ = fuzzed
    for store in [*stores, extremes]:
        if store.is_empty():
            continue
        monkeypatch.setenv("KPI_STORE", str(store.root))
        check_commands(capsys, tmp_path)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_reads_the_extremes(fuzzed, page, monkeypatch):
    _, extremes, _ = fuzzed
    for fy in (2025, 2024):
        at = run_app(page, extremes.root, monkeypatch, fy=fy)  # asserts no exception
        assert not at.exception


@pytest.mark.skipif(not __import__("kpi.export.images", fromlist=["available"]).available(), reason="no Chrome/Chromium for kaleido")
def test_powerpoint_and_pdf_read_the_extremes(fuzzed, monkeypatch, tmp_path):
    from pptx import Presentation
    from pypdf import PdfReader

    _, extremes, _ = fuzzed
    monkeypatch.setenv("KPI_STORE", str(extremes.root))
    assert main(["export", "--format", "pptx", "--out", str(tmp_path / "d.pptx"), "--fy", "2025", "--as-of", AS_OF]) == 0
    assert len(Presentation(str(tmp_path / "d.pptx")).slides) >= 3
    assert main(["export", "--format", "pdf", "--out", str(tmp_path / "r.pdf"), "--fy", "2025", "--as-of", AS_OF]) == 0
    assert len(PdfReader(str(tmp_path / "r.pdf")).pages) >= 2


# --- hypothesis: hostile cells in otherwise good files ---------------------------------------------

NUMBER = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**20, 10**20).map(str),
                   st.sampled_from(["1e15", "1e16", "1e308", "9" * 30, "1,000,000,000,000,000", "0.000001", "-0", "1e-320", "25%", "完了"]))
NOTE = st.one_of(st.text(max_size=50), st.text(min_size=990, max_size=1010),
                 st.sampled_from(["=cmd|' /C calc'!A0", "**b**", "[x](javascript:alert(1))", ":material/home:", "\x1b[2J", "\u202e逆"]))
ROW = st.tuples(st.sampled_from(["K1-1", "K1-2", "K2-1", "K2-4", "K4-3", "K4-5", "k1-1", "K9-9"]),
                st.sampled_from(["2025-04", "2025/5", "令和7年6月", "R7.7", "2025-13", "2026-01", "2099-01"]),
                st.one_of(st.just(""), NUMBER), st.one_of(st.just(""), NUMBER), st.one_of(st.just(""), NUMBER), NOTE)


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=6), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16"]))
def test_hypothesis_hostile_cells_refused_cleanly_or_readable(policy, rows, encoding):
    lines = ["indicator_id,month,value,numerator,denominator,note"] + [",".join(_csv_cell(c) for c in row) for row in rows]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store")
        pv = importer.preview(store, policy, data, "h.csv", today=TODAY)
        if not pv.ok:
            check_refusal(pv, store)
            assert not store.root.exists()
            return
        bid = importer.commit(store, pv, "hypothesis")
        check_batch(store, policy, bid)
