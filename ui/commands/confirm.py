"""confirm: accept (or reject) proposals in mapping.yaml from the command line, recording who and when."""

from __future__ import annotations

from typing import Annotated

import typer

from executor.ledger import open_ledger
from executor.workspace import Workspace
from mapper.errors import ConfigError
from mapper.spec import CONFIRM_HINT, DecisionResult, FieldRef, MappingSpec, confirm, now_utc, reject
from ui._app import JsonOption, WorkspaceOption, command, console, print_json


@command("confirm")
def confirm_command(
    fields: Annotated[list[str] | None, typer.Argument(
        help="Field maps to decide: entity.field (e.g. patient.pager) or entitymapid:field.", metavar="FIELD",
        show_default=False)] = None,
    min_score: Annotated[float | None, typer.Option(
        "--min-score", min=0.0, max=1.0, help="Confirm every proposal scoring at least this (0-1).")] = None,
    entity: Annotated[str | None, typer.Option(
        "--entity", help="Limit to one entity map (its id or source entity). Alone: confirm the map and its proposed "
        "fields, or with --reject reject the map.")] = None,
    reject_: Annotated[bool, typer.Option("--reject", help="Reject instead of confirm (nothing of it will load).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept with a rejection).")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Confirm proposals in mapping.yaml (or --reject them); records who and when."""
    if reject_ and min_score is not None:
        raise ConfigError("--reject does not take --min-score.", hint="Name the fields (or --entity ID) to reject.")
    ws = Workspace.find(workspace)
    spec = MappingSpec.load(ws.mapping_path)
    who, when = ws.operator, now_utc()
    if reject_:
        result = reject(spec, fields=fields or None, entity=entity, by=who, at=when, reason=reason)
    else:
        result = confirm(spec, min_score=min_score, fields=fields or None, entity=entity, by=who, at=when)
    if result.changed:
        spec.save(ws.mapping_path)
        _record(ws, result, "rejected" if reject_ else "confirmed", reason)
    waiting = spec.unconfirmed()
    fields_left = sum(fm is not None for _, fm in waiting)
    if as_json:
        print_json({"status": "rejected" if reject_ else "confirmed", "by": who, "at": when.isoformat(),
                    "changed": [str(r) for r in result.changed],
                    "refused": [{"ref": str(r), "reason": why} for r, why in result.refused],
                    "fields_proposed": fields_left, "entities_proposed": len(waiting) - fields_left})
        return
    _print(spec, result, "Rejected" if reject_ else "Confirmed", who)
    if fields_left or waiting:
        entities_left = len(waiting) - fields_left
        extra = f" and {entities_left} entity map(s)" if entities_left else ""
        console.print(f"{fields_left} field(s){extra} still proposed. {CONFIRM_HINT}", soft_wrap=True)
    else:
        console.print("Every map is decided. Next: bridgework plan")


def _record(ws: Workspace, result: DecisionResult, status: str, reason: str | None) -> None:
    ledger = open_ledger(ws.ledger_path, ws.operator)
    try:
        for ref in result.changed:
            ledger.confirm("entity" if ref.field is None else "field", str(ref), status + (f": {reason}" if reason else ""))
    finally:
        ledger.close()


def _describe(spec: MappingSpec, ref: FieldRef) -> str:
    em = spec.entity_map(ref.entity_map)
    if ref.field is None:
        return f"{em.id}  ({em.source} -> {em.target or 'skip'}, {em.score:.2f})"
    fm = next(f for f in em.fields if f.key == ref.field)
    target = "skip" if fm.kind == "skip" else (fm.target_name or "?")
    return f"{em.source}.{fm.key} -> {em.target_name}.{target}  ({fm.score:.2f})" if fm.kind != "skip" \
        else f"{em.source}.{fm.key} -> skip"


def _print(spec: MappingSpec, result: DecisionResult, verb: str, who: str) -> None:
    if not result.changed:
        console.print(f"Nothing to {verb.lower()[:-1]}: no proposal matched.")
    else:
        console.print(f"[green]{verb}[/] {len(result.changed)} map(s) as {who}:")
        for ref in result.changed:
            console.print(f"  {_describe(spec, ref)}", soft_wrap=True)
    for ref, why in result.refused:
        console.print(f"[yellow]Left proposed[/] {ref}: {why}", soft_wrap=True)
