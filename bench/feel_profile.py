"""Where a page's first load spends the browser's time: Chromium's CPU profile of 指標, 概要 and 市全体 beside the
one-line Streamlit page, by kind of work.

    python bench/feel_profile.py [--repeats 5] [--departments 10]

bench/bench_feel.py says how long a person waits; this says what the browser's main thread does meanwhile, for the
same pages (「枠だけ」 is the dashboard's frame around a one-line page). Each load
is a new session in a tab of a browser that has opened the pages before (static files cached), profiled with the
DevTools protocol's sampling profiler (every 0.1 ms) from navigation until the page is drawn, as bench_feel waits for
it. Each sample's time goes to the script file it was taken in (the framework's files are named by their chunk, with
a hash: react-dom.Dzbslgj4.js), grouped by KINDS; "(program)" is the browser's own work outside scripts (style,
layout, paint), "(idle)" waiting (for the network or the server) and is left out of the busy time.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# (kind of work, the file names' first part that it covers): the first match wins, anything else is the framework's
KINDS: list[tuple[str, tuple[str, ...]]] = [
    ("React（部品の描画と DOM への反映）", ("react-dom",)),
    ("スタイル（emotion）", ("emotion-", "styled-components")),
    ("Markdown の解析", ("StreamlitMarkdown",)),
    ("HTML の無害化（DOMPurify）", ("purify",)),
    ("ブラウザ（スタイル・レイアウト・描画）", ("(program)",)),
    ("ガベージコレクション", ("(garbage collector)",)),
]
OTHER = "Streamlit のそのほかのコード"
IDLE = "(idle)"


def file_of(url: str, function: str) -> str:
    """The script file a profile node ran in, without its folder and hash ("react-dom"); the profiler's own
    pseudo-nodes ("(program)", "(idle)", "(garbage collector)") by their name."""
    name = url.rsplit("/", 1)[-1]
    return name.split(".", 1)[0] if name else function


def kind_of(file: str) -> str:
    return next((kind for kind, prefixes in KINDS if file.startswith(prefixes)), OTHER)


def by_file(profile: dict) -> dict[str, float]:
    """Milliseconds of one CPU profile (DevTools' Profiler.stop) per script file; idle time left out."""
    frames = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    out: Counter[str] = Counter()
    for node_id, delta_us in zip(profile["samples"], profile["timeDeltas"]):
        frame = frames[node_id]
        file = file_of(frame["url"], frame["functionName"])
        if file != IDLE:
            out[file] += delta_us / 1000
    return dict(out)


def by_kind(files: dict[str, float]) -> dict[str, float]:
    """A load's milliseconds per script file, added up per kind of work."""
    out: Counter[str] = Counter()
    for file, ms in files.items():
        out[kind_of(file)] += ms
    return dict(out)


def profiled_load(context, url: str, drawn: str | tuple[str, ...]) -> dict[str, float]:
    """One load of ``url`` as bench_feel times it (until drawn), profiled: milliseconds per script file."""
    from bench_feel import open_until_drawn

    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 100})
    cdp.send("Profiler.start")
    open_until_drawn(page, url, drawn)
    profile = cdp.send("Profiler.stop")["profile"]
    page.close()
    return by_file(profile)


def _median(loads: list[dict[str, float]], name: str | None = None) -> float:
    """The median over loads of one name's milliseconds (all of a load's, without a name)."""
    return statistics.median(sum(load.values()) if name is None else load.get(name, 0.0) for load in loads)


def report(runs: dict[str, list[dict[str, float]]], base: str, files: int = 5) -> list[str]:
    """A line per page (``runs``: each load's milliseconds per script file): the median busy time, each kind's median
    and its difference to ``base``'s, then the ``files`` files of the framework's other code that add the most."""
    kinds = {name: [by_kind(load) for load in loads] for name, loads in runs.items()}
    lines = []
    for name, loads in kinds.items():
        parts = []
        for kind in [kind for kind, _ in KINDS] + [OTHER]:
            ms, floor = _median(loads, kind), _median(kinds[base], kind)
            parts.append(f"{kind} {ms:.0f}" + ("" if name == base else f"（{ms - floor:+.0f}）"))
        line = f"  {name}: 忙しかった時間 {_median(loads):.0f} ms" + ("" if name == base else f"（{base}より {_median(loads) - _median(kinds[base]):+.0f}）")
        lines.append(line + "。" + "、".join(parts))
        if name != base and files:
            others = {file for load in runs[name] for file in load if kind_of(file) == OTHER}
            added = sorted(((_median(runs[name], f) - _median(runs[base], f), f) for f in others), reverse=True)[:files]
            lines.append("    そのほかのうち増えたもの: " + "、".join(f"{f} {ms:+.0f}" for ms, f in added))
    return lines


def main() -> None:
    from bench_feel import FRAME, PAGES, frame_of_the_dashboard
    from load import city_data
    from playwright.sync_api import sync_playwright

    from tools.served import CHROMIUM, CHROMIUM_FLAGS, Server, one_line_page

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--departments", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, stores = city_data(Path(tmp), args.departments)
        app = Server({"KPI_DATA_DIR": str(root), "KPI_STORE": str(stores)})
        served = {"1行だけ": Server(script=one_line_page(Path(tmp))), FRAME[0]: Server(script=frame_of_the_dashboard(Path(tmp)))}
        runs: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in PAGES}
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
                daily = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
                urls = {name: served.get(name, app).url + path for name, path, _ in PAGES}
                for name, _, drawn in PAGES:  # the browser has the files, the server has run each page
                    profiled_load(daily, urls[name], drawn)
                for _ in range(args.repeats):
                    for name, _, drawn in PAGES:
                        runs[name].append(profiled_load(daily, urls[name], drawn))
                browser.close()
        finally:
            for server in (app, *served.values()):
                server.stop()
    print(f"ブラウザのメインスレッドの仕事（ミリ秒、1回の表示あたり、中央値 {args.repeats}回。キャッシュあり）")
    print("\n".join(report(runs, "1行だけ")))


if __name__ == "__main__":
    main()
