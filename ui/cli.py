"""bridgework's command line: `bridgework --help` lists every command."""

from __future__ import annotations

import importlib

from ui._app import app

# Each module registers its commands on import; the order is the order of --help.
COMMAND_MODULES: tuple[str, ...] = (
    "ui.commands.setup",
    "ui.commands.propose",
    "ui.commands.review",
    "ui.commands.confirm",
    "ui.commands.ask",
    "ui.commands.run",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module)


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
