"""The 指標 page's charts drawn on the server (HTML and SVG): the same facts as the plotly figures, escaped, with words."""
from __future__ import annotations

import base64
import dataclasses
import html
import re
import xml.etree.ElementTree as ET

import pytest

from kpi import charts, htmlcharts
from kpi.service import results

SVG = "{http://www.w3.org/2000/svg}"


def result(policy, store, iid: str, as_of: str = "2025-09"):
    return next(r for r in results(store, policy, 2025, as_of) if r.indicator.indicator_id == iid)


def drawings(page_html: str) -> dict[str, tuple[str, ET.Element]]:
    """class → (alt, parsed SVG) for each <img> of a series_html block."""
    out = {}
    for cls, data, alt in re.findall(r'<img class="(\w+)" src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)">', page_html):
        out[cls] = (alt, ET.fromstring(base64.b64decode(data).decode("utf-8")))
    return out


@pytest.mark.parametrize("top, expected", [
    (0.0, [0.0, 1.0]),
    (9.0, [0, 2, 4, 6, 8, 10]),
    (21.0, [0, 5, 10, 15, 20, 25]),
    (1050.0, [0, 250, 500, 750, 1000, 1250]),
    (0.42, [0, 0.1, 0.2, 0.3, 0.4, 0.5]),
])
def test_nice_ticks_start_at_zero_and_reach_the_top_in_round_steps(top, expected):
    assert htmlcharts.nice_ticks(top) == pytest.approx(expected)


def test_series_draws_what_the_plotly_figure_draws(policy, sample_store):
    r = result(policy, sample_store, "K4-3")  # a sum: the month's figure as bars, the running total as a line
    d = charts.series_data(r)
    fig = charts.series(r)
    assert [t.name for t in fig.data] == ["月の実績", d.line_name, d.pace_name, "年度末見込み"]
    assert list(fig.data[1].y) == d.line and list(fig.data[2].y) == d.pace
    page = htmlcharts.series_html(r)
    shown = drawings(page)
    assert set(shown) == {"wide", "narrow"}
    for alt, svg in shown.values():
        assert html.unescape(alt) == charts.series_alt(r) == fig.layout.meta["alt"]
        bars = [e for e in svg.iter(f"{SVG}rect") if e.get("fill") == charts.PALETTE[3]]
        assert len(bars) == sum(v is not None for v in d.bars) == len(r.points)
        points = [e for e in svg.iter(f"{SVG}circle")]
        assert len(points) == sum(v is not None for v in d.line)
        assert any(e.get("stroke-dasharray") for e in svg.iter(f"{SVG}path"))  # the pace
    labels = [t.text for t in shown["wide"][1].iter(f"{SVG}text")]
    assert "4月" in labels and "3月" in labels and "10月" in labels
    assert "5月" not in [t.text for t in shown["narrow"][1].iter(f"{SVG}text")]  # every other month at a phone's width
    for name in ("月の実績", "累計", "想定ペース", "年度末見込み"):
        assert f"</span>{name}</li>" in page  # the legend, in words
    assert "単位: 名" in page and "K4-3 月次推移（令和7年度）" in page


def test_a_month_without_a_report_breaks_the_line(policy, sample_store):
    r = result(policy, sample_store, "K2-2")
    gap = dataclasses.replace(r, points=[p for p in r.points if p.month != "2025-06"])
    (_, svg) = drawings(htmlcharts.series_html(gap))["wide"]
    line = next(e for e in svg.iter(f"{SVG}path") if e.get("stroke") == charts.PALETTE[0])
    assert line.get("d").count("M") == 2  # April–May, then July onwards


def test_a_milestone_is_drawn_on_a_0_to_100_scale(policy, sample_store):
    r = result(policy, sample_store, "K4-8")
    (_, svg) = drawings(htmlcharts.series_html(r))["wide"]
    assert [t.text for t in svg.iter(f"{SVG}text")][:5] == ["0", "25", "50", "75", "100"]


def test_text_from_the_policy_is_escaped(policy, sample_store):
    r = result(policy, sample_store, "K2-2")
    ind = dataclasses.replace(r.indicator, indicator_id="K<u>", short_name="<script>alert(1)</script>", unit="<em>")
    evil = dataclasses.replace(r, indicator=ind)
    for block in (htmlcharts.series_html(evil), htmlcharts.gauge_html(evil)):
        assert "<script>" not in block and "<u>" not in block and "<em>" not in block
    for alt, _svg in drawings(htmlcharts.series_html(evil)).values():
        assert "&lt;em&gt;" in alt and "<em>" in html.unescape(alt)  # read as text: says what the data says


def test_gauge_says_status_value_target_and_pace_in_words(policy, sample_store):
    r = result(policy, sample_store, "K2-2")
    block = htmlcharts.gauge_html(r)
    assert f'aria-label="{charts.gauge_alt(r)}"' in block
    assert "K2-2 達成状況" in block and "目標 20業務" in block and "想定ペース" in block


def test_gauge_of_an_unreported_indicator_says_so(policy, sample_store):
    r = result(policy, sample_store, "K2-2")
    none = dataclasses.replace(r, value=None, progress=None, points=[])
    block = htmlcharts.gauge_html(none)
    assert "未報告" in block and "この年度の実績はまだありません" in block and "想定ペース" not in block


def test_gauge_names_the_pace_tick_only_where_one_is_drawn(policy, sample_store):
    mid_year = htmlcharts.gauge_html(result(policy, sample_store, "K4-3", "2025-09"))  # a sum: half the target by September
    assert 'class="pace"' in mid_year and "縦棒＝想定ペース" in mid_year
    year_end = htmlcharts.gauge_html(result(policy, sample_store, "K1-1", "2026-03"))  # the pace has reached the target
    assert 'class="pace"' not in year_end and "縦棒" not in year_end and "想定ペース 2,000件" in year_end
