"""Screenshot every page of a running dashboard in Debian's Chromium (for looking, not testing).

Usage: python tools/screenshots.py [BASE_URL] [OUT_DIR] [QUERY]
"""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.served import CHROMIUM, READY  # noqa: E402
from tools.served import CHROMIUM_FLAGS as FLAGS


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8501"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
    query = sys.argv[3] if len(sys.argv) > 3 else ""
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": int(sys.argv[4]) if len(sys.argv) > 4 else 2400}, locale="ja-JP")
        for path in ("", "budget", "indicators", "evaluation", "upload", "history", "materials"):
            resp = page.goto(f"{base}/{path}{query}")
            page.wait_for_selector(READY, timeout=60000)
            page.wait_for_timeout(1500)
            name = path or "overview"
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print(name, resp.status if resp else "")
        browser.close()


if __name__ == "__main__":
    main()
