"""A small demo workspace for the review app: stored schemas and a proposed mapping.yaml."""

from __future__ import annotations

from collections.abc import Iterator
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


def _one_writer_per_target(ws: Workspace) -> None:
    """Reject the weaker of two confirmed field maps writing one target, so mapping.yaml loads whatever the proposer did."""
    import yaml

    from mapper.spec import Decision

    spec = MappingSpec.model_validate(yaml.safe_load(ws.mapping_path.read_text(encoding="utf-8")))
    for em in spec.entities:
        seen: set[str] = set()
        for fm in sorted(em.fields, key=lambda f: -f.score):
            name = fm.target_name
            if fm.status == "confirmed" and fm.kind != "skip" and name:
                if name in seen:
                    fm.decision = Decision(status="rejected", by="tests", reason="another map writes this target")
                seen.add(name)
    spec.save(ws.mapping_path)


def _drop_fields_that_reject_everything(ws: Workspace) -> None:
    """Reject field maps that fail on every record of their map (the demo's vocabularies are still growing)."""
    from collections import Counter

    from executor.session import Session
    from executor.validate import validate
    from mapper.spec import Decision

    with Session.open(ws) as s:
        report = validate(s, write_csv=False)
        failing = Counter((f.map_id, f.field) for f in report.findings if f.severity == "error")
        for em in s.spec.entities:
            for fm in em.fields:
                if fm.status == "confirmed" and report.records.get(em.id) and \
                        failing[(em.id, fm.target_name or "")] >= report.records[em.id]:
                    fm.decision = Decision(status="rejected", by="tests", reason="fails on every record")
        s.spec.save(ws.mapping_path)


def copy_workspace(src: Workspace, dst: Path) -> Workspace:
    """A private copy of a prepared workspace (ledger, map, source and local emulator state)."""
    import shutil

    shutil.copytree(src.root, dst, ignore=shutil.ignore_patterns("*.pid"))
    return Workspace.find(dst)


@pytest.fixture(scope="session")
def demo_proposed(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A demo practice of 60 patients into the in-process Odoo emulator: map proposed and confirmed, nothing applied."""
    from executor.demo import prepare

    ws, _ = prepare(tmp_path_factory.mktemp("demo") / "proposed", dest="odoo", patients=60, say=lambda _: None)
    _one_writer_per_target(ws)
    _drop_fields_that_reject_everything(ws)
    return ws


@pytest.fixture(scope="session")
def demo_planned(demo_proposed: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """demo_proposed with the schema plan applied and the data checked (duplicates decided, providers matched)."""
    from executor.dedupe import decide
    from executor.owners import resolve_owners
    from executor.schema_apply import apply_plan, plan_changes
    from executor.session import Session
    from executor.validate import validate

    ws = copy_workspace(demo_proposed, tmp_path_factory.mktemp("demo") / "planned")
    with Session.open(ws) as s:
        view = plan_changes(s.spec, s.destination.describe(), "odoo", s.ledger, s.destination.capabilities)
        apply_plan(view, s.destination, s.ledger)
        s.destination.describe().save(ws.destination_schema_path)
        validate(s)
        decide(s.ledger, None, "split")
        resolve_owners(s)
    return ws


@pytest.fixture(scope="session")
def demo_loaded(demo_planned: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """demo_planned after a full load."""
    from executor.run import execute
    from executor.session import Session

    ws = copy_workspace(demo_planned, tmp_path_factory.mktemp("demo") / "loaded")
    with Session.open(ws) as s:
        execute(s, "full")
    return ws
