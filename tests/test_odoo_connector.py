"""Odoo connector logic over httpx.MockTransport: retries, lost responses, bisecting rejects, errors, value mapping."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import MODIFIED_AT, DestRecord
from connectors.destinations._odoo_rpc import OdooFault, redact
from connectors.destinations.odoo import EXTERNAL_ID_FIELD, OdooDestination, from_settings
from connectors.http import RetryPolicy, UnreachableError
from mapper.errors import ConfigError

URL = "http://odoo.test"
CREDS = {"BRIDGEWORK_ODOO_DB": "db", "BRIDGEWORK_ODOO_USER": "admin", "BRIDGEWORK_ODOO_PASSWORD": "s3cret-pw"}
FIELDS = {"name": {"type": "char", "string": "Name", "required": False}, "date_deadline": {"type": "date"},
          "parent_id": {"type": "many2one", "relation": "res.partner"}, "expected_revenue": {"type": "monetary"},
          "write_date": {"type": "datetime"}, "active": {"type": "boolean"}, EXTERNAL_ID_FIELD: {"type": "char", "manual": True}}


class FakeOdoo:
    """A scripted JSON-RPC Odoo: records in a dict, optional failures per method call number."""

    def __init__(self) -> None:
        self.records: dict[int, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.script: dict[str, list[str]] = {}  # method -> actions for its next calls: "503", "drop-after", "ok"
        self.login_ok = True

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        params = body["params"]
        if params["service"] == "common":
            result: Any = 2 if self.login_ok else False
            if params["method"] == "version":
                result = {"server_version": "18.0"}
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})
        _db, _uid, _pw, model, method, args, kwargs = params["args"]
        self.calls.append(method)
        action = self.script.get(method, []).pop(0) if self.script.get(method) else "ok"
        if action == "503":
            return httpx.Response(503, text="busy")
        try:
            result = self.run(model, method, args, kwargs)
        except OdooFault as fault:
            error = {"code": 200, "message": "Odoo Server Error",
                     "data": {"name": fault.name, "message": str(fault.args[0]), "debug": "", "arguments": [], "context": {}}}
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "error": error})
        if action == "drop-after":
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})

    def run(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if method == "fields_get":
            return FIELDS
        if method == "search_read":
            field, _op, wanted = args[0][0]
            return [{"id": i, **r} for i, r in self.records.items() if r.get(field) in wanted]
        if method == "create":
            if any(v.get("name") == "BAD" for v in args[0]):
                fault = OdooFault("builtins.ValueError", "x")
                fault.args = ("Traceback (most recent call last):\nValueError: Wrong value for res.partner.type: 'BAD'",)
                raise fault
            ids = []
            for vals in args[0]:
                rid = len(self.records) + 100
                self.records[rid] = dict(vals)
                ids.append(rid)
            return ids
        if method == "write":
            for rid in args[0]:
                self.records[rid].update(args[1])
            return True
        if method == "read":
            return [{"id": i, **{k: self.records[i].get(k, False) for k in args[1]}} for i in args[0] if i in self.records]
        raise AssertionError(method)


def destination(fake: FakeOdoo, sleeps: list[float], protocol: str = "jsonrpc") -> OdooDestination:
    client = httpx.Client(base_url=URL, transport=httpx.MockTransport(fake.handler))
    with pytest.MonkeyPatch.context() as mp:
        for name, value in CREDS.items():
            mp.setenv(name, value)
        return from_settings({"url": URL, "protocol": protocol}, Path("."), client=client, policy=RetryPolicy(sleep=sleeps.append))


def records(n: int, prefix: str = "bw:t:p:") -> list[DestRecord]:
    return [DestRecord(f"{prefix}{i}", {"name": f"P{i}"}) for i in range(n)]


def test_retries_5xx_with_recorded_sleeps() -> None:
    fake, sleeps = FakeOdoo(), []
    fake.script["search_read"] = ["503", "503"]
    outcomes = destination(fake, sleeps).upsert("res.partner", records(3))
    assert [o.action for o in outcomes] == ["create"] * 3
    assert len(sleeps) == 2 and fake.calls.count("search_read") == 3


def test_lost_create_response_is_not_duplicated() -> None:
    fake, sleeps = FakeOdoo(), []
    fake.script["create"] = ["drop-after"]  # Odoo committed, the client saw a dropped connection
    outcomes = destination(fake, sleeps).upsert("res.partner", records(4))
    assert fake.calls.count("create") == 1 and len(fake.records) == 4
    assert [o.action for o in outcomes] == ["create"] * 4
    assert {o.destination_id for o in outcomes} == {str(i) for i in fake.records}
    assert len(sleeps) == 1


def test_one_bad_record_is_isolated_by_bisection() -> None:
    fake, sleeps = FakeOdoo(), []
    batch = records(8)
    batch[5] = DestRecord(batch[5].external_id, {"name": "BAD"})
    outcomes = destination(fake, sleeps).upsert("res.partner", batch)
    assert [o.action for o in outcomes] == ["create"] * 5 + ["reject"] + ["create"] * 2
    rejected = outcomes[5]
    assert rejected.code == "ValueError" and "BAD" not in (rejected.error or "") and rejected.destination_id is None
    assert len(fake.records) == 7 and sleeps == []


def test_second_upsert_updates_or_skips() -> None:
    fake, sleeps = FakeOdoo(), []
    dest = destination(fake, sleeps)
    dest.upsert("res.partner", records(3))
    changed = records(3)
    changed[1] = DestRecord(changed[1].external_id, {"name": "Renamed"})
    assert [o.action for o in dest.upsert("res.partner", changed)] == ["unchanged", "update", "unchanged"]
    assert len(fake.records) == 3


def test_duplicate_external_id_in_one_batch_is_rejected() -> None:
    fake = FakeOdoo()
    batch = records(2) + records(1)
    outcomes = destination(fake, []).upsert("res.partner", batch)
    assert [o.action for o in outcomes] == ["create", "create", "reject"] and len(fake.records) == 2


def test_bad_credentials_give_one_line_config_error() -> None:
    fake = FakeOdoo()
    fake.login_ok = False
    with pytest.raises(ConfigError) as info:
        destination(fake, []).find("res.partner", ["x"])
    message = str(info.value)
    assert "\n" not in message and "BRIDGEWORK_ODOO_PASSWORD" in message and "s3cret" not in message


def test_server_down_says_how_to_start_it() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    sleeps: list[float] = []
    client = httpx.Client(base_url=URL, transport=httpx.MockTransport(refuse))
    from connectors.destinations._odoo_rpc import OdooRPC

    dest = OdooDestination(OdooRPC(client, URL, "db", "admin", "pw", policy=RetryPolicy(attempts=3, sleep=sleeps.append)))
    with pytest.raises(UnreachableError) as info:
        dest.describe()
    assert "bridgework emulate odoo" in str(info.value) and "BRIDGEWORK_ODOO_URL" in str(info.value)
    assert len(sleeps) == 2


def test_json2_invalid_key_is_a_config_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/json/2/res.partner/search_read"
        return httpx.Response(401, json={"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey",
                                         "arguments": ["Invalid apikey", 401], "context": {}, "debug": ""})

    client = httpx.Client(base_url=URL, transport=httpx.MockTransport(handler))
    from connectors.destinations._odoo_rpc import OdooRPC

    dest = OdooDestination(OdooRPC(client, URL, "db", "admin", "key", protocol="json2", policy=RetryPolicy(sleep=lambda s: None)))
    with pytest.raises(ConfigError, match="API key"):
        dest.find("res.partner", ["x"])


def test_missing_credentials_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="BRIDGEWORK_ODOO_DB"):
        from_settings({"url": URL}, Path("."))


def test_redact_keeps_no_values() -> None:
    trace = "Traceback (most recent call last):\n  File x\nValueError: Wrong value for res.partner.type: 'Jane Doe'"
    assert redact(trace) == "ValueError: Wrong value for res.partner.type: '…'"


def test_value_mapping_both_ways() -> None:
    fake = FakeOdoo()
    dest = destination(fake, [])
    sent = dest._encode("crm.lead", {"name": None, "date_deadline": date(2024, 5, 1), "parent_id": "7",
                                     "expected_revenue": Decimal("12.50"),
                                     "write_date": datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)})
    assert sent == {"name": False, "date_deadline": "2024-05-01", "parent_id": 7, "expected_revenue": 12.5,
                    "write_date": "2024-05-01 12:00:00"}
    fake.records[1] = {"name": False, "parent_id": [5, "Azure"], "date_deadline": "2024-05-01", "expected_revenue": 12.5,
                       "active": True, "write_date": "2024-05-02 03:04:05"}
    row = dest.read("crm.lead", ["1"], ["name", "parent_id", "date_deadline", "expected_revenue", "active"])["1"]
    assert row == {"name": None, "parent_id": 5, "date_deadline": date(2024, 5, 1), "expected_revenue": Decimal("12.5"),
                   "active": True, MODIFIED_AT: "2024-05-02T03:04:05+00:00"}


def test_describe_normalises_types() -> None:
    fake = FakeOdoo()
    original = fake.run

    def run(model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if model == "ir.model":
            return [{"id": 1, "model": "res.partner", "name": "Contact", "state": "base"},
                    {"id": 2, "model": "x_visit", "name": "Visit", "state": "manual"}]
        return original(model, method, args, kwargs)

    fake.run = run  # type: ignore[method-assign]
    schema = destination(fake, []).describe()
    assert schema.entity_names == ("res.partner", "x_visit") and schema.entity("x_visit").is_custom
    partner = schema.entity("res.partner")
    assert partner.field("parent_id").type == "reference" and partner.field("parent_id").reference == "res.partner"
    assert partner.field("expected_revenue").type == "money" and partner.field(EXTERNAL_ID_FIELD).is_custom
    assert partner.field("date_deadline").type == "date" and partner.field("active").type == "bool"


def test_local_url_serves_the_emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.emulators.odoo import LOCAL_CREDENTIALS
    from connectors.registry import open_destination

    for name in CREDS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv(name, LOCAL_CREDENTIALS[name])
    dest = open_destination("odoo", {"url": "local"}, tmp_path)
    assert dest.describe().entity("res.partner").has("name")
    assert (tmp_path / ".emulators" / "odoo.sqlite").exists()
    dest.close()


def test_unsendable_value_is_rejected_and_bytes_go_as_base64() -> None:
    fake = FakeOdoo()
    dest = destination(fake, [])
    assert dest._encode("ir.attachment", {"datas": b"hi"}) == {"datas": "aGk="}
    outcomes = dest.upsert("res.partner", [DestRecord("bw:t:p:set", {"name": {"a"}}), *records(1)])
    assert [(o.action, o.code) for o in outcomes] == [("reject", "BadValue"), ("create", None)]


def test_company_loads_without_a_partner_and_its_delete_takes_the_partner(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Against the emulator: Odoo makes a clinic's company partner on create; deleting the company (a rollback)
    removes that partner too, so no orphan 'clinic' partner is left behind."""
    from connectors.emulators.odoo import LOCAL_CREDENTIALS
    from connectors.registry import open_destination
    from mapper.schema import SchemaChange

    for name in CREDS:
        monkeypatch.setenv(name, LOCAL_CREDENTIALS[name])
    dest = open_destination("odoo", {"url": "local"}, tmp_path)
    try:
        dest.apply_change(SchemaChange(kind="field", entity="res.company", name=EXTERNAL_ID_FIELD, type="string",
                                       max_length=255, unique=True, external_id=True))
        [outcome] = dest.upsert("res.company", [DestRecord("bw:t:clinic:1", {"name": "Leeds Family Dental",
                                                                             "city": "Leeds", "phone": "0113 000 0000"})])
        assert outcome.action == "create", (outcome.code, outcome.error)
        partner = dest.read("res.company", [str(outcome.destination_id)], ["partner_id"])[str(outcome.destination_id)]["partner_id"]
        stored = dest.read("res.partner", [str(partner)], ["name", "is_company", "city"])[str(partner)]
        assert (stored["name"], stored["is_company"], stored["city"]) == ("Leeds Family Dental", True, "Leeds")
        assert [o.action for o in dest.delete("res.company", [str(outcome.destination_id)])] == ["delete"]
        assert dest.read("res.partner", [str(partner)]) == {}
    finally:
        dest.close()
