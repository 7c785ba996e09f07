"""Workspaces for the review app: a small hand-made one (review_workspace) and demo practices in known states."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from streamlit.testing.v1 import AppTest

from executor.workspace import Workspace
from mapper.profile import profile_records
from mapper.schema import Entity, Field, Schema
from mapper.spec import Candidate, EntityMap, FieldMap, MappingSpec, TransformStep

if TYPE_CHECKING:
    from executor.session import Session

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")
OPTIONS = ("active", "inactive", "archived")
MAP_ID = "patient->res.partner"


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


def _standard_fields_only(ws: Workspace) -> None:
    """Keep the demo map on the destination's own objects and fields, so proposer changes do not move these states."""
    from mapper.schema import Schema
    from mapper.spec import Decision

    spec, dest = MappingSpec.load(ws.mapping_path), Schema.load(ws.destination_schema_path)
    rejected = Decision(status="rejected", by="tests", reason="UI tests keep to standard objects and fields")
    dropped = {em.id for em in spec.entities if not dest.has(em.target_name)}
    for em in spec.entities:
        if em.id in dropped:
            em.decision = rejected
        for fm in em.fields:
            if fm.status == "confirmed" and (fm.creates_field or fm.lookup in dropped):
                fm.decision = rejected
    spec.save(ws.mapping_path)


def _drop_refused_maps(ws: Workspace) -> None:
    """Sample, roll back, and reject entity maps the destination refused for every sampled record (and relations to them)."""
    from executor.rollback import rollback
    from executor.sample import sample
    from executor.session import Session
    from mapper.spec import Decision

    rejected = Decision(status="rejected", by="tests", reason="the destination refused every sampled record")
    for _ in range(3):  # a refused parent hides its children's own problems: sample again after each drop
        with Session.open(ws) as s:
            trial = sample(s, 10)
            rollback(s, trial.run.run_id)
            rows = s.ledger.query(
                "SELECT map_id, SUM(state IN ('loaded', 'deleted')) AS ok, COUNT(*) AS total FROM records "
                "WHERE run_id = ? AND COALESCE(error_code, '') != 'unresolved_reference' GROUP BY map_id",
                (trial.run.run_id,))
            refused = {r["map_id"] for r in rows if r["total"] and not r["ok"]}
            if not refused:
                return
            for em in s.spec.entities:
                if em.id in refused:
                    em.decision = rejected
                for fm in em.fields:
                    if fm.status == "confirmed" and fm.lookup in refused:
                        fm.decision = rejected
            s.spec.save(ws.mapping_path)


@pytest.fixture(scope="session")
def demo_proposed(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A demo practice of 60 patients into the in-process Odoo emulator, map proposed and auto-confirmed; nothing applied."""
    from executor.demo import prepare

    with _pinned_auto_accept():
        ws, _ = prepare(tmp_path_factory.mktemp("demo") / "proposed", dest="odoo", patients=60, say=lambda _: None)
    _standard_fields_only(ws)
    return ws


@contextmanager
def _session_on_a_copy(src: Workspace, tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Session]:
    """A session on a private copy of a prepared demo workspace (`session.ws` is the copy)."""
    from executor.session import Session

    with Session.open(copy_workspace(src, tmp_path_factory.mktemp("demo") / name)) as s:
        yield s


@pytest.fixture(scope="session")
def demo_planned(demo_proposed: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Ready to load: the schema plan applied, data checked, duplicates and providers decided, refused maps left out."""
    from executor.dedupe import decide
    from executor.owners import resolve_owners
    from executor.schema_apply import apply_plan, plan_changes
    from executor.validate import validate

    with _session_on_a_copy(demo_proposed, tmp_path_factory, "planned") as s:
        view = plan_changes(s.spec, s.destination.describe(), "odoo", s.ledger, s.destination.capabilities)
        apply_plan(view, s.destination, s.ledger)
        s.destination.describe().save(s.ws.destination_schema_path)
        validate(s)
        decide(s.ledger, None, "split")
        resolve_owners(s)
    _drop_refused_maps(s.ws)
    return s.ws


@pytest.fixture(scope="session")
def demo_loaded(demo_planned: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """demo_planned after a full load."""
    from executor.run import execute

    with _session_on_a_copy(demo_planned, tmp_path_factory, "loaded") as s:
        execute(s, "full")
    return s.ws


def open_review() -> AppTest:
    """The review page of the app on $BRIDGEWORK_WORKSPACE, driven by streamlit.testing (no exception raised)."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("views/review.py")
    at.run()
    assert not at.exception, at.exception
    return at


def picklist_workspace_at(root: Path) -> Workspace:
    """A workspace whose patient status feeds a picklist through a value map nobody has filled yet."""
    records = [{"patid": i, "status": str(1 + i % 2), "firstname": f"Ann{i}"} for i in range(40)]
    prof = profile_records(records, list(records[0]))
    source = Schema("dentrix", (Entity("patient", (Field("patid", "int", is_key=True, profile=prof["patid"]),
                                                   Field("status", "int", profile=prof["status"]),
                                                   Field("firstname", "string", profile=prof["firstname"])),
                                       key="patid", row_count=40),))
    destination = Schema("odoo", (Entity("res.partner", (Field("name", "string"),
                                                         Field("x_status", "enum", enum_values=OPTIONS))),))
    fields = [FieldMap(source="status", target="x_status", score=0.9, why="both hold the patient's status",
                       transforms=[TransformStep(name="value_map", args={"map": {}})]),
              FieldMap(source="firstname", target="name", score=0.8, why="name")]
    spec = MappingSpec(source="dentrix", destination="odoo", entities=[
        EntityMap(id=MAP_ID, source="patient", target="res.partner", key="patid", score=0.9, why="people", fields=fields)])
    ws = Workspace.create(root, {"kind": "csv", "path": str(root.parent)}, {"kind": "odoo", "url": "local"})
    source.save(ws.source_schema_path)
    destination.save(ws.destination_schema_path)
    spec.save(ws.mapping_path)
    return ws


@pytest.fixture
def picklist_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    ws = picklist_workspace_at(tmp_path / "ws")
    monkeypatch.setenv("BRIDGEWORK_WORKSPACE", str(ws.root))
    yield ws
