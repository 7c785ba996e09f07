"""Twenty CRM destination over its REST core and metadata APIs (reference/destinations.md §1).

Writes are idempotent without server-side upsert: every record's id is uuid5 of its external id,
so a batch replayed after a dropped connection finds its own records instead of duplicating
them. Twenty's `?upsert=true` is not used on purpose: it matches on any unique field too, so a
patient whose email equals another person's would overwrite that person (a seeded sample, or a
family member). A batch create is all or nothing (§1.5), so a refused batch is split until
every record has its own Outcome.

Checked against twentyhq/twenty source (code search): REST `in` filters are split on every
comma with only the surrounding quotes stripped (no escaping), so external ids holding quotes,
commas or brackets are looked up by their deterministic id only; page size is silently capped
at QUERY_MAX_RECORDS, which differs between builds, so every lookup walks pages; newer builds
word unique violations "A duplicate entry was detected" / "Duplicate <label>. Please set a
unique one.", all recognised as code `duplicate`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tenacity import RetryCallState

from connectors.base import Capabilities, DestRecord, Outcome, Record, users_by_email
from connectors.destinations._twenty_shape import (
    EXTERNAL_ID_FIELD,
    LINK_OBJECTS,
    field_body,
    field_name,
    flatten,
    nest,
    plural,
    record_id,
    reject_reason,
    same,
    to_entity,
)
from connectors.http import (
    Pacer,
    RetryableHTTPError,
    RetryPolicy,
    UnreachableError,
    Verdict,
    classify_response,
    make_client,
    not_answering,
    retry_after_seconds,
    send,
)
from connectors.secrets import require_secret
from mapper.errors import ConfigError, DestinationError
from mapper.schema import Schema, SchemaChange

API_KEY_ENV = "BRIDGEWORK_TWENTY_API_KEY"
CAPABILITIES = Capabilities(
    max_batch=60,  # §1.5: current builds refuse 61+ records per create-many
    requests_per_window=100,  # §1.8: 100 per 60,000 ms per workspace for API-key traffic
    window_seconds=60.0,
    upsert_by_external_id=False,
    external_id_field=EXTERNAL_ID_FIELD,
    hard_delete=True,  # §1.10: REST DELETE without soft_delete is a hard delete
    preserves_created_at=True,  # §1.12: createdAt accepted on create
    max_name_length=63,
)


def _messages(response: httpx.Response) -> list[str]:
    try:
        body = response.json()
    except ValueError:
        return []
    messages = body.get("messages") if isinstance(body, dict) else None
    return [str(m) for m in messages] if isinstance(messages, list) else []


def classify(response: httpx.Response) -> Verdict:
    """classify_response, plus older builds' throttle: 400 `Limit reached ...` is retryable (§1.8)."""
    if response.status_code == 400 and any(m.startswith("Limit reached") for m in _messages(response)):
        return "retryable"
    return classify_response(response)


_LIMIT_MESSAGE = re.compile(r"Limit reached \((\d+) tokens per (\d+) ms\)")


def throttle_wait(response: httpx.Response) -> float | None:
    """Seconds until Twenty's bucket holds a token again, read from its throttle message (§1.8).

    Twenty sends no Retry-After; its message names the bucket (`Limit reached (100 tokens per
    60000 ms)`), refilled continuously, so one token takes window / limit (0.6 s for the minute
    bucket). A server whose window is scaled down for a rehearsal or a bench says so in the same
    message, and the wait shrinks with it. Other responses: their Retry-After headers, if any.
    """
    for message in _messages(response):
        match = _LIMIT_MESSAGE.match(message)
        if match and int(match.group(1)) > 0:
            return int(match.group(2)) / 1000 / int(match.group(1))
    return retry_after_seconds(response)


@dataclass
class TwentyRetryPolicy(RetryPolicy):
    """Waits the server's throttle hint (throttle_wait); a throttle without a readable message waits
    `throttle_wait` seconds (a whole minute window, the reference's loader rule)."""

    throttle_wait: float = 60.0

    def wait_for(self, state: RetryCallState) -> float:
        """The message's refill time after a throttle (429 or 400 Limit reached), else the usual backoff."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableHTTPError) and exc.reason in ("HTTP 429", "HTTP 400") and exc.wait_hint is None:
            return min(self.cap, self.throttle_wait) + self.rng.uniform(0, 0.25)
        if isinstance(exc, RetryableHTTPError) and exc.wait_hint is not None:
            return min(self.cap, exc.wait_hint) * (1 + self.rng.uniform(0, 0.1))
        return super().wait_for(state)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _in_filter(field: str, values: Sequence[str]) -> str:
    # Twenty splits `in` lists on every comma and only strips the quotes: no escaping exists.
    quoted = ",".join('"' + v + '"' for v in values)
    return f"{field}[in]:[{quoted}]"


def _filterable(value: str) -> bool:
    """True when a value survives Twenty's filter grammar unchanged (no quote, comma or bracket)."""
    return not any(c in value for c in '",()[]')


class TwentyDestination:
    """Twenty over REST: describe, custom fields/objects, idempotent batched upsert, hard delete."""

    name = "twenty"
    capabilities = CAPABILITIES

    def __init__(self, client: httpx.Client, *, url: str, policy: RetryPolicy | None = None,
                 pacer: Pacer | None = None) -> None:
        self.client = client
        self.url = url
        self.policy = policy or TwentyRetryPolicy()
        self.pacer = pacer
        self._objects: dict[str, dict[str, Any]] | None = None

    # --- transport -----------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = send(self.client, method, path, policy=self.policy, what=f"Twenty at {self.url}",
                            classify=classify, pacer=self.pacer, wait_hint=throttle_wait, **kwargs)
        except UnreachableError as exc:
            raise not_answering(exc, "Twenty", self.url, "twenty") from None
        if response.status_code in (401, 403):
            raise ConfigError(
                f"Twenty at {self.url} refused the API key (HTTP {response.status_code}).",
                hint=f"Set {API_KEY_ENV} to a key from Twenty's Settings > APIs & Webhooks, then run the same command again.")
        if response.status_code in (404, 405):
            raise DestinationError(
                f"Twenty at {self.url} has no {method} {path.split('?')[0]} (HTTP {response.status_code}).",
                hint="Check that the url points at a Twenty server and the object exists (bridgework describe).")
        return response

    def _ok(self, response: httpx.Response, what: str,
            hint: str = "Run bridgework describe to refresh the destination schema.") -> Any:
        if response.status_code >= 400:
            code, _ = reject_reason(what, response.status_code, _messages(response))
            raise DestinationError(f"Twenty refused {what} ({code}, HTTP {response.status_code}).", hint=hint)
        return response.json()

    # --- metadata ------------------------------------------------------------------------

    def _metadata(self, refresh: bool = False) -> dict[str, dict[str, Any]]:
        if self._objects is None or refresh:
            body = self._ok(self._request("GET", "/rest/metadata/objects", params={"limit": 1000}), "the metadata read")
            self._objects = {o["nameSingular"]: o for o in body["data"]["objects"]}
        return self._objects

    def _object(self, entity: str) -> dict[str, Any]:
        obj = self._metadata().get(entity) or self._metadata(refresh=True).get(entity)
        if obj is None or not obj.get("isActive", True):
            raise DestinationError(f"Twenty has no object '{entity}'.",
                                   hint="Run bridgework plan --apply to create it, or bridgework describe to list objects.")
        return obj

    def describe(self) -> Schema:
        """Active non-system objects plus the link objects, with flat (dotted) field names."""
        objects = self._metadata(refresh=True).values()
        entities = tuple(to_entity(o) for o in objects
                         if o.get("isActive", True) and (not o.get("isSystem") or o["nameSingular"] in LINK_OBJECTS))
        return Schema(system="twenty", entities=entities)

    def _field(self, entity: str, name: str, *, active_only: bool = True) -> dict[str, Any] | None:
        return next((f for f in self._object(entity)["fields"]
                     if f["name"] == name and (f.get("isActive", True) or not active_only)), None)

    def apply_change(self, change: SchemaChange) -> str:
        """Create a custom object or field; an existing one (even deactivated) is reused."""
        if change.kind == "object":
            return self._ensure(change, "/rest/metadata/objects", lambda: self._metadata().get(change.entity),
                                {"nameSingular": change.entity, "namePlural": plural(change.entity),
                                 "labelSingular": change.label or change.entity,
                                 "labelPlural": plural(change.label or change.entity),
                                 "description": change.description or change.reason})
        obj = self._object(change.entity)
        target = self._object(change.reference)["id"] if change.type == "reference" and change.reference else None
        return self._ensure(change, "/rest/metadata/fields", lambda: self._field(change.entity, field_name(change), active_only=False),
                            field_body(change, obj["id"], target))

    def _ensure(self, change: SchemaChange, path: str, find: Callable[[], dict[str, Any] | None],
                body: dict[str, Any]) -> str:
        """The id of the metadata item `find` returns, creating or re-activating it first."""
        what = f"the custom {change.kind} {change.entity}" + (f".{change.name}" if change.kind == "field" else "")
        hint = "Check that the name is camelCase, at most 63 characters and not taken (bridgework describe)."
        self._metadata(refresh=True)
        item = find()
        if item is None:
            response = self._request("POST", path, json=body)
            self._metadata(refresh=True)
            item = find()  # present even when the answer was lost: a replayed POST must not fail
            if item is None:
                self._ok(response, what, hint)
                raise DestinationError(f"Twenty did not create {what}.", hint=hint)
        if not item.get("isActive", True):
            self._ok(self._request("PATCH", f"{path}/{item['id']}", json={"isActive": True}), what, hint)
            self._metadata(refresh=True)
        return str(item["id"])

    def revert_change(self, change: SchemaChange) -> None:
        """Deactivate, then delete, a custom field or object (§1.3); gone already is fine."""
        def find() -> dict[str, Any] | None:
            objects = self._metadata(refresh=True)
            if change.kind == "object":
                return objects.get(change.entity)
            obj = objects.get(change.entity)
            return next((f for f in obj["fields"] if f["name"] == field_name(change)), None) if obj else None

        path = f"/rest/metadata/{'objects' if change.kind == 'object' else 'fields'}"
        what = f"removing {change.key}"
        item = find()
        if item is None:
            return
        if item.get("isActive", True):
            self._ok(self._request("PATCH", f"{path}/{item['id']}", json={"isActive": False}), what)
        response = self._request("DELETE", f"{path}/{item['id']}")
        if response.status_code >= 400 and find() is not None:  # a replayed DELETE finds nothing left: fine
            self._ok(response, what)

    # --- records -------------------------------------------------------------------------

    def _page(self, entity: str, filter_text: str, limit: int, cursor: str | None) -> dict[str, Any]:
        plural_name = self._object(entity)["namePlural"]
        params: dict[str, Any] = {"limit": limit, "depth": 0}
        if filter_text:
            params["filter"] = filter_text
        if cursor:
            params["starting_after"] = cursor
        body: dict[str, Any] = self._ok(self._request("GET", f"/rest/{plural_name}", params=params), f"a {entity} lookup")
        return body

    def _walk(self, entity: str, filter_text: str) -> Iterator[dict[str, Any]]:
        """Every record matching the filter, page by page (the server caps a page's size)."""
        plural_name = self._object(entity)["namePlural"]
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            body = self._page(entity, filter_text, CAPABILITIES.max_batch, cursor)
            yield from body["data"][plural_name]
            info = body.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            cursor = info.get("endCursor")
            if not cursor or cursor in seen:
                raise DestinationError(f"Twenty repeated a page cursor while listing {entity}.",
                                       hint="Run the same command again; if it persists, report it with the Twenty version.")
            seen.add(cursor)

    def _lookup(self, entity: str, external_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """External id -> stored record, found by deterministic id or by the external-id field."""
        by_id = {record_id(x): x for x in external_ids}
        has_field = self._field(entity, EXTERNAL_ID_FIELD) is not None
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(external_ids), CAPABILITIES.max_batch):
            text = _in_filter("id", [record_id(x) for x in chunk])
            safe = [x for x in chunk if _filterable(x)]
            if has_field and safe:
                text = f"or({text},{_in_filter(EXTERNAL_ID_FIELD, safe)})"
            for record in self._walk(entity, text):
                key = record.get(EXTERNAL_ID_FIELD) if record.get(EXTERNAL_ID_FIELD) in chunk else by_id.get(record["id"])
                if key:
                    found[key] = record
        return found

    def find(self, entity: str, external_ids: Sequence[str]) -> dict[str, str]:
        """External id -> Twenty id for the records that exist."""
        return {x: str(r["id"]) for x, r in self._lookup(entity, external_ids).items()}

    def _body(self, entity: str, record: DestRecord) -> dict[str, Any]:
        obj = self._object(entity)
        values = dict(record.values)
        if self._field(entity, EXTERNAL_ID_FIELD) is not None:
            values[EXTERNAL_ID_FIELD] = record.external_id
        body = nest(values, obj)
        body["id"] = record_id(record.external_id)
        return body

    def upsert(self, entity: str, records: Sequence[DestRecord]) -> list[Outcome]:
        """Create or update by external id; one Outcome per record, in order."""
        outcomes: dict[str, Outcome] = {}
        for chunk in _chunks(list(records), CAPABILITIES.max_batch):
            existing = self._lookup(entity, [r.external_id for r in chunk])
            for record in chunk:
                if record.external_id in existing:
                    outcomes[record.external_id] = self._refresh(entity, record, existing[record.external_id])
            outcomes.update(self._create(entity, [r for r in chunk if r.external_id not in existing]))
        return [outcomes[r.external_id] for r in records]

    def _refresh(self, entity: str, record: DestRecord, stored: dict[str, Any]) -> Outcome:
        if same(flatten(stored), record.values):
            return Outcome(record.external_id, str(stored["id"]), "unchanged")
        return self._patch(entity, str(stored["id"]), record.external_id, nest(record.values, self._object(entity)))

    def _create(self, entity: str, records: Sequence[DestRecord]) -> dict[str, Outcome]:
        """Batch create; a refused batch is re-checked (a replay may have landed) and split."""
        if not records:
            return {}
        plural_name = self._object(entity)["namePlural"]
        response = self._request("POST", f"/rest/batch/{plural_name}", json=[self._body(entity, r) for r in records])
        if response.status_code < 400:
            return {r.external_id: Outcome(r.external_id, record_id(r.external_id), "create") for r in records}
        # A batch is atomic, so records can only be there already when an earlier try landed unseen.
        replayed = any(m.startswith("Record already exists") for m in _messages(response))
        landed = self._lookup(entity, [r.external_id for r in records]) if replayed else {}
        outcomes = {r.external_id: Outcome(r.external_id, str(landed[r.external_id]["id"]), "create")
                    for r in records if r.external_id in landed}
        rest = [r for r in records if r.external_id not in landed]
        if len(rest) == 1 and len(records) == 1:
            code, message = reject_reason(entity, response.status_code, _messages(response))
            outcomes[rest[0].external_id] = Outcome(rest[0].external_id, None, "reject", message, code)
        elif rest:
            half = (len(rest) + 1) // 2
            outcomes.update(self._create(entity, rest[:half]))
            outcomes.update(self._create(entity, rest[half:]))
        return outcomes

    def _patch(self, entity: str, destination_id: str, external_id: str, body: dict[str, Any]) -> Outcome:
        plural_name = self._object(entity)["namePlural"]
        response = self._request("PATCH", f"/rest/{plural_name}/{destination_id}", json=body)
        if response.status_code >= 400:
            code, message = reject_reason(entity, response.status_code, _messages(response))
            return Outcome(external_id, destination_id, "reject", message, code)
        return Outcome(external_id, destination_id, "update")

    def update(self, entity: str, destination_id: str, values: Record) -> Outcome:
        """Write `values` onto one existing record (restoring a before-image)."""
        external = str(values.get(EXTERNAL_ID_FIELD) or "")
        return self._patch(entity, destination_id, external, nest(values, self._object(entity)))

    def read(self, entity: str, ids: Sequence[str], fields: Sequence[str] | None = None) -> dict[str, Record]:
        """Twenty id -> flat stored values plus MODIFIED_AT; missing ids are left out."""
        wanted = set(fields) if fields is not None else None
        out: dict[str, Record] = {}
        for chunk in _chunks(list(ids), CAPABILITIES.max_batch):
            out.update({str(r["id"]): flatten(r, wanted) for r in self._walk(entity, _in_filter("id", list(chunk)))})
        return out

    def count(self, entity: str, external_id_prefix: str) -> int:
        """Records of `entity` whose external id starts with the prefix."""
        if self._field(entity, EXTERNAL_ID_FIELD) is None:
            return 0
        body = self._page(entity, f'{EXTERNAL_ID_FIELD}[startsWith]:"{external_id_prefix}"', 1, None)
        return int(body.get("totalCount") or 0)

    def delete(self, entity: str, ids: Sequence[str]) -> list[Outcome]:
        """Hard delete (REST DELETE without soft_delete, §1.10); already-gone ids count as deleted."""
        plural_name = self._object(entity)["namePlural"]
        outcomes: list[Outcome] = []
        for chunk in _chunks(list(ids), CAPABILITIES.max_batch):
            records = self._walk(entity, _in_filter("id", list(chunk)))
            present = {str(r["id"]): str(r.get(EXTERNAL_ID_FIELD) or "") for r in records}
            for destination_id in chunk:
                if destination_id not in present:
                    outcomes.append(Outcome("", destination_id, "delete", details={"already_absent": True}))
                    continue
                external = present[destination_id]
                response = self._request("DELETE", f"/rest/{plural_name}/{destination_id}")
                if response.status_code >= 400 and not any(m.startswith("Record not found") for m in _messages(response)):
                    code, message = reject_reason(entity, response.status_code, _messages(response))
                    outcomes.append(Outcome(external, destination_id, "reject", message, code))
                else:
                    outcomes.append(Outcome(external, destination_id, "delete"))
        return outcomes

    def users(self) -> dict[str, str]:
        """Workspace members by lower-cased userEmail -> member id (read only: members join by sign-up or invite)."""
        return users_by_email(self._walk("workspaceMember", ""), "userEmail", "id")

    def close(self) -> None:
        """Release the HTTP client."""
        self.client.close()


def from_settings(options: Mapping[str, Any], root: Path) -> TwentyDestination:
    """A TwentyDestination for the [destination] table: url, optional pace (default true), and the
    pacing budget `requests_per_window` per `window_seconds` (default 100 per 60 s, §1.8; a server
    whose throttle window is scaled down, like a bench emulator, needs the same scale here)."""
    url = str(options.get("url") or "").rstrip("/")
    if not url:
        raise ConfigError("The Twenty destination has no url.",
                          hint='Set url under [destination] in bridgework.toml ("local" rehearses against the emulator).')
    key = require_secret(API_KEY_ENV, "Twenty API key")
    client = make_client(url, headers={"Authorization": f"Bearer {key}"})
    pace = options.get("pace", True)
    limit = int(options.get("requests_per_window") or CAPABILITIES.requests_per_window or 100)
    window = float(options.get("window_seconds") or CAPABILITIES.window_seconds)
    pacer = Pacer(limit, window) if pace else None
    return TwentyDestination(client, url=url, pacer=pacer)
