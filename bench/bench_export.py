"""Benchmark: the whole PowerPoint deck and one chart PNG, cold and warm, against fig.write_image.

    .venv/bin/python bench/bench_export.py [--repeat 5] [--json] [--check]

Each cold figure runs in a fresh Python process (imports and the sample store set up before
the clock starts), so "cold" includes starting Chromium; "warm" is the same process again,
with the image cache cleared so every chart is rendered anew by the browser kept alive.
The baseline is plotly's own ``fig.write_image`` once per chart of the deck, in a process
without kaleido's sync server: a new browser per image, as a naive export would do.
Targets: one chart ≤ 0.6 s warm; the whole deck (all 経営課題) ≤ 10 s cold.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHART_WARM_TARGET = 0.6
DECK_COLD_TARGET = 10.0


def _materials():
    from kpi import export
    from kpi.policy import load_policy
    from kpi.service import ensure_sample
    from kpi.store import Store

    policy = load_policy()
    store = Store(Path(tempfile.mkdtemp(prefix="bench-export-")))
    ensure_sample(store, policy)
    return export.gather(store, policy, export.Scope(policy.fiscal_year, (), f"{policy.fiscal_year}-09"))


def measure(kind: str, repeat: int) -> dict:
    """One measurement in this (fresh) process."""
    from kpi import export
    from kpi.export import images
    from kpi.export.content import charts_for

    m = _materials()
    deck_charts = [c for c in charts_for(m, (*m.scope.sections, "compact")) if c.meta["kind"] in ("budget", "progress_compact")]
    chart = next(c for c in deck_charts if c.meta["kind"] == "budget")
    out: dict = {"charts_in_deck": len(deck_charts)}
    if kind == "chart":
        t = time.perf_counter()
        png = images.render(chart.fig, "png", *chart.size(), cache=False)
        out["chart_cold"] = time.perf_counter() - t
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            images.render(chart.fig, "png", *chart.size(), cache=False)
            times.append(time.perf_counter() - t)
        out["chart_warm"] = statistics.median(times)
        out["chart_bytes"] = len(png)
    elif kind == "deck":
        t = time.perf_counter()
        data = export.build(m, "pptx")
        out["deck_cold"] = time.perf_counter() - t
        times = []
        for _ in range(max(1, repeat // 2)):
            images.CACHE.clear()
            t = time.perf_counter()
            export.build(m, "pptx")
            times.append(time.perf_counter() - t)
        out["deck_warm"] = statistics.median(times)
        t = time.perf_counter()
        export.build(m, "pptx")  # every chart from the image cache
        out["deck_cached"] = time.perf_counter() - t
        out["deck_bytes"] = len(data)
    elif kind == "baseline":
        folder = Path(tempfile.mkdtemp(prefix="bench-write-image-"))
        times = []
        for i, c in enumerate(deck_charts):
            w, h = c.size()
            t = time.perf_counter()
            c.fig.write_image(folder / f"{i}.png", width=w, height=h, scale=2)
            times.append(time.perf_counter() - t)
        out["write_image_per_chart"] = statistics.median(times)
        out["write_image_all_deck_charts"] = sum(times)
    return out


def run_child(kind: str, repeat: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--repeat", str(repeat)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeat)))
        return 0

    from kpi.export import images

    if not images.available():
        print("Chrome/Chromium がないため計測できません（python -m kpi.browser_check を参照）", file=sys.stderr)
        return 1
    result = run_child("chart", args.repeat) | run_child("deck", args.repeat) | run_child("baseline", args.repeat)
    result["targets"] = {"chart_warm_max": CHART_WARM_TARGET, "deck_cold_max": DECK_COLD_TARGET}
    ok = result["chart_warm"] <= CHART_WARM_TARGET and result["deck_cold"] <= DECK_COLD_TARGET
    result["ok"] = ok
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        n = result["charts_in_deck"]
        print(f"one chart PNG (2×)    cold {result['chart_cold']:6.2f} s   warm {result['chart_warm']:6.2f} s   "
              f"(target warm ≤ {CHART_WARM_TARGET} s)")
        print(f"whole deck ({n} charts) cold {result['deck_cold']:6.2f} s   warm {result['deck_warm']:6.2f} s   "
              f"cached {result['deck_cached']:5.2f} s   (target cold ≤ {DECK_COLD_TARGET} s)")
        print(f"fig.write_image       per chart {result['write_image_per_chart']:6.2f} s   "
              f"all {n} deck charts {result['write_image_all_deck_charts']:6.2f} s   (a new browser each time)")
        print("targets met" if ok else "TARGET MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
