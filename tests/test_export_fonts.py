"""Japanese glyphs really render in exported images, and would visibly not without the font.

The check: two different Japanese strings of the same length render to different images
when the font is there; with the font withheld (FONTCONFIG_FILE naming an empty folder)
every character is the same missing-glyph box (tofu) or nothing, so both strings render
alike, and unlike the real glyphs. Each render runs in a child process because fontconfig
is read once, when Chromium starts.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpi.export import fonts, images

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.skipif(not images.available(), reason="no Chrome/Chromium for kaleido"), pytest.mark.xdist_group("kaleido")]

A, B = "経営課題の予算推移", "指標達成状況年度末"  # same length, no character in common

SCRIPT = """
import hashlib, json, sys
sys.path.insert(0, {root!r})
import plotly.graph_objects as go
from kpi import charts
from kpi.export import images
out = {{}}
for text in {texts!r}:
    fig = go.Figure(layout=dict(template=charts.TEMPLATE, title=dict(text=text, font=dict(size=40), x=0.02),
                                xaxis=dict(visible=False), yaxis=dict(visible=False), margin=dict(t=80, b=0, l=0, r=0)))
    png = images.render(fig, "png", width=520, height=90, scale=1, cache=False)
    open({folder!r} + "/" + hashlib.md5(text.encode()).hexdigest() + ".png", "wb").write(png)
    out[text] = hashlib.md5(png).hexdigest()
print(json.dumps(out))
"""


def _render(tmp_path: Path, env: dict) -> dict[str, bytes]:
    folder = tmp_path / ("nofont" if "FONTCONFIG_FILE" in env else "font")
    folder.mkdir()
    code = SCRIPT.format(root=str(ROOT), texts=[A, B], folder=str(folder))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    json.loads(proc.stdout.strip().splitlines()[-1])
    return {t: (folder / (hashlib.md5(t.encode()).hexdigest() + ".png")).read_bytes() for t in (A, B)}


def _ink(png: bytes) -> tuple[int, bytes]:
    """Dark pixels and the raw pixels of an image."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("L")
    return sum(1 for p in img.getdata() if p < 128), img.tobytes()


def test_japanese_glyphs_render_and_would_be_tofu_without_the_font(tmp_path):
    base = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
    with_font = _render(tmp_path, base)

    empty = tmp_path / "empty-fonts"
    empty.mkdir()
    conf = tmp_path / "fonts.conf"
    conf.write_text(fonts.fontconfig_text([empty], tmp_path / "fc-cache", include_system=False), encoding="utf-8")
    without = _render(tmp_path, base | {"FONTCONFIG_FILE": str(conf)})

    ink_a, px_a = _ink(with_font[A])
    ink_b, px_b = _ink(with_font[B])
    assert ink_a > 500 and ink_b > 500  # text was drawn
    assert px_a != px_b  # different characters, different glyphs: the font is there

    _, nx_a = _ink(without[A])
    _, nx_b = _ink(without[B])
    assert nx_a == nx_b  # without the font every character looks the same (boxes or nothing)
    assert nx_a != px_a  # … and unlike the real glyphs


def test_fontconfig_file_names_the_wheel_font_and_is_set_for_chromium(tmp_path, monkeypatch):
    monkeypatch.delenv("FONTCONFIG_FILE", raising=False)
    monkeypatch.setattr(fonts, "config_dir", lambda: tmp_path)
    path = fonts.chromium_env()
    assert path == tmp_path / "fonts.conf" and os.environ["FONTCONFIG_FILE"] == str(path)
    text = path.read_text(encoding="utf-8")
    assert f"<dir>{fonts.wheel_font_dir()}</dir>" in text
    assert "<family>IPAexGothic</family>" in text
    assert fonts.font_path() and fonts.font_path().name == "ipaexg.ttf"


def test_fontconfig_set_by_the_user_is_respected(tmp_path, monkeypatch):
    monkeypatch.setenv("FONTCONFIG_FILE", str(tmp_path / "mine.conf"))
    assert fonts.chromium_env() == tmp_path / "mine.conf"
