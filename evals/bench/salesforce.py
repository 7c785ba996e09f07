"""Salesforce emulator throughput: sObject Collections upsert (200 per call) vs one-record upserts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

from connectors.base import DestRecord
from connectors.destinations._salesforce_shape import EXTERNAL_ID_FIELD
from connectors.destinations.salesforce import SalesforceDestination
from connectors.emulators import salesforce as emulator
from connectors.emulators.serve import start_in_thread
from connectors.http import make_client
from evals.bench._report import BenchReport, timed
from mapper.schema import SchemaChange

BATCHES = 100
SINGLES = 600
CONNECTOR_RECORDS = 10_000
BASE = "/services/data/v59.0"


def _contact(tag: str, n: int) -> dict[str, object]:
    return {"attributes": {"type": "Contact"}, "FirstName": "Bench", "LastName": f"{tag}{n}",
            "Email": f"{tag}{n}@bench.test", "MailingCity": "Leeds", EXTERNAL_ID_FIELD: f"bw:bench:{tag}:{n}"}


def main() -> None:
    """Print the Salesforce benchmark table."""
    report = BenchReport("Salesforce emulator (no faults, quota unlimited, SQLite file in WAL mode)")
    with tempfile.TemporaryDirectory() as folder:
        with timed() as elapsed:
            running = start_in_thread(emulator.create_app(Path(folder) / "salesforce.sqlite", daily_limit=10**9))
        start_seconds = elapsed()
        try:
            client = make_client(running.url, headers={"Authorization": f"Bearer {emulator.LOCAL_TOKEN}"})
            dest = SalesforceDestination(client, url=running.url)
            dest.apply_change(SchemaChange("field", "Contact", EXTERNAL_ID_FIELD, "string", max_length=255,
                                           unique=True, external_id=True, label="Bridgework external id"))
            with timed() as elapsed:
                for i in range(SINGLES):
                    body = {k: v for k, v in _contact("s", i).items() if k not in ("attributes", EXTERNAL_ID_FIELD)}
                    url = f"{BASE}/sobjects/Contact/{EXTERNAL_ID_FIELD}/{quote(f'bw:bench:s:{i}', safe='')}"
                    assert client.patch(url, json=body).status_code == 201
            single = SINGLES / elapsed()
            with timed() as elapsed:
                for b in range(BATCHES):
                    records = [_contact(f"b{b}x", i) for i in range(200)]
                    response = client.patch(f"{BASE}/composite/sobjects/Contact/{EXTERNAL_ID_FIELD}",
                                            json={"allOrNone": False, "records": records})
                    assert response.status_code == 200 and all(r["success"] for r in response.json())
            batched = BATCHES * 200 / elapsed()
            records = [DestRecord(f"bw:bench:patient:{i}", {"FirstName": "Bench", "LastName": str(i),
                                                             "Email": f"c{i}@bench.test"})
                       for i in range(CONNECTOR_RECORDS)]
            with timed() as elapsed:
                outcomes = dest.upsert("Contact", records)
            connector = len(records) / elapsed()
            assert all(o.action == "create" for o in outcomes)
            with timed() as elapsed:
                assert all(o.action == "update" for o in dest.upsert("Contact", records))
            replay = len(records) / elapsed()
            with timed() as elapsed:
                found = dest.find("Contact", [r.external_id for r in records])
            lookups = len(found) / elapsed()
            with timed() as elapsed:
                stored = dest.read("Contact", list(found.values()), ["LastName", EXTERNAL_ID_FIELD])
            reads = len(stored) / elapsed()
            usage = dest.api_usage or ""
        finally:
            running.stop()
    report.add("Collections upsert, 200 per call (raw REST)", batched, "records/s", single, "target >= 2,000")
    report.add("connector upsert (creates)", connector, "records/s", single)
    report.add("connector upsert replay (all updates)", replay, "records/s", single)
    report.add("connector find (SOQL IN, 100 per query)", lookups, "records/s", single)
    report.add("connector read (Collections retrieve, 200 per call)", reads, "records/s", single)
    report.add("one record per upsert call (baseline)", single, "records/s")
    report.add("emulator start in-process", start_seconds, "s", note=usage)
    report.print()


if __name__ == "__main__":
    main()
