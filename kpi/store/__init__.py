"""The store of record for monthly actuals, evaluation records, check-ins and the materials made.

``Store(x)`` / ``open_store(x)`` opens the kind of store ``x`` names (default: ``KPI_STORE``):
a folder path is the folder store (``kpi.store.folder``, the default: needs nothing else),
``postgresql://user@host[:port]/db`` a PostgreSQL database (``kpi.store.postgres``). Both
implement the contract of ``kpi.store.base`` (``StoreContract``) and answer alike;
``store.as_known_at(when)`` is the read-only view of what was known at a past moment
(``kpi.store.snapshot``).
"""
from __future__ import annotations

from pathlib import Path

from kpi.store.base import (
    AlreadyInState,
    DEFAULT_STORE,
    EVENT_LABELS,
    JST,
    RECORD_FOLDERS,
    RESTORE,
    ROLLBACK,
    SCHEMA,
    SOURCE_LABELS,
    Batch,
    Store,
    StoreContract,
    StoreError,
    StoreUnavailable,
    as_store,
    frame_to_actuals,
    is_database,
    log_exception,
    now_jst,
    printable,
    rows_table,
    sequence_id,
    store_address,
    store_dir,
    write_log,
)
from kpi.store.folder import LEGACY_ROWS_FILE, ROWS_FILE, STALE_MINUTES, VERSIONED, FolderStore, write_rows

__all__ = [
    "DEFAULT_STORE", "EVENT_LABELS", "JST", "LEGACY_ROWS_FILE", "RECORD_FOLDERS", "RESTORE", "ROLLBACK", "ROWS_FILE", "SCHEMA",
    "SOURCE_LABELS", "STALE_MINUTES", "VERSIONED", "AlreadyInState", "Batch", "FolderStore", "Store", "StoreContract", "StoreError", "StoreUnavailable", "as_store",
    "frame_to_actuals", "is_database", "log_exception", "now_jst", "open_store", "printable", "rows_table", "sequence_id",
    "store_address", "store_dir", "write_log", "write_rows",
]


def versions(stores: list[Store]) -> list[tuple]:
    """Each store's ``version()``, in order; the PostgreSQL stores of one database answered by one query."""
    from kpi.store.postgres import PgStore

    out: list[tuple | None] = [None] * len(stores)
    by_database: dict[str, list[int]] = {}
    for i, s in enumerate(stores):
        if type(s) is PgStore:
            by_database.setdefault(s.conninfo, []).append(i)
        else:
            out[i] = s.version()
    for indexes in by_database.values():
        for i, v in zip(indexes, PgStore.versions_of([stores[i] for i in indexes])):
            out[i] = v
    return out  # type: ignore[return-value]


def open_store(address: Path | str | None = None) -> Store:
    """The store ``address`` names (default ``KPI_STORE``): a folder path, or ``postgresql://…`` for PostgreSQL."""
    return Store(address)
