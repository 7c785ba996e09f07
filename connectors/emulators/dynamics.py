"""A local Dataverse (Dynamics 365 Sales) Web API v9.2: records, metadata, $batch, throttling, faults (reference §3).

Behaviour follows reference/destinations.md §3 and its checklist §3.9. Checked against Microsoft Learn
(code/docs search): PATCH by alternate key without conditions answers 204 on create and on update, and
with `If-Match: *` on a missing row 404 and nothing created ("Predict synchronization outcomes",
synchronize-external-data-dataverse); `$batch` holds at most 1000 requests and URLs inside it may run
to 64 KB (execute-batch-operations-using-web-api). Choices where the reference is unsure (A) or only
reported (R), each provable wrong by tests/contract/test_dynamics.py on a real org:
- Using an alternate key in a URL before it is Active (or one that does not exist) -> 400 `0x8006088a`
  "Bad Request - Error in query syntax." (R: the answer a user reported for PATCH by a not-yet-usable key,
  davidyack/Xrm.Tools.CRMWebAPI#92). Key values holding `/` or `\\` fail in real URLs
  (MicrosoftDocs/powerapps-docs#117); the emulator does not reproduce that.
- A choice value outside the option set -> 400 `0x8004431a` "<column> value N is outside the valid range.
  Accepted Values: ..." (A). A SystemRequired column set to null -> 400 `0x80040203` "Attribute: <column>
  cannot be set to NULL" (A). ApplicationRequired is never enforced (V: the server leaves it to forms).
- An empty string is stored as null (A: our understanding of the platform); the read-back diff must expect it.
- `$batch` with more than `max_batch` (1000) requests -> 400 `0x8006088b` (A wording). Without
  `Prefer: odata.continue-on-error` the batch stops at the first failure and answers 400 with a multipart
  body holding only that failure (reference §3.5); with it, 200 and every part carries its own status.
- PATCH with `Prefer: return=representation` answers 201 when it created and 200 when it updated (A).
- Lookup columns are created only through `POST RelationshipDefinitions` (OneToManyRelationshipMetadata
  with a `Lookup`), as the real API requires; custom lookups navigate by their SchemaName (`bw_PlanId`).
- A note's `documentbody` over `annotation_max_bytes` -> 400 `0x80043e09` "The attachment is either not a
  valid type or is too large. ..." (A); `filesize` is computed.
- `$count` is not capped at 5,000 here (the real service caps it); `EntityDefinitions` honours `$select`
  but not `$filter` (the connector filters client side). Not emulated: activity parties
  (`appointment_activity_parties`), the business unit table, burst allowances and Retry-After growing
  while a client keeps calling.

Service protection (per user, sliding window): request_limit requests -> 429 `0x80072322`; execution_limit_ms
of combined execution time -> 429 `0x80072321`; more than concurrency_limit requests in flight -> 429
`0x80072326` at once; all with Retry-After.

Switches (keyword arguments of create_app, environment BRIDGEWORK_EMULATOR_<NAME>, or POST /_emulator/faults
with a JSON object): seeded, publisher_prefix ("bw_"; both start-up only), throttle (service protection on/off), request_limit (6000),
execution_limit_ms (1,200,000), window_seconds (300), concurrency_limit (52), throttle_every / throttle_at
(429 on every Nth / the Nth API call), retry_after (seconds sent with injected 429s), fail_every +
fail_status (5xx on every Nth call), slow_ms, drop_every (every Nth write commits, then the connection
drops), key_delay (seconds an alternate key stays Pending), max_batch (1000), annotation_max_bytes.
GET /_emulator/state reports switches and counters; POST /_emulator/clock {"advance": seconds} moves the
clock used for throttling and key builds.
"""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from starlette.types import Message, Receive, Scope, Send

from connectors.emulators import _dynamics_batch as batch
from connectors.emulators._switches import SwitchBoard
from connectors.emulators._dynamics_batch import (
    API,
    JSON_HEADERS,
    BatchError,
    ChangeSet,
    Part,
    Reply,
    error_reply,
    json_reply,
)
from connectors.emulators._dynamics_meta_api import metadata_reply
from connectors.emulators._dynamics_query import QueryError
from connectors.emulators._dynamics_records import ApiError, RecordStore, Resolver
from connectors.emulators._dynamics_schema import MetadataStore, MetaError

LOCAL_CREDENTIALS = {"BRIDGEWORK_DYNAMICS_TOKEN": "bw-local-dataverse-token"}

_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass
class Switches(SwitchBoard):
    """Deterministic behaviour and fault switches."""

    system: ClassVar[str] = "Dataverse"

    seeded: bool = True
    publisher_prefix: str = "bw_"
    throttle: bool = True
    request_limit: int = 6000
    window_seconds: float = 300.0
    concurrency_limit: int = 52
    execution_limit_ms: int = 1_200_000
    throttle_every: int = 0
    throttle_at: int = 0
    retry_after: int = 2
    fail_every: int = 0
    fail_status: int = 503
    slow_ms: int = 0
    drop_every: int = 0
    key_delay: float = 1.0
    max_batch: int = 1000
    annotation_max_bytes: int = 5_242_880


def _prefer(headers: dict[str, str]) -> str:
    return headers.get("prefer", "").lower()


class DataverseEmulator:
    """State, switches, counters and the request dispatcher shared by single calls and $batch parts."""

    def __init__(self, state_path: Path | None, switches: Switches) -> None:
        self.switches = switches
        self.token = LOCAL_CREDENTIALS["BRIDGEWORK_DYNAMICS_TOKEN"]
        self.db = sqlite3.connect(str(state_path) if state_path else ":memory:", check_same_thread=False,
                                  isolation_level=None)
        if state_path:
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.clock_offset = 0.0
        self.db.execute("BEGIN")
        self.meta = MetadataStore(self.db, self.clock, switches.publisher_prefix)
        self.records = RecordStore(self.db, self.meta, self.settle_keys)
        self.records.seed(switches.seeded)
        self.db.execute("COMMIT")
        self.counters = {"requests": 0, "writes": 0, "faults": 0, "throttled": 0, "dropped": 0, "batches": 0,
                         "in_flight": 0, "peak_in_flight": 0}
        self.window: deque[float] = deque()
        self.spent: deque[tuple[float, float]] = deque()  # (when, milliseconds of execution) in the window
        self.base = "http://localhost"

    def clock(self) -> float:
        """Monotonic time plus whatever /_emulator/clock added (throttle windows, key builds)."""
        return time.monotonic() + self.clock_offset

    def set_switches(self, values: dict[str, Any]) -> None:
        """Change switches at run time (seeded only at start-up)."""
        if "seeded" in values or "publisher_prefix" in values:
            raise ValueError("seeded and publisher_prefix are start-up options")
        self.switches.update(values)
        if {"request_limit", "execution_limit_ms", "throttle"} & set(values):
            self.window.clear()
            self.spent.clear()

    def settle_keys(self, entity: str) -> None:
        """Move a table's Pending keys to Active (or Failed on duplicates) once key_delay has passed."""
        table = self.meta.tables.get(entity)
        if table is None:
            return
        changed = False
        for key in table["Keys"]:
            if key["EntityKeyIndexStatus"] == "Pending" and self.clock() >= key["CreatedAt"] + self.switches.key_delay:
                if self.records.key_clash(entity, key["KeyAttributes"]):
                    key["EntityKeyIndexStatus"] = "Failed"
                else:
                    key["EntityKeyIndexStatus"] = "Active"
                    self.records.index_key(entity, key["KeyAttributes"])
                changed = True
        if changed:
            self.meta.save(table)

    def state(self) -> dict[str, Any]:
        """Switches, counters and record counts per table."""
        rows = self.db.execute("SELECT entity, COUNT(*) FROM records GROUP BY entity ORDER BY entity").fetchall()
        return {"switches": asdict(self.switches), "counters": dict(self.counters),
                "records": {e: n for e, n in rows}, "tables": sorted(self.meta.tables)}

    # --- throttling ------------------------------------------------------------------------------

    def throttled(self) -> Reply | None:
        """A 429 when this call breaks a service-protection limit or a fault switch asks for one."""
        s, n = self.switches, self.counters["requests"]
        if (s.throttle_every and n % s.throttle_every == 0) or (s.throttle_at and n == s.throttle_at):
            return error_reply(429, "0x80072322", "Number of requests exceeded the limit of 6000 over time window "
                                                  "of 300 seconds.", {"Retry-After": str(s.retry_after)})
        if not s.throttle:
            return None
        now = self.clock()
        while self.window and now - self.window[0] >= s.window_seconds:
            self.window.popleft()
        if len(self.window) >= s.request_limit:
            wait = max(1, math.ceil(s.window_seconds - (now - self.window[0])))
            return error_reply(429, "0x80072322", f"Number of requests exceeded the limit of {s.request_limit} over "
                                                  f"time window of {int(s.window_seconds)} seconds.",
                               {"Retry-After": str(wait)})
        while self.spent and now - self.spent[0][0] >= s.window_seconds:
            self.spent.popleft()
        if sum(ms for _, ms in self.spent) >= s.execution_limit_ms:
            wait = max(1, math.ceil(s.window_seconds - (now - self.spent[0][0])))
            return error_reply(429, "0x80072321", f"Combined execution time of incoming requests exceeded limit of "
                                                  f"{s.execution_limit_ms:,} milliseconds over time window of "
                                                  f"{int(s.window_seconds)} seconds. Decrease number of concurrent "
                                                  "requests or reduce the duration of requests and try again later.",
                               {"Retry-After": str(wait)})
        self.window.append(now)
        return None

    def charge(self, milliseconds: float) -> None:
        """Count one request's execution time toward the per-user window."""
        if self.switches.throttle:
            self.spent.append((self.clock(), milliseconds))

    # --- dispatch ---------------------------------------------------------------------------------

    def dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes,
                 resolver: Resolver | None = None) -> Reply:
        """Answer one Web API request; `target` is the path after /api/data/v9.2/ plus its query."""
        try:
            parts = urlsplit(target)
            path = unquote(parts.path)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            if path == "$batch":
                return self._batch(method, headers, body)
            if path.startswith("$") and resolver is not None:
                path = self._content_path(path, resolver)
            if path == "WhoAmI" and method == "GET":
                return json_reply(200, {"UserId": self.records.user_id, "BusinessUnitId": self.records.user_id,
                                        "OrganizationId": self.records.user_id})
            if path.startswith("EntityDefinitions") or path.startswith("RelationshipDefinitions"):
                return metadata_reply(self, method, path, query, self._body(body) if method == "POST" else {})
            return self._records(method, path, query, headers, body, resolver)
        except ApiError as exc:
            return error_reply(exc.status, exc.code, exc.message)
        except MetaError as exc:
            return error_reply(exc.status, exc.code, exc.message)
        except (QueryError, ValueError):
            return error_reply(400, "0x8006088a", "Bad Request - Error in query syntax.")

    def _content_path(self, path: str, resolver: Resolver) -> str:
        ref, _, rest = path[1:].partition("/")
        found = resolver(ref)
        if found is None:
            raise ApiError(400, "0x80060888", f"Content-ID reference '${ref}' was not found in the change set.")
        entity, record_id = found
        return f"{self.meta.tables[entity]['EntitySetName']}({record_id})" + (f"/{rest}" if rest else "")

    @staticmethod
    def _body(body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise ApiError(400, "0x80048d19", "Error identified in Payload provided by the user: invalid JSON.") from None
        if not isinstance(data, dict):
            raise ApiError(400, "0x80048d19", "Error identified in Payload provided by the user: expected an object.")
        return data

    def _entity_id(self, entity_set: str, record_id: str) -> str:
        return f"{self.base}{API}{entity_set}({record_id})"

    # --- records --------------------------------------------------------------------------------

    def _records(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes,
                 resolver: Resolver | None) -> Reply:
        entity_set, segment = path, None
        count_only = False
        if path.endswith("/$count"):
            entity_set, count_only = path[: -len("/$count")], True
        if "(" in entity_set:
            if not entity_set.endswith(")"):
                raise ApiError(404, "0x80060888", "Resource not found for the segment.")
            entity_set, segment = entity_set[:-1].split("(", 1)
        table = self.meta.by_set(entity_set)
        if table is None:
            raise ApiError(404, "0x80060888", f"Resource not found for the segment '{entity_set}'.")
        entity = table["LogicalName"]
        select = [s for s in query.get("$select", "").split(",") if s] or None
        self.records.check_select(entity, select)
        annotate = "lookuplogicalname" in _prefer(headers) or 'include-annotations="*"' in _prefer(headers)
        representation = "return=representation" in _prefer(headers)
        if segment is None:
            if method == "GET":
                return self._list(entity, entity_set, query, headers, select, annotate, count_only)
            if method == "POST":
                data = self._body(body)
                self._check_note(entity, data)
                record_id = self.records.create(entity, data, resolver=resolver)
                return self._written(entity, entity_set, record_id, 201, representation, select, annotate)
            raise ApiError(405, "0x80060888", f"The requested resource does not support http method '{method}'.")
        if method == "GET":
            record_id, key = self.records.locate(entity, segment)
            if record_id is None:
                raise self._not_found(entity, key)
            data = self.records.row(entity, record_id)
            return json_reply(200, self.records.out(entity, data or {}, select, annotate))
        if method == "PATCH":
            data = self._body(body)
            self._check_note(entity, data)
            record_id, created = self.records.upsert(entity, segment, data, if_match=headers.get("if-match"),
                                                     if_none_match=headers.get("if-none-match"), resolver=resolver)
            return self._written(entity, entity_set, record_id, 201 if created else 200, representation, select,
                                 annotate)
        if method == "DELETE":
            record_id, key = self.records.locate(entity, segment)
            if record_id is None:
                raise self._not_found(entity, key)
            self.records.delete(entity, record_id)
            return Reply(204, {"OData-Version": "4.0"})
        raise ApiError(405, "0x80060888", f"The requested resource does not support http method '{method}'.")

    def _check_note(self, entity: str, data: dict[str, Any]) -> None:
        body = data.get("documentbody")
        if entity == "annotation" and isinstance(body, str) and len(body) * 3 // 4 > self.switches.annotation_max_bytes:
            raise ApiError(400, "0x80043e09", "The attachment is either not a valid type or is too large. It cannot be "
                                              "uploaded or downloaded.")

    @staticmethod
    def _not_found(entity: str, key: str | dict[str, Any]) -> ApiError:
        if isinstance(key, str):
            return ApiError(404, "0x80040217", f"{entity} With Id = {key} Does Not Exist")
        return ApiError(404, "0x80040217", f"A record with the specified key values does not exist in {entity} entity")

    def _written(self, entity: str, entity_set: str, record_id: str, status: int, representation: bool,
                 select: list[str] | None, annotate: bool) -> Reply:
        location = {"OData-EntityId": self._entity_id(entity_set, record_id)}
        if representation:
            data = self.records.row(entity, record_id) or {}
            return json_reply(status, self.records.out(entity, data, select, annotate),
                              {**location, "Preference-Applied": "return=representation"})
        return Reply(204, {"OData-Version": "4.0", **location})

    def _list(self, entity: str, entity_set: str, query: dict[str, str], headers: dict[str, str],
              select: list[str] | None, annotate: bool, count_only: bool) -> Reply:
        prefer = _prefer(headers)
        page = 5000
        if "odata.maxpagesize=" in prefer:
            page = max(1, int(prefer.split("odata.maxpagesize=")[1].split(",")[0].strip().strip('"')))
        skip = int(query.get("$skiptoken", "0") or 0)
        top = int(query["$top"]) if "$top" in query else None
        limit = page if top is None else min(page, max(0, top - skip))
        rows, total = self.records.query(entity, query.get("$filter"), skip=skip, top=limit)
        if count_only:
            return Reply(200, {"Content-Type": "text/plain", "OData-Version": "4.0"}, str(total).encode())
        values = [self.records.out(entity, r, select, annotate) for r in rows]
        payload: dict[str, Any] = {"@odata.context": f"{self.base}{API}$metadata#{entity_set}"}
        if query.get("$count") == "true":
            payload["@odata.count"] = total
        payload["value"] = values
        end = skip + len(values)
        if end < (total if top is None else min(total, top)):
            rest = {k: v for k, v in query.items() if k != "$skiptoken"}
            rest["$skiptoken"] = str(end)
            payload["@odata.nextLink"] = f"{self.base}{API}{entity_set}?{urlencode(rest)}"
        return json_reply(200, payload)

    # --- $batch --------------------------------------------------------------------------------

    def _batch(self, method: str, headers: dict[str, str], body: bytes) -> Reply:
        if method != "POST":
            raise ApiError(405, "0x80060888", "The requested resource does not support http method 'GET'.")
        try:
            items = batch.parse(headers.get("content-type", ""), body)
        except BatchError as exc:
            raise ApiError(400, "0x8006088a", str(exc)) from None
        if batch.count(items) > self.switches.max_batch:
            raise ApiError(400, "0x8006088b", f"The number of requests in the batch exceeds the limit of "
                                              f"{self.switches.max_batch}.")  # A: wording unconfirmed
        self.counters["batches"] += 1
        go_on = "odata.continue-on-error" in _prefer(headers)
        groups: list[Reply | list[Reply]] = []
        failed = False
        for item in items:
            if isinstance(item, ChangeSet):
                replies = self._change_set(item)
                failed = any(r.status >= 400 for r in replies)
                groups.append(replies[-1] if failed else replies)
            else:
                reply = self._run_part(item, None)
                failed = reply.status >= 400
                groups.append(reply)
            if failed and not go_on:
                content_type, out = batch.render([groups[-1]])
                return Reply(400, {"Content-Type": content_type, "OData-Version": "4.0"}, out)
        content_type, out = batch.render(groups)
        return Reply(200, {"Content-Type": content_type, "OData-Version": "4.0"}, out)

    def _run_part(self, part: Part, resolver: Resolver | None) -> Reply:
        target = part.url.split(API, 1)[1] if API in part.url else part.url.lstrip("/")
        if target.startswith("$batch"):
            return error_reply(400, "0x8006088a", "A batch request cannot contain another batch request.")
        self.db.execute("SAVEPOINT part")
        reply = self.dispatch(part.method, target, part.headers, part.body, resolver)
        if reply.status >= 400:
            self.db.execute("ROLLBACK TO part")
        self.db.execute("RELEASE part")
        reply.content_id = part.content_id
        return reply

    def _change_set(self, change_set: ChangeSet) -> list[Reply]:
        made: dict[str, tuple[str, str]] = {}
        replies: list[Reply] = []
        self.db.execute("SAVEPOINT changeset")
        for part in change_set.parts:
            reply = self._run_part(part, made.get)
            replies.append(reply)
            if reply.status >= 400:
                self.db.execute("ROLLBACK TO changeset")
                self.db.execute("RELEASE changeset")
                return replies
            location = reply.headers.get("OData-EntityId", "")
            if part.content_id and location:
                entity_set, _, rest = location.split(API, 1)[1].partition("(")
                table = self.meta.by_set(entity_set)
                if table is not None:
                    made[part.content_id] = (table["LogicalName"], rest.rstrip(")"))
        self.db.execute("RELEASE changeset")
        return replies


class DataverseApp:
    """ASGI app: auth, throttling, faults and the admin endpoints in front of the dispatcher."""

    def __init__(self, emulator: DataverseEmulator) -> None:
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope.get("path", "")
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if path.startswith("/_emulator") or path == "/healthz":
            reply = self._admin(scope["method"], path, body)
        elif path.startswith(API):
            reply = await self._api(scope, path, headers, body)
            if reply is None:
                return
        else:
            reply = error_reply(404, "0x80060888", f"No route for {path}; the Web API lives under {API}.")
        await _send(send, reply)

    def _admin(self, method: str, path: str, body: bytes) -> Reply:
        em = self.emulator
        try:
            if path == "/_emulator/faults" and method == "POST":
                em.set_switches(json.loads(body or b"{}"))
            elif path == "/_emulator/clock" and method == "POST":
                em.clock_offset += float(json.loads(body or b"{}").get("advance", 0))
            elif path == "/healthz":
                return json_reply(200, {"status": "ok"})
            elif path == "/_emulator/users" and method == "POST":  # users who already exist (the demo's staff)
                return json_reply(200, {str(u["email"]).lower(): em.records.create("systemuser", {
                    "firstname": str(u.get("name") or "").partition(" ")[0], "lastname": str(u.get("name") or "")
                    .partition(" ")[2] or str(u["email"]), "internalemailaddress": str(u["email"]).lower()})
                    for u in json.loads(body or b"{}").get("users", [])})
        except (ValueError, TypeError, KeyError) as exc:
            return error_reply(400, "", str(exc))
        return json_reply(200, em.state())

    async def _api(self, scope: Scope, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        em = self.emulator
        host = headers.get("host", "localhost")
        em.base = f"{scope.get('scheme', 'http')}://{host}"
        if headers.get("authorization", "") != f"Bearer {em.token}":
            return Reply(401, {"WWW-Authenticate": 'Bearer error="invalid_token"', **JSON_HEADERS},
                         json.dumps({"error": {"code": "", "message": "The user is not authenticated."}}).encode())
        em.counters["requests"] += 1
        if em.counters["in_flight"] >= em.switches.concurrency_limit:
            em.counters["throttled"] += 1
            return error_reply(429, "0x80072326", f"Number of concurrent requests exceeded the limit of "
                                                  f"{em.switches.concurrency_limit}.", {"Retry-After": "1"})
        em.counters["in_flight"] += 1
        em.counters["peak_in_flight"] = max(em.counters["peak_in_flight"], em.counters["in_flight"])
        try:
            throttled = em.throttled()
            if throttled is not None:
                em.counters["throttled"] += 1
                return throttled
            s, n = em.switches, em.counters["requests"]
            if s.fail_every and n % s.fail_every == 0:
                em.counters["faults"] += 1
                return error_reply(s.fail_status, "0x80040216", "An unexpected error occurred.")
            if s.slow_ms:
                await asyncio.sleep(s.slow_ms / 1000)
            target = path[len(API):] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
            started = time.perf_counter()
            reply = self._run(scope["method"], target, headers, body)
            em.charge((time.perf_counter() - started) * 1000 + s.slow_ms)
            if scope["method"] in _WRITES:
                em.counters["writes"] += 1
                if s.drop_every and em.counters["writes"] % s.drop_every == 0:
                    em.counters["dropped"] += 1
                    return _Dropped(reply)
            return reply
        finally:
            em.counters["in_flight"] -= 1

    def _run(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        em = self.emulator
        em.db.execute("BEGIN")
        try:
            reply = em.dispatch(method, target, headers, body)
        except BaseException:
            em.db.execute("ROLLBACK")
            raise
        em.db.execute("ROLLBACK" if reply.status >= 400 and not target.startswith("$batch") else "COMMIT")
        return reply


class _Dropped(Reply):
    """A reply whose connection is cut after half the body (the write already committed)."""

    def __init__(self, reply: Reply) -> None:
        # a 204 may not carry a body, so the half-sent answer claims 200; the client never sees it whole
        super().__init__(reply.status if reply.body else 200, reply.headers, reply.body or b"{}" * 8)


async def _send(send: Send, reply: Reply) -> None:
    headers = [(k.lower().encode(), v.encode()) for k, v in reply.headers.items()]
    if isinstance(reply, _Dropped):
        headers.append((b"content-length", str(len(reply.body) + 16).encode()))
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body[: len(reply.body) // 2], "more_body": True})
        return  # returning mid-body makes uvicorn close the connection
    headers.append((b"content-length", str(len(reply.body)).encode()))
    message: Message = {"type": "http.response.start", "status": reply.status, "headers": headers}
    await send(message)
    await send({"type": "http.response.body", "body": reply.body})


def create_app(state_path: Path | None = None, **switches: Any) -> DataverseApp:
    """The Dataverse emulator as an ASGI app; state in SQLite at `state_path` (None: in memory)."""
    settings = Switches()
    settings.update(Switches.from_env())
    settings.update(switches)
    app = DataverseApp(DataverseEmulator(state_path, settings))
    return app

