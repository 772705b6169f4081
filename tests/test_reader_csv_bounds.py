"""Issue 19, point 10: CSV reading is bounded like .xlsx — columns, cells, line length and time each refused in
Japanese — and a file named on the command line is read in chunks with its size checked first (special files
refused unread). Each reproducer here failed before the bounds."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from conftest import ROOT
from kpi import importer
from kpi.reader import limits, read_actuals
from kpi.reader.cells import BASE_UNITS, numbers, split_number

TODAY = dt.date(2025, 10, 15)
HEADER = "indicator_id,month,value,numerator,denominator,note\n"


def read(policy, data: bytes | str, name: str = "a.csv"):
    return read_actuals(data.encode("utf-8") if isinstance(data, str) else data, name, policy, today=TODAY)


def only(res) -> str:
    assert not res.ok and len(res.errors) == 1, [str(p) for p in res.errors]
    return str(res.errors[0])


# --- columns ---------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["long", "wide"])
def test_more_columns_than_excel_has_are_refused_at_once(policy, layout):
    """The issue's 200,000 columns (50 MB: 20 s, 2.3 GB) at a tenth: refused by the first record, in well under a second."""
    n = 20_000
    head = "indicator_id,month,value," + ",".join(f"x{i}" for i in range(n)) if layout == "long" else \
        "指標ID," + ",".join(f"{2000 + i // 12 % 100}-{i % 12 + 1:02d}" for i in range(n))
    row = "K1-1,2025-04,1," + ",".join("1" for _ in range(n)) if layout == "long" else "K1-1," + ",".join("1" for _ in range(n))
    t = time.perf_counter()
    message = only(read(policy, head + "\n" + row + "\n"))
    assert time.perf_counter() - t < 5
    assert "列が多すぎます" in message and "上限 16,384列" in message


def test_columns_up_to_excels_last_are_read(policy):
    head = "指標ID," + ",".join(["2025-04"] + [f"備考{i}" for i in range(limits.MAX_CSV_COLUMNS - 2)])
    res = read(policy, head + "\nK1-1,100\n")
    assert res.ok and [(a.month, a.value) for a in res.rows] == [("2025-04", 100)]


# --- cells -----------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    HEADER + "K1-1,2025-04,1,,,\n" * 400,  # the canonical layout: the fast path
    "タイトル\n" + HEADER + "K1-1,2025-04,1,,,\n" * 400,  # a title row above the header: the careful path
    "指標ID,2025年4月,2025年5月\n" + "K1-1,1,2\n" * 900,  # the wide layout
])
def test_more_cells_than_the_limit_are_refused(policy, monkeypatch, body):
    monkeypatch.setattr(limits, "MAX_CSV_CELLS", 2000)
    message = only(read(policy, body))
    assert "セルが多すぎます" in message and "上限 2,000セル" in message


def test_cells_within_the_limit_are_read(policy, monkeypatch):
    monkeypatch.setattr(limits, "MAX_CSV_CELLS", 2000)
    res = read(policy, HEADER + "".join(f"K1-1,2025-{m:02d},1,,,\n" for m in range(4, 10)))
    assert res.ok and len(res.rows) == 6


# --- one enormous line ---------------------------------------------------------------------------

def test_a_line_longer_than_any_record_is_refused_before_it_is_split(policy):
    """20 MB of commas on one line used to become a list of 20 million cells (160 MB) before any check."""
    data = (HEADER + "K1-1,2025-04,1" + "," * 20_000_000 + "\n").encode()
    tracemalloc.start()
    try:
        message = only(read(policy, data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message.startswith("2行目 1行が長すぎます（3,327,952文字を超えています）")
    assert peak < 120 * 2**20, peak  # the text of the file and its one line, not a cell per comma


def test_a_long_note_is_still_refused_naming_row_and_column(policy):
    res = read(policy, HEADER + "K1-1,2025-04,1,,," + "あ" * 3_000_000 + "\n")
    (p,) = res.errors
    assert (p.row, p.column) == (2, "備考") and "長すぎます" in p.message


# --- time ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    HEADER + "K1-1,2025-04,1,,,\n",
    "タイトル\n" + HEADER + "K1-1,2025-04,1,,,\n",
    "指標ID,2025年4月\nK1-1,1\n",
])
def test_a_read_past_its_time_limit_is_refused(policy, monkeypatch, body):
    monkeypatch.setattr(limits, "MAX_CSV_SECONDS", -1.0)  # already past: the first look at the clock refuses
    message = only(read(policy, body))
    assert "時間がかかりすぎる" in message and "ファイルを分けて" in message


def test_the_time_limit_of_an_xlsx_is_the_xlsx_one(policy, monkeypatch):
    import io

    import openpyxl

    monkeypatch.setattr(limits, "MAX_CSV_SECONDS", -1.0)
    wb = openpyxl.Workbook()
    wb.active.append(["指標ID", "年月", "実績値"])
    wb.active.append(["K1-1", "2025-04", 1])
    buf = io.BytesIO()
    wb.save(buf)
    assert read(policy, buf.getvalue(), "a.xlsx").ok


def test_distinct_grouped_numbers_are_read_without_python_per_cell(policy):
    """The issue's 50 MB of distinct grouped numbers took 36 s: they are now converted in Arrow, exactly as typed."""
    n = 200_000
    body = "".join(f'K4-3,2025-04,"{i * 7919 + 1_000_000:,}"\n' for i in range(n))
    t = time.perf_counter()
    res = read(policy, "indicator_id,month,value\n" + body)
    took = time.perf_counter() - t
    assert not res.ok and "重複していて、値が違います" in str(res.errors[0])
    assert res.errors[-1].message.startswith(f"ほかに {n - 1 - limits.MAX_PROBLEMS:,} 件のエラー")
    assert took < 10, took  # about 0.5 s here; was about 3 s for this tenth of the file


@pytest.mark.parametrize("cells", [
    ["1,234", "-1,234,567.25", "0", "007", "1,000,000", "12345678901234567890", "-0", "3.14159"],
    ["1,23", "1,2345", ",123", "1,234,", "+1,234", " 1,234", "1,234 ", "１，２３４", "1,234件", "△1,234", "1e3", "--1"],
])
def test_arrow_reads_numbers_as_split_number_does(cells):
    import pyarrow as pa

    units = tuple(sorted(BASE_UNITS, key=len, reverse=True))
    values, empty, bad, _unit, _units = numbers(pa.array(cells + ["x"], pa.string()), units)  # "x": not all castable
    for cell, v, is_bad in zip(cells, values, bad, strict=False):
        expected, _ = split_number(cell, units)
        assert is_bad == (expected is None), cell
        assert expected is None or v == expected, (cell, v, expected)


# --- files named on the command line -----------------------------------------------------------

def test_a_file_above_the_limit_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:  # sparse: 200 MB long, nothing on disk
        fh.truncate(200_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(importer.FileRefused, match="ファイルが大きすぎます（200,000,000 バイト、上限 52,428,800 バイト）"):
            importer.read_file(big, 50 * 2**20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_a_file_that_grows_while_read_is_read_only_to_the_limit():
    status = Path("/proc/self/status")  # a regular file that says it is empty and then has a page of text
    assert os.stat(status).st_size == 0
    with pytest.raises(importer.FileRefused, match="読み取り中に大きくなりました"):
        importer.read_file(status, 100)
    assert b"VmRSS" in importer.read_file(status, 1 << 20)


def test_special_files_and_folders_are_refused_unread(tmp_path):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    for path, words in ((Path("/dev/zero"), "通常のファイルではありません"), (fifo, "通常のファイルではありません"),
                        (tmp_path, "フォルダです"), (tmp_path / "none.csv", "ファイルを読めません")):
        with pytest.raises(importer.FileRefused, match=words):
            importer.read_file(path, 1 << 20)


def _cli_peak(args: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float]:
    """Run the command line in a fresh wrapper process, so that its children's peak memory is this run's."""
    code = ("import resource, subprocess, sys; "
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60); "
            "sys.stdout.write(str(r.returncode) + '\\n' + str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) + '\\n' + r.stderr)")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "kpi", *args], cwd=ROOT, env=os.environ | env,
                         capture_output=True, text=True, timeout=90)
    code_line, rss, *err = out.stdout.split("\n")
    return subprocess.CompletedProcess(args, int(code_line), "", "\n".join(err)), int(rss) / 1024


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "big"])
def test_the_command_line_refuses_special_and_oversized_files_quickly(tmp_path, target):
    """/dev/zero and a FIFO used to be read without end (or to wait for a writer); a 200 MB file cost 396 MB to refuse."""
    if target == "fifo":
        path = tmp_path / "fifo.csv"
        os.mkfifo(path)
    elif target == "big":
        path = tmp_path / "big.csv"
        with path.open("wb") as fh:
            fh.truncate(200_000_000)
    else:
        path = Path(target)
    t = time.perf_counter()
    r, peak_mb = _cli_peak(["import", str(path)], {"KPI_STORE": str(tmp_path / "store")})
    assert r.returncode == 1, r.stderr
    assert ("通常のファイルではありません" if target != "big" else "ファイルが大きすぎます") in r.stderr
    assert time.perf_counter() - t < 30
    assert peak_mb < 300, peak_mb  # the interpreter and its imports (about 190 MB), nothing of the file


# --- rows ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,words", [
    (HEADER + "K1-1,2025-04,1,,,\n" * 60, "行が多すぎます（60行、上限 50行）"),  # the fast path counts lines before parsing
    ("タイトル\n" + HEADER + "K1-1,2025-04,1,,,\n" * 60, "行が多すぎます（上限 50行）"),  # the careful path as it goes
    ("指標ID,2025年4月,2025年5月,2025年6月\n" + "K1-1,1,2,3\n" * 20, "実績の値が多すぎます（上限 50件）"),  # figures of a wide file
])
def test_more_records_than_a_sheet_has_rows_are_refused(policy, monkeypatch, body, words):
    """The issue's 50 MB of distinct grouped numbers (1.7 million rows: 36 s, 1 GB) is refused by its row count."""
    monkeypatch.setattr(limits, "MAX_RECORDS", 50)
    assert words in only(read(policy, body))


def test_the_record_limit_is_excels_row_limit(policy):
    assert limits.MAX_RECORDS == 1_048_576
    n = limits.MAX_RECORDS + 1
    t = time.perf_counter()
    message = only(read(policy, "indicator_id,month,value\n" + "K1-1,2025-04,1\n" * n))
    assert message == f"行が多すぎます（{n:,}行、上限 1,048,576行）。ファイルを分けてください"
    assert time.perf_counter() - t < 5  # counted, not parsed
