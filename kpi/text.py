"""One rule for every text a person types or a policy file brings, and one for every text an export writes.

``FIELDS`` is the registry: each field a person fills in (a check-in's 要因, an override's 理由, 自己評価, a user
name, …) has a Japanese label, a length limit and whether it may hold several lines. ``clean(key, text)`` is the
one function the stores, the command line and policy loading call: it normalises to NFC (full-width characters stay
full-width: NFKC would turn ＡＢＣ into ABC and ㈱ into (株)), turns CR LF into LF, strips the ends and refuses, with a
Japanese message naming the field,

- control characters (C0, DEL, C1), except line feed and tab in a multi-line field;
- bidirectional controls (U+202E and its kin) that make a text read differently from what it holds;
- line and paragraph separators (U+2028/U+2029), and the byte order mark U+FEFF inside a text;
- non-characters (U+FFFE, U+FFFF, U+FDD0–U+FDEF and the last two code points of every plane);
- lone surrogates (Python strings can hold them; no file or page can);
- more characters than the field's limit.

Pages give their widgets the same limit (``max_chars(key)``). ``displayable`` is the other side: whatever a store
already holds (written before these rules) is made safe to write into XML (the workbook, the deck) by dropping what
XML 1.0 forbids and what would reorder a line. ``number`` bounds a number typed by hand as the reader bounds an
uploaded one.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    label: str  # Japanese, as the page labels the widget
    max_chars: int
    multiline: bool = False


NAME_CHARS = 100
REASON_CHARS = 2000
LONG_TEXT_CHARS = 10000
POLICY_CELL_CHARS = 5000  # the longest cell of the seed's policy is 630 characters

# field key → label, limit, lines. A page, the command line and the stores read the same entry.
FIELDS: dict[str, Field] = {
    "checkin.cause": Field("要因", REASON_CHARS, multiline=True),
    "checkin.action": Field("対策", REASON_CHARS, multiline=True),
    "checkin.comment": Field("状況のコメント", REASON_CHARS),
    "override.reason": Field("上書きの理由", REASON_CHARS, multiline=True),
    "override.withdraw_reason": Field("取り消しの理由", REASON_CHARS, multiline=True),
    "previous.note": Field("前年度実績の出典・備考", REASON_CHARS),
    "evaluation.self_evaluation": Field("自己評価", LONG_TEXT_CHARS, multiline=True),
    "evaluation.future_policy": Field("今後の方針", LONG_TEXT_CHARS, multiline=True),
    "batch.reason": Field("取り消し・元に戻す理由", 200),
    "user": Field("利用者名", NAME_CHARS),
    "file_name": Field("ファイル名", 255),
    "policy.cell": Field("運営方針の CSV の値", POLICY_CELL_CHARS, multiline=True),
}

# Bidirectional formatting: LRM, RLM, ALM, LRE…RLO (U+202A–E), LRI…PDI (U+2066–9).
_BIDI = {0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x09: "タブ", 0x0A: "改行", 0x0D: "CR", 0x1B: "ESC", 0x7F: "DEL",
          0x202E: "右から左への上書き", 0x202D: "左から右への上書き", 0x202B: "右から左への埋め込み", 0x200F: "右から左への記号",
          0x2028: "行区切り", 0x2029: "段落区切り", 0xFEFF: "BOM", 0xFFFE: "非文字", 0xFFFF: "非文字"}


class TextError(ValueError):
    """A text refused by ``clean``; the message is Japanese and names the field."""


def _bad(cp: int, multiline: bool) -> bool:
    if cp < 0x20:
        return not (multiline and cp in (0x09, 0x0A))
    if 0x7F <= cp <= 0x9F or cp in _BIDI or cp in (0x2028, 0x2029, 0xFEFF):
        return True
    if 0xD800 <= cp <= 0xDFFF:  # a lone surrogate
        return True
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE  # non-characters


def describe(ch: str) -> str:
    """U+202E（右から左への上書き）: how a refused character is named in a message."""
    cp = ord(ch)
    name = _NAMES.get(cp) or ("サロゲート" if 0xD800 <= cp <= 0xDFFF else "双方向の書式文字" if cp in _BIDI
                              else "非文字" if _bad(cp, True) and cp > 0xFD00 else "制御文字")
    return f"U+{cp:04X}（{name}）"


# The same set as ``_bad`` as one character class (a search is 50× quicker than a loop in Python).
_REFUSED = ("\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff\ud800-\udfff"
            "\ufdd0-\ufdef" + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17)))
_REFUSED_IN = {True: re.compile(f"[{_REFUSED}]"), False: re.compile(f"[\t\n{_REFUSED}]")}


def problem(text: str, field: Field) -> str | None:
    """Why ``text`` (already normalised) does not fit ``field``, in Japanese; None when it fits."""
    found = _REFUSED_IN[field.multiline].search(text)
    if found:
        return (f"{field.label}に使えない文字 {describe(found.group())} が含まれています（{found.start() + 1:,}文字目）。"
                "取り除いてから、もう一度記録してください")
    if len(text) > field.max_chars:
        return f"{field.label}は{field.max_chars:,}文字までです（{len(text):,}文字）"
    return None


def normalise(text: str) -> str:
    """NFC, CR LF / CR as LF, the ends stripped. A lone surrogate cannot be normalised: it is kept for ``problem`` to refuse."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        text = unicodedata.normalize("NFC", text)
    except UnicodeError:
        pass
    return text.strip()


def clean(key: str, text: object, *, required: bool = False) -> str:
    """The text of field ``key`` as it is stored: normalised, checked; TextError (Japanese, naming the field) if refused."""
    field = FIELDS[key]
    text = normalise("" if text is None else str(text))
    if required and not text:
        raise TextError(f"{field.label}を記入してください")
    why = problem(text, field)
    if why:
        raise TextError(why)
    return text


def max_chars(key: str) -> int:
    """The limit a page gives its widget (st.text_area(max_chars=…)): the one the store enforces."""
    return FIELDS[key].max_chars


def label(key: str) -> str:
    return FIELDS[key].label


# --- what an export writes ----------------------------------------------------------------------------------------

_DROP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufdd0-\ufdef"
                   "\ufffe\uffff\ud800-\udfff]")


def displayable(text: str) -> str:
    """``text`` with every character dropped that XML 1.0 forbids (openpyxl and python-pptx raise on them, or write
    ``_x001B_``), that would reorder a line (bidi controls) or that is no character at all. For what a store holds
    from before the rules of ``clean``; the workbook and the deck both write through it."""
    text = _DROP.sub("", text)
    if any(ord(ch) > 0xFFFF for ch in text):  # the non-characters of the other planes (U+1FFFE …)
        text = "".join(ch for ch in text if (ord(ch) & 0xFFFE) != 0xFFFE)
    return text


# --- numbers typed by hand -----------------------------------------------------------------------------------------

def number(label_: str, value: object) -> float:
    """A number typed by hand, with the same bounds as an uploaded one (kpi.reader.validation: finite, not negative,
    at most kpi.reader.limits.MAX_ABS_NUMBER, so that every sum of them stays finite in every page and export)."""
    from kpi.reader import limits  # here, not above: the reader imports the policy, which imports this module

    shown = quoted(value)
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise TextError(f"{label_}「{shown}」は数値ではありません") from None
    if not math.isfinite(x):
        raise TextError(f"{label_}「{shown}」は数値ではありません")
    if x < 0:
        raise TextError(f"{label_}「{shown}」は負の値です（0以上を入力してください）")
    if x > limits.MAX_ABS_NUMBER:
        raise TextError(f"{label_}「{shown}」は大きすぎます（上限 {limits.MAX_ABS_NUMBER:,.0f}）")
    return x


def quoted(value: object, limit: int = 40) -> str:
    """What was typed, for a message: unprintable characters as U+FFFD, at most ``limit`` characters."""
    shown = "".join(ch if ch.isprintable() else "\ufffd" for ch in str(value))
    return shown if len(shown) <= limit else shown[:limit] + "…"
