"""Upload → preview → commit: the one path by which actuals enter the store.

The page and ``python -m kpi import`` both call ``preview`` then ``commit``; a file
with any error writes nothing. ``commit`` writes only what the preview showed: if any
previewed indicator and month changed in the store since (another upload, a command-line
import, a rollback), it refuses with ``StalePreview`` and nothing is written. The check
runs under the store's commit lock, just before the batch gets its sequence number.
"""
from __future__ import annotations

import ctypes
import datetime as dt
import functools
import gc
import os
import stat
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from kpi import db, fiscal, ownership
from kpi.evaluate import Actual
from kpi.policy import Policy
from kpi.reader import Problem, ReadResult, limits, read_actuals
from kpi.store import Store, StoreError
from kpi.store.base import Coverage

NEW, CHANGED, UNCHANGED = "新規", "変更", "変更なし"
DEFAULT_MAX_MB = 50
_FIGURES = ("value", "numerator", "denominator", "note", "batch_id")


class StalePreview(StoreError):
    """The store changed for a previewed indicator and month since the preview; nothing was written."""


def max_upload_mb() -> int:
    """The size limit for one file in MB: env KPI_MAX_UPLOAD_MB (default 50, as .streamlit/config.toml maxUploadSize)."""
    try:
        mb = int(os.environ.get("KPI_MAX_UPLOAD_MB") or DEFAULT_MAX_MB)
    except ValueError:
        return DEFAULT_MAX_MB
    return mb if mb > 0 else DEFAULT_MAX_MB


def max_upload_bytes() -> int:
    return max_upload_mb() * 1024 * 1024


class FileRefused(Exception):  # noqa: N818 - a refusal of the input, in Japanese
    """A file named on the command line that is not read: not a regular file, too large, or unreadable."""


def too_large(size: int, max_bytes: int) -> str:
    return f"ファイルが大きすぎます（{size:,} バイト、上限 {max_bytes:,} バイト）"


def read_file(path: Path, max_bytes: int) -> bytes:
    """A file's bytes for ``import``: read in chunks, the size limit checked before reading on.

    Only a regular file is read. A FIFO, a device (``/dev/zero``), a socket or a folder is refused before
    anything is read: opened without waiting (a FIFO's open would wait for a writer), then looked at.
    """
    name = file_name_text(path.name)[0]
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileRefused(f"ファイルを読めません: {name}（{exc.strerror}）") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileRefused(f"{name} はフォルダです。実績のファイル（CSV または Excel）を指定してください")
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"{name} は通常のファイルではありません（パイプや装置など）。保存したファイルを指定してください")
        if info.st_size > max_bytes:
            raise FileRefused(too_large(info.st_size, max_bytes))
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb", buffering=0, closefd=True) as fh:
        try:
            data = fh.read(info.st_size + 1)  # the whole file in one piece when it did not grow since fstat
            if len(data) > info.st_size:  # it grows: on in chunks, each only while the total is within the limit
                chunks, total = [data], len(data)
                while total <= max_bytes and (chunk := fh.read(min(limits.READ_CHUNK_BYTES, max_bytes + 1 - total))):
                    chunks.append(chunk)
                    total += len(chunk)
                if total > max_bytes:
                    raise FileRefused(too_large(total, max_bytes) + "（読み取り中に大きくなりました）")
                data = b"".join(chunks)
        except OSError as exc:
            raise FileRefused(f"ファイルを読めません: {name}（{exc.strerror}）") from None
    return data


def file_name_text(name: str | bytes) -> tuple[str, bytes | None]:
    """A file's name as text, and its original bytes when they were not UTF-8 (else None).

    A name may arrive as bytes in another encoding: copied from a Windows share it is Shift_JIS, which
    Python hands over as lone surrogates (``os.fsdecode``). It is decoded as UTF-8, else CP932 (when that gives
    no control or private-use character), else UTF-8 with U+FFFD for what cannot be read; the bytes are kept so
    the batch can record them.
    """
    if isinstance(name, str):
        try:
            name.encode("utf-8")
            return name, None
        except UnicodeEncodeError:
            raw = name.encode("utf-8", "surrogateescape") if _escaped_only(name) else name.encode("utf-8", "surrogatepass")
    else:
        raw = bytes(name)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp932")
    except UnicodeDecodeError:
        text = ""
    # CP932 gives almost any byte a meaning (0x80 a control, 0xFD–0xFF private use): such a reading is not a name
    if text and not any(unicodedata.category(ch) in ("Cc", "Co", "Cn") for ch in text):
        return text, raw
    return raw.decode("utf-8", "replace"), raw


def _escaped_only(name: str) -> bool:
    """Every surrogate in ``name`` is one ``surrogateescape`` made of a byte (U+DC80–U+DCFF)."""
    return all("\udc80" <= ch <= "\udcff" for ch in name if "\ud800" <= ch <= "\udfff")


@dataclass(frozen=True)
class Change:
    row: Actual
    kind: str  # 新規 / 変更 / 変更なし
    old: Actual | None
    source_row: int | None


@dataclass
class Preview:
    file_name: str  # as text (see file_name_text)
    raw: bytes
    read: ReadResult
    # One row per file row: the new figures, the stored ones (``*_old``, with the batch they came from) and ``kind``.
    diff: pd.DataFrame | None = None
    base_version: tuple | None = None  # the store's version when the preview was made
    file_name_bytes: bytes | None = None  # the name's original bytes when they were not UTF-8 (recorded with the batch)

    @property
    def changes(self) -> list[Change]:
        """The diff as objects (built on demand: a million-row file costs none unless asked)."""
        return [] if self.diff is None else _changes(self.diff)

    @property
    def ok(self) -> bool:
        return self.read.ok

    @property
    def errors(self) -> list[Problem]:
        return self.read.errors

    @property
    def warnings(self) -> list[Problem]:
        return self.read.warnings

    @property
    def internal(self) -> bool:
        """The reader's safety net caught a defect of the reader (logged; not the user's fault)."""
        return self.read.internal is not None

    def count(self, kind: str) -> int:
        return 0 if self.diff is None else int((self.diff["kind"] == kind).sum())

    @functools.cached_property
    def coverage(self) -> Coverage | None:
        """The months and indicators of the rows to be registered: what 履歴 will say of the batch (once per preview:
        the page asks on every run)."""
        found = db.frame_coverage(self.diff) if self.ok else None
        return Coverage(*found) if found else None

    def summary(self) -> dict:
        return {
            "ok": self.ok,
            "rows": self.read.n_rows,
            "new": self.count(NEW),
            "changed": self.count(CHANGED),
            "unchanged": self.count(UNCHANGED),
            **(self.coverage.record() if self.coverage is not None else {}),
            "errors": [{"row": p.row, "column": p.column, "message": p.message} for p in self.errors],
            "warnings": [{"row": p.row, "column": p.column, "message": p.message} for p in self.warnings],
        }


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4f}".rstrip("0").rstrip(".")


def _value_text(a: Actual | None) -> str:
    if a is None:
        return ""
    text = _fmt(a.value)
    if a.numerator is not None or a.denominator is not None:
        text += f"（{_fmt(a.numerator)}/{_fmt(a.denominator)}）"
    return text


def change_table(pv: Preview, policy: Policy, kinds: tuple[str, ...] = (CHANGED,), limit: int | None = None) -> list[dict]:
    """Rows of the preview of the given kinds, as the page shows them (old → new); the first ``limit`` only."""
    out: list[dict] = []
    if pv.diff is None:
        return out
    wanted = pv.diff[pv.diff["kind"].isin(kinds)]
    for c in _changes(wanted if limit is None else wanted.head(limit)):
        ind = policy.indicators.get(c.row.indicator_id)
        out.append({
            "ファイルの行": c.source_row, "指標ID": c.row.indicator_id, "指標": ind.short_name if ind else "",
            "年月": fiscal.month_label(c.row.month), "変更前": _value_text(c.old), "変更後": _value_text(c.row), "単位": ind.unit if ind else "",
            "備考": f"{c.old.note or '（なし）'} → {c.row.note or '（なし）'}" if c.old and c.old.note != c.row.note else c.row.note,
            "区分": c.kind,
        })
    return out


def problem_table(problems: list[Problem]) -> list[dict]:
    return [{"行": p.row, "列": p.column or "", "内容": p.message} for p in problems]


def _opt(x) -> float | None:
    return None if x is None or x != x else float(x)


def _changes(diff: pd.DataFrame) -> list[Change]:
    out = []
    for r in diff.itertuples(index=False):
        new = Actual(r.indicator_id, r.month, float(r.value), _opt(r.numerator), _opt(r.denominator), r.note or "")
        old = None if r.kind == NEW else Actual(r.indicator_id, r.month, float(r.value_old), _opt(r.numerator_old),
                                                _opt(r.denominator_old), r.note_old if isinstance(r.note_old, str) else "")
        out.append(Change(new, r.kind, old, None if r.row != r.row else int(r.row)))
    return out


def _frame(read: ReadResult) -> pd.DataFrame:
    if read.frame is not None:
        return read.frame
    rows = read.rows
    return pd.DataFrame({
        "indicator_id": [a.indicator_id for a in rows], "month": [a.month for a in rows],
        "value": [a.value for a in rows],
        "numerator": pd.array([a.numerator for a in rows], dtype="float64"),
        "denominator": pd.array([a.denominator for a in rows], dtype="float64"),
        "note": [a.note or "" for a in rows],
        "row": [read.source_rows.get((a.indicator_id, a.month)) for a in rows],
    })


def _same_number(a: pd.Series, b: pd.Series) -> np.ndarray:
    a, b = a.to_numpy(dtype="float64", na_value=np.nan), b.to_numpy(dtype="float64", na_value=np.nan)
    return (a == b) | (np.isnan(a) & np.isnan(b))


def diff(new: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Each new row with the stored figures for its indicator and month and its kind: 新規 / 変更 / 変更なし."""
    return db.diff_frames(new, current, (NEW, CHANGED, UNCHANGED))


def preview(store: Store, policy: Policy, raw: bytes, file_name: str | bytes, today: dt.date | None = None,
            max_bytes: int | None = None, progress: Callable[[str], None] | None = None) -> Preview:
    """Read and validate a file and compare it with the store; writes nothing.

    ``progress`` (optional) receives a Japanese line at each step, for the page's status box.
    ``file_name`` may be bytes or hold surrogates (a name in another encoding): see ``file_name_text``.
    """
    say = progress or (lambda _msg: None)
    text_name, name_bytes = file_name_text(Path(os.fsdecode(file_name)).name)
    say(f"ファイルを読み込んでいます（{len(raw):,} バイト）")
    base = store.version()
    read = read_actuals(raw, text_name, policy, today=today, max_bytes=max_bytes or max_upload_bytes())
    if read.internal is not None:
        store.log_exception("reader", read.internal, ref=read.internal_ref)
    say(f"{read.n_rows:,}行を読み取りました（エラー {len(read.errors):,}件、注意 {len(read.warnings):,}件）")
    if read.ok:  # the file's 指標名 / 単位, where it has them, must be this department's (kpi.ownership)
        read.errors.extend(ownership.check(raw, file_name, policy))
    pv = Preview(text_name, raw, read, base_version=base, file_name_bytes=name_bytes)
    if read.ok:
        pv.diff = db.diff_current(_frame(read), store.active_files(), (NEW, CHANGED, UNCHANGED))
        say(f"登録済みの実績と比べました: 新規 {pv.count(NEW):,}行、変更 {pv.count(CHANGED):,}行、変更なし {pv.count(UNCHANGED):,}行")
    return pv


def changed_since(store: Store, pv: Preview) -> pd.DataFrame:
    """The previewed keys whose stored figures (or the batch they come from) differ from what the preview showed."""
    if pv.diff is None or pv.base_version is None or store.version() == pv.base_version:
        return pd.DataFrame(columns=["indicator_id", "month"])
    keys = ["indicator_id", "month"]
    shown = pv.diff[keys + [f"{c}_old" for c in _FIGURES]]
    now = store.current_frame(pv.diff["month"].min(), pv.diff["month"].max())[keys + list(_FIGURES)]
    merged = shown.merge(now, on=keys, how="left")
    same = np.ones(len(merged), dtype=bool)
    for c in ("value", "numerator", "denominator"):
        same &= _same_number(merged[c], merged[f"{c}_old"])
    for c in ("note", "batch_id"):
        same &= merged[c].fillna("").astype(str).to_numpy() == merged[f"{c}_old"].fillna("").astype(str).to_numpy()
    return merged.loc[~same, keys]


def _counts(pv: Preview) -> dict:
    return {k: pv.count(k) for k in (NEW, CHANGED, UNCHANGED)}


def _check_preview(store: Store, pv: Preview, refresh: bool) -> dict | None:
    """Runs under the commit lock. A stale preview is refused, or with ``refresh`` compared again (the new counts)."""
    stale = changed_since(store, pv)
    if not len(stale):
        return None
    if refresh:  # preview and commit in one go (the command line): compare with the store as it is now
        pv.diff = db.diff_current(_frame(pv.read), store.active_files(), (NEW, CHANGED, UNCHANGED))
        pv.base_version = store.version()
        return _counts(pv)
    first = [f"{r.indicator_id} {fiscal.month_label(r.month)}" for r in stale.head(3).itertuples(index=False)]
    more = f" ほか {len(stale) - len(first):,}件" if len(stale) > len(first) else ""
    raise StalePreview(f"プレビューの後に、同じ指標・月の実績が変わりました（{'、'.join(first)}{more}）。"
                       "登録していません。もう一度プレビューして内容を確かめてから登録してください")


def commit(store: Store, pv: Preview, user: str, source: str = "upload", sample: bool = False, refresh: bool = False) -> str:
    """Write the previewed file as one batch; refuses (ValueError) a preview with errors, and a stale one (StalePreview).

    ``refresh`` is for callers that preview and commit in one go with nobody looking in between (the command
    line): instead of refusing a stale preview, it is compared again under the lock and the counts recorded are
    those of the comparison at the moment of writing.
    """
    if not pv.ok:
        raise ValueError("エラーのあるファイルは登録できません")
    rows = pv.read.frame if pv.read.frame is not None else pv.read.rows
    extra = {} if pv.file_name_bytes is None else {"file_name_bytes": pv.file_name_bytes.hex()}
    return store.write_batch(pv.raw, pv.file_name, rows, user, source=source, sample=sample, counts=_counts(pv),
                             check=lambda: _check_preview(store, pv, refresh), extra=extra or None)


# --- previews waiting for 登録 ------------------------------------------------------------------------

PREVIEW_CACHE_BYTES = 512 * 1024 * 1024  # all sessions' previews together (one million-row preview is about 100 MB)
PREVIEW_IDLE_SECONDS = 15 * 60  # a preview nobody looked at for this long is dropped (its browser was closed)


def preview_bytes(pv: Preview) -> int:
    """What a preview holds in memory, about: the file, the accepted rows and the comparison with the store."""
    size = len(pv.raw)
    for frame in (pv.read.frame, pv.diff):
        if frame is not None:  # strings are shared objects (Arrow deduplicates them): the pointers are the cost
            size += int(frame.memory_usage(index=True, deep=False).sum())
    return size


class PreviewCache:
    """Previews waiting for 登録, held on the server by page session, bounded in bytes and in idle time.

    A page keeps only its session's key: a preview in the page's own session state would live as long as
    Streamlit keeps the state of a closed browser (until another session happens to touch its store of
    disconnected sessions), up to 128 of them. Here the least recently used previews go first once all
    together pass ``max_bytes`` (the newest is always kept), and a sweeper drops those idle for
    ``idle_seconds``; memory is handed back to the system when one goes.
    """

    def __init__(self, max_bytes: int = PREVIEW_CACHE_BYTES, idle_seconds: float = PREVIEW_IDLE_SECONDS):
        self.max_bytes, self.idle_seconds = max_bytes, idle_seconds
        self._items: OrderedDict[str, tuple[tuple, Preview, int, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._sweeper: threading.Thread | None = None

    def put(self, session: str, key: tuple, pv: Preview) -> None:
        """Keep ``pv`` as the session's preview (replacing its previous one), made for ``key`` (file and store version)."""
        with self._lock:
            self._items.pop(session, None)
            self._items[session] = (key, pv, preview_bytes(pv), time.monotonic())
            dropped = 0
            while len(self._items) > 1 and self.total_bytes() > self.max_bytes:
                self._items.popitem(last=False)
                dropped += 1
        if dropped:
            release_memory()
        self._start_sweeper()

    def get(self, session: str, key: tuple | None = None) -> Preview | None:
        """The session's preview, if it is still kept and (given ``key``) made for the same file and store version."""
        with self._lock:
            item = self._items.get(session)
            if item is None or (key is not None and item[0] != key):
                return None
            self._items[session] = (*item[:3], time.monotonic())
            self._items.move_to_end(session)
            return item[1]

    def drop(self, session: str) -> None:
        with self._lock:
            gone = self._items.pop(session, None)
        if gone is not None:
            del gone
            release_memory()

    def sweep(self, now: float | None = None) -> int:
        """Drop previews idle for ``idle_seconds``; how many went."""
        now = time.monotonic() if now is None else now
        with self._lock:
            idle = [s for s, item in self._items.items() if now - item[3] >= self.idle_seconds]
            for s in idle:
                del self._items[s]
        if idle:
            release_memory()
        return len(idle)

    def total_bytes(self) -> int:
        return sum(item[2] for item in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def _start_sweeper(self) -> None:
        with self._lock:
            if self._sweeper is not None and self._sweeper.is_alive():
                return
            self._sweeper = threading.Thread(target=self._sweep_forever, name="kpi-preview-sweeper", daemon=True)
            self._sweeper.start()

    def _sweep_forever(self) -> None:
        while True:
            time.sleep(max(1.0, min(60.0, self.idle_seconds / 4)))
            self.sweep()


def release_memory() -> None:
    """Hand freed memory back to the system: Arrow's pool and the C allocator keep it for reuse otherwise."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


PREVIEWS = PreviewCache()
