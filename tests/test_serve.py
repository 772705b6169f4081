"""serve.py: every connection the app server accepts sends small writes at once (TCP_NODELAY), and every command
that starts an app server goes through it."""
from __future__ import annotations

import asyncio
import asyncio.base_events
import shlex
import socket
from concurrent.futures import ThreadPoolExecutor

import serve
from conftest import ROOT


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
