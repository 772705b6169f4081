"""The store contract (kpi.store.base.StoreContract), the same tests against the folder store and PostgreSQL.

Append-only, one sequence, rollback / restore exactly once, records, the version as a cache key,
the stale-preview check inside the writing transaction, nothing partial after a killed writer,
the view as known at a past moment, and ``python -m kpi store copy`` between the two kinds.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from pg import STORE_KINDS

from conftest import ROOT
from kpi import checkins, importer
from kpi import evaluation as ev
from kpi.evaluate import Actual
from kpi.store import FolderStore, Store, StoreContract, StoreError, open_store
from kpi.store.copy import summary

pytestmark = pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)


def csv(*lines: str) -> bytes:
    return ("indicator_id,month,value,numerator,denominator,note\n" + "".join(line + "\n" for line in lines)).encode()


def put(store: Store, policy, *lines: str, user: str = "t") -> str:
    pv = importer.preview(store, policy, csv(*lines), "a.csv")
    assert pv.ok, pv.errors
    return importer.commit(store, pv, user)


def value(store: Store, iid: str, month: str) -> float | None:
    rows = [a for a in store.current(month, month) if a.indicator_id == iid]
    return rows[0].value if rows else None


def test_both_kinds_implement_the_contract_and_reopen_from_their_address(store, store_kind):
    assert isinstance(store, StoreContract)
    assert isinstance(store, FolderStore) == (store_kind == "folder")
    again = open_store(str(store.root))
    assert type(again) is type(store) and again.root == store.root
    assert Store().root == store.root  # KPI_STORE (set by the fixture) names the same store


def test_write_read_rollback_restore_and_records(store, policy):
    raw = "指標ID,年月,実績値,備考\nK1-1,2025-04,100,\"引用\"\"と\n改行\"\n".encode("cp932")
    rows = [Actual("K1-1", "2025-04", 100.0, None, None, '引用"と\n改行'), Actual("K1-2", "2025-04", 22.4, 448.0, 2000.0, "")]
    bid = store.write_batch(raw, "/somewhere/実績.csv", rows, "担当", counts={"新規": 2})
    b = store.batch(bid)
    assert (b.file_name, b.user, b.rows, b.size, b.active, b.counts) == ("実績.csv", "担当", 2, len(raw), True, {"新規": 2})
    assert store.original(bid) == raw
    assert [(a.indicator_id, a.value, a.numerator, a.denominator, a.note, a.batch_id) for a in store.current()] == [
        ("K1-1", 100.0, None, None, '引用"と\n改行', bid), ("K1-2", 22.4, 448.0, 2000.0, "", bid)]
    store.rollback(bid, "担当", "誤り")
    assert not store.batch(bid).active and store.current() == []
    with pytest.raises(StoreError, match="既に取り消し済み"):
        store.rollback(bid, "担当")
    store.restore(bid, "担当")
    assert store.batch(bid).active and len(store.current()) == 2
    assert [e["label"] for e in store.event_log()] == ["元に戻す", "取り消し"]
    rid = store.append_record("evaluation", {"type": "text", "fiscal_year": 2025, "key": "self_evaluation", "text": "一", "user": "u"})
    assert [r["record_id"] for r in store.records("evaluation")] == [rid] and store.records("nothing") == []
    seqs = [store.batch(bid).batch_id, *(e["event_id"] for e in store.events()), rid]
    assert [int(s[1:13]) for s in seqs] == [1, 2, 3, 4] and store.last_sequence() == 4  # one sequence for everything
    for bad in ("nope", "../batches", "S000000000009-abcdef"):
        with pytest.raises(KeyError):
            store.rollback(bad, "x")
        with pytest.raises(KeyError):
            store.original(bad)


def test_coverage_says_the_months_and_indicators_of_every_batch_rolled_back_or_not(store):
    first = store.write_batch(b"x", "a.csv", [Actual("K1-1", m, 1.0, None, None, "") for m in ("2025-04", "2025-06", "2026-03")]
                              + [Actual("K1-2", "2025-05", 2.0, None, None, "")], "u")
    second = store.write_batch(b"y", "b.csv", [Actual("K4-3", "2026-04", 3.0, None, None, "")], "u")
    store.rollback(first, "u")
    assert {bid: (c.first, c.last, c.months, c.indicators) for bid, c in store.coverage().items()} == {
        first: ("2025-04", "2026-03", 4, 2), second: ("2026-04", "2026-04", 1, 1)}
    assert set(store.as_known_at(1).coverage()) == {first}


def test_a_preview_says_the_coverage_that_the_stored_batch_then_has(store, policy):
    """One fact on both sides: the upload's preview (before 登録) and 履歴 (after) say the same months and indicators."""
    pv = importer.preview(store, policy, csv("K1-1,2025-06,1,,,", "K1-1,2025-04,2,,,", "K4-3,2026-02,3,,,"), "a.csv")
    assert (pv.coverage.first, pv.coverage.last, pv.coverage.months, pv.coverage.indicators) == ("2025-04", "2026-02", 3, 2)
    bid = importer.commit(store, pv, "u")
    assert store.coverage() == {bid: pv.coverage}


def test_version_changes_whenever_something_that_is_shown_lands(store, policy):
    seen = {store.version()}
    bid = put(store, policy, "K1-1,2025-04,1")
    for write in (lambda: store.rollback(bid, "u"), lambda: store.restore(bid, "u"),
                  lambda: ev.set_text(store, 2025, "future_policy", "方針", "u"),
                  lambda: checkins.add(store, "K1-1", "2025-04", "要因", "対策", "u"), lambda: put(store, policy, "K1-1,2025-05,2")):
        write()
        assert store.version() not in seen
        seen.add(store.version())
    before = store.version()
    store.append_record("materials", {"file_name": "deck.pptx", "user": "u"})  # a file made changes no number
    assert store.version() == before


def test_versions_of_many_stores_at_once_equal_each_stores_own(store, policy):
    """市全体 asks every department's version on each run: one query per database, the same answers."""
    from kpi.store import versions

    others = [Store(f"{store.root}/dept{n}") for n in range(3)]  # departments' stores: name spaces, or sub-folders
    put(others[1], policy, "K1-1,2025-04,1")
    put(store, policy, "K1-1,2025-04,2")
    stores = [store, *others]
    assert versions(stores) == [s.version() for s in stores]
    got = versions(stores)
    assert got[0] != got[1] and got[2] != got[1] and got[1] == got[3]  # written ≠ never written (cache keys hold the store too)


def test_a_stale_preview_is_refused_inside_the_writing_transaction(store, policy):
    put(store, policy, "K1-1,2025-04,100,,,")
    pv = importer.preview(store, policy, csv("K1-1,2025-04,150,,,"), "browser.csv")
    put(store, policy, "K1-1,2025-04,200,,,")
    before = summary(store)
    with pytest.raises(ValueError, match="プレビューの後に"):
        importer.commit(store, pv, "browser")
    assert summary(store) == before and value(store, "K1-1", "2025-04") == 200


def test_a_refusing_check_writes_nothing_and_uses_no_number(store):
    def refuse():
        raise StoreError("権限がありません")

    with pytest.raises(StoreError, match="権限"):
        store.write_batch(b"x", "a.csv", [Actual("K1-1", "2025-04", 1.0)], "u", check=refuse)
    assert store.is_empty() and store.last_sequence() == 0
    assert int(store.write_batch(b"x", "a.csv", [Actual("K1-1", "2025-04", 1.0)], "u")[1:13]) == 1


def test_six_threads_rolling_back_one_batch_one_wins(store, policy):
    bid = put(store, policy, "K4-3,2025-04,1,,,")
    barrier, outcomes = threading.Barrier(6), []

    def roll():
        barrier.wait()
        try:
            store.rollback(bid, "racer")
            outcomes.append("ok")
        except StoreError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=roll) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1 and len(outcomes) == 6, outcomes  # the others refused in Japanese, none crashed
    assert all("既に取り消し済み" in o or "同時に" in o for o in outcomes if o != "ok")
    assert [e["type"] for e in store.events()] == ["rollback"]


CLAIMER = r"""
import sys, time
from kpi.store import Store
s, start = Store(sys.argv[1]), float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
print(" ".join(str(s.claim_sequence()) for _ in range(int(sys.argv[3]))))
"""


def test_sequence_numbers_are_unique_across_processes(store):
    store.ensure()
    start = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(store.root), str(start), "25"], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env=os.environ | {"PYTHONPATH": str(ROOT)}) for _ in range(4)]
    got = [int(n) for p in procs for n in p.communicate(timeout=120)[0].split()]
    assert sorted(got) == list(range(1, 101))


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


def test_a_killed_writer_leaves_whole_batches_or_none(store):
    """A real process writing 60,000-row batches in a loop, SIGKILLed at random moments."""
    rng = random.Random(20250401)
    store.ensure()
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(store.root), "60000"], cwd=ROOT, stdout=subprocess.PIPE,
                                env=os.environ | {"PYTHONPATH": str(ROOT)})
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.3, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    shutil.rmtree(os.environ.get("KPI_STORE_CACHE", "/nonexistent"), ignore_errors=True)  # PostgreSQL: rows fetched again
    fresh = Store(str(store.root))  # as another server would see it
    batches = fresh.batches()
    for b in batches:
        assert len(fresh.batch_frame(b.batch_id)) == b.rows == 60000
    assert len(fresh.current()) == (60000 if batches else 0)
    assert fresh.write_batch(b"x", "after.csv", [Actual("K1-1", "2025-04", 1.0)], "u")  # the store still takes writes


def test_as_known_at_ignores_later_imports_rollbacks_records_and_checkins(store, policy):
    first = put(store, policy, "K1-1,2025-04,100,,,", "K4-3,2025-04,5,,,")
    ev.set_text(store, 2025, "self_evaluation", "当時の文章", "u")
    checkins.add(store, "K1-1", "2025-04", "当時の要因", "当時の対策", "u")
    moment = store.last_sequence()
    seen = (store.current(), [b.record() for b in store.batches()], ev.records(store), checkins.records(store))

    put(store, policy, "K1-1,2025-04,999,,,")  # a correction
    store.rollback(first, "u")  # a rollback of what the meeting saw
    ev.set_previous(store, 2025, "K1-1", 42, "u")  # a baseline entered later
    ev.set_override(store, 2025, "K4-3", "A", "理由", "u")
    checkins.add(store, "K1-1", "2025-04", "後の要因", "後の対策", "u")
    assert value(store, "K1-1", "2025-04") == 999

    then = store.as_known_at(moment)
    assert (then.current(), [b.record() for b in then.batches()], ev.records(then), checkins.records(then)) == seen
    assert then.event_log() == [] and then.last_sequence() == moment
    with pytest.raises(StoreError, match="表示専用"):
        ev.set_text(then, 2025, "self_evaluation", "x", "u")
    with pytest.raises(StoreError, match="表示専用"):
        then.rollback(first, "u")
    # by time: everything written so far is known now, nothing before the first write
    assert store.as_known_at("2000-01-01T00:00").batches() == []
    assert len(store.as_known_at("2999-01-01").batches()) == 2


def test_store_copy_between_kinds_is_verified(store, store_kind, policy, pg_server, tmp_path):
    bid = put(store, policy, "K1-1,2025-04,100,,,メモ", "K1-2,2025-04,,448,2000,")
    store.rollback(bid, "u")
    store.restore(bid, "u")
    put(store, policy, "K4-3,2025-05,7,,,")
    ev.set_override(store, 2025, "K4-3", "A", "理由", "u")
    checkins.add(store, "K1-1", "2025-04", "要因", "対策", "u")
    other = str(tmp_path / "copied") if store_kind == "postgresql" else pg_server.fresh()
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "kpi", "store", "copy", str(store.root), other, "--json"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] and out["source"] == out["target"]
    assert (out["target"]["batches"], out["target"]["rows"], out["target"]["events"], out["target"]["evaluation"],
            out["target"]["checkins"]) == (2, 3, 2, 1, 1)
    copied = open_store(other)
    assert copied.current() == store.current() and copied.last_sequence() == store.last_sequence()
    assert [b.record() for b in copied.batches()] == [b.record() for b in store.batches()]
    # and it goes on from there: the next number follows the copied ones
    assert int(copied.append_record("evaluation", {"type": "text"})[1:13]) == store.last_sequence() + 1
    again = subprocess.run([sys.executable, "-m", "kpi", "store", "copy", str(store.root), other], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "空ではありません" in again.stderr  # never into a store that holds something


def test_postgresql_rows_table_holds_the_same_rows_and_refuses_changes(store, store_kind):
    if store_kind != "postgresql":
        pytest.skip("PostgreSQL only: its rows table and its append-only trigger")
    import psycopg

    rows = [Actual("K1-1", "2025-04", 1.5, None, None, 'カンマ,引用"符\n改行'), Actual("K1-2", "2025-04", 0.0, 0.0, 7.0, ""),
            Actual("K4-3", "2025-05", -0.0, None, None, " 前後の空白 ")]
    bid = store.write_batch(b"raw", "a.csv", rows, "u")
    assert store.rows_from_table(bid).to_pylist() == store._fetch_rows(bid).to_pylist()  # kpi_rows = the cached Parquet
    assert [r["note"] for r in store.rows_from_table(bid).to_pylist()] == ['カンマ,引用"符\n改行', "", " 前後の空白 "]
    with psycopg.connect(store.conninfo, autocommit=True) as conn:
        for statement in ("UPDATE kpi_rows SET value = 0", "DELETE FROM kpi_batches", "DELETE FROM kpi_events", "TRUNCATE kpi_records"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)
    assert store.batch_frame(bid)["value"].tolist() == [1.5, 0.0, -0.0]


def test_the_pages_show_the_same_on_both_kinds(sample_store, monkeypatch):
    from conftest import run_app

    at = run_app("app_pages/indicators.py", sample_store.root, monkeypatch, indicator="K1-1")
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "2,046" in text  # the sample's March figure, read through this kind of store
    at = run_app("app_pages/history.py", sample_store.root, monkeypatch)
    assert list(at.dataframe[0].value["バッチID"]) == [b.batch_id for b in sample_store.batches()]
