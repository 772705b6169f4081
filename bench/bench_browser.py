"""What users feel: the 指標 page in Chromium until every chart is drawn, beside the naive peer, in one run.

    python bench/bench_browser.py [--rows 1000000] [--repeats 5] [--sessions 20]

For the sample data and for a store of ``--rows`` rows (the naive page reads the same rows from
one CSV with pandas on every run) it reports, per page, the first load (cold server caches) and
the median of the next loads, and the ratio ours ÷ naive; then the time a change of view takes
(経営課題, 基準月, year, indicator) until drawn; then ``--sessions`` browser sessions opening the
page at once: the median time until the script is idle and until every chart is drawn.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from playwright.async_api import async_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tools.served import CHARTS_DRAWN, CHROMIUM, CHROMIUM_FLAGS, READY, Server, one_line_page  # noqa: E402

OURS_CHARTS = 0  # no plotly figure: the list is an HTML table, a chosen indicator's charts are HTML and SVG
NAIVE_CHARTS = 15  # a gauge per indicator


def load(browser, url: str, charts: int) -> float:
    """Seconds from navigation until every chart is drawn, in a fresh browser context (no cache, new session)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function(CHARTS_DRAWN, arg=charts, timeout=180000, polling=20)
    elapsed = time.perf_counter() - t0
    context.close()
    return elapsed


def compare(browser, ours: str, naive: str, repeats: int, floor: str | None = None) -> dict:
    """First loads, then alternating loads of the pages: medians and the ratio, measured in the same run.
    ``floor``: a one-line Streamlit page, what the framework alone costs under the same conditions."""
    pages = {"ours": (ours, OURS_CHARTS), "naive": (naive, NAIVE_CHARTS)} | ({"floor": (floor, 0)} if floor else {})
    first = {k: load(browser, url, charts) for k, (url, charts) in pages.items()}
    times: dict[str, list[float]] = {k: [] for k in pages}
    for _ in range(repeats):
        for k, (url, charts) in pages.items():
            times[k].append(load(browser, url, charts))
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"first": first, "median": med, "ratio": med["ours"] / med["naive"]}


def view_changes(browser, url: str) -> dict[str, float]:
    """Seconds until drawn after each change of view on the 指標 page (filters in the sidebar, the indicator)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(CHARTS_DRAWN, arg=OURS_CHARTS, timeout=180000)
    out = {}

    def timed(name: str, prepare, charts: int, shows: str | None = None) -> None:
        """``prepare`` opens the control and types the choice; the clock runs from the key that makes it (the rerun)
        until every chart is drawn and, for an indicator, its monthly chart (``shows``: its alt text) is there."""
        prepare()
        before = page.url
        t0 = time.perf_counter()
        page.keyboard.press("Enter")
        try:  # every choice is kept in the URL, which the rerun rewrites (a run can be too short to see "running")
            page.wait_for_function("(before) => location.href !== before", arg=before, timeout=5000, polling=10)
        except PlaywrightTimeout:  # the choice is not offered here (e.g. one year in the store): nothing reran
            print(f"  {name}: 選択肢がないため測定せず")
            page.keyboard.press("Escape")
            return
        page.wait_for_function(CHARTS_DRAWN, arg=charts, timeout=60000, polling=20)
        if shows:
            page.wait_for_function("(alt) => Array.from(document.querySelectorAll('.kpi-series img'))"
                                   ".some(i => i.complete && i.alt.startsWith(alt))", arg=shows, timeout=60000, polling=20)
        out[name] = time.perf_counter() - t0
        page.keyboard.press("Escape")  # a multiselect stays open after a choice

    def open_and_type(label: str, typed: str, where: str = '[data-testid="stPopoverBody"] [data-testid="stSelectbox"]') -> None:
        """A filter of the sidebar: open 「表示の条件を変える」 (its widgets are drawn once it is open), the widget, and type."""
        if not page.locator(where).count():
            page.locator('[data-testid="stSidebar"]').get_by_role("button", name="表示の条件を変える").click()
        page.locator(where).filter(has_text=label).first.click()
        page.keyboard.type(typed)

    def pick_issue() -> None:
        open_and_type("経営課題", "経営課題2", '[data-testid="stPopoverBody"] [data-testid="stMultiSelect"]')
        page.keyboard.press("ArrowDown")  # Streamlit 1.67's multiselect does not highlight the only match by itself

    timed("経営課題", pick_issue, 0)
    timed("基準月", lambda: open_and_type("基準月", "令和7年9月"), 0)
    def focus_indicator(iid: str) -> None:
        """Open 詳しく見る指標's list (its button names the indicator shown) and move to ``iid``, not yet chosen."""
        page.get_by_role("button", name=re.compile("^詳しく見る指標：")).click()
        page.locator('[data-testid="stPopoverBody"]').get_by_role("radio", name=re.compile(f"^{iid} ")).focus()

    def focus_listed(iid: str) -> None:
        """Move to ``iid``'s name in the list of indicators: a link to its detail."""
        page.locator("table.kpi-bars a", has_text=re.compile(f"^{iid} ")).focus()

    timed("指標（最初の1つ）", lambda: focus_listed("K2-4"), 0, shows="K2-4 の月次推移")
    timed("指標（別の指標）", lambda: focus_indicator("K2-2"), 0, shows="K2-2 の月次推移")
    timed("年度", lambda: open_and_type("年度", "令和8年度"), 0)
    context.close()
    return out


async def _session(context, url: str, charts: int, start: float) -> tuple[float, float]:
    page = await context.new_page()
    await page.goto(url)
    await page.wait_for_selector(READY, timeout=300000)
    idle = time.perf_counter() - start
    await page.wait_for_function(CHARTS_DRAWN, arg=charts, timeout=300000, polling=50)
    drawn = time.perf_counter() - start
    await page.close()
    return idle, drawn


async def sessions_at_once(url: str | list[str], n: int, charts: int | list[int]) -> list[tuple[float, float]]:
    """``n`` sessions opening ``url`` together (a list: taken in turn): (until idle, until every chart is drawn) each,
    from the common start."""
    urls = url if isinstance(url, list) else [url]
    counts = charts if isinstance(charts, list) else [charts]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        # One browser profile, a tab per person: each tab is its own Streamlit session; the profile's cache is
        # warmed first, as a daily user's browser has the dashboard's scripts cached.
        context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
        warm = await context.new_page()
        await warm.goto(urls[-1])
        await warm.wait_for_function(CHARTS_DRAWN, arg=counts[-1], timeout=300000)
        await warm.close()
        start = time.perf_counter()
        out = await asyncio.gather(*(_session(context, urls[k % len(urls)], counts[k % len(counts)], start) for k in range(n)))
        await context.close()
        await browser.close()
    return list(out)


def report(name: str, r: dict) -> None:
    floor = f" | 1行だけのページ median {r['median']['floor']:.2f} s" if "floor" in r["median"] else ""
    print(f"{name}: 指標 first {r['first']['ours']:.2f} s, median {r['median']['ours']:.2f} s | "
          f"naive first {r['first']['naive']:.2f} s, median {r['median']['naive']:.2f} s | ours ÷ naive {r['ratio']:.2f}{floor}")


def main() -> None:
    from bench_pages import fill, fill_csv

    from kpi.policy import load_policy
    from kpi.service import ensure_sample
    from kpi.store import Store

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        sample = Store(Path(tmp) / "sample")
        ensure_sample(sample, load_policy(ROOT / "data"))
        servers = [Server({"KPI_STORE": str(sample.root)}), Server(script=ROOT / "bench" / "naive_app.py"),
                   Server(script=one_line_page(Path(tmp)))]
        try:
            ours, naive = f"{servers[0].url}/indicators?as_of=2026-03", servers[1].url
            report("サンプル（180行）", compare(browser, ours, naive, args.repeats, floor=servers[2].url))
            print("  表示の切り替え（描画まで）: " + "、".join(f"{k} {v:.2f} s" for k, v in view_changes(browser, ours).items()))
            if args.sessions:
                for name, url, charts in (("指標", ours, OURS_CHARTS), ("naive", naive, NAIVE_CHARTS)):
                    # its own thread: the synchronous Playwright above keeps an event loop on this one
                    with ThreadPoolExecutor(1) as pool:
                        res = pool.submit(asyncio.run, sessions_at_once(url, args.sessions, charts)).result()
                    print(f"  {args.sessions}セッション同時（{name}）: 全員描画 {len(res)}/{args.sessions}、"
                          f"idle まで中央値 {statistics.median(r[0] for r in res):.2f} s（最大 {max(r[0] for r in res):.2f}）、"
                          f"描画まで中央値 {statistics.median(r[1] for r in res):.2f} s（最大 {max(r[1] for r in res):.2f}）")
        finally:
            for s in servers:
                s.stop()
        if args.rows:
            big = Store(Path(tmp) / "big")
            t0 = time.perf_counter()
            fill(big, args.rows)
            csv_path = fill_csv(Path(tmp) / "big.csv", args.rows)
            print(f"  （{args.rows:,}行のストアと CSV を作成: {time.perf_counter() - t0:.1f} s）")
            servers = [Server({"KPI_STORE": str(big.root)}), Server({"NAIVE_ACTUALS": str(csv_path)}, script=ROOT / "bench" / "naive_app.py")]
            try:
                ours, naive = f"{servers[0].url}/indicators?as_of=2026-03", servers[1].url
                report(f"{args.rows:,}行", compare(browser, ours, naive, args.repeats))
                print("  表示の切り替え（描画まで）: " + "、".join(f"{k} {v:.2f} s" for k, v in view_changes(browser, ours).items()))
            finally:
                for s in servers:
                    s.stop()
        browser.close()


if __name__ == "__main__":
    main()
