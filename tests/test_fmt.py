"""Formatting for Japanese screens: numbers, 百万円, percent, targets with their qualifiers."""
import pytest

from kpi import fmt


@pytest.mark.parametrize("x, text", [(None, "－"), (1153, "1,153"), (23.57, "23.6"), (2000.0, "2,000")])
def test_number(x, text):
    assert fmt.number(x) == text


@pytest.mark.parametrize("ratio, text", [(0.996, "99%"), (1.0, "100%"), (1.023, "102%"), (0.5, "50%"), (None, "－")])
def test_percent_never_rounds_up_to_the_target(ratio, text):
    assert fmt.percent(ratio) == text


def test_million_yen():
    assert fmt.million_yen(1153) == "1,153百万円"


@pytest.mark.parametrize("iid, fy, text", [
    ("K1-1", 2025, "2,000件（累計）"), ("K1-2", 2025, "25%"), ("K2-1", 2025, "完了（100%）"),
    ("K2-4", 2025, "1,870時間/月 以上"), ("K4-2", 2025, "7名程度"), ("K4-3", 2025, "60名程度/年"),
    ("K4-5", 2025, "60%"), ("K4-5", 2026, "70% 以上"),
])
def test_target_text_keeps_the_qualifier(policy, iid, fy, text):
    ind = policy.indicators[iid]
    assert fmt.target_text(ind, ind.target(fy)) == text
