"""Screenshot every page in Debian's Chromium (for looking, not testing), at a desktop width, a phone width and 200 % zoom.

    python tools/screenshots.py [--url BASE_URL] [--out DIR] [--query ?as_of=2025-09] [--data-dir DIR]
                                [--views overview indicators …] [--widths 1400 390 zoom200]

Without --url it serves the dashboard itself on a free port, with a store in a temporary folder (the sample
actuals, labelled サンプル（架空）) and the reference data of --data-dir (default data/; examples/departments
shows the 所属 choice and 市全体). Pages are taken when the script is idle and every chart is drawn.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.served import CHARTS_DRAWN, CHROMIUM, CHROMIUM_FLAGS, READY, Server  # noqa: E402

# (file name, path and query added to the common query, charts to wait for)
VIEWS = [
    ("overview", "", 1),
    ("budget", "budget", 1),
    ("indicators", "indicators", 0),
    ("indicator_K2-2", "indicators?fy=2025&indicator=K2-2", 0),
    ("indicator_K1-1", "indicators?indicator=K1-1", 0),
    ("evaluation", "evaluation", 0),
    ("upload", "upload", 0),
    ("history", "history", 0),
    ("materials", "materials", 0),
    ("city", "city", 0),
]
# name: (CSS width, device scale). 200 % zoom of a 1400 px window lays out as 700 CSS px drawn at scale 2.
WIDTHS = {"1400": (1400, 1), "390": (390, 1), "zoom200": (700, 2)}
# The sidebar counts only where it is shown beside the page (on a phone it is folded away).
TALLEST = """() => Math.max(...Array.from(document.querySelectorAll(
  '[data-testid="stMain"], [data-testid="stMainBlockContainer"], [data-testid="stSidebarContent"]'))
  .filter(e => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().left >= 0).map(e => e.scrollHeight))"""


def url_of(base: str, path: str, query: str) -> str:
    joined = f"{base}/{path}"
    extra = query.lstrip("?")
    return joined + (("&" if "?" in joined else "?") + extra if extra else "")


def shoot(base: str, out: Path, query: str, views: list[str] | None = None, widths: list[str] | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for width_name, (width, scale) in WIDTHS.items():
            if widths and width_name not in widths:
                continue
            page = browser.new_page(viewport={"width": width, "height": 1000}, device_scale_factor=scale,
                                    locale="ja-JP")
            for name, path, charts in VIEWS:
                if views and name not in views:
                    continue
                resp = page.goto(url_of(base, path, query))
                page.wait_for_selector(READY, timeout=60000)
                try:
                    page.wait_for_function(CHARTS_DRAWN, arg=charts, timeout=30000)
                except Exception:  # a page of this data without those charts (e.g. 市全体 with one department)
                    pass
                page.wait_for_timeout(500)  # HTML elements (st.html) settle just after the run
                # Streamlit scrolls inside its main element, not the document: grow the window to the content.
                tall = page.evaluate(TALLEST)
                page.set_viewport_size({"width": width, "height": max(1000, min(tall + 40, 12000))})
                page.wait_for_timeout(800)
                file = out / f"{name}_{width_name}.png"
                page.screenshot(path=str(file))
                page.set_viewport_size({"width": width, "height": 1000})
                print(file, resp.status if resp else "")
            page.close()
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", help="a running dashboard; without it one is served for the run")
    ap.add_argument("--out", default="screenshots")
    ap.add_argument("--query", default="")
    ap.add_argument("--data-dir", help="reference data (KPI_DATA_DIR) of the served dashboard")
    ap.add_argument("--views", nargs="*", help=f"only these views (of {', '.join(v[0] for v in VIEWS)})")
    ap.add_argument("--widths", nargs="*", help=f"only these widths (of {', '.join(WIDTHS)})")
    args = ap.parse_args()
    if args.url:
        shoot(args.url.rstrip("/"), Path(args.out), args.query, args.views, args.widths)
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = {"KPI_STORE": str(Path(tmp) / "store")} | ({"KPI_DATA_DIR": args.data_dir} if args.data_dir else {})
        server = Server(env)
        try:
            shoot(server.url, Path(args.out), args.query, args.views, args.widths)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
