"""A family's shared email on Twenty, where person emails are unique: kept on one member, carried for the rest."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from _e2e import HERE, cli

from connectors.emulators.serve import RunningServer, start_in_thread
from connectors.emulators.twenty import LOCAL_CREDENTIALS, create_app
from executor.ledger import open_ledger
from executor.workspace import Workspace


@pytest.fixture
def twenty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    for name, value in LOCAL_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    # 20% of calls answer 503 (seeded; a 429 makes the connector wait a whole minute window): retried, completes.
    server = start_in_thread(create_app(tmp_path / "twenty.sqlite", throttle=False, fail_rate=0.2, fail_seed=3,
                                        fail_status=503))
    yield server
    server.stop()


def test_shared_family_email_stays_on_one_person(tmp_path: Path, practice_db: Path, twenty: RunningServer) -> None:
    shutil.copy(practice_db, tmp_path / "practice.db")
    ws = Workspace.create(tmp_path / "ws", {"kind": "dentrix", "path": str(tmp_path / "practice.db")},
                          {"kind": "twenty", "url": twenty.url, "pace": False})
    shutil.copy(HERE / "mapping_twenty.yaml", ws.mapping_path)
    source, destination = ws.open_source(), ws.open_destination()
    source.introspect(profile=False).save(ws.source_schema_path)
    destination.describe().save(ws.destination_schema_path)
    assert cli("plan", "--apply", "-w", str(ws.root)).exit_code == 0
    destination.describe().save(ws.destination_schema_path)
    assert cli("validate", "-w", str(ws.root), "--split-all").exit_code == 0
    report = (ws.reports_dir / "correction_report.csv").read_text()
    assert "shared_unique_value" in report and "additionalEmails" in report
    result = cli("run", "-w", str(ws.root))
    assert result.exit_code == 0, result.output
    ledger = open_ledger(ws.ledger_path)
    rows = ledger.query("SELECT source_id, dest_id, state, error_code FROM records WHERE map_id = 'patients'")
    ledger.close()
    assert not [r for r in rows if r["state"] == "rejected"]
    stored = destination.read("person", [r["dest_id"] for r in rows if r["dest_id"]])
    destination.close()
    source.close()
    primaries = [v.get("emails.primaryEmail") for v in stored.values() if v.get("emails.primaryEmail")]
    assert len(primaries) == len(set(primaries))  # each email held by one person
    carried = [v.get("emails.additionalEmails") for v in stored.values() if v.get("emails.additionalEmails")]
    assert carried and all(any(e in str(c) for e in primaries) for c in carried)
    assert cli("reconcile", "-w", str(ws.root)).exit_code == 0
