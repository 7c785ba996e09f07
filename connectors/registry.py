"""Opens a source or destination from workspace settings, by kind name.

Every connector module exposes `from_settings(options, root) -> Source | Destination`,
where `options` is the [source] / [destination] table of bridgework.toml and `root` the
workspace folder (relative paths are resolved against it). Secrets are looked up by the
connector itself (connectors.secrets), never passed through settings.

Every emulator module exposes `create_app(state_path, **switches)` and `LOCAL_CREDENTIALS`
(environment variable -> value the emulator accepts), and may expose `REHEARSAL_SWITCHES`.
A destination whose url is "local" is served in-process by its emulator, state kept in the
workspace, with those switches (throttling off) and client-side pacing off: a rehearsal is
about the data, the contract suites are about the limits. `bridgework emulate` serves the
real limits.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectors.base import Destination, Source
from mapper.errors import ConfigError

SOURCE_KINDS: tuple[str, ...] = ("demo", "dentrix", "dentally", "csv")
DESTINATION_KINDS: tuple[str, ...] = ("twenty", "salesforce", "dynamics", "odoo")
EMULATOR_KINDS: tuple[str, ...] = ("twenty", "salesforce", "dynamics", "odoo", "dentally")

_SOURCE_MODULES = {"demo": "dentrix", "dentrix": "dentrix", "dentally": "dentally", "csv": "csvsource"}
_local_servers: dict[tuple[str, str], str] = {}


def _import(module: str, what: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(module.split(".")[0]):
            raise ConfigError(f"{what} is not available in this build of bridgework.") from None
        raise


def open_source(kind: str, options: Mapping[str, Any], root: Path) -> Source:
    """The source connector for `kind`, configured from `options`."""
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"Unknown source '{kind}'.", hint=f"Use one of: {', '.join(SOURCE_KINDS)}.")
    module = _import(f"connectors.sources.{_SOURCE_MODULES[kind]}", f"The {kind} source")
    source: Source = module.from_settings({**options, "kind": kind}, root)
    return source


def emulator_module(kind: str) -> Any:
    """The emulator module for `kind` (create_app, LOCAL_CREDENTIALS)."""
    if kind not in EMULATOR_KINDS:
        raise ConfigError(f"No emulator for '{kind}'.", hint=f"Use one of: {', '.join(EMULATOR_KINDS)}.")
    return _import(f"connectors.emulators.{kind}", f"The {kind} emulator")


def local_url(kind: str, root: Path) -> str:
    """Start (once per process) the `kind` emulator with its state in the workspace; its URL."""
    from connectors.emulators.serve import start_in_thread

    key = (kind, str(root.resolve()))
    if key not in _local_servers:
        module = emulator_module(kind)
        state = root / ".emulators" / f"{kind}.sqlite"
        state.parent.mkdir(parents=True, exist_ok=True)
        # Rehearsals should be quick: an emulator may name switches (e.g. throttling off) for in-process use.
        running = start_in_thread(module.create_app(state, **getattr(module, "REHEARSAL_SWITCHES", {})))
        _local_servers[key] = running.url
    for name, value in emulator_module(kind).LOCAL_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    return _local_servers[key]


def open_destination(kind: str, options: Mapping[str, Any], root: Path) -> Destination:
    """The destination connector for `kind`; url "local" serves its emulator in-process."""
    if kind not in DESTINATION_KINDS:
        raise ConfigError(f"Unknown destination '{kind}'.", hint=f"Use one of: {', '.join(DESTINATION_KINDS)}.")
    module = _import(f"connectors.destinations.{kind}", f"The {kind} destination")
    settings = dict(options)
    if settings.get("url", "local") == "local":
        settings["url"] = local_url(kind, root)
        settings.setdefault("pace", False)
    destination: Destination = module.from_settings(settings, root)
    return destination


CREDENTIALS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    # kind -> (environment variable, what it is, is it secret)
    "twenty": (("BRIDGEWORK_TWENTY_API_KEY", "Twenty API key", True),),
    "odoo": (
        ("BRIDGEWORK_ODOO_DB", "Odoo database", False),
        ("BRIDGEWORK_ODOO_USER", "Odoo login", False),
        ("BRIDGEWORK_ODOO_PASSWORD", "Odoo password or API key", True),
    ),
    "salesforce": (
        ("BRIDGEWORK_SALESFORCE_TOKEN", "Salesforce access token (or client id + secret below)", True),
        ("BRIDGEWORK_SALESFORCE_CLIENT_ID", "Salesforce connected-app client id", False),
        ("BRIDGEWORK_SALESFORCE_CLIENT_SECRET", "Salesforce connected-app client secret", True),
    ),
    "dynamics": (("BRIDGEWORK_DYNAMICS_TOKEN", "Dataverse access token", True),),
    "dentally": (("BRIDGEWORK_DENTALLY_TOKEN", "Dentally API token", True),),
    "dentrix": (("BRIDGEWORK_DENTRIX_ODBC", "Dentrix ODBC connection string (only for ODBC)", True),),
    "demo": (),
    "csv": (),
}
"""Credentials each kind reads, by environment variable (or the OS keyring under that name)."""
