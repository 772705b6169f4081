"""What a person feels: 指標, 概要 and 市全体 in Chromium until drawn, against a one-line Streamlit page, in one run.

    python bench/bench_feel.py [--repeats 5] [--departments 10] [--nginx]

Each load is a new Streamlit session. "cached": a tab of a browser profile that has opened the dashboard before
(its static files cached, as a daily user's); "fresh": a new browser context (nothing cached). The pages are loaded
in turn within each repeat, so all see the same moments of a shared machine. Besides the time until drawn it gives
the ratio of each load to the one-line page's load of the same repeat (median and quartiles: how much the shared
machine moves it), and reports where the time goes: the page's scripts and styles fetched (count, KB over the
network), when the WebSocket opened, and the server's script time for the same page (one protocol session,
bench/load.py).
With ``--nginx`` both the dashboard and the one-line page are served as the city serves them: one app server (the
systemd unit's command) behind deploy/'s nginx site (tools/cluster.py).
「枠だけ」 is the dashboard's frame around a one-line page (the sidebar's page list and its filters, tools/served.py):
what every page with filters costs before its own content, served as the dashboard is.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from playwright.sync_api import sync_playwright  # noqa: E402

from kpi import fiscal  # noqa: E402
from tools.cluster import Cluster  # noqa: E402
from tools.served import CHROMIUM, CHROMIUM_FLAGS, READY, Server, frame_page, one_line_page  # noqa: E402
from ui.sidebar import LATEST, as_of_name, summary_caption  # noqa: E402
from ui.sidebar import PAGES as DASHBOARD_PAGES  # noqa: E402

# (name, path and query, what must be on screen once drawn: every one of the selectors)
FRAME = ("枠だけ", "", ("h1", '[data-testid="stSidebar"] [data-testid="stPopover"]'))
PAGES = [
    ("1行だけ", "", "h1"),
    FRAME,
    ("指標", "/indicators?dept=digital&fy=2025&as_of=2026-03", "table.kpi-bars"),
    ("概要", "/?dept=digital&fy=2025&as_of=2026-03", "section.kpi-section"),
    ("市全体", "/city", "table.kpi-table"),
]
RESOURCES = """() => {
  const r = performance.getEntriesByType('resource');
  const js = r.filter(e => e.initiatorType === 'script' || e.name.endsWith('.js'));
  return {js: js.length, kb: r.reduce((a, e) => a + (e.transferSize || 0), 0) / 1024,
          last_ms: Math.max(0, ...r.map(e => e.responseEnd))};
}"""


def open_until_drawn(page, url: str, drawn: str | tuple[str, ...]) -> None:
    """Open ``url`` in ``page`` and wait until the run has ended and every one of the ``drawn`` selectors is on screen."""
    page.goto(url)
    page.wait_for_selector(READY, timeout=120000)
    for selector in (drawn,) if isinstance(drawn, str) else drawn:
        page.locator(selector).first.wait_for(timeout=120000)


def load(context, url: str, drawn: str | tuple[str, ...]) -> dict:
    page = context.new_page()
    t0 = time.perf_counter()
    open_until_drawn(page, url, drawn)
    took = time.perf_counter() - t0
    res = page.evaluate(RESOURCES)
    page.close()
    return {"s": took} | res


def frame_of_the_dashboard(folder: Path) -> Path:
    """「枠だけ」: the dashboard's pages and filters around a one-line page (tools/served.py), in the sidebar's words for
    the year the dashboard opens at, every 経営課題 and the newest month (ui/sidebar.py)."""
    summary = summary_caption(None, 2025, [], as_of_name(LATEST, fiscal.latest_as_of(2025)))
    return frame_page(folder, [(title, icon) for _, title, icon in DASHBOARD_PAGES], summary)


def main() -> None:
    from load import TARGETS, city_data, run, visit

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--departments", type=int, default=10)
    ap.add_argument("--nginx", action="store_true", help="each behind deploy/'s nginx, as the city serves them")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, stores = city_data(Path(tmp), args.departments)
        env = {"KPI_DATA_DIR": str(root), "KPI_STORE": str(stores)}
        frame_script = frame_of_the_dashboard(Path(tmp))
        if args.nginx:
            app, floor = Cluster(1, env, nginx=True), Cluster(1, {}, one_line_page(Path(tmp)), nginx=True)
            frame = Cluster(1, {}, frame_script, nginx=True)
        else:
            app, floor, frame = Server(env), Server(script=one_line_page(Path(tmp))), Server(script=frame_script)
        served = {"1行だけ": floor, FRAME[0]: frame}
        urls = {name: served.get(name, app).url + path for name, path, _ in PAGES}
        drawn = {name: sel for name, _, sel in PAGES}
        runs: dict[str, dict[str, list[dict]]] = {k: {name: [] for name in urls} for k in ("cached", "fresh")}
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
                daily = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
                for name in urls:  # the daily user's profile has seen every page once (and the server has run each)
                    load(daily, urls[name], drawn[name])
                for _ in range(args.repeats):
                    for name in urls:
                        runs["cached"][name].append(load(daily, urls[name], drawn[name]))
                        fresh = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
                        runs["fresh"][name].append(load(fresh, urls[name], drawn[name]))
                        fresh.close()
                browser.close()
            script = {}
            for t in TARGETS:
                if t.app == "dashboard":
                    script[t.name] = statistics.median(run(visit(app.url, t)).seconds for _ in range(args.repeats))
            script["1行だけ"] = statistics.median(run(visit(floor.url, TARGETS[0])).seconds for _ in range(args.repeats))
        finally:
            for server in (app, floor, frame):
                server.stop()
    for kind in ("cached", "fresh"):
        base = statistics.median(r["s"] for r in runs[kind]["1行だけ"])
        print(f"{'キャッシュあり' if kind == 'cached' else '新しいブラウザ'}（描画まで、中央値 {args.repeats}回）")
        for name, rs in runs[kind].items():
            med = statistics.median(r["s"] for r in rs)
            spread = "" if name == "1行だけ" else paired(rs, runs[kind]["1行だけ"])
            print(f"  {name}: {med:.2f} s（1行だけの {med / base:.2f} 倍{spread}）、スクリプト {statistics.median(r['js'] for r in rs):.0f} 本、"
                  f"転送 {statistics.median(r['kb'] for r in rs):.0f} KB、最後の読み込み {statistics.median(r['last_ms'] for r in rs) / 1000:.2f} s、"
                  "サーバーのスクリプト実行 " + (f"{script[name]:.3f} s" if name in script else "－"))


def paired(rs: list[dict], floor: list[dict]) -> str:
    """Each load against the one-line page's load of the same repeat (moments apart): how far the ratio moves with the
    shared machine's state, which the ratio of the medians does not show."""
    ratios = [r["s"] / f["s"] for r, f in zip(rs, floor)]
    if len(ratios) < 4:
        return ""
    q1, q2, q3 = statistics.quantiles(ratios, n=4)
    return f"。同じ回どうしの倍率は中央値 {q2:.2f}、四分位 {q1:.2f}〜{q3:.2f}"


if __name__ == "__main__":
    main()
