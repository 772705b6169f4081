"""Capacity measured on the server: N sessions at once, spoken in Streamlit's own WebSocket protocol.

    python bench/load.py [--sessions 20 100 200] [--servers 1 2] [--stores folder postgresql] [--departments 10] [--pages 指標 概要 …]

Each session is what a browser's page load is to the server: a WebSocket to ``/_stcore/stream`` (a new session),
a ``rerun_script`` back-message for a page with its query string, then every forward-message until
``script_finished``. No browser runs, so the figures are the server's: the time until the script finished
(median, 90th percentile, slowest), the server's CPU time per session (utime+stime of the app servers from
/proc/<pid>/stat, before and after) and its memory per idle session (the servers' RSS with every session still
open, less their RSS before, ÷ N).

Pages, in the same run: the dashboard's 指標, 概要 and 市全体 (a data root of examples/departments and
``--departments`` generated ones, bench_city's generator), the naive 指標 page (bench/naive_app.py) and a one-line
Streamlit page (the framework's floor). Every (page, N, servers) starts its servers afresh (tools/cluster.py: the
systemd unit's command and deploy/'s configs; with two servers, nginx in front), warms each server with one
session, then opens the N sessions together. Loopback only; each session is bounded by ``--timeout``.
Prints a table and writes the figures as JSON to bench/out/.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import websockets  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from tools.cluster import Cluster, cpu_seconds, rss_bytes, tree_cpu_seconds  # noqa: E402
from tools.served import one_line_page  # noqa: E402

ALERT_ERROR = 1  # Alert.Format.ERROR
FINISHED = 0  # ScriptFinishedStatus.FINISHED_SUCCESSFULLY; 2 (FINISHED_EARLY_FOR_RERUN) is followed by another run
QUERY = "dept=digital&fy=2025&as_of=2026-03"  # 令和7年度 as of its year end, as the reference figures were taken


@dataclass(frozen=True)
class Target:
    """A page as a browser opens it: which app serves it, its URL path ("" = the default page) and query string."""

    name: str
    app: str  # "dashboard", "naive" or "one_line"
    page: str = ""
    query: str = ""


TARGETS = (
    Target("1行だけ", "one_line"),
    Target("素朴な指標", "naive"),
    Target("指標", "dashboard", "indicators", QUERY),
    Target("概要", "dashboard", "", QUERY),
    Target("市全体", "dashboard", "city"),
)


class ScriptError(RuntimeError):
    """The page's script raised (an exception element), showed an error (st.error) or did not finish successfully."""


@dataclass
class Run:
    """What one script run sent: its elements' texts (labels, bodies) and the widgets by label (their ids)."""

    texts: list[str] = field(default_factory=list)
    widgets: dict[str, str] = field(default_factory=dict)
    toasts: list[str] = field(default_factory=list)
    tables: list[bytes] = field(default_factory=list)  # st.table's Arrow data

    def table_rows(self) -> list[dict]:
        """Every table of the run as rows of cells: st.table's Arrow data decoded, and the app's HTML tables (ui.table)."""
        import pyarrow as pa

        rows = [row for data in self.tables for row in pa.ipc.open_stream(data).read_all().to_pylist()]
        return rows + [row for text in self.texts if "<table" in text for row in html_table_rows(text)]


def html_table_rows(markup: str) -> list[dict]:
    """The rows of the HTML tables in ``markup`` as {header: cell text} (the header row is the one of <th>s)."""
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.head: list[str] = []
            self.rows: list[list[str]] = []
            self.row: list[str] | None = None
            self.cell: list[str] | None = None
            self.is_head = False

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.row, self.is_head = [], False
            elif tag in ("td", "th") and self.row is not None:
                self.cell, self.is_head = [], self.is_head or (tag == "th" and not self.rows and not self.head)

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None and self.row is not None:
                self.row.append("".join(self.cell).strip())
                self.cell = None
            elif tag == "tr" and self.row is not None:
                if self.is_head and not self.head:
                    self.head = self.row
                else:
                    self.rows.append(self.row)
                self.row = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Rows()
    parser.feed(markup)
    return [dict(zip(parser.head, r)) for r in parser.rows if parser.head]


@dataclass
class Visit:
    """One session: seconds until its (last) script run finished, or the error; how often it had to reconnect."""

    seconds: float | None = None
    error: str = ""
    reconnects: int = 0
    runs: int = 0


def run(coroutine):
    """``asyncio.run`` on a thread of its own: the caller's thread may already run an event loop (the browser tests'
    synchronous Playwright keeps one on a test worker's main thread, where ``asyncio.run`` refuses to start)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def rerun_message(target: Target, widgets: Iterable[WidgetState] = ()) -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = target.query
    msg.rerun_script.page_name = target.page
    msg.rerun_script.widget_states.widgets.extend(widgets)
    return msg.SerializeToString()


def _collect(run: Run, fm: ForwardMsg) -> None:
    if fm.WhichOneof("type") != "delta":
        return
    if fm.delta.WhichOneof("type") == "add_block" and fm.delta.add_block.WhichOneof("type") == "expandable":
        run.texts.append(fm.delta.add_block.expandable.label)
    if fm.delta.WhichOneof("type") != "new_element":
        return
    kind = fm.delta.new_element.WhichOneof("type")
    element = getattr(fm.delta.new_element, kind)
    if kind == "exception":
        raise ScriptError(f"{element.type}: {element.message}")
    if kind == "alert" and element.format == ALERT_ERROR:  # the app's own error message (st.error): not a page shown
        raise ScriptError(element.body)
    for name in ("label", "body"):
        value = getattr(element, name, None)
        if isinstance(value, str) and value:
            run.texts.append(value)
    if kind == "toast":
        run.toasts.append(element.body)
    if kind == "table":
        run.tables.append(element.arrow_data.data)
    widget_id = getattr(element, "id", "")
    if widget_id and getattr(element, "label", ""):
        run.widgets[element.label] = widget_id


async def run_script(ws, target: Target, widgets: Iterable[WidgetState] = ()) -> Run:
    """Ask for a script run and read the forward-messages until it finished successfully."""
    await ws.send(rerun_message(target, widgets))
    run = Run()
    while True:
        fm = ForwardMsg()
        fm.ParseFromString(await ws.recv())
        kind = fm.WhichOneof("type")
        if kind == "script_finished":
            if fm.script_finished == FINISHED:
                return run
            if fm.script_finished != 2:  # a compile error or a fragment's run: not a page load
                raise ScriptError(f"script_finished {fm.script_finished}")
        elif kind == "page_not_found":
            raise ScriptError(f"page not found: {target.page!r}")
        else:
            _collect(run, fm)


def connect(url: str, cookie: str, open_timeout: float = 30):
    """A WebSocket to the server's stream, carrying the affinity cookie (nginx hashes on it)."""
    ws_url = url.replace("http://", "ws://", 1) + "/_stcore/stream"
    return websockets.connect(ws_url, subprotocols=[websockets.Subprotocol("streamlit")], max_size=None, open_timeout=open_timeout,
                              additional_headers={"Cookie": f"kpi_server={cookie}"}, ping_interval=None, compression=None)


def new_cookie() -> str:
    return secrets.token_hex(16)


class Gate:
    """Holds ``n`` sessions open once each has its time, so that the servers' memory is read with all of them idle."""

    def __init__(self, n: int):
        self.left = n
        self.all_timed = asyncio.Event()
        self.release = asyncio.Event()

    def timed(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.all_timed.set()


async def visit(url: str, target: Target, gate: Gate | None = None, timeout: float = 120) -> Visit:
    """One page load: seconds from the connection's start until the script finished; then, with ``gate``, the
    session stays open (idle) until the gate releases it."""
    t0 = time.perf_counter()
    out, counted = Visit(), False
    try:
        async with connect(url, new_cookie(), open_timeout=timeout) as ws:  # a busy server accepts late, not never
            await asyncio.wait_for(run_script(ws, target), timeout)
            out.seconds, out.runs = time.perf_counter() - t0, 1
            if gate is not None:
                gate.timed()
                counted = True
                await asyncio.wait_for(gate.release.wait(), timeout)
    except (OSError, TimeoutError, websockets.WebSocketException, ScriptError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        if gate is not None and not counted:
            gate.timed()
    return out


async def steady(url: str, targets: list[Target], runs: int, timeout: float = 120, attempts: int = 20,
                 on_run: Callable[[], None] | None = None) -> Visit:
    """A session that keeps working: ``runs`` script runs in turn over ``targets`` (as a person moving between pages;
    ``on_run`` after each); when the connection drops (its server stopped), it reconnects through the same URL with the
    same cookie, as Streamlit's page does, and runs the page again (a new session on whichever server nginx chose).
    ``error`` keeps the last connection error only when the session could not finish."""
    cookie, out, done, t0 = new_cookie(), Visit(), 0, time.perf_counter()
    out.error = ""
    for _ in range(attempts):
        try:
            async with connect(url, cookie) as ws:
                while done < runs:
                    await asyncio.wait_for(run_script(ws, targets[done % len(targets)]), timeout)
                    done += 1
                    if on_run:
                        on_run()
                out.seconds, out.runs, out.error = time.perf_counter() - t0, done, ""
                return out
        except (OSError, TimeoutError, websockets.WebSocketException) as exc:
            out.reconnects += 1
            out.error = f"{type(exc).__name__}: {exc}"[:200]
            await asyncio.sleep(0.2)
        except ScriptError as exc:
            out.error = f"ScriptError: {exc}"[:200]
            break
    out.runs = done
    return out


async def checkin(url: str, target: Target, cause: str, timeout: float = 120) -> tuple[bool, str]:
    """Write one check-in (振り返り) through a server, as an editor fills the 指標 page's form: load the page with an
    indicator chosen, then rerun with the form's 要因 and 対策 and its submit button pressed. Returns (acknowledged,
    error): acknowledged when the page's toast said the record was written."""
    try:
        async with connect(url, new_cookie()) as ws:
            page = await asyncio.wait_for(run_script(ws, target), timeout)
            ids = {k: page.widgets.get(k) for k in ("要因（なぜ動いたか）", "対策（次に何をするか）", "振り返りを記録")}
            if not all(ids.values()):
                return False, f"form not found: {ids}"
            states = [WidgetState(id=ids["要因（なぜ動いたか）"], string_value=cause),
                      WidgetState(id=ids["対策（次に何をするか）"], string_value="負荷試験の対策（架空）"),
                      WidgetState(id=ids["振り返りを記録"], trigger_value=True)]
            after = await asyncio.wait_for(run_script(ws, target, states), timeout)
            return any("振り返りを記録しました" in t for t in after.toasts), ""
    except (OSError, TimeoutError, websockets.WebSocketException, ScriptError) as exc:
        return False, f"{type(exc).__name__}: {exc}"[:200]


async def arrivals(url: str, target: Target, n: int, timeout: float = 120) -> list[float]:
    """``n`` sessions connected first, then all asking for the page at the same instant: seconds from that instant until
    each page finished, in the order they arrived. Timing from the connection instead mixes in the server's work of
    accepting ``n`` connections (on this machine about half a second for 60), which comes before any page runs."""
    async with contextlib.AsyncExitStack() as stack:
        sockets = await asyncio.gather(*(stack.enter_async_context(connect(url, new_cookie(), open_timeout=timeout))
                                         for _ in range(n)))
        t0 = time.perf_counter()

        async def one(ws) -> float:
            await asyncio.wait_for(run_script(ws, target), timeout)
            return time.perf_counter() - t0

        return sorted(await asyncio.gather(*(one(ws) for ws in sockets)))


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Burst:
    page: str
    servers: int
    sessions: int
    finished: int
    median_s: float | None
    p90_s: float | None
    max_s: float | None
    cpu_ms_per_session: float
    rss_kb_per_idle_session: float
    errors: list[str]
    store: str = "folder"  # the dashboard's store: folder or postgresql (the other pages have none)
    client_cpu_ms_per_session: float = 0.0  # this load generator's own CPU: it shares the machine's cores
    nginx_cpu_ms_per_session: float = 0.0


async def burst(url: str, target: Target, n: int, pids: list[int], timeout: float, others: Iterable[int] = ()) -> Burst:
    """``n`` sessions opened together; CPU and RSS of ``pids`` before, and after all finished (sessions still open);
    the CPU of this process (the generator) and of ``others`` (nginx) too, as they share the cores."""
    cpu0, rss0 = sum(cpu_seconds(p) for p in pids), sum(rss_bytes(p) for p in pids)
    own0, others0 = time.process_time(), sum(tree_cpu_seconds(p) for p in others)
    gate = Gate(n)
    tasks = [asyncio.create_task(visit(url, target, gate, timeout)) for _ in range(n)]
    await asyncio.wait_for(gate.all_timed.wait(), timeout + 60)
    await asyncio.sleep(0.5)  # the last messages sent; every session idle
    cpu1, rss1 = sum(cpu_seconds(p) for p in pids), sum(rss_bytes(p) for p in pids)
    own1, others1 = time.process_time(), sum(tree_cpu_seconds(p) for p in others)
    gate.release.set()
    visits = await asyncio.gather(*tasks)
    times = [v.seconds for v in visits if v.seconds is not None and not v.error]
    return Burst(target.name, len(pids), n, len(times), statistics.median(times) if times else None,
                 quantile(times, 0.9) if times else None, max(times) if times else None,
                 1000 * (cpu1 - cpu0) / n, (rss1 - rss0) / 1024 / n, sorted({v.error for v in visits if v.error})[:5],
                 client_cpu_ms_per_session=1000 * (own1 - own0) / n, nginx_cpu_ms_per_session=1000 * (others1 - others0) / n)


def city_data(folder: Path, departments: int) -> tuple[Path, Path]:
    """A data root of examples/departments (digital: 令和7年度 as in data/) and ``departments`` generated ones, and
    its store with every department's actuals (the samples written as the app's first start would)."""
    from bench_city import generate

    from kpi import departments as deps
    from kpi import service
    from kpi.policy import load_policy

    root, stores = folder / "root", folder / "stores"
    shutil.copytree(ROOT / "examples" / "departments", root)
    if departments:
        generate(root, stores, departments)
    for d in deps.catalog(str(root), str(stores)).departments.values():
        service.ensure_samples(d.store(), [load_policy(f) for f in d.folders.values()])
    return root, stores


def settle(pids: list[int], quiet_ms_per_s: float = 30, limit_s: float = 60) -> None:
    """Wait until the servers are idle: the first page load starts work in the background (the image exporter's
    browser, a child process: about 3.5 s of CPU), which must not be counted against the sessions measured next.
    Children count: before they did not, and the first burst after a start took 3.3–3.7 s instead of 1.9 s."""
    deadline = time.time() + limit_s
    while time.time() < deadline:
        before = sum(tree_cpu_seconds(p) for p in pids)
        time.sleep(0.5)
        if (sum(tree_cpu_seconds(p) for p in pids) - before) * 2000 < quiet_ms_per_s * len(pids):
            return


def measure(target: Target, servers: int, n: int, env: dict[str, str], script: Path, timeout: float, repeats: int = 1) -> Burst:
    """Fresh servers (behind nginx when two or more), each warmed by one session, then ``n`` sessions at once;
    ``repeats`` times, each on servers started afresh, and the burst of the middle median reported (on this shared
    machine one burst's median moved by a quarter from run to run). Not on the same servers: a server keeps the
    closed sessions for disconnectedSessionTTL (120 s) and a second burst measured 1.6–1.8× slower."""
    bursts = [_measure_once(target, servers, n, env, script, timeout) for _ in range(repeats)]
    if any(b.finished != n for b in bursts):
        return min(bursts, key=lambda b: b.finished)
    return sorted(bursts, key=lambda b: b.median_s)[(len(bursts) - 1) // 2]


def _measure_once(target: Target, servers: int, n: int, env: dict[str, str], script: Path, timeout: float) -> Burst:
    with Cluster(servers, env, script) as cluster:
        for app in cluster.apps:  # the first run of a process loads its modules and fills its caches
            warm = run(visit(app.url, target, timeout=timeout))
            if warm.error:
                raise RuntimeError(f"{target.name}: {warm.error}")
        settle(cluster.pids)
        return run(burst(cluster.url, target, n, cluster.pids, timeout, [cluster.nginx.pid] if cluster.nginx else []))


def measure_pages(targets: list[Target], servers: int, n: int, env: dict[str, str], script: Path, timeout: float) -> list[Burst]:
    """As ``measure`` for several pages of one app on the same servers (quicker; the memory figures of the later
    pages then include what the earlier pages' closed sessions still hold)."""
    with Cluster(servers, env, script) as cluster:
        for app in cluster.apps:
            for target in targets:
                warm = run(visit(app.url, target, timeout=timeout))
                if warm.error:
                    raise RuntimeError(f"{target.name}: {warm.error}")
        out = []
        for target in targets:
            settle(cluster.pids)
            out.append(run(burst(cluster.url, target, n, cluster.pids, timeout)))
        return out


def table(results: list[Burst]) -> str:
    """The figures as a table, each page's median also as a multiple of the one-line page's in the same setting."""
    floor = {(b.servers, b.sessions): b.median_s for b in results if b.page == TARGETS[0].name}
    lines = ["サーバー数 | セッション | ページ | 保存先 | 完了 | 中央値 s | p90 s | 最大 s | 1行だけの何倍 | CPU ms/セッション | "
             "メモリ KB/待機セッション | 負荷生成・nginx の CPU ms/セッション",
             "---|---|---|---|---|---|---|---|---|---|---|---"]
    for b in results:
        base = floor.get((b.servers, b.sessions))
        ratio = f"{b.median_s / base:.1f}" if base and b.median_s else "－"
        f = (lambda x: f"{x:.2f}" if x is not None else "－")
        lines.append(f"{b.servers} | {b.sessions} | {b.page} | {b.store} | {b.finished}/{b.sessions} | {f(b.median_s)} | {f(b.p90_s)} | "
                     f"{f(b.max_s)} | {ratio} | {b.cpu_ms_per_session:.0f} | {b.rss_kb_per_idle_session:.0f} | "
                     f"{b.client_cpu_ms_per_session:.1f}・{b.nginx_cpu_ms_per_session:.1f}")
    return "\n".join(lines)


def copy_stores(stores: Path, address: str) -> None:
    """Each department's folder store into its name space of the database, verified by counts and checksums."""
    from kpi.store import Store
    from kpi.store.copy import copy

    for folder in sorted(p for p in stores.iterdir() if p.is_dir()):
        source, target = copy(Store(folder), Store(f"{address.rstrip('/')}/{folder.name}"))
        assert source == target, folder.name


def postgresql(stores: Path, given: str | None) -> tuple[str, Callable[[], None]]:
    """The database the dashboard's store goes into: ``--store``, or a temporary server (tests/pg.py: Debian's
    PostgreSQL on a local port, stopped afterwards). Returns its address and how to stop it."""
    if given:
        copy_stores(stores, given)
        return given, lambda: None
    sys.path.insert(0, str(ROOT / "tests"))
    from pg import PgServer

    server = PgServer()
    address = server.database("kpiload")
    copy_stores(stores, address)
    return address, server.stop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[20, 100, 200])
    ap.add_argument("--servers", type=int, nargs="+", default=[1, 2], help="app servers (two or more: behind nginx)")
    ap.add_argument("--pages", nargs="+", default=[t.name for t in TARGETS], choices=[t.name for t in TARGETS])
    ap.add_argument("--departments", type=int, default=10, help="generated departments beside examples/departments (市全体)")
    ap.add_argument("--timeout", type=float, default=180, help="seconds a session may take")
    ap.add_argument("--repeats", type=int, default=1, help="bursts per setting, each on servers started afresh; the middle one is reported")
    ap.add_argument("--stores", nargs="+", default=["folder"], choices=["folder", "postgresql"],
                    help="the dashboard's store kinds, each measured in the same run (postgresql: a temporary server "
                         "unless --store names one; the generated folder stores are copied into it first)")
    ap.add_argument("--store", help="the PostgreSQL address to use for --stores postgresql (postgresql://…)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()
    results: list[Burst] = []
    with tempfile.TemporaryDirectory() as tmp:
        root, stores = city_data(Path(tmp), args.departments)
        addresses, stop = {"folder": str(stores)}, lambda: None
        if "postgresql" in args.stores:
            addresses["postgresql"], stop = postgresql(stores, args.store)
        try:
            for servers in args.servers:
                for n in args.sessions:
                    for target in (t for t in TARGETS if t.name in args.pages):
                        for kind in (args.stores if target.app == "dashboard" else ["folder"]):
                            apps = {"dashboard": (ROOT / "app.py", {"KPI_DATA_DIR": str(root), "KPI_STORE": addresses[kind]}),
                                    "naive": (ROOT / "bench" / "naive_app.py", {}), "one_line": (one_line_page(Path(tmp)), {})}
                            script, env = apps[target.app]
                            b = measure(target, servers, n, env, script, args.timeout, args.repeats)
                            b.store = kind if target.app == "dashboard" else "－"
                            results.append(b)
                            print(f"  {servers}台 {n}セッション {b.page}（{b.store}）: 完了 {b.finished}/{n}、中央値 {b.median_s or 0:.2f} s、"
                                  f"CPU {b.cpu_ms_per_session:.0f} ms/セッション（負荷生成 {b.client_cpu_ms_per_session:.0f}、"
                                  f"nginx {b.nginx_cpu_ms_per_session:.0f}）" + (f"　エラー: {b.errors}" if b.errors else ""), flush=True)
        finally:
            stop()
    print(table(results))
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "departments": args.departments,
                               "load_average": os.getloadavg(), "results": [asdict(b) for b in results]},
                              ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"→ {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
