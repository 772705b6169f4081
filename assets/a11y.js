// Accessibility fixes for what the framework draws (see docs/accessibility.md). App-controlled text only.
(() => {
  if (window.__kpiA11y) return;
  window.__kpiA11y = true;
  const doc = window.document;
  // Streamlit's own strings a Japanese user meets, read aloud or shown; the app cannot set them otherwise.
  const TEXT = {
    "Skip to main content": "本文へ移動",
    "Clear all": "すべて消去",
    "Select all": "すべて選択",
    "Browse files": "ファイルを選択",
    "Drag and drop file here": "ここにファイルをドラッグ＆ドロップ",
    "Upload": "アップロード",
    "Download as CSV": "CSVでダウンロード",
    "Search": "検索",
    "Fullscreen": "全画面表示",
    "Close fullscreen": "全画面表示を終了",
    "Choose an option": "選択してください",
    "No results": "該当なし",
    "Expand sidebar": "ページ・表示の条件（サイドバー）を開く",
    "Collapse sidebar": "ページ・表示の条件（サイドバー）を閉じる",
    "Open sidebar": "ページ・表示の条件（サイドバー）を開く",
    "Close sidebar": "ページ・表示の条件（サイドバー）を閉じる",
    "Copy to clipboard": "クリップボードにコピー",
    "Running...": "実行中…",
    "Main menu": "メニュー",
  };
  const PATTERNS = [
    [/^Remove (.+)$/, "$1 を削除"],
    [/^Limit (\d+)MB per file • (.+)$/, "1ファイル$1MBまで・$2"],
    [/^(\d+)MB per file • (.+)$/, "1ファイル$1MBまで・$2"],
    // Streamlit 1.67 writes the limit and the types as two text nodes
    [/^Limit (\d+)MB per file$/, "1ファイル$1MBまで"],
    [/^(\d+)MB per file$/, "1ファイル$1MBまで"],
  ];
  const tr = (s) => {
    if (!s) return null;
    const t = s.trim();
    if (Object.prototype.hasOwnProperty.call(TEXT, t)) return TEXT[t];
    for (const [re, to] of PATTERNS) if (re.test(t)) return t.replace(re, to);
    return null;
  };
  const fixAttributes = (el) => {
    for (const name of ["aria-label", "title", "placeholder"]) {
      const to = tr(el.getAttribute(name));
      if (to) el.setAttribute(name, to);
    }
  };
  // A chart's text alternative: the one-line summary kpi.charts puts in layout.meta.alt.
  const labelCharts = (root) => {
    root.querySelectorAll('[data-testid="stPlotlyChart"]').forEach((box) => {
      const plot = box.querySelector(".js-plotly-plot");
      const alt = plot && plot.layout && plot.layout.meta && plot.layout.meta.alt;
      if (alt && box.getAttribute("aria-label") !== alt) {
        box.setAttribute("role", "img");
        box.setAttribute("aria-label", alt);
        plot.setAttribute("aria-hidden", "true");
      }
    });
  };
  // A table wider than the screen scrolls: keyboard users must be able to reach and scroll it (WCAG 2.1.1).
  const scrollables = (root) => {
    root.querySelectorAll(".stTable > div, .stTable > div > div").forEach((box) => {
      const overflows = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (overflows && box.getAttribute("tabindex") !== "0") {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", "表（横にスクロールできます）");
      }
    });
  };
  const sweep = () => {
    if (doc.documentElement.lang !== "ja") doc.documentElement.lang = "ja";  // WCAG 3.1.1
    const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const to = tr(node.nodeValue);
      if (to) node.nodeValue = node.nodeValue.replace(node.nodeValue.trim(), to);
    }
    doc.body.querySelectorAll("[aria-label],[title],[placeholder]").forEach(fixAttributes);
    labelCharts(doc.body);
    scrollables(doc.body);
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; sweep(); });
  }).observe(doc.documentElement, { subtree: true, childList: true, characterData: true, attributes: true,
                                    attributeFilter: ["lang", "aria-label", "title", "placeholder"] });
  window.addEventListener("resize", () => requestAnimationFrame(sweep));  // a table may start to overflow
  sweep();
})();
