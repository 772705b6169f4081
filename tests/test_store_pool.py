"""The PostgreSQL store's connections: at most POOL_SIZE per process and address, however many sessions read at once,
and never a wait without end (no database needed: the connection is a stand-in)."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from kpi.store import postgres


class FakeConnection:
    opened = 0  # at this moment
    most = 0
    made = 0
    lock = threading.Lock()

    def __init__(self):
        with FakeConnection.lock:
            FakeConnection.made += 1
        self.closed = self.broken = False

    def use(self):
        with FakeConnection.lock:
            FakeConnection.opened += 1
            FakeConnection.most = max(FakeConnection.most, FakeConnection.opened)

    def done(self):
        with FakeConnection.lock:
            FakeConnection.opened -= 1

    def close(self):
        self.closed = True


@pytest.fixture
def fake(monkeypatch):
    for name in ("opened", "most", "made"):
        setattr(FakeConnection, name, 0)
    monkeypatch.setattr(postgres, "_connect", lambda conninfo: FakeConnection())
    return f"postgresql://pool-test-{uuid.uuid4().hex}@127.0.0.1/kpi"  # an address of its own: a pool of its own


def read(address: str, seconds: float, start: threading.Barrier | None = None) -> FakeConnection:
    if start:
        start.wait(10)
    with postgres._connection(address) as conn:
        conn.use()
        time.sleep(seconds)
        conn.done()
        return conn


@pytest.mark.parametrize("readers", [1, 8, 60])
def test_a_burst_of_readers_shares_at_most_pool_size_connections(fake, readers):
    start = threading.Barrier(readers)  # all of them ask at once, as a burst of sessions does
    threads = [threading.Thread(target=read, args=(fake, 0.05, start)) for _ in range(readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    made = FakeConnection.made
    assert 1 <= made <= min(readers, postgres.POOL_SIZE) and FakeConnection.most <= postgres.POOL_SIZE
    read(fake, 0)  # the next reader takes a kept connection
    assert FakeConnection.made == made


def test_a_reader_that_waited_too_long_opens_its_own_and_closes_it(fake, monkeypatch):
    monkeypatch.setattr(postgres, "POOL_WAIT", 0.05)
    holders = [threading.Thread(target=read, args=(fake, 0.6)) for _ in range(postgres.POOL_SIZE)]
    for t in holders:
        t.start()
    time.sleep(0.1)  # every slot taken by a long read (a write of many rows)
    t0 = time.perf_counter()
    extra = read(fake, 0)
    assert time.perf_counter() - t0 < 0.4  # not held until a slot frees
    assert extra.closed and FakeConnection.made == postgres.POOL_SIZE + 1
    for t in holders:
        t.join(10)
    assert not any(c.closed for c in list(postgres._POOLS[fake][0].queue))
    assert postgres._POOLS[fake][0].qsize() == postgres.POOL_SIZE  # the overflow connection was not kept
