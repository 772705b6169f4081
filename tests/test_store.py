"""The store of record: nothing lost, whole batches or none, concurrent writers, rollback and restore."""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pg import STORE_KINDS
from store_helpers import kill_mid_write, store_state

from conftest import ROOT, Server, goto, wait_ready
from kpi import db, importer
from kpi.evaluate import Actual
from kpi.store import FolderStore, Store, StoreError


def cli(*args: str, store: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = os.environ | {"KPI_STORE": str(store)}
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def value(store: Store, iid: str, month: str) -> float | None:
    rows = [a for a in store.current(month, month) if a.indicator_id == iid]
    return rows[0].value if rows else None


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_write_batch_keeps_everything(store):
    raw = "指標ID,年月,実績値\nK1-1,2025-04,100\n".encode("cp932")
    bid = store.write_batch(raw, "/tmp/some/dir/実績.csv", [Actual("K1-1", "2025-04", 100.0)], "担当者", counts={"新規": 1})
    b = store.batch(bid)
    assert (b.file_name, b.user, b.rows, b.size, b.active, b.source) == ("実績.csv", "担当者", 1, len(raw), True, "upload")
    assert b.sha256 == hashlib.sha256(raw).hexdigest()
    assert store.original(bid) == raw
    assert value(store, "K1-1", "2025-04") == 100.0
    assert store.batches()[0].record()["new"] == 1
    assert not isinstance(store, FolderStore) or not list(store.staging.iterdir())


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_refused_file_leaves_store_byte_for_byte_unchanged(sample_store, policy, tmp_path):
    before = store_state(sample_store)
    bad = "指標ID,年月,実績値\nK1-1,2025-04,100\nK9-9,2025-05,1\nK1-1,2025-13,5\nK1-2,2025-05,abc\n".encode("cp932")
    pv = importer.preview(sample_store, policy, bad, "bad.csv")
    assert not pv.ok and len(pv.errors) >= 3
    with pytest.raises(ValueError):
        importer.commit(sample_store, pv, "x")
    path = tmp_path / "bad.csv"
    path.write_bytes(bad)
    r = cli("import", str(path), "--json", store=sample_store.root)
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["ok"] is False
    for junk in (b"", b"\x89PNG\r\n\x1a\n\x00\x00binary", "指標ID,年月,実績値\n".encode()):
        path.write_bytes(junk)
        assert cli("import", str(path), store=sample_store.root).returncode == 1
    assert store_state(sample_store) == before


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_rollback_and_restore_are_recorded_never_deleted(sample_store, policy):
    old = value(sample_store, "K1-1", "2026-03")
    pv = importer.preview(sample_store, policy, b"indicator_id,month,value\nK1-1,2026-03,9999\n", "fix.csv")
    assert pv.summary()["changed"] == 1
    bid = importer.commit(sample_store, pv, "担当")
    assert value(sample_store, "K1-1", "2026-03") == 9999
    files = set(store_state(sample_store, files=True))

    sample_store.rollback(bid, "担当", "誤り")
    assert value(sample_store, "K1-1", "2026-03") == old
    assert not sample_store.batch(bid).active
    with pytest.raises(StoreError, match="既に取り消し済み"):
        sample_store.rollback(bid, "担当")

    sample_store.restore(bid, "担当")
    assert value(sample_store, "K1-1", "2026-03") == 9999
    assert sample_store.batch(bid).active
    with pytest.raises(StoreError):
        sample_store.restore(bid, "担当")

    assert files <= set(store_state(sample_store, files=True))  # nothing deleted
    log = sample_store.event_log()
    assert [e["label"] for e in log] == ["元に戻す", "取り消し"]
    assert log[1]["reason"] == "誤り" and log[1]["file_name"] == "fix.csv"
    for bad_id in ("nope", "../batches", "20250101T000000000000Z-abcdef"):
        with pytest.raises(KeyError):
            sample_store.rollback(bad_id, "x")
        with pytest.raises(KeyError):
            sample_store.original(bad_id)


def test_cleanup_staging_removes_only_stale_entries(store):
    store.ensure()
    old_dir, old_file, young = store.staging / "old", store.staging / "old.json", store.staging / "young"
    old_dir.mkdir()
    (old_dir / "rows.csv").write_text("x")
    old_file.write_text("{}")
    young.mkdir()
    (young / "rows.csv").write_text("x")
    stale = time.time() - 2 * 3600
    for p in (old_dir / "rows.csv", old_dir, old_file):
        os.utime(p, (stale, stale))
    assert sorted(store.cleanup_staging(60)) == ["old", "old.json"]
    assert [p.name for p in store.staging.iterdir()] == ["young"]
    assert store.cleanup_staging(0) == ["young"]


WRITER = r"""
import sys
from kpi.evaluate import Actual
from kpi.store import Store
n = int(sys.argv[2])
rows = [Actual("K1-1", f"{1000 + i // 12:04d}-{i % 12 + 1:02d}", float(i), None, None, "メモ") for i in range(n)]
raw = ("indicator_id,month,value\n" + "".join(f"K1-1,{r.month},{r.value}\n" for r in rows)).encode()
s = Store(sys.argv[1])
print("ready", flush=True)
while True:
    s.write_batch(raw, "big.csv", rows, "kill-test")
"""


def check_complete(store: Store) -> int:
    """Every visible batch is whole: meta, original matching its sha256, every row readable."""
    batches = store.batches()
    for b in batches:
        folder = store.batches_dir / b.batch_id
        assert sorted(p.name for p in folder.iterdir()) == ["meta.json", "original", "rows.parquet"]
        assert hashlib.sha256(store.original(b.batch_id)).hexdigest() == b.sha256
        assert db.count_rows([str(folder / "rows.parquet")]) == b.rows
    assert db.count_rows(store.active_files()) == sum(b.rows for b in batches)
    return len(batches)


def test_sigkill_during_commit_leaves_whole_batch_or_none(store):
    """A real process writing big batches in a loop, SIGKILLed at random moments, again and again."""
    rng = random.Random(20250401)
    kills, interrupted = 12, 0
    store.ensure()
    for _ in range(kills):
        staged_before = set(os.listdir(store.staging))
        kill_mid_write(WRITER, store.root, 60000, rng.uniform(0.05, 1.2))
        interrupted += len(set(os.listdir(store.staging)) - staged_before)
    complete = check_complete(store)
    leftovers = os.listdir(store.staging)
    print(f"\nkill test: {kills} kills, {complete} complete batches, {interrupted} writes cut mid-batch (left in .staging)")
    assert complete >= 1
    assert interrupted >= 1, "no kill landed inside a write: the test proved nothing"
    # every writer is dead (its flock went with it): the next write's cleanup takes all of it at once, whatever its age
    assert sorted(store.cleanup_staging(60)) == sorted(leftovers)
    assert os.listdir(store.staging) == []
    assert check_complete(store) == complete


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_four_imports_at_once_all_land(store, tmp_path):
    env = os.environ | {"KPI_STORE": str(store.root)}
    files = []
    for k, iid in enumerate(("K1-1", "K2-2", "K4-3", "K4-7")):
        body = io.StringIO()
        body.write("指標ID,年月,実績値\n")
        for m in range(4, 13):
            body.write(f"{iid},2025-{m:02d},{(k + 1) * 10 + m}\n")
        path = tmp_path / f"import_{k}.csv"
        path.write_bytes(body.getvalue().encode("cp932"))
        files.append((iid, path))
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "kpi", "import", str(p), "--json", "--user", f"job{k}"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k, (_, p) in enumerate(files)]
    outs = [p.communicate(timeout=120) for p in procs]
    elapsed = time.perf_counter() - started
    print(f"\nfour concurrent imports: {elapsed:.2f} s wall")
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [o[1] for o in outs]
    ids = {json.loads(o[0])["batch_id"] for o in outs}
    assert len(ids) == 4 and ids == {b.batch_id for b in store.batches()}
    assert {b.user for b in store.batches()} == {"job0", "job1", "job2", "job3"}
    for k, (iid, _) in enumerate(files):
        assert value(store, iid, "2025-06") == (k + 1) * 10 + 6
    assert len(store.current()) == 36


@pytest.mark.browser
def test_cli_import_while_dashboard_runs_shows_on_next_rerun(tmp_path, page):
    root = tmp_path / "store"
    srv = Server(root)
    try:
        goto(page, f"{srv.url}/indicators?indicator=K1-1")
        card = page.locator(".st-key-indicator_detail")
        card.get_by_text("K1-1").first.wait_for(timeout=30000)
        assert "2,046" in card.inner_text()  # the sample's March figure
        path = tmp_path / "scheduled.csv"
        path.write_bytes("指標ID,年月,実績値,備考\nK1-1,2026-03,2345,定期取り込み\n".encode("cp932"))
        r = cli("import", str(path), "--user", "定期ジョブ", store=root)
        assert r.returncode == 0, r.stderr
        nav = page.get_by_role("navigation", name="ページ")  # the sidebar's list of pages (ui.page_list)
        nav.get_by_role("link", name="履歴", exact=True).click()  # a rerun of the same session
        page.locator("h1").filter(has_text="履歴").first.wait_for(timeout=60000)
        wait_ready(page)
        assert "scheduled.csv" in page.locator(".st-key-batch_detail").inner_text()
        nav.get_by_role("link", name="指標", exact=True).click()
        page.locator("h1").filter(has_text="指標").first.wait_for(timeout=60000)
        wait_ready(page)
        page.locator(".st-key-indicator_detail", has_text="2,345").wait_for(timeout=30000)
    finally:
        srv.stop()
