"""Streamlit glue shared by the pages, one module per kind of thing it holds:

- ``ui.data``: cached reads (departments, the chosen policy and store, the indicators' records, figures) and the
  view's state (``Filters``);
- ``ui.sidebar``: the pages on offer, the sidebar's filters kept in the URL, the link to the current view;
- ``ui.tables``: headings, notices, status rules and counts, tables and charts;
- ``ui.auth``: sign-in, who may write, and writing as an editor;
- ``ui.export``: image downloads of charts and the files a session has made.

Pages write ``ui.store()``, ``ui.heading(…)``: the names they use are re-exported here. Only layout and caching
live in this package; every rule is in kpi/.
"""
from __future__ import annotations

from ui.auth import write_as_editor
from ui.data import (
    Filters,
    batch_coverage,
    bootstrap,
    catalog,
    city_summary,
    current_filters,
    department,
    detail_figures,
    evaluation_view,
    filters,
    folder,
    inputs,
    load,
    overview_figure,
    policy,
    results,
    store,
)
from ui.sidebar import (
    CITY_PAGE,
    LATEST,
    OWN_VIEW,
    PAGES,
    URL_KEYS,
    arrived,
    copy_link,
    link_choice,
    page_list,
    pages,
    pages_for,
    sidebar,
    url_choice,
    view_href,
)
from ui.tables import (
    ASSETS,
    PLOTLY_CONFIG,
    accessibility,
    chart,
    escape,
    folder_warnings,
    heading,
    html,
    sample_notice,
    status_figures,
    status_metrics,
    status_rules,
    table,
)

# 指標's container of the chosen indicator's detail: links to an indicator (指標's list, 概要's cards) bring it into view
# once drawn (assets/links.js, data-kpi-show).
INDICATOR_DETAIL = "indicator_detail"


class PageDone(Exception):
    """Raised by ``stop``: the page has said all it has (an empty state) and app.py goes on after it."""


def stop() -> None:
    """End the page here, like st.stop(), but let app.py still draw what follows the page (the sidebar's copy-link).
    After st.stop() the live runtime refuses every further element, so the link vanished from pages that stopped early."""
    raise PageDone


__all__ = [
    "ASSETS", "CITY_PAGE", "INDICATOR_DETAIL", "LATEST", "OWN_VIEW", "PAGES", "PLOTLY_CONFIG", "URL_KEYS", "Filters", "PageDone",
    "accessibility", "arrived", "batch_coverage",
    "bootstrap", "catalog", "chart", "city_summary", "copy_link", "current_filters", "department", "detail_figures",
    "escape", "evaluation_view", "filters", "folder", "folder_warnings", "heading", "html", "inputs", "link_choice", "load",
    "overview_figure", "page_list", "pages", "pages_for", "policy", "results", "sample_notice", "sidebar", "status_figures", "status_metrics",
    "status_rules", "stop", "store", "table", "url_choice", "view_href", "write_as_editor",
]
