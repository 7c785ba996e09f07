"""The Dataverse emulator on its own: routes and auth, metadata, keys, $batch semantics, throttling, fault switches."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.destinations._dynamics_wire import Answer, parse_batch
from connectors.emulators.dynamics import API, LOCAL_CREDENTIALS, create_app
from connectors.emulators.serve import RunningServer, start_in_thread

TOKEN = LOCAL_CREDENTIALS["BRIDGEWORK_DYNAMICS_TOKEN"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_in_thread(create_app(tmp_path_factory.mktemp("dataverse") / "dataverse.sqlite", key_delay=5))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + API, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def switch(server: RunningServer, **values: Any) -> dict[str, Any]:
    response = httpx.post(f"{server.url}/_emulator/faults", json=values)
    response.raise_for_status()
    return dict(response.json())


def advance(server: RunningServer, seconds: float) -> None:
    httpx.post(f"{server.url}/_emulator/clock", json={"advance": seconds}).raise_for_status()


def batch(parts: list[str], boundary: str = "batch_x") -> tuple[dict[str, str], bytes]:
    """A raw $batch body from already-formatted parts (each a full application/http part or change set)."""
    body = "".join(f"--{boundary}\r\n{p}\r\n" for p in parts) + f"--{boundary}--\r\n"
    return {"Content-Type": f"multipart/mixed; boundary={boundary}"}, body.encode()


def request_part(method: str, url: str, body: str = "", content_id: str | None = None) -> str:
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if content_id:
        head += f"Content-ID: {content_id}\r\n"
    inner = f"{method} {API}{url} HTTP/1.1\r\n"
    inner += "Content-Type: application/json\r\n\r\n" + body if body else "\r\n"
    return head + "\r\n" + inner


def change_set(parts: list[str], boundary: str = "changeset_y") -> str:
    inner = "".join(f"--{boundary}\r\n{p}\r\n" for p in parts) + f"--{boundary}--"
    return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{inner}"


def answers(response: httpx.Response) -> list[Answer]:
    return parse_batch(response.headers["content-type"], response.content)


def count(api: httpx.Client, lastname: str) -> int:
    return int(api.get(f"contacts/$count?$filter=lastname eq '{lastname}'").text)


def test_auth_and_routes(server: RunningServer, api: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        assert httpx.get(f"{server.url}{API}contacts", headers=headers).status_code == 401
        assert httpx.post(f"{server.url}{API}$batch", headers=headers).status_code == 401
    assert httpx.get(f"{server.url}/api/data/v9.1/contacts", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
    assert api.get("nosuchthings").json()["error"]["code"] == "0x80060888"
    assert api.get("WhoAmI").json()["UserId"]
    users = api.get("systemusers?$select=fullname,internalemailaddress").json()["value"]
    assert len(users) >= 3 and all("@" in u["internalemailaddress"] for u in users)


def test_create_answers_204_or_201_with_representation(api: httpx.Client) -> None:
    plain = api.post("contacts", json={"lastname": "Plain"})
    assert plain.status_code == 204 and plain.content == b""
    assert "/api/data/v9.2/contacts(" in plain.headers["OData-EntityId"]
    full = api.post("contacts", json={"lastname": "Full"}, headers={"Prefer": "return=representation"})
    assert full.status_code == 201 and full.json()["@odata.etag"].startswith('W/"')
    assert full.json()["_ownerid_value"] and full.json()["statecode"] == 0


def test_metadata_casts_and_unpaged_tables(api: httpx.Client) -> None:
    tables = api.get("EntityDefinitions?$select=LogicalName,EntitySetName").json()
    assert "@odata.nextLink" not in tables
    assert {"contact": "contacts", "opportunity": "opportunities"}.items() <= \
        {t["LogicalName"]: t["EntitySetName"] for t in tables["value"]}.items()
    attrs = api.get("EntityDefinitions(LogicalName='contact')/Attributes?$select=LogicalName,RequiredLevel").json()
    levels = {a["LogicalName"]: a["RequiredLevel"]["Value"] for a in attrs["value"]}
    assert levels["lastname"] == "ApplicationRequired" and levels["ownerid"] == "SystemRequired"
    strings = api.get("EntityDefinitions(LogicalName='task')/Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata"
                      "?$select=LogicalName,MaxLength").json()["value"]
    assert {s["LogicalName"]: s["MaxLength"] for s in strings}["subject"] == 200
    options = api.get("EntityDefinitions(LogicalName='contact')/Attributes/Microsoft.Dynamics.CRM."
                      "PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)").json()["value"]
    gender = next(o for o in options if o["LogicalName"] == "gendercode")
    assert [(o["Value"], o["Label"]["LocalizedLabels"][0]["Label"]) for o in gender["OptionSet"]["Options"]] == \
        [(1, "Male"), (2, "Female")]


def test_table_column_and_key_creation(server: RunningServer, api: httpx.Client) -> None:
    label = {"LocalizedLabels": [{"Label": "Chart", "LanguageCode": 1033}]}
    refused = api.post("EntityDefinitions(LogicalName='contact')/Attributes", json={
        "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "SchemaName": "new_chart", "MaxLength": 20})
    assert refused.status_code == 400 and "prefix" in refused.json()["error"]["message"]
    made = api.post("EntityDefinitions(LogicalName='contact')/Attributes", json={
        "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "SchemaName": "bw_Chart", "MaxLength": 20,
        "DisplayName": label})
    assert made.status_code == 204 and "/Attributes(" in made.headers["OData-EntityId"]
    for name in ("A", "A"):
        api.post("contacts", json={"lastname": "Dup", "bw_chart": name})
    assert api.post("EntityDefinitions(LogicalName='contact')/Keys",
                    json={"SchemaName": "bw_chart_key", "KeyAttributes": ["bw_chart"]}).status_code == 204

    def status() -> str:
        keys = api.get("EntityDefinitions(LogicalName='contact')/Keys").json()["value"]
        return str(next(k for k in keys if k["SchemaName"] == "bw_chart_key")["EntityKeyIndexStatus"])

    assert status() == "Pending"
    advance(server, 5)
    assert status() == "Failed"  # two contacts share 'A'
    table = api.post("EntityDefinitions", json={
        "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata", "SchemaName": "bw_Recall", "DisplayName": label,
        "Attributes": [{"@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "SchemaName": "bw_name",
                        "IsPrimaryName": True, "MaxLength": 100}]})
    assert table.status_code == 204 and "EntityDefinitions(" in table.headers["OData-EntityId"]
    assert api.post("bw_recalls", json={"bw_name": "six-month"}).status_code == 204
    assert api.post("EntityDefinitions", json={"SchemaName": "Recall2", "Attributes": []}).status_code == 400


def test_key_goes_active_after_the_delay_and_then_guards_uniqueness(server: RunningServer, api: httpx.Client) -> None:
    api.post("EntityDefinitions(LogicalName='account')/Attributes", json={
        "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "SchemaName": "bw_code", "MaxLength": 20})
    api.post("EntityDefinitions(LogicalName='account')/Keys", json={"SchemaName": "bw_code_key",
                                                                   "KeyAttributes": ["bw_code"]})
    pending = api.patch("accounts(bw_code='K1')", json={"name": "Too early"})
    assert pending.status_code == 400 and pending.json()["error"]["code"] == "0x8006088a"
    advance(server, 5)
    assert api.patch("accounts(bw_code='K1')", json={"name": "Now"}).status_code == 204
    clash = api.post("accounts", json={"name": "Other", "bw_code": "K1"})
    assert clash.status_code == 412 and clash.json()["error"]["code"] == "0x80060892"
    assert "The entity key bw_code_key requires" in clash.json()["error"]["message"]


def test_batch_change_set_is_atomic_and_resolves_content_ids(api: httpx.Client) -> None:
    good = change_set([
        request_part("POST", "accounts", '{"name": "Family CS"}', content_id="1"),
        request_part("POST", "contacts", '{"lastname": "CSMember", "parentcustomerid_account@odata.bind": "$1"}',
                     content_id="2"),
        request_part("PATCH", "$2", '{"firstname": "Via ref"}', content_id="3"),
    ])
    headers, body = batch([good])
    response = api.post("$batch", content=body, headers=headers)
    assert response.status_code == 200 and [a.status for a in answers(response)] == [204, 204, 204]
    member = api.get("contacts?$filter=lastname eq 'CSMember'&$select=firstname,_parentcustomerid_value").json()
    assert member["value"][0]["firstname"] == "Via ref" and member["value"][0]["_parentcustomerid_value"]
    bad = change_set([request_part("POST", "contacts", '{"lastname": "Rolled"}', content_id="1"),
                      request_part("POST", "contacts", '{"lastname": "' + "x" * 60 + '"}', content_id="2")])
    headers, body = batch([bad])
    response = api.post("$batch", content=body, headers=headers)
    assert response.status_code == 400 and answers(response)[0].error[0] == "0x80044331"
    assert count(api, "Rolled") == 0
    forward = change_set([request_part("PATCH", "$9", '{"lastname": "Nope"}', content_id="1")])
    headers, body = batch([forward])
    assert api.post("$batch", content=body, headers=headers).status_code == 400


def test_batch_stops_at_first_error_unless_continue_on_error(api: httpx.Client) -> None:
    parts = [request_part("POST", "contacts", '{"lastname": "Seq1"}'),
             request_part("POST", "contacts", '{"lastname": "Seq", "gendercode": 42}'),
             request_part("POST", "contacts", '{"lastname": "Seq3"}')]
    headers, body = batch(parts)
    stopped = api.post("$batch", content=body, headers=headers)
    assert stopped.status_code == 400 and [a.status for a in answers(stopped)] == [400]
    assert (count(api, "Seq1"), count(api, "Seq3")) == (1, 0)
    going = api.post("$batch", content=body, headers={**headers, "Prefer": "odata.continue-on-error"})
    assert going.status_code == 200 and [a.status for a in answers(going)] == [204, 400, 204]
    assert (count(api, "Seq1"), count(api, "Seq3")) == (2, 1)


def test_values_are_validated_by_column_type(api: httpx.Client) -> None:
    assert api.post("contacts", json={"lastname": "V", "donotemail": "yes"}).status_code == 400
    assert api.post("contacts", json={"lastname": "V", "birthdate": "not a date"}).status_code == 400
    assert api.post("contacts", json={"lastname": "V", "nosuchcolumn": 1}).json()["error"]["code"] == "0x80060888"
    assert api.post("contacts", json={"lastname": "V", "nosuch@odata.bind": "/accounts(x)"}).status_code == 400
    made = api.post("contacts", headers={"Prefer": "return=representation"},
                    json={"lastname": "V", "firstname": "", "birthdate": "1990-02-03", "creditlimit": 12.5})
    assert made.json()["firstname"] is None and made.json()["birthdate"] == "1990-02-03"
    huge = api.post("annotations", json={"subject": "big", "documentbody": "A" * 8_000_000})
    assert huge.status_code == 400 and huge.json()["error"]["code"] == "0x80043e09"


def test_paging_and_filters(api: httpx.Client) -> None:
    for i in range(5):
        api.post("contacts", json={"lastname": f"Page{i}", "jobtitle": "pager"})
    first = api.get("contacts?$select=lastname&$filter=jobtitle eq 'pager'&$count=true",
                    headers={"Prefer": "odata.maxpagesize=2"}).json()
    assert first["@odata.count"] == 5 and len(first["value"]) == 2
    second = httpx.get(first["@odata.nextLink"], headers={"Authorization": f"Bearer {TOKEN}",
                                                          "Prefer": "odata.maxpagesize=2"}).json()
    assert len(second["value"]) == 2
    both = api.get("contacts?$select=lastname&$filter=(lastname eq 'Page1' or lastname eq 'Page2') and "
                   "startswith(jobtitle,'pag')").json()["value"]
    assert sorted(r["lastname"] for r in both) == ["Page1", "Page2"]
    listed = api.get("contacts?$select=lastname&$filter=Microsoft.Dynamics.CRM.In(PropertyName='lastname',"
                     "PropertyValues=['Page3','Page4'])").json()["value"]
    assert len(listed) == 2
    assert api.get("contacts?$filter=lastname eq").status_code == 400
    assert api.get("contacts?$select=parentcustomerid").status_code == 400


def test_throttle_switches_and_faults(server: RunningServer, api: httpx.Client) -> None:
    state = switch(server, throttle_every=3, retry_after=4)
    try:
        statuses = [api.get("WhoAmI") for _ in range(6)]
    finally:
        switch(server, throttle_every=0)
    throttled = [r for r in statuses if r.status_code == 429]
    assert len(throttled) == 2 and throttled[0].headers["Retry-After"] == "4"
    assert throttled[0].json()["error"]["code"] == "0x80072322"
    switch(server, fail_every=state["counters"]["requests"] + 8, fail_status=503)
    try:
        codes = [api.get("WhoAmI").status_code for _ in range(2)]
    finally:
        switch(server, fail_every=0)
    assert 503 in codes
    switch(server, request_limit=2)
    try:
        codes = [api.get("WhoAmI").status_code for _ in range(3)]
        over = api.get("WhoAmI")
    finally:
        switch(server, request_limit=6000)
    assert codes == [200, 200, 429] and int(over.headers["Retry-After"]) > 200
    assert "6000" not in over.json()["error"]["message"] and "limit of 2" in over.json()["error"]["message"]


def test_concurrency_over_the_limit_is_refused_at_once(server: RunningServer) -> None:
    switch(server, concurrency_limit=2, slow_ms=300)
    results: list[httpx.Response] = []

    def call() -> None:
        results.append(httpx.get(f"{server.url}{API}WhoAmI", headers={"Authorization": f"Bearer {TOKEN}"}))

    threads = [threading.Thread(target=call) for _ in range(5)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        switch(server, concurrency_limit=52, slow_ms=0)
    refused = [r for r in results if r.status_code == 429]
    assert refused and all(r.json()["error"]["code"] == "0x80072326" for r in refused)
    assert any(r.status_code == 200 for r in results)


def test_dropped_connection_commits_first(server: RunningServer, api: httpx.Client) -> None:
    writes = switch(server)["counters"]["writes"]
    switch(server, drop_every=writes + 1)
    try:
        with pytest.raises(httpx.TransportError):
            api.post("contacts", json={"lastname": "Dropped"})
    finally:
        switch(server, drop_every=0)
    assert count(api, "Dropped") == 1


def test_switches_from_environment_and_state_survives_restart(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEWORK_EMULATOR_MAX_BATCH", "5")
    first = start_in_thread(create_app(tmp_path / "d.sqlite", key_delay=0, publisher_prefix="dent_"))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        state = httpx.get(f"{first.url}/_emulator/state").json()
        assert state["switches"]["max_batch"] == 5 and state["switches"]["key_delay"] == 0
        assert httpx.post(f"{first.url}{API}contacts", json={"lastname": "Kept"}, headers=headers).status_code == 204
        assert httpx.post(f"{first.url}/_emulator/faults", json={"nope": 1}).status_code == 400
        column = {"@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "MaxLength": 20}
        url = f"{first.url}{API}EntityDefinitions(LogicalName='contact')/Attributes"
        assert httpx.post(url, json={**column, "SchemaName": "bw_chart"}, headers=headers).status_code == 400
        assert httpx.post(url, json={**column, "SchemaName": "dent_chart"}, headers=headers).status_code == 204
    finally:
        first.stop()
    second = start_in_thread(create_app(tmp_path / "d.sqlite"))
    try:
        kept = httpx.get(f"{second.url}{API}contacts?$filter=lastname eq 'Kept'", headers=headers).json()["value"]
        assert len(kept) == 1
        users = httpx.get(f"{second.url}{API}systemusers", headers=headers).json()["value"]
        assert len(users) == 3  # seeded once, not again on restart
    finally:
        second.stop()


def test_unseeded_org_has_only_the_calling_user() -> None:
    bare = start_in_thread(create_app(None, seeded=False))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        state = httpx.get(f"{bare.url}/_emulator/state").json()
        assert state["records"] == {"systemuser": 1}
        me = httpx.get(f"{bare.url}{API}WhoAmI", headers=headers).json()["UserId"]
        made = httpx.post(f"{bare.url}{API}contacts", json={"lastname": "First"},
                          headers={**headers, "Prefer": "return=representation"}).json()
        assert made["_ownerid_value"] == me
    finally:
        bare.stop()


def test_unknown_guid_patch_creates_and_delete_twice(api: httpx.Client) -> None:
    chosen = str(uuid.uuid4())
    assert api.patch(f"contacts({chosen})", json={"lastname": "Chosen"}).status_code == 204
    assert api.delete(f"contacts({chosen})").status_code == 204
    gone = api.get(f"contacts({chosen})")
    assert gone.status_code == 404 and gone.json()["error"]["message"] == f"contact With Id = {chosen} Does Not Exist"
    assert api.delete(f"contacts({chosen})").status_code == 404


def test_combined_execution_time_limit(server: RunningServer, api: httpx.Client) -> None:
    switch(server, execution_limit_ms=1, slow_ms=5)
    try:
        first, second = api.get("WhoAmI"), api.get("WhoAmI")
    finally:
        switch(server, execution_limit_ms=1_200_000, slow_ms=0)
    assert first.status_code == 200 and second.status_code == 429
    assert second.json()["error"]["code"] == "0x80072321" and int(second.headers["Retry-After"]) >= 1
    assert api.get("WhoAmI").status_code == 200  # changing the limit starts a fresh window
