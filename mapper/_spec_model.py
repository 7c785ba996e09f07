"""The MappingSpec models, their YAML form and the checks a hand-edited file must pass."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapper.errors import SpecError
from mapper.schema import FIELD_TYPES
from mapper.transforms import check_step

SPEC_FORMAT = 1

Status = Literal["proposed", "confirmed", "rejected"]
FieldKind = Literal["direct", "relation", "custom", "skip"]
EntityKind = Literal["primary", "merge", "split", "junction", "custom_object", "join", "skip"]
"""`join`: no records of its own; its columns join the records of the map (same target) that point at it."""

CUSTOM_PREFIX = "custom:"
"""A target spelled `custom:<name>` is a field or object the schema plan creates."""

Loc = tuple[str | int, ...]


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
    """Who decided what, when (and why, when a decision was reopened or rejected)."""

    status: Status = "proposed"
    by: str | None = None
    at: datetime | None = None
    reason: str | None = None


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
    def key(self) -> str:
        """The field map's identity inside its entity map: its source names joined by '+'."""
        return "+".join(self.sources)

    @property
    def status(self) -> Status:
        """The decision's status."""
        return self.decision.status

    @property
    def creates_field(self) -> bool:
        """True when the schema plan must create the target field (kind custom, or a `custom:` target)."""
        return self.kind != "skip" and (self.kind == "custom" or (self.target or "").startswith(CUSTOM_PREFIX))

    @property
    def target_name(self) -> str | None:
        """The destination field written: the target, `custom:` stripped, or the custom definition's name."""
        if self.target:
            return self.target.removeprefix(CUSTOM_PREFIX)
        return self.custom.name if self.custom is not None else None

    def step(self, name: str) -> TransformStep | None:
        """The first transform step of that name in the chain, if any."""
        return next((s for s in self.transforms if s.name == name), None)


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
    """Optional filter by a named predicate from mapper.transforms.PREDICATES (e.g. only_active)."""
    score: float = 0.0
    why: str = ""
    alternatives: list[Candidate] = Field(default_factory=list)
    decision: Decision = Field(default_factory=Decision)
    fields: list[FieldMap] = Field(default_factory=list)

    @property
    def status(self) -> Status:
        """The decision's status."""
        return self.decision.status

    @property
    def target_name(self) -> str:
        """The destination object written, `custom:` stripped."""
        return self.target.removeprefix(CUSTOM_PREFIX)

    @property
    def creates_object(self) -> bool:
        """True when the schema plan must create the target object."""
        return self.kind == "custom_object" or self.target.startswith(CUSTOM_PREFIX)


class SpecValidationError(SpecError):
    """mapping.yaml breaks a rule; `problems` lists every one as 'file:line: what to fix'."""

    def __init__(self, problems: list[str], *, hint: str = "Fix it by hand or in bridgework review.") -> None:
        self.problems = problems
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(problems[0].rstrip(".") + more + ".", hint=hint)


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
        """YAML text, keys in model order, unset optional values left out, no Python tags."""
        data = self.model_dump(mode="json", exclude_none=True)
        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))

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
        """Parse and check YAML text; every error carries file:line and what to fix."""
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
        twice = _duplicate_keys(node)
        if twice:
            raise SpecValidationError([f"{filename}:{line}: '{key}' appears twice in one block; keep one"
                                       for line, key in twice])
        try:
            spec = cls.model_validate(data)
        except ValidationError as exc:
            raise SpecValidationError(_pydantic_problems(exc, node, data, filename)) from None
        problems = check_spec(spec)
        if problems:
            raise SpecValidationError([f"{filename}:{_line_of(node, loc)}: {_describe(data, loc)}: {msg}"
                                       for loc, msg in problems])
        return spec


def _pydantic_problems(exc: ValidationError, node: yaml.Node | None, data: Any, filename: str) -> list[str]:
    out: list[str] = []
    for e in exc.errors():
        loc, msg = tuple(e["loc"]), str(e["msg"])
        if loc and loc[-1] in ("str", "list[str]"):  # `source: str | list[str]` reports both branches
            loc, msg = loc[:-1], "should be a field name or a list of field names"
        line = f"{filename}:{_line_of(node, loc)}: {_describe(data, loc)}: {msg}"
        if line not in out:
            out.append(line)
    return out


def _duplicate_keys(node: yaml.Node | None) -> list[tuple[int, str]]:
    """(line, key) of every key repeated inside one YAML mapping (PyYAML silently keeps the last)."""
    found: list[tuple[int, str]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                found.append((key.start_mark.line + 1, str(key.value)))
            seen.add(key.value)
            found.extend(_duplicate_keys(value))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found.extend(_duplicate_keys(item))
    return found


def check_spec(spec: MappingSpec) -> list[tuple[Loc, str]]:
    """Rule breaks that need no schema: ids, transforms, lookups, custom definitions, decisions."""
    problems: list[tuple[Loc, str]] = []
    ids = Counter(em.id for em in spec.entities)
    known = sorted(ids)
    for i, em in enumerate(spec.entities):
        at: Loc = ("entities", i)
        if ids[em.id] > 1:
            problems.append((at + ("id",), f"the id '{em.id}' is used by {ids[em.id]} entity maps; make each id unique"))
        if em.kind != "skip" and not em.target:
            problems.append((at + ("target",), "is empty; name the destination object, or set kind: skip"))
        problems.extend(_check_score(at, em.score))
        targets: Counter[str] = Counter()
        for j, fm in enumerate(em.fields):
            problems.extend(_check_field(at + ("fields", j), fm, known))
            if fm.status == "confirmed" and fm.kind != "skip" and fm.target_name:
                targets[fm.target_name] += 1
        for j, fm in enumerate(em.fields):
            name = fm.target_name
            if fm.status == "confirmed" and fm.kind != "skip" and name and targets[name] > 1:
                problems.append((("entities", i, "fields", j, "target"),
                                 f"'{name}' is written by {targets[name]} confirmed field maps; "
                                 "keep one, or join the sources in one field map (source: [a, b] + join)"))
    return problems


def _check_score(at: Loc, score: float) -> list[tuple[Loc, str]]:
    return [] if 0.0 <= score <= 1.0 else [(at + ("score",), "must be between 0 and 1")]


def _check_field(at: Loc, fm: FieldMap, known: list[str]) -> list[tuple[Loc, str]]:
    problems = _check_score(at, fm.score)
    if not fm.sources or any(not s for s in fm.sources):
        problems.append((at + ("source",), "names no source field"))
    for k, step in enumerate(fm.transforms):
        problem = check_step(step.name, step.args)
        if problem is not None:
            bad_arg = re.search(r"unexpected keyword argument '(\w+)'", problem)
            where = ("args", bad_arg.group(1)) if bad_arg else ("name",)
            problems.append((at + ("transforms", k) + where, problem))
    if fm.kind == "relation" and not fm.lookup:
        problems.append((at + ("kind",), "a relation needs `lookup:` naming the entity map it resolves through"
                         f" (one of: {', '.join(known)})"))
    if fm.lookup and fm.lookup not in known:
        problems.append((at + ("lookup",), f"'{fm.lookup}' names no entity map (ids: {', '.join(known)})"))
    if fm.lookup and fm.kind != "relation":
        problems.append((at + ("lookup",), "only a field map with kind: relation has a lookup"))
    if fm.custom is not None:
        if fm.custom.type not in FIELD_TYPES:
            problems.append((at + ("custom", "type"), f"'{fm.custom.type}' is not a field type ({', '.join(FIELD_TYPES)})"))
        if fm.target and fm.target.startswith(CUSTOM_PREFIX) and fm.target_name != fm.custom.name:
            problems.append((at + ("target",), f"names '{fm.target_name}' but custom.name is '{fm.custom.name}'; make them equal"))
    if fm.status == "confirmed" and fm.kind in ("direct", "relation") and not fm.target:
        problems.append((at + ("decision",), "is confirmed but has no target; set a target, or kind: skip"))
    if fm.status == "confirmed" and fm.creates_field and fm.custom is None:
        problems.append((at + ("custom",), "a confirmed custom field map needs `custom: {name, type}`"))
    return problems


def _describe(data: Any, loc: tuple[Any, ...]) -> str:
    """A reader's path to `loc`: "entity map 'a->b', field 'pager', transforms[0]"."""
    parts: list[str] = []
    node = data
    rest = list(loc)
    while rest:
        part = rest.pop(0)
        child = node.get(part) if isinstance(node, dict) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None)
        if part in ("entities", "fields") and rest and isinstance(rest[0], int) and isinstance(child, list):
            index = rest.pop(0)
            item = child[index] if index < len(child) else None
            label = _item_label(item) or f"#{index + 1}"
            parts.append(f"{'entity map' if part == 'entities' else 'field'} {label}")
            node = item
            continue
        parts.append(f"[{part}]" if isinstance(part, int) else str(part))
        node = child
    return ", ".join(parts).replace(", [", "[") or "file"


def _item_label(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    if "id" in item:
        return f"'{item['id']}'"
    source = item.get("source")
    if isinstance(source, list):
        source = "+".join(str(s) for s in source)
    return f"'{source}'" if source else None


def line_of_map(text: str, entity_map: str, field_key: str | None = None) -> int:
    """The 1-based line of an entity map (or of one of its field maps) in mapping.yaml text; 1 when not found."""
    data = yaml.safe_load(text)
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    maps = data.get("entities", []) if isinstance(data, dict) else []
    i = next((n for n, em in enumerate(maps) if isinstance(em, dict) and em.get("id") == entity_map), None)
    if i is None:
        return 1
    if field_key is None:
        return _line_of(node, ("entities", i, "id"))
    fields = maps[i].get("fields") or []
    keys = ["+".join(f["source"]) if isinstance(f.get("source"), list) else str(f.get("source")) for f in fields]
    j = keys.index(field_key) if field_key in keys else None
    return _line_of(node, ("entities", i) if j is None else ("entities", i, "fields", j, "source"))


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the YAML key or item at `loc`, or of its nearest existing parent."""
    line = 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == part), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def now_utc() -> datetime:
    """The current time in UTC, second precision (what decisions record)."""
    return datetime.now(timezone.utc).replace(microsecond=0)
