"""A migration is a workspace folder: bridgework.toml, mapping.yaml, ledger.db and what commands store."""

from __future__ import annotations

import getpass
import os
import re
import sqlite3
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.base import Destination, Source
from connectors.registry import DESTINATION_KINDS, SOURCE_KINDS, open_destination, open_source
from mapper.errors import ConfigError

CONFIG_NAME = "bridgework.toml"
LEDGER_NAME = "ledger.db"
MAPPING_NAME = "mapping.yaml"
SOURCE_SCHEMA_NAME = "source_schema.json"
DESTINATION_SCHEMA_NAME = "destination_schema.json"

# A setting whose name looks like one of these is a secret and never belongs in the file.
_SECRET_NAMES = re.compile(r"(password|passwd|secret|token|api_?key|credential|pwd)", re.I)

SourceKind = Literal["demo", "dentrix", "dentally", "csv"]
DestinationKind = Literal["twenty", "salesforce", "dynamics", "odoo"]


class _Table(BaseModel):
    model_config = ConfigDict(extra="allow")

    def options(self) -> dict[str, Any]:
        """Every setting of the table, extras included."""
        return self.model_dump()


class SourceSettings(_Table):
    """[source]: which system, and how to reach it (paths, URLs; never secrets)."""

    kind: SourceKind


class DestinationSettings(_Table):
    """[destination]: which CRM and its URL ("local" runs its emulator inside bridgework)."""

    kind: DestinationKind
    url: str = "local"


class Options(BaseModel):
    """[options]: behaviour that is not about reaching a system."""

    model_config = ConfigDict(extra="forbid")

    operator: str = Field(default_factory=lambda: os.environ.get("BRIDGEWORK_OPERATOR") or getpass.getuser())
    llm: str | None = None
    llm_masked_samples: bool = False
    money_tolerance: str = "0.00"
    count_tolerance: int = 0


class Settings(BaseModel):
    """The whole of bridgework.toml."""

    model_config = ConfigDict(extra="forbid")

    format: int = 1
    source: SourceSettings
    destination: DestinationSettings
    options: Options = Field(default_factory=Options)


def _check_no_secrets(settings: Settings, path: Path) -> None:
    for table in ("source", "destination"):
        for key in getattr(settings, table).options():
            if _SECRET_NAMES.search(key):
                env = f"BRIDGEWORK_{getattr(settings, table).kind.upper()}_{key.upper()}"
                raise ConfigError(
                    f"{path} holds a secret ([{table}] {key}): bridgework never keeps secrets in files.",
                    hint=f"Remove that line and set the environment variable {env} (or store it in the OS keyring).",
                )


@dataclass
class Workspace:
    """An opened workspace folder."""

    root: Path
    settings: Settings

    @property
    def config_path(self) -> Path:
        """bridgework.toml."""
        return self.root / CONFIG_NAME

    @property
    def ledger_path(self) -> Path:
        """ledger.db."""
        return self.root / LEDGER_NAME

    @property
    def mapping_path(self) -> Path:
        """mapping.yaml."""
        return self.root / MAPPING_NAME

    @property
    def source_schema_path(self) -> Path:
        """Where introspect stores the source schema."""
        return self.root / SOURCE_SCHEMA_NAME

    @property
    def destination_schema_path(self) -> Path:
        """Where describe stores the destination metadata."""
        return self.root / DESTINATION_SCHEMA_NAME

    @property
    def reports_dir(self) -> Path:
        """Correction reports, audits and diffs."""
        path = self.root / "reports"
        path.mkdir(exist_ok=True)
        return path

    @property
    def cache_dir(self) -> Path:
        """Embedding cache and other derived data (safe to delete)."""
        path = self.root / ".cache"
        path.mkdir(exist_ok=True)
        return path

    @property
    def operator(self) -> str:
        """Who is running commands (recorded in the ledger)."""
        return self.settings.options.operator

    def open_source(self) -> Source:
        """The configured source connector."""
        return open_source(self.settings.source.kind, self.settings.source.options(), self.root)

    def open_destination(self) -> Destination:
        """The configured destination connector."""
        return open_destination(self.settings.destination.kind, self.settings.destination.options(), self.root)

    def save_settings(self) -> None:
        """Write bridgework.toml (never with secrets)."""
        _check_no_secrets(self.settings, self.config_path)
        data = self.settings.model_dump(exclude_none=True)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_bytes(tomli_w.dumps(data).encode("utf-8"))
        tmp.replace(self.config_path)

    @classmethod
    def find(cls, path: Path | None = None) -> Workspace:
        """Open the workspace at `path` (default: the current folder) or explain what is missing."""
        root = (path or Path.cwd()).expanduser()
        config = root / CONFIG_NAME
        if not root.exists():
            raise ConfigError(f"{root} does not exist.", hint="Create a workspace: bridgework init WORKSPACE --source demo --dest odoo")
        if not config.exists():
            raise ConfigError(
                f"{root.resolve()} is not a bridgework workspace (no {CONFIG_NAME}).",
                hint="Run this inside one, pass --workspace PATH, or create one: bridgework init WORKSPACE --source demo --dest odoo",
            )
        try:
            raw = tomllib.loads(config.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config} is not valid TOML ({exc}).", hint="Fix it, or create a new workspace with bridgework init.") from None
        try:
            settings = Settings.model_validate(raw)
        except ValidationError as exc:
            bullets = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"{config} has invalid settings: {bullets}.", hint="Fix those lines.") from None
        _check_no_secrets(settings, config)
        return cls(root=root.resolve(), settings=settings)

    @classmethod
    def create(
        cls,
        root: Path,
        source: dict[str, Any],
        destination: dict[str, Any],
        options: dict[str, Any] | None = None,
    ) -> Workspace:
        """Make a new workspace folder with bridgework.toml and an empty ledger (mode 0600)."""
        if source.get("kind") not in SOURCE_KINDS:
            raise ConfigError(f"Unknown source '{source.get('kind')}'.", hint=f"Use one of: {', '.join(SOURCE_KINDS)}.")
        if destination.get("kind") not in DESTINATION_KINDS:
            raise ConfigError(
                f"Unknown destination '{destination.get('kind')}'.", hint=f"Use one of: {', '.join(DESTINATION_KINDS)}."
            )
        if (root / CONFIG_NAME).exists():
            raise ConfigError(
                f"{root} is already a workspace.",
                hint="Use it as it is (bridgework status), or pick a new folder for a new migration.",
            )
        settings = Settings(
            source=SourceSettings(**source),
            destination=DestinationSettings(**destination),
            options=Options(**(options or {})),
        )
        root.mkdir(parents=True, exist_ok=True)
        workspace = cls(root=root.resolve(), settings=settings)
        workspace.save_settings()
        create_ledger_file(workspace.ledger_path)
        return workspace


def create_ledger_file(path: Path) -> None:
    """An empty SQLite ledger in WAL mode, readable by its owner only."""
    old = os.umask(0o077)
    try:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
