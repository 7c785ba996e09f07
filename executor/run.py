"""One load run (full, delta or sample): every entity map in dependency order, resumable after kill -9."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from executor.ledger import Intent, RunKind, now_iso
from executor.load import Loader, MapStats, Progress
from executor.manifest import write_manifest
from executor.owners import USER_OBJECTS
from executor.session import Session
from executor.joins import joins_of
from executor.staging import PARTIAL, active_fields, read_all
from mapper.schema import Schema
from mapper.spec import EntityMap, MappingSpec

RecordsFor = Callable[[EntityMap], Iterable[Mapping[str, Any]]]
_FETCH_CHUNK = 500
# The watermark is UTC but a source may stamp rows in the practice's local time (Dentrix's
# automodifiedtimestamp has no zone): overlap by more than any UTC offset. Re-reading a day of
# changes costs little, and content hashes keep unchanged records from being written again.
WATERMARK_OVERLAP = timedelta(hours=26)
"""A map's watermark is the run's start minus this, so a record stamped before but saved during the read is read again."""


@dataclass
class RunReport:
    """What a run did, per entity map."""

    run_id: int
    kind: str
    maps: dict[str, MapStats] = field(default_factory=dict)
    elapsed_s: float = 0.0
    deleted_in_source: dict[str, list[str]] = field(default_factory=dict)
    resumed: bool = False
    remapped: dict[str, str] = field(default_factory=dict)
    """Delta: maps read in full because their mapping differs from the last load's (map id -> changed/new/unrecorded)."""
    read: dict[str, int] = field(default_factory=dict)
    """Delta: source records read per remapped map."""
    notes: list[str] = field(default_factory=list)
    """One line per remapped map for the summary."""
    manifest: Any = None
    """executor.manifest.Manifest: the document/imaging references of a full or delta run (None: none)."""

    def totals(self) -> MapStats:
        """Every map's stats added up."""
        out = MapStats()
        for stats in self.maps.values():
            for name in ("staged", "created", "updated", "unchanged", "skipped", "rejected", "failed", "conflicts"):
                setattr(out, name, getattr(out, name) + getattr(stats, name))
            for code, n in stats.errors.items():
                out.errors[code] = out.errors.get(code, 0) + n
        return out


_FINGERPRINT_FIELDS = {"source", "target", "kind", "transforms", "lookup", "custom"}


def map_fingerprint(spec: MappingSpec, em: EntityMap, source_schema: Schema | None) -> str:
    """A hash of what decides an entity map's transformed records: its source, target, key, filter, constants
    and the field maps that write (sources, target, kind, transform chain, lookup, custom definition),
    plus the join maps that lend it columns. Who confirmed what, scores and alternatives are left out."""
    def part(m: EntityMap) -> dict[str, Any]:
        return {"source": m.source, "target": m.target, "kind": m.kind, "key": m.key, "where": m.where,
                "constants": m.constants, "status": m.status,
                "fields": [fm.model_dump(mode="json", include=_FINGERPRINT_FIELDS) for fm in active_fields(m)]}

    parts = [part(em), *({"via": j.via, **part(j.em)} for j in joins_of(spec, source_schema, em))]
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _fetch(session: Session, em: EntityMap, ids: Sequence[str]) -> Iterator[Mapping[str, Any]]:
    for start in range(0, len(ids), _FETCH_CHUNK):
        yield from session.source.fetch(em.source, list(ids[start:start + _FETCH_CHUNK]))


def partial_ids(session: Session, em: EntityMap) -> list[str]:
    """Loaded records of a map still waiting for a same-map reference (second pass)."""
    rows = session.ledger.db.execute(
        "SELECT source_id FROM records WHERE map_id = ? AND state = 'loaded' AND content_hash LIKE ? ORDER BY source_id",
        (em.id, PARTIAL + "%"))
    return [str(r[0]) for r in rows]


def execute(session: Session, kind: RunKind = "full", *, maps: Sequence[EntityMap] | None = None,
            records_for: RecordsFor | None = None, force: bool = False, progress: Progress | None = None,
            clock: Callable[[], float] = time.perf_counter) -> RunReport:
    """Load the maps (default: all, in dependency order); resumes a killed run of the same kind."""
    ledger = session.ledger
    started = clock()
    killed = ledger.unfinished_run([kind]) if kind != "sample" else None
    run_id = int(killed["id"]) if killed else ledger.start_run(kind)
    report = RunReport(run_id, kind, resumed=killed is not None)
    loader = Loader(ledger, session.destination, run_id, force=force, progress=progress)
    stager = session.stager()
    watermark = (datetime.fromisoformat(now_iso()) - WATERMARK_OVERLAP).isoformat()
    status = "failed"
    try:
        for em in maps if maps is not None else session.ordered_maps():
            records = records_for(em) if records_for else read_all(session.source, em.source)
            if em.target_name in USER_OBJECTS:
                report.maps[em.id] = _owners_only(session, em, records, run_id)
                continue
            stats = loader.load(em, stager.stage(em, records))
            second = partial_ids(session, em)
            if second:
                loader.load(em, stager.stage(em, _fetch(session, em, second), final=True), stats)
            report.maps[em.id] = stats
            if kind != "sample":
                ledger.set_watermark(em.id, watermark, run_id)
                ledger.set_map_version(em.id, map_fingerprint(session.spec, em, session.source_schema),
                                       run_id)
        if kind != "sample":
            report.manifest = write_manifest(session)
        status = "done"
    except KeyboardInterrupt:
        status = "stopped"
        raise
    finally:
        report.elapsed_s = clock() - started
        ledger.finish_run(run_id, status)  # type: ignore[arg-type]
    return report


def _owners_only(session: Session, em: EntityMap, records: Iterable[Mapping[str, Any]], run_id: int) -> MapStats:
    """Users are matched by owner resolution (bridgework validate), never created: each record ends skipped."""
    owners = dict(session.ledger.db.execute("SELECT source_id, status FROM owners WHERE source_entity = ?", (em.source,)))
    stats = MapStats()
    rows = []
    for s in session.stager().stage(em, records):
        status = owners.get(s.source_id, "unresolved")
        code = "matched_to_user" if status == "matched" else "unassigned_owner"
        rows.append((Intent(em.id, em.source, s.source_id, em.target_name, s.external_id, s.content_hash, "create"),
                     "skipped", code, "matched to an existing destination user" if status == "matched"
                     else "no destination user with this email: its records name no owner (see bridgework validate)"))
        stats.staged += 1
        stats.skipped += 1
    session.ledger.record_states(run_id, rows)  # type: ignore[arg-type]
    return stats


def _gone(session: Session, em: EntityMap, seen: set[str]) -> list[str]:
    """Loaded records the source no longer has (reported, never propagated unasked)."""
    rows = session.ledger.db.execute(
        "SELECT source_id FROM records WHERE map_id = ? AND state IN ('loaded', 'conflict') ORDER BY source_id", (em.id,))
    return [str(sid) for (sid,) in rows if str(sid) not in seen]
