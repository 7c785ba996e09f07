"""Template signal: field maps people confirmed in earlier migrations, stored in $BRIDGEWORK_HOME/templates.json."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from mapper.propose._text import key
from mapper.propose.embeddings import bridgework_home
from mapper.spec import MappingSpec

TEMPLATES_FORMAT = 1


def _src_key(entity: str, field_name: str) -> str:
    return f"{key(entity)}.{key(field_name)}"


def _tgt_key(entity: str, field_name: str) -> str:
    return f"{entity}.{field_name}"


@dataclass
class TemplateStore:
    """Counts of (destination kind, source entity.field) -> destination entity.field."""

    counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> TemplateStore:
        """Read templates.json; a missing or damaged file gives an empty store."""
        path = path or bridgework_home() / "templates.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            counts = data["templates"] if data.get("format") == TEMPLATES_FORMAT else {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            counts = {}
        return cls(counts=counts, path=path)

    def add(self, destination_kind: str, src_entity: str, src_field: str, tgt_entity: str, tgt_field: str) -> None:
        """Count one confirmed map."""
        bucket = self.counts.setdefault(destination_kind, {}).setdefault(_src_key(src_entity, src_field), {})
        target = _tgt_key(tgt_entity, tgt_field)
        bucket[target] = bucket.get(target, 0) + 1

    def add_pairs(self, destination_kind: str, pairs: Iterable[tuple[str, str, str, str]]) -> None:
        """Count many (src entity, src field, tgt entity, tgt field) maps."""
        for src_ent, src_att, tgt_ent, tgt_att in pairs:
            self.add(destination_kind, src_ent, src_att, tgt_ent, tgt_att)

    def learn(self, spec: MappingSpec, destination_kind: str) -> int:
        """Add every confirmed direct/relation field map of `spec`; returns how many."""
        n = 0
        for em in sorted(spec.entities, key=lambda e: e.id):
            if em.status != "confirmed" and em.kind != "skip":
                continue
            for fm in em.fields:
                if fm.status == "confirmed" and fm.kind in ("direct", "relation") and fm.target:
                    for src in fm.sources:
                        self.add(destination_kind, em.source, src, em.target, fm.target)
                        n += 1
        return n

    def save(self) -> None:
        """Write templates.json atomically."""
        path = self.path or bridgework_home() / "templates.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"format": TEMPLATES_FORMAT, "templates": self.counts}, indent=1, sort_keys=True),
                       encoding="utf-8")
        tmp.replace(path)

    def matrix(self, destination_kind: str, sources: Sequence[tuple[str, str]],
               targets: Sequence[tuple[str, str]]) -> NDArray[np.float64]:
        """[source x target]: share of earlier confirmations of this source field that chose this target."""
        out = np.zeros((len(sources), len(targets)))
        table = self.counts.get(destination_kind, {})
        if not table:
            return out
        col = {_tgt_key(e, f): j for j, (e, f) in enumerate(targets)}
        for i, (e, f) in enumerate(sources):
            bucket = table.get(_src_key(e, f))
            if not bucket:
                continue
            total = sum(bucket.values())
            for target, count in sorted(bucket.items()):
                j = col.get(target)
                if j is not None:
                    out[i, j] = count / total
        return out


def learn(spec: MappingSpec, destination_kind: str, path: Path | None = None) -> int:
    """After confirmation: remember the confirmed maps for future proposals; returns how many were added."""
    store = TemplateStore.load(path)
    n = store.learn(spec, destination_kind)
    store.save()
    return n
