"""Plotly figures for the screen and for exports, with their own template.

Every figure carries its title, unit, as-of month and source inside it, so an exported
image stands on its own in a meeting. Importing streamlit replaces plotly's default
template with one of placeholder colours, so each figure sets ``TEMPLATE`` explicitly.
"""
from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import plotly.graph_objects as go

from kpi import fiscal, fmt, htmltable
from kpi.evaluate import Result, budget_kinds, budget_span_text, budget_table, pace_at
from kpi.kinds import KINDS, STATUSES
from kpi.policy import SETTLEMENT, Indicator, Policy

# Saved images are drawn on the server: the font it ships (IPAexGothic) first, so that they look the same wherever made.
FONT = "IPAexGothic, 'IPAexゴシック', 'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', 'Yu Gothic', Meiryo, sans-serif"
# On screen (the theme's font in .streamlit/config.toml, and the charts drawn in the page): a Japanese font of the
# reader's system first — Windows' BIZ UDPGothic / Yu Gothic UI / Meiryo, a Mac's Hiragino, Linux's Noto or IPAex.
# With a Latin font first the browser looks for a fallback font for every run of Japanese text: measured in Chromium
# on this machine, the last layout of 指標 took 57 ms instead of 15 and the page 0.07 s longer.
SCREEN_FONT = ('"BIZ UDPGothic", "Yu Gothic UI", Meiryo, "Hiragino Sans", "Noto Sans CJK JP", "Noto Sans JP", IPAexGothic, '
               'sans-serif')
# Okabe–Ito: safe for the common colour-vision differences.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#56B4E9", "#D55E00", "#CC79A7", "#F0E442", "#000000"]
INK = "#1A1A1A"
GRID = "#DDDDDD"

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=14, color=INK),
        colorway=PALETTE,
        paper_bgcolor="white",
        plot_bgcolor="white",
        title=dict(x=0.01, xanchor="left", font=dict(size=18)),
        xaxis=dict(gridcolor=GRID, linecolor="#888888", zerolinecolor="#888888", ticks="outside"),
        yaxis=dict(gridcolor=GRID, linecolor="#888888", zerolinecolor="#888888", separatethousands=True),
        # Under the plot: at a phone's width a legend above it would sit on the title.
        legend=dict(orientation="h", yanchor="top", y=-0.14, x=0, bgcolor="rgba(0,0,0,0)"),
        separators=".,",
        hoverlabel=dict(font=dict(family=FONT)),
    )
)


_BREAK_AFTER = "　、。）) "


def wrap(text: str, width: int) -> str:
    """Break a (mostly Japanese) line into lines of at most ``width`` characters with <br> for plotly,
    preferring to break after a space, 、 or a closing bracket."""
    lines, rest = [], text
    while len(rest) > width:
        cut = max((i + 1 for i, ch in enumerate(rest[:width]) if ch in _BREAK_AFTER), default=width)
        if cut < width // 2:
            cut = width
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    lines.append(rest)
    return "<br>".join(lines)


def with_footer(fig: go.Figure, text: str, width_px: int) -> go.Figure:
    """A copy of ``fig`` with ``text`` (source, as-of month) below the plot, wrapped to the width, grown to hold it.

    On screen the page writes the source under the chart as text (it wraps at any width); an exported
    image carries it inside, so that it stands on its own in a meeting.
    """
    out = go.Figure(fig)
    margin_b = out.layout.margin.b if out.layout.margin.b is not None else 80
    height = out.layout.height or 450
    lines = wrap(text, max(20, int((width_px - 40) / 11.5)))
    extra = 18 * (lines.count("<br>") + 1) + 12
    out.add_annotation(text=lines, xref="paper", yref="paper", x=0, y=0, yshift=-margin_b, xanchor="left", yanchor="top",
                       align="left", showarrow=False, font=dict(size=11, color="#555555"))
    out.update_layout(height=height + extra, margin=dict(b=margin_b + extra))
    return out


def budget_chart(policy: Policy, issue_ids: Sequence[str] | None, fy: int, export_width: int | None = None) -> go.Figure:
    """Grouped bars: per 経営課題 the amount of each budget year, 決算 hatched, amounts labelled.

    ``export_width``: for an image of that width, with the growth and the source inside (budget_footer).
    """
    years, rows = budget_table(policy, issue_ids)
    fig = go.Figure()
    for i, year in enumerate(years):
        kinds = {r.amounts[year].kind for r in rows if year in r.amounts}
        kind = "・".join(sorted(kinds))
        xs = [policy.issues[r.issue_id].label for r in rows]
        ys = [r.amounts[year].amount if year in r.amounts else None for r in rows]
        fig.add_bar(
            name=f"{fiscal.fy_label(year)} {kind}",
            x=xs, y=ys,
            text=[fmt.number(y) if y is not None else "" for y in ys],
            textposition="outside", cliponaxis=False,
            marker=dict(color=PALETTE[i % len(PALETTE)],
                        pattern=dict(shape="/" if SETTLEMENT in kinds else "", fillmode="overlay", fgcolor="white")),
            hovertemplate="%{x}<br>%{y:,.0f}百万円<extra>" + f"{fiscal.fy_label(year)} {kind}" + "</extra>",
        )
    span = budget_span_text(budget_kinds(policy, issue_ids))
    alt = f"経営課題別の予算の推移（{span}、百万円）: " + "。".join(
        f"{policy.issues[r.issue_id].label} " + "→".join(fmt.number(r.amounts[y].amount) if y in r.amounts else "－" for y in years)
        + f"（{r.growth_label}）" for r in rows)
    fig.update_layout(meta=dict(alt=alt),
        template=TEMPLATE, barmode="group", uniformtext=dict(minsize=10, mode="hide"),
        title=dict(text=f"経営課題別の予算の推移<br><sup>{span}・単位: 百万円</sup>"),
        yaxis=dict(title="百万円", rangemode="tozero"),
        margin=dict(t=90, l=70, r=20, b=90), height=480,
    )
    return with_footer(fig, budget_footer(policy, issue_ids), export_width) if export_width else fig


def budget_footer(policy: Policy, issue_ids: Sequence[str] | None = None) -> str:
    """Under an exported budget chart: the growth of each 経営課題 and the source."""
    years, rows = budget_table(policy, issue_ids)
    growth = "　".join(f"{policy.issues[r.issue_id].label} {r.growth_label}" for r in rows)
    source = f"出典: {policy.text('source')}（決算額・予算額）"
    return f"伸び（{fiscal.fy_short(years[0])}→{fiscal.fy_short(years[-1])}）: {growth}　{source}" if years else source


class GaugeWords(NamedTuple):
    value: str  # 未報告 when nothing is reported
    status: str  # ◎ 達成
    progress: str  # 達成率 99% (empty when nothing is reported)
    key: str  # what the dashed line and the tick stand for


def gauge_words(r: Result) -> GaugeWords:
    """What the gauge says in words, wherever it is drawn (the page's HTML, images and slides)."""
    ind = r.indicator
    target = f"破線＝目標 {fmt.target_text(ind, r.target)}"
    if r.value is None:
        return GaugeWords("未報告", fmt.status_text(r.status), "", f"{target}　この年度の実績はまだありません")
    tick = "縦棒＝" if pace_share(r) is not None else ""
    return GaugeWords(fmt.value_text(r), fmt.status_text(r.status), fmt.progress_sentence(r), f"{target}　{tick}{fmt.pace_text(r)}")


def gauge(r: Result, top: float = 150.0) -> go.Figure:
    """The year's standing as the 指標 page shows it (htmlcharts.gauge_html), for images and slides: the value, the
    bar of the list (value ÷ target, a cap: the share used, on a 0–``top`` % scale; the target dashed at 100 %, the
    pace as a tick), and gauge_words under it. Nothing reported: 未報告 and an empty bar."""
    w = gauge_words(r)
    status = STATUSES[r.status]
    share = 0.0 if r.progress is None else min(r.progress * 100, top)
    fig = go.Figure(go.Bar(x=[share], y=[""], orientation="h", width=0.55, hoverinfo="skip", showlegend=False,
                           marker=dict(color=status.colour, line=dict(color="#333333", width=0.5))))
    mark = dict(type="line", xref="x", yref="y", y0=-0.45, y1=0.45)
    shapes = [mark | dict(x0=100, x1=100, line=dict(color=INK, dash="dash", width=2))]
    pace = pace_share(r)
    if pace is not None:
        shapes.append(mark | dict(x0=min(pace, top), x1=min(pace, top), line=dict(color=INK, width=3)))
    words = [dict(text=w.value, y=1, yanchor="bottom", yshift=6, font=dict(size=28, color=INK)),
             dict(text="　".join(x for x in (w.status, w.progress) if x), y=0, yanchor="top", yshift=-30,
                  font=dict(size=14, color=status.ink)),
             dict(text=w.key, y=0, yanchor="top", yshift=-52, font=dict(size=11, color="#444444"))]
    fig.update_layout(
        template=TEMPLATE, height=250, margin=dict(t=92, b=82, l=25, r=40), meta=dict(alt=gauge_alt(r)),
        title=dict(text=f"{r.indicator.indicator_id} 達成状況", font=dict(size=14), x=0, xref="paper", xanchor="left"),
        xaxis=dict(range=[0, top], tickvals=(ticks := list(range(0, int(top) + 1, 25))), ticktext=[f"{t}%" for t in ticks],
                   showgrid=False, zeroline=False),
        yaxis=dict(visible=False, range=[-0.6, 0.6]), bargap=0, shapes=shapes,
        annotations=[a | dict(x=0, xref="paper", yref="paper", xanchor="left", align="left", showarrow=False) for a in words],
        plot_bgcolor="#F2F2F2",
    )
    return fig


@dataclass(frozen=True)
class SeriesData:
    """What the monthly chart shows, whoever draws it (plotly for images and slides, SVG on the page)."""

    labels: list[str]  # 4月 … 3月
    bars: list[float | None] | None  # the month's own figure, for a kind that accumulates (else None)
    line_name: str  # 累計 or 実績
    line: list[float | None]
    pace_name: str  # 目標 (a flat pace) or 想定ペース
    pace: list[float]
    checkpoints: list[tuple[str, float]]  # (month label, value)
    forecast: float | None  # at March
    unit: str
    milestone: bool
    note: str = ""  # what the pace starts from, and a period's earlier years: said under the title (fmt.pace_note)


def series_data(r: Result) -> SeriesData:
    """Monthly actuals (a sum: the month's figure and the running total), the expected pace, checkpoints and forecast."""
    ind = r.indicator
    kind = KINDS[ind.aggregation]
    months = fiscal.fy_months(r.fiscal_year)
    by_month = {p.month: p.value for p in r.points}
    bars = None
    if kind.accumulates:
        running, line = r.carried, []  # a period's earlier years count in its running total
        for m in months:
            running += by_month.get(m, 0.0)
            line.append(running if m in by_month or any(x > m for x in by_month) else None)
        bars = [by_month.get(m) for m in months]
    else:
        line = [by_month.get(m) for m in months]
    pace = [pace_at(r.pace_path, i) for i in range(1, 13)]
    return SeriesData(
        labels=[fiscal.month_short(m) for m in months], bars=bars, line_name="累計" if kind.accumulates else "実績", line=line,
        pace_name="目標" if len(set(pace)) == 1 else "想定ペース", pace=pace,
        checkpoints=[(fiscal.month_short(c.month), c.value) for c in ind.checkpoints_in(r.fiscal_year)],
        forecast=r.forecast, unit=ind.unit, milestone=kind.milestone, note=fmt.pace_note(r))


def gauge_alt(r: Result) -> str:
    """The year's standing in one line of text: the text alternative of the gauge (figure meta) and of the page's bar."""
    ind = r.indicator
    return (f"{ind.indicator_id} {ind.short_name}の達成状況: {STATUSES[r.status].symbol}{r.status}、実績 {fmt.value_text(r)}、"
            f"目標 {fmt.target_text(ind, r.target)}" + (f"、{fmt.progress_sentence(r)}、{fmt.pace_text(r)}" if r.value is not None else ""))


def series_title(r: Result) -> str:
    return f"{r.indicator.indicator_id} 月次推移（{fiscal.fy_label(r.fiscal_year)}）"


def series_alt(r: Result) -> str:
    """The monthly chart in one line of text: its text alternative on the page and in the figure's meta."""
    unit = r.indicator.unit
    return (f"{r.indicator.indicator_id} の月次推移（{fiscal.fy_label(r.fiscal_year)}、単位 {unit}）: "
            + ("、".join(f"{fiscal.month_short(p.month)} {fmt.number(p.value)}" for p in r.points) or "報告なし")
            + f"。{fmt.pace_text(r)}" + (f"。{fmt.pace_note(r)}" if fmt.pace_note(r) else "")
            + (f"。年度末見込み {fmt.with_unit(r.forecast, unit)}" if r.forecast is not None else ""))


def series(r: Result, footer: str | None = None, width: int = 900) -> go.Figure:
    """Monthly actuals against the expected pace (a sum: cumulated), with checkpoints and the forecast (``footer``: for an export)."""
    d = series_data(r)
    fig = go.Figure()
    if d.bars is not None:
        fig.add_bar(name="月の実績", x=d.labels, y=d.bars, marker_color=PALETTE[3])
    fig.add_scatter(name=d.line_name, x=d.labels, y=d.line, mode="lines+markers", line=dict(color=PALETTE[0], width=3),
                    connectgaps=False)
    fig.add_scatter(name=d.pace_name, x=d.labels, y=d.pace, mode="lines", line=dict(color=INK, dash="dash", width=2))
    if d.checkpoints:
        fig.add_scatter(name="中間目標", x=[c[0] for c in d.checkpoints], y=[c[1] for c in d.checkpoints],
                        mode="markers", marker=dict(symbol="square-open", size=11, color=INK, line=dict(width=2)))
    if d.forecast is not None:
        fig.add_scatter(name="年度末見込み", x=[d.labels[-1]], y=[d.forecast], mode="markers",
                        marker=dict(symbol="diamond-open", size=12, color=PALETTE[4], line=dict(width=2)))
    fig.update_layout(
        template=TEMPLATE, height=360, margin=dict(t=70, l=60, r=20, b=90), meta=dict(alt=series_alt(r)),
        title=dict(text=f"{series_title(r)}<br><sup>単位: {d.unit}{'　' + d.note if d.note else ''}</sup>",
                   font=dict(size=16)),  # the <sup> line is drawn at 70 %: 16 keeps it above 10 px
        yaxis=dict(title=d.unit, rangemode="tozero", range=[0, 105] if d.milestone else None),
        xaxis=dict(type="category"),
    )
    return with_footer(fig, footer, width) if footer else fig


MAX_LABEL = 22


def short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_width(text: str, size: float) -> float:
    """Rough width in px of a label: full-width characters 1 em, others 0.6 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def bullets_key(rs: Sequence[Result]) -> list[str]:
    """What the bars, the dashed line and the ticks of ``bullets`` mean, in words."""
    caps = any(fmt.is_cap(r) for r in rs)
    paced = any(pace_share(r) is not None for r in rs)
    return ["棒＝年度の値÷年度の目標" + ("（「上限の」は低いほど良い指標の上限に対する割合）" if caps else "") + "（150%超は▶）",
            "記号: " + "　".join(s.symbol + s.key for s in STATUSES.values()),
            "破線＝目標（100%）" + ("　縦棒＝想定ペース（基準月の末に届いているはずの値）" if paced else "")]


def bullets(rs: Sequence[Result], title: str, footer: str | None = None, compact: bool = False, row_px: int = 56,
            top: float = 150.0, key: bool = True) -> go.Figure:
    """Every indicator in one figure: a bar of value ÷ target (a cap: the share used), the pace as a tick,
    the target as a dashed line at 100 %, and status and % in words beside each bar.

    ``compact`` labels the bars by indicator ID only (a table beside it names them); without ``key`` the
    meaning of the marks (bullets_key) is left to the page, which writes it under the chart.
    """
    rs = list(reversed(rs))  # plotly draws the first category at the bottom
    labels = [r.indicator.indicator_id if compact else f"{r.indicator.indicator_id} {short(r.indicator.short_name)}" for r in rs]
    values = [None if r.progress is None else r.progress * 100 for r in rs]
    fig = go.Figure()
    fig.add_bar(
        name="達成率", y=labels, x=[min(v, top) if v is not None else 0.0 for v in values], orientation="h",
        marker=dict(color=[STATUSES[r.status].colour for r in rs], line=dict(color="#333333", width=0.5)),
        hovertemplate="%{y}<br>%{x:.0f}%<extra></extra>", showlegend=False,
    )
    paced = [(lab, x) for lab, x in ((lab, pace_share(r)) for lab, r in zip(labels, rs)) if x is not None]
    if paced:
        fig.add_scatter(name="想定ペース", y=[lab for lab, _ in paced], x=[min(x, top) for _, x in paced], showlegend=False,
                        mode="markers", marker=dict(symbol="line-ns-open", size=min(30, row_px // 2), color=INK, line=dict(width=3)),
                        hovertemplate="%{y}<br>想定ペース %{x:.0f}%<extra></extra>")
    # Shapes and annotations in one go: plotly validates each add_* call, which costs more than the whole figure.
    notes = [dict(text=f"{STATUSES[r.status].symbol} {r.status}　" + ("" if v is None else fmt.progress_text(r) + ("▶" if v > top else "")),
                  x=1.0, xref="paper", xanchor="left", xshift=10, y=lab, yref="y", showarrow=False, align="left",
                  font=dict(size=14, color=INK)) for lab, r, v in zip(labels, rs, values)]  # floored: never 100 % for 99.6 %
    # The key in words (no legend box to collide with the title): what the bar, the dashed line and the tick mean.
    words = bullets_key(rs)
    lines = ([] if not key else words if compact else ["　".join(words[:2]), words[2]])
    footer_lines = footer.count("<br>") + 1 if footer else 0
    top_px = (80 if lines else 60) + 17 * len(lines)
    bottom_px = 60 + (15 + 16 * footer_lines if footer else 0)
    counts = {k: sum(r.status == k for r in rs) for k in STATUSES}
    alt = f"{title}: {len(rs)}指標のうち " + "、".join(f"{k} {n}件" for k, n in counts.items() if n) + "。" + "、".join(
        f"{r.indicator.indicator_id} {r.status} {fmt.progress_text(r)}" for r in reversed(rs))
    fig.update_layout(
        meta=dict(alt=alt),
        template=TEMPLATE, height=top_px + bottom_px + row_px * max(2, len(rs)), bargap=0.35, showlegend=False,
        margin=dict(t=top_px, b=bottom_px, l=int(max((text_width(lab, 14) for lab in labels), default=100)) + 24, r=150),
        title=dict(text=f"{title}<br><sup>{'<br>'.join(lines)}</sup>" if lines else title, y=1, yref="container", yanchor="top",
                   pad=dict(t=36 if lines else 20)),
        xaxis=dict(title=dict(text="目標に対する割合（%）", standoff=8), range=[0, top], ticksuffix="%",
                   tickvals=[0, 25, 50, 75, 100, 125, 150]),
        yaxis=dict(automargin=False, type="category", ticklabelstandoff=6),
    )
    if footer:
        notes.append(dict(text=footer, xref="paper", yref="paper", x=0, y=0, yshift=-62, xanchor="left", yanchor="top",
                          align="left", showarrow=False, font=dict(size=11, color="#555555")))
    fig.update_layout(annotations=notes, shapes=[dict(type="line", x0=100, x1=100, xref="x", y0=0, y1=1, yref="paper",
                                                      line=dict(color=INK, dash="dash", width=2))])
    return fig


BAR_TABLE_CSS = """
.kpi-bars { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
.kpi-bars caption { text-align: left; color: #4A4A4A; padding: 0 0 0.4rem; }
.kpi-bars th, .kpi-bars td { border-bottom: 1px solid #D9D9D9; padding: 0.35rem 0.5rem; text-align: left; vertical-align: middle; }
.kpi-bars thead th { background: #F2F4F7; font-weight: 600; }
.kpi-bars tbody th { font-weight: 400; min-width: 12em; }
.kpi-bars .status { white-space: nowrap; font-weight: 600; }
.kpi-bars .barcell { min-width: 9em; width: 32%; }
.kpi-bars .bar { position: relative; height: 1.1rem; background: #F2F2F2; border: 1px solid #8C8C8C; }
.kpi-bars .fill { position: absolute; left: 0; top: 0; bottom: 0; }
.kpi-bars .goal { position: absolute; top: -3px; bottom: -3px; border-left: 2px dashed #1A1A1A; }
.kpi-bars .pace { position: absolute; top: -5px; bottom: -5px; border-left: 3px solid #1A1A1A; }
.kpi-bars .pct { white-space: nowrap; }
.kpi-bars .change { min-width: 8em; }
.kpi-bars tbody th a { color: #0B57A4; }
.kpi-bars tbody th a[aria-current] { color: #0A3D73; font-weight: 700; }
.kpi-key { color: #4A4A4A; font-size: 0.875rem; margin: 0.5rem 0 0; }
/* Narrow (a phone, 200 % zoom): each indicator becomes a small block (name; status and value; bar; % and change)
   instead of six squeezed columns. The container, not the window, decides: the sidebar may take part of it. */
.kpi-wrap { container-type: inline-size; }
@container (max-width: 700px) {
  .kpi-bars thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .kpi-bars tr { display: grid; grid-template-columns: minmax(6em, auto) 1fr; column-gap: 0.75rem;
                 border-bottom: 1px solid #D9D9D9; padding: 0.4rem 0; }
  .kpi-bars th, .kpi-bars td { border-bottom: none; padding: 0.15rem 0.25rem; }
  .kpi-bars tbody th, .kpi-bars .barcell { grid-column: 1 / -1; min-width: 0; width: auto; }
  .kpi-bars tbody th { font-weight: 600; }
  .kpi-bars .change { min-width: 0; }
}
"""


def pace_share(r: Result) -> float | None:
    """Where the pace tick stands on a bar, in % of the target; None when no tick is drawn (nothing reported, a zero
    target, or the pace already at the target, where the tick would sit on the target line)."""
    if not r.target.value or r.value is None or r.expected == r.target.value:
        return None
    return r.expected / r.target.value * 100


def bar_html(r: Result, top: float = 150.0, label: str | None = None) -> str:
    """One indicator's bar (styled by BAR_TABLE_CSS under .kpi-bars): value ÷ target (a cap: the share used) on a
    0–``top`` % scale, the target as a dashed line at 100 %, the pace as a tick. ``label``: its text alternative
    (default: the % and the pace in words)."""
    share = None if r.progress is None else r.progress * 100
    fill = 0.0 if share is None else min(share, top) / top * 100
    pace = pace_share(r)
    label = label or f"{fmt.progress_text(r)}" + (f"、想定ペース {math.floor(pace)}%" if pace is not None else "")
    return (f'<div class="bar" role="img" aria-label="{html.escape(label)}">'
            f'<span class="fill" style="width:{fill:.1f}%;background:{STATUSES[r.status].colour}"></span>'
            f'<span class="goal" style="left:{100 / top * 100:.1f}%"></span>'
            + (f'<span class="pace" style="left:{min(pace, top) / top * 100:.1f}%"></span>' if pace is not None else "")
            + "</div>")


@dataclass(frozen=True)
class DetailLinks:
    """Links from a list of indicators to each one's detail on the same page: ``href`` gives an indicator's address
    (built by the caller from known values), ``shown`` is the indicator whose detail is on screen, and ``box`` the key
    of the container that holds the detail: assets/links.js follows the link within the app, then brings that
    container's heading into view and gives it the keyboard's place."""
    href: Callable[[str], str]
    shown: str | None
    box: str

    def link(self, iid: str, text: str) -> str:
        """``text`` as the link to ``iid``'s detail."""
        return htmltable.cell_html(htmltable.Link(text, self.href(iid), in_app=True, show=self.box, current=iid == self.shown))


def bar_table_html(rs: Sequence[Result], caption: str, top: float = 150.0, key: Sequence[str] = (),
                   detail: DetailLinks | None = None) -> str:
    """Every indicator in one HTML table with a bar in each row: value ÷ target (a cap: the share used) on a
    0–150 % scale, the target as a dashed line at 100 %, the pace as a tick; status and % in words beside; ``key``
    (what the marks mean, bullets_key) as a line under it, in the same element (one element less to draw).
    With ``detail``, each indicator's name is a link to its detail (the one shown marked), followed within the app.

    The 指標 page's first view: real table markup that reflows at any width and needs no chart library.
    Every text is escaped (it comes from the policy data and kpi.fmt).
    """
    e = html.escape
    rows = []
    for r in rs:
        status = STATUSES[r.status]
        bar = bar_html(r, top)
        iid, name = r.indicator.indicator_id, f"{r.indicator.indicator_id} {r.indicator.short_name}"
        rows.append(
            f'<tr><th scope="row">{detail.link(iid, name) if detail else e(name)}</th>'
            f'<td class="status" style="color:{status.ink}">{e(fmt.status_text(r.status))}</td>'
            f'<td>{e(fmt.value_text(r))}<br><small>目標 {e(fmt.target_text(r.indicator, r.target))}</small></td>'
            f'<td class="barcell">{bar}</td><td class="pct">{e(fmt.progress_text(r))}'
            + (f"<br><small>ペース比 {e(fmt.percent(r.pace_ratio))}</small>" if r.pace_ratio is not None else "") + "</td>"
            f'<td class="change">{"<br>".join(f"<small>{e(x)}</small>" if i else e(x) for i, x in enumerate(fmt.change_lines(r)))}</td></tr>')
    head = "".join(f'<th scope="col">{h}</th>' for h in ("指標", "状況", "実績・目標", "達成率（0〜150%）", "達成率", "前回の報告から"))
    return (f'<style>{BAR_TABLE_CSS}</style><div class="kpi-wrap"><table class="kpi-bars"><caption>{e(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + (f'<p class="kpi-key">{e("　".join(key))}。</p>' if key else "") + "</div>")


def yearly(ind: Indicator, years: Sequence[tuple[int, float | None, float | None]], footer: str | None = None,
           width: int = 1000) -> go.Figure:
    """Year over year: each fiscal year's value beside that year's target, where the policy states one."""
    labels = [fiscal.fy_label(fy) for fy, _, _ in years]
    fig = go.Figure()
    for name, idx, colour in (("実績", 1, PALETTE[0]), ("目標", 2, "#B3B3B3")):
        ys = [row[idx] for row in years]
        fig.add_bar(name=name, x=labels, y=ys, marker_color=colour, text=[fmt.number(y) if y is not None else "" for y in ys],
                    textposition="outside", cliponaxis=False,
                    hovertemplate="%{x}<br>" + name + " %{y:,}" + ind.unit + "<extra></extra>")
    alt = f"{ind.indicator_id} 年度ごとの推移（単位 {ind.unit}）: " + "、".join(
        f"{fiscal.fy_label(fy)} 実績 {fmt.number(v)} 目標 {fmt.number(t)}" for fy, v, t in years)
    fig.update_layout(
        meta=dict(alt=alt),
        template=TEMPLATE, barmode="group", height=400, margin=dict(t=90, l=60, r=20, b=80), bargap=0.35,
        title=dict(text=f"{ind.indicator_id} 年度ごとの推移<br><sup>{ind.short_name}　単位: {ind.unit}</sup>", font=dict(size=15)),
        yaxis=dict(title=ind.unit, rangemode="tozero"), xaxis=dict(type="category"),
    )
    return with_footer(fig, footer, width) if footer else fig
