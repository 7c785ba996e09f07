"""The shared HTTP layer: classification, retry with recorded sleeps, server wait hints, pacing."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from connectors.http import Pacer, RetryPolicy, UnreachableError, classify_response, make_client, retry_after_seconds, send


def _client(script: list[httpx.Response | Exception], calls: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        item = script[min(len(calls), len(script)) - 1]
        if isinstance(item, Exception):
            raise item
        return item

    return make_client("http://dest.test", transport=httpx.MockTransport(handler))


def test_classification() -> None:
    assert classify_response(httpx.Response(200)) == "ok"
    assert classify_response(httpx.Response(429)) == "retryable"
    assert classify_response(httpx.Response(503)) == "retryable"
    assert classify_response(httpx.Response(401)) == "fatal"
    assert classify_response(httpx.Response(400)) == "rejected"


def test_retry_honours_retry_after_and_records_sleeps() -> None:
    sleeps: list[float] = []
    calls: list[httpx.Request] = []
    client = _client([httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(503), httpx.Response(200, json={})], calls)
    policy = RetryPolicy(sleep=sleeps.append, seed=1)
    response = send(client, "GET", "/x", policy=policy, what="Test API")
    assert response.status_code == 200
    assert len(calls) == 3
    assert 2.0 <= sleeps[0] <= 2.25  # the server's hint, plus a little jitter
    assert 0 <= sleeps[1] <= 1.0  # exponential backoff, attempt 2: ceiling base*2


def test_connection_errors_retry_then_fail_with_one_line() -> None:
    sleeps: list[float] = []
    calls: list[httpx.Request] = []
    client = _client([httpx.ConnectError("refused")], calls)
    with pytest.raises(UnreachableError) as info:
        send(client, "GET", "/x", policy=RetryPolicy(attempts=3, sleep=sleeps.append), what="Odoo at http://dest.test")
    assert len(calls) == 3 and len(sleeps) == 2
    assert "\n" not in str(info.value) and "Odoo at http://dest.test" in str(info.value)


def test_rejected_and_fatal_are_returned_not_retried() -> None:
    calls: list[httpx.Request] = []
    client = _client([httpx.Response(400, json={"messages": ["bad"]})], calls)
    assert send(client, "POST", "/x", policy=RetryPolicy(sleep=lambda s: None), what="X").status_code == 400
    assert len(calls) == 1


def test_ratelimit_reset_header_gives_wait() -> None:
    response = httpx.Response(429, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000"})
    assert retry_after_seconds(response, now=990.0) == 10.0


def _fake_time() -> tuple[list[float], list[float], Callable[[float], None]]:
    """(now, sleeps, sleep): a clock that only moves when slept on."""
    now = [0.0]
    sleeps: list[float] = []

    def sleep(s: float) -> None:
        sleeps.append(s)
        now[0] += s

    return now, sleeps, sleep


def test_pacer_holds_requests_to_the_window() -> None:
    now, sleeps, sleep = _fake_time()
    pacer = Pacer(limit=2, window=60.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        pacer.acquire()
    assert sleeps == [60.0]


def test_pacer_obeys_spent_window_header() -> None:
    now, sleeps, sleep = _fake_time()
    pacer = Pacer(limit=None, window=1.0, clock=lambda: now[0], sleep=sleep)
    pacer.observe(httpx.Response(200, headers={"x-ratelimit-remaining": "0", "retry-after": "5"}))
    pacer.acquire()
    assert sleeps and sleeps[0] == pytest.approx(5.0)


def test_pacer_stamps_a_slot_when_its_response_arrives() -> None:
    now, sleeps, sleep = _fake_time()
    pacer = Pacer(limit=1, window=10.0, clock=lambda: now[0], sleep=sleep)
    slot = pacer.acquire()
    now[0] = 2.0  # the response took 2 s: the server counted the request somewhere in between
    pacer.done(slot)
    pacer.acquire()
    assert sleeps == [pytest.approx(10.0)]  # a window after the response, not after the send


def test_a_server_wait_hint_holds_every_request_sharing_the_pacer() -> None:
    now, sleeps, sleep = _fake_time()
    pacer = Pacer(limit=None, window=1.0, clock=lambda: now[0], sleep=sleep)
    calls: list[httpx.Request] = []
    client = _client([httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json={})], calls)
    send(client, "GET", "/x", policy=RetryPolicy(sleep=lambda s: None), what="X", pacer=pacer)
    assert sleeps == [pytest.approx(3.0)]  # the policy's sleep is a no-op here: the pacer held the retry


def test_wait_hint_reader_is_pluggable() -> None:
    sleeps: list[float] = []
    calls: list[httpx.Request] = []
    client = _client([httpx.Response(429, json={"messages": ["slow down"]}), httpx.Response(200, json={})], calls)
    send(client, "GET", "/x", policy=RetryPolicy(sleep=sleeps.append), what="X", wait_hint=lambda r: 0.06)
    assert 0.06 <= sleeps[0] <= 0.31


def test_pacer_sync_counts_usage_it_did_not_send() -> None:
    now, sleeps, sleep = _fake_time()
    pacer = Pacer(limit=None, window=100.0, clock=lambda: now[0], sleep=sleep)
    pacer.sync(used=4, limit=5)
    pacer.acquire()
    pacer.acquire()
    assert pacer.limit == 5 and sleeps == [pytest.approx(100.0)]
