"""A city of departments: a generated root of 60 departments × 3 years × 20 indicators with 10 years of monthly
actuals each; times the 市全体 page (AppTest script run, cold and warm; Chromium until drawn) and a department's
指標 page beside the same department served alone.

    python bench/bench_city.py [--departments 60] [--repeats 5]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi import fiscal  # noqa: E402
from kpi.evaluate import Actual  # noqa: E402
from kpi.store import Store  # noqa: E402

YEARS = (2024, 2025, 2026)
INDICATORS = 20
KINDS = ("latest", "sum", "mean", "ratio", "milestone")


def policy_folder(folder: Path, dept: int, fy: int) -> None:
    """One year's policy of a generated department: 4 経営課題, 20 indicators of every kind, both directions."""
    folder.mkdir(parents=True)
    (folder / "policy.csv").write_text(
        "field,label,text\n"
        f"title,名称,{fiscal.fy_label(fy)} 第{dept}区運営方針（ベンチマーク用・架空）\n"
        f"department,所属,第{dept}区役所（架空）\nfiscal_year,年度,{fy}\nsample,サンプル,ベンチマーク用に生成した架空の運営方針です。\n"
        f"goal,目標,架空\nmission,使命,架空\nsource,出典,{fiscal.fy_label(fy)} 第{dept}区運営方針（架空）\n", encoding="utf-8")
    (folder / "issues.csv").write_text("issue_id,title,short_title,recognition\n" + "".join(
        f"{i},経営課題{i}（架空）,課題{i},架空\n" for i in range(1, 5)), encoding="utf-8")
    (folder / "strategies.csv").write_text("issue_id,strategy_no,strategy\n" + "".join(f"{i},1,戦略{i}\n" for i in range(1, 5)), encoding="utf-8")
    (folder / "budgets.csv").write_text("issue_id,fiscal_year,kind,amount_million_yen,source_text\n" + "".join(
        f"{i},{y},{'決算' if y < fy else '予算'},{10 * i + y - 2020},架空\n" for i in range(1, 5) for y in (fy - 1, fy)), encoding="utf-8")
    rows, targets = [], []
    for n in range(INDICATORS):
        kind = KINDS[n % len(KINDS)]
        unit = "%" if kind in ("ratio", "milestone") else "件"
        direction = "lower" if n % 7 == 3 and kind in ("sum", "mean") else "higher"
        rows.append(f"X{n:02d},{n % 4 + 1},1,指標{n:02d},指標{n:02d}（架空）,{unit},{kind},{direction},,\n")
        target = 100 if kind == "milestone" else (40 if unit == "%" else 600)
        targets.append(f"X{n:02d},{fy},{target},,,架空\n")
    (folder / "indicators.csv").write_text(
        "indicator_id,issue_id,strategy_no,short_name,wording,unit,aggregation,direction,period_start_fy,period_end_fy\n"
        + "".join(rows), encoding="utf-8")
    (folder / "targets.csv").write_text("indicator_id,fiscal_year,target,qualifier,per,source_text\n" + "".join(targets), encoding="utf-8")


def generate(root: Path, stores: Path, departments: int) -> None:
    rnd = random.Random(11)
    months = [m for fy in range(2016, 2026) for m in fiscal.fy_months(fy)] + fiscal.fy_months(2026)[:7]  # to October 2026
    for d in range(1, departments + 1):
        dept = f"ward{d:02d}"
        for fy in YEARS:
            policy_folder(root / dept / str(fy), d, fy)
        rows = [Actual(f"X{n:02d}", m, float(rnd.randint(20, 60))) for n in range(INDICATORS) for m in months]
        Store(stores / dept).write_batch(b"bench", "bench.csv", rows, "bench")


def timed(run) -> float:
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def apptest(data: Path, store: Path, page: str, query: dict, repeats: int, after_upload: str | None = None) -> tuple[float, ...]:
    """The page's script run: cold, warm (median of ``repeats``) and, with ``after_upload`` (a department's ID), the
    first run after a batch was registered in that department's store."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["KPI_DATA_DIR"], os.environ["KPI_STORE"] = str(data), str(store)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()  # the app's first start (its caches), then the page
    at.switch_page(page)
    cold = timed(at.run)
    assert not at.exception, at.exception
    warm = statistics.median(timed(at.run) for _ in range(repeats))
    if after_upload is None:
        return cold, warm
    Store(store / after_upload).write_batch(b"upload", "upload.csv", [Actual("X00", "2026-10", 99.0)], "bench")
    return cold, warm, timed(at.run)


def chromium(data: Path, store: Path, path: str, floor_script: Path, repeats: int) -> tuple[float, float, float]:
    """The page in Chromium until its table is drawn, each load in a fresh context (no cache, a new session): the
    first load after the server started, the median of the next ``repeats``, and the median of a one-line page
    loaded in turn with them (the same moments of a shared machine)."""
    from playwright.sync_api import sync_playwright

    from tools.served import CHROMIUM, CHROMIUM_FLAGS, READY, Server

    app = Server({"KPI_DATA_DIR": str(data), "KPI_STORE": str(store)})
    floor = Server(script=floor_script)
    times: dict[str, list[float]] = {"app": [], "floor": []}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)

            def load(url: str, drawn: str) -> float:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(url)
                page.wait_for_selector(READY, timeout=600000)
                page.locator(drawn).first.wait_for(timeout=600000)
                took = time.perf_counter() - t0
                context.close()
                return took

            first = load(app.url + path, "table.kpi-table")
            load(floor.url, "h1")
            for _ in range(repeats):
                times["app"].append(load(app.url + path, "table.kpi-table"))
                times["floor"].append(load(floor.url, "h1"))
            browser.close()
    finally:
        app.stop()
        floor.stop()
    return first, statistics.median(times["app"]), statistics.median(times["floor"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--departments", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, stores = Path(tmp) / "root", Path(tmp) / "stores"
        t0 = time.perf_counter()
        generate(root, stores, args.departments)
        print(f"（{args.departments}所属 × {len(YEARS)}年度 × {INDICATORS}指標、月次10年分の実績を生成: {time.perf_counter() - t0:.1f} s）")
        cold, warm, upload = apptest(root, stores, "app_pages/city.py", {}, args.repeats, after_upload="ward07")
        print(f"市全体（AppTest）: 初回 {cold:.2f} s、2回目以降 {warm:.3f} s（目標 ≤ 0.5 s）、1つの所属に登録した直後 {upload:.3f} s")
        from tools.served import one_line_page

        first, drawn, floor = chromium(root, stores, "/city", one_line_page(Path(tmp)), args.repeats)
        print(f"市全体（Chromium、表の表示まで）: サーバー起動後の初回 {first:.2f} s、2回目以降 {drawn:.2f} s（目標 ≤ 2 s）"
              f"。交互に開いた1行だけのページ {floor:.2f} s（{drawn / floor:.2f} 倍）")
        q = {"dept": "ward07", "fy": "2026", "as_of": "2026-10"}
        many = apptest(root, stores, "app_pages/indicators.py", q, args.repeats)
        alone = Path(tmp) / "alone"
        shutil.copytree(root / "ward07", alone / "ward07")
        one = apptest(alone, stores, "app_pages/indicators.py", q, args.repeats)
        print(f"ward07 の指標（AppTest）: {args.departments}所属のうち 初回 {many[0]:.2f} s・2回目以降 {many[1]:.3f} s | "
              f"1所属だけ 初回 {one[0]:.2f} s・2回目以降 {one[1]:.3f} s")


if __name__ == "__main__":
    main()
