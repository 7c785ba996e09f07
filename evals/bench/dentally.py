"""Dentally extraction: records/s and requests per 1,000 records against the emulator (throttling off).

DentallySource with per_page=100 (best of 3 reads) against a naive baseline in the same run: per_page=25 (the
API default) and one-record fetches. Requests matter as much as speed: a real practice
shares 3,600 requests per hour with its other integrations.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from connectors.emulators.dentally import LOCAL_CREDENTIALS, create_app
from connectors.emulators.serve import RunningServer, serving
from connectors.http import make_client
from connectors.sources.dentally import DentallySource
from evals.bench._report import BenchReport, timed

PATIENTS = 5000
SINGLE_FETCHES = 500
REPEATS = 3
REAL_PRACTICE_PATIENTS = 27_745  # one real UK pull (sources.md §5)


def _requests(server: RunningServer, **switches: int) -> int:
    """Set switches (which resets the emulator's request counter) and return the count before."""
    before = int(httpx.get(f"{server.url}/_emulator/faults").json()["requests"])
    httpx.post(f"{server.url}/_emulator/faults", json=switches)
    return before


def _read(source: DentallySource, page_size: int) -> tuple[int, float]:
    """Records read and the best time of REPEATS full reads."""
    best = float("inf")
    count = 0
    for _ in range(REPEATS):
        with timed() as elapsed:
            count = sum(len(page.records) for page in source.pages("patients", page_size=page_size))
        best = min(best, elapsed())
    return count, best


def main() -> None:
    """Print the Dentally extraction table."""
    from connectors.sources.demo import generate_practice

    report = BenchReport(f"Dentally extraction (emulator, {PATIENTS:,} patients, throttling off)")
    with tempfile.TemporaryDirectory(prefix="bw-bench-dentally-") as tmp:
        path = Path(tmp) / "dentally.sqlite"
        generate_practice(path, patients=PATIENTS, sites=2, seed=7, layout="dentally")
        with serving(create_app(path, hourly_limit=0)) as server:
            token = LOCAL_CREDENTIALS["BRIDGEWORK_DENTALLY_TOKEN"]
            source = DentallySource(make_client(server.url, headers={"Authorization": f"Bearer {token}"}))
            try:
                _read(source, 100)  # warm-up: connections, SQLite pages
                _requests(server, hourly_limit=0)
                fast, fast_s = _read(source, 100)
                fast_req = _requests(server, hourly_limit=0) // REPEATS
                slow, slow_s = _read(source, 25)
                slow_req = _requests(server, hourly_limit=0, unstable_every=3) // REPEATS
                shaky, shaky_s = _read(source, 100)
                shaky_req = _requests(server, hourly_limit=0, unstable_every=0) // REPEATS
                ids = [str(i) for i in range(1, SINGLE_FETCHES + 1)]
                with timed() as elapsed:
                    singles = len(source.fetch("patients", ids))
                single_s = elapsed()
            finally:
                source.close()
    assert fast == slow == shaky == PATIENTS, "the benchmark lost or doubled records"
    report.add("patients, per_page=100 (records/s)", fast / fast_s, "rec/s", slow / slow_s, "baseline: per_page=25")
    report.add("patients, per_page=100 vs one-record fetches", fast / fast_s, "rec/s", singles / single_s,
               f"baseline: GET /v1/patients/<id> x {SINGLE_FETCHES}")
    report.add("requests per 1,000 patients, per_page=100", 1000 * fast_req / fast, "req", 1000 * slow_req / slow,
               "lower is better; baseline per_page=25")
    report.add("unstable pages (1 in 3 shifted), per_page=100", shaky / shaky_s, "rec/s", fast / fast_s,
               f"baseline: stable pages; {shaky_req - fast_req} extra requests (one per skipped record); none lost or doubled")
    hours = REAL_PRACTICE_PATIENTS * fast_req / fast / 3600
    report.add("hourly budget for a 27,745-patient practice", 100 * hours, "% of 1 h", None,
               "patients only, 3,600 requests/hour shared with other integrations")
    report.print()
