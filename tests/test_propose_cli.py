"""bridgework propose on a workspace with stored schemas, and bridgework eval's --json shape."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from executor.workspace import Workspace
from mapper.schema import Entity, Field, Schema
from mapper.spec import MappingSpec
from ui.cli import app

runner = CliRunner()
DESTINATIONS = Path(__file__).resolve().parents[1] / "mapper" / "knowledge" / "destinations"
SOURCE = Schema("dentrix", (
    Entity("patient", (Field("patid", "int", is_key=True), Field("lastname"), Field("firstname"),
                       Field("emailaddr", "email"), Field("pager", "phone"), Field("guarid", "int"), Field("ssn"))),
    Entity("inscarrier", (Field("insid", "int"), Field("insconame"))),
))


@pytest.fixture()
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws", {"kind": "csv", "path": str(tmp_path)}, {"kind": "odoo", "url": "local"})
    return ws


def test_propose_needs_stored_schemas(workspace: Workspace) -> None:
    result = runner.invoke(app, ["propose", "--workspace", str(workspace.root)])
    assert result.exit_code == 1
    assert "bridgework introspect" in result.output
    SOURCE.save(workspace.source_schema_path)
    result = runner.invoke(app, ["propose", "--workspace", str(workspace.root)])
    assert result.exit_code == 1
    assert "bridgework describe" in result.output


def test_propose_writes_mapping_and_keeps_decisions(workspace: Workspace) -> None:
    SOURCE.save(workspace.source_schema_path)
    Schema.load(DESTINATIONS / "odoo.json").save(workspace.destination_schema_path)
    result = runner.invoke(app, ["propose", "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    assert "Next:" in result.output and "mobile" in result.output
    spec = MappingSpec.load(workspace.mapping_path)
    pager = next(fm for fm in spec.entity_map("patient->res.partner").fields if fm.key == "pager")
    assert pager.target == "mobile" and pager.status == "proposed"
    for em in spec.entities:
        for fm in em.fields:
            if fm.key == "emailaddr":
                fm.decision = fm.decision.model_copy(update={"status": "rejected", "by": "tester"})
    spec.save(workspace.mapping_path)
    result = runner.invoke(app, ["propose", "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    again = MappingSpec.load(workspace.mapping_path)
    email = next(fm for fm in again.entity_map("patient->res.partner").fields if fm.key == "emailaddr")
    assert email.status == "rejected"


def _write_case(folder: Path) -> None:
    folder.mkdir(parents=True)
    rows = [("patient", "", "pager", "", "char(20)", ""), ("patient", "", "emailaddr", "E-mail", "char(61)", "a@b.c | d@e.f"),
            ("patient", "", "lastname", "", "", ""), ("patient", "", "automodifiedtimestamp", "", "timestamp", "")]
    with (folder / "source.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["TableName", "TableDesc", "ColumnName", "ColumnDesc", "ColumnType", "SampleValues"])
        w.writerows(rows)
    with (folder / "target.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ObjectName", "ObjectDesc", "FieldName", "FieldLabel", "FieldType", "Required", "FieldDesc"])
        w.writerows([("Contact", "", "MobilePhone", "Mobile", "phone", "false", ""),
                     ("Contact", "", "Email", "Email", "email", "false", ""),
                     ("Contact", "", "LastName", "Last Name", "string", "true", "")])
    with (folder / "gold.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["SRC_ENT", "SRC_ATT", "TGT_ENT", "TGT_ATT", "KIND"])
        w.writerows([("patient", "pager", "Contact", "MobilePhone", "direct"), ("patient", "emailaddr", "Contact", "Email", "direct"),
                     ("patient", "lastname", "Contact", "LastName", "direct"), ("patient", "automodifiedtimestamp", "", "", "skip")])


def test_eval_json_shape(tmp_path: Path) -> None:
    _write_case(tmp_path / "cases" / "dentrix_salesforce")
    out = tmp_path / "eval.json"
    result = runner.invoke(app, ["eval", str(tmp_path / "cases"), "--json", str(out), "--report", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    assert "Mapping accuracy" in result.output and "Reliability" in result.output
    data = json.loads(out.read_text())
    case = data["cases"][0]
    assert case["case"] == "dentrix_salesforce"
    assert set(case["metrics"]) == {"hit@1", "hit@3", "hit@5", "mrr"}
    assert [(q["src_ent"], q["src_att"]) for q in case["queries"]] == [
        ("patient", "pager"), ("patient", "emailaddr"), ("patient", "lastname"), ("patient", "automodifiedtimestamp")]
    for q in case["queries"]:
        assert q["decision"] in ("match", "custom", "skip")
        assert set(q["candidates"][0]) == {"tgt_ent", "tgt_att", "score"}
        assert len(q["candidates"]) <= 20
    assert case["queries"][0]["candidates"][0]["tgt_att"] == "MobilePhone"
    assert case["queries"][3]["decision"] == "skip"
    assert (tmp_path / "rep" / "reliability.png").stat().st_size > 1000


def test_eval_bad_folder_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "does not exist" in result.output
