"""Benchmark: validate and commit a 1,000,000-row canonical CSV, against DuckDB's own read_csv of the same file;
read a 1,000,000-row .xlsx; refuse 1 GB zip bombs.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--unique] [--json] [--check]
    .venv/bin/python bench/bench_import.py --xlsx [--rows 1000000]     a real workbook (openpyxl, write-only), read in a fresh process
    .venv/bin/python bench/bench_import.py --bombs                     each zip bomb of tests/store_helpers.py at 1 GB
    .venv/bin/python bench/bench_import.py --worst                     the worst CSVs through the command line (and the page's path)

The file holds valid rows for the policy's indicator IDs over past months. With the
real policy (15 IDs) there are only about 364,000 distinct (indicator, month) pairs
between year 0001 and last month, so the default file repeats them: identical
duplicates, which the reader accepts with a warning and keeps once. ``--unique``
adds generated indicators to a copy of the policy so that every row is distinct
and the commit writes all of them.

Each measurement runs in a fresh Python process (imports excluded from the time),
so its peak memory (ru_maxrss) is its own. Two baselines read the same file with DuckDB:
``duckdb.read_csv(path).fetchall()`` (Python tuples) and ``.to_arrow_table()`` (columnar, the faster one).
The ratio is (read_actuals + Store.write_batch) / the Arrow baseline; the target is at most 2 (issue 19).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 2.0


def generate(path: Path, n_rows: int, policy_dir: Path) -> dict:
    """Write the canonical CSV; return what it holds."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from kpi import fiscal
    from kpi.policy import load_policy

    policy = load_policy(policy_dir)
    ids = list(policy.indicators)
    ratio = np.array([policy.indicators[i].aggregation == "ratio" for i in ids])
    pct = np.array([policy.indicators[i].unit == "%" for i in ids])
    last = fiscal.parse_ym(fiscal.current_month())
    last_ord = last[0] * 12 + last[1] - 2  # last month, as year*12 + month-1
    pairs = min(n_rows, len(ids) * (last_ord - 12 + 1))
    k = np.arange(n_rows) % pairs  # repeats are identical duplicates
    id_code = k % len(ids)
    month_ord = last_ord - k // len(ids)
    rng = np.random.default_rng(7)
    base = rng.integers(0, 5000, size=pairs)[k]
    den = np.where(ratio[id_code], 1000 + base, np.nan)
    num = np.where(ratio[id_code], base // 7, np.nan)
    value = np.where(ratio[id_code], np.round(100 * num / den, 1), np.where(pct[id_code], base % 101, base))
    years, mons = month_ord // 12, month_ord % 12 + 1
    months = np.char.add(np.char.add(np.char.zfill(years.astype(str), 4), "-"), np.char.zfill(mons.astype(str), 2))
    table = pa.table({
        "indicator_id": pa.array(np.array(ids, dtype=object)[id_code], pa.string()),
        "month": pa.array(months.astype(object), pa.string()),
        "value": pa.array(value),
        "numerator": pa.array(num, from_pandas=True),
        "denominator": pa.array(den, from_pandas=True),
        "note": pa.array(np.full(n_rows, None, dtype=object), pa.string()),
    })
    pacsv.write_csv(table, str(path), pacsv.WriteOptions(quoting_style="none"))  # as Excel writes it: no quotes
    return {"rows": n_rows, "distinct": int(pairs), "bytes": path.stat().st_size, "indicators": len(ids)}


def unique_policy(folder: Path, n_rows: int) -> Path:
    """A copy of data/ with enough extra 'latest' indicators that every row can be distinct."""
    shutil.copytree(ROOT / "data", folder)
    months = 12 * 1900  # years 0125..2025, plenty
    extra = -(-n_rows // months)
    with (folder / "indicators.csv").open("a", encoding="utf-8") as fh:
        for k in range(extra):
            fh.write(f"B{k:04d},1,1,ベンチ指標{k},ベンチ指標{k},件,latest,higher,,\n")
    with (folder / "targets.csv").open("a", encoding="utf-8") as fh:
        for k in range(extra):
            fh.write(f"B{k:04d},2025,10,,,\n")
    return folder


# --- the measured children -------------------------------------------------------------

def child_generate(path: str, n_rows: str, policy_dir: str) -> dict:
    return generate(Path(path), int(n_rows), Path(policy_dir))


def child_duckdb(path: str) -> dict:
    import duckdb

    t, c = time.perf_counter(), time.process_time()
    rows = duckdb.read_csv(path).fetchall()
    return {"seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c, "rows": len(rows)}


def child_duckdb_arrow(path: str) -> dict:
    import duckdb

    t, c = time.perf_counter(), time.process_time()
    table = duckdb.read_csv(path).to_arrow_table()
    return {"seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c, "rows": table.num_rows}


def child_xlsx_generate(path: str, n_rows: str) -> dict:
    """A workbook as a real library writes it (openpyxl write-only: shared strings, numbers, a date-formatted 年月)."""
    import datetime as dt

    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    from kpi.policy import load_policy

    ids = list(load_policy(ROOT / "data").indicators)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("実績")
    ws.append(["指標ID", "年月", "実績値", "分子", "分母", "備考"])
    n = int(n_rows)
    months = [dt.date(2025 - k // 12, 12 - k % 12, 1) for k in range(1200)]
    pairs = len(ids) * len(months)  # 18,000 distinct (indicator, month); the rest repeat them identically (accepted, kept once)
    for i in range(n):
        k = i % pairs
        month = WriteOnlyCell(ws, value=months[k // len(ids)])
        month.number_format = "yyyy/m"
        ws.append([ids[k % len(ids)], month, (k * 7) % 100, None, None, "定期" if k % 10 == 0 else None])
    wb.save(path)
    return {"rows": n, "bytes": Path(path).stat().st_size}


def child_xlsx_read(path: str) -> dict:
    import datetime as dt

    from kpi.policy import load_policy
    from kpi.reader import read_actuals

    policy = load_policy(ROOT / "data")
    data = Path(path).read_bytes()
    t = time.perf_counter()
    res = read_actuals(data, "big.xlsx", policy, today=dt.date(2026, 1, 31))
    return {"seconds": time.perf_counter() - t, "rows_accepted": res.n_rows, "errors": len(res.errors), "warnings": len(res.warnings),
            "first_error": str(res.errors[0]) if res.errors else ""}


def child_bomb(path: str) -> dict:
    import datetime as dt

    from kpi.policy import load_policy
    from kpi.reader import read_actuals

    policy = load_policy(ROOT / "data")
    data = Path(path).read_bytes()
    t = time.perf_counter()
    res = read_actuals(data, "bomb.xlsx", policy, today=dt.date(2025, 10, 15))
    return {"seconds": time.perf_counter() - t, "bytes": len(data), "refused": not res.ok, "message": str(res.errors[0]) if res.errors else ""}


def child_import(path: str, policy_dir: str, store_dir: str) -> dict:
    """The page's and the CLI's own path: importer.preview (read, validate, diff) then importer.commit."""
    from kpi import db
    from kpi.importer import commit, preview
    from kpi.policy import load_policy
    from kpi.store import Store

    policy = load_policy(Path(policy_dir))
    store = Store(Path(store_dir))
    t0, c0 = time.perf_counter(), time.process_time()
    raw = Path(path).read_bytes()
    pv = preview(store, policy, raw, Path(path).name)
    t1 = time.perf_counter()
    assert pv.ok, [str(e) for e in pv.errors[:5]]
    commit(store, pv, "bench")
    t2 = time.perf_counter()
    return {"read_seconds": t1 - t0, "commit_seconds": t2 - t1, "seconds": t2 - t0, "cpu_seconds": time.process_time() - c0,
            "rows_accepted": pv.read.n_rows,
            "rows_stored": db.count_rows(store.active_files()), "warnings": len(pv.warnings), "new": pv.count("新規")}


def run_child(args: list[str]) -> dict:
    # ru_maxrss survives fork+exec on Linux (a child starts with its parent's peak): the peak is read from VmHWM,
    # reset at the child's start (clear_refs 5), so each figure is the child's own.
    code = (
        f"import json, re, sys; sys.path.insert(0, {str(ROOT)!r}); import bench.bench_import as b; "
        "open('/proc/self/clear_refs', 'w').write('5'); "
        "hwm = lambda: int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) / 1024; "
        "before = hwm(); "
        "out = getattr(b, sys.argv[1])(*sys.argv[2:]); "
        "out['peak_rss_mb'] = hwm(); out['start_rss_mb'] = before; "
        "print(json.dumps(out))"
    )
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"{args[0]} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def xlsx_bench(n_rows: int, as_json: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as tmp:
        path = Path(tmp) / "actuals.xlsx"
        made = run_child(["child_xlsx_generate", str(path), str(n_rows)])
        read = run_child(["child_xlsx_read", str(path)])
    report = {"file": made, "read": read, "target_seconds": 20}
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(f".xlsx: {made['rows']:,} rows, {made['bytes'] / 1e6:.1f} MB (openpyxl write-only)")
        print(f"read_actuals: {read['seconds']:.1f} s (target < 20 s), peak RSS {read['peak_rss_mb']:.0f} MB "
              f"(interpreter and imports {read['start_rss_mb']:.0f} MB), {read['rows_accepted']:,} rows accepted, {read['warnings']} warnings listed")
    return 0


def bomb_bench(as_json: bool) -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    from store_helpers import BOMBS, bomb

    sizes = {"incompressible_cell": 30 << 20, "deep_nesting": 12 << 20}
    out = {}
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as tmp:
        for kind in BOMBS:
            path = Path(tmp) / f"{kind}.xlsx"
            path.write_bytes(bomb(kind, sizes.get(kind, 1 << 30)))
            out[kind] = run_child(["child_bomb", str(path)])
    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        for kind, r in out.items():
            print(f"{kind:22s} {r['bytes'] / 1e6:6.2f} MB file: refused={r['refused']} in {r['seconds']:.2f} s, peak RSS {r['peak_rss_mb']:.0f} MB "
                  f"(imports {r['start_rss_mb']:.0f} MB) — {r['message'][:60]}")
    return 0


# --- the worst CSVs ------------------------------------------------------------------

WORST_BYTES = 50_000_000  # just under the 50 MiB upload limit
WORST_SECONDS = 60.0  # a child still running after this is killed (reported as not bounded)
WORST_MEMORY = 3 << 30  # address-space cap of a child, so that an unbounded read cannot take the machine


def _fill(path: Path, head: bytes, line, size: int) -> None:
    """``head`` then ``line(i)`` for i = 0, 1, … until the file holds ``size`` bytes."""
    with path.open("wb") as fh:
        fh.write(head)
        written, i, block = len(head), 0, []
        while written < size:
            b = line(i)
            block.append(b)
            written += len(b)
            i += 1
            if len(block) >= 10_000:
                fh.write(b"".join(block))
                block = []
        fh.write(b"".join(block))
        fh.truncate(size)


def worst_files(folder: Path) -> dict[str, Path]:
    """The issue's worst inputs: distinct grouped numbers (50 MB), 200,000 columns (50 MB), a 200 MB file."""
    grouped = folder / "grouped.csv"  # every value distinct and written with thousands separators: no fast path
    _fill(grouped, b"indicator_id,month,value\n", lambda i: f'K4-3,2025-04,"{i * 7919 + 1_000_000:,}"\n'.encode(), WORST_BYTES)
    columns = folder / "columns.csv"  # the wide layout with 200,000 month columns, every cell filled
    head = ("指標ID," + ",".join(f"{2000 + k // 12 % 100}-{k % 12 + 1:02d}" for k in range(200_000)) + "\n").encode()
    row = ("K1-1," + ",".join("1" for _ in range(200_000)) + "\n").encode()
    _fill(columns, head, lambda i: row, WORST_BYTES)
    most = folder / "grouped_1m.csv"  # the worst that is read to the end: as many rows as allowed, every number distinct and grouped
    most.write_bytes(b"indicator_id,month,value\n" + b"".join(f'K4-3,2025-04,"{i * 7919 + 1_000_000:,}"\n'.encode()
                                                            for i in range(1_048_576)))
    wide = folder / "wide_16383.csv"  # the widest accepted shape: 16,383 month columns, rows until the figures reach the limit
    head = ("指標ID," + ",".join(f"{1900 + k // 12}-{k % 12 + 1:02d}" for k in range(16_383)) + "\n").encode()
    row = ("K1-1," + ",".join(str(k % 97) for k in range(16_383)) + "\n").encode()
    _fill(wide, head, lambda i: row, len(head) + 64 * len(row))
    big = folder / "big.csv"  # four times the limit
    _fill(big, b"indicator_id,month,value\n", lambda i: f"K4-3,2025-04,{i % 1000}\n".encode(), 200_000_000)
    return {"grouped_50MB": grouped, "columns_200k_50MB": columns, "grouped_1048576_rows": most, "wide_16383_columns": wide,
            "file_200MB": big}



def child_preview(path: str, store_dir: str) -> dict:
    """The page's path: the uploaded bytes are in memory, importer.preview reads and checks them."""
    from kpi.importer import preview
    from kpi.policy import load_policy
    from kpi.store import Store

    policy, store = load_policy(ROOT / "data"), Store(Path(store_dir))
    raw = Path(path).read_bytes()
    t = time.perf_counter()
    pv = preview(store, policy, raw, Path(path).name)
    return {"seconds": time.perf_counter() - t, "refused": not pv.ok, "message": str(pv.errors[0]) if pv.errors else ""}


def run_watched(cmd: list[str], env: dict, timeout: float = WORST_SECONDS) -> dict:
    """Run a process with a memory cap, polling its peak RSS (VmHWM) so that a killed run still has a figure."""
    import os
    import re
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (WORST_MEMORY, WORST_MEMORY))

    t = time.perf_counter()
    out_file, err_file = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # not pipes: a thousand error lines would fill one
    proc = subprocess.Popen(cmd, cwd=ROOT, env=os.environ | env, stdout=out_file, stderr=err_file, preexec_fn=cap)
    peak, killed = 0.0, False
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            m = re.search(r"VmHWM:\s+(\d+)", status)
            peak = max(peak, int(m.group(1)) / 1024) if m else peak
        except OSError:
            pass
        if time.perf_counter() - t > timeout:
            proc.kill()
            killed = True
        time.sleep(0.02)
    proc.wait()
    seconds = time.perf_counter() - t
    out_file.seek(0)
    err_file.seek(0)
    out, err = out_file.read(), err_file.read()
    last = err.decode("utf-8", "replace").strip().splitlines()
    return {"seconds": seconds, "peak_rss_mb": peak, "exit": proc.returncode, "killed": killed,
            "message": (last[0] if last else out.decode("utf-8", "replace")[:200])[:160]}


def worst_bench(as_json: bool) -> int:
    import os

    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as tmp:
        folder = Path(tmp)
        files = worst_files(folder)
        fifo = folder / "fifo.csv"
        os.mkfifo(fifo)
        cli = [sys.executable, "-m", "kpi", "import", "--dry-run"]
        env = {"KPI_STORE": str(folder / "store"), "KPI_DATA_DIR": str(ROOT / "data")}
        for name, path in [*files.items(), ("dev_zero", Path("/dev/zero")), ("fifo", fifo)]:
            out[f"cli:{name}"] = run_watched([*cli, str(path)], env)
        for name in ("grouped_50MB", "columns_200k_50MB", "grouped_1048576_rows", "wide_16383_columns"):
            out[f"page:{name}"] = run_child(["child_preview", str(files[name]), str(folder / "store")])
    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        for name, r in out.items():
            what = "killed (not bounded)" if r.get("killed") else f"exit {r['exit']}" if "exit" in r else f"refused={r['refused']}"
            print(f"{name:24s} {r['seconds']:6.2f} s, peak RSS {r['peak_rss_mb']:5.0f} MB, {what} — {r['message'][:70]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--unique", action="store_true", help="every row distinct (adds generated indicators to a copy of the policy)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the best is reported")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--check", action="store_true", help=f"exit 1 when the ratio is above {TARGET_RATIO}")
    ap.add_argument("--xlsx", action="store_true", help="read a --rows .xlsx instead (target < 20 s)")
    ap.add_argument("--bombs", action="store_true", help="time and memory of each zip bomb at 1 GB")
    ap.add_argument("--worst", action="store_true", help="time and memory of the worst CSVs, /dev/zero and a FIFO")
    args = ap.parse_args(argv)
    if args.worst:
        return worst_bench(args.json)
    if args.xlsx:
        return xlsx_bench(args.rows, args.json)
    if args.bombs:
        return bomb_bench(args.json)

    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as tmp:
        tmpdir = Path(tmp)
        policy_dir = unique_policy(tmpdir / "data", args.rows) if args.unique else ROOT / "data"
        path = tmpdir / "actuals_1m.csv"
        info = run_child(["child_generate", str(path), str(args.rows), str(policy_dir)])  # keeps this process small
        ducks, arrows, ours = [], [], []
        for k in range(args.repeat):  # in turn, so that each sees the same moments of a shared machine
            ducks.append(run_child(["child_duckdb", str(path)]))
            arrows.append(run_child(["child_duckdb_arrow", str(path)]))
            ours.append(run_child(["child_import", str(path), str(policy_dir), str(tmpdir / f"store{k}")]))
        duck, arrow, best = (min(runs, key=lambda r: r["seconds"]) for runs in (ducks, arrows, ours))
    ratio = best["seconds"] / arrow["seconds"]
    report = {"file": info, "duckdb_read_csv_fetchall": duck, "duckdb_read_csv_arrow": arrow, "preview_and_commit": best,
              "ratio": round(ratio, 2), "ratio_to_fetchall": round(best["seconds"] / duck["seconds"], 2), "target": TARGET_RATIO,
              "memory_ratio": round(best["peak_rss_mb"] / arrow["peak_rss_mb"], 2),
              "cpu_ratio": round(min(r["cpu_seconds"] for r in ours) / min(r["cpu_seconds"] for r in arrows), 2)}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(f"file: {info['rows']:,} rows ({info['distinct']:,} distinct indicator×month), {info['bytes'] / 1e6:.1f} MB, "
              f"{info['indicators']} indicators")
        print(f"duckdb read_csv().fetchall(): {duck['seconds']:.2f} s, peak RSS {duck['peak_rss_mb']:.0f} MB")
        print(f"duckdb read_csv().to_arrow_table(): {arrow['seconds']:.2f} s, peak RSS {arrow['peak_rss_mb']:.0f} MB")
        print(f"preview (read, validate, diff): {best['read_seconds']:.2f} s ({best['rows_accepted']:,} rows accepted, "
              f"{best['warnings']} warnings listed)")
        print(f"commit (one batch):             {best['commit_seconds']:.2f} s ({best['rows_stored']:,} rows stored)")
        print(f"read + commit:                {best['seconds']:.2f} s, peak RSS {best['peak_rss_mb']:.0f} MB "
              f"(interpreter and imports {best['start_rss_mb']:.0f} MB)")
        print(f"ratio to DuckDB → Arrow: time {ratio:.2f}x (target <= {TARGET_RATIO:g}x; {report['ratio_to_fetchall']:.2f}x of fetchall), "
              f"peak memory {report['memory_ratio']:.2f}x; CPU time {report['cpu_ratio']:.2f}x "
              "(on a busy machine the CPU ratio is the steadier figure)")
    return 1 if args.check and ratio > TARGET_RATIO else 0


if __name__ == "__main__":
    raise SystemExit(main())
