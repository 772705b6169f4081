"""Fixtures shared by the whole suite, built in code: policies, stores, a served dashboard."""
from __future__ import annotations

import os
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEED = ROOT.parent / "shared" / "seed" / "000_d323183fcf303bed.txt"
sys.path.insert(0, str(ROOT))

from pg import pg_server  # noqa: E402, F401  (the temporary PostgreSQL server of the store tests)

from kpi.policy import Policy, load_policy  # noqa: E402
from kpi.store import Store  # noqa: E402
from tools import served  # noqa: E402
from tools.served import CHROMIUM, CHROMIUM_FLAGS, READY, free_port  # noqa: E402, F401  (used by the browser tests)


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(DATA)


@pytest.fixture
def store_kind(request) -> str:
    """folder (the default) or postgresql: a test module parametrises it with pg.STORE_KINDS (indirect)."""
    return getattr(request, "param", "folder")


@pytest.fixture
def store(tmp_path, monkeypatch, store_kind, request) -> Store:
    """An empty store, also set as KPI_STORE for code that reads the environment."""
    if store_kind == "postgresql":
        address = request.getfixturevalue("pg_server").fresh()  # skipped with the reason without PostgreSQL
        monkeypatch.setenv("KPI_STORE", address)
        monkeypatch.setenv("KPI_STORE_CACHE", str(tmp_path / "store-cache"))
        return Store(address)
    root = tmp_path / "store"
    monkeypatch.setenv("KPI_STORE", str(root))
    return Store(root)


@pytest.fixture
def sample_store(store, policy) -> Store:
    from kpi.service import ensure_sample

    assert ensure_sample(store, policy)
    return store


def write_policy(folder: Path, files: dict[str, str]) -> Path:
    """A data folder made of DATA's files with some replaced (for check-data and other-policy tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in DATA.glob("*.csv"):
        shutil.copy(f, folder / f.name)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


OTHER_POLICY = {
    "policy.csv": "field,label,text\ntitle,名称,令和8年度 テスト局運営方針\ndepartment,所属,テスト局\nfiscal_year,年度,2026\n"
                  "goal,目標,テストの目標\nmission,使命,テストの使命\nsource,出典,令和8年度 テスト局運営方針\n",
    "issues.csv": "issue_id,title,short_title,recognition\nA,安全なまち,安全,認識A\nB,健康なくらし,健康,認識B\nC,開かれた行政,行政,認識C\n",
    "strategies.csv": "issue_id,strategy_no,strategy\nA,1,戦略A1\nB,1,戦略B1\nC,1,戦略C1\n",
    "budgets.csv": "issue_id,fiscal_year,kind,amount_million_yen,source_text\nA,2024,決算,10,\nA,2026,予算,30,\n"
                   "B,2024,決算,0,\nB,2026,予算,5,\nC,2024,決算,8,\nC,2026,予算,4,\n",
    "indicators.csv": "indicator_id,issue_id,strategy_no,short_name,wording,unit,aggregation,direction,period_start_fy,period_end_fy\n"
                      "T-01,A,1,交通事故件数,交通事故件数を減らす,件,sum,lower,,\n"
                      "T-02,B,1,健診受診率,健診受診率,%,ratio,higher,,\n"
                      "T-03,C,1,オープンデータ公開数,オープンデータ公開数,件,latest,higher,,\n",
    "targets.csv": "indicator_id,fiscal_year,target,qualifier,per,source_text\nT-01,2026,120,以下,年,\nT-02,2026,50,,,\nT-03,2026,40,累計,,\n",
}


# A second policy of our own making, for the cross-surface tests: 3 経営課題 with other IDs, all five
# kinds, three lower-is-better targets (two caps on sums, one mean), a multi-year target, checkpoints,
# and actuals that run January–March and into the previous fiscal year (a baseline).
SECOND_POLICY = {
    "policy.csv": "field,label,text\ntitle,名称,令和7年度 テスト区運営方針\ndepartment,所属,テスト区役所\nfiscal_year,年度,2025\n"
                  "goal,目標,安全で便利な区\nmission,使命,区民の暮らしを支える\nsource,出典,令和7年度 テスト区運営方針\n",
    "issues.csv": "issue_id,title,short_title,recognition\nS1,安全なまち,安全,認識1\nS2,便利な区役所,便利,認識2\nS3,健康なくらし,健康,認識3\n",
    "strategies.csv": "issue_id,strategy_no,strategy\nS1,1,見守り\nS2,1,手続き\nS3,1,健診\n",
    "budgets.csv": "issue_id,fiscal_year,kind,amount_million_yen,source_text\nS1,2024,決算,10,\nS1,2025,予算,12,\n"
                   "S2,2024,決算,0,\nS2,2025,予算,40,\nS3,2024,決算,7,\nS3,2025,予算,6,\n",
    "indicators.csv": "indicator_id,issue_id,strategy_no,short_name,wording,unit,aggregation,direction,period_start_fy,period_end_fy\n"
                      "Q-01,S1,1,苦情件数,区への苦情件数,件,sum,lower,,\n"
                      "Q-02,S1,1,街頭犯罪件数,区内の街頭犯罪件数,件,sum,lower,,\n"
                      "Q-03,S2,1,オンライン手続き率,オンラインでできる手続きの割合,%,latest,higher,2024,2026\n"
                      "Q-04,S2,1,窓口の平均待ち時間,窓口の平均待ち時間,分,mean,lower,,\n"
                      "Q-05,S3,1,特定健診の受診率,特定健診の受診率,%,ratio,higher,,\n"
                      "Q-06,S3,1,新庁舎の基本設計,新庁舎の基本設計の完了,%,milestone,higher,,\n",
    "targets.csv": "indicator_id,fiscal_year,target,qualifier,per,source_text\n"
                   "Q-01,2025,120,以下,年,苦情件数 年120件以下\nQ-02,2025,900,以下,年,街頭犯罪 年900件以下\n"
                   "Q-03,2024,50,,,R6 50%\nQ-03,2025,80,,,R7 80%\nQ-03,2026,90,以上,,R8 90%以上\n"
                   "Q-04,2025,20,以下,,待ち時間20分以下\nQ-05,2025,40,,,受診率40%\nQ-06,2025,100,,,基本設計の完了\n",
    "checkpoints.csv": "indicator_id,month,value,source_text\nQ-06,2025-09,30,9月 基本計画\nQ-06,2025-12,70,12月 設計案\n"
                       "Q-02,2025-09,400,上半期 400件以下\n",
}
SECOND_ACTUALS = "indicator_id,month,value,numerator,denominator,note\n" + "".join(
    f"Q-03,{m},{v},,,\n" for m, v in (("2024-10", 44), ("2025-03", 52))) + "".join(
    f"Q-01,{m},{v},,,\nQ-02,{m},{w},,,\nQ-04,{m},{t},,,\nQ-05,{m},,{n},{d},\n"
    for m, v, w, t, n, d in (
        ("2025-04", 11, 70, 24, 30, 100), ("2025-05", 10, 72, 22, 35, 100), ("2025-06", 12, 66, 21, 41, 100),
        ("2025-07", 9, 70, 19, 38, 100), ("2025-08", 11, 69, 18, 44, 100), ("2025-09", 11, 66, 20, 39, 100),
        ("2025-10", 12, 74, 19, 40, 100), ("2025-11", 10, 75, 18, 42, 100), ("2025-12", 11, 70, 20, 45, 100),
        ("2026-01", 12, 71, 19, 41, 100), ("2026-02", 10, 68, 17, 40, 100), ("2026-03", 9, 77, 18, 43, 100),
    )) + "".join(f"Q-03,{m},{v},,,\n" for m, v in (("2025-06", 60), ("2025-09", 66), ("2025-12", 71), ("2026-03", 79.6))) + "".join(
    f"Q-06,{m},{v},,,\n" for m, v in (("2025-06", 10), ("2025-09", 35), ("2025-12", 60), ("2026-02", 95)))


@pytest.fixture
def second_policy_dir(tmp_path) -> Path:
    folder = tmp_path / "second"
    folder.mkdir()
    for name, text in SECOND_POLICY.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def other_policy_dir(tmp_path) -> Path:
    folder = write_policy(tmp_path / "other", OTHER_POLICY)
    (folder / "sample_actuals.csv").unlink()
    return folder


YEAR_END = "2026-03"  # the sample covers 令和7年度 in full: as of March every grade is known


def run_app(page: str, store_root: Path, monkeypatch, **state):
    """AppTest of app.py (sidebar and navigation included) switched to ``page``, with filters preset.

    ``state`` presets widget keys (fy, issue, as_of); as_of defaults to the sample's year end.
    """
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KPI_STORE", str(store_root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["as_of"] = state.pop("as_of", YEAR_END)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page != "app_pages/overview.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


class _HtmlTables(HTMLParser):
    """The kpi-table tables of an st.html body (kpi.htmltable) as header and rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", "kpi-table") in attrs:
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("th", "td") and self.tables:
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def frames(at) -> list:
    """Every table a page shows (st.table, st.dataframe and the HTML tables of kpi.htmltable) as DataFrames."""
    import pandas as pd

    parser = _HtmlTables()
    for h in at.get("html"):
        if "kpi-table" in h.proto.body:
            parser.feed(h.proto.body)
    html_tables = [pd.DataFrame(rows[1:], columns=rows[0]) for rows in parser.tables if rows]
    return [t.value for t in (*at.table, *at.dataframe)] + html_tables


def held(widgets, key: str):
    """The widget that shows the choice ``key`` (ui.sidebar.held_widget: keyed ``as_of~0``, renewed as ``as_of~1`` when
    a link sets the choice), from a list of AppTest's widgets: ``held(at.selectbox, "as_of")``."""
    found = [w for w in widgets if (w.key or "").rpartition("~")[0] == key]
    assert len(found) == 1, f"one widget for {key}, found {[w.key for w in widgets]}"
    return found[0]


def in_app_links(at) -> dict[str, str]:
    """The page's in-app links (words → address) in the HTML it drew."""
    import html

    return {html.unescape(t): html.unescape(h) for b in (h.proto.body for h in at.get("html"))
            for h, t in re.findall(r'<a href="([^"]*)" data-kpi-page[^>]*>([^<]*)</a>', b)}


def follow(at, text: str):
    """Follow the page's in-app link to a view of itself (kpi.htmltable.choices_html: 並べ方, 表示; 指標's list to an
    indicator's detail) by its words, as assets/links.js does in the browser: the address becomes the link's, and the
    page runs again."""
    from urllib.parse import parse_qs, urlsplit

    href = in_app_links(at)[text]
    assert href.startswith("?"), href  # a view of the same page
    at.query_params.clear()
    for key, values in parse_qs(urlsplit(href).query).items():
        at.query_params[key] = values if len(values) > 1 else values[0]
    return at.run()


def open_detail(at, iid: str):
    """On 指標, open ``iid``'s detail as a person first does: its name in the list is a link (kpi.charts.DetailLinks)."""
    (text,) = [t for t in in_app_links(at) if t.startswith(f"{iid} ")]
    return follow(at, text)


def every_column(at):
    """指標's table of every column (表示「すべての列の表」), then back to the bars; the table as a DataFrame."""
    (table,) = [t for t in frames(follow(at, "すべての列の表")) if "指標ID" in t.columns]
    follow(at, "達成率の棒")
    return table


def figures(at) -> dict[str, str]:
    """Every labelled figure a page shows: st.metric and the rows of figures of kpi.htmltable.figures_html."""
    import html
    import re

    found = {m.label: m.value for m in at.metric}
    for h in at.get("html"):
        if "kpi-figures" in h.proto.body:
            found |= {html.unescape(k): html.unescape(v) for k, v in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", h.proto.body)}
    return found


def overview_cards(at) -> list[str]:
    """The text of each card of 概要's indicators behind (one HTML element for all), a line break kept as a line."""
    import html
    import re

    bodies = [h.proto.body for h in at.get("html") if 'class="kpi-cards"' in h.proto.body]
    cards = re.findall(r'(?s)<article class="kpi-card"[^>]*>(.*?)</article>', "".join(bodies))
    return [html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br>|</p>", "\n", c))).strip() for c in cards]


def html_texts(at) -> list[str]:
    """The text a reader sees in each of the page's HTML elements (st.html: kpi.htmltable's sections, tables and
    figures), without its style and script, entities decoded."""
    import html
    import re

    out = []
    for h in at.get("html"):
        body = re.sub(r"(?s)<(style|script)\b.*?</\1>", "", h.proto.body)
        body = re.sub(r"</(p|h\d|dd|dt|tr|li|caption)>", "\n", body)
        out.append(html.unescape(re.sub(r"<[^>]+>", "", body)))
    return out


def unescape(text: str) -> str:
    """A table cell the page escaped for Markdown (ui.escape), as the user reads it."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")  # ui.escape: backslashes and word joiners


def pptx_text(slide) -> str:
    """All the text of a slide: text frames and table cells."""
    out = []
    for sh in slide.shapes:
        if sh.has_text_frame:
            out.append(sh.text_frame.text)
        if sh.has_table:
            out += [c.text for row in sh.table.rows for c in row.cells]
    return "\n".join(out)


class Server(served.Server):
    """A real `streamlit run app.py` on a free port, with its own store."""

    def __init__(self, store_root: Path, data_dir: Path = DATA, env: dict | None = None):
        super().__init__({"KPI_STORE": str(store_root), "KPI_DATA_DIR": str(data_dir)} | (env or {}))


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "store")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian chromium: .ci/run installs it")
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP", accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()


def wait_ready(pg, timeout: int = 60000) -> None:
    """Wait until Streamlit has finished running the script after an action."""
    pg.wait_for_timeout(300)
    pg.wait_for_selector(READY, timeout=timeout)


def loaded_widgets(pg) -> set[str]:
    """The framework's element scripts the page has loaded (Radio, Selectbox, Html, …; files named Kind.hash.js)."""
    names = pg.evaluate("performance.getEntriesByType('resource').map(e => e.name.split('/').pop())")
    return {n.split(".")[0] for n in names if n.endswith(".js")}


def goto(pg, url: str, timeout: int = 60000) -> None:
    """Open a page of the dashboard and wait for its first full run.

    Right after loading, the page can briefly report "not running" before the app's
    own first run has drawn anything, so wait for the page's title as well.
    """
    pg.goto(url)
    pg.locator("h1").first.wait_for(timeout=timeout)
    wait_ready(pg, timeout)


def open_filters(pg) -> None:
    """Open the sidebar's 「表示の条件を変える」 (its widgets are drawn once it is open), unless it is open already."""
    filters = pg.locator('[data-testid="stPopoverBody"] [data-testid="stSelectbox"]')  # the popover opens over the page
    if not filters.count():
        pg.locator('[data-testid="stSidebar"]').get_by_role("button", name="表示の条件を変える").click()
    filters.first.wait_for(timeout=30000)


# A ward's policy like the fictional ward page (../shared/examples/ward_page_fictional.txt), built in code: a target
# over three years (「マイ避難カードを作成した世帯の数 6,000世帯以上(R4~R6作成合計目標)」, published 1,950 / 5,410 / B,
# 前年度実績 1,880), a yearly count with a stated baseline, no budgets.csv, and results.csv as the import writes it.
WARD_POLICY = {
    "policy.csv": "field,label,text\ntitle,名称,令和6年度 みなと架空区運営方針\ndepartment,所属,みなと架空区役所\nfiscal_year,年度,2024\n"
                  "goal,目標,だれもが安心して住み続けられるまち\nmission,使命,区民に最も身近な総合行政拠点\n"
                  "source,出典,令和6年度 みなと架空区運営方針（架空）\nsample,サンプル,サンプル（架空）\n",
    "issues.csv": "issue_id,title,short_title,recognition\n1,防災・減災,防災,大規模災害に備える\n",
    "strategies.csv": "issue_id,strategy_no,strategy\n1,1,マイ避難カードの作成を支援する\n1,2,要援護者避難支援訓練を実施する\n",
    "indicators.csv": "indicator_id,issue_id,strategy_no,short_name,wording,unit,aggregation,direction,period_start_fy,period_end_fy\n"
                      "W1-1,1,1,マイ避難カードを作成した世帯の数,マイ避難カードを作成した世帯の数,世帯,sum,higher,,\n"
                      "W1-2,1,2,要援護者避難支援訓練を実施した地域の数,要援護者避難支援訓練を実施した地域の数,地域,latest,higher,,\n",
    "targets.csv": "indicator_id,fiscal_year,target,qualifier,per,source_text,period_start_fy,baseline,baseline_source\n"
                   "W1-1,2024,6000,以上,,\"マイ避難カードを作成した世帯の数 6,000世帯以上(R4~R6作成合計目標)\",2022,,\n"
                   "W1-2,2024,12,,,要援護者避難支援訓練を実施した地域の数 令和6年度 12地域,,6,令和5年度当初 6地域\n",
    "results.csv": "indicator_id,fiscal_year,value,period_value,grade,source_text\n"
                   "W1-1,2024,1950,5410,B,\"6年度作成世帯数1,950世帯(R4~R6作成合計5,410世帯):B\"\n"
                   "W1-1,2023,1880,,,\"1,880世帯\"\n"
                   "W1-2,2024,12,,A,訓練実施地域数 12地域:A\nW1-2,2023,9,,,9地域\n",
}
WARD_YEARS = {2022: 1580, 2023: 1880, 2024: 1950}  # W1-1 per fiscal year: 1,580 + 1,880 + 1,950 = 5,410 (R4〜R6)


def ward_monthly(fy: int, total: int) -> list[tuple[str, int]]:
    """A year's total spread over its twelve months (the remainder in March)."""
    from kpi import fiscal

    each = total // 12
    return [(m, each + (total - 12 * each if i == 11 else 0)) for i, m in enumerate(fiscal.fy_months(fy))]


WARD_ACTUALS = "indicator_id,month,value,numerator,denominator,note\n" + "".join(
    f"W1-1,{m},{v},,,\n" for fy, total in WARD_YEARS.items() for m, v in ward_monthly(fy, total)) + "".join(
    f"W1-2,{m},{v},,,\n" for m, v in (("2024-06", 8), ("2024-09", 10), ("2024-12", 11), ("2025-03", 12)))


@pytest.fixture
def ward_root(tmp_path) -> Path:
    """A root of departments whose ward's policy folders begin with the period's last year: <root>/minato/2024/."""
    folder = tmp_path / "wards" / "minato" / "2024"
    folder.mkdir(parents=True)
    for name, text in WARD_POLICY.items():
        (folder / name).write_text(text, encoding="utf-8")
    return tmp_path / "wards"


@pytest.fixture
def deploy_store(tmp_path) -> str:
    """KPI_STORE of the deployment tests: the one store every app server shares (a folder here; a
    postgresql://… address where a PostgreSQL server is at hand)."""
    return str(tmp_path / "shared-store")
