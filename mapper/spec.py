"""MappingSpec: the YAML contract between review (person) and executor (machine).

One file per workspace, `mapping.yaml`. Per source entity map: the destination object,
the relation handling, and per field: target field or custom field or skip, the transform
chain, a status (proposed / confirmed / rejected) and who confirmed it when.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapper.errors import SpecError

SPEC_FORMAT = 1

Status = Literal["proposed", "confirmed", "rejected"]
FieldKind = Literal["direct", "relation", "custom", "skip"]
EntityKind = Literal["primary", "merge", "split", "junction", "custom_object", "skip"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class TransformStep(_Model):
    """One named transform from mapper.transforms with its arguments."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class Candidate(_Model):
    """An alternative target the proposer ranked, kept so a reviewer can pick it."""

    target: str
    score: float
    why: str = ""


class CustomFieldDef(_Model):
    """The custom field to create when a field map's kind is `custom`."""

    name: str
    type: str = "string"
    label: str = ""
    max_length: int | None = None
    enum_values: list[str] = Field(default_factory=list)
    reference: str | None = None


class Decision(_Model):
    """Who decided what, when."""

    status: Status = "proposed"
    by: str | None = None
    at: datetime | None = None


class FieldMap(_Model):
    """How one source field (or several, joined) lands in the destination."""

    source: str | list[str]
    target: str | None = None
    kind: FieldKind = "direct"
    transforms: list[TransformStep] = Field(default_factory=list)
    lookup: str | None = None
    """For kind `relation`: the id of the EntityMap whose loaded record the source value points at
    (the executor resolves source id -> destination id through the ledger)."""
    custom: CustomFieldDef | None = None
    score: float = 0.0
    why: str = ""
    alternatives: list[Candidate] = Field(default_factory=list)
    decision: Decision = Field(default_factory=Decision)

    @property
    def sources(self) -> list[str]:
        """Source field names as a list."""
        return [self.source] if isinstance(self.source, str) else list(self.source)

    @property
    def status(self) -> Status:
        """The decision's status."""
        return self.decision.status


class EntityMap(_Model):
    """Where one source entity lands (one map per destination object it feeds)."""

    id: str
    source: str
    target: str
    kind: EntityKind = "primary"
    key: str | None = None
    constants: dict[str, Any] = Field(default_factory=dict)
    """Values set on every record (e.g. is_company: true when carriers merge into companies)."""
    where: str | None = None
    """Optional filter by a named predicate from mapper.transforms (e.g. only_active)."""
    score: float = 0.0
    why: str = ""
    alternatives: list[Candidate] = Field(default_factory=list)
    decision: Decision = Field(default_factory=Decision)
    fields: list[FieldMap] = Field(default_factory=list)

    @property
    def status(self) -> Status:
        """The decision's status."""
        return self.decision.status


class MappingSpec(_Model):
    """The whole map of one migration."""

    format: int = SPEC_FORMAT
    source: str
    destination: str
    source_schema_hash: str = ""
    destination_schema_hash: str = ""
    entities: list[EntityMap] = Field(default_factory=list)

    def entity_map(self, map_id: str) -> EntityMap:
        """The entity map with this id."""
        for em in self.entities:
            if em.id == map_id:
                return em
        raise SpecError(f"mapping.yaml has no entity map '{map_id}'.", hint="Run bridgework propose to rebuild it.")

    def unconfirmed(self) -> list[tuple[EntityMap, FieldMap | None]]:
        """Entity and field maps still `proposed` (rejected ones are decisions too)."""
        out: list[tuple[EntityMap, FieldMap | None]] = []
        for em in self.entities:
            if em.status == "proposed":
                out.append((em, None))
            out.extend((em, fm) for fm in em.fields if fm.status == "proposed")
        return out

    def to_yaml(self) -> str:
        """YAML text, keys in model order, no Python tags."""
        data = self.model_dump(mode="json", exclude_defaults=False)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)

    def save(self, path: Path) -> None:
        """Write atomically so a crash never leaves half a file."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_yaml(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> MappingSpec:
        """Read and validate; errors name the file, the line and what to fix."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpecError(f"{path} does not exist.", hint="Run bridgework propose first.") from None
        return cls.from_yaml(text, str(path))

    @classmethod
    def from_yaml(cls, text: str, filename: str = "mapping.yaml") -> MappingSpec:
        """Parse YAML text; errors carry file:line."""
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{filename}:{mark.line + 1}" if mark else filename
            raise SpecError(f"{where} is not valid YAML ({getattr(exc, 'problem', 'syntax error')}).",
                            hint="Fix that line, or run bridgework propose to rebuild the file.") from None
        if not isinstance(data, dict):
            raise SpecError(f"{filename} is not a mapping file.", hint="Run bridgework propose to rebuild it.")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = tuple(first["loc"])
            line = _line_of(node, loc)
            path = ".".join(str(p) for p in loc)
            more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
            raise SpecError(
                f"{filename}:{line}: {path}: {first['msg']}{more}.",
                hint="Fix it by hand or in bridgework review.",
            ) from None


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    line = 1
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def now_utc() -> datetime:
    """The current time in UTC, second precision (what decisions record)."""
    return datetime.now(timezone.utc).replace(microsecond=0)
