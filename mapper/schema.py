"""The metadata model both sides speak: Schema -> Entity -> Field, with value profiles."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

from mapper.errors import BridgeworkError

FieldType = Literal[
    "string", "text", "int", "decimal", "money", "bool", "date", "datetime",
    "email", "phone", "url", "enum", "reference", "json", "file",
]
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)

SCHEMA_FORMAT = 1


@dataclass(frozen=True, slots=True)
class ValueProfile:
    """What a field's values look like, without keeping any full value.

    `patterns` maps a pattern name (email, phone, e164, cdt, tooth, date, money, int, guid,
    bool, ...) to the share of non-empty values that match it. `examples` are masked.
    `top_values` holds values only for low-cardinality code columns where each value is
    shared by many records (status codes, genders), never for identifying columns.
    """

    count: int = 0
    null_rate: float = 0.0
    distinct_rate: float = 0.0
    distinct_estimate: int = 0
    min_length: int = 0
    max_length: int = 0
    mean_length: float = 0.0
    patterns: dict[str, float] = field(default_factory=dict)
    date_format: str | None = None
    date_ambiguous: bool = False
    examples: tuple[str, ...] = ()
    top_values: tuple[str, ...] = ()

    def share(self, pattern: str) -> float:
        """Share of non-empty values matching `pattern` (0 when never seen)."""
        return self.patterns.get(pattern, 0.0)

    def dominant_pattern(self, threshold: float = 0.8) -> str | None:
        """The most common pattern when it covers at least `threshold` of the values."""
        if not self.patterns:
            return None
        name, share = max(sorted(self.patterns.items()), key=lambda kv: kv[1])
        return name if share >= threshold else None


@dataclass(frozen=True, slots=True)
class Field:
    """One column of a source entity or one field of a destination object."""

    name: str
    type: FieldType = "string"
    label: str = ""
    description: str = ""
    required: bool = False
    max_length: int | None = None
    enum_values: tuple[str, ...] = ()
    reference: str | None = None
    is_key: bool = False
    is_custom: bool = False
    readonly: bool = False
    unique: bool = False
    native_type: str = ""
    profile: ValueProfile | None = None

    @property
    def display(self) -> str:
        """The label when there is one, else the name."""
        return self.label or self.name


@dataclass(frozen=True, slots=True)
class Entity:
    """A source table/resource or a destination object."""

    name: str
    fields: tuple[Field, ...] = ()
    label: str = ""
    description: str = ""
    key: str | None = None
    is_custom: bool = False
    row_count: int | None = None

    def field(self, name: str) -> Field:
        """The field called `name`; a clear error when it does not exist."""
        for f in self.fields:
            if f.name == name:
                return f
        raise BridgeworkError(
            f"{self.name} has no field '{name}'.",
            hint="Re-run bridgework introspect / describe if the system changed.",
        )

    def has(self, name: str) -> bool:
        """True when a field called `name` exists."""
        return any(f.name == name for f in self.fields)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Field names in declaration order."""
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True, slots=True)
class Schema:
    """Every entity of one system, as introspected or described."""

    system: str
    entities: tuple[Entity, ...] = ()
    version: str = ""

    def entity(self, name: str) -> Entity:
        """The entity called `name`; a clear error when it does not exist."""
        for e in self.entities:
            if e.name == name:
                return e
        raise BridgeworkError(
            f"{self.system} has no entity '{name}'.",
            hint="Re-run bridgework introspect / describe if the system changed.",
        )

    def has(self, name: str) -> bool:
        """True when an entity called `name` exists."""
        return any(e.name == name for e in self.entities)

    @property
    def entity_names(self) -> tuple[str, ...]:
        """Entity names in declaration order."""
        return tuple(e.name for e in self.entities)

    def with_entity(self, entity: Entity) -> Schema:
        """A copy with `entity` added or replaced (matched by name)."""
        kept = tuple(e for e in self.entities if e.name != entity.name)
        return replace(self, entities=kept + (entity,))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stable key order)."""
        return {"format": SCHEMA_FORMAT, **asdict(self)}

    def to_json(self, indent: int | None = 2) -> str:
        """The schema as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        """Rebuild a schema from `to_dict()` output."""
        entities = tuple(_entity_from_dict(e) for e in data.get("entities", ()))
        return cls(system=str(data["system"]), entities=entities, version=str(data.get("version", "")))

    @classmethod
    def from_json(cls, text: str) -> Schema:
        """Rebuild a schema from `to_json()` output."""
        return cls.from_dict(json.loads(text))

    def save(self, path: Path) -> None:
        """Write the schema as JSON, atomically."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Schema:
        """Read a schema written by `save`."""
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BridgeworkError(f"{path} does not exist.", hint="Run bridgework introspect / describe first.") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise BridgeworkError(
                f"{path} is not a schema file bridgework wrote ({type(exc).__name__}).",
                hint="Delete it and run bridgework introspect / describe again.",
            ) from None


def _profile_from_dict(data: dict[str, Any] | None) -> ValueProfile | None:
    if data is None:
        return None
    return ValueProfile(
        **{
            **data,
            "patterns": dict(data.get("patterns", {})),
            "examples": tuple(data.get("examples", ())),
            "top_values": tuple(data.get("top_values", ())),
        }
    )


def _field_from_dict(data: dict[str, Any]) -> Field:
    return Field(
        **{
            **data,
            "enum_values": tuple(data.get("enum_values", ())),
            "profile": _profile_from_dict(data.get("profile")),
        }
    )


def _entity_from_dict(data: dict[str, Any]) -> Entity:
    return Entity(**{**data, "fields": tuple(_field_from_dict(f) for f in data.get("fields", ()))})


ChangeKind = Literal["field", "object"]


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """One custom field or custom object the mapping needs in the destination.

    For kind "object", `entity` is the new object's name and `name` repeats it; its fields
    come as separate "field" changes on that entity. Names are already legal for the
    destination (`x_` prefix for Odoo, camelCase for Twenty, `__c` for Salesforce).
    """

    kind: ChangeKind
    entity: str
    name: str
    type: FieldType = "string"
    label: str = ""
    description: str = ""
    max_length: int | None = None
    enum_values: tuple[str, ...] = ()
    reference: str | None = None
    unique: bool = False
    external_id: bool = False
    reason: str = ""

    @property
    def key(self) -> str:
        """A stable identity for the ledger: kind:entity.name."""
        return f"{self.kind}:{self.entity}.{self.name}"
