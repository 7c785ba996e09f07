"""One-line explanations a practice admin can trust: which signals fired, in plain words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mapper.propose.dental import concept, source_concepts, target_concepts
from mapper.propose.types import effective_type, pattern_note

if TYPE_CHECKING:
    from mapper.propose.scorer import ScoreTable


def explain(table: ScoreTable, i: int, j: int) -> str:
    """`name ≈ 'Mobile' (0.91), values look like phone numbers, Dentrix 'pager' holds mobile numbers`."""
    s_ent, s_field = table.src[i]
    t_ent, t_field = table.tgt[j]
    f = table.feats
    parts: list[str] = []
    name = float(f["name"][i, j]) if "name" in f else 0.0
    emb = float(f["embedding"][i, j]) if "embedding" in f else 0.0
    if name >= 0.6:
        parts.append(f"name ≈ '{t_field.display}' ({name:.2f})")
    elif emb >= 0.55:
        parts.append(f"meaning close to '{t_field.display}' ({emb:.2f})")
    typ = float(f["type"][i, j]) if "type" in f else 1.0
    if typ < 0.25:
        parts.append(f"type clash ({effective_type(s_field)} vs {t_field.type})")
    else:
        note = pattern_note(s_field)
        if note:
            parts.append(note)
    if "knowledge" in f and f["knowledge"][i, j] > 0:
        shared = sorted(set(source_concepts(s_ent.name, s_field.name, s_field.description)) & set(target_concepts(t_ent.name, t_field.name)))
        if shared:
            c = concept(shared[0])
            parts.append(c.note or f"both hold the {c.name.replace('_', ' ')}")
    if "template" in f and f["template"][i, j] > 0:
        parts.append(f"confirmed in earlier migrations ({f['template'][i, j]:.0%} of the time)")
    if "entity" in f and f["entity"][i, j] == 0 and table.placements.get(s_ent.name):
        parts.append(f"but {t_ent.name} is not where {s_ent.name} lands")
    if not parts:
        parts.append(f"weak match (name {name:.2f}, meaning {emb:.2f})")
    return ", ".join(parts)
