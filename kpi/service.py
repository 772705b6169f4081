"""What the pages and the command line both ask for, in one place.

Each function takes the store and the policy explicitly so that it is testable
and cacheable; the pages wrap these in st.cache_data keyed on ``Store.version``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from kpi import checkins, fiscal, fmt
from kpi import evaluation as ev
from kpi.evaluate import Actual, Result, evaluate
from kpi.importer import CHANGED, NEW, StalePreview, commit, preview
from kpi.policy import Policy
from kpi.store import AlreadyInState, Batch, Store

SAMPLE_FILE = "sample_actuals.csv"
SAMPLE_USER = "サンプルデータ"
SAMPLE_LABEL = "サンプル（架空）"


def fy_range(fy: int) -> tuple[str, str]:
    months = fiscal.fy_months(fy)
    return months[0], months[-1]


@dataclass(frozen=True)
class Inputs:
    """What the store holds for one fiscal year's records: read once, evaluated for any filter and as-of month."""

    actuals: list[Actual]  # the current value per indicator and month, previous fiscal year included (前年度実績)
    evaluation: list[ev.Record]
    checkins: list[checkins.Record]
    batches: list[Batch]  # every batch, newest first (for the source line)


def first_year_needed(policy: Policy, fy: int) -> int:
    """The earliest fiscal year whose actuals ``fy``'s evaluation reads: the year before ``fy`` (前年度実績), or before
    the first year of a target over several years (its period's figure and baseline)."""
    starts = [t.period[0] for ind in policy.indicators.values() if (t := ind.target(fy)) is not None and t.period]
    return min([fy, *starts]) - 1


# Without the policy at hand, how many years before ``fy`` read_inputs reaches back: a period target of up to
# this many years still finds its first year's actuals and the year before it (中期 targets span 3–4 years).
LOOKBACK_YEARS = 5


def read_inputs(store: Store, fy: int, policy: Policy | None = None) -> Inputs:
    """The store's records for ``fy``: with ``policy``, back to the year before its targets' periods begin (at least
    the previous year, for 前年度実績); without, ``LOOKBACK_YEARS`` back."""
    first, _ = fy_range(first_year_needed(policy, fy) if policy is not None else fy - LOOKBACK_YEARS)
    _, last = fy_range(fy)
    return Inputs(store.current(first, last), ev.records(store), checkins.records(store), store.batches())


def results_from(policy: Policy, inputs: Inputs, fy: int, as_of: str, issue_ids: Sequence[str] | None = None) -> list[Result]:
    """Every indicator's one record for ``fy`` as at the end of ``as_of``: figures, pace, status, grades, check-in.

    Months after ``as_of`` are left out by the evaluation itself, so one read serves every as-of month.
    """
    recs = inputs.evaluation
    return evaluate(policy, inputs.actuals, fy, as_of, issue_ids, ev.overrides_for(recs, fy), ev.entered_for(recs, fy),
                    checkins.latest_for(inputs.checkins, fy, as_of))


def results(store: Store, policy: Policy, fy: int, as_of: str, issue_ids: Sequence[str] | None = None) -> list[Result]:
    """``results_from`` over a fresh read of the store (the command line and the exports)."""
    return results_from(policy, read_inputs(store, fy, policy), fy, as_of, issue_ids)


def ensure_sample(store: Store, policy: Policy) -> str | None:
    """Load data/sample_actuals.csv into an empty store (the app's first start only)."""
    if not store.is_empty():
        return None
    path = policy.data_dir / SAMPLE_FILE
    if not path.exists():
        return None
    raw = path.read_bytes()
    pv = preview(store, policy, raw, SAMPLE_FILE, today=dt.date(9999, 12, 31))
    if not pv.ok:
        return None
    if not store.is_empty():  # another session loaded it meanwhile
        return None
    return commit(store, pv, SAMPLE_USER, source="sample", sample=True)


def ensure_samples(store: Store, policies: Sequence[Policy]) -> list[str]:
    """A department's sample actuals, one file per policy year, loaded only while its store was empty at the start."""
    if not store.is_empty():
        return []
    out = []
    for policy in policies:
        path = policy.data_dir / SAMPLE_FILE
        if not path.exists():
            continue
        raw = path.read_bytes()
        if hashlib.sha256(raw).hexdigest() in {b.sha256 for b in store.batches() if b.sample}:
            continue  # another server process sharing this store loaded it meanwhile
        pv = preview(store, policy, raw, SAMPLE_FILE, today=dt.date(9999, 12, 31))
        if not pv.ok or not (pv.count(NEW) or pv.count(CHANGED)):
            continue  # nothing to add: another server process wrote these rows since the check above
        try:
            out.append(commit(store, pv, SAMPLE_USER, source="sample", sample=True))
        except StalePreview:
            # Another server process sharing this store wrote the same rows between the preview and the commit (two
            # app servers starting at once): the store is no longer empty, so the sample is not ours to load.
            break
    return out


def active_sample_batches(store: Store) -> list[Batch]:
    return [b for b in store.batches() if b.sample and b.active]


def uses_sample(rs: Sequence[Result], store: Store) -> bool:
    sample_ids = {b.batch_id for b in active_sample_batches(store)}
    return any(r.batches & sample_ids for r in rs)


def remove_sample(store: Store, user: str) -> int:
    """Roll back every active sample batch (recorded, reversible); returns how many this call rolled back. A batch
    someone else rolled back in the meantime (two people removing the sample at once) is left as it is."""
    removed = 0
    for b in active_sample_batches(store):
        try:
            store.rollback(b.batch_id, user, reason="サンプルデータの削除")
        except AlreadyInState:
            continue
        removed += 1
    return removed


@dataclass(frozen=True)
class SourceNote:
    text: str
    sample: bool


def source_note(batches: Sequence[Batch], rs: Sequence[Result], policy: Policy) -> SourceNote:
    """出典 line for charts of actuals: the policy, and the newest batch used with its date (``batches``: newest first)."""
    used = set().union(*(r.batches for r in rs)) if rs else set()
    batches = [b for b in batches if b.batch_id in used]
    sample = any(b.sample for b in batches)
    if not batches:
        return SourceNote(f"出典: {policy.text('source')}（実績なし）", False)
    newest = batches[0]
    label = f"（{SAMPLE_LABEL}）" if sample else ""
    return SourceNote(
        f"出典: {policy.text('source')}、アップロード実績{label} 最終登録 {fiscal.date_label(newest.created_at)}（{len(batches)}件のバッチ）",
        sample,
    )


def status_record(r: Result) -> dict:
    """The JSON shape of ``python -m kpi status --json`` (documented in the README)."""
    ind = r.indicator
    return {
        "indicator_id": ind.indicator_id,
        "issue_id": ind.issue_id,
        "fiscal_year": r.fiscal_year,
        "as_of": r.as_of,
        "name": ind.short_name,
        "unit": ind.unit,
        "direction": ind.direction,
        "value": _round(r.value),
        "year_value": _round(r.year_value),
        "period": list(r.period) if r.period else None,
        "period_value": _round(r.period_value),
        "baseline": _round(r.baseline),
        "baseline_source": r.baseline_source or None,
        "target": r.target.value,
        "progress": _round(r.progress, 4),
        "progress_text": fmt.progress_text(r),
        "pace": _round(r.expected),
        "pace_ratio": _round(r.pace_ratio, 4),
        "status": r.status,
        "grade": r.grade,
        "computed_grade": r.computed_grade,
        "override": r.override.record() if r.override else None,
        "months_reported": r.months_reported,
        "last_month": r.last_month,
        "overdue_months": r.overdue_months,
        "forecast": _round(r.forecast),
        "previous": _round(r.previous),
        "previous_source": r.previous_source or None,
        "previous_month": r.prior_month,
        "previous_value": _round(r.prior_value),
        "previous_status": r.prior_status,
        "change": r.change,
        "checkin": r.checkin.record() if r.checkin else None,
    }


def _round(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(x, digits)
