"""What people and programs do to a MappingSpec: check it against schemas, decide, merge, order."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mapper._spec_model import (
    CUSTOM_PREFIX,
    CustomFieldDef,
    Decision,
    EntityMap,
    FieldMap,
    MappingSpec,
    Status,
    line_of_map,
)
from mapper.errors import SpecError
from mapper.naming import DESTINATION_KINDS, check_custom_name
from mapper.schema import Entity, Schema

CONFIRM_HINT = "Review them: bridgework review, or accept strong ones: bridgework confirm --min-score 0.9"


def schema_hash(schema: Schema) -> str:
    """A short hash of a schema's structure (entities, fields, types, references), not of its profiles."""
    shape = [
        [e.name, [[f.name, f.type, f.reference, f.max_length, list(f.enum_values), f.required] for f in e.fields]]
        for e in sorted(schema.entities, key=lambda e: e.name)
    ]
    return hashlib.sha256(json.dumps(shape, separators=(",", ":")).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class FieldRef:
    """One entity map, or one field map inside it (`field` = the field map's key)."""

    entity_map: str
    field: str | None = None

    def __str__(self) -> str:
        return self.entity_map if self.field is None else f"{self.entity_map}:{self.field}"


@dataclass(frozen=True, slots=True)
class SpecIssue:
    """Something in mapping.yaml that no longer fits the schemas; `stale` = a decision to review again."""

    code: str
    message: str
    ref: FieldRef | None = None
    stale: bool = False

    def __str__(self) -> str:
        return f"{self.ref}: {self.message}" if self.ref else self.message


@dataclass(slots=True)
class DecisionResult:
    """What confirm/reject changed, and what it could not change and why."""

    changed: list[FieldRef] = field(default_factory=list)
    refused: list[tuple[FieldRef, str]] = field(default_factory=list)


def validate_against(spec: MappingSpec, source: Schema, destination: Schema, *, kind: str | None = None) -> list[SpecIssue]:
    """Issues of the spec against today's schemas: missing entities/fields (stale when confirmed),
    changed schema hashes, illegal custom names (when the destination kind is known)."""
    kind = kind or (destination.system if destination.system in DESTINATION_KINDS else None)
    issues: list[SpecIssue] = []
    for side, recorded, schema in (("source", spec.source_schema_hash, source),
                                   ("destination", spec.destination_schema_hash, destination)):
        if recorded and recorded != schema_hash(schema):
            issues.append(SpecIssue("schema_changed", f"The {side} schema changed since mapping.yaml was proposed; "
                                    "the maps below that no longer fit need review."))
    for em in spec.entities:
        if em.kind != "skip" and em.status != "rejected":
            issues.extend(_entity_issues(spec, em, source, destination, kind))
    return issues


def _entity_issues(spec: MappingSpec, em: EntityMap, source: Schema, destination: Schema, kind: str | None) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    ref = FieldRef(em.id)
    confirmed = em.status == "confirmed"
    if not source.has(em.source):
        issues.append(SpecIssue("missing_source_entity", f"the source has no entity '{em.source}' any more.", ref, confirmed))
        return issues + [SpecIssue("missing_source_entity", "its source entity is gone.", FieldRef(em.id, fm.key), True)
                         for fm in em.fields if fm.status == "confirmed"]
    src = source.entity(em.source)
    dst: Entity | None = destination.entity(em.target_name) if destination.has(em.target_name) else None
    if em.creates_object:
        if kind and dst is None and (problem := check_custom_name(kind, em.target_name)):
            issues.append(SpecIssue("illegal_custom_name", problem + ".", ref))
    elif dst is None:
        issues.append(SpecIssue("missing_target_object", f"the destination has no object '{em.target}'.", ref, confirmed))
    for fm in em.fields:
        if fm.status != "rejected" and fm.kind != "skip":
            issues.extend(_field_issues(spec, em, fm, src, dst, destination, kind))
    return issues


def _field_issues(spec: MappingSpec, em: EntityMap, fm: FieldMap, src: Entity, dst: Entity | None,
                  destination: Schema, kind: str | None) -> list[SpecIssue]:
    ref = FieldRef(em.id, fm.key)
    confirmed = fm.status == "confirmed"
    issues = [SpecIssue("missing_source_field", f"the source entity '{src.name}' has no field '{name}' any more.", ref, confirmed)
              for name in fm.sources if not src.has(name)]
    name = fm.target_name
    if fm.creates_field:
        exists = dst is not None and name is not None and dst.has(name)
        if kind and name and not exists and (problem := check_custom_name(kind, name)):
            issues.append(SpecIssue("illegal_custom_name", problem + ".", ref))
        return issues
    if dst is not None and name and not (dst.has(name) or dst.has(name.split(".")[0])):
        issues.append(SpecIssue("missing_target_field", f"the destination object '{dst.name}' has no field '{name}'.", ref, confirmed))
    if fm.kind == "relation" and fm.lookup and dst is not None and name and dst.has(name):
        wanted = dst.field(name).reference
        looked = next((m for m in spec.entities if m.id == fm.lookup), None)
        if wanted and looked is not None and looked.target_name not in (wanted, _spelled(destination, wanted)):
            issues.append(SpecIssue("relation_target_mismatch", f"'{name}' points at '{wanted}' but lookup '{fm.lookup}' "
                                    f"loads '{looked.target_name}'.", ref))
    return issues


def _spelled(destination: Schema, name: str) -> str:
    """`name` as the destination spells its entity (references may differ in case)."""
    return next((e.name for e in destination.entities if e.name.lower() == name.lower()), name)


def format_issues(issues: Iterable[SpecIssue], text: str, filename: str = "mapping.yaml") -> list[str]:
    """Each issue as one line `file:line: ref: message` (`text` is mapping.yaml as saved)."""
    return [f"{filename}:{line_of_map(text, i.ref.entity_map, i.ref.field) if i.ref else 1}: {i}" for i in issues]


def reopen_stale(spec: MappingSpec, issues: Iterable[SpecIssue], *, by: str, at: datetime) -> list[FieldRef]:
    """Set every stale confirmed decision back to `proposed`, with the issue as the reason; the refs reopened."""
    reopened: list[FieldRef] = []
    for issue in issues:
        if not issue.stale or issue.ref is None or issue.ref in reopened:
            continue
        target = _find(spec, issue.ref)
        if target is not None and target.decision.status == "confirmed":
            target.decision = Decision(status="proposed", by=by, at=at, reason=issue.message)
            reopened.append(issue.ref)
    return reopened


def check_ready(spec: MappingSpec, issues: Sequence[SpecIssue] = ()) -> None:
    """Raise SpecError unless every entity and field map is decided and no stale issue is open."""
    stale = [i for i in issues if i.stale]
    if stale:
        raise SpecError(f"mapping.yaml has {len(stale)} confirmed map(s) that no longer fit the schemas (first: {stale[0]}).",
                        hint="Review them: bridgework review (bridgework propose keeps every decision that still fits).")
    waiting = spec.unconfirmed()
    if waiting:
        fields = sum(fm is not None for _, fm in waiting)
        entities = len(waiting) - fields
        what = ", ".join(p for p in (f"{fields} field(s)" if fields else "", f"{entities} entity map(s)" if entities else "") if p)
        raise SpecError(f'mapping.yaml has {what} still "proposed".', hint=CONFIRM_HINT)


def _find(spec: MappingSpec, ref: FieldRef) -> EntityMap | FieldMap | None:
    em = next((m for m in spec.entities if m.id == ref.entity_map), None)
    if em is None or ref.field is None:
        return em
    return next((fm for fm in em.fields if fm.key == ref.field), None)


def select(spec: MappingSpec, selector: str) -> list[tuple[EntityMap, FieldMap]]:
    """Field maps named by `entitymapid:field` or `entity.field` (field = a source name, the key or the target)."""
    if ":" in selector and not selector.startswith(CUSTOM_PREFIX):
        map_id, _, name = selector.rpartition(":")
        maps = [em for em in spec.entities if em.id == map_id]
    else:
        entity, _, name = selector.partition(".")
        maps = [em for em in spec.entities if em.source == entity]
    if not maps or not name:
        raise SpecError(f"mapping.yaml has no entity map for '{selector}'.",
                        hint="Name a field as entity.field (e.g. patient.pager) or entitymapid:field.")
    found = [(em, fm) for em in maps for fm in em.fields if name == fm.key or name in fm.sources]
    found = found or [(em, fm) for em in maps for fm in em.fields if name == fm.target_name]
    if not found:
        known = ", ".join(fm.key for fm in maps[0].fields[:8])
        raise SpecError(f"mapping.yaml has no field map '{selector}'.", hint=f"Fields of {maps[0].id}: {known}.")
    return found


def _decidable(fm: FieldMap) -> str | None:
    if fm.kind in ("direct", "relation") and not fm.target:
        return "it has no target: pick one (bridgework review) or skip it"
    if fm.creates_field and fm.custom is None:
        return "it needs a custom field definition: choose it in bridgework review"
    return None


def _maps(spec: MappingSpec, entity: str | None) -> list[EntityMap]:
    if entity is None:
        return list(spec.entities)
    maps = [em for em in spec.entities if entity in (em.id, em.source)]
    if not maps:
        raise SpecError(f"mapping.yaml has no entity map '{entity}'.",
                        hint=f"Entity maps: {', '.join(em.id for em in spec.entities)}.")
    return maps


def _decide(
    spec: MappingSpec, status: Status, *, min_score: float | None, max_score: float | None,
    fields: Sequence[str] | None, entity: str | None, by: str, at: datetime, reason: str | None,
) -> DecisionResult:
    if min_score is None and max_score is None and not fields and entity is None:
        raise SpecError(f"Say what to {status[:-2]}: FIELD..., --entity ID or --min-score X.",
                        hint="See: bridgework confirm --help")
    result = DecisionResult()
    maps = _maps(spec, entity)
    chosen: list[tuple[EntityMap, FieldMap | None]]
    if fields:
        in_scope = {em.id for em in maps}
        chosen = [pair for sel in fields for pair in select(spec, sel) if pair[0].id in in_scope]
    else:
        chosen = []
        for em in maps:
            if em.status == "proposed" and (entity is not None or _in_range(em.score, min_score, max_score)) \
                    and (em.kind == "skip" or em.target):
                chosen.append((em, None))
            chosen.extend((em, fm) for fm in em.fields if fm.status == "proposed")
    seen: set[FieldRef] = set()
    for em, fm in chosen:
        item: EntityMap | FieldMap = em if fm is None else fm
        ref = FieldRef(em.id, None if fm is None else fm.key)
        if ref in seen or item.status == status:
            continue
        seen.add(ref)
        if fm is not None and not _in_range(fm.score, min_score, max_score):
            continue
        problem = _decidable(fm) if fm is not None and status == "confirmed" else None
        if problem is not None:
            result.refused.append((ref, problem))
            continue
        item.decision = Decision(status=status, by=by, at=at, reason=reason)
        result.changed.append(ref)
    return result


def _in_range(score: float, low: float | None, high: float | None) -> bool:
    return (low is None or score >= low) and (high is None or score <= high)


def confirm(spec: MappingSpec, *, min_score: float | None = None, fields: Sequence[str] | None = None,
            entity: str | None = None, by: str, at: datetime) -> DecisionResult:
    """Confirm the named field maps, or every proposed one (of `entity`) scoring at least `min_score`.

    Without FIELDs, proposed entity maps in scope are confirmed too (all of `entity`, or those
    scoring at least `min_score`). Maps without a usable target are refused with the reason.
    """
    return _decide(spec, "confirmed", min_score=min_score, max_score=None, fields=fields, entity=entity,
                   by=by, at=at, reason=None)


def reject(spec: MappingSpec, *, fields: Sequence[str] | None = None, entity: str | None = None,
           max_score: float | None = None, by: str, at: datetime, reason: str | None = None) -> DecisionResult:
    """Reject the named field maps, or with only `entity` that entity map (nothing of it loads)."""
    if entity is not None and not fields and max_score is None:
        result = DecisionResult()
        for em in _maps(spec, entity):
            em.decision = Decision(status="rejected", by=by, at=at, reason=reason)
            result.changed.append(FieldRef(em.id))
        return result
    return _decide(spec, "rejected", min_score=None, max_score=max_score, fields=fields, entity=entity,
                   by=by, at=at, reason=reason)


def set_target(spec: MappingSpec, selector: str, target: str | None, *, by: str, at: datetime,
               lookup: str | None = None, custom: CustomFieldDef | None = None) -> FieldRef:
    """Point one field map somewhere else and confirm it: a field, `custom:<name>`, or None/"skip".

    With `lookup`, the field map becomes a relation (also onto a new custom reference field)."""
    pairs = select(spec, selector)
    if len(pairs) > 1:
        raise SpecError(f"'{selector}' names {len(pairs)} field maps.", hint="Use entitymapid:field to pick one.")
    em, fm = pairs[0]
    if lookup is not None and lookup not in {m.id for m in spec.entities}:
        raise SpecError(f"mapping.yaml has no entity map '{lookup}' to look up through.",
                        hint=f"Entity maps: {', '.join(m.id for m in spec.entities)}.")
    if target is None or target == "skip":
        fm.kind, fm.target, fm.lookup, fm.custom = "skip", None, None, None
    elif target.startswith(CUSTOM_PREFIX):
        name = target.removeprefix(CUSTOM_PREFIX)
        keep = fm.custom if fm.custom is not None and fm.custom.name == name else None
        points_at = spec.entity_map(lookup).target_name if lookup else None
        fm.custom = custom or keep or CustomFieldDef(name=name, label=fm.key, type="reference" if lookup else "string",
                                                     reference=points_at)
        fm.kind, fm.target, fm.lookup = ("relation" if lookup else "custom"), target, lookup
    else:
        fm.kind = "relation" if lookup else "direct"
        fm.target, fm.lookup, fm.custom = target, lookup, None
    fm.decision = Decision(status="confirmed", by=by, at=at)
    return FieldRef(em.id, fm.key)


def merge_proposals(old: MappingSpec, new: MappingSpec, *, source: Schema | None = None,
                    destination: Schema | None = None) -> MappingSpec:
    """`new` proposals, keeping every confirmed/rejected decision of `old` whose source and target still exist.

    Without schemas, "still exists" means the source field is still proposed in `new` (or every
    source of a joined map is). Entity maps missing from `new` that hold any decision are kept
    when their source entity still exists; decided field maps whose source is gone are dropped;
    a field decided in one map is not proposed again in a sibling map of the same source entity.
    """
    merged = new.model_copy(deep=True)
    olds = {em.id: em for em in old.entities}
    for em in merged.entities:
        before = olds.get(em.id)
        if before is None:
            continue
        if before.status != "proposed" and _object_exists(before, destination):
            _copy_entity_decision(before, em)
        sources = _source_fields(em, source)
        keep = {fm.key: fm for fm in before.fields
                if fm.status != "proposed" and all(s in sources for s in fm.sources)
                and _target_exists(em, fm, destination)}
        em.fields = [keep.pop(fm.key).model_copy(deep=True) if fm.key in keep else fm for fm in em.fields]
        em.fields.extend(fm.model_copy(deep=True) for fm in keep.values())
    ids = {em.id for em in merged.entities}
    for em in old.entities:
        decided = em.status != "proposed" or any(fm.status != "proposed" for fm in em.fields)
        if em.id not in ids and decided and (source is None or source.has(em.source)):
            merged.entities.append(em.model_copy(deep=True))
    _drop_shadowed(merged)
    return merged


def _drop_shadowed(spec: MappingSpec) -> None:
    """A field a person decided in one entity map is not proposed again in a sibling map of the same source."""
    decided: dict[str, set[str]] = {}
    for em in spec.entities:
        decided.setdefault(em.source, set()).update(fm.key for fm in em.fields if fm.status != "proposed")
    for em in spec.entities:
        mine = {fm.key for fm in em.fields if fm.status != "proposed"}
        em.fields = [fm for fm in em.fields
                     if fm.status != "proposed" or fm.key in mine or fm.key not in decided[em.source]]


def _copy_entity_decision(before: EntityMap, em: EntityMap) -> None:
    em.decision = before.decision.model_copy()
    em.target, em.kind, em.key, em.where = before.target, before.kind, before.key, before.where
    em.constants = dict(before.constants)


def _source_fields(em: EntityMap, source: Schema | None) -> set[str]:
    if source is not None:
        return set(source.entity(em.source).field_names) if source.has(em.source) else set()
    return {s for fm in em.fields for s in fm.sources}


def _object_exists(em: EntityMap, destination: Schema | None) -> bool:
    return destination is None or em.kind == "skip" or em.creates_object or destination.has(em.target_name)


def _target_exists(em: EntityMap, fm: FieldMap, destination: Schema | None) -> bool:
    if destination is None or fm.kind == "skip" or fm.creates_field or not fm.target_name or em.creates_object:
        return True
    if not destination.has(em.target_name):
        return False
    dst = destination.entity(em.target_name)
    return dst.has(fm.target_name) or dst.has(fm.target_name.split(".")[0])


def dependency_order(spec: MappingSpec) -> list[EntityMap]:
    """Entity maps in load order: every map after the maps its relation lookups resolve through.

    Ties keep the file's order; a map looking up itself is loaded in one go (the executor's second
    pass fills those references). A circle between maps is a SpecError naming it.
    """
    index = {em.id: i for i, em in enumerate(spec.entities)}
    needs: dict[str, set[str]] = {
        em.id: {fm.lookup for fm in em.fields
                if fm.kind == "relation" and fm.lookup and fm.lookup != em.id and fm.lookup in index
                and fm.status != "rejected"}
        for em in spec.entities
    }
    ordered: list[EntityMap] = []
    done: set[str] = set()
    while len(done) < len(index):
        ready = [em for em in spec.entities if em.id not in done and needs[em.id] <= done]
        if not ready:
            raise SpecError(f"Entity maps look each other up in a circle: {_cycle(needs, done)}.",
                            hint="Set one of those relation field maps to kind: skip (or reject it), then run again.")
        ordered.append(ready[0])
        done.add(ready[0].id)
    return ordered


def _cycle(needs: dict[str, set[str]], done: set[str]) -> str:
    start = min(k for k in needs if k not in done)
    path = [start]
    while True:
        nxt = min(n for n in needs[path[-1]] if n not in done)
        if nxt in path:
            loop = path[path.index(nxt):] + [nxt]
            return " -> ".join(loop)
        path.append(nxt)
