"""The whole import: a published 運営方針's text → :class:`~kpi.policy_import.imported.Imported` (its rows, the
guesses to review, the problems). Reading the text into parts is :mod:`~kpi.policy_import.sections`; the indicators,
guesses and results are their own modules."""
from __future__ import annotations

from kpi import fiscal
from kpi.policy_import.figures import LEADING_YEAR, reiwa
from kpi.policy_import.guesses import Guess, make_guess
from kpi.policy_import.imported import Imported
from kpi.policy_import.indicators import IndicatorDraft, indicator_from
from kpi.policy_import.results import ResultRow, issue_results
from kpi.policy_import.sections import Document, IssueText, department_of, read_document
from kpi.policy_import.statements import Statement, statements, strategy_for
from kpi.policy_import.text import ImportRefused, check_text, norm, number

GUESSED_FIELDS = ("short_name", "aggregation", "direction")  # guessed for every indicator


def parse(text: str, fy: int, dept_name: str | None = None) -> Imported:
    """Read a published 運営方針; ImportRefused when the text is refused (:func:`check_text`) or nothing of one is found."""
    check_text(text)
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
    indicators: list[IndicatorDraft] = []
    guesses: list[Guess] = []
    results: list[ResultRow] = []
    seen: set[str] = set()
    for issue in doc.issues:
        if issue.number in seen:
            problems.append(f"経営課題{issue.number}が重複しています")
        seen.add(issue.number)
        own = _issue_indicators(issue, fy, guesses, problems)
        indicators.extend(own)
        results.extend(issue_results(issue, own, doc.results_year or fy, problems))
    budgets = [(i.number, bfy, kind, number(amount), src) for i in doc.issues for bfy, kind, amount, src in i.budgets]
    return Imported(fy, policy_texts(doc, fy, dept_name), doc.issues, indicators, budgets, results, guesses, problems)


def policy_texts(doc: Document, fy: int, dept_name: str | None = None) -> list[tuple[str, str, str]]:
    """policy.csv's rows (field, label, text); the department named by ``dept_name``, else by the title."""
    texts = [("title", "名称", doc.title), ("department", "所属", dept_name or department_of(doc.title))]
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
    return texts


def _issue_indicators(issue: IssueText, fy: int, guesses: list[Guess], problems: list[str]) -> list[IndicatorDraft]:
    """The 経営課題's indicators (K<issue>-<n>), their guesses added to ``guesses`` and what is missing to ``problems``."""
    sts = statements(issue.chunks, issue.strategies)
    if not sts:
        problems.append(f"経営課題{issue.number}: アウトカム指標が見つかりません")
    if not issue.strategies:
        problems.append(f"経営課題{issue.number}: 主な戦略が見つかりません")
    # no statement names a strategy and there are as many as strategies: indicator N serves strategy N (a guess)
    by_order = not any(s.label for s in sts) and len(sts) == len(issue.strategies) > 1
    own = []
    for n, st in enumerate(sts, start=1):
        no, guessed = (n, True) if by_order else strategy_for(st.label, issue.strategies)
        d = indicator_from(st, issue.number, n, str(no or ""), fy, problems)
        if guessed and no:
            d.guessed.append("strategy_no")
            guesses.append(_strategy_guess(d, st, issue, no))
        guesses.extend(make_guess(d.indicator_id, d.wording, fld, getattr(d, fld), d.words.get(fld, ""))
                       for fld in GUESSED_FIELDS)
        own.append(d)
    return own


def _strategy_guess(d: IndicatorDraft, st: Statement, issue: IssueText, no: int) -> Guess:
    """The guess of the 主な戦略 ``no`` that ``d`` serves, from its label or the order written."""
    words = st.label or "記載順"
    return make_guess(d.indicator_id, d.wording, "strategy_no", str(no), words, f"{no}「{issue.strategies[no - 1]}」")
