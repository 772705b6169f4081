"""Every bound the reader enforces, in one place, so that whatever it accepts the rest of the app can read.

Each limit refuses with a Japanese message; the numbers are documented in the README.
"""
from __future__ import annotations

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
