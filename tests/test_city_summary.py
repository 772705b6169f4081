"""市全体's row of one department (kpi.city.summarise): 基準月, the indicators behind, budget growth, last upload."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import DATA
from kpi import city, fiscal
from kpi.departments import catalog
from kpi.evaluate import OFF_TRACK
from kpi.importer import commit, preview


@pytest.fixture
def dept(tmp_path, policy, monkeypatch):
    """The sample department with its actuals (one batch) and a later correction (a second batch)."""
    from kpi.store import folder as store_module  # the folder store stamps its batches

    d = catalog(DATA, tmp_path / "stores").get()
    store = d.store()
    calls = iter(range(1, 1000))  # every call a minute later: two batches never share a time
    monkeypatch.setattr(store_module, "now_jst", lambda: f"2025-10-01T10:{next(calls):02d}:00+09:00")
    for name, raw in (("sample_actuals.csv", (DATA / "sample_actuals.csv").read_bytes()),
                      ("fix.csv", b"indicator_id,month,value\nK1-1,2025-09,1740\n")):
        pv = preview(store, policy, raw, name, today=dt.date(2026, 11, 1))
        assert pv.ok, pv.errors
        commit(store, pv, "テスト")
    return d


def test_the_as_of_month_is_the_last_month_ended_while_the_year_runs(dept, monkeypatch):
    monkeypatch.setattr(fiscal, "current_month", lambda today=None: "2025-10")
    s = city.summarise(dept, 2025)
    assert s.as_of == "2025-09" and s.last_reported == "2025-09"  # not March: September's figures are the newest known
    monkeypatch.setattr(fiscal, "current_month", lambda today=None: "2025-09")
    s = city.summarise(dept, 2025)
    # September has not ended: its figures are not yet due, and the pace asks for August's share of the year
    assert s.as_of == "2025-08" and s.last_reported == "2025-08"
    monkeypatch.setattr(fiscal, "current_month", lambda today=None: "2026-07")
    assert city.summarise(dept, 2025).as_of == "2026-03"  # the year has ended: its March


def test_only_the_indicators_behind_are_listed_worst_first(dept, monkeypatch):
    monkeypatch.setattr(fiscal, "current_month", lambda today=None: "2025-09")
    s = city.summarise(dept, 2025)
    assert s.behind and all(r.status in OFF_TRACK for r in s.behind)
    assert len(s.behind) == s.counts["遅れ"] + s.counts["注意"] < s.indicators
    ratios = [(r.status != "遅れ", r.pace_ratio) for r in s.behind]
    assert ratios == sorted(ratios)


def test_budget_growth_is_from_the_first_year_to_the_shown_one(dept):
    # R5 決算 87 + 96 + 0 + 146 = 329; R7 予算 128 + 1,153 + 72 + 594 = 1,947 → 1,947 / 329 = 5.92 → 5.9倍
    s = city.summarise(dept, 2025)
    assert (s.budget_year, s.budget_total, s.growth) == (2025, 1947, "5.9倍")


def test_the_last_upload_is_the_newest_batch(dept):
    batches = dept.store().batches()  # newest first
    assert batches[0].created_at > batches[1].created_at
    assert city.summarise(dept, 2025).last_upload == batches[0].created_at
    assert batches[0].file_name == "fix.csv"
