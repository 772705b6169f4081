"""Accessibility without a browser: the colours (computed), the Japanese of every string the app controls,
and the statement in docs/ (the browser half is tests/test_browser_accessibility.py)."""
from __future__ import annotations

import itertools
import re
import tomllib

import pytest

from conftest import ROOT, figures, frames, run_app
from kpi import charts, colours
from kpi.kinds import STATUSES

THEME = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]
CAPTION_ALPHA = 0.6  # Streamlit draws captions and other secondary text at 60 % of the body text colour


def blend(hex_colour: str, alpha: float, background: str = "#FFFFFF") -> str:
    fg, bg = colours.rgb(hex_colour), colours.rgb(background)
    return "#" + "".join(f"{round(alpha * f + (1 - alpha) * b):02X}" for f, b in zip(fg, bg))


def test_the_theme_font_is_the_screen_font_of_the_charts():
    assert THEME["font"] == charts.SCREEN_FONT
    assert THEME["font"].split(",")[-1].strip() == "sans-serif"


def test_theme_text_and_captions_keep_4_5_to_1():
    assert colours.contrast(THEME["textColor"]) >= 7
    assert colours.contrast(blend(THEME["textColor"], CAPTION_ALPHA)) >= 4.5
    assert colours.contrast(THEME["primaryColor"]) >= 4.5  # links and primary buttons' text on white


@pytest.mark.parametrize("status", list(STATUSES.values()), ids=list(STATUSES))
def test_status_marks_and_words_have_contrast(status):
    assert colours.contrast(status.colour) >= 3, status  # bars, gauges (1.4.11)
    assert colours.contrast(status.ink) >= 4.5, status  # the status written as text (1.4.3)


@pytest.mark.parametrize("vision", list(colours.SIMULATIONS))
def test_statuses_stay_apart_with_every_colour_vision(vision):
    pairs = {(a.key, b.key): colours.delta_e(a.colour, b.colour, vision) for a, b in itertools.combinations(STATUSES.values(), 2)}
    assert min(pairs.values()) >= 25, pairs


def test_the_old_palette_fails_the_same_check():
    """The check can fail: Okabe–Ito's orange and vermillion (the former 注意 and 遅れ) come close with deuteranopia."""
    assert colours.delta_e("#E69F00", "#D55E00", "2型（D型）") < 25


def test_contrast_and_simulation_match_known_values():
    assert colours.contrast("#000000") == pytest.approx(21)
    assert colours.contrast("#767676") == pytest.approx(4.54, abs=0.01)
    assert colours.delta_e("#FF0000", "#FF0000", "1型（P型）") == 0


# Words the app may show in Latin letters: file formats, abbreviations in the policy itself, units of code.
ALLOWED = {
    "ID", "IDs", "KPI", "DX", "AI", "BPR", "EBPM", "CSV", "TSV", "TXT", "PDF", "PNG", "SVG", "ZIP", "Excel", "PowerPoint", "UTF", "BOM",
    "Shift_JIS", "CP932", "JIS", "HTML", "XLSX", "xlsx", "csv", "tsv", "txt", "pptx", "YYYY", "MM", "SHA", "Re", "Design", "Well", "being",
    "QoL", "Chrome", "Chromium", "OS", "A4", "MB", "QR", "OK", "CP",
}
LATIN = re.compile(r"[A-Za-z][A-Za-z_]+")
# Not words: links, Streamlit's icon and badge markup, file names, record ids and hashes.
MARKUP = re.compile(r"https?://\S+|:material/\w+:|:\w+-badge\[|[\w.-]+\.(?:csv|xlsx|pptx|pdf|png|svg|zip|json|txt|tsv)\b"
                    r"|\b[0-9A-Za-z]*\d[0-9A-Za-z]*(?:-[0-9a-f]+)+\b|\b[0-9a-f]{16,}\b")
PAGES = ["app_pages/overview.py", "app_pages/budget.py", "app_pages/indicators.py", "app_pages/evaluation.py", "app_pages/upload.py",
         "app_pages/history.py", "app_pages/materials.py"]


def shown_strings(at) -> list[str]:
    """What the app itself writes on a page: texts, labels, help, placeholders, options, popovers' buttons, table headers."""
    out = [e.value for e in (*at.markdown, *at.caption, *at.title, *at.subheader, *at.header, *at.info, *at.warning, *at.error,
                             *at.success, *at.text)]
    for w in (*at.button, *at.checkbox, *at.selectbox, *at.multiselect, *at.radio, *at.button_group, *at.text_input, *at.text_area, *at.number_input):
        out += [w.label, getattr(w, "help", "") or "", getattr(w, "placeholder", "") or ""]
        out += [str(o) for o in getattr(w, "options", [])]
    out += [b.proto.popover.label for b in at.get("popover")]
    out += [*figures(at)] + [*figures(at).values()]
    for t in frames(at):
        out += [str(c) for c in t.columns]
    return out


@pytest.mark.parametrize("page", PAGES)
def test_every_string_the_app_shows_is_japanese(page, tmp_path, monkeypatch):
    at = run_app(page, tmp_path / "store", monkeypatch, as_of="2025-09")
    english = sorted({w for s in shown_strings(at) for w in LATIN.findall(MARKUP.sub("", s))} - ALLOWED)
    assert not english, english


def test_the_statement_lists_every_known_exception_and_the_tested_pages():
    from test_browser_accessibility import KNOWN
    from test_browser_accessibility import PAGES as BROWSER_PAGES

    statement = (ROOT / "docs" / "accessibility.md").read_text(encoding="utf-8")
    assert "JIS X 8341-3:2016" in statement and "AA" in statement
    for rule in KNOWN:
        assert rule in statement, rule
    assert len(BROWSER_PAGES) == 7 and "7 ページ" in statement
