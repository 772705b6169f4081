"""serve.py: every connection the app server accepts sends small writes at once (TCP_NODELAY), every page's HTML says
where the app is, and every command that starts an app server goes through it."""
from __future__ import annotations

import asyncio
import asyncio.base_events
import shlex
import socket
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import serve
from conftest import ROOT, goto


async def _accepted_nodelay() -> int:
    """TCP_NODELAY of the socket an asyncio server accepted (as uvicorn's are: the listening socket made with
    protocol number 0, so the accepted one carries 0 too)."""
    seen: asyncio.Future = asyncio.get_running_loop().create_future()

    async def on_client(reader, writer):
        seen.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    listener.bind(("127.0.0.1", 0))
    server = await asyncio.start_server(on_client, sock=listener)
    async with server:
        _, writer = await asyncio.open_connection(*listener.getsockname())
        value = await asyncio.wait_for(seen, 10)
        writer.close()
    return value


def accepted_nodelay() -> int:
    # On a thread of its own: a browser test's synchronous Playwright may keep an event loop on this worker's thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _accepted_nodelay()).result()


def test_an_accepted_connection_sends_small_writes_at_once(monkeypatch):
    monkeypatch.setattr(asyncio.base_events, "_set_nodelay", serve.nodelay)
    assert accepted_nodelay() != 0


def test_why_serve_exists_asyncio_alone_leaves_nagle_on_for_an_accepted_socket():
    # If a Python release fixes this, serve.py's patch is no longer needed (but does no harm).
    assert accepted_nodelay() == 0


def test_every_app_server_command_goes_through_serve():
    from tools.cluster import unit_command

    assert unit_command(8501)[1:3] == [str(ROOT / "serve.py"), "run"]
    unit = (ROOT / "deploy" / "systemd" / "kpi-dashboard@.service").read_text(encoding="utf-8")
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert shlex.split(exec_start)[1:3] == ["/opt/kpi-dashboard/serve.py", "run"]
    assert "$(BIN)/python serve.py run app.py" in (ROOT / "Makefile").read_text(encoding="utf-8")
    assert '"serve.py"), "run"' in (ROOT / "tools" / "served.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("base, where", [("", '"/"'), ("kpi", '"/kpi/"'), ("/kpi/", '"/kpi/"'), ("a/b", '"/a/b/"')])
def test_the_page_html_says_where_the_app_is(base, where):
    original = '<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n  </head><body><head></body>'
    html = serve.page_html(original, base)
    assert html.startswith('<!DOCTYPE html>\n<html lang="ja">\n  <head><script>window.__streamlit={BACKEND_BASE_URL:location.origin+'
                           + where + "}</script>\n    <meta")
    assert html.count("<script>") == 1  # the first <head> only


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()


def test_the_app_server_answers_every_page_address_with_that_html(server):
    """/ and a page's own address (/indicators, with its query) are Streamlit's index.html with the line, once, never
    cached; the scripts are Streamlit's files as they are."""
    for path in ("/", "/indicators?dept=digital&fy=2025", "/city"):
        status, headers, body = fetch(server.url + path)
        html = body.decode("utf-8")
        assert status == 200 and headers["content-type"].startswith("text/html"), path
        assert html.count("window.__streamlit={BACKEND_BASE_URL:location.origin+\"/\"}") == 1 and '<html lang="ja">' in html, path
        assert headers["cache-control"] == "no-cache", path
    script = html.split('src="./static/js/', 1)[1].split('"', 1)[0]
    from streamlit import file_util

    assert fetch(f"{server.url}/static/js/{script}")[2] == Path(file_util.get_static_dir(), "static", "js", script).read_bytes()


@pytest.mark.browser
def test_a_page_opened_at_its_own_address_asks_the_app_at_once(server, page):
    """/indicators opened directly finds the app at the site's root: it never asks /indicators/_stcore/health, which
    is refused and costs a 100 ms wait before the right address is tried (0.15 s of the load, measured)."""
    asked = []
    page.on("request", lambda r: asked.append(r.url.removeprefix(server.url).split("?")[0]) if "/_stcore/" in r.url else None)
    goto(page, f"{server.url}/indicators?dept=digital&fy=2025")
    assert page.locator("h1").first.inner_text().startswith("指標")
    assert page.evaluate("document.documentElement.lang") == "ja"
    assert "/_stcore/health" in asked and not [u for u in asked if u.startswith("/indicators/")], asked
