"""Odoo's wire protocols for the connector: JSON-RPC (`/jsonrpc`, 14.0-18.0) and JSON-2 (`/json/2`, 19.0+)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Literal

import httpx

from connectors.http import RetryableHTTPError, RetryPolicy, UnreachableError, Verdict, classify_response, send
from mapper.errors import ConfigError, DestinationError

Protocol = Literal["jsonrpc", "json2"]
PROTOCOLS: tuple[str, ...] = ("jsonrpc", "json2")
CREDENTIALS_HINT = (
    "Set BRIDGEWORK_ODOO_DB, BRIDGEWORK_ODOO_USER and BRIDGEWORK_ODOO_PASSWORD (password or API key), then rerun "
    "(after 5 failed logins Odoo refuses logins for a minute)."
)
# Positional parameter names of the methods bridgework calls, for JSON-2's named-argument bodies.
JSON2_PARAMS: dict[str, tuple[str, ...]] = {
    "create": ("vals_list",), "read": ("ids", "fields"), "write": ("ids", "vals"), "unlink": ("ids",),
    "search": ("domain",), "search_read": ("domain", "fields"), "search_count": ("domain",),
    "fields_get": ("allfields",), "load": ("fields", "data"), "message_post": ("ids",), "action_feedback": ("ids",),
}
QUOTED = re.compile(r"""'[^'\n]*'|"[^"\n]*\"""")


class OdooFault(DestinationError):
    """An error Odoo raised while running a method: upsert turns it into a rejection, elsewhere it stops the run."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.code = name.rsplit(".", 1)[-1] or "OdooError"
        self.safe_message = redact(message)
        super().__init__(f"Odoo refused the call ({self.code}: {self.safe_message}).",
                         hint="Fix what it names (bridgework describe shows the fields), then rerun (it resumes).")

    @property
    def fatal(self) -> bool:
        """Errors about the connection or permissions, not about one record."""
        return self.code in ("AccessDenied", "AccessError")


def redact(message: str) -> str:
    """One line without record values: the last traceback line, quoted values masked."""
    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    if lines and lines[0].startswith("Traceback"):
        lines = lines[-1:]
    return QUOTED.sub("'…'", " ".join(lines))[:300]


def _classify_json2(response: httpx.Response) -> Verdict:
    """JSON-2 answers application errors with 4xx/500 and a JSON body: those are the record's fault, not the server's."""
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
        return "fatal" if response.status_code in (401, 403) else "rejected"
    return classify_response(response)


class OdooRPC:
    """Calls model methods over JSON-RPC or JSON-2 with bridgework's retry policy."""

    def __init__(self, client: httpx.Client, url: str, db: str, login: str, password: str, *,
                 protocol: Protocol = "jsonrpc", policy: RetryPolicy | None = None) -> None:
        if protocol not in PROTOCOLS:
            raise ConfigError(f"Unknown Odoo protocol '{protocol}'.", hint=f"Use one of: {', '.join(PROTOCOLS)}.")
        self.client = client
        self.url = url.rstrip("/")
        self.db, self.login, self.password = db, login, password
        self.protocol = protocol
        self.policy = policy or RetryPolicy()
        self.what = f"Odoo at {self.url}"
        self._uid: int | None = None
        self._request_id = 0

    # -- transport --------------------------------------------------------
    def _post(self, path: str, payload: Any, *, retry: bool, headers: dict[str, str] | None = None) -> httpx.Response:
        policy = self.policy if retry else RetryPolicy(attempts=1, sleep=self.policy.sleep)
        classify = _classify_json2 if self.protocol == "json2" else classify_response
        try:
            return send(self.client, "POST", path, policy=policy, what=self.what, classify=classify,
                        content=json.dumps(payload, default=_json_default).encode(),
                        headers={"Content-Type": "application/json", **(headers or {})})
        except UnreachableError as exc:
            if not retry:
                raise RetryableHTTPError("the response was lost") from None
            raise UnreachableError(
                f"{self.what} did not answer ({exc.message.split('(')[-1].split(')')[0]}).",
                hint="Start it (bridgework emulate odoo) or check BRIDGEWORK_ODOO_URL / the url in bridgework.toml, "
                     "then rerun (it resumes).",
            ) from None

    def _decode(self, response: httpx.Response) -> Any:
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise DestinationError(
                f"{self.what} answered HTTP {response.status_code} with something that is not Odoo's JSON.",
                hint="Check BRIDGEWORK_ODOO_URL / the url in bridgework.toml (the server's root URL, no path).",
            ) from None

    def _jsonrpc(self, service: str, method: str, args: list[Any], *, retry: bool = True) -> Any:
        self._request_id += 1
        payload = {"jsonrpc": "2.0", "method": "call", "id": self._request_id,
                   "params": {"service": service, "method": method, "args": args}}
        response = self._post("/jsonrpc", payload, retry=retry)
        if response.status_code == 404:
            raise DestinationError(f"{self.what} has no /jsonrpc endpoint (HTTP 404).",
                                   hint="Check the url, or set protocol = \"json2\" for Odoo 19+ in bridgework.toml.")
        body = self._decode(response)
        if "error" in body:
            data = body["error"].get("data") or {}
            fault = OdooFault(str(data.get("name", "")), str(data.get("message") or body["error"].get("message", "")))
            self._raise_fatal(fault)
            raise fault
        return body.get("result")

    def _raise_fatal(self, fault: OdooFault) -> None:
        if fault.code == "AccessDenied":
            raise ConfigError(f"{self.what} refused the credentials of BRIDGEWORK_ODOO_USER.", hint=CREDENTIALS_HINT)
        if "does not exist" in fault.safe_message and "database" in fault.safe_message:
            raise ConfigError(f"{self.what} has no database named by BRIDGEWORK_ODOO_DB.", hint=CREDENTIALS_HINT)
        if fault.code == "AccessError":
            raise DestinationError(f"{self.what} refused access ({fault.safe_message}).",
                                   hint="Give the API user the rights it needs (an administrator is simplest), then rerun.")

    # -- public -----------------------------------------------------------
    def version(self) -> str:
        """The server's version string ("18.0"); empty over JSON-2."""
        if self.protocol == "json2":
            return ""
        result = self._jsonrpc("common", "version", [])
        return str(result.get("server_version", "")) if isinstance(result, dict) else ""

    def uid(self) -> int:
        """Log in once (JSON-RPC); a one-line ConfigError when Odoo says no."""
        if self._uid is None:
            result = self._jsonrpc("common", "authenticate", [self.db, self.login, self.password, {}])
            if not result:
                raise ConfigError(f"{self.what} refused the login of BRIDGEWORK_ODOO_USER on database BRIDGEWORK_ODOO_DB.",
                                  hint=CREDENTIALS_HINT)
            self._uid = int(result)
        return self._uid

    def call(self, model: str, method: str, *args: Any, retry: bool = True, **kwargs: Any) -> Any:
        """model.method(*args, **kwargs); OdooFault for record-level errors; `retry=False` for non-idempotent calls."""
        if self.protocol == "jsonrpc":
            params = [self.db, self.uid(), self.password, model, method, list(args), kwargs]
            return self._jsonrpc("object", "execute_kw", params, retry=retry)
        body = {**dict(zip(JSON2_PARAMS.get(method, ()), args)), **kwargs}
        headers = {"Authorization": f"bearer {self.password}", "X-Odoo-Database": self.db}
        response = self._post(f"/json/2/{model}/{method}", body, retry=retry, headers=headers)
        if response.status_code == 404 and not response.headers.get("content-type", "").startswith("application/json"):
            raise DestinationError(f"{self.what} has no JSON-2 endpoint for this database (HTTP 404).",
                                   hint="JSON-2 needs Odoo 19+: set protocol = \"jsonrpc\" for older servers, or check BRIDGEWORK_ODOO_DB.")
        result = self._decode(response)
        if response.status_code == 401:
            raise ConfigError(f"{self.what} refused the API key in BRIDGEWORK_ODOO_PASSWORD.", hint=CREDENTIALS_HINT)
        if response.status_code >= 400:
            fault = OdooFault(str(result.get("name", "")), str(result.get("message", "")))
            self._raise_fatal(fault)
            raise fault
        return result


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot send a {type(value).__name__} to Odoo")
