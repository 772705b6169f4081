"""The 指標 page's script time with the folder store and with PostgreSQL, same rows; and ``store copy`` between them.

Usage: python bench/bench_store_kinds.py [--rows 1000000] [--repeats 5]
Starts a temporary PostgreSQL server (tests/pg.py), fills a folder store with ``--rows`` rows
(bench_pages.fill), copies it into PostgreSQL with kpi.store.copy (timed, verified by counts and
checksums), then times 指標 on each (bench_pages.ours: cold, warm, view change, after import).
For PostgreSQL also "first start": the server's local Parquet cache empty, every batch fetched.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from bench_pages import fill, ours  # noqa: E402
from pg import PgServer, missing  # noqa: E402

from kpi.store import Store  # noqa: E402
from kpi.store.copy import copy  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    if missing():
        sys.exit(missing())
    server = PgServer()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["KPI_STORE_CACHE"] = str(Path(tmp) / "cache")
            folder = Store(Path(tmp) / "folder")
            t0 = time.perf_counter()
            fill(folder, args.rows)
            print(f"folder store filled with {args.rows:,} rows: {time.perf_counter() - t0:.1f} s")
            pg = Store(server.fresh())
            t0 = time.perf_counter()
            before, after = copy(folder, pg)
            print(f"store copy folder → PostgreSQL: {time.perf_counter() - t0:.1f} s, verified {before == after}: "
                  + ", ".join(f"{k} {v:,}" for k, v in after.counts.items()) + f", checksum {after.checksum[:16]}…")
            shutil.rmtree(os.environ["KPI_STORE_CACHE"], ignore_errors=True)  # as on a freshly started app server
            t0 = time.perf_counter()
            pg.current_frame()  # what the first page run of a new server does: fetch every batch once
            first = time.perf_counter() - t0
            # alternate the kinds (the machine is shared: its speed drifts), the median of each figure per kind
            runs = {"folder": [], "postgresql": []}
            for _ in range(2):
                for kind, store in (("folder", folder), ("postgresql", pg)):
                    runs[kind].append(ours(store, args.repeats))
            results = {kind: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for kind, rs in runs.items()}
            for kind, o in results.items():
                print(f"{kind:10s} 指標 cold {o['cold']:.3f} s, warm {o['warm']:.3f} s, view change {o['view change']:.3f} s "
                      f"(max {o['view change (max)']:.3f}), after import {o['after import']:.3f} s")
            f, p = results["folder"], results["postgresql"]
            print("PostgreSQL ÷ folder: " + ", ".join(f"{k} {p[k] / f[k]:.2f}×" for k in ("cold", "warm", "view change", "after import")))
            print(f"PostgreSQL first start of a server (every batch fetched into the local cache): {first:.2f} s")
            back = Store(Path(tmp) / "back")
            t0 = time.perf_counter()
            b1, b2 = copy(pg, back)
            print(f"store copy PostgreSQL → folder: {time.perf_counter() - t0:.1f} s, verified {b1 == b2}: "
                  + ", ".join(f"{k} {v:,}" for k, v in b2.counts.items()))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
