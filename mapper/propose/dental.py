"""Knowledge signal: does the source field carry a concept the destination field is known to hold?"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from numpy.typing import NDArray

from mapper.propose._text import exact_key, key
from mapper.propose.knowledge import Concept, concepts, entity_concept_of


# Subfield names too generic to say anything alone (`createdBy.name` is not a name field).
_GENERIC = frozenset({"name", "id", "value", "type", "label", "source"})


@lru_cache(maxsize=1)
def _source_index() -> dict[tuple[str, str], tuple[str, ...]]:
    out: dict[tuple[str, str], list[str]] = {}
    for c in concepts():
        for ref in c.source:
            out.setdefault(ref, []).append(c.name)
    return {k: tuple(sorted(v)) for k, v in out.items()}


@lru_cache(maxsize=1)
def _target_index() -> dict[tuple[str, str], tuple[str, ...]]:
    out: dict[tuple[str, str], list[str]] = {}
    for c in concepts():
        for ref in c.targets:
            out.setdefault(ref, []).append(c.name)
    return {k: tuple(sorted(v)) for k, v in out.items()}


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Concept]:
    return {c.name: c for c in concepts()}


def concept(name: str) -> Concept:
    """The concept called `name`."""
    return _by_name()[name]


@lru_cache(maxsize=65536)
def source_concepts(entity: str, field_name: str, description: str = "") -> tuple[str, ...]:
    """Concepts a source field carries, by its name, else by a short description ("Zip code"),
    else by a near-identical known name (`mobil_phone`)."""
    found = _by_key(entity, key(field_name))
    if found:
        return found
    desc = description.strip()
    if desc and len(desc.split()) <= 4:
        found = _by_key(entity, key(desc))
        if found:
            return found
    return _fuzzy(entity, key(field_name))


def _by_key(entity: str, fk: str) -> tuple[str, ...]:
    """Entity-scoped names first, then names valid in any entity."""
    idx = _source_index()
    ec = entity_concept_of(entity)
    scoped: list[str] = []
    for ent in ([ec.name] if ec else []) + [key(entity)]:
        scoped.extend(idx.get((ent, fk), ()))
    if scoped:
        return tuple(sorted(set(scoped)))
    return idx.get(("", fk), ())


@lru_cache(maxsize=1)
def _squashed() -> dict[str, str]:
    """Known source names without separators (`birth_date` -> `birthdate`) -> their key."""
    return {f.replace("_", ""): f for e, f in sorted(_source_index()) if e == "" and len(f) >= 6}


def _fuzzy(entity: str, fk: str) -> tuple[str, ...]:
    # Compared without separators so a typo (`birthdat`) matches but a different word
    # (`phone_number` vs `mobile_number`) does not.
    squashed = fk.replace("_", "")
    if len(squashed) < 6:
        return ()
    table = _squashed()
    hit = process.extractOne(squashed, sorted(table), scorer=fuzz.ratio, score_cutoff=90)
    return _by_key(entity, table[hit[0]]) if hit else ()


@lru_cache(maxsize=65536)
def target_concepts(entity: str, field_name: str) -> tuple[str, ...]:
    """Concepts a destination field is known to hold (a composite subfield also matches by its own name)."""
    idx = _target_index()
    names = {exact_key(field_name)}
    if "." in field_name:
        last = exact_key(field_name.split(".")[-1])
        if last not in _GENERIC:
            names.add(last)
    ek = exact_key(entity)
    found: set[str] = set()
    for n in sorted(names):
        found.update(idx.get((ek, n), ()))
        found.update(idx.get(("", n), ()))
    return tuple(sorted(found))


def knowledge_matrix(sources: Sequence[tuple[str, str, str]], targets: Sequence[tuple[str, str]]) -> NDArray[np.float64]:
    """[source x target] 1 where a source concept (entity, field, description) is one the target holds, else 0."""
    out = np.zeros((len(sources), len(targets)))
    if not len(sources) or not len(targets):
        return out
    src = [source_concepts(e, f, d) for e, f, d in sources]
    tgt = [target_concepts(e, f) for e, f in targets]
    by_concept: dict[str, list[int]] = {}
    for j, cs in enumerate(tgt):
        for c in cs:
            by_concept.setdefault(c, []).append(j)
    for i, cs in enumerate(src):
        for c in cs:
            cols = by_concept.get(c)
            if cols:
                out[i, cols] = 1.0
    return out


def refers_to(concept_name: str) -> str:
    """The entity concept a relation concept points at ('' for a plain value)."""
    c = _by_name().get(concept_name)
    return c.refers_to if c is not None else ""
