"""The executor end to end: a generated practice into the Odoo emulator over real HTTP, real SQLite ledger."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from connectors.emulators.odoo import LOCAL_CREDENTIALS
from executor.ledger import open_ledger
from _e2e import BW, cli, make_workspace, run_subprocess


def _states(ws_root: Path) -> dict[str, dict[str, int]]:
    ledger = open_ledger(ws_root / "ledger.db")
    try:
        out: dict[str, dict[str, int]] = {}
        for map_id, state, n in ledger.db.execute("SELECT map_id, state, COUNT(*) FROM records GROUP BY map_id, state"):
            out.setdefault(map_id, {})[state] = n
        return out
    finally:
        ledger.close()


def _source_counts(practice: Path) -> dict[str, int]:
    db = sqlite3.connect(practice)
    try:
        return {m: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for m, t in (("carriers", "inscarrier"), ("patients", "patient"), ("appointments", "appt"),
                             ("ledger", "fullproclog"))}
    finally:
        db.close()


def test_refusals_are_one_line_with_the_next_command(tmp_path: Path, practice_db: Path, emulator: Any) -> None:
    emu = emulator()
    ws = make_workspace(tmp_path / "a", practice_db, emu.url, apply_plan=False)
    result = cli("run", "-w", str(ws.root))
    assert result.exit_code == 1
    assert "plan --apply" in result.output and len(result.output.strip().splitlines()) == 1
    spec = yaml.safe_load(ws.mapping_path.read_text())
    spec["entities"][1]["fields"][0]["decision"] = {"status": "proposed"}
    ws.mapping_path.write_text(yaml.safe_dump(spec))
    result = cli("run", "-w", str(ws.root))
    assert result.exit_code == 1 and '"proposed"' in result.output and "bridgework" in result.output
    assert len(result.output.strip().splitlines()) == 1
    spec["entities"][1]["fields"][0]["decision"] = {"status": "confirmed", "by": "test"}
    ws.mapping_path.write_text(yaml.safe_dump(spec))
    assert cli("plan", "--apply", "-w", str(ws.root)).exit_code == 0
    assert cli("validate", "-w", str(ws.root)).exit_code == 0  # proposes the practice's duplicate groups
    report = (ws.reports_dir / "correction_report.csv").read_text()
    db = sqlite3.connect(ws.root.parent / "practice.db")
    emails = [e.strip() for (e,) in db.execute("SELECT emailaddr FROM patient WHERE TRIM(emailaddr) != ''")]
    db.close()
    assert emails and not any(e in report for e in emails)  # values are masked
    result = cli("run", "-w", str(ws.root))
    assert result.exit_code == 1 and "duplicate group" in result.output and "--confirm-merge" in result.output
    assert emu.content() == {"res.partner": {}, "crm.lead": {}}


def test_run_reconciles_and_rollback_restores_the_snapshot(tmp_path: Path, practice_db: Path, emulator: Any) -> None:
    emu = emulator()
    ws = make_workspace(tmp_path / "a", practice_db, emu.url)
    before = emu.snapshot()
    assert before["res.partner"], "the emulator starts with records of its own"
    result = cli("sample", "-w", str(ws.root), "--n", "3", "--rollback", "--json")
    assert result.exit_code == 0, result.output
    sampled = json.loads(result.output.split("Sample rolled back.")[0])
    assert sampled["selected"]["patients"] == 3 and sampled["selected"]["ledger"] > 0 and sampled["records"] > 3
    assert emu.snapshot() == before  # the sample is gone again
    result = cli("run", "-w", str(ws.root), "--json")
    assert result.exit_code == 0, result.output
    run_id = json.loads(result.output)["run"]
    states = _states(ws.root)
    for map_id, total in _source_counts(ws.root.parent / "practice.db").items():
        assert sum(states[map_id].values()) == total  # every source record in exactly one state
        assert set(states[map_id]) <= {"loaded", "skipped", "rejected"}
    result = cli("reconcile", "-w", str(ws.root), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    money = report["maps"]["ledger"]["money"]["expected_revenue"]
    assert report["ok"] and Decimal(money["source"]) == Decimal(money["destination"]) != 0
    audit = tmp_path / "audit.csv"
    assert cli("audit", "-w", str(ws.root), "--csv", str(audit), "--run", str(run_id)).exit_code == 0
    rows = audit.read_text().splitlines()
    assert rows[0] == "source_id,destination_id,object,action,timestamp,operator,run,entity_map"
    assert len(rows) - 1 == sum(s.get("loaded", 0) for s in states.values())
    preview = json.loads(cli("rollback", "-w", str(ws.root), "--dry-run", "--json").output)
    assert sum(preview["deleted"].values()) == len(rows) - 1 and emu.snapshot() != before
    result = cli("rollback", "-w", str(ws.root), "--json")
    assert result.exit_code == 0, result.output
    assert emu.snapshot() == before
    status = json.loads(cli("status", "-w", str(ws.root), "--json").output)
    assert status["retry_queue"] == 0 and status["schema_changes_applied"] > 0
    fields = {f["name"] for f in emu.rpc("ir.model.fields", "search_read", [[["model", "=", "res.partner"]]], {"fields": ["name"]})}
    assert "x_bw_birthdate" in fields
    result = cli("rollback", "-w", str(ws.root), "--schema", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["schema_reverted"] == status["schema_changes_applied"]
    fields = {f["name"] for f in emu.rpc("ir.model.fields", "search_read", [[["model", "=", "res.partner"]]], {"fields": ["name"]})}
    assert "x_bw_birthdate" not in fields and "x_bw_external_id" not in fields


def test_delta_touches_only_changed_records_and_rolls_back(tmp_path: Path, practice_db: Path, emulator: Any) -> None:
    emu = emulator()
    ws = make_workspace(tmp_path / "a", practice_db, emu.url)
    before = emu.snapshot()
    assert cli("run", "-w", str(ws.root)).exit_code == 0
    after_run = emu.snapshot()
    db = sqlite3.connect(ws.root.parent / "practice.db")
    db.execute("UPDATE patient SET firstname = 'Renamed', automodifiedtimestamp = datetime('now') "  # Dentrix stamps every edit
               "WHERE patid IN (SELECT patid FROM patient WHERE status = 1 ORDER BY patid LIMIT 2)")
    gone = db.execute("SELECT apptid FROM appt WHERE patid > 0 ORDER BY apptid LIMIT 1").fetchone()[0]
    db.execute("DELETE FROM appt WHERE apptid = ?", (gone,))
    db.commit()
    db.close()
    result = cli("delta", "-w", str(ws.root), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    touched = {m: (s["created"], s["updated"]) for m, s in report["maps"].items() if s["created"] or s["updated"]}
    assert touched == {"patients": (0, 2)}
    assert report["deleted_in_source"]["appointments"] == 1  # reported, not propagated
    names = [c[0] for c in emu.content()["res.partner"].values()]
    assert sum(n.startswith("Renamed ") for n in names) == 2
    assert cli("rollback", "-w", str(ws.root)).exit_code == 0  # the delta: before-images back
    assert emu.snapshot() == after_run
    assert cli("rollback", "-w", str(ws.root)).exit_code == 0  # the full run
    assert emu.snapshot() == before


def test_twenty_percent_injected_failures_still_complete(tmp_path: Path, practice_db: Path, emulator: Any) -> None:
    emu = emulator(fail_every=5, fail_status=503)
    ws = make_workspace(tmp_path / "a", practice_db, emu.url)
    clean = emulator()
    reference = make_workspace(tmp_path / "b", practice_db, clean.url)
    assert cli("run", "-w", str(reference.root)).exit_code == 0
    result = cli("run", "-w", str(ws.root))
    assert result.exit_code == 0, result.output
    assert cli("reconcile", "-w", str(ws.root)).exit_code == 0
    assert emu.content() == clean.content()


def test_kill_9_at_20_points_then_resume_equals_one_shot(tmp_path: Path, practice_db: Path, emulator: Any) -> None:
    clean = emulator()
    reference = make_workspace(tmp_path / "ref", practice_db, clean.url)
    assert cli("run", "-w", str(reference.root)).exit_code == 0
    expected = clean.content()
    emu = emulator(slow_every=1, slow_seconds=0.1)  # a slower server, so kills land inside the load
    ws = make_workspace(tmp_path / "kill", practice_db, emu.url)
    rng = random.Random(20)
    env = {**os.environ, **LOCAL_CREDENTIALS}
    killed, rounds = 0, 0
    for _ in range(20):
        proc = subprocess.Popen([*BW, "run", "-w", str(ws.root), "--json"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 5.0))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
        got = emu.content()
        for model, records in got.items():
            assert set(records) <= set(expected[model])  # never a record the one-shot run would not have
        if got == expected:  # this round finished: undo it, so the next kills land inside a load again
            rounds += 1
            assert cli("rollback", "-w", str(ws.root)).exit_code == 0
            assert emu.content() == {"res.partner": {}, "crm.lead": {}}
    assert killed >= 10
    final = run_subprocess("run", "-w", str(ws.root), "--json")
    assert final.returncode == 0, final.stderr
    assert emu.content() == expected
    assert cli("reconcile", "-w", str(ws.root)).exit_code == 0


def test_destination_edits_are_left_alone_unless_forced(tmp_path: Path, practice_db: Path, emulator: Any) -> None:
    emu = emulator()
    ws = make_workspace(tmp_path / "a", practice_db, emu.url)
    assert cli("run", "-w", str(ws.root)).exit_code == 0
    ledger = open_ledger(ws.ledger_path)
    sid, dest_id = ledger.db.execute("SELECT source_id, dest_id FROM records WHERE map_id = 'patients' AND state = 'loaded' "
                                     "ORDER BY CAST(source_id AS INTEGER) LIMIT 1").fetchone()
    ledger.close()
    time.sleep(1.1)  # Odoo's write_date has second precision
    emu.rpc("res.partner", "write", [[int(dest_id)], {"name": "Edited by staff"}])
    db = sqlite3.connect(ws.root.parent / "practice.db")
    db.execute("UPDATE patient SET firstname = 'Changed', automodifiedtimestamp = datetime('now') WHERE patid = ?",
               (int(sid),))  # Dentrix stamps every edit
    db.commit()
    db.close()
    report = json.loads(cli("delta", "-w", str(ws.root), "--json").output)
    assert report["maps"]["patients"]["conflicts"] == 1 and report["maps"]["patients"]["updated"] == 0
    assert emu.rpc("res.partner", "read", [[int(dest_id)]], {"fields": ["name"]})[0]["name"] == "Edited by staff"
    preview = json.loads(cli("rollback", "-w", str(ws.root), "--dry-run", "--json").output)
    assert preview["skipped_edited"] == {"patients": 1}
    forced = json.loads(cli("delta", "-w", str(ws.root), "--force", "--json").output)
    assert forced["maps"]["patients"]["updated"] == 1
    assert emu.rpc("res.partner", "read", [[int(dest_id)]], {"fields": ["name"]})[0]["name"].startswith("Changed ")
