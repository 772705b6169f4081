"""Fixtures shared by the whole suite, built in code: policies, stores, a served dashboard."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEED = ROOT.parent / "shared" / "seed" / "000_d323183fcf303bed.txt"
sys.path.insert(0, str(ROOT))

from kpi.policy import Policy, load_policy  # noqa: E402
from kpi.store import Store  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(DATA)


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    """An empty store, also set as KPI_STORE for code that reads the environment."""
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
    if page != "pages/overview.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def pptx_text(slide) -> str:
    """All the text of a slide: text frames and table cells."""
    out = []
    for sh in slide.shapes:
        if sh.has_text_frame:
            out.append(sh.text_frame.text)
        if sh.has_table:
            out += [c.text for row in sh.table.rows for c in row.cells]
    return "\n".join(out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real `streamlit run app.py` on a free port, with its own store."""

    def __init__(self, store_root: Path, data_dir: Path = DATA, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        full_env = os.environ | {"KPI_STORE": str(store_root), "KPI_DATA_DIR": str(data_dir)} | (env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(self.port),
             "--server.headless", "true", "--server.address", "localhost"],
            cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("localhost", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("streamlit did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


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


def goto(pg, url: str, timeout: int = 60000) -> None:
    """Open a page of the dashboard and wait for its first full run.

    Right after loading, the page can briefly report "not running" before the app's
    own first run has drawn the sidebar, so wait for the sidebar filters as well.
    """
    pg.goto(url)
    pg.get_by_text("表示の条件").wait_for(timeout=timeout)
    wait_ready(pg, timeout)
