"""Shared values a destination requires to be unique (a family's one email on Twenty people).

The value stays on one record (the guarantor, else the lowest source id) and moves for the
others to the sibling "additional" field when the destination has one (Twenty
`emails.additionalEmails`), else it is left empty; the correction report says which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from executor.lookups import Echo
from executor.staging import active_fields, read_all, target_name
from mapper.spec import EntityMap

if TYPE_CHECKING:
    from executor.session import Session

Demotion = tuple[str, str | None]
"""(unique field, sibling field that carries the value instead, or None)."""


def _sibling(name: str, dest_fields: set[str]) -> str | None:
    if name.endswith(".primaryEmail"):
        candidate = name[: -len("primaryEmail")] + "additionalEmails"
        return candidate if candidate in dest_fields else None
    return None


def demotions(session: Session, em: EntityMap) -> dict[str, list[Demotion]]:
    """source id -> unique fields whose shared value this record gives up."""
    from executor.staging import Stager

    stager = Stager(session.spec, session.source_name, session.source_schema, session.destination_schema,
                    lambda _: Echo(), session.aliases, hashes=False)
    dest = stager.dest_entity(em)
    if dest is None:
        return {}
    targets = {target_name(fm) for fm in active_fields(em)}
    unique = sorted(f.name for f in dest.fields if f.unique and f.name in targets)
    if not unique:
        return {}
    guarantor = next((fm.sources[0] for fm in active_fields(em) if fm.kind == "relation" and fm.lookup == em.id), None)
    holders: dict[tuple[str, str], list[tuple[str, bool]]] = {}
    for s in stager.stage(em, read_all(session.source, em.source)):
        if s.state != "ready":
            continue
        is_guarantor = guarantor is not None and str(s.source.get(guarantor)) == s.source_id
        for name in unique:
            value = s.values.get(name)
            if value not in (None, ""):
                holders.setdefault((name, str(value).strip().lower()), []).append((s.source_id, is_guarantor))
    dest_fields = set(dest.field_names)
    out: dict[str, list[Demotion]] = {}
    for (name, _), group in sorted(holders.items()):
        if len(group) < 2:
            continue
        keeper = min(group, key=lambda g: (not g[1], _order(g[0])))[0]
        for sid, _ in group:
            if sid != keeper:
                out.setdefault(sid, []).append((name, _sibling(name, dest_fields)))
    return out


def _order(sid: str) -> tuple[int, str]:
    return (int(sid), "") if sid.isdigit() else (0, sid)


def shared_values(session: Session, em: EntityMap) -> list[tuple[str, str, str]]:
    """(source id, field, what bridgework does) for the correction report."""
    out = []
    for sid, moves in sorted(demotions(session, em).items(), key=lambda kv: _order(kv[0])):
        for name, sibling in moves:
            how = (f"Kept on the guarantor; carried here in {sibling}." if sibling
                   else "Kept on the guarantor; left empty here.")
            out.append((sid, name, how))
    return out
