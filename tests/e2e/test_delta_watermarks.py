"""Delta by source watermark: only changed records are read and written; hashes where the source has no timestamp."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from _e2e import cli, make_workspace

from connectors.base import Page, Record, Source
from executor.delta import delta
from executor.ledger import open_ledger
from executor.session import Session
from executor.workspace import Workspace


class CountingSource:
    """A source that counts the records it returns: read by watermark, read in full, fetched by id."""

    def __init__(self, inner: Source) -> None:
        self.inner = inner
        self.changed: Counter[str] = Counter()
        self.full: Counter[str] = Counter()
        self.fetched: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def pages(self, entity: str, **options: Any) -> Iterator[Page]:
        """The inner source's pages, counted."""
        counter = self.changed if options.get("changed_since") is not None else self.full
        for page in self.inner.pages(entity, **options):
            counter[entity] += len(page.records)
            yield page

    def fetch(self, entity: str, ids: Sequence[str]) -> list[Record]:
        """The inner source's records by id, counted."""
        out = self.inner.fetch(entity, ids)
        self.fetched[entity] += len(out)
        return out


def _delta(ws: Workspace) -> tuple[Any, CountingSource]:
    with Session.open(ws, exclusive=True) as session:
        counting = CountingSource(session.source)
        session.source = counting  # type: ignore[assignment]
        try:
            report = delta(session)
        finally:
            session.source = counting.inner
    return report, counting


def _watermarks(ws: Workspace) -> dict[str, tuple[str, int]]:
    ledger = open_ledger(ws.ledger_path)
    try:
        return {r["map_id"]: (r["watermark"], r["run_id"]) for r in ledger.query("SELECT * FROM watermarks")}
    finally:
        ledger.close()


def _retry_queue(ws: Workspace) -> Counter[str]:
    ledger = open_ledger(ws.ledger_path)
    try:
        return Counter({r["source_entity"]: r["n"] for r in ledger.query(
            "SELECT source_entity, COUNT(*) AS n FROM records WHERE state != 'loaded' AND state != 'skipped' GROUP BY 1")})
    finally:
        ledger.close()


def _changed(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> dict[str, int]:
    return {model: sum(after[model].get(ext) != value for ext, value in records.items()) + len(set(after[model]) - set(records))
            for model, records in before.items()}


def test_delta_reads_and_writes_only_rows_changed_since_the_watermark(tmp_path: Path, practice_db: Path, emulator: Any) -> None:
    emu = emulator()
    ws = make_workspace(tmp_path / "a", practice_db, emu.url)
    assert cli("run", "-w", str(ws.root)).exit_code == 0
    first = _watermarks(ws)
    assert set(first) == {"carriers", "patients", "appointments", "ledger"}
    loaded = emu.content()
    time.sleep(1.1)  # watermarks have second precision: the delta's must be later than the run's
    db = sqlite3.connect(ws.root.parent / "practice.db")  # as Dentrix does: every edit stamps automodifiedtimestamp
    db.execute("UPDATE patient SET firstname = 'Renamed', automodifiedtimestamp = datetime('now') "
               "WHERE patid IN (SELECT patid FROM patient WHERE status = 1 ORDER BY patid LIMIT 2)")
    db.execute("UPDATE appt SET amt = amt + 1, automodifiedtimestamp = datetime('now') "
               "WHERE apptid = (SELECT MIN(apptid) FROM appt WHERE patid > 0)")
    db.commit()
    db.close()
    waiting = _retry_queue(ws)
    assert sum(waiting.values()) > 0  # the demo practice has records the map rejects

    report, source = _delta(ws)

    assert source.changed == {"patient": 2, "appt": 1}  # nothing else was read: no full read, no deletion scan
    assert source.full == {} and source.fetched == waiting  # the retry queue goes again, fetched by id
    touched = {m: (s.created, s.updated) for m, s in report.maps.items() if s.created or s.updated}
    assert touched == {"patients": (0, 2), "appointments": (0, 1)}
    assert report.maps["patients"].staged == 2 and report.maps["carriers"].staged == 0
    assert _changed(loaded, emu.content()) == {"res.partner": 2, "crm.lead": 1}
    assert all(not gone for gone in report.deleted_in_source.values())
    second = _watermarks(ws)
    assert all(second[m][1] == report.run_id and second[m][0] > first[m][0] for m in first)

    again, source = _delta(ws)  # the overlap reads the same rows once more; the hashes keep them unwritten
    assert source.full == {} and sum(s.updated + s.created for s in again.maps.values()) == 0
    assert _watermarks(ws)["patients"][1] == again.run_id


def test_a_table_without_timestamp_falls_back_to_hashes(tmp_path: Path, practice_db: Path, emulator: Any) -> None:
    practice = tmp_path / "practice.db"
    shutil.copy(practice_db, practice)
    db = sqlite3.connect(practice)
    db.execute("ALTER TABLE inscarrier DROP COLUMN automodifiedtimestamp")
    db.commit()
    db.close()
    emu = emulator()
    ws = make_workspace(tmp_path / "a", practice, emu.url)
    assert cli("run", "-w", str(ws.root)).exit_code == 0
    carriers = sqlite3.connect(practice).execute("SELECT COUNT(*) FROM inscarrier").fetchone()[0]
    db = sqlite3.connect(ws.root.parent / "practice.db")
    db.execute("UPDATE inscarrier SET insconame = 'Renamed Carrier' WHERE insid = (SELECT MIN(insid) FROM inscarrier)")
    gone = db.execute("SELECT apptid FROM appt WHERE patid > 0 ORDER BY apptid LIMIT 1").fetchone()[0]
    db.execute("DELETE FROM appt WHERE apptid = ?", (gone,))
    db.commit()
    db.close()

    report, source = _delta(ws)

    assert source.full["inscarrier"] == carriers  # no timestamp: read in full, compared by hash
    assert report.maps["carriers"].updated == 1 and report.maps["carriers"].unchanged == carriers - 1
    assert source.changed == {}  # no other row changed
    assert source.full["appt"] > 0  # one fewer appointment than the ledger tracks: ids read to find it
    assert {m: len(ids) for m, ids in report.deleted_in_source.items() if ids} == {"appointments": 1}
    assert sum(s.updated + s.created for m, s in report.maps.items() if m != "carriers") == 0
    assert sum(name.startswith("Renamed Carrier") for name, *_ in emu.content()["res.partner"].values()) == 1
