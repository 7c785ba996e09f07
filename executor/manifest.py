"""The document and imaging manifest: every file reference the source holds, where it landed, what to copy.

Dentrix keeps scanned documents' bytes in the Document Center's folder tree and X-rays in the imaging
product's; Dentally Vision has no API (reference/sources.md §1.6, §4; dental-domain.md §1). A
migration carries the *references* (one destination record per document, attached to its patient,
with its description, date and format) and this manifest, from which the files are copied by the
practice or the imaging vendor. reports/imaging_manifest.csv has one row per reference: source id,
patient, the file reference, the destination record and its state. No file bytes move.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from executor.joins import joins_of
from executor.session import Session
from executor.staging import key_fields, read_all, source_id_of
from mapper.spec import EntityMap

MANIFEST_NAME = "imaging_manifest.csv"
COLUMNS = ("source_entity", "source_id", "patient_source_id", "file_reference", "format", "file_date",
           "destination_object", "destination_id", "status", "note")
_PATH_HINTS = ("path", "filename", "file_name", "fullpath", "url", "location")
_FORMAT_HINTS = ("docfmt", "format", "filetype", "file_type", "mimetype", "extension", "type")
_DATE_HINTS = ("createdate", "created", "date", "taken", "created_at", "acquired")


@dataclass
class Manifest:
    """Where the manifest was written and how many references it lists, by state."""

    path: Path
    rows: int
    loaded: int


def _file_maps(session: Session) -> list[EntityMap]:
    from mapper.plan import FILE_CONCEPTS
    from mapper.propose._text import key
    from mapper.propose.knowledge import entity_concepts

    names = {n for c in entity_concepts() if c.name in FILE_CONCEPTS for n in c.source}
    return [em for em in session.spec.entities
            if em.kind not in ("skip",) and em.status != "rejected" and key(em.source) in names]


def _column(fields: list[str], hints: tuple[str, ...]) -> str | None:
    lowered = {f.lower(): f for f in fields}
    return next((lowered[h] for h in hints if h in lowered), None)


def _owner_column(session: Session, host: EntityMap, files: set[str]) -> str | None:
    """The host's source column that links it to its owner (the first relation not onto a file map)."""
    fm = next((f for f in host.fields if f.kind == "relation" and f.status != "rejected" and f.lookup
               and f.lookup not in files), None)
    return fm.sources[0] if fm is not None else None


def write_manifest(session: Session) -> Manifest | None:
    """Write reports/imaging_manifest.csv from the source and the ledger; None when nothing is a file reference."""
    schema = session.source_schema
    file_maps = _file_maps(session)
    if schema is None or not file_maps:
        return None
    ids = {em.id for em in file_maps}
    hosts = [em for em in file_maps if em.kind != "join"]
    rows: list[tuple[Any, ...]] = []
    for host in hosts:
        joined = next((j for j in joins_of(session.spec, schema, host)), None)
        files: Mapping[str, Mapping[str, Any]] = {}
        if joined is not None:
            keys = key_fields(joined.em, schema)
            files = {source_id_of(r, keys): r for r in read_all(session.source, joined.em.source)}
        owner = _owner_column(session, host, ids)
        states = {r["source_id"]: r for r in session.ledger.query(
            "SELECT source_id, dest_id, state, error_code FROM records WHERE map_id = ?", (host.id,))}
        keys = key_fields(host, schema)
        for record in read_all(session.source, host.source):
            sid = source_id_of(record, keys)
            file = files.get(str(record.get(joined.via))) if joined is not None else record
            if file is None:
                file = {}
            fields = list(file)
            file_id = str(record.get(joined.via)) if joined is not None else sid
            entity = joined.em.source if joined is not None else host.source
            where = _column(fields, _PATH_HINTS)
            fmt = _column(fields, _FORMAT_HINTS)
            when = _column(fields, _DATE_HINTS)
            reference = str(file.get(where)) if where and file.get(where) else f"{entity} {file_id}"
            state = states.get(sid, {})
            status = str(state.get("state") or "not loaded")
            note = ("reference only: copy the file from the source system's document/imaging store"
                    if status == "loaded" else f"not loaded ({state.get('error_code') or 'see the correction report'})")
            rows.append((entity, file_id, str(record.get(owner)) if owner else "", reference,
                         str(file.get(fmt) or "").strip() if fmt else "", str(file.get(when) or "") if when else "",
                         host.target_name, state.get("dest_id") or "", status, note))
    path = session.ws.reports_dir / MANIFEST_NAME
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return Manifest(path, len(rows), sum(r[8] == "loaded" for r in rows))
