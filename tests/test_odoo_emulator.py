"""The Odoo emulator on its own: XML-RPC wire format, faults, ORM semantics, JSON-RPC/JSON-2 envelopes, fault switches."""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.emulators.odoo import DB_NAME, LOCAL_PASSWORD, create_app
from connectors.emulators.serve import RunningServer, start_in_thread

PW = LOCAL_PASSWORD


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    app = create_app(tmp_path_factory.mktemp("odoo") / "odoo.sqlite", login_cooldown_seconds=3600)
    running = start_in_thread(app)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def rpc(server: RunningServer) -> Any:
    proxy = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object", allow_none=False)

    def call(model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return proxy.execute_kw(DB_NAME, 2, PW, model, method, list(args), kwargs)

    return call


def fault(fn: Any, *args: Any, **kwargs: Any) -> xmlrpc.client.Fault:
    with pytest.raises(xmlrpc.client.Fault) as info:
        fn(*args, **kwargs)
    return info.value


def set_faults(server: RunningServer, **switches: Any) -> None:
    httpx.post(f"{server.url}/_emulator/faults", json=switches).raise_for_status()


def test_version_and_authenticate(server: RunningServer) -> None:
    common = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/common")
    assert common.version() == {"server_version": "18.0", "server_version_info": [18, 0, 0, "final", 0, ""],
                                "server_serie": "18.0", "protocol_version": 1}
    assert common.authenticate(DB_NAME, "admin", PW, {}) == 2
    assert common.authenticate(DB_NAME, "admin", "wrong", {}) is False


def test_login_cooldown_after_five_failures(tmp_path: Path) -> None:
    with_cooldown = start_in_thread(create_app(tmp_path / "o.sqlite"))
    try:
        common = xmlrpc.client.ServerProxy(f"{with_cooldown.url}/xmlrpc/2/common")
        assert [common.authenticate(DB_NAME, "admin", "bad", {}) for _ in range(5)] == [False] * 5
        assert common.authenticate(DB_NAME, "admin", PW, {}) is False  # right password, but cooling down
    finally:
        with_cooldown.stop()


def test_fault_codes(server: RunningServer, rpc: Any) -> None:
    proxy = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object")
    assert fault(proxy.execute_kw, DB_NAME, 2, "wrong", "res.partner", "search", [[]]).faultCode == 3
    private = fault(rpc, "res.partner", "_compute_display_name", [1])
    assert private.faultCode == 4 and "Private methods (such as 'res.partner._compute_display_name')" in private.faultString
    unknown = fault(rpc, "res.partner", "no_such_method", [1])
    assert unknown.faultCode == 1 and unknown.faultString.startswith("Traceback")
    assert fault(rpc, "no.such.model", "search", []).faultString == "Object no.such.model doesn't exist"


def test_legacy_route_uses_string_fault_codes(server: RunningServer) -> None:
    proxy = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/object")
    assert fault(proxy.execute_kw, DB_NAME, 2, "wrong", "res.partner", "search", [[]]).faultCode == "AccessDenied"


def test_create_dict_list_and_atomic_batch(rpc: Any) -> None:
    single = rpc("res.partner", "create", {"name": "Emu Single"})
    assert isinstance(single, int)
    many = rpc("res.partner", "create", [{"name": "Emu Batch 1"}, {"name": "Emu Batch 2"}])
    assert isinstance(many, list) and len(many) == 2
    bad = fault(rpc, "res.partner", "create", [{"name": "Emu Atomic 1"}, {"name": "Emu Atomic 2", "type": "nope"}])
    assert bad.faultCode == 1 and bad.faultString.strip().endswith("ValueError: Wrong value for res.partner.type: 'nope'")
    assert rpc("res.partner", "search_count", [["name", "=like", "Emu Atomic%"]]) == 0


def test_read_shapes(rpc: Any) -> None:
    child, company = rpc("res.partner", "search", [["name", "in", ["Brandon Freeman", "Deco Addict"]]], order="name")
    rows = rpc("res.partner", "read", [child, company, 999999], fields=["parent_id", "create_date", "email", "mobile"])
    assert [r["id"] for r in rows] == [child, company]  # the missing id is silently left out
    assert rows[0]["parent_id"] == [5, "Azure Interior"] and rows[1]["parent_id"] is False
    assert rows[1]["mobile"] is False
    assert len(rows[0]["create_date"]) == 19 and rows[0]["create_date"][10] == " "


def test_write_unlink_and_missing_records(rpc: Any) -> None:
    pid = rpc("res.partner", "create", {"name": "Emu Delete"})
    rpc("ir.model.data", "create", {"module": "__bridgework__", "name": "emu_delete", "model": "res.partner", "res_id": pid})
    assert rpc("res.partner", "write", [pid], {"phone": "1"}) is True
    assert rpc("res.partner", "unlink", [pid]) is True
    assert rpc("res.partner", "read", [pid]) == []
    assert rpc("ir.model.data", "search", [["name", "=", "emu_delete"]]) == []
    missing = fault(rpc, "res.partner", "write", [pid], {"phone": "2"})
    assert missing.faultCode == 2 and missing.faultString.startswith("Record does not exist or has been deleted.")


def test_silent_changes(rpc: Any) -> None:
    country = rpc("res.country", "create", {"name": "Emu Land", "code": "EMU", "create_date": "2001-01-01 00:00:00"})
    row = rpc("res.country", "read", [country], fields=["code", "create_date"])[0]
    assert row["code"] == "EM"  # Char(size=2) truncates silently
    assert not row["create_date"].startswith("2001")


def test_required_and_contact_name_messages(rpc: Any) -> None:
    lead = fault(rpc, "crm.lead", "create", {"name": False})
    assert lead.faultCode == 2
    assert "a mandatory field is not set" in lead.faultString and "Model: Lead/Opportunity (crm.lead)" in lead.faultString
    assert "Field: Opportunity (name)" in lead.faultString
    nameless = fault(rpc, "res.partner", "create", {"email": "x@example.com"})
    assert nameless.faultCode == 2 and "Contacts require a name" in nameless.faultString
    assert rpc("res.partner", "create", {"type": "invoice", "parent_id": 5})  # other address types need no name


def test_fields_get_attributes(rpc: Any) -> None:
    described = rpc("res.partner", "fields_get", attributes=["type", "required", "selection", "size", "relation", "manual"])
    assert described["type"]["selection"][0] == ["contact", "Contact"]
    assert described["zip"] == {"type": "char", "required": False, "manual": False}
    assert rpc("res.country", "fields_get", ["code"], attributes=["size"]) == {"code": {"size": 2}}
    assert described["parent_id"]["relation"] == "res.partner"
    assert rpc("crm.lead", "fields_get", ["name"], attributes=["required"]) == {"name": {"required": True}}


def test_custom_fields(rpc: Any) -> None:
    model_id = rpc("ir.model", "search", [["model", "=", "crm.lead"]])[0]
    base = {"model_id": model_id, "field_description": "Chart", "ttype": "char", "state": "manual"}
    assert "must have a name that starts with 'x_'" in fault(rpc, "ir.model.fields", "create", {**base, "name": "chart"}).faultString
    fid = rpc("ir.model.fields", "create", {**base, "name": "x_chart", "size": 8})
    assert "Field names must be unique per model." in fault(rpc, "ir.model.fields", "create", {**base, "name": "x_chart"}).faultString
    sel = rpc("ir.model.fields", "create", {**base, "name": "x_kind", "ttype": "selection",
                                            "selection_ids": [[0, 0, {"value": "a", "name": "A"}]]})
    lead = rpc("crm.lead", "create", {"name": "Emu Custom", "x_chart": "0123456789", "x_kind": "a"})
    assert rpc("crm.lead", "read", [lead], fields=["x_chart", "x_kind"])[0] == {"id": lead, "x_chart": "01234567", "x_kind": "a"}
    assert rpc("ir.model.fields", "unlink", [fid, sel]) is True
    assert "x_chart" not in rpc("crm.lead", "fields_get", attributes=["type"])


def test_custom_model(rpc: Any) -> None:
    assert "must start with 'x_'" in fault(rpc, "ir.model", "create", {"name": "Bad", "model": "dental.visit"}).faultString
    model_id = rpc("ir.model", "create", {"name": "Dental Visit", "model": "x_dental_visit"})
    rid = rpc("x_dental_visit", "create", {"x_name": "first"})
    assert rpc("x_dental_visit", "read", [rid], fields=["x_name"]) == [{"id": rid, "x_name": "first"}]
    assert rpc("ir.model", "unlink", [model_id]) is True
    assert fault(rpc, "x_dental_visit", "search", []).faultCode == 2


def test_domains(rpc: Any) -> None:
    rpc("res.partner", "create", [{"name": "Dom Alpha", "ref": "A1"}, {"name": "dom beta", "ref": "B2"}, {"name": "Dom Gamma"}])
    search = lambda domain: sorted(rpc("res.partner", "search", domain))  # noqa: E731
    names = lambda ids: sorted(r["name"] for r in rpc("res.partner", "read", ids, fields=["name"]))  # noqa: E731
    assert names(search([["name", "like", "Dom "]])) == ["Dom Alpha", "Dom Gamma"]
    assert names(search([["name", "ilike", "dom "]])) == ["Dom Alpha", "Dom Gamma", "dom beta"]
    assert names(search([["name", "=like", "Dom%a"]])) == ["Dom Alpha", "Dom Gamma"]
    assert names(search(["|", ["ref", "=", "A1"], ["ref", "=", "B2"]])) == ["Dom Alpha", "dom beta"]
    assert names(search([["name", "=ilike", "dom%"], "!", ["ref", "in", ["A1", "B2"]]])) == ["Dom Gamma"]
    assert names(search([["name", "=ilike", "dom%"], ["ref", "not in", ["A1"]]])) == ["Dom Gamma", "dom beta"]
    assert names(search([["name", "=ilike", "dom%"], ["ref", "!=", False]])) == ["Dom Alpha", "dom beta"]
    assert rpc("res.partner", "search_count", [["id", ">", 0], ["id", "<=", 3]]) == 2  # OdooBot (id 2) is archived
    assert rpc("res.partner", "search_count", [["id", "<", 4], ["active", "in", [True, False]]]) == 3
    children = rpc("res.partner", "search", [["parent_id.name", "=", "Azure Interior"]])
    assert 7 in children and 5 not in children


def test_lead_in_won_stage_is_closed(rpc: Any) -> None:
    won = rpc("crm.stage", "search", [["is_won", "=", True]])[0]
    lead = rpc("crm.lead", "create", {"partner_id": 5})
    row = rpc("crm.lead", "read", [lead], fields=["name", "date_closed", "stage_id", "type"])[0]
    assert row["name"] == "Azure Interior's opportunity" and row["date_closed"] is False and row["type"] == "opportunity"
    rpc("crm.lead", "write", [lead], {"stage_id": won})
    row = rpc("crm.lead", "read", [lead], fields=["probability", "date_closed"])[0]
    assert row["probability"] == 100.0 and row["date_closed"]


def test_partner_address_copied_from_parent(rpc: Any) -> None:
    child = rpc("res.partner", "create", {"name": "Emu Child", "parent_id": 5, "street": "1 Own St", "city": "Elsewhere"})
    row = rpc("res.partner", "read", [child], fields=["street", "city", "display_name"])[0]
    assert (row["street"], row["city"]) == ("4557 De Silva St", "Fremont")
    assert row["display_name"] == "Azure Interior, Emu Child"


def test_unlink_restricted_by_reference(rpc: Any) -> None:
    refused = fault(rpc, "res.partner", "unlink", [3])  # Mitchell Admin's partner, required by res.users
    assert refused.faultCode == 2 and "another model requires the record being deleted" in refused.faultString


def test_load_all_or_nothing(rpc: Any) -> None:
    first = rpc("res.partner", "load", ["id", "name", "parent_id/id"], [["emu_l1", "Load One", "base.res_partner_12"]])
    assert first["messages"] == [] and len(first["ids"]) == 1
    again = rpc("res.partner", "load", ["id", "name"], [["emu_l1", "Load One Renamed"], ["emu_l2", "Load Two"]])
    assert again["ids"][0] == first["ids"][0]
    failed = rpc("res.partner", "load", ["id", "name", "type"], [["emu_l3", "Load Three", "contact"], ["emu_l4", "L4", "bogus"]])
    assert failed["ids"] is False and failed["messages"][0]["type"] == "error"
    assert rpc("res.partner", "search", [["name", "=", "Load Three"]]) == []


def test_message_post_keeps_date(rpc: Any) -> None:
    message_id = rpc("res.partner", "message_post", [5], body="Recall <due>", message_type="comment",
                     subtype_xmlid="mail.mt_note", date="2019-05-06 07:08:09")
    row = rpc("mail.message", "read", [message_id], fields=["date", "body", "model", "res_id", "subtype_id"])[0]
    assert row["date"] == "2019-05-06 07:08:09" and row["body"] == "Recall &lt;due&gt;"
    assert (row["model"], row["res_id"], row["subtype_id"][1]) == ("res.partner", 5, "Note")


def test_activity_done_disappears_unless_keep_done(rpc: Any) -> None:
    partner_model = rpc("ir.model", "search", [["model", "=", "res.partner"]])[0]
    types = {r["name"]: r["id"] for r in rpc("mail.activity.type", "search_read", [], fields=["name"])}
    assert "Reminder" not in types and {"Email", "Call", "Meeting", "To-Do"} <= set(types)
    base = {"res_model_id": partner_model, "res_id": 5, "date_deadline": "2030-01-01", "summary": "Recall"}
    plain = rpc("mail.activity", "create", {**base, "activity_type_id": types["Call"]})
    rpc("mail.activity", "action_feedback", [plain], feedback="done")
    assert rpc("mail.activity", "search", [["id", "=", plain], ["active", "in", [True, False]]]) == []
    rpc("mail.activity.type", "write", [types["Meeting"]], {"keep_done": True})
    kept = rpc("mail.activity", "create", {**base, "activity_type_id": types["Meeting"]})
    rpc("mail.activity", "action_done", [kept])
    assert rpc("mail.activity", "read", [kept], fields=["active"]) == [{"id": kept, "active": False}]


def test_jsonrpc_error_envelope(server: RunningServer) -> None:
    args = [DB_NAME, 2, PW, "res.partner", "create", [{"name": "J", "type": "bogus"}]]
    body = httpx.post(f"{server.url}/jsonrpc", json={"jsonrpc": "2.0", "method": "call", "id": 7,
                                                     "params": {"service": "object", "method": "execute_kw", "args": args}}).json()
    assert body["id"] == 7 and body["error"]["code"] == 200 and body["error"]["message"] == "Odoo Server Error"
    assert body["error"]["data"]["name"] == "builtins.ValueError"
    assert set(body["error"]["data"]) == {"name", "debug", "message", "arguments", "context"}


def test_json2(server: RunningServer) -> None:
    url = f"{server.url}/json/2/res.partner"
    good = {"Authorization": f"bearer {PW}"}
    ok = httpx.post(f"{url}/search_read", json={"domain": [["id", "=", 5]], "fields": ["name"]}, headers=good)
    assert ok.status_code == 200 and ok.json() == [{"id": 5, "name": "Azure Interior"}]
    bad_key = httpx.post(f"{url}/search", json={"domain": []}, headers={"Authorization": "bearer nope"})
    assert bad_key.status_code == 401 and bad_key.json()["message"] == "Invalid apikey"
    assert list(bad_key.json()) == ["name", "message", "arguments", "context", "debug"]
    missing = httpx.post(f"{url}/search", json={}, headers=good)
    assert missing.status_code == 422 and missing.json()["message"] == "missing a required argument: 'domain'"
    invalid = httpx.post(f"{url}/create", json={"vals_list": [{"type": "contact"}]}, headers=good)
    assert invalid.status_code == 422 and invalid.json()["name"] == "odoo.exceptions.ValidationError"


def test_fault_switches(server: RunningServer, rpc: Any) -> None:
    set_faults(server, fail_every=2)
    rpc("res.partner", "search_count", [])
    with pytest.raises(xmlrpc.client.ProtocolError) as info:
        rpc("res.partner", "search_count", [])
    assert info.value.errcode == 503
    set_faults(server, fail_every=0, drop_after_commit_every=1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.post(f"{server.url}/json/2/res.partner/create", json={"vals_list": [{"name": "Emu Dropped"}]},
                   headers={"Authorization": f"bearer {PW}"})
    set_faults(server, drop_after_commit_every=0, slow_every=1, slow_seconds=0.2, limit_time_real=0.1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.post(f"{server.url}/json/2/res.partner/create", json={"vals_list": [{"name": "Emu Killed"}]},
                   headers={"Authorization": f"bearer {PW}"})
    set_faults(server, slow_every=0, limit_time_real=120)
    assert rpc("res.partner", "search_count", [["name", "=", "Emu Dropped"]]) == 1  # committed before the drop
    assert rpc("res.partner", "search_count", [["name", "=", "Emu Killed"]]) == 0  # killed worker: rolled back
    state = httpx.get(f"{server.url}/_emulator/state").json()
    assert state["switches"]["fail_every"] == 0 and state["counts"]["res.partner"] > 8


def test_switches_from_environment_then_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.emulators.odoo import FaultSwitches

    monkeypatch.setenv("BRIDGEWORK_EMULATOR_FAIL_EVERY", "4")
    monkeypatch.setenv("BRIDGEWORK_EMULATOR_SLOW_SECONDS", "0.5")
    switches = FaultSwitches.build({"slow_seconds": 1.5})
    assert (switches.fail_every, switches.slow_seconds) == (4, 1.5)
    with pytest.raises(ValueError, match="unknown fault switch"):
        switches.update({"nope": 1})


def test_state_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "keep.sqlite"
    first = create_app(path)
    with first.store.transaction():
        first.store.create(first_env(), first.store.model("res.partner"), [{"name": "Kept"}])
    second = create_app(path)
    assert second.store.search(first_env(), second.store.model("res.partner"), [["name", "=", "Kept"]])


def first_env() -> Any:
    from connectors.emulators._odoo_orm import Env

    return Env(2)


def test_attachment_and_many2one_custom_field(rpc: Any) -> None:
    att = rpc("ir.attachment", "create", {"name": "xray.png", "datas": "aGVsbG8=", "res_model": "res.partner", "res_id": 5})
    row = rpc("ir.attachment", "read", [att], fields=["mimetype", "file_size", "datas"])[0]
    assert (row["mimetype"], row["file_size"], row["datas"]) == ("image/png", 5, "aGVsbG8=")
    assert fault(rpc, "ir.attachment", "create", {"name": "bad.bin", "datas": "not base64!"}).faultCode == 1
    model_id = rpc("ir.model", "search", [["model", "=", "crm.lead"]])[0]
    rpc("ir.model.fields", "create", {"model_id": model_id, "name": "x_dentist_id", "field_description": "Dentist",
                                      "ttype": "many2one", "relation": "res.users"})
    lead = rpc("crm.lead", "create", {"name": "Emu M2O", "x_dentist_id": 3})
    assert rpc("crm.lead", "read", [lead], fields=["x_dentist_id"])[0]["x_dentist_id"] == [3, "Marc Demo"]
    users = rpc("res.users", "search_read", [["email", "!=", False]], fields=["login", "email"])
    assert {u["login"] for u in users} >= {"admin", "demo"}


def test_company_and_user_create_their_partner(rpc: Any) -> None:
    """res.company.create makes an is_company partner when none is given (name, email, phone, address); res.users
    (_inherits res.partner) makes one from name and email; a given partner_id is kept; nameless stays refused."""
    companies = rpc("res.company", "create", [{"name": "Emu Clinic A", "email": "a@clinic.example", "city": "Leeds",
                                               "zip": "LS1", "street": "1 High St"}, {"name": "Emu Clinic B"}])
    rows = rpc("res.company", "read", companies, fields=["partner_id", "city"])
    partners = rpc("res.partner", "read", [r["partner_id"][0] for r in rows],
                   fields=["name", "is_company", "email", "city", "zip", "street"])
    assert [(p["name"], p["is_company"]) for p in partners] == [("Emu Clinic A", True), ("Emu Clinic B", True)]
    assert (partners[0]["email"], partners[0]["city"], partners[0]["zip"]) == ("a@clinic.example", "Leeds", "LS1")
    given = rpc("res.partner", "create", {"name": "Emu Own Partner", "is_company": True})
    kept = rpc("res.company", "create", {"name": "Emu Clinic C", "partner_id": given})
    assert rpc("res.company", "read", [kept], fields=["partner_id"])[0]["partner_id"][0] == given
    nameless = fault(rpc, "res.company", "create", {"email": "x@clinic.example"})
    assert nameless.faultCode == 2 and "Field: Company Name (name)" in nameless.faultString
    user = rpc("res.users", "create", {"name": "Emu Dentist", "login": "emu.dentist@clinic.example",
                                       "email": "emu.dentist@clinic.example"})
    partner = rpc("res.users", "read", [user], fields=["partner_id"])[0]["partner_id"]
    assert partner and partner[1] == "Emu Dentist"
    assert rpc("res.partner", "read", [partner[0]], fields=["email"])[0]["email"] == "emu.dentist@clinic.example"


def test_event_stop_is_computed_from_start_and_duration(rpc: Any) -> None:
    """calendar.event.stop is required but computed (start + duration hours, 1 by default) when not given."""
    timed, default, given = rpc("calendar.event", "create", [
        {"name": "Emu Visit", "start": "2025-03-04 09:00:00", "duration": 1.5},
        {"name": "Emu Visit 2", "start": "2025-03-04 09:00:00"},
        {"name": "Emu Visit 3", "start": "2025-03-04 09:00:00", "stop": "2025-03-04 09:20:00"}])
    stops = {r["id"]: r["stop"] for r in rpc("calendar.event", "read", [timed, default, given], fields=["stop"])}
    assert stops == {timed: "2025-03-04 10:30:00", default: "2025-03-04 10:00:00", given: "2025-03-04 09:20:00"}
