"""The schema plan: custom objects and fields the mapping needs in the destination, checked against tier limits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol, cast

from rich.table import Table

from mapper.naming import (
    DEFAULT_PREFIX,
    check_custom_name,
    enum_value,
    external_id_field,
    original_created_field,
    original_updated_field,
)
from mapper.schema import FIELD_TYPES, Entity, FieldType, Schema, SchemaChange
from mapper.spec import EntityMap, FieldMap, MappingSpec, dependency_order

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
