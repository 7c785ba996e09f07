"""Just enough of Twenty's GraphQL core API for checklist items 16/17: one root mutation per request.

Understood: `create<Plural>(data:[…], upsert:true)`, `create<Singular>(data:{…}, upsert:…)`,
`update<Singular>(id:…, data:{…})`, `delete<Singular>(id:…)` (soft), `destroy<Singular>(id:…)`
(hard), `restore<Singular>(id:…)`. Arguments are literals or `$variables`; the selection set is
ignored and every field is returned. Anything else answers with a GraphQL error saying so.
"""

from __future__ import annotations

import json
import re
from typing import Any

from connectors.emulators._twenty_records import RecordStore
from connectors.emulators._twenty_values import ApiError

_ROOT = re.compile(r"^\s*(?:mutation\b[^{]*)?\{\s*(?:\w+\s*:\s*)?(\w+)\s*(?:\((.*?)\))?\s*[{}]", re.S)
_ARG = re.compile(r"(\w+)\s*:\s*(\$\w+|true|false|null|\"(?:[^\"\\]|\\.)*\"|-?\d+(?:\.\d+)?)")
_VERBS = ("create", "update", "delete", "destroy", "restore")


def _error(message: str, code: str = "BAD_USER_INPUT") -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def _arguments(text: str, variables: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, raw in _ARG.findall(text or ""):
        out[name] = variables.get(raw[1:]) if raw.startswith("$") else json.loads(raw)
    return out


def execute(records: RecordStore, body: Any, *, profile: str, batch_cap: int) -> dict[str, Any]:
    """Run one GraphQL request body against the record store; the GraphQL response body."""
    query = body.get("query") if isinstance(body, dict) else None
    variables = (body.get("variables") or {}) if isinstance(body, dict) else {}
    match = _ROOT.match(query or "")
    if not match:
        return _error("The Twenty emulator only understands one root mutation per request.", "NOT_IMPLEMENTED")
    if any(c in (match.group(2) or "") for c in "{["):
        return _error("The Twenty emulator reads object and list arguments from variables only.", "NOT_IMPLEMENTED")
    name, args = match.group(1), _arguments(match.group(2) or "", variables)
    verb = next((v for v in _VERBS if name.startswith(v)), None)
    target = name[len(verb):] if verb else ""
    objects = records.meta.objects.values()
    many = next((o for o in objects if o["isActive"] and o["namePlural"][:1].upper() + o["namePlural"][1:] == target), None)
    one = next((o for o in objects if o["isActive"] and o["nameSingular"][:1].upper() + o["nameSingular"][1:] == target),
               None)
    if verb is None or (many is None and one is None):
        return _error(f"Operation {name} is not emulated.", "NOT_IMPLEMENTED")
    upsert = profile == "current" and bool(args.get("upsert"))
    try:
        if many is not None and verb == "create":
            data = args.get("data") or []
            if len(data) > batch_cap:
                return _error(f"Maximum number of records to upsert is {batch_cap}.")
            return {"data": {name: records.create(many["nameSingular"], list(data), upsert=upsert)}}
        if one is None:
            return _error(f"Operation {name} is not emulated.", "NOT_IMPLEMENTED")
        singular = one["nameSingular"]
        if verb == "create":
            return {"data": {name: records.create(singular, [dict(args.get("data") or {})], upsert=upsert)[0]}}
        record_id = str(args.get("id"))
        if verb == "update":
            return {"data": {name: records.update(singular, record_id, dict(args.get("data") or {}))}}
        if verb == "restore":
            return {"data": {name: records.restore(singular, record_id)}}
        record = records.get(singular, record_id)
        records.delete(singular, record_id, soft=verb == "delete")
        return {"data": {name: record}}
    except ApiError as exc:
        return _error(exc.graphql_message)
