"""Twenty emulator behaviours the contract suite cannot force on a real server (reference §1.13)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.emulators import twenty as emulator
from connectors.emulators.serve import start_in_thread

KEY = emulator.LOCAL_CREDENTIALS["BRIDGEWORK_TWENTY_API_KEY"]


class Api:
    """A raw client on one emulator plus its admin endpoint."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.http, name)

    def switch(self, **values: Any) -> dict[str, Any]:
        return dict(self.http.post("/_emulator/faults", json=values).json())

    def ok(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code < 300, response.text
        return dict(response.json())

    def refused(self, method: str, path: str, **kwargs: Any) -> str:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["statusCode"] == 400 and body["error"]
        return str(body["messages"][0])


def _serve(**switches: Any) -> Iterator[Api]:
    running = start_in_thread(emulator.create_app(None, **switches))
    yield Api(running.url)
    running.stop()


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    yield from _serve(throttle=False)


@pytest.fixture(scope="module")
def old() -> Iterator[Api]:
    yield from _serve(profile="2025-06", seeded=False)


def new_person(api: Api, **body: Any) -> dict[str, Any]:
    return dict(api.ok("POST", "/rest/people", json=body)["data"]["createPerson"])


def test_seeded_workspace_has_five_sample_companies_and_people(api: Api, old: Api) -> None:
    companies = api.ok("GET", "/rest/companies")["data"]["companies"]
    assert sorted(c["name"] for c in companies) == ["Airbnb", "Figma", "Notion", "Qonto", "Stripe"]
    assert api.ok("GET", "/rest/people")["totalCount"] == 5
    assert old.ok("GET", "/rest/people")["totalCount"] == 0


def test_cursor_pagination_walks_every_record_once(api: Api) -> None:
    tag = uuid.uuid4().hex[:6]
    api.ok("POST", "/rest/batch/people", json=[{"city": f"page{tag}", "jobTitle": str(i)} for i in range(23)])
    seen, cursor = [], None
    while True:
        params = {"limit": 7, "filter": f'city[eq]:"page{tag}"', **({"starting_after": cursor} if cursor else {})}
        body = api.ok("GET", "/rest/people", params=params)
        assert body["totalCount"] == 23
        seen += [r["id"] for r in body["data"]["people"]]
        if not body["pageInfo"]["hasNextPage"]:
            break
        cursor = body["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 23
    assert len(api.ok("GET", "/rest/people")["data"]["people"]) <= 60


def test_filter_grammar(api: Api) -> None:
    tag = uuid.uuid4().hex[:6]
    a = new_person(api, name={"firstName": "Ann", "lastName": tag}, city="Leeds", emails={"primaryEmail": f"a{tag}@x.io"})
    new_person(api, name={"firstName": "Bob", "lastName": tag}, city="York")

    def ids(text: str) -> int:
        return int(api.ok("GET", "/rest/people", params={"filter": text})["totalCount"])

    assert ids(f'name.lastName[eq]:"{tag}"') == 2
    assert ids(f'and(name.lastName[eq]:"{tag}",city[eq]:"Leeds")') == 1
    assert ids(f'name.lastName[eq]:"{tag}",or(city[eq]:"Leeds",city[eq]:"York")') == 2
    assert ids(f'and(name.lastName[eq]:"{tag}",not(city[eq]:"Leeds"))') == 1
    assert ids(f'emails.primaryEmail[in]:["a{tag}@x.io","nobody@x.io"]') == 1
    assert ids(f'and(name.lastName[eq]:"{tag}",name.firstName[ilike]:"%ann%")') == 1
    assert ids(f'and(name.lastName[eq]:"{tag}",name.firstName[like]:"%ann%")') == 0
    assert ids(f'and(name.lastName[startsWith]:"{tag[:4]}",companyId[is]:NULL)') == 2
    assert ids(f'and(name.lastName[eq]:"{tag}",createdAt[gte]:"{a["createdAt"]}")') == 2
    assert api.refused("GET", "/rest/people", params={"filter": "city=Leeds"}) == \
        "'filter' invalid for 'city=Leeds'. eg: price[gte]:10"
    assert "does not exist" in api.refused("GET", "/rest/people", params={"filter": 'nope[eq]:"x"'})


def test_ids_timestamps_and_not_found(api: Api) -> None:
    chosen = str(uuid.uuid4())
    created = new_person(api, id=chosen, createdAt="2019-03-04T05:06:07.000Z")
    assert created["id"] == chosen and created["createdAt"] == "2019-03-04T05:06:07.000Z"
    assert api.refused("POST", "/rest/people", json={"id": chosen}) == "Record already exists"
    updated = api.ok("PATCH", f"/rest/people/{chosen}", json={"city": "Hull"})["data"]["updatePerson"]
    assert updated["updatedAt"] != created["updatedAt"]
    assert api.refused("GET", f"/rest/people/{uuid.uuid4()}") == "Record not found"
    assert api.refused("GET", "/rest/people/42") == "'42' is not a valid UUID"
    assert api.refused("PATCH", f"/rest/people/{uuid.uuid4()}", json={"city": "x"}) == "Record not found"


def test_values_checked_and_changed_silently(api: Api) -> None:
    company = api.ok("POST", "/rest/companies", json={
        "name": "Smile", "domainName": {"primaryLinkUrl": "HTTPS://Smile.Example/"}})["data"]["createCompany"]
    assert company["domainName"]["primaryLinkUrl"] == "https://smile.example"
    assert company["address"]["addressCity"] == "" and company["employees"] is None
    person = new_person(api, emails={"primaryEmail": "X@Y.io", "additionalEmails": ["B@Y.io"]})
    assert person["emails"] == {"primaryEmail": "x@y.io", "additionalEmails": '["b@y.io"]'}
    assert api.refused("POST", "/rest/people", json={"phones": {"primaryPhoneCallingCode": "+999"}}) == \
        "Invalid calling code +999"
    assert "enum" in api.refused("POST", "/rest/opportunities", json={"stage": "WON"})
    assert "not-null" in api.refused("POST", "/rest/people", json={"city": None})
    assert api.refused("POST", "/rest/notes", json={"body": "x"}) == \
        "Rich text is not supported, please use RICH_TEXT_V2 instead"
    note = api.ok("POST", "/rest/notes", json={"bodyV2": {"markdown": "Hi"}})["data"]["createNote"]
    assert note["bodyV2"]["markdown"] == "Hi" and "Hi" in note["bodyV2"]["blocknote"]


def test_batch_is_all_or_nothing(api: Api) -> None:
    before = api.ok("GET", "/rest/people")["totalCount"]
    assert "country" in api.refused("POST", "/rest/batch/people", json=[
        {"city": "ok"}, {"phones": {"primaryPhoneCountryCode": "ZZ"}}])
    assert api.ok("GET", "/rest/people")["totalCount"] == before


def test_soft_delete_restore_and_unique_collision(api: Api) -> None:
    person = new_person(api, emails={"primaryEmail": "soft@x.io"})
    api.ok("DELETE", f"/rest/people/{person['id']}", params={"soft_delete": "true"})
    assert api.refused("GET", f"/rest/people/{person['id']}") == "Record not found"
    deleted = api.ok("GET", "/rest/people", params={"filter": "deletedAt[is]:NOT_NULL"})["data"]["people"]
    assert [p["id"] for p in deleted] == [person["id"]]
    assert "duplicate entry" in api.refused("POST", "/rest/people", json={"emails": {"primaryEmail": "soft@x.io"}})
    api.ok("PATCH", f"/rest/people/{person['id']}/restore")
    assert api.ok("GET", f"/rest/people/{person['id']}")["data"]["person"]["deletedAt"] is None


def test_old_profile_deletes_hard_has_no_batch_cap_and_pg_duplicate_text(old: Api) -> None:
    assert len(old.ok("POST", "/rest/batch/companies", json=[{"name": str(i)} for i in range(61)])
               ["data"]["createCompanies"]) == 61
    person = new_person(old, emails={"primaryEmail": "dup@x.io"})
    assert old.refused("POST", "/rest/people", json={"emails": {"primaryEmail": "dup@x.io"}}).startswith(
        "duplicate key value violates unique constraint")
    old.ok("DELETE", f"/rest/people/{person['id']}", params={"soft_delete": "true"})
    assert old.ok("GET", "/rest/people", params={"filter": "deletedAt[is]:NOT_NULL"})["totalCount"] == 0
    assert old.patch(f"/rest/people/{person['id']}/restore").status_code == 404
    soft = new_person(old, emails={"primaryEmail": "soft@x.io"})
    old.ok("POST", "/graphql", json={"query": f'mutation {{ deletePerson(id: "{soft["id"]}") {{ id }} }}'})
    new_person(old, emails={"primaryEmail": "soft@x.io"})  # 2025-06: a soft-deleted row holds no unique value
    new_person(old, emails={"primaryEmail": ""})
    new_person(old, emails={"primaryEmail": ""})  # nor does an empty one


def test_upsert_matches_id_then_unique_fields(api: Api) -> None:
    person = new_person(api, emails={"primaryEmail": "up@x.io"}, city="A")
    by_id = api.ok("POST", "/rest/people?upsert=true", json={"id": person["id"], "city": "B"})["data"]["createPerson"]
    by_email = api.ok("POST", "/rest/people?upsert=true", json={"emails": {"primaryEmail": "UP@x.io"}, "city": "C"})
    assert by_id["id"] == by_email["data"]["createPerson"]["id"] == person["id"]
    fresh = api.ok("POST", "/rest/batch/people?upsert=true", json=[{"emails": {"primaryEmail": "new@x.io"}}])
    assert fresh["data"]["createPeople"][0]["id"] != person["id"]


def test_metadata_objects_fields_and_removal(api: Api) -> None:
    objects = api.ok("GET", "/rest/metadata/objects")
    person_meta = next(o for o in objects["data"]["objects"] if o["nameSingular"] == "person")
    assert {"id", "namePlural", "labelIdentifierFieldMetadataId", "isCustom", "fields"} <= set(person_meta)
    assert objects["totalCount"] == len(objects["data"]["objects"])
    created = api.ok("POST", "/rest/metadata/objects", json={
        "nameSingular": "insurancePlan", "namePlural": "insurancePlans",
        "labelSingular": "Insurance plan", "labelPlural": "Insurance plans"})["data"]["createOneObject"]
    plan = api.ok("POST", "/rest/insurancePlans", json={"name": "PPO"})["data"]["createInsurancePlan"]
    api.ok("POST", "/rest/noteTargets", json={"insurancePlanId": plan["id"]})
    field = api.ok("POST", "/rest/metadata/fields", json={
        "objectMetadataId": created["id"], "type": "TEXT", "name": "planCode", "label": "Plan code",
        "isUnique": True})["data"]["createOneField"]
    api.ok("PATCH", f"/rest/insurancePlans/{plan['id']}", json={"planCode": "P1"})
    assert "duplicate" in api.refused("POST", "/rest/insurancePlans", json={"planCode": "P1"})
    bad = api.post("/rest/metadata/fields", json={"objectMetadataId": created["id"], "type": "TEXT", "name": "Bad Name"})
    assert bad.status_code == 400 and bad.json()["error"] == "Bad Request"
    assert api.refused("DELETE", f"/rest/metadata/fields/{field['id']}") == "Active fields cannot be deleted"
    api.ok("PATCH", f"/rest/metadata/fields/{field['id']}", json={"isActive": False})
    api.ok("DELETE", f"/rest/metadata/fields/{field['id']}")
    assert "planCode" not in api.ok("GET", f"/rest/insurancePlans/{plan['id']}")["data"]["insurancePlan"]


def test_throttle_buckets_and_switchable_status() -> None:
    for api in _serve():
        statuses = [api.get("/rest/companies", params={"limit": 1}).status_code for _ in range(101)]
        assert statuses[:100] == [200] * 100
        last = api.get("/rest/companies")
        assert last.status_code == 429 and "retry-after" not in last.headers
        assert last.json()["messages"] == ["Limit reached (100 tokens per 60000 ms)"]
        graphql = api.post("/graphql", json={"query": "mutation { destroyPerson(id: \"x\") { id } }"})
        assert graphql.status_code == 200 and graphql.json()["errors"][0]["message"].startswith("Limit reached")
        api.switch(throttle_status=400)
        assert api.get("/rest/companies").status_code == 400
        api.post("/_emulator/clock", json={"advance": 60})
        assert api.get("/rest/companies").status_code == 200
    for old in _serve(profile="2025-06"):
        assert {old.get("/rest/companies", params={"limit": 1}).status_code for _ in range(120)} == {200}
        answers = [old.post("/graphql", json={"query": "{ x }"}).json() for _ in range(501)]
        assert answers[499]["errors"][0]["message"] != "Too many requests."
        assert answers[500] == {"errors": [{"message": "Too many requests."}]}


def test_fault_switches_are_deterministic(api: Api) -> None:
    api.switch(fail_every=2, fail_status=503)
    try:
        statuses = [api.get("/rest/companies", params={"limit": 1}).status_code for _ in range(4)]
    finally:
        api.switch(fail_every=0, fail_status=429)
    assert sorted(statuses) == [200, 200, 503, 503]
    api.switch(fail_next=1)
    assert api.get("/rest/companies").status_code == 429
    assert api.get("/rest/companies").status_code == 200
    writes = api.get("/_emulator/state").json()["counters"]["writes"]
    api.switch(drop_every=writes + 1)
    try:
        with pytest.raises(httpx.RemoteProtocolError):
            api.post("/rest/companies", json={"name": "Dropped"})
    finally:
        api.switch(drop_every=0)
    assert api.ok("GET", "/rest/companies", params={"filter": 'name[eq]:"Dropped"'})["totalCount"] == 1


def test_switches_from_environment_and_state_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BRIDGEWORK_EMULATOR_FAIL_EVERY", "7")
    monkeypatch.setenv("BRIDGEWORK_EMULATOR_SEEDED", "false")
    app = emulator.create_app(tmp_path / "twenty.sqlite")
    assert app.state.emulator.switches.fail_every == 7
    assert app.state.emulator.state()["records"] == {"workspaceMember": 1}
    app.state.emulator.records.create("company", [{"name": "Kept"}], upsert=False)
    again = emulator.create_app(tmp_path / "twenty.sqlite")
    assert again.state.emulator.state()["records"] == {"company": 1, "workspaceMember": 1}


def test_auth_required_everywhere(api: Api) -> None:
    for path in ("/rest/people", "/rest/metadata/objects"):
        assert httpx.get(api.url + path).status_code == 401
    assert httpx.post(api.url + "/graphql", json={}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.post(api.url + "/metadata", json={}).status_code == 401


def test_graphql_upsert_and_destroy(api: Api) -> None:
    person = new_person(api, emails={"primaryEmail": "gql@x.io"}, city="A")
    mutation = "mutation M($data: [PersonCreateInput!]!) { createPeople(data: $data, upsert: true) { id city } }"
    body = api.ok("POST", "/graphql", json={"query": mutation, "variables": {"data": [
        {"emails": {"primaryEmail": "gql@x.io"}, "city": "B"}, {"emails": {"primaryEmail": "gql2@x.io"}}]}})
    first, second = body["data"]["createPeople"]
    assert first["id"] == person["id"] and first["city"] == "B" and second["id"] != person["id"]
    plain = "mutation { createPerson(data: {emails: {primaryEmail: \"x\"}}) { id } }"
    assert "errors" in api.ok("POST", "/graphql", json={"query": plain})  # object literals are not parsed
    dup = api.ok("POST", "/graphql", json={"query": "mutation M($d: PersonCreateInput) { createPerson(data: $d) { id } }",
                                          "variables": {"d": {"emails": {"primaryEmail": "gql@x.io"}}}})
    assert dup["errors"][0]["message"] == "Duplicate Emails. Please set a unique one."
    gone = api.ok("POST", "/graphql", json={"query": f'mutation {{ destroyPerson(id: "{person["id"]}") {{ id }} }}'})
    assert gone["data"]["destroyPerson"]["id"] == person["id"]
    assert api.refused("GET", f"/rest/people/{person['id']}") == "Record not found"
