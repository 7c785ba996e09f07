"""Rate-limited load: each emulator with its real limits switched on, achieved / allowed throughput.

Every destination's limit (reference/destinations.md) is switched on in its emulator, with its window
scaled down so that one run measures several windows in seconds: the same pacing logic, the same
throttle answers, a shorter clock. Two (or three) clients run against a fresh emulator each, sending
cheap reads one at a time for a fixed time:

- the connector: its own transport (`send` with its Pacer, RetryPolicy and throttle reading), with
  the pacing budget scaled like the server's window;
- a naive client: no pacing, ignores the throttle headers and messages, sleeps a fixed 1 s after
  every throttle answer and tries again.

Achieved = requests answered OK per second over three windows' worth of requests, timed from a spent
budget (a warm-up of one window's requests, so a token bucket's initial burst does not count);
allowed = the limit / the window. Target: >= 0.9.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from rich.table import Table

from connectors.destinations.dynamics import DynamicsDestination, make_dynamics_client
from connectors.destinations.salesforce import API_VERSION, SalesforceDestination
from connectors.destinations.twenty import TwentyDestination
from connectors.emulators import dynamics as dynamics_emulator
from connectors.emulators import salesforce as salesforce_emulator
from connectors.emulators import twenty as twenty_emulator
from connectors.emulators.serve import RunningServer, start_in_thread
from connectors.http import Pacer, make_client
from evals.bench._report import console

NAIVE_SLEEP = 1.0  # seconds a naive client sleeps after a throttle answer
TARGET = 0.9
WINDOWS = 3  # windows of work timed per client

TWENTY_SCALE = 0.1  # 100 tokens per 60,000 ms -> 100 per 6,000 ms (and 100 per 1,000 ms -> 100 per 100 ms)
TWENTY_LIMIT, TWENTY_WINDOW = 100, 60.0 * TWENTY_SCALE
DYNAMICS_LIMIT, DYNAMICS_WINDOW = 100, 5.0  # 6,000 per 300 s -> 100 per 5 s (the same 20 requests/s)
SALESFORCE_LIMIT, SALESFORCE_WINDOW = 100, 5.0  # a rolling 24 h allocation -> 100 per rolling 5 s


@dataclass
class Row:
    """One client's run against one emulator."""

    destination: str
    client: str
    achieved: float
    allowed: float | None
    throttled: int
    note: str = ""


def drive(call: Callable[[], None], limit: int, windows: int = WINDOWS) -> float:
    """Spend one window's budget (`limit` requests), then time `windows` x `limit` more: OK answers/s.

    Timing a fixed amount of work from a spent budget is what the limit allows exactly: `limit` more
    requests per window, so the ideal client takes `windows` windows (a clock-window count would round
    a bursty client's groups in or out).
    """
    for _ in range(limit):
        call()
    start = time.monotonic()
    for _ in range(windows * limit):
        call()
    return windows * limit / (time.monotonic() - start)


def naive(client: httpx.Client, path: str, throttled: Callable[[httpx.Response], bool]) -> Callable[[], None]:
    """A client that ignores every rate signal: on a throttle answer, sleep a fixed second and try again."""
    def call() -> None:
        while True:
            response = client.get(path)
            if not throttled(response):
                response.raise_for_status()
                return
            time.sleep(NAIVE_SLEEP)
    return call


def counter(server: RunningServer, name: str) -> int:
    """One counter from the emulator's /_emulator/state."""
    return int(httpx.get(server.url + "/_emulator/state").json()["counters"][name])


def run(destination: str, app: Any, counter_name: str, limit: int, window: float,
        clients: list[tuple[str, Callable[[str], Callable[[], None]], str]]) -> list[Row]:
    """Each client against a fresh emulator built by `app()`."""
    rows = []
    for label, make_call, note in clients:
        server = start_in_thread(app())
        try:
            achieved = drive(make_call(server.url), limit)
            rows.append(Row(destination, label, achieved, limit / window, counter(server, counter_name), note))
        finally:
            server.stop()
    return rows


def twenty() -> list[Row]:
    """Twenty `current`: token buckets of 100 per 60 s and 100 per 1 s, 429 `Limit reached`, no Retry-After."""
    key = twenty_emulator.LOCAL_CREDENTIALS["BRIDGEWORK_TWENTY_API_KEY"]
    auth = {"Authorization": f"Bearer {key}"}

    def app() -> Any:
        return twenty_emulator.create_app(None, throttle=True, throttle_window_scale=TWENTY_SCALE)

    def connector(url: str) -> Callable[[], None]:
        dest = TwentyDestination(make_client(url, headers=auth), url=url, pacer=Pacer(TWENTY_LIMIT, TWENTY_WINDOW))
        return lambda: dest._ok(dest._request("GET", "/rest/people", params={"limit": 1}), "a read") and None

    def plain(url: str) -> Callable[[], None]:
        return naive(make_client(url, headers=auth), "/rest/people?limit=1", lambda r: r.status_code == 429)

    return run("Twenty", app, "throttled", TWENTY_LIMIT, TWENTY_WINDOW, [
        ("connector (paced 100/6 s, waits the message's refill time)", connector, ""),
        ("naive (no pacing, fixed 1 s sleep on 429)", plain,
         "the bucket refills continuously: retrying each second keeps up too, paid in 429s"),
    ])


def dynamics() -> list[Row]:
    """Dataverse: 6,000 requests per 300 s sliding window per user, 429 + Retry-After (seconds)."""
    token = dynamics_emulator.LOCAL_CREDENTIALS["BRIDGEWORK_DYNAMICS_TOKEN"]

    def app() -> Any:
        # execution time scaled like the window: 1,200,000 ms per 300 s -> 20,000 ms per 5 s
        return dynamics_emulator.create_app(None, throttle=True, request_limit=DYNAMICS_LIMIT,
                                            window_seconds=DYNAMICS_WINDOW, execution_limit_ms=20_000, key_delay=0)

    def connector(pacer: bool) -> Callable[[str], Callable[[], None]]:
        def make(url: str) -> Callable[[], None]:
            dest = DynamicsDestination(make_dynamics_client(url, token), url=url,
                                       pacer=Pacer(DYNAMICS_LIMIT, DYNAMICS_WINDOW) if pacer else None)
            return lambda: dest._json("GET", "contacts?$top=1&$select=lastname", "a read") and None
        return make

    def plain(url: str) -> Callable[[], None]:
        return naive(make_dynamics_client(url, token), "contacts?$top=1&$select=lastname",
                     lambda r: r.status_code == 429)

    return run("Dynamics 365", app, "throttled", DYNAMICS_LIMIT, DYNAMICS_WINDOW, [
        ("connector (paced 100/5 s, then Retry-After)", connector(True), ""),
        ("connector without its pacer (Retry-After only)", connector(False),
         "bursts, then waits a whole-second Retry-After"),
        ("naive (no pacing, fixed 1 s sleep on 429)", plain, ""),
    ])


def salesforce() -> list[Row]:
    """Salesforce: the org's rolling API allocation (403 REQUEST_LIMIT_EXCEEDED), usage in Sforce-Limit-Info."""
    token = salesforce_emulator.LOCAL_TOKEN
    path = f"/services/data/{API_VERSION}/limits/"

    def app() -> Any:
        return salesforce_emulator.create_app(None, daily_limit=SALESFORCE_LIMIT, usage_window_seconds=SALESFORCE_WINDOW)

    def connector(url: str) -> Callable[[], None]:
        client = make_client(url, headers={"Authorization": f"Bearer {token}"})
        dest = SalesforceDestination(client, url=url, pacer=Pacer(None, SALESFORCE_WINDOW, max_wait=300.0))
        return lambda: dest._ok(dest._request("GET", path), "a read") and None

    def plain(url: str) -> Callable[[], None]:
        return naive(make_client(url, headers={"Authorization": f"Bearer {token}"}), path,
                     lambda r: r.status_code == 403)

    return run("Salesforce", app, "refused_quota", SALESFORCE_LIMIT, SALESFORCE_WINDOW, [
        ("connector (paced from Sforce-Limit-Info)", connector, ""),
        ("naive (no pacing, fixed 1 s sleep on 403)", plain, "the connector stops a run on this 403"),
    ])


def main() -> None:
    """Print the rate-limit table."""
    rows = [*twenty(), *dynamics(), *salesforce()]
    table = Table(title="Rate-limited load: emulators with their real limits on, windows scaled down",
                  title_justify="left")
    for col in ("Destination", "Client", "Achieved", "Allowed", "Achieved / allowed", "Throttle answers", "Note"):
        table.add_column(col)
    for r in rows:
        ratio = r.achieved / r.allowed if r.allowed else None
        verdict = "" if ratio is None else (" ok" if ratio >= TARGET else " below target")
        table.add_row(r.destination, r.client, f"{r.achieved:,.1f} req/s",
                      f"{r.allowed:,.1f} req/s" if r.allowed else "-",
                      f"{ratio:.2f}{verdict}" if ratio is not None else "n/a", str(r.throttled), r.note)
    table.add_row("Odoo", "-", "-", "-", "n/a", "-",
                  "core Odoo has no API rate limit (reference §4.8): nothing to pace")
    console.print(table)
    console.print(
        f"Target: achieved / allowed >= {TARGET} (OK answers per second for {WINDOWS} windows' budget of requests, "
        "timed from a spent budget after a 1-window warm-up).\n"
        f"Scaled windows (same limits and pacing logic, shorter clock): Twenty 100 tokens per 60,000 ms -> per "
        f"{TWENTY_WINDOW * 1000:,.0f} ms (emulator throttle_window_scale={TWENTY_SCALE}; the 100 per 1,000 ms bucket "
        f"scales too; its message names the scaled window); Dataverse 6,000 per 300 s -> {DYNAMICS_LIMIT} per "
        f"{DYNAMICS_WINDOW:g} s (request_limit, window_seconds; execution time 20,000 ms per window); Salesforce "
        f"rolling 24 h allocation -> {SALESFORCE_LIMIT} per rolling {SALESFORCE_WINDOW:g} s (daily_limit, "
        f"usage_window_seconds). The connectors' pacing budgets are scaled the same way (destination options "
        f"requests_per_window / window_seconds, usage_window_seconds).\n"
        "Not exercised: Dataverse's 52 concurrent requests and Salesforce's 25 long-running (>= 20 s) requests: "
        "the connectors send one request at a time."
    )


if __name__ == "__main__":
    main()
