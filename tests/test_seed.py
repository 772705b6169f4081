"""Every figure and wording in data/ is traceable to the seed (令和7年度 デジタル統括室運営方針（案）)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kpi.kinds import KINDS
from kpi.policy import load_policy

HERE = Path(__file__).resolve().parent
SEED_COPY = HERE / "seed" / "000_d323183fcf303bed.txt"
SHARED_SEED = HERE.parent.parent / "shared" / "seed" / SEED_COPY.name
POLICY = load_policy(HERE.parent / "data")


def squash(text: str) -> str:
    """The seed mixes HTML fragments, tabs and table rules: compare without them."""
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"[\s|\-]+", "", text)


SEED = SEED_COPY.read_text(encoding="utf-8")
FLAT = squash(SEED)


def section(issue_id: str) -> str:
    """The seed's text for one 経営課題, up to the next one (or 自己評価)."""
    start = FLAT.index(f"経営課題{issue_id}")
    ends = [FLAT.find(f"経営課題{other}", start + 1) for other in POLICY.issues if other != issue_id]
    ends = [e for e in ends if e > start] + [FLAT.find("自己評価", start)]
    return FLAT[start:min(e for e in ends if e > 0)]


def test_seed_copy_is_the_shared_seed():
    if not SHARED_SEED.exists():
        pytest.skip("shared/ not beside the checkout")
    assert SEED_COPY.read_bytes() == SHARED_SEED.read_bytes()


@pytest.mark.parametrize("budget", POLICY.budgets, ids=lambda b: f"{b.issue_id}-{b.fiscal_year}")
def test_budget_amounts_match_the_seed(budget):
    reiwa = budget.fiscal_year - 2018
    expected = f"{reiwa}{budget.kind}額{budget.amount:,.0f}百万円"
    assert expected in section(budget.issue_id)
    assert squash(budget.source_text) == expected


def test_budget_years_are_r5_settlement_then_budgets():
    assert {(b.fiscal_year, b.kind) for b in POLICY.budgets} == {(2023, "決算"), (2024, "予算"), (2025, "予算")}


@pytest.mark.parametrize("issue_id", list(POLICY.issues))
def test_issue_title_recognition_and_strategies_are_the_seeds(issue_id):
    issue = POLICY.issues[issue_id]
    assert f"経営課題{issue_id}{squash(issue.title)}" in FLAT
    for line in issue.recognition.splitlines():
        assert squash(line) in section(issue_id)
    for strategy in issue.strategies:
        assert squash(strategy) in section(issue_id)


INDICATORS = list(POLICY.indicators.values())


@pytest.mark.parametrize("ind", INDICATORS, ids=lambda i: i.indicator_id)
def test_indicator_wording_and_targets_are_the_seeds(ind):
    text = section(ind.issue_id)
    assert squash(ind.wording) in text, ind.wording
    assert ind.targets, "every indicator has at least one target"
    for fy, target in ind.targets.items():
        assert squash(target.source_text) in text
        if KINDS[ind.aggregation].milestone:
            assert target.value == 100  # a milestone's target is completion
            continue
        number = f"{target.value:,.0f}" if target.value.is_integer() else f"{target.value:,}"
        assert number in target.source_text
        for word in filter(None, (target.qualifier, target.per and f"/{target.per}")):
            if word == "/月":  # 「月1,870時間以上」: per month is written before the number
                assert "月" in target.source_text
            else:
                assert word in target.source_text
        if f"令和{fy - 2018}年度" not in target.source_text:
            assert fy == POLICY.fiscal_year  # the policy year is implied by the document


@pytest.mark.parametrize("ind_id, period", [("K4-2", (2023, 2025)), ("K4-3", (2023, 2025)), ("K4-4", (2024, 2027))])
def test_multi_year_spans(ind_id, period):
    ind = POLICY.indicators[ind_id]
    assert ind.period == period
    assert f"令和{period[0] - 2018}年度から令和{period[1] - 2018}年度にかけて" in ind.wording


def test_k4_5_has_r7_and_r8_targets():
    t = POLICY.indicators["K4-5"].targets
    assert (t[2025].value, t[2026].value, t[2026].qualifier) == (60, 70, "以上")


def test_ids_are_the_upload_contract():
    assert list(POLICY.indicators) == ["K1-1", "K1-2", "K2-1", "K2-2", "K2-3", "K2-4", "K3-1",
                                       "K4-1", "K4-2", "K4-3", "K4-4", "K4-5", "K4-6", "K4-7", "K4-8"]


@pytest.mark.parametrize("key", ["goal", "mission", "approach"])
def test_policy_texts_are_the_seeds(key):
    for line in POLICY.text(key).splitlines():
        assert squash(line) in FLAT


def test_department_and_year():
    assert "令和7年度デジタル統括室運営方針" in FLAT and POLICY.fiscal_year == 2025
    assert squash(POLICY.text("head")) in FLAT
