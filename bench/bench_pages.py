"""Time the 指標 page's script run (AppTest), cold and warm, with the sample and with 1,000,000 rows.

Usage: python bench/bench_pages.py [--rows 1000000]
Cold = caches cleared before the run; warm = the same view again with caches filled.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi import fiscal  # noqa: E402
from kpi.evaluate import Actual  # noqa: E402
from kpi.policy import load_policy  # noqa: E402
from kpi.service import ensure_sample  # noqa: E402
from kpi.store import Store  # noqa: E402


def fill(store: Store, rows: int, batch_size: int = 100_000) -> None:
    """Sample year plus history: every indicator, months 2000-04 … 2026-03, corrected many times over."""
    policy = load_policy(ROOT / "data")
    ensure_sample(store, policy)
    ids = list(policy.indicators)
    months = [m for fy in range(2000, 2025) for m in fiscal.fy_months(fy)]
    keys = [(i, m) for i in ids for m in months]
    rnd = random.Random(7)
    written = 180
    while written < rows:
        n = min(batch_size, rows - written)
        batch = [Actual(*keys[(written + k) % len(keys)], float(rnd.randint(0, 100))) for k in range(n)]
        store.write_batch(b"bench", "bench.csv", batch, "bench")
        written += n
    # The sample batch is the oldest: the history batches are newer but touch only earlier years.


def time_page(store_root: Path, repeats: int = 5) -> tuple[float, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["KPI_STORE"] = str(store_root)

    def fresh() -> AppTest:
        at = AppTest.from_file(str(ROOT / "pages" / "indicators.py"), default_timeout=300)
        at.session_state["_filters"] = None
        return at

    st.cache_data.clear()
    st.cache_resource.clear()
    at = fresh()
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    assert not at.exception, at.exception
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    return cold, statistics.median(warm)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sample = Store(Path(tmp) / "sample")
        ensure_sample(sample, load_policy(ROOT / "data"))
        cold, warm = time_page(sample.root)
        print(f"指標ページ サンプル(180行):      cold {cold:.3f} s  warm {warm:.3f} s")
        big = Store(Path(tmp) / "big")
        t0 = time.perf_counter()
        fill(big, args.rows)
        print(f"  ({args.rows:,}行のストアを作成: {time.perf_counter() - t0:.1f} s)")
        cold, warm = time_page(big.root)
        print(f"指標ページ {args.rows:,}行:       cold {cold:.3f} s  warm {warm:.3f} s")


if __name__ == "__main__":
    main()
