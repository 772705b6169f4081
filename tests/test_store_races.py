"""Races: 登録 commits only what the preview showed (finding 5), a rollback or restore changes state exactly once
(finding 8), concurrent command-line imports with rollbacks leave a consistent store."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from pg import STORE_KINDS

from conftest import ROOT
from kpi import importer
from kpi.store import ROLLBACK, Store, StoreError

TODAY = dt.date(2025, 10, 15)
pytestmark = pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)  # folder and PostgreSQL


def csv(*lines: str) -> bytes:
    return ("indicator_id,month,value,numerator,denominator,note\n" + "".join(line + "\n" for line in lines)).encode()


def put(store: Store, policy, *lines: str, user: str = "t") -> str:
    pv = importer.preview(store, policy, csv(*lines), "a.csv", today=TODAY)
    assert pv.ok, pv.errors
    return importer.commit(store, pv, user)


def value(store: Store, iid: str, month: str) -> float | None:
    rows = [a for a in store.current(month, month) if a.indicator_id == iid]
    return rows[0].value if rows else None


# --- finding 5 ---------------------------------------------------------------------------------

def test_finding5_a_stale_preview_is_refused_and_writes_nothing(store, policy):
    """Finding 5: preview, another import changes the same indicator and month, then 登録: the preview used to win silently."""
    put(store, policy, "K1-1,2025-04,100,,,")
    pv = importer.preview(store, policy, csv("K1-1,2025-04,150,,,ブラウザ", "K1-1,2025-05,7,,,"), "browser.csv", today=TODAY)
    assert pv.summary()["changed"] == 1
    put(store, policy, "K1-1,2025-04,200,,,CLI")  # the scheduled job, between preview and 登録
    versions = store.version()
    with pytest.raises(ValueError, match="プレビューの後に.*K1-1 令和7年4月.*もう一度プレビュー"):  # importer.StalePreview
        importer.commit(store, pv, "browser")
    assert store.version() == versions and value(store, "K1-1", "2025-04") == 200
    again = importer.preview(store, policy, pv.raw, pv.file_name, today=TODAY)  # a new preview shows the CLI's value and commits
    assert importer.change_table(again, policy)[0]["変更前"] == "200"
    importer.commit(store, again, "browser")
    assert value(store, "K1-1", "2025-04") == 150


def test_a_rollback_since_the_preview_is_a_change_too(store, policy):
    bid = put(store, policy, "K1-1,2025-04,100,,,")
    pv = importer.preview(store, policy, csv("K1-1,2025-04,100,,,"), "same.csv", today=TODAY)
    assert pv.summary()["unchanged"] == 1
    store.rollback(bid, "other")
    with pytest.raises(ValueError, match="プレビューの後に"):
        importer.commit(store, pv, "browser")


def test_changes_elsewhere_do_not_stop_a_commit(store, policy):
    put(store, policy, "K1-1,2025-04,100,,,")
    pv = importer.preview(store, policy, csv("K1-1,2025-04,150,,,"), "mine.csv", today=TODAY)
    put(store, policy, "K4-3,2025-04,5,,,", "K1-1,2025-06,1,,,")  # other indicators, other months
    importer.commit(store, pv, "browser")
    assert value(store, "K1-1", "2025-04") == 150


# --- finding 8 ---------------------------------------------------------------------------------

def test_finding8_two_rollbacks_of_one_batch_at_the_same_moment_one_wins(store, policy):
    """Finding 8: concurrent rollbacks of one batch used to both succeed and write two events."""
    batches = [put(store, policy, f"K4-3,2025-{m:02d},{m},,,") for m in range(4, 10)]
    for bid in batches:
        barrier, outcomes = threading.Barrier(6), []

        def roll(bid=bid, barrier=barrier, outcomes=outcomes):
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
        assert outcomes.count("ok") == 1, outcomes
        assert all("既に取り消し済み" in o or "同時に" in o for o in outcomes if o != "ok")
        assert [e["type"] for e in store.events() if e["batch_id"] == bid] == [ROLLBACK]


ROLLER = r"""
import sys, time
from kpi.store import Store, StoreError
s, start = Store(sys.argv[1]), float(sys.argv[2])
while time.time() < start:
    pass
try:
    s.rollback(sys.argv[3], "proc")
    print("ok")
except StoreError:
    print("refused")
"""


def test_rollbacks_racing_in_separate_processes_land_once(store, policy):
    bid = put(store, policy, "K4-3,2025-04,1,,,")
    start = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, "-c", ROLLER, str(store.root), str(start), bid], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env=os.environ | {"PYTHONPATH": str(ROOT)}) for _ in range(4)]
    outs = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outs == ["ok", "refused", "refused", "refused"]
    assert len([e for e in store.events() if e["batch_id"] == bid]) == 1


# --- many processes at once ----------------------------------------------------------------------

def test_concurrent_imports_and_rollbacks_leave_a_consistent_store(store, policy, tmp_path):
    """Six command-line imports over the same indicators and months, two rollback jobs racing them; afterwards every
    value is the one of the newest active batch, recomputed here from the batches and events themselves."""
    first = put(store, policy, *(f"K4-3,2025-{m:02d},1,,," for m in range(4, 10)))
    env = os.environ | {"KPI_STORE": str(store.root)}
    procs = []
    for k in range(6):
        path = tmp_path / f"job{k}.csv"
        path.write_bytes(csv(*(f"K4-3,2025-{m:02d},{10 * (k + 1) + m},,," for m in range(4 + k % 3, 10)), f"K2-4,2025-0{4 + k},{k},,,"))
        procs.append(subprocess.Popen([sys.executable, "-m", "kpi", "import", str(path), "--json", "--user", f"job{k}"], cwd=ROOT, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    rollers = [subprocess.Popen([sys.executable, "-m", "kpi", "rollback", first], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    roll_codes = sorted(r.wait(timeout=120) for r in rollers)
    assert [p.returncode for p in procs] == [0] * 6, [o[0] for o in outs if "\"ok\": false" in o[0]]
    assert roll_codes == [0, 1]  # one rollback landed, the other was refused
    landed = {json.loads(o[0])["batch_id"] for o in outs}
    assert landed | {first} == {b.batch_id for b in store.batches()}
    # recompute "newest active batch wins" by hand
    inactive = store.inactive_ids()
    expected: dict[tuple[str, str], float] = {}
    for b in sorted(store.batches(), key=lambda b: b.batch_id):
        if b.batch_id in inactive:
            continue
        for r in store.batch_frame(b.batch_id).itertuples():
            expected[(r.indicator_id, r.month)] = r.value
    assert {(a.indicator_id, a.month): a.value for a in store.current()} == expected
