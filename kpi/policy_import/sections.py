"""Reading a published 運営方針 into its parts (:class:`Document`): the title and head, 目標 / 使命 / 基本的な考え方,
and per 経営課題 its 課題認識, 主な戦略, the アウトカム指標 cells (as :class:`Chunk` runs of phrases), the budgets and the
published results.

Two published forms are read:

* the table export of the 運営方針 様式 (tab-separated rows whose cells carry ``<p>``/``<ul>`` fragments,
  「経営課題N …」 rows, 「5決算額 87百万円」 budget rows), and
* the city's web page (【目標】【使命】【…基本的な考え方】【経営課題N】, then 課題認識 / 主な戦略 / アウトカム指標 /
  アウトカム指標の達成状況（定量評価） ＜N年度実績と達成状況＞ ＜前年度実績＞ / 自己評価 / 今後の方針, one 「・」 item a line).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from kpi.policy import BUDGET, SETTLEMENT
from kpi.policy_import.figures import ERA, LEADING_YEAR, reiwa
from kpi.policy_import.text import clean, norm, phrases, strip_tags


@dataclass
class Chunk:
    """A run of phrases between hard breaks (a table cell's <ul> group, a <p>, a 「・」 line)."""

    phrases: list[str]
    may_label: bool  # its first phrase may name the strategy (the first item of a <ul> group)


@dataclass
class IssueText:
    """One 経営課題 as written: its number and title, and the lines of each of its parts."""

    number: str
    title: str
    recognition: list[str] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    budgets: list[tuple[int, str, str, str]] = field(default_factory=list)  # (fy, kind, amount text, source)
    results: dict[str, list[str]] = field(default_factory=dict)  # "current:<fy>" / "previous" → lines


@dataclass
class Document:
    """The parts of the whole 運営方針 as written."""

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
_HEAD = re.compile(r"所属長\s*[:：]\s*(.+?)\s*[)）]")
_UL = re.compile(r"<ul\b")

# Headings of the web form that stand on a line of their own (their parenthesised explanation aside).
LINE_HEADINGS = ("目標", "使命", "課題認識", "主な戦略", "アウトカム指標", "アウトカム指標の達成状況", "自己評価", "今後の方針",
                 "重点的に取り組む主な経営課題", "重点的に取り組む経営課題")
# How a heading begins → the part it opens, in the order tried (達成状況 before アウトカム指標 itself).
SECTIONS = (("目標", "goal"), ("使命", "mission"), ("課題認識", "recognition"), ("主な戦略", "strategies"),
            ("アウトカム指標の達成状況", "results"), ("アウトカム指標", "indicators"), ("自己評価", "self_evaluation"),
            ("今後の方針", "future_policy"), ("重点的に取り組む", "skip"))
DOCUMENT_PARTS = ("goal", "mission", "approach")  # whose heading row may carry the text in its other cells


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
    if "基本的な考え方" in key and not key.startswith(("目標", "使命")):
        return "approach"
    return next((kind for prefix, kind in SECTIONS if key.startswith(prefix)), None)


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


@dataclass
class _Reader:
    """The state of reading a document line by line: the 経営課題 and the part being read."""

    doc: Document = field(default_factory=Document)
    issue: IssueText | None = None
    section: str | None = None
    results_key: str = ""
    columns: dict[int, str] = field(default_factory=dict)  # the 様式's result cells: index → "current:<fy>" / "previous"

    def line(self, raw: str) -> None:
        """Read one line: the first of the readers below that takes it, else text of the part being read."""
        if not raw.strip() or re.fullmatch(r"[\s\-|:]+", raw):
            return
        cells = raw.split("\t")
        for reader in (self._title, self._budgets, self._result_head, self._heading, self._result_cells):
            if reader(raw, cells):
                return
        self.add(raw, self.results_key)  # a continuation row (empty first cell) or a line of text

    def add(self, cell: str, results_key: str) -> None:
        """The text of ``cell`` added to the part being read."""
        _add(self.doc, self.issue, self.section, cell, results_key)

    def _title(self, raw: str, cells: list[str]) -> bool:
        """The first line naming a 運営方針 is the title; 「（所属長：…）」 names the head."""
        first = cells[0].strip()
        if not self.doc.title and "運営方針" in norm(clean(first)):
            self.doc.title = clean(first)
            return True
        head = _HEAD.search(raw)
        if head and not self.doc.head:
            self.doc.head = head.group(1).strip()
            return True
        return False

    def _budgets(self, raw: str, cells: list[str]) -> bool:
        """The 様式's 「5決算額 87百万円」 rows of a 経営課題."""
        found = list(_BUDGET.finditer(norm(strip_tags(raw).replace("\t", " "))))
        if not found or self.issue is None:
            return False
        for m in found:
            kind = SETTLEMENT if m.group(2) == "決算額" else BUDGET
            self.issue.budgets.append((reiwa(m.group(1)), kind, m.group(3), f"{m.group(1)}{m.group(2)} {m.group(3)}百万円"))
        return True

    def _result_head(self, raw: str, cells: list[str]) -> bool:
        """The web form's 「＜7年度実績と達成状況＞」 / 「＜前年度実績＞」 lines."""
        if self.issue is None:
            return False
        nraw = norm(raw).strip(" \t・")
        current = _RESULT_HEAD.match(nraw)
        if current:
            self.doc.results_year = reiwa(current.group(1))
            self.results_key, self.section = f"current:{self.doc.results_year}", "results"
            return True
        if _PREVIOUS_HEAD.match(nraw):
            self.results_key, self.section = "previous", "results"
            return True
        return False

    def _heading(self, raw: str, cells: list[str]) -> bool:
        """A heading (「【経営課題1】…」, 「主な戦略」, a 様式 row's label): the part read from here; its other cells, text."""
        first, rest = cells[0].strip(), "\t".join(cells[1:])
        kind = _section(first, own_line=len(cells) == 1) if first else None
        if kind is None:
            return False
        if kind == "issue":
            m = _ISSUE.match(clean(first))
            self.issue = IssueText(str(int(norm(m.group(1)))), m.group(2).strip())
            self.doc.issues.append(self.issue)
            self.section, self.results_key = None, ""
            return True
        self.section = kind
        if kind == "approach":
            self.doc.approach_label = re.sub(r"^【\s*|\s*】$", "", clean(first))
        if kind not in DOCUMENT_PARTS:
            self.results_key = ""
            self.columns = _result_columns(cells) if kind == "results" else {}
            if self.columns:
                self.doc.results_year = next((int(k.split(":")[1]) for k in self.columns.values()
                                              if k.startswith("current:")), None)
        if rest.strip() and kind != "results":  # the 様式's 達成状況 row heads the cells below it
            self.add(rest, self.results_key)
        return True

    def _result_cells(self, raw: str, cells: list[str]) -> bool:
        """The 様式's rows under 「N年度実績と達成状況」 | 「前年度実績」: one line per <p>, in the indicators' order."""
        if not (self.section == "results" and self.columns and self.issue is not None and not cells[0].strip()):
            return False
        for i, key in self.columns.items():
            for part in re.split(r"</?p[^>]*>|<br\s*/?>", cells[i] if i < len(cells) else ""):
                self.add(part, key)
        return True


def read_document(text: str) -> Document:
    """The parts of a published 運営方針, in either form (web page or the 様式's table export)."""
    reader = _Reader()
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        reader.line(raw)
    return reader.doc


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
    """The text of ``cell`` added to ``section`` of the document or of the 経営課題 being read."""
    if section in ("goal", "mission", "self_evaluation", "future_policy"):
        getattr(doc, section).extend(_paragraphs(cell))
    elif section == "approach":
        doc.approach.extend(_list_items(cell) if _UL.search(cell) else _paragraphs(cell))
    elif issue is None:
        return
    elif section == "recognition":
        issue.recognition.extend(_paragraphs(cell))
    elif section == "strategies":
        issue.strategies.extend(_list_items(cell) if _UL.search(cell) else _paragraphs(cell))
    elif section == "indicators":
        issue.chunks.extend(_chunks(cell))
    elif section == "results" and results_key:
        _add_result(issue, cell, results_key)


def _add_result(issue: IssueText, cell: str, results_key: str) -> None:
    """One published result line, as written (「・－」 is kept: it says there is no result)."""
    line = re.sub(r"^[\s・･]+", "", re.sub(r"[ \t\u3000]+", " ", strip_tags(cell))).strip()
    if line and not line.startswith("※"):  # 「※A：達成 B：未達成」 is the legend, not a result
        issue.results.setdefault(results_key, []).append(line)


# --- the title -------------------------------------------------------------------------------------------------

def stated_year(text: str) -> int | None:
    """The fiscal year the title states (「令和6年度みなと架空区運営方針」 → 2024), else None."""
    for line in text.splitlines():
        n = norm(clean(line))
        if "運営方針" in n:
            m = LEADING_YEAR.match(n)
            return reiwa(m.group(1)) if m else None
    return None


def department_of(title: str) -> str:
    """The department a title names (「令和7年度デジタル統括室運営方針」 → 「デジタル統括室」), else the title."""
    name = re.sub(rf"^\s*{ERA}\s*[0-9０-９]+\s*年度\s*", "", title)
    name = re.sub(r"\s*運営方針.*$", "", name)
    return name.strip() or title
