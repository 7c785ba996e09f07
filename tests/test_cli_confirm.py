"""bridgework confirm: decide proposals from the command line, recording who and when."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
from typer.testing import CliRunner

from executor.workspace import Workspace
from mapper.spec import CustomFieldDef, EntityMap, FieldMap, MappingSpec
from ui.cli import app

runner = CliRunner()


def _spec() -> MappingSpec:
    patient = EntityMap(id="patient->res.partner", source="patient", target="res.partner", score=0.95, fields=[
        FieldMap(source="pager", target="mobile", score=0.95),
        FieldMap(source="emailaddr", target="email", score=0.92),
        FieldMap(source="fname", target="name", score=0.6),
        FieldMap(source="birthdate", kind="custom", score=0.3),
        FieldMap(source="chartnum", target="custom:x_chart_number", kind="custom", score=0.5,
                 custom=CustomFieldDef(name="x_chart_number", label="Chart number")),
    ])
    carrier = EntityMap(id="inscarrier->res.partner", source="inscarrier", target="res.partner", kind="merge", score=0.7,
                        fields=[FieldMap(source="carriername", target="name", score=0.9)])
    return MappingSpec(source="csv", destination="odoo", entities=[patient, carrier])


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.create(tmp_path / "ws", {"kind": "csv", "path": str(tmp_path)}, {"kind": "odoo", "url": "local"},
                                 {"operator": "ann"})
    _spec().save(workspace.mapping_path)
    return workspace


def invoke(ws: Workspace, *args: str) -> tuple[int, str, MappingSpec]:
    result = runner.invoke(app, ["confirm", "--workspace", str(ws.root), *args])
    return result.exit_code, result.output, MappingSpec.load(ws.mapping_path)


def test_confirm_by_min_score_reports_what_remains(ws: Workspace) -> None:
    code, out, spec = invoke(ws, "--min-score", "0.9")
    assert code == 0, out
    assert "Confirmed 4 map(s) as ann" in out
    assert "patient.pager -> res.partner.mobile  (0.95)" in out
    assert "3 field(s) and 1 entity map(s) still proposed. Review them: bridgework review, or accept strong ones: " \
           "bridgework confirm --min-score 0.9" in out
    pager = spec.entities[0].fields[0]
    assert (pager.status, pager.decision.by) == ("confirmed", "ann") and pager.decision.at is not None
    assert spec.entities[0].fields[2].status == "proposed"
    rows = list(sqlite_utils.Database(ws.ledger_path).query("SELECT what, key, by, note FROM confirmations ORDER BY id"))
    assert rows[1] == {"what": "field", "key": "patient->res.partner:pager", "by": "ann", "note": "confirmed"}


def test_confirm_named_fields_and_refusals(ws: Workspace) -> None:
    code, out, spec = invoke(ws, "patient.fname", "patient->res.partner:birthdate", "patient.chartnum")
    assert code == 0, out
    assert "Confirmed 2 map(s)" in out
    assert "Left proposed patient->res.partner:birthdate: it needs a custom field definition" in out
    assert spec.entities[0].fields[2].status == "confirmed"


def test_reject_entity_with_reason(ws: Workspace) -> None:
    code, out, spec = invoke(ws, "--entity", "inscarrier->res.partner", "--reject", "--reason", "carriers later")
    assert code == 0, out
    assert "Rejected 1 map(s)" in out
    assert spec.entities[1].status == "rejected" and spec.entities[1].decision.reason == "carriers later"


def test_confirm_everything_then_next_step(ws: Workspace) -> None:
    invoke(ws, "patient.birthdate", "--reject")
    code, out, _ = invoke(ws, "--min-score", "0")
    assert code == 0 and "Every map is decided. Next: bridgework plan" in out


def test_json_output(ws: Workspace) -> None:
    code, out, _ = invoke(ws, "--entity", "inscarrier", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["changed"] == ["inscarrier->res.partner", "inscarrier->res.partner:carriername"]
    assert data["by"] == "ann" and data["fields_proposed"] == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Say what to confirm: FIELD..., --entity ID or --min-score X."),
        (("patient.nope",), "mapping.yaml has no field map 'patient.nope'."),
        (("--entity", "nope"), "mapping.yaml has no entity map 'nope'."),
        (("--reject", "--min-score", "0.5"), "--reject does not take --min-score."),
    ],
)
def test_errors_are_one_line(ws: Workspace, args: tuple[str, ...], message: str) -> None:
    result = runner.invoke(app, ["confirm", "--workspace", str(ws.root), *args])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1 or "Fields of" in result.output


def test_broken_mapping_file_names_the_line(ws: Workspace) -> None:
    ws.mapping_path.write_text(ws.mapping_path.read_text().replace("status: proposed", "status: maybe", 1))
    result = runner.invoke(app, ["confirm", "--workspace", str(ws.root), "--min-score", "0.9"])
    assert result.exit_code == 1
    assert "mapping.yaml:" in result.output and "decision, status: Input should be" in result.output


def test_outside_a_workspace(tmp_path: Path) -> None:
    result = runner.invoke(app, ["confirm", "--workspace", str(tmp_path), "--min-score", "0.9"])
    assert result.exit_code == 1 and "is not a bridgework workspace" in result.output
