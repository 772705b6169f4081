"""The store of record for monthly actuals: an append-only folder of immutable batches.

Layout under ``KPI_STORE``::

    batches/<batch_id>/meta.json   who, when, file name, sha256, counts
    batches/<batch_id>/rows.csv    the normalised rows (read by DuckDB)
    batches/<batch_id>/original    the raw bytes exactly as uploaded
    events/<event_id>.json         rollback / restore of a batch (never deleted)
    .staging/                      batches being written; never read

A batch is written whole under ``.staging`` and renamed into ``batches/`` in one
``rename`` (atomic on POSIX), so a crash leaves the whole batch or none, and any
number of processes can import at once without a lock. Batch ids sort by time, and
the newest active batch wins per indicator and month.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from kpi import db
from kpi.evaluate import Actual

DEFAULT_STORE = Path(__file__).resolve().parent.parent / "store"
JST = dt.timezone(dt.timedelta(hours=9), "JST")
ROLLBACK, RESTORE = "rollback", "restore"
EVENT_LABELS = {ROLLBACK: "取り消し", RESTORE: "元に戻す"}
SOURCE_LABELS = {"upload": "画面", "cli": "コマンド", "sample": "サンプル"}
STALE_MINUTES = 60
# Folders whose listing is the store's version (a cache key): batches, their events, and appended records.
VERSIONED = ("batches", "events", "evaluation", "checkins")
_ID = re.compile(r"^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{6}$")


class StoreError(ValueError):
    """A request the store refuses (message in Japanese); nothing was written."""


def store_dir() -> Path:
    return Path(os.environ.get("KPI_STORE") or DEFAULT_STORE)


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


def new_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def rows_csv(rows: Iterable[Actual], batch_id: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(db.ROW_COLUMNS)
    for r in rows:
        w.writerow([r.indicator_id, r.month, repr(float(r.value)), _num(r.numerator), _num(r.denominator), r.note, batch_id])
    return buf.getvalue().encode("utf-8")


def write_frame_csv(frame: pd.DataFrame, batch_id: str, path: Path) -> None:
    """The store's ``rows.csv`` (db.ROW_COLUMNS) for a reader frame, written by DuckDB and fsynced.

    The fast path of ``rows_csv``: a million rows in about 0.4 s instead of several seconds.
    """
    out = frame[["indicator_id", "month", "value", "numerator", "denominator", "note"]].assign(batch_id=batch_id)
    out["note"] = out["note"].fillna("").astype(str)
    with duckdb.connect() as con:
        con.from_df(out).write_csv(str(path), header=True)
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _num(x: float | None) -> str:
    return "" if x is None else repr(float(x))


class Store:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else store_dir()
        self.batches_dir = self.root / "batches"
        self.events_dir = self.root / "events"
        self.staging = self.root / ".staging"

    def ensure(self) -> None:
        for d in (self.batches_dir, self.events_dir, self.staging):
            d.mkdir(parents=True, exist_ok=True)

    # --- writing -----------------------------------------------------------------

    def write_batch(self, raw: bytes, file_name: str, rows: Sequence[Actual] | pd.DataFrame, user: str,
                    source: str = "upload", sample: bool = False, counts: dict | None = None) -> str:
        """Keep the raw file and its normalised rows as one new batch; return its id."""
        self.ensure()
        batch_id = new_id()
        tmp = self.staging / batch_id
        tmp.mkdir()
        try:
            _fsync_write(tmp / "original", raw)
            if isinstance(rows, pd.DataFrame):  # a reader frame: written columnar
                write_frame_csv(rows, batch_id, tmp / "rows.csv")
            else:
                _fsync_write(tmp / "rows.csv", rows_csv(rows, batch_id))
            meta = {
                "batch_id": batch_id,
                "user": user,
                "created_at": dt.datetime.now(JST).isoformat(timespec="seconds"),
                "file_name": Path(file_name).name,
                "sha256": hashlib.sha256(raw).hexdigest(),
                "size": len(raw),
                "rows": len(rows),
                "sample": sample,
                "source": source,
                "counts": counts or {},
            }
            _fsync_write(tmp / "meta.json", json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))
            os.rename(tmp, self.batches_dir / batch_id)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _fsync_dir(self.batches_dir)
        return batch_id

    def record_event(self, kind: str, batch_id: str, user: str, reason: str = "") -> str:
        """Append a rollback / restore event; KeyError for an unknown batch, StoreError when it changes nothing."""
        if not self.has_batch(batch_id):
            raise KeyError(batch_id)
        active = batch_id not in self.inactive_ids()
        if kind == ROLLBACK and not active:
            raise StoreError(f"バッチ {batch_id} は既に取り消し済みです")
        if kind == RESTORE and active:
            raise StoreError(f"バッチ {batch_id} は取り消されていません（有効です）")
        if kind not in EVENT_LABELS:
            raise StoreError(f"未知の操作です: {kind}")
        return self.append_record("events", {"type": kind, "batch_id": batch_id, "user": user, "reason": reason}, "event_id")

    def append_record(self, folder: str, body: dict, id_field: str = "record_id") -> str:
        """Append one immutable JSON record to ``<root>/<folder>/`` (events, evaluation, …); returns its id.

        Written under ``.staging`` and renamed into place, so a reader sees the whole record or none.
        The record gets ``id_field`` and ``at`` (JST); records sort by id, oldest first.
        """
        self.ensure()
        target = self.root / folder
        target.mkdir(parents=True, exist_ok=True)
        record_id = new_id()
        record = {id_field: record_id, **body, "at": dt.datetime.now(JST).isoformat(timespec="seconds")}
        tmp = self.staging / f"{record_id}.json"
        try:
            _fsync_write(tmp, json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))
            os.rename(tmp, target / f"{record_id}.json")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(target)
        return record_id

    def rollback(self, batch_id: str, user: str, reason: str = "") -> str:
        return self.record_event(ROLLBACK, batch_id, user, reason)

    def restore(self, batch_id: str, user: str, reason: str = "") -> str:
        return self.record_event(RESTORE, batch_id, user, reason)

    def cleanup_staging(self, older_than_minutes: float = STALE_MINUTES) -> list[str]:
        """Remove what crashed writers left in ``.staging``; entries younger than the limit may still be in progress."""
        removed = []
        limit = time.time() - older_than_minutes * 60
        try:
            entries = list(os.scandir(self.staging))
        except FileNotFoundError:
            return removed
        for entry in entries:
            try:
                if _newest_mtime(Path(entry.path)) > limit:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(entry.name)
            except FileNotFoundError:  # another process cleaned it meanwhile
                continue
        return removed

    # --- reading -----------------------------------------------------------------

    def version(self) -> tuple[tuple[str, ...], ...]:
        """Changes whenever a batch, an event or a record lands: the cache key for everything read."""
        return tuple(tuple(sorted(_names(self.root / folder))) for folder in VERSIONED)

    def events(self) -> list[dict]:
        out = []
        for name in sorted(_names(self.events_dir)):
            out.append(json.loads((self.events_dir / name).read_text(encoding="utf-8")))
        return out

    def inactive_ids(self) -> set[str]:
        state: dict[str, str] = {}
        for e in self.events():  # in time order: the last word on a batch counts
            state[e["batch_id"]] = e["type"]
        return {b for b, kind in state.items() if kind == ROLLBACK}

    def has_batch(self, batch_id: str) -> bool:
        return bool(_ID.match(batch_id or "")) and (self.batches_dir / batch_id / "meta.json").is_file()

    def _batch(self, bid: str, inactive: set[str]) -> Batch:
        meta = json.loads((self.batches_dir / bid / "meta.json").read_text(encoding="utf-8"))
        return Batch(
            meta["batch_id"], meta["user"], meta["created_at"], meta["file_name"], meta["sha256"], meta["size"],
            meta["rows"], bool(meta.get("sample")), meta.get("source", ""), bid not in inactive, meta.get("counts", {}),
        )

    def batch(self, batch_id: str) -> Batch:
        if not self.has_batch(batch_id):
            raise KeyError(batch_id)
        return self._batch(batch_id, self.inactive_ids())

    def batches(self) -> list[Batch]:
        """Every batch, newest first."""
        inactive = self.inactive_ids()
        return [self._batch(bid, inactive) for bid in sorted(_names(self.batches_dir), reverse=True)]

    def event_log(self) -> list[dict]:
        """Every rollback / restore, newest first, with the batch's file name."""
        names = {b.batch_id: b.file_name for b in self.batches()}
        return [e | {"label": EVENT_LABELS.get(e["type"], e["type"]), "file_name": names.get(e["batch_id"], "")}
                for e in reversed(self.events())]

    def is_empty(self) -> bool:
        return not _names(self.batches_dir)

    def active_files(self) -> list[str]:
        inactive = self.inactive_ids()
        return [str(self.batches_dir / b / "rows.csv") for b in sorted(_names(self.batches_dir)) if b not in inactive]

    def original(self, batch_id: str) -> bytes:
        """The file exactly as uploaded."""
        if not self.has_batch(batch_id):
            raise KeyError(batch_id)
        return (self.batches_dir / batch_id / "original").read_bytes()

    def batch_frame(self, batch_id: str) -> pd.DataFrame:
        return db.batch_rows([str(self.batches_dir / batch_id / "rows.csv")])

    def current_frame(self, first: str = "0000-00", last: str = "9999-99") -> pd.DataFrame:
        return db.current_actuals(self.active_files(), first, last)

    def current(self, first: str = "0000-00", last: str = "9999-99") -> list[Actual]:
        return frame_to_actuals(self.current_frame(first, last))


def frame_to_actuals(frame: pd.DataFrame) -> list[Actual]:
    out = []
    for r in frame.itertuples(index=False):
        out.append(Actual(r.indicator_id, r.month, float(r.value), _opt(r.numerator), _opt(r.denominator),
                          r.note if isinstance(r.note, str) else "", r.batch_id))
    return out


def _opt(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _names(folder: Path) -> list[str]:
    try:
        return [n for n in os.listdir(folder) if not n.startswith(".")]
    except FileNotFoundError:
        return []


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
