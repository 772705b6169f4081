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
