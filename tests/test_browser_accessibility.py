"""Accessibility in real Chromium (JIS X 8341-3:2016 AA / WCAG 2.1 AA): axe-core on every page at 1400 px
(full height) and at 390 px, the declared language, visible keyboard focus, no hidden Tab stops, labelled charts.

axe-core is the npm package (package.json; .ci/run installs it with npm ci). A serious or critical violation
fails the test unless it is a framework exception listed in docs/accessibility.md with its reason (KNOWN).
"""
from __future__ import annotations

import pytest

from conftest import READY, ROOT, Server
from tools.served import CHARTS_DRAWN

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["", "budget", "indicators", "evaluation", "upload", "history", "materials"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Violations that come from the framework's own markup, with the reason; each is in docs/accessibility.md.
KNOWN: dict[str, str] = {}


def open_page(page, url: str, charts: int = 0) -> None:
    page.goto(url)
    page.wait_for_selector(READY, timeout=60000)
    # Charts draw after the run (plotly.js loads with the first one); the page's script labels them after that.
    page.wait_for_function(CHARTS_DRAWN, arg=charts, timeout=60000)
    page.wait_for_timeout(1500)


def serious(page) -> list[str]:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `npm ci` (.ci/run does)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, "
                           "resultTypes: ['violations']})", TAGS)
    return [f"{v['impact']} {v['id']}: {v['help']} — " + "; ".join(str(n["target"]) for n in v["nodes"][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical") and v["id"] not in KNOWN]


def axe_pages(browser, width: int, urls: dict[str, str]) -> dict[str, list[str]]:
    """axe-core on each page at ``width``, the window grown to the whole page as a reader scrolls it."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
    page = context.new_page()
    found = {}
    for name, url in urls.items():
        open_page(page, url)
        height = page.evaluate("Math.max(document.body.scrollHeight, document.querySelector('[data-testid=\"stMain\"]').scrollHeight)")
        page.set_viewport_size({"width": width, "height": min(max(900, height), 12000)})
        page.wait_for_timeout(300)
        problems = serious(page)
        if (lang := page.evaluate("document.documentElement.lang")) != "ja":
            problems.append(f"lang={lang}")
        if problems:
            found[name] = problems
        page.set_viewport_size({"width": width, "height": 900})
    context.close()
    return found


@pytest.mark.parametrize("width", [1400, 390])
def test_axe_finds_nothing_serious_on_any_page(server, browser, width):
    found = axe_pages(browser, width, {path or "overview": f"{server.url}/{path}?as_of=2025-09&indicator=K2-2" for path in PAGES})
    assert not found, found


@pytest.mark.parametrize("width", [1400, 390])
def test_axe_finds_nothing_serious_on_the_city_page(tmp_path, browser, width):
    srv = Server(tmp_path / "store", ROOT / "examples" / "departments")  # 市全体 shows with several departments
    try:
        found = axe_pages(browser, width, {"city": f"{srv.url}/city", "overview_of_a_ward": f"{srv.url}/?dept=higashisumiyoshi"})
    finally:
        srv.stop()
    assert not found, found


# The framework's English that a Japanese user would otherwise read on these pages (assets/a11y.js translates it).
FRAMEWORK_ENGLISH = ("per file", "Browse files", "Drag and drop", "Upload", "Clear all", "Select all", "Choose an option",
                     "Download as CSV", "Skip to main content")


def test_every_page_declares_japanese_and_shows_no_framework_english(server, page):
    for path in PAGES:
        open_page(page, f"{server.url}/{path}")
        assert page.evaluate("document.documentElement.lang") == "ja", path
        shown = page.evaluate("document.body.innerText")
        assert not [w for w in FRAMEWORK_ENGLISH if w in shown], (path, [w for w in FRAMEWORK_ENGLISH if w in shown])
    open_page(page, f"{server.url}/upload")
    assert "1ファイル50MBまで" in page.evaluate("document.body.innerText")


def test_japanese_and_latin_text_is_drawn_in_one_font(server, page):
    """The theme names a Japanese font first (kpi.charts.SCREEN_FONT): a line of kanji and digits is drawn in one
    font, not a Latin font with a fallback searched for each run of Japanese (which slowed every layout)."""
    open_page(page, f"{server.url}/indicators")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    for selector in ('[data-testid="stCaptionContainer"] p', "table.kpi-bars td"):  # kanji with digits, with Latin
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = [f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]
        assert len(fonts) == 1, (selector, fonts)


def test_keyboard_focus_is_visible_on_the_sidebar_links(server, page):
    open_page(page, f"{server.url}/?as_of=2025-09")
    link = page.get_by_role("navigation", name="ページ").get_by_role("link").nth(1)
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus arrives by keyboard: :focus-visible applies
    style = page.evaluate("() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }")
    assert page.evaluate("document.activeElement.getAttribute('href')") == link.get_attribute("href")
    assert style[0] == "solid" and float(style[1].rstrip("px")) >= 3, style


def test_no_tab_stop_is_hidden(server, page):
    """The first 40 Tab stops of 指標 are all visible (heading anchors used to take invisible ones)."""
    open_page(page, f"{server.url}/indicators?as_of=2025-09")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    hidden = []
    for _ in range(40):
        page.keyboard.press("Tab")
        box = page.evaluate("() => { const e = document.activeElement; const r = e.getBoundingClientRect(); "
                            "return [e.tagName, e.getAttribute('aria-label') || e.textContent.slice(0, 20), r.width, r.height, "
                            "getComputedStyle(e).visibility, getComputedStyle(e).opacity]; }")
        if box[0] != "BODY" and (box[2] < 1 or box[3] < 1 or box[4] == "hidden" or float(box[5]) == 0):  # BODY: past the last stop
            hidden.append(box)
    assert not hidden, hidden


@pytest.mark.parametrize("width", [1400, 390])
def test_an_indicators_charts_have_a_text_alternative_and_readable_text(server, page, width):
    from kpi.htmlcharts import FONT_PX

    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, f"{server.url}/indicators?as_of=2025-09&indicator=K2-2")
    bar = page.locator('.kpi-gauge [role="img"]').get_attribute("aria-label")
    assert bar.startswith("K2-2 ノーコードツールを活用したアプリの運用開始の達成状況: △注意"), bar
    shown = page.evaluate("Array.from(document.querySelectorAll('.kpi-series img')).filter(i => i.offsetWidth > 0)"
                          ".map(i => [i.className, i.alt, i.complete && i.naturalWidth > 0, i.getBoundingClientRect().width, i.naturalWidth])")
    assert len(shown) == 1, shown  # one drawing for the width: the wide one on a desktop, the narrow one on a phone
    name, alt, loaded, drawn, natural = shown[0]
    assert name == ("wide" if width == 1400 else "narrow") and loaded and alt.startswith("K2-2 の月次推移（令和7年度、単位 業務）"), shown
    assert FONT_PX[name] * drawn / natural >= 10, shown  # the chart's text at 100 % zoom


def test_plotly_charts_have_a_role_and_a_one_line_summary(server, page):
    open_page(page, f"{server.url}/budget", charts=1)
    labels = page.evaluate("Array.from(document.querySelectorAll('[data-testid=\"stPlotlyChart\"]'))"
                           ".map(e => [e.getAttribute('role'), e.getAttribute('aria-label')])")
    assert len(labels) == 1 and labels[0][0] == "img" and labels[0][1].startswith("経営課題別の予算の推移"), labels
    sizes = page.evaluate("Array.from(document.querySelectorAll('.js-plotly-plot text, .js-plotly-plot tspan'))"
                          ".filter(e => e.textContent.trim()).map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert min(sizes) >= 10  # chart text at 100 % zoom
