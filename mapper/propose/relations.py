"""Relations between proposed entity maps: no circles, so there is always a load order."""

from __future__ import annotations

from collections import Counter

from mapper.spec import EntityMap, FieldMap, TransformStep


def _needs(maps: list[EntityMap]) -> dict[str, list[tuple[str, FieldMap]]]:
    """Map id -> (looked-up map id, field map) of every relation to another map."""
    ids = {m.id for m in maps}
    return {m.id: [(fm.lookup, fm) for fm in m.fields
                   if fm.kind == "relation" and fm.lookup and fm.lookup in ids and fm.lookup != m.id]
            for m in maps}


def _cycle(needs: dict[str, list[tuple[str, FieldMap]]]) -> list[tuple[str, FieldMap]] | None:
    """The edges of one circle (depth first, in sorted order), or None."""
    state: dict[str, int] = {}
    path: list[tuple[str, FieldMap]] = []
    starts: list[str] = []

    def visit(node: str) -> list[tuple[str, FieldMap]] | None:
        state[node] = 1
        starts.append(node)
        for target, fm in sorted(needs[node], key=lambda e: (e[0], e[1].key)):
            path.append((node, fm))
            if state.get(target) == 1:
                return path[starts.index(target):]
            if target not in state and (found := visit(target)) is not None:
                return found
            path.pop()
        state[node] = 2
        starts.pop()
        return None

    for node in sorted(needs):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def break_cycles(maps: list[EntityMap]) -> list[str]:
    """Demote the relation that closes each circle (the one pointing at the least linked-to map): a new
    relation field keeps the source id as text, an existing one is skipped. Returns the demoted `map:field`s."""
    linked = Counter(fm.lookup for m in maps for fm in m.fields if fm.kind == "relation" and fm.lookup)
    demoted: list[str] = []
    while (cycle := _cycle(_needs(maps))) is not None:
        map_id, fm = min(cycle, key=lambda e: (linked[e[1].lookup or ""], not (e[1].target or "").startswith("custom:"),
                                               e[0], e[1].key))
        reason = f"links back to {fm.lookup}, which already links here: kept as the source id to avoid a circle"
        if fm.custom is not None:
            name = fm.custom.name.removesuffix("Id") or fm.custom.name  # Twenty's `fooId` is a relation's column
            fm.custom = fm.custom.model_copy(update={"type": "string", "reference": None, "name": name})
            fm.kind, fm.lookup, fm.target, fm.why = "custom", None, f"custom:{name}", reason
            fm.transforms = [TransformStep(name="trim")]  # the id as text
        else:
            fm.kind, fm.lookup, fm.target, fm.why = "skip", None, None, reason
        demoted.append(f"{map_id}:{fm.key}")
    return demoted
