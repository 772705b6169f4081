"""Property-based: whatever bytes arrive, read_actuals returns a ReadResult; a refusal always carries a message."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi.reader import ReadResult, read_actuals

TODAY = dt.date(2025, 10, 15)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

VALID = [
    ["指標ID", "年月", "実績値", "分子", "分母", "備考"],
    ["K1-1", "2025-04", "1523", "", "", ""],
    ["K1-2", "2025/5", "22.4", "448", "2000", "メモ"],
    ["K2-1", "令和7年6月", "完了", "", "", ""],
    ["K2-4", "R7.7", "1,900時間", "", "", "音声"],
    ["K4-3", "2025年8月", "１２名", "", "", ""],
]
CELLS = st.one_of(
    st.sampled_from(["", " ", "K1-1", "k1-1", "1-1", "2025/1/1", "K9-9", "2025-04", "2025-13", "2099-01", "令和元年5月", "R7.4", "0.25",
                     "-5", "120", "1,5", "完了", "未着手", "25件", "25%", "nan", "inf", "1e309", "\"", "\"\"", "=1+1", "\t", "\r", "\n", "\x00",
                     "指標ID", "年月", "実績値", "2025年4月", "2025年4月分", "△5", "１２３", "\ufeff", "\u2028", "𠮷"]),
    st.text(max_size=12),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16", "latin-1"])


def check(res: ReadResult) -> None:
    assert isinstance(res, ReadResult)
    for p in res.errors + res.warnings:
        assert isinstance(p.message, str) and p.message.strip()
        assert p.row is None or (isinstance(p.row, int) and p.row >= 1)
        assert "予期しないエラー" not in p.message, p.message  # the safety net must never be needed
    if res.ok:
        assert res.rows and not res.errors
        for a in res.rows:
            assert a.value == a.value and a.value >= 0  # no NaN, no negative
            assert len(a.month) == 7 and a.month <= "2025-10"
    else:
        assert res.errors or not res.rows


@SETTINGS
@given(data=st.binary(max_size=2000), name=st.sampled_from(["a.csv", "a.xlsx", "a.txt", "", "a.xls"]))
def test_random_bytes_never_raise(policy, data, name):
    check(read_actuals(data, name, policy, today=TODAY))


@SETTINGS
@given(
    edits=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6), CELLS), max_size=6),
    delimiter=st.sampled_from([",", "\t", ";", "|"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=ENCODINGS,
    cut=st.one_of(st.none(), st.integers(0, 400)),
    drop_rows=st.sets(st.integers(0, 5), max_size=3),
    quote=st.booleans(),
)
def test_mutated_csv_never_raises(policy, edits, delimiter, newline, encoding, cut, drop_rows, quote):
    table = [list(r) for r in VALID]
    for r, c, value in edits:
        row = table[r]
        if c >= len(row):
            row.append(value)
        else:
            row[c] = value
    lines = []
    for i, row in enumerate(table):
        if i in drop_rows:
            continue
        cells = [f'"{c}"' if quote else c for c in row]
        lines.append(delimiter.join(cells))
    text = newline.join(lines) + newline
    data = text.encode(encoding, errors="replace")
    if cut is not None:
        data = data[:cut]
    check(read_actuals(data, "mutated.csv", policy, today=TODAY))


@SETTINGS
@given(
    headers=st.lists(st.one_of(st.sampled_from(["指標ID", "指標名", "単位", "2025年4月", "令和7年5月", "2025-06", "R7.7", "2026年1月", "備考"]),
                               st.text(max_size=8)), min_size=1, max_size=7),
    rows=st.lists(st.lists(CELLS, max_size=7), max_size=5),
)
def test_random_wide_layout_never_raises(policy, headers, rows):
    text = "\n".join(",".join(r) for r in [headers, *rows]) + "\n"
    check(read_actuals(text.encode("utf-8"), "wide.csv", policy, today=TODAY))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8), cut=st.one_of(st.none(), st.integers(0, 10**6)))
def test_damaged_xlsx_never_raises(policy, flips, cut):
    from kpi.template import template_xlsx

    data = bytearray(template_xlsx(policy, 2025, None))
    for pos, byte in flips:
        data[pos % len(data)] = byte
    if cut is not None:
        data = data[: cut % len(data)]
    check(read_actuals(bytes(data), "damaged.xlsx", policy, today=TODAY))


# --- issue 19, point 10: generated CSV texts against the bounds (columns, cells, records, lines, time) -----------

BOUNDS = {"MAX_CSV_COLUMNS": 8, "MAX_CSV_CELLS": 120, "MAX_RECORDS": 20, "MAX_CSV_LINE_CHARS": 400}
BOUND_WORDS = ("列が多すぎます", "セルが多すぎます", "行が多すぎます", "実績の値が多すぎます", "1行が長すぎます")
NUMBERISH = st.text(alphabet="0123456789,.-+ △１２，．％%件e", max_size=14)
SHAPED_CELLS = st.one_of(CELLS, NUMBERISH, st.sampled_from(["1,234", "12,345,678", "1,234.5", "－", "未報告", "x" * 120]))


def _table(draw_header: list[str], rows: list[list[str]], delimiter: str, newline: str) -> str:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL).writerows([draw_header, *rows])
    return buf.getvalue()


@SETTINGS
@given(
    header=st.sampled_from([
        ["indicator_id", "month", "value", "numerator", "denominator", "note"], ["指標ID", "年月", "実績値"],
        ["指標ID", "2025年4月", "2025年5月", "2025年6月"], ["タイトル"]]),
    rows=st.lists(st.lists(SHAPED_CELLS, min_size=1, max_size=12), max_size=30),
    delimiter=st.sampled_from([",", "\t"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]),
)
def test_generated_csv_beyond_a_bound_is_refused_and_whatever_is_accepted_is_within_them(policy, monkeypatch, header, rows, delimiter,
                                                                                         newline, encoding):
    from kpi.reader import limits

    for name, value in BOUNDS.items():
        monkeypatch.setattr(limits, name, value)
    text = _table(header, rows, delimiter, newline)
    res = read_actuals(text.encode(encoding, errors="replace"), "generated.csv", policy, today=TODAY)
    check(res)
    records = [header, *rows]
    over = (max(len(r) for r in records) > BOUNDS["MAX_CSV_COLUMNS"] or sum(len(r) for r in records) > BOUNDS["MAX_CSV_CELLS"]
            or len(rows) > BOUNDS["MAX_RECORDS"] or max(len(line) for line in text.splitlines()) > BOUNDS["MAX_CSV_LINE_CHARS"])
    if over:
        assert not res.ok
    if res.ok:
        assert len(res.rows) <= BOUNDS["MAX_RECORDS"] and not over
    if any(w in str(p) for p in res.errors for w in BOUND_WORDS):
        # a row the file has: a cell's bare line break (csv.writer leaves "\n" unquoted when lines end in "\r") starts
        # a record of its own, as it does in Excel, so the file may have more records than were generated
        assert len(res.errors) == 1 and res.errors[0].row in (None, *range(1, max(len(records), len(text.splitlines())) + 2))


@SETTINGS
@given(rows=st.lists(st.lists(SHAPED_CELLS, min_size=3, max_size=6), min_size=1, max_size=10), wide=st.booleans())
def test_past_the_time_limit_no_csv_is_accepted(policy, monkeypatch, rows, wide):
    from kpi.reader import limits

    monkeypatch.setattr(limits, "MAX_CSV_SECONDS", -1.0)
    header = ["指標ID", "2025年4月", "2025年5月"] if wide else ["指標ID", "年月", "実績値"]
    res = read_actuals(_table(header, [["K1-1", "2025-04", "1"], *rows], ",", "\n").encode(), "slow.csv", policy, today=TODAY)
    check(res)
    assert not res.ok
    assert any("時間がかかりすぎる" in p.message for p in res.errors) or res.errors[0].row is not None or len(res.errors) == 1


@SETTINGS
@given(text=st.lists(st.sampled_from(["a", "bb", ",", "\r", "\n", "\r\n", '"', "あ", "x" * 9]), max_size=40).map("".join),
       block=st.integers(1, 12))
def test_lines_split_a_block_at_a_time_are_the_lines_of_the_whole_text(monkeypatch, text, block):
    import io

    from kpi.reader import decoding

    monkeypatch.setattr(decoding, "_LINES_BLOCK", block)
    assert list(decoding._blocks_of_lines(text)) == list(io.StringIO(text, newline=""))


@SETTINGS
@given(cells=st.lists(st.one_of(NUMBERISH, st.from_regex(r"\A-?[0-9]{1,3}(,[0-9]{3}){0,4}(\.[0-9]{1,4})?\Z")), min_size=1, max_size=20),
       mixed=st.booleans())
def test_numbers_read_in_arrow_equal_split_number(cells, mixed):
    import math

    import pyarrow as pa

    from kpi.reader.cells import BASE_UNITS, numbers, split_number

    units = tuple(sorted(BASE_UNITS, key=len, reverse=True))
    column = cells + (["1件"] if mixed else [])  # with a unit: the distinct-cell path; without: maybe the whole-column one
    values, empty, bad, _codes, _ = numbers(pa.array(column, pa.string()), units)
    for cell, v, is_empty, is_bad in zip(column, values, empty, bad, strict=True):
        if not cell.strip():
            assert is_empty
            continue
        expected, _unit = split_number(cell, units)
        if expected is None or not math.isfinite(expected):
            assert is_bad or not math.isfinite(v), cell
        else:
            assert not is_bad and v == expected, (cell, v, expected)


@SETTINGS
@given(keys=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 8)), min_size=1, max_size=60), scale=st.sampled_from([1, 12, 10**6]))
def test_each_record_finds_the_first_record_of_its_indicator_and_month(keys, scale):
    """The duplicate check's table (months close together) and its sort (months far apart) agree with a plain search."""
    import numpy as np

    from kpi.reader.validation import _first_of_key

    code = np.array([k[0] for k in keys], dtype=np.int64)
    month = np.array([k[1] for k in keys], dtype=np.int64) * scale
    assert _first_of_key(code, month).tolist() == [keys.index(k) for k in keys]
