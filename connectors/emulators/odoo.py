"""A local Odoo 18 (Community + crm) that speaks XML-RPC, JSON-RPC and Odoo 19's JSON-2, backed by SQLite.

Follows reference/destinations.md §4 (checklist §4.9). Behaviours checked against odoo/odoo sources
found with the code search (recorded here because the reference leaves them open or marks them R/A):
- JSON-2 (odoo/addons/test_http/tests/test_webjson2.py): error body keys are exactly name, message,
  arguments, context, debug; missing auth -> 401 `User not authenticated, use the "Authorization" header`
  with `WWW-Authenticate: bearer`; bad argument sets -> 422 werkzeug UnprocessableEntity (`missing a
  required argument: 'domain'`, `cannot call res.users.create with ids`); ValueError -> 500; AccessError -> 403.
  UserError/ValidationError -> 422 and MissingError -> 404 follow `http_status` in odoo/exceptions.py.
- XML-RPC (odoo/addons/base/controllers/rpc.py): faults 1 (traceback), 2 (UserError family), 3 (AccessDenied,
  "Access Denied"), 4 (AccessError); /xmlrpc/<service> (legacy) uses string fault codes.
- Unknown model -> UserError `Object <model> doesn't exist` (fault 2); unknown method -> AttributeError (fault 1).
- An unknown field in create/write/read vals -> ValueError `Invalid field 'x' on model 'y'` (fault 1): Odoo 14+
  raises where 10-12 only logged "create() includes unknown fields" (odoo/models.py, both versions seen).
- Login cooldown: counted here per emulator; Odoo keys it by database and client IP (base.login_cooldown_*).
- `unlink` of an id that no longer exists returns True (reference §4.6 marks this A: confirm on a real server).
- Datetime strings must be `YYYY-MM-DD[ HH:MM:SS]` (an ISO `T` is a ValueError, as fields.Datetime does).
- Html is stored as given (no sanitiser); message_post escapes plain-text bodies (newlines become <br>).

POST /_emulator/users {"users": [{"name", "email"}]} adds internal users (login = email), as if the
practice's staff already had Odoo logins; the demo uses it so owner resolution has users to match.

The local admin's password doubles as its API key (real Odoo keeps them apart), so one credential works
for JSON-RPC, XML-RPC and JSON-2.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
import traceback
import xmlrpc.client
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from connectors.emulators._odoo_api import BadArguments, execute_kw, json2
from connectors.emulators._odoo_domain import AccessDenied, AccessError, MissingError, OdooError
from connectors.emulators._odoo_orm import OdooStore

DB_NAME = "bridgework"
ADMIN_UID = 2
LOCAL_PASSWORD = "bw-local-odoo-3f9c2a7e51d84b06"
LOCAL_CREDENTIALS = {
    "BRIDGEWORK_ODOO_DB": DB_NAME,
    "BRIDGEWORK_ODOO_USER": "admin",
    "BRIDGEWORK_ODOO_PASSWORD": LOCAL_PASSWORD,
}
VERSION = {"server_version": "18.0", "server_version_info": [18, 0, 0, "final", 0, ""], "server_serie": "18.0", "protocol_version": 1}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class FaultSwitches:
    """Deterministic faults, counted over data calls (object service and JSON-2), 1-based."""

    fail_every: int = 0
    fail_status: int = 503
    drop_after_commit_every: int = 0
    slow_every: int = 0
    slow_seconds: float = 0.0
    limit_time_real: float = 120.0
    login_cooldown_after: int = 5
    login_cooldown_seconds: float = 60.0
    only_method: str = ""  # when set, only calls of this method count and fail

    @classmethod
    def build(cls, overrides: dict[str, Any]) -> FaultSwitches:
        """Defaults, then BRIDGEWORK_EMULATOR_<NAME> environment variables, then keyword arguments."""
        switches = cls()
        for f in fields(cls):
            raw = os.environ.get(f"BRIDGEWORK_EMULATOR_{f.name.upper()}")
            if raw:
                setattr(switches, f.name, type(getattr(switches, f.name))(raw))
        switches.update(overrides)
        return switches

    def update(self, values: dict[str, Any]) -> None:
        """Set the named switches (unknown names raise ValueError)."""
        known = {f.name for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown fault switch {name!r}; known: {', '.join(sorted(known))}")
            setattr(self, name, type(getattr(self, name))(value))

    def hit(self, every: int, call: int) -> bool:
        """True when this call is one the switch picks."""
        return every > 0 and call % every == 0


class DroppedConnection(Exception):
    """Raised after the response has started, so uvicorn closes the socket mid-response."""


def _dotted(exc: BaseException) -> str:
    if isinstance(exc, OdooError):
        return exc.dotted
    module = type(exc).__module__
    return f"{module}.{type(exc).__qualname__}"


def _message(exc: BaseException) -> str:
    return exc.message if isinstance(exc, OdooError) else str(exc.args[0] if len(exc.args) == 1 else exc)


def _clean(value: Any) -> Any:
    """XML-RPC output: control characters (except tab, LF, CR) stripped, as Odoo's marshaller does."""
    if isinstance(value, str):
        return CONTROL.sub("", value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class OdooEmulator:
    """The ASGI app: routes, authentication, fault switches."""

    def __init__(self, state_path: Path | None, switches: FaultSwitches) -> None:
        self.store = OdooStore(state_path)
        self.switches = switches
        self.calls = 0
        self.methods: dict[str, int] = {}
        self.login_failures = 0
        self.last_failure = 0.0
        with self.store.transaction():
            self.store.db.execute("INSERT OR REPLACE INTO _auth (uid, password, api_key) VALUES (?, ?, ?)",
                                  (ADMIN_UID, LOCAL_PASSWORD, LOCAL_PASSWORD))

    # -- ASGI -------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        try:
            status, content_type, payload, extra = await self.route(scope["method"], path, headers, body)
        except DroppedConnection:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/xml"), (b"content-length", b"4096")]})
            await send({"type": "http.response.body", "body": b"<", "more_body": True})
            return  # uvicorn closes the connection: the client sees an incomplete response
        raw = payload if isinstance(payload, bytes) else payload.encode()
        response_headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(raw)).encode())]
        response_headers += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": raw})

    async def route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, Any, dict[str, str]]:
        """Dispatch one request: (status, content type, body, extra headers)."""
        if path == "/_emulator/state":
            return 200, "application/json", json.dumps(self.state()), {}
        if path == "/_emulator/faults" and method == "POST":
            try:
                self.switches.update(json.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                return 400, "application/json", json.dumps({"error": str(exc)}), {}
            self.calls = 0
            self.methods = {}
            return 200, "application/json", json.dumps(self.state()), {}
        if path == "/_emulator/users" and method == "POST":
            try:
                return 200, "application/json", json.dumps(self.seed_users(json.loads(body or b"{}").get("users", []))), {}
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                return 400, "application/json", json.dumps({"error": str(exc)}), {}
        if method == "POST" and path.startswith("/xmlrpc/"):
            legacy = not path.startswith("/xmlrpc/2/")
            service = path.rsplit("/", 1)[-1]
            return await self.xmlrpc(service, body, legacy)
        if method == "POST" and path == "/jsonrpc":
            return await self.jsonrpc(body)
        if method == "POST" and path.startswith("/json/2/"):
            return await self.json2(path, headers, body)
        if path in ("/web/webclient/version_info", "/web/version"):
            return 200, "application/json", json.dumps(VERSION), {}
        return 404, "text/html; charset=utf-8", "<h1>Not Found</h1><p>The requested URL was not found on the server.</p>", {}

    def seed_users(self, users: list[dict[str, str]]) -> dict[str, int]:
        """Internal users that already have a login (POST /_emulator/users {"users": [{"name", "email"}]}).

        The practice's staff usually log in to the CRM before a migration; login = email. An existing
        login is kept. Returns login -> user id.
        """
        from connectors.emulators._odoo_orm import Env

        out: dict[str, int] = {}
        with self.store.transaction():
            model = self.store.model("res.users")
            for user in users:
                login = str(user["email"]).strip().lower()
                found = self.store.q("SELECT id FROM res_users WHERE login=?", (login,))
                out[login] = found[0][0] if found else self.store.create(
                    Env(ADMIN_UID), model, [{"name": str(user.get("name") or login), "login": login, "email": login}])[0]
        return out

    def state(self) -> dict[str, Any]:
        """Switches, the call counter and record counts per model (GET /_emulator/state)."""
        counts = {name: self.store.q(f"SELECT COUNT(*) FROM {m.table}")[0][0] for name, m in sorted(self.store.models.items())}
        return {"calls": self.calls, "methods": self.methods, "switches": asdict(self.switches), "counts": counts,
                "state_path": str(self.store.path)}

    # -- faults -----------------------------------------------------------
    async def _data_call(self, model: str, method: str, run: Any) -> Any:
        """Apply the fault switches around one data call; `run(commit)` does the work."""
        label = f"{model}.{method}"
        self.methods[label] = self.methods.get(label, 0) + 1
        s = self.switches
        if s.only_method and method != s.only_method:
            return run(True)
        self.calls += 1
        call = self.calls
        if s.hit(s.fail_every, call):
            raise _HTTPFailure(s.fail_status)
        if s.hit(s.slow_every, call):
            if s.slow_seconds >= s.limit_time_real:
                await asyncio.sleep(s.limit_time_real)
                with contextlib.suppress(Exception):
                    run(False)  # the worker is killed past limit_time_real: its transaction never commits
                raise DroppedConnection()
            await asyncio.sleep(s.slow_seconds)
        result = run(True)
        if s.hit(s.drop_after_commit_every, call):
            raise DroppedConnection()
        return result

    # -- auth -------------------------------------------------------------
    def authenticate(self, db: str, login: str, password: str) -> int | bool:
        """uid, or False for bad credentials and during the login cooldown."""
        self._check_db(db)
        s = self.switches
        if self.login_failures >= s.login_cooldown_after and time.monotonic() - self.last_failure < s.login_cooldown_seconds:
            return False
        rows = self.store.q("SELECT u.id FROM res_users u JOIN _auth a ON a.uid = u.id WHERE u.login=? AND u.active=1 "
                            "AND (a.password=? OR a.api_key=?)", (login, password, password))
        if not rows:
            self.login_failures += 1
            self.last_failure = time.monotonic()
            return False
        self.login_failures = 0
        return int(rows[0][0])

    def check(self, db: str, uid: Any, password: Any) -> int:
        """The uid when (uid, password or API key) is valid, else AccessDenied."""
        self._check_db(db)
        rows = self.store.q("SELECT 1 FROM _auth a JOIN res_users u ON u.id = a.uid WHERE a.uid=? AND u.active=1 "
                            "AND (a.password=? OR a.api_key=?)", (uid if isinstance(uid, int) else -1, password, password))
        if not rows:
            raise AccessDenied()
        return int(uid)

    def _check_db(self, db: str) -> None:
        if db != DB_NAME:
            raise RuntimeError(f'connection to server failed: FATAL:  database "{db}" does not exist')

    def dispatch(self, service: str, method: str, params: list[Any]) -> Any:
        """The common/db services (the object service goes through `object_call`)."""
        if service == "common":
            if method == "version":
                return VERSION
            if method in ("authenticate", "login"):
                db, login, password = params[:3]
                return self.authenticate(db, login, password)
            if method == "about":
                return "See http://openerp.com"
        if service == "db" and method == "list":
            return [DB_NAME]
        if service == "db" and method == "server_version":
            return VERSION["server_version"]
        raise NameError(f"Method not available {method}")

    @staticmethod
    def _target(params: Any) -> tuple[str, str]:
        """(model, method) of an execute/execute_kw call, for counters and `only_method`."""
        return (str(params[3]), str(params[4])) if len(params) > 4 else ("", "")

    def object_runner(self, method: str, params: list[Any]) -> Any:
        """A closure running execute/execute_kw with commit on or off."""
        if method not in ("execute_kw", "execute"):
            raise NameError(f"Method not available {method}")
        db, uid, password, model, model_method, *rest = params
        uid = self.check(db, uid, password)
        if method == "execute_kw":
            args = rest[0] if rest else []
            kwargs = rest[1] if len(rest) > 1 else {}
        else:
            args, kwargs = rest, {}
        return lambda commit: execute_kw(self.store, uid, model, model_method, args, kwargs, commit)

    # -- protocols --------------------------------------------------------
    async def xmlrpc(self, service: str, body: bytes, legacy: bool) -> tuple[int, str, Any, dict[str, str]]:
        """XML-RPC: HTTP 200 with <params> or <fault>."""
        content = "text/xml; charset=utf-8"
        try:
            params, method = xmlrpc.client.loads(body)
            if service == "object":
                result = await self._data_call(*self._target(params), self.object_runner(method or "", list(params)))
            else:
                result = self.dispatch(service, method or "", list(params))
            return 200, content, xmlrpc.client.dumps((_clean(result),), methodresponse=True, allow_none=False), {}
        except _HTTPFailure as failure:
            return failure.response()
        except DroppedConnection:
            raise
        except Exception as exc:
            return 200, content, xmlrpc.client.dumps(self._fault(exc, legacy)), {}

    def _fault(self, exc: Exception, legacy: bool) -> xmlrpc.client.Fault:
        if legacy:
            if isinstance(exc, AccessDenied):
                return xmlrpc.client.Fault("AccessDenied", str(exc))
            if isinstance(exc, OdooError):
                kind = "MissingError" if isinstance(exc, MissingError) else "AccessError" if isinstance(exc, AccessError) else "UserError"
                return xmlrpc.client.Fault(f"warning -- {kind}\n\n{exc.message}", "")
            return xmlrpc.client.Fault(str(exc), traceback.format_exc())
        if isinstance(exc, OdooError):
            return xmlrpc.client.Fault(exc.fault_code, exc.message)
        return xmlrpc.client.Fault(1, traceback.format_exc())

    async def jsonrpc(self, body: bytes) -> tuple[int, str, Any, dict[str, str]]:
        """JSON-RPC 2.0 over POST /jsonrpc: {"result": ...} or {"error": {"code": 200, "data": {"name": ...}}}."""
        content = "application/json"
        request_id = None
        try:
            request = json.loads(body)
            request_id = request.get("id")
            params = request.get("params") or {}
            service, method, args = params.get("service"), params.get("method"), list(params.get("args") or [])
            if service == "object":
                result = await self._data_call(*self._target(args), self.object_runner(method, args))
            else:
                result = self.dispatch(service, method, args)
            return 200, content, json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}), {}
        except _HTTPFailure as failure:
            return failure.response()
        except DroppedConnection:
            raise
        except Exception as exc:
            error = {"code": 200, "message": "Odoo Server Error", "data": self._error_data(exc)}
            return 200, content, json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}), {}

    def _error_data(self, exc: Exception) -> dict[str, Any]:
        message = _message(exc)
        return {"name": _dotted(exc), "debug": traceback.format_exc(), "message": message, "arguments": [message], "context": {}}

    async def json2(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, Any, dict[str, str]]:
        """Odoo 19 JSON-2: POST /json/2/<model>/<method>, bearer API key, plain JSON result, HTTP status errors."""
        content = "application/json; charset=utf-8"
        database = headers.get("x-odoo-database")
        if database is not None and database != DB_NAME:
            return 404, "text/html; charset=utf-8", "<p>The requested URL was not found in the server-wide controllers.</p>", {}
        parts = path[len("/json/2/"):].split("/")
        if len(parts) != 2:
            return 404, "text/html; charset=utf-8", "<h1>Not Found</h1>", {}
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return self._json2_error(401, "werkzeug.exceptions.Unauthorized", 'User not authenticated, use the "Authorization" header',
                                     {"WWW-Authenticate": "bearer"})
        key = auth.split(" ", 1)[1].strip()
        rows = self.store.q("SELECT a.uid FROM _auth a JOIN res_users u ON u.id=a.uid WHERE a.api_key=? AND u.active=1", (key,))
        if not rows:
            return self._json2_error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey", {"WWW-Authenticate": "bearer"})
        try:
            payload = json.loads(body or b"{}")
        except ValueError as exc:
            return self._json2_error(400, "werkzeug.exceptions.BadRequest", f"could not parse the body as json: {exc}")
        if not isinstance(payload, dict):
            return self._json2_error(400, "werkzeug.exceptions.BadRequest", "could not parse the body, expecting a json object")
        uid = int(rows[0][0])
        try:
            result = await self._data_call(parts[0], parts[1], lambda commit: json2(self.store, uid, parts[0], parts[1], payload, commit))
            return 200, content, json.dumps(result), {}
        except _HTTPFailure as failure:
            return failure.response()
        except DroppedConnection:
            raise
        except BadArguments as exc:
            return self._json2_error(422, "werkzeug.exceptions.UnprocessableEntity", str(exc))
        except Exception as exc:
            status = exc.http_status if isinstance(exc, OdooError) else 500
            data = self._error_data(exc)
            data["arguments"] = [data["message"]]
            body_out = {k: data[k] for k in ("name", "message", "arguments", "context", "debug")}
            return status, content, json.dumps(body_out), {}

    def _json2_error(self, status: int, name: str, message: str, extra: dict[str, str] | None = None) -> tuple[int, str, Any, dict[str, str]]:
        body = {"name": name, "message": message, "arguments": [message, status], "context": {}, "debug": ""}
        return status, "application/json; charset=utf-8", json.dumps(body), extra or {}


class _HTTPFailure(Exception):
    """An injected 5xx, as a proxy in front of a busy Odoo answers."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status

    def response(self) -> tuple[int, str, Any, dict[str, str]]:
        return self.status, "text/html", f"<html><body><h1>{self.status} Service Unavailable</h1></body></html>", {}


def create_app(state_path: Path | None = None, **switches: Any) -> OdooEmulator:
    """The Odoo emulator as an ASGI app; state in SQLite at `state_path` (None: a temporary file)."""
    return OdooEmulator(state_path, FaultSwitches.build(switches))


__all__ = ["LOCAL_CREDENTIALS", "FaultSwitches", "OdooEmulator", "create_app"]
