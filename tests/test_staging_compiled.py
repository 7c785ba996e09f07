"""Compiled staging (executor._compile) equals the reference `Stager._one` record for record.

Over the demo practice's whole proposed map for every destination (phones, e-mails, dates, joins,
relations, constants, rejections), through every branch a relation can take (loaded, missing,
pending on the first pass of a self-referencing map, an owner with no user), with and without
content hashes, and through a map whose field names collide with constants, stamps and each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from executor import staging
from executor.demo import prepare
from executor.lookups import PENDING, Echo
from executor.staging import Stager, entity_order, read_all
from executor.workspace import Workspace
from mapper.schema import Schema
from mapper.spec import MappingSpec

DESTINATIONS = ("odoo", "twenty", "salesforce", "dynamics")


class Partly(Echo):
    """A lookup that resolves most ids, leaves some unloaded, gives some no user and some 'pending'."""

    def get(self, key: str, default: Any = None) -> Any:
        return (default, "", PENDING, f"dest-{key}", f"dest-{key}")[sum(map(ord, key)) % 5]


@pytest.fixture(scope="module", params=DESTINATIONS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws, _ = prepare(tmp_path_factory.mktemp("compiled") / request.param, dest=request.param, patients=40,
                    say=lambda _: None)
    return ws


def _staged(ws: Workspace, spec: MappingSpec, compiled: bool, monkeypatch: pytest.MonkeyPatch, *,
            final: bool, hashes: bool, lookup: str, prescan: bool = True) -> list[Any]:
    monkeypatch.setattr(staging, "COMPILED", compiled)
    source = ws.open_source()
    try:
        src_schema = Schema.load(ws.source_schema_path)
        ready: dict[str, dict[str, str]] = {}
        lookups = {"ready": lambda m: ready.get(m, {}), "partly": lambda _m: Partly()}[lookup]
        stager = Stager(spec, str(getattr(source, "name", "demo")), src_schema, Schema.load(ws.destination_schema_path),
                        lookups, kind=ws.settings.destination.kind, hashes=hashes,
                        prescan=(lambda em: read_all(source, em.source)) if prescan else None,
                        reader=lambda entity: read_all(source, entity))
        out = []
        for em in entity_order(spec):
            staged = list(stager.stage(em, read_all(source, em.source), final=final))
            ready[em.id] = {s.source_id: f"dest-{s.source_id}" for s in staged if s.state == "ready"}
            out += staged
        return out
    finally:
        source.close()


@pytest.mark.parametrize(("final", "hashes", "lookup", "prescan"), [
    (False, True, "ready", True), (True, False, "ready", True), (False, False, "ready", False),
    (False, True, "partly", False), (True, True, "partly", False)])
def test_compiled_staging_equals_the_reference(demo: Workspace, monkeypatch: pytest.MonkeyPatch, final: bool,
                                               hashes: bool, lookup: str, prescan: bool) -> None:
    spec = MappingSpec.load(demo.mapping_path)
    args: dict[str, Any] = {"final": final, "hashes": hashes, "lookup": lookup, "prescan": prescan}
    compiled = _staged(demo, spec, True, monkeypatch, **args)
    reference = _staged(demo, spec, False, monkeypatch, **args)
    assert len(compiled) == len(reference) > 500
    assert {s.state for s in reference} >= {"ready", "rejected"}
    for got, want in zip(compiled, reference):
        assert got == want, (got.map_id, got.source_id)


def test_colliding_names_stage_alike(demo: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """A field written by a constant, by two field maps, or by a timestamp stamp takes the reference's path."""
    spec = MappingSpec.load(demo.mapping_path)
    em = max(entity_order(spec), key=lambda m: len(m.fields))
    fields = [fm for fm in em.fields if fm.status == "confirmed" and fm.kind != "skip" and fm.target_name]
    first, second = fields[0], fields[1]
    em.constants = {**em.constants, first.target_name or "": "constant"}
    em.fields.append(second.model_copy(update={"source": fields[2].source}))
    for lookup in ("ready", "partly"):
        compiled = _staged(demo, spec, True, monkeypatch, final=False, hashes=True, lookup=lookup)
        reference = _staged(demo, spec, False, monkeypatch, final=False, hashes=True, lookup=lookup)
        assert compiled == reference


def test_generated_source_holds_names_only_as_literals(tmp_path: Path) -> None:
    """A field name that is Python code stays a string: the compiled map writes it as a key, runs nothing."""
    from executor._compile import compile_record
    from executor.staging import PARTIAL, Problem, Staged, content_hash

    evil = "x'] = 1; import os; os.system('false'); values['y"
    one = compile_record("m", {}, [(evil, "col", None, None)], {}, [], lambda _v: [], lambda _l: False,
                         {"Staged": Staged, "Problem": Problem, "PENDING": PENDING, "PARTIAL": PARTIAL,
                          "content_hash": content_hash})
    staged = one({"col": 5}, "1", "ext-1")
    assert staged.values == {evil: 5} and staged.state == "ready"
