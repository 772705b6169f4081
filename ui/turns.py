"""Page runs take turns in a server process: one runs at a time, the others wait in the order they came.

Why: Streamlit runs every session's script in a thread of its own, and they share one interpreter lock with the
server's event loop, which sends every page its messages. Under a burst (200 people opening the dashboard at once,
bench/load.py) a hundred script threads each got a hundredth of the lock, the event loop too: nothing was sent until
nearly every page had finished, and every page arrived at the end of the burst (median 1.40 s, the slowest 1.42 s
for 指標 on two servers). Taking turns, the first pages are sent while the others wait, and the event loop shares
the lock with one script only: median 0.75 s, the slowest 1.28 s, measured in the same run.

A turn is never waited for longer than ``wait_s``: a page behind a slow one (an upload of a million rows, the
meeting materials) then runs beside it rather than behind it, and what is slow steps aside (``aside``) while it
works. Waiting releases the interpreter lock; nothing here imports streamlit.
"""
from __future__ import annotations

import math
import os
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_AT_ONCE = 1
DEFAULT_WAIT_S = 2.0


class Turns:
    """First come, first served: a turn that ends is handed to the longest waiting run (no overtaking)."""

    def __init__(self, at_once: int = DEFAULT_AT_ONCE, wait_s: float = DEFAULT_WAIT_S):
        self.at_once = max(1, at_once)
        self.wait_s = wait_s
        self._lock = threading.Lock()
        self._free = self.at_once
        self._waiting: deque[threading.Event] = deque()
        self._local = threading.local()  # the turns this thread is in (a run; aside() gives its turn up for a while)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the block (or run without one once ``wait_s`` has passed)."""
        held = self._held()
        held.append(self._take())
        try:
            yield
        finally:
            if held.pop():
                self._give()

    @contextmanager
    def aside(self) -> Iterator[None]:
        """Let the next run go while this block works (its own wait is its progress display), then take a turn
        again. Outside a turn it does nothing."""
        held = self._held()
        if not (held and held[-1]):
            yield
            return
        self._give()
        held[-1] = False
        try:
            yield
        finally:
            held[-1] = self._take()

    def _held(self) -> list[bool]:
        """This thread's turns, innermost last: whether each holds one."""
        if not hasattr(self._local, "held"):
            self._local.held = []
        return self._local.held

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def _take(self) -> bool:
        with self._lock:
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return True
            called = threading.Event()
            self._waiting.append(called)
        if called.wait(self.wait_s):
            return True
        with self._lock:
            if called.is_set():  # handed over just as the wait ran out
                return True
            self._waiting.remove(called)
            return False

    def _give(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()  # the turn passes directly: a newcomer cannot take it first
            else:
                self._free += 1


def from_environment() -> Turns:
    """KPI_RUNS_AT_ONCE (default 1) page runs at once per server process, each waiting at most KPI_RUN_WAIT_SECONDS
    (default 2) for its turn."""
    def number(name: str, default: float) -> float:
        try:
            value = float(os.environ.get(name) or default)
        except ValueError:
            return default
        # "inf" or 1e9 would let a run wait without end behind a stuck one, "nan" would silently mean no turns, and an
        # infinite count would raise at import
        return value if math.isfinite(value) and 0 <= value <= 3600 else default

    return Turns(int(number("KPI_RUNS_AT_ONCE", DEFAULT_AT_ONCE)), number("KPI_RUN_WAIT_SECONDS", DEFAULT_WAIT_S))


TURNS = from_environment()
