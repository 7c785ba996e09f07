"""Twenty emulator throughput: 60-record batches vs one record per call, and start-up time."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from connectors.base import DestRecord
from connectors.destinations.twenty import TwentyDestination
from connectors.emulators import twenty as emulator
from connectors.emulators.serve import free_port, start_in_thread
from connectors.http import make_client
from evals.bench._report import BenchReport, timed

BATCHES = 200
SINGLES = 600
KEY = emulator.LOCAL_CREDENTIALS["BRIDGEWORK_TWENTY_API_KEY"]


def _person(tag: str, n: int) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "name": {"firstName": "Bench", "lastName": f"{tag}{n}"},
            "emails": {"primaryEmail": f"{tag}{n}@bench.test"}, "city": "Leeds"}


def _emulate_cli_start() -> float:
    """Seconds from launching `bridgework emulate twenty` to its first answer."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("bridgework")), "emulate", "twenty", "--port", str(port)]
    with tempfile.TemporaryDirectory() as folder, timed() as elapsed:
        process = subprocess.Popen(command + ["--state", f"{folder}/twenty.sqlite"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
        try:
            while elapsed() < 30:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
                    return elapsed()
                except httpx.TransportError:
                    time.sleep(0.02)
            return float("nan")
        finally:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    """Print the Twenty benchmark table."""
    report = BenchReport("Twenty emulator (throttling off, SQLite file in WAL mode)")
    with tempfile.TemporaryDirectory() as folder:
        with timed() as elapsed:
            running = start_in_thread(emulator.create_app(Path(folder) / "twenty.sqlite", throttle=False))
        start_seconds = elapsed()
        try:
            client = make_client(running.url, headers={"Authorization": f"Bearer {KEY}"})
            with timed() as elapsed:
                for i in range(SINGLES):
                    assert client.post("/rest/people", json=_person("s", i)).status_code == 201
            single = SINGLES / elapsed()
            with timed() as elapsed:
                for b in range(BATCHES):
                    batch = [_person(f"b{b}x", i) for i in range(60)]
                    assert client.post("/rest/batch/people", json=batch).status_code == 201
            batched = BATCHES * 60 / elapsed()
            dest = TwentyDestination(client, url=running.url)
            records = [DestRecord(f"bw:bench:patient:{i}", {"name.firstName": "Bench", "name.lastName": str(i),
                                                             "emails.primaryEmail": f"c{i}@bench.test"})
                       for i in range(BATCHES * 30)]
            with timed() as elapsed:
                outcomes = dest.upsert("person", records)
            connector = len(records) / elapsed()
            assert all(o.action == "create" for o in outcomes)
            with timed() as elapsed:
                assert all(o.action == "unchanged" for o in dest.upsert("person", records))
            replay = len(records) / elapsed()
        finally:
            running.stop()
    report.add("batch create, 60 per request (raw REST)", batched, "records/s", single, "target >= 2,000")
    report.add("connector upsert (lookup + batch create)", connector, "records/s", single)
    report.add("connector upsert replay (all unchanged)", replay, "records/s", single)
    report.add("one record per request (baseline)", single, "records/s")
    report.add("emulator start in-process", start_seconds, "s")
    report.add("bridgework emulate twenty: first answer", _emulate_cli_start(), "s", note="target < 3 s")
    report.print()


if __name__ == "__main__":
    main()
