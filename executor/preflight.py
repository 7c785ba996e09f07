"""Refusals before a load: each is one line saying what is wrong and the command that fixes it."""

from __future__ import annotations

from executor.schema_apply import plan_changes
from executor.session import Session
from mapper.errors import SpecError


def check_confirmed(session: Session) -> None:
    """Every entity and field map is a decision (confirmed or rejected), not a proposal."""
    open_items = session.spec.unconfirmed()
    if open_items:
        maps = sorted({em.id for em, _ in open_items})
        raise SpecError(
            f"mapping.yaml has {len(open_items)} entity/field maps still \"proposed\" (in {', '.join(maps[:3])}"
            f"{' ...' if len(maps) > 3 else ''}).",
            hint=f"Review them: bridgework review -w {session.ws.root} "
                 "(or accept strong ones: bridgework confirm --min-score 0.9)",
        )


def check_fresh(session: Session) -> None:
    """The map was made for the schemas stored now (not stale after a re-introspect/describe)."""
    from mapper.spec import schema_hash

    pairs = (("source", session.spec.source_schema_hash, session.source_schema, "introspect"),
             ("destination", session.spec.destination_schema_hash, session.destination_schema, "describe"))
    for side, recorded, schema, _ in pairs:
        if recorded and schema is not None and schema_hash(schema) != recorded:
            raise SpecError(
                f"mapping.yaml is stale: the {side} schema changed since it was proposed.",
                hint="Re-run bridgework propose (confirmed decisions are kept), review, then run again.",
            )


def check_plan_applied(session: Session) -> None:
    """Every custom field/object the map needs exists in the destination."""
    live = session.destination.describe()
    view = plan_changes(session.spec, live, session.ws.settings.destination.kind, session.ledger)
    if view.pending:
        raise SpecError(
            f"The schema plan has {len(view.pending)} custom field/object change(s) not applied yet.",
            hint=f"Apply them: bridgework plan --apply -w {session.ws.root}",
        )


def check_dedupe_decided(session: Session) -> None:
    """Every proposed duplicate group was confirmed or split by a person."""
    open_groups = int(session.ledger.scalar("SELECT COUNT(*) FROM dedupe_groups WHERE status = 'proposed'") or 0)
    if open_groups:
        raise SpecError(
            f"{open_groups} possible duplicate group(s) wait for a decision.",
            hint=f"See them with bridgework validate -w {session.ws.root}, then --confirm-merge GROUP or --split GROUP "
                 "(or --confirm-all-merges / --split-all).",
        )


def preflight(session: Session) -> None:
    """All the refusals, cheapest first."""
    check_confirmed(session)
    check_fresh(session)
    check_dedupe_decided(session)
    check_plan_applied(session)
