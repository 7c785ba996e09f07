"""Workspaces: created with no secrets and an owner-only ledger; found or explained."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from executor.workspace import Workspace
from mapper.errors import ConfigError
from ui.cli import app


def test_create_writes_settings_and_owner_only_ledger(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", {"kind": "csv", "path": "/data"}, {"kind": "odoo", "url": "local"})
    assert ws.config_path.exists()
    assert stat.S_IMODE(ws.ledger_path.stat().st_mode) == 0o600
    again = Workspace.find(tmp_path / "ws")
    assert again.settings.source.options()["path"] == "/data"
    assert again.settings.destination.url == "local"


def test_refuses_to_overwrite_a_workspace(tmp_path: Path) -> None:
    Workspace.create(tmp_path, {"kind": "csv"}, {"kind": "twenty"})
    with pytest.raises(ConfigError, match="already a workspace"):
        Workspace.create(tmp_path, {"kind": "csv"}, {"kind": "twenty"})


def test_secrets_in_the_file_are_refused(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path, {"kind": "csv"}, {"kind": "odoo"})
    text = ws.config_path.read_text()
    ws.config_path.write_text(text.replace("[destination]\n", "[destination]\npassword = \"hunter2\"\n", 1))
    with pytest.raises(ConfigError) as info:
        Workspace.find(tmp_path)
    assert "BRIDGEWORK_ODOO_PASSWORD" in str(info.value)
    assert "hunter2" not in str(info.value) and '"x"' not in str(info.value)


def test_not_a_workspace_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="bridgework init"):
        Workspace.find(tmp_path)


@pytest.mark.parametrize("args", [["introspect"], ["describe"]])
def test_cli_outside_a_workspace_is_one_line(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--workspace", str(tmp_path)])
    assert result.exit_code == 1
    assert "not a bridgework workspace" in result.output
    assert "Traceback" not in result.output


def test_cli_unknown_kinds_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path / "w"), "--source", "nope", "--dest", "odoo"])
    assert result.exit_code == 1 and "Unknown source 'nope'" in result.output
    assert not (tmp_path / "w").exists()


def test_broken_toml_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bridgework.toml").write_text("[source\nkind=")
    result = CliRunner().invoke(app, ["introspect", "--workspace", str(tmp_path)])
    assert result.exit_code == 1 and "not valid TOML" in result.output
