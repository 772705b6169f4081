"""Import a 運営方針 from its published text into the policy CSVs (``python -m kpi policy import``, 「方針の取り込み」).

Two published forms are read:

* the table export of the 運営方針 様式 (the bundled seed: tab-separated rows whose cells carry
  ``<p>``/``<ul>`` fragments, 「経営課題N …」 rows, 「5決算額 87百万円」 budget rows), and
* the city's web page (【目標】【使命】【…基本的な考え方】【経営課題N】, then 課題認識 / 主な戦略 /
  アウトカム指標 / アウトカム指標の達成状況（定量評価） ＜N年度実績と達成状況＞ ＜前年度実績＞ /
  自己評価 / 今後の方針, one 「・」 item a line).

Matching is done on the NFKC-normalised text (full- and half-width brackets, colons and digits alike);
every value keeps the source text as written. What the text does not decide — the aggregation kind and
the direction, the short name, the strategy an indicator serves when the text does not say — is guessed
from the wording and listed as a :class:`Guess` (a Japanese line naming the indicator and the words used)
for an editor to review. The output is the data contract of issue 18 (targets.csv ``period_start_fy``,
``baseline`` columns; results.csv of published results).

Nothing here imports streamlit: the CLI and the page call :func:`parse` and :func:`write_folder`.
"""
from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from kpi import fiscal
from kpi.kinds import DIRECTIONS, KINDS
from kpi.policy import BUDGET, SETTLEMENT

REIWA_OFFSET = 2018  # 令和N年度 = FY 2018 + N

# The files written, with their columns (the issue-18 contract; results.csv only when the text has results).
COLUMNS: dict[str, tuple[str, ...]] = {
    "policy.csv": ("field", "label", "text"),
    "issues.csv": ("issue_id", "title", "short_title", "recognition"),
    "strategies.csv": ("issue_id", "strategy_no", "strategy"),
    "indicators.csv": ("indicator_id", "issue_id", "strategy_no", "short_name", "wording", "unit", "aggregation",
                       "direction", "period_start_fy", "period_end_fy"),
    "targets.csv": ("indicator_id", "fiscal_year", "target", "qualifier", "per", "source_text", "period_start_fy",
                    "baseline", "baseline_source"),
    "budgets.csv": ("issue_id", "fiscal_year", "kind", "amount_million_yen", "source_text"),
    "results.csv": ("indicator_id", "fiscal_year", "value", "period_value", "grade", "source_text"),
}
OPTIONAL_FILES = ("results.csv",)  # budgets.csv is written even empty: the loader before issue 18 requires it

MILESTONE_TARGET = 100.0  # a milestone is tracked as progress 0–100% (the seed's convention: unit %, target 100)
SHORT_NAME_MAX = 30
QUALIFIER_WORDS = ("以上", "以下", "程度", "未満", "超", "まで")  # written after a number, in this order of search
BRACKET_QUALIFIERS = ("累計", "合計")  # written as 「（累計）」 after a number
MILESTONE_WORDS = ("開始", "策定", "実施", "開設", "改定", "完了", "導入", "構築", "作成", "設置", "検証")
LOWER_WORDS = ("以下", "未満", "削減", "減少", "抑制", "短縮", "縮減")


class ImportRefused(ValueError):
    """The text is not a 運営方針 this import can read (the message is Japanese)."""


# --- text helpers -----------------------------------------------------------------------------------------

def norm(text: str) -> str:
    """The form used for matching only: NFKC (full-width → half-width), wave dashes as ``~``."""
    return unicodedata.normalize("NFKC", text).replace("〜", "~").replace("～", "~")


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) or CP932 text; ImportRefused otherwise."""
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


def strip_tags(text: str) -> str:
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
    return str(int(value)) if value == int(value) else repr(value)


def _number(text: str) -> float:
    return float(norm(text).replace(",", ""))


# --- years, numbers, targets --------------------------------------------------------------------------------

_ERA = r"(?:令和|R|r)"
YEAR_ONLY = re.compile(rf"^{_ERA}\s*(\d+)\s*年度?\s*(中|末|まで|までに)?$")
LEADING_YEAR = re.compile(rf"^{_ERA}\s*(\d+)\s*年度\s*(に|中|末|まで|までに)?")
BY_YEAR = re.compile(rf"{_ERA}\s*(\d+)\s*年度\s*(?:末)?\s*までに")
PERIOD = re.compile(rf"{_ERA}\s*(\d+)\s*(?:年度)?\s*(?:~|-|から|－)\s*(?:{_ERA})?\s*(\d+)\s*(?:年度)?")
INTERIM = re.compile(rf"\(\s*{_ERA}\s*(\d+)\s*年度\s*(?:末)?\s*:?\s*([\d,]+(?:\.\d+)?)\s*([^\d\s)]*?)\s*\)")
# A number that is a figure: not a year (令和7年度, R4, 6年度, 2025年) nor a month or day.
NUMBER = re.compile(r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)(?![\d.,])")
_UNIT = re.compile(r"\s*(%|[^\d\s,、。.()\[\]「」/:・の以程未超ま~]+)?")


def reiwa(n: str | int) -> int:
    return REIWA_OFFSET + int(n)


def is_year_phrase(phrase: str) -> bool:
    return bool(YEAR_ONLY.match(norm(phrase)))


def year_of(phrase: str) -> int | None:
    m = YEAR_ONLY.match(norm(phrase)) or LEADING_YEAR.match(norm(phrase))
    return reiwa(m.group(1)) if m else None


def _is_year_number(text: str, m: re.Match) -> bool:
    before, after = text[max(0, m.start() - 2):m.start()], text[m.end():m.end() + 2]
    return (after.startswith(("年", "月", "日")) or before.endswith(("令和", "平成", "R", "r"))
            or bool(re.search(r"[Rr]\s*$", before)))


@dataclass(frozen=True)
class Figure:
    """A number with its unit and the qualifiers written after it, found in a phrase (normalised text)."""

    value: float
    unit: str
    qualifiers: tuple[str, ...]
    per: str
    start: int  # where the number starts and the figure (with unit and qualifiers) ends, in the normalised text
    end: int


def figures(text: str) -> list[Figure]:
    """Every figure of a phrase (``text`` normalised), skipping years, months and numbers inside a period clause."""
    out = []
    for m in NUMBER.finditer(text):
        if _is_year_number(text, m):
            continue
        unit_m = _UNIT.match(text, m.end())
        unit = (unit_m.group(1) or "") if unit_m else ""
        pos = unit_m.end() if unit_m else m.end()
        quals: list[str] = []
        while True:
            rest = text[pos:]
            word = next((w for w in QUALIFIER_WORDS if rest.startswith(w)), None)
            bracket = re.match(r"\(\s*(累計|合計)\s*\)", rest)
            if word and not (word == "まで" and rest.startswith("までに")):
                quals.append(word)
                pos += len(word)
            elif bracket:
                quals.append(bracket.group(1))
                pos += bracket.end()
            else:
                break
        before = text[max(0, m.start() - 2):m.start()]
        per = ""
        if re.match(r"\s*/\s*年", text[pos:]) or before.endswith("年間"):
            per = "年"
        elif re.match(r"\s*/\s*月", text[pos:]) or before.endswith("月") or before.endswith("月間"):
            per = "月"
        out.append(Figure(_number(m.group(1)), unit, tuple(quals), per, m.start(), pos))
    return out


def _period(text: str) -> tuple[int, int] | None:
    m = PERIOD.search(norm(text))
    if not m:
        return None
    a, b = reiwa(m.group(1)), reiwa(m.group(2))
    return (a, b) if a <= b else None


# --- the structure read from the text -----------------------------------------------------------------------

@dataclass
class Chunk:
    """A run of phrases between hard breaks (a table cell's <ul> group, a <p>, a 「・」 line)."""

    phrases: list[str]
    may_label: bool  # its first phrase may name the strategy (the first item of a <ul> group)


@dataclass
class IssueText:
    number: str
    title: str
    recognition: list[str] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    budgets: list[tuple[int, str, str, str]] = field(default_factory=list)  # (fy, kind, amount text, source)
    results: dict[str, list[str]] = field(default_factory=dict)  # "current:<fy>" / "previous" → lines


@dataclass
class Document:
    title: str = ""
    head: str = ""
    goal: list[str] = field(default_factory=list)
    mission: list[str] = field(default_factory=list)
    approach_label: str = ""
    approach: list[str] = field(default_factory=list)
    self_evaluation: list[str] = field(default_factory=list)
    future_policy: list[str] = field(default_factory=list)
    issues: list[IssueText] = field(default_factory=list)
    results_year: int | None = None


_BUDGET = re.compile(r"(?:令和)?\s*(\d+)\s*(?:年度)?\s*(決算額|予算額)\s*[:：]?\s*([\d,]+(?:\.\d+)?)\s*百万円")
_ISSUE = re.compile(r"^\s*(?:【\s*)?経営課題\s*([0-9０-９]+)(?:\s*】|[\s\u3000]+|$)\s*(.*)$")  # 「経営課題1に…」 is text
_RESULT_HEAD = re.compile(r"^<\s*(?:令和)?\s*(\d+)\s*年度\s*実績と達成状況[^>]*>")  # 「＜…達成状況 ※A：達成 B：未達成＞」 too
_PREVIOUS_HEAD = re.compile(r"^<\s*前年度実績\s*>")


# Headings of the web form that stand on a line of their own (their parenthesised explanation aside).
LINE_HEADINGS = ("目標", "使命", "課題認識", "主な戦略", "アウトカム指標", "アウトカム指標の達成状況", "自己評価", "今後の方針",
                 "重点的に取り組む主な経営課題", "重点的に取り組む経営課題")


def _section(label: str, own_line: bool = False) -> str | None:
    """Which part of the form a row label (normalised, without spaces or tags) opens. A line without cells
    (``own_line``) is a heading only when it is 【bracketed】, 「経営課題N」, or exactly a known heading — a
    sentence that begins with 「目標」 stays text."""
    if _ISSUE.match(norm(strip_tags(label)).strip()):
        return "issue"
    key = re.sub(r"\s+", "", norm(strip_tags(label)))
    bracketed = key.startswith("【")
    key = key.strip("【】")
    if own_line and not bracketed and re.sub(r"\([^()]*\)$", "", key) not in LINE_HEADINGS:
        return None
    if key.startswith("目標"):
        return "goal"
    if key.startswith("使命"):
        return "mission"
    if "基本的な考え方" in key:
        return "approach"
    if key.startswith("課題認識"):
        return "recognition"
    if key.startswith("主な戦略"):
        return "strategies"
    if key.startswith("アウトカム指標の達成状況"):
        return "results"
    if key.startswith("アウトカム指標"):
        return "indicators"
    if key.startswith("自己評価"):
        return "self_evaluation"
    if key.startswith("今後の方針"):
        return "future_policy"
    if key.startswith("重点的に取り組む"):
        return "skip"
    return None


def _paragraphs(cell: str) -> list[str]:
    """A cell's paragraphs (<p> or lines), a space after 「。」 read as a line break (the seed's one-<p> cells)."""
    out = []
    for part in re.split(r"</?p[^>]*>|</?ul[^>]*>|</?li[^>]*>|<br\s*/?>", cell):
        text = clean(part)
        if text:
            out.extend(s.strip() for s in re.split(r"(?<=。)[ \u3000]+", text) if s.strip())
    return out


def _list_items(cell: str) -> list[str]:
    """Items of a list cell: the <ul> items (space-separated in the export) or 「・」 lines."""
    text = strip_tags(cell)
    return phrases(text)


def _chunks(cell: str) -> list[Chunk]:
    """A cell of アウトカム指標: <ul> starts a group whose first item may name a strategy; <p> breaks."""
    out: list[Chunk] = []
    may_label = False
    for part in re.split(r"(<[^>]*>)", cell):
        if part.startswith("<"):
            may_label = bool(re.match(r"<ul\b", part, re.I))
            continue
        ps = phrases(part)
        if ps:
            out.append(Chunk(ps, may_label))
            may_label = False
    return out


def read_document(text: str) -> Document:
    """The parts of a published 運営方針, in either form (web page or the 様式's table export)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    doc = Document()
    issue: IssueText | None = None
    section: str | None = None
    results_key = ""
    columns: dict[int, str] = {}  # the 様式's result cells: index → "current:<fy>" / "previous"
    for raw in lines:
        if not raw.strip() or re.fullmatch(r"[\s\-|:]+", raw):
            continue
        cells = raw.split("\t")
        first, rest = cells[0].strip(), "\t".join(cells[1:])
        if not doc.title and "運営方針" in norm(clean(first)):
            doc.title = clean(first)
            continue
        head = re.search(r"所属長\s*[:：]\s*(.+?)\s*[)）]", raw)
        if head and not doc.head:
            doc.head = head.group(1).strip()
            continue
        nraw = norm(raw).strip(" \t・")
        budgets = list(_BUDGET.finditer(norm(strip_tags(raw).replace("\t", " "))))
        if budgets and issue is not None:
            for m in budgets:
                kind = SETTLEMENT if m.group(2) == "決算額" else BUDGET
                issue.budgets.append((reiwa(m.group(1)), kind, m.group(3), f"{m.group(1)}{m.group(2)} {m.group(3)}百万円"))
            continue
        if _RESULT_HEAD.match(nraw) and issue is not None:
            fy = reiwa(_RESULT_HEAD.match(nraw).group(1))
            doc.results_year = fy
            results_key, section = f"current:{fy}", "results"
            continue
        if _PREVIOUS_HEAD.match(nraw) and issue is not None:
            results_key, section = "previous", "results"
            continue
        kind = _section(first, own_line=len(cells) == 1) if first else None
        if kind == "issue":
            m = _ISSUE.match(clean(first))
            title = m.group(2).strip() if m else ""
            issue = IssueText(str(int(norm(m.group(1)))), title)
            doc.issues.append(issue)
            section, results_key = None, ""
            continue
        if kind in ("goal", "mission", "approach"):
            section = kind
            if kind == "approach":
                doc.approach_label = re.sub(r"^【\s*|\s*】$", "", clean(first))
            if rest.strip():
                _add(doc, issue, section, rest, results_key)
            continue
        if kind is not None:
            section = kind
            results_key = ""
            columns = _result_columns(cells) if kind == "results" else {}
            if columns:
                doc.results_year = next((int(k.split(":")[1]) for k in columns.values() if k.startswith("current:")), None)
            if rest.strip() and kind != "results":  # the 様式's 達成状況 row heads the cells below it
                _add(doc, issue, section, rest, results_key)
            continue
        if section == "results" and columns and issue is not None and not first:
            # the 様式's rows under 「N年度実績と達成状況」 | 「前年度実績」: one line per <p>, in the indicators' order
            for i, key in columns.items():
                for part in re.split(r"</?p[^>]*>|<br\s*/?>", cells[i] if i < len(cells) else ""):
                    _add(doc, issue, section, part, key)
            continue
        _add(doc, issue, section, raw, results_key)  # a continuation row (empty first cell) or a line of text
    return doc


def _result_columns(cells: list[str]) -> dict[int, str]:
    """In the 様式's 達成状況 row: which cell heads this year's results (「7年度実績と達成状況」) and which the previous year's."""
    out = {}
    for i, cell in enumerate(cells[1:], start=1):
        n = norm(strip_tags(cell))
        m = re.search(r"(?:令和)?\s*(\d+)\s*年度\s*実績と達成状況", n)
        if m:
            out[i] = f"current:{reiwa(m.group(1))}"
        elif "前年度実績" in n:
            out[i] = "previous"
    return out


def _add(doc: Document, issue: IssueText | None, section: str | None, cell: str, results_key: str) -> None:
    if section in ("goal", "mission"):
        getattr(doc, section).extend(_paragraphs(cell))
    elif section == "approach":
        items = _list_items(cell) if re.search(r"<ul\b", cell) else _paragraphs(cell)
        doc.approach.extend(items)
    elif section in ("self_evaluation", "future_policy"):
        getattr(doc, section).extend(_paragraphs(cell))
    elif issue is None:
        return
    elif section == "recognition":
        issue.recognition.extend(_paragraphs(cell))
    elif section == "strategies":
        if re.search(r"<ul\b", cell):
            issue.strategies.extend(_list_items(cell))
        else:
            issue.strategies.extend(p for p in _paragraphs(cell))
    elif section == "indicators":
        issue.chunks.extend(_chunks(cell))
    elif section == "results" and results_key:
        line = re.sub(r"^[\s・･]+", "", re.sub(r"[ \t\u3000]+", " ", strip_tags(cell))).strip()  # 「・－」 is kept: no result
        if line and not line.startswith("※"):  # 「※A：達成 B：未達成」 is the legend, not a result
            issue.results.setdefault(results_key, []).append(line)


# --- indicators -----------------------------------------------------------------------------------------------

@dataclass
class Statement:
    label: str | None
    wording: list[str] = field(default_factory=list)
    year: str | None = None
    target: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.wording or self.year or self.target)


def _strategy_match(phrase: str, strategies: list[str]) -> int | None:
    """The strategy (1-based) a phrase names exactly (width and spaces aside)."""
    key = re.sub(r"\s+", "", norm(phrase))
    for i, s in enumerate(strategies, start=1):
        if re.sub(r"\s+", "", norm(s)) == key:
            return i
    return None


def statements(chunks: list[Chunk], strategies: list[str]) -> list[Statement]:
    """Cut the アウトカム指標 phrases into one statement per indicator: [wording] [令和N年度] [target words]."""
    out: list[Statement] = []
    label: str | None = None

    def emit(st: Statement) -> Statement:
        if not st.empty():
            out.append(st)
        return Statement(label)

    def plain(phrase: str) -> bool:  # neither a year nor a figure: a name, not a target
        return not is_year_phrase(phrase) and not figures(norm(phrase)) and not LEADING_YEAR.match(norm(phrase))

    cur = Statement(None)
    for i, chunk in enumerate(chunks):
        cur = emit(cur)
        ps = list(chunk.phrases)
        following = chunks[i + 1].phrases if i + 1 < len(chunks) else []
        if not chunk.may_label and all(map(plain, ps)) and following and is_year_phrase(following[0]):
            # a line of its own naming the strategy, the targets on the next line (「・行政手続きのオンライン化とBPR」)
            label = " ".join(ps)
            cur = Statement(label)
            continue
        if chunk.may_label and len(ps) > 1 and plain(ps[0]):
            label = ps.pop(0)
            cur = Statement(label)
        for p in ps:
            if _strategy_match(p, strategies) and not is_year_phrase(p):
                cur = emit(cur)
                label = p
                cur = Statement(label)
            elif is_year_phrase(p):
                if cur.year is not None:
                    cur = emit(cur)
                cur.year = p
            elif cur.year is None:
                cur.wording.append(p)
            elif any(figures(norm(t)) for t in cur.target):
                cur = emit(cur)
                cur.wording.append(p)
            else:
                cur.target.append(p)
    emit(cur)
    return out


@dataclass
class TargetRow:
    fiscal_year: int
    value: float
    qualifiers: tuple[str, ...]
    per: str
    source_text: str
    period_start_fy: int | None = None


@dataclass
class Guess:
    """A value the text does not decide, with the words it was guessed from (for review)."""

    indicator_id: str
    field: str  # aggregation, direction, short_name, strategy_no
    value: str
    words: str  # the words of the text the guess used ("" = none: the default)
    line: str  # the Japanese review line


@dataclass
class IndicatorDraft:
    indicator_id: str
    issue_id: str
    strategy_no: str
    short_name: str
    wording: str
    unit: str
    aggregation: str
    direction: str
    period_start_fy: int | None
    period_end_fy: int | None
    targets: list[TargetRow]
    source_text: str  # the whole statement as written
    guessed: list[str] = field(default_factory=list)  # the fields the text does not decide
    words: dict[str, str] = field(default_factory=dict)  # field → the words its guess used ("" = the default)

    def target(self, fy: int) -> TargetRow | None:
        return next((t for t in self.targets if t.fiscal_year == fy), None)


def _strip_figure(phrase: str) -> str:
    """「転出におけるマイナポータルの利用率25%」 → 「転出におけるマイナポータルの利用率」: a figure at the end goes."""
    n = norm(phrase)
    figs = figures(n)
    if figs and figs[-1].end >= len(n.rstrip()):
        # cut the original at the same character count (NFKC keeps the count for the text of these forms)
        cut = figs[-1].start
        if len(n) == len(phrase):
            return phrase[:cut].rstrip(" \u3000")
        return n[:cut].rstrip()
    return phrase


def _wording_and_figure(ps: list[str]) -> tuple[str, Figure | None, str]:
    """From phrases: the wording (before the phrase with the figure, or that phrase without its figure), the
    figure, and the phrase holding it."""
    for i, p in enumerate(ps):
        figs = figures(norm(p))
        if figs:
            if i > 0:
                return " ".join(ps[:i]), figs[0], p
            return _strip_figure(p), figs[0], p
    return " ".join(ps), None, ""


def guess_aggregation(text: str, unit: str, per: str, milestone: bool, by_year: bool) -> tuple[str, str]:
    """(kind, the words used) from the wording; "" words = the default."""
    t = norm(text)
    if milestone:
        word = next((w for w in MILESTONE_WORDS if w in t), "")
        return "milestone", word or "数値の目標がない"
    if "累計" in t:
        return "latest", "累計"
    if "合計" in t:
        return "sum", "合計"
    if per == "年":
        return "sum", "/年" if "/年" in t else "年間"
    if per == "月":
        return "mean", "月"
    if unit == "%":
        word = next((w for w in ("割合", "率") if w in t), "")
        if word and not by_year:
            return "ratio", word
        if word:
            return "latest", f"{word}・までに"
        return "latest", "%"
    return "latest", ""


def guess_direction(text: str) -> tuple[str, str]:
    t = norm(text)
    word = next((w for w in LOWER_WORDS if w in t), "")
    if word:
        return "lower", word
    return "higher", "以上" if "以上" in t else ""


def short_name_of(wording: str, qualifiers: tuple[str, ...], target_years: set[int] = frozenset()) -> str:
    """The data/indicators.csv style: the wording without its year clause, 「（累計）」 kept, at most 30 characters.

    「令和7年度に」 goes only when it is a target's year (「令和6年度に策定する計画に基づき…」 is part of the wording)."""
    name = wording
    for pattern in (rf"^{_ERA}\s*\d+\s*年度\s*(?:~|から)\s*{_ERA}?\s*\d+\s*年度\s*にかけて\s*",
                    rf"^{_ERA}\s*\d+\s*年度\s*(?:末)?\s*までに\s*", rf"^{_ERA}\s*(\d+)\s*年度\s*に\s*"):
        m = re.match(pattern, norm(name))
        if m and (not m.groups() or reiwa(m.group(1)) in target_years):
            name = norm(name)[m.end():]
            break
    name = re.sub(r"とする$", "", name).strip()
    if "累計" in qualifiers and "累計" not in name:
        name += "（累計）"
    if len(name) > SHORT_NAME_MAX:
        name = name[:SHORT_NAME_MAX - 1] + "…"
    return name


def _qualifier_text(qs: tuple[str, ...]) -> str:
    return "・".join(dict.fromkeys(qs))


def _wording_of(st: Statement) -> str:
    """The indicator's own words. Before 「令和N年度」: one phrase is kept whole (「令和5年度から令和7年度にかけて研修を実施」),
    of several those before the figure; with no year phrase, or after it, the phrases before the figure, or the phrase
    holding it without a figure at its end (「転出におけるマイナポータルの利用率25%」 → 「…の利用率」)."""
    if st.wording and st.year and len(st.wording) == 1:
        return st.wording[0]
    return _wording_and_figure(st.wording or st.target)[0]


def _target_row(fig: Figure, fy: int, source: str, phrase: str) -> TargetRow:
    """A period written beside the figure (「6,000世帯以上(R4~R6作成合計目標)」) makes it the period's target, kept at
    the period's last year with ``period_start_fy`` (the issue-18 contract)."""
    period = _period(phrase)
    if period and period[0] < period[1]:
        return TargetRow(period[1], fig.value, fig.qualifiers, fig.per, source, period[0])
    return TargetRow(fy, fig.value, fig.qualifiers, fig.per, source)


def _targets(st: Statement, policy_fy: int) -> tuple[list[TargetRow], str, int | None]:
    """(the targets, the unit, the 「までに」 year) of a statement; no figure at all = a milestone (100%)."""
    wording_text = " ".join(st.wording)
    nw = norm(wording_text)
    targets: list[TargetRow] = []
    unit, by_year = "", None
    by = BY_YEAR.search(nw)
    if by:  # 「令和8年度までに70%以上とする」: that year's target, over the years from the policy's own; 「（令和6年度 35%）」 on the way
        by_year = reiwa(by.group(1))
        fig = next((f for f in figures(nw) if f.start > by.start()), None)
        if fig:
            unit = fig.unit
            targets.append(TargetRow(by_year, fig.value, fig.qualifiers, fig.per, wording_text,
                                     policy_fy if policy_fy < by_year else None))
        targets += [TargetRow(reiwa(m.group(1)), _number(m.group(2)), (), "", wording_text) for m in INTERIM.finditer(nw)]
    if st.year:  # 「令和7年度 オンラインでできる手続き数 2,000件（累計）」: the source is the year and what follows it
        fy, own = year_of(st.year) or policy_fy, " ".join([st.year, *st.target])
        _, fig, phrase = _wording_and_figure(st.target)
        if fig:
            targets.append(_target_row(fig, fy, own, phrase))
            unit = unit or fig.unit
        elif not targets:
            targets.append(TargetRow(fy, MILESTONE_TARGET, (), "", own))
    elif not by:  # no year phrase: the wording's figure, in 「令和7年度に…」's year or the policy's
        lead = LEADING_YEAR.match(nw)
        fy = reiwa(lead.group(1)) if lead else policy_fy
        _, fig, phrase = _wording_and_figure(st.wording)
        if fig:
            targets.append(_target_row(fig, fy, wording_text, phrase))
            unit = fig.unit
        else:
            targets.append(TargetRow(fy, MILESTONE_TARGET, (), "", wording_text))
    if not unit and all(t.value == MILESTONE_TARGET and not t.qualifiers for t in targets):
        unit = "%"  # a milestone: progress 0–100%
    return sorted(targets, key=lambda t: t.fiscal_year), unit, by_year


def indicator_from(st: Statement, issue_id: str, number: int, strategy_no: str, policy_fy: int,
                   problems: list[str]) -> IndicatorDraft:
    """One indicator from its statement: wording, unit, targets (with periods), and the guesses with their words."""
    iid = f"K{issue_id}-{number}"
    source = " ".join([*st.wording, *([st.year] if st.year else []), *st.target])
    wording = _wording_of(st)
    targets, unit, by_year = _targets(st, policy_fy)
    milestone = not any(figures(norm(p)) for p in [*st.wording, *st.target])
    if not unit:
        problems.append(f"{iid}: 目標の単位が読み取れません（「{source}」）")
    quals = tuple(q for t in targets for q in t.qualifiers)
    per = next((t.per for t in targets if t.per), "")
    aggregation, agg_words = guess_aggregation(source, unit, per, milestone, by_year is not None)
    direction, dir_words = guess_direction(source)
    period = _period(source)
    start_fy, end_fy = period if period and period[0] < period[1] else (None, by_year)
    draft = IndicatorDraft(iid, issue_id, strategy_no, short_name_of(wording, quals, {t.fiscal_year for t in targets}), wording,
                           unit, aggregation, direction, start_fy, end_fy, targets, source)
    draft.guessed = ["short_name", "aggregation", "direction"]
    draft.words = {"short_name": wording, "aggregation": agg_words, "direction": dir_words}
    return draft


def _strategy_for(label: str | None, strategies: list[str]) -> tuple[int | None, bool]:
    """(strategy number, guessed?) of a statement's label: exact, else the most similar (ratio ≥ 0.3)."""
    if not strategies:
        return None, False
    if label:
        exact = _strategy_match(label, strategies)
        if exact:
            return exact, False
        scores = [difflib.SequenceMatcher(None, norm(label), norm(s)).ratio() for s in strategies]
        best = max(range(len(scores)), key=scores.__getitem__)
        if scores[best] >= 0.3:
            return best + 1, True
    if len(strategies) == 1:
        return 1, False
    return None, True


# --- results -----------------------------------------------------------------------------------------------------

@dataclass
class ResultRow:
    indicator_id: str
    fiscal_year: int
    value: float | None
    period_value: float | None
    grade: str
    source_text: str


_GRADE = re.compile(r"[:：]\s*([AB])\s*$")
_DASH = re.compile(r"^[\s\-－―ー—–]*$")


def result_from(line: str, iid: str, fy: int) -> ResultRow | None:
    n = norm(line)
    if _DASH.match(n):
        return None
    grade_m = _GRADE.search(n)
    grade = grade_m.group(1) if grade_m else ""
    body = n[:grade_m.start()] if grade_m else n
    value = period_value = None
    figs = figures(body)
    # a figure inside a bracket with a period (「(R4~R6作成合計5,410世帯)」) is the period's figure
    bracket = re.search(r"\(([^()]*)\)", body)
    inner = [f for f in figs if bracket and bracket.start() < f.start < bracket.end()]
    if bracket and inner and PERIOD.search(bracket.group(1)):
        period_value = inner[0].value
        figs = [f for f in figs if f not in inner]
    if figs:
        value = figs[0].value
    if value is None and period_value is None and not grade:
        return None
    return ResultRow(iid, fy, value, period_value, grade, line)


# --- the whole import -------------------------------------------------------------------------------------------

@dataclass
class Imported:
    """What the import read: the rows of the policy CSVs, the guesses to review and the problems."""

    fiscal_year: int
    texts: list[tuple[str, str, str]]  # policy.csv rows (field, label, text)
    issues: list[IssueText]
    indicators: list[IndicatorDraft]
    budgets: list[tuple[str, int, str, float, str]]  # (issue_id, fy, kind, amount, source)
    results: list[ResultRow]
    guesses: list[Guess]
    problems: list[str]

    def rows(self) -> dict[str, list[dict[str, str]]]:
        """Every file's rows as strings (the CSVs and the page's tables)."""
        def s(v) -> str:
            if v is None:
                return ""
            return fmt_number(v) if isinstance(v, float) else str(v)

        out: dict[str, list[dict[str, str]]] = {
            "policy.csv": [dict(zip(COLUMNS["policy.csv"], r)) for r in self.texts],
            "issues.csv": [{"issue_id": i.number, "title": i.title, "short_title": i.title,
                            "recognition": "\n".join(i.recognition)} for i in self.issues],
            "strategies.csv": [{"issue_id": i.number, "strategy_no": str(n), "strategy": s_}
                               for i in self.issues for n, s_ in enumerate(i.strategies, start=1)],
            "indicators.csv": [{"indicator_id": d.indicator_id, "issue_id": d.issue_id, "strategy_no": d.strategy_no,
                                "short_name": d.short_name, "wording": d.wording, "unit": d.unit,
                                "aggregation": d.aggregation, "direction": d.direction,
                                "period_start_fy": s(d.period_start_fy), "period_end_fy": s(d.period_end_fy)}
                               for d in self.indicators],
            "targets.csv": [{"indicator_id": d.indicator_id, "fiscal_year": str(t.fiscal_year), "target": s(t.value),
                             "qualifier": _qualifier_text(t.qualifiers), "per": t.per, "source_text": t.source_text,
                             "period_start_fy": s(t.period_start_fy), "baseline": "", "baseline_source": ""}
                            for d in self.indicators for t in d.targets],
            "budgets.csv": [{"issue_id": i, "fiscal_year": str(fy), "kind": k, "amount_million_yen": s(a), "source_text": src}
                            for i, fy, k, a, src in self.budgets],
            "results.csv": [{"indicator_id": r.indicator_id, "fiscal_year": str(r.fiscal_year), "value": s(r.value),
                             "period_value": s(r.period_value), "grade": r.grade, "source_text": r.source_text}
                            for r in self.results],
        }
        return out

    def record(self) -> dict:
        """The JSON of ``policy import --json``."""
        return {
            "fiscal_year": self.fiscal_year,
            "issues": [{"issue_id": i.number, "title": i.title, "strategies": list(i.strategies)} for i in self.issues],
            "indicators": [{"indicator_id": d.indicator_id, "issue_id": d.issue_id, "strategy_no": d.strategy_no,
                            "short_name": d.short_name, "wording": d.wording,
                            "target": (d.target(self.fiscal_year) or (d.targets[-1] if d.targets else None)).value
                            if d.targets else None,
                            "targets": [{"fiscal_year": t.fiscal_year, "target": t.value, "qualifiers": list(t.qualifiers),
                                         "per": t.per, "period_start_fy": t.period_start_fy, "source_text": t.source_text}
                                        for t in d.targets],
                            "unit": d.unit,
                            "qualifiers": list(dict.fromkeys(q for t in d.targets for q in t.qualifiers)),
                            "aggregation": d.aggregation, "direction": d.direction,
                            "period_start_fy": d.period_start_fy, "period_end_fy": d.period_end_fy,
                            "guessed": list(d.guessed)} for d in self.indicators],
            "results": [{"indicator_id": r.indicator_id, "fiscal_year": r.fiscal_year, "value": r.value,
                         "period_value": r.period_value, "grade": r.grade or None, "source_text": r.source_text}
                        for r in self.results],
            "budgets": [{"issue_id": i, "fiscal_year": fy, "kind": k, "amount_million_yen": a, "source_text": src}
                        for i, fy, k, a, src in self.budgets],
            "guesses": [{"indicator_id": g.indicator_id, "field": g.field, "value": g.value, "words": g.words,
                         "text": g.line} for g in self.guesses],
            "problems": list(self.problems),
        }

    def with_choices(self, choices: dict[str, dict[str, str]]) -> Imported:
        """The import with an editor's choices (indicator_id → {aggregation, direction, short_name}) applied."""
        for d in self.indicators:
            for key, value in choices.get(d.indicator_id, {}).items():
                if key == "aggregation" and value not in KINDS:
                    raise ValueError(f"{d.indicator_id}: 集計方法「{value}」は使えません（{', '.join(KINDS)}）")
                if key == "direction" and value not in DIRECTIONS:
                    raise ValueError(f"{d.indicator_id}: 方向「{value}」は使えません（{', '.join(DIRECTIONS)}）")
                if key == "short_name" and not str(value).strip():
                    raise ValueError(f"{d.indicator_id}: 指標名（短い名前）が空です")
                if key in ("aggregation", "direction", "short_name"):
                    setattr(d, key, str(value).strip())
        return self


def _guess_line(d: IndicatorDraft, fld: str, value: str, words: str) -> str:
    what = {"aggregation": "集計方法", "direction": "方向", "short_name": "指標名（短い名前）", "strategy_no": "主な戦略"}[fld]
    shown = {"aggregation": lambda v: f"{v}（{KINDS[v].label}）" if v in KINDS else v,
             "direction": lambda v: f"{v}（{DIRECTIONS[v].label}）" if v in DIRECTIONS else v}.get(fld, lambda v: v)(value)
    why = f"「{words}」から推定" if words else "手がかりとなる語がないため既定値"
    return f"{d.indicator_id}「{d.wording}」: {what}を {shown} としました（{why}）。確認してください。"


def parse(text: str, fy: int, dept_name: str | None = None) -> Imported:
    """Read a published 運営方針 (see the module docstring); ImportRefused when nothing of one is found."""
    if not text.strip():
        raise ImportRefused("テキストが空です")
    doc = read_document(text)
    if not doc.issues:
        raise ImportRefused("経営課題（「経営課題1 …」または「【経営課題1】…」の行）が見つかりません。"
                            "公開されている運営方針の本文をそのまま貼り付けてください")
    problems: list[str] = []
    stated = LEADING_YEAR.match(norm(doc.title))
    if stated and reiwa(stated.group(1)) != fy:
        problems.append(f"本文の年度（{fiscal.fy_label(reiwa(stated.group(1)))}）と指定の年度（{fiscal.fy_label(fy)}）が違います")
    department = dept_name or _department_of(doc.title)
    texts = [("title", "名称", doc.title), ("department", "所属", department)]
    if doc.head:
        texts.append(("head", "所属長", doc.head))
    texts.append(("fiscal_year", "年度", str(fy)))
    texts += [("goal", "目標", "".join(doc.goal)), ("mission", "使命", "".join(doc.mission)),
              ("approach", doc.approach_label or "所属運営の基本的な考え方", "\n".join(doc.approach))]
    if doc.self_evaluation:
        texts.append(("self_evaluation", "自己評価", "\n".join(doc.self_evaluation)))
    if doc.future_policy:
        texts.append(("future_policy", "今後の方針", "\n".join(doc.future_policy)))
    texts.append(("source", "出典", doc.title))

    indicators: list[IndicatorDraft] = []
    guesses: list[Guess] = []
    results: list[ResultRow] = []
    budgets = []
    seen_issues: set[str] = set()
    for issue in doc.issues:
        if issue.number in seen_issues:
            problems.append(f"経営課題{issue.number}が重複しています")
        seen_issues.add(issue.number)
        for bfy, kind, amount, src in issue.budgets:
            budgets.append((issue.number, bfy, kind, _number(amount), src))
        sts = statements(issue.chunks, issue.strategies)
        if not sts:
            problems.append(f"経営課題{issue.number}: アウトカム指標が見つかりません")
        if not issue.strategies:
            problems.append(f"経営課題{issue.number}: 主な戦略が見つかりません")
        own: list[IndicatorDraft] = []
        by_order = not any(s.label for s in sts) and len(sts) == len(issue.strategies) > 1
        for n, st in enumerate(sts, start=1):
            if by_order:
                no, guessed = n, True
            else:
                no, guessed = _strategy_for(st.label, issue.strategies)
            d = indicator_from(st, issue.number, n, str(no or ""), fy, problems)
            if guessed and no:
                d.guessed.append("strategy_no")
                words = st.label or "記載順"
                guesses.append(Guess(d.indicator_id, "strategy_no", str(no), words,
                                     _guess_line(d, "strategy_no", f"{no}「{issue.strategies[no - 1]}」", words)))
            for fld in ("short_name", "aggregation", "direction"):
                words = d.words.get(fld, "")
                guesses.append(Guess(d.indicator_id, fld, getattr(d, fld), words, _guess_line(d, fld, getattr(d, fld), words)))
            own.append(d)
        indicators.extend(own)
        for key, lines in issue.results.items():
            rfy = int(key.split(":")[1]) if key.startswith("current:") else (doc.results_year or fy) - 1
            if len(lines) != len(own):
                problems.append(f"経営課題{issue.number}: {fiscal.fy_label(rfy)}の実績の行数（{len(lines)}）が"
                                f"アウトカム指標の数（{len(own)}）と違います（記載順に対応づけました）")
            for d, line in zip(own, lines):
                r = result_from(line, d.indicator_id, rfy)
                if r is not None:
                    if key == "previous":
                        r.grade = ""
                    results.append(r)
    return Imported(fy, texts, doc.issues, indicators, budgets, results, guesses, problems)


def _department_of(title: str) -> str:
    name = re.sub(rf"^\s*{_ERA}\s*[0-9０-９]+\s*年度\s*", "", title)
    name = re.sub(r"\s*運営方針.*$", "", name)
    return name.strip() or title


# --- writing -----------------------------------------------------------------------------------------------------

def csv_bytes(rows: list[dict[str, str]], columns: tuple[str, ...]) -> bytes:
    """UTF-8 with BOM (Excel opens it as UTF-8), as the bundled data/ files are read."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def files(imp: Imported) -> dict[str, bytes]:
    """The policy folder's files: name → content (optional files only when the text has rows for them)."""
    rows = imp.rows()
    return {name: csv_bytes(rows[name], cols) for name, cols in COLUMNS.items()
            if rows[name] or name not in OPTIONAL_FILES}


def folder_refusal(out: Path) -> str | None:
    """Why ``out`` may not receive an import (None = it may): an existing non-empty folder is never overwritten."""
    if out.exists() and not out.is_dir():
        return f"{out} はフォルダではありません"
    if out.is_dir() and any(out.iterdir()):
        return f"{out} は空ではありません（既存の運営方針を上書きしないため、新しいフォルダか空のフォルダを指定してください）"
    return None


def write_folder(imp: Imported, out: Path) -> list[Path]:
    """Write the policy CSVs into ``out`` (created; refused when it exists and is not empty); the paths written."""
    refusal = folder_refusal(out)
    if refusal:
        raise ImportRefused(refusal)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files(imp).items():
        path = out / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
        written.append(path)
    return written


# --- a department's folder under the data root (the page) -------------------------------------------------------

NEW_DEPARTMENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # stricter than kpi.departments.ID_PATTERN: lower case only


def stated_year(text: str) -> int | None:
    """The fiscal year the title states (「令和6年度みなと架空区運営方針」 → 2024), else None."""
    for line in text.splitlines():
        n = norm(clean(line))
        if "運営方針" in n:
            m = LEADING_YEAR.match(n)
            return reiwa(m.group(1)) if m else None
    return None


def department_folder(root: Path, dept_id: str, fy: int) -> Path:
    """``<root>/<dept_id>/<fy>/`` for a save; ImportRefused (in Japanese) when it may not receive one."""
    if (root / "policy.csv").exists():
        raise ImportRefused(f"参照データのフォルダ（{root}）は所属ひとつの運営方針のフォルダです。所属ごとのフォルダ"
                            "（<データのフォルダ>/<所属ID>/<年度>/）に切り替えてから取り込んでください（README 参照）")
    if not NEW_DEPARTMENT_ID.match(dept_id or ""):
        raise ImportRefused(f"所属ID「{dept_id}」は使えません（半角の英小文字・数字・「-」「_」、先頭は英小文字か数字、64文字まで）")
    if not 2000 <= fy <= 2100:
        raise ImportRefused(f"年度 {fy} は西暦の年度ではありません（例 2025 = 令和7年度）")
    out = root / dept_id / str(fy)
    refusal = folder_refusal(out)
    if refusal:
        raise ImportRefused(f"所属「{dept_id}」の{fiscal.fy_label(fy)}の運営方針はすでにあります（{out}）。上書きはしません")
    return out


def archive(imp: Imported) -> bytes:
    """The policy folder's files as one ZIP (to download instead of saving)."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files(imp).items():
            z.writestr(name, content)
    return buf.getvalue()
