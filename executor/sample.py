"""Sample: N records with their dependency closure, loaded, read back and diffed field by field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from executor.diff import SILENT, FieldDiff, diff_record
from executor.load import Progress
from executor.lookups import Echo
from executor.run import RunReport, execute
from executor.session import Session
from executor.staging import Stager, active_fields, key_fields, read_all, source_id_of, target_name
from mapper.spec import EntityMap

_FETCH = 500


@dataclass
class RecordDiff:
    """One sampled record: where it went and how each field arrived."""

    map_id: str
    source_id: str
    destination_id: str
    fields: list[FieldDiff] = field(default_factory=list)

    @property
    def silent_changes(self) -> list[FieldDiff]:
        """Fields the destination changed without saying so."""
        return [f for f in self.fields if f.change in SILENT]


@dataclass
class SampleResult:
    """The sample run and its diffs."""

    run: RunReport
    selected: dict[str, int]
    diffs: list[RecordDiff] = field(default_factory=list)


def root_map(maps: list[EntityMap], session: Session | None = None) -> EntityMap:
    """Where the sample starts: the person map (patients) most others point at, else the most pointed-at map."""
    from executor.dedupe import IdentityFields

    inbound = {em.id: 0 for em in maps}
    for em in maps:
        for fm in active_fields(em):
            if fm.kind == "relation" and fm.lookup in inbound and fm.lookup != em.id:
                inbound[fm.lookup] += 1
    schema = session.source_schema if session is not None else None
    people = [em for em in maps if schema is not None and schema.has(em.source)
              and IdentityFields.detect(schema.entity(em.source)) is not None]
    return max(people or maps, key=lambda em: (inbound[em.id], -maps.index(em)))


def _fetch(session: Session, em: EntityMap, ids: Iterable[str]) -> list[Mapping[str, Any]]:
    wanted = sorted(ids)
    out: list[Mapping[str, Any]] = []
    for start in range(0, len(wanted), _FETCH):
        out.extend(session.source.fetch(em.source, wanted[start:start + _FETCH]))
    return out


def select(session: Session, n: int) -> dict[str, set[str]]:
    """Source ids per map: n root records, their children, and every record any of them points at."""
    maps = session.ordered_maps()
    if not maps:
        return {}
    root = root_map(maps, session)
    keys = key_fields(root, session.source_schema)
    chosen: dict[str, set[str]] = {em.id: set() for em in maps}
    chosen[root.id] = {source_id_of(r, keys) for r in islice(read_all(session.source, root.source), n)}
    below = {root.id}  # maps whose chosen records bring their children along (appointments, notes, ...)
    for em in maps:
        links = [(fm.sources[0], str(fm.lookup)) for fm in active_fields(em) if fm.kind == "relation"
                 and fm.lookup in below and em.id != root.id and fm.lookup != em.id]
        if not links:
            continue
        em_keys = key_fields(em, session.source_schema)
        for record in read_all(session.source, em.source):
            if any(str(record.get(link)) in chosen[lookup] for link, lookup in links):
                chosen[em.id].add(source_id_of(record, em_keys))
        if chosen[em.id]:
            below.add(em.id)
    stager = Stager(session.spec, session.source_name, session.source_schema, session.destination_schema,
                    lambda _: Echo(), reader=lambda entity: read_all(session.source, entity))
    by_id = {em.id: em for em in maps}
    frontier = {m: set(ids) for m, ids in chosen.items()}
    while any(frontier.values()):
        found: dict[str, set[str]] = {m: set() for m in chosen}
        for map_id, ids in frontier.items():
            if not ids:
                continue
            for s in stager.stage(by_id[map_id], _fetch(session, by_id[map_id], ids)):
                for ref_map, ref in s.references:
                    if ref_map in chosen and ref not in chosen[ref_map]:
                        found[ref_map].add(ref)
        for m, ids in found.items():
            chosen[m] |= ids
        frontier = found
    return chosen


def sample(session: Session, n: int = 100, *, progress: Progress | None = None) -> SampleResult:
    """Load a sample and diff what the destination stored against what was sent."""
    chosen = select(session, n)
    maps = session.ordered_maps()
    report = execute(session, "sample", maps=maps, records_for=lambda em: _fetch(session, em, chosen[em.id]),
                     progress=progress)
    result = SampleResult(report, {m: len(ids) for m, ids in chosen.items()})
    stager = session.stager()
    for em in maps:
        if not chosen[em.id]:
            continue
        loaded = dict(session.ledger.db.execute(
            "SELECT source_id, dest_id FROM records WHERE map_id = ? AND state = 'loaded' AND dest_id IS NOT NULL",
            (em.id,)).fetchall())
        staged = [s for s in stager.stage(em, _fetch(session, em, chosen[em.id])) if s.source_id in loaded]
        stored = session.destination.read(em.target_name, [loaded[s.source_id] for s in staged])
        sources_of = {target_name(fm): fm.sources for fm in active_fields(em)}
        for s in staged:
            did = str(loaded[s.source_id])
            result.diffs.append(RecordDiff(em.id, s.source_id, did,
                                           diff_record(s.source, sources_of, s.values, stored.get(did, {}))))
    return result
