"""Destination users and owner resolution against each emulator over real HTTP.

Per destination: users() lists the seeded users by lower-cased email; providers whose email
matches one (in any case) own their records through the field the map names, the rest are
reported and go to "Unassigned Provider": the connecting user where the connector names it (Odoo, whose
mail.activity needs a user), else the owner field is left for the destination's default.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import DestRecord, Destination
from connectors.emulators.serve import RunningServer, start_in_thread
from connectors.registry import emulator_module, open_destination
from connectors.sources.csvsource import CsvSource
from executor.ledger import open_ledger
from executor.owners import UNASSIGNED, resolve_owners
from executor.session import Session
from executor.staging import read_all
from executor.workspace import Workspace
from mapper.schema import SchemaChange
from mapper.spec import MappingSpec


@dataclass(frozen=True)
class Case:
    """One destination: its seeded users, the user object, and an object whose owner field the map fills."""

    seeded: tuple[str, ...]
    users: str
    owned: str
    owner_field: str
    name_field: str
    external_id_field: str
    constants: dict[str, Any]
    switches: dict[str, Any]


CASES = {
    "twenty": Case(("admin@practice.test", "dana.dentist@practice.test", "harper.hygienist@practice.test"),
                   "workspaceMember", "company", "accountOwnerId", "name", "bwExternalId", {}, {"throttle": False}),
    "odoo": Case(("admin@yourcompany.example.com", "mark.brown23@example.com"),
                 "res.users", "crm.lead", "user_id", "name", "x_bw_external_id", {"type": "opportunity"}, {}),
    "salesforce": Case(("admin@bridgework.local", "amy.patel@smiledental.example", "ben.okafor@smiledental.example",
                        "front.desk@smiledental.example"),
                       "User", "Contact", "OwnerId", "LastName", "BW_External_Id__c", {}, {}),
    "dynamics": Case(("admin@practice.example", "dana@practice.example", "harper@practice.example"),
                     "systemuser", "contact", "ownerid", "lastname", "bw_externalid", {}, {"key_delay": 0}),
}


PLACEHOLDER = {"odoo": "admin@yourcompany.example.com"}
"""The connecting user, where the connector names it: owner of the unmatched providers' records."""


@pytest.fixture(scope="module", params=sorted(CASES))
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[tuple[str, RunningServer, Destination]]:
    kind = str(request.param)
    module = emulator_module(kind)
    running = start_in_thread(module.create_app(None, **CASES[kind].switches))
    patch = pytest.MonkeyPatch()
    for name, value in module.LOCAL_CREDENTIALS.items():
        patch.setenv(name, value)
    destination = open_destination(kind, {"url": running.url, "pace": False}, tmp_path_factory.mktemp(kind))
    yield kind, running, destination
    destination.close()
    running.stop()
    patch.undo()


def test_users_lists_the_seeded_users_by_lower_cased_email(served: tuple[str, RunningServer, Destination]) -> None:
    kind, _, destination = served
    users = destination.users()
    assert set(CASES[kind].seeded) <= set(users)
    assert all(email == email.lower() and uid for email, uid in users.items())
    assert len(set(users.values())) == len(users)


def _one_per_page(kind: str, running: RunningServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Make every page one user long; the switches to restore afterwards."""
    if kind == "odoo":
        monkeypatch.setattr("connectors.destinations.odoo.CHUNK", 1)
    if kind == "dynamics":
        monkeypatch.setattr("connectors.destinations.dynamics._READ_HEADERS", (("Prefer", "odata.maxpagesize=1"),))
    switches = {"twenty": ({"batch_cap": 1}, {"batch_cap": 60}),
                "salesforce": ({"query_page_size": 1}, {"query_page_size": 2000})}.get(kind)
    if switches is None:
        return {}
    httpx.post(f"{running.url}/_emulator/faults", json=switches[0]).raise_for_status()
    return switches[1]


def test_users_follows_every_page(served: tuple[str, RunningServer, Destination], monkeypatch: pytest.MonkeyPatch) -> None:
    kind, running, destination = served
    whole = destination.users()
    restore = _one_per_page(kind, running, monkeypatch)
    try:
        assert destination.users() == whole
    finally:
        if restore:
            httpx.post(f"{running.url}/_emulator/faults", json=restore).raise_for_status()


def _providers(seeded: tuple[str, ...]) -> list[tuple[str, str]]:
    """(provider id, email): the last two seeded users in other cases, one stranger, one without an email."""
    return [("1", seeded[-2].upper()), ("2", "Nobody@Unknown.Example"), ("3", seeded[-1].title()), ("4", "")]


def _session(kind: str, destination: Destination, root: Path) -> Session:
    case = CASES[kind]
    folder = root / "exports"
    folder.mkdir(parents=True)
    lines = ["provider_id,name,email", *(f"{pid},Provider {pid},{email}" for pid, email in _providers(case.seeded))]
    (folder / "providers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    patients = ["patient_id,last,provider_id", *(f"{n},Owned{n},{(n - 1) % 4 + 1}" for n in range(101, 109))]
    (folder / "patients.csv").write_text("\n".join(patients) + "\n", encoding="utf-8")
    confirmed = {"status": "confirmed", "by": "test"}
    spec = MappingSpec.model_validate({"source": "csv", "destination": kind, "entities": [
        {"id": "providers", "source": "providers", "target": case.users, "key": "provider_id", "decision": confirmed,
         "fields": [{"source": "email", "target": "email", "decision": confirmed}]},
        {"id": "patients", "source": "patients", "target": case.owned, "key": "patient_id", "decision": confirmed,
         "constants": case.constants, "fields": [
             {"source": "last", "target": case.name_field, "decision": confirmed},
             {"source": "provider_id", "target": case.owner_field, "kind": "relation", "lookup": "providers",
              "decision": confirmed}]},
    ]})
    ws = Workspace.create(root / "ws", {"kind": "csv", "path": str(folder)}, {"kind": kind, "url": "local"})
    source = CsvSource(folder)
    return Session(ws, spec, open_ledger(ws.ledger_path, ws.operator), source, destination,
                   source.introspect(profile=False), None)


def test_matched_providers_own_their_records_and_the_rest_are_unassigned(
        served: tuple[str, RunningServer, Destination], tmp_path: Path) -> None:
    kind, _, destination = served
    case = CASES[kind]
    users = destination.users()
    session = _session(kind, destination, tmp_path)
    try:
        report = resolve_owners(session)
        assert (report.entity, report.matched, report.unassigned, report.users_available) == ("providers", 2, ["2", "4"], True)
        placeholder = PLACEHOLDER.get(kind) and users[PLACEHOLDER[kind]]
        assert report.placeholder == placeholder
        owners = dict(session.ledger.db.execute("SELECT source_id, dest_user FROM owners WHERE source_entity = 'providers'"))
        want = {"1": users[case.seeded[-2]], "3": users[case.seeded[-1]]}
        assert owners == {**want, "2": placeholder or UNASSIGNED, "4": placeholder or UNASSIGNED}
        with open(str(report.csv_path), encoding="utf-8") as fh:
            lines = list(csv.DictReader(fh))
        assert [(r["source_id"], r["status"], r["has_email"]) for r in lines] == [
            ("1", "matched", "yes"), ("2", "unassigned", "yes"), ("3", "matched", "yes"), ("4", "unassigned", "no")]
        assert all("@" not in v for r in lines for v in r.values())  # ids and outcomes only, no emails

        em = session.spec.entity_map("patients")
        staged = list(session.stager().stage(em, read_all(session.source, "patients")))
        assert [s.state for s in staged] == ["ready"] * 8
        for s in staged:
            provider = str((int(s.source_id) - 1) % 4 + 1)
            assert s.values.get(case.owner_field) == want.get(provider, placeholder)  # else not sent at all
            assert [w.code for w in s.warnings] == ([] if provider in want or placeholder else ["unassigned_owner"])

        destination.apply_change(SchemaChange(kind="field", entity=case.owned, name=case.external_id_field,
                                              type="string", max_length=255, unique=True, external_id=True))
        outcomes = destination.upsert(case.owned, [DestRecord(s.external_id, s.values) for s in staged])
        assert [o.action for o in outcomes] == ["create"] * 8, [(o.code, o.error) for o in outcomes]
        stored = destination.read(case.owned, [str(o.destination_id) for o in outcomes], [case.owner_field])
        defaults = set()
        for s, outcome in zip(staged, outcomes):
            owner = stored[str(outcome.destination_id)][case.owner_field]
            if case.owner_field in s.values:
                assert str(owner).lower() == str(s.values[case.owner_field]).lower()
            else:
                defaults.add(owner)  # no owner sent: the destination's own default (empty, or the API user)
        assert len(defaults) == (0 if placeholder else 1)
    finally:
        session.ledger.close()
        session.source.close()
