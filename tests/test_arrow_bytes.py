"""Arrow never holds a Python object of ours (see kpi.arrow_bytes: a command could abort at exit)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from kpi import arrow_bytes

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("data", [b"", "指標ID,年月,実績値\n".encode(), "指標ID,年月,実績値\nK1-1,2025-04,1\n".encode()])
def test_reader_holds_a_copy_not_the_callers_bytes(data):
    data = bytes(bytearray(data))  # a fresh object: its reference count is ours alone
    before = sys.getrefcount(data)
    reader = arrow_bytes.reader(data)
    assert sys.getrefcount(data) == before  # pa.BufferReader(data) would hold one more
    assert reader.read() == data


def test_csv_and_parquet_read_and_write_through_arrow_owned_memory():
    table = pacsv.read_csv(arrow_bytes.reader(b"a,b\n1,x\n2,\n"))
    assert table.to_pydict() == {"a": [1, 2], "b": ["x", ""]}
    out = arrow_bytes.sink()
    pq.write_table(table, out)
    assert pq.read_table(arrow_bytes.reader(out.getvalue().to_pybytes())).equals(table)


_ARROW_READ = re.compile(r"\b(?:pacsv\.read_csv|pq\.read_table)\(\s*([^,)]*)")


def _arrow_reads() -> list[tuple[str, str]]:
    return [(f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}", m.group(1).strip())
            for path in sorted((ROOT / "kpi").rglob("*.py")) for text in [path.read_text(encoding="utf-8")]
            for m in _ARROW_READ.finditer(text)]


def test_every_arrow_read_in_kpi_is_of_arrow_owned_memory_or_a_path():
    calls = _arrow_reads()
    assert len(calls) >= 5  # the scan finds the calls (decoding, ownership, the stores)
    for where, source in calls:
        assert source.startswith("arrow_bytes.reader(") or source == "path", (where, source)


def test_a_python_owned_reader_is_what_the_scan_refuses():
    # the scan must be able to fail: the form the fix replaced is caught
    assert _ARROW_READ.search("pacsv.read_csv(\n    pa.BufferReader(data),").group(1).strip().startswith("pa.BufferReader(")
    assert isinstance(arrow_bytes.sink(), pa.BufferOutputStream)
