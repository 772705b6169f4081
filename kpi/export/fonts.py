"""The Japanese font for exports, and a fontconfig file that shows it to Chromium (kaleido).

A fresh machine may have no CJK font at all, and then Chromium draws Japanese as boxes
(tofu). IPAexGothic ships inside the ``matplotlib-fontja`` wheel (a pinned requirement),
and Debian's ``fonts-ipaexfont-gothic`` puts the same font under /usr/share/fonts.
``chromium_env()`` writes a fonts.conf naming those folders and sets ``FONTCONFIG_FILE``
in the environment, which Chromium inherits when kaleido starts it.
"""
from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

FAMILY = "IPAexGothic"
FILE_NAME = "ipaexg.ttf"
SYSTEM_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts", Path.home() / ".fonts")
SYSTEM_CANDIDATES = (
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"),
)


def wheel_font_dir() -> Path | None:
    """The font folder of the matplotlib-fontja wheel, when installed."""
    try:
        import matplotlib_fontja  # noqa: F401  (only its location is needed)
    except Exception:  # the package imports matplotlib; any failure means "not available"
        spec = None
    else:
        spec = Path(matplotlib_fontja.__file__).resolve().parent / "fonts"
    return spec if spec is not None and (spec / FILE_NAME).exists() else None


@cache
def font_path() -> Path | None:
    """IPAexGothic as a TTF file (for fpdf2): the wheel's copy first, then Debian's."""
    folder = wheel_font_dir()
    if folder:
        return folder / FILE_NAME
    for p in SYSTEM_CANDIDATES:
        if p.exists():
            return p
    return None


def fontconfig_text(font_dirs: list[Path], cache_dir: Path, include_system: bool = True) -> str:
    """A fonts.conf listing ``font_dirs``; IPAexGothic is preferred for sans-serif."""
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">', "<fontconfig>"]
    lines += [f"  <dir>{escape(str(d))}</dir>" for d in font_dirs]
    lines.append(f"  <cachedir>{escape(str(cache_dir))}</cachedir>")
    if include_system:
        # The system's rendering rules and aliases, where there are any.
        lines.append('  <include ignore_missing="yes">/etc/fonts/conf.d</include>')
    for generic in ("sans-serif", "serif", "monospace"):
        lines.append(f"  <alias><family>{generic}</family><prefer><family>{FAMILY}</family></prefer></alias>")
    lines.append("</fontconfig>")
    return "\n".join(lines) + "\n"


def font_dirs() -> list[Path]:
    dirs = [d for d in SYSTEM_DIRS if d.is_dir()]
    wheel = wheel_font_dir()
    return ([wheel] if wheel else []) + dirs


def config_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"kpi-fontconfig-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def write_fontconfig(folder: Path | None = None) -> Path:
    """Write (or refresh) the fonts.conf and return its path."""
    folder = folder or config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fonts.conf"
    text = fontconfig_text(font_dirs(), folder / "cache")
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = folder / f".fonts.conf.{os.getpid()}"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return path


def chromium_env() -> Path | None:
    """Set FONTCONFIG_FILE for the Chromium kaleido will start; returns the file, or None on failure.

    A FONTCONFIG_FILE the user set already is respected.
    """
    if os.environ.get("FONTCONFIG_FILE"):
        return Path(os.environ["FONTCONFIG_FILE"])
    try:
        path = write_fontconfig()
    except OSError:
        return None
    os.environ["FONTCONFIG_FILE"] = str(path)
    return path


def has_japanese_font() -> bool:
    return font_path() is not None
