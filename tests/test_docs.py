"""Docs stay true: every CLI command is in the README and has help; the two commands lead it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands)


def test_readme_opens_with_the_two_commands() -> None:
    head = "\n".join(README.splitlines()[:15])
    assert "make demo" in head and "make test" in head


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_documented(name: str) -> None:
    assert f"bridgework {name}" in README or f"`{name}`" in README, f"README does not mention bridgework {name}"


@pytest.mark.parametrize("command", app.registered_commands, ids=COMMANDS)
def test_every_command_has_help(command) -> None:  # type: ignore[no-untyped-def]
    doc = (command.callback.__doc__ or "").strip() if command.callback else ""
    assert doc and "\n" not in doc.splitlines()[0]
