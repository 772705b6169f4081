"""Page runs take turns in a server process (ui/turns.py): first come, first served; never waited for longer than
the limit; a slow step lets the next run go; every run wrapped in one turn (app.py)."""
from __future__ import annotations

import ast
import threading
import time

import pytest

from conftest import ROOT
from ui import turns
from ui.turns import Turns


def _queue_behind(t: Turns, names: list[str], order: list[str]) -> list[threading.Thread]:
    """Start a run per name, each once the one before is waiting, while the caller holds the only turn."""
    threads = []
    for name in names:
        def run(name=name):
            with t.turn():
                order.append(name)
        th = threading.Thread(target=run)
        th.start()
        deadline = time.time() + 5
        while t.waiting() < len(threads) + 1 and time.time() < deadline:
            time.sleep(0.001)
        threads.append(th)
    return threads


def test_runs_go_in_the_order_they_came():
    t, order = Turns(at_once=1, wait_s=10), []
    with t.turn():
        threads = _queue_behind(t, ["a", "b", "c", "d"], order)
        assert order == []  # all wait while the turn is held
    for th in threads:
        th.join(5)
    assert order == ["a", "b", "c", "d"]


def test_a_turn_that_ends_passes_to_the_first_in_line_not_to_a_newcomer():
    t, order = Turns(at_once=1, wait_s=10), []
    with t.turn():
        threads = _queue_behind(t, ["waiting"], order)
    # the turn was handed over as it ended: a run arriving now waits behind the one that was in line
    with t.turn():
        order.append("newcomer")
    threads[0].join(5)
    assert order == ["waiting", "newcomer"]


def test_a_run_waits_no_longer_than_the_limit_and_the_count_of_turns_stays_right():
    t = Turns(at_once=1, wait_s=0.05)
    with t.turn():
        t0 = time.perf_counter()
        with t.turn():  # another run (same thread is fine: it waits like any other) goes ahead without a turn
            waited = time.perf_counter() - t0
    assert 0.04 <= waited < 1
    assert t._free == 1 and t.waiting() == 0  # the run without a turn gave none back
    with t.turn():
        pass
    assert t._free == 1


@pytest.mark.parametrize("at_once", [1, 2, 3])
def test_at_once_runs_hold_turns_together(at_once):
    t = Turns(at_once=at_once, wait_s=10)
    inside, most, lock, full = [0], [0], threading.Lock(), threading.Event()

    def run():
        with t.turn():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                if inside[0] >= at_once:
                    full.set()
            full.wait(5)  # the first runs stay until all turns are taken, however slowly the threads start
            time.sleep(0.01)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=run) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert most[0] == at_once


def test_a_slow_step_lets_the_next_run_go_and_then_takes_a_turn_again():
    t, order = Turns(at_once=1, wait_s=10), []
    with t.turn():
        threads = _queue_behind(t, ["page"], order)
        with t.aside():
            threads[0].join(5)  # the waiting page ran while the slow step worked
            assert order == ["page"]
        assert t._free == 0  # the turn is held again for the rest of the run
    assert t._free == 1


def test_aside_outside_a_turn_does_nothing():
    t = Turns(at_once=1, wait_s=10)
    with t.aside():
        assert t._free == 1
    assert t._free == 1


def test_an_error_in_a_run_gives_its_turn_back():
    t = Turns(at_once=1, wait_s=10)
    with pytest.raises(RuntimeError):
        with t.turn():
            raise RuntimeError("page failed")
    assert t._free == 1


@pytest.mark.parametrize("env, expected", [
    ({}, (1, 2.0)),
    ({"KPI_RUNS_AT_ONCE": "4", "KPI_RUN_WAIT_SECONDS": "0.5"}, (4, 0.5)),
    ({"KPI_RUNS_AT_ONCE": "0"}, (1, 2.0)),  # at least one
    ({"KPI_RUNS_AT_ONCE": "たくさん", "KPI_RUN_WAIT_SECONDS": ""}, (1, 2.0)),  # unreadable: the default
    ({"KPI_RUNS_AT_ONCE": "inf", "KPI_RUN_WAIT_SECONDS": "nan"}, (1, 2.0)),  # inf: a count that raised at import; nan: no turns at all
    ({"KPI_RUN_WAIT_SECONDS": "-1"}, (1, 2.0)),
    ({"KPI_RUN_WAIT_SECONDS": "1e9"}, (1, 2.0)),  # a wait without end behind a stuck run
    ({"KPI_RUN_WAIT_SECONDS": "0"}, (1, 0.0)),  # no waiting: every run goes at once
])
def test_settings_from_the_environment(monkeypatch, env, expected):
    for name in ("KPI_RUNS_AT_ONCE", "KPI_RUN_WAIT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    t = turns.from_environment()
    assert (t.at_once, t.wait_s) == expected


def test_every_page_run_is_one_turn():
    """app.py's last statement runs the whole page (main) inside TURNS.turn()."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    last = tree.body[-1]
    assert isinstance(last, ast.With)
    assert ast.unparse(last.items[0].context_expr) == "TURNS.turn()"
    assert [ast.unparse(s) for s in last.body] == ["main()"]
    assert not any(isinstance(s, ast.Try) for s in tree.body)  # nothing of the page left outside main()


@pytest.mark.parametrize("page", ["upload.py", "materials.py", "policy_import.py"])
def test_slow_steps_step_aside(page):
    source = (ROOT / "app_pages" / page).read_text(encoding="utf-8")
    assert "with TURNS.aside(), st." in source
