"""Every SQL statement of the project, parameterised, in one place.

DuckDB reads the immutable ``rows.csv`` files of the active batches directly: there is
no database file, so nothing holds a lock that would block a command-line import.
"""
from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

ROW_COLUMNS = ("indicator_id", "month", "value", "numerator", "denominator", "note", "batch_id")
_CSV_COLUMNS = (
    "{'indicator_id': 'VARCHAR', 'month': 'VARCHAR', 'value': 'DOUBLE', 'numerator': 'DOUBLE',"
    " 'denominator': 'DOUBLE', 'note': 'VARCHAR', 'batch_id': 'VARCHAR'}"
)
_READ = f"read_csv($files, header = true, auto_detect = false, columns = {_CSV_COLUMNS}, quote = '\"', escape = '\"')"

# Newest active batch wins per indicator and month (batch ids sort by time).
CURRENT_SQL = f"""
SELECT indicator_id, month, value, numerator, denominator, note, batch_id
FROM {_READ}
WHERE month BETWEEN $first AND $last
QUALIFY row_number() OVER (PARTITION BY indicator_id, month ORDER BY batch_id DESC) = 1
ORDER BY indicator_id, month
"""

BATCH_SQL = f"SELECT * FROM {_READ} ORDER BY indicator_id, month"

COUNT_SQL = f"SELECT count(*) FROM {_READ}"


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("value", "numerator", "denominator") else "object")
                         for c in ROW_COLUMNS})


def current_actuals(files: Sequence[str], first: str = "0000-00", last: str = "9999-99") -> pd.DataFrame:
    """The current value per indicator and month between two ``YYYY-MM`` months (inclusive)."""
    if not files:
        return _empty()
    with duckdb.connect() as con:
        return con.execute(CURRENT_SQL, {"files": list(files), "first": first, "last": last}).df()


def batch_rows(files: Sequence[str]) -> pd.DataFrame:
    if not files:
        return _empty()
    with duckdb.connect() as con:
        return con.execute(BATCH_SQL, {"files": list(files)}).df()


def count_rows(files: Sequence[str]) -> int:
    if not files:
        return 0
    with duckdb.connect() as con:
        return int(con.execute(COUNT_SQL, {"files": list(files)}).fetchone()[0])
