"""Delta: only what changed since the last run (content hashes), the retry queue, conflicts, source deletions.

Every record is re-staged and compared with the hash the ledger holds, so only new and
changed records are written; failed ones (the retry queue) go again. A record edited in
the destination since bridgework wrote it is left alone unless forced. Records deleted in
the source are reported; they are deleted in the destination only when asked.
"""

from __future__ import annotations

from executor.ledger import Result
from executor.load import Progress
from executor.run import RunReport, execute
from executor.session import Session


def delta(session: Session, *, force: bool = False, propagate_deletes: bool = False,
          progress: Progress | None = None) -> RunReport:
    """Run a delta; with propagate_deletes, remove from the destination what the source deleted."""
    report = execute(session, "delta", force=force, progress=progress, track_deletions=True)
    if propagate_deletes:
        order = [em.id for em in session.ordered_maps()]
        for map_id in reversed(order):
            gone = report.deleted_in_source.get(map_id, [])
            if gone:
                _delete(session, report.run_id, map_id, gone)
    return report


def _delete(session: Session, run_id: int, map_id: str, source_ids: list[str]) -> None:
    ledger = session.ledger
    dest = session.destination
    size = max(1, dest.capabilities.max_batch)
    marks = ",".join("?" * len(source_ids))
    rows = ledger.query(f"SELECT source_id, dest_id, dest_object FROM records WHERE map_id = ? AND dest_id IS NOT NULL "
                        f"AND state != 'deleted' AND source_id IN ({marks}) ORDER BY source_id", [map_id, *source_ids])
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        dest.delete(chunk[0]["dest_object"], [r["dest_id"] for r in chunk])
        ledger.record_results(run_id, [Result(map_id, r["source_id"], "deleted", r["dest_id"], "delete") for r in chunk])
