"""The ledger and the load logic in isolation: in-memory source and destination, real SQLite ledger."""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import MODIFIED_AT, Capabilities, DestRecord, Outcome, Page
from executor.ledger import open_ledger
from executor.load import Loader
from executor.rollback import rollback
from executor.run import execute
from executor.staging import Stager
from mapper.spec import Decision, EntityMap, FieldMap, MappingSpec

OK = Decision(status="confirmed", by="test")


class MemorySource:
    """A source over dicts of records."""

    name = "mem"

    def __init__(self, data: dict[str, list[dict[str, Any]]]) -> None:
        self.data = data

    def count(self, entity: str) -> int:
        return len(self.data[entity])

    def pages(self, entity: str, *, cursor: str | None = None, page_size: int = 1000,
              changed_since: datetime | None = None) -> Iterator[Page]:
        rows = self.data[entity]
        for start in range(0, len(rows), page_size):
            yield Page([dict(r) for r in rows[start:start + page_size]], None)

    def fetch(self, entity: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        return [dict(r) for r in self.data[entity] if str(r["id"]) in set(ids)]

    def close(self) -> None:
        pass


class MemoryDestination:
    """A destination that upserts by external id, counts calls and can crash after committing."""

    name = "memory"
    capabilities = Capabilities(max_batch=3, requests_per_window=None, window_seconds=1, upsert_by_external_id=True,
                                external_id_field="ext")

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {"person": {}, "note": {}}
        self.ids = itertools.count(1)
        self.clock = itertools.count(1)
        self.crash_after: int | None = None
        self.upserts = 0
        self.rows["person"]["seed-1"] = {"name": "pre-existing", "ext": None, MODIFIED_AT: "0000"}

    def _stamp(self) -> str:
        return f"{next(self.clock):06d}"

    def upsert(self, entity: str, records: Sequence[DestRecord]) -> list[Outcome]:
        out = []
        table = self.rows[entity]
        for r in records:
            found = next((k for k, v in table.items() if v.get("ext") == r.external_id), None)
            if found is None:
                found = f"d{next(self.ids)}"
                table[found] = {"ext": r.external_id, **r.values, MODIFIED_AT: self._stamp()}
                out.append(Outcome(r.external_id, found, "create"))
            else:
                table[found].update({**r.values, MODIFIED_AT: self._stamp()})
                out.append(Outcome(r.external_id, found, "update"))
        self.upserts += 1
        if self.crash_after is not None and self.upserts >= self.crash_after:
            raise KeyboardInterrupt  # the process dies after the destination committed
        return out

    def read(self, entity: str, ids: Sequence[str], fields: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        return {i: dict(self.rows[entity][i]) for i in ids if i in self.rows[entity]}

    def update(self, entity: str, destination_id: str, values: dict[str, Any]) -> Outcome:
        self.rows[entity][destination_id].update({**values, MODIFIED_AT: self._stamp()})
        return Outcome("", destination_id, "update")

    def delete(self, entity: str, ids: Sequence[str]) -> list[Outcome]:
        for i in ids:
            self.rows[entity].pop(i, None)
        return [Outcome("", i, "delete") for i in ids]

    def find(self, entity: str, external_ids: Sequence[str]) -> dict[str, str]:
        return {v["ext"]: k for k, v in self.rows[entity].items() if v.get("ext") in set(external_ids)}

    def count(self, entity: str, external_id_prefix: str) -> int:
        return sum(1 for v in self.rows[entity].values() if str(v.get("ext") or "").startswith(external_id_prefix))

    def close(self) -> None:
        pass


class FakeSession:
    """The parts of executor.session.Session the run and rollback use."""

    def __init__(self, tmp: Path, source: MemorySource, destination: MemoryDestination) -> None:
        self.spec = MappingSpec(source="mem", destination="memory", entities=[
            EntityMap(id="people", source="patient", target="person", key="id", decision=OK, fields=[
                FieldMap(source="name", target="name", decision=OK),
                FieldMap(source="guar", target="guarantorId", kind="relation", lookup="people", decision=OK),
            ]),
            EntityMap(id="notes", source="note", target="note", key="id", decision=OK, fields=[
                FieldMap(source="text", target="body", decision=OK),
                FieldMap(source="patid", target="personId", kind="relation", lookup="people", decision=OK),
            ]),
        ])
        self.ledger = open_ledger(tmp / "ledger.db", "tester")
        self.source = source
        self.destination = destination
        self.source_name = "mem"
        self.source_schema = None

    def ordered_maps(self) -> list[EntityMap]:
        return list(self.spec.entities)

    def stager(self) -> Stager:
        return Stager(self.spec, "mem", None, None, self.ledger.destination_ids,
                      prescan=lambda em: self.source.data[em.source])


def practice() -> dict[str, list[dict[str, Any]]]:
    people = [{"id": i, "name": f"P{i}", "guar": 1 if i < 4 else 4 if i < 8 else i} for i in range(1, 11)]
    people[9]["guar"] = 99  # an orphan guarantor: rejected with a reason
    notes = [{"id": i, "text": f"note {i}", "patid": i + 1 if i < 7 else 10} for i in range(1, 8)]
    return {"patient": people, "note": notes}


@pytest.fixture
def session(tmp_path: Path) -> FakeSession:
    return FakeSession(tmp_path, MemorySource(practice()), MemoryDestination())


def _states(s: FakeSession) -> dict[str, int]:
    return dict(s.ledger.db.execute("SELECT state, COUNT(*) FROM records GROUP BY state").fetchall())


def test_ledger_is_private_versioned_and_migrates_once(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    assert stat.S_IMODE(os.stat(tmp_path / "ledger.db").st_mode) == 0o600
    assert ledger.migrate() == ledger.migrate() == 2
    assert ledger.scalar("PRAGMA journal_mode") == "wal"
    assert ledger.scalar("SELECT COUNT(*) FROM _migrations") == 2


def test_a_ledger_from_before_map_versions_migrates_and_keeps_its_records(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    run = ledger.start_run("full")
    ledger.set_watermark("people", "2026-01-01T00:00:00+00:00", run)
    ledger.db.execute("DROP TABLE map_versions")  # as version 1 left it
    ledger.db.execute("DELETE FROM _migrations WHERE version = 2")
    ledger.db.conn.commit()
    ledger.close()
    ledger = open_ledger(tmp_path / "ledger.db")
    assert ledger.scalar("SELECT COUNT(*) FROM _migrations") == 2
    assert ledger.watermark("people") and ledger.map_version("people") is None
    ledger.set_map_version("people", "abc", run)
    assert ledger.map_version("people") == "abc"


def test_run_resolves_references_and_ends_every_record_in_one_state(session: FakeSession) -> None:
    report = execute(session, "full")  # type: ignore[arg-type]
    people = session.destination.rows["person"]
    assert len(people) == 1 + 9
    by_ext = {v["ext"]: (k, v) for k, v in people.items() if v["ext"]}
    guarantor_id, _ = by_ext["bw:mem:patient:1"]
    assert by_ext["bw:mem:patient:2"][1]["guarantorId"] == guarantor_id
    assert by_ext["bw:mem:patient:1"][1]["guarantorId"] == guarantor_id  # self: filled by the second pass
    assert _states(session) == {"loaded": 9 + 6, "rejected": 1 + 1}
    rejected = session.ledger.query("SELECT map_id, source_id, error_code FROM records WHERE state = 'rejected' ORDER BY map_id")
    assert [(r["map_id"], r["source_id"], r["error_code"]) for r in rejected] == [
        ("notes", "7", "unresolved_reference"), ("people", "10", "unresolved_reference")]
    assert report.maps["people"].created == 9
    again = execute(session, "full")  # type: ignore[arg-type]
    assert again.totals().created == again.totals().updated == 0


@pytest.mark.parametrize("crash_after", [1, 2, 3, 4, 5, 6])
def test_kill_after_the_destination_committed_resumes_without_duplicates(session: FakeSession, crash_after: int) -> None:
    session.destination.crash_after = crash_after
    with pytest.raises(KeyboardInterrupt):
        execute(session, "full")  # type: ignore[arg-type]
    session.ledger.db.execute("UPDATE runs SET status = 'running'")  # as a kill -9 leaves it
    session.ledger.db.conn.commit()
    session.destination.crash_after = None
    report = execute(session, "full")  # type: ignore[arg-type]
    assert report.resumed
    exts = [v["ext"] for v in session.destination.rows["person"].values() if v["ext"]]
    assert len(exts) == len(set(exts)) == 9
    assert len(session.destination.rows["note"]) == 6
    assert _states(session) == {"loaded": 15, "rejected": 2}
    rollback(session, report.run_id)  # type: ignore[arg-type]
    assert list(session.destination.rows["person"]) == ["seed-1"]
    assert session.destination.rows["note"] == {}


def test_delta_updates_only_changes_and_rollback_restores_before_images(session: FakeSession) -> None:
    first = execute(session, "full")  # type: ignore[arg-type]
    session.source.data["patient"][1]["name"] = "P2 renamed"
    session.source.data["note"].append({"id": 50, "text": "new", "patid": 3})
    calls = session.destination.upserts
    delta = execute(session, "delta")  # type: ignore[arg-type]
    assert (delta.totals().updated, delta.totals().created) == (1, 1)
    assert session.destination.upserts == calls + 2
    stored = {v["ext"]: v for v in session.destination.rows["person"].values() if v["ext"]}
    assert stored["bw:mem:patient:2"]["name"] == "P2 renamed"
    rollback(session, delta.run_id)  # type: ignore[arg-type]
    stored = {v["ext"]: v for v in session.destination.rows["person"].values() if v["ext"]}
    assert stored["bw:mem:patient:2"]["name"] == "P2"
    assert len(session.destination.rows["note"]) == 6
    rollback(session, first.run_id)  # type: ignore[arg-type]
    assert list(session.destination.rows["person"]) == ["seed-1"]


def test_destination_edits_are_conflicts_unless_forced(session: FakeSession) -> None:
    first = execute(session, "full")  # type: ignore[arg-type]
    dest_id = session.ledger.scalar("SELECT dest_id FROM records WHERE map_id = 'people' AND source_id = '3'")
    session.destination.update("person", dest_id, {"name": "edited by staff"})
    session.source.data["patient"][2]["name"] = "P3 changed in source"
    delta = execute(session, "delta")  # type: ignore[arg-type]
    assert delta.totals().conflicts == 1
    assert session.destination.rows["person"][dest_id]["name"] == "edited by staff"
    preview = rollback(session, first.run_id, dry_run=True)  # type: ignore[arg-type]
    assert preview.skipped_total == 1 and session.destination.rows["person"][dest_id]["name"] == "edited by staff"
    forced = execute(session, "delta", force=True)  # type: ignore[arg-type]
    assert forced.totals().updated == 1
    assert session.destination.rows["person"][dest_id]["name"] == "P3 changed in source"


def test_loader_batches_at_capability_size(session: FakeSession) -> None:
    run_id = session.ledger.start_run("full")
    loader = Loader(session.ledger, session.destination, run_id)  # type: ignore[arg-type]
    em = session.spec.entities[1]
    people = session.spec.entities[0]
    loader.load(people, session.stager().stage(people, session.source.data["patient"]))
    before = session.destination.upserts
    loader.load(em, session.stager().stage(em, session.source.data["note"]))
    assert session.destination.upserts - before == 2  # 6 loadable notes in batches of 3


def test_rounds_of_kill_resume_and_rollback_leave_nothing_behind(session: FakeSession) -> None:
    for crash_after in (2, 5, 1, 4):
        session.destination.upserts = 0
        session.destination.crash_after = crash_after
        with pytest.raises(KeyboardInterrupt):
            execute(session, "full")  # type: ignore[arg-type]
        session.ledger.db.execute("UPDATE runs SET status = 'running' WHERE id = (SELECT MAX(id) FROM runs WHERE kind = 'full')")
        session.ledger.db.conn.commit()
        rollback(session)  # type: ignore[arg-type]  # undo the half-done run straight away
        assert list(session.destination.rows["person"]) == ["seed-1"] and session.destination.rows["note"] == {}
        session.destination.crash_after = None
        execute(session, "full")  # type: ignore[arg-type]
        assert len(session.destination.rows["note"]) == 6
        rollback(session)  # type: ignore[arg-type]
        assert list(session.destination.rows["person"]) == ["seed-1"] and session.destination.rows["note"] == {}


def test_one_writer_per_workspace(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from executor.session import _lock_workspace
    from mapper.errors import BridgeworkError

    ws = SimpleNamespace(root=tmp_path)
    held = _lock_workspace(ws)  # type: ignore[arg-type]
    with pytest.raises(BridgeworkError, match="Another bridgework command"):
        _lock_workspace(ws)  # type: ignore[arg-type]
    held.close()
    _lock_workspace(ws).close()  # type: ignore[arg-type]


def test_failed_batches_wait_in_the_retry_queue_and_the_next_run_retries_them(session: FakeSession) -> None:
    from connectors.http import UnreachableError

    real = session.destination.upsert
    calls = {"n": 0}

    def flaky(entity: str, records: Sequence[DestRecord]) -> list[Outcome]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise UnreachableError("memory kept failing (HTTP 503) after 6 tries.")
        return real(entity, records)

    session.destination.upsert = flaky  # type: ignore[method-assign]
    first = execute(session, "full")  # type: ignore[arg-type]
    assert first.totals().failed == 3 and first.totals().errors["unreachable"] == 1
    assert session.ledger.scalar("SELECT COUNT(*) FROM retry_queue") == 3
    second = execute(session, "delta")  # type: ignore[arg-type]
    assert session.ledger.scalar("SELECT COUNT(*) FROM retry_queue") == 0
    # the 3 people of the failed batch, then the notes that waited for them; their family links are filled in
    assert (second.maps["people"].created, second.maps["notes"].created) == (3, 3)
    assert _states(session) == {"loaded": 15, "rejected": 2}
    people = {v["ext"]: v for v in session.destination.rows["person"].values() if v["ext"]}
    assert people["bw:mem:patient:5"]["guarantorId"] == next(
        k for k, v in session.destination.rows["person"].items() if v["ext"] == "bw:mem:patient:4")
