"""``python -m kpi check-data``: validate a folder of reference CSVs before the app uses it.

Every check of ``kpi.policy.load_policy`` (the rules the app itself refuses to start
without) plus consistency checks that loading does not need but a new year's policy
should pass. Each problem names the file, the row (as Excel numbers it: the header is
row 1) and the column, in Japanese.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kpi.departments import ID_PATTERN as DEPARTMENT_ID
from kpi.departments import ID_RULE, YEAR_RULE, folder_year, id_key
from kpi.kinds import KINDS
from kpi.policy import BUDGET_KINDS, ERROR, WARNING, Policy, PolicyError, Problem, _read, data_dir, load_policy

__all__ = ["ERROR", "WARNING", "Problem", "check_data", "errors"]


def _rows(folder: Path, name: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV numbered as Excel does; [] when the file is missing or unreadable (load_policy reports that)."""
    try:
        return list(enumerate(_read(folder / name), start=2))
    except (OSError, UnicodeDecodeError, ValueError):
        return []


def _year(text: str) -> int | None:
    return folder_year(text)


def _raw_checks(folder: Path) -> list[Problem]:
    """Checks on the raw rows that hold whether or not the policy loads."""
    out: list[Problem] = []

    seen: dict[tuple[str, str], int] = {}
    for line, r in _rows(folder, "budgets.csv"):
        key = (r.get("issue_id", ""), r.get("fiscal_year", ""))
        if key in seen and r.get("kind") in BUDGET_KINDS:
            out.append(Problem("budgets.csv", line, "fiscal_year",
                               f"経営課題{key[0]}の{key[1]}年度の金額が重複しています（{seen[key]}行目と同じ）"))
        seen.setdefault(key, line)
        amount = r.get("amount_million_yen", "").replace(",", "")
        try:
            if float(amount) < 0:
                out.append(Problem("budgets.csv", line, "amount_million_yen", f"金額「{amount}」が負の値です", WARNING))
        except ValueError:
            pass  # load_policy reports it

    for line, r in _rows(folder, "indicators.csv"):
        start, end = _year(r.get("period_start_fy", "")), _year(r.get("period_end_fy", ""))
        if start and end and start > end:
            out.append(Problem("indicators.csv", line, "period_end_fy",
                               f"{r.get('indicator_id', '')} の期間の終わり（{end}年度）が始まり（{start}年度）より前です"))
        if "short_name" in r and not r["short_name"] and r.get("indicator_id"):
            out.append(Problem("indicators.csv", line, "short_name", f"{r['indicator_id']} の指標名がありません"))

    for line, r in _rows(folder, "policy.csv"):
        if r.get("field") == "fiscal_year" and _year(r.get("text", "")) is None:
            out.append(Problem("policy.csv", line, "text", f"対象年度「{r.get('text', '')}」は西暦の年度ではありません（例: 2026）"))
    return out


def _policy_checks(policy: Policy) -> list[Problem]:
    """Checks that need the loaded policy: consistency between the files."""
    out: list[Problem] = []
    target_lines = {(r.get("indicator_id", ""), r.get("fiscal_year", "")): line for line, r in _rows(policy.data_dir, "targets.csv")}
    indicator_lines = {r.get("indicator_id", ""): line for line, r in _rows(policy.data_dir, "indicators.csv")}
    strategies = {(r.get("issue_id", ""), r.get("strategy_no", "")) for _, r in _rows(policy.data_dir, "strategies.csv")}
    for ind in policy.indicators.values():
        line = indicator_lines.get(ind.indicator_id)
        if not ind.targets:
            out.append(Problem("indicators.csv", line, "indicator_id",
                               f"{ind.indicator_id} には targets.csv に目標がありません（どの年度にも表示されません）", WARNING))
        if ind.period:
            for fy in ind.targets:
                if not ind.period[0] <= fy <= ind.period[1]:
                    out.append(Problem("targets.csv", target_lines.get((ind.indicator_id, str(fy))), "fiscal_year",
                                       f"{ind.indicator_id} の目標の年度 {fy} が指標の期間（{ind.period[0]}〜{ind.period[1]}年度）の外です"))
        for fy, t in ind.targets.items():
            if t.baseline is not None and not KINDS[ind.aggregation].carries:
                out.append(Problem("targets.csv", target_lines.get((ind.indicator_id, str(fy))), "baseline",
                                   f"{ind.indicator_id} は{KINDS[ind.aggregation].label}の指標なので起点（baseline）は使いません"
                                   "（起点は最新月の値・進捗の指標の想定ペースの始まりです）", WARNING))
        if KINDS[ind.aggregation].milestone:
            for fy, t in ind.targets.items():
                if t.value != 100:
                    out.append(Problem("targets.csv", target_lines.get((ind.indicator_id, str(fy))), "target",
                                       f"{ind.indicator_id} は進捗（milestone）の指標なので目標は 100（完了）です（「{t.value:g}」）", WARNING))
    for line, r in _rows(policy.data_dir, "indicators.csv"):
        no = r.get("strategy_no", "")
        if no and (r.get("issue_id", ""), no) not in strategies:
            out.append(Problem("indicators.csv", line, "strategy_no",
                               f"戦略「{r.get('issue_id', '')}-{no}」は strategies.csv にありません", WARNING))
    if policy.fiscal_year not in policy.target_years():
        line = next((ln for ln, r in _rows(policy.data_dir, "policy.csv") if r.get("field") == "fiscal_year"), None)
        out.append(Problem("policy.csv", line, "text", f"対象年度 {policy.fiscal_year} の目標が targets.csv にありません", WARNING))
    for iid in policy.issues:
        if not policy.indicators_of([iid]):
            line = next((ln for ln, r in _rows(policy.data_dir, "issues.csv") if r.get("issue_id") == iid), None)
            out.append(Problem("issues.csv", line, "issue_id", f"経営課題{iid}には指標がありません", WARNING))
    return out


def check_data(folder: Path | str | None = None) -> list[Problem]:
    """Every problem of the reference CSVs in ``folder`` (default: KPI_DATA_DIR or data/), errors first.

    ``folder`` is one policy folder, or a root of ``<department>/<year>/`` folders: then every year of
    every department is checked, each problem naming its department and year as well.
    """
    folder = Path(folder) if folder else data_dir()
    if not (folder / "policy.csv").exists() and folder.is_dir():
        return _check_root(folder)
    return _check_folder(folder)


def _check_root(root: Path) -> list[Problem]:
    problems: list[Problem] = []
    found = False
    keys: dict[str, str] = {}  # id_key → the first ID that has it
    names: dict[str, str] = {}  # display name → the first ID that has it
    for dept in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not DEPARTMENT_ID.match(dept.name):
            problems.append(Problem(dept.name, None, None, ID_RULE, department=dept.name))
            continue
        other = keys.setdefault(id_key(dept.name), dept.name)
        if other != dept.name:
            problems.append(Problem(dept.name, None, None, f"所属ID「{dept.name}」は「{other}」と大文字・小文字や -・_ だけが違います。"
                                    "取り違えのもとになるので、別の名前にしてください", department=dept.name))
        years = [y for y in sorted(dept.iterdir()) if y.is_dir() and not y.name.startswith(".")]
        if not years:
            problems.append(Problem("", None, None, "年度のフォルダ（例: 2026/）がありません", WARNING, department=dept.name))
        newest = max((y for y in years if folder_year(y.name) and (y / "policy.csv").exists()), key=lambda y: y.name, default=None)
        line, name = next(((ln, r.get("text", "")) for ln, r in _rows(newest, "policy.csv") if r.get("field") == "department"),
                          (None, "")) if newest else (None, "")
        if name:
            first = names.setdefault(name, dept.name)
            if first != dept.name:
                problems.append(Problem("policy.csv", line, "text", f"所属名「{name}」は所属「{first}」と同じです。"
                                        "一覧で見分けられるよう、所属ごとに違う名前にしてください",
                                        department=dept.name, fiscal_year=folder_year(newest.name)))
        for year in years:
            fy = folder_year(year.name)
            if fy is None:
                problems.append(Problem(year.name, None, None, YEAR_RULE, department=dept.name))
                continue
            if not (year / "policy.csv").exists():
                problems.append(Problem("policy.csv", None, None, "ファイルがありません（この年度のフォルダは読み込まれません）", WARNING,
                                        department=dept.name, fiscal_year=fy))
                continue
            found = True
            for p in _check_folder(year):
                problems.append(replace(p, department=dept.name, fiscal_year=fy))
            declared = next((r.get("text", "") for _, r in _rows(year, "policy.csv") if r.get("field") == "fiscal_year"), "")
            if folder_year(declared) and int(declared) != fy:
                line = next((ln for ln, r in _rows(year, "policy.csv") if r.get("field") == "fiscal_year"), None)
                problems.append(Problem("policy.csv", line, "text", f"対象年度 {declared} がフォルダの年度 {fy} と違います",
                                        department=dept.name, fiscal_year=fy))
    if not found:
        problems.append(Problem("", None, None, f"{root} には policy.csv も、<所属>/<年度>/ のフォルダもありません"))
    return sorted(dict.fromkeys(problems), key=lambda p: (p.level != ERROR, p.department, p.fiscal_year or 0, p.file, p.row or 0))


def _check_folder(folder: Path) -> list[Problem]:
    problems: list[Problem] = []
    policy = None
    try:
        policy = load_policy(folder)
    except PolicyError as exc:
        problems += exc.problems
    except (ValueError, KeyError) as exc:  # a shape load_policy does not anticipate
        problems.append(Problem("", None, None, f"読み込めません: {exc}"))
    problems += _raw_checks(folder)
    if policy is not None:
        try:
            problems += _policy_checks(policy)
        except ValueError:
            pass  # policy.csv's fiscal_year is not a number: reported by _raw_checks
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.level != ERROR, p.file, p.row or 0))


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == ERROR]


def add_parser(sub) -> None:
    """The ``check-data`` subcommand's arguments (called by kpi.cli.build_parser)."""
    c = sub.add_parser("check-data", help="参照データ（運営方針の CSV。所属と年度のフォルダのルートなら全部）の検査")
    c.add_argument("--data", type=Path, default=None, help="検査するフォルダ（既定: KPI_DATA_DIR または data/）")
    c.add_argument("--json", action="store_true")


def cmd_check_data(args, policy=None, store=None) -> int:
    """Exit 0 when the folder has no error (注意 alone is fine), 1 otherwise; needs no loadable policy."""
    import json
    import sys

    folder = Path(args.data) if args.data else data_dir()
    problems = check_data(folder)
    bad = errors(problems)
    if args.json:
        print(json.dumps({"ok": not bad, "folder": str(folder), "errors": len(bad), "warnings": len(problems) - len(bad),
                          "problems": [p.record() for p in problems]}, ensure_ascii=False, indent=1))
    else:
        for p in problems:
            print(str(p), file=sys.stderr if p.level == ERROR else sys.stdout)
        if bad:
            print(f"{folder}: エラー {len(bad)}件、注意 {len(problems) - len(bad)}件 — このままでは使えません", file=sys.stderr)
        else:
            print(f"{folder}: 問題はありません" + (f"（注意 {len(problems)}件）" if problems else ""))
    return 1 if bad else 0
