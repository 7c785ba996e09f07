"""Delta: what changed in the source since the last run, the retry queue, conflicts, source deletions.

Each entity map reads only the records its source reports changed since the map's watermark
(`pages(changed_since=...)`: Dentrix automodifiedtimestamp, Dentally updated_after); a map with
no watermark yet, or whose source cannot tell for that entity (SourceError), is read in full.
Either way the content hash the ledger holds decides what is written, so an unchanged record
is never written again. Records waiting in the retry queue (pending, failed, conflict,
rejected) are fetched by id and go again. A record edited in the destination since bridgework
wrote it is left alone unless forced. Records deleted in the source are reported; they are
deleted in the destination only when asked. Finding them needs every source id: a map read by
watermark skips that read when the source still holds exactly as many records as the ledger
tracks for it, and otherwise reads the entity in full (there is no cheaper id-only read).

A mapping edit (a newly confirmed field, a changed transform, a newly confirmed entity map) changes
no source row, so no watermark would find it: each full run and delta records the version of every
entity map it loaded with (`map_fingerprint`, ledger table map_versions), and a map whose version
differs is read in full this once, ignoring its watermark. The content hashes then decide again:
only records whose transformed values changed are updated (with before-images, destination edits
left alone unless forced), and the summary says so per map.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from itertools import chain
from typing import Any

from connectors.base import Page, Source
from executor.ledger import ROLLED_BACK, Result
from executor.load import Progress
from executor.owners import USER_OBJECTS
from executor.run import RunReport, _fetch, _gone, execute, map_fingerprint
from executor.session import Session
from executor.staging import PAGE_SIZE, key_fields, read_all, source_id_of
from mapper.errors import SourceError
from mapper.spec import EntityMap

RETRY_STATES = ("pending", "failed", "conflict", "rejected")
"""Ledger states a delta tries again even when the source record did not change."""


def delta(session: Session, *, force: bool = False, propagate_deletes: bool = False,
          progress: Progress | None = None) -> RunReport:
    """Run a delta; with propagate_deletes, remove from the destination what the source deleted."""
    seen: dict[str, set[str]] = {}  # map id -> every source id, for maps read in full
    remapped: dict[str, str] = {}
    read: dict[str, int] = {}

    def records_for(em: EntityMap) -> Iterable[Mapping[str, Any]]:
        reason = remap_reason(session, em)
        if reason is None:
            return _records(session, em, seen)
        remapped[em.id] = reason
        return _counted(_all(session, em, seen), read, em.id)

    report = execute(session, "delta", force=force, progress=progress, records_for=records_for)
    report.remapped, report.read = remapped, read
    report.notes = remap_notes(report)
    if report.notes:
        session.ledger.note_run(report.run_id, "; ".join(report.notes))
    maps = [em for em in session.ordered_maps() if em.id in report.maps and em.target_name not in USER_OBJECTS]
    for em in maps:
        report.deleted_in_source[em.id] = _deleted(session, em, seen.get(em.id))
    if propagate_deletes:
        for em in reversed(maps):
            gone = report.deleted_in_source[em.id]
            if gone:
                _delete(session, report.run_id, em.id, gone)
    return report


def remap_reason(session: Session, em: EntityMap) -> str | None:
    """Why this map must be read in full regardless of its watermark: 'changed' (its mapping differs from the
    version the last load used), 'new' (never loaded by a run or delta), 'unrecorded' (a ledger from before
    map versions); None when its mapping is the one last loaded (users maps are always read in full)."""
    if em.target_name in USER_OBJECTS:
        return None
    recorded = session.ledger.map_version(em.id)
    if recorded is None:
        return "new" if session.ledger.watermark(em.id) is None else "unrecorded"
    return None if recorded == map_fingerprint(session.spec, em, session.source_schema) else "changed"


def remap_notes(report: RunReport) -> list[str]:
    """One summary line per map read in full because of a mapping edit."""
    heads = {"changed": "changed since the last load", "new": "is new since the last load",
             "unrecorded": "has no map version in the ledger yet (recorded now)"}
    out = []
    for map_id, reason in report.remapped.items():
        stats = report.maps.get(map_id)
        if stats is None:
            continue
        parts = [f"{stats.created:,} created"] if reason == "new" or stats.created else []
        if reason != "new" or stats.updated:
            parts.append(f"{stats.updated:,} updated")
        if reason != "new" and stats.unchanged:
            parts.append(f"{stats.unchanged:,} unchanged")
        if stats.conflicts:
            parts.append(f"{stats.conflicts:,} edited in the destination left alone (--force overwrites)")
        for name in ("rejected", "failed"):
            if getattr(stats, name):
                parts.append(f"{getattr(stats, name):,} {name}")
        verb = "read" if reason == "new" else "re-read"
        out.append(f"map '{map_id}' {heads[reason]}: {verb} all {report.read.get(map_id, 0):,} records, "
                   + ", ".join(parts))
    return out


def _counted(records: Iterable[Mapping[str, Any]], counts: dict[str, int], map_id: str) -> Iterator[Mapping[str, Any]]:
    counts.setdefault(map_id, 0)
    for record in records:
        counts[map_id] += 1
        yield record


def _all(session: Session, em: EntityMap, seen: dict[str, set[str]]) -> Iterator[Mapping[str, Any]]:
    """Every source record of the map (its ids remembered for the deletion check)."""
    keys = key_fields(em, session.source_schema)
    ids = seen.setdefault(em.id, set())
    for record in read_all(session.source, em.source):
        ids.add(source_id_of(record, keys))
        yield record


def _records(session: Session, em: EntityMap, seen: dict[str, set[str]]) -> Iterator[Mapping[str, Any]]:
    """The map's changed records then its retry queue, or every record when the source cannot tell what changed."""
    mark = session.ledger.watermark(em.id)
    changed = None if mark is None or em.target_name in USER_OBJECTS else \
        _changed_pages(session.source, em.source, datetime.fromisoformat(mark))
    keys = key_fields(em, session.source_schema)
    if changed is None:
        yield from _all(session, em, seen)
        return
    read: set[str] = set()
    for page in changed:
        for record in page.records:
            read.add(source_id_of(record, keys))
            yield record
    yield from _fetch(session, em, [sid for sid in _retry_ids(session, em.id) if sid not in read])


def _changed_pages(source: Source, entity: str, since: datetime) -> Iterator[Page] | None:
    """Pages of records changed after `since`, or None when the source cannot find changes for `entity`."""
    pages = source.pages(entity, page_size=PAGE_SIZE, changed_since=since)
    try:
        first = next(pages, None)  # sources raise on the first page, not on the call
    except SourceError:
        return None
    return chain([first] if first is not None else [], pages)


def _retry_ids(session: Session, map_id: str) -> list[str]:
    """The retry queue, and what a rollback undid (as a full run would, a delta writes it again): loaded records
    restored to their before-image (hash cleared) and records the rollback deleted."""
    marks = ",".join("?" * len(RETRY_STATES))
    rows = session.ledger.query(f"SELECT source_id FROM records WHERE map_id = ? AND (state IN ({marks}) "
                                f"OR (state = 'loaded' AND content_hash IS NULL) "
                                f"OR (state = 'deleted' AND error_code = ?)) ORDER BY source_id",
                                [map_id, *RETRY_STATES, ROLLED_BACK])
    return [str(r["source_id"]) for r in rows]


def _deleted(session: Session, em: EntityMap, ids: set[str] | None) -> list[str]:
    """Loaded records the source no longer has; `ids`: every source id when the map was read in full."""
    if ids is None:
        tracked = session.ledger.scalar("SELECT COUNT(*) FROM records WHERE map_id = ? AND state != 'deleted'", (em.id,))
        # Every source record gets a ledger row (filtered and merged ones as skipped), and new ones
        # were just read as changed: equal counts leave no room for a deleted record.
        if session.source.count(em.source) == int(tracked or 0):
            return []
        keys = key_fields(em, session.source_schema)
        ids = {source_id_of(record, keys) for record in read_all(session.source, em.source)}
    return _gone(session, em, ids)


def _delete(session: Session, run_id: int, map_id: str, source_ids: list[str]) -> None:
    ledger = session.ledger
    dest = session.destination
    size = max(1, dest.capabilities.max_batch)
    marks = ",".join("?" * len(source_ids))
    rows = ledger.query(f"SELECT source_id, dest_id, dest_object FROM records WHERE map_id = ? AND dest_id IS NOT NULL "
                        f"AND state != 'deleted' AND source_id IN ({marks}) ORDER BY source_id", [map_id, *source_ids])
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        dest.delete(chunk[0]["dest_object"], [r["dest_id"] for r in chunk])
        ledger.record_results(run_id, [Result(map_id, r["source_id"], "deleted", r["dest_id"], "delete") for r in chunk])
