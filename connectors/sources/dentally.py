"""DentallySource: reads a Dentally practice over its REST API (`/v1`, Bearer token), read only.

- Lists with `page` + `per_page` (≤ 100) sorted by id; repeats dropped and skipped records
  re-fetched (see `_dentally_pages`).
- Delta: `updated_after` where the API has it; other resources (appointments included) are
  read in full and filtered on `updated_at` here.
- Appointments need an `after`/`before` window: the practice's range is found with two
  one-record requests (earliest and latest `start_time`), then read in 90-day windows.
- Pacing: `x-ratelimit-*` headers through `Pacer.observe` (3,600 requests per clock hour);
  429, 5xx and the temporary 403 of a spent hour back off with jitter until the reset.
- Values: money strings (also with a currency sign) -> Decimal, dates -> date, times ->
  aware datetime, nested objects -> JSON text, empty strings -> None.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from connectors.base import Page, Record
from connectors.http import Pacer, RetryPolicy, UnreachableError, Verdict, classify_response, make_client, send
from connectors.secrets import require_secret
from connectors.sources._dentally_catalog import BY_NAME, RESOURCES, TYPES, ResourceSpec, guess_type
from connectors.sources._dentally_pages import PagePaginator, Raw, StreamState
from mapper.errors import ConfigError, SourceError
from mapper.schema import Entity, Field, FieldType, Schema

DEFAULT_URL = "https://api.dentally.co"
TOKEN_ENV = "BRIDGEWORK_DENTALLY_TOKEN"
MAX_PER_PAGE = 100
WINDOW_DAYS = 90
PROFILE_SAMPLE = 500
# A window wide enough to hold any practice's diary, for range discovery and counts.
_EVER = ("1970-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
# Filters the API documents per resource (sources.md §4.2); other resources are never filtered by site.
_SITE_FILTERED = frozenset({"patients", "appointments"})
_CURRENCY = re.compile(r"[£$€,\s]")
_NATIVE: dict[str, str] = {
    "money": "string (decimal)", "datetime": "string (ISO-8601)", "date": "string (YYYY-MM-DD)",
    "bool": "boolean", "int": "integer", "decimal": "string (decimal)", "json": "object or array",
}


def _time(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(value: Any) -> Any:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    text = _CURRENCY.sub("", str(value))
    if text.startswith("-") or text.startswith("+"):
        sign, text = text[0], text[1:]
    else:
        sign = ""
    try:
        return Decimal(sign + text)
    except InvalidOperation:
        return value  # left as sent: validation reports it, nothing is guessed


def _convert(kind: FieldType, value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    try:
        if kind == "money" or kind == "decimal":
            return _money(value)
        if kind == "date" and isinstance(value, str):
            return date.fromisoformat(value[:10])
        if kind == "datetime" and isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except ValueError:
        return value
    return value


def typed(spec: ResourceSpec, raw: Raw) -> Record:
    """An API record as bridgework values (Decimal money, dates, aware datetimes, JSON text)."""
    types = TYPES[spec.name]
    return {name: _convert(types.get(name) or guess_type(name), value) for name, value in raw.items()}


def _matches(raw: Raw, params: Mapping[str, Any]) -> bool:
    """Whether a record fetched by id belongs to the listing `params` describe (window, site, delta)."""
    if "after" in params:
        start = _convert("datetime", raw.get("start_time"))
        if not isinstance(start, datetime) or not _convert("datetime", params["after"]) <= start < _convert("datetime", params["before"]):
            return False
    if "site_id" in params and raw.get("site_id") != params["site_id"]:
        return False
    if "updated_after" in params:
        stamp = _convert("datetime", raw.get("updated_at"))
        return isinstance(stamp, datetime) and stamp > _convert("datetime", params["updated_after"])
    return True


def _cursor(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        state = json.loads(text)
    except ValueError:
        state = None
    if not isinstance(state, dict):
        raise SourceError("The Dentally cursor is not one bridgework wrote.", hint="Start the read again without it.")
    return state


def _classify(response: httpx.Response) -> Verdict:
    # A spent hour sometimes answers 403 instead of 429 (sources.md §4.1): wait for the reset.
    if response.status_code == 403 and response.headers.get("x-ratelimit-remaining", "").strip() == "0":
        return "retryable"
    return classify_response(response)


class DentallySource:
    """A Dentally practice, read over HTTP (client injectable for tests)."""

    name = "dentally"

    def __init__(
        self,
        client: httpx.Client,
        *,
        site_id: str | None = None,
        policy: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        profile_sample: int = PROFILE_SAMPLE,
    ) -> None:
        self.client = client
        self.site_id = site_id
        self.policy = policy or RetryPolicy()
        self.pacer = pacer or Pacer(None, 3600.0)
        self.profile_sample = profile_sample
        self.shortfalls: dict[str, int] = {}
        host = urlsplit(str(client.base_url)).netloc or str(client.base_url)
        self.what = f"Dentally at {host}"

    # -- HTTP ---------------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, Any] | None = None, *, missing_ok: bool = False) -> dict[str, Any] | None:
        try:
            response = send(self.client, "GET", f"/v1/{path}", policy=self.policy, what=self.what,
                            classify=_classify, pacer=self.pacer, params=dict(params or {}))
        except UnreachableError:
            raise SourceError(
                f"{self.what} did not answer, or kept failing, after {self.policy.attempts} tries.",
                hint="Check the [source] url in bridgework.toml and the network, then run the same command again (it resumes).",
            ) from None
        status = response.status_code
        resource = path.split("/")[0]
        if status == 401:
            raise ConfigError(
                "Dentally refused the token (401).",
                hint=f"Check {TOKEN_ENV} (tokens expire after 2 weeks unused): generate a new one in Dentally "
                "under Settings > Developer Settings, set it, and run the same command again.",
            )
        if status == 403:
            raise ConfigError(
                f"Dentally refused access to {resource} (403).",
                hint="Give the token read access to it (Settings > Developer Settings), or wait for the hourly limit to reset, then run again.",
            )
        if status == 404 and missing_ok:
            return None
        if status >= 400:
            raise SourceError(
                f"{self.what} answered {status} for {resource}.",
                hint="Check the [source] url (it must be the API host, e.g. https://api.dentally.co) and run again.",
            )
        try:
            body: dict[str, Any] = response.json(parse_float=Decimal)
        except ValueError:
            raise SourceError(f"{self.what} sent a response that is not JSON for {resource}.",
                              hint="Check the [source] url points at the Dentally API.") from None
        return body

    def _list(self, spec: ResourceSpec, params: Mapping[str, Any]) -> tuple[list[Raw], int]:
        body = self._get(spec.name, params) or {}
        records = body.get(spec.name) or []
        total = (body.get("meta") or {}).get("total_count")
        return list(records), int(total) if total is not None else len(records)

    def _one(self, spec: ResourceSpec, key: Any) -> Raw | None:
        body = self._get(spec.name if spec.single else f"{spec.name}/{key}", missing_ok=True)
        return None if body is None else body.get(spec.singular)

    def _spec(self, entity: str) -> ResourceSpec:
        spec = BY_NAME.get(entity)
        if spec is None:
            raise SourceError(f"Dentally has no entity '{entity}'.", hint=f"Use one of: {', '.join(BY_NAME)}.")
        return spec

    def _filters(self, spec: ResourceSpec) -> dict[str, Any]:
        return {"site_id": self.site_id} if self.site_id and spec.name in _SITE_FILTERED else {}

    # -- Source -------------------------------------------------------------------------

    def count(self, entity: str) -> int:
        """How many records `entity` holds now (meta total_count of a one-record page)."""
        spec = self._spec(entity)
        if spec.single:
            return 1
        params = {**self._filters(spec), "page": 1, "per_page": 1}
        if spec.window:
            params.update(after=_EVER[0], before=_EVER[1])
        return self._list(spec, params)[1]

    def fetch(self, entity: str, ids: Sequence[str]) -> list[Record]:
        """The records whose id is in `ids`, one request each (missing ids are left out)."""
        spec = self._spec(entity)
        out = []
        for key in ids:
            raw = self._one(spec, key)
            if raw is not None:
                out.append(typed(spec, raw))
        return out

    def pages(
        self,
        entity: str,
        *,
        cursor: str | None = None,
        page_size: int = 1000,
        changed_since: datetime | None = None,
    ) -> Iterator[Page]:
        """Records by id, one server page at a time; the cursor resumes after the last page."""
        spec = self._spec(entity)
        if spec.single:
            if cursor is None:
                raw = self._one(spec, "")
                if raw is not None and self._changed(raw, changed_since, spec):
                    yield Page([typed(spec, raw)], json.dumps({"done": True}))
            return
        per_page = max(1, min(page_size, MAX_PER_PAGE))
        state = _cursor(cursor)
        base = self._filters(spec)
        if changed_since is not None and spec.delta:
            base["updated_after"] = _time(changed_since)
        seen: set[Any] = set()
        windows = self._windows() if spec.window else [None]
        for window in windows:
            if spec.window and state.get("window") and window is not None and window[0] < state["window"]:
                continue
            resumed = state if state.get("window") == (window[0] if window else None) else {}
            stream = StreamState.from_dict(resumed) if resumed else StreamState()
            params = dict(base, sort_by="id", sort_direction="asc")
            if window is not None:
                params.update(after=window[0], before=window[1])

            def fetch_page(page: int, size: int, desc: bool, params: dict[str, Any] = params) -> tuple[list[Raw], int]:
                order = "desc" if desc else "asc"
                return self._list(spec, {**params, "page": page, "per_page": size, "sort_direction": order})

            def fetch_one(key: int, params: dict[str, Any] = params) -> Raw | None:
                raw = self._one(spec, key)
                return raw if raw is not None and _matches(raw, params) else None

            paginator = PagePaginator(fetch_page, fetch_one if spec.key_type == "int" else None, per_page, stream, seen)
            for raws in paginator:
                records = [typed(spec, r) for r in raws if self._changed(r, changed_since, spec)]
                mark = {"window": window[0] if window else None, **stream.to_dict()}
                if records:
                    yield Page(records, json.dumps(mark))
            if paginator.shortfall:
                self.shortfalls[entity] = self.shortfalls.get(entity, 0) + paginator.shortfall

    @staticmethod
    def _changed(raw: Raw, since: datetime | None, spec: ResourceSpec) -> bool:
        """Client-side delta for resources without `updated_after` (always true without one)."""
        if since is None or spec.delta or not raw.get("updated_at"):
            return True
        stamp = _convert("datetime", raw["updated_at"])
        since = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
        return not isinstance(stamp, datetime) or stamp > since

    def _windows(self) -> list[tuple[str, str]]:
        """90-day [after, before) windows over the practice's appointment range."""
        spec = BY_NAME["appointments"]
        ends = []
        for direction in ("asc", "desc"):
            params = {**self._filters(spec), "after": _EVER[0], "before": _EVER[1], "page": 1, "per_page": 1,
                      "sort_by": "start_time", "sort_direction": direction}
            records, _ = self._list(spec, params)
            if not records or not records[0].get("start_time"):
                return []
            ends.append(_convert("datetime", records[0]["start_time"]))
        start = datetime.combine(ends[0].date(), datetime.min.time(), tzinfo=timezone.utc)
        windows = []
        while start <= ends[1]:
            stop = start + timedelta(days=WINDOW_DAYS)
            windows.append((_time(start), _time(stop)))
            start = stop
        return windows

    def introspect(self, *, profile: bool = True) -> Schema:
        """Every resource with its reference fields, record count and (masked) value profiles."""
        entities = []
        for spec in RESOURCES:
            sample = self._sample(spec, self.profile_sample if profile else 1)
            if sample is None:
                continue
            raws, total = sample
            entities.append(self._entity(spec, raws, total, profile))
        return Schema(system=self.name, entities=tuple(entities), version="v1")

    def _sample(self, spec: ResourceSpec, size: int) -> tuple[list[Raw], int] | None:
        """The first page, then more up to `size` records, and the total count; None when not served."""
        if spec.single:
            raw = self._one(spec, "")
            return ([raw], 1) if raw is not None else None
        params: dict[str, Any] = {**self._filters(spec), "per_page": MAX_PER_PAGE, "sort_by": "id", "sort_direction": "asc"}
        if spec.window:
            params.update(after=_EVER[0], before=_EVER[1], sort_by="start_time", sort_direction="desc")
        raws: list[Raw] = []
        total = 0
        page = 1
        while True:
            body = self._get(spec.name, {**params, "page": page}, missing_ok=True)
            if body is None:
                return None
            records = body.get(spec.name) or []
            total = int((body.get("meta") or {}).get("total_count", len(records)))
            raws.extend(records)
            if len(records) < MAX_PER_PAGE or len(raws) >= size:
                break
            page += 1
        return raws[: max(size, MAX_PER_PAGE)], total

    def _entity(self, spec: ResourceSpec, raws: list[Raw], total: int, profile: bool) -> Entity:
        present: set[str] = set()
        for raw in raws:
            present.update(raw)
        declared = [f for f in spec.fields if not raws or f.name in present]
        extras = sorted(present - {f.name for f in spec.fields})
        fields: list[Field] = []
        for f in declared:
            fields.append(Field(
                name=f.name, type=f.type, label=f.display, description=f.description, reference=f.reference,
                enum_values=f.enum_values, is_key=f.name == "id", readonly=True,
                native_type="string (GUID)" if f.name == "id" and spec.key_type == "string" else _NATIVE.get(f.type, "string"),
            ))
        for name in extras:
            target = f"{name[:-3]}s"
            kind: FieldType = "reference" if name.endswith("_id") and target in BY_NAME else guess_type(name)
            fields.append(Field(name=name, type=kind, label=name.replace("_", " ").capitalize(),
                                description="Not in bridgework's Dentally reference; seen in the data.",
                                reference=target if kind == "reference" else None, readonly=True,
                                native_type=_NATIVE.get(kind, "string")))
        if profile and raws:
            from mapper.profile import profile_records

            names = [f.name for f in fields]
            profiles = profile_records((typed(spec, r) for r in raws), names)
            fields = [replace(f, profile=profiles.get(f.name)) for f in fields]
        return Entity(name=spec.name, fields=tuple(fields), label=spec.label, description=spec.description,
                      key="id", row_count=total)

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def from_settings(options: Mapping[str, Any], root: Path) -> DentallySource:
    """A DentallySource from the [source] table: url (default the real API; "local" = emulator), site_id."""
    url = str(options.get("url") or DEFAULT_URL).strip()
    if url == "local":
        from connectors.registry import local_url

        url = local_url("dentally", root)
    url = url.rstrip("/").removesuffix("/v1")  # the source pins /v1 itself
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"The Dentally url '{url}' is not an http(s) URL.",
                          hint=f'Set [source] url to {DEFAULT_URL} (or "local" for the emulator).')
    token = require_secret(TOKEN_ENV, "Dentally API token")
    client = make_client(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    site = options.get("site_id")
    return DentallySource(client, site_id=str(site) if site else None)
