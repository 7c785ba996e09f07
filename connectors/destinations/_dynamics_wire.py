"""Dataverse wire format for the connector: `$batch` bodies, OData literals, column values both ways."""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

API = "/api/data/v9.2/"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)
LOOKUP_TYPES = ("Lookup", "Customer", "Owner")
CHOICE_TYPES = ("Picklist", "State", "Status")


@dataclass(frozen=True, slots=True)
class Call:
    """One request inside a `$batch`: method, path relative to the service root, JSON body, headers."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    """One response out of a `$batch`."""

    status: int
    headers: dict[str, str]
    body: Any

    @property
    def error(self) -> tuple[str, str]:
        """(hex code, message) of an error answer."""
        error = self.body.get("error", {}) if isinstance(self.body, dict) else {}
        return str(error.get("code") or ""), str(error.get("message") or "")


def literal(value: str) -> str:
    """An OData string literal: single quotes, inner quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # Edm.Decimal travels as a JSON number
    raise TypeError(type(value).__name__)


def dumps(body: dict[str, Any]) -> str:
    """JSON text of a request body (Decimal as a number)."""
    return json.dumps(body, default=_default, ensure_ascii=False)


def batch_body(calls: list[Call]) -> tuple[str, bytes]:
    """(Content-Type, body) of a `$batch` whose requests run independently (no change set)."""
    boundary = f"batch_{uuid.uuid4()}"
    out: list[str] = []
    for call in calls:
        out.append(f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n")
        out.append(f"{call.method} {API}{call.path} HTTP/1.1\r\n")
        headers = dict(call.headers)
        if call.body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        else:
            headers.setdefault("Accept", "application/json")
        out.append("".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n")
        if call.body is not None:
            out.append(dumps(call.body) + "\r\n")
    out.append(f"--{boundary}--\r\n")
    return f"multipart/mixed; boundary={boundary}", "".join(out).encode("utf-8")


def _head(chunk: bytes) -> tuple[dict[str, str], bytes]:
    text = chunk.replace(b"\r\n", b"\n")
    head, _, rest = text.partition(b"\n\n")
    headers = {}
    for line in head.decode("utf-8", "replace").split("\n"):
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def parse_batch(content_type: str, body: bytes) -> list[Answer]:
    """Every response in a `$batch` answer, change-set responses flattened, in order."""
    found = _BOUNDARY.search(content_type or "")
    if not found:
        return []
    answers: list[Answer] = []
    for chunk in body.split(b"--" + found.group(1).encode())[1:]:
        if chunk.lstrip().startswith(b"--"):
            break
        headers, rest = _head(chunk.strip(b"\r\n"))
        kind = headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            answers += parse_batch(kind, rest)
            continue
        status_line, _, http = rest.partition(b"\n")
        pieces = status_line.decode("utf-8", "replace").split(" ")
        status = int(pieces[1]) if len(pieces) > 1 and pieces[1].isdigit() else 0
        inner_headers, payload = _head(http) if http.strip() else ({}, b"")
        payload = payload.strip()
        try:
            parsed: Any = json.loads(payload, parse_float=Decimal) if payload else None
        except ValueError:
            parsed = None
        answers.append(Answer(status, inner_headers, parsed))
    return answers


def entity_id(location: str) -> str | None:
    """The GUID at the end of an OData-EntityId header, when it holds one."""
    inside = location.rsplit("(", 1)[-1].rstrip(")") if "(" in location else ""
    return inside.lower() if GUID.match(inside) else None


# --- values -----------------------------------------------------------------------------------------


class BadValue(Exception):
    """A value the connector cannot send for a column; `code` goes into the Outcome, never the value."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def encode(column: dict[str, Any], value: Any) -> Any:
    """A Python value as the JSON the Web API expects for this column (lookups are handled by the caller)."""
    kind, name = column["AttributeType"], column["LogicalName"]
    if value is None:
        return None
    if kind in CHOICE_TYPES:
        options = column.get("Options") or {}
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        wanted = str(value).strip().lower()
        for number, text in options.items():
            if text.lower() == wanted or str(number) == wanted:
                return number
        raise BadValue("bad_choice", f"{name} has no option matching the value (options are labels or numbers)")
    if kind == "DateTime":
        date_only = column.get("Format") == "DateOnly"
        if isinstance(value, datetime):
            if date_only:
                return value.date().isoformat()
            aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            return aware.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if isinstance(value, date):
            return value.isoformat() if date_only else f"{value.isoformat()}T00:00:00Z"
        return str(value)
    if kind in ("Integer", "BigInt"):
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            raise BadValue("bad_value", f"{name} needs a whole number")
        try:
            return int(value)
        except (ValueError, ArithmeticError):
            raise BadValue("bad_value", f"{name} needs a whole number") from None
    if kind in ("Decimal", "Money", "Double"):
        try:
            return Decimal(str(value)) if not isinstance(value, Decimal) else value
        except ArithmeticError:
            raise BadValue("bad_value", f"{name} needs a number") from None
    if kind == "Boolean":
        if isinstance(value, bool):
            return value
        raise BadValue("bad_value", f"{name} needs true or false")
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value if isinstance(value, str) else str(value)


def decode(column: dict[str, Any], value: Any) -> Any:
    """A Web API value as a Python native: choice labels, Decimal money, date / aware datetime."""
    kind = column["AttributeType"]
    if value is None:
        return None
    if kind in CHOICE_TYPES:
        return (column.get("Options") or {}).get(value, value)
    if kind == "DateTime" and isinstance(value, str):
        try:
            if column.get("Format") == "DateOnly":
                return date.fromisoformat(value[:10])
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if kind in ("Decimal", "Money", "Double") and isinstance(value, (int, float)):
        return Decimal(str(value))
    return value


def same(column: dict[str, Any], want: Any, have: Any) -> bool:
    """True when a stored column value equals what would be written (compared in wire form; not lookups)."""
    if want == "":
        want = None  # Dataverse stores an empty string as null
    try:
        sent = encode(column, want)
        stored = encode(column, have)
    except BadValue:
        return False
    if isinstance(sent, Decimal) and isinstance(stored, Decimal):
        return sent == stored
    return bool(sent == stored)
