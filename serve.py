"""The app server's command: ``python serve.py run app.py [options]`` is ``streamlit run app.py [options]`` with
small writes sent at once on every connection the server accepts (TCP_NODELAY).

Why: asyncio turns Nagle's algorithm off only for sockets whose protocol number says TCP, and the sockets Streamlit's
server (uvicorn) accepts carry 0 there. A message written while the one before is not yet acknowledged then waits for
the other side's delayed acknowledgement, 40 ms on Linux: measured on this machine, a one-line page's script run took
42 ms at the protocol level instead of 4 (the wait came after the first message), and a page with a large element
waited 40 ms more after it. Every command that starts an app server uses this file: ``make run``, the systemd unit
(deploy/systemd), the tests' and benchmarks' servers (tools/served.py, tools/cluster.py).
"""
from __future__ import annotations

import asyncio.base_events
import socket
import sys


def nodelay(sock: socket.socket) -> None:
    """asyncio's own _set_nodelay without its check of the protocol number (an accepted socket's is 0)."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def main(argv: list[str]) -> None:
    # asyncio calls base_events._set_nodelay for every socket transport it makes: set here, before the server starts.
    asyncio.base_events._set_nodelay = nodelay
    from streamlit.web import cli

    sys.argv = ["streamlit", *argv]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
