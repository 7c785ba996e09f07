"""Workspaces for the review app: a small hand-made one (review_workspace) and demo practices in known states."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from executor.workspace import Workspace
from mapper.profile import profile_records
from mapper.schema import Entity, Field, Schema
from mapper.spec import Candidate, EntityMap, FieldMap, MappingSpec

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


def _source() -> Schema:
    records = [{"patid": i, "firstname": f"Ann{i}", "pager": f"(555) 010-{1000 + i}", "emailaddr": f"a{i}@example.com",
                "birthdate": f"1980-01-{1 + i % 28:02d}", "status": str(1 + i % 2)} for i in range(40)]
    prof = profile_records(records, list(records[0]))
    fields = (
        Field("patid", "int", is_key=True, profile=prof["patid"]),
        Field("firstname", "string", max_length=17, profile=prof["firstname"]),
        Field("pager", "phone", profile=prof["pager"]),
        Field("emailaddr", "email", profile=prof["emailaddr"]),
        Field("birthdate", "date", profile=prof["birthdate"]),
        Field("status", "int", profile=prof["status"]),
    )
    return Schema("dentrix", (Entity("patient", fields, key="patid", row_count=40),))


def _destination() -> Schema:
    fields = tuple(Field(n, t) for n, t in [("name", "string"), ("mobile", "phone"), ("phone", "phone"),
                                              ("email", "email"), ("ref", "string"), ("comment", "text")])
    return Schema("odoo", (Entity("res.partner", fields),))


def _spec() -> MappingSpec:
    fields = [
        FieldMap(source="firstname", target="name", score=0.82, why="name ≈ 'Name' (0.80)"),
        FieldMap(source="pager", target="mobile", score=0.95, why="values look like phone numbers; Dentrix 'pager' holds mobile numbers",
                 alternatives=[Candidate(target="phone", score=0.40, why="phone-like values")]),
        FieldMap(source="emailaddr", target="email", score=0.97, why="values look like emails"),
        FieldMap(source="birthdate", target=None, kind="custom", score=0.30, why="no standard birth date field"),
        FieldMap(source="status", target="comment", score=0.35, why="weak name match"),
    ]
    em = EntityMap(id="patient->res.partner", source="patient", target="res.partner", key="patid", score=0.9,
                   why="patients are people (res.partner)", fields=fields)
    return MappingSpec(source="dentrix", destination="odoo", entities=[em])


@pytest.fixture
def review_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    ws = Workspace.create(tmp_path / "ws", {"kind": "csv", "path": str(tmp_path)}, {"kind": "odoo", "url": "local"})
    _source().save(ws.source_schema_path)
    _destination().save(ws.destination_schema_path)
    _spec().save(ws.mapping_path)
    monkeypatch.setenv("BRIDGEWORK_WORKSPACE", str(ws.root))
    yield ws



def copy_workspace(src: Workspace, dst: Path) -> Workspace:
    """A private copy of a prepared workspace (ledger, map, source and local emulator state)."""
    import shutil

    shutil.copytree(src.root, dst)
    return Workspace.find(dst)


DEMO_AUTO_ACCEPT = 0.9


@contextmanager
def _pinned_auto_accept() -> Iterator[None]:
    """The demo auto-confirms at DEMO_AUTO_ACCEPT whatever the current calibration says, so these states stay put."""
    import dataclasses

    import mapper.propose

    real = mapper.propose.load_calibration
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mapper.propose, "load_calibration",
                      lambda *a, **k: dataclasses.replace(real(*a, **k), auto_accept=DEMO_AUTO_ACCEPT))
        yield


@pytest.fixture(scope="session")
def demo_loaded(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """`bridgework demo` on 60 patients into the in-process Odoo emulator: planned, checked, sampled, loaded."""
    from executor.demo import run_demo

    root = tmp_path_factory.mktemp("demo") / "loaded"
    with _pinned_auto_accept():
        run_demo(root, dest="odoo", patients=60, say=lambda _: None)
    return Workspace.find(root)


@pytest.fixture(scope="session")
def demo_proposed(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The same practice with its map proposed and auto-confirmed; no schema plan applied, nothing loaded."""
    from executor.demo import prepare

    with _pinned_auto_accept():
        ws, _ = prepare(tmp_path_factory.mktemp("demo") / "proposed", dest="odoo", patients=60, say=lambda _: None)
    return ws


@pytest.fixture(scope="session")
def demo_planned(demo_proposed: Workspace, demo_loaded: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Ready to load: the demo's final map, the schema plan applied, data checked, duplicates and providers decided."""
    import shutil

    from executor.dedupe import decide
    from executor.owners import resolve_owners
    from executor.schema_apply import apply_plan, plan_changes
    from executor.session import Session
    from executor.validate import validate

    ws = copy_workspace(demo_proposed, tmp_path_factory.mktemp("demo") / "planned")
    shutil.copy(demo_loaded.mapping_path, ws.mapping_path)
    with Session.open(ws) as s:
        view = plan_changes(s.spec, s.destination.describe(), "odoo", s.ledger, s.destination.capabilities)
        apply_plan(view, s.destination, s.ledger)
        s.destination.describe().save(ws.destination_schema_path)
        validate(s)
        decide(s.ledger, None, "split")
        resolve_owners(s)
    return ws
