"""The folder store: the store of record as an append-only folder of immutable batches (``kpi.store.base`` has the contract).

Layout under ``KPI_STORE``::

    batches/<batch_id>/meta.json     who, when, file name, sha256, counts
    batches/<batch_id>/rows.parquet  the normalised rows, typed (read by DuckDB's read_parquet)
    batches/<batch_id>/original      the raw bytes exactly as uploaded
    events/<batch_id>.<k>.json       the k-th rollback / restore of a batch (never deleted)
    evaluation/<record_id>.json      records appended through append_record (also checkins/, materials/)
    sequence/<n>                     one file per claimed sequence number (created with O_EXCL)
    logs/<ref>.log                   internal errors and refused writes, named in the messages users see
    .staging/<token>/ + <token>.lock writes in progress; the writer holds an flock on the lock file
    .lock                            the commit lock (held only for check, number and rename)

Order. Every batch, event and record gets the next number of one store-wide sequence,
claimed by creating ``sequence/<n>`` with O_CREAT|O_EXCL: exactly one writer gets each
number, on one machine or several sharing the folder, whatever their clocks say. Ids
are ``S<n, 12 digits>-<6 hex>`` and sort by the number; ids of older stores
(``20250101T…Z-abcdef``, from the wall clock) sort before every new one. The newest
active batch (highest id) wins per indicator and month.

Whole or nothing. A batch is written under ``.staging`` (fsynced) and renamed into
``batches/`` in one ``rename``; an event is hard-linked into place under a name that
exists once per state change of its batch, so two concurrent rollbacks cannot both land.
The short commit lock (flock, plus a thread lock for the server's sessions) serialises
"check what the preview saw, claim the number, rename" so landing order is number order.

Old stores keep working: batches written with ``rows.csv`` are read as before.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kpi.evaluate import Actual
from kpi.store.base import (
    EVENT_LABELS,
    VERSIONED_RECORDS,
    Batch,
    Check,
    Store,
    StoreError,
    batch_from_meta,
    rows_table,
    sequence_id,
    store_dir,
)

# Staging entries without a lock file (older versions, or a file system without flock) are
# only removed once this old; entries with a lock are removed as soon as their writer is gone.
STALE_MINUTES = 10
# Folders whose listing is the store's version (a cache key): batches, their events, and appended records.
VERSIONED = ("batches", "events", *VERSIONED_RECORDS)
ROWS_FILE, LEGACY_ROWS_FILE = "rows.parquet", "rows.csv"
_ID = re.compile(r"^(?:[0-9]{8}T[0-9]{12}Z|S[0-9]{12})-[0-9a-f]{6}$")
_EVENT_NAME = re.compile(r"^(?P<batch>.+)\.(?P<k>[0-9]{6})\.json$")
JST = dt.timezone(dt.timedelta(hours=9), "JST")

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()
_LIVE_TOKENS: set[str] = set()  # staging entries this process is writing (POSIX locks cannot tell threads apart)


def now_jst() -> str:
    # here (not only in base) so that a test can skew this module's clock
    return dt.datetime.now(JST).isoformat(timespec="seconds")


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_rows(rows: Sequence[Actual] | pd.DataFrame, path: Path) -> int:
    """Write a batch's rows as Parquet and fsync; returns the row count."""
    table = rows_table(rows)
    pq.write_table(table, str(path), compression="zstd")
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())
    return table.num_rows


# --- locks -------------------------------------------------------------------------------

def _thread_lock(root: Path) -> threading.Lock:
    key = str(root.resolve())
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(key, threading.Lock())


def _flock(fd: int, blocking: bool = True) -> bool:
    """Take an exclusive flock; False when another holder has it (non-blocking). Unsupported file systems: True."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        return True
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
            return True  # no locking here: the age rule in cleanup_staging still applies
        raise


def _lock_supported(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


class _Staged:
    """One write in progress: ``.staging/<token>/`` guarded by ``.staging/<token>.lock`` (flock held until done)."""

    def __init__(self, staging: Path):
        self.token = f"{os.getpid()}-{secrets.token_hex(6)}"
        self.lock_path = staging / f"{self.token}.lock"
        self.dir = staging / self.token
        _LIVE_TOKENS.add(self.token)
        # the lock exists and is held before the folder appears, so a cleaner never sees a live folder unlocked
        self.fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
        _flock(self.fd)
        os.write(self.fd, f"{socket.gethostname()} {os.getpid()} {now_jst()}\n".encode())
        self.dir.mkdir()

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.lock_path)
        os.close(self.fd)
        _LIVE_TOKENS.discard(self.token)


class FolderStore(Store):
    """The store as a folder (``KPI_STORE=/path``): the default, needs nothing else."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root else store_dir()
        self.batches_dir = self.root / "batches"
        self.events_dir = self.root / "events"
        self.staging = self.root / ".staging"
        self.sequence_dir = self.root / "sequence"

    def ensure(self) -> None:
        for d in (self.batches_dir, self.events_dir, self.staging, self.sequence_dir):
            d.mkdir(parents=True, exist_ok=True)

    # --- order and locking ---------------------------------------------------------------

    def claim_sequence(self) -> int:
        """The next number of the store-wide sequence, claimed atomically (O_CREAT|O_EXCL) and never reused."""
        self.sequence_dir.mkdir(parents=True, exist_ok=True)
        n = self.last_sequence() + 1
        while True:
            try:
                fd = os.open(self.sequence_dir / f"{n:012d}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:  # another writer took it: move past everything claimed so far
                n = max(n + 1, self.last_sequence() + 1)
                continue
            os.close(fd)
            return n

    def last_sequence(self) -> int:
        names = _names(self.sequence_dir)
        return max((int(n) for n in names if n.isdigit()), default=0)

    @contextlib.contextmanager
    def commit_lock(self) -> Iterator[None]:
        """Serialise check → number → rename between threads (thread lock) and processes or machines (flock)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with _thread_lock(self.root):
            fd = os.open(self.root / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
            try:
                _flock(fd)
                yield
            finally:
                os.close(fd)  # releases the flock

    # --- writing -----------------------------------------------------------------

    def write_batch(self, raw: bytes, file_name: str, rows: Sequence[Actual] | pd.DataFrame, user: str,
                    source: str = "upload", sample: bool = False, counts: dict | None = None,
                    check: Check | None = None, extra: dict | None = None) -> str:
        """Keep the raw file and its normalised rows as one new batch; return its id.

        ``check`` (optional) runs under the commit lock just before the batch gets its number and lands;
        it raises (StoreError) to refuse, and then nothing lands, or returns the counts to record instead of ``counts``.
        ``extra`` (optional) adds fields to the batch's meta.json (``file_name_bytes``: the name's original bytes, hex).
        """
        self.ensure()
        self.cleanup_staging()
        staged = _Staged(self.staging)
        try:
            payload = staged.dir / "batch"
            payload.mkdir()
            _fsync_write(payload / "original", raw)
            n_rows = write_rows(rows, payload / ROWS_FILE)
            meta = {"user": user, "file_name": Path(file_name).name, "sha256": hashlib.sha256(raw).hexdigest(),
                    "size": len(raw), "rows": n_rows, "sample": sample, "source": source, "counts": counts or {}, **(extra or {})}
            with self.commit_lock():
                recount = check() if check is not None else None
                if recount is not None:
                    meta["counts"] = recount
                seq = self.claim_sequence()
                batch_id = sequence_id(seq)
                meta = {"batch_id": batch_id, "sequence": seq, **meta, "created_at": now_jst()}
                _fsync_write(payload / "meta.json", json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))
                _fsync_dir(payload)
                os.rename(payload, self.batches_dir / batch_id)
                _fsync_dir(self.batches_dir)
        finally:
            staged.close()
        return batch_id

    def record_event(self, kind: str, batch_id: str, user: str, reason: str = "") -> str:
        """Append a rollback / restore event; KeyError for an unknown batch, StoreError when it changes nothing.

        Exactly once under races: the event lands as the batch's next state change ``<batch>.<k>.json``
        by a hard link, which fails when another process landed that change first.
        """
        if kind not in EVENT_LABELS:
            raise StoreError(f"未知の操作です: {kind}")
        if not self.has_batch(batch_id):
            raise KeyError(batch_id)
        with self.commit_lock():
            changes = self._events_of(batch_id)
            self._refuse_if_no_change(kind, batch_id, changes)
            body = {"type": kind, "batch_id": batch_id, "user": user, "reason": reason}
            try:
                return self._land_record(self.events_dir, body, "event_id", name=f"{batch_id}.{len(changes) + 1:06d}.json")
            except FileExistsError:  # another process changed the batch between our look and our write
                self._refuse_if_no_change(kind, batch_id, self._events_of(batch_id))
                raise StoreError(f"バッチ {batch_id} は同時に別の操作で変更されました。履歴を確認してください") from None

    def append_record(self, folder: str, body: dict, id_field: str = "record_id") -> str:
        """Append one immutable JSON record to ``<root>/<folder>/`` (evaluation, …); returns its id.

        Written under ``.staging`` and renamed into place, so a reader sees the whole record or none.
        The record gets ``id_field`` (from the store's sequence) and ``at`` (JST); records sort by id, oldest first.
        """
        self.ensure()
        self.cleanup_staging()
        with self.commit_lock():
            return self._land_record(self.root / folder, body, id_field)

    def records(self, folder: str) -> list[dict]:
        """Every record ``append_record`` put in ``folder``, oldest first (a missing folder: none)."""
        path = self.root / folder
        try:
            names = sorted(n for n in os.listdir(path) if n.endswith(".json") and not n.startswith("."))
        except FileNotFoundError:
            return []
        return [json.loads((path / n).read_text(encoding="utf-8")) for n in names]

    def _land_record(self, target: Path, body: dict, id_field: str, name: str | None = None) -> str:
        """Stage one JSON record, number it and put it in place (``name``: land by hard link, once only)."""
        target.mkdir(parents=True, exist_ok=True)
        self.staging.mkdir(parents=True, exist_ok=True)
        staged = _Staged(self.staging)
        try:
            seq = self.claim_sequence()
            record_id = sequence_id(seq)
            record = {id_field: record_id, "sequence": seq, **body, "at": now_jst()}
            tmp = staged.dir / "record.json"
            _fsync_write(tmp, json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))
            if name is None:
                os.rename(tmp, target / f"{record_id}.json")
            else:
                os.link(tmp, target / name)  # FileExistsError when this state change already landed
        finally:
            staged.close()
        _fsync_dir(target)
        return record_id

    def load(self, metas: Sequence[tuple[dict, bytes, pa.Table]], events: Sequence[dict],
             records: dict[str, list[dict]], last: int) -> None:
        """Put a whole store's items (ids, numbers and times kept) into this empty folder (``kpi.store.copy``)."""
        self.ensure()
        with self.commit_lock():
            if not self.is_empty() or self.events() or any(self.records(f) for f in records) or self.last_sequence():
                raise StoreError("コピー先の保存先は空ではありません（何も書き込んでいません）")
            for meta, raw, table in metas:
                staged = _Staged(self.staging)
                try:
                    payload = staged.dir / "batch"
                    payload.mkdir()
                    _fsync_write(payload / "original", raw)
                    pq.write_table(table, str(payload / ROWS_FILE), compression="zstd")
                    _fsync_write(payload / "meta.json", json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))
                    os.rename(payload, self.batches_dir / meta["batch_id"])
                finally:
                    staged.close()
            k: dict[str, int] = {}
            for e in events:
                k[e["batch_id"]] = k.get(e["batch_id"], 0) + 1
                _fsync_write(self.events_dir / f"{e['batch_id']}.{k[e['batch_id']]:06d}.json",
                             json.dumps(e, ensure_ascii=False, indent=1).encode("utf-8"))
            for folder, recs in records.items():
                (self.root / folder).mkdir(parents=True, exist_ok=True)
                for r in recs:
                    ident = r.get("record_id") or next(v for key, v in r.items() if key.endswith("_id"))
                    _fsync_write(self.root / folder / f"{ident}.json", json.dumps(r, ensure_ascii=False, indent=1).encode("utf-8"))
            if last:
                os.close(os.open(self.sequence_dir / f"{last:012d}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            for d in (self.batches_dir, self.events_dir, self.sequence_dir):
                _fsync_dir(d)

    def cleanup_staging(self, older_than_minutes: float = STALE_MINUTES) -> list[str]:
        """Remove what dead writers left in ``.staging``; never a live writer's entry.

        An entry whose lock file's flock can be taken has no writer any more: it goes at once.
        An entry without a lock (older versions) goes once older than ``older_than_minutes``.
        """
        removed: list[str] = []
        try:
            entries = {e.name: e for e in os.scandir(self.staging)}
        except FileNotFoundError:
            return removed
        for name, entry in entries.items():
            if name.endswith(".lock"):
                if name[:-5] not in entries and self._remove_if_dead(name[:-5], None):  # a lock left alone
                    removed.append(name)
                continue
            if name in _LIVE_TOKENS:
                continue
            if f"{name}.lock" in entries:
                if self._remove_if_dead(name, entry):
                    removed += [name, f"{name}.lock"]
            elif self._remove_if_old(entry, older_than_minutes):
                removed.append(name)
        return removed

    def _remove_if_dead(self, token: str, entry: os.DirEntry | None) -> bool:
        if token in _LIVE_TOKENS:
            return False
        lock_path = self.staging / f"{token}.lock"
        try:
            fd = os.open(lock_path, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            if not _lock_supported(fd):
                return entry is not None and self._remove_if_old(entry, STALE_MINUTES * 6)
            if not _flock(fd, blocking=False):
                return False  # its writer is alive
            if entry is not None:
                _remove(entry)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock_path)
            return True
        finally:
            os.close(fd)

    @staticmethod
    def _remove_if_old(entry: os.DirEntry, minutes: float) -> bool:
        try:
            if _newest_mtime(Path(entry.path)) > time.time() - minutes * 60:
                return False
            _remove(entry)
            return True
        except FileNotFoundError:  # another process cleaned it meanwhile
            return False

    # --- reading -----------------------------------------------------------------

    def version(self) -> tuple[tuple[str, ...], ...]:
        """Changes whenever a batch, an event or a record lands: the cache key for everything read."""
        return tuple(tuple(sorted(_names(self.root / folder))) for folder in VERSIONED)

    def events(self) -> list[dict]:
        """Every rollback / restore, oldest first (by sequence; older stores' wall-clock ids come first)."""
        out = []
        for name in _names(self.events_dir):
            if name.endswith(".json"):
                out.append(json.loads((self.events_dir / name).read_text(encoding="utf-8")))
        return sorted(out, key=lambda e: e["event_id"])

    def has_batch(self, batch_id: str) -> bool:
        return bool(_ID.match(batch_id or "")) and (self.batches_dir / batch_id / "meta.json").is_file()

    def _meta(self, bid: str) -> dict:
        return json.loads((self.batches_dir / bid / "meta.json").read_text(encoding="utf-8"))

    def batch_metas(self) -> list[dict]:
        """Every batch's metadata, oldest first (ids sort by the sequence)."""
        return [self._meta(bid) for bid in sorted(_names(self.batches_dir))]

    def _batch(self, bid: str, inactive: set[str]) -> Batch:
        return batch_from_meta(self._meta(bid), bid not in inactive)

    def batch(self, batch_id: str) -> Batch:
        if not self.has_batch(batch_id):
            raise KeyError(batch_id)
        return self._batch(batch_id, self.inactive_ids())

    def batches(self) -> list[Batch]:
        """Every batch, newest first."""
        inactive = self.inactive_ids()
        return [self._batch(bid, inactive) for bid in sorted(_names(self.batches_dir), reverse=True)]

    def is_empty(self) -> bool:
        return not _names(self.batches_dir)

    def rows_file(self, batch_id: str) -> str:
        """The batch's rows: ``rows.parquet``, or ``rows.csv`` in stores written before Parquet."""
        folder = self.batches_dir / batch_id
        parquet = folder / ROWS_FILE
        return str(parquet if parquet.exists() else folder / LEGACY_ROWS_FILE)

    def active_files(self) -> list[str]:  # without reading every meta.json
        inactive = self.inactive_ids()
        return [self.rows_file(b) for b in sorted(_names(self.batches_dir)) if b not in inactive]

    def original(self, batch_id: str) -> bytes:
        """The file exactly as uploaded."""
        if not self.has_batch(batch_id):
            raise KeyError(batch_id)
        return (self.batches_dir / batch_id / "original").read_bytes()


def _names(folder: Path) -> list[str]:
    try:
        return [n for n in os.listdir(folder) if not n.startswith(".")]
    except FileNotFoundError:
        return []


def _remove(entry: os.DirEntry) -> None:
    if entry.is_dir(follow_symlinks=False):
        shutil.rmtree(entry.path)
    else:
        os.unlink(entry.path)


def _newest_mtime(path: Path) -> float:
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for child in path.rglob("*"):
            try:
                newest = max(newest, child.lstat().st_mtime)
            except FileNotFoundError:
                continue
    return newest


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
