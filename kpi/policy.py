"""The 運営方針 as data: load and validate the reference CSVs of a data folder.

Nothing here knows how many 経営課題 or indicators there are, or their IDs: every
fact comes from the CSV files, so another year's or department's policy loads by
pointing ``KPI_DATA_DIR`` at another folder.
"""
from __future__ import annotations

import csv
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kpi import fiscal
from kpi import text as text_rule
from kpi.kinds import DIRECTIONS, KINDS, QUALIFIER_SEP, QUALIFIERS

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SETTLEMENT = "決算"
BUDGET = "予算"
BUDGET_KINDS = (SETTLEMENT, BUDGET)


ERROR, WARNING = "エラー", "注意"


@dataclass(frozen=True)
class Problem:
    """One problem of the reference data, located: file, row (as Excel numbers it: header = 1) and column."""

    file: str
    row: int | None  # None = the file as a whole
    column: str | None
    message: str
    level: str = ERROR  # エラー (the data cannot be used) or 注意 (works, but probably not what was meant)
    department: str = ""  # under a root of departments: which one (its folder name) …
    fiscal_year: int | None = None  # … and which year's folder

    @property
    def text(self) -> str:
        where = self.file + (f" {self.row}行目" if self.row else "") + (f" {self.column}" if self.column else "")
        if self.department:
            year = f"・{fiscal.fy_label(self.fiscal_year)}（{self.department}/{self.fiscal_year}）" if self.fiscal_year else ""
            where = f"所属 {self.department}{year} {where}".rstrip()
        return f"{where}: {self.message}"

    def __str__(self) -> str:
        return f"{self.level}: {self.text}"

    def record(self) -> dict:
        """The JSON shape of check-data --json (department and fiscal_year only under a root of departments)."""
        out = asdict(self) | {"text": self.text}
        if not self.department:
            del out["department"], out["fiscal_year"]
        return out


class PolicyError(ValueError):
    """The reference data is unusable; ``problems`` lists each one, located, in Japanese."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(p.text for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Target:
    fiscal_year: int  # the target's year; for a period target, the period's LAST year
    value: float
    qualifier: str  # a set of kpi.kinds.QUALIFIERS joined by 「・」 in the order written (累計・以上), or ""
    per: str  # 年, 月 or ""
    source_text: str
    period_start_fy: int | None = None  # set: the target covers period_start_fy..fiscal_year (R4〜R6合計)
    baseline: float | None = None  # the starting point the policy states (令和6年度末 1,500件)
    baseline_source: str = ""  # its words, as written

    @property
    def qualifiers(self) -> tuple[str, ...]:
        """The qualifiers in the order written: 累計・以上 → ("累計", "以上")."""
        return tuple(q for q in (x.strip() for x in self.qualifier.split(QUALIFIER_SEP)) if q)

    @property
    def period(self) -> tuple[int, int] | None:
        """(first FY, last FY) of a target over several years; None for a one-year target."""
        return (self.period_start_fy, self.fiscal_year) if self.period_start_fy is not None else None

    def covers(self, fy: int) -> bool:
        first, last = self.period or (self.fiscal_year, self.fiscal_year)
        return first <= fy <= last


@dataclass(frozen=True)
class PublishedResult:
    """A result the city published (results.csv): the year's own figure, the period's, the grade and the line as written."""

    value: float | None
    period_value: float | None = None
    grade: str = ""  # A / B or ""
    source_text: str = ""


@dataclass(frozen=True)
class Checkpoint:
    """An interim target: the value the indicator should have reached by the end of ``month``."""

    month: str  # YYYY-MM
    value: float
    source_text: str = ""


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    issue_id: str
    strategy: str
    short_name: str
    wording: str
    unit: str
    aggregation: str
    direction: str
    period: tuple[int, int] | None
    targets: dict[int, Target] = field(default_factory=dict)
    checkpoints: tuple[Checkpoint, ...] = ()  # every year's, by month

    def target(self, fy: int) -> Target | None:
        """The year's own target; else the period target whose years cover ``fy`` (the nearest ending one)."""
        own = self.targets.get(fy)
        if own is not None:
            return own
        covering = [t for t in self.targets.values() if t.covers(fy)]
        return min(covering, key=lambda t: t.fiscal_year) if covering else None

    def target_years(self) -> set[int]:
        """Every fiscal year some target of the indicator covers (a period target: each year of its period)."""
        years: set[int] = set()
        for t in self.targets.values():
            first, last = t.period or (t.fiscal_year, t.fiscal_year)
            years.update(range(first, last + 1))
        return years

    def checkpoints_in(self, fy: int) -> tuple[Checkpoint, ...]:
        return tuple(c for c in self.checkpoints if fiscal.fy_of_month(c.month) == fy)


@dataclass(frozen=True)
class Issue:
    issue_id: str
    title: str
    short_title: str
    recognition: str
    strategies: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"経営課題{self.issue_id}"


@dataclass(frozen=True)
class Budget:
    issue_id: str
    fiscal_year: int
    kind: str  # 決算 or 予算
    amount: float  # 百万円
    source_text: str


@dataclass(frozen=True)
class Policy:
    texts: dict[str, tuple[str, str]]  # field -> (label, text)
    issues: dict[str, Issue]
    indicators: dict[str, Indicator]
    budgets: tuple[Budget, ...]
    data_dir: Path
    results: dict[tuple[str, int], PublishedResult] = field(default_factory=dict)  # (indicator_id, FY) -> published

    @property
    def fiscal_year(self) -> int:
        return int(self.texts["fiscal_year"][1])

    def text(self, key: str) -> str:
        return self.texts.get(key, ("", ""))[1]

    def target_years(self) -> list[int]:
        """Every fiscal year some indicator's target covers (each year of a period target), ascending."""
        return sorted({fy for ind in self.indicators.values() for fy in ind.target_years()})

    def indicators_of(self, issue_ids: list[str] | None = None) -> list[Indicator]:
        keep = set(issue_ids) if issue_ids else set(self.issues)
        return [ind for ind in self.indicators.values() if ind.issue_id in keep]


def data_dir() -> Path:
    return Path(os.environ.get("KPI_DATA_DIR") or DEFAULT_DATA_DIR)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(fh)]


class _Rows:
    """Reads one reference CSV and collects problems naming file, row and column."""

    def __init__(self, folder: Path, name: str, required: tuple[str, ...], problems: list[Problem], optional: bool = False):
        self.name = name
        self.problems = problems
        path = folder / name
        self.rows: list[dict[str, str]] = []
        if not path.exists():
            if not optional:
                problems.append(Problem(name, None, None, f"ファイルがありません（{folder}）"))
            return
        try:
            self.rows = _read(path)
        except (UnicodeDecodeError, csv.Error) as exc:
            reason = (f"CSV として読めません（{exc}）" if isinstance(exc, csv.Error)
                      else "UTF-8 で読めません（Excel では「CSV UTF-8」で保存してください）")
            problems.append(Problem(name, None, None, reason))
            self.rows = []
            return
        missing = [c for c in required if self.rows and c not in self.rows[0]]
        if missing:
            problems.append(Problem(name, None, None, f"必要な列がありません: {', '.join(missing)}"))
            self.rows = []
            return
        self._check_text()

    def _check_text(self) -> None:
        """Every cell by the one text rule (kpi.text): NFC, no control or non-characters, a bounded length."""
        field = text_rule.FIELDS["policy.cell"]
        for line, row in self:
            for column, value in row.items():
                value = row[column] = text_rule.normalise(value)
                why = text_rule.problem(value, field)
                if why:
                    self.problem(line, column, why.replace(field.label, f"「{column}」列の値", 1))

    def __iter__(self):
        # Row 1 is the header, as Excel numbers it.
        return iter(enumerate(self.rows, start=2))

    def problem(self, line: int, column: str, message: str) -> None:
        self.problems.append(Problem(self.name, line, column, message))

    def number(self, line: int, row: dict[str, str], column: str) -> float | None:
        raw = row.get(column, "").replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.problem(line, column, f"「{row.get(column, '')}」は数値ではありません")
            return None
        return value

    def year(self, line: int, row: dict[str, str], column: str, required: bool = True) -> int | None:
        raw = row.get(column, "")
        if not raw and not required:
            return None
        if raw.isdigit() and 1900 < int(raw) < 2200:
            return int(raw)
        self.problem(line, column, f"「{raw}」は西暦の年度ではありません" if raw else "年度がありません")
        return None


def load_policy(folder: Path | None = None) -> Policy:
    """Load and validate a data folder; raise PolicyError listing every problem."""
    folder = Path(folder) if folder else data_dir()
    problems: list[Problem] = []
    texts = {r["field"]: (r.get("label", ""), r.get("text", "")) for _, r in _Rows(folder, "policy.csv", ("field", "text"), problems)}
    if "fiscal_year" not in texts and not problems:
        problems.append(Problem("policy.csv", None, None, "fiscal_year（対象年度）の行がありません"))

    strategies: dict[tuple[str, str], str] = {}
    for _, r in _Rows(folder, "strategies.csv", ("issue_id", "strategy_no", "strategy"), problems):
        strategies[(r["issue_id"], r["strategy_no"])] = r["strategy"]

    issues: dict[str, Issue] = {}
    rows = _Rows(folder, "issues.csv", ("issue_id", "title"), problems)
    for line, r in rows:
        iid = r["issue_id"]
        if not iid:
            rows.problem(line, "issue_id", "経営課題の番号がありません")
            continue
        if iid in issues:
            rows.problem(line, "issue_id", f"経営課題 {iid} が重複しています")
            continue
        own = tuple(s for (i, _), s in sorted(strategies.items(), key=lambda kv: (kv[0][0], _num(kv[0][1]))) if i == iid)
        issues[iid] = Issue(iid, r["title"], r.get("short_title") or r["title"], r.get("recognition", ""), own)

    targets: dict[str, dict[int, Target]] = {}
    trows = _Rows(folder, "targets.csv", ("indicator_id", "fiscal_year", "target"), problems)
    for line, r in trows:
        fy = trows.year(line, r, "fiscal_year")
        value = trows.number(line, r, "target")
        if fy is None or value is None:
            continue
        per_id = targets.setdefault(r["indicator_id"], {})
        if fy in per_id:
            trows.problem(line, "fiscal_year", f"{r['indicator_id']} の{fy}年度の目標が重複しています")
        start = trows.year(line, r, "period_start_fy", required=False)
        if start is not None and start > fy:
            trows.problem(line, "period_start_fy", f"期間の初年度（{start}年度）が目標の年度（{fy}年度、期間の最終年度）より後です")
            continue
        baseline = trows.number(line, r, "baseline") if r.get("baseline") else None
        per_id[fy] = Target(fy, value, _qualifier(trows, line, r.get("qualifier", "")), r.get("per", ""), r.get("source_text", ""),
                            start if start is not None and start < fy else None, baseline, r.get("baseline_source", ""))

    own_checkpoints = _checkpoints(folder, targets, problems)
    indicators: dict[str, Indicator] = {}
    irows = _Rows(folder, "indicators.csv", ("indicator_id", "issue_id", "short_name", "unit", "aggregation", "direction"), problems)
    for line, r in irows:
        iid = r["indicator_id"]
        ok = True
        if not iid:
            irows.problem(line, "indicator_id", "指標IDがありません")
            continue
        if iid in indicators:
            irows.problem(line, "indicator_id", f"指標ID {iid} が重複しています")
            ok = False
        if r["issue_id"] not in issues:
            irows.problem(line, "issue_id", f"経営課題「{r['issue_id']}」は issues.csv にありません")
            ok = False
        if r["aggregation"] not in KINDS:
            irows.problem(line, "aggregation", f"集計方法「{r['aggregation']}」は使えません（{', '.join(KINDS)}）")
            ok = False
        if r["direction"] not in DIRECTIONS:
            irows.problem(line, "direction", f"方向「{r['direction']}」は使えません（{', '.join(DIRECTIONS)}）")
            ok = False
        start = irows.year(line, r, "period_start_fy", required=False)
        end = irows.year(line, r, "period_end_fy", required=False)
        if not ok:
            continue
        own_targets = targets.get(iid, {})
        years = sorted(own_targets)
        period = None
        if start or end:
            period = (start or (years[0] if years else end), end or (years[-1] if years else start))
        starts = [t.period_start_fy for t in own_targets.values() if t.period_start_fy is not None]
        if starts:  # a target over several years: the indicator's span reaches back to its first year
            first = min(starts)
            period = (min(first, period[0]), period[1]) if period else (first, years[-1])
        strategy = strategies.get((r["issue_id"], r.get("strategy_no", "")), r.get("strategy", ""))
        indicators[iid] = Indicator(
            iid, r["issue_id"], strategy, r["short_name"], r.get("wording") or r["short_name"], r["unit"],
            r["aggregation"], r["direction"], period, dict(own_targets), own_checkpoints.get(iid, ()),
        )
    listed = {r["indicator_id"] for _, r in irows}  # a row refused above is reported there, not again here
    for line, r in trows:
        if r["indicator_id"] not in listed and irows.rows:
            trows.problem(line, "indicator_id", f"指標ID「{r['indicator_id']}」は indicators.csv にありません")

    budgets: list[Budget] = []
    brows = _Rows(folder, "budgets.csv", ("issue_id", "fiscal_year", "kind", "amount_million_yen"), problems, optional=True)
    for line, r in brows:
        fy = brows.year(line, r, "fiscal_year")
        amount = brows.number(line, r, "amount_million_yen")
        if r["issue_id"] not in issues:
            brows.problem(line, "issue_id", f"経営課題「{r['issue_id']}」は issues.csv にありません")
            continue
        if r["kind"] not in BUDGET_KINDS:
            brows.problem(line, "kind", f"種別「{r['kind']}」は使えません（決算 または 予算）")
            continue
        if fy is not None and amount is not None:
            budgets.append(Budget(r["issue_id"], fy, r["kind"], amount, r.get("source_text", "")))

    results = _results(folder, listed, problems)
    if problems:
        raise PolicyError(problems)
    return Policy(texts, issues, indicators, tuple(budgets), folder, results)


RESULTS = "results.csv"


def _qualifier(rows: _Rows, line: int, text: str) -> str:
    """The qualifier set as written, each one checked against kpi.kinds.QUALIFIERS (an unknown one is refused)."""
    parts = [q.strip() for q in text.split(QUALIFIER_SEP)]
    unknown = [q for q in parts if q and q not in QUALIFIERS]
    if unknown:
        rows.problem(line, "qualifier", f"修飾語「{'・'.join(unknown)}」は使えません（{'・'.join(QUALIFIERS)} を「・」でつないで書きます）")
    return QUALIFIER_SEP.join(q for q in parts if q and q in QUALIFIERS)


def _results(folder: Path, listed: set[str], problems: list[Problem]) -> dict[tuple[str, int], PublishedResult]:
    """The optional published results (results.csv): per indicator and fiscal year, the figures as published."""
    rows = _Rows(folder, RESULTS, ("indicator_id", "fiscal_year", "value"), problems, optional=True)
    out: dict[tuple[str, int], PublishedResult] = {}
    for line, r in rows:
        iid = r["indicator_id"]
        if iid not in listed:
            rows.problem(line, "indicator_id", f"指標ID「{iid}」は indicators.csv にありません")
            continue
        fy = rows.year(line, r, "fiscal_year")
        value = rows.number(line, r, "value") if r.get("value") else None
        period_value = rows.number(line, r, "period_value") if r.get("period_value") else None
        grade = r.get("grade", "")
        if grade and grade not in ("A", "B"):
            rows.problem(line, "grade", f"評価「{grade}」は A か B で書きます（空欄も可）")
            continue
        if fy is None or (r.get("value") and value is None) or (r.get("period_value") and period_value is None):
            continue
        if (iid, fy) in out:
            rows.problem(line, "fiscal_year", f"{iid} の{fy}年度の公表実績が重複しています")
            continue
        out[(iid, fy)] = PublishedResult(value, period_value, grade, r.get("source_text", ""))
    return out


CHECKPOINTS = "checkpoints.csv"


def _checkpoints(folder: Path, targets: dict[str, dict[int, Target]], problems: list[Problem]) -> dict[str, tuple[Checkpoint, ...]]:
    """The optional interim targets: per indicator, its checkpoints in month order.

    A checkpoint must name an indicator with a target in the checkpoint's fiscal year, a
    ``YYYY-MM`` month and a number; each refusal names file, row and column.
    """
    rows = _Rows(folder, CHECKPOINTS, ("indicator_id", "month", "value"), problems, optional=True)
    out: dict[str, dict[str, Checkpoint]] = {}
    for line, r in rows:
        iid, month = r["indicator_id"], r["month"]
        if iid not in targets:
            rows.problem(line, "indicator_id", f"指標ID「{iid}」には targets.csv に目標がありません（中間目標を付けられません）")
            continue
        try:
            fy = fiscal.fy_of_month(month)
        except ValueError:
            rows.problem(line, "month", f"「{month}」は YYYY-MM 形式の年月ではありません（例: 2025-09）")
            continue
        covered = {y for t in targets[iid].values() for y in range(t.period_start_fy or t.fiscal_year, t.fiscal_year + 1)}
        if fy not in covered:
            years = "・".join(fiscal.fy_label(y) for y in sorted(covered))
            rows.problem(line, "month", f"{fiscal.month_label(month)}は{iid} の目標のある年度（{years}）の外です")
            continue
        value = rows.number(line, r, "value")
        if value is None:
            continue
        if month in out.setdefault(iid, {}):
            rows.problem(line, "month", f"{iid} の{fiscal.month_label(month)}の中間目標が重複しています")
            continue
        out[iid][month] = Checkpoint(month, value, r.get("source_text", ""))
    return {iid: tuple(c for _, c in sorted(by_month.items())) for iid, by_month in out.items()}


def _num(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("inf")
