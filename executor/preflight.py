"""Refusals before a load: each is one line saying what is wrong and the command that fixes it."""

from __future__ import annotations

from executor.schema_apply import plan_changes
from executor.session import Session
from mapper.errors import SpecError


def check_map(session: Session) -> None:
    """Every entity and field map is decided and none is stale (mapper.spec.check_ready)."""
    from mapper.spec import check_ready, validate_against

    issues = []
    if session.source_schema is not None and session.destination_schema is not None:
        issues = validate_against(session.spec, session.source_schema, session.destination_schema,
                                  kind=session.ws.settings.destination.kind)
    check_ready(session.spec, issues)


def check_plan_applied(session: Session) -> None:
    """Every custom field/object the map needs exists in the destination."""
    live = session.destination.describe()
    view = plan_changes(session.spec, live, session.ws.settings.destination.kind, session.ledger,
                        session.destination.capabilities)
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
    check_map(session)
    check_dedupe_decided(session)
    check_plan_applied(session)
