"""Issue 19, point 10: a page session's preview is released when its session ends.

The 実績アップロード page used to keep its preview (the file, its rows and the comparison) in session state, which
Streamlit keeps after the browser closes until another session happens to touch its store of disconnected sessions
(up to 128 of them): a 2,000,000-row preview kept about 190 MB. Now the page keeps only a key; the previews live
in ``importer.PREVIEWS``, bounded in bytes and in idle time, and their memory is handed back when they go."""
from __future__ import annotations

import gc
import time
import weakref
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from kpi import importer

ROWS = "".join(f"K4-3,{2000 + k // 12}-{k % 12 + 1:02d},{k % 90}\n" for k in range(300))


def canonical(n_copies: int = 1) -> bytes:
    return ("indicator_id,month,value\n" + ROWS * n_copies).encode()


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def test_the_cache_keeps_the_newest_previews_within_its_bytes(store, policy):
    pv = importer.preview(store, policy, canonical(), "a.csv")
    size = importer.preview_bytes(pv)
    cache = importer.PreviewCache(max_bytes=int(size * 2.5), idle_seconds=3600)
    refs = []
    for k in range(5):
        p = importer.preview(store, policy, canonical(), f"{k}.csv")
        refs.append(weakref.ref(p.diff))
        cache.put(f"session{k}", ("file", k), p)
        del p
    gc.collect()
    assert len(cache) == 2 and cache.total_bytes() <= cache.max_bytes
    assert [r() is None for r in refs] == [True, True, True, False, False]  # the oldest went, their memory with them
    assert cache.get("session4", ("file", 4)).file_name == "4.csv"
    assert cache.get("session4", ("file", 3)) is None  # made for another file or store version: not this one
    assert cache.get("session0") is None


def test_a_preview_nobody_looks_at_is_dropped_and_its_memory_handed_back(store, policy):
    cache = importer.PreviewCache(idle_seconds=60)
    importer.preview(store, policy, canonical(), "warm.csv")  # imports and first-use caches out of the way
    importer.release_memory()
    before = rss_mb()
    pv = importer.preview(store, policy, canonical(400), "big.csv")  # 120,000 rows
    held = weakref.ref(pv.diff)
    cache.put("closed-browser", ("f", 1), pv)
    estimate = importer.preview_bytes(pv) / 2**20
    del pv
    holding = rss_mb()
    assert cache.sweep(now=time.monotonic() + 30) == 0 and len(cache) == 1  # not idle long enough yet
    assert cache.sweep(now=time.monotonic() + 61) == 1 and len(cache) == 0
    gc.collect()
    assert held() is None
    after = rss_mb()
    assert holding - before > estimate * 0.5, (before, holding, estimate)
    assert holding - after > estimate * 0.5, (before, holding, after, estimate)  # handed back, not kept by the allocator


def test_the_sweeper_runs_by_itself(store, policy):
    cache = importer.PreviewCache(idle_seconds=0.5)
    cache.put("s", ("f", 1), importer.preview(store, policy, canonical(), "a.csv"))
    deadline = time.monotonic() + 10
    while len(cache) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(cache) == 0


# --- the page ------------------------------------------------------------------------------------

@pytest.fixture
def at(store, monkeypatch) -> AppTest:
    monkeypatch.setattr(importer, "PREVIEWS", importer.PreviewCache())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/upload.py").run()
    assert not at.exception, at.exception
    return at


def _previews_in_state(at: AppTest) -> list:
    values = list(at.session_state.values())
    assert values  # the page's own keys are there to look at
    return [v for v in values if isinstance(v, importer.Preview) or (isinstance(v, tuple) and any(
        isinstance(x, importer.Preview) for x in v))]


def test_the_page_keeps_its_preview_on_the_server_not_in_session_state(at, store):
    at.file_uploader[0].set_value(("a.csv", b"indicator_id,month,value\nK4-3,2024-04,5\n", "text/csv")).run()
    assert not at.exception, at.exception
    assert "登録" in [b.label for b in at.button]
    assert len(importer.PREVIEWS) == 1 and not _previews_in_state(at)
    session = at.session_state["_upload_session"]
    assert importer.PREVIEWS.get(session).file_name == "a.csv"
    at.file_uploader[0].set_value(None).run()  # the file taken away: its preview goes at once
    assert len(importer.PREVIEWS) == 0


def test_registering_after_the_preview_was_dropped_writes_nothing_and_says_so(at, store):
    at.file_uploader[0].set_value(("a.csv", b"indicator_id,month,value\nK4-3,2024-04,5\n", "text/csv")).run()
    batches = len(store.batches())
    importer.PREVIEWS.sweep(now=time.monotonic() + importer.PREVIEW_IDLE_SECONDS + 1)  # the page stood idle
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    assert any("有効期限が切れました" in e.value for e in at.error)
    assert len(store.batches()) == batches
    assert importer.PREVIEWS.get(at.session_state["_upload_session"]) is not None  # previewed again for the file still there
    at.button(key="commit").click().run()
    assert len(store.batches()) == batches + 1 and any("登録しました" in s.value for s in at.success)
