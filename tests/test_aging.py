"""A/R per family: aging buckets, per-family sums, Decimal exactness, tolerance, and a reconcile over the Odoo emulator."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from connectors.base import Page
from connectors.emulators.odoo import LOCAL_CREDENTIALS, create_app
from connectors.emulators.serve import RunningServer, start_in_thread
from connectors.sources.demo import generate_practice
from connectors.sources.dentrix import from_settings
from executor.aging import NO_LEDGER, ARReport, Figures, reconcile_ar
from executor.workspace import Workspace
from mapper.errors import SourceError
from ui.cli import app

AS_OF = date(2026, 6, 30)
MAPPING = Path(__file__).parent / "e2e" / "mapping_odoo.yaml"


class _LedgerSource:
    """A hand-built Dentrix ledger (and aging table), served the way a source pages it."""

    name = "dentrix"

    def __init__(self, ledger: list[dict[str, Any]], aging: list[dict[str, Any]] | None = None) -> None:
        self.tables = {"fullproclog": ledger, **({"aging": aging} if aging is not None else {})}

    def pages(self, entity: str, **_: Any) -> Iterator[Page]:
        if entity not in self.tables:
            raise SourceError(f"no {entity}", hint="")
        yield Page(self.tables[entity], None)


def _row(guar: int, days_ago: int, amt: str, klass: int = 0, status: int = 105, ins: str = "0", claim: int = 0) -> dict[str, Any]:
    return {"guarid": guar, "procdate": AS_OF - timedelta(days=days_ago), "proclogclass": klass, "chartstatus": status,
            "amt": Decimal(amt), "amtpriminspaid": Decimal(ins), "amtsecinspaid": Decimal("0"), "claimid": claim}


def _source_only(source: Any) -> ARReport:
    session = SimpleNamespace(source_name="dentrix", source=source, ordered_maps=lambda: [], source_schema=None)
    report = reconcile_ar(session, tolerance=Decimal("0.00"), as_of=AS_OF)  # type: ignore[arg-type]
    assert report is not None
    return report


def test_aging_buckets_first_in_first_out_with_boundaries() -> None:
    report = _source_only(_LedgerSource([
        _row(1, 30, "100.00"), _row(1, 31, "50.00"), _row(1, 60, "7.00"), _row(1, 61, "30.00"), _row(1, 90, "3.00"),
        _row(1, 91, "20.00"), _row(1, 5, "-60.00", klass=1, status=90),  # pays the 91+ (20), 61-90 (33), then 7 of 31-60
        _row(2, 10, "10.00"), _row(2, 2, "-25.00", klass=1, status=90),  # a credit balance shows as current
        _row(3, 400, "80.00", status=101),  # treatment planned: not a charge
        _row(3, 40, "200.00", ins="150.00", claim=9), _row(3, 20, "-5.00", klass=2, status=90),
    ]))
    one, two, three = (report.source[k] for k in ("1", "2", "3"))
    assert one.aging == [Decimal("100.00"), Decimal("50.00"), Decimal(0), Decimal(0)]
    assert one.balance == sum(one.aging) == Decimal("150.00") and one.payments == Decimal("-60.00")
    assert two.aging == [Decimal("-15.00"), 0, 0, 0] and two.balance == Decimal("-15.00")
    assert (three.charges, three.insurance_paid, three.adjustments) == (Decimal("200.00"), Decimal("150.00"), Decimal("-5.00"))
    assert three.open_insurance == Decimal("50.00") and three.aging == [0, Decimal("45.00"), 0, 0]  # the credit settles the debt
    assert report.loaded is None and report.notes == [NO_LEDGER] and report.ok
    data = report.as_dict()
    assert data["loaded"] is None and data["families"] == 3 and data["source"]["balance"] == "180.00"


def test_money_stays_exact_decimal() -> None:
    report = _source_only(_LedgerSource([_row(7, 1, "0.10") for _ in range(3)] + [_row(7, 1, "-0.30", klass=1, status=90)],
                                        aging=[{"guarid": 7, "aging0to30": "0.00", "aging31to60": "0", "aging61to90": "0",
                                                "aging91plus": "0"}]))
    family = report.source["7"]
    assert family.charges == Decimal("0.30") and family.balance == 0 and all(isinstance(a, Decimal) for a in family.aging)
    assert report.as_dict()["source"]["charges"] == "0.30" and report.stated == {"7": Decimal("0.00")}


def test_demo_practice_families_match_its_aging_table(tmp_path: Path) -> None:
    generate_practice(tmp_path / "p.db", patients=50, seed=5)
    source = from_settings({"path": str(tmp_path / "p.db")}, tmp_path)
    try:
        report = _source_only(source)
    finally:
        source.close()
    db = sqlite3.connect(tmp_path / "p.db")
    (charged,) = db.execute("SELECT SUM(amt) FROM fullproclog WHERE proclogclass = 0 AND chartstatus = 105").fetchone()
    db.close()
    assert report.stated and all(report.source[f].balance == b for f, b in report.stated.items())
    assert sum(f.charges for f in report.source.values()) == Decimal(str(charged)).quantize(Decimal("0.01"))


def test_dentally_accounts_invoices_and_payments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.emulators import dentally
    from connectors.sources.dentally import from_settings as dentally_source

    generate_practice(tmp_path / "d.sqlite", patients=50, seed=5, layout="dentally")
    server = start_in_thread(dentally.create_app(tmp_path / "d.sqlite"))
    monkeypatch.setenv("BRIDGEWORK_DENTALLY_TOKEN", dentally.LOCAL_CREDENTIALS["BRIDGEWORK_DENTALLY_TOKEN"])
    source = dentally_source({"url": server.url}, tmp_path)
    try:
        session = SimpleNamespace(source_name="dentally", source=source, ordered_maps=lambda: [], source_schema=None)
        report = reconcile_ar(session, tolerance=Decimal("0.00"), as_of=AS_OF)  # type: ignore[arg-type]
    finally:
        source.close()
        server.stop()
    db = sqlite3.connect(tmp_path / "d.sqlite")
    invoiced = sum(Decimal(a) for (a,) in db.execute("SELECT amount FROM invoices"))
    db.close()
    assert report is not None and report.loaded is None and report.notes[0] == NO_LEDGER
    assert sum(f.charges for f in report.source.values()) == invoiced
    agree = sum(1 for f, b in report.stated.items() if report.source.get(f, Figures()).balance == b)
    assert agree >= len(report.stated) - 2  # accounts count deleted payments too; bridgework does not
    assert all(sum(f.aging) == f.balance for f in report.source.values())


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_in_thread(create_app(tmp_path_factory.mktemp("odoo") / "odoo.sqlite"))
    yield server
    server.stop()


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _rpc(url: str, model: str, method: str, args: list[Any]) -> Any:
    creds = LOCAL_CREDENTIALS
    body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object", "method": "execute_kw", "args": [
        creds["BRIDGEWORK_ODOO_DB"], 2, creds["BRIDGEWORK_ODOO_PASSWORD"], model, method, args, {}]}}
    return httpx.post(url + "/jsonrpc", json=body, timeout=30).json()["result"]


def test_reconcile_reports_ar_read_back_and_flags_a_changed_amount(tmp_path: Path, odoo: RunningServer,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in LOCAL_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    generate_practice(tmp_path / "practice.db", patients=50, sites=2, seed=3)
    ws = Workspace.create(tmp_path / "ws", {"kind": "dentrix", "path": str(tmp_path / "practice.db")},
                          {"kind": "odoo", "url": odoo.url})
    shutil.copy(MAPPING, ws.mapping_path)
    source, destination = ws.open_source(), ws.open_destination()
    source.introspect(profile=False).save(ws.source_schema_path)
    destination.describe().save(ws.destination_schema_path)
    source.close()
    destination.close()
    assert _cli("plan", "--apply", "-w", str(ws.root)).exit_code == 0
    assert _cli("run", "-w", str(ws.root), "--json").exit_code == 0
    result = _cli("reconcile", "-w", str(ws.root), "--json")
    assert result.exit_code == 0, result.output
    ar = json.loads(result.output)["ar"]
    assert ar["ok"] and ar["families_off"] == 0 and ar["families"] > 0
    skipped = Decimal(ar["not_loaded"]["balance"]) if ar["not_loaded"] else Decimal(0)
    assert Decimal(ar["loaded"]["balance"]) == Decimal(ar["source"]["balance"]) - skipped != 0
    assert any("amtpriminspaid is not carried" in n for n in ar["notes"])
    table = _cli("reconcile", "-w", str(ws.root)).output
    assert "A/R per family" in table and "0 of" in table and "Reconcile OK" in table

    db = sqlite3.connect(ws.ledger_path)
    db.execute("ATTACH DATABASE ? AS practice", (str(tmp_path / "practice.db"),))
    (dest_id,) = db.execute("SELECT r.dest_id FROM records r JOIN practice.fullproclog p ON p.procid = r.source_id "
                            "WHERE r.map_id = 'ledger' AND r.state = 'loaded' AND p.chartstatus = 105 "
                            "ORDER BY p.procid LIMIT 1").fetchone()
    db.close()
    _rpc(odoo.url, "crm.lead", "write", [[int(dest_id)], {"expected_revenue": 1234.5}])  # someone edits one amount
    result = _cli("reconcile", "-w", str(ws.root), "--json")
    assert result.exit_code == 1
    ar = json.loads(result.output)["ar"]
    assert not ar["ok"] and ar["families_off"] == 1 and len(ar["off"]) == 1 and "1 family differs" in ar["problems"][0]
    assert "A/R of 1 family" in _cli("reconcile", "-w", str(ws.root)).output

    ws.settings.options.money_tolerance = "100000.00"
    ws.save_settings()
    result = _cli("reconcile", "-w", str(ws.root), "--json")
    assert result.exit_code == 0 and json.loads(result.output)["ar"]["families_off"] == 0
