"""The PostgreSQL store (``KPI_STORE=postgresql://user@host[:port]/db``): the folder store's contract in a database.

Tables (created on first use; ``ns`` is the store's name space: ``""``, or a department's id
when the address has one more path segment, ``postgresql://u@h/db/digital``)::

    kpi_sequence (ns, last)                             the one sequence; its row lock is the commit lock
    kpi_batches  (ns, batch_id, sequence, meta, original, rows_parquet)  metadata as JSON (extensible), raw bytes,
                                                        the rows once more as one Parquet value (a new server's cache)
    kpi_rows     (ns, batch_id, indicator_id, month, value, numerator, denominator, note)
    kpi_events   (ns, event_id, sequence, batch_id, k, body)  k-th state change of a batch: unique
    kpi_records  (ns, folder, record_id, sequence, body)      evaluation, checkins, materials, …

Append-only: a trigger refuses UPDATE and DELETE on every table but the sequence. A write is
one transaction: lock the sequence row (``SELECT … FOR UPDATE``), run the caller's check (the
stale-preview and rights checks), take the next number, insert. A killed writer's transaction
is rolled back by the server: nothing partial is ever visible.

Reading: a batch's rows never change, so each app server keeps them as a local Parquet file
(fetched once, from ``rows_parquet``, written atomically under ``KPI_STORE_CACHE`` or ``~/.cache/kpi-store``)
and DuckDB reads those exactly as it reads a folder store's batches.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import queue
import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from kpi import arrow_bytes
from kpi.evaluate import Actual
from kpi.store.base import (
    EVENT_LABELS,
    SCHEMA,
    VERSIONED_RECORDS,
    Check,
    Store,
    StoreError,
    StoreUnavailable,
    now_jst,
    rows_table,
    sequence_id,
    store_address,
)

_ID = re.compile(r"^(?:[0-9]{8}T[0-9]{12}Z|S[0-9]{12})-[0-9a-f]{6}$")
_NS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}(?:/[A-Za-z0-9][A-Za-z0-9_-]{0,63}){0,3}$")  # e.g. a department's id
ROW_COLUMNS = ("indicator_id", "month", "value", "numerator", "denominator", "note")

# Every SQL statement of the PostgreSQL store, parameterised, in one place.
SQL_SCHEMA = """
CREATE TABLE IF NOT EXISTS kpi_info (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS kpi_sequence (ns text PRIMARY KEY, last bigint NOT NULL);
-- shown: the number of the last write that changes what the pages show (not a material made): the version, one lookup
ALTER TABLE kpi_sequence ADD COLUMN IF NOT EXISTS shown bigint NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS kpi_batches (
    ns text NOT NULL, batch_id text NOT NULL, sequence bigint, meta jsonb NOT NULL, original bytea NOT NULL,
    rows_parquet bytea, PRIMARY KEY (ns, batch_id));
CREATE TABLE IF NOT EXISTS kpi_rows (
    ns text NOT NULL, batch_id text NOT NULL, indicator_id text NOT NULL, month text NOT NULL,
    value double precision, numerator double precision, denominator double precision, note text NOT NULL);
-- no foreign key to kpi_batches: a batch and its rows land in one transaction, and checking a million rows one by one
-- would make the write several times slower
CREATE INDEX IF NOT EXISTS kpi_rows_batch ON kpi_rows (ns, batch_id);
CREATE TABLE IF NOT EXISTS kpi_events (
    ns text NOT NULL, event_id text NOT NULL, sequence bigint, batch_id text NOT NULL, k integer NOT NULL, body jsonb NOT NULL,
    PRIMARY KEY (ns, event_id), UNIQUE (ns, batch_id, k));
CREATE TABLE IF NOT EXISTS kpi_records (
    ns text NOT NULL, folder text NOT NULL, record_id text NOT NULL, sequence bigint, body jsonb NOT NULL,
    PRIMARY KEY (ns, folder, record_id));
CREATE OR REPLACE FUNCTION kpi_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the KPI store is append-only (% on %)', TG_OP, TG_TABLE_NAME; END $$;
DO $$ DECLARE t text; BEGIN
  FOREACH t IN ARRAY ARRAY['kpi_batches', 'kpi_rows', 'kpi_events', 'kpi_records'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = t || '_append_only') THEN
      EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION kpi_append_only()',
                     t || '_append_only', t);
    END IF;
  END LOOP;
END $$;
INSERT INTO kpi_info (key, value) VALUES ('instance', md5(random()::text || clock_timestamp()::text)) ON CONFLICT DO NOTHING;
INSERT INTO kpi_info (key, value) VALUES ('schema', '1') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
"""
SCHEMA_VERSION = "1"  # raise with every change of SQL_SCHEMA: a server of a newer version brings the tables up to date
SQL = {
    "instance": "SELECT value FROM kpi_info WHERE key = 'instance'",
    "tables": "SELECT to_regclass('kpi_info') IS NOT NULL",
    "schema": "SELECT (SELECT value FROM kpi_info WHERE key = 'schema'), (SELECT value FROM kpi_info WHERE key = 'instance')",
    "sequence_row": "INSERT INTO kpi_sequence (ns, last) VALUES (%(ns)s, 0) ON CONFLICT (ns) DO NOTHING",
    "lock": "SELECT last FROM kpi_sequence WHERE ns = %(ns)s FOR UPDATE",
    "advance": "UPDATE kpi_sequence SET last = %(last)s, shown = CASE WHEN %(shown)s THEN %(last)s ELSE shown END WHERE ns = %(ns)s",
    "last": "SELECT coalesce((SELECT last FROM kpi_sequence WHERE ns = %(ns)s), 0)",
    "insert_batch": "INSERT INTO kpi_batches (ns, batch_id, sequence, meta, original, rows_parquet) "
                    "VALUES (%(ns)s, %(id)s, %(seq)s, %(meta)s, %(raw)s, %(parquet)s)",
    "copy_rows": "COPY kpi_rows (ns, batch_id, indicator_id, month, value, numerator, denominator, note) FROM STDIN "
                 "WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL (indicator_id, month, note))",
    "insert_event": "INSERT INTO kpi_events (ns, event_id, sequence, batch_id, k, body) VALUES (%(ns)s, %(id)s, %(seq)s, %(batch)s, %(k)s, %(body)s)",
    "insert_record": "INSERT INTO kpi_records (ns, folder, record_id, sequence, body) VALUES (%(ns)s, %(folder)s, %(id)s, %(seq)s, %(body)s)",
    "metas": "SELECT meta FROM kpi_batches WHERE ns = %(ns)s ORDER BY batch_id",
    "has_batch": "SELECT 1 FROM kpi_batches WHERE ns = %(ns)s AND batch_id = %(id)s",
    "original": "SELECT original FROM kpi_batches WHERE ns = %(ns)s AND batch_id = %(id)s",
    "rows_parquet": "SELECT rows_parquet FROM kpi_batches WHERE ns = %(ns)s AND batch_id = %(id)s",
    "events": "SELECT body FROM kpi_events WHERE ns = %(ns)s ORDER BY event_id",
    "events_of": "SELECT body FROM kpi_events WHERE ns = %(ns)s AND batch_id = %(batch)s ORDER BY k",
    "records": "SELECT body FROM kpi_records WHERE ns = %(ns)s AND folder = %(folder)s ORDER BY record_id",
    "rows_csv": "COPY (SELECT indicator_id, month, value, numerator, denominator, note FROM kpi_rows "
                "WHERE ns = {ns} AND batch_id = {id}) TO STDOUT WITH (FORMAT csv, HEADER true)",
    "version": "SELECT coalesce((SELECT shown FROM kpi_sequence WHERE ns = %(ns)s), 0)",
    "versions": "SELECT ns, shown FROM kpi_sequence WHERE ns = ANY(%(nss)s)",
    "is_empty": "SELECT NOT EXISTS (SELECT 1 FROM kpi_batches WHERE ns = %(ns)s)",
}


def split_address(address: str) -> tuple[str, str]:
    """(libpq conninfo URL, name space) of a store address; ``Path`` may have folded ``//`` into ``/``."""
    text = str(address)
    for scheme in ("postgresql:", "postgres:"):
        if text.startswith(scheme) and not text.startswith(scheme + "//"):
            text = scheme + "//" + text[len(scheme):].lstrip("/")
    parts = urlsplit(text)
    segments = [s for s in parts.path.split("/") if s]
    database, ns = (segments[0] if segments else ""), "/".join(segments[1:])
    if ns and not _NS.match(ns):
        raise StoreError(f"PostgreSQL の保存先の名前「{ns}」は使えません（英数字・_・-）")
    return urlunsplit((parts.scheme, parts.netloc, "/" + database if database else "", parts.query, "")), ns


# --- connections: a small pool per address (opening one costs milliseconds; the server's sessions share them) ---

POOL_SIZE = 8  # connections a process keeps per address
POOL_WAIT = 2.0  # seconds a thread waits for one of them before it opens a connection of its own
_POOLS: dict[str, tuple[queue.LifoQueue, threading.BoundedSemaphore]] = {}
_POOLS_GUARD = threading.Lock()
_READY: set[str] = set()  # addresses whose tables exist
_INSTANCE: dict[str, str] = {}
_WRITING = threading.local()  # the connection of this thread's writing transaction, while one is open


CONNECT_TIMEOUT = 10  # seconds: a database host that does not answer fails the page with a message, not a hang


def _connect(conninfo: str):
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(conninfo)
    try:
        return psycopg.connect(conninfo, autocommit=True, **({} if "connect_timeout" in params else {"connect_timeout": CONNECT_TIMEOUT}))
    except psycopg.OperationalError as exc:
        # Where, never the password; the server's own words for the reason (refused, unknown user, no database).
        where = f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}/{params.get('dbname') or ''}"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        reason = first.rsplit("failed: ", 1)[-1].strip()[:300]  # 「Connection refused」, not psycopg's preamble
        raise StoreUnavailable(f"実績の保存先（PostgreSQL {where}）に接続できません。データベースが動いているか、KPI_STORE の"
                               f"宛先・ユーザー・パスワードを確認してください（理由: {reason}）") from exc


@contextlib.contextmanager
def _connection(conninfo: str) -> Iterator:
    """A connection of the process's pool for ``conninfo``. At most POOL_SIZE are open at once: a burst of sessions
    waits a moment for one (a page's query takes about a millisecond) instead of opening one each, which PostgreSQL
    starts a process for and which, with two hundred sessions on a slower network, could pass the server's
    max_connections (100 by default) and fail pages. A thread that waited POOL_WAIT (a long write holding every
    slot, a nested read) opens a connection of its own and closes it after, so nothing can wait forever."""
    with _POOLS_GUARD:
        pool, slots = _POOLS.setdefault(conninfo, (queue.LifoQueue(), threading.BoundedSemaphore(POOL_SIZE)))
    slot = slots.acquire(timeout=POOL_WAIT)
    try:
        try:
            conn = pool.get_nowait() if slot else None
        except queue.Empty:
            conn = None
        if conn is None or conn.closed or conn.broken:
            conn = _connect(conninfo)
        ok = False
        try:
            yield conn
            ok = True
        finally:
            if ok and slot and not conn.closed:
                pool.put(conn)
            else:
                conn.close()
    finally:
        if slot:
            slots.release()


def cache_root() -> Path:
    return Path(os.environ.get("KPI_STORE_CACHE") or Path.home() / ".cache" / "kpi-store")


class PgStore(Store):
    """The store in PostgreSQL (see the module's docstring)."""

    def __init__(self, root: Path | str | None = None):
        address = str(root) if root is not None else store_address()
        self.conninfo, self.ns = split_address(address)
        self.root = self.conninfo + (f"/{self.ns}" if self.ns else "")
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        if self.conninfo in _READY:
            return
        with _connection(self.conninfo) as conn:
            # Only a database without the tables (or with an older schema) runs the DDL: ALTER TABLE and CREATE TRIGGER
            # take table locks, which would queue behind a writer holding the sequence row and block its own reads.
            found = conn.execute(SQL["schema"]).fetchone() if conn.execute(SQL["tables"]).fetchone()[0] else None
            if found is None or found[0] != SCHEMA_VERSION:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(726354)")  # two servers starting at once create the tables once
                    conn.execute(SQL_SCHEMA)
                found = (SCHEMA_VERSION, conn.execute(SQL["instance"]).fetchone()[0])
            _INSTANCE[self.conninfo] = found[1]
        _READY.add(self.conninfo)

    def ensure(self) -> None:
        self._ensure_schema()

    def _p(self, **kw) -> dict:
        return {"ns": self.ns, **kw}

    def _query(self, name: str, **kw) -> list[tuple]:
        writing = getattr(_WRITING, "conn", None)
        if writing is not None:  # a check inside the writing transaction reads what that transaction sees
            return writing.execute(SQL[name], self._p(**kw)).fetchall()
        with _connection(self.conninfo) as conn:
            return conn.execute(SQL[name], self._p(**kw)).fetchall()

    # --- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[tuple]:
        """One writing transaction holding the sequence row: yields (connection, last number)."""
        with _connection(self.conninfo) as conn, conn.transaction():
            conn.execute(SQL["sequence_row"], self._p())
            last = conn.execute(SQL["lock"], self._p()).fetchone()[0]  # other writers wait here until we commit
            _WRITING.conn = conn
            try:
                yield conn, int(last)
            finally:
                _WRITING.conn = None

    def _advance(self, conn, seq: int, shown: bool = True) -> None:
        conn.execute(SQL["advance"], self._p(last=seq, shown=shown))

    def claim_sequence(self) -> int:
        with self._locked() as (conn, last):
            self._advance(conn, last + 1, shown=False)
            return last + 1

    def last_sequence(self) -> int:
        return int(self._query("last")[0][0])

    def write_batch(self, raw: bytes, file_name: str, rows: Sequence[Actual] | pd.DataFrame, user: str,
                    source: str = "upload", sample: bool = False, counts: dict | None = None, check: Check | None = None,
                    extra: dict | None = None) -> str:
        """Keep the raw file and its rows as one new batch in one transaction; ``check`` runs inside it (see Store);
        ``extra`` adds fields to its metadata (``file_name_bytes``: the name's original bytes, hex)."""
        table = rows_table(rows)
        meta = {"user": user, "file_name": Path(file_name).name, "sha256": hashlib.sha256(raw).hexdigest(),
                "size": len(raw), "rows": table.num_rows, "sample": sample, "source": source, "counts": counts or {},
                **(extra or {})}
        with self._locked() as (conn, last):
            recount = check() if check is not None else None
            if recount is not None:
                meta["counts"] = recount
            seq = last + 1
            batch_id = sequence_id(seq)
            meta = {"batch_id": batch_id, "sequence": seq, **meta, "created_at": now_jst()}
            self._insert_batch(conn, meta, raw, table)
            self._advance(conn, seq)
        self._cache_rows(batch_id, table)  # this server reads it from its cache at once
        return batch_id

    def _insert_batch(self, conn, meta: dict, raw: bytes, table: pa.Table) -> None:
        from psycopg.types.json import Jsonb

        parquet = arrow_bytes.sink()  # the same rows as one Parquet value: a new app server fetches a batch in one read
        pq.write_table(table, parquet, compression="zstd")
        conn.execute(SQL["insert_batch"], self._p(id=meta["batch_id"], seq=meta.get("sequence"), meta=Jsonb(meta), raw=raw,
                                                  parquet=parquet.getvalue().to_pybytes()))
        full = table.add_column(0, "batch_id", pa.array([meta["batch_id"]] * table.num_rows, pa.string()))
        full = full.add_column(0, "ns", pa.array([self.ns] * table.num_rows, pa.string()))
        buf = arrow_bytes.sink()
        pacsv.write_csv(full, buf, pacsv.WriteOptions(include_header=True))
        with conn.cursor().copy(SQL["copy_rows"]) as copy:
            copy.write(buf.getvalue().to_pybytes())

    def record_event(self, kind: str, batch_id: str, user: str, reason: str = "") -> str:
        """Append a rollback / restore; KeyError for an unknown batch, StoreError when it changes nothing (checked under the lock)."""
        if kind not in EVENT_LABELS:
            raise StoreError(f"未知の操作です: {kind}")
        if not self.has_batch(batch_id):
            raise KeyError(batch_id)
        from psycopg.errors import UniqueViolation

        try:
            with self._locked() as (conn, last):
                changes = [r[0] for r in conn.execute(SQL["events_of"], self._p(batch=batch_id)).fetchall()]
                self._refuse_if_no_change(kind, batch_id, changes)
                seq = last + 1
                event = {"event_id": sequence_id(seq), "sequence": seq, "type": kind, "batch_id": batch_id, "user": user,
                         "reason": reason, "at": now_jst()}
                self._insert_event(conn, event, len(changes) + 1)
                self._advance(conn, seq)
        except UniqueViolation:  # the k-th change of this batch landed first elsewhere (the lock makes this a second line of defence)
            raise StoreError(f"バッチ {batch_id} は同時に別の操作で変更されました。履歴を確認してください") from None
        return event["event_id"]

    def _insert_event(self, conn, event: dict, k: int) -> None:
        from psycopg.types.json import Jsonb

        conn.execute(SQL["insert_event"], self._p(id=event["event_id"], seq=event.get("sequence"), batch=event["batch_id"], k=k,
                                                  body=Jsonb(event)))

    def append_record(self, folder: str, body: dict, id_field: str = "record_id") -> str:
        with self._locked() as (conn, last):
            seq = last + 1
            record = {id_field: sequence_id(seq), "sequence": seq, **body, "at": now_jst()}
            self._insert_record(conn, folder, record, id_field)
            self._advance(conn, seq, shown=folder in VERSIONED_RECORDS)
        return record[id_field]

    def _insert_record(self, conn, folder: str, record: dict, id_field: str) -> None:
        from psycopg.types.json import Jsonb

        conn.execute(SQL["insert_record"], self._p(folder=folder, id=record[id_field], seq=record.get("sequence"), body=Jsonb(record)))

    # --- copying in (kpi.store.copy): items keep their ids, numbers and times ------------------------

    def load(self, metas: Sequence[tuple[dict, bytes, pa.Table]], events: Sequence[dict],
             records: dict[str, list[dict]], last: int) -> None:
        """Put a whole store's items into this empty one, in one transaction."""
        with self._locked() as (conn, mine):
            if mine or not conn.execute(SQL["is_empty"], self._p()).fetchone()[0]:
                raise StoreError("コピー先の保存先は空ではありません（何も書き込んでいません）")
            for meta, raw, table in metas:
                self._insert_batch(conn, meta, raw, table)
            k: dict[str, int] = {}
            for e in events:
                k[e["batch_id"]] = k.get(e["batch_id"], 0) + 1
                self._insert_event(conn, e, k[e["batch_id"]])
            for folder, recs in records.items():
                for r in recs:
                    self._insert_record(conn, folder, r, _id_field(r))
            self._advance(conn, last)

    # --- reading -------------------------------------------------------------------------------

    def version(self) -> tuple:
        """The number of the last write that changes what is shown (batch, rollback / restore, evaluation, check-in):
        one primary-key lookup, and writes land in number order (the sequence row's lock), so it changes with every one."""
        return ("pg", int(self._query("version")[0][0]))

    @staticmethod
    def versions_of(stores: list[PgStore]) -> list[tuple]:
        """``version()`` of several stores of one database in one query (市全体 asks every department's on each run)."""
        if not stores:
            return []
        with _connection(stores[0].conninfo) as conn:
            shown = dict(conn.execute(SQL["versions"], {"nss": [s.ns for s in stores]}).fetchall())
        return [("pg", int(shown.get(s.ns, 0))) for s in stores]

    def batch_metas(self) -> list[dict]:
        return [r[0] for r in self._query("metas")]

    def events(self) -> list[dict]:
        return [r[0] for r in self._query("events")]

    def records(self, folder: str) -> list[dict]:
        return [r[0] for r in self._query("records", folder=folder)]

    def has_batch(self, batch_id: str) -> bool:
        return bool(_ID.match(batch_id or "")) and bool(self._query("has_batch", id=batch_id))

    def is_empty(self) -> bool:
        return bool(self._query("is_empty")[0][0])

    def original(self, batch_id: str) -> bytes:
        rows = self._query("original", id=batch_id) if _ID.match(batch_id or "") else []
        if not rows:
            raise KeyError(batch_id)
        return bytes(rows[0][0])

    def _cache_dir(self) -> Path:
        key = hashlib.sha256(f"{_INSTANCE.get(self.conninfo, '')}\0{self.ns}".encode()).hexdigest()[:20]
        return cache_root() / key

    def rows_file(self, batch_id: str) -> str:
        """A local Parquet copy of the batch's rows (immutable: fetched once per server, then read by DuckDB)."""
        path = self._cache_dir() / batch_id / "rows.parquet"
        if not path.exists():
            self._cache_rows(batch_id, self._fetch_rows(batch_id))
        return str(path)

    def _fetch_rows(self, batch_id: str) -> pa.Table:
        """The batch's rows: its Parquet value, or (rows loaded by other means) the rows table through COPY."""
        blob = self._query("rows_parquet", id=batch_id)
        if blob and blob[0][0] is not None:
            return pq.read_table(arrow_bytes.reader(bytes(blob[0][0]))).select(list(ROW_COLUMNS)).cast(SCHEMA)
        return self.rows_from_table(batch_id)

    def rows_from_table(self, batch_id: str) -> pa.Table:
        """The batch's rows from ``kpi_rows`` (the table the city's IT section queries), through COPY as CSV."""
        from psycopg import sql

        statement = sql.SQL(SQL["rows_csv"]).format(ns=sql.Literal(self.ns), id=sql.Literal(batch_id))
        buf = io.BytesIO()
        with _connection(self.conninfo) as conn, conn.cursor().copy(statement) as copy:
            for chunk in copy:
                buf.write(chunk)
        types = {f.name: f.type for f in SCHEMA}
        table = pacsv.read_csv(arrow_bytes.reader(buf.getvalue()), parse_options=pacsv.ParseOptions(newlines_in_values=True),
                               convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                                                    quoted_strings_can_be_null=False))
        return table.select(list(ROW_COLUMNS)).cast(SCHEMA)

    def _cache_rows(self, batch_id: str, table: pa.Table) -> None:
        folder = self._cache_dir() / batch_id
        path = folder / "rows.parquet"
        if path.exists():
            return
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = folder / f".rows.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        pq.write_table(table, str(tmp), compression="zstd")
        os.replace(tmp, path)  # whole or nothing: another server process may write the same file at once

    def cleanup_staging(self, older_than_minutes: float = 0) -> list[str]:
        return []  # nothing is staged outside a transaction


def _id_field(record: dict) -> str:
    return "record_id" if "record_id" in record else next((k for k in record if k.endswith("_id")), "record_id")


__all__ = ["PgStore", "SQL", "cache_root", "split_address"]
