// The app's own links to its pages inside HTML it draws (kpi/htmltable.py Link.in_app: 概要's cards link to 指標), followed
// within the app: the address changes as the browser's back button changes it, and the framework runs the page the
// address names with its query (dept, fy, issue, as_of, indicator) in the same session, without loading the app again.
// A click with a modifier or another button (a new tab or window) and any other link are left to the browser.
(() => {
  if (window.__kpiLinks) return;
  window.__kpiLinks = true;
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[data-kpi-page]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const to = new URL(link.href, document.baseURI);
    if (to.origin !== location.origin) return;
    event.preventDefault();
    history.pushState(null, "", to.href);
    window.dispatchEvent(new PopStateEvent("popstate", { state: null }));
  });
})();
