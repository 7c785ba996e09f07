"""Join maps: a source entity with no records of its own in the destination (a Dentrix family address)
lends its columns to the records that point at it (patients, through their declared reference)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mapper.schema import Schema
from mapper.spec import EntityMap, MappingSpec


@dataclass(frozen=True, slots=True)
class Join:
    """One join map feeding a host map, and the host's field that holds the joined record's source id."""

    em: EntityMap
    via: str


def joins_of(spec: MappingSpec, source_schema: Schema | None, host: EntityMap) -> list[Join]:
    """Join maps onto the host's object whose source entity the host's source entity points at."""
    if source_schema is None or not source_schema.has(host.source) or host.kind == "join":
        return []
    fields = source_schema.entity(host.source).fields
    out = []
    for jm in spec.entities:
        if jm.kind != "join" or jm.status == "rejected" or jm.target_name != host.target_name:
            continue
        via = next((f.name for f in fields if f.reference == jm.source), None)
        if via is not None:
            out.append(Join(jm, via))
    return out


def index(records: Iterable[Mapping[str, Any]], keys: tuple[str, ...]) -> dict[str, Mapping[str, Any]]:
    """Records by source id (text)."""
    return {"-".join(str(r.get(k)) for k in keys): r for r in records}
