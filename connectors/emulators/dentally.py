"""An emulator of Dentally's REST API (a source system), serving a practice SQLite file.

Behaviour follows reference/sources.md §4.1–4.4: `/v1/<resource>` lists with a
resource-named array and `meta` (page, total_count, total_pages), `/v1/<resource>/<id>`
with a singular envelope, Bearer token (401), mandatory User-Agent (403), `page` +
`per_page` (default 25, max 100, larger silently 25), `sort_by`/`sort_direction`,
`updated_after` where the API has it, `created_after/_before` on patients, appointments
only with `after` and `before`, invoices with `dated_on_after/_before`, money as strings,
and `x-ratelimit-*` headers counting requests per token per clock hour (429 when spent).
Every error is JSON.

Deterministic fault switches (keyword arguments, BRIDGEWORK_EMULATOR_* variables, or
POST /_emulator/faults with a JSON object):

| switch | effect |
|---|---|
| `unstable_every` N | every Nth list page (N, 2N, ...) is shifted by ~6 % of per_page rows, alternately back (repeats rows of the previous page, skips rows at its end) and forward (skips its first rows) |
| `throttle_every` N | every Nth API request answers 429 with Retry-After: 1 |
| `error_every` N | every Nth API request answers 503 |
| `hourly_limit` N | requests per token per clock hour (default 3,600; 0 = unlimited, no headers) |
| `now` EPOCH | freeze the clock (also `clock=` callable as a keyword argument) |
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.emulators._dentally_store import BadParameter, DentallyStore, Query, day, timestamp
from connectors.sources._dentally_catalog import BY_NAME

LOCAL_CREDENTIALS: dict[str, str] = {"BRIDGEWORK_DENTALLY_TOKEN": "bw-local-dentally-token"}

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
HOURLY_LIMIT = 3600
UNSTABLE_SHARE = 0.06
_ENV_PREFIX = "BRIDGEWORK_EMULATOR_"


@dataclass
class Switches:
    """The fault switches; 0 / None means off."""

    unstable_every: int = 0
    throttle_every: int = 0
    error_every: int = 0
    hourly_limit: int = HOURLY_LIMIT
    now: float | None = None

    def update(self, values: dict[str, Any]) -> None:
        """Set the named switches; unknown names are an error."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BadParameter(f"unknown switch(es): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        for name, value in values.items():
            setattr(self, name, None if value is None else (float(value) if name == "now" else int(value)))


def _switches(overrides: dict[str, Any]) -> Switches:
    switches = Switches()
    from_env = {
        f.name: os.environ[_ENV_PREFIX + f.name.upper()]
        for f in fields(switches)
        if os.environ.get(_ENV_PREFIX + f.name.upper())
    }
    switches.update(from_env)
    switches.update(overrides)
    return switches


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"type": code, "message": message}}, status_code=status, headers=headers)


class DentallyEmulator:
    """Request handling, rate accounting and faults over one practice file."""

    def __init__(self, store: DentallyStore, switches: Switches, clock: Callable[[], float] | None) -> None:
        self.store = store
        self.switches = switches
        self._clock = clock
        self._lock = threading.Lock()
        self.requests = 0
        self._used: dict[tuple[str, int], int] = {}

    def now(self) -> float:
        """The emulator's clock: frozen, injected or real."""
        if self.switches.now is not None:
            return self.switches.now
        return self._clock() if self._clock else time.time()

    def reset_counters(self) -> None:
        """Forget request counts (faults and the hourly budget)."""
        with self._lock:
            self.requests = 0
            self._used.clear()

    def _account(self, token: str) -> tuple[int, dict[str, str], bool]:
        """Count one request for `token`: (request number, rate headers, over the limit)."""
        now = self.now()
        hour = int(now // 3600)
        with self._lock:
            self.requests += 1
            number = self.requests
            used = self._used.get((token, hour), 0) + 1
            self._used[(token, hour)] = used
        limit = self.switches.hourly_limit
        if not limit:
            return number, {}, False
        headers = {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(0, limit - used)),
            "x-ratelimit-reset": str((hour + 1) * 3600),
        }
        return number, headers, used > limit

    async def api(self, request: Request) -> JSONResponse:
        """Every /v1 request: User-Agent, token, rate limit, faults, then the resource."""
        if not request.headers.get("user-agent", "").strip():
            return _error(403, "forbidden", "Requests must send a User-Agent header.")
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if token != LOCAL_CREDENTIALS["BRIDGEWORK_DENTALLY_TOKEN"]:
            return _error(401, "unauthorized", "The access token is missing, invalid, expired or revoked.")
        number, headers, spent = self._account(token)
        if spent:
            return _error(429, "rate_limited", "Hourly request limit reached; wait for the reset.", headers)
        every = self.switches
        if every.throttle_every and number % every.throttle_every == 0:
            return _error(429, "rate_limited", "Too many requests.", {**headers, "retry-after": "1"})
        if every.error_every and number % every.error_every == 0:
            return _error(503, "unavailable", "Service temporarily unavailable.", headers)
        try:
            response = self._resource(request)
        except BadParameter as exc:
            response = _error(400, "bad_request", str(exc))
        response.headers.update(headers)
        return response

    def _resource(self, request: Request) -> JSONResponse:
        parts = [p for p in request.path_params["path"].split("/") if p]
        if not parts or len(parts) > 2 or not self.store.has(parts[0]):
            return _error(404, "not_found", "No such resource.")
        spec = BY_NAME[parts[0]]
        if spec.single or len(parts) == 2:
            record = self.store.one(spec.name, parts[1] if len(parts) == 2 else "")
            if record is None:
                return _error(404, "not_found", f"No {spec.singular} with that id.")
            return JSONResponse({spec.singular: record})
        query, page, per_page = self._query(spec.name, request.query_params)
        total = self.store.count(query)
        return JSONResponse(
            {
                spec.name: self.store.page(query),
                "meta": {"page": page, "total_count": total, "total_pages": math.ceil(total / per_page)},
            }
        )

    def _query(self, resource: str, params: Any) -> tuple[Query, int, int]:
        spec = BY_NAME[resource]
        columns = self.store.columns[resource]
        page = _int(params.get("page"), 1)
        if page < 1:
            raise BadParameter("page must be 1 or more")
        per_page = _int(params.get("per_page"), DEFAULT_PER_PAGE)
        if not 1 <= per_page <= MAX_PER_PAGE:
            per_page = DEFAULT_PER_PAGE  # what the real API does with a larger value: silently the default
        sort_by = params.get("sort_by") or "id"
        if sort_by not in columns:
            raise BadParameter(f"sort_by must name a field of {resource}")
        direction = (params.get("sort_direction") or "asc").lower()
        if direction not in {"asc", "desc"}:
            raise BadParameter("sort_direction must be asc or desc")
        where: list[str] = []
        args: list[Any] = []

        def add(clause: str, value: Any) -> None:
            where.append(clause)
            args.append(value)

        if spec.delta and params.get("updated_after"):
            add("t.updated_at > ?", timestamp(params["updated_after"], "updated_after"))
        if resource == "patients":
            if params.get("created_after"):
                add("t.created_at > ?", timestamp(params["created_after"], "created_after"))
            if params.get("created_before"):
                add("t.created_at < ?", timestamp(params["created_before"], "created_before"))
            if params.get("active") in {"true", "false"}:
                add("t.active = ?", int(params["active"] == "true"))
            if params.get("site_id"):
                add("t.site_id = ?", params["site_id"])
        if resource == "appointments":
            if not params.get("after") or not params.get("before"):
                raise BadParameter("appointments need both after and before (ISO-8601)")
            add("t.start_time >= ?", timestamp(params["after"], "after"))
            add("t.start_time < ?", timestamp(params["before"], "before"))
            for name in ("patient_id", "practitioner_id"):
                if params.get(name):
                    add(f"t.{name} = ?", _int(params[name], -1))
            if params.get("site_id"):
                add("t.practitioner_id IN (SELECT id FROM practitioners WHERE site_id = ?)", params["site_id"])
        if resource == "invoices":
            if params.get("dated_on_after"):
                add("t.dated_on >= ?", day(params["dated_on_after"], "dated_on_after"))
            if params.get("dated_on_before"):
                add("t.dated_on <= ?", day(params["dated_on_before"], "dated_on_before"))
        offset = (page - 1) * per_page + self._shift(page, per_page)
        query = Query(resource, max(0, offset), per_page, sort_by, direction == "desc", tuple(where), tuple(args))
        return query, page, per_page

    def _shift(self, page: int, per_page: int) -> int:
        """Rows the unstable-ordering fault moves this page by (0 when off)."""
        every = self.switches.unstable_every
        if not every or page < 2 or page % every:
            return 0
        rows = max(1, round(per_page * UNSTABLE_SHARE))
        return -rows if (page // every) % 2 else rows

    async def faults(self, request: Request) -> JSONResponse:
        """GET the switches, or POST a JSON object of switches to set (counters reset)."""
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                return _error(400, "bad_request", "Send a JSON object of switches.")
            if not isinstance(body, dict):
                return _error(400, "bad_request", "Send a JSON object of switches.")
            try:
                self.switches.update(body)
            except (BadParameter, TypeError, ValueError) as exc:
                return _error(400, "bad_request", str(exc))
            self.reset_counters()
        return JSONResponse({**asdict(self.switches), "requests": self.requests})


def _int(value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise BadParameter("page, per_page and ids must be whole numbers") from None


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    messages = {404: "Not found.", 405: "Only GET is supported: the API is read only here."}
    return _error(status, "error", messages.get(status, "The request failed."))


def _ensure_practice(state_path: Path | None) -> Path:
    if state_path is None:
        import tempfile

        state_path = Path(tempfile.mkdtemp(prefix="bw-dentally-")) / "dentally.sqlite"
    if not state_path.exists() or state_path.stat().st_size == 0:
        from connectors.sources.demo import generate_practice

        state_path.unlink(missing_ok=True)
        generate_practice(state_path, patients=200, sites=2, seed=7, layout="dentally")
    return state_path


def create_app(state_path: Path | None, *, clock: Callable[[], float] | None = None, **switches: Any) -> Starlette:
    """The Dentally emulator as an ASGI app over `state_path` (a demo practice is generated when missing)."""
    store = DentallyStore(_ensure_practice(state_path))
    emulator = DentallyEmulator(store, _switches(switches), clock)

    async def not_found(request: Request) -> JSONResponse:
        return _error(404, "not_found", "No such endpoint; the API lives under /v1.")

    app = Starlette(
        routes=[
            Route("/v1/{path:path}", emulator.api, methods=["GET"]),
            Route("/_emulator/faults", emulator.faults, methods=["GET", "POST"]),
            Route("/{path:path}", not_found),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _http_error},
    )
    app.state.emulator = emulator
    return app
