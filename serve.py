"""The app server's command: ``python serve.py run app.py [options]`` is ``streamlit run app.py [options]`` with
small writes sent at once on every connection the server accepts (TCP_NODELAY), and a page's HTML that says where the
app is.

Why: asyncio turns Nagle's algorithm off only for sockets whose protocol number says TCP, and the sockets Streamlit's
server (uvicorn) accepts carry 0 there. A message written while the one before is not yet acknowledged then waits for
the other side's delayed acknowledgement, 40 ms on Linux: measured on this machine, a one-line page's script run took
42 ms at the protocol level instead of 4 (the wait came after the first message), and a page with a large element
waited 40 ms more after it. Every command that starts an app server uses this file: ``make run``, the systemd unit
(deploy/systemd), the tests' and benchmarks' servers (tools/served.py, tools/cluster.py).

Where the app is: a page opened at its own address (/indicators, /city) cannot tell Streamlit's page whether
"indicators" is a page or the path the app is served under. It asks /indicators/_stcore/health first, is refused,
waits 100 ms and asks /_stcore/health: 0.15 s of every such load, measured in Chromium. The HTML says it
(``window.__streamlit``, read before the page's scripts start), and says the page is Japanese (``lang="ja"``) from
its first byte rather than once assets/a11y.js has run.
"""
from __future__ import annotations

import asyncio.base_events
import json
import socket
import sys
from collections.abc import Callable
from pathlib import Path


def nodelay(sock: socket.socket) -> None:
    """asyncio's own _set_nodelay without its check of the protocol number (an accepted socket's is 0)."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def page_html(original: str, base_path: str) -> str:
    """Streamlit's index.html saying where the app is (served under ``base_path``, "" at the site's root) and that the
    page is Japanese."""
    where = json.dumps("/" + "".join(f"{part}/" for part in base_path.strip("/").split("/") if part))
    script = f"<script>window.__streamlit={{BACKEND_BASE_URL:location.origin+{where}}}</script>"
    return original.replace('<html lang="en">', '<html lang="ja">', 1).replace("<head>", "<head>" + script, 1)


def with_page_html(create: Callable) -> Callable:
    """Streamlit's static-file handler (``create(directory, base_url)``), answering index.html with ``page_html``: for
    "/" and for every page's own address (which Streamlit answers with index.html)."""
    def create_handler(directory: str, base_url: str | None):
        from starlette.responses import FileResponse, HTMLResponse

        handler = create(directory, base_url)
        index = Path(directory, "index.html").resolve()
        html = page_html(index.read_text(encoding="utf-8"), base_url or "")
        answer = handler.get_response

        async def get_response(path: str, scope):
            response = await answer(path, scope)
            if isinstance(response, FileResponse) and Path(response.path).resolve() == index:
                return HTMLResponse(html, status_code=response.status_code,
                                    headers={"Cache-Control": response.headers.get("Cache-Control", "no-cache")})
            return response

        handler.get_response = get_response
        return handler

    return create_handler


def main(argv: list[str]) -> None:
    # asyncio calls base_events._set_nodelay for every socket transport it makes: set here, before the server starts.
    asyncio.base_events._set_nodelay = nodelay
    from streamlit.web import cli
    from streamlit.web.server.starlette import starlette_static_routes as routes

    routes.create_streamlit_static_handler = with_page_html(routes.create_streamlit_static_handler)

    sys.argv = ["streamlit", *argv]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
