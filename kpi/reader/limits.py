"""Every bound the reader enforces, in one place, so that whatever it accepts the rest of the app can read.

Each limit refuses with a Japanese message; the numbers are documented in the README.
"""
from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from contextvars import ContextVar

MAX_BYTES = 50 * 1024 * 1024  # one uploaded file (as .streamlit/config.toml maxUploadSize)
MAX_PROBLEMS = 1000  # per list; one more Problem says how many were left out
HEADER_SEARCH_ROWS = 20

# Cells. A note is free text; every other cell is an ID, a month or a number.
MAX_NOTE_CHARS = 1000
MAX_CELL_CHARS = 100
# Numbers: Excel keeps 15 significant digits. Capping magnitudes keeps every value, numerator,
# denominator and any sum of a million of them finite (1e15 × 1e6 is far below 1.8e308).
MAX_ABS_NUMBER = 1e15

# .xlsx: checked in the zip's directory before anything is inflated ...
MAX_ZIP_MEMBERS = 10_000
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024  # all members together
MAX_COMPRESSION_RATIO = 100  # per member larger than RATIO_FLOOR_BYTES once inflated
RATIO_FLOOR_BYTES = 4 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 128 * 1024 * 1024  # xl/sharedStrings.xml inflated
MAX_META_XML_BYTES = 16 * 1024 * 1024  # workbook.xml, its rels, styles.xml
# ... and while streaming the sheet.
MAX_ROWS = 1_048_576  # Excel's own limit
MAX_CELLS = 16_000_000
MAX_SHARED_STRINGS = 2_000_000
MAX_XML_TEXT_CHARS = 1_000_000  # one cell's text (Excel stops at 32,767)
MAX_XML_TOKEN_BYTES = 4 * 1024 * 1024  # bytes the XML parser may hold without an event (huge tags, comments)
MAX_XML_DEPTH = 64
MAX_XLSX_SECONDS = 60.0

# CSV: the same bounds on columns and cells as .xlsx, checked as the text is split, and a time limit for
# the whole read. A record's physical line cannot be longer than MAX_COLUMNS cells of the longest accepted
# cell written with every character a doubled quote, so a longer line is refused before it is split
# (the csv module would otherwise build a list of every field of a 50 MB line of commas).
# Records: a CSV has at most as many rows as a sheet (MAX_ROWS), and a wide file gives at most as many figures,
# so that whatever is read costs no more than the largest accepted file (about 0.5 GB for a million rows).
MAX_RECORDS = MAX_ROWS
MAX_CSV_COLUMNS = 16_384  # Excel's XFD: no spreadsheet writes more
MAX_CSV_CELLS = MAX_CELLS
MAX_CSV_LINE_CHARS = MAX_CSV_COLUMNS * (2 * MAX_CELL_CHARS + 3) + 2 * MAX_NOTE_CHARS
MAX_CSV_SECONDS = 30.0
# Files named on the command line are read in chunks of this size, the size limit checked before each.
READ_CHUNK_BYTES = 1 << 20


class TimeUp(Exception):  # noqa: N818 - control flow: the reader's time limit passed (refused by read_actuals)
    """Raised by ``check_time`` once the current read's deadline has passed."""


_DEADLINE: ContextVar[float] = ContextVar("kpi_reader_deadline", default=math.inf)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Give the read in this context (this thread) ``seconds``; ``check_time`` raises TimeUp after that."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_time() -> None:
    """Called between blocks of work (rows, distinct cells): cheap, so it can run often."""
    if time.monotonic() > _DEADLINE.get():
        raise TimeUp
