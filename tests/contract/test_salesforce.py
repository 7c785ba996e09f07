"""Salesforce contract: the same checks against the emulator and, when configured, a real org.

Real org: set BRIDGEWORK_SALESFORCE_URL (instance URL) and BRIDGEWORK_SALESFORCE_TOKEN (an access token of
a user who may create custom fields and permission sets; use a sandbox or a Developer org). The suite then
writes only records whose external ids carry a unique test prefix, deletes them at the end (they go to the
Recycle Bin), and removes the custom fields it created. Fault injection runs on the emulator only. The
API user must not hold "Set Audit Fields upon Record Creation" (the suite checks the refusal).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from connectors.base import MODIFIED_AT, DestRecord
from connectors.destinations import salesforce as connector
from connectors.destinations._salesforce_shape import EXTERNAL_ID_FIELD
from connectors.destinations.salesforce import SalesforceDestination
from connectors.emulators import salesforce as emulator
from connectors.emulators.serve import free_port
from connectors.http import RetryPolicy, make_client
from mapper.errors import ConfigError, DestinationError
from executor.diff import compare
from mapper.schema import FIELD_TYPES, SchemaChange
from tests.contract._server import TokenServer, drop_after_commit, server_fixture, upsert_remembered

TAG = f"ct{uuid.uuid4().hex[:8]}"
PREFIX = f"bw:{TAG}:"
ENTITIES = ("Account", "Contact", "Opportunity")
BASE = "/services/data/v59.0"
# records are compared by id; ids grow, so the oldest 2,000 are records that existed before the suite
BEFORE = "SELECT Id, LastModifiedDate FROM {entity} ORDER BY Id LIMIT 2000"


@dataclass
class Server(TokenServer):
    """Where the suite points: URL, token, the emulator's admin hooks, and what the suite made."""

    made: list[SchemaChange] = field(default_factory=list)  # external-id fields, removed by the clean-up test

    def soql(self, text: str, *, all_rows: bool = False) -> dict[str, Any]:
        with self.raw() as client:
            return dict(client.get(f"{BASE}/{'queryAll' if all_rows else 'query'}", params={"q": text}).json())


server = server_fixture(Server, lambda: emulator.create_app(None), emulator.LOCAL_CREDENTIALS,
                        ("BRIDGEWORK_SALESFORCE_URL", "BRIDGEWORK_SALESFORCE_TOKEN"), "org")


@pytest.fixture(scope="module")
def sleeps() -> list[float]:
    return []


@pytest.fixture(scope="module")
def before(server: Server) -> dict[str, dict[str, str]]:
    """Every Account and Contact that existed before the suite, with its LastModifiedDate."""
    return {e: {r["Id"]: r["LastModifiedDate"] for r in server.soql(BEFORE.format(entity=e))["records"]}
            for e in ("Account", "Contact")}


@pytest.fixture(scope="module")
def dest(server: Server, sleeps: list[float], before: Any) -> Iterator[SalesforceDestination]:
    destination = SalesforceDestination(server.raw(), url=server.url, policy=RetryPolicy(sleep=sleeps.append))
    schema = destination.describe()
    for entity in ENTITIES:
        change = SchemaChange("field", entity, EXTERNAL_ID_FIELD, "string", label="Bridgework external id",
                              max_length=255, unique=True, external_id=True)
        if not schema.entity(entity).has(EXTERNAL_ID_FIELD):
            server.made.append(change)
        destination.apply_change(change)  # also (re)grants field-level security
    yield destination
    destination.close()


def contact(n: int | str, **values: Any) -> DestRecord:
    return DestRecord(f"{PREFIX}patient:{n}", {"FirstName": "Test", "LastName": f"{TAG}-{n}", **values})


def upsert(dest: SalesforceDestination, server: Server, records: list[DestRecord], entity: str = "Contact") -> list[Any]:
    return upsert_remembered(dest, server, records, entity)


def test_describe_reports_dental_objects_and_the_required_rule(dest: SalesforceDestination) -> None:
    schema = dest.describe()
    assert {"Account", "Contact", "Opportunity", "Event", "Task", "User", "ContentVersion"} <= set(schema.entity_names)
    people = schema.entity("Contact")
    assert people.field("LastName").required and people.field("LastName").max_length == 80
    assert not people.field("FirstName").required and not people.field("HasOptedOutOfEmail").required
    assert people.field("Email").type == "email" and people.field("Birthdate").type == "date"
    assert people.field("AccountId").reference == "Account" and people.field("Id").is_key
    assert people.field(EXTERNAL_ID_FIELD).is_custom and people.field(EXTERNAL_ID_FIELD).unique
    deal = schema.entity("Opportunity")
    assert {f.name for f in deal.fields if f.required} >= {"Name", "StageName", "CloseDate"}
    assert deal.field("StageName").type == "enum" and "Closed Won" in deal.field("StageName").enum_values
    assert deal.field("Amount").type == "money"
    assert schema.entity("Account").field("Name").required
    assert schema.entity("Event").field("WhoId").reference == "Contact"
    assert not schema.entity("Task").field("Status").required  # defaulted on create
    assert schema.entity("User").has("Email")


def test_custom_field_is_hidden_until_granted_then_used_and_removed(dest: SalesforceDestination, server: Server) -> None:
    change = SchemaChange("field", "Contact", f"Insurer_{TAG}__c", "string", label="Insurer", max_length=80)
    with server.raw() as client:  # created without a grant: invisible, as in a real org
        made = client.post(f"{BASE}/tooling/sobjects/CustomField", json={
            "FullName": f"Contact.{change.name}", "Metadata": {"label": "Insurer", "type": "Text", "length": 80}})
        assert made.status_code == 201, made.text
        clash = client.post(f"{BASE}/tooling/sobjects/CustomField", json={
            "FullName": f"Contact.{change.name}", "Metadata": {"label": "Insurer", "type": "Text", "length": 80}})
        assert clash.status_code == 400 and "There is already a field named" in clash.json()[0]["message"]
    assert not dest.describe().entity("Contact").has(change.name)
    (hidden,) = upsert(dest, server, [contact("fls", **{change.name: "Delta"})])
    assert hidden.action == "reject" and hidden.code == "unknown_field"
    field_id = dest.apply_change(change)  # finds the field, grants read/edit
    assert dest.apply_change(change) == field_id == made.json()["id"]
    assert dest.describe().entity("Contact").field(change.name).is_custom
    (outcome,) = upsert(dest, server, [contact("fls", **{change.name: "Delta"})])
    assert outcome.action == "create"
    assert dest.read("Contact", [outcome.destination_id])[outcome.destination_id][change.name] == "Delta"
    dest.revert_change(change)
    dest.revert_change(change)  # already gone: fine
    assert not dest.describe().entity("Contact").has(change.name)


def test_custom_object_is_created_used_and_removed(dest: SalesforceDestination, server: Server) -> None:
    name = f"Visit_{TAG}__c"
    changes = [SchemaChange("object", name, name, label="Visit"),
               SchemaChange("field", name, EXTERNAL_ID_FIELD, "string", max_length=255, unique=True, external_id=True),
               SchemaChange("field", name, "Patient__c", "reference", reference="Contact", label="Patient"),
               SchemaChange("field", name, "Fee__c", "money", label="Fee"),
               SchemaChange("field", name, "Kind__c", "enum", enum_values=("Exam", "Cleaning"), label="Kind")]
    try:
        ids = [dest.apply_change(c) for c in changes]
        assert ids[0] == dest.apply_change(changes[0]) and ids[0].startswith("01I")
        visit = dest.describe().entity(name)
        assert visit.is_custom and visit.field("Name").required and visit.field("Patient__c").reference == "Contact"
        assert (visit.field("Fee__c").type, visit.field("Kind__c").enum_values) == ("money", ("Exam", "Cleaning"))
        (patient,) = upsert(dest, server, [contact("visited")])
        made = dest.upsert(name, [DestRecord(f"{PREFIX}visit:1", {"Name": "Check-up", "Fee__c": "85.5", "Kind__c": "Exam",
                                                                   "Patient__c": patient.destination_id}),
                                  DestRecord(f"{PREFIX}visit:2", {"Name": "Odd", "Kind__c": "Whitening"})])
        assert [o.action for o in made] == ["create", "reject"] and made[1].code == "invalid_option"
        stored = dest.read(name, [made[0].destination_id])[made[0].destination_id]
        assert stored["Patient__c"] == patient.destination_id and stored["Fee__c"] == Decimal("85.5")
    finally:
        for change in reversed(changes):
            dest.revert_change(change)
    assert not dest.describe().has(name)


SAMPLES: dict[str, Any] = {
    "string": "Delta Dental", "text": "Long\nnotes", "email": "pat@example.com", "phone": "+1 555 0100",
    "url": "https://example.com/x", "int": 42, "decimal": Decimal("1.2345"), "money": Decimal("99.95"),
    "bool": True, "date": date(1984, 2, 29), "datetime": datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc),
    "enum": "Gold", "json": '{"a": 1}', "file": "https://files.example.com/xray.pdf",
}


def test_every_field_type_can_be_created_written_and_read(dest: SalesforceDestination, server: Server) -> None:
    changes = [SchemaChange("field", "Contact", f"T{TAG}_{kind}__c", kind, label=f"Type {kind}", max_length=80,
                            enum_values=("Gold", "Silver") if kind == "enum" else ())
               for kind in FIELD_TYPES if kind != "reference"]
    changes.append(SchemaChange("field", "Contact", f"T{TAG}_Guarantor__c", "reference", reference="Contact",
                                label="Guarantor"))
    try:
        for change in changes:
            dest.apply_change(change)
        described = dest.describe().entity("Contact")
        assert {c.name: described.field(c.name).type for c in changes} == {
            c.name: {"string": "string", "json": "text", "file": "url"}.get(c.type, c.type) for c in changes}
        (guarantor,) = upsert(dest, server, [contact("guarantor")])
        values = {c.name: SAMPLES[c.type] for c in changes if c.type != "reference"}
        (made,) = upsert(dest, server, [contact("typed", **values, **{changes[-1].name: guarantor.destination_id})])
        assert made.action == "create", made
        stored = dest.read("Contact", [made.destination_id], [c.name for c in changes])[made.destination_id]
        for change in changes[:-1]:
            assert compare(SAMPLES[change.type], stored[change.name]) == "same", change.name
        assert stored[changes[-1].name] == guarantor.destination_id
    finally:
        for change in changes:
            dest.revert_change(change)


def test_batch_at_the_cap_is_one_call_and_one_over_is_split(dest: SalesforceDestination, server: Server) -> None:
    sent: list[str] = []
    dest.client.event_hooks["request"] = [lambda r: sent.append(f"{r.method} {r.url.path}")]
    path = f"PATCH {BASE}/composite/sobjects/Contact/{EXTERNAL_ID_FIELD}"
    try:
        at_cap = upsert(dest, server, [contact(f"cap{i}") for i in range(200)])
        calls_at_cap = sent.count(path)
        over = upsert(dest, server, [contact(f"over{i}") for i in range(201)])
    finally:
        dest.client.event_hooks["request"] = []
    assert [o.action for o in at_cap] == ["create"] * 200 and [o.action for o in over] == ["create"] * 201
    assert calls_at_cap == 1 and sent.count(path) == 3


def test_raw_collection_over_200_is_refused(server: Server) -> None:
    records = [{"attributes": {"type": "Contact"}, "LastName": f"{TAG}-raw{i}", EXTERNAL_ID_FIELD: f"{PREFIX}raw:{i}"}
               for i in range(201)]
    with server.raw() as client:
        response = client.patch(f"{BASE}/composite/sobjects/Contact/{EXTERNAL_ID_FIELD}",
                                json={"allOrNone": False, "records": records})
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_upsert_twice_gives_one_record(dest: SalesforceDestination, server: Server) -> None:
    record = contact("twice", Title="Hygienist")
    (first,) = upsert(dest, server, [record])
    (second,) = upsert(dest, server, [record])
    assert (first.action, second.action) == ("create", "update")
    assert first.destination_id == second.destination_id and len(first.destination_id) == 18
    assert dest.find("Contact", [record.external_id]) == {record.external_id: first.destination_id}
    assert dest.count("Contact", record.external_id) == 1
    with server.raw() as client:  # single-record REST upsert: 201 created, then 200 updated (v59.0)
        url = f"{BASE}/sobjects/Contact/{EXTERNAL_ID_FIELD}/{quote(PREFIX + 'single', safe='')}"
        made = client.patch(url, json={"LastName": f"{TAG}-single"})
        again = client.patch(url, json={"LastName": f"{TAG}-single"})
    assert (made.status_code, made.json()["created"]) == (201, True)
    assert (again.status_code, again.json()["created"]) == (200, False)
    server.created["Contact"].append(made.json()["id"])


def test_quotes_and_like_wildcards_in_external_ids_are_escaped(dest: SalesforceDestination, server: Server) -> None:
    odd = [DestRecord(f"{PREFIX}odd_key:O'Brien\\1", {"LastName": f"{TAG}-quote"}),
           DestRecord(f"{PREFIX}odd%key:2", {"LastName": f"{TAG}-percent"}),
           DestRecord(f"{PREFIX}oddXkey:3", {"LastName": f"{TAG}-plain"})]
    outcomes = upsert(dest, server, odd)
    assert [o.action for o in outcomes] == ["create"] * 3
    assert dest.find("Contact", [r.external_id for r in odd]) == {r.external_id: o.destination_id
                                                                  for r, o in zip(odd, outcomes)}
    assert dest.count("Contact", f"{PREFIX}odd_key:") == 1  # '_' is not a wildcard here
    assert dest.count("Contact", f"{PREFIX}odd%key:") == 1


def test_update_writes_moves_modified_time_and_restores(dest: SalesforceDestination, server: Server) -> None:
    (created,) = upsert(dest, server, [contact("upd", Title="Hygienist")])
    old = dest.read("Contact", [created.destination_id])[created.destination_id]
    if not server.emulated:
        time.sleep(1.1)  # a real org's LastModifiedDate has whole seconds
    (changed,) = upsert(dest, server, [contact("upd", Title="Dentist")])
    assert changed.action == "update"
    new = dest.read("Contact", [created.destination_id])[created.destination_id]
    assert new["Title"] == "Dentist" and new[MODIFIED_AT] > old[MODIFIED_AT]
    restored = dest.update("Contact", created.destination_id, old)  # a before-image, as rollback sends it
    assert restored.action == "update" and restored.external_id == f"{PREFIX}patient:upd"
    after = dest.read("Contact", [created.destination_id], ["Title", "LastName", EXTERNAL_ID_FIELD])
    assert after[created.destination_id]["Title"] == "Hygienist"


def test_delete_goes_to_the_recycle_bin(dest: SalesforceDestination, server: Server) -> None:
    (created,) = upsert(dest, server, [contact("del")])
    (deleted,) = dest.delete("Contact", [created.destination_id])
    assert deleted.action == "delete" and deleted.external_id == f"{PREFIX}patient:del"
    assert dest.read("Contact", [created.destination_id]) == {}
    assert dest.find("Contact", [deleted.external_id]) == {}
    recycled = server.soql(f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{created.destination_id}'", all_rows=True)
    assert recycled["records"][0]["IsDeleted"] is True
    (again,) = dest.delete("Contact", [created.destination_id])
    assert again.action == "delete" and again.details == {"already_absent": True}


def test_hard_delete_through_bulk_when_the_org_allows_it(dest: SalesforceDestination, server: Server,
                                                         sleeps: list[float]) -> None:
    if not server.emulated and not os.environ.get("BRIDGEWORK_SALESFORCE_HARD_DELETE"):
        pytest.skip("set BRIDGEWORK_SALESFORCE_HARD_DELETE=1 when the API user holds Bulk API Hard Delete")
    hard = SalesforceDestination(server.raw(), url=server.url, policy=RetryPolicy(sleep=sleeps.append),
                                 hard_delete=True)
    made = upsert(dest, server, [contact(f"hard{i}") for i in range(3)])
    ids = [o.destination_id for o in made]
    dest.delete("Contact", ids[2:])  # already in the Recycle Bin: hardDelete leaves it there
    if server.emulated:
        with pytest.raises(DestinationError, match="Bulk API Hard Delete"):
            hard.delete("Contact", ids[:1])
        server.switch(bulk_hard_delete=True, bulk_shuffle=True)
    try:
        outcomes = hard.delete("Contact", ids)
    finally:
        if server.emulated:
            server.switch(bulk_hard_delete=False, bulk_shuffle=False)
        hard.close()
    assert [(o.destination_id, o.action, o.details) for o in outcomes] == [
        (ids[0], "delete", {}), (ids[1], "delete", {}), (ids[2], "delete", {"already_absent": True})]
    assert [o.external_id for o in outcomes[:2]] == [f"{PREFIX}patient:hard0", f"{PREFIX}patient:hard1"]
    quoted_ids = ", ".join(f"'{i}'" for i in ids)
    left = server.soql(f"SELECT Id FROM Contact WHERE Id IN ({quoted_ids})", all_rows=True)["records"]
    assert [r["Id"] for r in left] == [ids[2]]


def test_too_long_text_is_a_loud_rejection_and_isolated(dest: SalesforceDestination, server: Server) -> None:
    records = [contact(f"iso{i}") for i in range(3)]
    records[1] = contact("iso1", LastName="Z" * 81)
    outcomes = upsert(dest, server, records)
    assert [o.action for o in outcomes] == ["create", "reject", "create"]
    assert outcomes[1].code == "too_long" and outcomes[1].details["fields"] == ["LastName"]
    assert "ZZZ" not in (outcomes[1].error or "")


def test_a_whole_request_refusal_is_split_until_each_record_has_an_outcome(dest: SalesforceDestination,
                                                                          server: Server) -> None:
    records = [contact(f"split{i}", Birthdate="1980-02-03") for i in range(5)]
    records[3] = contact("split3", Birthdate="03/02/1980")  # JSON_PARSER_ERROR fails the whole request
    outcomes = upsert(dest, server, records)
    assert [o.action for o in outcomes] == ["create", "create", "create", "reject", "create"]
    assert outcomes[3].code == "invalid_value" and "1980" not in (outcomes[3].error or "")


def test_empty_text_reads_back_as_null_and_money_is_rounded(dest: SalesforceDestination, server: Server) -> None:
    (person,) = upsert(dest, server, [contact("silent", Title="")])
    assert dest.read("Contact", [person.destination_id], ["Title"])[person.destination_id]["Title"] is None
    deal = DestRecord(f"{PREFIX}deal:1", {"Name": f"{TAG} crown", "StageName": "Prospecting", "CloseDate": "2025-03-01",
                                          "Amount": "1234.567"})
    (made,) = upsert(dest, server, [deal], "Opportunity")
    assert made.action == "create", made
    stored = dest.read("Opportunity", [made.destination_id], ["Amount"])[made.destination_id]
    assert float(stored["Amount"]) == 1234.57


def test_required_fields_and_restricted_picklists_are_rejected(dest: SalesforceDestination, server: Server) -> None:
    deals = [DestRecord(f"{PREFIX}deal:req", {"Name": f"{TAG} no stage", "CloseDate": "2025-03-01"}),
             DestRecord(f"{PREFIX}deal:pick", {"Name": f"{TAG} bad stage", "StageName": "Maybe",
                                              "CloseDate": "2025-03-01"})]
    missing, bad = upsert(dest, server, deals, "Opportunity")
    assert (missing.code, missing.details["fields"]) == ("required", ["StageName"])
    assert bad.code == "invalid_option" and "Maybe" not in (bad.error or "")


def test_created_date_needs_set_audit_fields(dest: SalesforceDestination, server: Server) -> None:
    (refused,) = upsert(dest, server, [contact("audit", CreatedDate="2019-05-01T10:00:00.000+0000")])
    assert refused.action == "reject" and refused.code == "read_only_field"
    assert not dest.capabilities.preserves_created_at
    claims = SalesforceDestination(server.raw(), url=server.url, audit_fields=True)
    with pytest.raises(ConfigError, match="set_audit_fields"):
        claims.describe()
    claims.close()
    if not server.emulated:
        return
    server.switch(set_audit_fields=True)
    try:
        assert not dest.describe().entity("Contact").field("CreatedDate").readonly  # describe shows the permission
        (kept,) = upsert(dest, server, [contact("audit", CreatedDate="2019-05-01T10:00:00.000+0000")])
        (again,) = upsert(dest, server, [contact("audit", Title="Hygienist", CreatedDate="2020-01-01T00:00:00Z")])
    finally:
        server.switch(set_audit_fields=False)
        dest.describe()
    assert (kept.action, again.action) == ("create", "update")  # insert-only values are left out of updates
    stored = dest.read("Contact", [kept.destination_id], ["CreatedDate", "Title"])[kept.destination_id]
    assert (stored["CreatedDate"], stored["Title"]) == ("2019-05-01T10:00:00.000+0000", "Hygienist")


def test_injected_5xx_is_retried_without_duplicates(dest: SalesforceDestination, server: Server,
                                                    sleeps: list[float]) -> None:
    if not server.emulated:
        pytest.skip("faults are injected only in the emulator")
    sleeps.clear()
    server.switch(fail_next=2, fail_status=503)
    outcomes = upsert(dest, server, [contact(f"retry{i}") for i in range(3)])
    assert [o.action for o in outcomes] == ["create"] * 3
    assert len(sleeps) == 2 and all(0 <= s <= 1.0 for s in sleeps)
    server.switch(concurrency_next=1)  # the ConcurrentPerOrgLongTxn 403 is retried too
    assert [o.action for o in upsert(dest, server, [contact(f"retry{i}") for i in range(3)])] == ["update"] * 3
    assert len(sleeps) == 3 and dest.count("Contact", f"{PREFIX}patient:retry") == 3


def test_dropped_connection_after_commit_does_not_duplicate(dest: SalesforceDestination, server: Server) -> None:
    outcomes = drop_after_commit(server, lambda: upsert(dest, server, [contact(f"drop{i}") for i in range(3)]))
    assert [o.action for o in outcomes] == ["update"] * 3  # the replay found what the first try wrote
    assert dest.count("Contact", f"{PREFIX}patient:drop") == 3


def test_daily_quota_exhaustion_is_a_clear_error(dest: SalesforceDestination, server: Server) -> None:
    if not server.emulated:
        pytest.skip("the quota is exhausted only in the emulator")
    limit = server.state()["switches"]["daily_limit"]
    server.switch(api_usage=limit)
    try:
        with server.raw() as client:
            refused = client.get(f"{BASE}/sobjects/")
        with pytest.raises(DestinationError, match="daily API request limit is used up") as caught:
            dest.upsert("Contact", [contact("quota")])
    finally:
        server.switch(api_usage=0)
    assert refused.status_code == 403 and refused.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert refused.headers["sforce-limit-info"] == f"api-usage={limit}/{limit}"
    assert "\n" not in str(caught.value) and f"{limit}/{limit}" in str(caught.value)


def test_usage_header_on_every_response(dest: SalesforceDestination, server: Server) -> None:
    with server.raw() as client:
        used = [client.get(f"{BASE}/limits/"), client.get(f"{BASE}/sobjects/Contact/describe")]
    values = [r.headers["sforce-limit-info"] for r in used]
    assert all(v.startswith("api-usage=") for v in values)
    assert used[0].json()["DailyApiRequests"]["Max"] == int(values[0].split("/")[1])


def test_bad_credentials_say_what_to_do(server: Server) -> None:
    with server.raw("00Dbad!token") as client:
        refused = client.get(f"{BASE}/sobjects/")
    assert refused.status_code == 401
    assert refused.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    wrong = SalesforceDestination(server.raw("00Dbad!token"), url=server.url, policy=RetryPolicy(sleep=lambda s: None))
    with pytest.raises(ConfigError, match="BRIDGEWORK_SALESFORCE_TOKEN"):
        wrong.describe()


def test_client_credentials_flow(server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if not server.emulated:
        pytest.skip("the suite does not hold a real connected app's secret")
    monkeypatch.delenv(connector.TOKEN_ENV, raising=False)
    monkeypatch.setenv(connector.CLIENT_ID_ENV, emulator.LOCAL_CREDENTIALS[connector.CLIENT_ID_ENV])
    monkeypatch.setenv(connector.CLIENT_SECRET_ENV, emulator.LOCAL_CREDENTIALS[connector.CLIENT_SECRET_ENV])
    made = connector.from_settings({"url": server.url}, root=tmp_path)
    try:
        assert made.describe().has("Contact")
        server.switch(revoke_sessions=True)  # the session times out mid-run: a new token is fetched once
        assert made.find("Contact", [f"{PREFIX}none"]) == {}
    finally:
        made.close()
    assert server.state()["counters"]["sessions"] >= 2
    monkeypatch.setenv(connector.CLIENT_SECRET_ENV, "wrong")
    with pytest.raises(ConfigError, match="BRIDGEWORK_SALESFORCE_CLIENT_SECRET"):
        connector.from_settings({"url": server.url}, root=tmp_path)


def test_server_down_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    down = SalesforceDestination(make_client(url, timeout=2), url=url, policy=RetryPolicy(attempts=2, sleep=lambda s: None))
    with pytest.raises(DestinationError, match="did not answer") as caught:
        down.describe()
    assert "\n" not in str(caught.value) and "bridgework emulate salesforce" in str(caught.value)


def test_capabilities_follow_the_reference() -> None:
    enterprise = connector.capabilities_for()
    assert (enterprise.max_batch, enterprise.requests_per_window, enterprise.upsert_by_external_id) == (200, None, True)
    assert (enterprise.max_custom_fields_per_object, enterprise.max_custom_objects) == (500, 200)
    assert not enterprise.hard_delete and not enterprise.preserves_created_at
    professional = connector.capabilities_for("Professional", audit_fields=True)
    assert (professional.max_custom_fields_per_object, professional.max_custom_objects) == (100, 50)
    assert professional.preserves_created_at
    with pytest.raises(ConfigError, match="Unknown Salesforce edition"):
        connector.from_settings({"url": "http://127.0.0.1:9", "edition": "Platinum"}, Path("."))


def test_zz_cleanup_touches_only_what_the_suite_made(dest: SalesforceDestination, server: Server,
                                                      before: dict[str, dict[str, str]]) -> None:
    for entity in ENTITIES:
        ids = list(dict.fromkeys(server.created[entity]))
        assert all(o.action == "delete" for o in dest.delete(entity, ids))
        assert dest.count(entity, PREFIX) == 0
    for entity in ("Account", "Contact"):
        after = {r["Id"]: r["LastModifiedDate"] for r in server.soql(BEFORE.format(entity=entity))["records"]}
        assert after == before[entity]
    for change in server.made:
        dest.revert_change(change)
