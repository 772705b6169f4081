"""The city's deployment on this machine: app servers started as deploy/systemd/kpi-dashboard@.service starts them,
behind nginx configured by deploy/nginx/kpi-dashboard.conf, all on free local ports.

Used by the load generator (bench/load.py) and the deployment tests (tests/test_deploy.py), so that both run the
files the IT section installs, not a copy: the unit's ExecStart (with this checkout and this Python for
/opt/kpi-dashboard), deploy/streamlit/config.toml as the working directory's config, and the nginx site with its
upstream ports and listen address replaced.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tools.served import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "kpi-dashboard.conf"
UNIT = DEPLOY / "systemd" / "kpi-dashboard@.service"
STREAMLIT_CONFIG = DEPLOY / "streamlit" / "config.toml"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
INSTALLED = "/opt/kpi-dashboard"  # where the unit expects the checkout


def nginx_available() -> bool:
    return Path(NGINX).exists()


def unit_command(port: int, script: Path = ROOT / "app.py") -> list[str]:
    """The unit's ExecStart for instance ``port``, pointed at this checkout (and ``script``, e.g. a one-line page)."""
    line = next(x for x in UNIT.read_text(encoding="utf-8").splitlines() if x.startswith("ExecStart="))
    args = shlex.split(line.removeprefix("ExecStart=").replace("%i", str(port)))
    args[0] = sys.executable  # /opt/kpi-dashboard/.venv/bin/python
    return [str(script) if a == f"{INSTALLED}/app.py" else a.replace(INSTALLED, str(ROOT)) for a in args]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process started by ``pid`` (and by those), from /proc: an app server's image exporter's browser."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
            parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        out += children
        todo += children
    return out


def tree_cpu_seconds(pid: int) -> float:
    """CPU time so far of ``pid`` and every process it started (a process that ended meanwhile counts nothing)."""
    total = 0.0
    for p in [pid, *descendants(pid)]:
        try:
            total += cpu_seconds(p)
        except (OSError, IndexError, ValueError):
            pass
    return total


def rss_bytes(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[21]) * os.sysconf("SC_PAGE_SIZE")


def wait_http(url: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.time() > deadline:
            raise RuntimeError(f"{url} did not answer")
        time.sleep(0.2)


class AppServer:
    """One app server: the unit's command on a free port, its working directory holding the deploy config."""

    def __init__(self, workdir: Path, env: dict[str, str], script: Path = ROOT / "app.py", port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Its own process group: the server and what it starts (the image exporter's browser) end together.
        self.proc = subprocess.Popen(unit_command(self.port, script), cwd=workdir, env=os.environ | env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.proc.pid

    def ready(self) -> AppServer:
        try:
            wait_http(self.url + "/_stcore/health")
        except RuntimeError:
            self.stop()
            raise
        return self

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """As a crash or a pulled plug: no chance to close its sessions."""
        self._signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def stop(self) -> None:
        self.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self._signal(signal.SIGKILL)  # whatever of the group is left
        self.proc.wait(10)


def site_config(ports: list[int], listen: int) -> str:
    """deploy/nginx/kpi-dashboard.conf with its upstream servers replaced by ``ports`` and listening on ``listen``."""
    text = SITE.read_text(encoding="utf-8")
    servers = re.findall(r"^( *)server 127\.0\.0\.1:\d+( [^;]*);$", text, flags=re.M)
    if not servers:
        raise ValueError(f"{SITE}: no 'server 127.0.0.1:PORT …;' line in the upstream")
    indent, options = servers[0]
    text = re.sub(r"^ *server 127\.0\.0\.1:\d+[^;]*;\n", "", text, flags=re.M)
    lines = "".join(f"{indent}server 127.0.0.1:{p}{options};\n" for p in ports)
    text = re.sub(r"(upstream kpi_dashboard \{\n(?: *#.*\n| *hash .*\n)*)", lambda m: m.group(1) + lines, text, count=1)
    text = re.sub(r"^ *listen \[::\]:80;\n", "", text, flags=re.M)
    return re.sub(r"^( *)listen 80;", rf"\g<1>listen 127.0.0.1:{listen};", text, flags=re.M)


class Nginx:
    """nginx in the foreground with its own prefix (a temporary folder): the main config wraps the deploy site."""

    def __init__(self, ports: list[int], folder: Path, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "logs").mkdir(exist_ok=True)
        (folder / "site.conf").write_text(site_config(ports, self.port), encoding="utf-8")
        # Running as root, nginx's workers would become "nobody" and could not use the temporary folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/logs/error.log warn;\n"
            "events { worker_connections 4096; }\n"
            "http {\n"
            f"  access_log off;\n  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
            f"  fastcgi_temp_path {folder}/fastcgi;\n  uwsgi_temp_path {folder}/uwsgi;\n  scgi_temp_path {folder}/scgi;\n"
            f"  include {folder}/site.conf;\n}}\n", encoding="utf-8")
        self.proc = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.folder = folder

    def ready(self) -> Nginx:
        try:
            wait_http(self.url + "/_stcore/health", timeout=30)
        except RuntimeError:
            err = self.stop()
            raise RuntimeError(f"nginx did not start: {err}") from None
        return self

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""


class Cluster:
    """``servers`` app servers of ``script`` over one store (``env``: KPI_STORE, KPI_DATA_DIR), behind nginx when
    ``nginx`` is true (always with two or more). ``url`` is where clients connect; ``pids`` are the app servers'."""

    def __init__(self, servers: int, env: dict[str, str], script: Path = ROOT / "app.py", nginx: bool | None = None):
        self.tmp = Path(tempfile.mkdtemp(prefix="kpi-cluster-"))
        workdir = self.tmp / "etc"
        (workdir / ".streamlit").mkdir(parents=True)
        shutil.copy(STREAMLIT_CONFIG, workdir / ".streamlit" / "config.toml")
        self.apps = [AppServer(workdir, env, script) for _ in range(servers)]
        self.nginx: Nginx | None = None
        try:
            for a in self.apps:
                a.ready()
            if nginx or (nginx is None and servers > 1):
                self.nginx = Nginx([a.port for a in self.apps], self.tmp / "nginx").ready()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return self.nginx.url if self.nginx else self.apps[0].url

    @property
    def pids(self) -> list[int]:
        return [a.pid for a in self.apps if a.proc.poll() is None]

    def stop(self) -> None:
        if self.nginx:
            self.nginx.stop()
        for a in self.apps:  # all at once: each takes a few seconds to end its sessions
            a.terminate()
        for a in self.apps:
            a.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
