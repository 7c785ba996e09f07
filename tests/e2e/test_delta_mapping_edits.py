"""Delta after a mapping edit, over real HTTP to the Odoo emulator: the edited maps are re-read in full and
only records whose transformed values changed are written; rollbacks restore the destination; the retry
queue empties into exactly one end state per record."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml
from _e2e import cli, make_workspace

from connectors.base import DestRecord, Outcome
from executor.delta import delta
from executor.ledger import open_ledger
from executor.run import execute
from executor.session import Session
from executor.workspace import Workspace
from mapper.errors import DestinationError

_PARTNER = ["name", "email", "mobile", "phone", "is_company", "x_bw_external_id"]
_LEAD = ["name", "partner_id", "expected_revenue", "date_deadline", "x_bw_external_id"]
_WRITES = ("create", "write", "unlink")


def _snapshot(emu: Any) -> dict[str, list[tuple[str, ...]]]:
    """Every partner and lead (the emulator's own sample records too), with the fields the maps write."""
    out = {}
    for model, fields in (("res.partner", _PARTNER), ("crm.lead", _LEAD)):
        rows = emu.rpc(model, "search_read", [[]], {"fields": fields})
        out[model] = sorted(tuple(str(r.get(f)) for f in ["id", *fields]) for r in rows)
    return out


def _by_ext(emu: Any, model: str, fields: list[str]) -> dict[str, dict[str, Any]]:
    rows = emu.rpc(model, "search_read", [[["x_bw_external_id", "!=", False]]], {"fields": [*fields, "x_bw_external_id"]})
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        assert r["x_bw_external_id"] not in out, "duplicate record for one external id"
        out[r["x_bw_external_id"]] = {f: r.get(f) for f in fields}
    return out


def _writes(emu: Any) -> dict[str, int]:
    """Write calls the emulator has served so far, by model.method."""
    methods = httpx.get(emu.url + "/_emulator/state", timeout=10).json()["methods"]
    return {k: v for k, v in methods.items() if k.rsplit(".", 1)[-1] in _WRITES}


def _states(ws: Workspace) -> dict[str, dict[str, int]]:
    ledger = open_ledger(ws.ledger_path)
    try:
        out: dict[str, dict[str, int]] = {}
        for map_id, state, n in ledger.db.execute("SELECT map_id, state, COUNT(*) FROM records GROUP BY 1, 2"):
            out.setdefault(map_id, {})[state] = n
        return out
    finally:
        ledger.close()


def _source_counts(ws: Workspace, tables: dict[str, str]) -> dict[str, int]:
    db = sqlite3.connect(ws.root.parent / "practice.db")
    try:
        return {m: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for m, t in tables.items()}
    finally:
        db.close()


_TABLES = {"carriers": "inscarrier", "patients": "patient", "appointments": "appt", "ledger": "fullproclog"}


def _one_end_state_each(ws: Workspace, tables: dict[str, str]) -> dict[str, dict[str, int]]:
    states = _states(ws)
    for map_id, total in _source_counts(ws, tables).items():
        assert sum(states[map_id].values()) == total, map_id  # every source record in exactly one state
        assert set(states[map_id]) <= {"loaded", "skipped", "rejected"}, (map_id, states[map_id])
    return states


def _edit_mapping(ws: Workspace) -> None:
    """A changed transform (carrier names upper-cased), one more confirmed field (patients' work phone) and a
    newly confirmed entity map (employers as companies)."""
    spec = yaml.safe_load(ws.mapping_path.read_text())
    maps = {em["id"]: em for em in spec["entities"]}
    maps["carriers"]["fields"][0]["transforms"] = [{"name": "trim"}, {"name": "upper"}]
    maps["patients"]["fields"].append({"source": "workphone", "target": "phone", "transforms": [{"name": "trim"}],
                                       "decision": {"status": "confirmed", "by": "test"}})
    spec["entities"].insert(0, {"id": "employers", "source": "employer", "target": "res.partner", "key": "empid",
                                "constants": {"is_company": True}, "decision": {"status": "confirmed", "by": "test"},
                                "fields": [{"source": "name", "target": "name", "transforms": [{"name": "trim"}],
                                            "decision": {"status": "confirmed", "by": "test"}}]})
    ws.mapping_path.write_text(yaml.safe_dump(spec, sort_keys=False))


def test_mapping_edit_reaches_the_destination_by_delta_and_rolls_back(tmp_path: Path, practice_db: Path,
                                                                      emulator: Any) -> None:
    emu = emulator()
    ws = make_workspace(tmp_path / "a", practice_db, emu.url)
    before = _snapshot(emu)
    assert before["res.partner"], "the emulator starts with records of its own"
    assert cli("run", "-w", str(ws.root)).exit_code == 0
    after_run = _snapshot(emu)
    partners = _by_ext(emu, "res.partner", _PARTNER[:-1])
    leads = _by_ext(emu, "crm.lead", _LEAD[:-1])

    _edit_mapping(ws)
    result = cli("delta", "-w", str(ws.root), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)

    assert report["remapped"] == {"carriers": "changed", "patients": "changed", "employers": "new"}
    maps = report["maps"]
    counts = _source_counts(ws, {**_TABLES, "employers": "employer"})
    db = sqlite3.connect(ws.root.parent / "practice.db")
    with_phone = {str(p) for (p,) in db.execute("SELECT patid FROM patient WHERE status != 4 AND TRIM(workphone) != ''")}
    db.close()
    assert with_phone
    assert (maps["carriers"]["staged"], maps["carriers"]["updated"], maps["carriers"]["created"]) == (counts["carriers"],) * 2 + (0,)
    assert maps["employers"]["created"] == counts["employers"] > 0
    assert maps["patients"]["created"] == 0 and maps["patients"]["updated"] == len(with_phone)  # the rest already equal
    assert all(maps[m]["created"] == maps[m]["updated"] == 0 for m in ("appointments", "ledger"))
    notes = report["notes"]
    assert f"map 'carriers' changed since the last load: re-read all {counts['carriers']} records, 0 updated" not in notes
    assert f"map 'carriers' changed since the last load: re-read all {counts['carriers']} records, " \
           f"{counts['carriers']} updated" in notes
    assert f"map 'employers' is new since the last load: read all {counts['employers']} records, " \
           f"{counts['employers']} created" in notes
    assert f"map 'patients' changed since the last load: re-read all {counts['patients']} records, " \
           f"{len(with_phone)} updated, {maps['patients']['unchanged']} unchanged" in notes

    ledger = open_ledger(ws.ledger_path)
    assert ledger.run(report["run"])["note"] == "; ".join(notes)  # kept with the run
    ledger.close()

    # Only the affected fields changed: carrier names, patients' phones; the rest as the run left it.
    now = _by_ext(emu, "res.partner", _PARTNER[:-1])
    employers = {ext for ext in now if ":employer:" in ext}
    assert len(employers) == counts["employers"] and set(now) - employers == set(partners)
    for ext, values in partners.items():
        got = now[ext]
        if ":inscarrier:" in ext:
            assert got["name"] == values["name"].upper() != values["name"]
            assert {k: v for k, v in got.items() if k != "name"} == {k: v for k, v in values.items() if k != "name"}
        else:
            sid = ext.rsplit(":", 1)[-1]
            assert bool(got["phone"]) == (sid in with_phone), ext
            assert {k: v for k, v in got.items() if k != "phone"} == {k: v for k, v in values.items() if k != "phone"}
    assert _by_ext(emu, "crm.lead", _LEAD[:-1]) == leads
    _one_end_state_each(ws, {**_TABLES, "employers": "employer"})
    after_delta = _snapshot(emu)

    # (c) A delta with nothing changed (source or map) reads no map in full and writes nothing.
    writes = _writes(emu)
    again = json.loads(cli("delta", "-w", str(ws.root), "--json").output)
    assert again["remapped"] == {} and again["notes"] == []
    assert all(s["created"] == s["updated"] == 0 for s in again["maps"].values())
    assert _writes(emu) == writes and _snapshot(emu) == after_delta

    # (b) Rolling back the mapping delta restores its before-images and removes what it created ...
    result = cli("rollback", "-w", str(ws.root), "--json")
    assert result.exit_code == 0, result.output
    undone = json.loads(result.output)
    assert undone["run"] == report["run"] and undone["deleted"] == {"employers": counts["employers"]}
    assert _snapshot(emu) == after_run
    # The next delta writes again what the rollback undid (as a full run would), fetched by id ...
    redo = json.loads(cli("delta", "-w", str(ws.root), "--json").output)
    assert redo["remapped"] == {}
    assert {m: (s["created"], s["updated"]) for m, s in redo["maps"].items() if s["created"] or s["updated"]} == {
        "employers": (counts["employers"], 0), "carriers": (0, counts["carriers"]), "patients": (0, len(with_phone))}
    assert _by_ext(emu, "res.partner", _PARTNER[:-1]) == now and _by_ext(emu, "crm.lead", _LEAD[:-1]) == leads
    assert cli("rollback", "-w", str(ws.root)).exit_code == 0
    assert _snapshot(emu) == after_run
    # ... and rolling back the run leaves the destination as it was, its own sample records included.
    assert cli("rollback", "-w", str(ws.root)).exit_code == 0
    assert _snapshot(emu) == before


def test_remapped_records_edited_in_the_destination_are_left_alone(tmp_path: Path, practice_db: Path,
                                                                  emulator: Any) -> None:
    emu = emulator()
    ws = make_workspace(tmp_path / "a", practice_db, emu.url)
    assert cli("run", "-w", str(ws.root)).exit_code == 0
    ledger = open_ledger(ws.ledger_path)
    dest_id = ledger.scalar("SELECT dest_id FROM records WHERE map_id = 'carriers' AND state = 'loaded' "
                            "ORDER BY source_id LIMIT 1")
    ledger.close()
    time.sleep(1.1)  # Odoo's write_date has second precision
    emu.rpc("res.partner", "write", [[int(dest_id)], {"name": "Edited by staff"}])
    _edit_mapping(ws)

    report = json.loads(cli("delta", "-w", str(ws.root), "--json").output)

    carriers = report["maps"]["carriers"]
    assert carriers["conflicts"] == 1 and carriers["updated"] == carriers["staged"] - 1
    assert any("1 edited in the destination left alone (--force overwrites)" in n for n in report["notes"])
    assert emu.rpc("res.partner", "read", [[int(dest_id)]], {"fields": ["name"]})[0]["name"] == "Edited by staff"
    again = json.loads(cli("delta", "-w", str(ws.root), "--json").output)  # the conflict waits; nothing else moves
    assert again["remapped"] == {} and again["maps"]["carriers"]["conflicts"] == 1
    assert sum(s["updated"] + s["created"] for s in again["maps"].values()) == 0
    forced = json.loads(cli("delta", "-w", str(ws.root), "--force", "--json").output)
    assert forced["maps"]["carriers"]["updated"] == 1
    assert emu.rpc("res.partner", "read", [[int(dest_id)]], {"fields": ["name"]})[0]["name"].isupper()

    ledger = open_ledger(ws.ledger_path)  # as a ledger from before map versions: each map re-read once, nothing written
    ledger.db.execute("DELETE FROM map_versions")
    ledger.db.conn.commit()
    ledger.close()
    old = json.loads(cli("delta", "-w", str(ws.root), "--json").output)
    assert old["remapped"] == {m: "unrecorded" for m in old["maps"]}
    assert sum(s["updated"] + s["created"] for s in old["maps"].values()) == 0
    assert all("has no map version in the ledger yet" in n for n in old["notes"])
    assert json.loads(cli("delta", "-w", str(ws.root), "--json").output)["remapped"] == {}


class FlakyDestination:
    """The real Odoo destination, except that the first lead batch fails outright (as after its retries ran out)
    and a few patients are rejected once."""

    def __init__(self, inner: Any, reject: set[str]) -> None:
        self.inner = inner
        self.reject = reject
        self.failed_once = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def upsert(self, entity: str, records: Sequence[DestRecord]) -> list[Outcome]:
        """Fail, reject or pass through to Odoo."""
        if entity == "crm.lead" and not self.failed_once:
            self.failed_once = True
            raise DestinationError("Odoo kept answering 503.", hint="Run again later.")
        keep = [r for r in records if r.external_id not in self.reject]
        done = {o.external_id: o for o in self.inner.upsert(entity, keep)} if keep else {}
        return [done.get(r.external_id) or Outcome(r.external_id, None, "reject", error="temporarily refused",
                                                    code="ValidationError") for r in records]


def test_failed_and_rejected_records_are_retried_by_delta(tmp_path: Path, practice_db: Path, emulator: Any) -> None:
    clean = emulator()
    reference = make_workspace(tmp_path / "ref", practice_db, clean.url)
    assert cli("run", "-w", str(reference.root)).exit_code == 0
    expected_states = _one_end_state_each(reference, _TABLES)
    emu = emulator()
    ws = make_workspace(tmp_path / "a", practice_db, emu.url)
    reject = {f"bw:dentrix:patient:{sid}" for sid in ("1", "2", "3")}
    with Session.open(ws, exclusive=True) as session:
        session.destination = FlakyDestination(session.destination, reject)  # type: ignore[assignment]
        run = execute(session, "full")
    assert run.maps["patients"].rejected >= 3 and run.maps["appointments"].failed > 0
    states = _states(ws)
    assert states["appointments"].get("failed", 0) > 0 and states["patients"]["rejected"] > expected_states["patients"].get("rejected", 0)

    with Session.open(ws, exclusive=True) as session:
        report = delta(session)

    assert report.remapped == {}  # the map did not change: only the queue and changed rows were read
    assert report.maps["patients"].created >= 3 and report.maps["appointments"].created > 0
    assert _one_end_state_each(ws, _TABLES) == expected_states
    assert _by_ext(emu, "res.partner", _PARTNER[:-1]) == _by_ext(clean, "res.partner", _PARTNER[:-1])
    assert set(_by_ext(emu, "crm.lead", ["name"])) == set(_by_ext(clean, "crm.lead", ["name"]))
