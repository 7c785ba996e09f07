"""The demo practice generator: a seeded, reproducible dental practice in SQLite, mess included.

`generate_practice(path, patients=...)` writes either the Dentrix G-series layout (the real
base tables and their quirks, see `_demo_dentrix`) or the Dentally layout (one table per API
resource, see `_demo_dentally`). Both render the same seeded practice (`_demo_model`).

Several sites (sites > 1): Dentrix G is single-office, so the Dentrix rendering models sites
the way Dentrix Enterprise is assumed to (a `clinic` table, `clinicid` on patient, appt,
fullproclog and operatory); Dentally has them natively (`sites`, GUID ids). The practice's
"today" is fixed (2026-06-30), so the same arguments give byte-identical files on any day.

It streams: families are drawn one at a time and rows are flushed with `executemany` every
few thousand, so memory stays flat from 50 to 1,000,000 patients. The file also holds a
ground-truth table `_bw_truth` listing every injected problem, so dedupe, validation and
reconcile tests can score themselves:

    _bw_truth(kind TEXT, grp INTEGER, entity TEXT, record_id TEXT, detail TEXT)

`kind` is one of TRUTH_KINDS. For `duplicate`, `grp` is the original patient's id and the
group holds the original (detail "original") and each re-registration (detail like
"cross_site:nickname,same_email"). For `family_shared_contact`, `grp` is the family and the
rows are family members who legitimately share one email and phone: NOT duplicates.
`guarantor_chain` has `grp` = the other account's head. Other kinds have `grp` 0 (or the
registered patient for `new_patient_appointment`). `entity`/`record_id` name the table and
key in the layout's own terms (Dentrix `patient`/patid, Dentally `patients`/id; composite
Dentrix keys joined with ':').
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from connectors.sources._demo_model import RATES, PracticeModel
from connectors.sources._dentrix_catalogue import TABLES, create_table_sql, site_columns
from mapper.errors import ConfigError

Layout = Literal["dentrix", "dentally"]
TRUTH_TABLE = "_bw_truth"
TRUTH_KINDS: tuple[str, ...] = (
    "duplicate", "family_shared_contact", "missing_email", "invalid_email", "malformed_phone", "invalid_cdt",
    "non_ada_code", "orphan_appointment", "new_patient_appointment", "guarantor_chain", "cp1252_name", "long_note",
    "long_clinical_note", "provider_no_email",
)
MAX_PATIENTS = 1_000_000
MIN_PATIENTS = 1
_FLUSH_ROWS = 20_000

__all__ = ["RATES", "TRUTH_KINDS", "TRUTH_TABLE", "PracticeStats", "generate_practice"]


@dataclass(frozen=True, slots=True)
class PracticeStats:
    """What was generated: rows per table and how many of each injected problem.

    Problem counts equal the number of `_bw_truth` rows of that kind, except
    `duplicate_groups` (groups) and `duplicate_records` (re-registrations, originals not
    counted). Status counts are patient rows by status.
    """

    layout: str
    patients: int
    sites: int
    seed: int
    families: int
    tables: dict[str, int] = field(default_factory=dict)
    duplicate_groups: int = 0
    duplicate_records: int = 0
    family_shared_contact: int = 0
    missing_email: int = 0
    invalid_email: int = 0
    malformed_phone: int = 0
    invalid_cdt: int = 0
    non_ada_code: int = 0
    orphan_appointment: int = 0
    new_patient_appointment: int = 0
    guarantor_chain: int = 0
    cp1252_name: int = 0
    long_note: int = 0
    long_clinical_note: int = 0
    provider_no_email: int = 0
    active_patients: int = 0
    inactive_patients: int = 0
    archived_patients: int = 0
    non_patients: int = 0

    def rate(self, problem: str, denominator: str = "patients") -> float:
        """`problem` count divided by a table's row count (or the patient count)."""
        total = self.patients if denominator == "patients" else self.tables.get(denominator, 0)
        return getattr(self, problem) / total if total else 0.0


class _Writer:
    """Buffers rows per table; a background thread writes them with executemany.

    SQLite releases the GIL while it steps, so the B-tree work overlaps with drawing the next
    families. The queue holds at most two batches, which keeps memory bounded.
    """

    def __init__(self, db: sqlite3.Connection, columns: dict[str, int]) -> None:
        self.db = db
        self.buffers: dict[str, list[tuple[object, ...]]] = {}
        self.sql = {t: f"INSERT INTO {t} VALUES ({', '.join('?' * n)})" for t, n in columns.items()}
        self.counts: dict[str, int] = dict.fromkeys(columns, 0)
        self.problems: dict[str, int] = dict.fromkeys(TRUTH_KINDS, 0)
        self.pending = 0
        self.queue: queue.Queue[list[tuple[str, list[tuple[object, ...]]]] | None] = queue.Queue(maxsize=2)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._drain, name="demo-writer", daemon=True)
        self.thread.start()

    def emit(self, table: str, row: tuple[object, ...]) -> None:
        buffer = self.buffers.get(table)
        if buffer is None:
            buffer = self.buffers[table] = []
        buffer.append(row)
        self.pending += 1

    def truth(self, kind: str, group: int, entity: str, record_id: object, detail: str) -> None:
        self.emit(TRUTH_TABLE, (kind, group, entity, str(record_id), detail))
        self.problems[kind] += 1

    def flush(self) -> None:
        batch = [(self.sql[table], rows) for table, rows in self.buffers.items() if rows]
        for table, rows in self.buffers.items():
            self.counts[table] += len(rows)
        self.buffers = {}
        self.pending = 0
        if self.failure is not None:
            raise self.failure
        self.queue.put(batch)

    def close(self) -> None:
        self.flush()
        self.queue.put(None)
        self.thread.join()
        if self.failure is not None:
            raise self.failure

    def _drain(self) -> None:
        while (batch := self.queue.get()) is not None:
            if self.failure is not None:
                continue
            try:
                for sql, rows in batch:
                    self.db.executemany(sql, rows)
            except BaseException as exc:  # re-raised in the generating thread
                self.failure = exc


def generate_practice(
    path: Path,
    *,
    patients: int,
    sites: int = 1,
    seed: int = 7,
    layout: Layout = "dentrix",
    progress: Callable[[int, int], None] | None = None,
) -> PracticeStats:
    """Write a demo practice of `patients` patient rows to the SQLite file `path` (replaced)."""
    if not MIN_PATIENTS <= patients <= MAX_PATIENTS:
        raise ConfigError(f"A demo practice holds 1 to {MAX_PATIENTS:,} patients, not {patients:,}.", hint="Pick a size in that range (--patients).")
    if not 1 <= sites <= 20:
        raise ConfigError(f"A demo practice has 1 to 20 sites, not {sites}.", hint="Pick a number in that range (--sites).")
    if layout not in ("dentrix", "dentally"):
        raise ConfigError(f"Unknown demo layout '{layout}'.", hint="Use dentrix or dentally.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA page_size=8192")
        db.execute("BEGIN")
        model = PracticeModel(patients=patients, sites=sites, seed=seed, uk=layout == "dentally")
        writer, renderer = _open_layout(layout, db, model, seed)
        families = 0
        try:
            renderer.lookups()
            for family in model.families():
                families += 1
                renderer.family(family)
                if writer.pending >= _FLUSH_ROWS:
                    writer.flush()
                    if progress:
                        progress(model.written, patients)
            renderer.finish()
        finally:
            writer.close()
        db.execute(f"CREATE INDEX {TRUTH_TABLE}_kind ON {TRUTH_TABLE} (kind, grp)")
        db.execute("COMMIT")
        status = renderer.status_counts()
    finally:
        db.close()
    tmp.replace(path)
    if progress:
        progress(model.written, patients)
    problems = dict(writer.problems)
    pairs = problems.pop("duplicate") // 2  # each group: the original and one re-registration
    return PracticeStats(
        layout=layout, patients=patients, sites=sites, seed=seed, families=families,
        tables={t: n for t, n in sorted(writer.counts.items()) if t != TRUTH_TABLE},
        duplicate_groups=pairs, duplicate_records=pairs, **problems, **status,
    )


def _open_layout(layout: Layout, db: sqlite3.Connection, model: PracticeModel, seed: int) -> tuple[_Writer, _Renderer]:
    truth_sql = f"CREATE TABLE {TRUTH_TABLE} (kind TEXT NOT NULL, grp INTEGER NOT NULL, entity TEXT NOT NULL, record_id TEXT NOT NULL, detail TEXT NOT NULL)"
    db.execute(truth_sql)
    if layout == "dentrix":
        from connectors.sources._demo_dentrix import DentrixRenderer

        columns = {}
        for table in TABLES:
            if table.multi_site and model.sites == 1:
                continue
            db.execute(create_table_sql(table, model.sites))
            columns[table.name] = len(site_columns(table, model.sites))
        writer = _Writer(db, {**columns, TRUTH_TABLE: 5})
        return writer, DentrixRenderer(model, writer.emit, writer.truth, seed)
    from connectors.sources._demo_dentally import RESOURCES, DentallyRenderer, create_resource_sql

    for name in RESOURCES:
        db.execute(create_resource_sql(name))
    writer = _Writer(db, {**{n: len(c) for n, c in RESOURCES.items()}, TRUTH_TABLE: 5})
    return writer, DentallyRenderer(model, writer.emit, writer.truth, seed)


class _Renderer(Protocol):
    """What a layout renderer offers (see _demo_dentrix.DentrixRenderer)."""

    def lookups(self) -> None: ...
    def family(self, family: object) -> None: ...
    def finish(self) -> None: ...
    def status_counts(self) -> dict[str, int]: ...

