"""Named record filters an entity map's `where` refers to (e.g. `where: only_active`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]

_TRUE = frozenset({"1", "true", "t", "y", "yes", "active"})


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in _TRUE


def only_active(record: Mapping[str, Any]) -> bool:
    """Active patients only: Dentrix `status` 1, Dentally `active` true, Ascend `status` Active/New."""
    if "active" in record:
        return _flag(record["active"])
    status = str(record.get("status", "")).strip().lower()
    return status in ("1", "active", "new")


def not_archived(record: Mapping[str, Any]) -> bool:
    """Everything but archived patients (Dentrix status 4, Dentally `archived_reason` set)."""
    if record.get("archived_reason"):
        return False
    return str(record.get("status", "")).strip() != "4"


def has_patient(record: Mapping[str, Any]) -> bool:
    """Records that belong to a patient (drops Dentrix `patid` 0 bookings and Dentally diary blocks)."""
    for key in ("patid", "patient_id", "patientId"):
        if key in record:
            value = record[key]
            return value not in (None, "", 0, "0")
    return True


def not_deleted(record: Mapping[str, Any]) -> bool:
    """Records not flagged deleted (Dentrix `deletedflag`)."""
    return not _flag(record.get("deletedflag", False))


PREDICATES: dict[str, Predicate] = {
    "only_active": only_active,
    "not_archived": not_archived,
    "has_patient": has_patient,
    "not_deleted": not_deleted,
}
