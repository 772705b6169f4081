"""ui.pages: the pages st.navigation offers are made once per process and copied for each run, so that a run's
navigation (which marks the page it returns as runnable for that run) never touches another session's run."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import ROOT


def _script():
    import streamlit as st

    import ui
    from ui.sidebar import _page

    cat = ui.catalog()
    before = _page.cache_info().misses
    first, second = ui.pages(cat), ui.pages(cat)
    made = _page.cache_info().misses - before
    page = st.navigation(list(first.values()))
    st.text(repr({
        "paths": list(first) == list(second),
        "copies": all(first[p] is not second[p] for p in first),
        "same_pages": [first[p].url_path for p in first] == [second[p].url_path for p in second],
        "made_again": made,
        "runnable_only_here": page._can_be_called and not any(p._can_be_called for p in second.values()),
    }))


def test_pages_are_copies_of_pages_made_once(monkeypatch):
    monkeypatch.setenv("KPI_DATA_DIR", str(ROOT / "data"))
    at = AppTest.from_function(_script, default_timeout=60)
    at.run()
    at.run()  # a second run (as another session's) makes no page again
    assert not at.exception, at.exception
    shown = eval(at.text[0].value)  # noqa: S307 - our own repr of plain values
    assert shown == {"paths": True, "copies": True, "same_pages": True, "made_again": 0, "runnable_only_here": True}
