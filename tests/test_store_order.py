"""Order in the store comes from one sequence claimed atomically in the store, never from a clock (finding 6),
and stores written before it (rows.csv, wall-clock ids) keep working."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import types

import pytest
from pg import STORE_KINDS

from conftest import ROOT
from kpi import evaluation as ev
from kpi import importer
from kpi.store import FolderStore, Store

TODAY = dt.date(2025, 10, 15)


def put(store: Store, policy, line: str, user: str = "t") -> str:
    pv = importer.preview(store, policy, f"indicator_id,month,value\n{line}\n".encode(), "a.csv", today=TODAY)
    assert pv.ok, pv.errors
    return importer.commit(store, pv, user)


def value(store: Store, iid: str, month: str) -> float | None:
    rows = [a for a in store.current(month, month) if a.indicator_id == iid]
    return rows[0].value if rows else None


def _clock(monkeypatch, module, offset: dt.timedelta) -> None:
    """Make ``module``'s clock run ``offset`` off (a machine whose clock differs), without touching datetime itself."""
    real = dt.datetime

    class Skewed(real):
        @classmethod
        def now(cls, tz=None):
            return real.now(tz) + offset

    monkeypatch.setattr(module, "dt", types.SimpleNamespace(**{k: getattr(dt, k) for k in dir(dt) if not k.startswith("_")} | {"datetime": Skewed}))


def test_finding6_an_import_from_a_machine_whose_clock_is_behind_takes_effect(store, policy, monkeypatch):
    """Finding 6: a batch written with a clock 2 minutes behind used to report 変更 1 and never take effect."""
    import kpi.store.folder as store_module

    put(store, policy, "K1-1,2025-04,100")
    _clock(monkeypatch, store_module, -dt.timedelta(minutes=2))
    pv = importer.preview(store, policy, b"indicator_id,month,value\nK1-1,2025-04,200\n", "late.csv", today=TODAY)
    assert pv.summary()["changed"] == 1
    bid = importer.commit(store, pv, "behind")
    assert value(store, "K1-1", "2025-04") == 200
    assert store.batches()[0].batch_id == bid  # newest first, whatever the clock said
    _clock(monkeypatch, store_module, dt.timedelta(days=365))  # and a clock far ahead does not freeze later writes out
    put(store, policy, "K1-1,2025-04,300")
    monkeypatch.undo()
    put(store, policy, "K1-1,2025-04,400")
    assert value(store, "K1-1", "2025-04") == 400


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_batches_events_and_records_share_one_sequence(store, policy):
    b1 = put(store, policy, "K1-1,2025-04,1")
    r1 = ev.set_text(store, 2025, "self_evaluation", "一", "u")
    e1 = store.rollback(b1, "u")
    b2 = put(store, policy, "K1-1,2025-05,2")
    r2 = ev.set_text(store, 2025, "self_evaluation", "二", "u")
    ids = [b1, r1, e1, b2, r2]
    assert ids == sorted(ids)  # the ids sort in the order the writes landed
    seqs = [int(i[1:13]) for i in ids]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    assert [r.text for r in ev.records(store)] == ["一", "二"]
    assert store.last_sequence() == seqs[-1]
    assert not isinstance(store, FolderStore) or sorted(os.listdir(store.sequence_dir)) == [f"{n:012d}" for n in seqs]


@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)
def test_version_changes_whenever_anything_lands(store, policy):
    seen = {store.version()}
    bid = put(store, policy, "K1-1,2025-04,1")
    for write in (lambda: store.rollback(bid, "u"), lambda: store.restore(bid, "u"),
                  lambda: ev.set_text(store, 2025, "future_policy", "方針", "u"), lambda: put(store, policy, "K1-1,2025-05,2")):
        write()
        assert store.version() not in seen
        seen.add(store.version())


CLAIMER = r"""
import sys, time
from kpi.store import Store
s = Store(sys.argv[1])
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
print(" ".join(str(s.claim_sequence()) for _ in range(int(sys.argv[3]))))
"""


def test_sequence_numbers_are_unique_across_processes(tmp_path):
    root = tmp_path / "store"
    Store(root).ensure()
    import time

    start = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(root), str(start), "40"], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env=os.environ | {"PYTHONPATH": str(ROOT)}) for _ in range(4)]
    got = [int(n) for p in procs for n in p.communicate(timeout=60)[0].split()]
    assert sorted(got) == list(range(1, 161))  # 160 claims, each number once, no gaps


def test_a_store_written_before_parquet_and_sequences_still_reads(tmp_path, policy):
    """Stores in the field: rows.csv batches with wall-clock ids (one holding a 2 MB note), their events; new batches win."""
    root = tmp_path / "old"
    old_id, rolled_id = "20250501T000000000000Z-abcdef", "20250502T000000000000Z-123456"
    for bid, rows in ((old_id, [("K1-1", "2025-04", 100.0, "x" * 2_100_000), ("K4-3", "2025-04", 5.0, "")]),
                      (rolled_id, [("K4-3", "2025-04", 9.0, "")])):
        folder = root / "batches" / bid
        folder.mkdir(parents=True)
        (folder / "original").write_bytes(b"raw")
        lines = ["indicator_id,month,value,numerator,denominator,note,batch_id"] + [f"{i},{m},{v},,,{n},{bid}" for i, m, v, n in rows]
        (folder / "rows.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        meta = {"batch_id": bid, "user": "旧", "created_at": "2025-05-01T09:00:00+09:00", "file_name": "old.csv", "sha256": "0", "size": 3,
                "rows": len(rows), "sample": False, "source": "cli", "counts": {}}
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (root / "events").mkdir()
    event = {"event_id": "20250503T000000000000Z-fedcba", "type": "rollback", "batch_id": rolled_id, "user": "旧", "reason": "", "at": ""}
    (root / "events" / "20250503T000000000000Z-fedcba.json").write_text(json.dumps(event), encoding="utf-8")
    store = Store(root)
    assert [b.batch_id for b in store.batches()] == [rolled_id, old_id] and not store.batch(rolled_id).active
    assert value(store, "K4-3", "2025-04") == 5.0 and len(store.current()[0].note) == 2_100_000
    new = put(store, policy, "K1-1,2025-04,150")
    assert store.batches()[0].batch_id == new and value(store, "K1-1", "2025-04") == 150
    assert {bid: (c.first, c.months, c.indicators) for bid, c in store.coverage().items()} == {  # 履歴's 対象, from rows.csv too
        old_id: ("2025-04", 1, 2), rolled_id: ("2025-04", 1, 1), new: ("2025-04", 1, 1)}
    store.restore(rolled_id, "新")  # a legacy batch's state changes like any other
    assert value(store, "K4-3", "2025-04") == 9.0
    with pytest.raises(Exception, match="取り消されていません"):
        store.restore(rolled_id, "新")
