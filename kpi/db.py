"""Every SQL statement of the project, parameterised, in one place.

DuckDB reads the immutable ``rows.parquet`` files of the active batches directly (and the
``rows.csv`` of batches written before Parquet): there is no database file, so nothing
holds a lock that would block a command-line import. A Parquet batch's id is its folder's
name, so the rows never need rewriting when the batch gets its number.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

ROW_COLUMNS = ("indicator_id", "month", "value", "numerator", "denominator", "note", "batch_id")
_CSV_COLUMNS = (
    "{'indicator_id': 'VARCHAR', 'month': 'VARCHAR', 'value': 'DOUBLE', 'numerator': 'DOUBLE',"
    " 'denominator': 'DOUBLE', 'note': 'VARCHAR', 'batch_id': 'VARCHAR'}"
)
# Older stores: a long note must not stop the whole store from reading (DuckDB's default line limit is 2 MB).
_LEGACY_CSV = (f"SELECT * FROM read_csv($csv, header = true, auto_detect = false, columns = {_CSV_COLUMNS}, "
               "quote = '\"', escape = '\"', max_line_size = 1073741824)")
_PARQUET = ("SELECT indicator_id, month, value, numerator, denominator, note, "
            "regexp_extract(filename, '([^/\\\\]+)[/\\\\][^/\\\\]+$', 1) AS batch_id "
            "FROM read_parquet($parquet, filename = true)")

# Newest active batch wins per indicator and month (batch ids sort by the store's sequence).
_CURRENT = """
SELECT indicator_id, month, value, numerator, denominator, note, batch_id
FROM ({rows})
WHERE month BETWEEN $first AND $last
QUALIFY row_number() OVER (PARTITION BY indicator_id, month ORDER BY batch_id DESC) = 1
ORDER BY indicator_id, month
"""
_BATCH = "SELECT * FROM ({rows}) ORDER BY indicator_id, month"

# A file's rows against the stored ones: each new row with the current figures for its indicator and month (``*_old``,
# with the batch they come from) and its kind. NULL-safe comparisons: an empty numerator equals an empty numerator.
_DIFF = """
SELECT n.* EXCLUDE (_pos), c.value AS value_old, c.numerator AS numerator_old, c.denominator AS denominator_old,
       c.note AS note_old, c.batch_id AS batch_id_old,
       CASE WHEN c.indicator_id IS NULL THEN $new
            WHEN n.value IS NOT DISTINCT FROM c.value AND n.numerator IS NOT DISTINCT FROM c.numerator
                 AND n.denominator IS NOT DISTINCT FROM c.denominator AND coalesce(n.note, '') = coalesce(c.note, '') THEN $unchanged
            ELSE $changed END AS kind
FROM new_rows AS n LEFT JOIN ({current}) AS c ON n.indicator_id = c.indicator_id AND n.month = c.month
ORDER BY n._pos
"""
_COUNT = "SELECT count(*) FROM ({rows})"
# What each batch's rows cover: its first and last month, how many months and indicators (履歴, kpi history).
_COVERAGE = """
SELECT batch_id, min(month), max(month), count(DISTINCT month), count(DISTINCT indicator_id)
FROM ({rows}) GROUP BY batch_id ORDER BY batch_id
"""


def _split(files: Sequence[str]) -> dict[str, list[str]]:
    """Parameters for the row sources: Parquet files and legacy CSV files (only the non-empty lists)."""
    parquet = [f for f in files if f.endswith(".parquet")]
    csv = [f for f in files if not f.endswith(".parquet")]
    return {k: v for k, v in (("parquet", parquet), ("csv", csv)) if v}


def _rows_sql(params: dict[str, list[str]]) -> str:
    return " UNION ALL ".join(sql for key, sql in (("parquet", _PARQUET), ("csv", _LEGACY_CSV)) if key in params)


_DB: duckdb.DuckDBPyConnection | None = None
_DB_LOCK = threading.Lock()


def _cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on one in-memory database per process (opening a database costs ~25 ms; a cursor, microseconds).

    Each call gets its own cursor, so the server's sessions can query from several threads at once.
    """
    global _DB
    with _DB_LOCK:
        if _DB is None:
            _DB = duckdb.connect()
        return _DB.cursor()


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("value", "numerator", "denominator") else "object")
                         for c in ROW_COLUMNS})


def current_actuals(files: Sequence[str], first: str = "0000-00", last: str = "9999-99") -> pd.DataFrame:
    """The current value per indicator and month between two ``YYYY-MM`` months (inclusive)."""
    params = _split(files)
    if not params:
        return _empty()
    with _cursor() as con:
        return con.execute(_CURRENT.format(rows=_rows_sql(params)), params | {"first": first, "last": last}).df()


def batch_rows(files: Sequence[str]) -> pd.DataFrame:
    params = _split(files)
    if not params:
        return _empty()
    with _cursor() as con:
        return con.execute(_BATCH.format(rows=_rows_sql(params)), params).df()


def count_rows(files: Sequence[str]) -> int:
    params = _split(files)
    if not params:
        return 0
    with _cursor() as con:
        return int(con.execute(_COUNT.format(rows=_rows_sql(params)), params).fetchone()[0])


def batch_coverage(files: Sequence[str]) -> list[tuple[str, str, str, int, int]]:
    """Per batch of ``files``: (batch id, first month, last month, months, indicators)."""
    params = _split(files)
    if not params:
        return []
    with _cursor() as con:
        return [tuple(r) for r in con.execute(_COVERAGE.format(rows=_rows_sql(params)), params).fetchall()]


def frame_coverage(frame: pd.DataFrame) -> tuple[str, str, int, int] | None:
    """The same for rows not yet stored (a file's preview): (first month, last month, months, indicators)."""
    if frame is None or frame.empty:
        return None
    with _cursor() as con:
        con.register("new_rows", pa.Table.from_pandas(frame[["indicator_id", "month"]], preserve_index=False))
        row = con.execute(_COVERAGE.format(rows="SELECT indicator_id, month, '' AS batch_id FROM new_rows")).fetchone()
    return tuple(row[1:])


def _diff(new: pd.DataFrame, current_sql: str, params: dict, kinds: tuple[str, str, str], current: pd.DataFrame | None = None) -> pd.DataFrame:
    # NaN in the new frame becomes NULL (as stored), so empty parts compare equal
    table = pa.Table.from_pandas(new.assign(_pos=np.arange(len(new))), preserve_index=False)
    with _cursor() as con:
        con.register("new_rows", table)
        if current is not None:
            con.register("current_rows", pa.Table.from_pandas(current, preserve_index=False))
        sql = _DIFF.format(current=current_sql)
        new_kind, changed, unchanged = kinds
        result = con.sql(sql, params=params | {"new": new_kind, "changed": changed, "unchanged": unchanged}).to_arrow_table()
    return result.to_pandas()


def diff_current(new: pd.DataFrame, files: Sequence[str], kinds: tuple[str, str, str]) -> pd.DataFrame:
    """``new`` (a reader frame) joined with the current rows of the store's ``files`` for the same indicators and months.

    ``kinds`` names the three outcomes (new, changed, unchanged). One query: the store is read once, in DuckDB.
    """
    params = _split(files)
    if not params:
        return _diff(new, f"SELECT * FROM ({_empty_sql()})", {}, kinds)
    first, last = (str(new["month"].min()), str(new["month"].max())) if len(new) else ("0000-00", "0000-00")
    return _diff(new, _CURRENT.format(rows=_rows_sql(params)), params | {"first": first, "last": last}, kinds)


def diff_frames(new: pd.DataFrame, current: pd.DataFrame, kinds: tuple[str, str, str]) -> pd.DataFrame:
    """The same comparison against rows already in memory (``ROW_COLUMNS``)."""
    return _diff(new, "SELECT * FROM current_rows", {}, kinds, current=current[list(ROW_COLUMNS)])


def _empty_sql() -> str:
    return ("SELECT NULL::VARCHAR AS indicator_id, NULL::VARCHAR AS month, NULL::DOUBLE AS value, NULL::DOUBLE AS numerator, "
            "NULL::DOUBLE AS denominator, NULL::VARCHAR AS note, NULL::VARCHAR AS batch_id WHERE false")
