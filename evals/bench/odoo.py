"""Odoo: batch upsert throughput into the emulator next to one record per call (same run), and startup time."""

from __future__ import annotations

from connectors.base import DestRecord
from connectors.destinations._odoo_rpc import OdooRPC
from connectors.destinations.odoo import EXTERNAL_ID_FIELD, OdooDestination
from connectors.emulators import odoo as emulator
from connectors.emulators.serve import start_in_thread
from connectors.http import RetryPolicy, make_client
from evals.bench._report import BenchReport, timed
from mapper.schema import SchemaChange

BATCHED = 6000
SINGLE = 300
TARGET = 2000.0


def _records(prefix: str, n: int) -> list[DestRecord]:
    return [DestRecord(f"bw:bench:{prefix}:{i}", {"name": f"Patient {i}", "email": f"p{i}@example.com", "phone": "+1 555 0100",
                                                  "city": "Springfield", "ref": f"PAT-{i}"}) for i in range(n)]


def main() -> None:
    """Print the Odoo benchmark table."""
    report = BenchReport("Odoo emulator + connector")
    with timed() as elapsed:
        app = emulator.create_app(None)
        running = start_in_thread(app)
    report.add("emulator start (create_app + serve)", elapsed() * 1000, "ms", note="bridgework emulate odoo must start < 3 s")
    creds = emulator.LOCAL_CREDENTIALS
    rpc = OdooRPC(make_client(running.url), running.url, creds["BRIDGEWORK_ODOO_DB"], creds["BRIDGEWORK_ODOO_USER"],
                  creds["BRIDGEWORK_ODOO_PASSWORD"], policy=RetryPolicy(sleep=lambda s: None))
    dest = OdooDestination(rpc)
    try:
        dest.apply_change(SchemaChange(kind="field", entity="res.partner", name=EXTERNAL_ID_FIELD, type="string", external_id=True))
        single = _records("single", SINGLE)
        with timed() as elapsed:
            for record in single:
                dest.upsert("res.partner", [record])
        single_rate = SINGLE / elapsed()
        batched = _records("batch", BATCHED)
        cap = dest.capabilities.max_batch
        with timed() as elapsed:
            for start in range(0, BATCHED, cap):
                dest.upsert("res.partner", batched[start : start + cap])
        batch_rate = BATCHED / elapsed()
        report.add("one record per call (upsert)", single_rate, "rec/s")
        report.add(f"batch create, {cap} per call (upsert)", batch_rate, "rec/s", baseline=single_rate,
                   note=f"target >= {TARGET:,.0f} rec/s: {'met' if batch_rate >= TARGET else 'MISSED'}")
        with timed() as elapsed:
            for start in range(0, BATCHED, cap):
                dest.upsert("res.partner", batched[start : start + cap])
        report.add(f"re-upsert unchanged, {cap} per call", BATCHED / elapsed(), "rec/s", note="search + compare, no writes")
        assert dest.count("res.partner", "bw:bench:") == SINGLE + BATCHED
    finally:
        dest.close()
        running.stop()
    report.print()


if __name__ == "__main__":
    main()
