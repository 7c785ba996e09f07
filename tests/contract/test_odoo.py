"""Odoo contract: the same checks against the emulator and, when configured, a real Odoo 18.

Real server: set BRIDGEWORK_ODOO_URL, BRIDGEWORK_ODOO_DB, BRIDGEWORK_ODOO_USER and BRIDGEWORK_ODOO_PASSWORD.
The suite then writes only records whose external ids start with a unique prefix, creates custom
fields named after that prefix, and deletes all of it at the end. Fault-injection checks run on the
emulator only. `x_bw_external_id` is created where missing and removed again only if the suite made it.
"""

from __future__ import annotations

import uuid
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import MODIFIED_AT, DestRecord
from connectors.destinations._odoo_rpc import OdooRPC
from connectors.destinations.odoo import EXTERNAL_ID_FIELD, OdooDestination, from_settings
from connectors.emulators import odoo as emulator
from connectors.emulators.serve import RunningServer
from connectors.http import RetryPolicy, make_client
from mapper.errors import ConfigError
from mapper.schema import SchemaChange
from tests.contract._server import EmulatorHooks, server_fixture

TAG = f"ct{uuid.uuid4().hex[:8]}"
PREFIX = f"bw:{TAG}:"
MODELS = ("res.partner", "crm.lead", "mail.message", "mail.activity")


@dataclass
class Server(EmulatorHooks):
    """Where the suite points, and what it created there."""

    url: str
    db: str
    user: str
    password: str
    running: RunningServer | None = None
    made_fields: list[SchemaChange] = field(default_factory=list)

    def destination(self, *, password: str | None = None, protocol: str = "jsonrpc", sleeps: list[float] | None = None) -> OdooDestination:
        policy = RetryPolicy(sleep=(sleeps.append if sleeps is not None else lambda s: None))
        rpc = OdooRPC(make_client(self.url), self.url, self.db, self.user, password or self.password,
                      protocol=protocol, policy=policy)  # type: ignore[arg-type]
        return OdooDestination(rpc)

    def jsonrpc(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
        uid = self.destination().rpc.uid()
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "service": "object", "method": "execute_kw", "args": [self.db, uid, self.password, model, method, args, kwargs or {}]}}
        return dict(httpx.post(f"{self.url}/jsonrpc", json=payload, timeout=30).json())


server = server_fixture(Server, lambda: emulator.create_app(None), emulator.LOCAL_CREDENTIALS,
                        ("BRIDGEWORK_ODOO_URL", "BRIDGEWORK_ODOO_DB", "BRIDGEWORK_ODOO_USER", "BRIDGEWORK_ODOO_PASSWORD"),
                        "Odoo")


@pytest.fixture(scope="module")
def baseline(server: Server) -> dict[str, dict[int, str]]:
    """write_date of every record that existed before the suite (pre-existing data must stay untouched)."""
    dest = server.destination()
    out = {}
    for model in ("res.partner", "crm.lead"):
        rows = dest.rpc.call(model, "search_read", [], ["write_date"], context={"active_test": False})
        out[model] = {r["id"]: r["write_date"] for r in rows}
    return out


@pytest.fixture(scope="module")
def dest(server: Server, baseline: dict[str, dict[int, str]]) -> Iterator[OdooDestination]:
    destination = server.destination()
    for model in MODELS:
        change = SchemaChange(kind="field", entity=model, name=EXTERNAL_ID_FIELD, type="string", external_id=True,
                              label="bridgework external id")
        if destination._custom_field_id(change) is None:
            destination.apply_change(change)
            server.made_fields.append(change)
    yield destination
    for model in reversed(MODELS):
        ids = destination.rpc.call(model, "search", [[EXTERNAL_ID_FIELD, "=like", PREFIX + "%"]], context={"active_test": False})
        if ids:
            destination.delete(model, [str(i) for i in ids])
    for change in server.made_fields:
        destination.revert_change(change)
    destination.close()


def recs(entity: str, n: int, start: int = 0, **values: Any) -> list[DestRecord]:
    return [DestRecord(f"{PREFIX}{entity}:{i}", {"name": f"{TAG} {entity} {i}", **values}) for i in range(start, start + n)]


def test_describe(dest: OdooDestination) -> None:
    schema = dest.describe()
    partner = schema.entity("res.partner")
    assert partner.field("name").type == "string"
    assert partner.field("parent_id").type == "reference" and partner.field("parent_id").reference == "res.partner"
    assert "contact" in partner.field("type").enum_values
    assert partner.field(EXTERNAL_ID_FIELD).is_custom
    assert schema.entity("crm.lead").field("name").required
    assert schema.entity("crm.lead").field("date_closed").readonly


def test_custom_field_create_use_remove(dest: OdooDestination) -> None:
    change = SchemaChange(kind="field", entity="res.partner", name=f"x_{TAG}_short", type="string", max_length=8, label="Short")
    first = dest.apply_change(change)
    assert dest.apply_change(change) == first  # idempotent
    assert dest.describe().entity("res.partner").field(change.name).max_length == 8
    (outcome,) = dest.upsert("res.partner", [DestRecord(f"{PREFIX}short", {"name": f"{TAG} short", change.name: "0123456789AB"})])
    stored = dest.read("res.partner", [str(outcome.destination_id)], [change.name])[str(outcome.destination_id)]
    assert stored[change.name] == "01234567"  # silently truncated to size: the read-back diff must catch it
    dest.revert_change(change)
    dest.revert_change(change)  # already gone: nothing to do
    assert not dest.describe().entity("res.partner").has(change.name)


def test_custom_object_create_use_remove(dest: OdooDestination) -> None:
    model = f"x_{TAG}_visit"
    obj = SchemaChange(kind="object", entity=model, name=model, label="Dental Visit")
    ext = SchemaChange(kind="field", entity=model, name=EXTERNAL_ID_FIELD, type="string", external_id=True)
    first = dest.apply_change(obj)
    assert dest.apply_change(obj) == first
    dest.apply_change(ext)
    assert dest.describe().entity(model).is_custom
    (visit,) = dest.upsert(model, [DestRecord(f"{PREFIX}visit:1", {"x_name": "Check-up"})])
    assert visit.action == "create"
    assert dest.read(model, [str(visit.destination_id)], ["x_name"])[str(visit.destination_id)]["x_name"] == "Check-up"
    dest.revert_change(ext)
    dest.revert_change(obj)
    dest.revert_change(obj)
    assert not dest.describe().has(model)


def test_batch_at_cap_and_one_over(server: Server, dest: OdooDestination) -> None:
    at_cap = recs("cap", dest.capabilities.max_batch)
    assert [o.action for o in dest.upsert("res.partner", at_cap)] == ["create"] * 200
    if server.emulated:
        server.switch()  # resets the per-method counters
    over = recs("over", dest.capabilities.max_batch + 1)
    outcomes = dest.upsert("res.partner", over)
    assert [o.action for o in outcomes] == ["create"] * 201 and len({o.destination_id for o in outcomes}) == 201
    if server.emulated:
        assert server.state()["methods"]["res.partner.create"] == 2


def test_upsert_twice_gives_one_record(dest: OdooDestination) -> None:
    record = recs("twice", 1)
    first, second = dest.upsert("res.partner", record), dest.upsert("res.partner", record)
    assert first[0].action == "create" and second[0].action == "unchanged"
    assert first[0].destination_id == second[0].destination_id
    assert dest.count("res.partner", f"{PREFIX}twice:") == 1


def test_update_read_back_and_delete(dest: OdooDestination) -> None:
    (created,) = dest.upsert("res.partner", recs("upd", 1, email="old@example.com"))
    rid = str(created.destination_id)
    assert dest.update("res.partner", rid, {"email": "new@example.com", "phone": None}).action == "update"
    stored = dest.read("res.partner", [rid], ["email", "phone", "name"])[rid]
    assert stored["email"] == "new@example.com" and stored["phone"] is None and stored[MODIFIED_AT]
    assert dest.find("res.partner", [created.external_id]) == {created.external_id: rid}
    assert [o.action for o in dest.delete("res.partner", [rid])] == ["delete"]
    assert dest.read("res.partner", [rid]) == {} and dest.find("res.partner", [created.external_id]) == {}


def test_one_bad_record_is_rejected_alone(dest: OdooDestination) -> None:
    batch = recs("mix", 5)
    batch[2] = DestRecord(batch[2].external_id, {"name": f"{TAG} bad", "type": "not-a-type"})
    outcomes = dest.upsert("res.partner", batch)
    assert [o.action for o in outcomes] == ["create", "create", "reject", "create", "create"]
    assert outcomes[2].code == "ValueError" and "not-a-type" not in str(outcomes[2].error)
    assert dest.count("res.partner", f"{PREFIX}mix:") == 4


def test_create_date_is_dropped_silently(dest: OdooDestination) -> None:
    (created,) = dest.upsert("crm.lead", [DestRecord(f"{PREFIX}lead:dated", {"name": f"{TAG} lead", "create_date": "2001-02-03 04:05:06"})])
    rid = str(created.destination_id)
    stored = dest.read("crm.lead", [rid], ["create_date", "name"])[rid]
    assert stored["create_date"].year != 2001  # Odoo ignored it: keep source dates in x_ fields


def test_chatter_note_and_activity(dest: OdooDestination) -> None:
    (partner,) = dest.upsert("res.partner", recs("chatter", 1))
    pid = int(str(partner.destination_id))
    (note,) = dest.upsert("mail.message", [DestRecord(f"{PREFIX}note:1", {
        "model": "res.partner", "res_id": pid, "body": "<p>Recall due</p>", "message_type": "comment",
        "subtype_xmlid": "mail.mt_note", "date": "2019-05-06 07:08:09"})])
    stored = dest.read("mail.message", [str(note.destination_id)], ["date", "model", "res_id"])[str(note.destination_id)]
    assert (stored["date"].year, stored["model"], stored["res_id"]) == (2019, "res.partner", pid)
    (activity,) = dest.upsert("mail.activity", [DestRecord(f"{PREFIX}act:1", {
        "res_model": "res.partner", "res_id": pid, "summary": "Recall", "date_deadline": "2030-01-02"})])
    assert activity.action == "create"


def test_retry_on_5xx_without_duplicates(server: Server) -> None:
    if not server.emulated:
        pytest.skip("fault injection needs the emulator")
    sleeps: list[float] = []
    dest = server.destination(sleeps=sleeps)
    server.switch(fail_every=3)
    try:
        outcomes = dest.upsert("res.partner", recs("retry", 10))
    finally:
        server.switch(fail_every=0)
    assert [o.action for o in outcomes] == ["create"] * 10 and sleeps
    assert dest.count("res.partner", f"{PREFIX}retry:") == 10


def test_dropped_connection_after_commit_does_not_duplicate(server: Server) -> None:
    if not server.emulated:
        pytest.skip("fault injection needs the emulator")
    sleeps: list[float] = []
    dest = server.destination(sleeps=sleeps)
    server.switch(drop_after_commit_every=1, only_method="create")
    try:
        outcomes = dest.upsert("res.partner", recs("dropped", 7))
        methods = server.state()["methods"]
    finally:
        server.switch(drop_after_commit_every=0, only_method="")
    assert [o.action for o in outcomes] == ["create"] * 7 and len(sleeps) == 1
    assert methods["res.partner.create"] == 1
    assert dest.count("res.partner", f"{PREFIX}dropped:") == 7


def test_json2_protocol(server: Server) -> None:
    if not server.emulated:
        pytest.skip("JSON-2 is Odoo 19+; the real-server run targets 18")
    dest = server.destination(protocol="json2")
    outcomes = dest.upsert("res.partner", recs("json2", 3))
    assert [o.action for o in outcomes] == ["create"] * 3 and dest.count("res.partner", f"{PREFIX}json2:") == 3
    with pytest.raises(ConfigError, match="API key"):
        server.destination(password="wrong", protocol="json2").find("res.partner", ["x"])


def test_bad_credentials(server: Server) -> None:
    with pytest.raises(ConfigError) as info:
        server.destination(password="definitely-wrong").describe()
    assert "BRIDGEWORK_ODOO_PASSWORD" in str(info.value) and "definitely-wrong" not in str(info.value)
    assert "\n" not in str(info.value)


def test_from_settings_reads_the_environment(server: Server, dest: OdooDestination, monkeypatch: pytest.MonkeyPatch) -> None:
    dest.upsert("res.partner", recs("env", 3))  # its own records: under `-n 2` other tests may run on another worker
    for name, value in (("BRIDGEWORK_ODOO_DB", server.db), ("BRIDGEWORK_ODOO_USER", server.user),
                        ("BRIDGEWORK_ODOO_PASSWORD", server.password)):
        monkeypatch.setenv(name, value)
    made = from_settings({"url": server.url}, Path("."))
    assert made.count("res.partner", f"{PREFIX}env:") == 3
    made.close()


def test_wire_errors(server: Server) -> None:
    body = server.jsonrpc("res.partner", "create", [{"name": f"{TAG} wire", "type": "not-a-type"}])
    assert body["error"]["data"]["name"] == "builtins.ValueError"
    assert body["error"]["data"]["message"].startswith("Wrong value for res.partner.type")
    proxy = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object")
    with pytest.raises(xmlrpc.client.Fault) as info:
        proxy.execute_kw(server.db, 2, "definitely-wrong", "res.partner", "search", [[]])
    assert info.value.faultCode == 3


def test_zz_cleanup_leaves_preexisting_records_untouched(server: Server, dest: OdooDestination,
                                                         baseline: dict[str, dict[int, str]]) -> None:
    for model in ("crm.lead", "res.partner"):
        ids = dest.rpc.call(model, "search", [[EXTERNAL_ID_FIELD, "=like", PREFIX + "%"]], context={"active_test": False})
        assert all(o.action == "delete" for o in dest.delete(model, [str(i) for i in ids]))
        assert dest.count(model, PREFIX) == 0
        rows = dest.rpc.call(model, "search_read", [["id", "in", sorted(baseline[model])]], ["write_date"],
                             context={"active_test": False})
        assert {r["id"]: r["write_date"] for r in rows} == baseline[model]
