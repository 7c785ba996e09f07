"""Status: what the ledger says about the migration, and what to do next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from executor.ledger import Ledger


@dataclass
class Status:
    """Counts per entity map by state, runs, errors, the retry queue and the next step."""

    maps: dict[str, dict[str, int]] = field(default_factory=dict)
    current_run: dict[str, Any] | None = None
    last_run: dict[str, Any] | None = None
    throughput: float | None = None
    errors: dict[str, int] = field(default_factory=dict)
    retry_queue: int = 0
    conflicts: int = 0
    open_dedupe: int = 0
    schema_changes: int = 0
    next_step: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (counts and codes only, never values)."""
        return {
            "maps": self.maps, "current_run": self.current_run, "last_run": self.last_run,
            "throughput_records_per_s": self.throughput, "errors": self.errors, "retry_queue": self.retry_queue,
            "conflicts": self.conflicts, "open_dedupe_groups": self.open_dedupe,
            "schema_changes_applied": self.schema_changes, "next": self.next_step,
        }


def _seconds(run: dict[str, Any]) -> float | None:
    if not run.get("ended_at"):
        return None
    return (datetime.fromisoformat(run["ended_at"]) - datetime.fromisoformat(run["started_at"])).total_seconds()


def status(ledger: Ledger, workspace: str = ".") -> Status:
    """The status of the workspace's ledger."""
    s = Status()
    for map_id, state, n in ledger.db.execute("SELECT map_id, state, COUNT(*) FROM records GROUP BY map_id, state ORDER BY map_id"):
        s.maps.setdefault(str(map_id), {})[str(state)] = int(n)
    runs = ledger.runs()
    running = [r for r in runs if r["status"] == "running"]
    s.current_run = running[-1] if running else None
    finished = [r for r in runs if r["status"] != "running" and r["kind"] in ("full", "delta", "sample")]
    s.last_run = finished[-1] if finished else None
    if s.last_run:
        written = int(ledger.scalar("SELECT COUNT(*) FROM events WHERE run_id = ?", (s.last_run["id"],)) or 0)
        seconds = _seconds(s.last_run)
        s.throughput = round(written / seconds, 1) if seconds else None
    s.errors = {str(c): int(n) for c, n in ledger.db.execute(
        "SELECT error_code, COUNT(*) FROM records WHERE state IN ('rejected', 'failed', 'conflict') "
        "GROUP BY error_code ORDER BY COUNT(*) DESC")}
    s.retry_queue = int(ledger.scalar("SELECT COUNT(*) FROM retry_queue") or 0)
    s.conflicts = int(ledger.scalar("SELECT COUNT(*) FROM records WHERE state = 'conflict'") or 0)
    s.open_dedupe = int(ledger.scalar("SELECT COUNT(*) FROM dedupe_groups WHERE status = 'proposed'") or 0)
    s.schema_changes = len(ledger.schema_changes("applied"))
    s.next_step = _next(s, workspace)
    return s


def _next(s: Status, ws: str) -> str:
    pending = sum(states.get("pending", 0) for states in s.maps.values())
    if s.current_run is not None or pending:
        return f"A run was interrupted: bridgework run -w {ws} (it resumes)"
    if s.open_dedupe:
        return f"Decide {s.open_dedupe} possible duplicate group(s): bridgework validate -w {ws}"
    if s.retry_queue:
        return f"{s.retry_queue} record(s) wait in the retry queue: bridgework delta -w {ws}"
    if s.conflicts:
        return f"{s.conflicts} record(s) were edited in the destination: review, then bridgework delta --force -w {ws}"
    if not s.maps:
        return f"Nothing loaded yet: bridgework validate -w {ws}, then bridgework sample -w {ws}"
    return f"Check the result: bridgework reconcile -w {ws}"
