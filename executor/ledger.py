"""The ledger: one SQLite file that remembers every run, record, before-image and decision.

Every intent and every outcome is written in its own transaction (`db.conn` as a context
manager), so a `kill -9` at any moment leaves the ledger consistent: a batch is either not
started, started (intent committed, records `pending`) or finished (outcomes committed).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

RunKind = Literal["sample", "full", "delta", "rollback", "plan"]
RunStatus = Literal["running", "done", "failed", "stopped"]
State = Literal["pending", "loaded", "skipped", "rejected", "failed", "conflict", "deleted"]
END_STATES: tuple[str, ...] = ("loaded", "skipped", "rejected")
ROLLED_BACK = "rolled_back"
"""error_code of a record a rollback deleted (a delta writes it again; a source deletion it does not)."""


def now_iso() -> str:
    """The current UTC time as an ISO-8601 string (second precision)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


# Each migration runs in one transaction; the list only ever grows.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, operator TEXT NOT NULL, started_at TEXT NOT NULL,
        ended_at TEXT, status TEXT NOT NULL, target_run INTEGER, note TEXT NOT NULL DEFAULT '');
    CREATE TABLE records (
        map_id TEXT NOT NULL, source_entity TEXT NOT NULL, source_id TEXT NOT NULL,
        dest_object TEXT NOT NULL, dest_id TEXT, external_id TEXT NOT NULL, content_hash TEXT,
        action TEXT, run_id INTEGER, batch INTEGER, state TEXT NOT NULL,
        error_code TEXT, error_message TEXT, created_run INTEGER, dest_modified_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,
        PRIMARY KEY (map_id, source_id));
    CREATE INDEX records_state ON records (map_id, state);
    CREATE INDEX records_run ON records (run_id);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, map_id TEXT NOT NULL, source_id TEXT NOT NULL,
        dest_object TEXT NOT NULL, dest_id TEXT, action TEXT NOT NULL, at TEXT NOT NULL, operator TEXT NOT NULL);
    CREATE INDEX events_run ON events (run_id, action);
    CREATE TABLE before_images (
        run_id INTEGER NOT NULL, map_id TEXT NOT NULL, source_id TEXT NOT NULL, dest_object TEXT NOT NULL,
        dest_id TEXT NOT NULL, "values" TEXT NOT NULL, modified_at TEXT, restored INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, map_id, source_id));
    CREATE TABLE schema_changes (
        key TEXT PRIMARY KEY, run_id INTEGER NOT NULL, change TEXT NOT NULL, dest_ref TEXT,
        state TEXT NOT NULL, at TEXT NOT NULL);
    CREATE TABLE watermarks (map_id TEXT PRIMARY KEY, watermark TEXT NOT NULL, run_id INTEGER NOT NULL);
    CREATE TABLE dedupe_groups (
        group_id TEXT PRIMARY KEY, entity TEXT NOT NULL, members TEXT NOT NULL, survivor TEXT NOT NULL,
        evidence TEXT NOT NULL, score REAL NOT NULL, status TEXT NOT NULL, decided_by TEXT, decided_at TEXT);
    CREATE TABLE owners (
        source_entity TEXT NOT NULL, source_id TEXT NOT NULL, dest_user TEXT, status TEXT NOT NULL,
        at TEXT NOT NULL, PRIMARY KEY (source_entity, source_id));
    CREATE TABLE confirmations (
        id INTEGER PRIMARY KEY, what TEXT NOT NULL, key TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '');
    CREATE VIEW retry_queue AS
        SELECT map_id, source_id, error_code, attempts, updated_at FROM records WHERE state = 'failed';
    """,
    # 2: the version (fingerprint) of each entity map the last full run or delta loaded with, so a delta
    # notices a mapping edit and re-reads that map in full. A ledger from before has no rows: delta
    # re-reads each map once (hashes keep unchanged records unwritten) and records the version.
    """
    CREATE TABLE map_versions (
        map_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, run_id INTEGER NOT NULL, at TEXT NOT NULL);
    """,
)


@dataclass(frozen=True, slots=True)
class Intent:
    """One record about to be written: its ledger key, external id and what bridgework means to do."""

    map_id: str
    source_entity: str
    source_id: str
    dest_object: str
    external_id: str
    content_hash: str
    action: Literal["create", "update"]
    dest_id: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """The end of one record in one run (loaded, rejected, failed, skipped, conflict, deleted)."""

    map_id: str
    source_id: str
    state: State
    dest_id: str | None = None
    action: str | None = None
    code: str | None = None
    message: str | None = None
    modified_at: str | None = None


class Ledger:
    """The workspace's ledger.db, opened with its schema migrated to the newest version."""

    def __init__(self, path: Path, *, operator: str = "bridgework", clock: Callable[[], str] = now_iso) -> None:
        new = not path.exists()
        old_umask = os.umask(0o077)
        try:
            self.db = sqlite_utils.Database(path)
        finally:
            os.umask(old_umask)
        if new:
            os.chmod(path, 0o600)
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        self.path = path
        self.operator = operator
        self.clock = clock
        self.migrate()

    # -- schema ---------------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply every migration not applied yet, each in its own transaction; the version."""
        conn = self.db.conn
        conn.execute("CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        conn.commit()
        done = {row[0] for row in conn.execute("SELECT version FROM _migrations")}
        for version, script in enumerate(_MIGRATIONS, start=1):
            if version in done:
                continue
            with conn:
                conn.execute("BEGIN")
                for statement in (s.strip() for s in script.split(";")):
                    if statement:
                        conn.execute(statement)
                conn.execute("INSERT INTO _migrations VALUES (?, ?)", (version, self.clock()))
        return len(_MIGRATIONS)

    def close(self) -> None:
        """Close the SQLite connection."""
        self.db.conn.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read-only query as dicts."""
        return list(self.db.query(sql, params))

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row (None when there is none)."""
        row = self.db.execute(sql, params).fetchone()
        return None if row is None else row[0]

    # -- runs -----------------------------------------------------------------------------
    def start_run(self, kind: RunKind, *, target_run: int | None = None, note: str = "") -> int:
        """A new run id (ids only increase)."""
        with self.db.conn:
            cur = self.db.conn.execute(
                "INSERT INTO runs (kind, operator, started_at, status, target_run, note) VALUES (?, ?, ?, 'running', ?, ?)",
                (kind, self.operator, self.clock(), target_run, note),
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: RunStatus) -> None:
        """Mark a run done / failed / stopped."""
        with self.db.conn:
            self.db.conn.execute("UPDATE runs SET status = ?, ended_at = ? WHERE id = ?", (status, self.clock(), run_id))

    def note_run(self, run_id: int, note: str) -> None:
        """Keep a run's summary (e.g. the maps a delta re-read after a mapping edit) with the run."""
        with self.db.conn:
            self.db.conn.execute("UPDATE runs SET note = ? WHERE id = ?", (note, run_id))

    def run(self, run_id: int) -> dict[str, Any] | None:
        """One run's row."""
        rows = self.query("SELECT * FROM runs WHERE id = ?", (run_id,))
        return rows[0] if rows else None

    def runs(self) -> list[dict[str, Any]]:
        """Every run, oldest first."""
        return self.query("SELECT * FROM runs ORDER BY id")

    def unfinished_run(self, kinds: Sequence[str]) -> dict[str, Any] | None:
        """The newest run of these kinds still marked running (a killed one), if any."""
        marks = ",".join("?" * len(kinds))
        rows = self.query(f"SELECT * FROM runs WHERE status = 'running' AND kind IN ({marks}) ORDER BY id DESC LIMIT 1", kinds)
        return rows[0] if rows else None

    # -- records --------------------------------------------------------------------------
    def records(self, map_id: str) -> dict[str, dict[str, Any]]:
        """source id -> ledger row, for one entity map."""
        return {r["source_id"]: r for r in self.db.query("SELECT * FROM records WHERE map_id = ?", (map_id,))}

    def destination_ids(self, map_id: str) -> dict[str, str]:
        """source id -> destination id of the loaded records of one entity map."""
        rows = self.db.execute(
            "SELECT source_id, dest_id FROM records WHERE map_id = ? AND dest_id IS NOT NULL AND state IN ('loaded', 'conflict')",
            (map_id,),
        )
        return {str(s): str(d) for s, d in rows}

    def record_intent(self, run_id: int, batch: int, intents: Sequence[Intent],
                      before: Sequence[tuple[Intent, dict[str, Any], str | None]] = ()) -> None:
        """Commit that these records are about to be written (and their before-images) before the request leaves."""
        at = self.clock()
        with self.db.conn:
            self.db.conn.executemany(
                """INSERT INTO records (map_id, source_entity, source_id, dest_object, dest_id, external_id, content_hash,
                       action, run_id, batch, state, created_run, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', NULL, ?)
                   ON CONFLICT (map_id, source_id) DO UPDATE SET
                       dest_object = excluded.dest_object, external_id = excluded.external_id,
                       content_hash = excluded.content_hash, run_id = excluded.run_id, batch = excluded.batch, dest_id = excluded.dest_id,
                       state = 'pending', updated_at = excluded.updated_at,
                       action = CASE WHEN records.state = 'pending' AND records.action = 'create' AND records.dest_id IS NULL
                                     THEN 'create' ELSE excluded.action END""",
                [(i.map_id, i.source_entity, i.source_id, i.dest_object, i.dest_id, i.external_id, i.content_hash,
                  i.action, run_id, batch, at) for i in intents],
            )
            self.db.conn.executemany(
                """INSERT OR IGNORE INTO before_images (run_id, map_id, source_id, dest_object, dest_id, "values", modified_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                [(run_id, i.map_id, i.source_id, i.dest_object, i.dest_id, _dumps(values), modified)
                 for i, values, modified in before],
            )

    def record_results(self, run_id: int, results: Iterable[Result]) -> None:
        """Commit what happened to each record (and one audit event per write) in one transaction."""
        at = self.clock()
        rows = list(results)
        with self.db.conn:
            for r in rows:
                prior = self.db.conn.execute(
                    "SELECT action, created_run, dest_object, state FROM records WHERE map_id = ? AND source_id = ?",
                    (r.map_id, r.source_id),
                ).fetchone()
                intended = prior[0] if prior else None
                action = r.action
                if r.state == "loaded" and intended == "create" and prior is not None and prior[3] == "pending":
                    action = "create"  # a resumed batch: the destination calls it an update, but this run created it
                created_run = prior[1] if prior else None
                if r.state == "loaded" and action == "create":
                    created_run = run_id
                if r.state == "deleted":
                    created_run = None
                self.db.conn.execute(
                    """UPDATE records SET state = ?, dest_id = COALESCE(?, dest_id), action = ?, error_code = ?,
                           error_message = ?, dest_modified_at = COALESCE(?, dest_modified_at), created_run = ?,
                           attempts = CASE WHEN ? = 'failed' THEN attempts + 1 ELSE 0 END, updated_at = ?
                       WHERE map_id = ? AND source_id = ?""",
                    (r.state, r.dest_id, action, r.code, r.message, r.modified_at, created_run, r.state, at,
                     r.map_id, r.source_id),
                )
                if r.state in ("loaded", "deleted") and action in ("create", "update", "delete", "restore"):
                    self.db.conn.execute(
                        "INSERT INTO events (run_id, map_id, source_id, dest_object, dest_id, action, at, operator) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (run_id, r.map_id, r.source_id, prior[2] if prior else "", r.dest_id, action, at, self.operator),
                    )

    def record_states(self, run_id: int, rows: Sequence[tuple[Intent, State, str | None, str | None]]) -> None:
        """Record end states that need no destination call (skipped, rejected before sending)."""
        at = self.clock()
        with self.db.conn:
            self.db.conn.executemany(
                """INSERT INTO records (map_id, source_entity, source_id, dest_object, external_id, content_hash, action,
                       run_id, state, error_code, error_message, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)
                   ON CONFLICT (map_id, source_id) DO UPDATE SET state = excluded.state, run_id = excluded.run_id,
                       content_hash = excluded.content_hash, error_code = excluded.error_code,
                       error_message = excluded.error_message, updated_at = excluded.updated_at""",
                [(i.map_id, i.source_entity, i.source_id, i.dest_object, i.external_id, i.content_hash, run_id, state,
                  code, message, at) for i, state, code, message in rows],
            )

    def before_images(self, run_id: int) -> list[dict[str, Any]]:
        """Before-images a run took of the records it updated."""
        rows = self.query('SELECT * FROM before_images WHERE run_id = ? ORDER BY map_id, source_id', (run_id,))
        for row in rows:
            row["values"] = json.loads(row["values"])
        return rows

    def mark_restored(self, run_id: int, image: dict[str, Any], modified_at: str | None) -> None:
        """A before-image went back: remember it (a resumed rollback skips it) and force the next run to rewrite."""
        at = self.clock()
        with self.db.conn:
            self.db.conn.execute(
                "UPDATE before_images SET restored = 1 WHERE run_id = ? AND map_id = ? AND source_id = ?",
                (image["run_id"], image["map_id"], image["source_id"]))
            self.db.conn.execute(
                "UPDATE records SET content_hash = NULL, dest_modified_at = COALESCE(?, dest_modified_at), updated_at = ? "
                "WHERE map_id = ? AND source_id = ?", (modified_at, at, image["map_id"], image["source_id"]))
            self.db.conn.execute(
                "INSERT INTO events (run_id, map_id, source_id, dest_object, dest_id, action, at, operator) "
                "VALUES (?, ?, ?, ?, ?, 'restore', ?, ?)",
                (run_id, image["map_id"], image["source_id"], image["dest_object"], image["dest_id"], at, self.operator))

    def created_by(self, run_id: int) -> list[dict[str, Any]]:
        """Records a run created that still exist in the destination."""
        return self.query(
            "SELECT * FROM records WHERE created_run = ? AND dest_id IS NOT NULL AND state != 'deleted' "
            "ORDER BY map_id, source_id", (run_id,))

    # -- schema changes, watermarks, decisions --------------------------------------------
    def record_schema_change(self, run_id: int, key: str, change: dict[str, Any], dest_ref: str, state: str) -> None:
        """Remember a custom field/object bridgework created (or reverted)."""
        with self.db.conn:
            self.db.conn.execute(
                """INSERT INTO schema_changes (key, run_id, change, dest_ref, state, at) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET state = excluded.state, at = excluded.at,
                       run_id = CASE WHEN excluded.state = 'applied' THEN excluded.run_id ELSE schema_changes.run_id END""",
                (key, run_id, _dumps(change), dest_ref, state, self.clock()),
            )

    def schema_changes(self, state: str = "applied") -> list[dict[str, Any]]:
        """Schema changes in a state, in the order they were made."""
        rows = self.query("SELECT * FROM schema_changes WHERE state = ? ORDER BY rowid", (state,))
        for row in rows:
            row["change"] = json.loads(row["change"])
        return rows

    def set_watermark(self, map_id: str, watermark: str, run_id: int) -> None:
        """Where the next delta of this entity map starts."""
        with self.db.conn:
            self.db.conn.execute(
                "INSERT OR REPLACE INTO watermarks (map_id, watermark, run_id) VALUES (?, ?, ?)", (map_id, watermark, run_id))

    def watermark(self, map_id: str) -> str | None:
        """The last watermark of an entity map."""
        value = self.scalar("SELECT watermark FROM watermarks WHERE map_id = ?", (map_id,))
        return None if value is None else str(value)

    def set_map_version(self, map_id: str, fingerprint: str, run_id: int) -> None:
        """The version of an entity map a run finished loading with (executor.run.map_fingerprint)."""
        with self.db.conn:
            self.db.conn.execute(
                "INSERT OR REPLACE INTO map_versions (map_id, fingerprint, run_id, at) VALUES (?, ?, ?, ?)",
                (map_id, fingerprint, run_id, self.clock()))

    def map_version(self, map_id: str) -> str | None:
        """The fingerprint of an entity map as the last full run or delta loaded it (None: never recorded)."""
        value = self.scalar("SELECT fingerprint FROM map_versions WHERE map_id = ?", (map_id,))
        return None if value is None else str(value)

    def confirm(self, what: str, key: str, note: str = "") -> None:
        """Record a person's confirmation (who, when)."""
        with self.db.conn:
            self.db.conn.execute(
                "INSERT INTO confirmations (what, key, by, at, note) VALUES (?, ?, ?, ?, ?)",
                (what, key, self.operator, self.clock(), note))

    def events(self, run_id: int | None = None) -> Iterator[dict[str, Any]]:
        """Audit events (one per record action), oldest first."""
        if run_id is None:
            yield from self.db.query("SELECT * FROM events ORDER BY id")
        else:
            yield from self.db.query("SELECT * FROM events WHERE run_id = ? ORDER BY id", (run_id,))


def open_ledger(path: Path, operator: str = "bridgework") -> Ledger:
    """The ledger at `path`, created (mode 0600, WAL) and migrated as needed."""
    return Ledger(path, operator=operator)
