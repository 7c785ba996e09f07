"""The load: staged records into the destination, batch by batch, intent before and outcome after.

A replayed batch is harmless: every record carries its deterministic external id, so the
destination upserts. A batch whose outcome never reached the ledger (kill -9) is still
`pending` there and goes out again on the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from connectors.base import MODIFIED_AT, Destination, Outcome
from connectors.http import UnreachableError
from executor.ledger import Intent, Ledger, Result, State
from executor.staging import PARTIAL, Staged
from mapper.errors import BridgeworkError, DestinationError
from mapper.spec import EntityMap

Progress = Callable[[str, int, int], None]
"""(map id, records done, errors) after each batch."""

_MAX_FAILED_BATCHES = 3


@dataclass
class MapStats:
    """What one entity map's load did, by outcome."""

    staged: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    failed: int = 0
    conflicts: int = 0
    partial: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def count_error(self, code: str | None) -> None:
        """Tally one error code."""
        key = code or "unknown"
        self.errors[key] = self.errors.get(key, 0) + 1


def chunks(items: Iterable[Staged], size: int) -> Iterator[list[Staged]]:
    """Consecutive lists of at most `size` items."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _after(stored: str | None, recorded: str | None) -> bool:
    """True when the destination's modified time is later than the one bridgework recorded."""
    return bool(stored and recorded and str(stored) > str(recorded))


class Loader:
    """Loads entity maps for one run."""

    def __init__(self, ledger: Ledger, destination: Destination, run_id: int, *, force: bool = False,
                 progress: Progress | None = None) -> None:
        self.ledger = ledger
        self.destination = destination
        self.run_id = run_id
        self.force = force
        self.progress = progress
        self.batch_no = int(ledger.scalar("SELECT COALESCE(MAX(batch), 0) FROM records WHERE run_id = ?", (run_id,)) or 0)
        self.failed_in_a_row = 0

    def load(self, em: EntityMap, staged: Iterable[Staged], stats: MapStats | None = None) -> MapStats:
        """Write one entity map's staged records; the stats of this pass."""
        stats = stats or MapStats()
        size = max(1, self.destination.capabilities.max_batch)
        for chunk in chunks(staged, size):
            self._chunk(em, chunk, stats)
        return stats

    def _known(self, em: EntityMap, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        marks = ",".join("?" * len(ids))
        rows = self.ledger.query(
            f"SELECT source_id, state, content_hash, dest_id, created_run, action, dest_modified_at FROM records "
            f"WHERE map_id = ? AND source_id IN ({marks})", [em.id, *ids])
        return {r["source_id"]: r for r in rows}

    def _intent(self, em: EntityMap, s: Staged, row: dict[str, Any] | None) -> Intent:
        updatable = row is not None and row["dest_id"] and row["state"] != "deleted"
        return Intent(em.id, em.source, s.source_id, em.target_name, s.external_id, s.content_hash,
                      "update" if updatable else "create", row["dest_id"] if updatable and row else None)

    def _chunk(self, em: EntityMap, chunk: list[Staged], stats: MapStats) -> None:
        known = self._known(em, [s.source_id for s in chunk])
        settled: list[tuple[Intent, State, str | None, str | None]] = []
        todo: list[tuple[Staged, Intent, dict[str, Any] | None]] = []
        for s in chunk:
            stats.staged += 1
            row = known.get(s.source_id)
            intent = self._intent(em, s, row)
            if s.state != "ready":
                first = s.problems[0] if s.problems else None
                settled.append((intent, s.state, first.code if first else None,
                                f"{first.field}: {first.message}" if first else None))
                if s.state == "skipped":
                    stats.skipped += 1
                else:
                    stats.rejected += 1
                    stats.count_error(first.code if first else None)
                continue
            if row is not None and row["state"] == "loaded" and row["content_hash"] == s.content_hash:
                stats.unchanged += 1
                continue
            todo.append((s, intent, row))
        if settled:
            self.ledger.record_states(self.run_id, settled)
        if todo:
            self._write(em, todo, stats)
        if self.progress is not None:
            self.progress(em.id, len(chunk), stats.rejected + stats.failed + stats.conflicts)

    def _write(self, em: EntityMap, todo: list[tuple[Staged, Intent, dict[str, Any] | None]], stats: MapStats) -> None:
        updates = {i.dest_id: (s, i, row) for s, i, row in todo
                   if i.action == "update" and i.dest_id and row is not None and row["created_run"] != self.run_id}
        before: list[tuple[Intent, dict[str, Any], str | None]] = []
        conflicts: list[Result] = []
        if updates:
            stored = self.destination.read(em.target_name, sorted(updates))
            for dest_id, (s, intent, row) in sorted(updates.items()):
                current = stored.get(dest_id)
                if current is None:
                    conflicts.append(Result(em.id, s.source_id, "conflict", code="deleted_in_destination",
                                            message="the destination record was deleted after bridgework wrote it"))
                elif (row is not None and row["state"] != "pending"  # pending: the last write was ours, in flight
                      and _after(current.get(MODIFIED_AT), row["dest_modified_at"]) and not self.force):
                    conflicts.append(Result(em.id, s.source_id, "conflict", code="edited_in_destination",
                                            message="edited in the destination after bridgework wrote it (--force overwrites)"))
                else:
                    before.append((intent, {k: current[k] for k in s.values if k in current}, current.get(MODIFIED_AT)))
        skip = {r.source_id for r in conflicts}
        sending = [(s, i) for s, i, _ in todo if s.source_id not in skip]
        if conflicts:
            stats.conflicts += len(conflicts)
            self.ledger.record_results(self.run_id, conflicts)
        if not sending:
            return
        self.batch_no += 1
        self.ledger.record_intent(self.run_id, self.batch_no, [i for _, i in sending], before)
        try:
            outcomes = self.destination.upsert(em.target_name, [s.record() for s, _ in sending])
            modified = self._modified(em, outcomes)
        except BridgeworkError as exc:
            self._failed(em, sending, stats, exc)
            return
        self.failed_in_a_row = 0
        self.ledger.record_results(self.run_id, self._results(em, sending, outcomes, modified, stats))

    def _modified(self, em: EntityMap, outcomes: Sequence[Outcome]) -> Mapping[str, Any]:
        """Read back what was written: the destination's modified time of each record (for conflict checks)."""
        ids = sorted({o.destination_id for o in outcomes if o.destination_id and o.action != "reject"})
        if not ids:
            return {}
        ext_field = self.destination.capabilities.external_id_field
        stored = self.destination.read(em.target_name, ids, [ext_field])
        return {dest_id: values.get(MODIFIED_AT) for dest_id, values in stored.items()}

    def _results(self, em: EntityMap, sending: list[tuple[Staged, Intent]], outcomes: Sequence[Outcome],
                 modified: Mapping[str, Any], stats: MapStats) -> Iterator[Result]:
        by_ext = {o.external_id: o for o in outcomes}
        for s, intent in sending:
            o = by_ext.get(s.external_id)
            if o is None:
                stats.failed += 1
                stats.count_error("no_outcome")
                yield Result(em.id, s.source_id, "failed", code="no_outcome",
                             message="the destination returned no outcome for this record")
            elif o.action == "reject" or o.error or not o.destination_id:
                stats.rejected += 1
                stats.count_error(o.code or "rejected")
                yield Result(em.id, s.source_id, "rejected", code=o.code or "rejected", message=o.error or "rejected")
            else:
                action: str = intent.action
                if s.content_hash.startswith(PARTIAL):
                    stats.partial += 1
                if action == "create":
                    stats.created += 1
                elif o.action == "unchanged":  # the destination already held these values: nothing was written
                    stats.unchanged += 1
                    action = "unchanged"
                else:
                    stats.updated += 1
                yield Result(em.id, s.source_id, "loaded", o.destination_id, action,
                             modified_at=modified.get(o.destination_id))

    def _failed(self, em: EntityMap, sending: list[tuple[Staged, Intent]], stats: MapStats, exc: BridgeworkError) -> None:
        code = "unreachable" if isinstance(exc, UnreachableError) else "destination_error"
        stats.failed += len(sending)
        stats.count_error(code)
        self.ledger.record_results(self.run_id, [
            Result(em.id, s.source_id, "failed", code=code, message=exc.message[:300]) for s, _ in sending])
        self.failed_in_a_row += 1
        if self.failed_in_a_row >= _MAX_FAILED_BATCHES:
            raise DestinationError(
                f"{self.destination.name} failed {_MAX_FAILED_BATCHES} batches in a row while loading '{em.id}'.",
                hint="Check that it is reachable, then run the same command again (it resumes; failures are queued for retry).",
            )
