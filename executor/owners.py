"""Owner resolution: providers and staff matched to destination users by email, the rest to one placeholder.

The placeholder ("Unassigned Provider") is a real destination user when the destination names one:
the connecting (API) user, through the connector's optional `current_user()`. Records of unmatched
providers are then owned by that user, so a required owner (Odoo's mail.activity.user_id) is always
filled. Users are never created: each may cost a licence. Without a placeholder the owner field is
left out and the destination's default applies. reports/owner_report.csv lists every provider.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
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
    placeholder: str | None = None
    """The destination user that owns unmatched providers' records (None: the destination's default)."""
    csv_path: str | None = None


def _users(destination: Any) -> dict[str, str]:
    """Destination users by lower-cased email, when the connector can list them."""
    lister: Callable[[], Mapping[str, str]] | None = getattr(destination, "users", None)
    if lister is None:
        return {}
    return {str(email).strip().lower(): str(uid) for email, uid in lister().items() if email}


def _placeholder(destination: Any) -> str | None:
    """The connecting user's id, when the connector can say (the owner of unmatched providers' records)."""
    current: Callable[[], str | None] | None = getattr(destination, "current_user", None)
    user = current() if current is not None else None
    return str(user) if user else None


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
    report.placeholder = _placeholder(session.destination)
    keys = key_fields(em, schema)
    rows: list[tuple[str, str, str, str, str]] = []
    lines: list[tuple[str, ...]] = []
    for record in read_all(session.source, em.source):
        sid = source_id_of(record, keys)
        email = str(record.get(email_field) or "").strip().lower() if email_field else ""
        user = users.get(email) if email else None
        if user is None:
            report.unassigned.append(sid)
            rows.append((em.source, sid, report.placeholder or UNASSIGNED, "unassigned", session.ledger.clock()))
            why = "no email in the source" if not email else "no destination user with this email"
            owner = (f"{UNASSIGNED}: the connecting user ({report.placeholder})" if report.placeholder
                     else f"{UNASSIGNED}: left to the destination's default owner")
            lines.append((em.source, sid, "yes" if email else "no", "unassigned", report.placeholder or "", owner, why))
        else:
            report.matched += 1
            rows.append((em.source, sid, user, "matched", session.ledger.clock()))
            lines.append((em.source, sid, "yes", "matched", user, "the user with the same email", ""))
    with session.ledger.db.conn:
        session.ledger.db.conn.executemany("INSERT OR REPLACE INTO owners VALUES (?, ?, ?, ?, ?)", rows)
    report.csv_path = str(_write_report(session, lines))
    return report


def _write_report(session: Session, lines: list[tuple[str, ...]]) -> Path:
    """reports/owner_report.csv: one row per provider (no emails or names: ids and outcomes only)."""
    path = session.ws.reports_dir / "owner_report.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source_entity", "source_id", "has_email", "status", "destination_user", "owner", "why"])
        writer.writerows(lines)
    return path
