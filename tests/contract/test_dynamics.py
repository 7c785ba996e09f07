"""Dataverse contract: the same checks against the emulator and, when configured, a real Dynamics 365 org.

Real org: set BRIDGEWORK_DYNAMICS_URL (https://<org>.crm.dynamics.com) and BRIDGEWORK_DYNAMICS_TOKEN (a
bearer token of an application user with the System Customizer role), and BRIDGEWORK_DYNAMICS_SOLUTION to
the unique name of a solution whose publisher's prefix is `bw`. The suite then writes only records
whose external ids carry a unique test prefix, creates custom columns/tables named after that prefix, and
deletes all of it at the end. `bw_externalid` and its key are created where missing and removed again only
if the suite made them. Fault injection (throttling, dropped connections) runs on the emulator only.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import MODIFIED_AT, DestRecord
from connectors.destinations.dynamics import (
    EXTERNAL_ID_FIELD,
    TOKEN_ENV,
    DynamicsDestination,
    from_settings,
    make_dynamics_client,
)
from connectors.destinations._dynamics_wire import Call, batch_body, parse_batch
from connectors.emulators import dynamics as emulator
from connectors.emulators.serve import free_port
from connectors.http import RetryPolicy
from mapper.errors import ConfigError, DestinationError
from mapper.schema import SchemaChange
from tests.contract._server import Sleeps, TokenServer, drop_after_commit, server_fixture, upsert_remembered, with_external_ids

TAG = f"ct{uuid.uuid4().hex[:8]}"
EXTERNAL_ID = SchemaChange(kind="field", entity="contact", name=EXTERNAL_ID_FIELD, type="string", max_length=255,
                           unique=True, external_id=True, label="bridgework external id")


class Server(TokenServer):
    """Where the suite points: org URL, token, and the emulator's admin hooks when it is one."""

    def raw(self, token: str | None = None) -> httpx.Client:
        return make_dynamics_client(self.url, token or self.token)


server = server_fixture(Server, lambda: emulator.create_app(None), emulator.LOCAL_CREDENTIALS,
                        ("BRIDGEWORK_DYNAMICS_URL", TOKEN_ENV), "org")


@pytest.fixture(scope="module")
def sleeps(server: Server) -> Sleeps:
    return Sleeps(server)  # a real org builds alternate keys and lifts throttles only in real time


def _snapshot(server: Server) -> dict[str, dict[str, str]]:
    with server.raw() as client:
        out = {}
        for entity_set, key in (("contacts", "contactid"), ("accounts", "accountid")):
            body = client.get(f"{entity_set}?$select={key},modifiedon&$top=5000").json()
            out[entity_set] = {r[key]: r["modifiedon"] for r in body["value"]}
    return out


@pytest.fixture(scope="module")
def before(server: Server) -> dict[str, dict[str, str]]:
    """Every contact and account that existed before the suite, with its modifiedon."""
    return _snapshot(server)


@pytest.fixture(scope="module")
def dest(server: Server, sleeps: Sleeps, before: dict[str, dict[str, str]]) -> Iterator[DynamicsDestination]:
    """The connector under test; `before` is taken first so the snapshot precedes every write."""
    destination = DynamicsDestination(server.raw(), url=server.url, policy=RetryPolicy(sleep=sleeps, cap=300.0),
                                      solution=None if server.emulated else os.environ.get("BRIDGEWORK_DYNAMICS_SOLUTION"))
    yield from with_external_ids(destination, [replace(EXTERNAL_ID, entity=e) for e in ("contact", "account")], server)


def contact(n: int | str, **values: Any) -> DestRecord:
    return DestRecord(f"bw:{TAG}:patient:{n}", {"firstname": "Test", "lastname": f"{TAG}-{n}", **values})


def upsert(dest: DynamicsDestination, server: Server, records: list[DestRecord], entity: str = "contact") -> list[Any]:
    return upsert_remembered(dest, server, records, entity)


def test_describe_reports_tables_columns_and_required_levels(dest: DynamicsDestination) -> None:
    schema = dest.describe()
    assert {"contact", "account", "opportunity", "appointment", "task", "annotation", "systemuser"} <= \
        set(schema.entity_names)
    contacts = schema.entity("contact")
    assert contacts.key == "contactid" and contacts.field("contactid").is_key
    email = contacts.field("emailaddress1")
    assert email.type == "email" and email.max_length == 100
    last = contacts.field("lastname")
    assert last.required and "ApplicationRequired" in last.description  # reported, though not enforced
    assert not contacts.field("ownerid").required  # SystemRequired but filled by the server
    assert {"Male", "Female"} <= set(contacts.field("gendercode").enum_values)
    assert contacts.field("parentcustomerid").type == "reference"
    assert contacts.field("birthdate").type == "date" and contacts.field("createdon").readonly
    ext = contacts.field(EXTERNAL_ID_FIELD)
    assert ext.is_custom and ext.unique and ext.max_length == 255
    assert schema.entity("annotation").has("documentbody")
    assert schema.entity("task").field("subject").max_length == 200


def test_custom_column_is_created_used_and_removed(dest: DynamicsDestination, server: Server) -> None:
    change = SchemaChange(kind="field", entity="contact", name=f"bw_insurance{TAG}", type="string", max_length=40)
    first = dest.apply_change(change)
    assert dest.apply_change(change) == first  # idempotent
    assert dest.describe().entity("contact").field(change.name).is_custom
    (outcome,) = upsert(dest, server, [contact("custom", **{change.name: "PPO"})])
    assert dest.read("contact", [outcome.destination_id])[outcome.destination_id][change.name] == "PPO"
    dest.revert_change(change)
    dest.revert_change(change)  # already gone: fine
    assert not dest.describe().entity("contact").has(change.name)


def test_schema_name_without_the_publisher_prefix_is_refused(dest: DynamicsDestination) -> None:
    with pytest.raises(DestinationError, match="publisher prefix"):
        dest.apply_change(SchemaChange(kind="field", entity="contact", name=f"insurance{TAG}", type="string"))


def test_custom_table_with_lookup_and_choice(dest: DynamicsDestination, server: Server) -> None:
    plan = f"bw_plan{TAG}"
    table = SchemaChange(kind="object", entity=plan, name=plan, label="Insurance plan")
    ext = SchemaChange(kind="field", entity=plan, name=EXTERNAL_ID_FIELD, type="string", max_length=255, unique=True,
                       external_id=True)
    tier = SchemaChange(kind="field", entity=plan, name="bw_network", type="enum",
                        enum_values=("In network", "Out of network"))
    link = SchemaChange(kind="field", entity="contact", name=f"bw_plan{TAG}id", type="reference", reference=plan)
    changes = [table, ext, tier, link]
    try:
        for change in changes:
            dest.apply_change(change)
        assert dest.apply_change(table) == dest.apply_change(table)
        schema = dest.describe()
        assert schema.entity(plan).is_custom
        assert schema.entity(plan).field("bw_network").enum_values == ("In network", "Out of network")
        assert schema.entity("contact").field(link.name).reference == plan
        (made,) = dest.upsert(plan, [DestRecord(f"bw:{TAG}:plan:1", {"bw_name": "PPO", "bw_network": "In network"})])
        assert made.action == "create"
        (member,) = upsert(dest, server, [contact("member", **{link.name: made.destination_id})])
        stored = dest.read("contact", [member.destination_id])[member.destination_id]
        assert stored[link.name] == made.destination_id
        assert dest.read(plan, [made.destination_id])[made.destination_id]["bw_network"] == "In network"
        dest.delete("contact", [member.destination_id])
        assert dest.delete(plan, [made.destination_id])[0].action == "delete"
    finally:
        for change in reversed(changes):
            dest.revert_change(change)
    assert not dest.describe().has(plan)


def test_batch_at_the_cap_passes_and_one_over_is_split(dest: DynamicsDestination, server: Server) -> None:
    writes: list[int] = []  # upserts per $batch that carries writes (lookups travel in $batch too)
    dest.client.event_hooks["request"] = [lambda r: writes.append(r.content.count(b"\r\nPATCH /api/data/v9.2/"))]
    cap = dest.capabilities.max_batch
    try:
        outcomes = upsert(dest, server, [contact(f"cap{i}") for i in range(cap + 1)])
    finally:
        dest.client.event_hooks["request"] = []
    assert [o.action for o in outcomes] == ["create"] * (cap + 1)
    assert [n for n in writes if n] == [cap, 1]


def test_raw_batch_allows_1000_requests_and_refuses_1001(server: Server) -> None:
    with server.raw() as client:
        for n, status in ((1000, 200), (1001, 400)):
            content_type, body = batch_body([Call("GET", "WhoAmI")] * n)
            response = client.post("$batch", content=body, headers={"Content-Type": content_type})
            assert response.status_code == status
        answers = parse_batch(response.headers.get("content-type", ""), response.content)
        assert answers == [] and response.json()["error"]["code"].startswith("0x")


def test_upsert_twice_gives_one_record(dest: DynamicsDestination, server: Server) -> None:
    record = contact("twice", address1_city="Leeds")
    (first,) = upsert(dest, server, [record])
    (second,) = upsert(dest, server, [record])
    assert (first.action, second.action) == ("create", "unchanged")
    assert first.destination_id == second.destination_id
    assert dest.find("contact", [record.external_id]) == {record.external_id: first.destination_id}
    assert dest.count("contact", record.external_id) == 1


def test_external_id_with_a_slash_upserts_by_derived_guid(dest: DynamicsDestination, server: Server) -> None:
    record = DestRecord(f"bw:{TAG}:patient:A/7", {"lastname": f"{TAG}-slash"})
    (first,) = upsert(dest, server, [record])
    (second,) = upsert(dest, server, [replace(record, values={"lastname": f"{TAG}-slash2"})])
    assert (first.action, second.action) == ("create", "update") and first.destination_id == second.destination_id
    assert dest.find("contact", [record.external_id]) == {record.external_id: first.destination_id}


def test_update_writes_and_before_image_restores(dest: DynamicsDestination, server: Server) -> None:
    (created,) = upsert(dest, server, [contact("upd", address1_city="Leeds", gendercode="Female")])
    old = dest.read("contact", [created.destination_id])[created.destination_id]
    (changed,) = upsert(dest, server, [contact("upd", address1_city="York", gendercode="Female")])
    assert changed.action == "update" and changed.destination_id == created.destination_id
    new = dest.read("contact", [created.destination_id])[created.destination_id]
    assert new["address1_city"] == "York" and new[MODIFIED_AT] and new["versionnumber"] != old["versionnumber"]
    restored = dest.update("contact", created.destination_id, old)  # a before-image, as rollback sends it
    assert restored.action == "update" and restored.external_id == f"bw:{TAG}:patient:upd"
    after = dest.read("contact", [created.destination_id])[created.destination_id]
    volatile = ("modifiedon", "versionnumber", MODIFIED_AT)
    assert {k: v for k, v in after.items() if k not in volatile} == {k: v for k, v in old.items() if k not in volatile}
    missing = dest.update("contact", str(uuid.uuid4()), {"address1_city": "Hull"})
    assert missing.action == "reject" and missing.code == "missing"


def test_delete_is_permanent(dest: DynamicsDestination, server: Server) -> None:
    (created,) = upsert(dest, server, [contact("del")])
    (deleted,) = dest.delete("contact", [created.destination_id])
    assert deleted.action == "delete" and deleted.external_id == f"bw:{TAG}:patient:del"
    assert dest.read("contact", [created.destination_id]) == {}
    with server.raw() as client:
        gone = client.get(f"contacts({created.destination_id})")
        assert gone.status_code == 404
        assert client.delete(f"contacts({created.destination_id})").status_code == 404
    (again,) = dest.delete("contact", [created.destination_id])
    assert again.details == {"already_absent": True}


def test_too_long_value_is_a_loud_rejection_and_isolated(dest: DynamicsDestination, server: Server) -> None:
    records = [contact(f"iso{i}") for i in range(5)]
    records[2] = contact("iso2", firstname="Q" * 51)
    outcomes = upsert(dest, server, records)
    assert [o.action for o in outcomes] == ["create", "create", "reject", "create", "create"]
    assert outcomes[2].code == "too_long" and "QQ" not in (outcomes[2].error or "")
    assert outcomes[2].error == "contact.firstname is longer than 50 characters (Dataverse 0x80044331)"
    with server.raw() as client:
        raw = client.post("tasks", json={"subject": "S" * 201})
    assert raw.status_code == 400
    assert raw.json()["error"] == {"code": "0x80044331", "message": "A validation error occurred.  The length of the "
                                   "'subject' attribute of the 'task' entity exceeded the maximum allowed length of '200'."}


def test_application_required_is_not_enforced(dest: DynamicsDestination, server: Server) -> None:
    """lastname is ApplicationRequired: describe() calls it required, but the API accepts a contact without it."""
    (made,) = upsert(dest, server, [DestRecord(f"bw:{TAG}:patient:nolast", {"firstname": "Only"})])
    assert made.action == "create"
    assert dest.read("contact", [made.destination_id])[made.destination_id]["lastname"] is None
    with server.raw() as client:
        refused = client.patch(f"contacts({made.destination_id})", json={"statecode": None})
    assert refused.status_code == 400  # SystemRequired is enforced


def test_choice_columns_take_only_defined_values(dest: DynamicsDestination, server: Server) -> None:
    with server.raw() as client:
        assert client.post("contacts", json={"lastname": TAG, "gendercode": 99}).status_code == 400
        assert client.post("contacts", json={"lastname": TAG, "gendercode": "Male"}).status_code == 400
    (bad,) = upsert(dest, server, [contact("choice", gendercode="Unknown")])
    assert bad.action == "reject" and bad.code == "bad_choice"
    (good,) = upsert(dest, server, [contact("choice", gendercode=2)])
    assert dest.read("contact", [good.destination_id])[good.destination_id]["gendercode"] == "Female"


def test_original_created_date_is_kept_on_create_only(dest: DynamicsDestination, server: Server) -> None:
    (made,) = upsert(dest, server, [contact("old", overriddencreatedon="2015-03-04T09:30:00Z")])
    stored = dest.read("contact", [made.destination_id], ["createdon", "overriddencreatedon"])[made.destination_id]
    assert stored["createdon"].isoformat() == "2015-03-04T09:30:00+00:00"
    with server.raw() as client:
        assert client.patch(f"contacts({made.destination_id})",
                            json={"overriddencreatedon": "2001-01-01T00:00:00Z"}).status_code == 204
    again = dest.read("contact", [made.destination_id], ["createdon"])[made.destination_id]
    assert again["createdon"] == stored["createdon"]


def test_lookups_bind_by_guid_and_by_key(dest: DynamicsDestination, server: Server) -> None:
    (account,) = upsert(dest, server, [DestRecord(f"bw:{TAG}:family:1", {"name": f"{TAG} family"})], "account")
    key = f"/accounts({EXTERNAL_ID_FIELD}='bw:{TAG}:family:1')"
    with server.raw() as client:
        made = client.post("contacts", headers={"Prefer": "return=representation"}, json={
            "lastname": f"{TAG}-bound", "parentcustomerid_account@odata.bind": key})
        assert made.status_code == 201 and made.json()["@odata.etag"].startswith('W/"')
        assert made.json()["_parentcustomerid_value"] == account.destination_id
        server.created["contact"].append(made.json()["contactid"])
        nowhere = client.post("contacts", json={"lastname": TAG, "parentcustomerid_account@odata.bind":
                                                f"/accounts({uuid.uuid4()})"})
        assert nowhere.status_code == 404
    member_record = contact("member2", parentcustomerid=f"account:{account.destination_id}")
    (member,) = upsert(dest, server, [member_record])
    stored = dest.read("contact", [member.destination_id], ["parentcustomerid"])[member.destination_id]
    assert stored["parentcustomerid"] == account.destination_id  # account is the first target: plain id
    assert dest.upsert("contact", [member_record])[0].action == "unchanged"


def test_conditional_upserts_and_known_guid(server: Server, dest: DynamicsDestination) -> None:
    key = f"contacts({EXTERNAL_ID_FIELD}='bw:{TAG}:patient:cond')"
    with server.raw() as client:
        missing = client.patch(key, json={"lastname": TAG}, headers={"If-Match": "*"})
        assert missing.status_code == 404
        assert client.patch(key, json={"lastname": TAG}).status_code == 204
        assert client.patch(key, json={"lastname": f"{TAG}-2"}).status_code == 204
        clash = client.patch(key, json={"lastname": TAG}, headers={"If-None-Match": "*"})
        assert clash.status_code == 412
        assert clash.json()["error"]["message"] == "A record with matching key values already exists."
        chosen = str(uuid.uuid4())
        assert client.patch(f"contacts({chosen})", json={"lastname": TAG}).status_code == 204
        assert client.get(f"contacts({chosen})?$select=lastname").json()["contactid"] == chosen
        duplicate = client.post("contacts", json={"lastname": TAG, EXTERNAL_ID_FIELD: f"bw:{TAG}:patient:cond"})
        assert duplicate.status_code == 412 and duplicate.json()["error"]["code"] == "0x80060892"
        server.created["contact"] += [chosen, client.get(key).json()["contactid"]]


def test_note_keeps_its_document(dest: DynamicsDestination, server: Server) -> None:
    (patient,) = upsert(dest, server, [contact("noted")])
    document = base64.b64encode(b"%PDF-1.4 consent form").decode()
    with server.raw() as client:
        note = client.post("annotations", headers={"Prefer": "return=representation"}, json={
            "subject": f"{TAG} consent", "notetext": "signed", "isdocument": True, "filename": "consent.pdf",
            "mimetype": "application/pdf", "documentbody": document,
            "objectid_contact@odata.bind": f"/contacts({patient.destination_id})"})
        assert note.status_code == 201
        server.created["annotation"].append(note.json()["annotationid"])
    stored = dest.read("annotation", [note.json()["annotationid"]], ["documentbody", "objectid", "filesize"])
    assert stored[note.json()["annotationid"]]["documentbody"] == document
    assert stored[note.json()["annotationid"]]["filesize"] == len(b"%PDF-1.4 consent form")
    # plain id when contact is the lookup's first target (the emulator's order), else "contact:<id>"
    assert stored[note.json()["annotationid"]]["objectid"] in (patient.destination_id,
                                                                f"contact:{patient.destination_id}")


def test_throttling_is_retried_after_retry_after(dest: DynamicsDestination, server: Server, sleeps: Sleeps) -> None:
    if not server.emulated:
        pytest.skip("throttling is forced only in the emulator")
    sleeps.calls.clear()
    server.switch(throttle_at=server.state()["counters"]["requests"] + 1, retry_after=7)
    try:
        (first,) = upsert(dest, server, [contact("thr1")])
    finally:
        server.switch(throttle_at=0)
    assert first.action == "create" and len(sleeps.calls) == 1 and 7 <= sleeps.calls[0] <= 7.25
    sleeps.calls.clear()
    server.switch(request_limit=1, window_seconds=300)  # the per-user window: Retry-After is the time left in it
    try:
        (second,) = upsert(dest, server, [contact("thr2")])
    finally:
        server.switch(request_limit=6000)
    assert second.action == "create"
    assert sleeps.calls and all(1 <= s <= 300.25 for s in sleeps.calls)
    assert server.state()["counters"]["throttled"] >= 2


class ThrottleOnePart(httpx.HTTPTransport):
    """Answers the first write $batch as if Dataverse had throttled its first part (429 + Retry-After: 3)."""

    done = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if self.done or b"PATCH /api/data/v9.2/" not in request.content:
            return response
        self.done = True
        body = response.read().replace(b"HTTP/1.1 204 No Content", b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3",
                                       1)
        return httpx.Response(response.status_code, headers=response.headers, content=body)


def test_parts_throttled_inside_a_batch_are_sent_again(server: Server, dest: DynamicsDestination) -> None:
    if not server.emulated:
        pytest.skip("part-level throttling is simulated on the emulator's answers")
    sleeps: list[float] = []
    client = httpx.Client(base_url=f"{server.url}/api/data/v9.2/", transport=ThrottleOnePart(),
                          headers={"Authorization": f"Bearer {server.token}"})
    patched = DynamicsDestination(client, url=server.url, policy=RetryPolicy(sleep=sleeps.append, cap=300.0))
    outcomes = upsert(patched, server, [contact(f"part{i}") for i in range(3)])
    assert [o.action for o in outcomes] == ["create"] * 3 and sleeps == [3.0]
    assert dest.count("contact", f"bw:{TAG}:patient:part") == 3


def test_unsendable_values_are_rejected_before_sending(dest: DynamicsDestination, server: Server) -> None:
    outcomes = upsert(dest, server, [contact("u1", nosuchcolumn="x"), contact("u2", parentcustomerid="not-an-id"),
                                     contact("u3", numberofchildren="many"), contact("u4")])
    assert [(o.action, o.code) for o in outcomes] == [("reject", "unknown_field"), ("reject", "bad_reference"),
                                                      ("reject", "bad_value"), ("create", None)]
    assert all("many" not in (o.error or "") and "not-an-id" not in (o.error or "") for o in outcomes)


def test_a_table_without_the_key_says_how_to_make_it(dest: DynamicsDestination) -> None:
    with pytest.raises(DestinationError, match="plan --apply"):
        dest.upsert("task", [DestRecord(f"bw:{TAG}:task:1", {"subject": "Recall"})])


def test_dropped_connection_after_commit_does_not_duplicate(dest: DynamicsDestination, server: Server) -> None:
    outcomes = drop_after_commit(server, lambda: upsert(dest, server, [contact(f"drop{i}") for i in range(3)]))
    assert [o.action for o in outcomes] == ["create"] * 3
    assert dest.count("contact", f"bw:{TAG}:patient:drop") == 3


def test_bad_credentials_and_server_down_say_what_to_do(server: Server) -> None:
    with server.raw("not-a-token") as client:
        assert client.get("contacts").status_code == 401
        assert client.get("EntityDefinitions").status_code == 401
    wrong = DynamicsDestination(server.raw("not-a-token"), url=server.url, policy=RetryPolicy(sleep=lambda s: None))
    with pytest.raises(ConfigError, match=TOKEN_ENV) as info:
        wrong.describe()
    assert "\n" not in str(info.value)
    down = f"http://127.0.0.1:{free_port()}"
    dead = DynamicsDestination(make_dynamics_client(down, "x"), url=down,
                               policy=RetryPolicy(attempts=2, sleep=lambda s: None))
    with pytest.raises(DestinationError, match="did not answer.*emulate dynamics"):
        dead.describe()


def test_from_settings_reads_the_token_by_its_variable(server: Server, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.setattr("connectors.secrets.secret", lambda name: None)
    with pytest.raises(ConfigError, match=TOKEN_ENV):
        from_settings({"url": server.url}, tmp_path)
    with pytest.raises(ConfigError, match="no url"):
        from_settings({}, tmp_path)
    monkeypatch.setattr("connectors.secrets.secret", lambda name: server.token if name == TOKEN_ENV else None)
    made = from_settings({"url": f"{server.url}/api/data/v9.2/", "solution": "bridgework"}, tmp_path)
    try:
        assert made.url == server.url and made.solution == {"MSCRM.SolutionUniqueName": "bridgework"}
        assert "contact" in made.describe().entity_names
    finally:
        made.close()


def test_zz_cleanup_touches_only_what_the_suite_made(dest: DynamicsDestination, server: Server,
                                                      before: dict[str, dict[str, str]]) -> None:
    for entity in ("annotation", "contact", "account"):
        ids = list(dict.fromkeys(server.created[entity]))
        assert all(o.action == "delete" for o in dest.delete(entity, ids))
    assert dest.count("contact", f"bw:{TAG}:") == 0
    with server.raw() as client:
        leftovers = client.get(f"contacts?$select=contactid&$filter=lastname eq '{TAG}'").json()["value"]
    assert leftovers == []
    assert _snapshot(server) == before
