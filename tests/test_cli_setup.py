"""bridgework init / introspect through the CLI: the demo practice, a CSV folder, and bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ui.cli import app

runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _fails(*args: str) -> str:
    """The command fails with one line on stderr and no traceback; that line."""
    result = runner.invoke(app, list(args))
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def demo_schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    ws = tmp_path_factory.mktemp("cli") / "ws"
    _ok("init", str(ws), "--source", "demo", "--dest", "odoo", "--patients", "60")
    assert (ws / "source" / "practice.db").exists() and (ws / "bridgework.toml").exists()
    data = json.loads(_ok("introspect", "--json", "-w", str(ws)))
    assert data["system"] == "dentrix"
    assert (ws / "source_schema.json").exists()
    return {e["name"]: e for e in data["entities"]}


def _fields(entity: dict[str, object]) -> dict[str, dict[str, object]]:
    return {f["name"]: f for f in entity["fields"]}  # type: ignore[index, union-attr]


def test_demo_introspect_shows_the_dentrix_layout(demo_schema: dict[str, dict[str, object]]) -> None:
    for name in ("patient", "address", "insured", "inscarrier", "rsc", "appt", "fullproclog", "proccode", "recallpending",
                 "recalltype", "clinicalnote", "fullnotes", "hhlinkpat_item", "aging"):
        assert name in demo_schema, name
    patient = _fields(demo_schema["patient"])
    assert demo_schema["patient"]["row_count"] == 60 and demo_schema["patient"]["key"] == "patid"
    assert patient["guarid"]["reference"] == "patient"
    assert patient["priminsuredid"]["reference"] == "insured"
    assert patient["provid1"]["reference"] == "rsc"
    assert _fields(demo_schema["insured"])["insplanid"]["reference"] == "inscarrier"
    assert _fields(demo_schema["appt"])["patid"]["reference"] == "patient"
    assert _fields(demo_schema["fullproclog"])["proccodeid"]["reference"] == "proccode"
    assert _fields(demo_schema["recallpending"])["recallid"]["reference"] == "recalltype"
    assert _fields(demo_schema["clinicalnote"])["notetext"]["type"] == "text"


def test_demo_introspect_carries_masked_profiles(demo_schema: dict[str, dict[str, object]]) -> None:
    patient = _fields(demo_schema["patient"])
    email = patient["emailaddr"]["profile"]
    assert email["count"] == 60 and email["patterns"].get("email", 0) > 0.8  # type: ignore[index, union-attr]
    assert all("•" in example for example in email["examples"])  # type: ignore[index, union-attr]
    assert patient["pager"]["profile"]["patterns"].get("phone", 0) > 0.8  # type: ignore[index, union-attr]
    adacode = _fields(demo_schema["proccode"])["adacode"]["profile"]
    assert adacode["patterns"]["cdt"] >= 0.8  # type: ignore[index]


def test_introspect_table_view_and_entity_view(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _ok("init", str(ws), "--source", "demo", "--dest", "twenty", "--patients", "50", "--sites", "1")
    out = _ok("introspect", "-w", str(ws), "--no-profile")
    assert "patient" in out and "fullproclog" in out
    out = _ok("introspect", "-w", str(ws), "--entity", "patient")
    assert "guarid" in out


def test_csv_folder_source(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "patients.csv").write_text("id,name,email\n1,Ann,ann@example.com\n2,Bo,bo@example.com\n", encoding="utf-8")
    ws = tmp_path / "ws"
    _ok("init", str(ws), "--source", "csv", "--source-path", str(folder), "--dest", "odoo")
    data = json.loads(_ok("introspect", "--json", "-w", str(ws)))
    patients = data["entities"][0]
    assert patients["name"] == "patients" and patients["key"] == "id" and patients["row_count"] == 2
    assert {f["name"]: f["type"] for f in patients["fields"]}["email"] == "email"


def test_bad_source_kind(tmp_path: Path) -> None:
    line = _fails("init", str(tmp_path / "ws"), "--source", "opendental", "--dest", "odoo")
    assert "Unknown source" in line


def test_demo_size_out_of_range(tmp_path: Path) -> None:
    assert "1 to 1,000,000 patients" in _fails("init", str(tmp_path / "ws"), "--source", "demo", "--dest", "odoo", "--patients", "0")


def test_csv_folder_missing(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _ok("init", str(ws), "--source", "csv", "--source-path", str(tmp_path / "nowhere"), "--dest", "odoo")
    assert "does not exist" in _fails("introspect", "-w", str(ws))


def test_csv_without_a_folder(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _ok("init", str(ws), "--source", "csv", "--dest", "odoo")
    assert "--source-path" in _fails("introspect", "-w", str(ws))


def test_ragged_csv(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "people.csv").write_text("id,name\n1,Ann\n2,Bo,extra\n", encoding="utf-8")
    ws = tmp_path / "ws"
    _ok("init", str(ws), "--source", "csv", "--source-path", str(folder), "--dest", "odoo")
    assert "people.csv: line 3" in _fails("introspect", "-w", str(ws))


def test_dentrix_path_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "practice.db"
    bogus.write_text("not a database")
    ws = tmp_path / "ws"
    _ok("init", str(ws), "--source", "dentrix", "--source-path", str(bogus), "--dest", "odoo")
    assert "not a SQLite database" in _fails("introspect", "-w", str(ws))


def test_dentrix_odbc_env_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BW_TEST_NO_SUCH_ODBC", raising=False)
    ws = tmp_path / "ws"
    _ok("init", str(ws), "--source", "dentrix", "--dest", "odoo", "-o", "odbc_env=BW_TEST_NO_SUCH_ODBC")
    assert "BW_TEST_NO_SUCH_ODBC is not set" in _fails("introspect", "-w", str(ws))


def test_not_a_workspace(tmp_path: Path) -> None:
    assert "not a bridgework workspace" in _fails("introspect", "-w", str(tmp_path))


def test_workspace_exists_already(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _ok("init", str(ws), "--source", "csv", "--dest", "odoo")
    assert "already a workspace" in _fails("init", str(ws), "--source", "csv", "--dest", "odoo")
