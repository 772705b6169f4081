// The app's own links to its pages and views inside HTML it draws (kpi/htmltable.py: Link.in_app, 概要's cards to 指標;
// choices_html, 指標's 並べ方 and 表示), followed within the app: the address changes as the browser's back button changes
// it, and the framework runs the page the address names with its query (dept, fy, issue, as_of, indicator, order, show)
// in the same session, without loading the app again. A click with a modifier or another button (a new tab or window)
// and any other link are left to the browser.
(() => {
  if (window.__kpiLinks) return;
  window.__kpiLinks = true;
  // A choice of view (data-kpi-choice) is drawn anew with the page: the keyboard's place goes to the choice just made,
  // once it is on screen (marked as the one shown), instead of back to the top of the page.
  const focusWhenDrawn = (name) => {
    const until = performance.now() + 10000;
    const look = () => {
      const made = document.querySelector(`[data-kpi-choice="${CSS.escape(name)}"][aria-current]`);
      if (made) made.focus({ preventScroll: true });
      else if (performance.now() < until) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  };
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[data-kpi-page]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const to = new URL(link.href, document.baseURI);
    if (to.origin !== location.origin) return;
    event.preventDefault();
    history.pushState(null, "", to.href);
    window.dispatchEvent(new PopStateEvent("popstate", { state: null }));
    if (link.dataset.kpiChoice) focusWhenDrawn(link.dataset.kpiChoice);
  });
})();
