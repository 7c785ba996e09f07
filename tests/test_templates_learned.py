"""A confirmed map teaches the proposer once: the next migration's proposal starts from it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

from executor.ledger import Ledger
from executor.templates import learn_confirmed_map
from executor.workspace import Workspace
from mapper.spec import Decision, EntityMap, FieldMap, MappingSpec


def test_learned_once_per_map_version(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", {"kind": "csv", "path": str(tmp_path)}, {"kind": "odoo"})
    ok = Decision(status="confirmed", by="ann")
    spec = MappingSpec(source="dentrix", destination="odoo", entities=[EntityMap(
        id="patient->res.partner", source="patient", target="res.partner", decision=ok,
        fields=[FieldMap(source="pager", target="mobile", decision=ok)])])
    ledger = Ledger(ws.ledger_path)
    session = SimpleNamespace(spec=spec, ws=ws, ledger=ledger)
    assert learn_confirmed_map(session) == 1  # type: ignore[arg-type]
    assert learn_confirmed_map(session) == 0  # type: ignore[arg-type]
    store = Path(os.environ["BRIDGEWORK_HOME"]) / "templates.json"
    assert "pager" in json.dumps(json.loads(store.read_text()))
