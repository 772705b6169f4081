"""bench/feel_profile.py: a Chromium CPU profile's samples, by kind of work (no browser here: profiles built in code)."""
from __future__ import annotations

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from feel_profile import OTHER, by_file, by_kind, file_of, kind_of, report  # noqa: E402


def profile(*samples: tuple[str, str, int]) -> dict:
    """A profile as DevTools' Profiler.stop returns it: one node per (script URL, function), ``samples`` taken in them
    with the microseconds since the previous sample."""
    nodes, ids = [], {}
    for url, function, _ in samples:
        if (url, function) not in ids:
            ids[url, function] = len(nodes) + 1
            nodes.append({"id": ids[url, function], "callFrame": {"url": url, "functionName": function}})
    return {"nodes": nodes, "samples": [ids[url, f] for url, f, _ in samples], "timeDeltas": [us for _, _, us in samples]}


@pytest.mark.parametrize("url, function, file", [
    ("http://localhost:8501/static/js/react-dom.Dzbslgj4.js", "se", "react-dom"),
    ("http://localhost/static/js/emotion-styled.browser.esm.abc.js", "", "emotion-styled"),
    ("", "(program)", "(program)"),
    ("", "(garbage collector)", "(garbage collector)"),
])
def test_a_sample_is_named_by_its_script_file_without_folder_and_hash(url, function, file):
    assert file_of(url, function) == file


@pytest.mark.parametrize("file, kind", [
    ("react-dom", "React（部品の描画と DOM への反映）"),
    ("emotion-styled", "スタイル（emotion）"),
    ("styled-components", "スタイル（emotion）"),
    ("StreamlitMarkdown", "Markdown の解析"),
    ("purify", "HTML の無害化（DOMPurify）"),
    ("(program)", "ブラウザ（スタイル・レイアウト・描画）"),
    ("(garbage collector)", "ガベージコレクション"),
    ("index", OTHER),
    ("Selectbox", OTHER),
])
def test_each_file_counts_as_one_kind_of_work(file, kind):
    assert kind_of(file) == kind


def test_a_profile_adds_up_by_file_and_by_kind_and_leaves_idle_time_out():
    files = by_file(profile(("http://h/static/js/react-dom.x1.js", "se", 1500), ("", "(idle)", 90000),
                            ("http://h/static/js/react-dom.x1.js", "Ho", 500), ("", "(program)", 3000),
                            ("http://h/static/js/index.y2.js", "handleMessage", 250), ("http://h/static/js/protobuf.z.js", "", 750)))
    assert files == {"react-dom": 2.0, "(program)": 3.0, "index": 0.25, "protobuf": 0.75}
    assert by_kind(files) == {"React（部品の描画と DOM への反映）": 2.0, "ブラウザ（スタイル・レイアウト・描画）": 3.0, OTHER: 1.0}


def test_the_report_gives_each_page_against_the_one_line_page_and_what_adds_most():
    lines = report({"1行だけ": [{"react-dom": 60.0, "index": 5.0}, {"react-dom": 80.0, "index": 5.0}],
                    "指標": [{"react-dom": 150.0, "index": 15.0, "Html": 10.0, "protobuf": 3.0}]}, "1行だけ", files=2)
    assert lines[0] == ("  1行だけ: 忙しかった時間 75 ms。React（部品の描画と DOM への反映） 70、スタイル（emotion） 0、Markdown の解析 0、"
                        f"HTML の無害化（DOMPurify） 0、ブラウザ（スタイル・レイアウト・描画） 0、ガベージコレクション 0、{OTHER} 5")
    assert lines[1].startswith("  指標: 忙しかった時間 178 ms（1行だけより +103）。React（部品の描画と DOM への反映） 150（+80）、")
    assert lines[1].endswith(f"{OTHER} 28（+23）")
    assert lines[2] == "    そのほかのうち増えたもの: index +10、Html +10"
