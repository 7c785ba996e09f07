"""Dataverse emulator throughput: connector upserts in $batch requests vs one request per record."""

from __future__ import annotations

import tempfile
from pathlib import Path

from connectors.base import DestRecord
from connectors.destinations._dynamics_wire import Call, batch_body, literal
from connectors.destinations.dynamics import CAPABILITIES, EXTERNAL_ID_FIELD, DynamicsDestination, make_dynamics_client
from connectors.emulators import dynamics as emulator
from connectors.emulators.serve import start_in_thread
from evals.bench._report import BenchReport, timed
from mapper.schema import SchemaChange

SINGLES = 500
RECORDS = 10_000
RAW_BATCHES = 5
TOKEN = emulator.LOCAL_CREDENTIALS["BRIDGEWORK_DYNAMICS_TOKEN"]


def _values(n: int, city: str = "Leeds") -> dict[str, object]:
    return {"firstname": "Bench", "lastname": f"Patient {n}", "emailaddress1": f"p{n}@bench.test",
            "address1_city": city, "gendercode": "Female" if n % 2 else "Male"}


def main() -> None:
    """Print the Dataverse benchmark table."""
    report = BenchReport("Dataverse emulator (throttling off, SQLite file in WAL mode)")
    with tempfile.TemporaryDirectory() as folder:
        running = start_in_thread(emulator.create_app(Path(folder) / "dataverse.sqlite", throttle=False, key_delay=0))
        try:
            client = make_dynamics_client(running.url, TOKEN)
            dest = DynamicsDestination(client, url=running.url)
            dest.apply_change(SchemaChange("field", "contact", EXTERNAL_ID_FIELD, "string", max_length=255,
                                           unique=True, external_id=True))
            with timed() as elapsed:
                for i in range(SINGLES):
                    path = f"contacts({EXTERNAL_ID_FIELD}={literal(f'bw:bench:single:{i}')})"
                    assert client.patch(path, json={"lastname": f"Single {i}", "address1_city": "Leeds"}).status_code == 204
            single = SINGLES / elapsed()
            with timed() as elapsed:
                for b in range(RAW_BATCHES):
                    calls = [Call("PATCH", f"contacts({EXTERNAL_ID_FIELD}={literal(f'bw:bench:raw:{b}:{i}')})",
                                  {"lastname": f"Raw {i}", "address1_city": "Leeds"}) for i in range(1000)]
                    content_type, body = batch_body(calls)
                    response = client.post("$batch", content=body, headers={"Content-Type": content_type,
                                                                             "Prefer": "odata.continue-on-error"})
                    assert response.status_code == 200
            raw = RAW_BATCHES * 1000 / elapsed()
            records = [DestRecord(f"bw:bench:patient:{n}", _values(n)) for n in range(RECORDS)]
            with timed() as elapsed:
                outcomes = dest.upsert("contact", records)
            created = RECORDS / elapsed()
            assert all(o.action == "create" for o in outcomes)
            with timed() as elapsed:
                assert all(o.action == "unchanged" for o in dest.upsert("contact", records))
            replay = RECORDS / elapsed()
            changed = [DestRecord(r.external_id, _values(n, "York")) for n, r in enumerate(records)]
            with timed() as elapsed:
                assert all(o.action == "update" for o in dest.upsert("contact", changed))
            updated = RECORDS / elapsed()
        finally:
            running.stop()
    cap = CAPABILITIES.max_batch
    report.add(f"connector upsert, create ({cap} per $batch)", created, "records/s", single, "target >= 2,000")
    report.add(f"connector upsert, update ({cap} per $batch)", updated, "records/s", single)
    report.add("connector upsert replay (all unchanged, reads only)", replay, "records/s", single)
    report.add("raw $batch, 1000 upserts per request", raw, "records/s", single)
    report.add("one upsert per request (baseline)", single, "records/s")
    report.print()


if __name__ == "__main__":
    main()
