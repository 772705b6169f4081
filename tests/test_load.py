"""Many people at once, measured on the server: sessions opened together over Streamlit's own WebSocket protocol
(bench/load.py), the dashboard's pages beside the naive 指標 page and a one-line Streamlit page in the same run.

No browser: 20 Chromium sessions on the same 2 cores measured Chromium more than the dashboard. The bounds are
ratios to pages measured in the same run, loose enough for a shared machine: every session finishes, and each page
costs the server (CPU per session) well under the naive page and within a generous multiple of what the framework
alone costs. The times are printed (pytest -s). `make bench-load` measures 20, 100 and 200 sessions, one and two
servers.
"""
from __future__ import annotations

import sys

import pytest

from conftest import ROOT
from tools.cluster import Cluster
from tools.served import one_line_page

sys.path.insert(0, str(ROOT / "bench"))
from load import TARGETS, arrivals, city_data, measure, measure_pages, run, settle, table, visit  # noqa: E402

pytestmark = pytest.mark.alone  # timed against pages measured in the same run: nothing else may run beside it
SESSIONS = 12


def test_sessions_at_once_cost_the_server_less_than_the_naive_page(tmp_path):
    root, stores = city_data(tmp_path, 0)  # examples/departments: two departments, so 市全体 is offered
    apps = {"dashboard": (ROOT / "app.py", {"KPI_DATA_DIR": str(root), "KPI_STORE": str(stores)}),
            "naive": (ROOT / "bench" / "naive_app.py", {}), "one_line": (one_line_page(tmp_path), {})}
    results = {t.name: measure(t, 1, SESSIONS, apps[t.app][1], apps[t.app][0], 120) for t in TARGETS if t.app != "dashboard"}
    pages = [t for t in TARGETS if t.app == "dashboard"]  # one server for the dashboard's three pages, one after another
    results |= {b.page: b for b in measure_pages(pages, 1, SESSIONS, apps["dashboard"][1], apps["dashboard"][0], 120)}
    print("\n" + table(list(results.values())))
    assert all(b.finished == SESSIONS for b in results.values()), {k: b.errors for k, b in results.items()}
    floor, naive = results["1行だけ"], results["素朴な指標"]
    for name in ("指標", "概要", "市全体"):
        b = results[name]
        # The server's CPU per session, not the wall time: on this shared machine the time of one burst varies 3× within
        # a minute with the others' load (指標 2.3 s beside a naive page at 2.5 s a minute apart), its CPU hardly at all.
        # Measured 0.1–0.4× the naive page's (指標 43–67 ms, 概要 62–83 ms, 市全体 23–28 ms; naive 207–292 ms) and 4–14×
        # the one-line page's (5–8 ms; /proc counts in 10 ms ticks, hence the room).
        assert b.cpu_ms_per_session <= 0.6 * naive.cpu_ms_per_session, (name, b.cpu_ms_per_session, naive.cpu_ms_per_session)
        assert b.cpu_ms_per_session <= 30 * max(floor.cpu_ms_per_session, 1), (name, b.cpu_ms_per_session, floor.cpu_ms_per_session)


def test_under_a_burst_the_first_pages_arrive_long_before_the_last(tmp_path):
    """Page runs take turns (ui/turns.py): of 60 sessions asking for 指標 at the same instant on one server, the first page
    arrives while the others wait. Timed from that instant, the 60 connections already open (bench/load.arrivals):
    timed from each connection's start, the server's work of accepting 60 connections came first, and on CI it hid
    the turns (first 0.67 s, last 0.72 s). Measured here, 12 bursts: with turns first/last 0.20–0.69 (median burst
    0.32 s and 0.80 s), the best of each three 0.20–0.45; without turns (KPI_RUNS_AT_ONCE=1000) 0.93–0.95 in every
    burst; with one core kept busy by another process, best of three 0.47–0.53. The best of three bursts is asserted
    (≤ 0.8), so that one disturbed burst does not decide; without turns it fails."""
    root, stores = city_data(tmp_path, 0)
    target = next(t for t in TARGETS if t.name == "指標")
    with Cluster(1, {"KPI_DATA_DIR": str(root), "KPI_STORE": str(stores)}, ROOT / "app.py") as cluster:
        assert not run(visit(cluster.url, target)).error  # the first run of a process loads its modules and caches
        bursts = []
        for _ in range(3):
            settle(cluster.pids)  # the previous burst's sessions closed: their ending is the server's work too
            bursts.append(run(arrivals(cluster.url, target, 60)))
    for times in bursts:
        print(f"\n60 sessions: first {times[0]:.2f} s, median {times[30]:.2f} s, last {times[-1]:.2f} s")
        assert len(times) == 60
    assert min(t[0] / t[-1] for t in bursts) <= 0.8, [(round(t[0], 2), round(t[-1], 2)) for t in bursts]
