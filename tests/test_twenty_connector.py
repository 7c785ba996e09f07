"""TwentyDestination logic over scripted HTTP (httpx.MockTransport): retries, pacing, splitting, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import DestRecord
from connectors.destinations import twenty
from connectors.destinations._twenty_shape import flatten, nest, reject_reason
from connectors.destinations.twenty import TwentyDestination, TwentyRetryPolicy
from connectors.http import Pacer
from mapper.errors import ConfigError, DestinationError

PERSON = {
    "id": "obj-person", "nameSingular": "person", "namePlural": "people", "labelSingular": "Person",
    "isActive": True, "isSystem": False, "isCustom": False,
    "fields": [
        {"name": "id", "type": "UUID", "isNullable": False, "defaultValue": "uuid", "isActive": True},
        {"name": "name", "type": "FULL_NAME", "isNullable": True, "isActive": True},
        {"name": "emails", "type": "EMAILS", "isNullable": True, "isUnique": True, "isActive": True},
        {"name": "city", "type": "TEXT", "isNullable": False, "defaultValue": "''", "isActive": True},
        {"name": "bwExternalId", "type": "TEXT", "isNullable": True, "isUnique": True, "isActive": True, "isCustom": True},
    ],
}
Handler = Callable[[httpx.Request], httpx.Response]


def error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"statusCode": status, "error": "X", "messages": [message]})


def serve(records: Handler) -> Handler:
    """Metadata from PERSON, an empty list for lookups, everything else to `records`."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rest/metadata/objects":
            return httpx.Response(200, json={"data": {"objects": [PERSON]}, "totalCount": 1})
        if request.method == "GET" and request.url.path == "/rest/people":
            return httpx.Response(200, json={"data": {"people": []}, "pageInfo": {}, "totalCount": 0})
        return records(request)

    return handler


def destination(handler: Handler, sleeps: list[float], pacer: Pacer | None = None) -> TwentyDestination:
    client = httpx.Client(base_url="http://twenty.test", transport=httpx.MockTransport(handler))
    return TwentyDestination(client, url="http://twenty.test", policy=TwentyRetryPolicy(sleep=sleeps.append), pacer=pacer)


def created(request: httpx.Request) -> httpx.Response:
    bodies = json.loads(request.content)
    return httpx.Response(201, json={"data": {"createPeople": bodies}})


def records(n: int) -> list[DestRecord]:
    return [DestRecord(f"bw:t:p:{i}", {"name.firstName": "A", "city": None}) for i in range(n)]


@pytest.mark.parametrize("throttle", [error(429, "Limit reached (100 tokens per 60000 ms)"),
                                      error(400, "Limit reached (100 tokens per 60000 ms)")])
def test_throttle_waits_for_one_token_of_the_named_bucket(throttle: httpx.Response) -> None:
    script = [throttle, throttle]
    sleeps: list[float] = []
    dest = destination(serve(lambda r: script.pop(0) if script else created(r)), sleeps)
    outcomes = dest.upsert("person", records(2))
    assert [o.action for o in outcomes] == ["create", "create"]
    assert len(sleeps) == 2 and all(0.6 <= s <= 0.66 for s in sleeps)  # 60,000 ms / 100 tokens, plus jitter


def test_server_errors_back_off_exponentially() -> None:
    script = [error(503, "down"), error(502, "down")]
    sleeps: list[float] = []
    dest = destination(serve(lambda r: script.pop(0) if script else created(r)), sleeps)
    assert dest.upsert("person", records(1))[0].action == "create"
    assert len(sleeps) == 2 and all(s < 2 for s in sleeps)


def test_a_refused_batch_is_split_until_each_record_has_its_outcome() -> None:
    sizes: list[int] = []

    def refuse_bad(request: httpx.Request) -> httpx.Response:
        bodies = json.loads(request.content)
        sizes.append(len(bodies))
        if any(b.get("bwExternalId") == "bw:t:p:5" for b in bodies):
            return error(400, 'invalid input value for enum person_stage_enum: "Private Value"')
        return created(request)

    sleeps: list[float] = []
    outcomes = destination(serve(refuse_bad), sleeps).upsert("person", records(8))
    assert [o.action for o in outcomes] == ["create"] * 5 + ["reject"] + ["create"] * 2
    assert outcomes[5].code == "invalid_option" and outcomes[5].error == "person: stage is not one of the field's options."
    assert sizes[0] == 8 and sizes.count(1) >= 1 and not sleeps


def test_bodies_are_nested_with_deterministic_ids() -> None:
    seen: list[Any] = []

    def keep(request: httpx.Request) -> httpx.Response:
        seen.extend(json.loads(request.content))
        return created(request)

    destination(serve(keep), []).upsert("person", records(1))
    body = seen[0]
    assert body["name"] == {"firstName": "A"} and body["city"] == "" and body["bwExternalId"] == "bw:t:p:0"
    assert body["id"] == twenty.record_id("bw:t:p:0") == twenty.record_id("bw:t:p:0")


def test_bad_key_is_a_config_error_naming_the_variable() -> None:
    dest = destination(lambda r: error(401, "Token invalid."), [])
    with pytest.raises(ConfigError) as info:
        dest.describe()
    assert "BRIDGEWORK_TWENTY_API_KEY" in str(info.value) and "\n" not in str(info.value)


def test_server_down_says_start_it_or_check_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    sleeps: list[float] = []
    with pytest.raises(DestinationError, match="bridgework emulate twenty"):
        destination(refuse, sleeps).describe()
    assert len(sleeps) == 5


def test_pacer_holds_requests_to_one_hundred_a_minute() -> None:
    now = [0.0]
    paced: list[float] = []

    def sleep(seconds: float) -> None:
        paced.append(seconds)
        now[0] += seconds

    pacer = Pacer(100, 60.0, clock=lambda: now[0], sleep=sleep)
    dest = destination(serve(created), [], pacer=pacer)
    for i in range(101):
        dest.find("person", [f"bw:t:p:{i}"])
    assert paced and sum(paced) == pytest.approx(60.0)


def test_rejections_never_carry_values() -> None:
    for message in ['duplicate key value violates unique constraint "IDX_UNIQUE_abc"',
                    "Invalid country code SECRET", 'invalid input syntax for type date: "SECRET"',
                    "something unexpected about SECRET"]:
        code, text = reject_reason("person", 400, [message])
        assert "SECRET" not in text and code


def test_flatten_and_nest_round_trip_composites() -> None:
    stored = {"id": "1", "updatedAt": "2026-01-01T00:00:00.000Z", "createdBy": {"source": "API"},
              "emails": {"primaryEmail": "a@b.c", "additionalEmails": '["x@y.z"]'}, "city": ""}
    flat = flatten(stored)
    assert flat["emails.additionalEmails"] == ["x@y.z"] and "createdBy.source" not in flat
    assert flat["_modified_at"] == "2026-01-01T00:00:00.000Z"
    assert nest({"emails.primaryEmail": None, "city": None}, PERSON) == {"emails": {"primaryEmail": ""}, "city": ""}


def test_from_settings_needs_url_and_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BRIDGEWORK_TWENTY_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="BRIDGEWORK_TWENTY_API_KEY"):
        twenty.from_settings({"url": "http://127.0.0.1:1"}, tmp_path)
    with pytest.raises(ConfigError, match="url"):
        twenty.from_settings({}, tmp_path)
    monkeypatch.setenv("BRIDGEWORK_TWENTY_API_KEY", "k")
    dest = twenty.from_settings({"url": "http://127.0.0.1:1/"}, tmp_path)
    assert dest.url == "http://127.0.0.1:1" and dest.pacer is not None and dest.capabilities.max_batch == 60
    dest.close()


def test_a_repeated_page_cursor_fails_loudly() -> None:
    def same_page(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rest/metadata/objects":
            return httpx.Response(200, json={"data": {"objects": [PERSON]}, "totalCount": 1})
        return httpx.Response(200, json={"data": {"people": [{"id": "a"}]}, "totalCount": 9,
                                         "pageInfo": {"hasNextPage": True, "endCursor": "same"}})

    with pytest.raises(DestinationError, match="repeated a page cursor"):
        destination(same_page, []).read("person", ["a"])
