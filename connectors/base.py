"""The two interfaces every connector speaks: Source (read-only) and Destination."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from mapper.schema import Schema, SchemaChange

Record = dict[str, Any]
"""One source record or one destination record: field name -> value.

Values are Python natives: str, int, Decimal (never float for money), bool, date,
datetime, None. Empty source strings arrive as None. Destination records use flat field
names; composite subfields are dotted ("name.firstName", "emails.primaryEmail").
"""

MODIFIED_AT = "_modified_at"
"""Key a destination adds to every record it reads back: the destination's last-modified
time (ISO-8601 string) so the executor can tell edits made after bridgework wrote."""

Action = Literal["create", "update", "delete", "unchanged", "reject"]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of source records and the cursor that resumes right after it."""

    records: list[Record]
    cursor: str | None


@runtime_checkable
class Source(Protocol):
    """A practice-management system, read only: bridgework never writes to a source."""

    name: str

    def introspect(self, *, profile: bool = True) -> Schema:
        """Entities and fields, with value profiles when `profile` is true."""
        ...

    def count(self, entity: str) -> int:
        """How many records `entity` holds now."""
        ...

    def pages(
        self,
        entity: str,
        *,
        cursor: str | None = None,
        page_size: int = 1000,
        changed_since: datetime | None = None,
    ) -> Iterator[Page]:
        """Records ordered by key, page by page, starting after `cursor`."""
        ...

    def fetch(self, entity: str, ids: Sequence[str]) -> list[Record]:
        """The records of `entity` whose key is in `ids` (missing ids are left out)."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


@dataclass(frozen=True, slots=True)
class Capabilities:
    """A destination's limits, every number taken from reference/destinations.md."""

    max_batch: int
    requests_per_window: int | None
    window_seconds: float
    upsert_by_external_id: bool
    external_id_field: str
    hard_delete: bool = True
    preserves_created_at: bool = False
    max_custom_objects: int | None = None
    max_custom_fields_per_object: int | None = None
    max_name_length: int = 63


@dataclass(frozen=True, slots=True)
class DestRecord:
    """A record to write, keyed by its deterministic external id."""

    external_id: str
    values: Record


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the destination did with one record. Errors never carry record values."""

    external_id: str
    destination_id: str | None
    action: Action
    error: str | None = None
    code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Destination(Protocol):
    """A CRM bridgework loads into, reached over HTTP only."""

    name: str
    capabilities: Capabilities

    def describe(self) -> Schema:
        """Objects and fields as the live metadata reports them."""
        ...

    def apply_change(self, change: SchemaChange) -> str:
        """Create a custom field/object (idempotent: an existing one is returned); its id."""
        ...

    def revert_change(self, change: SchemaChange) -> None:
        """Remove a custom field/object that `apply_change` created."""
        ...

    def upsert(self, entity: str, records: Sequence[DestRecord]) -> list[Outcome]:
        """Create or update by external id; one Outcome per record, in order."""
        ...

    def update(self, entity: str, destination_id: str, values: Record) -> Outcome:
        """Write `values` onto one existing record (used to restore before-images)."""
        ...

    def delete(self, entity: str, ids: Sequence[str]) -> list[Outcome]:
        """Delete for good (hard delete where the destination also soft-deletes)."""
        ...

    def read(self, entity: str, ids: Sequence[str], fields: Sequence[str] | None = None) -> dict[str, Record]:
        """Destination id -> stored values (flat names, plus MODIFIED_AT); missing ids left out."""
        ...

    def find(self, entity: str, external_ids: Sequence[str]) -> dict[str, str]:
        """External id -> destination id, for those that exist."""
        ...

    def count(self, entity: str, external_id_prefix: str) -> int:
        """How many records of `entity` carry an external id starting with the prefix."""
        ...

    def users(self) -> dict[str, str]:
        """Destination users (record owners) by lower-cased email -> user id; read only, never created."""
        ...

    def close(self) -> None:
        """Release the HTTP client."""
        ...


def users_by_email(rows: Iterable[Mapping[str, Any]], email: str, id_field: str) -> dict[str, str]:
    """Destination users as lower-cased email -> user id (the first user wins a shared address); for users()."""
    out: dict[str, str] = {}
    for row in rows:
        address = str(row.get(email) or "").strip().lower()
        if address:
            out.setdefault(address, str(row[id_field]))
    return out


def external_id(source: str, entity: str, source_id: object) -> str:
    """The deterministic external id of a source record: bw:<source>:<entity>:<source id>."""
    return f"bw:{source}:{entity}:{source_id}"
