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


def real_sleep(seconds: float) -> None:
    """The sleeper a RetryPolicy gets when none is passed (looked up when the policy is made, so tests
    driving a whole run in-process can swap in a short one with monkeypatch)."""
    time.sleep(seconds)


def _default_sleeper() -> Callable[[float], None]:
    return real_sleep


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, capped, honouring the server's wait hints.

    The sleeper and the random generator are passed in so tests can record sleeps.
    """

    attempts: int = 6
    base: float = 0.5
    cap: float = 60.0
    seed: int = 0
    sleep: Callable[[float], None] = field(default_factory=_default_sleeper)
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
    wait_hint: Callable[[httpx.Response], float | None] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request, retrying retryable failures; returns the last response (ok, rejected or fatal).

    `what` names the system for error messages ("Odoo at http://127.0.0.1:8069").
    `wait_hint` reads how long the server asked us to wait from a retryable response (default: its
    Retry-After / x-ratelimit-reset headers); with a pacer, that wait holds every request sharing it.
    Raises UnreachableError when the server cannot be reached or keeps failing.
    """
    hint_of = wait_hint or retry_after_seconds

    def attempt() -> httpx.Response:
        slot = pacer.acquire() if pacer is not None else None
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise RetryableHTTPError("timed out") from None
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise RetryableHTTPError("connection failed") from None
        finally:
            if pacer is not None and slot is not None:
                pacer.done(slot)
        if pacer is not None:
            pacer.observe(response)
        if classify(response) == "retryable":
            hint = hint_of(response)
            if pacer is not None and hint:
                pacer.hold(hint)
            raise RetryableHTTPError(f"HTTP {response.status_code}", hint)
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
    """Keeps requests under `limit` per sliding `window` seconds and follows the server's wait hints.

    A request's slot in the window is stamped when its response arrives (`done`), not when it was
    sent: the server counted it somewhere in between, so a slot reused exactly one window after the
    stamp never lands inside the server's window. Requests still in flight count as sent.
    With `max_wait`, a window wait longer than that is not waited (a daily allocation's window).
    Thread-safe; the clock and sleeper are injectable for tests.
    """

    def __init__(
        self,
        limit: int | None,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float | None = None,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self._sent: deque[list[float]] = deque()
        self._lock = threading.Lock()
        self._blocked_until = 0.0
        self._last_sent: float | None = None

    def acquire(self) -> list[float]:
        """Wait until one more request fits in the window; returns its slot (pass it to `done`)."""
        while True:
            with self._lock:
                now = self.clock()
                wait = self._blocked_until - now
                if wait <= 0 and self.limit is not None:
                    while self._sent and now - self._sent[0][0] >= self.window:
                        self._sent.popleft()
                    if len(self._sent) >= self.limit:
                        wait = self.window - (now - self._sent[0][0])
                        if self.max_wait is not None and wait > self.max_wait:
                            wait = 0  # too long to wait here: send, and let the server's answer decide
                if wait <= 0:
                    slot = [now, now]  # [stamp in the window, when it was sent]
                    self._sent.append(slot)
                    return slot
            self.sleep(wait)

    def done(self, slot: list[float]) -> None:
        """The response to a slot's request arrived: stamp the slot now."""
        with self._lock:
            slot[0] = max(slot[0], self.clock())
            self._last_sent = slot[1]

    def hold(self, seconds: float) -> None:
        """Hold every request for `seconds` (the server said to wait)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self.clock() + seconds)

    def sync(self, used: int, limit: int) -> None:
        """The last response said `used` of `limit` are spent in the window: adopt its limit, and count
        requests we did not send (another client, an earlier run) as sent just now.

        The count was taken before the response reached us; any of our requests the server still
        counted then was stamped after the last request's send time minus a window, so those are
        the ones its count is compared with (a stale count never looks like someone else's usage).
        """
        with self._lock:
            self.limit = limit
            now = self.clock()
            since = (now if self._last_sent is None else self._last_sent) - self.window
            ours = sum(1 for slot in self._sent if slot[0] > since)
            for _ in range(max(0, used - ours)):
                self._sent.append([now, now])

    def observe(self, response: httpx.Response) -> None:
        """When the server says the window is spent, hold every request until it resets."""
        remaining = response.headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.strip() == "0":
            wait = retry_after_seconds(response)
            if wait:
                self.hold(wait)
