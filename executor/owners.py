"""Owner resolution: providers and staff matched to destination users by email, the rest to one placeholder."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from executor.session import Session
from executor.staging import key_fields, read_all, source_id_of

UNASSIGNED = "Unassigned Provider"
USER_OBJECTS = frozenset({"res.users", "workspaceMember", "User", "systemuser"})
"""Destination objects that are people who log in: matched by email, never created by a load."""
_PROVIDER = re.compile(r"(provider|practitioner|rsc|staff|dentist|clinician)", re.I)


@dataclass
class OwnerReport:
    """How many providers matched a destination user, and which did not (by source id)."""

    entity: str | None = None
    matched: int = 0
    unassigned: list[str] = field(default_factory=list)
    users_available: bool = False


def _users(destination: Any) -> dict[str, str]:
    """Destination users by lower-cased email, when the connector can list them."""
    lister: Callable[[], Mapping[str, str]] | None = getattr(destination, "users", None)
    if lister is None:
        return {}
    return {str(email).strip().lower(): str(uid) for email, uid in lister().items() if email}


def resolve_owners(session: Session) -> OwnerReport:
    """Match every provider of the first provider-like entity map; store the result in the ledger."""
    report = OwnerReport()
    schema = session.source_schema
    em = next((m for m in session.ordered_maps() if m.target_name in USER_OBJECTS), None) or next(
        (m for m in session.ordered_maps() if _PROVIDER.search(m.source) or _PROVIDER.search(m.id)), None)
    if em is None or schema is None or not schema.has(em.source):
        return report
    entity = schema.entity(em.source)
    email_field = next((f.name for f in entity.fields if f.type == "email" or "email" in f.name.lower()), None)
    users = _users(session.destination)
    report.entity, report.users_available = em.source, bool(users)
    keys = key_fields(em, schema)
    rows = []
    for record in read_all(session.source, em.source):
        sid = source_id_of(record, keys)
        email = str(record.get(email_field) or "").strip().lower() if email_field else ""
        user = users.get(email) if email else None
        if user is None:
            report.unassigned.append(sid)
            rows.append((em.source, sid, UNASSIGNED, "unassigned", session.ledger.clock()))
        else:
            report.matched += 1
            rows.append((em.source, sid, user, "matched", session.ledger.clock()))
    with session.ledger.db.conn:
        session.ledger.db.conn.executemany("INSERT OR REPLACE INTO owners VALUES (?, ?, ?, ?, ?)", rows)
    return report
