"""Twenty contract: the same checks against the emulator and, when configured, a real Twenty.

Real server: set BRIDGEWORK_TWENTY_URL and BRIDGEWORK_TWENTY_API_KEY. The suite then writes only
records whose external ids and emails carry a unique test prefix, and deletes them at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from connectors.base import MODIFIED_AT, DestRecord
from connectors.destinations._twenty_shape import EXTERNAL_ID_FIELD, record_id
from connectors.destinations.twenty import TwentyDestination, TwentyRetryPolicy
from connectors.emulators import twenty as emulator
from connectors.http import Pacer
from mapper.errors import ConfigError
from mapper.schema import SchemaChange
from tests.contract._server import Sleeps, TokenServer, drop_after_commit, server_fixture, upsert_remembered, with_external_ids

TAG = f"ct{uuid.uuid4().hex[:8]}"
EXTERNAL_ID = SchemaChange(kind="field", entity="person", name=EXTERNAL_ID_FIELD, type="string", unique=True,
                           external_id=True, label="bridgework external id")


Server = TokenServer  # the API key is the bearer token
server = server_fixture(Server, lambda: emulator.create_app(None, throttle=False), emulator.LOCAL_CREDENTIALS,
                        ("BRIDGEWORK_TWENTY_URL", "BRIDGEWORK_TWENTY_API_KEY"), "Twenty")


@pytest.fixture(scope="module")
def sleeps(server: Server) -> Sleeps:
    return Sleeps(server)


@pytest.fixture(scope="module")
def before(server: Server) -> dict[str, dict[str, str]]:
    """Every person and company that existed before the suite, with its updatedAt."""
    with server.raw() as client:
        out = {}
        for plural in ("people", "companies"):
            body = client.get(f"/rest/{plural}", params={"limit": 200}).json()
            out[plural] = {r["id"]: r["updatedAt"] for r in body["data"][plural]}
    return out


@pytest.fixture(scope="module")
def dest(server: Server, sleeps: Sleeps, before: dict[str, dict[str, str]]) -> Iterator[TwentyDestination]:
    """The connector under test; `before` is taken first so the snapshot precedes every write."""
    pacer = None if server.emulated else Pacer(100, 60.0)
    destination = TwentyDestination(server.raw(), url=server.url, policy=TwentyRetryPolicy(sleep=sleeps), pacer=pacer)
    yield from with_external_ids(destination, [replace(EXTERNAL_ID, entity=e) for e in ("person", "company")], server)


def person(n: int | str, **values: Any) -> DestRecord:
    return DestRecord(f"bw:{TAG}:patient:{n}", {
        "name.firstName": "Test", "name.lastName": f"{TAG}-{n}",
        "emails.primaryEmail": f"{TAG}-{n}@example.com", **values})


def upsert(dest: TwentyDestination, server: Server, records: list[DestRecord], entity: str = "person") -> list[Any]:
    return upsert_remembered(dest, server, records, entity)


def test_describe_reports_standard_objects_with_flat_names(dest: TwentyDestination, before: Any) -> None:
    schema = dest.describe()
    people = schema.entity("person")
    assert {"name.firstName", "name.lastName", "emails.primaryEmail", "phones.primaryPhoneNumber",
            "city", "jobTitle"} <= set(people.field_names)
    assert people.field("emails.primaryEmail").unique and people.field("emails.primaryEmail").type == "email"
    assert people.field("companyId").reference == "company"
    assert people.field(EXTERNAL_ID_FIELD).is_custom and people.field(EXTERNAL_ID_FIELD).unique
    assert schema.entity("company").field("domainName.primaryLinkUrl").unique
    stage = schema.entity("opportunity").field("stage")
    assert stage.type == "enum" and {"NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"} <= set(stage.enum_values)
    assert schema.entity("opportunity").has("amount.amountMicros")
    assert schema.entity("noteTarget").field("personId").reference == "person"
    assert schema.entity("note").has("bodyV2.markdown")


def test_custom_field_is_created_used_and_removed(dest: TwentyDestination, server: Server) -> None:
    change = SchemaChange(kind="field", entity="person", name=f"insurance{TAG.capitalize()}", type="string")
    first = dest.apply_change(change)
    assert dest.apply_change(change) == first  # idempotent
    with server.raw() as client:
        assert client.patch(f"/rest/metadata/fields/{first}", json={"isActive": False}).status_code == 200
    assert dest.apply_change(change) == first  # a deactivated field is switched back on, not duplicated
    assert dest.describe().entity("person").field(change.name).is_custom
    (outcome,) = upsert(dest, server, [person("custom", **{change.name: "PPO"})])
    assert dest.read("person", [outcome.destination_id])[outcome.destination_id][change.name] == "PPO"
    dest.revert_change(change)
    dest.revert_change(change)  # already gone: fine
    assert not dest.describe().entity("person").has(change.name)


def test_custom_object_with_reference_and_choice_fields(dest: TwentyDestination, server: Server) -> None:
    plan = f"plan{TAG.capitalize()}"
    obj = SchemaChange(kind="object", entity=plan, name=plan, label="Insurance plan")
    ext = SchemaChange(kind="field", entity=plan, name=EXTERNAL_ID_FIELD, type="string", unique=True, external_id=True)
    link = SchemaChange(kind="field", entity="person", name=f"{plan}Id", type="reference", reference=plan)
    tier = SchemaChange(kind="field", entity=plan, name="network", type="enum", enum_values=("In network", "Out of network"))
    changes = [obj, ext, link, tier]
    try:
        for change in changes:
            dest.apply_change(change)
        assert dest.apply_change(obj) == dest.apply_change(obj)
        schema = dest.describe()
        assert schema.entity(plan).is_custom
        assert schema.entity(plan).field("network").enum_values == ("IN_NETWORK", "OUT_OF_NETWORK")
        assert schema.entity("person").field(f"{plan}Id").reference == plan
        (made,) = dest.upsert(plan, [DestRecord(f"bw:{TAG}:plan:1", {"name": "PPO", "network": "IN_NETWORK"})])
        (member,) = upsert(dest, server, [person("member", **{f"{plan}Id": made.destination_id})])
        assert dest.read("person", [member.destination_id])[member.destination_id][f"{plan}Id"] == made.destination_id
        dest.delete("person", [member.destination_id])
        assert dest.delete(plan, [made.destination_id])[0].action == "delete"
    finally:
        for change in reversed(changes):
            dest.revert_change(change)
    assert not dest.describe().has(plan)


def test_batch_at_the_cap_passes_and_one_over_is_split(dest: TwentyDestination, server: Server) -> None:
    sent: list[str] = []
    dest.client.event_hooks["request"] = [lambda r: sent.append(f"{r.method} {r.url.path}")]
    try:
        outcomes = upsert(dest, server, [person(f"cap{i}") for i in range(61)])
    finally:
        dest.client.event_hooks["request"] = []
    assert [o.action for o in outcomes] == ["create"] * 61
    assert sent.count("POST /rest/batch/people") == 2


def test_raw_batch_cap_is_sixty(server: Server) -> None:
    bodies = [{"id": str(uuid.uuid4()), "name": {"firstName": "Raw", "lastName": f"{TAG}-{i}"}} for i in range(61)]
    with server.raw() as client:
        over = client.post("/rest/batch/people", json=bodies)
        assert over.status_code == 400
        assert over.json()["messages"] == ["Maximum number of records to upsert is 60."]
        at_cap = client.post("/rest/batch/people", json=bodies[:60])
        assert at_cap.status_code == 201
        assert len(at_cap.json()["data"]["createPeople"]) == 60
    server.created["person"] += [b["id"] for b in bodies[:60]]


def test_upsert_twice_gives_one_record(dest: TwentyDestination, server: Server) -> None:
    record = person("twice", city="Leeds")
    (first,) = upsert(dest, server, [record])
    (second,) = upsert(dest, server, [record])
    assert (first.action, second.action) == ("create", "unchanged")
    assert first.destination_id == second.destination_id == record_id(record.external_id)
    assert dest.find("person", [record.external_id]) == {record.external_id: first.destination_id}
    assert dest.count("person", record.external_id) == 1


def test_update_writes_and_moves_modified_time(dest: TwentyDestination, server: Server) -> None:
    (created,) = upsert(dest, server, [person("upd", city="Leeds")])
    old = dest.read("person", [created.destination_id])[created.destination_id]
    (changed,) = upsert(dest, server, [person("upd", city="York")])
    assert changed.action == "update"
    new = dest.read("person", [created.destination_id])[created.destination_id]
    assert new["city"] == "York" and new[MODIFIED_AT] != old[MODIFIED_AT]
    restored = dest.update("person", created.destination_id, old)  # a before-image, as rollback sends it
    assert restored.action == "update" and restored.external_id == f"bw:{TAG}:patient:upd"
    after = dest.read("person", [created.destination_id])[created.destination_id]
    assert {k: v for k, v in after.items() if k not in ("updatedAt", MODIFIED_AT)} == \
        {k: v for k, v in old.items() if k not in ("updatedAt", MODIFIED_AT)}


def test_delete_is_hard(dest: TwentyDestination, server: Server) -> None:
    (created,) = upsert(dest, server, [person("del")])
    (deleted,) = dest.delete("person", [created.destination_id])
    assert deleted.action == "delete" and deleted.external_id == f"bw:{TAG}:patient:del"
    assert dest.read("person", [created.destination_id]) == {}
    with server.raw() as client:
        gone = client.get(f"/rest/people/{created.destination_id}")
    assert gone.status_code == 400 and gone.json()["messages"] == ["Record not found"]
    (again,) = dest.delete("person", [created.destination_id])
    assert again.details == {"already_absent": True}


def test_silent_lower_casing_shows_in_read_back(dest: TwentyDestination, server: Server) -> None:
    sent = f"Mixed.{TAG}@Example.COM"
    (created,) = upsert(dest, server, [person("case", **{"emails.primaryEmail": sent})])
    stored = dest.read("person", [created.destination_id])[created.destination_id]
    assert stored["emails.primaryEmail"] == sent.lower() != sent
    assert stored["jobTitle"] == ""  # omitted TEXT reads ''


def test_one_bad_record_is_isolated(dest: TwentyDestination, server: Server) -> None:
    records = [person(f"iso{i}") for i in range(5)]
    records[2] = person("iso2", **{"phones.primaryPhoneCountryCode": "QQ"})
    outcomes = upsert(dest, server, records)
    assert [o.action for o in outcomes] == ["create", "create", "reject", "create", "create"]
    assert outcomes[2].code == "invalid_phone_country" and "QQ" not in (outcomes[2].error or "")


def test_duplicate_email_is_rejected_not_merged(dest: TwentyDestination, server: Server) -> None:
    upsert(dest, server, [person("dupA", **{"emails.primaryEmail": f"{TAG}-family@example.com"})])
    (dup,) = upsert(dest, server, [person("dupB", **{"emails.primaryEmail": f"{TAG}-family@example.com"})])
    assert dup.action == "reject" and dup.code == "duplicate"
    assert "family" not in (dup.error or "")


def test_note_links_to_person_and_cascades(dest: TwentyDestination, server: Server) -> None:
    (patient,) = upsert(dest, server, [person("noted")])
    with server.raw() as client:
        note = client.post("/rest/notes", json={"title": f"{TAG} note", "bodyV2": {"markdown": "Hello"}})
        assert note.status_code == 201
        note_id = note.json()["data"]["createNote"]["id"]
        server.created["note"].append(note_id)
        link = client.post("/rest/noteTargets", json={"noteId": note_id, "personId": patient.destination_id})
        assert link.status_code == 201
        dest.delete("person", [patient.destination_id])
        targets = client.get("/rest/noteTargets", params={"filter": f"noteId[eq]:{note_id}"}).json()
    assert targets["totalCount"] == 0


def test_throttling_is_retried_after_the_window(dest: TwentyDestination, server: Server, sleeps: Sleeps) -> None:
    if not server.emulated:
        pytest.skip("throttling is switched on only in the emulator")
    sleeps.calls.clear()
    for status in (429, 400):
        server.switch(throttle=True, throttle_limit=2, throttle_status=status)
        try:
            outcomes = upsert(dest, server, [person(f"thr{status}")])
            assert dest.read("person", [outcomes[0].destination_id])
        finally:
            server.switch(throttle=False, throttle_limit=100)
        assert outcomes[0].action == "create"
    # one token of the bucket the message names: 60,000 ms / 2 tokens, plus jitter
    assert sleeps.calls and all(30 <= s <= 33 for s in sleeps.calls)
    assert server.state()["counters"]["throttled"] == len(sleeps.calls)


def test_dropped_connection_after_commit_does_not_duplicate(dest: TwentyDestination, server: Server) -> None:
    outcomes = drop_after_commit(server, lambda: upsert(dest, server, [person(f"drop{i}") for i in range(3)]))
    assert [o.action for o in outcomes] == ["create"] * 3
    assert dest.count("person", f"bw:{TAG}:patient:drop") == 3


def test_bad_credentials_say_what_to_do(server: Server) -> None:
    with server.raw("not-a-key") as client:
        assert client.get("/rest/people").status_code == 401
        assert client.get("/rest/metadata/objects").status_code == 401
        assert client.post("/graphql", json={"query": "{ __typename }"}).status_code == 401
        wrong = TwentyDestination(server.raw("not-a-key"), url=server.url, policy=TwentyRetryPolicy(sleep=lambda s: None))
        with pytest.raises(ConfigError, match="BRIDGEWORK_TWENTY_API_KEY"):
            wrong.describe()


def test_zz_cleanup_touches_only_what_the_suite_made(dest: TwentyDestination, server: Server,
                                                      before: dict[str, dict[str, str]]) -> None:
    with server.raw() as client:
        for note_id in server.created["note"]:
            client.delete(f"/rest/notes/{note_id}")
    for entity in ("person", "company"):
        ids = list(dict.fromkeys(server.created[entity]))
        assert all(o.action in ("delete",) for o in dest.delete(entity, ids))
    assert dest.count("person", f"bw:{TAG}:") == 0
    with server.raw() as client:
        for plural in ("people", "companies"):
            body = client.get(f"/rest/{plural}", params={"limit": 200}).json()
            after = {r["id"]: r["updatedAt"] for r in body["data"][plural]}
            assert after == before[plural]
