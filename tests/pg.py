"""A temporary PostgreSQL server for the store tests: started once per session, stopped after.

``pg_server`` starts Debian's PostgreSQL (``/usr/lib/postgresql/<n>/bin`` or ``KPI_PG_BIN``) in a
temporary data folder on a free local port (as the ``postgres`` user when the tests run as
root: initdb refuses root) and SKIPS the tests that need it, with the reason, when the
binaries or psycopg are missing. Each test gets its own name space in one database
(``postgresql://kpi@127.0.0.1:<port>/kpitest/t<n>``), which costs nothing to make.

Tests run over both kinds of store with ``@pytest.mark.parametrize("store_kind", STORE_KINDS, indirect=True)``
(or ``pytestmark``): the ``store`` fixture of conftest.py then opens a folder or a PostgreSQL store.
"""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

STORE_KINDS = ["folder", "postgresql"]
DATABASE = "kpitest"


def pg_bin() -> Path | None:
    """The folder of initdb / pg_ctl: ``KPI_PG_BIN``, else the newest Debian PostgreSQL."""
    if os.environ.get("KPI_PG_BIN"):
        return Path(os.environ["KPI_PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def missing() -> str | None:
    """Why PostgreSQL tests cannot run here (None: they can)."""
    folder = pg_bin()
    if folder is None or not (folder / "initdb").exists():
        return "PostgreSQL のバイナリ（initdb, pg_ctl）がありません: apt-get install postgresql（または KPI_PG_BIN）"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg がありません: pip install -r requirements.txt"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "root では initdb が動かず、runuser もありません"
    return None


class PgServer:
    """One temporary server; ``fresh()`` gives a new, empty store address."""

    def __init__(self) -> None:
        from tools.served import free_port

        self.bin = pg_bin()
        self.tmp = Path(tempfile.mkdtemp(prefix="kpi-pg-"))
        self.data = self.tmp / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.tmp, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "kpi", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        options = (f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.tmp / "server.log"), "-w", "-t", "60", "start")
        self.base = f"postgresql://kpi@127.0.0.1:{self.port}"
        self._create_database()
        self._names = itertools.count(1)

    def _run(self, tool: str, *args: str) -> None:
        r = subprocess.run([*self.as_postgres, str(self.bin / tool), *args], capture_output=True, text=True, cwd=self.tmp, timeout=120)
        if r.returncode:
            raise RuntimeError(f"{tool} failed ({r.returncode}): {r.stderr or r.stdout}")

    def _create_database(self) -> None:
        import psycopg

        for _ in range(50):
            try:
                with psycopg.connect(f"{self.base}/postgres", autocommit=True) as conn:
                    conn.execute(f"CREATE DATABASE {DATABASE}")
                return
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not accept connections")

    def fresh(self) -> str:
        """A store address no test has used: its own name space in the test database."""
        return f"{self.base}/{DATABASE}/t{os.getpid()}x{next(self._names)}"

    def database(self, name: str) -> str:
        """A whole new database (for tests of an address without a name space)."""
        import psycopg

        with psycopg.connect(f"{self.base}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"{self.base}/{name}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server():
    reason = missing()
    if reason:
        pytest.skip(reason)
    server = PgServer()
    try:
        yield server
    finally:
        server.stop()
