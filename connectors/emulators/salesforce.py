"""A local Salesforce Sales Cloud org: REST v59.0, SOQL, sObject Collections, Tooling, OAuth (reference §2).

Behaviour follows reference/destinations.md §2 and its checklist §2.12. Where the reference is unsure,
we chose as follows (a real org can prove us wrong through tests/contract/test_salesforce.py):
- More than 200 records in one Collections call -> 400 `EXCEEDED_ID_LIMIT` `record limit reached. cannot
  submit more than 200 records into this call` (the wording jsforce users quote; reference §2.5 had code A).
- Two records of one Collections upsert sharing an external id both fail `DUPLICATE_VALUE` `Duplicate external
  id specified: <v>`; an external id matching several stored records fails `DUPLICATE_EXTERNAL_ID` with
  `matchingIds` (300 with candidate URLs in single-record REST). Both from third-party tools' code (R).
- Recycled records (DELETE -> IsDeleted, seen by queryAll only) free their unique/external-id values (open
  point §5.2). A second delete -> `ENTITY_IS_DELETED`; an unknown id -> `INVALID_CROSS_REFERENCE_KEY`.
- Unparsable dates, numbers and booleans fail the whole request (400 `JSON_PARSER_ERROR`, as the JSON
  deserialiser does); every other validation error is per record in Collections.
- Text values `''` are stored as null (Salesforce keeps no empty strings); numbers are rounded to the field's
  scale (currency 2). Both are silent changes a read-back diff sees; too-long text is loud (`STRING_TOO_LONG`).
- Unique and external-id matching ignores case (the default "case insensitive" unique setting).
- Custom objects are created with `POST /tooling/sobjects/CustomObject` {FullName, Metadata} (emulator
  simplification of SOAP `createMetadata`, §2.3); `DELETE /tooling/sobjects/CustomObject/<id>` removes one.
  Custom objects are visible to the API user at once; their custom fields, like all custom fields, need FLS.
- Field-level security: a new custom field is hidden from describe, SOQL and writes (`INVALID_FIELD`) until a
  `FieldPermissions` row with PermissionsRead sits in a `PermissionSet` assigned (`PermissionSetAssignment`)
  to the API user (`GET /services/oauth2/userinfo` gives its id). Switch fls_auto_grant skips this.
  `ObjectPermissions` records are accepted (the connector grants them for new custom objects) but not
  enforced: whether an admin API user needs them for a Metadata-created object is not settled.
- SOQL errors (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE) echo the query with a caret and
  `ERROR at Row:1:Column:N`, as client libraries' recorded responses show.
- Event needs DurationInMinutes or EndDateTime (REQUIRED_FIELD_MISSING [DurationInMinutes]); the other is
  derived. Task defaults Status "Not Started" and Priority "Normal" (restricted picklists).
- Relationship fields accept a parent by external id (`"Account": {"Ext__c": "v"}`, §2.4).
- Files (§2.10): a ContentVersion creates its ContentDocument (069) and, with FirstPublishLocationId, a
  ContentDocumentLink (ShareType V); ContentNote, classic Note and Case exist with the fields the eval cases use.
- Seeded org: the API user and three staff users (with emails), three Accounts, three Contacts and one
  Opportunity that bridgework must never touch (the contract suite checks their LastModifiedDate).
- Tooling clash codes: `DUPLICATE_DEVELOPER_NAME` with `There is already a field named <Name> on <Object>.`
- Bulk API 2.0 ingest (§2.6) runs jobs synchronously on close (_salesforce_bulk.py); bridgework loads through
  Collections and uses Bulk only for hardDelete when the org allows it.

Switches (keyword arguments of create_app, environment BRIDGEWORK_EMULATOR_<NAME>, or POST /_emulator/faults
with a JSON object): seeded, edition (Enterprise), fls_auto_grant (False), set_audit_fields (False),
daily_limit (100000), api_usage (requests counted so far), usage_window_seconds (0: the count never frees, as
within one day; > 0: a rolling window of that many seconds, the 24 hours scaled down so benches and tests
see requests free up in seconds), query_page_size (2000), fail_every (every Nth API
request fails), fail_next (the next K fail), fail_status (500 | 503), concurrency_next (the next K get the
ConcurrentPerOrgLongTxn 403), slow_ms, drop_every (every Nth write commits, then the connection drops),
bulk_hard_delete (the "Bulk API Hard Delete" permission, False), bulk_shuffle (Bulk results in reverse order).
POST /_emulator/faults {"revoke_sessions": true} expires every token the token endpoint issued (each call
issues a new one; the fixed LOCAL_TOKEN never expires). GET /_emulator/state reports switches, counters and
record counts.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import sqlite3
import time
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from connectors.destinations._salesforce_shape import EDITIONS
from connectors.emulators._switches import SwitchBoard, drop_after_commit
from connectors.emulators._salesforce_api import json_response, routes, transaction
from connectors.emulators._salesforce_bulk import BulkJobs, bulk_handlers
from connectors.emulators._salesforce_ids import IdMint
from connectors.emulators._salesforce_records import SEED_TIME, RecordStore
from connectors.emulators._salesforce_schema import MetadataStore

ORG_ID = "00D5g000004bWlKEAU"
# real tokens read `<org id>!<secret>`; the fixed local one has no `!`, so the `export` line the emulate banner prints
# pastes into an interactive bash without history expansion
LOCAL_TOKEN = f"{ORG_ID[:15]}.AQbwLocalSalesforceAccessToken.emulator"
LOCAL_CREDENTIALS = {
    "BRIDGEWORK_SALESFORCE_TOKEN": LOCAL_TOKEN,
    "BRIDGEWORK_SALESFORCE_CLIENT_ID": "3MVG9bwLocalEmulatorClientId",
    "BRIDGEWORK_SALESFORCE_CLIENT_SECRET": "bw-local-salesforce-client-secret",
}
SEED_USERS = (  # (username = email, last name, first name); the first is the API user every token belongs to
    ("admin@bridgework.local", "Admin", "Bridgework"), ("amy.patel@smiledental.example", "Patel", "Amy"),
    ("ben.okafor@smiledental.example", "Okafor", "Ben"), ("front.desk@smiledental.example", "Desk", "Front"))
_FAULT_BODIES = {500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you "
                                            "contact support: 1234567890-12345 (-1234567890)"),
                 503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable. Please try again later.")}
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass
class Switches(SwitchBoard):
    """Org settings and deterministic fault switches."""

    system: ClassVar[str] = "Salesforce"

    seeded: bool = True
    edition: str = "Enterprise"
    fls_auto_grant: bool = False
    set_audit_fields: bool = False
    daily_limit: int = 100_000
    api_usage: int = 0
    usage_window_seconds: float = 0.0
    query_page_size: int = 2000
    fail_every: int = 0
    fail_next: int = 0
    fail_status: int = 503
    concurrency_next: int = 0
    slow_ms: int = 0
    drop_every: int = 0
    bulk_hard_delete: bool = False
    bulk_shuffle: bool = False

    def check(self) -> None:
        """Impossible combinations are refused."""
        if self.edition not in EDITIONS:
            raise ValueError(f"edition must be one of {', '.join(EDITIONS)}")
        if self.fail_status not in _FAULT_BODIES:
            raise ValueError("fail_status must be 500 or 503")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse([{"message": message, "errorCode": code}], status_code=status, headers=headers,
                        media_type="application/json;charset=UTF-8")


class SalesforceEmulator:
    """State, switches and counters shared by the routes and the gate."""

    def __init__(self, state_path: Path | None, switches: Switches) -> None:
        self.switches = switches
        self.db = sqlite3.connect(str(state_path) if state_path else ":memory:", check_same_thread=False,
                                  isolation_level=None)
        if state_path:
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.mint = IdMint(self.db)
        self.meta = MetadataStore(self.db, self.mint, edition=switches.edition,
                                  auto_grant=lambda: self.switches.fls_auto_grant,
                                  audit_fields=lambda: self.switches.set_audit_fields)
        self.records = RecordStore(self.db, self.meta, self.mint, lambda: datetime.now(timezone.utc))
        self.jobs = BulkJobs(self.db, self.meta, self.records, self.mint,
                             hard_delete_allowed=lambda: self.switches.bulk_hard_delete,
                             shuffle=lambda: self.switches.bulk_shuffle)
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        self.counters = {"requests": 0, "writes": 0, "faults": 0, "dropped": 0, "refused_quota": 0, "sessions": 0}
        self.usage_log: deque[float] = deque()  # when each counted request came, for a rolling usage window
        self.sessions: set[str] = set()
        if switches.seeded and not self.db.execute("SELECT 1 FROM records LIMIT 1").fetchone():
            self._seed()

    def add_users(self, users: list[dict[str, Any]]) -> dict[str, str]:
        """Users who already log in to the org (POST /_emulator/users {"users": [{"name", "email"}]}: the demo's
        staff); username = email; an existing username is kept. Returns email -> User id."""
        meta, out = self.meta.get("User"), {}
        with transaction(self.db):
            for user in users:
                email = str(user["email"]).strip().lower()
                found = self.db.execute("SELECT id FROM records WHERE object = 'User' AND "
                                        "lower(json_extract(data, '$.Username')) = ?", (email,)).fetchone()
                if found:
                    out[email] = str(found[0])
                    continue
                first, _, last = str(user.get("name") or email).partition(" ")
                user_id = self.mint.new("005")
                data = {"Id": user_id, "Username": email, "LastName": last or first, "FirstName": first if last else None,
                        "Name": f"{first} {last}".strip(), "Email": email, "Alias": (first[:1] + last)[:8].lower(),
                        "IsActive": True, "Title": None, "CreatedDate": SEED_TIME, "LastModifiedDate": SEED_TIME,
                        "SystemModstamp": SEED_TIME, "CreatedById": self.mint.api_user,
                        "LastModifiedById": self.mint.api_user}
                self.db.execute("INSERT INTO records (id, object, data) VALUES (?, 'User', json(?))", (user_id, json.dumps(data)))
                self.records.index(meta, user_id, data)
                out[email] = user_id
        return out

    def _seed(self) -> None:
        """The API user, a few staff users and pre-existing org records bridgework must never touch."""
        store, meta = self.records, self.meta
        with transaction(self.db):
            for n, (username, last, first) in enumerate(SEED_USERS, 1):
                user_id = self.mint.fixed("005", n)
                data = {"Id": user_id, "Username": username, "LastName": last, "FirstName": first,
                        "Name": f"{first} {last}", "Email": username, "Alias": (first[0] + last)[:8].lower(),
                        "IsActive": True, "Title": None, "CreatedDate": SEED_TIME, "LastModifiedDate": SEED_TIME,
                        "SystemModstamp": SEED_TIME, "CreatedById": self.mint.api_user,
                        "LastModifiedById": self.mint.api_user}
                self.db.execute("INSERT INTO records (id, object, data) VALUES (?, 'User', json(?))",
                                (user_id, json.dumps(data)))
                store.index(meta.get("User"), user_id, data)
            account = meta.get("Account")
            edge = store.create(account, {"Name": "Edge Communications", "Type": "Customer - Direct",
                                          "BillingCity": "Austin", "Phone": "(512) 757-6000"}, seeded_at=SEED_TIME)
            store.create(account, {"Name": "Burlington Textiles Corp of America", "BillingCity": "Burlington"},
                         seeded_at=SEED_TIME)
            store.create(account, {"Name": "Sample Account for Entitlements"}, seeded_at=SEED_TIME)
            contact = meta.get("Contact")
            for first, last, email in (("Rose", "Gonzalez", "rose@edge.example"), ("Sean", "Forbes", "sean@edge.example"),
                                       ("Jack", "Rogers", "jrogers@burlington.example")):
                store.create(contact, {"FirstName": first, "LastName": last, "Email": email, "AccountId": edge},
                             seeded_at=SEED_TIME)
            store.create(meta.get("Opportunity"), {"Name": "Edge Emergency Generator", "StageName": "Prospecting",
                                                   "CloseDate": "2024-06-30", "AccountId": edge, "Amount": 75000},
                         seeded_at=SEED_TIME)

    def limits(self) -> tuple[int, int]:
        """(requests used in the rolling day, daily allocation)."""
        self.free_usage()
        return self.switches.api_usage, self.switches.daily_limit

    def free_usage(self) -> None:
        """With a rolling usage window, requests older than it stop counting (usage set by hand stays)."""
        window = self.switches.usage_window_seconds
        if window <= 0:
            return
        now = time.monotonic()
        while self.usage_log and now - self.usage_log[0] >= window:
            self.usage_log.popleft()
            self.switches.api_usage = max(0, self.switches.api_usage - 1)

    def count_request(self) -> None:
        """One more request toward the allocation."""
        self.switches.api_usage += 1
        if self.switches.usage_window_seconds > 0:
            self.usage_log.append(time.monotonic())

    def page_size(self) -> int:
        """Records per SOQL page."""
        return max(1, self.switches.query_page_size)

    def limit_header(self) -> tuple[bytes, bytes]:
        """The Sforce-Limit-Info header every API response carries."""
        used, limit = self.limits()
        return b"sforce-limit-info", f"api-usage={used}/{limit}".encode()

    def state(self) -> dict[str, Any]:
        """Switches, counters and live record counts."""
        custom = [o["FullName"] for o in self.meta.tooling_objects()]
        return {"switches": asdict(self.switches), "counters": dict(self.counters), "records": self.records.counts(),
                "custom_objects": custom, "custom_fields": [f["FullName"] for f in self.meta.tooling_fields()],
                "api_user": self.mint.api_user}


class Gate:
    """ASGI wrapper: bearer auth, daily quota, usage header and injected faults in front of the API."""

    def __init__(self, app: Any, emulator: SalesforceEmulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        api = path.startswith("/services/data/v") or path.startswith("/services/oauth2/userinfo")
        if scope["type"] != "http" or not api:
            await self.app(scope, receive, send)
            return
        em, s = self.emulator, self.emulator.switches
        headers = dict(scope["headers"])
        token = headers.get(b"authorization", b"").decode().removeprefix("Bearer ")
        if token != LOCAL_TOKEN and token not in em.sessions:
            await _error(401, "INVALID_SESSION_ID", "Session expired or invalid")(scope, receive, send)
            return
        em.free_usage()
        if s.api_usage >= s.daily_limit:
            em.counters["refused_quota"] += 1
            header = dict([(k.decode(), v.decode()) for k, v in [em.limit_header()]])
            await _error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", header)(scope, receive, send)
            return
        em.count_request()
        em.counters["requests"] += 1
        response = self._fault()
        if response is not None:
            await response(scope, receive, self._with_usage(send))
            return
        if s.slow_ms:
            await asyncio.sleep(s.slow_ms / 1000)
        if scope["method"] in _WRITES:
            em.counters["writes"] += 1
            if s.drop_every and em.counters["writes"] % s.drop_every == 0:
                em.counters["dropped"] += 1
                await drop_after_commit(self.app, scope, receive, send)
                return
        await self.app(scope, receive, self._with_usage(send))

    def _fault(self) -> Response | None:
        em, s = self.emulator, self.emulator.switches
        if s.concurrency_next > 0:
            s.concurrency_next -= 1
            em.counters["faults"] += 1
            return _error(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")
        due = False
        if s.fail_next > 0:
            s.fail_next -= 1
            due = True
        elif s.fail_every and em.counters["requests"] % s.fail_every == 0:
            due = True
        if not due:
            return None
        em.counters["faults"] += 1
        return _error(s.fail_status, *_FAULT_BODIES[s.fail_status])

    def _with_usage(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self.emulator.limit_header()]}
            await send(message)
        return wrapped


def _oauth_routes(em: SalesforceEmulator) -> list[Route]:
    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type", "error_description": "grant type not supported"},
                                status_code=400)
        if form.get("client_id") != LOCAL_CREDENTIALS["BRIDGEWORK_SALESFORCE_CLIENT_ID"]:
            return JSONResponse({"error": "invalid_client_id", "error_description": "client identifier invalid"},
                                status_code=400)
        if form.get("client_secret") != LOCAL_CREDENTIALS["BRIDGEWORK_SALESFORCE_CLIENT_SECRET"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "authentication failure"},
                                status_code=400)
        issued = str(int(time.time() * 1000))
        em.counters["sessions"] += 1
        access_token = f"{ORG_ID[:15]}!AQbwSession{em.counters['sessions']:06d}"
        em.sessions.add(access_token)
        identity = f"https://login.salesforce.com/id/{ORG_ID}/{em.mint.api_user}"
        signature = base64.b64encode(hashlib.sha256(f"{identity}{issued}".encode()).digest()).decode()
        return JSONResponse({"access_token": access_token, "instance_url": str(request.base_url).rstrip("/"),
                             "id": identity, "token_type": "Bearer", "issued_at": issued, "signature": signature,
                             "scope": "api"})

    async def userinfo(request: Request) -> Response:
        user = em.records.row(em.mint.api_user)
        email = user[1]["Email"] if user else SEED_USERS[0][0]
        return JSONResponse({"sub": f"https://login.salesforce.com/id/{ORG_ID}/{em.mint.api_user}",
                             "user_id": em.mint.api_user, "organization_id": ORG_ID,
                             "preferred_username": SEED_USERS[0][0], "email": email})

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                values = dict(await request.json())
                if "edition" in values or "seeded" in values:
                    raise ValueError("edition and seeded are start-up options")
                if values.pop("revoke_sessions", False):
                    em.sessions.clear()  # every token the token endpoint issued expires (the fixed local one stays)
                em.switches.update(values)
                em.meta.invalidate()
            except (ValueError, TypeError) as exc:
                return _error(400, "INVALID_INPUT", str(exc))
        return json_response(em.state())

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def users(request: Request) -> Response:
        try:
            return JSONResponse(em.add_users(list((await request.json()).get("users", []))))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return _error(400, "INVALID_INPUT", str(exc))

    return [Route("/services/oauth2/token", token, methods=["POST"]),
            Route("/services/oauth2/userinfo", userinfo, methods=["GET"]),
            Route("/_emulator/faults", faults, methods=["GET", "POST"]),
            Route("/_emulator/state", faults, methods=["GET"]),
            Route("/_emulator/users", users, methods=["POST"]),
            Route("/healthz", health, methods=["GET"])]


def create_app(state_path: Path | None = None, **switches: Any) -> Any:
    """The Salesforce emulator as an ASGI app; state in SQLite at `state_path` (None: in memory)."""
    settings = Switches()
    settings.update(Switches.from_env())
    settings.update(switches)
    emulator = SalesforceEmulator(state_path, settings)
    app = Starlette(routes=_oauth_routes(emulator) + routes(emulator, bulk_handlers(emulator.jobs)))
    app.state.emulator = emulator
    gate = Gate(app, emulator)
    gate.state = app.state  # type: ignore[attr-defined]
    return gate
