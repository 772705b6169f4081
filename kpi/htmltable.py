"""Static HTML for pages that list many rows (tables) or open with a few figures (counts per status).

Streamlit's st.table renders every cell as Markdown in the browser: 60 departments × 11 columns took 1.1–1.4 s
to appear after the script had finished. A plain HTML table appears with the page. Every text is escaped here,
links are built by the caller from known values (IDs, years), and the first column heads its row for screen readers.
"""
from __future__ import annotations

import html
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    """A cell that links somewhere: ``text`` is shown (escaped), ``href`` must come from known values. An ``in_app``
    link names a page of this app (``indicators?indicator=K2-2&fy=2025``): assets/links.js follows it within the app,
    as the browser's back button does, instead of loading the whole app again; with ``show`` (the key of a container
    the page draws), that container's heading then comes into view and takes the keyboard's place. A ``current`` link
    leads to what is on screen now (aria-current)."""

    text: str
    href: str
    new_tab: bool = False
    in_app: bool = False
    show: str | None = None
    current: bool = False


Cell = str | int | float | Link | None

CSS = """
.kpi-table-wrap { overflow-x: auto; }
.kpi-table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
.kpi-table caption { text-align: left; color: #4A4A4A; padding: 0 0 0.4rem; }
.kpi-table th, .kpi-table td { border: 1px solid #D9D9D9; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
.kpi-table thead th { background: #F2F4F7; font-weight: 600; }
.kpi-table tbody th { font-weight: 400; min-width: 8em; }
.kpi-table .num { text-align: right; white-space: nowrap; }
.kpi-table a { color: #0B57A4; }
.kpi-table caption.kpi-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.kpi-table .nw { white-space: nowrap; }
.kpi-table .wide { min-width: 12em; }
/* A window a little narrower than a laptop's (the page 700–840 px wide): tighter cells and name columns before the
   table scrolls sideways (市全体 was 76 px too wide in a 1180 px window). */
@container (max-width: 840px) {
  .kpi-table th, .kpi-table td { padding: 0.35rem 0.35rem; }
  .kpi-table tbody th { min-width: 6em; }
  .kpi-table .wide { min-width: 9em; }
  .kpi-table .num { padding: 0.35rem 0.25rem; }
}
/* Narrow (a phone, 200 % zoom): each row becomes a block of "column: value" lines instead of a table wider than the
   screen. The container decides, not the window; the header stays in the markup for screen readers. */
.kpi-table-box { container-type: inline-size; }
@container (max-width: 700px) {
  .kpi-table thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .kpi-table tr { display: block; border: 1px solid #D9D9D9; margin-bottom: 0.5rem; }
  .kpi-table th, .kpi-table td { display: grid; grid-template-columns: 7em 1fr; column-gap: 0.5rem; border: none;
                                 text-align: left; white-space: normal; }
  .kpi-table tbody th { font-weight: 600; background: #F2F4F7; display: block; }
  .kpi-table td::before { content: attr(data-label); color: #4A4A4A; }
  .kpi-table .num { text-align: left; }
  .kpi-table br.kpi-soft { display: none; }
  .kpi-table td.inl { display: inline-flex; column-gap: 0.25rem; padding-right: 0.5rem; }  /* short figures side by side */
}
"""
# In a text of a cell: a line break in the table only (a date kept narrow: 令和8年 / 10月), gone in the narrow layout's
# "column: value" line, where it would only split the value.
TABLE_BREAK = "\u2028"


def cell_html(value: Cell) -> str:
    if isinstance(value, Link):
        extra = ((' target="_blank" rel="noopener"' if value.new_tab else "") + (" data-kpi-page" if value.in_app else "")
                 + (f' data-kpi-show="{html.escape(value.show)}"' if value.show else "") + (' aria-current="true"' if value.current else ""))
        return f'<a href="{html.escape(value.href)}"{extra}>{html.escape(value.text)}</a>'
    return "" if value is None else html.escape(str(value)).replace("\n", "<br>").replace(TABLE_BREAK, '<br class="kpi-soft">')


def table_html(columns: Sequence[str], rows: Sequence[Sequence[Cell]], caption: str,
               numeric: Collection[str] = (), nowrap: Collection[str] = (), wide: Collection[str] = (),
               hidden_caption: bool = False, side_by_side: Collection[str] = ()) -> str:
    """One table: ``rows`` hold a cell per column (a line break in a text is kept, TABLE_BREAK in the table layout only); ``numeric`` columns are
    right-aligned, ``nowrap`` ones kept on one line, ``wide`` ones given room for a sentence. A ``hidden_caption``
    is read by screen readers only (where the page's own heading already says what the table is). In the narrow layout,
    the ``side_by_side`` columns (short figures) share lines instead of taking one each."""
    def cls(col: str) -> str:
        names = [n for n, on in (("num", col in numeric), ("nw", col in nowrap), ("wide", col in wide), ("inl", col in side_by_side))
                 if on]
        return f' class="{" ".join(names)}"' if names else ""

    def cell(i: int, col: str, value: Cell) -> str:
        if i == 0:  # the first column heads its row
            return f'<th scope="row"{cls(col)}>{cell_html(value)}</th>'
        label = html.escape(col.replace("\n", ""))  # shown before the value when the table is narrow
        return f'<td{cls(col)} data-label="{label}">{cell_html(value)}</td>'

    head = "".join(f'<th scope="col"{cls(c)}>{cell_html(c)}</th>' for c in columns)
    body = "".join("<tr>" + "".join(cell(i, c, v) for i, (c, v) in enumerate(zip(columns, row, strict=True))) + "</tr>"
                   for row in rows)
    cap = ' class="kpi-sr"' if hidden_caption else ""
    return (f'<style>{CSS}</style><div class="kpi-table-box"><div class="kpi-table-wrap"><table class="kpi-table"><caption{cap}>'
            f"{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></div>")


FIGURES_CSS = """
dl.kpi-figures { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; margin: 0 0 0.5rem; padding: 0; }
.kpi-figures div { flex: 1 1 6.5rem; }
.kpi-figures dt { font-size: 0.875rem; }
.kpi-figures dd { margin: 0; font-size: 2.25rem; line-height: 1.3; white-space: nowrap; }
"""


def figures_html(figures: Sequence[tuple[str, str]], label: str) -> str:
    """A row of labelled figures (label above, figure below, as st.metric draws them) as one description list.
    Pages that open with counts use it instead of st.metric, whose scripts (number formatting, a chart loader)
    the browser would otherwise fetch before the page appears. It wraps onto more lines when narrow."""
    return f"<style>{FIGURES_CSS}</style>{_figures_dl(figures, label)}"


def _figures_dl(figures: Sequence[tuple[str, str]], label: str) -> str:
    e = html.escape
    items = "".join(f"<div><dt>{e(name)}</dt><dd>{e(value)}</dd></div>" for name, value in figures)
    return f'<dl class="kpi-figures" aria-label="{e(label)}">{items}</dl>'


SECTION_CSS = """
section.kpi-section { border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; padding: 1rem; margin: 0; }
section.kpi-section + section.kpi-section { margin-top: 1rem; }
.kpi-section h4 { font-size: 1.25rem; font-weight: 600; line-height: 1.4; margin: 0 0 0.75rem; padding: 0; }
.kpi-section-body { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; }
.kpi-section-side { flex: 1 1 11rem; }
.kpi-section-main { flex: 3 1 20rem; }
.kpi-section-main p { margin: 0 0 0.6rem; }
.kpi-section .kpi-note { color: rgba(14, 14, 14, 0.65); font-size: 0.875rem; margin: 0; }
"""

Segment = tuple[str, bool]  # (text, bold)


@dataclass(frozen=True)
class Badge:
    """A short label on a tinted ground inside a paragraph (「新たに遅れ」, a report overdue), as st.badge draws one."""

    text: str
    colour: str  # "orange" or "red" (CARD_CSS)


def _segment(part: Segment | Badge) -> str:
    if isinstance(part, Badge):
        return f'<span class="kpi-badge kpi-badge-{html.escape(part.colour)}">{html.escape(part.text)}</span>'
    text, bold = part
    return f"<strong>{cell_html(text)}</strong>" if bold else cell_html(text)


def _paragraph(segments: Sequence[Segment | Badge]) -> str:
    return "<p>" + "".join(_segment(s) for s in segments) + "</p>"


def paragraphs_html(paragraphs: Sequence[Sequence[Segment]]) -> str:
    """Paragraphs of text segments (some bold), every text escaped, a line break kept as a line."""
    return "".join(_paragraph(p) for p in paragraphs)


# What st.expander and st.caption look like, drawn as HTML inside an element the page draws anyway. Measured in
# Chromium (bench/bench_feel.py's pages): each st.expander measures its content for its animation (a forced layout)
# and each element is React work; 指標 with its two expanders and their contents as <details> here appeared 0.1 s sooner.
BLOCK_CSS = """
details.kpi-more { border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; margin: 0 0 1rem; }
details.kpi-more:last-child { margin-bottom: 0; }  /* the page's own gap follows */
details.kpi-more > summary { cursor: pointer; list-style: none; padding: 0.5rem 1rem; font-size: 0.875rem; line-height: 1.6;
                             border-radius: 0.5rem; }
details.kpi-more > summary::-webkit-details-marker { display: none; }
details.kpi-more > summary::before { content: ""; display: inline-block; width: 0.45em; height: 0.45em; margin: 0 0.8em 0.1em 0.1em;
                                     border-right: 2px solid currentColor; border-bottom: 2px solid currentColor; transform: rotate(-45deg); }
details.kpi-more[open] > summary::before { transform: rotate(45deg); }
details.kpi-more > summary:hover { color: #0060A0; }
.kpi-more-body { padding: 0 1rem 1rem; font-size: 1rem; }
.kpi-more-body p { margin: 0 0 0.75rem; }
.kpi-more-body ul, .kpi-more-body ol { margin: 0 0 0.5rem; padding-left: 1.5rem; }
.kpi-more-body li { margin: 0.15rem 0; }
p.kpi-caption { color: rgba(14, 14, 14, 0.6); font-size: 0.875rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
"""


def _block_style(style: bool) -> str:
    return f"<style>{BLOCK_CSS}</style>" if style else ""


def details_html(summary: str, body: str, style: bool = True) -> str:
    """A closed section that opens in place, as st.expander draws one: ``summary`` is escaped; ``body`` is HTML made
    by this module's functions (never a text as given). The browser's own <details>: keyboard and screen readers
    know it, and what it holds is neither styled nor laid out until it is opened. ``style=False`` where the same
    element has the style already (caption_html before it)."""
    return (f'{_block_style(style)}<details class="kpi-more"><summary>{html.escape(summary)}</summary>'
            f'<div class="kpi-more-body">{body}</div></details>')


def caption_html(text: str, style: bool = True) -> str:
    """A line of small grey text under a table or chart, as st.caption draws it (escaped)."""
    return f'{_block_style(style)}<p class="kpi-caption">{cell_html(text)}</p>'


_ITEM = re.compile(r"^( *)(-|\d+\.) (.*)$")


def _inline(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text.strip()))


def markdown_list_html(text: str) -> str:
    """The app's own fixed texts written in Markdown (kpi.evaluate.STATUS_RULES, shown in the README too) as HTML:
    paragraphs, "- " and "1. " items nested by their indent, an indented line without a mark continuing the item it
    is indented under (joined without a space, as Japanese text is; after a nested list it starts a line of its own),
    **bold**. Not a Markdown reader: any other mark stays as written, and every text is escaped."""
    out: list[str] = []
    lists: list[tuple[int, str]] = []  # the open lists, outermost first: (indent of their items, "ul" or "ol")

    def close(deeper_than: int) -> None:
        while lists and lists[-1][0] > deeper_than:
            out.append(f"</li></{lists.pop()[1]}>")

    for line in text.splitlines():
        item = _ITEM.match(line)
        if not line.strip():
            close(-1)
        elif item:
            indent, tag = len(item.group(1)), "ol" if item.group(2)[0].isdigit() else "ul"
            close(indent)
            if lists and lists[-1][0] == indent and lists[-1][1] != tag:
                close(indent - 1)
            if lists and lists[-1][0] == indent:
                out.append("</li>")
            else:
                out.append(f"<{tag}>")
                lists.append((indent, tag))
            out.append(f"<li>{_inline(item.group(3))}")
        elif lists and line.startswith(" "):
            close(len(line) - len(line.lstrip(" ")) - 1)
            out.append(_inline(line))  # the same sentence or paragraph (after a list: a line of its own already)
        else:
            close(-1)
            out.append(f"<p>{_inline(line)}</p>")
    close(-1)
    return "".join(out)


def dict_table_html(rows: Sequence[dict], caption: str, **options) -> str:
    """table_html of rows given as dicts with the same keys (the columns, in order)."""
    columns = list(rows[0]) if rows else []
    return table_html(columns, [list(row.values()) for row in rows], caption, **options)


def section_html(heading: str, figures: Sequence[tuple[str, str]], note: str, paragraphs: Sequence[Sequence[Segment]],
                 empty: str = "", style: bool = True) -> str:
    """A bordered section: its heading, a side column of figures (figures_html) and a note, and the main column's
    paragraphs (each a list of text segments, some bold); ``empty`` when there are none. One element where the page
    drew eight (container, heading, two columns, figures, caption, paragraphs): each is a message to the browser and
    work for the server. Every text is escaped; the columns stack when narrow. Sections one after another may share
    an element (``style=False`` after the first)."""
    e = html.escape
    main = "".join(_paragraph(p) for p in paragraphs) or f'<p class="kpi-note">{e(empty)}</p>'
    side = _figures_dl(figures, heading) + (f'<p class="kpi-note">{e(note)}</p>' if note else "")
    return (f'{f"<style>{FIGURES_CSS}{SECTION_CSS}</style>" if style else ""}<section class="kpi-section" aria-label="{e(heading)}"><h4>{e(heading)}</h4>'
            f'<div class="kpi-section-body"><div class="kpi-section-side">{side}</div><div class="kpi-section-main">{main}</div></div></section>')


CARD_CSS = """
.kpi-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 22rem), 1fr)); gap: 1rem; }
.kpi-card { border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; padding: 1rem; overflow-wrap: anywhere; }
.kpi-card p { margin: 0 0 0.75rem; }
.kpi-card p:last-child { margin: 0; }
.kpi-card a { color: #0B57A4; }
.kpi-badge { display: inline-block; border-radius: 0.25rem; padding: 0 0.4rem; font-size: 0.875rem; line-height: 1.6; }
p > .kpi-badge:not(:first-child) { margin-left: 0.5rem; }
.kpi-badge-orange { background: #FFF0DB; color: #7A3E00; }
.kpi-badge-red { background: #FDE8E8; color: #9F0000; }
"""


@dataclass(frozen=True)
class Card:
    """A bordered card: its paragraphs (text segments, some bold, and badges; the first names it), then its link."""

    label: str
    paragraphs: Sequence[Sequence[Segment | Badge]]
    link: Link


def cards_html(cards: Sequence[Card]) -> str:
    """Cards side by side, as many as fit at 22rem or more (one under another on a phone), in one element: 概要 drew
    three elements a card (a bordered container, its text, a page link) in two columns, and appeared 0.1 s sooner this
    way (bench/bench_feel.py A/B, README). Every text is escaped; the links are built by the caller from known values."""
    e = html.escape
    items = "".join(f'<article class="kpi-card" aria-label="{e(c.label)}">{"".join(_paragraph(p) for p in c.paragraphs)}'
                    f"<p>{cell_html(c.link)}</p></article>" for c in cards)
    return f'<style>{CARD_CSS}</style><div class="kpi-cards">{items}</div>' if cards else ""


CHOICES_CSS = """
.kpi-choices { display: flex; flex-wrap: wrap; align-items: center; gap: 0.35rem 0.6rem; margin: 0 0 0.6rem; font-size: 0.875rem; }
.kpi-choices .kpi-choices-label { color: rgba(14, 14, 14, 0.75); }
.kpi-choices ul { display: inline-flex; flex-wrap: wrap; list-style: none; margin: 0; padding: 0; }
.kpi-choices li { margin: 0; }
.kpi-choices li > * { display: inline-block; min-height: 2rem; box-sizing: border-box; padding: 0.3rem 0.8rem;
                      border: 1px solid rgba(49, 51, 63, 0.25); margin-left: -1px; line-height: 1.4; }
.kpi-choices li:first-child > * { border-radius: 0.5rem 0 0 0.5rem; margin-left: 0; }
.kpi-choices li:last-child > * { border-radius: 0 0.5rem 0.5rem 0; }
.kpi-choices a { color: #0B57A4; text-decoration: none; background: #FFFFFF; }
.kpi-choices a:hover { background: #F0F4FA; text-decoration: underline; }
.kpi-choices [aria-current] { position: relative; background: #E6EEF8; border-color: #0B57A4; color: #0A3D73; font-weight: 600; }
.kpi-choices + .kpi-choices { margin-top: -0.2rem; }
"""


@dataclass(frozen=True)
class Choice:
    """One way to show a view: its words and, unless it is the one shown, the address that shows it (an in-app link)."""

    text: str
    href: str | None
    name: str = ""  # what the link chooses (order:worst): after the new view is drawn, assets/links.js focuses it


def choices_html(label: str, choices: Sequence[Choice], style: bool = True) -> str:
    """A choice of view as a row of links, the one shown marked (aria-current) and not a link: a link chooses by the
    address (?order=worst), followed within the app (assets/links.js) like the Back button. Plain HTML loads no widget's
    scripts: 並べ方 as a segmented control cost 指標's first load five script files (bench/bench_feel.py A/B, README).
    Every text is escaped; the addresses are built by the caller from known values."""
    e = html.escape
    items = "".join(
        f'<li><span aria-current="true" tabindex="-1" data-kpi-choice="{e(c.name)}">{e(c.text)}</span></li>' if c.href is None
        else f'<li><a href="{e(c.href)}" data-kpi-page data-kpi-choice="{e(c.name)}">{e(c.text)}</a></li>' for c in choices)
    return (f"<style>{CHOICES_CSS}</style>" if style else "") + (
        f'<nav class="kpi-choices" aria-label="{e(label)}"><span class="kpi-choices-label" aria-hidden="true">{e(label)}：</span>'
        f"<ul>{items}</ul></nav>")


# As the framework's own list of pages looked (Streamlit 1.67's sidebar navigation: 14 px text, a 16 px grey icon,
# 28 px rows, the shown page bold on a grey band), so that nothing moves for the people who know it.
PAGES_CSS = """
.kpi-pages { margin: -0.5rem 0 0; padding: 0 0 1rem; border-bottom: 1px solid rgba(14, 14, 14, 0.2); }
.kpi-pages ul { list-style: none; margin: 0; padding: 0; }
.kpi-pages li { margin: 0; padding: 0; }
.kpi-pages a { display: flex; align-items: center; gap: 0.5rem; min-height: 28px; margin: 2px 0; padding: 0 0.5rem; border-radius: 0.5rem;
               color: rgba(14, 14, 14, 0.8); font-size: 0.875rem; line-height: 1.5; text-decoration: none; }
.kpi-pages a:hover { background: rgba(169, 169, 162, 0.15); color: rgb(14, 14, 14); }
.kpi-pages a[aria-current] { background: rgba(169, 169, 162, 0.25); color: rgb(14, 14, 14); font-weight: 600; }
.kpi-pages .kpi-icon { font-family: "Material Symbols Rounded"; font-size: 1rem; line-height: 1; width: 1rem; overflow: hidden;
                       color: rgba(14, 14, 14, 0.6); font-weight: 400; font-style: normal; letter-spacing: normal;
                       text-transform: none; white-space: nowrap; font-feature-settings: "liga"; user-select: none; }
"""


CURRENT_PAGE = ' aria-current="page"'


def icon_ligature(icon: str) -> str:
    """``:material/monitoring:`` → ``monitoring``: the word the framework's icon font draws as the icon."""
    return icon.removeprefix(":material/").removesuffix(":")


@dataclass(frozen=True)
class PageLink:
    """One page in the list of pages: its title, its icon as st.Page takes it (``:material/monitoring:``), its address
    (``indicators``; ``./`` for the page the app opens on) and whether it is the page shown."""

    title: str
    icon: str
    href: str
    current: bool = False


def pages_html(label: str, pages: Sequence[PageLink]) -> str:
    """The app's pages as a list of links (``<nav>``, named ``label``), the shown one marked ``aria-current="page"``:
    one element the browser draws with the page, where the framework's own list cost every page's first load about
    0.05 s (bench/HISTORY.md). Followed within the app (data-kpi-page, assets/links.js); the icon is a ligature of the
    framework's icon font, hidden from screen readers. Every text is escaped; titles, icons and addresses are the app's."""
    e = html.escape
    items = "".join(
        f'<li><a href="{e(p.href)}" data-kpi-page{CURRENT_PAGE if p.current else ""}>'
        f'<span class="kpi-icon" aria-hidden="true">{e(icon_ligature(p.icon))}</span><span>{e(p.title)}</span></a></li>' for p in pages)
    return f'<style>{PAGES_CSS}</style><nav class="kpi-pages" aria-label="{e(label)}"><ul>{items}</ul></nav>'
