"""Rollbacks and restores take effect in the order they were made (the store's sequence), not by their clocks.

A clock may go back (an NTP correction, a second server with its own clock writing to the same store); the last
word on a batch must still be the last one made. Through the public Store API only."""
from __future__ import annotations

from freezegun import freeze_time

from kpi.evaluate import Actual
from kpi.store import Store


def batch(store: Store, value: float) -> str:
    return store.write_batch(b"raw", "a.csv", [Actual("K1-1", "2025-04", value)], "u")


def test_the_last_change_made_counts_even_when_the_clock_went_back(tmp_path):
    store = Store(tmp_path / "store")
    with freeze_time("2025-10-01 12:00:00"):
        first = batch(store, 1.0)
        second = batch(store, 2.0)
        store.rollback(second, "u", "誤り")
    with freeze_time("2025-10-01 11:00:00"):  # the clock was an hour fast; corrected before the restore
        store.restore(second, "u", "誤りではなかった")
    assert [e["type"] for e in store.events()] == ["rollback", "restore"]
    assert store.batch(second).active and store.batch(first).active
    assert [a.value for a in store.current()] == [2.0]
    assert [e["type"] for e in store.event_log()] == ["restore", "rollback"]  # newest first


def test_interleaved_batches_keep_their_order_across_a_clock_step(tmp_path):
    store = Store(tmp_path / "store")
    with freeze_time("2025-10-01 12:00:00"):
        a = batch(store, 1.0)
        b = batch(store, 2.0)
        store.rollback(b, "u")
    with freeze_time("2025-10-01 09:00:00"):
        store.rollback(a, "u")
        store.restore(b, "u")
    with freeze_time("2025-10-01 08:00:00"):
        store.restore(a, "u")
        store.rollback(a, "u")
    assert [(e["batch_id"], e["type"]) for e in store.events()] == [
        (b, "rollback"), (a, "rollback"), (b, "restore"), (a, "restore"), (a, "rollback")]
    assert not store.batch(a).active and store.batch(b).active
    assert [a_.value for a_ in store.current()] == [2.0]
