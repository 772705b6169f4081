"""Many people at once: 20 browser sessions open 指標 together (browser and server on the same 2 cores).

Every session must be drawn. On this 2-core machine a one-line Streamlit page already needs about 16 s
(median, until idle) when 20 sessions open it at once, so the issue's absolute target (≤ 3 s) is out of
reach for any Streamlit page here; the test measures the dashboard beside that one-line page in the same run
and bounds what the dashboard adds. The figures are printed (pytest -s) and go in the closing note.
"""
from __future__ import annotations

import asyncio
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ROOT
from tools.served import Server, one_line_page

pytestmark = [pytest.mark.browser, pytest.mark.alone]  # timed against a floor measured in the same run: nothing else may run beside it
sys.path.insert(0, str(ROOT / "bench"))
SESSIONS = 20


def in_own_loop(coroutine):
    """Run ``coroutine`` on a thread of its own: the other browser tests' sync Playwright keeps an event loop
    running on this worker's main thread, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_twenty_sessions_at_once(server, tmp_path):
    from bench_browser import sessions_at_once

    trivial = Server(script=one_line_page(tmp_path))
    try:
        floor = in_own_loop(sessions_at_once(trivial.url, SESSIONS, 0))
    finally:
        trivial.stop()
    views = [f"{server.url}/indicators?as_of=2026-03", f"{server.url}/indicators?as_of=2026-03&indicator=K2-2"]
    ours = in_own_loop(sessions_at_once(views, SESSIONS, [0, 0]))  # half the list, half one indicator's detail (HTML/SVG)
    idle, drawn, base = [r[0] for r in ours], [r[1] for r in ours], statistics.median(r[0] for r in floor)
    print(f"\n{SESSIONS} sessions: one-line page idle median {base:.1f} s | 指標 idle median {statistics.median(idle):.1f} s "
          f"(max {max(idle):.1f}), drawn median {statistics.median(drawn):.1f} s (max {max(drawn):.1f})")
    assert len(ours) == SESSIONS and all(d >= i for i, d in ours)  # every session idle and drawn
    listed, charted = idle[0::2], idle[1::2]  # sessions alternate between the two views
    print(f"  list only: idle median {statistics.median(listed):.1f} s | with an indicator's detail: {statistics.median(charted):.1f} s")
    # What the dashboard adds to the framework's own floor (1.1–1.3× since the server stopped watching source files
    # and the detail stopped loading plotly.js; 2.4–2.7× before).
    assert statistics.median(idle) <= 4 * base, (idle, base)
