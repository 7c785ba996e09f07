"""Entity-level matching: which destination object(s) each source entity lands in.

Knowledge placements first (patient -> person / Contact / contact / res.partner, carriers merged into
companies with a type constant, notes split into note + noteTarget, ...); otherwise the most similar
destination object by name and meaning; otherwise a new custom object. Technical tables are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz

from mapper.propose._text import key, words
from mapper.propose.knowledge import entity_concept_of
from mapper.naming import DESTINATION_KINDS, check_custom_name, custom_object_name
from mapper.schema import Entity, Schema

EmbedFn = Callable[[Sequence[str]], NDArray[np.float32]]

# Below this similarity a source entity with no knowledge gets a custom object instead of a weak guess.
_ENTITY_MIN = 0.55


@dataclass(frozen=True, slots=True)
class Placement:
    """One destination object a source entity feeds."""

    source: str
    target: str
    kind: str
    score: float
    why: str
    constants: tuple[tuple[str, Any], ...] = ()
    exists: bool = True

    @property
    def map_id(self) -> str:
        """The EntityMap id: `source->target`."""
        return f"{self.source}->{self.target}"


def _find_object(destination: Schema, name: str) -> Entity | None:
    for e in destination.entities:
        if e.name == name:
            return e
    k = key(name)
    for e in destination.entities:
        if key(e.name) == k:
            return e
    return None


def _legal(kind: str, name: str) -> str:
    """The knowledge's object name, or its legal spelling here (Dataverse names carry the install's prefix)."""
    if kind not in DESTINATION_KINDS or check_custom_name(kind, name) is None:
        return name
    return custom_object_name(kind, words(name.split("_", 1)[-1]))


def _entity_text(entity: Entity) -> str:
    fields = ", ".join(words(f.name) for f in entity.fields[:12])
    return f"{words(entity.label or entity.name)}. {entity.description[:200]}. fields: {fields}"


def place_entities(source: Schema, destination: Schema, destination_kind: str,
                   embed: EmbedFn | None) -> dict[str, list[Placement]]:
    """Source entity name -> its placements (primary first); an empty list means skip."""
    similarity = _similarity(source, destination, embed)
    out: dict[str, list[Placement]] = {}
    for si, entity in enumerate(source.entities):
        ec = entity_concept_of(entity.name)
        if ec is not None and ec.skip:
            out[entity.name] = [Placement(entity.name, "", "skip", 0.95, ec.skip)]
            continue
        placements: list[Placement] = []
        if ec is not None:
            for p in ec.placements.get(destination_kind, ()):
                obj = _find_object(destination, p.object)
                why = f"{entity.name} holds {ec.name.replace('_', ' ')} records" + (f"; {p.note}" if p.note else "")
                if obj is not None:
                    placements.append(Placement(entity.name, obj.name, p.kind, 0.95, why, p.constants))
                elif p.kind == "custom_object":
                    placements.append(Placement(entity.name, _legal(destination_kind, p.object), "custom_object", 0.8,
                                                why + "; needs a custom object", p.constants, exists=False))
            if destination_kind in ec.placements and not ec.placements[destination_kind]:
                out[entity.name] = [Placement(entity.name, "", "skip", 0.9, f"{ec.name} has no home in {destination_kind}")]
                continue
        if any(p.exists for p in placements):
            # A custom object is proposed only when no existing object can take the records.
            placements = [p for p in placements if p.exists]
        if not placements and destination.entities:
            row = similarity[si]
            order = sorted(range(len(row)), key=lambda j: (-row[j], destination.entities[j].name))
            best = order[0]
            score = float(row[best])
            if score >= _ENTITY_MIN:
                target = destination.entities[best].name
                placements.append(Placement(entity.name, target, "primary", round(score, 3),
                                            f"closest object by name and meaning ({score:.2f})"))
        if not placements:
            kind = destination_kind if destination_kind in DESTINATION_KINDS else "twenty"
            name = custom_object_name(kind, words(entity.label or entity.name))
            placements.append(Placement(entity.name, name, "custom_object", 0.5,
                                        "no destination object fits: create a custom object", exists=False))
        out[entity.name] = placements
    return out


def _similarity(source: Schema, destination: Schema, embed: EmbedFn | None) -> NDArray[np.float64]:
    n, m = len(source.entities), len(destination.entities)
    sim = np.zeros((n, m))
    if not n or not m:
        return sim
    for i, s in enumerate(source.entities):
        for j, t in enumerate(destination.entities):
            a, b = words(s.name), words(t.label or t.name)
            sim[i, j] = max(fuzz.token_set_ratio(a, b), fuzz.token_set_ratio(a, words(t.name))) / 100.0
    if embed is not None:
        sv = embed([_entity_text(e) for e in source.entities])
        tv = embed([_entity_text(e) for e in destination.entities])
        sim = 0.5 * sim + 0.5 * np.clip(sv.astype(np.float64) @ tv.astype(np.float64).T, 0, 1)
    return sim


def entity_prior(placements: dict[str, list[Placement]], source: Schema, destination: Schema) -> NDArray[np.float64]:
    """[source entity x destination entity]: 1 for the primary placement, 0.8 for the other ones, else 0."""
    col = {e.name: j for j, e in enumerate(destination.entities)}
    prior = np.zeros((len(source.entities), len(destination.entities)))
    for i, e in enumerate(source.entities):
        for rank, p in enumerate(placements.get(e.name, [])):
            j = col.get(p.target)
            if j is not None:
                prior[i, j] = max(prior[i, j], 1.0 if rank == 0 else 0.8)
    return prior
