"""One indicator's charts drawn on the server as HTML and SVG, for the 指標 page.

The page shows a chosen indicator's standing and monthly series without a chart library in the
browser: plotly.js is 4.6 MB to load and parse, which made the first choice of an indicator take
2–3 s on this machine. The same facts (kpi.charts.series_data, gauge_alt, series_alt) are drawn as
plotly figures for images and slides. The SVG is an <img> (the page's HTML is sanitised, and an
inline <svg> does not pass); its alt is the chart's one-line summary, and the data table under it
holds every value. Every text is escaped.
"""
from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence

from kpi import fmt
from kpi.charts import BAR_TABLE_CSS, INK, PALETTE, SCREEN_FONT, SeriesData, bar_html, gauge_alt, gauge_words, series_alt, series_data, series_title
from kpi.evaluate import Result
from kpi.kinds import STATUSES

GRID = "#D9D9D9"
# The two drawings (viewBox width, font size in its units): each is shown only where its text is ≥ 10 CSS px.
WIDE, NARROW = (640, 13), (360, 12)
FONT_PX = {"wide": WIDE[1], "narrow": NARROW[1]}
AXIS = "#767676"

GAUGE_CSS = """
.kpi-gauge { margin: 0 0 0.5rem; }
.kpi-gauge .head { font-size: 0.95rem; font-weight: 600; margin-bottom: 0.2rem; }
.kpi-gauge .value { font-size: 1.9rem; font-weight: 600; line-height: 1.2; }
.kpi-gauge .kpi-bars .bar { height: 1.6rem; margin: 0.6rem 0 0.1rem; }
.kpi-gauge .scale { position: relative; height: 1.2rem; font-size: 0.8rem; color: #4A4A4A; }
.kpi-gauge .scale span { position: absolute; transform: translateX(-50%); white-space: nowrap; }
.kpi-gauge .scale span:first-child { transform: none; }
.kpi-gauge .scale span:last-child { transform: translateX(-100%); }
.kpi-gauge p { margin: 0.2rem 0; }
"""
SERIES_CSS = """
.kpi-series { container-type: inline-size; margin: 0; }
.kpi-series figcaption { font-weight: 600; margin-bottom: 0.2rem; }
.kpi-series figcaption small { font-weight: 400; color: #4A4A4A; margin-left: 0.5em; }
.kpi-series img { display: block; width: 100%; height: auto; max-width: 820px; }
.kpi-series .legend { list-style: none; padding: 0; margin: 0.3rem 0 0; display: flex; flex-wrap: wrap; gap: 0.3rem 1.2rem;
                      font-size: 0.85rem; }
.kpi-series .swatch { display: inline-block; vertical-align: middle; margin-right: 0.4em; box-sizing: border-box; }
/* A phone (or 200 % zoom): the narrow drawing, whose text stays at least 10 px at that width. */
@container (max-width: 520px) { .kpi-series .wide { display: none; } }
@container (min-width: 521px) { .kpi-series .narrow { display: none; } }
"""


def gauge_html(r: Result, top: float = 150.0) -> str:
    """The year's standing: the value, the bar of the 指標 list (target at 100 %, pace as a tick) on a 0–150 % scale,
    status and progress in words. Not reported: 未報告 and an empty bar."""
    e = html.escape
    ind = r.indicator
    w = gauge_words(r)
    lines = [f'<p style="color:{STATUSES[r.status].ink}"><b>{e(w.status)}</b>' + (f"　{e(w.progress)}" if w.progress else "") + "</p>",
             f"<p>{e(w.key)}</p>"]
    scale = "".join(f'<span style="left:{x / top * 100:.1f}%">{x:.0f}%</span>' for x in (0, 50, 100, top))
    return (f"<style>{BAR_TABLE_CSS}{GAUGE_CSS}</style>"
            f'<div class="kpi-gauge"><div class="head">{e(ind.indicator_id)} 達成状況</div>'
            f'<div class="value">{e(w.value)}</div>'
            f'<div class="kpi-bars">{bar_html(r, top, label=gauge_alt(r))}</div>'
            f'<div class="scale" aria-hidden="true">{scale}</div>{"".join(lines)}</div>')


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """0 and round steps (1, 2, 2.5, 5 × 10^k) up to at least ``top``, about ``count`` of them."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    base = 10 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def _tick_label(x: float) -> str:
    return fmt.number(x, 0 if float(x).is_integer() else (1 if float(x * 10).is_integer() else 2))


def _svg(d: SeriesData, alt: str, width: int, font: int, every: int, css_class: str) -> str:
    """The chart at one drawing width (viewBox units = CSS px at that width); ``every``: label every n-th month."""
    e = html.escape
    left, right, top_m, bottom = font * 4 + 8, 10, font, font * 2 + 6
    height = int(width * 0.5)
    pw, ph = width - left - right, height - top_m - bottom
    values = [v for v in [*(d.bars or []), *d.line, *d.pace, *(c[1] for c in d.checkpoints), d.forecast] if v is not None]
    ticks = [0.0, 25.0, 50.0, 75.0, 100.0] if d.milestone else nice_ticks(max(values, default=0.0) * 1.05)
    ymax = max(ticks[-1], 105.0) if d.milestone else ticks[-1]
    band = pw / len(d.labels)

    def x(i: int) -> float:
        return left + (i + 0.5) * band

    def y(v: float) -> float:
        return top_m + ph - max(v, 0.0) / ymax * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'font-size="{font}" font-family="{e(SCREEN_FONT)}" fill="{INK}">']
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 6}" y="{y(t) + font * 0.35:.1f}" text-anchor="end">{e(_tick_label(t))}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{AXIS}"/>')
    for i, lab in enumerate(d.labels):
        if i % every == 0:
            out.append(f'<text x="{x(i):.1f}" y="{height - bottom + font + 6}" text-anchor="middle">{e(lab)}</text>')
    if d.bars is not None:
        w = band * 0.6
        for i, v in enumerate(d.bars):
            if v is not None:
                out.append(f'<rect x="{x(i) - w / 2:.1f}" y="{y(v):.1f}" width="{w:.1f}" height="{y(0) - y(v):.1f}" '
                           f'fill="{PALETTE[3]}"/>')
    out.append(f'<path d="{_path([(x(i), y(v)) for i, v in enumerate(d.pace)])}" fill="none" stroke="{INK}" '
               f'stroke-width="2" stroke-dasharray="6 4"/>')
    line = [(x(i), y(v)) if v is not None else None for i, v in enumerate(d.line)]
    out.append(f'<path d="{_path(line)}" fill="none" stroke="{PALETTE[0]}" stroke-width="3"/>')
    for i, v in enumerate(d.line):
        if v is not None:
            out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="4.5" fill="{PALETTE[0]}"/>')
    for lab, v in d.checkpoints:
        i = d.labels.index(lab)
        out.append(f'<rect x="{x(i) - 6:.1f}" y="{y(v) - 6:.1f}" width="12" height="12" fill="white" stroke="{INK}" '
                   f'stroke-width="2"/>')
    if d.forecast is not None:
        cx, cy = x(len(d.labels) - 1), y(d.forecast)
        out.append(f'<path d="M{cx:.1f} {cy - 8:.1f}L{cx + 8:.1f} {cy:.1f}L{cx:.1f} {cy + 8:.1f}L{cx - 8:.1f} {cy:.1f}Z" '
                   f'fill="white" stroke="{PALETTE[4]}" stroke-width="2"/>')
    out.append("</svg>")
    data = base64.b64encode("".join(out).encode("utf-8")).decode("ascii")
    return f'<img class="{css_class}" src="data:image/svg+xml;base64,{data}" alt="{e(alt)}">'


def _path(points: Sequence[tuple[float, float] | None]) -> str:
    """An SVG path through the points, broken where a point is missing (a month without a report)."""
    out, pen = [], False
    for pt in points:
        if pt is None:
            pen = False
            continue
        out.append(f"{'L' if pen else 'M'}{pt[0]:.1f} {pt[1]:.1f}")
        pen = True
    return "".join(out)


def _legend(d: SeriesData) -> str:
    """What each mark means, as text with a drawn swatch (CSS), under the chart."""
    def key(name: str, style: str) -> str:
        return f'<li><span class="swatch" style="{style}"></span>{html.escape(name)}</li>'

    items = []
    if d.bars is not None:
        items.append(key("月の実績", f"width:12px;height:12px;background:{PALETTE[3]}"))
    items.append(key(d.line_name, f"width:24px;border-top:3px solid {PALETTE[0]}"))
    items.append(key(d.pace_name, f"width:24px;border-top:2px dashed {INK}"))
    if d.checkpoints:
        items.append(key("中間目標", f"width:9px;height:9px;border:2px solid {INK}"))
    if d.forecast is not None:
        items.append(key("年度末見込み", f"width:8px;height:8px;border:2px solid {PALETTE[4]};transform:rotate(45deg)"))
    return f'<ul class="legend" aria-hidden="true">{"".join(items)}</ul>'


def series_html(r: Result) -> str:
    """The monthly chart (kpi.charts.series_data) as SVG: a wide drawing, and a narrow one for a phone's width."""
    d, alt = series_data(r), series_alt(r)
    return (f'<style>{SERIES_CSS}</style><figure class="kpi-series">'
            f"<figcaption>{html.escape(series_title(r))}<small>単位: {html.escape(d.unit)}</small></figcaption>"
            + _svg(d, alt, *WIDE, 1, "wide") + _svg(d, alt, *NARROW, 2, "narrow") + _legend(d)
            + (f'<p class="note">{html.escape(d.note)}</p>' if d.note else "") + "</figure>")
