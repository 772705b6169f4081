"""Findings 1 and 2 of issue 9, and the rules behind them: whatever the reader accepts, everything downstream can read.

Cells have length limits (a refusal naming row and column) and numbers are finite and bounded, so that a value,
a numerator, a denominator, and any sum of them, stay finite on every page and in every export.
"""
from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from kpi import importer, service
from kpi.reader import read_actuals

TODAY = dt.date(2025, 10, 15)
HEADER = "indicator_id,month,value,numerator,denominator,note\n"


def read(policy, body: str, name: str = "a.csv"):
    return read_actuals((HEADER + body).encode(), name, policy, today=TODAY)


def test_finding1_a_two_megabyte_note_is_refused_naming_row_and_column(policy, store):
    """Finding 1: a 2 MB note used to be accepted and then broke status, actuals, exports and three pages."""
    res = read(policy, "K1-1,2025-04,10,,,ok\nK1-1,2025-05,11,,," + "あ" * 2_000_000 + "\n")
    assert not res.ok
    (p,) = res.errors
    assert (p.row, p.column) == (3, "備考") and "長すぎます" in p.message and "1,000文字" in p.message
    assert len(p.message) < 200  # the message does not carry the cell
    assert importer.preview(store, policy, (HEADER + "K1-1,2025-05,1,,," + "x" * 5000 + "\n").encode(), "a.csv", today=TODAY).ok is False
    assert store.is_empty()


@pytest.mark.parametrize("column,cell,label", [
    ("indicator_id", "K" * 101, "指標ID"), ("month", "2025-04" + " " * 200, "年月"), ("value", "1" * 101, "実績値"),
])
def test_other_cells_have_a_shorter_limit(policy, column, cell, label):
    cells = {"indicator_id": "K1-1", "month": "2025-04", "value": "5"} | {column: cell}
    res = read(policy, f"{cells['indicator_id']},{cells['month']},{cells['value']},,,\n")
    (p,) = res.errors
    assert (p.row, p.column) == (2, label) and "長すぎます" in p.message


def test_notes_up_to_the_limit_are_kept_whole(policy):
    note = "=HYPERLINK(\"x\"),\"引用\"\n改行" + "あ" * 960  # 1,000 characters in all: the limit
    raw = (HEADER + 'K1-1,2025-04,10,,,"' + note.replace('"', '""') + '"\n').encode()
    res = read_actuals(raw, "a.csv", policy, today=TODAY)
    assert res.ok and res.rows[0].note == note


@pytest.mark.parametrize("line,column", [
    ("K1-2,2025-04,,1e308,1e308", "分子"),  # the example: Σ of two such months overflows to inf
    ("K1-2,2025-04,,1,1e16", "分母"),
    ("K1-1,2025-04,1e16,,", "実績値"),
    ("K1-1,2025-04,1.8e308,,", "実績値"),
    ("K4-3,2025-04,\"999,999,999,999,999,999\",,", "実績値"),
])
def test_finding2_numbers_beyond_ten_to_the_fifteen_are_refused(policy, line, column):
    """Finding 2: K1-2 with 1e308/1e308 used to be stored as inf (status 達成, exports raised OverflowError)."""
    res = read(policy, line + ",\n")
    assert not res.ok
    assert any(p.column == column and ("大きすぎます" in p.message or "数値として読めません" in p.message) for p in res.errors), res.errors


def test_the_largest_accepted_numbers_keep_every_sum_finite(policy, store):
    months = [f"2025-{m:02d}" for m in range(4, 10)]
    body = "".join(f"K4-3,{m},1e15,,,\nK1-2,{m},,1e15,1e15,\n" for m in months)
    pv = importer.preview(store, policy, (HEADER + body).encode(), "max.csv", today=TODAY)
    assert pv.ok, pv.errors
    importer.commit(store, pv, "t")
    rs = service.results(store, policy, 2025, "2025-09")
    records = [service.status_record(r) for r in rs]
    json.dumps(records, allow_nan=False)  # no Infinity / NaN anywhere
    by_id = {r["indicator_id"]: r for r in records}
    assert by_id["K4-3"]["value"] == 6e15 and math.isfinite(by_id["K1-2"]["value"])
