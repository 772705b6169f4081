"""The text of a published 運営方針 as the import reads it: decoding, the limits a text must keep, the normalised form
used for matching, and the cleaning of one line into phrases.

Matching is done on the NFKC-normalised text (full- and half-width brackets, colons and digits alike); every value
keeps the source text as written.
"""
from __future__ import annotations

import re
import unicodedata

# A 運営方針 is some 1,500–5,000 characters (the fictional ward page 1,376, the seed 5,099): 40 times the longer is not
# one. Reading 200,000 characters takes about 2.4 s (measured), and the page reads anew
# whenever the text or the year changes.
MAX_CHARS = 200_000
MAX_UPLOAD_MB = 1  # MAX_CHARS Japanese characters are some 600 KB in UTF-8
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
# Control characters other than tab (the 様式's cells), line feed and carriage return: never in a published text,
# and some (NUL, ESC, the C1 set) would reach the CSVs and the screen as they are.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class ImportRefused(ValueError):
    """The text is not a 運営方針 this import can read (the message is Japanese)."""


def norm(text: str) -> str:
    """The form used for matching only: NFKC (full-width → half-width), wave dashes as ``~``."""
    return unicodedata.normalize("NFKC", text).replace("〜", "~").replace("～", "~")


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) or CP932 text; ImportRefused when it is too large or neither."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ImportRefused(f"ファイルが大きすぎます（{len(raw) / 1024 / 1024:.1f}MB）。運営方針の本文は {MAX_UPLOAD_MB}MB までにしてください")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for codec in ("utf-8", "cp932"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    raise ImportRefused("文字コードを判別できません（UTF-8 または Shift_JIS（CP932）のテキストにしてください）")


_TAG = re.compile(r"<[^>]*>")
_BULLET = re.compile(r"^[\s・･\-－*•◆◇○●■□]+")
_SPACE = " \t\u3000"
_OPEN, _CLOSE = "(（「『[［【<＜", ")）」』]］】>＞"


def check_text(text: str) -> None:
    """ImportRefused (naming the line) when the text is longer than MAX_CHARS or holds a control character."""
    if len(text) > MAX_CHARS:
        raise ImportRefused(f"本文が長すぎます（{len(text):,}文字）。{MAX_CHARS:,}文字までにしてください")
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise ImportRefused(f"{line}行目に制御文字（U+{ord(bad.group()):04X}）があります。"
                            "本文をテキストとしてコピーし直すか、その文字を消してから取り込んでください")


def strip_tags(text: str) -> str:
    """Every ``<…>`` tag of the 様式's cells replaced by a space."""
    return _TAG.sub(" ", text)


def clean(text: str) -> str:
    """One line as shown: tags dropped, spaces collapsed, a leading bullet 「・」 removed."""
    return _BULLET.sub("", re.sub(r"[ \t\u3000]+", " ", strip_tags(text)).strip()).strip()


def phrases(text: str) -> list[str]:
    """Split on spaces that are not inside brackets: 「令和8年度までに40%以上（令和6年度 35%）」 stays one phrase."""
    out, cur, depth = [], [], 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        if ch in _SPACE and depth == 0:
            if cur:
                out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return [p for p in (_BULLET.sub("", p) for p in out) if p]


def fmt_number(value: float) -> str:
    """A figure as the CSVs write it: 6000, 83.4."""
    return str(int(value)) if value == int(value) else repr(value)


def number(text: str) -> float:
    """「1,870」, 「１２」 → the float."""
    return float(norm(text).replace(",", ""))

