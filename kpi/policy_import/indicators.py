"""One indicator from its statement: the wording, the unit, the targets with their years, periods and qualifiers
(the issue-18 contract: a period's target at its last year with ``period_start_fy``), and the guesses of what the
text does not decide."""
from __future__ import annotations

from dataclasses import dataclass, field

from kpi.policy_import.figures import BY_YEAR, INTERIM, LEADING_YEAR, Figure, figures, period_of, reiwa, year_of
from kpi.policy_import.guesses import guess_aggregation, guess_direction, short_name_of
from kpi.policy_import.statements import Statement
from kpi.policy_import.text import norm, number

MILESTONE_TARGET = 100.0  # a milestone is tracked as progress 0–100% (the seed's convention: unit %, target 100)


@dataclass
class TargetRow:
    """One target: the year (a period's last), the figure, its qualifiers as written, per 年/月, the source."""

    fiscal_year: int
    value: float
    qualifiers: tuple[str, ...]
    per: str
    source_text: str
    period_start_fy: int | None = None


@dataclass
class IndicatorDraft:
    """An indicator as read, before an editor reviews the guesses."""

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
        """The target of fiscal year ``fy``, if any."""
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


def qualifier_text(qs: tuple[str, ...]) -> str:
    """The qualifiers as targets.csv writes them: 「累計・以上」, each once, in the order written."""
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
    period = period_of(phrase)
    if period and period[0] < period[1]:
        return TargetRow(period[1], fig.value, fig.qualifiers, fig.per, source, period[0])
    return TargetRow(fy, fig.value, fig.qualifiers, fig.per, source)


def _targets(st: Statement, policy_fy: int) -> tuple[list[TargetRow], str, int | None]:
    """(the targets, the unit, the 「までに」 year) of a statement; no figure at all = a milestone (100%)."""
    wording_text = " ".join(st.wording)
    targets, unit, by_year = _by_year_targets(wording_text, policy_fy)
    if st.year:  # 「令和7年度 オンラインでできる手続き数 2,000件（累計）」: the source is the year and what follows it
        fy = year_of(st.year) or policy_fy
        row, fig_unit = _figure_target(st.target, fy, " ".join([st.year, *st.target]), milestone=not targets)
        targets += row
        unit = unit or fig_unit
    elif by_year is None:  # no year phrase: the wording's figure, in 「令和7年度に…」's year or the policy's
        lead = LEADING_YEAR.match(norm(wording_text))
        targets, unit = _figure_target(st.wording, reiwa(lead.group(1)) if lead else policy_fy, wording_text)
    if not unit and all(t.value == MILESTONE_TARGET and not t.qualifiers for t in targets):
        unit = "%"  # a milestone: progress 0–100%
    return sorted(targets, key=lambda t: t.fiscal_year), unit, by_year


def _by_year_targets(wording_text: str, policy_fy: int) -> tuple[list[TargetRow], str, int | None]:
    """「令和8年度までに70%以上とする」: that year's target, over the years from the policy's own, and 「（令和6年度 35%）」
    on the way; ([], "", None) when the wording says no 「までに」."""
    nw = norm(wording_text)
    by = BY_YEAR.search(nw)
    if not by:
        return [], "", None
    by_year = reiwa(by.group(1))
    fig = next((f for f in figures(nw) if f.start > by.start()), None)
    targets = [TargetRow(by_year, fig.value, fig.qualifiers, fig.per, wording_text,
                         policy_fy if policy_fy < by_year else None)] if fig else []
    targets += [TargetRow(reiwa(m.group(1)), number(m.group(2)), (), "", wording_text) for m in INTERIM.finditer(nw)]
    return targets, fig.unit if fig else "", by_year


def _figure_target(ps: list[str], fy: int, source: str, milestone: bool = True) -> tuple[list[TargetRow], str]:
    """The target the figure of ``ps`` states in year ``fy`` and its unit; without a figure a milestone (when
    ``milestone``) or nothing."""
    _, fig, phrase = _wording_and_figure(ps)
    if fig:
        return [_target_row(fig, fy, source, phrase)], fig.unit
    return ([TargetRow(fy, MILESTONE_TARGET, (), "", source)] if milestone else []), ""


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
    period = period_of(source)
    start_fy, end_fy = period if period and period[0] < period[1] else (None, by_year)
    draft = IndicatorDraft(iid, issue_id, strategy_no, short_name_of(wording, quals, {t.fiscal_year for t in targets}), wording,
                           unit, aggregation, direction, start_fy, end_fy, targets, source)
    draft.guessed = ["short_name", "aggregation", "direction"]
    draft.words = {"short_name": wording, "aggregation": agg_words, "direction": dir_words}
    return draft
