"""Finding 10: what dead writers leave in .staging is cleared at the next write, and a live writer's files are never
touched (the writer holds an flock on its staging entry's lock file; a cleaner skips entries whose lock is held)."""
from __future__ import annotations

import os
import random
import subprocess
import sys

from store_helpers import kill_mid_write

from conftest import ROOT
from kpi import importer
from kpi.store import Store

WRITER = r"""
import sys
from kpi.evaluate import Actual
from kpi.store import Store
rows = [Actual("K1-1", f"{1000 + i // 12:04d}-{i % 12 + 1:02d}", float(i), None, None, "メモ" * 20) for i in range(int(sys.argv[2]))]
raw = b"x" * 2_000_000
s = Store(sys.argv[1])
print("ready", flush=True)
while True:
    s.write_batch(raw, "big.csv", rows, "kill-test")
"""

PAUSED = r"""
import sys
import kpi.store.folder as ks
from kpi.evaluate import Actual
real = ks._fsync_write
def paused(path, data):
    real(path, data)
    if path.name == "original":
        print("staged", flush=True)
        sys.stdin.readline()  # hold the write open until the test says so
ks._fsync_write = paused
s = ks.Store(sys.argv[1])
print(s.write_batch(b"raw", "live.csv", [Actual("K1-1", "2025-04", 1.0)], "live"), flush=True)
"""


def _staged(store: Store) -> set[str]:
    return set(os.listdir(store.staging)) if store.staging.exists() else set()


def test_finding10_leftovers_of_killed_imports_go_at_the_next_write(store, policy):
    """Finding 10: SIGKILLed imports used to leave their half-written folders for an hour (44 MB after 20 kills)."""
    rng = random.Random(10)
    store.ensure()
    # Each writer clears what the ones killed before it left, so what counts is the last kill: kill until one lands
    # inside a write (on a busy machine a kill can fall between two writes several times in a row).
    for _ in range(30):
        kill_mid_write(WRITER, store.root, 40000, rng.uniform(0.3, 0.9))
        if left := _staged(store):
            break
    assert left, "no kill landed inside a write: the test proved nothing"
    pv = importer.preview(store, policy, b"indicator_id,month,value\nK1-1,2025-04,5\n", "next.csv")
    importer.commit(store, pv, "next")  # the next write, minutes (not an hour) later
    assert _staged(store) == set()


def test_a_live_writers_staging_entry_is_never_touched(store, policy):
    store.ensure()
    proc = subprocess.Popen([sys.executable, "-c", PAUSED, str(store.root)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=os.environ | {"PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline().strip() == "staged"
        live = _staged(store)
        assert live
        assert store.cleanup_staging(0) == []  # even with no age limit at all
        importer.commit(store, importer.preview(store, policy, b"indicator_id,month,value\nK4-3,2025-04,5\n", "other.csv"), "other")
        assert live <= _staged(store)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        bid = proc.stdout.readline().strip()
        assert proc.wait(30) == 0
    finally:
        proc.kill()
    assert store.batch(bid).file_name == "live.csv" and store.original(bid) == b"raw"
    assert _staged(store) == set()
