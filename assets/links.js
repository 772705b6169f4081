// The app's own links to its pages and views inside HTML it draws (kpi/htmltable.py: pages_html, the sidebar's list of
// pages; Link.in_app, 概要's cards to 指標;
// choices_html, 指標's 並べ方 and 表示; kpi/charts.py: DetailLinks, 指標's list to each indicator's detail), followed
// within the app: the address changes as the browser's back button changes it, and the framework runs the page the
// address names with its query (dept, fy, issue, as_of, indicator, order, show) in the same session, without loading
// the app again. A click with a modifier or another button (a new tab or window) and any other link are left to the
// browser.
(() => {
  if (window.__kpiLinks) return;
  window.__kpiLinks = true;
  // Once ``find`` finds it (the page is drawn anew after a link), do ``then`` with it; give up after 10 s.
  const whenDrawn = (find, then) => {
    const until = performance.now() + 10000;
    const look = () => {
      const found = find();
      if (found) then(found);
      else if (performance.now() < until) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  };
  // A choice of view (data-kpi-choice) is drawn anew with the page: the keyboard's place goes to the choice just made,
  // once it is on screen (marked as the one shown), instead of back to the top of the page.
  const focusWhenDrawn = (name) => whenDrawn(
    () => document.querySelector(`[data-kpi-choice="${CSS.escape(name)}"][aria-current]`),
    (made) => made.focus({ preventScroll: true }));
  // A link to a part the page draws below (data-kpi-show: the key of its container, 指標's list and 概要's cards to the
  // indicator's detail): once the run the link started has ended, the part's heading comes into view and takes the
  // keyboard's place, as if the person had gone there.
  const showWhenDrawn = (key) => {
    let ran = false;
    whenDrawn(() => {
      const state = document.querySelector('[data-testid="stApp"]')?.getAttribute("data-test-script-state");
      ran = ran || state === "running";
      const box = ran && state === "notRunning" && document.querySelector(`.st-key-${CSS.escape(key)}`);
      return box ? box.querySelector("h1, h2, h3, h4, h5, h6") || box : null;
    }, (heading) => {
      heading.setAttribute("tabindex", "-1");
      heading.style.scrollMarginTop = "4.5rem"; // below the app's header, which stays on top
      heading.scrollIntoView({ block: "start" });
      heading.focus({ preventScroll: true });
    });
  };
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[data-kpi-page]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const to = new URL(link.href, document.baseURI);
    if (to.origin !== location.origin) return;
    event.preventDefault();
    history.pushState(null, "", to.href);
    window.dispatchEvent(new PopStateEvent("popstate", { state: null }));
    // The list of pages in the sidebar (kpi/htmltable.py: pages_html): on a phone the sidebar covers the page, and
    // closes once a page is chosen, as the framework's own list did.
    // Elsewhere the list is drawn anew with the mark moved: the keyboard's place stays on the page chosen, as with the
    // framework's own list, instead of going back to the start of the document.
    if (link.closest('[data-testid="stSidebar"]') && window.matchMedia("(max-width: 767.98px)").matches) {
      document.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
    } else if (link.closest(".kpi-pages")) {
      const href = link.getAttribute("href");
      whenDrawn(() => document.querySelector(`.kpi-pages a[aria-current][href="${CSS.escape(href)}"]`),
                (chosen) => chosen.focus({ preventScroll: true }));
    }
    if (link.dataset.kpiChoice) focusWhenDrawn(link.dataset.kpiChoice);
    if (link.dataset.kpiShow) showWhenDrawn(link.dataset.kpiShow);
  });
})();
