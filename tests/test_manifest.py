"""The imaging manifest: one row per file reference, its patient, its destination record and its state."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from connectors.sources.csvsource import CsvSource
from executor.ledger import open_ledger
from executor.manifest import COLUMNS, write_manifest
from executor.session import Session
from executor.workspace import Workspace
from mapper.schema import Entity, Field, Schema
from mapper.spec import MappingSpec

CONFIRMED = {"status": "confirmed", "by": "test"}


def _write(folder: Path, name: str, lines: list[str]) -> None:
    (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _session(root: Path) -> Session:
    folder = root / "exports"
    folder.mkdir()
    _write(folder, "patient", ["patid,last", "1,Ng", "2,Okafor"])
    _write(folder, "document", ["docid,descript,createdate,docfmt", "10,Consent form,2024-01-02,PDF",
                                "11,X-ray BW,2024-02-03,TIF", "12,Insurance card,2024-03-04,JPG"])
    _write(folder, "docattach", ["rowkey,docid,attachtotype,attachtoentityid", "10-1-1,10,1,1", "11-1-2,11,1,2",
                                 "12-1-2,12,1,2"])
    source_schema = Schema("csv", (
        Entity("patient", (Field("patid", "int"), Field("last")), key="patid"),
        Entity("document", (Field("docid", "int"), Field("descript"), Field("createdate", "date"), Field("docfmt")),
               key="docid"),
        Entity("docattach", (Field("rowkey"), Field("docid", "int", reference="document"), Field("attachtotype"),
                             Field("attachtoentityid", "int")), key="rowkey")))
    spec = MappingSpec.model_validate({"source": "csv", "destination": "odoo", "entities": [
        {"id": "patient->res.partner", "source": "patient", "target": "res.partner", "decision": CONFIRMED,
         "fields": [{"source": "last", "target": "name", "decision": CONFIRMED}]},
        {"id": "document->ir.attachment", "source": "document", "target": "ir.attachment", "kind": "join",
         "decision": CONFIRMED, "fields": [{"source": "descript", "target": "name", "decision": CONFIRMED}]},
        {"id": "docattach->ir.attachment", "source": "docattach", "target": "ir.attachment", "decision": CONFIRMED,
         "constants": {"res_model": "res.partner"}, "fields": [
             {"source": "attachtoentityid", "target": "res_id", "kind": "relation", "lookup": "patient->res.partner",
              "decision": CONFIRMED}]},
    ]})
    ws = Workspace.create(root / "ws", {"kind": "csv", "path": str(folder)}, {"kind": "odoo", "url": "local"})
    ledger = open_ledger(ws.ledger_path, ws.operator)
    rows: list[tuple[Any, ...]] = [
        ("docattach->ir.attachment", "docattach", "10-1-1", "ir.attachment", "501", "bw:csv:docattach:10-1-1", "loaded", None),
        ("docattach->ir.attachment", "docattach", "11-1-2", "ir.attachment", None, "bw:csv:docattach:11-1-2", "rejected",
         "unresolved_reference")]
    with ledger.db.conn:
        ledger.db.conn.executemany(
            "INSERT INTO records (map_id, source_entity, source_id, dest_object, dest_id, external_id, state, error_code, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '2026-01-01T00:00:00Z')", rows)
    return Session(ws, spec, ledger, CsvSource(folder), None, source_schema, None)  # type: ignore[arg-type]


def test_one_row_per_file_reference_with_patient_destination_and_state(tmp_path: Path) -> None:
    session = _session(tmp_path)
    try:
        manifest = write_manifest(session)
    finally:
        session.ledger.close()
        session.source.close()
    assert manifest is not None and (manifest.rows, manifest.loaded) == (3, 1)
    assert manifest.path == session.ws.root / "reports" / "imaging_manifest.csv"
    with manifest.path.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = [(r["source_entity"], r["source_id"], r["patient_source_id"], r["file_reference"], r["format"],
                 r["file_date"], r["destination_object"], r["destination_id"], r["status"]) for r in reader]
    assert rows == [
        ("document", "10", "1", "document 10", "PDF", "2024-01-02", "ir.attachment", "501", "loaded"),
        ("document", "11", "2", "document 11", "TIF", "2024-02-03", "ir.attachment", "", "rejected"),
        ("document", "12", "2", "document 12", "JPG", "2024-03-04", "ir.attachment", "", "not loaded"),
    ]


def test_no_file_references_no_manifest(tmp_path: Path) -> None:
    session = _session(tmp_path)
    session.spec.entities = session.spec.entities[:1]
    try:
        assert write_manifest(session) is None
    finally:
        session.ledger.close()
        session.source.close()
