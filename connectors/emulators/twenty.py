"""A local Twenty server: REST core + metadata API, auth, throttling and fault switches (reference §1).

Behaviour follows reference/destinations.md §1 and its checklist §1.13. Where the reference was
unsure we chose, and a real server can prove us wrong through tests/contract/test_twenty.py:
- Empty unique values (`''`) never collide in either profile: a workspace where two people
  without an email collide would be unusable, so the current build's index must exclude them.
- Unknown fields in a body -> 400 `Object <name> doesn't have any "<key>" field.` (our wording).
- A composite PATCH merges the subfields sent over the stored ones.
- `order_by` and `depth` are accepted and ignored: records come in creation order at depth 0.
- GraphQL (`/graphql`, `/metadata`) is authenticated and throttled like REST (throttle errors in
  `errors[]`); `/graphql` understands only the root mutations of checklist item 17
  (_twenty_graphql.py). bridgework's connector speaks REST only.

Checked against twentyhq/twenty source (code search): the filter parser (`parse-base-filter`,
`parse-filter`, `format-field-values`: values typed by the field, quotes stripped, `in` lists
split on commas; `field '<x>' does not exist in '<table>' object`; the comparator message), the
limit parser (default 60, silently clamped to QUERY_MAX_RECORDS; `limit '<x>' is invalid.
Should be an integer`), `object '<x>' not found. eg: companies` / `Did you mean '<plural>'?`,
create-many (`Body must be an array`, `Input must not be empty`, per-record `Record already
exists`) and `Maximum number of records to upsert is <QUERY_MAX_RECORDS>.`. QUERY_MAX_RECORDS
differs between builds (60 per the reference and the cloud docs; 100, 200 and 10,000 in other
versions of the source), so it is the `batch_cap` switch (default 60) and caps list pages too.
Newer builds answer create-many with `{"data":{"<plural>":[...]}}` instead of
`{"data":{"create<Plural>":[...]}}`; we follow the reference and the connector reads neither.

Switches (keyword arguments of create_app, environment BRIDGEWORK_EMULATOR_<NAME>, or
POST /_emulator/faults with a JSON object): profile ("current" | "2025-06"), seeded (bool),
batch_cap (60), throttle (bool), throttle_status (429 | 400), throttle_limit (tokens per
bucket), throttle_window_scale (1.0; 0.1 turns 100 per 60,000 ms into 100 per 6,000 ms, and the
message says so: benches and tests measure the same pacing in seconds), fail_every (every Nth API request fails), fail_next (the next K fail), fail_rate + fail_seed (seeded
share of failures), fail_status (429 | 400 | 500 | 502 | 503), slow_ms, drop_every (every
Nth write commits, then the connection drops). GET /_emulator/state reports switches and
counters; POST /_emulator/clock {"advance": seconds} moves the throttle clock.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from connectors.emulators._switches import SwitchBoard, drop_after_commit
from connectors.emulators._twenty_graphql import execute
from connectors.emulators._twenty_meta import MetadataStore, default_value, stored_key, unique_column
from connectors.emulators._twenty_records import RecordStore
from connectors.emulators._twenty_schema import stable_id
from connectors.emulators._twenty_values import ApiError, bad

LOCAL_CREDENTIALS = {"BRIDGEWORK_TWENTY_API_KEY": "bw-local-twenty-api-key"}

DEFAULT_LIMIT = 60
_API_PREFIXES = ("/rest", "/graphql", "/metadata")
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_FAULT_BODIES = {
    500: ("InternalServerErrorException", "Internal server error"),
    502: ("BadGatewayException", "Bad Gateway"),
    503: ("ServiceUnavailableException", "Service Unavailable"),
}


@dataclass
class Switches(SwitchBoard):
    """Behaviour profile and deterministic fault switches."""

    system: ClassVar[str] = "Twenty"

    profile: str = "current"
    seeded: bool = True
    batch_cap: int = 60
    throttle: bool = True
    throttle_status: int = 429
    throttle_limit: int = 100
    throttle_window_scale: float = 1.0
    fail_every: int = 0
    fail_next: int = 0
    fail_rate: float = 0.0
    fail_seed: int = 0
    fail_status: int = 429
    slow_ms: int = 0
    drop_every: int = 0

    def check(self) -> None:
        """Impossible combinations are refused."""
        if self.profile not in ("current", "2025-06"):
            raise ValueError("profile must be 'current' or '2025-06'")
        if not 0 < self.throttle_window_scale <= 1:
            raise ValueError("throttle_window_scale must be above 0 and at most 1")


class TokenBucket:
    """Twenty's throttler: `limit` tokens refilled continuously over `window_ms`."""

    def __init__(self, limit: int, window_ms: int) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self.tokens = float(limit)
        self.stamp: float | None = None

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last call."""
        if self.stamp is not None:
            self.tokens = min(self.limit, self.tokens + (now - self.stamp) * 1000 * self.limit / self.window_ms)
        self.stamp = now

    @property
    def message(self) -> str:
        """The throttle error message (reference §1.8)."""
        return f"Limit reached ({self.limit} tokens per {self.window_ms} ms)"


def _error(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"statusCode": status, "error": error, "messages": [message]}, status_code=status)


class TwentyEmulator:
    """State, switches and counters shared by the routes and the gate."""

    def __init__(self, state_path: Path | None, switches: Switches) -> None:
        self.switches = switches
        self.api_key = LOCAL_CREDENTIALS["BRIDGEWORK_TWENTY_API_KEY"]
        self.db = sqlite3.connect(str(state_path) if state_path else ":memory:", check_same_thread=False)
        if state_path:
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA case_sensitive_like=ON")
        self.meta = MetadataStore(self.db)
        self.db.commit()
        self.records = RecordStore(self.db, self.meta, switches.profile, lambda: datetime.now(timezone.utc))
        self.records.seed(switches.seeded)
        self.records.index_uniques()
        self.clock_offset = 0.0
        self.counters = {"requests": 0, "writes": 0, "faults": 0, "throttled": 0, "dropped": 0}
        self.rng = random.Random(switches.fail_seed)
        self._reset_buckets()
        self.graphql_calls: list[float] = []

    def _reset_buckets(self) -> None:
        limit, scale = self.switches.throttle_limit, self.switches.throttle_window_scale
        self.buckets = (TokenBucket(limit, max(1, round(60_000 * scale))), TokenBucket(limit, max(1, round(1_000 * scale))))

    def clock(self) -> float:
        """The throttle clock: monotonic time plus whatever /_emulator/clock added."""
        return time.monotonic() + self.clock_offset

    def set_switches(self, values: dict[str, Any]) -> None:
        """Change switches at run time (the profile only at start-up)."""
        if "profile" in values or "seeded" in values:
            raise ValueError("profile and seeded are start-up options")
        self.switches.update(values)
        if "fail_seed" in values:
            self.rng = random.Random(self.switches.fail_seed)
        if {"throttle_limit", "throttle_window_scale"} & set(values):
            self._reset_buckets()

    def throttle_error(self) -> str | None:
        """The throttle message when this request is over the limit, else None (tokens taken)."""
        if not self.switches.throttle or self.switches.profile != "current":
            return None
        now = self.clock()
        for bucket in self.buckets:
            bucket.refill(now)
        for bucket in self.buckets:
            if bucket.tokens < 1:
                return bucket.message
        for bucket in self.buckets:
            bucket.tokens -= 1
        return None

    def injected_fault(self) -> int | None:
        """The status of a deterministic fault for this request, if one is due."""
        s, n = self.switches, self.counters["requests"]
        due = False
        if s.fail_next > 0:
            s.fail_next -= 1
            due = True
        elif s.fail_every and n % s.fail_every == 0:
            due = True
        elif s.fail_rate and self.rng.random() < s.fail_rate:
            due = True
        return s.fail_status if due else None

    def state(self) -> dict[str, Any]:
        """Switches, counters and live record counts."""
        return {"switches": asdict(self.switches), "counters": dict(self.counters), "records": self.records.counts(),
                "objects": sorted(o["nameSingular"] for o in self.meta.objects.values() if o["isActive"])}


class Gate:
    """ASGI wrapper: auth, throttling and injected faults in front of the API routes."""

    def __init__(self, app: Starlette, emulator: TwentyEmulator) -> None:
        self.app = app
        self.emulator = emulator
        self.state = app.state  # tests reach the emulator as app.state.emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(_API_PREFIXES):
            await self.app(scope, receive, send)
            return
        em = self.emulator
        headers = dict(scope["headers"])
        if headers.get(b"authorization", b"").decode() != f"Bearer {em.api_key}":
            await _error(401, "UnauthorizedException", "Token invalid.")(scope, receive, send)
            return
        em.counters["requests"] += 1
        status = em.injected_fault()
        if status is not None:
            em.counters["faults"] += 1
            if status in _FAULT_BODIES:
                response = _error(status, *_FAULT_BODIES[status])
            else:
                error = "TooManyRequestsException" if status == 429 else "BadRequestException"
                response = _error(status, error, em.buckets[0].message)
            await response(scope, receive, send)
            return
        message = em.throttle_error()
        if message is not None:
            em.counters["throttled"] += 1
            if not path.startswith("/rest"):  # GraphQL reports the throttle in errors[] (reference §1.8)
                body = {"errors": [{"message": message, "extensions": {"code": "LIMIT_REACHED"}}]}
                await JSONResponse(body)(scope, receive, send)
                return
            status = em.switches.throttle_status
            error = "TooManyRequestsException" if status == 429 else "BadRequestException"
            await _error(status, error, message)(scope, receive, send)
            return
        if em.switches.slow_ms:
            await asyncio.sleep(em.switches.slow_ms / 1000)
        if scope["method"] in _WRITES and path.startswith("/rest"):
            em.counters["writes"] += 1
            if em.switches.drop_every and em.counters["writes"] % em.switches.drop_every == 0:
                em.counters["dropped"] += 1
                await drop_after_commit(self.app, scope, receive, send)
                return
        await self.app(scope, receive, send)


def _singular_key(prefix: str, name: str) -> str:
    return prefix + name[0].upper() + name[1:]


def _routes(em: TwentyEmulator) -> list[Route]:
    meta, records = em.meta, em.records

    async def body_of(request: Request) -> Any:
        try:
            return json.loads(await request.body() or b"null")
        except ValueError:
            raise bad("Invalid JSON body") from None

    def object_for(plural: str) -> dict[str, Any]:
        obj = meta.plurals.get(plural)
        if obj is None:
            singular = meta.objects.get(plural)
            hint = f"Did you mean '{singular['namePlural']}'?" if singular else "eg: companies"
            raise bad(f"object '{plural}' not found. {hint}")
        return obj

    async def create_one(request: Request) -> JSONResponse:
        obj = object_for(request.path_params["plural"])
        body = await body_of(request)
        if not isinstance(body, dict):
            raise bad("Body must be an object")
        upsert = em.switches.profile == "current" and request.query_params.get("upsert") == "true"
        record = records.create(obj["nameSingular"], [body], upsert=upsert)[0]
        return JSONResponse({"data": {_singular_key("create", obj["nameSingular"]): record}}, status_code=201)

    async def create_many(request: Request) -> JSONResponse:
        obj = object_for(request.path_params["plural"])
        body = await body_of(request)
        if not isinstance(body, list):
            raise bad("Body must be an array")
        if not body:
            raise bad("Input must not be empty")
        cap = em.switches.batch_cap
        if em.switches.profile == "current" and len(body) > cap:
            raise bad(f"Maximum number of records to upsert is {cap}.")
        if not all(isinstance(b, dict) for b in body):
            raise bad("Body must be an array of objects")
        upsert = em.switches.profile == "current" and request.query_params.get("upsert") == "true"
        created = records.create(obj["nameSingular"], body, upsert=upsert)
        return JSONResponse({"data": {_singular_key("create", obj["namePlural"]): created}}, status_code=201)

    async def list_records(request: Request) -> JSONResponse:
        obj = object_for(request.path_params["plural"])
        q = request.query_params
        raw = q.get("limit") or str(DEFAULT_LIMIT)
        if not raw.isdigit():
            raise bad(f"limit '{raw}' is invalid. Should be an integer")
        limit = min(int(raw), em.switches.batch_cap)  # QUERY_MAX_RECORDS caps pages and batches alike
        page = records.list(obj["nameSingular"], filter_text=q.get("filter"), limit=limit,
                            starting_after=q.get("starting_after"))
        return JSONResponse({"data": {obj["namePlural"]: page["records"]}, "pageInfo": page["pageInfo"],
                             "totalCount": page["totalCount"]})

    async def one_record(request: Request) -> JSONResponse:
        obj = object_for(request.path_params["plural"])
        name, record_id = obj["nameSingular"], request.path_params["id"]
        if request.method == "GET":
            return JSONResponse({"data": {name: records.get(name, record_id)}})
        if request.method == "DELETE":
            soft = em.switches.profile == "current" and request.query_params.get("soft_delete") == "true"
            deleted = records.delete(name, record_id, soft=soft)
            return JSONResponse({"data": {_singular_key("delete", name): {"id": deleted}}})
        body = await body_of(request)
        if not isinstance(body, dict):
            raise bad("Body must be an object")
        return JSONResponse({"data": {_singular_key("update", name): records.update(name, record_id, body)}})

    async def restore(request: Request) -> JSONResponse:
        obj = object_for(request.path_params["plural"])
        if em.switches.profile != "current":
            return _error(404, "NotFoundException", f"Cannot PATCH {request.url.path}")
        record = records.restore(obj["nameSingular"], request.path_params["id"])
        return JSONResponse({"data": {_singular_key("restore", obj["nameSingular"]): record}})

    def page_of(kind: str, items: list[dict[str, Any]]) -> JSONResponse:
        return JSONResponse({"data": {kind: items}, "pageInfo": {"hasNextPage": False,
                                                                "startCursor": None, "endCursor": None},
                             "totalCount": len(items)})

    async def meta_objects(request: Request) -> JSONResponse:
        if request.method == "GET":
            return page_of("objects", [meta.object_out(o) for o in meta.objects.values()])
        body = await body_of(request)
        with em.db:
            obj = meta.create_object(body if isinstance(body, dict) else {})
        return JSONResponse({"data": {"createOneObject": meta.object_out(obj)}}, status_code=201)

    async def meta_object(request: Request) -> JSONResponse:
        object_id = request.path_params["id"]
        if request.method == "GET":
            return JSONResponse({"data": {"object": meta.object_out(meta.object_by_id(object_id))}})
        if request.method == "DELETE":
            obj = meta.object_by_id(object_id)
            if obj["isActive"]:
                raise ApiError(400, "Active objects cannot be deleted", "Bad Request")
            with em.db:
                meta.delete_object(object_id)
            records.drop_object(obj["nameSingular"])
            return JSONResponse({"data": {"deleteOneObject": {"id": object_id}}})
        body = await body_of(request)
        with em.db:
            obj = meta.update_object(object_id, body if isinstance(body, dict) else {})
        return JSONResponse({"data": {"updateOneObject": meta.object_out(obj)}})

    async def meta_fields(request: Request) -> JSONResponse:
        if request.method == "GET":
            return page_of("fields", [meta.field_out(o, f) for o in meta.objects.values() for f in o["fields"]])
        body = await body_of(request)
        with em.db:
            obj, field = meta.create_field(body if isinstance(body, dict) else {})
        key = stored_key(field)
        if key:
            records.add_column(obj["nameSingular"], key, default_value(field))
        records.index_uniques()
        return JSONResponse({"data": {"createOneField": meta.field_out(obj, field)}}, status_code=201)

    async def meta_field(request: Request) -> JSONResponse:
        field_id = request.path_params["id"]
        if request.method == "GET":
            return JSONResponse({"data": {"field": meta.field_out(*meta.field_by_id(field_id))}})
        if request.method == "DELETE":
            with em.db:
                obj, field = meta.delete_field(field_id)
            key = stored_key(field)
            if key:
                records.drop_column(obj["nameSingular"], key, unique_column(field)[0] if field["isUnique"] else None)
            return JSONResponse({"data": {"deleteOneField": {"id": field_id}}})
        body = await body_of(request)
        with em.db:
            obj, field = meta.update_field(field_id, body if isinstance(body, dict) else {})
        return JSONResponse({"data": {"updateOneField": meta.field_out(obj, field)}})

    async def graphql(request: Request) -> JSONResponse:
        if em.switches.profile == "2025-06":
            now = em.clock()
            em.graphql_calls = [t for t in em.graphql_calls if now - t < 100] + [now]
            if len(em.graphql_calls) > 500:
                return JSONResponse({"errors": [{"message": "Too many requests."}]})
        if request.url.path == "/metadata":
            return JSONResponse({"errors": [{"message": "The metadata GraphQL API is not emulated; use /rest/metadata.",
                                             "extensions": {"code": "NOT_IMPLEMENTED"}}]})
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        return JSONResponse(execute(records, body, profile=em.switches.profile, batch_cap=em.switches.batch_cap))

    async def faults(request: Request) -> JSONResponse:
        if request.method == "POST":
            try:
                em.set_switches(await request.json())
            except (ValueError, TypeError) as exc:
                return _error(400, "BadRequestException", str(exc))
        return JSONResponse(em.state())

    async def clock(request: Request) -> JSONResponse:
        em.clock_offset += float((await request.json()).get("advance", 0))
        return JSONResponse({"offset": em.clock_offset})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def members(request: Request) -> JSONResponse:  # staff who joined by invite before the migration (the demo)
        try:
            users = [(str(u["email"]).lower(), str(u.get("name") or "")) for u in (await request.json()).get("users", [])]
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return _error(400, "BadRequestException", str(exc))
        made = em.records.create("workspaceMember", [
            {"id": stable_id("invited", "member", email), "userId": stable_id("invited", "user", email), "userEmail": email,
             "name": {"firstName": name.partition(" ")[0], "lastName": name.partition(" ")[2]}} for email, name in users],
            upsert=True)
        return JSONResponse({email: row["id"] for (email, _), row in zip(users, made)})

    def guarded(handler: Any) -> Any:
        async def run(request: Request) -> JSONResponse:
            try:
                response: JSONResponse = await handler(request)
                return response
            except ApiError as exc:
                return JSONResponse(exc.body(), status_code=exc.status)
        return run

    api = [
        ("/rest/metadata/objects", meta_objects, ["GET", "POST"]),
        ("/rest/metadata/objects/{id}", meta_object, ["GET", "PATCH", "DELETE"]),
        ("/rest/metadata/fields", meta_fields, ["GET", "POST"]),
        ("/rest/metadata/fields/{id}", meta_field, ["GET", "PATCH", "DELETE"]),
        ("/rest/batch/{plural}", create_many, ["POST"]),
        ("/rest/{plural}", list_records, ["GET"]),
        ("/rest/{plural}", create_one, ["POST"]),
        ("/rest/{plural}/{id}/restore", restore, ["PATCH"]),
        ("/rest/{plural}/{id}", one_record, ["GET", "PATCH", "PUT", "DELETE"]),
        ("/graphql", graphql, ["POST"]),
        ("/metadata", graphql, ["POST"]),
    ]
    return [Route(path, guarded(h), methods=m) for path, h, m in api] + [
        Route("/_emulator/faults", faults, methods=["GET", "POST"]),
        Route("/_emulator/state", faults, methods=["GET"]),
        Route("/_emulator/clock", clock, methods=["POST"]),
        Route("/_emulator/users", members, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
    ]


REHEARSAL_SWITCHES: dict[str, Any] = {"throttle": False}
"""In-process rehearsals (`url = "local"`) run without throttling; `bridgework emulate twenty` keeps it."""


def create_app(state_path: Path | None = None, **switches: Any) -> Gate:
    """The Twenty emulator as an ASGI app; state in SQLite at `state_path` (None: in memory)."""
    settings = Switches()
    settings.update(Switches.from_env())
    settings.update(switches)
    emulator = TwentyEmulator(state_path, settings)
    app = Starlette(routes=_routes(emulator))
    app.state.emulator = emulator
    return Gate(app, emulator)
