"""Move a store between kinds (folder ⇄ PostgreSQL), keeping every id, number and time, verified after.

``copy(source, target)`` reads every batch (metadata, original bytes, rows), every event and
every record of the source and loads them into an empty target in one go (one transaction in
PostgreSQL); then ``summary`` of both must agree: counts per kind and a SHA-256 over the
canonical content (metadata and records as sorted JSON, originals by their hash, rows sorted).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kpi import db
from kpi.store.base import RECORD_FOLDERS, Store, StoreError, rows_table


@dataclass(frozen=True)
class Summary:
    counts: dict[str, int]  # batches, rows, originals' bytes, events, each record folder
    checksum: str

    def lines(self) -> list[str]:
        return [f"{k}: {v:,}" for k, v in self.counts.items()] + [f"checksum: {self.checksum}"]


def batch_rows(store: Store, batch_id: str) -> pa.Table:
    """A batch's rows as the stored table (Parquet as is; rows.csv of older folders through DuckDB)."""
    path = store.rows_file(batch_id)
    if path.endswith(".parquet"):
        return pq.read_table(path).select(["indicator_id", "month", "value", "numerator", "denominator", "note"])
    return rows_table(db.batch_rows([path]))


def _canonical(item: dict) -> bytes:
    return json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def summary(store: Store) -> Summary:
    """Counts and one checksum of everything the store holds (what a copy must reproduce)."""
    digest = hashlib.sha256()
    counts = {"batches": 0, "rows": 0, "original_bytes": 0, "events": 0}
    for meta in store.batch_metas():
        raw = store.original(meta["batch_id"])
        rows = batch_rows(store, meta["batch_id"]).to_pandas().sort_values(["indicator_id", "month", "value", "note"], kind="stable")
        digest.update(_canonical(meta) + hashlib.sha256(raw).digest())
        digest.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())  # every cell, vectorised
        counts["batches"] += 1
        counts["rows"] += len(rows)
        counts["original_bytes"] += len(raw)
    for e in store.events():
        digest.update(_canonical(e))
        counts["events"] += 1
    for folder in RECORD_FOLDERS:
        recs = store.records(folder)
        for r in recs:
            digest.update(folder.encode() + _canonical(r))
        counts[folder] = len(recs)
    counts["last_sequence"] = store.last_sequence()
    return Summary(counts, digest.hexdigest())


def copy(source: Store, target: Store) -> tuple[Summary, Summary]:
    """Copy ``source`` into the empty ``target``; returns both summaries (equal when the copy is verified).

    StoreError (Japanese) when the target is not empty: nothing is written then.
    """
    if source.root == target.root:
        raise StoreError("コピー元とコピー先が同じです")
    metas = [(m, source.original(m["batch_id"]), batch_rows(source, m["batch_id"])) for m in source.batch_metas()]
    records = {folder: source.records(folder) for folder in RECORD_FOLDERS}
    target.load(metas, source.events(), records, source.last_sequence())
    return summary(source), summary(target)
