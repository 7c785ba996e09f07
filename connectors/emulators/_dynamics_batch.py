"""The emulator's wire: replies, and its side of `$batch` (reference §3.5): parse multipart requests, write answers."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

API = "/api/data/v9.2/"
JSON_HEADERS = {"Content-Type": "application/json; odata.metadata=minimal", "OData-Version": "4.0"}
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)


class BatchError(Exception):
    """A $batch body the server cannot parse."""


@dataclass
class Part:
    """One request inside a batch."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    content_id: str | None = None


@dataclass
class ChangeSet:
    """Requests executed atomically, in order."""

    parts: list[Part] = field(default_factory=list)


def boundary_of(content_type: str) -> str:
    """The multipart boundary of a Content-Type header."""
    found = _BOUNDARY.search(content_type or "")
    if not found or not content_type.lower().startswith("multipart/mixed"):
        raise BatchError("The batch Content-Type must be multipart/mixed with a boundary.")
    return found.group(1)


def _split(body: bytes, boundary: str) -> list[bytes]:
    marker = b"--" + boundary.encode()
    chunks = body.split(marker)
    if len(chunks) < 2 or not chunks[-1].lstrip().startswith(b"--"):
        raise BatchError("The batch body does not end with its closing boundary.")
    return [c.strip(b"\r\n") for c in chunks[1:-1]]


def _headers_and_rest(chunk: bytes) -> tuple[dict[str, str], bytes]:
    text = chunk.replace(b"\r\n", b"\n")
    head, _, rest = text.partition(b"\n\n")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8").split("\n"):
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _request(chunk: bytes) -> Part:
    outer, inner = _headers_and_rest(chunk)
    if "application/http" not in outer.get("content-type", ""):
        raise BatchError("Each batch part must have Content-Type application/http.")
    line, _, rest = inner.partition(b"\n")
    pieces = line.decode("utf-8").strip().split(" ")
    if len(pieces) < 2:
        raise BatchError("A batch part does not start with a request line.")
    headers, body = _headers_and_rest(rest)
    return Part(pieces[0].upper(), pieces[1], headers, body.strip(b"\n"), outer.get("content-id"))


def parse(content_type: str, body: bytes) -> list[Part | ChangeSet]:
    """The top-level parts of a batch, change sets grouped."""
    items: list[Part | ChangeSet] = []
    for chunk in _split(body, boundary_of(content_type)):
        headers, rest = _headers_and_rest(chunk)
        kind = headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            inner = boundary_of(kind)
            change_set = ChangeSet([_request(c) for c in _split(rest, inner)])
            if any(p.method == "GET" for p in change_set.parts):
                raise BatchError("A change set cannot hold GET requests.")
            items.append(change_set)
        else:
            items.append(_request(chunk))
    return items


def count(items: list[Part | ChangeSet]) -> int:
    """Requests in a batch, counting those inside change sets."""
    return sum(len(i.parts) if isinstance(i, ChangeSet) else 1 for i in items)


@dataclass
class Reply:
    """One response: status, headers, body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    content_id: str | None = None


def error_reply(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """A Dataverse error response: `{"error":{"code","message"}}`."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return Reply(status, {**JSON_HEADERS, **(headers or {})}, body)


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    """A JSON response."""
    return Reply(status, {**JSON_HEADERS, **(headers or {})}, json.dumps(payload).encode())


_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 412: "Precondition Failed",
            413: "Payload Too Large", 429: "Too Many Requests", 500: "Internal Server Error"}


def _http(reply: Reply) -> bytes:
    lines = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
    lines += [f"{k}: {v}" for k, v in reply.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + reply.body


def _part(reply: Reply) -> bytes:
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if reply.content_id:
        head += f"Content-ID: {reply.content_id}\r\n"
    return (head + "\r\n").encode() + _http(reply) + b"\r\n"


def render(groups: list[Reply | list[Reply]]) -> tuple[str, bytes]:
    """(Content-Type, body) of a batch response; a list is a change set's responses."""
    outer = f"batchresponse_{uuid.uuid4()}"
    out = b""
    for group in groups:
        out += f"--{outer}\r\n".encode()
        if isinstance(group, list):
            inner = f"changesetresponse_{uuid.uuid4()}"
            out += f"Content-Type: multipart/mixed; boundary={inner}\r\n\r\n".encode()
            for reply in group:
                out += f"--{inner}\r\n".encode() + _part(reply)
            out += f"--{inner}--\r\n".encode()
        else:
            out += _part(group)
    out += f"--{outer}--\r\n".encode()
    return f"multipart/mixed; boundary={outer}", out
