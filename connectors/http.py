"""The one HTTP client factory, response classifier, retry/backoff and pacer every connector uses."""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from mapper.errors import BridgeworkError, DestinationError

USER_AGENT = "bridgework/0.1 (+https://github.com/bridgework)"

Verdict = Literal["ok", "retryable", "rejected", "fatal"]


class RetryableHTTPError(Exception):
    """A response or transport failure worth another try (429, 5xx, timeouts, dropped connections)."""

    def __init__(self, reason: str, wait_hint: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait_hint = wait_hint


class UnreachableError(BridgeworkError):
    """The server did not answer, or kept failing after every retry."""


def not_answering(exc: UnreachableError, system: str, url: str, kind: str) -> DestinationError:
    """The one-line error for a destination that did not answer (or kept failing after retries)."""
    if "connection failed" in exc.message or "timed out" in exc.message:
        return DestinationError(
            f"{system} at {url} did not answer.",
            hint=f"Start it (bridgework emulate {kind}) or check the destination url in bridgework.toml, "
                 "then run the same command again (it resumes).")
    return DestinationError(exc.message, hint=exc.hint)


def make_client(
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An httpx client with bridgework's User-Agent, timeouts and no redirects to other hosts."""
    return httpx.Client(
        base_url=base_url,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        transport=transport,
        follow_redirects=False,
    )


def classify_response(response: httpx.Response) -> Verdict:
    """Sort a response: ok, retryable (429/5xx), rejected (this request's data), fatal (auth, missing)."""
    status = response.status_code
    if status < 400:
        return "ok"
    if status == 429 or status >= 500:
        return "retryable"
    if status in (401, 403, 404, 405):
        return "fatal"
    return "rejected"


def retry_after_seconds(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: Retry-After (seconds or HTTP date) or x-ratelimit-reset."""
    now = time.time() if now is None else now
    value = response.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value)
            if parsed is not None:
                return max(0.0, parsed.timestamp() - now)
    remaining = response.headers.get("x-ratelimit-remaining")
    reset = response.headers.get("x-ratelimit-reset")
    if remaining is not None and reset and remaining.strip() == "0":
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, capped, honouring the server's wait hints.

    The sleeper and the random generator are passed in so tests can record sleeps.
    """

    attempts: int = 6
    base: float = 0.5
    cap: float = 60.0
    seed: int = 0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def wait_for(self, state: RetryCallState) -> float:
        """The pause before the next attempt."""
        exc = state.outcome.exception() if state.outcome else None
        hint = exc.wait_hint if isinstance(exc, RetryableHTTPError) else None
        if hint is not None:
            return min(self.cap, hint + self.rng.uniform(0, 0.25))
        ceiling = min(self.cap, self.base * (2 ** (state.attempt_number - 1)))
        return self.rng.uniform(0, ceiling)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run `fn`, retrying on RetryableHTTPError."""
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self.wait_for,
            retry=retry_if_exception_type(RetryableHTTPError),
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(fn)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    what: str,
    classify: Callable[[httpx.Response], Verdict] = classify_response,
    pacer: Pacer | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request, retrying retryable failures; returns the last response (ok, rejected or fatal).

    `what` names the system for error messages ("Odoo at http://127.0.0.1:8069").
    Raises UnreachableError when the server cannot be reached or keeps failing.
    """

    def attempt() -> httpx.Response:
        if pacer is not None:
            pacer.acquire()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise RetryableHTTPError("timed out") from None
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise RetryableHTTPError("connection failed") from None
        if pacer is not None:
            pacer.observe(response)
        if classify(response) == "retryable":
            raise RetryableHTTPError(f"HTTP {response.status_code}", retry_after_seconds(response))
        return response

    try:
        result: httpx.Response = policy.call(attempt)
        return result
    except RetryableHTTPError as exc:
        raise UnreachableError(
            f"{what} kept failing ({exc.reason}) after {policy.attempts} tries.",
            hint="Check that it is running and reachable, then run the same command again (it resumes).",
        ) from None


class Pacer:
    """Keeps requests under `limit` per `window` seconds and follows x-ratelimit-* headers.

    Thread-safe; the clock and sleeper are injectable for tests.
    """

    def __init__(
        self,
        limit: int | None,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._blocked_until = 0.0

    def acquire(self) -> None:
        """Wait until one more request fits in the window."""
        while True:
            with self._lock:
                now = self.clock()
                wait = self._blocked_until - now
                if wait <= 0 and self.limit is not None:
                    while self._sent and now - self._sent[0] >= self.window:
                        self._sent.popleft()
                    if len(self._sent) >= self.limit:
                        wait = self.window - (now - self._sent[0])
                if wait <= 0:
                    self._sent.append(now)
                    return
            self.sleep(wait)

    def observe(self, response: httpx.Response) -> None:
        """When the server says the window is spent, hold every request until it resets."""
        remaining = response.headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.strip() == "0":
            wait = retry_after_seconds(response)
            if wait:
                with self._lock:
                    self._blocked_until = max(self._blocked_until, self.clock() + wait)
