"""Workspaces in known states for the chat eval: fresh (nothing loaded) and loaded (runs, errors, delta)."""

from __future__ import annotations

from pathlib import Path

from executor.ledger import Intent, Ledger, Result
from executor.workspace import Workspace
from mapper.schema import Entity, Field, Schema
from mapper.spec import Decision, EntityMap, FieldMap, MappingSpec

CLOCK = iter(f"2026-11-20T10:{m:02d}:{s:02d}+00:00" for m in range(60) for s in range(0, 60, 5))


def _spec(confirmed: bool) -> MappingSpec:
    status = "confirmed" if confirmed else "proposed"
    d = Decision(status=status, by="maria" if confirmed else None)  # type: ignore[arg-type]
    patient = EntityMap(id="patient->res.partner", source="patient", target="res.partner", decision=d, score=0.95, fields=[
        FieldMap(source="pager", target="mobile", score=0.93, decision=d,
                 why="name ≈ 'Mobile' (0.91), values look like phone numbers, Dentrix 'pager' holds mobile numbers"),
        FieldMap(source="emailaddr", target="email", score=0.97, decision=d, why="values look like emails"),
        FieldMap(source="birthdate", target="custom:x_birthdate", kind="custom", score=0.41,
                 decision=Decision(status="proposed"), why="no standard birth date field: create x_birthdate"),
        FieldMap(source="lastname", target="name", score=0.88, decision=d, why="name parts join into the partner name"),
    ])
    appt = EntityMap(id="appt->calendar.event", source="appt", target="calendar.event", decision=d, score=0.9, fields=[
        FieldMap(source="apptdate", target="start", score=0.9, decision=d, why="appointment start"),
    ])
    carrier = EntityMap(id="inscarrier->res.partner", source="inscarrier", target="res.partner", kind="merge", decision=d,
                        score=0.86, fields=[FieldMap(source="insconame", target="name", score=0.9, decision=d, why="carrier name")])
    return MappingSpec(source="dentrix", destination="odoo", entities=[carrier, patient, appt])


def _schema() -> Schema:
    return Schema("dentrix", (
        Entity("patient", (Field("patid", "int", is_key=True),), key="patid", row_count=120),
        Entity("appt", (Field("apptid", "int", is_key=True),), key="apptid", row_count=300),
        Entity("inscarrier", (Field("insid", "int", is_key=True),), key="insid", row_count=6),
    ))


def fresh(root: Path) -> Workspace:
    """A workspace with proposals waiting for review and an empty ledger."""
    ws = Workspace.create(root, {"kind": "csv", "path": str(root)}, {"kind": "odoo"})
    _schema().save(ws.source_schema_path)
    _spec(confirmed=False).save(ws.mapping_path)
    return ws


def _load(ledger: Ledger, run_id: int, map_id: str, entity: str, obj: str, ids: range,
          rejected: dict[int, str] | None = None, failed: dict[int, str] | None = None) -> None:
    intents = [Intent(map_id, entity, str(i), obj, f"bw:dentrix:{entity}:{i}", f"h{i}", "create") for i in ids]
    ledger.record_intent(run_id, 1, intents)
    results = []
    for i in ids:
        if rejected and i in rejected:
            results.append(Result(map_id, str(i), "rejected", code=rejected[i], message="see correction report"))
        elif failed and i in failed:
            results.append(Result(map_id, str(i), "failed", code=failed[i], message="destination kept failing"))
        else:
            results.append(Result(map_id, str(i), "loaded", dest_id=str(1000 + i), action="create"))
    ledger.record_results(run_id, results)


def loaded(root: Path) -> Workspace:
    """A full run done (some rejected, some in the retry queue), a delta, owners, duplicates, custom fields."""
    ws = Workspace.create(root, {"kind": "csv", "path": str(root)}, {"kind": "odoo"})
    _schema().save(ws.source_schema_path)
    _spec(confirmed=True).save(ws.mapping_path)
    ledger = Ledger(ws.ledger_path, operator="maria", clock=lambda: next(CLOCK))
    plan = ledger.start_run("plan")
    for key in ("field:res.partner.x_bw_external_id", "field:res.partner.x_birthdate", "field:calendar.event.x_bw_external_id"):
        ledger.record_schema_change(plan, key, {"key": key}, "1", "applied")
    ledger.finish_run(plan, "done")
    run = ledger.start_run("full")
    _load(ledger, run, "inscarrier->res.partner", "inscarrier", "res.partner", range(1, 7))
    _load(ledger, run, "patient->res.partner", "patient", "res.partner", range(1, 121),
          rejected={5: "invalid_email", 9: "invalid_email", 17: "invalid_phone"}, failed={33: "destination_unreachable"})
    _load(ledger, run, "appt->calendar.event", "appt", "calendar.event", range(1, 301), rejected={7: "orphan_reference"})
    ledger.finish_run(run, "done")
    delta = ledger.start_run("delta")
    ids = range(121, 125)
    _load(ledger, delta, "patient->res.partner", "patient", "res.partner", ids)
    ledger.record_intent(delta, 2, [Intent("patient->res.partner", "patient", "2", "res.partner", "bw:dentrix:patient:2", "h2b", "update", "1002")])
    ledger.record_results(delta, [Result("patient->res.partner", "2", "loaded", dest_id="1002", action="update")])
    ledger.finish_run(delta, "done")
    with ledger.db.conn:
        ledger.db.conn.executemany("INSERT INTO owners VALUES (?, ?, ?, ?, ?)", [
            ("rsc", "DDS1", "4", "matched", "2026-11-20T10:00:00"), ("rsc", "HYG1", "5", "matched", "2026-11-20T10:00:00"),
            ("rsc", "HYG2", None, "unmatched", "2026-11-20T10:00:00"), ("rsc", "DDS9", None, "unmatched", "2026-11-20T10:00:00")])
        ledger.db.conn.executemany("INSERT INTO dedupe_groups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            ("g1", "patient", "[\"3\", \"88\"]", "3", "{}", 0.97, "confirmed", "maria", "2026-11-20T10:00:00"),
            ("g2", "patient", "[\"14\", \"77\"]", "14", "{}", 0.81, "proposed", None, None)])
    ledger.close()
    return ws
