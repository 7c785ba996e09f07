"""Dental/CRM knowledge as data: abbreviations, concepts (which source and destination fields hold what),
entity placements per destination, skip rules and transforms. Files live in mapper/knowledge/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from mapper.errors import BridgeworkError

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"


def _load_yaml(name: str) -> dict[str, Any]:
    path = KNOWLEDGE_DIR / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BridgeworkError(f"Knowledge file {path} cannot be read ({type(exc).__name__}).",
                              hint="Reinstall bridgework or restore the file from git.") from None
    if not isinstance(data, dict):
        raise BridgeworkError(f"Knowledge file {path} is not a mapping.", hint="Restore it from git.")
    return data


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, tuple[str, ...]]:
    """Token -> expansion (`dob` -> birth, date)."""
    raw = _load_yaml("abbreviations.yaml").get("expand", {})
    return {str(k).lower(): tuple(str(w) for w in v) for k, v in sorted(raw.items())}


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Words the compound splitter knows (plus every abbreviation key)."""
    text = (KNOWLEDGE_DIR / "vocabulary.txt").read_text(encoding="utf-8")
    words = {w for line in text.splitlines() if not line.startswith("#") for w in line.split()}
    return frozenset(words | set(abbreviations()))


@dataclass(frozen=True, slots=True)
class Concept:
    """One meaning a field can carry (mobile phone, guarantor link, ...), with its known names."""

    name: str
    source: tuple[tuple[str, str], ...]
    """(entity concept or '' for any, field key) pairs that hold this concept in a PMS."""
    targets: tuple[tuple[str, str], ...]
    """(entity key or '' for any, field key) pairs that hold it in a CRM."""
    type: str = ""
    note: str = ""
    """Consultant knowledge quoted in explanations (e.g. "Dentrix 'pager' holds mobile numbers")."""
    refers_to: str = ""
    """For a relation concept: the entity concept it points at (patient, provider, carrier, ...)."""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a source entity concept lands in one destination."""

    object: str
    kind: str = "primary"
    constants: tuple[tuple[str, Any], ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class EntityConcept:
    """A source entity concept (patient, carrier, ...) and its placements per destination kind."""

    name: str
    source: tuple[str, ...]
    placements: dict[str, tuple[Placement, ...]] = field(default_factory=dict)
    skip: str = ""
    """Non-empty: a technical/unmigrated entity, with the reason."""


def _split_ref(text: str, keyfn: Any) -> tuple[str, str]:
    if ":" in text:
        ent, fld = text.split(":", 1)
        return (keyfn(ent), keyfn(fld))
    return ("", keyfn(text))


@lru_cache(maxsize=1)
def concepts() -> tuple[Concept, ...]:
    """Every field concept, sorted by name."""
    from mapper.propose._text import exact_key, key

    raw = _load_yaml("concepts.yaml").get("concepts", {})
    out = []
    for name in sorted(raw):
        spec = raw[name] or {}
        out.append(Concept(
            name=name,
            source=tuple(sorted({_split_ref(str(s), key) for s in spec.get("source", ())})),
            targets=tuple(sorted({_split_ref(str(t), exact_key) for t in spec.get("targets", ())})),
            type=str(spec.get("type", "")),
            note=str(spec.get("note", "")),
            refers_to=str(spec.get("refers_to", "")),
        ))
    return tuple(out)


@lru_cache(maxsize=1)
def entity_concepts() -> tuple[EntityConcept, ...]:
    """Every entity concept, sorted by name."""
    from mapper.propose._text import key

    raw = _load_yaml("entities.yaml").get("entities", {})
    out = []
    for name in sorted(raw):
        spec = raw[name] or {}
        placements: dict[str, tuple[Placement, ...]] = {}
        for dest, items in sorted((spec.get("destinations") or {}).items()):
            placements[dest] = tuple(
                Placement(object=str(p["object"]), kind=str(p.get("kind", "primary")),
                          constants=tuple(sorted((p.get("constants") or {}).items())), note=str(p.get("note", "")))
                for p in items
            )
        out.append(EntityConcept(name=name, source=tuple(sorted({key(s) for s in spec.get("source", ())})),
                                 placements=placements, skip=str(spec.get("skip", ""))))
    return tuple(out)


@lru_cache(maxsize=1)
def custom_object_required() -> dict[str, tuple[str, ...]]:
    """Destination kind -> fields every custom object there requires (Salesforce `Name`)."""
    raw = _load_yaml("entities.yaml").get("custom_object_required") or {}
    return {str(k): tuple(str(v) for v in vals) for k, vals in sorted(raw.items())}


@dataclass(frozen=True, slots=True)
class SkipRule:
    """A field that should not migrate by default, and why."""

    pattern: re.Pattern[str]
    reason: str


@lru_cache(maxsize=1)
def skip_rules() -> tuple[SkipRule, ...]:
    """Regexes over the normalised field key (`social_security_number`) with a reason."""
    raw = _load_yaml("skip.yaml").get("skip", [])
    return tuple(SkipRule(re.compile(str(r["pattern"])), str(r["reason"])) for r in raw)


@lru_cache(maxsize=1)
def transform_rules() -> dict[str, tuple[str, ...]]:
    """Field type (or `source_native:<type>`) -> transform names, in order."""
    raw = _load_yaml("transforms.yaml").get("by_type", {})
    return {str(k): tuple(str(v) for v in vals) for k, vals in sorted(raw.items())}


@lru_cache(maxsize=1)
def unit_rules() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(source field name -> unit, destination kind -> field name -> unit) from transforms.yaml `units`."""
    raw = _load_yaml("transforms.yaml").get("units", {}) or {}
    source = {str(k).lower(): str(v) for k, v in (raw.get("source") or {}).items()}
    target = {str(kind): {str(k): str(v) for k, v in (fields or {}).items()} for kind, fields in (raw.get("target") or {}).items()}
    return source, target


def entity_concept_of(entity_name: str) -> EntityConcept | None:
    """The entity concept whose source names include this entity (exact key, then token containment)."""
    from mapper.propose._text import key

    k = key(entity_name)
    for ec in entity_concepts():
        if k in ec.source:
            return ec
    parts = set(k.split("_"))
    for ec in entity_concepts():
        if any(len(s) > 3 and set(s.split("_")) <= parts for s in ec.source):
            return ec
    return None
