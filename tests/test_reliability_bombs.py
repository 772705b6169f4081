"""Zip bombs of each kind, read under a memory cap in a child process: each is refused within 2 s using under 300 MB
(finding 3: a 1–3.6 MB .xlsx expanding to ~1 GB used more than 4 GB or ran for more than 10 minutes)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from store_helpers import BOMBS, bomb

from conftest import DATA, ROOT

pytestmark = pytest.mark.xdist_group("bombs")

CAP = 2 * 1024 ** 3  # address space of the child: a bomb that got through would die here, not take the machine
SECONDS, PEAK_MB = 2.0, 300
SIZES = {"incompressible_cell": 8 << 20, "deep_nesting": 4 << 20, "numbered_empty_rows": 0}  # others inflate to 256 MB

CHILD = r"""
import datetime as dt, json, re, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from kpi.policy import load_policy
from kpi.reader import read_actuals
policy = load_policy(sys.argv[2])

def hwm_mb():
    return int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1)) / 1024

for path in sys.argv[3:]:
    data = open(path, "rb").read()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # the peak from here on: this bomb's own
    base = hwm_mb()
    t = time.perf_counter()
    res = read_actuals(data, "bomb.xlsx", policy, today=dt.date(2025, 10, 15))
    seconds = time.perf_counter() - t
    print(json.dumps({"path": path, "bytes": len(data), "seconds": seconds, "peak_mb": hwm_mb(), "base_mb": base, "ok": res.ok,
                      "errors": [str(e) for e in res.errors]}, ensure_ascii=False), flush=True)
"""


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("bombs")
    paths = []
    for kind in BOMBS:
        path = folder / f"{kind}.xlsx"
        path.write_bytes(bomb(kind, SIZES.get(kind, 256 << 20)))
        paths.append(str(path))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(CAP), str(DATA), *paths], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=os.environ | {"PYTHONPATH": str(ROOT)})
    results = {os.path.basename(r["path"])[:-5]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert proc.returncode == 0 and len(results) == len(BOMBS), proc.stderr[-2000:]
    print("\nzip bombs: " + "; ".join(f"{k} {r['bytes'] / 1e6:.1f} MB → {r['seconds']:.2f} s, peak {r['peak_mb']:.0f} MB" for k, r in results.items()))
    return results


@pytest.mark.parametrize("kind", BOMBS)
def test_finding3_zip_bombs_are_refused_quickly_in_little_memory(measured, kind):
    r = measured[kind]
    assert not r["ok"] and len(r["errors"]) == 1
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", r["errors"][0]) and "Error" not in r["errors"][0]
    assert r["seconds"] < SECONDS and r["peak_mb"] < PEAK_MB, r
