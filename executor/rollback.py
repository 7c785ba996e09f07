"""Rollback: delete what a run created (reverse dependency order, hard delete) and restore what it updated.

Only records the ledger says bridgework created are ever deleted. A record edited in the
destination after bridgework wrote it is reported and left alone unless forced (a record
whose last write is still `pending` was last written by bridgework itself, so it counts as ours). A killed
rollback resumes: deleted records are marked in the ledger as each batch returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.base import MODIFIED_AT
from executor.ledger import ROLLED_BACK, Result
from executor.load import _after
from executor.session import Session
from mapper.errors import BridgeworkError
from mapper.schema import SchemaChange

LOAD_KINDS = ("full", "delta", "sample")


@dataclass
class RollbackReport:
    """What a rollback did (or, with dry_run, would do), per entity map."""

    target_run: int
    rollback_run: int | None
    dry_run: bool
    deleted: dict[str, int] = field(default_factory=dict)
    restored: dict[str, int] = field(default_factory=dict)
    edited_skipped: dict[str, int] = field(default_factory=dict)
    already_gone: dict[str, int] = field(default_factory=dict)
    schema_reverted: int = 0

    @property
    def skipped_total(self) -> int:
        """Records left alone because they were edited in the destination."""
        return sum(self.edited_skipped.values())


def target_run(session: Session, run_id: int | None) -> int:
    """The run to roll back: the one named, else the newest load run that still has records in the destination."""
    ledger = session.ledger
    if run_id is not None:
        run = ledger.run(run_id)
        if run is None or run["kind"] not in (*LOAD_KINDS, "plan"):
            raise BridgeworkError(f"There is no load run {run_id} in this workspace.",
                                  hint="See the runs with: bridgework status")
        return run_id
    for run in reversed(ledger.runs()):
        if run["kind"] not in LOAD_KINDS:
            continue
        live = ledger.scalar("SELECT COUNT(*) FROM records WHERE created_run = ? AND state != 'deleted'", (run["id"],))
        images = ledger.scalar("SELECT COUNT(*) FROM before_images WHERE run_id = ? AND restored = 0", (run["id"],))
        unsettled = ledger.scalar("SELECT COUNT(*) FROM records WHERE run_id = ? AND state IN ('pending', 'failed') "
                                  "AND action = 'create'", (run["id"],))
        if live or images or unsettled:
            return int(run["id"])
    raise BridgeworkError("Nothing to roll back: no run has records left in the destination.",
                          hint="See bridgework status.")


def rollback(session: Session, run_id: int | None = None, *, dry_run: bool = False, force: bool = False,
             schema: bool = False, progress: Callable[[str, int], None] | None = None) -> RollbackReport:
    """Undo one run (default: the newest with something left to undo)."""
    ledger = session.ledger
    try:
        target = target_run(session, run_id)
    except BridgeworkError:
        if not schema or run_id is not None:
            raise
        report = RollbackReport(0, None, dry_run)  # no records left: only the schema changes to remove
        run = None if dry_run else ledger.start_run("rollback", note="schema")
        report.schema_reverted = revert_schema(session, 0, run, dry_run)
        if run is not None:
            ledger.finish_run(run, "done")
        return report
    report = RollbackReport(target, None, dry_run)
    maps = session.ordered_maps()
    order = {em.id: i for i, em in enumerate(maps)}
    created = ledger.created_by(target) + _unsettled_creates(session, target)
    images = [i for i in ledger.before_images(target) if not i["restored"]]
    if not dry_run:
        resumed = ledger.query("SELECT id FROM runs WHERE kind = 'rollback' AND status = 'running' AND target_run = ?",
                               (target,))
        report.rollback_run = int(resumed[0]["id"]) if resumed else ledger.start_run("rollback", target_run=target)
    status = "failed"
    try:
        for image in sorted(images, key=lambda i: (order.get(i["map_id"], 0), i["source_id"])):
            _restore(session, report, image, force)
        by_map: dict[str, list[dict[str, Any]]] = {}
        for row in created:
            by_map.setdefault(row["map_id"], []).append(row)
        for map_id in sorted(by_map, key=lambda m: -order.get(m, 0)):
            _delete_map(session, report, map_id, by_map[map_id], force, progress)
        if schema:
            report.schema_reverted = revert_schema(session, target, report.rollback_run, dry_run)
        status = "done"
    finally:
        if report.rollback_run is not None:
            ledger.finish_run(report.rollback_run, status)  # type: ignore[arg-type]
    return report


def _unsettled_creates(session: Session, target: int) -> list[dict[str, Any]]:
    """Creates of a killed run whose outcome never reached the ledger: found by external id."""
    rows = session.ledger.query(
        "SELECT * FROM records WHERE run_id = ? AND state IN ('pending', 'failed') AND action = 'create' "
        "AND dest_id IS NULL ORDER BY map_id, source_id", (target,))
    out: list[dict[str, Any]] = []
    by_obj: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_obj.setdefault(row["dest_object"], []).append(row)
    for obj, group in sorted(by_obj.items()):
        found = session.destination.find(obj, [r["external_id"] for r in group])
        out.extend({**r, "dest_id": found[r["external_id"]]} for r in group if r["external_id"] in found)
    return out


def _restore(session: Session, report: RollbackReport, image: dict[str, Any], force: bool) -> None:
    ledger = session.ledger
    map_id = image["map_id"]
    row = ledger.query("SELECT dest_modified_at FROM records WHERE map_id = ? AND source_id = ? AND state != 'pending'",
                       (map_id, image["source_id"]))
    stored = session.destination.read(image["dest_object"], [image["dest_id"]]).get(image["dest_id"])
    if stored is None:
        report.already_gone[map_id] = report.already_gone.get(map_id, 0) + 1
        return
    if row and _after(stored.get(MODIFIED_AT), row[0]["dest_modified_at"]) and not force:
        report.edited_skipped[map_id] = report.edited_skipped.get(map_id, 0) + 1
        return
    report.restored[map_id] = report.restored.get(map_id, 0) + 1
    if report.dry_run or report.rollback_run is None:
        return
    outcome = session.destination.update(image["dest_object"], image["dest_id"], image["values"])
    if outcome.error:
        raise BridgeworkError(f"Restoring {map_id} {image['source_id']} failed ({outcome.code or 'rejected'}).",
                              hint="Fix the cause, then run the same rollback again (it resumes).")
    after = session.destination.read(image["dest_object"], [image["dest_id"]]).get(image["dest_id"]) or {}
    ledger.mark_restored(report.rollback_run, image, after.get(MODIFIED_AT))


def _delete_map(session: Session, report: RollbackReport, map_id: str, rows: list[dict[str, Any]], force: bool,
                progress: Callable[[str, int], None] | None) -> None:
    ledger = session.ledger
    dest = session.destination
    size = max(1, dest.capabilities.max_batch)
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        obj = chunk[0]["dest_object"]
        stored = dest.read(obj, [r["dest_id"] for r in chunk], [dest.capabilities.external_id_field])
        gone, doomed = [], []
        for r in chunk:
            current = stored.get(r["dest_id"])
            if current is None:
                gone.append(r)
            elif r["state"] != "pending" and _after(current.get(MODIFIED_AT), r["dest_modified_at"]) and not force:
                report.edited_skipped[map_id] = report.edited_skipped.get(map_id, 0) + 1
            else:
                doomed.append(r)
        report.already_gone[map_id] = report.already_gone.get(map_id, 0) + len(gone)
        report.deleted[map_id] = report.deleted.get(map_id, 0) + len(doomed)
        if report.dry_run or report.rollback_run is None:
            continue
        # coded, so the next delta writes them again (as a full run would); a source deletion is not
        results = [Result(map_id, r["source_id"], "deleted", action="forgotten", code=ROLLED_BACK) for r in gone]
        if doomed:
            outcomes = {o.destination_id: o for o in dest.delete(obj, [r["dest_id"] for r in doomed])}
            for r in doomed:
                o = outcomes.get(r["dest_id"])
                if o is not None and o.error:
                    raise BridgeworkError(f"Deleting {map_id} {r['source_id']} failed ({o.code or 'rejected'}).",
                                          hint="Fix the cause, then run the same rollback again (it resumes).")
                results.append(Result(map_id, r["source_id"], "deleted", r["dest_id"], "delete", code=ROLLED_BACK))
        ledger.record_results(report.rollback_run, results)
        if progress is not None:
            progress(map_id, len(chunk))


def revert_schema(session: Session, target: int, rollback_run: int | None, dry_run: bool) -> int:
    """Remove the custom fields/objects bridgework created: the target run's, or all once no record is left."""
    ledger = session.ledger
    live = ledger.scalar("SELECT COUNT(*) FROM records WHERE state IN ('loaded', 'conflict', 'pending')")
    changes = [c for c in ledger.schema_changes("applied") if live == 0 or c["run_id"] == target]
    if dry_run:
        return len(changes)
    # Fields before the objects that hold them: reverse creation order.
    for row in reversed(changes):
        change = SchemaChange(**{**row["change"], "enum_values": tuple(row["change"].get("enum_values", ()))})
        session.destination.revert_change(change)
        ledger.record_schema_change(rollback_run or target, row["key"], row["change"], row["dest_ref"] or "", "reverted")
    return len(changes)
