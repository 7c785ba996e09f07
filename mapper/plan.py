"""The schema plan: custom objects and fields the mapping needs in the destination, checked against tier limits."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, cast

import yaml
from rich.table import Table

from mapper.naming import (
    DEFAULT_PREFIX,
    check_custom_name,
    enum_value,
    external_id_field,
    original_created_field,
    original_updated_field,
)
from mapper.schema import FIELD_TYPES, Entity, Field, FieldType, Schema, SchemaChange
from mapper.spec import Decision, EntityMap, FieldMap, MappingSpec, TransformStep, dependency_order, now_utc

# Claims the reference could not confirm (reference/destinations.md §1.3, §3.3): said out loud, never enforced.
_UNVERIFIED_OBJECT_LIMITS: dict[str, tuple[int, str]] = {
    "twenty": (2, "Twenty's code has no custom-object limit; the claim that several custom objects need the cloud "
                  "\"Organization\" tier is unverified. On Twenty Cloud, check your plan before applying."),
    "dynamics": (16, "Dataverse is said to allow 15 custom tables on Sales Professional; that limit is not confirmed. "
                     "Check your licence before applying."),
}


class _CapabilitiesLike(Protocol):
    @property
    def max_custom_objects(self) -> int | None: ...

    @property
    def max_custom_fields_per_object(self) -> int | None: ...

    @property
    def max_name_length(self) -> int: ...

    @property
    def preserves_created_at(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class PlanLimits:
    """The destination limits a plan is checked against (filled from connectors.base.Capabilities)."""

    max_custom_objects: int | None = None
    max_custom_fields_per_object: int | None = None
    max_name_length: int = 63
    preserves_created_at: bool = False

    @classmethod
    def from_capabilities(cls, caps: _CapabilitiesLike) -> PlanLimits:
        """The limits of a destination's Capabilities record."""
        return cls(caps.max_custom_objects, caps.max_custom_fields_per_object, caps.max_name_length,
                   caps.preserves_created_at)


@dataclass(frozen=True, slots=True)
class PlanWarning:
    """Something the admin must decide before applying; the message says what to do."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class SchemaPlan:
    """Ordered schema changes (objects first, then fields) and the warnings to read before applying."""

    kind: str
    changes: tuple[SchemaChange, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    existing: tuple[SchemaChange, ...] = ()
    """Changes the mapping needs that the destination already has (left out of `changes`)."""

    @property
    def objects(self) -> tuple[SchemaChange, ...]:
        """The custom objects to create."""
        return tuple(c for c in self.changes if c.kind == "object")

    @property
    def fields(self) -> tuple[SchemaChange, ...]:
        """The custom fields to create."""
        return tuple(c for c in self.changes if c.kind == "field")


@dataclass
class _Builder:
    spec: MappingSpec
    destination: Schema
    kind: str
    limits: PlanLimits
    prefix: str
    changes: list[SchemaChange] = field(default_factory=list)
    existing: list[SchemaChange] = field(default_factory=list)
    warnings: list[PlanWarning] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def warn(self, code: str, message: str) -> None:
        if PlanWarning(code, message) not in self.warnings:
            self.warnings.append(PlanWarning(code, message))

    def add(self, change: SchemaChange) -> None:
        if change.key in self.seen:
            return
        self.seen.add(change.key)
        if self._exists(change):
            self.existing.append(change)
            return
        problem = check_custom_name(self.kind, change.name, prefix=self.prefix)
        if problem is not None:
            self.warn("illegal_name", f"{change.entity}: {problem}. Rename it in mapping.yaml (or in bridgework review).")
            return
        if len(change.name) > self.limits.max_name_length:
            self.warn("name_too_long", f"{change.entity}: '{change.name}' is longer than {self.limits.max_name_length} "
                                       "characters. Shorten it in mapping.yaml.")
            return
        self.changes.append(change)

    def _exists(self, change: SchemaChange) -> bool:
        if not self.destination.has(change.entity):
            return False
        return change.kind == "object" or self.destination.entity(change.entity).has(change.name)


def build_plan(spec: MappingSpec, destination: Schema, *, kind: str, limits: PlanLimits,
               prefix: str = DEFAULT_PREFIX) -> SchemaPlan:
    """Every custom object and field the spec needs that `destination` lacks (an idempotent plan).

    Covers: custom objects of custom_object maps; on every object written, the unique external-id
    field and (unless the destination keeps them) original created/updated timestamps; every
    `custom` field map's field. Rejected and skip maps are left out. Limits become warnings.
    """
    b = _Builder(spec, destination, kind, limits, prefix)
    maps = [em for em in dependency_order(spec) if em.kind != "skip" and em.status != "rejected" and em.target_name]
    for em in maps:
        if em.creates_object:
            b.add(SchemaChange("object", em.target_name, em.target_name, label=_label(em.source),
                               reason=f"custom object for {em.source}"))
    for em in maps:
        _object_fields(b, em)
        _constant_fields(b, em)
        _unwritten_required(b, em)
    _check_limits(b)
    waiting = sum(fm.status == "proposed" for em in maps for fm in em.fields if fm.creates_field)
    if waiting:
        b.warn("unconfirmed", f"{waiting} custom field map(s) are still proposed; the plan includes them. "
                              "Confirm or reject them before applying (bridgework review).")
    objects = [c for c in b.changes if c.kind == "object"]
    fields = [c for c in b.changes if c.kind == "field"]
    return SchemaPlan(kind, tuple(objects + fields), tuple(b.warnings), tuple(b.existing))


def _object_fields(b: _Builder, em: EntityMap) -> None:
    obj = em.target_name
    b.add(SchemaChange("field", obj, external_id_field(b.kind, prefix=b.prefix), "string", label="Bridgework external id",
                       max_length=255, unique=True, external_id=True,
                       reason="carries bw:<source>:<entity>:<id> so every retry upserts instead of duplicating"))
    if not b.limits.preserves_created_at and em.kind != "junction":
        for name, what in ((original_created_field(b.kind, prefix=b.prefix), "created"),
                           (original_updated_field(b.kind, prefix=b.prefix), "last updated")):
            b.add(SchemaChange("field", obj, name, "datetime", label=f"Original {what} at",
                               reason=f"the destination cannot keep the source's {what} time"))
    for fm in em.fields:
        if fm.status != "rejected" and fm.creates_field:
            _custom_field(b, em, fm)


_REQUIRED_HAS_NO_DEFAULT = frozenset({"salesforce", "dynamics", "twenty"})
"""Destinations whose `required` means "refused when empty" (Salesforce: not nillable and not defaulted on
create; Dataverse: SystemRequired; Twenty: non-nullable without a default). Odoo's fields_get marks fields
required that the server defaults (crm.lead.type, mail.message.message_type, res.company.partner_id)."""
_MATCHED_NOT_CREATED = frozenset({"res.users", "workspaceMember", "User", "systemuser"})
"""User objects: providers are matched to them by email, never created (executor.owners.USER_OBJECTS)."""


def _constant_fields(b: _Builder, em: EntityMap) -> None:
    """A constant the map sets on a field the object lacks (Twenty company.companyType) gets that field."""
    for name, value in sorted(em.constants.items()):
        ftype: FieldType
        if isinstance(value, bool):
            ftype = "bool"
        elif isinstance(value, (int, float)):
            ftype = "decimal"
        else:
            ftype = "string"
        b.add(SchemaChange("field", em.target_name, name, ftype, label=_label(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)),
                           max_length=255 if ftype == "string" else None,
                           reason=f"{em.id} sets it to {value!r} on every record (e.g. which companies are carriers)"))


def _unwritten_required(b: _Builder, em: EntityMap) -> None:
    """Warn about required destination fields no field map, join or constant writes (bridgework propose proposes
    fills for the ones mapper/knowledge/required_defaults.yaml knows: mapper.plan.fill_required)."""
    if (b.kind not in _REQUIRED_HAS_NO_DEFAULT or em.kind == "join" or em.target_name in _MATCHED_NOT_CREATED
            or not b.destination.has(em.target_name)):
        return
    written = {fm.target_name for fm in active_writes(em)} | set(em.constants)
    written |= {fm.target_name for jm in b.spec.entities if jm.kind == "join" and jm.target_name == em.target_name
                and jm.status != "rejected" for fm in active_writes(jm)}
    missing = [f.name for f in b.destination.entity(em.target_name).fields
               if f.required and not f.readonly and f.type != "bool" and f.name not in written]
    if missing:
        b.warn("required_unwritten", f"{em.id}: {em.target_name} requires {', '.join(missing)}, which no field map "
                                     "writes; unless the destination fills it itself, every record is refused. Map a "
                                     "source field or a constant (bridgework review), or reject the map.")


def _custom_field(b: _Builder, em: EntityMap, fm: FieldMap) -> None:
    if fm.custom is None:
        b.warn("no_definition", f"{em.id}: field '{fm.key}' is a custom field without a definition (name, type). "
                                "Choose it in bridgework review.")
        return
    c = fm.custom
    ftype = cast(FieldType, c.type if c.type in FIELD_TYPES else "string")
    options = tuple(c.enum_values)
    if b.kind == "twenty" and options:
        safe: list[str] = []
        for option in options:
            safe.append(enum_value(option, taken=safe))
        options = tuple(safe)
    reference = c.reference
    if reference is None and fm.lookup:
        looked = next((m for m in b.spec.entities if m.id == fm.lookup), None)
        reference = looked.target_name if looked is not None else None
    if fm.lookup:
        ftype = "reference"
    b.add(SchemaChange("field", em.target_name, c.name, ftype, label=c.label or _label(fm.key), max_length=c.max_length,
                       enum_values=options, reference=reference, reason=f"holds {em.source}.{fm.key}"))


def _check_limits(b: _Builder) -> None:
    new_objects = [c for c in b.changes if c.kind == "object"]
    existing_custom = sum(e.is_custom for e in b.destination.entities)
    limit = b.limits.max_custom_objects
    if limit is not None and existing_custom + len(new_objects) > limit:
        b.warn("too_many_objects", f"The plan creates {len(new_objects)} custom object(s) and {existing_custom} exist; "
                                   f"this destination allows {limit}. Reject some entity maps "
                                   "(bridgework confirm --reject --entity ID) or map them onto standard objects.")
    unverified = _UNVERIFIED_OBJECT_LIMITS.get(b.kind)
    if unverified is not None and limit is None and existing_custom + len(new_objects) >= unverified[0] and new_objects:
        b.warn("unverified_limit", unverified[1])
    per_object = b.limits.max_custom_fields_per_object
    if per_object is not None:
        new_fields = Counter(c.entity for c in b.changes if c.kind == "field")
        for obj in sorted(new_fields):
            have = _custom_field_count(b.destination, obj)
            if have + new_fields[obj] > per_object:
                b.warn("too_many_fields", f"{obj} would have {have + new_fields[obj]} custom fields; this edition allows "
                                          f"{per_object}. Skip some fields (bridgework confirm --reject FIELD) or "
                                          "upgrade the edition.")
    if b.kind == "salesforce" and any(c.kind == "field" for c in b.changes):
        b.warn("field_security", "Salesforce hides new fields from every profile until field-level security grants "
                                 "them: applying grants read/edit to bridgework's own permission set (Bridgework_API) "
                                 "only; grant your staff's profiles access before they use the fields.")


def _custom_field_count(destination: Schema, obj: str) -> int:
    entity: Entity | None = destination.entity(obj) if destination.has(obj) else None
    return sum(f.is_custom for f in entity.fields) if entity is not None else 0


def _label(name: str) -> str:
    return name.replace("_", " ").replace("+", " + ").strip().capitalize()


def format_plan(plan: SchemaPlan) -> Table:
    """The plan as a Rich table (one row per change); warnings go in the caption."""
    table = Table(title=f"Schema plan for {plan.kind}: {len(plan.objects)} object(s), {len(plan.fields)} field(s) to create",
                  title_justify="left")
    for column in ("#", "create", "object", "name", "type", "notes"):
        table.add_column(column, overflow="fold")
    for i, change in enumerate(plan.changes, 1):
        notes = ", ".join(n for n in ("external id" if change.external_id else "", "unique" if change.unique else "",
                                      f"max {change.max_length}" if change.max_length else "",
                                      f"options: {', '.join(change.enum_values)}" if change.enum_values else "",
                                      f"-> {change.reference}" if change.reference else "", change.reason) if n)
        table.add_row(str(i), change.kind, change.entity, change.name, "" if change.kind == "object" else change.type, notes)
    lines = [f"{len(plan.existing)} already in the destination (left out)."] if plan.existing else []
    lines += [f"warning ({w.code}): {w.message}" for w in plan.warnings]
    if lines:
        table.caption = "\n".join(lines)
        table.caption_justify = "left"
    return table


# -- required fields the proposal leaves empty ---------------------------------
_REQUIRED_DEFAULTS = Path(__file__).parent / "knowledge" / "required_defaults.yaml"


@lru_cache(maxsize=1)
def required_defaults() -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    """destination kind -> object -> field -> rule (mapper/knowledge/required_defaults.yaml)."""
    data = yaml.safe_load(_REQUIRED_DEFAULTS.read_text(encoding="utf-8")) or {}
    return cast("dict[str, dict[str, dict[str, dict[str, Any]]]]", data)


def fill_required(spec: MappingSpec, source: Schema, destination: Schema, *, kind: str) -> list[str]:
    """Propose how to fill the required fields a fresh proposal leaves empty; one line per fill.

    Run right after a proposal, on maps still open (not rejected, not skip). A fill is a proposed field
    map (or a constant) whose `why` says where the value comes from; a person confirms it like any
    other proposal. Rules: mapper/knowledge/required_defaults.yaml.
    """
    rules = required_defaults().get(kind, {})
    by_id = {em.id: em for em in spec.entities}
    notes: list[str] = []
    for em in spec.entities:
        obj = em.target_name
        if em.kind in ("skip", "join") or em.status == "rejected" or not obj or obj not in rules:
            continue
        src = source.entity(em.source) if source.has(em.source) else None
        dst = destination.entity(obj) if destination.has(obj) else None
        for name, rule in rules[obj].items():
            note = _fill_one(em, name, rule, src, dst, by_id)
            if note:
                notes.append(f"{em.id}: {note}")
    return notes


def _writers(em: EntityMap, name: str) -> list[FieldMap]:
    return [fm for fm in em.fields if fm.kind != "skip" and fm.status != "rejected" and fm.target_name == name]


def _fill_one(em: EntityMap, name: str, rule: dict[str, Any], src: Entity | None, dst: Entity | None,
              by_id: dict[str, EntityMap]) -> str | None:
    if name in em.constants:
        return None
    if "document_model" in rule:
        link = next((fm for fm in _writers(em, str(rule["document_model"])) if fm.lookup in by_id), None)
        model = by_id[str(link.lookup)].target_name if link is not None else None
        if not model or _writers(em, name):
            return None
        em.constants[name] = model
        return f"{name} = {model} (the model {link.key if link else ''} points into), so the record is attached to it"
    if "owner_link" in rule:
        return _fill_owner_link(em, name, rule["owner_link"], src, by_id)
    if dst is None or src is None or (dst.has(name) and not dst.field(name).required):
        return None
    target = dst.field(name) if dst.has(name) else None
    why = " ".join(str(rule.get("why", "")).split())
    if "value_map" in rule:
        return _fill_picklist(em, name, rule["value_map"], src, target, why)
    if "date_from" in rule and not _writers(em, name):
        return _fill_date(em, name, [str(n) for n in rule["date_from"]], src, target, why)
    if "fallback" in rule and not _writers(em, name):
        em.constants[name] = rule["fallback"]
        return f"{name} = {rule['fallback']!r} on every record ({why or 'required, nothing in the source fits'})"
    return None


def _fill_owner_link(em: EntityMap, name: str, rule: dict[str, Any], src: Entity | None,
                     by_id: dict[str, EntityMap]) -> str | None:
    """A record attaches to its owner through `name`: a relation from the source column naming the owner."""
    if src is None or any(fm.kind == "relation" for fm in _writers(em, name)):
        return None
    owners = [m for m in by_id.values() if m.target_name == rule.get("object") and m.kind == "primary"
              and m.status != "rejected"]
    preferred = [str(o).lower() for o in rule.get("owner", ())]
    owners.sort(key=lambda m: preferred.index(m.source.lower()) if m.source.lower() in preferred else len(preferred))
    owner = owners[0] if owners else None
    column = next((f.name for c in rule.get("sources", ()) for f in src.fields if f.name.lower() == str(c).lower()), None)
    if owner is None or column is None:
        return None
    why = f"attaches the record to its {owner.source} ({owner.target_name}) through {name}"
    fm = next((f for f in em.fields if f.key == column), None)
    if fm is not None and fm.kind == "relation" and fm.status != "rejected":
        return None  # already a link, onto another field: the reviewer chose it
    if fm is None:
        em.fields.append(FieldMap(source=column, target=name, kind="relation", lookup=owner.id, score=0.5, why=why))
    else:
        fm.target, fm.kind, fm.lookup, fm.custom, fm.transforms = name, "relation", owner.id, None, []
        fm.why = f"{why} (was: {fm.why})" if fm.why else why
    return f"{name} links {column} to {owner.id}"


def _fill_picklist(em: EntityMap, name: str, spec: dict[str, Any], src: Entity, target: Field | None,
                   why: str) -> str | None:
    options = set(target.enum_values) if target is not None and target.enum_values else None
    table = {str(k).strip().lower(): str(v) for k, v in (spec.get("map") or {}).items()
             if options is None or str(v) in options}
    default = str(spec.get("default", ""))
    if options is not None and default not in options:
        default = next((v for v in table.values()), "") or sorted(options)[0]
    writers = _writers(em, name)
    if writers:
        fm = writers[0]
        step = fm.step("value_map")
        if step is None or (step.args.get("map") or step.args.get("vocabulary")):
            return None  # a value map someone wrote: theirs
        step.args = {**step.args, "map": table, "default": default}
        fm.transforms = [*fm.transforms, TransformStep(name="default", args={"to": default})]
        fm.why = f"{fm.why}; {why}" if fm.why else why
        return f"{name}: value map proposed from {fm.key} ({len(table)} known value(s), else {default!r})"
    column = next((c for c in spec.get("sources", ()) if src.has(str(c))), None)
    if column is None or any(column in fm.sources for fm in em.fields):
        em.constants[name] = default
        return f"{name} = {default!r} on every record (required; no free status column in {em.source})"
    em.fields.append(FieldMap(source=str(column), target=name, kind="direct", score=0.5, why=why, transforms=[
        TransformStep(name="value_map", args={"map": table, "default": default}),
        TransformStep(name="default", args={"to": default})]))
    return f"{name}: value map proposed from {column} ({len(table)} known value(s), else {default!r})"


def _fill_date(em: EntityMap, name: str, candidates: list[str], src: Entity, target: Field | None,
               why: str) -> str | None:
    from mapper.propose.proposer import suggest_transforms

    lowered = {f.name.lower(): f for f in src.fields}
    found = [lowered[c.lower()] for c in candidates if c.lower() in lowered]
    if not found:
        return None
    sources = [f.name for f in found]
    if "+".join(sources) in {fm.key for fm in em.fields}:
        return None
    steps = [TransformStep(name="coalesce")] if len(found) > 1 else []
    if target is not None:
        steps += [s for s in suggest_transforms(found[0], target) if s.name not in ("value_map", "truncate")]
    em.fields.append(FieldMap(source=sources if len(sources) > 1 else sources[0], target=name, kind="direct",
                              score=0.5, transforms=steps, why=why or f"{name} is required: the record's own date"))
    return f"{name} from the first non-empty of {', '.join(sources)}"


# -- file records and their link rows -------------------------------------------
FILE_CONCEPTS = ("document", "imaging")
"""Entity concepts (mapper/knowledge/entities.yaml) whose records are files kept outside the database."""


def fold_links(spec: MappingSpec, source: Schema) -> list[str]:
    """Where a file table and its link table land on one object, propose one record per link, attached.

    Dentrix keeps a scanned document in `document` (description, date, format; bytes outside the
    database) and its owner in `docattach` (docid -> patient). Placed side by side, the document
    loads unattached and the link loads as a second, nameless record. Folded, the document map
    becomes a join: its columns go with each link record, which carries the patient link, and the
    link's own writes of the same fields (a row key as the name) and its link to the document
    step aside. Only for document/imaging entities (FILE_CONCEPTS), when the link map attaches to
    another map and the file map to none.
    """
    from mapper.propose._text import key
    from mapper.propose.knowledge import entity_concepts

    files = {name for c in entity_concepts() if c.name in FILE_CONCEPTS for name in c.source}
    notes: list[str] = []
    live = [em for em in spec.entities if em.kind == "primary" and em.status != "rejected" and em.target_name
            and key(em.source) in files]
    for file_map in live:
        if not source.has(file_map.source) or any(fm.kind == "relation" and fm.lookup and fm.status != "rejected"
                                                   for fm in file_map.fields):
            continue
        for link in live:
            if link is file_map or link.target_name != file_map.target_name or not source.has(link.source):
                continue
            via = next((f.name for f in source.entity(link.source).fields if f.reference == file_map.source), None)
            owner = [fm for fm in link.fields if fm.kind == "relation" and fm.lookup not in (None, file_map.id)
                     and fm.status != "rejected"]
            if via is None or not owner:
                continue
            file_map.kind = "join"
            file_map.why = (f"{file_map.why}; " if file_map.why else "") + (
                f"joins {link.source} (through {via}): one {file_map.target_name} per link, attached to its owner")
            lent = {fm.target_name for fm in active_writes(file_map)}
            for fm in active_writes(link):
                if fm.lookup == file_map.id or (fm.target_name in lent and fm.kind != "relation"):
                    fm.decision = Decision(status="rejected", by="bridgework", at=now_utc(),
                                           reason=f"{file_map.source} now goes with each {link.source} record")
            notes.append(f"{file_map.id} joins {link.id}: each {link.source} record carries its {file_map.source}'s "
                         f"columns and its owner link ({', '.join(fm.key for fm in owner)})")
            break
    return notes


def active_writes(em: EntityMap) -> list[FieldMap]:
    """Field maps of an entity map that write a field (not skipped, not rejected)."""
    return [fm for fm in em.fields if fm.kind != "skip" and fm.status != "rejected" and fm.target_name]
