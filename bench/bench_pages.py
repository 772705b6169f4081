"""Time the 指標 page's script run (AppTest) beside the naive peer (bench/naive_app.py), with the sample and
with ``--rows`` stored rows: cold, warm (the same view again), a change of view, and the first run after
a new import.

Usage: python bench/bench_pages.py [--rows 1000000] [--repeats 5]
Cold = caches cleared before the run; warm = the same view again; a change of view = another 経営課題,
基準月, year or indicator (each a first visit); after import = a new batch landed since the last run.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi import fiscal  # noqa: E402
from kpi.evaluate import Actual  # noqa: E402
from kpi.policy import load_policy  # noqa: E402
from kpi.service import ensure_sample  # noqa: E402
from kpi.store import Store  # noqa: E402


def history(rows: int) -> Iterator[Actual]:
    """Rows beyond the sample: every indicator, months 2000-04 … 2025-03, corrected many times over (deterministic)."""
    ids = list(load_policy(ROOT / "data").indicators)
    months = [m for fy in range(2000, 2025) for m in fiscal.fy_months(fy)]
    keys = [(i, m) for i in ids for m in months]
    rnd = random.Random(7)
    for k in range(rows):
        yield Actual(*keys[k % len(keys)], float(rnd.randint(0, 100)))


def fill(store: Store, rows: int, batch_size: int = 100_000) -> None:
    """The sample year (180 rows, the oldest batch) plus ``rows`` − 180 rows of history in batches."""
    ensure_sample(store, load_policy(ROOT / "data"))
    rest = history(max(0, rows - 180))
    while batch := [a for _, a in zip(range(batch_size), rest)]:
        store.write_batch(b"bench", "bench.csv", batch, "bench")


def fill_csv(path: Path, rows: int) -> Path:
    """The same rows as ``fill`` in one CSV (history first, the sample last so that it wins), for the naive page."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["indicator_id", "month", "value", "numerator", "denominator", "note"])
        for a in history(max(0, rows - 180)):
            w.writerow([a.indicator_id, a.month, a.value, "", "", ""])
        with (ROOT / "data" / "sample_actuals.csv").open(encoding="utf-8") as sample:
            next(sample)
            fh.write(sample.read())
    return path


def timed(run: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def ours(store: Store, repeats: int) -> dict[str, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["KPI_STORE"] = str(store.root)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["as_of"] = "2026-03"
    at.run()  # the app's first run (概要), which also starts the server-wide caches
    at.switch_page("app_pages/indicators.py")
    out = {"cold": timed(at.run)}
    assert not at.exception, at.exception
    out["warm"] = statistics.median(timed(at.run) for _ in range(repeats))
    changes = []
    for key, value in (("issue", ["2"]), ("as_of", "2025-09"), ("indicator", "K2-4"), ("issue", ["4"]), ("as_of", "2025-12")):
        at.session_state[key] = value
        changes.append(timed(at.run))
    out["view change"] = statistics.median(changes)
    out["view change (max)"] = max(changes)
    after = []
    for n in range(3):
        store.write_batch(b"bench", "import.csv", [Actual("K4-3", "2025-04", float(n))], "bench")
        after.append(timed(at.run))
    out["after import"] = statistics.median(after)
    assert not at.exception, at.exception
    return out


def naive(csv_path: Path, repeats: int) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    os.environ["NAIVE_ACTUALS"] = str(csv_path)
    at = AppTest.from_file(str(ROOT / "bench" / "naive_app.py"), default_timeout=300)
    out = {"cold": timed(at.run)}
    assert not at.exception, at.exception
    out["warm"] = statistics.median(timed(at.run) for _ in range(repeats))
    return out


def report(name: str, o: dict[str, float], n: dict[str, float]) -> None:
    print(f"{name}: 指標 cold {o['cold']:.3f} s, warm {o['warm']:.3f} s, view change {o['view change']:.3f} s "
          f"(max {o['view change (max)']:.3f}), after import {o['after import']:.3f} s | naive cold {n['cold']:.3f} s, "
          f"warm {n['warm']:.3f} s | warm: naive ÷ ours {n['warm'] / o['warm']:.1f}×, after import ÷ naive warm "
          f"{o['after import'] / n['warm']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sample = Store(Path(tmp) / "sample")
        ensure_sample(sample, load_policy(ROOT / "data"))
        report("サンプル(180行)", ours(sample, args.repeats), naive(ROOT / "data" / "sample_actuals.csv", args.repeats))
        big = Store(Path(tmp) / "big")
        t0 = time.perf_counter()
        fill(big, args.rows)
        csv_path = fill_csv(Path(tmp) / "big.csv", args.rows)
        print(f"  ({args.rows:,}行のストアと CSV を作成: {time.perf_counter() - t0:.1f} s)")
        report(f"{args.rows:,}行", ours(big, args.repeats), naive(csv_path, args.repeats))


if __name__ == "__main__":
    main()
