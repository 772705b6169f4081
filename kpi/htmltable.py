"""Static HTML tables for pages that list many rows.

Streamlit's st.table renders every cell as Markdown in the browser: 60 departments × 11 columns took 1.1–1.4 s
to appear after the script had finished. A plain HTML table appears with the page. Every text is escaped here,
links are built by the caller from known values (IDs, years), and the first column heads its row for screen readers.
"""
from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    """A cell that links somewhere: ``text`` is shown (escaped), ``href`` must come from known values."""

    text: str
    href: str
    new_tab: bool = False


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
"""


def cell_html(value: Cell) -> str:
    if isinstance(value, Link):
        extra = ' target="_blank" rel="noopener"' if value.new_tab else ""
        return f'<a href="{html.escape(value.href)}"{extra}>{html.escape(value.text)}</a>'
    return "" if value is None else html.escape(str(value))


def table_html(columns: Sequence[str], rows: Sequence[Sequence[Cell]], caption: str,
               numeric: Collection[str] = ()) -> str:
    """One table: ``rows`` hold a cell per column; ``numeric`` columns are right-aligned."""
    def cls(col: str) -> str:
        return ' class="num"' if col in numeric else ""

    head = "".join(f'<th scope="col"{cls(c)}>{html.escape(c)}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(
            (f'<th scope="row"{cls(c)}>' if i == 0 else f"<td{cls(c)}>") + cell_html(v) + ("</th>" if i == 0 else "</td>")
            for i, (c, v) in enumerate(zip(columns, row, strict=True))) + "</tr>"
        for row in rows)
    return (f'<style>{CSS}</style><div class="kpi-table-wrap"><table class="kpi-table"><caption>{html.escape(caption)}'
            f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")
