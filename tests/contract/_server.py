"""What the destination contract suites share: the server they point at, its fixture, the sleeper and common steps.

Every suite runs once on its emulator (served in-process) and once on a real server when the URL and
credential variables are all set (skipped otherwise).
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx
import pytest

from connectors.base import DestRecord, Destination, Outcome
from connectors.emulators.serve import RunningServer, start_in_thread
from connectors.http import make_client
from mapper.schema import SchemaChange

S = TypeVar("S")


class EmulatorHooks:
    """Mixed into a suite's `Server`: the emulator's admin endpoints (`running` is None on a real server)."""

    url: str
    running: RunningServer | None

    @property
    def emulated(self) -> bool:
        return self.running is not None

    def switch(self, **values: Any) -> dict[str, Any]:
        """Set fault switches; no values resets the per-method counters."""
        response = httpx.post(f"{self.url}/_emulator/faults", json=values)
        response.raise_for_status()
        return dict(response.json())

    def state(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/_emulator/state").json())

    def advance_clock(self, seconds: float) -> None:
        httpx.post(f"{self.url}/_emulator/clock", json={"advance": seconds}).raise_for_status()


@dataclass
class TokenServer(EmulatorHooks):
    """A server reached with a bearer token, and what the suite created there (destination ids by entity)."""

    url: str
    token: str
    running: RunningServer | None = None
    created: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def raw(self, token: str | None = None) -> httpx.Client:
        return make_client(self.url, headers={"Authorization": f"Bearer {token or self.token}"})


def server_fixture(make: Callable[..., S], app: Callable[[], Any], credentials: Mapping[str, str],
                   env: Sequence[str], real: str) -> Any:
    """The module-scoped `server` fixture, run with param "emulator", then "real".

    Args:
        make: builds the suite's server as `make(url, *secrets, running=...)`.
        app: the emulator's ASGI app.
        credentials: what the emulator accepts, by variable name.
        env: the URL variable, then the secret variables, in `make`'s order.
        real: what the skip message calls the real system ("set ... to run against a real <real>").
    """
    _, *secret_names = env
    names = ", ".join(env[:-1]) + f" and {env[-1]}"

    @pytest.fixture(scope="module", params=["emulator", "real"])
    def server(request: pytest.FixtureRequest) -> Iterator[S]:
        if request.param == "emulator":
            running = start_in_thread(app())
            try:
                yield make(running.url, *(credentials[name] for name in secret_names), running=running)
            finally:
                running.stop()
            return
        values = [os.environ.get(name) for name in env]
        if not all(values):
            pytest.skip(f"set {names} to run against a real {real}")
        url, *secrets = (str(value) for value in values)
        yield make(url.rstrip("/"), *secrets)

    return server


class Sleeps:
    """The injected sleeper: records each pause; on the emulator it moves the throttle clock instead of waiting."""

    def __init__(self, server: EmulatorHooks, *, wait_on_real: bool = True) -> None:
        self.server = server
        self.wait_on_real = wait_on_real
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.server.emulated:
            self.server.advance_clock(seconds)
        elif self.wait_on_real:
            time.sleep(seconds)  # a real server's window only passes in real time


class _Remembers(Protocol):
    created: dict[str, list[str]]


def upsert_remembered(dest: Destination, server: _Remembers, records: list[DestRecord], entity: str) -> list[Outcome]:
    """Upsert through the connector and note each destination id in `server.created`, for the clean-up test."""
    outcomes = dest.upsert(entity, records)
    server.created[entity] += [o.destination_id for o in outcomes if o.destination_id]
    return outcomes


D = TypeVar("D", bound=Destination)


def with_external_ids(destination: D, changes: Sequence[SchemaChange], server: EmulatorHooks) -> Iterator[D]:
    """Body of a `dest` fixture: add the external-id fields, yield, remove those made on a real server, close."""
    schema = destination.describe()
    made = [c for c in changes if not schema.entity(c.entity).has(c.name)]
    for change in changes:
        destination.apply_change(change)
    yield destination
    if not server.emulated:
        for change in made:
            destination.revert_change(change)
    destination.close()


def drop_after_commit(server: EmulatorHooks, write: Callable[[], list[Outcome]]) -> list[Outcome]:
    """The outcomes of `write` when its first write request commits and then the connection drops (emulator only)."""
    if not server.emulated:
        pytest.skip("connection drops are injected only in the emulator")
    writes = server.state()["counters"]["writes"]
    server.switch(drop_every=writes + 1)
    try:
        outcomes = write()
    finally:
        server.switch(drop_every=0)
    assert server.state()["counters"]["dropped"] == 1
    return outcomes
