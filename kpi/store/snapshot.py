"""The store as known at a past moment: what a meeting saw, rebuilt from the append-only store.

Nothing in a store is overwritten, so the state at any moment is a prefix of its one
sequence: ``KnownAt(store, when)`` keeps the batches, rollbacks / restores and records
(evaluation overrides, 前年度実績, texts, check-ins) numbered up to the last write known at
``when`` and leaves out everything later. ``when`` is a JST date-time
(``2025-10-15T10:00``; a date alone means the end of that day) or a sequence number
(記録番号, as printed on every deck, workbook and PDF: ``123`` or ``S123``).

Items of stores written before sequences (wall-clock ids) have no number: they count by
their recorded time. The view is read-only: a write raises ``StoreError``.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from kpi import fiscal
from kpi.store.base import JST, RECORD_FOLDERS, Store, StoreError, sequence_of

_SEQUENCE = re.compile(r"^S?0*([0-9]+)$")
READ_ONLY = "過去の時点の記録（{label}）は表示専用です。変更はいまの記録に対して行ってください"


def parse_moment(text: str) -> int | dt.datetime:
    """A sequence number (``123`` / ``S123``) or a JST date-time; ValueError (Japanese) otherwise."""
    text = str(text).strip()
    seq = _SEQUENCE.match(text)
    if seq and len(text) < 13 and "-" not in text:
        return int(seq.group(1))
    try:
        moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        raise ValueError(f"「{text}」は日時（例 2025-10-15T10:00）でも記録番号（例 123）でもありません") from None
    if len(text) <= 10:  # a date alone: everything known by the end of that day
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment if moment.tzinfo else moment.replace(tzinfo=JST)


def moment_arg(text: str) -> str:
    """argparse type of ``--as-known-at``: the text when it parses, a Japanese usage error otherwise."""
    import argparse

    try:
        parse_moment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _time(text: object) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=JST)


class KnownAt(Store):
    """A read-only view of ``base`` as known at ``when`` (see the module's docstring)."""

    def __init__(self, base: Store, when: str | int | dt.datetime):
        self.base = base
        self.root = base.root
        moment = parse_moment(when) if isinstance(when, str) else when
        if isinstance(moment, int):
            self.moment, self.cutoff = None, moment
        else:
            self.moment = moment if moment.tzinfo else moment.replace(tzinfo=JST)
            self.cutoff = self._last_sequence_by(self.moment)

    # --- which items were known ------------------------------------------------------------

    def _items(self) -> list[tuple[dict, str, str]]:
        """Every item of the base store with its id field and time field."""
        out = [(m, "batch_id", "created_at") for m in self.base.batch_metas()]
        out += [(e, "event_id", "at") for e in self.base.events()]
        for folder in RECORD_FOLDERS:
            out += [(r, _id_field(r), "at") for r in self.base.records(folder)]
        return out

    def _last_sequence_by(self, moment: dt.datetime) -> int:
        """The highest sequence number written at or before ``moment`` (0: nothing yet)."""
        best = 0
        for item, id_field, time_field in self._items():
            seq, when = sequence_of(item, id_field), _time(item.get(time_field))
            if seq is not None and when is not None and when <= moment:
                best = max(best, seq)
        return best

    def known(self, item: dict, id_field: str, time_field: str = "at") -> bool:
        seq = sequence_of(item, id_field)
        if seq is not None:
            return seq <= self.cutoff
        when = _time(item.get(time_field))  # older stores: no number, their time decides
        return when is None or self.moment is None or when <= self.moment

    @property
    def asked(self) -> str:
        """The moment as asked for, machine-readable: an ISO date-time (JST), or ``S<n>`` for a 記録番号."""
        return self.moment.isoformat(timespec="minutes") if self.moment else f"S{self.cutoff}"

    @property
    def label(self) -> str:
        """How the view names its moment on screen: 令和7年10月15日 10:00時点（記録番号 123）, or 記録番号 123 時点."""
        if self.moment is None:
            return f"記録番号 {self.cutoff} 時点"
        return f"{fiscal.datetime_label(self.moment.isoformat(timespec='minutes'))}時点（記録番号 {self.cutoff}）"

    # --- the contract, read side -----------------------------------------------------------

    def batch_metas(self) -> list[dict]:
        return [m for m in self.base.batch_metas() if self.known(m, "batch_id", "created_at")]

    def events(self) -> list[dict]:
        return [e for e in self.base.events() if self.known(e, "event_id")]

    def records(self, folder: str) -> list[dict]:
        return [r for r in self.base.records(folder) if self.known(r, _id_field(r))]

    def has_batch(self, batch_id: str) -> bool:
        return self.base.has_batch(batch_id) and any(m["batch_id"] == batch_id for m in self.batch_metas())

    def original(self, batch_id: str) -> bytes:
        if not self.has_batch(batch_id):
            raise KeyError(batch_id)
        return self.base.original(batch_id)

    def rows_file(self, batch_id: str) -> str:
        return self.base.rows_file(batch_id)

    def last_sequence(self) -> int:
        return self.cutoff

    def version(self) -> tuple:
        return ("known_at", self.cutoff, self.moment.isoformat() if self.moment else "")

    def batch_frame(self, batch_id: str) -> pd.DataFrame:
        if not self.has_batch(batch_id):
            raise KeyError(batch_id)
        return self.base.batch_frame(batch_id)

    def log(self, kind: str, text: str) -> str:
        return self.base.log(kind, text)

    # --- writes are refused ----------------------------------------------------------------

    def _refuse(self, *args, **kwargs):
        raise StoreError(READ_ONLY.format(label=self.label))

    write_batch = record_event = append_record = _refuse


def _id_field(record: dict) -> str:
    """A record's id field: ``record_id`` unless the record was appended under another name."""
    if "record_id" in record:
        return "record_id"
    return next((k for k in record if k.endswith("_id") and str(record[k])[:1] == "S"), "record_id")
