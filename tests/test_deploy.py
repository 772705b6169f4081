"""The city's deployment (deploy/): two app servers started by the systemd unit's command over ONE store, behind nginx
configured by deploy/nginx/kpi-dashboard.conf, on free local ports (tools/cluster.py).

A write through one server is read through the other; one server is killed while 50 sessions are working and
writes go on: every session reconnects through nginx to the other server and finishes, and no acknowledged write is
lost or written twice. Sessions speak Streamlit's own WebSocket protocol (bench/load.py); one browser test opens two
Chromium sessions through nginx. Skipped, with the reason, where nginx is not installed (.ci/run installs it).
"""
from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import tomllib

import pytest

from conftest import DATA, ROOT
from tools import cluster

sys.path.insert(0, str(ROOT / "bench"))
from load import Target, checkin, run, steady, visit  # noqa: E402

pytestmark = pytest.mark.deploy
QUERY = "fy=2025&as_of=2026-03"
INDICATORS = Target("指標", "dashboard", "indicators", QUERY)
OVERVIEW = Target("概要", "dashboard", "", QUERY)
DETAIL = Target("指標の詳細", "dashboard", "indicators", QUERY + "&indicator=K2-2")
HISTORY = Target("履歴", "dashboard", "history", QUERY)
READERS, RUNS, WRITERS = 50, 3, 10


@pytest.fixture
def nginx():
    if not cluster.nginx_available():
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's nginx: .ci/run installs nginx-light")
        pytest.skip(f"nginx is not installed ({cluster.NGINX}); `apt-get install nginx-light` (.ci/run installs it)")


@pytest.fixture
def two_servers(nginx, deploy_store):
    env = {"KPI_STORE": deploy_store, "KPI_DATA_DIR": str(DATA)}
    with cluster.Cluster(2, env) as c:
        yield c, env


def page(url: str, target: Target):
    """One page load over the protocol: what its script sent (texts, widgets, tables)."""
    from load import connect, new_cookie, run_script

    async def go():
        async with connect(url, new_cookie()) as ws:
            return await asyncio.wait_for(run_script(ws, target), 120)
    return run(go())


def checkins_seen(url: str) -> list[str]:
    """The 要因 of every check-in of K2-2 as the 指標 page shows them through ``url``: its history table (from two
    check-ins on), else the one check-in's text."""
    shown = page(url, DETAIL)
    listed = [row["要因"] for row in shown.table_rows() if "要因" in row]
    return listed or [m for t in shown.texts for m in re.findall(r"^要因: (.*)$", t, flags=re.M)]


def test_two_servers_share_one_store_and_lose_one(two_servers, tmp_path):
    c, env = two_servers
    a, b = c.apps

    # Both servers' first page load at once over an empty store: the sample is loaded once, not twice.
    async def both():
        return await asyncio.gather(visit(a.url, OVERVIEW), visit(b.url, OVERVIEW))
    first = run(both())
    assert [v.error for v in first] == ["", ""], first
    history = "\n".join(page(b.url, HISTORY).texts)
    assert history.count("sample_actuals.csv") == 1, history

    # An import by another process on the same store (the command line) is seen through both servers.
    csv = tmp_path / "deploy_import.csv"
    csv.write_text("indicator_id,month,value\nK1-1,2025-10,12345\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "kpi", "import", str(csv), "--user", "deploy-test"], cwd=ROOT,
                   env=os.environ | env, check=True, capture_output=True, timeout=60)
    for server in (a, b):
        assert "deploy_import.csv" in "\n".join(page(server.url, HISTORY).texts)

    # A check-in written through server A is read through server B.
    ok, error = run(checkin(a.url, DETAIL, "サーバーAから書いた要因"))
    assert ok, error
    assert checkins_seen(b.url) == ["サーバーAから書いた要因"]

    # 50 sessions moving between 指標 and 概要 through nginx, and writers; server A is killed once 25 runs are done
    # (most sessions are in the middle of a run). Writers that start after the kill land on B.
    async def scenario():
        done = 0

        def count() -> None:
            nonlocal done
            done += 1

        readers = [asyncio.create_task(steady(c.url, [INDICATORS, OVERVIEW], RUNS, on_run=count)) for _ in range(READERS)]
        before = [asyncio.create_task(checkin(c.url, DETAIL, f"停止前の要因その{i}")) for i in range(WRITERS)]
        deadline = time.monotonic() + 60
        while done < READERS // 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        killed_at = done
        a.kill()
        after = [asyncio.create_task(checkin(c.url, DETAIL, f"停止後の要因その{i}")) for i in range(WRITERS)]
        return killed_at, await asyncio.gather(*readers), await asyncio.gather(*before), await asyncio.gather(*after)

    killed_at, readers, before, after = run(asyncio.wait_for(scenario(), 240))
    reconnected = sum(1 for v in readers if v.reconnects)
    acknowledged = {f"停止前の要因その{i}" for i, (ok, _) in enumerate(before) if ok} | {
        f"停止後の要因その{i}" for i, (ok, _) in enumerate(after) if ok}
    stored = checkins_seen(b.url)
    print(f"\n{READERS} sessions × {RUNS} runs, server A killed after {killed_at} runs: {reconnected} sessions reconnected "
          f"({sum(v.reconnects for v in readers)} reconnections), {sum(v.runs for v in readers)}/{READERS * RUNS} runs finished; "
          f"writes: {sum(ok for ok, _ in before)}/{WRITERS} acknowledged before the kill, {sum(ok for ok, _ in after)}/{WRITERS} after; "
          f"{len(stored) - 1} stored")
    assert 0 < killed_at < READERS * RUNS
    assert all(v.runs == RUNS and not v.error for v in readers), [v for v in readers if v.runs != RUNS or v.error][:3]
    assert reconnected > 0  # some sessions were on server A: they came back through nginx to B
    assert all(ok for ok, _ in after), after  # with A gone every write reaches B
    assert len(stored) == len(set(stored)), stored  # nothing written twice
    assert acknowledged <= set(stored), acknowledged - set(stored)  # nothing acknowledged is lost
    attempted = {"サーバーAから書いた要因"} | {f"停止{w}の要因その{i}" for w in ("前", "後") for i in range(WRITERS)}
    assert set(stored) <= attempted


def test_nginx_accepts_the_site_and_the_tests_change_only_its_ports(nginx, tmp_path):
    """The site as installed: nginx accepts it (nginx -t), and the test's copy differs only in ports and address."""
    text = cluster.site_config([18501, 18502], 18080)
    assert "server 127.0.0.1:18501 max_fails=1 fail_timeout=10s;" in text and "listen 127.0.0.1:18080;" in text
    original = cluster.SITE.read_text(encoding="utf-8")
    strip = lambda t: re.sub(r"^ *(server 127\.0\.0\.1:\d+.*|listen .*)\n", "", t, flags=re.M)  # noqa: E731
    assert strip(text) == strip(original)
    for needed in ("proxy_set_header Upgrade $http_upgrade;", "location /_stcore/stream", "hash $kpi_affinity consistent;"):
        assert needed in original
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
                    f"http {{ include {cluster.SITE}; }}\n", encoding="utf-8")
    checked = subprocess.run([cluster.NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


def test_deploy_config_keeps_the_apps_production_settings():
    """deploy/streamlit/config.toml repeats every setting of the app's .streamlit/config.toml that is not the app's
    look or its local address: a server whose working directory holds only the deploy config runs the same way."""
    app = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    deploy = tomllib.loads(cluster.STREAMLIT_CONFIG.read_text(encoding="utf-8"))
    local = {("server", "address"), ("server", "port")}
    for section, options in app.items():
        if section == "theme":
            continue
        for name, value in options.items():
            if (section, name) not in local:
                assert deploy.get(section, {}).get(name) == value, f"[{section}] {name}"
    unit = cluster.UNIT.read_text(encoding="utf-8")
    assert "--server.address 127.0.0.1" in unit and "--server.port %i" in unit and "Restart=always" in unit


def test_nginx_compresses_the_scripts_and_says_where_the_app_is(two_servers):
    """A first visit fetches Streamlit's scripts compressed (Streamlit sends them as they are); every page's HTML, also
    compressed, carries the line that tells the page where the app is (serve.py), once."""
    import gzip
    import urllib.request

    c, _ = two_servers

    def fetch(path: str) -> tuple[str | None, bytes]:
        req = urllib.request.Request(c.url + path, headers={"Accept-Encoding": "gzip, deflate, br"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body, encoding = r.read(), r.headers.get("Content-Encoding")
        return encoding, gzip.decompress(body) if encoding == "gzip" else body

    for path in ("/", "/indicators?" + QUERY, "/city"):
        encoding, html = fetch(path)
        assert encoding == "gzip" and html.count(b"<head><script>window.__streamlit={BACKEND_BASE_URL:") == 1, path
    script = re.search(rb'src="\./(static/js/index\.[^"]+\.js)"', html).group(1).decode()
    encoding, body = fetch("/" + script)
    direct = urllib.request.urlopen(c.apps[0].url + "/" + script, timeout=30).read()
    assert encoding == "gzip" and body == direct  # the same file, compressed on the way


def test_no_other_site_may_steer_the_dashboard(two_servers):
    """The page that Streamlit's host configuration gives the browser lists no origin whose messages it obeys (by
    default Streamlit Community Cloud's): no page that embeds the dashboard can rerun, stop or sign in its sessions,
    and the browser no longer checks each of the page's own messages against 16 patterns. Through nginx and from
    each app server, as the deployment's config says (deploy/streamlit/config.toml)."""
    import json
    import urllib.request

    c, _ = two_servers
    for url in (c.url, *(app.url for app in c.apps)):
        with urllib.request.urlopen(url + "/_stcore/host-config", timeout=30) as r:
            assert json.loads(r.read())["allowedOrigins"] == [], url


@pytest.mark.browser
def test_two_browsers_through_nginx(two_servers, browser):
    """Two people open 指標 through nginx: each page is drawn and carries its own affinity cookie. The page finds
    the app at the site's root at once (its HTML says where it is): it never asks /indicators/_stcore/health, which
    is refused and costs a 100 ms wait before the right address is tried."""
    from conftest import goto

    c, _ = two_servers
    cookies, asked = [], []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
        pg = context.new_page()
        pg.on("request", lambda r: asked.append(r.url.removeprefix(c.url).split("?")[0]) if "/_stcore/" in r.url else None)
        goto(pg, f"{c.url}/indicators?{QUERY}")
        assert pg.locator("h1").first.inner_text().startswith("指標")
        pg.locator("table.kpi-bars", has_text="K2-4").first.wait_for(timeout=30000)  # every indicator's bar, drawn after the run
        cookies.append({k["name"]: k["value"] for k in context.cookies()}.get("kpi_server"))
        context.close()
    assert all(cookies) and cookies[0] != cookies[1], cookies
    assert "/_stcore/health" in asked and not [u for u in asked if u.startswith("/indicators/")], asked

