"""The store's contract: what every kind of store keeps and answers, and what is derived the same way for all.

A store of record is append-only. It keeps *batches* (an uploaded file: its bytes, its
normalised rows, who and when), *events* (a batch's rollback or restore), and *records*
appended to named folders (``evaluation``, ``checkins``, ``materials``, …). Every write gets
the next number of one store-wide sequence; ids ``S<n, 12 digits>-<6 hex>`` sort by it.

``StoreContract`` names the few primitives a kind of store implements (the folder store in
``kpi.store.folder``, PostgreSQL in ``kpi.store.postgres``); ``Store`` derives the rest from
them (batches with their state, the current actuals, the event log, the view as known at a
past moment), so both kinds answer alike. ``Store(x)`` opens the kind ``x`` names: a path is
a folder store, ``postgresql://…`` a database.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import pyarrow as pa

from kpi import db
from kpi.evaluate import Actual

if TYPE_CHECKING:
    from kpi.store.snapshot import KnownAt

DEFAULT_STORE = Path(__file__).resolve().parent.parent.parent / "store"
JST = dt.timezone(dt.timedelta(hours=9), "JST")
ROLLBACK, RESTORE = "rollback", "restore"
EVENT_LABELS = {ROLLBACK: "取り消し", RESTORE: "元に戻す"}
SOURCE_LABELS = {"upload": "画面", "cli": "コマンド", "sample": "サンプル"}
# Record folders every kind of store keeps (records go through append_record / records).
RECORD_FOLDERS = ("evaluation", "checkins", "materials")
# Those that change what is shown (the version, a cache key): a material made changes no number.
VERSIONED_RECORDS = ("evaluation", "checkins")
PG_SCHEMES = ("postgresql://", "postgres://")
SCHEMA = pa.schema([("indicator_id", pa.string()), ("month", pa.string()), ("value", pa.float64()),
                    ("numerator", pa.float64()), ("denominator", pa.float64()), ("note", pa.string())])

Check = Callable[[], "dict | None"]


class StoreError(ValueError):
    """A request the store refuses (message in Japanese); nothing was written."""


class AlreadyInState(StoreError):
    """A rollback of a batch already rolled back, or a restore of one that is active: someone did it first."""


class StoreUnavailable(RuntimeError):
    """The store cannot be reached (a database that does not answer); the message says where, in Japanese."""


def store_dir() -> Path:
    """``KPI_STORE`` (a folder, or a ``postgresql://`` address kept as given by ``store_address``)."""
    return Path(os.environ.get("KPI_STORE") or DEFAULT_STORE)


def store_address() -> str:
    """``KPI_STORE`` as text: a folder path or a ``postgresql://`` address (``Path`` would fold its ``//``)."""
    return os.environ.get("KPI_STORE") or str(DEFAULT_STORE)


def is_database(address: object) -> bool:
    """True for a PostgreSQL address, also after ``Path`` folded ``postgresql://`` into ``postgresql:/``."""
    text = str(address)
    return text.startswith(PG_SCHEMES) or text.startswith(("postgresql:/", "postgres:/"))


@dataclass(frozen=True)
class Batch:
    batch_id: str
    user: str
    created_at: str
    file_name: str
    sha256: str
    size: int
    rows: int
    sample: bool
    source: str
    active: bool
    counts: dict

    @property
    def label(self) -> str:
        return f"{self.created_at[:16].replace('T', ' ')} {self.file_name}"

    @property
    def state(self) -> str:
        return "有効" if self.active else "取り消し済み"

    def record(self) -> dict:
        """The JSON shape of ``python -m kpi history --json``."""
        return {
            "batch_id": self.batch_id, "created_at": self.created_at, "user": self.user, "file_name": self.file_name,
            "sha256": self.sha256, "size": self.size, "rows": self.rows, "new": self.counts.get("新規"),
            "changed": self.counts.get("変更"), "unchanged": self.counts.get("変更なし"), "active": self.active,
            "state": self.state, "sample": self.sample, "source": self.source,
        }


@dataclass(frozen=True)
class Coverage:
    """What a batch's rows cover: the first and last month (YYYY-MM), how many months and indicators."""
    first: str
    last: str
    months: int
    indicators: int

    def record(self) -> dict:
        """Its part of the JSON of ``python -m kpi history`` and ``import``."""
        return {"first_month": self.first, "last_month": self.last, "months": self.months, "indicators": self.indicators}


def batch_from_meta(meta: dict, active: bool) -> Batch:
    """A batch from its metadata (extra keys, added by later versions, are kept in the metadata and ignored here)."""
    return Batch(meta["batch_id"], meta["user"], meta["created_at"], meta["file_name"], meta["sha256"], meta["size"],
                 meta["rows"], bool(meta.get("sample")), meta.get("source", ""), active, meta.get("counts", {}))


def sequence_id(seq: int) -> str:
    """The id of the ``seq``-th write: sorts by the number, and after every wall-clock id of older stores."""
    return f"S{seq:012d}-{secrets.token_hex(3)}"


def sequence_of(item: dict, id_field: str) -> int | None:
    """The sequence number of a batch, event or record (None for older stores' wall-clock ids)."""
    seq = item.get("sequence")
    if isinstance(seq, int):
        return seq
    ident = str(item.get(id_field) or "")
    return int(ident[1:13]) if ident[:1] == "S" and ident[1:13].isdigit() else None


def now_jst() -> str:
    return dt.datetime.now(JST).isoformat(timespec="seconds")


def rows_table(rows: Sequence[Actual] | pd.DataFrame) -> pa.Table:
    """The typed table stored per batch (``SCHEMA``): no cell content can break it, unlike CSV lines."""
    if isinstance(rows, pd.DataFrame):  # columns straight into Arrow (no Python objects per cell)
        cols = {"indicator_id": rows["indicator_id"], "month": rows["month"], "value": rows["value"].to_numpy(dtype="float64"),
                "numerator": rows["numerator"].to_numpy(dtype="float64", na_value=np.nan),
                "denominator": rows["denominator"].to_numpy(dtype="float64", na_value=np.nan), "note": rows["note"].fillna("")}
    else:
        cols = {"indicator_id": [r.indicator_id for r in rows], "month": [r.month for r in rows],
                "value": [float(r.value) for r in rows], "numerator": [r.numerator for r in rows],
                "denominator": [r.denominator for r in rows], "note": [r.note or "" for r in rows]}
    arrays = [pa.array(cols[f.name], from_pandas=True).cast(f.type) for f in SCHEMA]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


# --- logs ----------------------------------------------------------------------------------

def _log_folder(root: object) -> Path | None:
    return None if is_database(root) else Path(str(root)) / "logs"


def write_log(root: Path | str, kind: str, text: str, ref: str | None = None) -> str:
    """Write one entry to ``<root>/logs/<ref>.log`` (or the temp folder when the store is not a writable folder); returns the reference.

    The reference is what users see in Japanese messages ("ログ参照: E-…"), never the internals.
    """
    ref = ref or f"E-{dt.datetime.now(JST):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    entry = f"{ref} {now_jst()} {kind} pid={os.getpid()} host={socket.gethostname()}\n{text.rstrip()}\n"
    folders = [f for f in (_log_folder(root), log_folder_fallback()) if f is not None]
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{ref}.log"
            with open(path, "wb") as fh:
                fh.write(entry.encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            return ref
        except OSError:
            continue
    return ref


def log_location(root: Path | str) -> Path:
    """Where ``write_log`` puts entries for the store ``root`` (a folder's ``logs/``, else the fallback folder)."""
    return _log_folder(root) or log_folder_fallback()


def log_folder_fallback() -> Path:
    """Where logs go when the store is a database (or its folder is not writable): ``KPI_LOG_DIR`` or the temp folder."""
    return Path(os.environ.get("KPI_LOG_DIR") or Path(os.environ.get("TMPDIR", "/tmp")) / "kpi-logs")


def log_exception(root: Path | str, kind: str, exc: BaseException, ref: str | None = None) -> str:
    return write_log(root, kind, "".join(traceback.format_exception(exc)), ref)


def printable(text: object) -> str:
    """Recorded user text (file names, user names, reasons) for a terminal line: no control characters."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in str(text))


def frame_to_actuals(frame: pd.DataFrame) -> list[Actual]:
    out = []
    for r in frame.itertuples(index=False):
        out.append(Actual(r.indicator_id, r.month, float(r.value), _opt(r.numerator), _opt(r.denominator),
                          r.note if isinstance(r.note, str) else "", r.batch_id))
    return out


def _opt(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


# --- the contract --------------------------------------------------------------------------

@runtime_checkable
class StoreContract(Protocol):
    """The primitives a kind of store implements; ``Store`` derives everything else from these.

    Writes are append-only and numbered by one sequence; ``check`` runs inside the writing
    transaction (under the commit lock) and refuses by raising ``StoreError``. Reads return
    plain dicts: a batch's metadata (``batch_id``, ``sequence``, ``user``, ``created_at``,
    ``file_name``, ``sha256``, ``size``, ``rows``, ``sample``, ``source``, ``counts`` and any
    later field), events (``event_id``, ``sequence``, ``type``, ``batch_id``, ``user``,
    ``reason``, ``at``) and records (their id field, ``sequence``, ``at`` and the body).
    """

    root: Any  # what ``Store(root)`` reopens: a folder path or a postgresql:// address

    def write_batch(self, raw: bytes, file_name: str, rows: Sequence[Actual] | pd.DataFrame, user: str,
                    source: str = "upload", sample: bool = False, counts: dict | None = None, check: Check | None = None,
                    extra: dict | None = None) -> str: ...

    def record_event(self, kind: str, batch_id: str, user: str, reason: str = "") -> str: ...

    def append_record(self, folder: str, body: dict, id_field: str = "record_id") -> str: ...

    def batch_metas(self) -> list[dict]: ...  # every batch, oldest first

    def events(self) -> list[dict]: ...  # every rollback / restore, oldest first

    def records(self, folder: str) -> list[dict]: ...  # every record of a folder, oldest first

    def original(self, batch_id: str) -> bytes: ...

    def rows_file(self, batch_id: str) -> str: ...  # a local file DuckDB reads (Parquet, or CSV in old folders)

    def has_batch(self, batch_id: str) -> bool: ...

    def last_sequence(self) -> int: ...

    def version(self) -> tuple: ...  # changes whenever anything lands: the cache key

    def log(self, kind: str, text: str) -> str: ...


class Store:
    """A store of record. ``Store(x)`` opens the kind ``x`` names (folder path or ``postgresql://`` address).

    Subclasses implement ``StoreContract``; the methods here are derived from it and shared.
    """

    root: Any

    def __new__(cls, root: Path | str | None = None, *args, **kwargs):
        if cls is Store:
            address = store_address() if root is None else root
            if is_database(address):
                from kpi.store.postgres import PgStore
                cls = PgStore
            else:
                from kpi.store.folder import FolderStore
                cls = FolderStore
        return super().__new__(cls)

    # --- primitives (StoreContract), implemented by each kind ----------------------------------

    def batch_metas(self) -> list[dict]:
        raise NotImplementedError

    def events(self) -> list[dict]:
        raise NotImplementedError

    def records(self, folder: str) -> list[dict]:
        raise NotImplementedError

    def rows_file(self, batch_id: str) -> str:
        raise NotImplementedError

    def has_batch(self, batch_id: str) -> bool:
        raise NotImplementedError

    def record_event(self, kind: str, batch_id: str, user: str, reason: str = "") -> str:
        raise NotImplementedError

    def log(self, kind: str, text: str) -> str:
        return write_log(self.root, kind, text)

    def log_exception(self, kind: str, exc: BaseException, ref: str | None = None) -> str:
        return log_exception(self.root, kind, exc, ref)

    # --- derived ------------------------------------------------------------------------------

    @staticmethod
    def read_records(store: Store | Path | str, folder: str) -> list[dict]:
        """Every record ``append_record`` put in ``folder``, oldest first (a missing folder: none)."""
        return as_store(store).records(folder)

    def rollback(self, batch_id: str, user: str, reason: str = "") -> str:
        return self.record_event(ROLLBACK, batch_id, user, reason)

    def restore(self, batch_id: str, user: str, reason: str = "") -> str:
        return self.record_event(RESTORE, batch_id, user, reason)

    def _events_of(self, batch_id: str) -> list[dict]:
        return [e for e in self.events() if e["batch_id"] == batch_id]

    @staticmethod
    def _refuse_if_no_change(kind: str, batch_id: str, changes: list[dict]) -> None:
        active = not changes or changes[-1]["type"] != ROLLBACK
        if kind == ROLLBACK and not active:
            raise AlreadyInState(f"バッチ {batch_id} は既に取り消し済みです")
        if kind == RESTORE and active:
            raise AlreadyInState(f"バッチ {batch_id} は取り消されていません（有効です）")

    def inactive_ids(self) -> set[str]:
        state: dict[str, str] = {}
        for e in self.events():  # in order: the last word on a batch counts
            state[e["batch_id"]] = e["type"]
        return {b for b, kind in state.items() if kind == ROLLBACK}

    def batch(self, batch_id: str) -> Batch:
        meta = next((m for m in self.batch_metas() if m["batch_id"] == batch_id), None) if self.has_batch(batch_id) else None
        if meta is None:
            raise KeyError(batch_id)
        return batch_from_meta(meta, batch_id not in self.inactive_ids())

    def batches(self) -> list[Batch]:
        """Every batch, newest first."""
        inactive = self.inactive_ids()
        return [batch_from_meta(m, m["batch_id"] not in inactive) for m in reversed(self.batch_metas())]

    def event_log(self) -> list[dict]:
        """Every rollback / restore, newest first, with the batch's file name."""
        names = {m["batch_id"]: m["file_name"] for m in self.batch_metas()}
        return [e | {"label": EVENT_LABELS.get(e["type"], e["type"]), "file_name": names.get(e["batch_id"], "")}
                for e in reversed(self.events())]

    def is_empty(self) -> bool:
        return not self.batch_metas()

    def active_files(self) -> list[str]:
        inactive = self.inactive_ids()
        return [self.rows_file(m["batch_id"]) for m in self.batch_metas() if m["batch_id"] not in inactive]

    def batch_frame(self, batch_id: str) -> pd.DataFrame:
        return db.batch_rows([self.rows_file(batch_id)])

    def coverage(self) -> dict[str, Coverage]:
        """What each batch covers (rolled back or not), by batch id: read from its rows, so every batch has it,
        whenever and however it was written."""
        files = [self.rows_file(m["batch_id"]) for m in self.batch_metas()]
        return {bid: Coverage(first, last, months, n) for bid, first, last, months, n in db.batch_coverage(files)}

    def current_frame(self, first: str = "0000-00", last: str = "9999-99") -> pd.DataFrame:
        return db.current_actuals(self.active_files(), first, last)

    def current(self, first: str = "0000-00", last: str = "9999-99") -> list[Actual]:
        return frame_to_actuals(self.current_frame(first, last))

    def as_known_at(self, when: str | int | dt.datetime) -> KnownAt:
        """A read-only view of the store as it was known at ``when`` (a JST date-time, or a sequence number):
        later batches, rollbacks / restores and records (evaluation, check-ins, …) are left out."""
        from kpi.store.snapshot import KnownAt

        return KnownAt(self, when)


def as_store(store: Store | Path | str) -> Store:
    """A store object for a store or its address (the record modules accept either)."""
    return store if isinstance(store, Store) else Store(store)
