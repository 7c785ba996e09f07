"""init, introspect, describe, emulate: set a migration up and look at both systems."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from connectors.registry import DESTINATION_KINDS, EMULATOR_KINDS, SOURCE_KINDS, emulator_module
from executor.workspace import Workspace
from mapper.errors import ConfigError
from mapper.schema import Entity, Field, Schema
from ui._app import JsonOption, WorkspaceOption, command, console, print_json


def _parse_options(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"--option '{pair}' is not KEY=VALUE.", hint="Example: --option site_id=3")
        key, value = pair.split("=", 1)
        out[key.strip()] = int(value) if value.strip().isdigit() else value.strip()
    return out


@command()
def init(
    workspace: Annotated[Path, typer.Argument(help="Folder to create for this migration.")],
    source: Annotated[str, typer.Option("--source", help=f"Source system: {', '.join(SOURCE_KINDS)}.")],
    dest: Annotated[str, typer.Option("--dest", help=f"Destination CRM: {', '.join(DESTINATION_KINDS)}.")],
    source_path: Annotated[Path | None, typer.Option(help="Dentrix SQLite file or CSV export folder; CSV folder for --source csv.")] = None,
    source_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL (Dentrix Enterprise) or Dentally API base URL.")] = None,
    dest_url: Annotated[str, typer.Option(help='Destination base URL, or "local" to rehearse against its emulator.')] = "local",
    patients: Annotated[int, typer.Option(help="Demo practice size (with --source demo).")] = 500,
    sites: Annotated[int, typer.Option(help="Demo practice sites (with --source demo).")] = 2,
    seed: Annotated[int, typer.Option(help="Demo practice random seed (with --source demo).")] = 7,
    option: Annotated[list[str], typer.Option("--option", "-o", help="Extra source/destination setting KEY=VALUE (no secrets).")] = [],
) -> None:
    """Create a workspace: bridgework.toml (no secrets) and an empty ledger."""
    extra = _parse_options(option)
    src: dict[str, Any] = {"kind": source}
    if source_path is not None:
        src["path"] = str(source_path.expanduser().resolve())
    if source_url:
        src["url"] = source_url
    if source == "demo":
        src.update({"path": "source/practice.db", "patients": patients, "sites": sites, "seed": seed})
    if source == "dentally":
        src.setdefault("url", "local")
    src.update({k: v for k, v in extra.items() if not k.startswith("dest_")})
    dst: dict[str, Any] = {"kind": dest, "url": dest_url}
    dst.update({k[5:]: v for k, v in extra.items() if k.startswith("dest_")})
    ws = Workspace.create(workspace, src, dst)
    if source == "demo":
        from connectors.sources.demo import generate_practice

        target = ws.root / "source" / "practice.db"
        target.parent.mkdir(exist_ok=True)
        with console.status(f"Generating a demo practice of {patients:,} patients ..."):
            generate_practice(target, patients=patients, sites=sites, seed=seed)
    console.print(f"[green]Created workspace[/] {ws.root} ({source} -> {dest}).")
    console.print(f"Next: cd {workspace} && bridgework introspect")


def _highlights(entity: Entity) -> str:
    notes: list[str] = []
    for f in entity.fields:
        p = f.profile
        if p is None or p.count == 0:
            continue
        pattern = p.dominant_pattern(0.6)
        if pattern in {"email", "phone", "e164", "cdt", "tooth", "money", "date", "guid"}:
            notes.append(f"{f.name}: {pattern} {p.share(pattern):.0%}")
        elif p.null_rate >= 0.5 and not f.is_key:
            notes.append(f"{f.name}: {p.null_rate:.0%} empty")
    return ", ".join(notes[:4]) + (" ..." if len(notes) > 4 else "")


def _references(entity: Entity) -> str:
    refs = [f"{f.name}->{f.reference}" for f in entity.fields if f.reference]
    return ", ".join(refs[:3]) + (" ..." if len(refs) > 3 else "")


def _schema_table(schema: Schema, title: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("Entity", style="bold")
    table.add_column("Records", justify="right")
    table.add_column("Fields", justify="right")
    table.add_column("Key")
    table.add_column("References")
    table.add_column("Profile highlights", overflow="fold")
    for e in schema.entities:
        rows = "" if e.row_count is None else f"{e.row_count:,}"
        table.add_row(e.name, rows, str(len(e.fields)), e.key or "", _references(e), _highlights(e))
    return table


def _fields_table(entity: Entity) -> Table:
    table = Table(title=f"{entity.name}", title_justify="left")
    for col in ("Field", "Type", "Empty", "Distinct", "Patterns", "Examples (masked)"):
        table.add_column(col, overflow="fold")
    for f in entity.fields:
        p = f.profile
        patterns = ", ".join(f"{k} {v:.0%}" for k, v in sorted(p.patterns.items(), key=lambda kv: -kv[1])[:3]) if p else ""
        table.add_row(
            f.name + (" (key)" if f.is_key else "") + (f" -> {f.reference}" if f.reference else ""),
            _type_text(f),
            f"{p.null_rate:.0%}" if p else "",
            f"{p.distinct_rate:.0%}" if p else "",
            patterns,
            " | ".join(p.examples[:3]) if p else "",
        )
    return table


def _type_text(f: Field) -> str:
    return f.type + (f"({f.max_length})" if f.max_length else "")


@command()
def introspect(
    workspace: WorkspaceOption = None,
    json_out: JsonOption = False,
    entity: Annotated[str | None, typer.Option(help="Show every field of this entity.")] = None,
    no_profile: Annotated[bool, typer.Option("--no-profile", help="Skip value profiling (faster).")] = False,
) -> None:
    """Read the source's schema, profile its values (masked) and store it in the workspace."""
    ws = Workspace.find(workspace)
    source = ws.open_source()
    try:
        with console.status(f"Reading the {ws.settings.source.kind} schema and profiling values ...") if not json_out else nullcontext():
            schema = source.introspect(profile=not no_profile)
    finally:
        source.close()
    schema.save(ws.source_schema_path)
    _show(schema, json_out, entity, f"Source: {ws.settings.source.kind}", ws.source_schema_path)


@command()
def describe(
    workspace: WorkspaceOption = None,
    json_out: JsonOption = False,
    entity: Annotated[str | None, typer.Option(help="Show every field of this object.")] = None,
) -> None:
    """Read the destination's live metadata and store it in the workspace."""
    ws = Workspace.find(workspace)
    destination = ws.open_destination()
    try:
        with console.status(f"Reading {ws.settings.destination.kind} metadata ...") if not json_out else nullcontext():
            schema = destination.describe()
    finally:
        destination.close()
    schema.save(ws.destination_schema_path)
    _show(schema, json_out, entity, f"Destination: {ws.settings.destination.kind}", ws.destination_schema_path)


def _show(schema: Schema, json_out: bool, entity: str | None, title: str, saved: Path) -> None:
    if json_out:
        print_json(schema.to_dict() if entity is None else {"entity": schema.entity(entity).name, **schema.to_dict()})
        return
    if entity:
        console.print(_fields_table(schema.entity(entity)))
    else:
        console.print(_schema_table(schema, title))
    console.print(f"Stored in {saved}. Show one entity's fields: --entity NAME")


@command()
def emulate(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(EMULATOR_KINDS)}.")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 0,
    state: Annotated[Path | None, typer.Option(help="SQLite file that keeps the emulator's data (default: a temporary one).")] = None,
) -> None:
    """Run a local emulator of a destination (or of Dentally) on 127.0.0.1 for rehearsals and tests."""
    import tempfile

    from connectors.emulators.serve import free_port, serve_forever

    module = emulator_module(kind)
    state = state or Path(tempfile.mkdtemp(prefix=f"bw-{kind}-")) / f"{kind}.sqlite"
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    credentials = [f"export {name}={value}" for name, value in module.LOCAL_CREDENTIALS.items()]
    side = "--source" if kind == "dentally" else "--dest"
    lines = [
        f"{kind} emulator on {url} (state: {state})",
        "Credentials it accepts (set them in the shell that runs bridgework):",
        *(f"  {c}" for c in credentials),
        f"Point a workspace at it: bridgework init WORKSPACE {side} {kind} {side}-url {url} ...",
    ]
    lines.append("Stop with Ctrl+C.")
    serve_forever(module.create_app(state), port, "\n".join(lines))
