"""The Salesforce emulator against reference/destinations.md §2.12, over real HTTP (uvicorn on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.emulators import salesforce as emulator
from connectors.emulators._salesforce_ids import checksum, to18
from connectors.emulators.serve import RunningServer, start_in_thread
from connectors.http import make_client

BASE = "/services/data/v59.0"
TOKEN = emulator.LOCAL_TOKEN
EXT = "BW_External_Id__c"


@pytest.fixture(scope="module")
def running() -> Iterator[RunningServer]:
    server = start_in_thread(emulator.create_app(None))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(running: RunningServer) -> Iterator[httpx.Client]:
    with make_client(running.url + BASE, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        _field(client, "Contact", EXT, {"label": "BW", "type": "Text", "length": 255, "externalId": True,
                                        "unique": True})
        _field(client, "Contact", "Chart__c", {"label": "Chart", "type": "Text", "length": 20, "externalId": True})
        _field(client, "Account", EXT, {"label": "BW", "type": "Text", "length": 255, "externalId": True,
                                        "unique": True})
        yield client


def _grant(client: httpx.Client, full_name: str) -> None:
    root = str(client.base_url).split(BASE)[0]
    user = client.get(f"{root}/services/oauth2/userinfo").json()["user_id"]
    found = client.get("/query", params={"q": "SELECT Id FROM PermissionSet WHERE Name = 'Test_Set'"}).json()
    if found["records"]:
        permission_set = found["records"][0]["Id"]
    else:
        permission_set = client.post("/sobjects/PermissionSet", json={"Name": "Test_Set", "Label": "Test"}).json()["id"]
        assert client.post("/sobjects/PermissionSetAssignment",
                           json={"AssigneeId": user, "PermissionSetId": permission_set}).status_code == 201
    made = client.post("/sobjects/FieldPermissions", json={
        "ParentId": permission_set, "SobjectType": full_name.split(".")[0], "Field": full_name,
        "PermissionsRead": True, "PermissionsEdit": True})
    assert made.status_code == 201, made.text


def _field(client: httpx.Client, obj: str, name: str, metadata: dict[str, Any], grant: bool = True) -> str:
    made = client.post("/tooling/sobjects/CustomField", json={"FullName": f"{obj}.{name}", "Metadata": metadata})
    assert made.status_code == 201, made.text
    if grant:
        _grant(client, f"{obj}.{name}")
    return str(made.json()["id"])


def _upsert(client: httpx.Client, records: list[dict[str, Any]], all_or_none: bool = False,
            obj: str = "Contact") -> httpx.Response:
    body = {"allOrNone": all_or_none, "records": [{"attributes": {"type": obj}, **r} for r in records]}
    return client.patch(f"/composite/sobjects/{obj}/{EXT}", json=body)


def test_token_endpoint_and_bearer_auth(running: RunningServer) -> None:
    ids = emulator.LOCAL_CREDENTIALS
    form = {"grant_type": "client_credentials", "client_id": ids["BRIDGEWORK_SALESFORCE_CLIENT_ID"],
            "client_secret": ids["BRIDGEWORK_SALESFORCE_CLIENT_SECRET"]}
    token = httpx.post(f"{running.url}/services/oauth2/token", data=form)
    assert token.status_code == 200
    assert set(token.json()) == {"access_token", "instance_url", "id", "token_type", "issued_at", "signature", "scope"}
    assert token.json()["instance_url"] == running.url and token.json()["token_type"] == "Bearer"
    wrong = httpx.post(f"{running.url}/services/oauth2/token", data={**form, "client_secret": "nope"})
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    refused = httpx.get(f"{running.url}{BASE}/sobjects/", headers={"Authorization": "Bearer expired"})
    assert refused.status_code == 401
    assert refused.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    good = httpx.get(f"{running.url}{BASE}/sobjects/",
                     headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert good.status_code == 200


def test_describe_global_and_field_properties(api: httpx.Client) -> None:
    listing = api.get("/sobjects/").json()
    assert listing["maxBatchSize"] == 200
    prefixes = {o["name"]: o["keyPrefix"] for o in listing["sobjects"]}
    assert prefixes["Account"] == "001" and prefixes["Contact"] == "003" and prefixes["Event"] == "00U"
    fields = {f["name"]: f for f in api.get("/sobjects/Contact/describe").json()["fields"]}
    last = fields["LastName"]
    assert (last["createable"], last["nillable"], last["defaultedOnCreate"], last["length"]) == (True, False, False, 80)
    assert fields["Id"]["idLookup"] and not fields["Id"]["createable"]
    assert fields["AccountId"]["referenceTo"] == ["Account"] and fields["AccountId"]["relationshipName"] == "Account"
    assert (fields[EXT]["externalId"], fields[EXT]["unique"], fields[EXT]["custom"]) == (True, True, True)
    assert not fields["CreatedDate"]["createable"]
    status = {f["name"]: f for f in api.get("/sobjects/Task/describe").json()["fields"]}["Status"]
    assert status["defaultedOnCreate"] and status["restrictedPicklist"] and not status["nillable"]
    assert any(v["value"] == "Completed" for v in status["picklistValues"])
    assert api.get("/sobjects/Nothing__c/describe").json()[0]["errorCode"] == "NOT_FOUND"


def test_ids_are_18_chars_with_the_key_prefix_and_checksum(api: httpx.Client) -> None:
    made = api.post("/sobjects/Account", json={"Name": "Checksum Dental"})
    assert made.status_code == 201 and made.json()["success"] is True
    record_id = made.json()["id"]
    assert len(record_id) == 18 and record_id.startswith("001") and record_id[15:] == checksum(record_id[:15])
    assert to18(record_id[:15]) == record_id
    assert api.get(f"/sobjects/Account/{record_id[:15]}").json()["Id"] == record_id


def test_single_record_create_update_upsert_and_read(api: httpx.Client) -> None:
    made = api.post("/sobjects/Contact", json={"LastName": "Single", "Email": "single@example.com"})
    record_id = made.json()["id"]
    assert api.patch(f"/sobjects/Contact/{record_id}", json={"Title": "Dentist"}).status_code == 204
    read = api.get(f"/sobjects/Contact/{record_id}", params={"fields": "Title,Name"}).json()
    assert read == {"attributes": {"type": "Contact", "url": f"{BASE}/sobjects/Contact/{record_id}"},
                    "Title": "Dentist", "Name": "Single"}
    first = api.patch(f"/sobjects/Contact/{EXT}/bw:t:patient:1", json={"LastName": "Upsert"})
    second = api.patch(f"/sobjects/Contact/{EXT}/bw:t:patient:1", json={"LastName": "Upserted"})
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (second.status_code, second.json()["created"]) == (200, False)
    assert first.json()["id"] == second.json()["id"]
    assert api.get(f"/sobjects/Contact/{EXT}/bw:t:patient:1").json()["LastName"] == "Upserted"
    assert api.get(f"/sobjects/Contact/{EXT}/bw:t:none").status_code == 404


def test_several_matches_give_300(api: httpx.Client) -> None:
    for name in ("Twin A", "Twin B"):  # Chart__c is an external id without uniqueness
        assert api.post("/sobjects/Contact", json={"LastName": name, "Chart__c": "C-7"}).status_code == 201
    found = api.get("/sobjects/Contact/Chart__c/C-7")
    assert found.status_code == 300 and len(found.json()) == 2
    assert api.patch("/sobjects/Contact/Chart__c/C-7", json={"LastName": "Both"}).status_code == 300
    body = {"allOrNone": False, "records": [{"attributes": {"type": "Contact"}, "Chart__c": "C-7", "LastName": "X"}]}
    (result,) = api.patch("/composite/sobjects/Contact/Chart__c", json=body).json()
    assert result["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID" and len(result["errors"][0]["matchingIds"]) == 2


@pytest.mark.parametrize(("body", "code", "message", "fields"), [
    ({"FirstName": "No"}, "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]", ["LastName"]),
    ({"LastName": "x" * 81}, "STRING_TOO_LONG", f"Last Name: data value too large: {'x' * 81} (max length=80)",
     ["LastName"]),
    ({"LastName": "L", "Nope__c": 1}, "INVALID_FIELD", "No such column 'Nope__c' on sobject of type Contact", None),
    ({"LastName": "L", "Salutation": "Captain"}, None, None, None),  # unrestricted picklist: accepted
    ({"LastName": "L", "Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS", "Email: invalid email address: not-an-email",
     ["Email"]),
    ({"LastName": "L", "Name": "Full"}, "INVALID_FIELD_FOR_INSERT_UPDATE", None, ["Name"]),
])
def test_validation_errors_as_the_reference_has_them(api: httpx.Client, body: dict[str, Any], code: str | None,
                                                      message: str | None, fields: list[str] | None) -> None:
    response = api.post("/sobjects/Contact", json=body)
    if code is None:
        assert response.status_code == 201
        return
    assert response.status_code == 400
    (error,) = response.json()
    assert error["errorCode"] == code
    if message is not None:
        assert error["message"] == message
    if fields is not None:
        assert error["fields"] == fields


def test_restricted_picklist_and_duplicate_external_id(api: httpx.Client) -> None:
    bad = api.post("/sobjects/Task", json={"Subject": "Call", "Status": "Someday"})
    assert bad.json() == [{"message": "Status: bad value for restricted picklist field: Someday",
                           "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["Status"]}]
    kept = api.post("/sobjects/Contact", json={"LastName": "Unique", EXT: "bw:t:dup"}).json()["id"]
    clash = api.post("/sobjects/Contact", json={"LastName": "Unique2", EXT: "BW:T:DUP"})
    assert clash.json() == [{"message": f"duplicate value found: {EXT} duplicates value on record with id: {kept}",
                             "errorCode": "DUPLICATE_VALUE", "fields": [EXT]}]


def test_collections_results_in_order_with_status_codes(api: httpx.Client) -> None:
    response = _upsert(api, [{EXT: "bw:t:c:1", "LastName": "One"}, {EXT: "bw:t:c:2"},
                             {EXT: "bw:t:c:3", "LastName": "Three"}, {EXT: "bw:t:c:3", "LastName": "Again"}])
    assert response.status_code == 200
    first, second, third, fourth = response.json()
    assert first["success"] and first["created"] is True and len(first["id"]) == 18
    assert second == {"id": None, "success": False, "errors": [{"statusCode": "REQUIRED_FIELD_MISSING", "message":
                      "Required fields are missing: [LastName]", "fields": ["LastName"]}]}
    assert third["errors"][0]["statusCode"] == fourth["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert third["errors"][0]["message"] == "Duplicate external id specified: bw:t:c:3"
    mixed = api.post("/composite/sobjects", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Account"}, "Name": "Mixed Dental"},
        {"attributes": {"type": "Contact"}, "LastName": "Mixed"}]}).json()
    assert [r["id"][:3] for r in mixed] == ["001", "003"]
    updated = api.patch("/composite/sobjects", json={"records": [
        {"attributes": {"type": "Contact"}, "id": mixed[1]["id"], "Title": "Nurse"},
        {"attributes": {"type": "Contact"}, "Title": "No id"}]}).json()
    assert updated[0]["success"] and updated[1]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    got = api.get("/composite/sobjects/Contact", params={"ids": f"{mixed[1]['id']},003000000000000AAA",
                                                         "fields": "Id,Title"}).json()
    assert got[0]["Title"] == "Nurse" and got[1] is None


def test_all_or_none_rolls_everything_back(api: httpx.Client) -> None:
    response = _upsert(api, [{EXT: "bw:t:aon:1", "LastName": "Fine"}, {EXT: "bw:t:aon:2", "LastName": "y" * 90}],
                       all_or_none=True)
    fine, bad = response.json()
    assert fine["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK" and not fine["success"]
    assert bad["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert api.get(f"/sobjects/Contact/{EXT}/bw:t:aon:1").status_code == 404


def test_more_than_200_records_is_refused(api: httpx.Client) -> None:
    response = _upsert(api, [{EXT: f"bw:t:big:{i}", "LastName": "Big"} for i in range(201)])
    assert response.status_code == 400
    assert response.json() == [{"message": "record limit reached. cannot submit more than 200 records into this call",
                                "errorCode": "EXCEEDED_ID_LIMIT"}]
    at_cap = _upsert(api, [{EXT: f"bw:t:big:{i}", "LastName": "Big"} for i in range(200)])
    assert at_cap.status_code == 200 and all(r["success"] for r in at_cap.json())


def test_soql_subset_and_paging(api: httpx.Client, running: RunningServer) -> None:
    _upsert(api, [{EXT: f"bw:t:q:{i}", "LastName": f"Query{i:02d}", "Title": "Even" if i % 2 == 0 else "Odd"}
                  for i in range(7)])
    httpx.post(f"{running.url}/_emulator/faults", json={"query_page_size": 3}).raise_for_status()
    try:
        soql = f"SELECT Id, LastName FROM Contact WHERE {EXT} LIKE 'bw:t:q:%' ORDER BY LastName DESC"
        page = api.get("/query", params={"q": soql}).json()
        names = [r["LastName"] for r in page["records"]]
        assert page["totalSize"] == 7 and not page["done"]
        while not page["done"]:
            page = api.get(page["nextRecordsUrl"].removeprefix(BASE)).json()
            names += [r["LastName"] for r in page["records"]]
    finally:
        httpx.post(f"{running.url}/_emulator/faults", json={"query_page_size": 2000}).raise_for_status()
    assert names == [f"Query{i:02d}" for i in reversed(range(7))]
    ids = "', '".join(f"bw:t:q:{i}" for i in (1, 2, 3))
    both = api.get("/query", params={"q": f"SELECT Id FROM Contact WHERE {EXT} IN ('{ids}') AND (Title = 'odd' "
                                          "OR Title = null)"}).json()
    assert both["totalSize"] == 2
    count = api.get("/query", params={"q": f"SELECT COUNT() FROM Contact WHERE NOT {EXT} != 'bw:t:q:4'"}).json()
    assert (count["totalSize"], count["records"]) == (1, [])
    assert api.get("/query", params={"q": "SELEKT Id FROM Contact"}).json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert api.get("/query", params={"q": "SELECT Id FROM Patient"}).json()[0]["errorCode"] == "INVALID_TYPE"
    assert api.get("/query", params={"q": "SELECT Nope FROM Contact"}).json()[0]["errorCode"] == "INVALID_FIELD"


def test_delete_recycles(api: httpx.Client) -> None:
    record_id = api.post("/sobjects/Contact", json={"LastName": "Recycled", EXT: "bw:t:recycled"}).json()["id"]
    assert api.delete(f"/sobjects/Contact/{record_id}").status_code == 204
    gone = api.get(f"/sobjects/Contact/{record_id}")
    assert gone.status_code == 404 and gone.json()[0]["errorCode"] == "ENTITY_IS_DELETED"
    soql = f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{record_id}'"
    assert api.get("/query", params={"q": soql}).json()["totalSize"] == 0
    assert api.get("/queryAll", params={"q": soql}).json()["records"][0]["IsDeleted"] is True
    again = api.delete("/composite/sobjects", params={"ids": record_id}).json()
    assert again[0]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
    reuse = api.post("/sobjects/Contact", json={"LastName": "Reused", EXT: "bw:t:recycled"})
    assert reuse.status_code == 201  # a recycled record frees its unique value (emulator choice)


def test_field_level_security_hides_new_fields_until_granted(api: httpx.Client, running: RunningServer) -> None:
    _field(api, "Contact", "Secret__c", {"label": "Secret", "type": "Text", "length": 10}, grant=False)
    clash = api.post("/tooling/sobjects/CustomField", json={"FullName": "Contact.Secret__c",
                                                            "Metadata": {"label": "Secret", "type": "Text", "length": 10}})
    assert "There is already a field named Secret on Contact." == clash.json()[0]["message"]
    names = {f["name"] for f in api.get("/sobjects/Contact/describe").json()["fields"]}
    assert "Secret__c" not in names
    write = api.post("/sobjects/Contact", json={"LastName": "Hidden", "Secret__c": "x"})
    assert write.json()[0]["errorCode"] == "INVALID_FIELD"
    assert api.get("/query", params={"q": "SELECT Secret__c FROM Contact"}).json()[0]["errorCode"] == "INVALID_FIELD"
    httpx.post(f"{running.url}/_emulator/faults", json={"fls_auto_grant": True}).raise_for_status()
    assert "Secret__c" in {f["name"] for f in api.get("/sobjects/Contact/describe").json()["fields"]}
    httpx.post(f"{running.url}/_emulator/faults", json={"fls_auto_grant": False}).raise_for_status()
    _grant(api, "Contact.Secret__c")
    assert api.post("/sobjects/Contact", json={"LastName": "Seen", "Secret__c": "x"}).status_code == 201
    found = api.get("/tooling/query", params={"q": "SELECT Id FROM CustomField WHERE DeveloperName = 'Secret' "
                                                   "AND TableEnumOrId = 'Contact'"}).json()
    assert api.delete(f"/tooling/sobjects/CustomField/{found['records'][0]['Id']}").status_code == 204
    assert "Secret__c" not in {f["name"] for f in api.get("/sobjects/Contact/describe").json()["fields"]}


def test_custom_objects_and_parent_by_external_id(api: httpx.Client) -> None:
    made = api.post("/tooling/sobjects/CustomObject", json={"FullName": "Appointment__c", "Metadata": {
        "label": "Appointment", "pluralLabel": "Appointments", "nameField": {"type": "Text", "label": "Appointment"},
        "deploymentStatus": "Deployed", "sharingModel": "ReadWrite"}})
    assert made.status_code == 201 and made.json()["id"].startswith("01I")
    _field(api, "Appointment__c", "Patient__c", {"label": "Patient", "type": "Lookup", "referenceTo": "Contact",
                                                 "relationshipName": "Patient"})
    parent = api.post("/sobjects/Contact", json={"LastName": "Parent", EXT: "bw:t:parent"}).json()["id"]
    visit = api.post("/sobjects/Appointment__c", json={"Name": "Check-up", "Patient__r": {EXT: "bw:t:parent"}})
    assert visit.status_code == 201 and visit.json()["id"].startswith("a")
    assert api.get(f"/sobjects/Appointment__c/{visit.json()['id']}").json()["Patient__c"] == parent
    wrong = api.post("/sobjects/Appointment__c", json={"Name": "X", "Patient__c": visit.json()["id"]})
    assert wrong.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert api.delete(f"/tooling/sobjects/CustomObject/{made.json()['id']}").status_code == 204
    assert api.get("/sobjects/Appointment__c/describe").status_code == 404


def test_audit_fields_only_with_the_permission_and_on_insert(api: httpx.Client, running: RunningServer) -> None:
    old = {"LastName": "Audit", "CreatedDate": "2015-02-03T04:05:06.000+0000"}
    refused = api.post("/sobjects/Contact", json=old)
    assert refused.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    httpx.post(f"{running.url}/_emulator/faults", json={"set_audit_fields": True}).raise_for_status()
    try:
        record_id = api.post("/sobjects/Contact", json=old).json()["id"]
        assert api.get(f"/sobjects/Contact/{record_id}").json()["CreatedDate"] == old["CreatedDate"]
        later = api.patch(f"/sobjects/Contact/{record_id}", json={"CreatedDate": "2016-01-01T00:00:00Z"})
        assert later.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    finally:
        httpx.post(f"{running.url}/_emulator/faults", json={"set_audit_fields": False}).raise_for_status()


def test_event_duration_and_task_defaults(api: httpx.Client) -> None:
    no_end = api.post("/sobjects/Event", json={"Subject": "Cleaning", "StartDateTime": "2025-01-02T09:00:00Z"})
    assert no_end.json()[0]["fields"] == ["DurationInMinutes"]
    event = api.post("/sobjects/Event", json={"Subject": "Cleaning", "StartDateTime": "2025-01-02T09:00:00Z",
                                              "DurationInMinutes": 45}).json()["id"]
    assert api.get(f"/sobjects/Event/{event}").json()["EndDateTime"] == "2025-01-02T09:45:00.000+0000"
    task = api.post("/sobjects/Task", json={"Subject": "Call back"}).json()["id"]
    stored = api.get(f"/sobjects/Task/{task}").json()
    assert (stored["Status"], stored["Priority"], stored["IsClosed"]) == ("Not Started", "Normal", False)


def test_files_notes_and_cases(api: httpx.Client) -> None:
    patient = api.post("/sobjects/Contact", json={"LastName": "Files"}).json()["id"]
    missing = api.post("/sobjects/ContentVersion", json={"Title": "X-ray", "VersionData": "aGVsbG8="})
    assert missing.json()[0]["fields"] == ["PathOnClient"]
    version = api.post("/sobjects/ContentVersion", json={"Title": "X-ray", "PathOnClient": "xray.pdf",
                                                         "VersionData": "aGVsbG8=", "FirstPublishLocationId": patient})
    document = api.get(f"/sobjects/ContentVersion/{version.json()['id']}").json()["ContentDocumentId"]
    assert document.startswith("069")
    links = api.get("/query", params={"q": f"SELECT LinkedEntityId, ShareType FROM ContentDocumentLink WHERE "
                                           f"ContentDocumentId = '{document}'"}).json()["records"]
    assert [(r["LinkedEntityId"], r["ShareType"]) for r in links] == [(patient, "V")]
    assert api.post("/sobjects/ContentDocument", json={}).json()[0]["errorCode"] == "INVALID_TYPE_FOR_OPERATION"
    note = api.post("/sobjects/ContentNote", json={"Title": "Recall", "Content": "PHA+aGk8L3A+"}).json()["id"]
    link = api.post("/sobjects/ContentDocumentLink", json={"ContentDocumentId": note, "LinkedEntityId": patient,
                                                           "ShareType": "V"})
    assert link.status_code == 201
    classic = api.post("/sobjects/Note", json={"ParentId": patient, "Title": "Allergy", "Body": "Latex"})
    assert classic.status_code == 201 and classic.json()["id"].startswith("002")
    case = api.post("/sobjects/Case", json={"ContactId": patient, "Subject": "Billing", "Status": "Closed"}).json()
    stored = api.get(f"/sobjects/Case/{case['id']}").json()
    assert stored["IsClosed"] is True and stored["ClosedDate"] and stored["Priority"] == "Medium"


def test_quota_header_limits_and_exhaustion(api: httpx.Client, running: RunningServer) -> None:
    first = api.get("/limits/")
    used, limit = (int(x) for x in first.headers["sforce-limit-info"].removeprefix("api-usage=").split("/"))
    assert first.json()["DailyApiRequests"] == {"Max": limit, "Remaining": limit - used}
    assert api.get("/sobjects/").headers["sforce-limit-info"] == f"api-usage={used + 1}/{limit}"
    httpx.post(f"{running.url}/_emulator/faults", json={"api_usage": limit}).raise_for_status()
    try:
        refused = api.get("/sobjects/")
    finally:
        httpx.post(f"{running.url}/_emulator/faults", json={"api_usage": used}).raise_for_status()
    assert refused.status_code == 403 and refused.json()[0]["message"] == "TotalRequests Limit exceeded."


def test_fault_switches(api: httpx.Client, running: RunningServer) -> None:
    httpx.post(f"{running.url}/_emulator/faults", json={"fail_next": 1, "fail_status": 500}).raise_for_status()
    failed = api.get("/sobjects/")
    assert failed.status_code == 500 and failed.json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    httpx.post(f"{running.url}/_emulator/faults", json={"concurrency_next": 1}).raise_for_status()
    busy = api.get("/sobjects/")
    assert busy.status_code == 403 and "ConcurrentPerOrgLongTxn" in busy.json()[0]["message"]
    writes = httpx.get(f"{running.url}/_emulator/state").json()["counters"]["writes"]
    httpx.post(f"{running.url}/_emulator/faults", json={"drop_every": writes + 1}).raise_for_status()
    try:
        with pytest.raises(httpx.TransportError):
            api.post("/sobjects/Contact", json={"LastName": "Dropped", EXT: "bw:t:dropped"})
    finally:
        httpx.post(f"{running.url}/_emulator/faults", json={"drop_every": 0}).raise_for_status()
    assert api.get(f"/sobjects/Contact/{EXT}/bw:t:dropped").status_code == 200  # it committed
    httpx.post(f"{running.url}/_emulator/faults", json={"slow_ms": 400}).raise_for_status()
    try:
        with pytest.raises(httpx.ReadTimeout):
            api.get("/limits/", timeout=0.1)
    finally:
        httpx.post(f"{running.url}/_emulator/faults", json={"slow_ms": 0}).raise_for_status()
    requests = httpx.get(f"{running.url}/_emulator/state").json()["counters"]["requests"]
    httpx.post(f"{running.url}/_emulator/faults", json={"fail_every": 3, "fail_status": 503}).raise_for_status()
    try:
        statuses = [api.get("/limits/").status_code for _ in range(6)]
    finally:
        httpx.post(f"{running.url}/_emulator/faults", json={"fail_every": 0}).raise_for_status()
    assert statuses.count(503) == 2 and [(requests + i + 1) % 3 == 0 for i in range(6)] == [s == 503 for s in statuses]
    bad = httpx.post(f"{running.url}/_emulator/faults", json={"no_such_switch": 1})
    assert bad.status_code == 400


def _job(api: httpx.Client, operation: str, csv_text: str) -> dict[str, Any]:
    job = api.post("/jobs/ingest", json={"object": "Contact", "operation": operation, "contentType": "CSV",
                                         "lineEnding": "LF"})
    assert job.status_code == 200 and job.json()["state"] == "Open", job.text
    upload = api.put(f"/jobs/ingest/{job.json()['id']}/batches", content=csv_text.encode(),
                     headers={"Content-Type": "text/csv"})
    assert upload.status_code == 201
    closed = api.patch(f"/jobs/ingest/{job.json()['id']}", json={"state": "UploadComplete"}).json()
    assert closed["state"] == "JobComplete"
    return dict(closed)


def test_bulk_ingest_jobs(api: httpx.Client, running: RunningServer) -> None:
    httpx.post(f"{running.url}/_emulator/faults", json={"bulk_shuffle": True}).raise_for_status()
    try:
        job = _job(api, "insert", "LastName,Email\nBulk1,b1@example.com\n,nobody@example.com\nBulk3,b3@example.com\n")
    finally:
        httpx.post(f"{running.url}/_emulator/faults", json={"bulk_shuffle": False}).raise_for_status()
    assert (job["numberRecordsProcessed"], job["numberRecordsFailed"]) == (3, 1)
    late = api.put(f"/jobs/ingest/{job['id']}/batches", content=b"LastName\nLate\n", headers={"Content-Type": "text/csv"})
    assert late.status_code == 409 and late.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    done = api.get(f"/jobs/ingest/{job['id']}/successfulResults/").text.splitlines()
    assert done[0] == "sf__Id,sf__Created,LastName,Email"
    assert [line.split(",")[2] for line in done[1:]] == ["Bulk3", "Bulk1"]  # not in upload order
    failed = api.get(f"/jobs/ingest/{job['id']}/failedResults/").text.splitlines()
    assert failed[0] == "sf__Id,sf__Error,LastName,Email" and "REQUIRED_FIELD_MISSING" in failed[1]
    ids = [line.split(",")[0] for line in done[1:]]
    refused = api.post("/jobs/ingest", json={"object": "Contact", "operation": "hardDelete"})
    assert refused.status_code == 400 and refused.json()[0]["errorCode"] == "INVALIDJOB"
    httpx.post(f"{running.url}/_emulator/faults", json={"bulk_hard_delete": True}).raise_for_status()
    try:
        gone = _job(api, "hardDelete", "Id\n" + "\n".join(ids) + "\n")
    finally:
        httpx.post(f"{running.url}/_emulator/faults", json={"bulk_hard_delete": False}).raise_for_status()
    assert gone["numberRecordsFailed"] == 0
    soql = f"SELECT Id FROM Contact WHERE Id IN ('{ids[0]}', '{ids[1]}')"
    assert api.get("/queryAll", params={"q": soql}).json()["totalSize"] == 0  # not even in the Recycle Bin
    assert api.delete(f"/jobs/ingest/{job['id']}").status_code == 204


def test_edition_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEWORK_EMULATOR_EDITION", "Starter")
    server = start_in_thread(emulator.create_app(None, seeded=False))
    try:
        with make_client(server.url + BASE, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            refused = client.post("/tooling/sobjects/CustomObject", json={"FullName": "Visit__c",
                                                                          "Metadata": {"label": "Visit"}})
            assert refused.json()[0]["errorCode"] == "LIMIT_EXCEEDED"
            for i in range(25):
                _field(client, "Account", f"F{i}__c", {"label": f"F{i}", "type": "Text", "length": 5}, grant=False)
            over = client.post("/tooling/sobjects/CustomField", json={"FullName": "Account.F25__c",
                                                                       "Metadata": {"label": "F25", "type": "Text",
                                                                                    "length": 5}})
            assert over.json()[0]["errorCode"] == "LIMIT_EXCEEDED"
            assert client.get("/query", params={"q": "SELECT COUNT() FROM Account"}).json()["totalSize"] == 0
    finally:
        server.stop()


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "salesforce.sqlite"
    first = start_in_thread(emulator.create_app(state))
    try:
        with make_client(first.url + BASE, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            record_id = client.post("/sobjects/Account", json={"Name": "Kept Dental"}).json()["id"]
            accounts = client.get("/query", params={"q": "SELECT COUNT() FROM Account"}).json()["totalSize"]
    finally:
        first.stop()
    second = start_in_thread(emulator.create_app(state))
    try:
        with make_client(second.url + BASE, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            assert client.get(f"/sobjects/Account/{record_id}").json()["Name"] == "Kept Dental"
            assert client.get("/query", params={"q": "SELECT COUNT() FROM Account"}).json()["totalSize"] == accounts
            assert client.post("/sobjects/Account", json={"Name": "Next"}).json()["id"] != record_id
    finally:
        second.stop()
