"""The audit export: one row per record action (source id, destination id, object, action, time, operator, run)."""

from __future__ import annotations

import csv
from pathlib import Path

from executor.ledger import Ledger

COLUMNS: tuple[str, ...] = ("source_id", "destination_id", "object", "action", "timestamp", "operator", "run", "entity_map")


def export_audit(ledger: Ledger, path: Path, run_id: int | None = None) -> int:
    """Write the audit CSV (never any record value); the number of rows."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for e in ledger.events(run_id):
            out.writerow([e["source_id"], e["dest_id"] or "", e["dest_object"], e["action"], e["at"], e["operator"],
                          e["run_id"], e["map_id"]])
            rows += 1
    return rows
