"""Staging: read source records and turn them into DestRecords through the spec's real transforms.

Relations resolve through the ledger only (source id -> destination id of the entity map the
field's `lookup` names), never by name. A relation to a record of the same entity map that
is not loaded yet (a guarantor later in key order) is left out of the first write and the
record's hash is marked partial, so the second pass over the map fills it in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.base import DestRecord, Source, external_id
from executor._compile import RecordFn, compile_record
from executor.constraints import Found, checker, constrained
from executor.joins import Join, index, joins_of
from executor.lookups import PENDING, Echo, Orphans
from mapper.schema import Entity, Schema
from mapper.spec import EntityMap, FieldMap, MappingSpec, TransformStep
from mapper.transforms import Chain, TransformError

StagedState = Literal["ready", "skipped", "rejected"]
_CREATED = re.compile(r"^(create_?date(time)?|created_?(at|on|date)|date_?created|entry_?date(time)?)$", re.I)
_NATIVE_CREATED = ("createdAt", "overriddencreatedon", "CreatedDate")
_UPDATED = re.compile(r"^(auto_?modified_?timestamp|modified_?(at|date|on)|updated_?(at|on)|last_?modified)$", re.I)
PARTIAL = "partial:"
PAGE_SIZE = 500
"""Records per source page: small enough that a page is staged while it is still in the CPU cache (~8% faster
than 2,000 at 100k patients), large enough that a remote database is not asked once per handful of records."""
_STAMP = (TransformStep(name="datetime"),)
COMPILED = True
"""Stage through executor._compile's per-map functions; False runs `Stager._one`, the reference (tests, bench)."""

Planned = tuple[str, "str | tuple[str, ...]", Chain | None, str | None]
"""A compiled field map: (target, source column or columns, transform chain, relation's map id)."""
Lookup = Callable[[str], Mapping[str, str]]
"""map id -> {source id: destination id} of that entity map's loaded records."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem with one field of one record; never the value itself."""

    field: str
    code: str
    message: str
    fix: str = ""


@dataclass(slots=True)
class Staged:
    """One source record after transforms: ready to write, skipped by the map, or rejected.

    Treated as a value and never changed once made, but not `frozen`: a frozen dataclass sets each
    of its ten fields through object.__setattr__, ~1 us more per record (5% of `validate`).
    """

    map_id: str
    source_id: str
    external_id: str
    state: StagedState
    values: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    references: tuple[tuple[str, str], ...] = ()
    """(map id, source id) of every record this one points at (the sample's dependency closure)."""
    source: Mapping[str, Any] = field(default_factory=dict)

    def record(self) -> DestRecord:
        """The DestRecord to write."""
        return DestRecord(self.external_id, self.values)


def content_hash(values: Mapping[str, Any]) -> str:
    """A stable hash of transformed values (references as source ids, so it never depends on the destination).

    The text hashed is repr() of the sorted keys, then repr() of the values in that order (repr tells
    1, True, 1.0 and Decimal('1.0') apart). Maps write the same keys record after record, so the
    keys' text is remembered.
    """
    keys = tuple(sorted(values))
    head = _KEY_TEXT.get(keys)
    if head is None:
        head = repr(keys)
        if len(_KEY_TEXT) < _KEY_TEXT_SIZE:
            _KEY_TEXT[keys] = head
    return _blake2b((head + repr([values[k] for k in keys])).encode("utf-8"), digest_size=16).hexdigest()


def hasher(keys: Iterable[str]) -> Callable[[Mapping[str, Any]], str]:
    """content_hash for records that hold exactly `keys`, with their order and text worked out once (any other
    record is hashed by content_hash itself, so the result is always content_hash's)."""
    order = tuple(sorted(set(keys)))
    size, head = len(order), _blake2b(repr(order).encode("utf-8"), digest_size=16)  # the keys' text, hashed once

    def hash_(values: Mapping[str, Any]) -> str:
        if len(values) == size:
            try:  # as many keys and every one of them present: the same keys
                text = repr(list(map(values.__getitem__, order)))
            except KeyError:
                return content_hash(values)
            digest = head.copy()
            digest.update(text.encode("utf-8"))
            return digest.hexdigest()
        return content_hash(values)

    return hash_


_KEY_TEXT: dict[tuple[str, ...], str] = {}
_KEY_TEXT_SIZE = 4_096
_blake2b = hashlib.blake2b


def key_fields(em: EntityMap, source_schema: Schema | None) -> tuple[str, ...]:
    """The source key column(s) of an entity map (spec key, else the introspected key)."""
    key = em.key
    if key is None and source_schema is not None and source_schema.has(em.source):
        key = source_schema.entity(em.source).key
    if not key:
        raise TransformError("no_key", f"Entity map '{em.id}': source entity '{em.source}' has no key.",
                             hint="Set `key:` on that entity map in mapping.yaml.")
    return tuple(k.strip() for k in key.replace("+", ",").split(",") if k.strip())


def source_id_of(record: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    """The record's source id as text (composite keys joined with '-')."""
    return "-".join(str(record.get(k)) for k in keys)


def active_fields(em: EntityMap) -> list[FieldMap]:
    """Field maps that write something: confirmed, not skip, with a target."""
    out = []
    for fm in em.fields:
        if fm.kind == "skip" or fm.status == "rejected" or not fm.target_name:
            continue
        out.append(fm)
    return out


def target_name(fm: FieldMap) -> str:
    """The destination field a field map writes (`custom:` stripped)."""
    return fm.target_name or ""


def where_predicate(em: EntityMap) -> Callable[[Mapping[str, Any]], bool] | None:
    """The named filter of an entity map (mapper.transforms.PREDICATES), or None."""
    if not em.where:
        return None
    from mapper import transforms

    predicates: Mapping[str, Callable[[Mapping[str, Any]], bool]] = getattr(transforms, "PREDICATES", {})
    if em.where not in predicates:
        raise TransformError("bad_where", f"Entity map '{em.id}': unknown filter '{em.where}'.",
                             hint="Fix `where:` in mapping.yaml.")
    return predicates[em.where]


class Stager:
    """Turns the source records of one entity map into Staged records."""

    def __init__(self, spec: MappingSpec, source_name: str, source_schema: Schema | None,
                 destination_schema: Schema | None, lookup: Lookup, aliases: Lookup | None = None,
                 demote: Callable[[str], Mapping[str, list[tuple[str, str | None]]]] | None = None,
                 kind: str | None = None, prescan: Callable[[EntityMap], Iterable[Mapping[str, Any]]] | None = None,
                 reader: Callable[[str], Iterable[Mapping[str, Any]]] | None = None, hashes: bool = True) -> None:
        self.spec = spec
        self.hashes = hashes
        """Whether ready records carry their content hash (the ledger needs it; validation does not)."""
        self.reader = reader
        self._joined: dict[str, dict[str, Mapping[str, Any]]] = {}
        self.kind = kind
        self.prescan = prescan
        self._ready: dict[str, set[str]] = {}
        self._plans: dict[str, tuple[list[Planned], dict[str, Any]]] = {}
        self.aliases = aliases
        self.demote = demote
        self.source_name = source_name
        self.source_schema = source_schema
        self.destination_schema = destination_schema
        self.lookup = lookup

    def dest_entity(self, em: EntityMap) -> Entity | None:
        """The destination object's metadata when described."""
        schema = self.destination_schema
        return schema.entity(em.target_name) if schema is not None and schema.has(em.target_name) else None

    def timestamps(self, em: EntityMap, dest: Entity | None) -> dict[str, str]:
        """Original created/updated columns -> where they go: the destination's own writable created field
        when it keeps one (Twenty createdAt, Dataverse overriddencreatedon), else the custom fields the plan made."""
        if dest is None or self.kind is None or self.source_schema is None or not self.source_schema.has(em.source):
            return {}
        from mapper.naming import original_created_field, original_updated_field

        mapped = {src for fm in active_fields(em) for src in fm.sources}
        targets = {target_name(fm) for fm in active_fields(em)}
        native = next((f.name for f in dest.fields if f.name in _NATIVE_CREATED and not f.readonly), None)
        out: dict[str, str] = {}
        wanted = ((_CREATED, original_created_field(self.kind)), (_UPDATED, original_updated_field(self.kind)))
        for pattern, name in wanted:
            column = next((f.name for f in self.source_schema.entity(em.source).fields if pattern.match(f.name)), None)
            if column is None or column in mapped:
                continue
            if dest.has(name):
                out[name] = column
            elif pattern is _CREATED and native is not None and native not in targets:
                out[native] = column
        return out

    def self_ready(self, em: EntityMap) -> set[str] | None:
        """Source ids of a self-referencing map that will load (a reference outside this set is an orphan)."""
        if self.prescan is None or not any(fm.kind == "relation" and fm.lookup == em.id for fm in active_fields(em)):
            return None
        if em.id not in self._ready:
            echo = Stager(self.spec, self.source_name, self.source_schema, self.destination_schema,
                          lambda _: Echo(), self.aliases, reader=self.reader, hashes=False)
            merged = self.aliases(em.id) if self.aliases is not None else {}
            refs = {s.source_id: [merged.get(r, r) for m, r in s.references if m == em.id]
                    for s in echo.stage(em, self.prescan(em)) if s.state == "ready"}
            while bad := [sid for sid, targets in refs.items() if any(t not in refs for t in targets)]:
                for sid in bad:
                    del refs[sid]
            self._ready[em.id] = set(refs)
        return self._ready[em.id]

    def _prepare(self, em: EntityMap) -> tuple[list[Planned], dict[str, Any], dict[str, Mapping[str, str]]]:
        """An entity map's compiled plan, target fields and relation lookups."""
        if em.id not in self._plans:
            fields = active_fields(em)
            dest = self.dest_entity(em)
            targets = {target_name(fm): (dest.field(target_name(fm)) if dest and dest.has(target_name(fm)) else None)
                       for fm in fields}
            plan = [_planned(fm, target_name(fm), fm.sources, targets) for fm in fields]
            self._plans[em.id] = (plan, targets)
        plan, targets = self._plans[em.id]
        lookups = {fm.lookup: self.lookup(fm.lookup) for fm in active_fields(em) if fm.kind == "relation" and fm.lookup}
        return plan, targets, lookups

    def _joined_plan(self, j: Join, plan: list[Planned], targets: dict[str, Any],
                     lookups: dict[str, Mapping[str, str]]) -> tuple[Any, ...]:
        """(join, its records by source id, plan, targets, lookups) of the host map plus what the join map writes
        (read from `<entity>.<column>`; a field the host writes itself stays the host's)."""
        jm = j.em
        if jm.id not in self._joined:
            records = self.reader(jm.source) if self.reader is not None else ()
            self._joined[jm.id] = index(records, key_fields(jm, self.source_schema))
        _, jtargets, jlookups = self._prepare(jm)
        lent = [_planned(fm, name, [f"{jm.source}.{src}" for src in fm.sources], jtargets)
                for fm in active_fields(jm) if (name := target_name(fm)) not in targets]
        return (j, self._joined[jm.id], [*plan, *lent], {**jtargets, **targets}, {**jlookups, **lookups})

    def stage(self, em: EntityMap, records: Iterable[Mapping[str, Any]], *, final: bool = False) -> Iterator[Staged]:
        """Stage every record of one entity map, in the order given (`final`: the map's second pass)."""
        keys = key_fields(em, self.source_schema)
        keep = where_predicate(em)
        plan, targets, lookups = self._prepare(em)
        stamps = [(name, column, Chain(_STAMP)) for name, column in self.timestamps(em, self.dest_entity(em)).items()]
        merged = self.aliases(em.id) if self.aliases is not None else {}
        ready = self.self_ready(em)
        if ready is not None:
            lookups = {**lookups, em.id: Orphans(lookups[em.id], ready, merged)}
        moves = self.demote(em.id) if self.demote is not None else {}
        joins = [self._joined_plan(j, plan, targets, lookups) for j in joins_of(self.spec, self.source_schema, em)]
        check = checker(constrained(self.dest_entity(em), {t for *_, more, _ in joins for t in more} | set(targets)))
        key = keys[0] if len(keys) == 1 else None
        prefix = external_id(self.source_name, em.source, "")
        one = self._compiled(em, plan, lookups, final, stamps, check) if COMPILED else None
        joined = [self._compiled(em, jplan, jlookups, final, stamps, check) if COMPILED else None
                  for _, _, jplan, _, jlookups in joins]
        for record in records:
            sid = str(record.get(key)) if key is not None else source_id_of(record, keys)
            ext = prefix + sid
            if sid in merged:
                yield Staged(em.id, sid, ext, "skipped",
                             problems=(Problem("", "merged", f"merged into {em.source} {merged[sid]}"),))
                continue
            if keep is not None and not keep(record):
                yield Staged(em.id, sid, ext, "skipped", problems=(Problem("", "filtered", f"left out by '{em.where}'"),))
                continue
            now, fn = (plan, lookups), one
            if joins:
                for (j, by_id, joined_plan, _, joined_lookups), joined_fn in zip(joins, joined):  # a joined record
                    lent = by_id.get(str(record.get(j.via)))                                        # lends its columns
                    if lent is not None:
                        record = {**{f"{j.em.source}.{k}": v for k, v in lent.items()}, **record}
                        now, fn = (joined_plan, joined_lookups), joined_fn
                        break
            staged = fn(record, sid, ext) if fn is not None else self._one(em, record, sid, ext, *now, final, stamps, check)
            if moves and sid in moves and staged.state == "ready":
                staged = move_shared(staged, moves[sid])
            yield staged

    def _compiled(self, em: EntityMap, plan: list[Planned], lookups: Mapping[str, Mapping[str, str]], final: bool,
                  stamps: list[tuple[str, str, Chain]], check: Callable[[Mapping[str, Any]], list[Found]]) -> RecordFn:
        """`_one` for this map and pass compiled to straight-line code (executor._compile)."""
        def waits(lookup: str) -> bool:
            return lookup == em.id and not final and not isinstance(lookups[lookup], Orphans)

        return compile_record(em.id, em.constants, plan, lookups, stamps, check, waits,
                              {"Staged": Staged, "Problem": Problem, "PENDING": PENDING, "PARTIAL": PARTIAL,
                               "content_hash": hasher([*em.constants, *(name for name, *_ in plan)])},
                              hashes=self.hashes)

    def _one(self, em: EntityMap, record: Mapping[str, Any], sid: str, ext: str, fields: list[Planned],
             lookups: Mapping[str, Mapping[str, str]], final: bool, stamps: list[tuple[str, str, Chain]],
             check: Callable[[Mapping[str, Any]], list[Found]]) -> Staged:
        consts = em.constants
        values: dict[str, Any] = dict(consts)
        for name, column, stamp in stamps:  # aware, so a destination that wants a zone gets one
            try:
                values[name] = stamp(record.get(column), record)[0]
            except TransformError:
                values[name] = None
        hashed: dict[str, Any] = dict(consts)
        problems: list[Problem] = []
        warnings: list[Problem] = []
        refs: list[tuple[str, str]] = []
        partial = False
        pending: set[str] = set()
        get = record.get
        for name, srcs, chain, lookup in fields:
            raw = get(srcs) if type(srcs) is str else [get(s) for s in srcs]
            if chain is not None:
                try:
                    value, raised = chain(raw, record)
                except TransformError as exc:
                    problems.append(Problem(name, exc.code, exc.message, exc.hint))
                    continue
                if raised:
                    warnings.extend(Problem(name, w.code, w.message) for w in raised)
            else:
                value = raw
            if lookup is not None:
                if value is None or value == "" or value == 0:
                    value = None
                else:
                    ref = str(value)
                    refs.append((lookup, ref))
                    hashed[name] = f"ref:{ref}"
                    dest_id = lookups[lookup].get(ref)
                    if dest_id == PENDING or (dest_id is None and lookup == em.id and not final
                                              and not isinstance(lookups[lookup], Orphans)):
                        if ref == sid:
                            hashed[name] = "ref:self"
                        partial = True  # same map, not loaded yet: the second pass fills it in
                        pending.add(name)
                        continue
                    if dest_id == "":  # an owner with no destination user: not sent (the map's constant or the
                        # destination's default owner applies; an explicit empty owner is refused by some CRMs), reported
                        warnings.append(Problem(name, "unassigned_owner", f"{lookup} {ref} has no destination user",
                                                "Invite the provider as a user, then run delta."))
                        continue
                    if dest_id is None and ref == sid:  # itself (a guarantor of its own): its own problems say why
                        continue
                    if dest_id is None:
                        problems.append(Problem(name, "unresolved_reference",
                                                f"points at {lookup} {ref}, which is not loaded",
                                                "Load or fix that record first (see its own rejection)."))
                        continue
                    values[name] = dest_id
                    continue
            if value is not None or name not in values:
                values[name] = value
                hashed[name] = value
        found = check(values)
        if found:
            for name, code, message, fix, severity in found:
                if name not in pending:
                    (problems if severity == "error" else warnings).append(Problem(name, code, message, fix))
        if problems:
            return Staged(em.id, sid, ext, "rejected", problems=tuple(problems), warnings=tuple(warnings),
                          references=tuple(refs), source=record)
        digest = content_hash(hashed) if self.hashes else ""
        return Staged(em.id, sid, ext, "ready", values, (PARTIAL + digest) if partial else digest,
                      warnings=tuple(warnings), references=tuple(refs), source=record)


def _planned(fm: FieldMap, name: str, sources: list[str], targets: Mapping[str, Any]) -> Planned:
    """One field map compiled: its source column (or columns), its chain, the map its relation looks up."""
    chain = Chain(fm.transforms, targets.get(name)) if fm.transforms else None
    lookup = fm.lookup if fm.lookup and fm.kind == "relation" else None
    return (name, sources[0] if len(sources) == 1 else tuple(sources), chain, lookup)


def move_shared(s: Staged, moves: list[tuple[str, str | None]]) -> Staged:
    """Move shared unique values to their sibling field (or drop them), noting it as a warning."""
    values = dict(s.values)
    notes = []
    for name, sibling in moves:
        value = values.pop(name, None)
        if sibling is not None and value not in (None, ""):
            current = values.get(sibling) or []
            values[sibling] = [*(current if isinstance(current, list) else [current]), value]
        notes.append(Problem(name, "shared_unique_value", "shared with a family member; kept on the guarantor",
                             f"carried in {sibling}" if sibling else "left empty here"))
    digest = content_hash({"values": s.content_hash, "moves": moves})
    partial = s.content_hash.startswith(PARTIAL)
    return Staged(s.map_id, s.source_id, s.external_id, s.state, values, (PARTIAL + digest) if partial else digest,
                  s.problems, s.warnings + tuple(notes), s.references, s.source)


def read_all(source: Source, entity: str, page_size: int = PAGE_SIZE) -> Iterator[Mapping[str, Any]]:
    """Every record of a source entity, page by page (memory stays flat)."""
    for page in source.pages(entity, page_size=page_size):
        yield from page.records


def entity_order(spec: MappingSpec) -> list[EntityMap]:
    """Entity maps to load, in dependency order (mapper.spec.dependency_order), skip maps left out."""
    from mapper.spec import dependency_order

    ordered: list[EntityMap] = [em for em in dependency_order(spec)
                                if em.kind not in ("skip", "join") and em.status != "rejected"]
    return ordered
