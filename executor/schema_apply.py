"""The schema plan: custom fields/objects the map needs, applied through the destination and recorded for rollback."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from connectors.base import Capabilities
from executor.ledger import Ledger
from mapper.schema import Schema, SchemaChange
from mapper.spec import MappingSpec


@dataclass
class PlanView:
    """The changes still to make, the ones already made, and the tier-limit warnings."""

    plan: Any = None
    """The mapper.plan.SchemaPlan it came from (for mapper.plan.format_plan)."""
    pending: list[SchemaChange] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def plan_changes(spec: MappingSpec, destination_schema: Schema, kind: str, ledger: Ledger,
                 capabilities: Capabilities) -> PlanView:
    """What mapper.plan.build_plan asks for against the live schema, minus what the ledger says is applied."""
    from mapper.plan import PlanLimits, build_plan

    plan = build_plan(spec, destination_schema, kind=kind, limits=PlanLimits.from_capabilities(capabilities))
    done = {row["key"] for row in ledger.schema_changes("applied")}
    changes: list[SchemaChange] = list(plan.changes)
    view = PlanView(plan=plan, warnings=[w.message for w in plan.warnings])
    for change in changes:
        (view.applied.append(change.key) if change.key in done else view.pending.append(change))
    return view


def change_dict(change: SchemaChange) -> dict[str, Any]:
    """A SchemaChange as JSON-ready data (for the ledger)."""
    data = asdict(change)
    data["enum_values"] = list(change.enum_values)
    return data


def apply_plan(view: PlanView, destination: Any, ledger: Ledger) -> tuple[int, list[str]]:
    """Create every pending change (objects before their fields); the run id and the keys created."""
    run_id = ledger.start_run("plan")
    made: list[str] = []
    status = "failed"
    try:
        for change in sorted(view.pending, key=lambda c: (c.kind != "object", c.entity, c.name)):
            ref = destination.apply_change(change)
            ledger.record_schema_change(run_id, change.key, change_dict(change), str(ref), "applied")
            made.append(change.key)
        status = "done"
    finally:
        ledger.finish_run(run_id, status)  # type: ignore[arg-type]
    return run_id, made
