"""The figures carry their title, unit, source and as-of inside, and use their own template."""
from __future__ import annotations

import pytest

from kpi import charts
from kpi.service import results


def annotations(fig) -> str:
    return "\n".join(a.text for a in fig.layout.annotations)


def test_budget_chart_labels_amounts_and_marks_settlement(policy):
    fig = charts.budget_chart(policy, ["2"], 2025)
    assert [t.name for t in fig.data] == ["令和5年度 決算", "令和6年度 予算", "令和7年度 予算"]
    assert [t.text[0] for t in fig.data] == ["96", "409", "1,153"]
    assert fig.data[0].marker.pattern.shape == "/" and fig.data[2].marker.pattern.shape == ""
    assert "R5決算→R6〜R7予算" in fig.layout.title.text and "百万円" in fig.layout.title.text
    assert "経営課題2 96→409→1,153（12.0倍）" in fig.layout.meta["alt"]  # the text alternative
    assert not fig.layout.annotations  # on screen the page writes the source under the chart
    exported = charts.budget_chart(policy, ["2"], 2025, export_width=1000)
    assert "出典: 令和7年度 デジタル統括室運営方針（案）" in annotations(exported) and "経営課題2 12.0倍" in annotations(exported)


def test_new_issue_growth_is_labelled_not_infinite(policy):
    assert "経営課題3 新規" in annotations(charts.budget_chart(policy, None, 2025, export_width=1000))
    assert "経営課題3 0→88→72（新規）" in charts.budget_chart(policy, None, 2025).layout.meta["alt"]


def test_figures_set_their_own_template_even_after_streamlit_changed_the_default(policy, sample_store):
    import streamlit  # noqa: F401  (importing it replaces plotly's default template)

    r = results(sample_store, policy, 2025, "2026-03")[0]
    for fig in (charts.budget_chart(policy, None, 2025), charts.gauge(r), charts.series(r, "出典: x"),
                charts.yearly(r.indicator, [(2024, None, None), (2025, r.value, r.target.value)], "出典: x")):
        assert fig.layout.template.layout.colorway == tuple(charts.PALETTE)
        assert "IPAexGothic" in fig.layout.template.layout.font.family


def test_gauge_states_status_in_words_and_target(policy, sample_store):
    r = next(x for x in results(sample_store, policy, 2025, "2026-03") if x.indicator.indicator_id == "K4-7")
    text = annotations(charts.gauge(r))
    assert "× 遅れ" in text and "達成率 66%" in text and "目標 3事業" in text


def test_series_shows_pace_forecast_and_as_of(policy, sample_store):
    r = next(x for x in results(sample_store, policy, 2025, "2025-09") if x.indicator.indicator_id == "K4-3")
    fig = charts.series(r, "出典: テスト　基準: 令和7年9月末")
    names = [t.name for t in fig.data]
    assert names == ["月の実績", "累計", "想定ペース", "年度末見込み"]
    pace = next(t for t in fig.data if t.name == "想定ペース")
    assert list(pace.y)[5] == 30  # 60 × 6 / 12
    assert "基準: 令和7年9月末" in annotations(fig) and "単位: 名" in fig.layout.title.text


def test_yearly_chart(policy):
    ind = policy.indicators["K4-5"]
    fig = charts.yearly(ind, [(2025, 58.0, 60.0), (2026, None, 70.0)], "出典: テスト　基準: 令和8年9月末")
    assert [t.name for t in fig.data] == ["実績", "目標"]
    assert list(fig.data[1].x) == ["令和7年度", "令和8年度"] and list(fig.data[1].y) == [60.0, 70.0]
    assert "K4-5 年度ごとの推移" in fig.layout.title.text and "基準: 令和8年9月末" in annotations(fig)


def test_an_unreported_indicator_draws_no_value(policy, sample_store):
    (r,) = results(sample_store, policy, 2026, "2026-09")  # K4-5 in 令和8年度: nothing reported yet
    fig = charts.gauge(r)
    assert r.status == "未報告" and list(fig.data[0].x) == [0.0]  # an empty bar, no number: not a large "0%"
    assert "－ 未報告" in annotations(fig) and "達成率" not in annotations(fig)


def test_a_cap_gauge_shows_the_share_used_and_the_time_passed(second_policy_dir, tmp_path):
    import datetime as dt

    from conftest import SECOND_ACTUALS
    from kpi.importer import commit, preview
    from kpi.policy import load_policy
    from kpi.store import Store

    p, s = load_policy(second_policy_dir), Store(tmp_path / "s")
    commit(s, preview(s, p, SECOND_ACTUALS.encode(), "a.csv", today=dt.date(2026, 11, 1)), "t")
    r = next(x for x in results(s, p, 2025, "2025-09") if x.indicator.indicator_id == "Q-01")
    fig = charts.gauge(r)
    text = annotations(fig)
    assert "上限120件の53%（年度の50%経過）" in text and "187%" not in text and "○ 順調" in text
    assert round(fig.data[0].x[0]) == 53  # the bar: the share of the cap used
    assert [s.x0 for s in fig.layout.shapes] == [100, 50]  # the cap dashed at 100 %, the pace so far (60 of 120) as a tick


@pytest.mark.parametrize("iid, as_of", [("K4-3", "2025-09"), ("K1-1", "2026-03"), ("K4-7", "2026-03")])
def test_the_saved_gauge_says_what_the_page_shows(policy, sample_store, iid, as_of):
    """画像で保存 and the slides draw the page's gauge: the same bar and the same words (charts.gauge_words)."""
    import html

    from kpi import htmlcharts

    r = next(x for x in results(sample_store, policy, 2025, as_of) if x.indicator.indicator_id == iid)
    fig, page = charts.gauge(r), html.unescape(htmlcharts.gauge_html(r))
    w = charts.gauge_words(r)
    for text in (w.value, w.status, w.key, *([w.progress] if w.progress else [])):
        assert text in annotations(fig) and text in page
    ticks = [s for s in fig.layout.shapes if s.line.dash != "dash"]
    assert ("縦棒＝" in w.key) == bool(ticks) == ('class="pace"' in page)
    assert fig.layout.meta["alt"] == charts.gauge_alt(r)


def test_series_draws_checkpoints_and_the_pace_through_them(second_policy_dir, tmp_path):
    import datetime as dt

    from conftest import SECOND_ACTUALS
    from kpi.importer import commit, preview
    from kpi.policy import load_policy
    from kpi.store import Store

    p, s = load_policy(second_policy_dir), Store(tmp_path / "s")
    commit(s, preview(s, p, SECOND_ACTUALS.encode(), "a.csv", today=dt.date(2026, 11, 1)), "t")
    r = next(x for x in results(s, p, 2025, "2025-09") if x.indicator.indicator_id == "Q-06")
    fig = charts.series(r, "出典: x")
    cps = next(t for t in fig.data if t.name == "中間目標")
    assert list(cps.x) == ["9月", "12月"] and list(cps.y) == [30, 70]
    pace = next(t for t in fig.data if t.name == "想定ペース")
    assert list(pace.y)[5] == 30 and list(pace.y)[8] == 70 and list(pace.y)[11] == 100
