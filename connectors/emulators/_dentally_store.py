"""The Dentally emulator's data: one SQLite table per API resource, read only.

Column names are the API field names; booleans are stored 0/1, nested objects as JSON text,
money as decimal strings (the API sends strings). `invoices.invoice_items` is built from the
`invoice_items` table.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from connectors.sources._dentally_catalog import BY_NAME, TYPES, ResourceSpec

Row = dict[str, Any]


class BadParameter(ValueError):
    """A query parameter the API would refuse (400)."""


@dataclass(frozen=True, slots=True)
class Query:
    """One list request, already validated."""

    resource: str
    offset: int
    limit: int
    sort_by: str = "id"
    descending: bool = False
    where: tuple[str, ...] = ()
    args: tuple[Any, ...] = ()


def timestamp(value: str, name: str) -> str:
    """An ISO-8601 date or time parameter as the stored form YYYY-MM-DDTHH:MM:SS.000Z (UTC)."""
    text = value.strip().replace(" ", "+")
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=timezone.utc)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(f"{name} must be an ISO-8601 date or time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def day(value: str, name: str) -> str:
    """A date parameter as YYYY-MM-DD."""
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        raise BadParameter(f"{name} must be a date (YYYY-MM-DD)") from None


class DentallyStore:
    """Read access to the practice file, one connection shared under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self.columns: dict[str, tuple[str, ...]] = {}
        for (table,) in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            cols = tuple(r[1] for r in self._conn.execute(f'PRAGMA table_info("{table}")'))
            self.columns[table] = cols

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def has(self, resource: str) -> bool:
        """True when the practice file holds this resource."""
        return resource in self.columns and resource in BY_NAME

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    def count(self, query: Query) -> int:
        """How many records match the query's filters."""
        where = f" WHERE {' AND '.join(query.where)}" if query.where else ""
        return int(self._rows(f'SELECT COUNT(*) FROM "{query.resource}" t{where}', query.args)[0][0])

    def page(self, query: Query) -> list[Row]:
        """The records of one page, rendered as the API sends them."""
        if query.limit <= 0:
            return []
        where = f" WHERE {' AND '.join(query.where)}" if query.where else ""
        direction = "DESC" if query.descending else "ASC"
        order = f't."{query.sort_by}" {direction}' + ("" if query.sort_by == "id" else f", t.id {direction}")
        sql = f'SELECT t.* FROM "{query.resource}" t{where} ORDER BY {order} LIMIT ? OFFSET ?'
        rows = self._rows(sql, (*query.args, query.limit, query.offset))
        return self._render(query.resource, rows)

    def one(self, resource: str, key: str) -> Row | None:
        """One record by id, or None."""
        spec = BY_NAME[resource]
        if spec.single:
            rows = self._rows(f'SELECT * FROM "{resource}" LIMIT 1')
        else:
            value: Any = key
            if spec.key_type == "int":
                if not key.isdigit():
                    return None
                value = int(key)
            rows = self._rows(f'SELECT * FROM "{resource}" WHERE id = ?', (value,))
        rendered = self._render(resource, rows)
        return rendered[0] if rendered else None

    def _render(self, resource: str, rows: list[sqlite3.Row]) -> list[Row]:
        spec = BY_NAME[resource]
        records = [_render_row(spec, dict(r)) for r in rows]
        if resource == "invoices" and records and "invoice_items" in self.columns:
            self._attach_items(records)
        return records

    def _attach_items(self, invoices: list[Row]) -> None:
        ids = [r["id"] for r in invoices]
        marks = ",".join("?" * len(ids))
        items = self._rows(f'SELECT * FROM invoice_items WHERE invoice_id IN ({marks}) ORDER BY id', ids)
        by_invoice: dict[Any, list[Row]] = {i: [] for i in ids}
        spec = BY_NAME["invoice_items"]
        for item in items:
            by_invoice.setdefault(item["invoice_id"], []).append(_render_row(spec, dict(item)))
        for invoice in invoices:
            invoice["invoice_items"] = by_invoice.get(invoice["id"], [])


def _render_row(spec: ResourceSpec, row: Row) -> Row:
    types = TYPES[spec.name]
    out: Row = {}
    for name, value in row.items():
        kind = types.get(name)
        if value is not None and kind is not None:
            if kind == "bool":
                value = bool(value)
            elif kind == "json" and isinstance(value, str):
                value = json.loads(value) if value.strip() else None
            elif kind == "money" and not isinstance(value, str):
                value = str(value)
        out[name] = value
    return out
